#pragma once
// SIGINT/SIGTERM/SIGHUP: blocked in every thread (the mask is inherited), and
// taken synchronously by the coordinating thread with sigtimedwait while it
// waits for the run. Their handler only forwards one that lands on a thread
// some library started with every signal unblocked (glibc's SIGEV_THREAD
// notifications) to the coordinating thread. One ignored by inheritance
// (nohup, a shell's background job) stays ignored.
#include <csignal>
#include <cstdint>

namespace iobench {

class StopSignal {
 public:
  // Must be constructed before any thread is started. Also blocks the
  // real-time signals, for the backends that take completions as signals.
  StopSignal();
  // Sleeps up to `ns`, returning early (true) when SIGINT, SIGTERM or SIGHUP arrives.
  bool wait(uint64_t ns);
  bool poll() { return wait(0); }
  bool received() const { return signo_ != 0; }
  // A stop signal waits to be taken, for work that has no StopSignal at
  // hand (a target's layout) and throws Stopped on it; left pending for wait().
  static bool pending();
  int exit_code() const { return 128 + signo_; }

 private:
  sigset_t set_;
  int signo_ = 0;
};

}  // namespace iobench
