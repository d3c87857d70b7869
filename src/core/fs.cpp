#include "core/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <tuple>
#include <utility>

#include "core/errors.h"

namespace iobench {

namespace {

// What an existing object at `path` is, when iobench must not replace it
// with a file; nullptr when it may (absent, or a regular file).
const char* not_replaceable(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return nullptr;
  if (S_ISREG(st.st_mode)) return nullptr;
  if (S_ISLNK(st.st_mode)) return "a symbolic link";
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISCHR(st.st_mode)) return "a character device";
  if (S_ISBLK(st.st_mode)) return "a block device";
  if (S_ISFIFO(st.st_mode)) return "a FIFO";
  return "not a regular file";
}

std::string parent_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void check_output_path(const std::string& path, const std::string& flag) {
  if (path.empty() || path.back() == '/') throw UsageError(flag + ": '" + path + "' names a directory, not a file");
  if (const char* what = not_replaceable(path))
    throw UsageError(flag + ": '" + path + "' is " + what +
                     "; iobench writes only a new path or a regular file, and leaves this one as it is");
  const std::string dir = parent_of(path);
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw UsageError(flag + ": directory '" + dir + "' does not exist");
  if (::access(dir.c_str(), W_OK) != 0) throw UsageError(flag + ": cannot write into directory '" + dir + "'");
}

bool same_file_path(const std::string& a, const std::string& b) {
  // Both checked by check_output_path: each is absent or a regular file in an
  // existing directory, so the directory and the name say which file it is.
  auto where = [](const std::string& p) {
    struct stat st{};
    ::stat(parent_of(p).c_str(), &st);
    const size_t slash = p.find_last_of('/');
    return std::make_tuple(st.st_dev, st.st_ino, slash == std::string::npos ? p : p.substr(slash + 1));
  };
  return where(a) == where(b);
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  tmp_ = parent_of(path_) + "/.iobench-tmp-XXXXXX";
  fd_ = ::mkstemp(tmp_.data());
  if (fd_ < 0) throw RuntimeError("cannot write '" + path_ + "': " + errno_text(errno));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw RuntimeError("cannot write '" + path_ + "': " + errno_text(errno));
    off += static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  // Data on disk before the name points at it, so a crash leaves old or new.
  if (::fsync(fd_) != 0 || ::fchmod(fd_, 0644) != 0)
    throw RuntimeError("cannot write '" + path_ + "': " + errno_text(errno));
  // Checked up front (check_output_path) and again here: a device node or a
  // link put there meanwhile is never replaced.
  if (const char* what = not_replaceable(path_))
    throw RuntimeError("cannot write '" + path_ + "': it is now " + std::string(what) + "; left as it is");
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) throw RuntimeError("cannot write '" + path_ + "': " + errno_text(errno));
  committed_ = true;
}

void write_atomic(const std::string& path, const std::string& data) {
  AtomicFile f(path);
  f.write(data);
  f.commit();
}

std::string temp_dir() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/var/tmp";
}

std::vector<std::string> cpu_idle_states() {
  std::vector<std::string> out;
  for (int i = 0;; ++i) {
    std::ifstream in("/sys/devices/system/cpu/cpu0/cpuidle/state" + std::to_string(i) + "/name");
    std::string name;
    if (!std::getline(in, name)) return out;
    out.push_back(name);
  }
}

}  // namespace iobench
