#pragma once
// What the I/O goes to. A target prepares itself once per result (layout,
// checks) and hands each engine the descriptors it opens.
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "spec/workload.h"

namespace iobench {

enum class TargetKind { File, Emu, Driver };

// Where one in-flight request goes. A file or device is one descriptor for
// both directions; an emulated channel reads from one pipe and writes to another.
struct Channel {
  Fd rd;
  Fd wr;  // invalid: writes use rd too
  int fd(bool write) const { return write && wr ? wr.get() : rd.get(); }
};

class Target {
 public:
  virtual ~Target() = default;
  virtual TargetKind kind() const = 0;
  // Opens one descriptor; `flags` are extra open flags (O_NONBLOCK, ...).
  // O_DIRECT is added by the target when the workload asks for it.
  virtual Fd open(int flags) const = 0;
  virtual Channel open_channel(int flags) const { return {open(flags), Fd()}; }
  // Channels an engine with `qd` requests in flight needs: a file serves them
  // all on one descriptor; a stream device needs one channel per request.
  virtual unsigned channels_for(unsigned qd) const {
    (void)qd;
    return 1;
  }
  // false for streams (emu pipes): offsets are not addressable; the data
  // carries its own stamps and reads are verified for self-consistency.
  virtual bool seekable() const { return true; }
  // Appended to a short-read error, to say what it most likely means.
  virtual const char* short_read_hint() const { return " (end of file: was the target truncated?)"; }
  // CPU time the target itself burns in this process (the emu's emulator
  // thread), which the runner leaves out of the backend's CPU figures.
  virtual void own_cpu(uint64_t* user_ns, uint64_t* sys_ns) const { *user_ns = *sys_ns = 0; }
  virtual bool regular_file() const = 0;
  virtual bool direct() const = 0;
  virtual nlohmann::json describe() const = 0;
  // Seed the readable data was stamped with (the pattern of core/pattern.h).
  virtual uint64_t data_seed() const = 0;
  // A write workload without --verify left unstamped data behind.
  virtual void wrote_unstamped() {}
  // The same buffered file opened with O_DIRECT, for a backend whose default
  // that is; nullptr for other targets. Throws RuntimeError when the
  // filesystem refuses O_DIRECT. The original keeps ownership of the file.
  virtual std::unique_ptr<Target> direct_twin() const { return nullptr; }
};

// Parses the workload's target ("", "file:PATH" or "emu") and prepares it: creates and
// lays out the file, checks O_DIRECT, refuses to write what iobench did not
// create. Throws UsageError for a bad spelling, RuntimeError when refused.
std::unique_ptr<Target> make_target(const WorkloadSpec& spec);
std::unique_ptr<Target> make_emu_target(const WorkloadSpec& spec);
std::unique_ptr<Target> make_driver_target(const WorkloadSpec& spec);
// Why the driver target cannot be used here, or "" when /dev/iobench exists.
std::string driver_unavailable();

}  // namespace iobench
