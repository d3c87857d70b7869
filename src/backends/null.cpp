// null: moves no data. Every request completes at submission, so a result is
// the harness's own cost per op: offsets, timestamps, histogram, bookkeeping.
#include "backends/backend.h"
#include "backends/common.h"

namespace iobench {
namespace {

class NullEngine final : public Engine {
 public:
  explicit NullEngine(const EngineConfig& c) : done_(c.qd) {}

  int submit(Request* const* reqs, int n) override {
    for (int i = 0; i < n; ++i) {
      reqs[i]->result = reqs[i]->len;
      counters_.fsyncs += reqs[i]->op == Op::Fsync;
      done_.push(reqs[i]);
    }
    counters_.batch(static_cast<uint64_t>(n));
    return n;
  }
  int reap(Request** out, int max, int64_t) override { return done_.pop(out, max); }

 private:
  DoneStack done_;
};

}  // namespace

BackendInfo null_backend() {
  return {"null", "no I/O: the harness's own cost per request, the floor under every other figure",
          {{"default", "completes every request at submission: what iobench itself costs per request"}},
          kCapNoIo, {},
          [] { return std::string(); },
          [](const Target&, const WorkloadSpec& s, unsigned) {
            Fit f{true, "", {"null moves no data: bytes and bandwidth are nominal"}};
            if (s.verify) f.notes.push_back("--verify does not apply to null: nothing is read");
            return f;
          },
          make_engine<NullEngine>};
}

}  // namespace iobench
