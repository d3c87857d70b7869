// sigio: signal-driven I/O. Each descriptor gets the three classic steps: a
// handler (or a blocked signal to wait for), F_SETOWN_EX to the job's thread,
// and O_ASYNC; F_SETSIG picks a real-time signal so each notification carries
// si_fd and si_band. Variants:
//   waitinfo  the signal stays blocked; the job takes it with sigtimedwait
//   handler   a sigaction handler records si_fd in thread-local, async-signal-
//             safe state; the job sleeps in ppoll (a timed sigsuspend) and
//             does the I/O outside the handler
// When the real-time signal queue overflows the kernel sends plain SIGIO
// instead: the job then retries every pending descriptor (counted as
// sigio_overflows); a completion only ever comes from a successful read or
// write, so nothing is lost or counted twice.
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "backends/backend.h"
#include "backends/common.h"
#include "core/clock.h"
#include "core/errors.h"

namespace iobench {
namespace {

// What the handler variant's handler may touch: plain data, thread-local
// (initial-exec in the executable), written only while the job sleeps in ppoll.
struct SignalLog {
  static constexpr int kCap = 8192;
  static constexpr int kStamps = 64;  // --trace: the first handler runs of a wait, timed
  volatile sig_atomic_t count = 0;
  volatile sig_atomic_t overflow = 0;
  volatile sig_atomic_t stamp = 0;  // the job is being traced
  int fds[kCap];
  uint64_t t_in[kStamps], t_out[kStamps];
};
thread_local SignalLog tls_log;

void on_signal(int signo, siginfo_t* info, void*) {
  SignalLog& log = tls_log;
  // clock_gettime is async-signal-safe.
  const uint64_t t_in = log.stamp ? now_ns() : 0;
  if (signo == SIGIO || log.count >= SignalLog::kCap) {
    log.overflow = 1;
    return;
  }
  const int i = log.count;
  log.fds[i] = info->si_fd;
  if (log.stamp && i < SignalLog::kStamps) {
    log.t_in[i] = t_in;
    log.t_out[i] = now_ns();
  }
  log.count = i + 1;
}

constexpr unsigned kHandler = 1;  // variant index: waitinfo, handler

int signal_for_job(unsigned job) { return SIGRTMIN + 1 + static_cast<int>(job % static_cast<unsigned>(SIGRTMAX - SIGRTMIN - 1)); }

class SigioEngine final : public Engine {
 public:
  explicit SigioEngine(const EngineConfig& c)
      : handler_mode_(c.variant == kHandler),
        ch_(c.target, c.qd, O_NONBLOCK),
        seekable_(c.target.seekable()),
        spec_(c.spec),
        synced_(c.qd),
        pending_(c.qd, nullptr),
        ready_(c.qd * 2, 1),
        overflows_(counters_.add("sigio_overflows")),
        eagain_(counters_.add("eagain")) {
    signo_ = signal_for_job(c.job);
    sigemptyset(&wait_set_);
    sigaddset(&wait_set_, signo_);
    sigaddset(&wait_set_, SIGIO);
    if (handler_mode_) {
      // Dispositions are the process's, not the engine's: installed and
      // never put back, since another job's engine may still sleep with them
      // unblocked (restoring SIG_DFL for SIGIO when one job finished killed
      // the process when the other took an overflow SIGIO). The handler only
      // runs where a handler-mode engine unblocks the signals, in its ppoll.
      struct sigaction sa {};
      sa.sa_sigaction = on_signal;
      sa.sa_flags = SA_SIGINFO | SA_RESTART;
      sigemptyset(&sa.sa_mask);
      if (sigaction(signo_, &sa, nullptr) != 0 || sigaction(SIGIO, &sa, nullptr) != 0)
        throw RuntimeError("sigaction failed: " + errno_text(errno));
      // ppoll runs with everything the thread blocks except our two signals.
      pthread_sigmask(SIG_BLOCK, nullptr, &sleep_mask_);
      sigdelset(&sleep_mask_, signo_);
      sigdelset(&sleep_mask_, SIGIO);
      tls_log.count = 0;
      tls_log.overflow = 0;
    }
    f_owner_ex owner{F_OWNER_TID, static_cast<pid_t>(syscall(SYS_gettid))};
    for (size_t i = 0; i < ch_.size(); ++i) {
      for (bool w : {false, true}) {
        if (w && !ch_[i].wr) break;
        int fd = ch_[i].fd(w);
        if (fd >= static_cast<int>(slot_of_fd_.size())) slot_of_fd_.resize(static_cast<size_t>(fd) + 1, -1);
        slot_of_fd_[static_cast<size_t>(fd)] = static_cast<int>(i);
        int fl = ::fcntl(fd, F_GETFL);
        if (::fcntl(fd, F_SETOWN_EX, &owner) != 0 || ::fcntl(fd, F_SETSIG, signo_) != 0 ||
            ::fcntl(fd, F_SETFL, fl | O_ASYNC | O_NONBLOCK) != 0)
          throw RuntimeError("sigio: setting up O_ASYNC on a descriptor failed: " + errno_text(errno));
      }
    }
  }

  ~SigioEngine() override {
    for (size_t i = 0; i < ch_.size(); ++i)
      for (bool w : {false, true}) {
        if (w && !ch_[i].wr) break;
        int fd = ch_[i].fd(w);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_ASYNC);
      }
    // Signals queued for us and never taken must not outlive the engine.
    timespec zero{0, 0};
    siginfo_t info;
    while (sigtimedwait(&wait_set_, &info, &zero) > 0) {
    }
  }

  int submit(Request* const* reqs, int n) override {
    for (int i = 0; i < n; ++i) {
      Request* r = reqs[i];
      if (r->op == Op::Fsync) fsync_now(*r, ch_.fd(r->slot, r->op), spec_, counters_, synced_);  // no signal tells of it
      else pending_[r->slot] = r;
    }
    ch_.ring(reqs, n);
    counters_.batch(static_cast<uint64_t>(n));
    return n;
  }

  int reap(Request** out, int max, int64_t timeout_ns) override {
    int n = synced_.pop(out, max);
    if (!n) n = try_ready(out, max);
    if (n) return n;
    // A zero timeout still takes what is queued (--wait spin looks this way).
    handler_mode_ ? wait_handler(timeout_ns) : wait_info(timeout_ns);
    return try_ready(out, max);
  }


 private:
  void mark(int fd, long band) {
    if (fd < 0 || fd >= static_cast<int>(slot_of_fd_.size()) || slot_of_fd_[static_cast<size_t>(fd)] < 0) return;
    auto slot = static_cast<size_t>(slot_of_fd_[static_cast<size_t>(fd)]);
    if (band & (POLLIN | POLLERR | POLLHUP)) ready_[slot * 2] = 1;
    if (band & (POLLOUT | POLLERR | POLLHUP)) ready_[slot * 2 + 1] = 1;
  }

  void overflowed() {
    overflows_++;
    std::fill(ready_.begin(), ready_.end(), 1);  // rescan everything
  }

  void wait_info(int64_t timeout_ns) {
    siginfo_t info;
    timespec ts = to_timespec(static_cast<uint64_t>(std::max<int64_t>(timeout_ns, 0)));
    counters_.syscalls++;
    int s = sigtimedwait(&wait_set_, &info, timeout_ns < 0 ? nullptr : &ts);
    timespec zero{0, 0};
    // Take everything already queued in the same pass.
    while (s > 0) {
      if (s == SIGIO) {
        overflowed();
      } else {
        if (tracing()) {
          const uint64_t t = now_ns();
          traced(trace::Kind::Signal, t, t);
        }
        counters_.signals++;
        mark(info.si_fd, info.si_band);
      }
      counters_.syscalls++;
      s = sigtimedwait(&wait_set_, &info, &zero);
    }
  }

  void wait_handler(int64_t timeout_ns) {
    timespec ts = to_timespec(static_cast<uint64_t>(std::max<int64_t>(timeout_ns, 0)));
    counters_.syscalls++;
    SignalLog& log = tls_log;
    log.stamp = tracing();
    ::ppoll(nullptr, 0, timeout_ns < 0 ? nullptr : &ts, &sleep_mask_);
    // The signals are blocked again: the log is ours to read.
    if (log.stamp)
      for (int i = 0; i < log.count && i < SignalLog::kStamps; ++i) {
        traced(trace::Kind::Signal, log.t_in[i], log.t_in[i]);
        traced(trace::Kind::Handler, log.t_in[i], log.t_out[i]);
      }
    for (int i = 0; i < log.count; ++i) mark(log.fds[i], POLLIN | POLLOUT);  // the I/O tells which
    counters_.signals += static_cast<uint64_t>(log.count);
    if (log.overflow) overflowed();
    log.count = 0;
    log.overflow = 0;
  }

  int try_ready(Request** out, int max) {
    int n = 0;
    for (uint32_t s = 0; s < pending_.size() && n < max; ++s) {
      Request* r = pending_[s];
      if (!r || !ready_[s * 2 + (r->op == Op::Write)]) continue;
      // Every arrival raises its own signal, so a used-up notification can be
      // dropped now: no extra read just to meet EAGAIN (unlike epoll-et).
      ready_[s * 2 + (r->op == Op::Write)] = 0;
      if (!io_on_ready(*r, ch_.fd(s, r->op), seekable_, counters_, eagain_)) continue;
      pending_[s] = nullptr;
      out[n++] = r;
    }
    return n;
  }

  bool handler_mode_;
  ChannelSet ch_;
  bool seekable_;
  const WorkloadSpec& spec_;
  DoneStack synced_;  // --fsync-every's flushes, done in submit()
  std::vector<Request*> pending_;
  std::vector<uint8_t> ready_;  // [slot*2 + write]: a notification not yet used up
  std::vector<int> slot_of_fd_;
  int signo_ = 0;
  sigset_t wait_set_{}, sleep_mask_{};
  uint64_t& overflows_;  // the real-time queue overflowed: plain SIGIO, every descriptor retried
  uint64_t& eagain_;
};

}  // namespace

BackendInfo sigio_backend() {
  return {"sigio", "signal-driven I/O: O_ASYNC + F_SETSIG real-time signals, one descriptor per request",
          {{"waitinfo", "the signal stays blocked and is taken with sigtimedwait: no handler, one syscall per "
                        "notification"},
           {"handler", "a sigaction handler logs the descriptor while the job sleeps in ppoll: the classic "
                       "signal-driven program, with a signal delivery per notification"}},
          kCapNone, {},
          [] { return std::string(); },
          [](const Target& t, const WorkloadSpec&, unsigned) {
            if (t.always_ready())
              return Fit{false, "regular files do not raise SIGIO", {}};
            return Fit{};
          },
          make_engine<SigioEngine>};
}

}  // namespace iobench
