// A test-only backend made by the recipe in docs/architecture.md ("Add a
// backend", "Add a backend option"): one file that returns a BackendInfo with
// its variants, its option and an Engine. "echo" reads synchronously inside
// submit, accepting at most --echo-max-batch requests per call (the runner
// offers the rest again), and counts what it refused under its own name.
#include "backends/common.h"
#include "recipes.h"

namespace iobench::recipes {
namespace {

enum class Mode { Plain, Reverse };  // the order of the variants below

constexpr OptionDecl kMaxBatch{"echo_max_batch", "echo", OptionType::Count, 1, 4096, 4096,
                               "requests accepted per submit", "echo_max_batch"};

class EchoEngine final : public Engine {
 public:
  explicit EchoEngine(const EngineConfig& c)
      : spec_(c.spec), ch_(c.target, 1), mode_(static_cast<Mode>(c.variant)), max_batch_(static_cast<int>(c.spec.get(kMaxBatch))),
        done_(c.qd), refused_(counters_.add("refused")) {}

  int submit(Request* const* reqs, int n) override {
    const int take = std::min(n, max_batch_);
    refused_ += static_cast<uint64_t>(n - take);
    for (int k = 0; k < take; ++k) {
      Request* r = reqs[mode_ == Mode::Reverse ? take - 1 - k : k];
      // --fsync-every's flush is a request too (Op::Fsync).
      r->result = r->op == Op::Fsync ? do_fsync(ch_.fd(r->slot, r->op), spec_, counters_)
                                     : do_io(ch_.fd(r->slot, r->op), *r, true);
      done_.push(r);
    }
    counters_.syscalls += static_cast<uint64_t>(take);
    counters_.batch(static_cast<uint64_t>(take));
    return take;
  }
  int reap(Request** out, int max, int64_t) override { return done_.pop(out, max); }

 private:
  const WorkloadSpec& spec_;
  ChannelSet ch_;
  Mode mode_;
  int max_batch_;
  DoneStack done_;
  uint64_t& refused_;
};

}  // namespace

BackendInfo echo_backend() {
  return {"echo", "synchronous reads inside submit, a limited batch at a time",
          {{"plain", "in the order given"}, {"reverse", "each batch backwards"}},
          kCapNone, {&kMaxBatch},
          [] { return std::string(); },
          [](const Target&, const WorkloadSpec&, unsigned) { return Fit{}; },
          make_engine<EchoEngine>};
}

}  // namespace iobench::recipes
