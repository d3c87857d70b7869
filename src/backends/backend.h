#pragma once
// The backend interface: an Engine per job thread moves batches of requests
// (submit / reap), and a registry describes each backend, its variants, and
// whether it can run here.
//
// Virtual calls are per batch, never per request: the runner hands a whole
// array of ready requests to submit() and takes back an array from reap().
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/arena.h"
#include "core/trace.h"
#include "spec/options.h"
#include "spec/workload.h"
#include "targets/target.h"

namespace iobench {

// Fsync: --fsync-every's flush, a request like the others (len 0), so each
// model flushes with its own interface: aio_fsync, IOCB_CMD_FSYNC,
// IORING_OP_FSYNC, or fsync/fdatasync in the job thread.
enum class Op : uint8_t { Read, Write, Fsync };

// One cache line: after each system call the loop finds its lines evicted
// by the kernel's work, and every line a request spans is a miss (~5 ns).
struct alignas(64) Request {
  uint64_t offset = 0;
  unsigned char* buf = nullptr;
  uint64_t start_ns = 0;  // submission time (see Worker::issue for --rate); set by the runner
  // Set by an engine that sees this request's own completion; else, if it
  // is timed, the reap's stamp, set by the runner: when its slot became free.
  uint64_t end_ns = 0;
  uint64_t submit_ns = 0; // how long its own submission call took (kCapTimedSubmit engines)
  uint64_t cancel_ns = 0; // when the runner asked for it to be cancelled; 0: never
  int32_t result = 0;     // bytes transferred (a request is at most 64 MiB), or -errno; set by the engine
  uint32_t len = 0;
  uint32_t slot = 0;      // index in the job's request array, stable for its life
  Op op = Op::Read;
  bool intended = false;  // start_ns is the --rate intended issue time, not to be restamped
  bool timed = true;      // --lat-sample drew it: stamped and in the latency figures; else no clock is read for it
  bool cancel_refused = false;  // the interface would not try to cancel it (Engine::cancel said no)
};
static_assert(sizeof(Request) == 64);

// What an engine counts, reported under metrics.counters: the counters every
// backend has, and up to kMaxOwn of its own, each by name.
struct Counters {
  uint64_t syscalls = 0;       // system calls made on the I/O path
  uint64_t submit_batches = 0; // calls that submitted at least one request
  uint64_t submitted = 0;      // requests submitted (submitted / submit_batches = batch size)
  uint64_t signals = 0;        // notifications taken as signals
  uint64_t fsyncs = 0;

  struct Named {
    std::string_view name;
    uint64_t value = 0;
  };
  static constexpr size_t kMaxOwn = 12;  // a backend's own and the runner's (cancel_*)
  std::array<Named, kMaxOwn> own{};
  size_t n_own = 0;

  // One submit call that accepted `n` requests (a call that took none is not a batch).
  void batch(uint64_t n) {
    submit_batches += n != 0;
    submitted += n;
  }
  // Declares a backend's own counter (at setup) and returns where to count
  // it; the reference stays valid for the engine's life.
  uint64_t& add(std::string_view name);
  // A backend's own counter by name; 0 when it has none of that name.
  uint64_t own_value(std::string_view name) const;
  // Merging by name (off the hot path): into += from, into -= from.
  void add_all(const Counters& from);
  void subtract_all(const Counters& from);
};

class Engine {
 public:
  virtual ~Engine() = default;
  // Starts n requests. Returns how many were accepted (the rest stay with the
  // runner and are offered again), or throws RuntimeError for a failure that
  // ends the run (not a per-request I/O error: those go into Request::result).
  virtual int submit(Request* const* reqs, int n) = 0;
  // Collects up to `max` finished requests into `out`. timeout_ns < 0 waits for
  // at least one; 0 only looks; > 0 waits at most that long.
  virtual int reap(Request** out, int max, int64_t timeout_ns) = 0;
  // --cancel-pct, --drain cancel (kCapCancel engines): asks the interface to
  // take back a request it accepted. The request still comes back through
  // reap(), with -ECANCELED when it was taken back and its own result when
  // the cancel came too late. false: the interface refused to try (io_cancel
  // on a file: EINVAL), and the request goes on as if never asked.
  virtual bool cancel(Request&) { return false; }
  const Counters& counters() const { return counters_; }
  // What the engine found out while setting up (kernel features used, ...).
  const std::vector<std::string>& notes() const { return notes_; }
  // --trace: where the engine records what only it sees (signals taken, a
  // handler's run); the runner records the submit and wait calls.
  void trace_to(trace::Lane* lane) { trace_ = lane; }

 protected:
  // A moment or span for the trace, when this thread is being traced.
  void traced(trace::Kind k, uint64_t t0, uint64_t t1) {
    if (trace_ && trace_->active) trace_->call(k, t0, t1, 1);
  }
  bool tracing() const { return trace_ && trace_->active; }

  Counters counters_;
  trace::Lane* trace_ = nullptr;
  std::vector<std::string> notes_;
};

struct EngineConfig {
  const Target& target;
  const WorkloadSpec& spec;
  unsigned variant;  // index into BackendInfo::variants: each backend's own enum
  unsigned qd;       // requests this engine keeps in flight
  unsigned job;      // index of the job thread
  Request* slots;    // the qd requests; slot i's buffer is buffers + i * bs
  unsigned char* buffers;
  // The job thread's hot pages: the engine object goes there (make_engine),
  // and so may the tables it reads per request (hot_table). nullptr: none.
  HotArena* arena = nullptr;
};

// Destroys an engine where make_engine put it.
struct EngineDelete {
  bool in_arena = false;
  void operator()(Engine* e) const {
    if (in_arena) e->~Engine();
    else delete e;
  }
};
using EnginePtr = std::unique_ptr<Engine, EngineDelete>;

// How a backend fits a target: runnable (maybe with notes) or skipped.
struct Fit {
  bool runnable = true;
  std::string reason;              // why not, when !runnable
  std::vector<std::string> notes;  // caveats the reader must know
};

enum Caps : unsigned {
  kCapNone = 0,
  // One request in flight per engine: the runner runs qd engines in qd threads.
  kCapOneInFlight = 1u << 0,
  kCapNoIo = 1u << 1,  // moves no data (null): bytes are nominal
  // O_DIRECT on files unless the workload says --direct or --buffered.
  kCapDirectByDefault = 1u << 2,
  // submit() enters a call that can block (io_submit, io_uring_enter,
  // aio_read, lio_listio) and times it per request as submit_ns, stamping
  // each request it accepts at that call (timed_call): the runner does not.
  kCapTimedSubmit = 1u << 3,
  // Its work runs partly in threads of its own (glibc's aio helpers, io_uring's
  // SQ and io-wq threads): their CPU is charged to it, and shown apart.
  kCapHelperThreads = 1u << 4,
  // It has an interface to take back a request in flight (Engine::cancel).
  kCapCancel = 1u << 5,
};

struct VariantInfo {
  std::string name;
  std::string description;  // what it does differently, and when to pick it
  // Why this variant cannot run on this machine, or "" when it can; none: it can.
  std::string (*unavailable)() = nullptr;
  // Its own Caps where they differ from its backend's (sync:nowait keeps qd
  // requests in one thread where sync runs qd threads).
  std::optional<unsigned> caps = std::nullopt;
};

// A variant a user may expect that the backend does not offer, and why.
struct RefusedVariant {
  std::string name;
  std::string why;
};

struct BackendInfo {
  std::string name;
  std::string description;
  std::vector<VariantInfo> variants;  // first is the default; the index is the engine's variant
  unsigned caps = kCapNone;  // of every variant that does not say otherwise (VariantInfo::caps)
  std::vector<const OptionDecl*> options;  // its own workload fields
  // Why this backend cannot run on this machine, or "" when it can.
  std::function<std::string()> unavailable;
  std::function<Fit(const Target&, const WorkloadSpec&, unsigned variant)> fit;
  std::function<EnginePtr(const EngineConfig&)> create;
  std::vector<RefusedVariant> refused = {};  // --backend NAME:THAT is exit 2 with the reason
};

// BackendInfo::create for an engine constructed from its EngineConfig: on the
// job thread's arena when it has room (the engine's fields are read every
// round trip), else on the heap.
template <typename E>
EnginePtr make_engine(const EngineConfig& c) {
  if (void* at = c.arena ? c.arena->take(sizeof(E), alignof(E)) : nullptr) return EnginePtr(new (at) E(c), {true});
  return EnginePtr(new E(c));
}

// A table an engine reads per request, copied onto the arena when it has
// room; else `v`'s own, which the engine keeps.
template <typename T>
const T* hot_table(const EngineConfig& c, const std::vector<T>& v) {
  T* p = c.arena ? c.arena->array<T>(v.size()) : nullptr;
  if (!p) return v.data();
  std::copy(v.begin(), v.end(), p);
  return p;
}

// All backends, in the order tables and "all" use.
const std::vector<BackendInfo>& registry();
const BackendInfo* find_backend(const std::string& name);

struct BackendChoice {
  const BackendInfo* info;
  unsigned variant;
  const std::string& variant_name() const { return info->variants[variant].name; }
  std::string label() const { return info->name + ":" + variant_name(); }
  unsigned caps() const { return info->variants[variant].caps.value_or(info->caps); }
  // Why it cannot run here: the backend's probe, then the variant's.
  std::string unavailable() const;
};
// Expands "all", "all:*", "NAME", "NAME:VARIANT", "NAME:*"; throws UsageError
// for unknown names or variants, listing the accepted ones.
std::vector<BackendChoice> resolve_backends(const std::vector<std::string>& names);

}  // namespace iobench
