// libaio: kernel AIO (io_setup / io_submit / io_getevents). Asynchronous only
// with O_DIRECT on files; buffered AIO completes inside io_submit.
//   getevents  block in io_getevents for at least one completion
//   eventfd    completions signal an eventfd; epoll_wait on it, then reap
//              with a zero-timeout io_getevents
//   poll       readiness: IOCB_CMD_POLL on each channel, then read/write
//              (its own engine)
#include <fcntl.h>
#include <libaio.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <cerrno>
#include <fstream>

#include "backends/backend.h"
#include "backends/common.h"
#include "core/clock.h"
#include "core/errors.h"

namespace iobench {
namespace {

std::string read_proc(const char* path) {
  std::string v;
  std::ifstream(path) >> v;
  return v.empty() ? "?" : v;
}

// The kernel plugs (holds back) the requests of an io_submit with more iocbs
// than this: AIO_PLUG_THRESHOLD in fs/aio.c.
constexpr int kUnplugged = 2;

enum : unsigned { kGetevents, kEventfd, kPoll };  // the variants, in order

io_context_t setup_context(unsigned qd) {
  io_context_t ctx = nullptr;
  const int ret = io_setup(static_cast<int>(qd), &ctx);
  if (ret == -EAGAIN)
    throw RuntimeError("io_setup(" + std::to_string(qd) + ") failed: the system-wide AIO limit is reached (fs.aio-nr " +
                       read_proc("/proc/sys/fs/aio-nr") + " of fs.aio-max-nr " + read_proc("/proc/sys/fs/aio-max-nr") +
                       "); raise it: sysctl -w fs.aio-max-nr=1048576");
  if (ret < 0) throw RuntimeError("io_setup failed: " + errno_text(-ret));
  return ctx;
}

constexpr OptionDecl kBatch{"libaio_batch", "libaio", OptionType::Count, 1, 4096, std::nullopt,
                            "iocbs per io_submit (default: every free slot at once)", "libaio_batch"};

class AioEngine final : public Engine {
 public:
  explicit AioEngine(const EngineConfig& c)
      : ch_(c.target, 1),
        eventfd_mode_(c.variant == kEventfd),
        batch_(static_cast<int>(c.spec.get(kBatch))),
        direct_(c.target.direct()),
        cancels_(c.target.aio_cancels()),
        fdatasync_(c.spec.fsync_kind == WorkloadSpec::FsyncKind::Fdatasync),
        iocbs_(c.qd),
        ptrs_(c.qd),
        events_(c.qd),
        ctx_(setup_context(c.qd)) {
    if (eventfd_mode_) {
      efd_ = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
      epfd_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
      epoll_event ev{};
      ev.events = EPOLLIN;
      if (!efd_ || !epfd_ || ::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, efd_.get(), &ev) != 0)
        throw RuntimeError("libaio:eventfd setup failed: " + errno_text(errno));
    }
  }
  ~AioEngine() override { io_destroy(ctx_); }

  int submit(Request* const* reqs, int n) override {
    for (int i = 0; i < n; ++i) {
      Request* r = reqs[i];
      iocb* cb = &iocbs_[r->slot];
      if (r->op == Op::Read) io_prep_pread(cb, ch_.fd(0, r->op), r->buf, r->len, static_cast<long long>(r->offset));
      else if (r->op == Op::Write) io_prep_pwrite(cb, ch_.fd(0, r->op), r->buf, r->len, static_cast<long long>(r->offset));
      else if (fdatasync_) io_prep_fdsync(cb, ch_.fd(0, r->op));  // IOCB_CMD_FDSYNC
      else io_prep_fsync(cb, ch_.fd(0, r->op));                   // IOCB_CMD_FSYNC
      if (eventfd_mode_) io_set_eventfd(cb, efd_.get());
      cb->data = r;
      ptrs_[static_cast<size_t>(i)] = cb;
    }
    // All free slots in one io_submit, except under O_DIRECT while fewer
    // requests are in flight than would be held back: the kernel plugs an
    // io_submit of more than two iocbs (AIO_PLUG_THRESHOLD, fs/aio.c) and
    // dispatches none of them until the call returns, so a device with
    // little else to do waits while the whole batch is built (0.78-0.87 of
    // fio at qd 32 on virtio-blk here, whose completions come in bursts of
    // the whole queue). Pairs are dispatched as they go. --libaio-batch N
    // fixes the size instead.
    const int size = batch_ ? batch_ : (direct_ && inflight_ < n ? kUnplugged : n);
    int ret = 0;
    while (ret < n) {
      int chunk = std::min(size, n - ret);
      counters_.syscalls++;
      int r = timed_call(reqs + ret, chunk, [&] { return io_submit(ctx_, chunk, ptrs_.data() + ret); });
      if (r == -EAGAIN) break;  // the runner offers the rest again
      if (r < 0) throw RuntimeError("io_submit failed: " + errno_text(-r));
      ch_.ring(reqs + ret, r);
      ret += r;
      if (r < chunk) break;
    }
    inflight_ += ret;
    for (int i = 0; i < ret; ++i) counters_.fsyncs += reqs[i]->op == Op::Fsync;
    counters_.batch(static_cast<uint64_t>(ret));
    return ret;
  }

  // The kernel cancels only a kiocb whose driver installed a cancel
  // function (kiocb_set_cancel_fn) and delivers its event through the ring
  // (-EINPROGRESS, since 4.18); for any other, a file's included, io_cancel
  // says EINVAL, which on a target that installs one means it had completed.
  bool cancel(Request& r) override {
    io_event ev;
    counters_.syscalls++;
    const int ret = io_cancel(ctx_, &iocbs_[r.slot], &ev);
    return ret == -EINPROGRESS || (ret == -EINVAL && cancels_);
  }

  int reap(Request** out, int max, int64_t timeout_ns) override {
    timespec zero{0, 0}, ts{};
    timespec* tp = nullptr;
    if (timeout_ns >= 0) {
      ts = to_timespec(static_cast<uint64_t>(timeout_ns));
      tp = &ts;
    }
    long min_nr = timeout_ns == 0 ? 0 : 1;
    if (eventfd_mode_) {
      // Ask the kernel first: completions may already be waiting.
      counters_.syscalls++;
      int got = getevents(0, max, &zero, out);
      if (got || timeout_ns == 0) return got;
      counters_.syscalls += 2;
      epoll_event ev;
      int k = ::epoll_pwait2(epfd_.get(), &ev, 1, tp, nullptr);
      if (k < 0 && errno != EINTR) throw RuntimeError("epoll_wait failed: " + errno_text(errno));
      uint64_t count;
      if (k > 0 && ::read(efd_.get(), &count, sizeof count) < 0 && errno != EAGAIN)
        throw RuntimeError("eventfd read failed: " + errno_text(errno));
      counters_.syscalls++;
      return getevents(0, max, &zero, out);
    }
    counters_.syscalls++;
    return getevents(min_nr, max, tp, out);
  }


 private:
  int getevents(long min_nr, int max, timespec* tp, Request** out) {
    int got = io_getevents(ctx_, min_nr, max, events_.data(), tp);
    if (got == -EINTR) return 0;
    if (got < 0) throw RuntimeError("io_getevents failed: " + errno_text(-got));
    for (int i = 0; i < got; ++i) {
      auto* r = static_cast<Request*>(events_[static_cast<size_t>(i)].data);
      // res is unsigned long holding a negative errno on failure.
      r->result = static_cast<long>(events_[static_cast<size_t>(i)].res);
      out[i] = r;
    }
    inflight_ -= got;
    return got;
  }

  ChannelSet ch_;
  bool eventfd_mode_;
  int batch_;  // iocbs per io_submit; 0 = all (see submit)
  bool direct_;
  bool cancels_;  // the target's kiocbs can be cancelled (Target::aio_cancels)
  bool fdatasync_;  // --fsync-kind fdatasync
  int inflight_ = 0;
  Fd efd_, epfd_;
  std::vector<iocb> iocbs_;
  std::vector<iocb*> ptrs_;
  std::vector<io_event> events_;
  io_context_t ctx_;
};

// libaio:poll, the readiness model through kernel AIO: one O_NONBLOCK channel
// per request, as poll has; an IOCB_CMD_POLL iocb (one-shot, Linux 4.18) on its
// descriptor stands for poll(2), io_getevents for the wait, and read/write in
// the job thread do the I/O once it says ready. A poll iocb is submitted per
// request, and again when the I/O meets EAGAIN (those with the next wait).
class AioPollEngine final : public Engine {
 public:
  explicit AioPollEngine(const EngineConfig& c)
      : ch_(c.target, c.qd, O_NONBLOCK),
        seekable_(c.target.seekable()),
        spec_(c.spec),
        synced_(c.qd),
        iocbs_(c.qd),
        ptrs_(c.qd),
        events_(c.qd),
        eagain_(counters_.add("eagain")),
        wakeups_(counters_.add("wakeups")),
        ctx_(setup_context(c.qd)) {}
  ~AioPollEngine() override { io_destroy(ctx_); }

  int submit(Request* const* reqs, int n) override {
    ch_.ring(reqs, n);
    for (int i = 0; i < n; ++i) {
      Request* r = reqs[i];
      if (r->op == Op::Fsync) fsync_now(*r, ch_.fd(r->slot, r->op), spec_, counters_, synced_);
      else arm(*r);
    }
    // Submitted at once, unlike a re-arm: the request is issued now, and
    // the kernel reports a channel that is ready already as soon as this returns.
    flush_arms();
    counters_.batch(static_cast<uint64_t>(n));
    return n;
  }

  int reap(Request** out, int max, int64_t timeout_ns) override {
    int n = synced_.pop(out, max);
    if (n) return n;
    flush_arms();  // re-arms after EAGAIN
    timespec ts{};
    if (timeout_ns >= 0) ts = to_timespec(static_cast<uint64_t>(timeout_ns));
    for (;;) {
      counters_.syscalls++;
      const int got = io_getevents(ctx_, timeout_ns == 0 ? 0 : 1, max, events_.data(), timeout_ns < 0 ? nullptr : &ts);
      if (got == -EINTR) return 0;
      if (got < 0) throw RuntimeError("io_getevents failed: " + errno_text(-got));
      wakeups_ += got > 0;
      for (int i = 0; i < got; ++i) {
        auto* r = static_cast<Request*>(events_[static_cast<size_t>(i)].data);
        const auto res = static_cast<long>(events_[static_cast<size_t>(i)].res);
        if (res < 0) throw RuntimeError("IOCB_CMD_POLL failed: " + errno_text(static_cast<int>(-res)));
        if (!io_on_ready(*r, ch_.fd(r->slot, r->op), seekable_, counters_, eagain_)) {
          arm(*r);  // readiness went stale: wait again
          continue;
        }
        out[n++] = r;
      }
      if (n || timeout_ns >= 0) return n;
      flush_arms();
    }
  }

 private:
  void arm(Request& r) {
    iocb* cb = &iocbs_[r.slot];
    io_prep_poll(cb, ch_.fd(r.slot, r.op), r.op == Op::Read ? POLLIN : POLLOUT);
    cb->data = &r;
    ptrs_[armed_++] = cb;
  }

  // One poll iocb per slot, so the context (qd events) always has room:
  // EAGAIN here is the kernel's memory, passing.
  void flush_arms() {
    for (int done = 0; done < armed_;) {
      counters_.syscalls++;
      const int ret = io_submit(ctx_, armed_ - done, ptrs_.data() + done);
      if (ret < 0 && ret != -EAGAIN && ret != -EINTR)
        throw RuntimeError("io_submit (IOCB_CMD_POLL) failed: " + errno_text(-ret));
      if (ret > 0) done += ret;
    }
    armed_ = 0;
  }

  ChannelSet ch_;
  bool seekable_;
  const WorkloadSpec& spec_;
  DoneStack synced_;  // --fsync-every's flushes, done in submit()
  std::vector<iocb> iocbs_;  // by slot: one poll iocb per request
  std::vector<iocb*> ptrs_;  // the armed, not yet submitted
  int armed_ = 0;
  std::vector<io_event> events_;
  uint64_t& eagain_;   // readiness that went stale: the I/O met EAGAIN
  uint64_t& wakeups_;  // waits that brought events
  io_context_t ctx_;
};

// libaio:poll needs IOCB_CMD_POLL (Linux 4.18): one on a pipe made readable
// must complete with POLLIN. IOBENCH_AIO_REFUSE=poll acts as a kernel without it.
std::string poll_unavailable() {
  const char* env = std::getenv("IOBENCH_AIO_REFUSE");
  if (env && std::string_view(env) == "poll") return "the kernel refuses IOCB_CMD_POLL (made to by IOBENCH_AIO_REFUSE)";
  io_context_t ctx = nullptr;
  if (io_setup(1, &ctx) < 0) return "io_setup failed";
  int p[2];
  std::string why = "this kernel lacks IOCB_CMD_POLL (Linux 4.18)";
  if (::pipe2(p, O_CLOEXEC) == 0) {
    iocb cb;
    iocb* ptr = &cb;
    io_prep_poll(&cb, p[0], POLLIN);
    io_event ev;
    timespec never_long{5, 0};
    if (::write(p[1], "x", 1) == 1 && io_submit(ctx, 1, &ptr) == 1 && io_getevents(ctx, 1, 1, &ev, &never_long) == 1 &&
        (static_cast<long>(ev.res) & POLLIN))
      why.clear();
    ::close(p[0]);
    ::close(p[1]);
  }
  io_destroy(ctx);
  return why;
}

}  // namespace

BackendInfo libaio_backend() {
  return {"libaio", "kernel AIO (io_submit / io_getevents); asynchronous with O_DIRECT",
          {{"getevents", "blocks in io_getevents for at least one completion: the direct way"},
           {"eventfd", "completions signal an eventfd that an epoll loop waits on with other descriptors (how an "
                       "event loop uses AIO): two more syscalls per wait"},
           {"poll", "readiness through kernel AIO: an IOCB_CMD_POLL iocb per request (Linux 4.18) reaped with "
                    "io_getevents, then read/write in the job thread; how kernel AIO runs on pipes and character "
                    "devices, streams and devices only",
            poll_unavailable, kCapNone}},
          kCapDirectByDefault | kCapTimedSubmit | kCapCancel, {&kBatch},
          [] {
            io_context_t ctx = nullptr;
            int ret = io_setup(1, &ctx);
            if (ret < 0) return "io_setup failed: " + errno_text(-ret);
            io_destroy(ctx);
            return std::string();
          },
          [](const Target& t, const WorkloadSpec& s, unsigned variant) {
            Fit f;
            if (variant == kPoll)
              return t.always_ready() ? Fit{false, "libaio:poll: regular files and block devices are always ready, "
                                                   "so IOCB_CMD_POLL completes at once and measures nothing of "
                                                   "readiness", {}}
                                      : f;
            if (t.kernel_aio() == KernelAio::Blocks)
              return Fit{false, "libaio is not applicable here: kernel AIO on a pipe or stream runs synchronously "
                                "inside io_submit, which would wait for the data", {}};
            if (t.kernel_aio() == KernelAio::Inline)
              f.notes.push_back("libaio on a buffered file: the kernel completes buffered AIO inside io_submit, "
                                "so this measures a synchronous path (use --direct for asynchronous AIO)");
            if (t.direct() && s.qd > kUnplugged && !s.given(kBatch))
              f.notes.push_back("libaio submits every free slot in one io_submit, but in pairs while fewer are in "
                                "flight: the kernel dispatches nothing from an io_submit of more than two iocbs until "
                                "it returns (--libaio-batch N fixes the size)");
            return f;
          },
          [](const EngineConfig& c) {
            return c.variant == kPoll ? make_engine<AioPollEngine>(c) : make_engine<AioEngine>(c);
          }};
}

}  // namespace iobench
