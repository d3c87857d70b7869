// Target file:PATH (regular file or block device) and the temporary default.
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/errors.h"
#include "core/fs.h"
#include "core/pattern.h"
#include "core/stop_signal.h"
#include "core/units.h"
#include "targets/target.h"

namespace iobench {
namespace {

// Marks files iobench created (so it may write them again) and whether their
// contents are still the stamped pattern (so --verify can read them).
constexpr const char* kXattr = "user.iobench";

std::string fs_name(const std::string& path) {
  struct statfs st {};
  if (statfs(path.c_str(), &st) != 0) return "unknown";
  switch (static_cast<unsigned long>(st.f_type)) {
    case EXT4_SUPER_MAGIC: return "ext4";
    case TMPFS_MAGIC: return "tmpfs";
    case XFS_SUPER_MAGIC: return "xfs";
    case BTRFS_SUPER_MAGIC: return "btrfs";
    case 0x6969: return "nfs";
    case 0x858458f6: return "ramfs";
    case 0x794c7630: return "overlayfs";
    case 0x2fc12fc1: return "zfs";
    case 0x62656572: return "sysfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(st.f_type));
      return buf;
    }
  }
}

class FileTarget final : public Target {
 public:
  FileTarget(std::string path, bool temporary, const WorkloadSpec& spec)
      : path_(std::move(path)), temporary_(temporary), direct_(spec.is_direct()) {
    prepare(spec);
  }
  ~FileTarget() override {
    if (temporary_ && owner_) ::unlink(path_.c_str());
  }

  bool always_ready() const override { return true; }
  KernelAio kernel_aio() const override { return direct_ ? KernelAio::Async : KernelAio::Inline; }
  bool direct() const override { return direct_; }
  uint64_t data_seed() const override { return seed_; }

  Fd open(int flags) const override {
    int f = O_RDWR | O_CLOEXEC | flags | (direct_ ? O_DIRECT : 0);
    if (!writable_) f = (f & ~O_RDWR) | O_RDONLY;
    int fd = ::open(path_.c_str(), f);
    if (fd < 0) throw RuntimeError("cannot open '" + path_ + "': " + open_error_text(errno));
    return Fd(fd);
  }

  nlohmann::json describe() const override {
    return {{"kind", "file"},       {"path", path_},
            {"direct", direct_},    {"temporary", temporary_},
            {"block_device", blockdev_}, {"size_bytes", size_},
            {"filesystem", blockdev_ ? "" : fs_name(path_)}};
  }

  std::string settle() override {
    Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::fdatasync(fd.get()) != 0)
      throw RuntimeError("cannot write back '" + path_ + "' after a write run: " + errno_text(errno));
    return "written data is written back (fdatasync) after each repetition, outside the measurement, so the next "
           "repetition or backend does not pay for it; the page cache is otherwise left as it is";
  }

  void set_cache(WorkloadSpec::Cache c) const override {
    if (c == WorkloadSpec::Cache::AsIs) return;
    Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw RuntimeError("--cache: cannot open '" + path_ + "': " + errno_text(errno));
    if (c == WorkloadSpec::Cache::Cold) {
      // Dirty pages are not dropped: written back first.
      if (::fdatasync(fd.get()) != 0)
        throw RuntimeError("--cache cold: cannot write back '" + path_ + "': " + errno_text(errno));
      if (const int err = ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED))  // returns the error, not errno
        throw RuntimeError("--cache cold: cannot drop the cache of '" + path_ + "': " + errno_text(err));
      return;
    }
    constexpr size_t kChunk = 1 << 20;
    std::vector<char> buf(kChunk);
    for (uint64_t off = 0; off < used_; off += kChunk) {
      if (StopSignal::pending()) return;  // the run sees the stop as it starts
      const auto n = static_cast<size_t>(std::min<uint64_t>(kChunk, used_ - off));
      if (::pread(fd.get(), buf.data(), n, static_cast<off_t>(off)) < 0)
        throw RuntimeError("--cache warm: cannot read '" + path_ + "': " + errno_text(errno));
    }
  }

  double resident() const override {
    Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || !used_) return -1;
    void* map = ::mmap(nullptr, used_, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (map == MAP_FAILED) return -1;
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> in((used_ + page - 1) / page);
    const int ret = ::mincore(map, used_, in.data());
    ::munmap(map, used_);
    if (ret != 0) return -1;
    size_t n = 0;
    for (unsigned char b : in) n += b & 1;
    return static_cast<double>(n) / static_cast<double>(in.size());
  }

  void wrote_unstamped() override {
    if (ours_) mark(false);
  }

  std::unique_ptr<Target> direct_twin() const override {
    if (direct_) return nullptr;
    auto twin = std::make_unique<FileTarget>(*this);
    twin->owner_ = false;  // the original removes a temporary file
    twin->direct_ = true;
    twin->check_direct();
    return twin;
  }

 private:
  void prepare(const WorkloadSpec& spec) {
    struct stat st {};
    bool exists = ::stat(path_.c_str(), &st) == 0;
    if (!exists && errno != ENOENT) throw RuntimeError("--target: cannot stat '" + path_ + "': " + errno_text(errno));
    if (exists && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
      throw UsageError("--target: '" + path_ + "' is neither a regular file nor a block device");
    blockdev_ = exists && S_ISBLK(st.st_mode);
    seed_ = spec.seed;
    used_ = spec.size;
    writable_ = spec.writes();

    std::string mark_value;
    if (exists && !blockdev_) {
      char buf[64] = {};
      ssize_t n = ::getxattr(path_.c_str(), kXattr, buf, sizeof buf - 1);
      if (n > 0) mark_value.assign(buf, static_cast<size_t>(n));
    }
    ours_ = !exists || temporary_ || !mark_value.empty();
    if (spec.writes() && !ours_ && !spec.allow_overwrite)
      throw UsageError("--target: '" + path_ + "' exists and was not created by iobench; "
                       "writing to it needs --allow-overwrite");
    bool stamped = !exists || mark_value.starts_with("stamped:");
    if (stamped && !mark_value.empty()) seed_ = std::strtoull(mark_value.c_str() + 8, nullptr, 10);

    if (blockdev_) {
      Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd || ioctl(fd.get(), BLKGETSIZE64, &size_) != 0)
        throw RuntimeError("--target: cannot read the size of '" + path_ + "': " + errno_text(errno));
      if (size_ < spec.size)
        throw UsageError("--size: '" + path_ + "' holds " + format_size(size_) + ", less than " + format_size(spec.size));
      if (spec.verify && spec.reads() && !spec.writes())
        throw UsageError("--verify: a block device's contents were not written by iobench; verify it with a write workload");
    } else {
      uint64_t have = exists ? static_cast<uint64_t>(st.st_size) : 0;
      bool relayout = (spec.verify && !stamped) || have < spec.size;
      if (relayout && !ours_ && !spec.allow_overwrite) {
        if (have < spec.size)
          throw UsageError("--size: '" + path_ + "' holds " + format_size(have) + ", less than " +
                           format_size(spec.size) + ", and iobench did not create it (--allow-overwrite lets it grow)");
        throw UsageError("--verify: '" + path_ + "' was not laid out by iobench, so its data cannot be verified");
      }
      if (relayout) layout(exists && stamped ? have : 0, spec.size, !exists || temporary_);
      size_ = std::max(have, spec.size);
    }
    if (direct_) check_direct();
  }

  // Writes the stamped pattern over [from, to) so reads (and --verify) see
  // real data, never holes. A file this call created (`fresh`) and could not
  // finish is removed: a half-written target would be refused next time as
  // not iobench's, and a temporary one would be left behind.
  void layout(uint64_t from, uint64_t to, bool fresh) {
    Fd fd(::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) throw RuntimeError("--target: cannot create '" + path_ + "': " + errno_text(errno));
    try {
      from -= from % pattern::kSector;
      // Refused before writing a byte, rather than filling the filesystem
      // first. A filesystem that reports no size (ramfs) has no known limit.
      struct statvfs fs {};
      if (::fstatvfs(fd.get(), &fs) == 0 && fs.f_blocks > 0) {
        const uint64_t avail = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
        if (to - from > avail)
          throw RuntimeError("--size: laying out " + format_size(to - from) + " in '" + path_ + "' needs more than the " +
                             format_size(avail - avail % 4096) + " free on its filesystem (lower --size, or put "
                             "the target elsewhere: --target file:PATH or TMPDIR)");
      }
      if (!temporary_) ours_ = true;
      constexpr size_t kChunk = 1 << 20;
      AlignedBuffer buf(kChunk, 4096);
      for (uint64_t off = from; off < to; off += kChunk) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, to - off));
        size_t padded = (n + pattern::kSector - 1) / pattern::kSector * pattern::kSector;
        if (StopSignal::pending()) throw Stopped();  // a terabyte takes minutes: Ctrl-C must not
        pattern::fill(buf.data(), padded, off, seed_);
        if (::pwrite(fd.get(), buf.data(), n, static_cast<off_t>(off)) != static_cast<ssize_t>(n))
          throw RuntimeError("--target: laying out '" + path_ + "' failed: " + errno_text(errno ? errno : ENOSPC));
      }
    } catch (...) {
      if (fresh) ::unlink(path_.c_str());
      throw;
    }
    mark(true);
  }

  void mark(bool stamped) {
    std::string v = stamped ? "stamped:" + std::to_string(seed_) : "unstamped";
    // Best effort: on a filesystem without user xattrs the file is simply
    // treated as foreign next time.
    (void)::setxattr(path_.c_str(), kXattr, v.data(), v.size(), 0);
  }

  void check_direct() {
    int fd = ::open(path_.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd < 0 && errno == EINVAL)
      throw RuntimeError("--direct: the filesystem holding '" + path_ + "' (" + fs_name(path_) +
                         ") refuses O_DIRECT; use --buffered, or a target on a disk-backed filesystem (--target file:/var/tmp/x)");
    if (fd < 0) throw RuntimeError("--target: cannot open '" + path_ + "' with O_DIRECT: " + errno_text(errno));
    ::close(fd);
  }

  std::string path_;
  bool temporary_;
  bool owner_ = true;
  bool direct_;
  bool blockdev_ = false;
  bool ours_ = false;
  bool writable_ = false;
  uint64_t size_ = 0;
  uint64_t used_ = 0;  // the bytes the workload uses (--size): what --cache and resident() mean
  uint64_t seed_ = 0;
};

std::unique_ptr<Target> make_file_target(const WorkloadSpec& spec) {
  const std::string& path = spec.target.arg;
  if (!path.empty()) return std::make_unique<FileTarget>(path, false, spec);
  std::string tmpl = temp_dir() + "/iobench-XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw RuntimeError("cannot create a temporary file in " + temp_dir() + ": " + errno_text(errno) + " (set TMPDIR)");
  ::close(fd);  // FileTarget lays it out and removes it
  return std::make_unique<FileTarget>(tmpl, true, spec);
}

}  // namespace

TargetInfo file_target() {
  return {"file", "file:PATH", "a regular file or block device (default: a temporary file in $TMPDIR or /var/tmp)",
          TargetArg::Optional, {}, [] { return std::string(); }, nullptr, make_file_target};
}

}  // namespace iobench
