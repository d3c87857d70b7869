#pragma once
// Small pieces the engines share.
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include <vector>

#include "backends/backend.h"
#include "core/clock.h"
#include "core/errors.h"

namespace iobench {

// Requests finished inside submit() (synchronous models), handed out by reap().
// Fixed capacity: never more than qd requests are in flight.
class DoneStack {
 public:
  explicit DoneStack(unsigned capacity) : items_(capacity) {}
  void push(Request* r) { items_[count_++] = r; }
  int pop(Request** out, int max) {
    int n = count_ < max ? count_ : max;
    // FIFO order is not needed: every request carries its own start time.
    for (int i = 0; i < n; ++i) out[i] = items_[--count_];
    return n;
  }

 private:
  std::vector<Request*> items_;
  int count_ = 0;
};

// The channels an engine uses: slot i goes to channel i % size(). Files give
// one channel (one descriptor); stream targets one per request in flight.
class ChannelSet {
 public:
  ChannelSet(const Target& t, unsigned n, int flags = 0) {
    for (unsigned i = 0; i < n; ++i) ch_.push_back(t.open_channel(flags));
    rung_ = !ch_.empty() && ch_[0].bell;
  }
  ChannelSet(const Target& t, const EngineConfig& c, int flags = 0) : ChannelSet(t, t.channels_for(c.qd), flags) {}
  // Slot i's channel. One channel (every file) needs no division, the
  // slowest instruction of a request's way through an engine.
  size_t index(uint32_t slot) const { return ch_.size() == 1 ? 0 : slot % ch_.size(); }
  const Channel& of(uint32_t slot) const { return ch_[index(slot)]; }
  int fd(uint32_t slot, Op op) const { return of(slot).fd(op != Op::Read); }
  // Tells a request-anchored device (emu in request mode) that these
  // requests were issued, at their start_ns; nothing on other targets. Every
  // engine rings before it waits for a request, from the thread that issued
  // it: the device serves each one a service time after its start stamp, so
  // no model can see it sooner, and ringing late costs nothing.
  void ring(Request* const* reqs, int n) const {
    if (rung_) ring_bells(reqs, n);  // a file, the driver: one test per batch
  }
  // Out of line: the engines' submission code stays compact where no bell rings.
  [[gnu::noinline]] void ring_bells(Request* const* reqs, int n) const {
    for (int i = 0; i < n; ++i) {
      if (reqs[i]->op == Op::Fsync) continue;  // no device service: a stream target refuses --fsync-every
      const Channel& c = of(reqs[i]->slot);
      c.bell->ring(*c.box, reqs[i]->op == Op::Write, reqs[i]->start_ns);
    }
  }
  // A request the engine saw come back cancelled (-ECANCELED), on a
  // request-anchored device: takes it back from the device, or, where the
  // device has served it already, consumes what it served (a read's block;
  // for a write, the room its drain made is filled again), so the channel's
  // next request finds the channel as if this one had never been issued.
  void withdraw(const Request& r) const {
    if (!rung_ || r.op == Op::Fsync) return;
    const Channel& c = of(r.slot);
    if (Doorbell::withdraw(*c.box)) return;
    const bool write = r.op == Op::Write;
    const int fd = c.fd(write);
    for (;;) {  // one whole block, as the device moves it (waiting while it is on its way)
      const ssize_t n = write ? ::write(fd, r.buf, r.len) : ::read(fd, r.buf, r.len);
      if (n > 0) return;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        pollfd p{fd, static_cast<short>(write ? POLLOUT : POLLIN), 0};
        ::poll(&p, 1, -1);
        continue;
      }
      throw RuntimeError(std::string("emu: taking back a cancelled request's block failed: ") +
                         (n < 0 ? errno_text(errno) : "the channel closed"));
    }
  }
  const Channel& operator[](size_t i) const { return ch_[i]; }
  size_t size() const { return ch_.size(); }

 private:
  std::vector<Channel> ch_;
  bool rung_ = false;  // the target's channels have doorbells (all or none)
};

// One I/O with read/write (streams) or pread/pwrite; -errno on failure.
inline int64_t do_io(int fd, const Request& r, bool seekable) {
  ssize_t n;
  if (r.op == Op::Read)
    n = seekable ? ::pread(fd, r.buf, r.len, static_cast<off_t>(r.offset)) : ::read(fd, r.buf, r.len);
  else
    n = seekable ? ::pwrite(fd, r.buf, r.len, static_cast<off_t>(r.offset)) : ::write(fd, r.buf, r.len);
  return n < 0 ? -errno : n;
}

// A readiness model's I/O once the channel said ready (poll, sigio and the
// :poll variants): false when the readiness was stale (EAGAIN, counted in
// `eagain`) and the request waits again; else it has its result and its own
// completion stamp (the rest of the batch's I/O is not its latency).
inline bool io_on_ready(Request& r, int fd, bool seekable, Counters& c, uint64_t& eagain) {
  c.syscalls++;
  const int64_t res = do_io(fd, r, seekable);
  if (res == -EAGAIN) {
    eagain++;
    return false;
  }
  r.result = res;
  if (r.timed) r.end_ns = now_ns();
  return true;
}

// Stamps requests at their own submission call (a libaio chunk, an
// aio_read), so a later one does not carry an earlier one's submission; a
// --rate intended time is kept.
inline void restamp(Request* const* reqs, int n, uint64_t now) {
  for (int i = 0; i < n; ++i)
    if (!reqs[i]->intended) reqs[i]->start_ns = now;
}

// Runs one submission call for the n requests it carries: stamps them at its
// start and records how long it took (submit_ns: the call is inside it). The
// clock read at its end goes to *end when asked for: what the call saw
// complete before that read may take it as its completion stamp.
template <typename Call>
auto timed_call(Request* const* reqs, int n, Call&& call, uint64_t* end = nullptr) {
  bool timed = false;  // --lat-sample drew none of them: no clock read, no submission time
  for (int i = 0; i < n && !timed; ++i) timed = reqs[i]->timed;
  if (!timed) {
    if (end) *end = 0;
    return call();
  }
  const uint64_t t0 = now_ns();
  restamp(reqs, n, t0);
  auto ret = call();
  const uint64_t t1 = now_ns();
  for (int i = 0; i < n; ++i) reqs[i]->submit_ns = reqs[i]->timed ? t1 - t0 : 0;
  if (end) *end = t1;
  return ret;
}

// --fsync-every's flush as the workload asks for it: fdatasync with
// --fsync-kind fdatasync, else fsync. 0 or -errno.
inline int64_t flush(int fd, const WorkloadSpec& spec) {
  const int ret = spec.fsync_kind == WorkloadSpec::FsyncKind::Fdatasync ? ::fdatasync(fd) : ::fsync(fd);
  return ret == 0 ? 0 : -errno;
}

// An Op::Fsync request run in the calling thread, for the models with no
// asynchronous flush (sync, poll, sigio), counted.
inline int64_t do_fsync(int fd, const WorkloadSpec& spec, Counters& c) {
  c.syscalls++;
  c.fsyncs++;
  return flush(fd, spec);
}

// The same, completed at once: stamped and handed to reap() through `done`.
inline void fsync_now(Request& r, int fd, const WorkloadSpec& spec, Counters& c, DoneStack& done) {
  r.result = do_fsync(fd, spec, c);
  r.end_ns = now_ns();
  done.push(&r);
}

}  // namespace iobench
