// io_uring through liburing. Variants differ in how requests go in and come out:
//   default  io_uring_submit, then wait for and take one completion at a time
//   batch    submit and wait in one io_uring_enter, take every completion there is
//   sqpoll   a kernel thread polls the SQ: submission usually needs no syscall
//   fixed    registered file and buffers (read_fixed / write_fixed)
//   iopoll   completions are polled from the device (O_DIRECT, poll queues)
//   poll     readiness: POLL_ADD on each channel, then read/write (its own engine)
#include <fcntl.h>
#include <liburing.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "backends/backend.h"
#include "backends/common.h"
#include "core/clock.h"
#include "core/errors.h"

namespace iobench {
namespace {

// Setup flags worth having when the kernel knows them, newest first; each
// attempt drops one so an older kernel still gets the rest.
struct Feature {
  unsigned flag;
  const char* name;
};
constexpr Feature kFeatures[] = {
    {IORING_SETUP_DEFER_TASKRUN, "defer_taskrun"},
    {IORING_SETUP_SINGLE_ISSUER, "single_issuer"},
    {IORING_SETUP_COOP_TASKRUN, "coop_taskrun"},
};

enum class Mode { Default, Batch, Sqpoll, Fixed, Iopoll, Poll };  // the order of the variants below

// IOBENCH_URING_REFUSE=NAME[+NAME...]: this process acts as if the kernel
// refused what NAME stands for (a setup flag, poll-add, poll-multishot), as a
// kernel without it would: the tests' way to see each skip and fallback on a
// kernel that has everything.
bool refused_by_env(std::string_view name) {
  const char* env = std::getenv("IOBENCH_URING_REFUSE");
  if (!env) return false;
  for (std::string_view rest = env; !rest.empty();) {
    const size_t end = rest.find_first_of("+,");
    if (rest.substr(0, end) == name) return true;
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  return false;
}

unsigned base_flags(Mode m) {
  return m == Mode::Sqpoll ? IORING_SETUP_SQPOLL : m == Mode::Iopoll ? IORING_SETUP_IOPOLL : 0;
}

// --uring-setup: bit i is name i of `choices`.
constexpr OptionDecl kSetup{"uring_setup", "io_uring", OptionType::FlagSet, 0, 15, std::nullopt,
                            "setup flags, exactly: none, or coop, single, defer, ring-fd joined by '+' (a list "
                            "sweeps; not given: the best set the kernel accepts)",
                            "uring_setup", false, "coop|single|defer|ring-fd"};
constexpr uint64_t kRingFd = 8;
struct SetupFlag {
  uint64_t bit;
  unsigned flag;      // IORING_SETUP_*; 0 for ring-fd (a registration, not a flag)
  const char* what;   // what the kernel calls it, and since when it has it
};
constexpr SetupFlag kSetupFlags[] = {
    {1, IORING_SETUP_COOP_TASKRUN, "IORING_SETUP_COOP_TASKRUN (Linux 5.19)"},
    {2, IORING_SETUP_SINGLE_ISSUER, "IORING_SETUP_SINGLE_ISSUER (Linux 6.0)"},
    {4, IORING_SETUP_DEFER_TASKRUN, "IORING_SETUP_DEFER_TASKRUN (Linux 6.1; only with SINGLE_ISSUER, not with SQPOLL)"},
    {kRingFd, 0, "io_uring_register_ring_fd (Linux 5.18)"},
};

unsigned setup_flags(uint64_t set) {
  unsigned f = 0;
  for (auto& s : kSetupFlags) f |= (set & s.bit) ? s.flag : 0;
  return f;
}

constexpr OptionDecl kSqpollIdle{"sqpoll_idle", "io_uring:sqpoll", OptionType::Duration, 1'000'000, 60'000'000'000,
                                 1'000'000'000, "kernel SQ thread idle time before it sleeps", "sqpoll_idle_ns"};

// Sets up `ring` for a variant with room for `sqes` submissions: exactly the
// --uring-setup set when one is given (fit() probed it), else the best set the
// kernel accepts. Says in `notes` which flags are in effect.
void setup_ring(io_uring& ring, const EngineConfig& c, Mode mode, unsigned sqes, std::vector<std::string>& notes) {
  io_uring_params p{};
  const unsigned base = base_flags(mode);
  if (mode == Mode::Sqpoll) p.sq_thread_idle = static_cast<unsigned>(c.spec.get(kSqpollIdle) / 1'000'000);
  unsigned entries = 1;
  while (entries < sqes) entries <<= 1;
  int ret = -EINVAL;
  if (c.spec.given(kSetup)) {
    // Exactly the set asked for: never run without one of them.
    const uint64_t set = c.spec.get(kSetup);
    p.flags = base | setup_flags(set);
    if ((ret = io_uring_queue_init_params(entries, &ring, &p)) < 0)
      throw RuntimeError("io_uring setup " + kSetup.flag_set_name(set) + " refused: " + errno_text(-ret));
    if ((set & kRingFd) && io_uring_register_ring_fd(&ring) != 1) {
      io_uring_queue_exit(&ring);
      ring = {};
      throw RuntimeError("io_uring_register_ring_fd refused (it needs Linux 5.18)");
    }
    notes.push_back("io_uring setup: " + kSetup.flag_set_name(set) + " (--uring-setup)");
  }
  // DEFER_TASKRUN needs SINGLE_ISSUER; neither mixes with SQPOLL (the SQ thread issues).
  const size_t first = c.spec.given(kSetup) ? std::size(kFeatures) + 1 : mode == Mode::Sqpoll ? std::size(kFeatures) : 0;
  for (size_t skip = first; skip <= std::size(kFeatures); ++skip) {
    unsigned extra = 0;
    for (size_t i = skip; i < std::size(kFeatures); ++i) extra |= kFeatures[i].flag;
    p.flags = base | extra;
    ret = io_uring_queue_init_params(entries, &ring, &p);
    if (ret != -EINVAL) {
      std::string used;
      for (size_t i = skip; i < std::size(kFeatures); ++i) used += std::string(used.empty() ? "" : ", ") + kFeatures[i].name;
      if (ret == 0 && !used.empty()) notes.push_back("io_uring setup flags used: " + used);
      break;
    }
  }
  if (ret < 0) throw RuntimeError("io_uring_queue_init(" + std::to_string(base) + ") failed: " + errno_text(-ret));
  if (mode == Mode::Sqpoll) notes.push_back("sqpoll idle " + std::to_string(p.sq_thread_idle) + "ms");
}

// A call of the I/O path failed and the run cannot go on. Out of line: the
// functions of every round trip that call it keep their registers free.
[[noreturn, gnu::cold, gnu::noinline]] void call_failed(const char* call, int ret) {
  throw RuntimeError(std::string(call) + " failed: " + errno_text(-ret));
}

// When the queue is empty: waits as the runner asks (timeout_ns < 0: for
// one, 0: only a look, > 0: at most that long); -EAGAIN, -ETIME or -EINTR
// when there is none.
[[gnu::noinline]] int wait_cqe(io_uring& ring, io_uring_cqe** cqe, int64_t timeout_ns, Counters& counters) {
  int ret = -EAGAIN;
  if (timeout_ns == 0 && (ring.flags & IORING_SETUP_DEFER_TASKRUN)) {
    // Deferred completions are posted only when the task enters the
    // kernel: a look (--wait spin) must enter, or it never sees one.
    counters.syscalls++;
    io_uring_get_events(&ring);
    ret = io_uring_peek_cqe(&ring, cqe);
  }
  if (ret == -EAGAIN && timeout_ns != 0) {
    counters.syscalls++;
    if (timeout_ns < 0) {
      ret = io_uring_wait_cqe(&ring, cqe);
    } else {
      const timespec t = to_timespec(static_cast<uint64_t>(timeout_ns));
      __kernel_timespec ts{t.tv_sec, t.tv_nsec};
      ret = io_uring_wait_cqe_timeout(&ring, cqe, &ts);
    }
  }
  return ret;
}
// The next completion, as wait_cqe waits for it.
inline int next_cqe(io_uring& ring, io_uring_cqe** cqe, int64_t timeout_ns, Counters& counters) {
  // What is already in the queue needs no call (at qd 1 on a page-cached
  // file, the request the submit served inline).
  // io_uring_peek_cqe's look, with the common case first: no ring here is
  // CQE32, and a timeout of liburing's own (kernels before 5.11) is left to
  // wait_cqe, whose liburing call takes it off the queue.
  const unsigned head = *ring.cq.khead;
  if (__builtin_expect(io_uring_smp_load_acquire(ring.cq.ktail) != head, 1)) {
    *cqe = &ring.cq.cqes[head & ring.cq.ring_mask];
    if (__builtin_expect((*cqe)->user_data != LIBURING_UDATA_TIMEOUT, 1)) return 0;
  }
  return wait_cqe(ring, cqe, timeout_ns, counters);
}

class UringEngine final : public Engine {
 public:
  explicit UringEngine(const EngineConfig& c)
      : ch_(c.target, c),
        mode_(static_cast<Mode>(c.variant)),
        unseekable_(c.target.seekable() ? 0 : ~__u64{0}),
        fdatasync_(c.spec.fsync_kind == WorkloadSpec::FsyncKind::Fdatasync) {
    // --cancel-pct: a cancel SQE per request may be queued beside it.
    setup_ring(ring_, c, mode_, c.qd * (c.spec.cancels() ? 2 : 1), notes_);
    int ret;
    const bool fixed = mode_ == Mode::Fixed;
    // Every channel's read fd, then its write fd if separate: the table fixed
    // registers. What each slot's SQE names (read at 2 x slot, write at
    // 2 x slot + 1) is an entry's index under fixed, the entry otherwise.
    std::vector<int> fds, base;
    for (size_t i = 0; i < ch_.size(); ++i) {
      base.push_back(static_cast<int>(fds.size()));
      fds.push_back(ch_[i].rd.get());
      if (ch_[i].wr) fds.push_back(ch_[i].wr.get());
    }
    for (uint32_t slot = 0; slot < c.qd; ++slot) {
      const size_t ch = ch_.index(slot);
      for (const int entry : {base[ch], base[ch] + (ch_[ch].wr ? 1 : 0)})
        sqe_fds_.push_back(fixed ? entry : fds[static_cast<size_t>(entry)]);
    }
    sqe_fd_ = hot_table(c, sqe_fds_);
    if (fixed) {
      opcode_[0] = IORING_OP_READ_FIXED;
      opcode_[1] = IORING_OP_WRITE_FIXED;
      sqe_flags_ = IOSQE_FIXED_FILE;
      buf_index_mask_ = 0xffff;
      if ((ret = io_uring_register_files(&ring_, fds.data(), static_cast<unsigned>(fds.size()))) < 0)
        fail_setup("io_uring_register_files failed: " + errno_text(-ret));
      std::vector<iovec> iov(c.qd);
      for (unsigned i = 0; i < c.qd; ++i) iov[i] = {c.slots[i].buf, c.spec.bs};
      if ((ret = io_uring_register_buffers(&ring_, iov.data(), c.qd)) < 0)
        fail_setup("io_uring_register_buffers failed: " + errno_text(-ret) +
                   (ret == -ENOMEM ? " (locked memory limit: raise ulimit -l)" : ""));
    }
  }
  ~UringEngine() override { io_uring_queue_exit(&ring_); }

  int submit(Request* const* reqs, int n) override {
    const int queued = std::min(n, static_cast<int>(io_uring_sq_space_left(&ring_)));
    if (queued <= 0) return 0;
    for (int i = 0; i < queued; ++i) prep(next_sqe(), *reqs[i]);
    // batch leaves the submission to reap(), which enters the kernel once for both.
    if (mode_ != Mode::Batch) enter(reqs, queued);
    ch_.ring(reqs, queued);
    counters_.batch(static_cast<uint64_t>(queued));
    return queued;
  }

  // IORING_OP_ASYNC_CANCEL by the request's user_data. Its own completion
  // (0: found and cancelled, -ENOENT: already done, -EALREADY: running) is
  // taken and dropped by reap; the request's says what happened to it.
  // batch submits it with the request, in order, at its next wait.
  bool cancel(Request& r) override {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) {
      // Full of what the SQ thread has not taken yet (sqpoll): room comes.
      counters_.syscalls++;
      if (mode_ == Mode::Sqpoll) io_uring_sqring_wait(&ring_);
      else io_uring_submit(&ring_);
      if (!(sqe = io_uring_get_sqe(&ring_))) throw RuntimeError("io_uring: no submission queue entry for a cancel");
    }
    io_uring_prep_cancel64(sqe, reinterpret_cast<uintptr_t>(&r), 0);
    io_uring_sqe_set_data(sqe, nullptr);
    if (mode_ != Mode::Batch) {
      if (mode_ != Mode::Sqpoll || (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_NEED_WAKEUP)) counters_.syscalls++;
      if (const int ret = io_uring_submit(&ring_); ret < 0)
        throw RuntimeError("io_uring_submit (cancel) failed: " + errno_text(-ret));
    }
    return true;
  }

  int reap(Request** out, int max, int64_t timeout_ns) override {
    return mode_ == Mode::Default ? reap_one(out, timeout_ns) : reap_many(out, max, timeout_ns);
  }

 private:
  // Apart from reap_one, so default's entry saves no registers it does not use.
  [[gnu::noinline]] int reap_many(Request** out, int max, int64_t timeout_ns) {
    for (;;) {
      int n = reap_once(out, max, timeout_ns);
      // Only cancel completions: a wait for at least one request goes on.
      if (n != kOnlyCancels) return n;
      if (timeout_ns >= 0) return 0;
    }
  }

  static constexpr int kOnlyCancels = -1;

  // default: one completion per wait, taken straight from the queue's head
  // (what reap_once does for max = 1, without the walk over the queue).
  [[gnu::always_inline]] int reap_one(Request** out, int64_t timeout_ns) {
    io_uring_cqe* cqe = nullptr;
    if (const int ret = next_cqe(ring_, &cqe, timeout_ns, counters_); ret < 0) [[unlikely]]
      return no_cqe(ret);
    const bool posted = posted_ != 0;
    posted_ -= posted;
    Request* r = take(*cqe, posted);
    io_uring_cqe_seen(&ring_, cqe);
    if (!r) [[unlikely]]  // a cancel's own completion: a wait for a request goes on
      return timeout_ns >= 0 ? 0 : reap_one_more(out, timeout_ns);
    out[0] = r;
    return 1;
  }
  [[gnu::noinline]] int reap_one_more(Request** out, int64_t timeout_ns) { return reap_one(out, timeout_ns); }

  // A completion's request with its result, and the submit's stamp when the
  // completion was already posted then; nullptr for a cancel's own (0) or a
  // timeout of liburing's own (-1, kernels before 5.11).
  [[gnu::always_inline]] Request* take(const io_uring_cqe& c, bool posted) {
    if (c.user_data + 1 <= 1) [[unlikely]]
      return nullptr;
    auto* r = reinterpret_cast<Request*>(c.user_data);
    if (posted) r->end_ns = posted_ns_;
    r->result = c.res;
    if (c.res < 0) [[unlikely]]
      failed(*r);
    return r;
  }

  // The wait ended with no completion: 0 when it was only a look, a timeout
  // or a signal; a failed wait ends the run.
  static int no_cqe(int ret) {
    if (ret == -EAGAIN || ret == -ETIME || ret == -EINTR) return 0;
    call_failed("io_uring_wait_cqe", ret);
  }

  [[gnu::always_inline]] int reap_once(Request** out, int max, int64_t timeout_ns) {
    io_uring_cqe* cqe = nullptr;
    int ret;
    if (mode_ == Mode::Batch && io_uring_sq_ready(&ring_)) {
      counters_.syscalls++;
      ret = timeout_ns < 0 ? io_uring_submit_and_wait(&ring_, 1) : io_uring_submit(&ring_);
      if (ret < 0 && ret != -EINTR) [[unlikely]]
        call_failed("io_uring_submit_and_wait", ret);
    }
    ret = next_cqe(ring_, &cqe, timeout_ns, counters_);
    if (ret < 0) [[unlikely]]
      return no_cqe(ret);
    int n = 0;
    // The tail read once (io_uring_for_each_cqe reads it again for every
    // completion): what is posted after this look waits for the next.
    const unsigned head = *ring_.cq.khead, tail = io_uring_smp_load_acquire(ring_.cq.ktail);
    unsigned seen = 0;
    for (; head + seen != tail && n < max; ++seen) {
      const io_uring_cqe& c = ring_.cq.cqes[(head + seen) & ring_.cq.ring_mask];  // no CQE32 ring here
      if (Request* r = take(c, seen < posted_)) out[n++] = r;
    }
    posted_ -= std::min(posted_, seen);
    io_uring_cq_advance(&ring_, seen);
    return n || !seen ? n : kOnlyCancels;
  }

  // io_uring_get_sqe where the queue is known to have room (the count above),
  // so the kernel's head need not be read again; no ring here is SQE128.
  io_uring_sqe* next_sqe() { return &ring_.sq.sqes[ring_.sq.sqe_tail++ & ring_.sq.ring_mask]; }

  // One way for every variant, from the tables set up with the ring: no
  // test of the variant, the direction or the target per request.
  void prep(io_uring_sqe* sqe, Request& r) {
    if (r.op == Op::Fsync) [[unlikely]]
      return prep_fsync(sqe, r);
    const unsigned w = r.op == Op::Write;
    io_uring_prep_rw(opcode_[w], sqe, sqe_fd_[r.slot * 2 + w], r.buf, r.len, r.offset | unseekable_);
    sqe->flags = sqe_flags_;
    sqe->buf_index = static_cast<__u16>(r.slot & buf_index_mask_);
    io_uring_sqe_set_data(sqe, &r);
  }

  [[gnu::noinline, gnu::cold]] void prep_fsync(io_uring_sqe* sqe, Request& r) {
    // Not drained or linked: the runner issues it once the writes it
    // covers have completed, so they are already in what it flushes;
    // IOSQE_IO_DRAIN would hold every request behind it for nothing.
    // The channel's write fd where it has one.
    io_uring_prep_fsync(sqe, sqe_fd_[r.slot * 2 + 1], fdatasync_ ? IORING_FSYNC_DATASYNC : 0);
    sqe->flags = sqe_flags_;
    counters_.fsyncs++;
    io_uring_sqe_set_data(sqe, &r);
  }

  // The submission call of every variant but batch, timed (timed_call).
  void enter(Request* const* reqs, int n) {
    if (mode_ != Mode::Sqpoll || (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_NEED_WAKEUP)) counters_.syscalls++;
    // The completion queue is looked at inside the call, before the clock
    // read that ends it: every completion already there was posted before
    // that read, so the read is a true (late) completion stamp for them —
    // at qd 1 on a page-cached file, the request itself, done inline.
    // Taken only when no earlier snapshot is pending, so no completion
    // gets a stamp later than one it already had.
    const bool snap = posted_ == 0;
    uint64_t end = 0;
    const int ret = timed_call(
        reqs, n,
        [&] {
          const int got = io_uring_submit(&ring_);
          if (snap) posted_ = io_uring_cq_ready(&ring_);
          return got;
        },
        &end);
    if (snap) {
      posted_ns_ = end;
      if (!end) posted_ = 0;  // --lat-sample drew none: the call read no clock
    }
    if (ret < 0) [[unlikely]]
      call_failed("io_uring_submit", ret);
  }

  // A request that came back with an error: cancelled (the device takes it
  // back), or refused by a device with no polled queues (the run cannot go on).
  // Not gnu::cold: GCC 12 then laid every successful completion of default's
  // reap out in the function's .cold part too, a jump to a far code page and
  // back per request (objdump; callgrind counted the .cold part once a request).
  [[gnu::noinline]] void failed(Request& r) {
    if (r.result == -ECANCELED) ch_.withdraw(r);
    if (r.result == -EOPNOTSUPP && mode_ == Mode::Iopoll)
      throw RuntimeError("io_uring:iopoll: the device does not support polled I/O (it needs poll queues, "
                         "e.g. nvme.poll_queues=N); use another variant");
  }

  [[noreturn]] void fail_setup(const std::string& msg) {
    io_uring_queue_exit(&ring_);
    ring_ = {};
    throw RuntimeError(msg);
  }

  ChannelSet ch_;
  Mode mode_;
  // -1 as every offset: "the current position", what a stream (pipe) needs.
  __u64 unseekable_;
  bool fdatasync_;  // --fsync-kind fdatasync
  std::vector<int> sqe_fds_;
  const int* sqe_fd_;  // sqe_fds_, or its copy on the arena
  uint8_t opcode_[2] = {IORING_OP_READ, IORING_OP_WRITE};
  uint8_t sqe_flags_ = 0;
  uint32_t buf_index_mask_ = 0;  // fixed: the slot is its registered buffer's index
  unsigned posted_ = 0;     // completions at the head of the queue that were there when a submit returned
  uint64_t posted_ns_ = 0;  // the clock read that ended that submit
  io_uring ring_{};
};

// Whether this kernel takes a multishot POLL_ADD (Linux 5.13): one armed on
// a pipe made readable must post a completion that says more will follow.
bool has_multishot_poll() {
  if (refused_by_env("poll-multishot")) return false;
  io_uring ring;
  if (io_uring_queue_init(2, &ring, 0) < 0) return false;
  int p[2];
  bool yes = false;
  if (::pipe2(p, O_CLOEXEC) == 0) {
    io_uring_prep_poll_multishot(io_uring_get_sqe(&ring), p[0], POLLIN);
    io_uring_cqe* cqe = nullptr;
    if (::write(p[1], "x", 1) == 1 && io_uring_submit_and_wait(&ring, 1) >= 0 && io_uring_peek_cqe(&ring, &cqe) == 0)
      yes = cqe->res > 0 && (cqe->flags & IORING_CQE_F_MORE);
    ::close(p[0]);  // ends the poll: the ring is torn down with it
    ::close(p[1]);
  }
  io_uring_queue_exit(&ring);
  return yes;
}

// io_uring:poll, the readiness model through the ring: one O_NONBLOCK channel
// per request, as poll has; IORING_OP_POLL_ADD on its descriptor stands for
// poll(2), and read/write in the job thread do the I/O once it says ready.
// Multishot (Linux 5.13): one POLL_ADD per descriptor and direction for the
// whole run, each wakeup a completion; as with epoll-et, readiness is
// remembered and the I/O retried until EAGAIN, since wakeups that come
// together post one completion. Single-shot (older kernels): one POLL_ADD per
// request, re-armed when the I/O meets EAGAIN. Arming goes into the kernel
// with the next wait: one io_uring_enter submits and waits.
class UringPollEngine final : public Engine {
 public:
  explicit UringPollEngine(const EngineConfig& c)
      : ch_(c.target, c.qd, O_NONBLOCK),
        seekable_(c.target.seekable()),
        spec_(c.spec),
        multishot_(has_multishot_poll()),
        synced_(c.qd),
        pending_(c.qd, nullptr),
        armed_(c.qd * 2, 0),
        ready_(c.qd * 2, 0),
        eagain_(counters_.add("eagain")),
        wakeups_(counters_.add("wakeups")) {
    setup_ring(ring_, c, Mode::Poll, c.qd * 2, notes_);  // a POLL_ADD per descriptor and direction at most
    notes_.push_back(multishot_ ? "readiness: multishot IORING_OP_POLL_ADD, armed once per descriptor"
                                : "readiness: single-shot IORING_OP_POLL_ADD re-armed per request (multishot "
                                  "poll needs Linux 5.13)");
  }
  ~UringPollEngine() override { io_uring_queue_exit(&ring_); }

  int submit(Request* const* reqs, int n) override {
    ch_.ring(reqs, n);
    for (int i = 0; i < n; ++i) {
      Request* r = reqs[i];
      if (r->op == Op::Fsync) {  // readiness says nothing of a flush: done here, as poll does
        fsync_now(*r, ch_.fd(r->slot, r->op), spec_, counters_, synced_);
        continue;
      }
      pending_[r->slot] = r;
      if (!armed_[key(*r)]) arm(key(*r));
    }
    counters_.batch(static_cast<uint64_t>(n));
    return n;
  }

  int reap(Request** out, int max, int64_t timeout_ns) override {
    int n = synced_.pop(out, max);
    if (!n) n = try_ready(out, max);
    while (!n) {
      io_uring_cqe* cqe = nullptr;
      int ret;
      if (io_uring_sq_ready(&ring_) && timeout_ns < 0) {
        counters_.syscalls++;  // arms and waits in one enter
        ret = io_uring_submit_and_wait(&ring_, 1);
        if (ret >= 0) ret = io_uring_peek_cqe(&ring_, &cqe);
      } else {
        if (io_uring_sq_ready(&ring_)) {
          counters_.syscalls++;
          io_uring_submit(&ring_);
        }
        ret = next_cqe(ring_, &cqe, timeout_ns, counters_);
      }
      if (ret == -EAGAIN || ret == -ETIME || ret == -EINTR) return 0;
      if (ret < 0) throw RuntimeError("io_uring_wait_cqe failed: " + errno_text(-ret));
      wakeups_++;
      unsigned head, seen = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        const auto k = static_cast<uint32_t>(cqe->user_data);
        if (!(cqe->flags & IORING_CQE_F_MORE)) armed_[k] = 0;  // ended: armed again when needed
        if (cqe->res < 0 && cqe->res != -ECANCELED)
          throw RuntimeError("io_uring POLL_ADD failed: " + errno_text(-cqe->res));
        ready_[k] |= cqe->res > 0;
      }
      io_uring_cq_advance(&ring_, seen);
      n = try_ready(out, max);
      if (timeout_ns >= 0) break;
    }
    return n;
  }

 private:
  static uint32_t key(const Request& r) { return r.slot * 2 + (r.op == Op::Write); }

  void arm(uint32_t k) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) {  // cannot happen with a slot per descriptor and direction; said if it does
      counters_.syscalls++;
      io_uring_submit(&ring_);
      if (!(sqe = io_uring_get_sqe(&ring_))) throw RuntimeError("io_uring: no submission queue entry for a POLL_ADD");
    }
    const bool write = k & 1;
    const int fd = ch_.fd(k / 2, write ? Op::Write : Op::Read);
    const unsigned mask = write ? POLLOUT : POLLIN;
    if (multishot_) io_uring_prep_poll_multishot(sqe, fd, mask);
    else io_uring_prep_poll_add(sqe, fd, mask);
    sqe->user_data = k;
    armed_[k] = 1;
  }

  int try_ready(Request** out, int max) {
    int n = 0;
    for (uint32_t s = 0; s < pending_.size() && n < max; ++s) {
      Request* r = pending_[s];
      if (!r || !ready_[key(*r)]) continue;
      if (!io_on_ready(*r, ch_.fd(s, r->op), seekable_, counters_, eagain_)) {  // used up, or stale
        ready_[key(*r)] = 0;
        if (!armed_[key(*r)]) arm(key(*r));
        continue;
      }
      // Single-shot readiness is one request's: the next arms its own.
      if (!multishot_) ready_[key(*r)] = 0;
      pending_[s] = nullptr;
      out[n++] = r;
    }
    return n;
  }

  ChannelSet ch_;
  bool seekable_;
  const WorkloadSpec& spec_;
  bool multishot_;
  DoneStack synced_;               // --fsync-every's flushes, done in submit()
  std::vector<Request*> pending_;  // by slot
  std::vector<uint8_t> armed_;     // by key (slot * 2 + write): a POLL_ADD is in the kernel or queued
  std::vector<uint8_t> ready_;     // by key: readiness seen and not yet used up
  uint64_t& eagain_;               // readiness that went stale: the I/O met EAGAIN
  uint64_t& wakeups_;              // waits that brought completions
  io_uring ring_{};
};

// Whether a ring of this variant can be set up with exactly `set`: "" or why
// not, naming the flag the kernel refuses (or IOBENCH_URING_REFUSE does).
std::string probe_setup(uint64_t set, Mode m) {
  uint64_t forced = 0;
  for (uint64_t i = 0; !kSetup.choice(i).empty(); ++i)
    if (refused_by_env(kSetup.choice(i))) forced |= uint64_t{1} << i;
  auto accepts = [&](uint64_t s, Mode on) {
    if (s & forced) return false;
    io_uring ring;
    io_uring_params p{};
    p.flags = base_flags(on) | setup_flags(s);
    if (on == Mode::Sqpoll) p.sq_thread_idle = 1000;
    if (io_uring_queue_init_params(2, &ring, &p) < 0) return false;
    const bool ok = !(s & kRingFd) || io_uring_register_ring_fd(&ring) == 1;
    io_uring_queue_exit(&ring);
    return ok;
  };
  if (accepts(set, m)) return "";
  const std::string why = "--uring-setup " + kSetup.flag_set_name(set) + ": ";
  // A flag the kernel lacks first, then one that this variant's ring refuses.
  auto alone = [](const SetupFlag& f) { return f.bit | (f.bit == 4 ? 2 : 0); };  // DEFER needs SINGLE_ISSUER
  for (auto& f : kSetupFlags) {
    if (!(set & f.bit)) continue;
    if (f.bit & forced) return why + "the kernel refuses " + f.what + " (made to by IOBENCH_URING_REFUSE)";
    if (!accepts(alone(f), Mode::Default)) return why + "this kernel lacks " + f.what;
  }
  for (auto& f : kSetupFlags)
    if ((set & f.bit) && !accepts(alone(f), m))
      return why + f.what + " does not go with this variant's ring (SQPOLL or IOPOLL)";
  return why + "the kernel refuses this combination (DEFER_TASKRUN needs SINGLE_ISSUER)";
}

std::string probe() {
  io_uring ring;
  int ret = io_uring_queue_init(2, &ring, 0);
  if (ret == 0) {
    io_uring_queue_exit(&ring);
    return "";
  }
  if (ret == -ENOSYS) return "io_uring is not supported by this kernel (ENOSYS)";
  if (ret == -EPERM) {
    int disabled = 0;
    std::ifstream("/proc/sys/kernel/io_uring_disabled") >> disabled;
    if (disabled == 2) return "io_uring is disabled by sysctl kernel.io_uring_disabled=2";
    if (disabled == 1) return "io_uring is restricted by sysctl kernel.io_uring_disabled=1 to the group in kernel.io_uring_group";
    return "io_uring_setup is not permitted (EPERM): a seccomp or container policy forbids it";
  }
  return "io_uring_setup failed: " + errno_text(-ret);
}

// io_uring:poll needs IORING_OP_POLL_ADD (Linux 5.1; the probe itself 5.6).
std::string poll_unavailable() {
  if (refused_by_env("poll-add")) return "the kernel refuses IORING_OP_POLL_ADD (made to by IOBENCH_URING_REFUSE)";
  io_uring_probe* p = io_uring_get_probe();
  const bool has = p && io_uring_opcode_supported(p, IORING_OP_POLL_ADD);
  if (p) io_uring_free_probe(p);
  return has ? "" : "this kernel lacks IORING_OP_POLL_ADD (or io_uring's opcode probe: Linux 5.6)";
}

// One polled read on the target: the only reliable way to learn whether the
// device under it has poll queues. "" when it works.
std::string probe_iopoll(const Target& t, uint64_t bs) {
  io_uring ring;
  if (io_uring_queue_init(2, &ring, IORING_SETUP_IOPOLL) < 0) return "io_uring:iopoll: ring setup refused by the kernel";
  std::string why;
  try {
    Fd fd = t.open(0);
    AlignedBuffer buf(bs, 4096);
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_read(sqe, fd.get(), buf.data(), static_cast<unsigned>(bs), 0);
    io_uring_cqe* cqe = nullptr;
    int ret = io_uring_submit_and_wait(&ring, 1);
    if (ret >= 0) ret = io_uring_wait_cqe(&ring, &cqe);
    if (ret < 0) why = "io_uring:iopoll: " + errno_text(-ret);
    else if (cqe->res == -EOPNOTSUPP)
      why = "io_uring:iopoll: the target's device does not support polled I/O (it needs poll queues, e.g. "
            "nvme.poll_queues=N)";
  } catch (const std::exception& e) {
    why = e.what();
  }
  io_uring_queue_exit(&ring);
  return why;
}

// Polled completions need a block device with poll queues; without one on
// the machine the variant cannot run on anything here.
std::string iopoll_unavailable() {
  std::error_code ec;
  for (auto& dev : std::filesystem::directory_iterator("/sys/block", ec)) {
    int on = 0;
    std::ifstream(dev.path() / "queue" / "io_poll") >> on;
    if (on) return "";
  }
  return "no block device here has poll queues (/sys/block/*/queue/io_poll is 0 everywhere; NVMe needs "
         "nvme.poll_queues=N)";
}

}  // namespace

BackendInfo io_uring_backend() {
  return {"io_uring", "liburing: submission and completion rings shared with the kernel",
          {{"default", "io_uring_submit, then wait for and take one completion per wait: the simplest loop, a "
                       "system call per completion"},
           {"batch", "submits and waits in one io_uring_enter and takes every completion there is: the fewest "
                     "system calls; pick it for throughput",
            nullptr, kCapHelperThreads | kCapCancel},  // submits in its wait: no timed call of its own
           {"sqpoll", "a kernel thread polls the submission queue, so submitting needs no system call while it is "
                      "awake; costs that thread's CPU (--sqpoll-idle)"},
           {"fixed", "registered files and buffers (read_fixed/write_fixed), every completion taken per wait: no "
                     "per-request file lookup or page pinning"},
           {"iopoll", "completions polled from the device instead of interrupts: O_DIRECT on NVMe with poll queues",
            iopoll_unavailable},
           {"poll", "readiness through the ring: IORING_OP_POLL_ADD on each channel (multishot, Linux 5.13; "
                    "single-shot re-armed before), then read/write in the job thread: the poll model with no "
                    "descriptor list per wait; streams and devices only",
            poll_unavailable, kCapNone}},
          kCapTimedSubmit | kCapHelperThreads | kCapCancel, {&kSqpollIdle, &kSetup},
          [] {
            static const std::string why = probe();
            return why;
          },
          [](const Target& t, const WorkloadSpec& s, unsigned variant) {
            Fit f;
            const bool iopoll = static_cast<Mode>(variant) == Mode::Iopoll;
            if (static_cast<Mode>(variant) == Mode::Poll && t.always_ready())
              return Fit{false, "io_uring:poll: regular files and block devices are always ready, so POLL_ADD "
                                "completes at once and measures nothing of readiness", {}};
            // Never dropped silently (fio's hipri did: fio issue #1577).
            if (iopoll && s.fsync_every)
              return Fit{false, "io_uring:iopoll: a polled ring rejects IORING_OP_FSYNC, so --fsync-every cannot be "
                                "measured through it; another variant can", {}};
            if (iopoll && !t.direct())
              return Fit{false, "io_uring:iopoll needs O_DIRECT (--direct) on a device with poll queues", {}};
            if (iopoll)
              if (std::string why = probe_iopoll(t, s.bs); !why.empty()) return Fit{false, why, {}};
            if (s.given(kSetup))
              if (std::string why = probe_setup(s.get(kSetup), static_cast<Mode>(variant)); !why.empty())
                return Fit{false, why, {}};
            return f;
          },
          [](const EngineConfig& c) {
            return static_cast<Mode>(c.variant) == Mode::Poll ? make_engine<UringPollEngine>(c)
                                                              : make_engine<UringEngine>(c);
          }};
}

}  // namespace iobench
