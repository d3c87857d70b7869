// Target driver[:/dev/iobench]: the bundled kernel module (module/iobench.c).
// Every result records the device parameters it ran against; --dev-* set them.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "core/errors.h"
#include "targets/target.h"

namespace iobench {
namespace {

constexpr const char* kParams = "/sys/module/iobench/parameters/";
constexpr const char* kStats = "/sys/class/misc/iobench/";

std::string read_sys(const std::string& path) {
  std::ifstream in(path);
  std::string v;
  in >> v;
  return v;
}

uint64_t read_u64(const std::string& path) {
  std::string v = read_sys(path);
  return v.empty() ? 0 : std::strtoull(v.c_str(), nullptr, 10);
}

void write_param(const char* name, uint64_t value, const std::string& flag) {
  std::string path = std::string(kParams) + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  std::string v = std::to_string(value);
  if (fd < 0 || ::write(fd, v.data(), v.size()) < 0) {
    int e = errno;
    if (fd >= 0) ::close(fd);
    throw RuntimeError(flag + ": cannot set " + path + " to " + v + ": " + errno_text(e) +
                       (e == EBUSY ? " (the device is open; qdepth changes only while it is closed)"
                        : e == EACCES || e == EPERM ? " (needs root)" : ""));
  }
  ::close(fd);
}

// Set as module parameters before the run (root); not given: left as they are.
constexpr OptionDecl kLatency{"dev_latency", "driver", OptionType::Duration, 0, 10'000'000'000, std::nullopt,
                              "set the module's latency_ns (root)", "dev_latency_ns"};
constexpr OptionDecl kQdepth{"dev_qdepth", "driver", OptionType::Count, 1, 4096, std::nullopt,
                             "set the module's qdepth (root, device closed)", "dev_qdepth"};
constexpr OptionDecl kFailEvery{"dev_fail_every", "driver", OptionType::Count, 0, UINT64_MAX / 2, std::nullopt,
                                "set the module's fail_every (root)", "dev_fail_every"};

std::string driver_unavailable() {
  if (::access("/dev/iobench", F_OK) == 0) return "";
  if (::access("/sys/module/iobench", F_OK) == 0) return "the iobench module is loaded but /dev/iobench is missing";
  return "the iobench module is not loaded: load it with scripts/driver-load (root), or dkms install "
         "module/ (docs/driver.md)";
}

class DriverTarget final : public Target {
 public:
  DriverTarget(std::string path, const WorkloadSpec& s) : path_(std::move(path)) {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0 || !S_ISCHR(st.st_mode))
      throw RuntimeError("--target driver: " + path_ + " is missing: " + driver_unavailable());
    for (auto [decl, param] : {std::pair{&kLatency, "latency_ns"}, {&kQdepth, "qdepth"}, {&kFailEvery, "fail_every"}})
      if (s.given(*decl)) write_param(param, s.get(*decl), decl->flag());
  }

  bool direct() const override { return false; }
  uint64_t data_seed() const override { return 0; }
  const char* short_read_hint() const override { return " (driver: unexpected short read)"; }

  Fd open(int flags) const override {
    int fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC | flags);
    if (fd < 0) throw RuntimeError("cannot open " + path_ + ": " + open_error_text(errno));
    return Fd(fd);
  }

  nlohmann::json describe() const override {
    std::string p = kParams, s = kStats;
    return {{"kind", "driver"},
            {"path", path_},
            {"latency_ns", read_u64(p + "latency_ns")},
            {"bandwidth_bytes_per_s", read_u64(p + "bandwidth")},
            {"qdepth", read_u64(p + "qdepth")},
            {"fail_every", read_u64(p + "fail_every")},
            {"max_inflight", read_u64(s + "max_inflight")}};
  }

  // A module older than the ready stamps has no such parameter: its word 4
  // is payload, not a time.
  bool stamps_ready() const override { return read_u64(std::string(kParams) + "ready_stamps") == 1; }
  // A module built against a kernel that marks kernel AIO's kiocbs (IOCB_AIO_RW) cancels them.
  bool aio_cancels() const override { return ::access((std::string(kStats) + "cancelled").c_str(), F_OK) == 0; }

  nlohmann::json counters() const override {
    std::string s = kStats;
    return {{"requests", read_u64(s + "requests")},
            {"signals", read_u64(s + "signals")},
            {"errors_injected", read_u64(s + "errors_injected")},
            {"write_mismatches", read_u64(s + "write_mismatches")},
            {"fsyncs", read_u64(s + "fsyncs")},
            {"cancelled", read_u64(s + "cancelled")}};
  }

 private:
  std::string path_;
};

}  // namespace

TargetInfo driver_target() {
  return {"driver", "driver[:DEV]", "the bundled kernel module's device, /dev/iobench by default",
          TargetArg::Optional, {&kLatency, &kQdepth, &kFailEvery}, driver_unavailable,
          [](const WorkloadSpec& s) {
            if (s.is_direct()) throw UsageError("--direct: does not apply to the driver target (it has no page cache)");
          },
          [](const WorkloadSpec& s) -> std::unique_ptr<Target> {
            return std::make_unique<DriverTarget>(s.target.arg.empty() ? "/dev/iobench" : s.target.arg, s);
          }};
}

}  // namespace iobench
