#include "core/stop_signal.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>

#include "core/clock.h"

namespace iobench {

namespace {

std::atomic<pid_t> g_coordinator{0};

// Runs only on a thread that does not block the stop signals, which iobench
// never starts but glibc does: its SIGEV_THREAD notification threads unblock
// every signal (posixaio:thread). There a stop signal was lost (ignored by
// inheritance) or killed the process (default action) with nothing written;
// sent on to the coordinating thread, which blocks it, sigtimedwait takes it.
void forward(int signo) {
  const int saved = errno;
  syscall(SYS_tgkill, getpid(), g_coordinator.load(std::memory_order_relaxed), signo);
  errno = saved;
}

}  // namespace

StopSignal::StopSignal() {
  g_coordinator.store(static_cast<pid_t>(syscall(SYS_gettid)), std::memory_order_relaxed);
  sigemptyset(&set_);
  // SIGHUP is the terminal closing: stop and keep what was measured. A stop
  // signal ignored by inheritance (nohup's SIGHUP, SIGINT of a shell's
  // background job) stays ignored: that was asked for.
  for (int s : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (sigaction(s, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaddset(&set_, s);
    struct sigaction sa {};
    sa.sa_handler = forward;
    sa.sa_flags = SA_RESTART;
    sigfillset(&sa.sa_mask);
    sigaction(s, &sa, nullptr);
  }
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
