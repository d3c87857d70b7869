// A test-only target made by the recipe in docs/architecture.md ("Add a
// target"): one file that returns a TargetInfo. "mem" is an anonymous memory
// file (memfd) holding the stamped pattern: a regular file, so always ready.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/pattern.h"
#include "recipes.h"

namespace iobench::recipes {
namespace {

constexpr OptionDecl kSeed{"mem_seed", "mem", OptionType::Count, 0, 1'000'000, 7, "seed of the pattern it holds",
                           "mem_seed"};

}  // namespace

class MemTarget final : public Target {
 public:
  explicit MemTarget(const WorkloadSpec& s) : size_(s.size), seed_(s.get(kSeed)) {
    fd_ = Fd(::memfd_create("iobench-mem", MFD_CLOEXEC));
    if (!fd_ || ::ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0)
      throw RuntimeError("mem: memfd_create failed: " + errno_text(errno));
    AlignedBuffer buf(1 << 16, 4096);
    for (uint64_t off = 0; off < size_; off += buf.size()) {
      pattern::fill(buf.data(), buf.size(), off, seed_);
      if (::pwrite(fd_.get(), buf.data(), buf.size(), static_cast<off_t>(off)) != static_cast<ssize_t>(buf.size()))
        throw RuntimeError("mem: filling failed");
    }
  }
  Fd open(int flags) const override {
    // Every engine gets its own descriptor on the same memory file.
    Fd fd(::open(("/proc/self/fd/" + std::to_string(fd_.get())).c_str(), O_RDWR | O_CLOEXEC | flags));
    if (!fd) throw RuntimeError("mem: reopen failed: " + errno_text(errno));
    return fd;
  }
  bool always_ready() const override { return true; }
  KernelAio kernel_aio() const override { return KernelAio::Inline; }
  bool direct() const override { return false; }
  nlohmann::json describe() const override { return {{"kind", "mem"}, {"size_bytes", size_}}; }
  uint64_t data_seed() const override { return seed_; }
  std::string settle() override {
    ++settled;
    return "mem: settled";
  }
  int settled = 0;

 private:
  uint64_t size_, seed_;
  Fd fd_;
};

int times_settled(const Target& mem) { return dynamic_cast<const MemTarget&>(mem).settled; }

TargetInfo mem_target() {
  return {"mem", "mem", "an anonymous memory file (memfd) holding the stamped pattern", TargetArg::None, {&kSeed},
          [] { return std::string(); },
          [](const WorkloadSpec& s) {
            if (s.size % (1 << 16)) throw UsageError("--size: mem needs a multiple of 64k");
          },
          [](const WorkloadSpec& s) -> std::unique_ptr<Target> { return std::make_unique<MemTarget>(s); }};
}

}  // namespace iobench::recipes
