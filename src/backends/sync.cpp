// sync: blocking pread/pwrite.
//   default  qd threads, one request in flight each: the runner gives each
//            thread its own engine and descriptor
//   nowait   one job thread: preadv2/pwritev2(RWF_NOWAIT) first; a request
//            that would block (EAGAIN) goes to one of qd worker threads that
//            issues it blocking (the hybrid thread-pool server)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "backends/backend.h"
#include "backends/common.h"
#include "core/clock.h"
#include "core/errors.h"

namespace iobench {
namespace {

constexpr unsigned kNowait = 1;  // variant index: default, nowait

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
      if (r->timed) r->end_ns = now_ns();
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

void futex_wait(std::atomic<uint32_t>& word, uint32_t seen, const timespec* ts) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, seen, ts, nullptr, 0);
}
void futex_wake(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

// A descriptor per slot, as sync's threads each have their own (on the
// driver each open file is a channel that serves one block at a time).
// Worker i serves only slot i, which has at most one request in flight: a
// mailbox per slot, no queue and no lock. The job posts a request and wakes
// its worker; the worker runs it blocking, flags the slot done and wakes the
// job (ready_ counts the flags, as posixaio:thread does).
class NowaitEngine final : public Engine {
 public:
  explicit NowaitEngine(const EngineConfig& c)
      : spec_(c.spec), ch_(c.target, c.qd), seekable_(c.target.seekable()), done_(c.qd), boxes_(c.qd),
        inline_(counters_.add("nowait_inline")), fallback_(counters_.add("nowait_fallback")) {
    workers_.reserve(c.qd);
    for (unsigned i = 0; i < c.qd; ++i) workers_.emplace_back([this, i] { serve(boxes_[i]); });
  }

  ~NowaitEngine() override {
    for (auto& b : boxes_) {
      b.state.store(kQuit, std::memory_order_release);
      futex_wake(b.state);
    }
    for (auto& t : workers_) t.join();
  }

  int submit(Request* const* reqs, int n) override {
    for (int i = 0; i < n; ++i) {
      Request* r = reqs[i];
      ch_.ring(reqs + i, 1);
      if (r->op != Op::Fsync) {
        iovec iov{r->buf, r->len};
        const off_t off = seekable_ ? static_cast<off_t>(r->offset) : -1;
        counters_.syscalls++;
        const ssize_t got = r->op == Op::Read ? ::preadv2(ch_.fd(r->slot, r->op), &iov, 1, off, RWF_NOWAIT)
                                              : ::pwritev2(ch_.fd(r->slot, r->op), &iov, 1, off, RWF_NOWAIT);
        // EAGAIN: it would block; EOPNOTSUPP: this file cannot say (then every request falls back).
        if (got >= 0 || (errno != EAGAIN && errno != EOPNOTSUPP)) {
          r->result = got >= 0 ? got : -errno;
          if (r->timed) r->end_ns = now_ns();
          done_.push(r);
          continue;
        }
        if (errno == EOPNOTSUPP && !unsupported_noted_) {
          unsupported_noted_ = true;
          notes_.push_back("sync:nowait: the target refuses RWF_NOWAIT (EOPNOTSUPP): every request went to the "
                           "worker threads");
        }
      }
      // The flush, and every request that would block, go to the slot's worker.
      Box& b = boxes_[r->slot];
      b.req = r;
      counters_.fsyncs += r->op == Op::Fsync;
      b.state.store(kWork, std::memory_order_release);
      futex_wake(b.state);
      counters_.syscalls++;
    }
    counters_.batch(static_cast<uint64_t>(n));
    return n;
  }

  // Counted as they complete, so inline + fallback = the requests completed.
  int reap(Request** out, int max, int64_t timeout_ns) override {
    int n = done_.pop(out, max);
    inline_ += static_cast<uint64_t>(n);
    if (n == 0 && ready_.load(std::memory_order_acquire) == 0 && timeout_ns != 0) {
      const timespec ts = to_timespec(static_cast<uint64_t>(std::max<int64_t>(timeout_ns, 0)));
      counters_.syscalls++;
      futex_wait(ready_, 0, timeout_ns < 0 ? nullptr : &ts);
    }
    int taken = 0;
    for (size_t i = 0; i < boxes_.size() && n < max && ready_.load(std::memory_order_acquire); ++i)
      if (boxes_[i].state.load(std::memory_order_acquire) == kDone) {
        boxes_[i].state.store(kIdle, std::memory_order_relaxed);
        out[n++] = boxes_[i].req;
        fallback_ += boxes_[i].req->op != Op::Fsync;
        ++taken;
      }
    ready_.fetch_sub(static_cast<uint32_t>(taken), std::memory_order_relaxed);
    return n;
  }

 private:
  enum : uint32_t { kIdle, kWork, kDone, kQuit };
  struct alignas(64) Box {
    std::atomic<uint32_t> state{kIdle};
    Request* req = nullptr;
  };

  void serve(Box& b) {
    for (;;) {
      uint32_t s = b.state.load(std::memory_order_acquire);
      if (s == kQuit) return;
      if (s != kWork) {
        futex_wait(b.state, s, nullptr);
        continue;
      }
      Request* r = b.req;
      // No counting here: the job counted the flush it handed over (fsyncs),
      // and the workers' system calls are the helpers' (cpu.helpers_ns).
      r->result = r->op == Op::Fsync ? flush(ch_.fd(r->slot, r->op), spec_) : do_io(ch_.fd(r->slot, r->op), *r, seekable_);
      if (r->timed) r->end_ns = now_ns();
      b.state.store(kDone, std::memory_order_release);
      ready_.fetch_add(1, std::memory_order_release);
      futex_wake(ready_);
    }
  }

  const WorkloadSpec& spec_;
  ChannelSet ch_;
  bool seekable_;
  DoneStack done_;  // completed inline
  std::vector<Box> boxes_;
  std::vector<std::thread> workers_;
  std::atomic<uint32_t> ready_{0};  // boxes flagged done, not yet taken
  uint64_t& inline_;
  uint64_t& fallback_;
  bool unsupported_noted_ = false;
};

}  // namespace

BackendInfo sync_backend() {
  return {"sync", "blocking pread/pwrite; qd > 1 runs qd threads, one request in flight each",
          {{"default", "pread/pwrite in qd threads: the baseline every other model is measured against"},
           {"nowait", "one job thread tries preadv2/pwritev2(RWF_NOWAIT) first; what would block goes to one "
                      "of qd worker threads (the hybrid thread-pool server): cheap when the data is cached",
            nullptr, kCapHelperThreads}},
          kCapOneInFlight, {},
          [] { return std::string(); },
          [](const Target&, const WorkloadSpec& s, unsigned variant) {
            if (s.wait == WorkloadSpec::Wait::Spin && variant != kNowait)
              return Fit{false, "--wait spin: sync blocks inside its read or write; there is no wait to spin on", {}};
            return Fit{};
          },
          [](const EngineConfig& c) {
            return c.variant == kNowait ? make_engine<NowaitEngine>(c) : make_engine<SyncEngine>(c);
          },
          {{"hipri", "since Linux 5.18 the kernel ignores RWF_HIPRI on synchronous direct I/O (block: \"ignore "
                     "RWF_HIPRI hint for sync dio\"), so a polled sync variant would time a hint that does "
                     "nothing; io_uring:iopoll is the polled path"}}};
}

}  // namespace iobench
