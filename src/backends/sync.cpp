// sync: blocking pread/pwrite. Concurrency is threads: the runner gives each of
// qd threads its own engine and descriptor with one request in flight.
#include <unistd.h>

#include <cerrno>

#include "backends/backend.h"
#include "backends/common.h"
#include "core/clock.h"
#include "core/errors.h"

namespace iobench {
namespace {

class SyncEngine final : public Engine {
 public:
  explicit SyncEngine(const EngineConfig& c)
      : spec_(c.spec), ch_(c.target, 1), seekable_(c.target.seekable()), done_(c.qd) {}

  int submit(Request* const* reqs, int n) override {
    for (int i = 0; i < n; ++i) {
      Request* r = reqs[i];
      ch_.ring(reqs + i, 1);
      if (r->op == Op::Fsync) {
        r->result = do_fsync(ch_.fd(0, r->op), spec_, counters_);
      } else {
        r->result = do_io(ch_.fd(0, r->op), *r, seekable_);
        counters_.syscalls++;
      }
      r->end_ns = now_ns();
      done_.push(r);
    }
    counters_.batch(static_cast<uint64_t>(n));
    return n;
  }
  int reap(Request** out, int max, int64_t) override { return done_.pop(out, max); }

 private:
  const WorkloadSpec& spec_;
  ChannelSet ch_;
  bool seekable_;
  DoneStack done_;
};

}  // namespace

BackendInfo sync_backend() {
  return {"sync", "blocking pread/pwrite; qd > 1 runs qd threads, one request in flight each",
          {{"default", "pread/pwrite in qd threads: the baseline every other model is measured against"}},
          kCapOneInFlight, {},
          [] { return std::string(); },
          [](const Target&, const WorkloadSpec& s, unsigned) {
            if (s.wait == WorkloadSpec::Wait::Spin)
              return Fit{false, "--wait spin: sync blocks inside its read or write; there is no wait to spin on", {}};
            return Fit{};
          },
          make_engine<SyncEngine>};
}

}  // namespace iobench
