// Target emu: the device model (docs/architecture.md) in user space, so the
// readiness models (poll, sigio) have something whose readiness means
// something, with no root and no module. docs/emu.md has the whole story.
//
// A channel is two pipes, each sized to one block:
//   A: emulator -> job (reads): the emulator writes a block when it is due.
//   B: job -> emulator (writes): starts full; the emulator drains it when a
//      write is due, and the job's write lands.
// When a block is due depends on the mode:
//   request: service time after the job issued the request (it rings the
//            channel's doorbell with its issue time, whatever the model);
//   stream:  service time after the job took the previous block (or after
//            its previous write landed): a sensor or a NIC.
// service = latency + len / bandwidth. One emulator thread keeps every
// deadline in a heap, sleeps until shortly before the next and spins to it;
// every block carries the time it became ready (pattern::stamp_ready), and
// how late that was against its deadline is the emulator's lateness.
#include <fcntl.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cerrno>
#include <deque>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/clock.h"
#include "core/errors.h"
#include "core/histogram.h"
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
constexpr OptionDecl kMode{"emu_mode", "emu", OptionType::Choice, 0, 1, 0,
                           "request (service starts when the job issues a request; default) or stream (when it "
                           "took the previous block)", "emu_mode", false, "request|stream"};
constexpr OptionDecl kSpinGuard{"emu_spin_guard", "emu", OptionType::Duration, 0, 10'000'000, std::nullopt,
                                "the emulator spins this long before each deadline (default: learned from its "
                                "own wake-ups; 0: never spin)", "emu_spin_guard_ns"};

enum Mode : unsigned { kRequest = 0, kStream = 1 };

// Its blocks half this late or later: the emulator, not the model, limits the run.
constexpr uint64_t kSaturatedP50Ns = 10'000;

unsigned cpus_allowed() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof set, &set) == 0 ? static_cast<unsigned>(CPU_COUNT(&set)) : 0;
}

class EmuTarget final : public Target {
 public:
  explicit EmuTarget(const WorkloadSpec& s)
      : bs_(s.bs),
        latency_ns_(s.get(kLatency)),
        bandwidth_(s.get(kBandwidth)),
        fail_every_(s.get(kFailEvery)),
        mode_(static_cast<Mode>(s.get(kMode))),
        guard_fixed_(s.given(kSpinGuard)),
        can_spin_(cpus_allowed() != 1),
        guard_{!can_spin_ ? 0 : guard_fixed_ ? s.get(kSpinGuard) : SpinGuard::kMin} {
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
    bell_.emplace(wake_.get(), service_ns_);
    buf_ = AlignedBuffer(bs_, 4096);
    sink_ = AlignedBuffer(bs_, 4096);
    thread_ = std::thread([this] { loop(); });
  }

  ~EmuTarget() override {
    stop_.store(true);
    wake();
    thread_.join();
  }

  void hurry(bool on) const override {
    hurry_.store(on, std::memory_order_release);
    wake();
  }

  KernelAio kernel_aio() const override { return KernelAio::Blocks; }
  bool direct() const override { return false; }
  bool seekable() const override { return false; }
  bool stamps_ready() const override { return true; }
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
    // The job's write pipe starts full: a write waits until the emulator drains it.
    std::vector<char> prefill(bs_);
    if (::write(bw.get(), prefill.data(), bs_) != static_cast<ssize_t>(bs_))
      throw RuntimeError("emu: prefilling a channel failed: " + errno_text(errno));
    for (int fd : {a[1], b[0]}) ::fcntl(fd, F_SETFL, O_NONBLOCK);
    if (flags & O_NONBLOCK)
      for (int fd : {a[0], b[1]}) ::fcntl(fd, F_SETFL, O_NONBLOCK);
    Channel ch{std::move(ar), std::move(bw)};
    {
      std::lock_guard<std::mutex> lock(mu_);
      const uint64_t id = next_id_++;
      if (mode_ == kRequest) {
        // Boxes live as long as the target: a job may ring until it closes.
        Doorbell::Box& box = boxes_.emplace_back();
        box.chan = id;
        ch.bell = &*bell_;
        ch.box = &box;
      }
      pending_.push_back({id, Chan{std::move(aw), std::move(br)}});
      has_pending_.store(true, std::memory_order_release);
    }
    wake();
    return ch;
  }

  // The emulator publishes its own getrusage(RUSAGE_THREAD) each loop once a
  // millisecond has passed: exact user/sys and context switches, at most a
  // millisecond of its own time behind.
  Usage own_usage() const override {
    return {pub_user_.load(std::memory_order_relaxed), pub_sys_.load(std::memory_order_relaxed),
            pub_vol_.load(std::memory_order_relaxed), pub_invol_.load(std::memory_order_relaxed)};
  }

  nlohmann::json describe() const override {
    nlohmann::json j = {{"kind", "emu"},
                        {"mode", kMode.choice(mode_)},
                        {"latency_ns", latency_ns_},
                        {"bandwidth_bytes_per_s", bandwidth_},
                        {"fail_every", fail_every_},
                        {"service_ns", service_ns_}};
    if (guard_fixed_ || !can_spin_) j["spin_guard_ns"] = guard_.ns;
    return j;
  }

  nlohmann::json counters() const override {
    nlohmann::json j = {{"requests", requests_.load()}, {"injected_errors", injected_.load()}};
    if (mode_ == kRequest) j["doorbell_wakes"] = bell_->wakes();
    return j;
  }

  TargetTotals totals() const override { return {counters(), lateness_.counts(), own_usage(), now_ns()}; }

  void report(const TargetTotals& before, const TargetTotals& after, nlohmann::json& into,
              std::vector<std::string>& notes) const override {
    Target::report(before, after, into, notes);
    if (!can_spin_)
      notes.push_back("emu: the process may run on one CPU only, so the emulator sleeps to each deadline "
                      "without spinning (it would take the CPU from the jobs): target.lateness_ns shows what that costs");
    if (!into.contains("lateness_ns")) return;
    const uint64_t p50 = into["lateness_ns"]["p50"], p99 = into["lateness_ns"]["p99"];
    if (p50 >= kSaturatedP50Ns)
      notes.push_back("emu: the emulator was the bottleneck: half its blocks were ready " + format_duration(p50) +
                      " or more after their deadline (p99 " + format_duration(p99) +
                      "), so latency and IOPS here are the emulator's limit, not the model's (lower --qd or "
                      "--jobs, raise --emu-latency, or run with --cpu-idle shallow)");
  }

 private:
  static constexpr uint64_t kWakeKey = ~uint64_t{0};
  enum Kind : uint8_t { kFill, kDrain };

  struct Chan {
    Fd aw;  // emulator writes blocks for the job here
    Fd br;  // emulator drains the job's writes here
    uint64_t pos = 0;
    bool a_full = false;  // stream: a block waits in A for the job to read it
    bool b_busy = true;   // stream: a block in B is in service (the prefill, at first)
    bool prefill = true;  // stream: the block in B is the prefill, not a request
  };
  struct Event {
    uint64_t t;
    uint64_t chan;
    Kind kind;
    Doorbell::Box* box = nullptr;  // request mode: the request, claimed from the box when due
    uint64_t word = 0;
    bool operator>(const Event& o) const { return t > o.t; }
  };

  void loop() {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // its sleeps end within a few us, the spin does the rest
    epoll_event evs[64];
    uint64_t published = 0;
    while (!stop_.load(std::memory_order_relaxed)) {
      if (uint64_t t = now_ns(); t - published >= 1'000'000) {
        publish_usage();
        published = t;
      }
      // Before the doorbells: a channel rung right after it was opened must be known.
      if (has_pending_.exchange(false, std::memory_order_acquire)) adopt();
      if (mode_ == kRequest) take_doorbells();
      uint64_t now = now_ns();
      hurrying_ = hurry_.load(std::memory_order_acquire);
      if (!heap_.empty() && (hurrying_ || heap_.top().t <= now + guard_.ns)) {
        serve_due();
        continue;
      }
      const uint64_t deadline = heap_.empty() ? UINT64_MAX : heap_.top().t;
      if (mode_ == kRequest && !bell_->sleeping(deadline)) continue;
      if (deadline != UINT64_MAX) prepare(heap_.top());
      const uint64_t wake_at = deadline == UINT64_MAX ? 0 : deadline - guard_.ns;
      now = now_ns();
      const timespec ts = to_timespec(deadline == UINT64_MAX ? 1'000'000'000 : wake_at > now ? wake_at - now : 0);
      int n = ::epoll_pwait2(epfd_.get(), evs, 64, &ts, nullptr);
      if (mode_ == kRequest) bell_->awake();
      // A fixed guard (or none: one CPU) stays as it is.
      if (n == 0 && deadline != UINT64_MAX && !guard_fixed_ && can_spin_) guard_.learn(now_ns() - wake_at);
      for (int i = 0; i < n; ++i) on_event(evs[i]);
    }
  }

  // Spins to the earliest deadline, then serves everything due. In stream
  // mode a block taken meanwhile starts the next service time, so the spin
  // keeps looking (a non-blocking epoll_wait) instead of noticing it late.
  // Hurrying (Target::hurry), everything is due now.
  void serve_due() {
    const Event first = heap_.top();
    prepare(first);
    epoll_event evs[64];
    const timespec zero{0, 0};
    while (!hurrying_ && now_ns() < first.t)
      if (mode_ == kStream)
        for (int i = 0, n = ::epoll_pwait2(epfd_.get(), evs, 64, &zero, nullptr); i < n; ++i) on_event(evs[i]);
    uint64_t now = hurrying_ ? UINT64_MAX : now_ns();
    while (!heap_.empty() && heap_.top().t <= now) {
      Event e = heap_.top();
      heap_.pop();
      // A request the job withdrew (cancelled) is not served.
      if (e.box && !Doorbell::serve(*e.box, e.word)) continue;
      if (e.box) requests_.fetch_add(1, std::memory_order_relaxed);
      auto it = chans_.find(e.chan);
      if (it != chans_.end()) e.kind == kFill ? fill(it->second, e) : drain(it->second, e);
      if (!hurrying_) now = now_ns();
    }
  }

  void take_doorbells() {
    for (Doorbell::Box *b = bell_->take(), *next; b; b = next) {
      next = Doorbell::next(b);  // before release: then the job may push it again
      // Opened after this loop last looked for new channels, and rung at once.
      if (!chans_.contains(b->chan)) adopt();
      if (const uint64_t w = Doorbell::release(b))
        heap_.push({Doorbell::issued(w) + service_ns_, b->chan, Doorbell::is_write(w) ? kDrain : kFill, b, w});
    }
  }

  void publish_usage() {
    const Usage u = Usage::thread();
    pub_user_.store(u.user_ns, std::memory_order_relaxed);
    pub_sys_.store(u.sys_ns, std::memory_order_relaxed);
    pub_vol_.store(u.voluntary, std::memory_order_relaxed);
    pub_invol_.store(u.involuntary, std::memory_order_relaxed);
  }

  // Wakes the emulator's thread. An eventfd write fails only when its
  // counter would overflow, and then the thread has wakes pending anyway.
  void wake() const {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof one);
  }

  void on_event(const epoll_event& ev) {
    if (ev.data.u64 == kWakeKey) {
      uint64_t v;
      // Only resets the eventfd: nothing to do if it was already reset.
      [[maybe_unused]] const ssize_t n = ::read(wake_.get(), &v, sizeof v);
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
    // Stream mode: the job took a block, or a write landed; the device starts
    // on the next one now (as late as the emulator noticed: it shows in the
    // readiness models' figures, which is why request mode is the default).
    const uint64_t now = now_ns();
    if ((ev.data.u64 & 1) == 0 && (ev.events & EPOLLOUT) && c.a_full) {
      c.a_full = false;
      requests_.fetch_add(1, std::memory_order_relaxed);  // a read is a request once the job took it
      heap_.push({now + service_ns_, id, kFill});
    } else if ((ev.data.u64 & 1) == 1 && (ev.events & EPOLLIN) && !c.b_busy) {
      c.b_busy = true;
      heap_.push({now + service_ns_, id, kDrain});
    }
  }

  void adopt() {
    std::vector<std::pair<uint64_t, Chan>> fresh;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fresh.swap(pending_);
    }
    const uint64_t now = now_ns();
    // Request mode watches only for the job closing its ends (EPOLLERR and
    // EPOLLHUP are always reported); stream mode for every block taken or landed.
    const uint32_t a_ev = mode_ == kStream ? EPOLLOUT | EPOLLET : 0, b_ev = mode_ == kStream ? EPOLLIN | EPOLLET : 0;
    for (auto& [id, c] : fresh) {
      epoll_event ev{};
      ev.events = a_ev;
      ev.data.u64 = id << 1;
      ::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, c.aw.get(), &ev);
      ev.events = b_ev;
      ev.data.u64 = (id << 1) | 1;
      ::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, c.br.get(), &ev);
      chans_.emplace(id, std::move(c));
      if (mode_ == kStream) {
        heap_.push({now + service_ns_, id, kFill});
        heap_.push({now + service_ns_, id, kDrain});
      }
    }
  }

  // The block for a fill is computed before its deadline: at 1M the pattern
  // alone takes longer than a timer's lateness.
  void prepare(const Event& e) {
    if (e.kind != kFill || (prepared_chan_ == e.chan && prepared_t_ == e.t)) return;
    auto it = chans_.find(e.chan);
    if (it == chans_.end()) return;
    pattern::fill(buf_.data(), bs_, it->second.pos, 0);
    prepared_chan_ = e.chan;
    prepared_t_ = e.t;
  }

  void fill(Chan& c, const Event& e) {
    prepare(e);
    uint64_t n = bs_;
    if (fail_every_ && ++produced_ % fail_every_ == 0) {
      n = pattern::kSector;  // short: the job's read fails
      injected_.fetch_add(1, std::memory_order_relaxed);
    }
    c.pos += bs_;
    const uint64_t ready = now_ns();
    pattern::stamp_ready(buf_.data(), ready);
    if (!hurrying_) lateness_.record(ready - e.t);
    if (::write(c.aw.get(), buf_.data(), n) > 0) c.a_full = true;
    prepared_chan_ = UINT64_MAX;
  }

  void drain(Chan& c, const Event& e) {
    if (!hurrying_) lateness_.record(now_ns() - e.t);
    // A write already blocked on the full pipe lands now. In stream mode the
    // prefill is not a request, and the landing raises EPOLLIN, which starts
    // the next service time.
    if (::read(c.br.get(), sink_.data(), bs_) > 0 && mode_ == kStream && !std::exchange(c.prefill, false))
      requests_.fetch_add(1, std::memory_order_relaxed);
    c.b_busy = false;
  }

  const uint64_t bs_, latency_ns_, bandwidth_, fail_every_;
  const Mode mode_;
  const bool guard_fixed_, can_spin_;
  SpinGuard guard_;  // the emulator thread's, once it runs
  uint64_t service_ns_;
  Fd epfd_, wake_;
  mutable std::optional<Doorbell> bell_;  // request mode; jobs ring it through their channels
  AlignedBuffer buf_, sink_;  // the next block to serve; where drained writes go
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::atomic<bool> hurry_{false};  // Target::hurry
  bool hurrying_ = false;                   // the emulator thread's copy for this pass
  mutable std::atomic<bool> has_pending_{false};
  mutable std::mutex mu_;
  mutable uint64_t next_id_ = 0;
  mutable std::vector<std::pair<uint64_t, Chan>> pending_;  // opened by jobs, not yet adopted by the emulator
  mutable std::deque<Doorbell::Box> boxes_;
  std::unordered_map<uint64_t, Chan> chans_;  // emulator thread only
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> heap_;
  uint64_t prepared_chan_ = UINT64_MAX, prepared_t_ = 0;  // what buf_ holds
  uint64_t produced_ = 0;  // blocks made for reading: every fail_every-th is short
  std::atomic<uint64_t> requests_{0}, injected_{0};
  SharedHistogram lateness_;
  std::atomic<uint64_t> pub_user_{0}, pub_sys_{0}, pub_vol_{0}, pub_invol_{0};
};

}  // namespace

TargetInfo emu_target() {
  return {"emu", "emu", "user-space emulation of the test device (pipes + an emulator thread)",
          TargetArg::None, {&kLatency, &kBandwidth, &kFailEvery, &kMode, &kSpinGuard},
          [] { return std::string(); },
          [](const WorkloadSpec& s) {
            if (s.bs % 4096 != 0 || s.bs > (1u << 20))
              throw UsageError("--bs: the emu target needs a multiple of 4k up to 1M (one block per pipe), got " +
                               format_size(s.bs));
            if (s.is_direct()) throw UsageError("--direct: does not apply to the emu target (it has no page cache)");
            if (s.rw == RwMode::RandRead || s.rw == RwMode::RandWrite)
              throw UsageError("--rw " + std::string(rw_name(s.rw)) + ": the emu target is a stream without offsets; "
                               "use read or write (randrw is its mix of the two)");
            if (s.fsync_every)
              throw UsageError("--fsync-every: the emu target is pipes, which fsync cannot flush (EINVAL); use a file "
                               "or the driver");
          },
          [](const WorkloadSpec& s) -> std::unique_ptr<Target> { return std::make_unique<EmuTarget>(s); }};
}

}  // namespace iobench
