// poll: O_NONBLOCK descriptors, one per request in flight, all in one thread;
// the job waits for readiness, then reads or writes. Variants:
//   poll      poll(2) over the pending descriptors
//   epoll     level-triggered, EPOLLONESHOT re-armed with EPOLL_CTL_MOD per request
//   epoll-et  edge-triggered, registered once; readiness remembered per channel,
//             I/O retried until EAGAIN
//   select    select(2); descriptors must be below FD_SETSIZE
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include <cerrno>

#include "backends/backend.h"
#include "backends/common.h"
#include "core/clock.h"
#include "core/errors.h"

namespace iobench {
namespace {

enum class Mode { Poll, Epoll, EpollEt, Select };  // the order of the variants below

class PollEngine final : public Engine {
 public:
  explicit PollEngine(const EngineConfig& c)
      : mode_(static_cast<Mode>(c.variant)),
        ch_(c.target, c.qd, O_NONBLOCK),  // one channel per request, whatever the target
        seekable_(c.target.seekable()),
        spec_(c.spec),
        synced_(c.qd),
        pending_(c.qd, nullptr),
        ready_(c.qd * 2, 1),  // [slot*2 + write]: try once; EAGAIN clears it
        pfds_(c.qd),
        slot_of_(c.qd),
        events_(c.qd),
        eagain_(counters_.add("eagain")),
        wakeups_(counters_.add("wakeups")) {
    for (size_t i = 0; i < ch_.size(); ++i) {
      for (bool w : {false, true}) {
        int fd = ch_[i].fd(w);
        if (mode_ == Mode::Select && fd >= FD_SETSIZE)
          throw RuntimeError("poll:select cannot watch descriptor " + std::to_string(fd) + " (FD_SETSIZE is " +
                             std::to_string(FD_SETSIZE) + "): lower --qd/--jobs or use another variant");
      }
    }
    if (mode_ == Mode::Epoll || mode_ == Mode::EpollEt) {
      epfd_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
      if (!epfd_) throw RuntimeError("epoll_create1 failed: " + errno_text(errno));
      for (size_t i = 0; i < ch_.size(); ++i) {
        bool split = static_cast<bool>(ch_[i].wr);
        for (bool w : {false, true}) {
          if (w && !split) break;
          epoll_event ev{};
          ev.data.u64 = i * 2 + (w ? 1 : 0);
          // ET: watch everything once. LT one-shot: added disarmed, armed per request.
          ev.events = mode_ == Mode::EpollEt ? (split ? (w ? EPOLLOUT : EPOLLIN) : EPOLLIN | EPOLLOUT) | EPOLLET : 0;
          if (::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, ch_[i].fd(w), &ev) != 0)
            throw RuntimeError("epoll_ctl(ADD) failed: " + errno_text(errno) +
                               (errno == EPERM ? " (epoll cannot watch regular files)" : ""));
        }
      }
    }
  }

  int submit(Request* const* reqs, int n) override {
    ch_.ring(reqs, n);
    for (int i = 0; i < n; ++i) {
      Request* r = reqs[i];
      if (r->op == Op::Fsync) {  // readiness says nothing of a flush: done here
        fsync_now(*r, ch_.fd(r->slot, r->op), spec_, counters_, synced_);
        continue;
      }
      pending_[r->slot] = r;
      if (mode_ == Mode::Epoll) {
        epoll_event ev{};
        bool split = static_cast<bool>(ch_[r->slot].wr);
        ev.data.u64 = r->slot * 2 + (split && r->op == Op::Write ? 1 : 0);
        ev.events = (r->op == Op::Read ? EPOLLIN : EPOLLOUT) | EPOLLONESHOT;
        counters_.syscalls++;
        if (::epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, ch_.fd(r->slot, r->op), &ev) != 0)
          throw RuntimeError("epoll_ctl(MOD) failed: " + errno_text(errno));
      }
    }
    counters_.batch(static_cast<uint64_t>(n));
    return n;
  }

  int reap(Request** out, int max, int64_t timeout_ns) override {
    int n = synced_.pop(out, max);
    if (n) return n;
    // Edge-triggered: channels already known ready need no wait at all.
    if (mode_ == Mode::EpollEt) n = try_ready(out, max);
    if (n) return n;
    wait(timeout_ns);
    if (mode_ == Mode::EpollEt) return try_ready(out, max);
    for (uint32_t slot : woken_)
      if (n < max) try_io(slot, out, n);
    return n;
  }


 private:
  // Waits for readiness; fills woken_ (or the ready_ flags for ET).
  void wait(int64_t timeout_ns) {
    woken_.clear();
    // Nanosecond timeouts: a --rate wait rounded up to whole milliseconds
    // was charged to every request as latency.
    timespec ts = to_timespec(static_cast<uint64_t>(std::max<int64_t>(timeout_ns, 0)));
    timespec* tp = timeout_ns < 0 ? nullptr : &ts;
    counters_.syscalls++;
    wakeups_++;
    if (mode_ == Mode::Poll) {
      nfds_t k = 0;
      for (uint32_t s = 0; s < pending_.size(); ++s) {
        if (!pending_[s]) continue;
        pfds_[k] = {ch_.fd(s, pending_[s]->op), static_cast<short>(pending_[s]->op == Op::Read ? POLLIN : POLLOUT), 0};
        slot_of_[k++] = s;
      }
      int r = ::ppoll(pfds_.data(), k, tp, nullptr);
      if (r < 0 && errno != EINTR) throw RuntimeError("poll failed: " + errno_text(errno));
      for (nfds_t i = 0; i < k && r > 0; ++i)
        if (pfds_[i].revents) woken_.push_back(slot_of_[i]);
    } else if (mode_ == Mode::Select) {
      fd_set rd, wr;
      FD_ZERO(&rd);
      FD_ZERO(&wr);
      int maxfd = -1;
      for (uint32_t s = 0; s < pending_.size(); ++s) {
        if (!pending_[s]) continue;
        int fd = ch_.fd(s, pending_[s]->op);
        FD_SET(fd, pending_[s]->op == Op::Read ? &rd : &wr);
        maxfd = std::max(maxfd, fd);
      }
      int r = ::pselect(maxfd + 1, &rd, &wr, nullptr, tp, nullptr);
      if (r < 0 && errno != EINTR) throw RuntimeError("select failed: " + errno_text(errno));
      for (uint32_t s = 0; s < pending_.size() && r > 0; ++s) {
        if (!pending_[s]) continue;
        int fd = ch_.fd(s, pending_[s]->op);
        if (FD_ISSET(fd, pending_[s]->op == Op::Read ? &rd : &wr)) woken_.push_back(s);
      }
    } else {
      int r = ::epoll_pwait2(epfd_.get(), events_.data(), static_cast<int>(events_.size()), tp, nullptr);
      if (r < 0 && errno != EINTR) throw RuntimeError("epoll_wait failed: " + errno_text(errno));
      for (int i = 0; i < r; ++i) {
        auto key = static_cast<uint32_t>(events_[static_cast<size_t>(i)].data.u64);
        uint32_t slot = key / 2;
        if (mode_ == Mode::Epoll) {
          woken_.push_back(slot);
          continue;
        }
        uint32_t ev = events_[static_cast<size_t>(i)].events;
        bool split = static_cast<bool>(ch_[slot].wr);
        if (!split || !(key & 1)) ready_[slot * 2] |= (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
        if (!split || (key & 1)) ready_[slot * 2 + 1] |= (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0;
      }
    }
  }

  int try_ready(Request** out, int max) {
    int n = 0;
    for (uint32_t s = 0; s < pending_.size() && n < max; ++s)
      if (pending_[s] && ready_[s * 2 + (pending_[s]->op == Op::Write)]) try_io(s, out, n);
    return n;
  }

  void try_io(uint32_t slot, Request** out, int& n) {
    Request* r = pending_[slot];
    if (!r) return;
    if (!io_on_ready(*r, ch_.fd(slot, r->op), seekable_, counters_, eagain_)) {
      // Readiness went stale (or was never there): wait again.
      ready_[slot * 2 + (r->op == Op::Write)] = 0;
      if (mode_ == Mode::Epoll) rearm(slot, r);
      return;
    }
    pending_[slot] = nullptr;
    out[n++] = r;
  }

  void rearm(uint32_t slot, Request* r) {
    epoll_event ev{};
    ev.data.u64 = slot * 2 + (ch_[slot].wr && r->op == Op::Write ? 1 : 0);
    ev.events = (r->op == Op::Read ? EPOLLIN : EPOLLOUT) | EPOLLONESHOT;
    counters_.syscalls++;
    ::epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, ch_.fd(slot, r->op), &ev);
  }

  Mode mode_;
  ChannelSet ch_;
  bool seekable_;
  const WorkloadSpec& spec_;
  DoneStack synced_;  // --fsync-every's flushes, done in submit()
  std::vector<Request*> pending_;  // by slot
  std::vector<uint8_t> ready_;     // epoll-et: readiness seen and not yet used up
  std::vector<pollfd> pfds_;
  std::vector<uint32_t> slot_of_;  // pfds_ index -> slot
  std::vector<epoll_event> events_;
  std::vector<uint32_t> woken_;
  Fd epfd_;
  uint64_t& eagain_;   // readiness that went stale: the I/O met EAGAIN
  uint64_t& wakeups_;  // readiness waits
};

}  // namespace

BackendInfo poll_backend() {
  return {"poll", "O_NONBLOCK descriptors, one per request in flight, readiness waited in one thread",
          {{"poll", "poll(2) over every pending descriptor at each wait: O(n) per wait, the portable choice"},
           {"epoll", "level-triggered epoll, EPOLLONESHOT re-armed per request: an epoll_ctl per request, O(ready) "
                     "per wait; for many descriptors"},
           {"epoll-et", "edge-triggered epoll registered once, readiness remembered per descriptor: no syscall per "
                        "request but the I/O, which is retried until EAGAIN"},
           {"select", "select(2) over descriptors below FD_SETSIZE: the oldest interface, for comparison"}},
          kCapNone, {},
          [] { return std::string(); },
          [](const Target& t, const WorkloadSpec& s, unsigned variant) {
            Fit f;
            const auto mode = static_cast<Mode>(variant);
            if (t.always_ready() && (mode == Mode::Epoll || mode == Mode::EpollEt))
              return Fit{false, "epoll cannot watch regular files or block devices (EPERM): they are always ready", {}};
            if (mode == Mode::Select && s.qd > FD_SETSIZE)
              return Fit{false, "select watches at most FD_SETSIZE (" + std::to_string(FD_SETSIZE) + ") descriptors", {}};
            if (t.always_ready())
              f.notes.push_back("regular files are always ready: poll/select return at once, so this measures "
                                "non-blocking I/O plus the readiness syscalls");
            return f;
          },
          make_engine<PollEngine>};
}

}  // namespace iobench
