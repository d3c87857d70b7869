// posixaio: glibc POSIX aio. glibc runs each request with pread/pwrite in a
// helper thread and keeps one queue per descriptor, so requests on one fd are
// served one at a time; --posixaio-fds spreads the slots over more fds.
//   suspend  aio_suspend on the in-flight list
//   poll     spin on aio_error
//   signal   SIGEV_SIGNAL with a real-time signal per job, taken with sigtimedwait
//   thread   SIGEV_THREAD: glibc calls back on a new thread, which flags the slot
//   listio   submission of whole batches with lio_listio(LIO_NOWAIT)
#include <aio.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>

#include "backends/backend.h"
#include "backends/common.h"
#include "core/clock.h"
#include "core/errors.h"

namespace iobench {
namespace {

enum class Mode { Suspend, Poll, Signal, Thread, ListIo };  // the order of the variants below

constexpr OptionDecl kFds{"posixaio_fds", "posixaio", OptionType::Count, 1, 4096, 1,
                          "spread requests over N descriptors (glibc serialises per fd)", "posixaio_fds"};
constexpr OptionDecl kThreads{"posixaio_threads", "posixaio", OptionType::Count, 1, 1024, std::nullopt,
                              "glibc aio_init helper threads", "posixaio_threads"};

// Real-time signals for posixaio:signal: one per job, because glibc sends a
// process-directed signal and only the job that owns the request may take it.
// SIGRTMIN itself is left alone (other libraries like to use it).
int signal_for_job(unsigned job) { return SIGRTMIN + 1 + static_cast<int>(job); }
unsigned max_signal_jobs() { return static_cast<unsigned>(SIGRTMAX - SIGRTMIN - 1); }

class PosixAioEngine;

struct Slot {
  aiocb cb;
  PosixAioEngine* engine;
  bool inflight;
  std::atomic<bool> done;  // set by the SIGEV_THREAD callback
};

class PosixAioEngine final : public Engine {
 public:
  explicit PosixAioEngine(const EngineConfig& c)
      : spec_(c.spec),
        mode_(static_cast<Mode>(c.variant)),
        ch_(c.target, std::max({static_cast<unsigned>(c.spec.get(kFds)), c.target.channels_for(c.qd),
                                c.spec.cancels() ? c.qd : 1u})),
        slots_(c.qd), list_(c.qd, nullptr), seq_(c.qd, 0), order_(c.qd), submit_list_(c.qd), requests_(c.qd),
        aio_calls_(counters_.add("aio_calls")) {
    init_glibc(static_cast<unsigned>(c.spec.get(kThreads)));

    if (mode_ == Mode::Signal) {
      signo_ = signal_for_job(c.job);
      sigemptyset(&sigset_);
      sigaddset(&sigset_, signo_);
    }
    for (unsigned i = 0; i < c.qd; ++i) {
      Slot& s = slots_[i];
      std::memset(&s.cb, 0, sizeof s.cb);
      s.engine = this;
      s.inflight = false;
      s.done.store(false);
    }
  }

  ~PosixAioEngine() override {
    // The runner drains before destroying us; this is the safety net for an
    // exception path: glibc must not write into freed aiocbs.
    for (auto& s : slots_)
      if (s.inflight) {
        aio_cancel(s.cb.aio_fildes, &s.cb);
        while (aio_error(&s.cb) == EINPROGRESS) {
          const aiocb* one[1] = {&s.cb};
          aio_suspend(one, 1, nullptr);
        }
      }
    // SIGEV_THREAD callbacks may still be on their way out of notify().
    while (callbacks_.load(std::memory_order_acquire) != thread_submissions_) sched_yield();
  }

  int submit(Request* const* reqs, int n) override {
    for (int i = 0; i < n; ++i) {
      Request* r = reqs[i];
      Slot& s = slots_[r->slot];
      aiocb& cb = s.cb;
      cb.aio_fildes = ch_.fd(r->slot, r->op);  // glibc reads a stream with read() on ESPIPE
      cb.aio_buf = r->buf;
      cb.aio_nbytes = r->len;
      cb.aio_offset = static_cast<off_t>(r->offset);
      cb.aio_lio_opcode = r->op == Op::Read ? LIO_READ : r->op == Op::Write ? LIO_WRITE : LIO_NOP;
      std::memset(&cb.aio_sigevent, 0, sizeof cb.aio_sigevent);
      cb.aio_sigevent.sigev_notify = SIGEV_NONE;
      if (mode_ == Mode::Signal) {
        cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
        cb.aio_sigevent.sigev_signo = signo_;
        cb.aio_sigevent.sigev_value.sival_ptr = r;
      } else if (mode_ == Mode::Thread) {
        cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
        cb.aio_sigevent.sigev_notify_function = &PosixAioEngine::notify;
        cb.aio_sigevent.sigev_value.sival_ptr = &s;
      }
      requests_[r->slot] = r;
      submit_list_[static_cast<size_t>(i)] = &cb;
    }
    int accepted = n;
    // lio_listio has no flush: a batch with an fsync goes request by request.
    const bool any_fsync = std::any_of(reqs, reqs + n, [](const Request* r) { return r->op == Op::Fsync; });
    if (mode_ == Mode::ListIo && !any_fsync) {
      ++aio_calls_;
      if (timed_call(reqs, n, [&] { return lio_listio(LIO_NOWAIT, submit_list_.data(), n, nullptr); }) != 0)
        throw RuntimeError("lio_listio failed: " + errno_text(errno));
    } else {
      const int sync_op = spec_.fsync_kind == WorkloadSpec::FsyncKind::Fdatasync ? O_DSYNC : O_SYNC;
      for (int i = 0; i < n; ++i) {
        aiocb* cb = submit_list_[static_cast<size_t>(i)];
        ++aio_calls_;
        int ret = timed_call(reqs + i, 1, [&] {
          switch (cb->aio_lio_opcode) {
            case LIO_READ: return aio_read(cb);
            case LIO_WRITE: return aio_write(cb);
            default: return aio_fsync(sync_op, cb);
          }
        });
        if (ret != 0 && errno == EAGAIN) {
          accepted = i;
          break;
        }
        if (ret != 0) throw RuntimeError("aio_read/aio_write/aio_fsync failed: " + errno_text(errno));
      }
    }
    for (int i = 0; i < accepted; ++i) counters_.fsyncs += reqs[i]->op == Op::Fsync;
    for (int i = 0; i < accepted; ++i) {
      unsigned slot = reqs[i]->slot;
      slots_[slot].inflight = true;
      list_[slot] = &slots_[slot].cb;
      seq_[slot] = ++next_seq_;
    }
    if (mode_ == Mode::Thread) thread_submissions_ += static_cast<uint64_t>(accepted);
    ch_.ring(reqs, accepted);
    counters_.batch(static_cast<uint64_t>(accepted));
    return accepted;
  }

  // AIO_CANCELED: glibc marks it ECANCELED and notifies as for a completion;
  // AIO_NOTCANCELED (a helper is running it) and AIO_ALLDONE: too late.
  bool cancel(Request& r) override {
    Slot& s = slots_[r.slot];
    ++aio_calls_;
    return aio_cancel(s.cb.aio_fildes, &s.cb) != -1;
  }

  int reap(Request** out, int max, int64_t timeout_ns) override {
    switch (mode_) {
      case Mode::Signal: return reap_signal(out, max, timeout_ns);
      case Mode::Thread: return reap_thread(out, max, timeout_ns);
      case Mode::Poll: return reap_poll(out, max, timeout_ns);
      default: return reap_suspend(out, max, timeout_ns);
    }
  }


 private:
  // Collects every finished in-flight slot (up to max).
  int scan(Request** out, int max) {
    int n = 0;
    for (size_t i = 0; i < slots_.size() && n < max; ++i) {
      Slot& s = slots_[i];
      if (!s.inflight) continue;
      int e = aio_error(&s.cb);
      if (e == EINPROGRESS) continue;
      take(i, e, out[n++]);
    }
    return n;
  }

  void take(size_t slot, int err, Request*& out) {
    Slot& s = slots_[slot];
    ssize_t ret = aio_return(&s.cb);
    Request* r = requests_[slot];
    r->result = err ? -static_cast<int64_t>(err) : ret;
    if (err == ECANCELED) ch_.withdraw(*r);
    s.inflight = false;
    list_[slot] = nullptr;
    out = r;
  }

  int reap_suspend(Request** out, int max, int64_t timeout_ns) {
    int n = scan(out, max);
    if (n || timeout_ns == 0) return n;
    timespec ts = to_timespec(static_cast<uint64_t>(std::max<int64_t>(timeout_ns, 0)));
    ++aio_calls_;
    if (ch_.size() > 1) {  // descriptors finish in any order: wait on all
      if (aio_suspend(list_.data(), static_cast<int>(list_.size()), timeout_ns < 0 ? nullptr : &ts) != 0 &&
          errno != EAGAIN && errno != EINTR)
        throw RuntimeError("aio_suspend failed: " + errno_text(errno));
      return scan(out, max);
    }
    // One descriptor: glibc serves it in submission order, one request at a
    // time, so the request to wait for can be chosen. Each wake costs glibc's
    // helper a futex wake and, as the job hurries to resubmit, a fight over
    // glibc's one request mutex, while the device stays busy as long as the
    // queue is not empty. So with the queue full, sleep until a quarter of it
    // has completed (fio's iodepth_low idea); below that, until the oldest
    // completes. One entry also keeps aio_suspend cheap: it links a waiter
    // into every request it is given.
    const size_t low = slots_.size() - slots_.size() / 4;
    size_t n_in = 0;
    for (size_t i = 0; i < slots_.size(); ++i)
      if (list_[i]) order_[n_in++] = {seq_[i], i};
    if (n_in == 0) return 0;
    const size_t k = n_in > low ? n_in - low - 1 : 0;  // 0-based rank in submission order
    std::nth_element(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(k),
                     order_.begin() + static_cast<std::ptrdiff_t>(n_in));
    const aiocb* wait_for[1] = {list_[order_[k].second]};
    if (aio_suspend(wait_for, 1, timeout_ns < 0 ? nullptr : &ts) != 0 && errno != EAGAIN && errno != EINTR)
      throw RuntimeError("aio_suspend failed: " + errno_text(errno));
    return scan(out, max);
  }

  int reap_poll(Request** out, int max, int64_t timeout_ns) {
    uint64_t deadline = timeout_ns < 0 ? UINT64_MAX : now_ns() + static_cast<uint64_t>(timeout_ns);
    for (;;) {
      int n = scan(out, max);
      if (n || now_ns() >= deadline) return n;
    }
  }

  int reap_signal(Request** out, int max, int64_t timeout_ns) {
    int n = 0;
    while (n < max) {
      siginfo_t info;
      timespec ts = to_timespec(static_cast<uint64_t>(n ? 0 : std::max<int64_t>(timeout_ns, 0)));
      counters_.syscalls++;
      int s = sigtimedwait(&sigset_, &info, (n || timeout_ns >= 0) ? &ts : nullptr);
      if (s < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        throw RuntimeError("sigtimedwait failed: " + errno_text(errno));
      }
      counters_.signals++;
      if (tracing()) {
        const uint64_t t = now_ns();
        traced(trace::Kind::Signal, t, t);
      }
      auto* r = static_cast<Request*>(info.si_value.sival_ptr);
      // The signal is sent after the result is stored, so aio_error is final.
      take(r->slot, aio_error(&slots_[r->slot].cb), out[n++]);
    }
    return n;
  }

  int reap_thread(Request** out, int max, int64_t timeout_ns) {
    if (ready_.load(std::memory_order_acquire) == 0 && timeout_ns != 0) {
      timespec ts = to_timespec(static_cast<uint64_t>(std::max<int64_t>(timeout_ns, 0)));
      counters_.syscalls++;
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&ready_), FUTEX_WAIT_PRIVATE, 0u,
              timeout_ns < 0 ? nullptr : &ts, nullptr, 0);
    }
    int n = 0;
    for (size_t i = 0; i < slots_.size() && n < max; ++i) {
      Slot& s = slots_[i];
      if (s.inflight && s.done.exchange(false, std::memory_order_acquire)) {
        take(i, aio_error(&s.cb), out[n++]);
        counters_.signals++;
      }
    }
    ready_.fetch_sub(static_cast<uint32_t>(n), std::memory_order_relaxed);
    return n;
  }

  // SIGEV_THREAD callback, on a glibc-made thread: flag the slot, wake the job.
  static void notify(sigval v) {
    auto* s = static_cast<Slot*>(v.sival_ptr);
    PosixAioEngine* e = s->engine;
    s->done.store(true, std::memory_order_release);
    e->ready_.fetch_add(1, std::memory_order_release);
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&e->ready_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    e->callbacks_.fetch_add(1, std::memory_order_release);
  }

  static void init_glibc(unsigned threads) {
    static std::once_flag once;
    std::call_once(once, [threads] {
      if (!threads) return;
      aioinit init{};
      init.aio_threads = static_cast<int>(threads);
      init.aio_num = static_cast<int>(threads) * 4;
      init.aio_idle_time = 1;
      aio_init(&init);
    });
  }

  const WorkloadSpec& spec_;
  Mode mode_;
  ChannelSet ch_;
  std::vector<Slot> slots_;
  std::vector<const aiocb*> list_;    // in flight, by slot (nullptr = free)
  std::vector<uint64_t> seq_;         // submission order, by slot
  std::vector<std::pair<uint64_t, size_t>> order_;  // scratch: (seq, slot) of those in flight
  uint64_t next_seq_ = 0;
  std::vector<aiocb*> submit_list_;
  std::vector<Request*> requests_;    // by slot
  int signo_ = 0;
  sigset_t sigset_{};
  std::atomic<uint32_t> ready_{0};
  std::atomic<uint64_t> callbacks_{0};
  uint64_t thread_submissions_ = 0;  // each gets exactly one callback
  uint64_t& aio_calls_;  // glibc aio library calls (their system calls run in glibc's helpers)
};

}  // namespace

BackendInfo posixaio_backend() {
  return {"posixaio", "glibc POSIX aio (aio_read / aio_write served by glibc helper threads)",
          {{"suspend", "aio_suspend on the requests in flight: the usual way to wait"},
           {"poll", "spins on aio_error: no sleep and the shortest notification delay, for a whole CPU"},
           {"signal", "SIGEV_SIGNAL: a real-time signal per completion, taken with sigtimedwait"},
           {"thread", "SIGEV_THREAD: glibc calls a function on a thread it starts per completion (costly)"},
           {"listio", "lio_listio(LIO_NOWAIT) submits each batch in one call; waits like suspend"}},
          kCapTimedSubmit | kCapHelperThreads | kCapCancel, {&kFds, &kThreads},
          [] { return std::string(); },
          [](const Target& t, const WorkloadSpec& s, unsigned variant) {
            Fit f;
            const auto mode = static_cast<Mode>(variant);
            if (mode == Mode::Signal && s.jobs > max_signal_jobs())
              return Fit{false, "posixaio:signal uses one real-time signal per job: at most " +
                                    std::to_string(max_signal_jobs()) + " jobs",
                         {}};
            // Each request in flight is one queued signal; past the user's
            // limit the kernel drops them, and a completion whose signal was
            // dropped is never seen: the run would wait for it forever.
            if (rlimit lim{}; mode == Mode::Signal && getrlimit(RLIMIT_SIGPENDING, &lim) == 0 &&
                lim.rlim_cur != RLIM_INFINITY && uint64_t{s.qd} * s.jobs > lim.rlim_cur)
              return Fit{false, "posixaio:signal queues a real-time signal per request in flight: qd x jobs = " +
                                    std::to_string(uint64_t{s.qd} * s.jobs) + " is more than RLIMIT_SIGPENDING (" +
                                    std::to_string(lim.rlim_cur) + "), so completions would be lost; raise "
                                    "ulimit -i or lower --qd",
                         {}};
            if (s.cancels() && s.qd > 1 && t.channels_for(s.qd) == 1)
              f.notes.push_back("posixaio cancels on one descriptor per slot: glibc's aio_cancel of a request waiting "
                                "first in a descriptor's queue strands the requests queued behind it (they never run; "
                                "docs/backends.md), so no request here ever waits behind another");
            const uint64_t fds = s.cancels() ? s.qd : s.get(kFds);
            if (fds == 1 && s.qd > 1 && t.channels_for(s.qd) == 1)
              f.notes.push_back("glibc aio serialises requests on one descriptor: with 1 fd at most one request is "
                                "in service at a time (spread them with --posixaio-fds N)");
            if (fds == 1 && s.qd >= 4 && t.channels_for(s.qd) == 1 && (mode == Mode::Suspend || mode == Mode::ListIo))
              f.notes.push_back(std::string(mode == Mode::Suspend ? "posixaio:suspend" : "posixaio:listio") +
                                " on one descriptor sleeps until a quarter of a full queue "
                                "has completed (the queue stays busy meanwhile); completions are timed when it wakes");
            f.notes.push_back("posixaio I/O runs in glibc helper threads: their system calls are not in "
                              "counters.syscalls (aio_calls counts library calls); their CPU time is in cpu");
            return f;
          },
          make_engine<PosixAioEngine>};
}

}  // namespace iobench
