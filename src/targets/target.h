#pragma once
// What the I/O goes to. A target prepares itself once per point (layout,
// checks) and hands each engine the descriptors it opens. Backends ask a
// target questions (is it always ready? does kernel AIO run asynchronously
// on it?) and never test which kind it is.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/fd.h"
#include "core/usage.h"
#include "spec/workload.h"
#include "targets/doorbell.h"

namespace iobench {

// Where one in-flight request goes. A file or device is one descriptor for
// both directions; an emulated channel reads from one pipe and writes to another.
struct Channel {
  Fd rd;
  Fd wr;  // invalid: writes use rd too
  // A request-anchored device: rung with every request's issue time.
  Doorbell* bell = nullptr;
  Doorbell::Box* box = nullptr;
  int fd(bool write) const { return write && wr ? wr.get() : rd.get(); }
};

// What a target has done so far; a result reports the difference between
// the totals at its start and at its end (Target::report).
struct TargetTotals {
  nlohmann::json counters = nlohmann::json::object();  // running counts (requests served, ...)
  std::vector<uint64_t> lateness;  // Histogram buckets of the device's lateness; empty: not measured
  Usage usage;                     // its own threads' (Target::own_usage)
  uint64_t at_ns = 0;              // when these were taken
};

// How kernel AIO (io_submit) behaves on a target's descriptors.
enum class KernelAio {
  Async,   // queued and completed later (O_DIRECT files, the driver)
  Inline,  // completed inside io_submit (buffered files): runs, but synchronously
  Blocks,  // io_submit would sleep until the data exists (pipes): not applicable
};

class Target {
 public:
  virtual ~Target() = default;
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
  // Readiness means nothing here (regular files and block devices: poll says
  // ready at once, epoll refuses them, no SIGIO is ever raised).
  virtual bool always_ready() const { return false; }
  virtual KernelAio kernel_aio() const { return KernelAio::Async; }
  // Its kiocbs have a cancel function (the driver): io_cancel's EINVAL then
  // means "already completed", not "cannot cancel".
  virtual bool aio_cancels() const { return false; }
  // Appended to a short-read error, to say what it most likely means.
  virtual const char* short_read_hint() const { return " (end of file: was the target truncated?)"; }
  // What the target's own threads in this process (the emu's emulator) have
  // used so far, which the runner leaves out of the backend's figures.
  virtual Usage own_usage() const { return {}; }
  virtual bool direct() const = 0;
  // What this target is, for a result's "target" object.
  virtual nlohmann::json describe() const = 0;
  // Running counts the target keeps (requests served, errors injected).
  virtual nlohmann::json counters() const { return nlohmann::json::object(); }
  // Everything it has done so far: the counters, how late its device was,
  // its own threads' usage.
  virtual TargetTotals totals() const { return {counters(), {}, own_usage(), now_ns()}; }
  // What happened between two totals, into a result's "target" object (the
  // counters' differences, and lateness_ns where measured), with the notes a
  // reader must see (the device was the bottleneck).
  virtual void report(const TargetTotals& before, const TargetTotals& after, nlohmann::json& into,
                      std::vector<std::string>& notes) const;
  // Blocks carry the time the device made them ready (pattern::stamp_ready):
  // the runner measures each read's notification delay from it.
  virtual bool stamps_ready() const { return false; }
  // Serve what is in flight at once (true) from now until told to stop
  // (false): the measurement has ended and those requests count nowhere,
  // so a stop does not wait out a long device latency.
  virtual void hurry(bool on) const { (void)on; }
  // Seed the readable data was stamped with (the pattern of core/pattern.h).
  virtual uint64_t data_seed() const = 0;
  // A write workload without --verify left unstamped data behind.
  virtual void wrote_unstamped() {}
  // After a repetition that wrote: written data goes to stable storage now,
  // outside any measurement, so the next repetition or backend does not pay
  // for it. Returns what was done, for a note ("" when nothing needs it).
  virtual std::string settle() { return ""; }
  // --cache: the page cache of what the workload uses, made cold or warm
  // before a repetition (a file; nothing elsewhere). Throws RuntimeError.
  virtual void set_cache(WorkloadSpec::Cache) const {}
  // The share of the bytes the workload uses that are in the page cache now
  // (mincore), or -1 where there is no page cache to ask about.
  virtual double resident() const { return -1; }
  // The same target opened with O_DIRECT, for a backend whose default that
  // is; nullptr where O_DIRECT does not apply (no page cache). Throws
  // RuntimeError when the filesystem refuses O_DIRECT. The original keeps
  // ownership of what it created.
  virtual std::unique_ptr<Target> direct_twin() const { return nullptr; }
};

enum class TargetArg { None, Optional, Required };

// One kind of target: everything the parser, `list`, `run` and the result
// need to know about it, in one place.
struct TargetInfo {
  std::string_view name;         // "file": the part before the colon
  std::string_view spelling;     // "file:PATH", for help and errors
  std::string_view description;
  TargetArg arg;
  std::vector<const OptionDecl*> options;  // its own workload fields
  std::string (*unavailable)();            // why it cannot be used here, "" when it can
  void (*validate)(const WorkloadSpec&);   // its cross-field checks; throws UsageError
  std::unique_ptr<Target> (*make)(const WorkloadSpec&);  // throws RuntimeError when refused
};

// Every target, in the order `list` shows them.
const std::vector<TargetInfo>& target_registry();
// The target a spelling names, its argument checked; throws UsageError.
const TargetInfo& find_target(const TargetSpec& spec);
// Finds, validates and prepares the workload's target.
std::unique_ptr<Target> make_target(const WorkloadSpec& spec);

}  // namespace iobench
