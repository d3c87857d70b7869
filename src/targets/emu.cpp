// Target emu: the device model (docs/architecture.md) in user space, so the readiness
// models (poll, sigio) have something whose readiness means something, with
// no root and no module.
//
// A channel is two pipes, each sized to one block:
//   A: emulator -> job. The emulator writes the channel's next block
//      `service` after open and again `service` after the job consumed the
//      previous one (EPOLLOUT on the emulator's end tells it when).
//   B: job -> emulator. Prefilled with one block at open; the emulator drains
//      one block `service` after each landed, so a write waits while the
//      channel is busy and the channel moves one block per service time.
// service = latency + len / bandwidth. One emulator thread keeps every
// deadline in a heap and sleeps in epoll_pwait2 (nanosecond timeout) with the
// timer slack at its minimum. Every Nth request (fail_every) on a read is
// served short (one sector), which the job sees as a failed request.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cerrno>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/clock.h"
#include "core/errors.h"
#include "core/pattern.h"
#include "core/units.h"
#include "targets/target.h"

namespace iobench {
namespace {

constexpr OptionDecl kLatency{"emu_latency", "emu", OptionType::Duration, 0, 10'000'000'000, 100'000,
                              "service time per request (default 100us)", "emu_latency_ns"};
constexpr OptionDecl kBandwidth{"emu_bandwidth", "emu", OptionType::Size, 4096, uint64_t{1} << 50, 0,
                                "bytes per second, e.g. 100M (default: infinite)", "emu_bandwidth_bytes_per_s", true};
constexpr OptionDecl kFailEvery{"emu_fail_every", "emu", OptionType::Count, 1, UINT64_MAX / 2, 0,
                                "every Nth request fails (default: never)", "emu_fail_every", true};

class EmuTarget final : public Target {
 public:
  explicit EmuTarget(const WorkloadSpec& s)
      : bs_(s.bs), latency_ns_(s.get(kLatency)), bandwidth_(s.get(kBandwidth)), fail_every_(s.get(kFailEvery)) {
    service_ns_ = latency_ns_ + (bandwidth_ ? bs_ * 1'000'000'000ull / bandwidth_ : 0);
    // A job that closes its channel while a block is due must give the
    // emulator EPIPE, not kill the process with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    epfd_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
    wake_ = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!epfd_ || !wake_) throw RuntimeError("emu: cannot create the emulator's epoll/eventfd: " + errno_text(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeKey;
    ::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);
    buf_ = AlignedBuffer(bs_, 4096);
    thread_ = std::thread([this] { loop(); });
  }

  ~EmuTarget() override {
    stop_.store(true);
    uint64_t one = 1;
    (void)::write(wake_.get(), &one, sizeof one);
    thread_.join();
  }

  KernelAio kernel_aio() const override { return KernelAio::Blocks; }
  bool direct() const override { return false; }
  bool seekable() const override { return false; }
  uint64_t data_seed() const override { return 0; }
  unsigned channels_for(unsigned qd) const override { return qd; }
  const char* short_read_hint() const override { return " (emu: an injected failure, --emu-fail-every)"; }

  Fd open(int flags) const override { return open_channel(flags).rd; }

  Channel open_channel(int flags) const override {
    int a[2], b[2];
    if (::pipe2(a, O_CLOEXEC) != 0) throw RuntimeError("emu: pipe2 failed: " + open_error_text(errno));
    Fd ar(a[0]), aw(a[1]);
    if (::pipe2(b, O_CLOEXEC) != 0) throw RuntimeError("emu: pipe2 failed: " + open_error_text(errno));
    Fd br(b[0]), bw(b[1]);
    for (int fd : {a[1], b[1]})
      if (::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(bs_)) < 0)
        throw RuntimeError("emu: F_SETPIPE_SZ " + format_size(bs_) + " failed: " + errno_text(errno) +
                           " (fs.pipe-max-size limits it)");
    // The job's write pipe starts full: its first write waits one service time.
    std::vector<char> prefill(bs_);
    if (::write(bw.get(), prefill.data(), bs_) != static_cast<ssize_t>(bs_))
      throw RuntimeError("emu: prefilling a channel failed: " + errno_text(errno));
    for (int fd : {a[1], b[0]}) ::fcntl(fd, F_SETFL, O_NONBLOCK);
    if (flags & O_NONBLOCK)
      for (int fd : {a[0], b[1]}) ::fcntl(fd, F_SETFL, O_NONBLOCK);
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_.push_back(Chan{std::move(aw), std::move(br)});
    }
    uint64_t one = 1;
    (void)::write(wake_.get(), &one, sizeof one);
    return {std::move(ar), std::move(bw)};
  }

  // The emulator publishes its own getrusage(RUSAGE_THREAD) each loop once a
  // millisecond has passed: exact user/sys and context switches, at most a
  // millisecond of its own time behind.
  Usage own_usage() const override {
    return {pub_user_.load(std::memory_order_relaxed), pub_sys_.load(std::memory_order_relaxed),
            pub_vol_.load(std::memory_order_relaxed), pub_invol_.load(std::memory_order_relaxed)};
  }

  nlohmann::json describe() const override {
    return {{"kind", "emu"},
            {"latency_ns", latency_ns_},
            {"bandwidth_bytes_per_s", bandwidth_},
            {"fail_every", fail_every_},
            {"service_ns", service_ns_}};
  }

  nlohmann::json counters() const override {
    return {{"requests", requests_.load()}, {"injected_errors", injected_.load()}};
  }

 private:
  static constexpr uint64_t kWakeKey = ~uint64_t{0};
  enum Kind : uint8_t { kFill, kDrain };

  struct Chan {
    Fd aw;  // emulator writes blocks for the job here
    Fd br;  // emulator drains the job's writes here
    uint64_t pos = 0;
    bool a_full = false;  // a block waits in A for the job to read it
    bool b_busy = true;   // a block in B is in service (the prefill, at first)
    bool prefill = true;  // the block in B is the prefill, not a request
  };
  struct Event {
    uint64_t t;
    uint64_t chan;
    Kind kind;
    bool operator>(const Event& o) const { return t > o.t; }
  };

  void loop() {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // keep deadlines to the microsecond
    epoll_event evs[64];
    uint64_t published = 0;
    while (!stop_.load(std::memory_order_relaxed)) {
      if (uint64_t t = now_ns(); t - published >= 1'000'000) {
        publish_usage();
        published = t;
      }
      timespec ts{1, 0};
      if (!heap_.empty()) {
        uint64_t now = now_ns(), t = heap_.top().t;
        uint64_t d = t > now ? t - now : 0;
        ts = to_timespec(d);
      }
      int n = ::epoll_pwait2(epfd_.get(), evs, 64, &ts, nullptr);
      for (int i = 0; i < n; ++i) on_event(evs[i]);
      uint64_t now = now_ns();
      while (!heap_.empty() && heap_.top().t <= now) {
        Event e = heap_.top();
        heap_.pop();
        auto it = chans_.find(e.chan);
        if (it != chans_.end()) e.kind == kFill ? fill(it->second) : drain(it->second);
      }
    }
  }

  void publish_usage() {
    const Usage u = Usage::thread();
    pub_user_.store(u.user_ns, std::memory_order_relaxed);
    pub_sys_.store(u.sys_ns, std::memory_order_relaxed);
    pub_vol_.store(u.voluntary, std::memory_order_relaxed);
    pub_invol_.store(u.involuntary, std::memory_order_relaxed);
  }

  void on_event(const epoll_event& ev) {
    if (ev.data.u64 == kWakeKey) {
      uint64_t v;
      (void)::read(wake_.get(), &v, sizeof v);
      adopt();
      return;
    }
    uint64_t id = ev.data.u64 >> 1;
    auto it = chans_.find(id);
    if (it == chans_.end()) return;
    Chan& c = it->second;
    if (ev.events & (EPOLLERR | EPOLLHUP)) {  // the job closed its ends
      ::epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, c.aw.get(), nullptr);
      ::epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, c.br.get(), nullptr);
      chans_.erase(it);
      return;
    }
    uint64_t now = now_ns();
    if ((ev.data.u64 & 1) == 0 && (ev.events & EPOLLOUT) && c.a_full) {
      c.a_full = false;  // consumed: the next block is ready one service time from now
      requests_.fetch_add(1, std::memory_order_relaxed);  // a read is a request once the job took it
      heap_.push({now + service_ns_, id, kFill});
    } else if ((ev.data.u64 & 1) == 1 && (ev.events & EPOLLIN) && !c.b_busy) {
      c.b_busy = true;  // a write landed: it occupies the channel for one service time
      heap_.push({now + service_ns_, id, kDrain});
    }
  }

  void adopt() {
    std::vector<Chan> fresh;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fresh.swap(pending_);
    }
    uint64_t now = now_ns();
    for (auto& c : fresh) {
      uint64_t id = next_id_++;
      epoll_event ev{};
      ev.events = EPOLLOUT | EPOLLET;
      ev.data.u64 = id << 1;
      ::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, c.aw.get(), &ev);
      ev.events = EPOLLIN | EPOLLET;
      ev.data.u64 = (id << 1) | 1;
      ::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, c.br.get(), &ev);
      chans_.emplace(id, std::move(c));
      heap_.push({now + service_ns_, id, kFill});
      heap_.push({now + service_ns_, id, kDrain});
    }
  }

  void fill(Chan& c) {
    uint64_t n = bs_;
    if (fail_every_ && ++produced_ % fail_every_ == 0) {
      n = pattern::kSector;  // short: the job's read fails
      injected_.fetch_add(1, std::memory_order_relaxed);
    }
    pattern::fill(buf_.data(), n, c.pos, 0);
    c.pos += bs_;
    if (::write(c.aw.get(), buf_.data(), n) > 0) c.a_full = true;
  }

  void drain(Chan& c) {
    // The prefill only made the first write wait: it is not a request.
    if (::read(c.br.get(), buf_.data(), bs_) > 0 && !std::exchange(c.prefill, false))
      requests_.fetch_add(1, std::memory_order_relaxed);
    c.b_busy = false;
    // A write already blocked on the full pipe lands now and raises EPOLLIN,
    // which starts its service time.
  }

  const uint64_t bs_, latency_ns_, bandwidth_, fail_every_;
  uint64_t service_ns_;
  Fd epfd_, wake_;
  AlignedBuffer buf_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  mutable std::vector<Chan> pending_;  // opened by jobs, not yet adopted by the emulator
  std::unordered_map<uint64_t, Chan> chans_;  // emulator thread only
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> heap_;
  uint64_t next_id_ = 0;
  uint64_t produced_ = 0;  // blocks made for reading: every fail_every-th is short
  std::atomic<uint64_t> requests_{0}, injected_{0};
  std::atomic<uint64_t> pub_user_{0}, pub_sys_{0}, pub_vol_{0}, pub_invol_{0};
};

}  // namespace

TargetInfo emu_target() {
  return {"emu", "emu", "user-space emulation of the test device (pipes + an emulator thread)",
          TargetArg::None, {&kLatency, &kBandwidth, &kFailEvery},
          [] { return std::string(); },
          [](const WorkloadSpec& s) {
            if (s.bs % 4096 != 0 || s.bs > (1u << 20))
              throw UsageError("--bs: the emu target needs a multiple of 4k up to 1M (one block per pipe), got " +
                               format_size(s.bs));
            if (s.is_direct()) throw UsageError("--direct: does not apply to the emu target (it has no page cache)");
          },
          [](const WorkloadSpec& s) -> std::unique_ptr<Target> { return std::make_unique<EmuTarget>(s); }};
}

}  // namespace iobench
