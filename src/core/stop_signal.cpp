#include "core/stop_signal.h"

#include <pthread.h>

#include <cerrno>
#include <ctime>

#include "core/clock.h"

namespace iobench {

StopSignal::StopSignal() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGHUP);  // the terminal closed: stop and keep what was measured
  // Real-time signals carry completions (posixaio:signal, sigio) and are taken
  // with sigwaitinfo by the thread they are meant for; blocked everywhere, so
  // a process-directed one never lands in (and kills) another thread.
  // SIGIO too: the kernel's fallback when the real-time queue overflows.
  sigset_t all = set_;
  for (int s = SIGRTMIN; s <= SIGRTMAX; ++s) sigaddset(&all, s);
  sigaddset(&all, SIGIO);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

bool StopSignal::wait(uint64_t ns) {
  if (signo_) return true;
  timespec ts = to_timespec(ns);
  int s;
  do {
    s = sigtimedwait(&set_, nullptr, &ts);
  } while (s < 0 && errno == EINTR);
  if (s > 0) signo_ = s;
  return signo_ != 0;
}

bool StopSignal::pending() {
  sigset_t p;
  if (sigpending(&p) != 0) return false;
  return sigismember(&p, SIGINT) == 1 || sigismember(&p, SIGTERM) == 1 || sigismember(&p, SIGHUP) == 1;
}

}  // namespace iobench
