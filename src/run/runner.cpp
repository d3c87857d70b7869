#include "run/runner.h"
#include "run/progress.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <atomic>
#include <cstdio>
#include <latch>
#include <optional>
#include <span>
#include <system_error>
#include <thread>

#include "core/arena.h"
#include "core/clock.h"
#include "core/errors.h"
#include "core/fs.h"
#include "core/offsets.h"
#include "core/pattern.h"
#include "core/random.h"
#include "core/series.h"
#include "core/trace.h"
#include "core/units.h"
#include "core/usage.h"
#include "backends/common.h"
#include "run/ranks.h"
#include "run/trace.h"

namespace iobench {
namespace {

enum Phase : int { kSetup, kRamp, kMeasure, kStop };
// The longest a job thread waits (a rate interval, a reap timeout) without
// looking whether the run has stopped: docs/reliability.md promises 100 ms.
constexpr int64_t kStopCheckNs = 50'000'000;

struct Shared {
  explicit Shared(unsigned threads) : ready(threads), measured(threads) {}
  // What setup waits on. A worker's loop reads its own copy instead, on its
  // own hot page (HotArena): set() writes every copy first.
  std::atomic<int> phase{kSetup};
  std::atomic<bool> abort{false};  // on_error=stop tripped, or an engine failed
  // Each worker's copy of the phase: an int at the start of its arena, zero
  // (kSetup) as mapped, read and written only through std::atomic_ref.
  std::vector<int*> copies;
  std::atomic<unsigned> finished{0};
  // When measuring began, set before the phase says so: every thread's
  // --series intervals count from it.
  std::atomic<uint64_t> measure_t0{0};
  std::latch ready;
  std::latch measured;  // every worker has left its loop and taken its own usage

  // kStop is final: a copy that a trip() stopped stays stopped.
  void set(int ph) {
    for (int* c : copies) {
      std::atomic_ref<int> a(*c);
      for (int cur = a.load(); cur != kStop && !a.compare_exchange_weak(cur, ph);) {
      }
    }
    phase.store(ph);
    phase.notify_all();
  }
  // on_error=stop, or a worker failed: every worker stops at its next look.
  void trip() {
    abort.store(true, std::memory_order_relaxed);
    for (int* c : copies) std::atomic_ref<int>(*c).store(kStop, std::memory_order_relaxed);
  }
};

// One per thread, on its own cache lines: what the coordinator reads and
// collect() merges. The plain loop writes here only every kLiveEvery reaps
// and at a sampled request; its tallies are the Worker's own until it leaves.
struct alignas(64) WorkerState {
  std::atomic<uint64_t> live_ops{0};  // read by the progress line; the worker stores it now and then
  uint64_t ops = 0, bytes = 0, errors = 0;  // the worker's own tallies, stored when it leaves its loop
  Histogram lat, submit_lat, notify, fsync_lat, issue_lateness, cancel_lat;
  // --cancel-pct, counted when the request comes back: requested = cancelled
  // + too_late + unsupported. A cancelled request is neither an op nor an error.
  uint64_t cancel_requested = 0, cancelled = 0, cancel_too_late = 0, cancel_unsupported = 0;
  uint64_t fsync_ns = 0, fsync_submit_ns = 0;  // the flushes' time, and what of it their submit calls took
  uint64_t spin_ns = 0;  // --rate: time spun waiting for an issue time (iobench's, not the model's CPU)
  Usage usage0, usage;   // this thread's own, at the measure start; over the measure phase
  uint64_t t_start = 0, t_end = 0;
  std::string first_error;
  std::string failure;  // the engine gave up: the run is an error
  Counters counters;
  std::vector<std::string> notes;
  SeriesLog series;

  void reset_stats(uint64_t t) {
    lat.reset();
    notify.reset();
    fsync_lat.reset();
    issue_lateness.reset();
    submit_lat.reset();
    cancel_lat.reset();
    spin_ns = fsync_ns = fsync_submit_ns = 0;
    cancel_requested = cancelled = cancel_too_late = cancel_unsupported = 0;
    usage0 = Usage::thread();
    t_start = t;
    live_ops.store(0, std::memory_order_relaxed);
  }
};

struct WorkerParams {
  const WorkloadSpec& spec;
  const BackendChoice& backend;
  const Target& target;
  unsigned index;    // thread index
  unsigned threads;  // all threads of this run
  unsigned qd;       // in flight in this thread
  uint64_t ops;      // per thread; 0 = until stopped
  uint64_t rate;     // per thread; 0 = unlimited
  uint64_t seed;
  trace::Pool* trace;  // --trace: the point's records; nullptr: not traced
  size_t series_words; // --series: this thread's log, allocated in prepare
};

// One thread of a run. Its steps: prepare (everything allocated and the
// engine created before the clock starts), then a loop of issue and reap
// until the phase says stop or the ops are done, then drain.
class Worker {
 public:
  Worker(const WorkerParams& p, Shared& shared, WorkerState& st, HotArena& arena, int& phase)
      : p_(p), sh_(shared), st_(st), arena_(arena), phase_(phase) {}

  void operator()() {
    try {
      prepare();
      ready_signalled_ = true;
      sh_.ready.count_down();
      sh_.phase.wait(kSetup);
      loop();
      measured_signalled_ = true;
      sh_.measured.count_down();
      drain();
    } catch (const std::exception& e) {
      st_.failure = e.what();
      sh_.trip();
    }
    st_.t_end = st_.t_end ? st_.t_end : now_ns();
    if (!ready_signalled_) sh_.ready.count_down();
    if (!measured_signalled_) sh_.measured.count_down();
    sh_.finished.fetch_add(1, std::memory_order_release);
  }

 private:
  int phase(std::memory_order order = std::memory_order_relaxed) const {
    return std::atomic_ref<int>(phase_).load(order);
  }

  void reset_stats(uint64_t t) {
    st_.reset_stats(t);
    ops_ = bytes_ = errors_ = 0;
  }

  void pin() {
    // Before anything starts threads: glibc's aio helpers inherit it.
    cpu_set_t set;
    CPU_ZERO(&set);
    for (unsigned c : p_.spec.cpus) CPU_SET(c, &set);
    if (int e = pthread_setaffinity_np(pthread_self(), sizeof set, &set))
      throw RuntimeError("--cpus: cannot pin the job thread: " + errno_text(e) +
                         " (were the CPUs taken from this process since it started? taskset -cp " +
                         std::to_string(getpid()) + " shows the ones left)");
  }

  void prepare() {
    const WorkloadSpec& s = p_.spec;
    if (!s.cpus.empty()) pin();
    // Timed waits (--rate, reap timeouts) wake within a few us, not the
    // default 50us of slack that would be charged to requests.
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    const uint64_t bs = s.bs;
    const unsigned qd = p_.qd;
    buffers_ = AlignedBuffer(static_cast<size_t>(bs) * qd, 4096);
    if (!buffers_.data()) throw RuntimeError("cannot allocate " + format_size(bs * qd) + " of I/O buffers");
    // On the arena, after this Worker (run_worker sized it for them).
    reqs_ = {arena_.array<Request>(qd), qd};
    free_list_ = {arena_.array<Request*>(qd), qd};
    batch_ = {arena_.array<Request*>(qd), qd};
    done_ = {arena_.array<Request*>(qd), qd};
    for (unsigned i = 0; i < qd; ++i) {
      reqs_[i].slot = i;
      reqs_[i].len = static_cast<uint32_t>(bs);
      reqs_[i].buf = buffers_.data() + static_cast<size_t>(i) * bs;
      free_list_[i] = &reqs_[i];
      // Non-trivial data so no layer below gets zero pages for free.
      pattern::fill(reqs_[i].buf, bs - bs % pattern::kSector, i * bs, p_.seed);
    }
    nfree_ = qd;
    // --shared-file: this rank's region of the one file (all of it otherwise).
    const uint64_t span = s.region_span ? s.region_span : s.size;
    gen_.emplace(s.offsets(), s.zipf_theta, s.region_base, span, bs, p_.seed,
                 static_cast<uint64_t>(p_.index) * (span / bs) / p_.threads);
    EngineConfig cfg{p_.target, s, p_.backend.variant, qd, p_.index, reqs_.data(), buffers_.data(), &arena_};
    engine_ = p_.backend.info->create(cfg);
    if (p_.trace) {
      lane_ = std::make_unique<trace::Lane>(*p_.trace, static_cast<uint16_t>(p_.index));
      engine_->trace_to(lane_.get());
    }
    if (s.series_ns) st_.series = SeriesLog(s.series_ns, p_.series_words);
  }

  void loop() {
    interval_ = p_.rate ? 1'000'000'000 / p_.rate : 0;
    next_due_ = now_ns();
    reset_stats(next_due_);
    // None of the features that need a look per batch or per request: the
    // loop compiled without those looks (cycle<true>), fewer instructions
    // and code lines for each round trip to fetch again after the kernel.
    const bool plain = !interval_ && !lane_ && !p_.spec.series_ns && !cancel_pct_ && !fsync_every_ && !verify_ &&
                       !spin_wait_ && !drain_cancel_ && !notify_;
    if (plain) cycle<true>();
    else cycle<false>();
    st_.t_end = now_ns();
    st_.usage = Usage::thread() - st_.usage0;  // before the drain and the engine's teardown
    st_.ops = ops_;
    st_.bytes = bytes_;
    st_.errors = errors_;
    st_.live_ops.store(ops_, std::memory_order_relaxed);
    if (series_) st_.series.finish(st_.t_end);
    if (lane_) {
      lane_->active = trace_requests_ = false;
      lane_->close();
    }
    st_.counters = engine_->counters();
    st_.counters.subtract_all(counters_at_start_);
    if (p_.spec.cancel_pct) {
      st_.counters.add("cancel_requested") = st_.cancel_requested;
      st_.counters.add("cancelled") = st_.cancelled;
      st_.counters.add("cancel_too_late") = st_.cancel_too_late;
      st_.counters.add("cancel_unsupported") = st_.cancel_unsupported;
    }
  }

  // Issues and reaps until the phase says stop or the ops are done.
  template <bool kPlain>
  void cycle() {
    bool measuring = false;
    for (;;) {
      const int ph = phase();
      if (ph == kStop) break;
      if (!measuring && ph == kMeasure) {
        measuring = true;
        reset_stats(now_ns());
        counters_at_start_ = engine_->counters();  // once per repetition, off the hot path
        // What is in flight or refused now completes in the measurement and
        // counts in it: --ops is what the measurement counts.
        issued_ = inflight_ + static_cast<unsigned>(carried_);
        ops_cap_ = p_.ops;
        if (st_.series.on()) {
          // Stored before the phase: the threads' intervals line up.
          const uint64_t t0 = sh_.measure_t0.load(std::memory_order_acquire);
          st_.series.start(t0 ? t0 : st_.t_start);
          series_ = true;
        }
        if (lane_) lane_->active = trace_requests_ = !p_.trace->requests_spent();
        detail_ = notify_ || series_ || trace_requests_;
      }
      issue<kPlain>();
      if (inflight_ == 0) {
        if (ops_cap_ && issued_ >= ops_cap_ && !carried_ && !fsync_due_) break;
        if (!kPlain && interval_ && !carried_) wait_until(next_due_);
        continue;
      }
      int64_t timeout = -1;
      if (!kPlain && interval_ && nfree_) {
        const uint64_t now = now_ns();  // after the submission, not before it
        timeout = next_due_ > now + spin_.ns ? static_cast<int64_t>(next_due_ - now - spin_.ns) : 0;
        timeout = std::min<int64_t>(timeout, kStopCheckNs);
      }
      // --drain cancel: the end is seen within kStopCheckNs, with what is
      // still in flight, not after the next completion.
      if (!kPlain && drain_cancel_ && (timeout < 0 || timeout > kStopCheckNs)) timeout = kStopCheckNs;
      reap<kPlain>(timeout);
    }
  }

  // Prepares what the free slots and the rate allow and submits it together
  // with what the engine refused last time.
  template <bool kPlain>
  void issue() {
    // One clock read per batch without --rate (the stamp below): the null
    // backend's cost per request is mostly clock reads.
    const uint64_t now = !kPlain && interval_ ? now_ns() : 0;
    int n = carried_;  // refused last time: already prepared, offered first
    // --lat-sample: how many of this batch were drawn to be timed.
    unsigned drawn = 0;
    if (!kPlain && fsync_due_ && nfree_) {
      // --fsync-every: the flush is a request of its own, in a slot like the
      // others, through the model's own interface (Op::Fsync).
      Request* r = free_list_[--nfree_];
      r->op = Op::Fsync;
      r->len = 0;
      r->intended = false;
      r->timed = true;  // a flush is rare and its time a figure of its own
      drawn = 1;
      r->end_ns = 0;
      r->submit_ns = 0;
      r->cancel_ns = 0;
      batch_[n++] = r;
      fsync_due_ = false;
    }
    uint64_t room = nfree_;
    if (ops_cap_) room = std::min<uint64_t>(room, ops_cap_ > issued_ ? ops_cap_ - issued_ : 0);
    for (; room; --room) {
      Request* r = free_list_[nfree_ - 1];
      r->len = bs_;
      r->intended = false;
      r->submit_ns = 0;
      r->cancel_ns = 0;
      if (!kPlain && interval_) {
        if (next_due_ > now) break;
        // The system kept the slot past the intended time: latency counts
        // from that time (no coordinated omission). The slot was free in
        // time: lateness is iobench's own wake-up, a figure of its own and
        // not charged to the request.
        r->intended = r->end_ns > next_due_;
        if (r->intended) r->start_ns = next_due_;
        else st_.issue_lateness.record(now - next_due_);
        next_due_ += interval_;
      }
      --nfree_;
      r->end_ns = 0;
      r->timed = lat_sample_ == 1 || sample_.next();
      drawn += r->timed;
      r->offset = gen_->next();
      r->op = (read_pct_ == 100 || (read_pct_ && gen_->rng().below(100) < read_pct_)) ? Op::Read : Op::Write;
      if (!kPlain && verify_ && r->op == Op::Write) pattern::fill(r->buf, bs_, r->offset, data_seed_);
      batch_[n++] = r;
      ++issued_;
    }
    submit_end_ = 0;
    if (!n) return;
    // Stamped when prepared, just before the submission: offsets and the
    // verify fill are not latency. An engine that times its submission call
    // stamps each request at that call itself (timed_call), so a stamp here
    // would be a clock read thrown away (tens of ns a request at qd 1); the
    // trace's submit slice still wants its start.
    const bool traced = !kPlain && lane_ && lane_->active;
    // --lat-sample: a batch with nothing drawn needs no stamp.
    timed_out_ += drawn;
    const bool stamp = traced || (drawn != 0 && !timed_submit_);
    const uint64_t t = stamp ? now_ns() : 0;
    if (!timed_submit_ && stamp) restamp(batch_.data() + carried_, n - carried_, t);
    int k = engine_->submit(batch_.data(), n);
    if (traced) {
      // The wait that follows starts here too (reap): one clock read per batch.
      submit_end_ = now_ns();
      lane_->call(trace::Kind::Submit, t, submit_end_, static_cast<uint32_t>(k));
    }
    // io_uring:batch submits inside its wait: no submission call of its own.
    // Only a drawn request has a submission time (--lat-sample).
    if (timed_submit_ && (drawn || carried_))
      for (int i = 0; i < k; ++i)
        if (batch_[i]->submit_ns) st_.submit_lat.record(batch_[i]->submit_ns);
    inflight_ += static_cast<unsigned>(k);
    if (!kPlain && cancel_pct_)
      for (int i = 0; i < k; ++i)
        if (batch_[i]->op != Op::Fsync && cancel_rng_.below(100) < cancel_pct_) cancel(*batch_[i]);
    // Requests the engine could not take (a full ring, EAGAIN) keep their
    // offset, op and start time and go first next time, so the offset
    // sequence is the same whatever the engine accepts per call.
    carried_ = n - k;
    std::copy(batch_.begin() + k, batch_.begin() + n, batch_.begin());
  }

  template <bool kPlain>
  void reap(int64_t timeout) {
    const bool traced = !kPlain && lane_ && lane_->active;
    const uint64_t t0 = traced ? (submit_end_ ? submit_end_ : now_ns()) : 0;
    const int qd = static_cast<int>(done_.size());
    int got = !kPlain && spin_wait_ ? spin(timeout) : engine_->reap(done_.data(), qd, timeout);
    if (got <= 0) {
      if (traced) lane_->call(trace::Kind::Wait, t0, now_ns(), 0);
      return;
    }
    // The batch's stamp, for what the engine did not stamp itself: at qd 1
    // on a page-cached file a clock read here is a third of the loop's own
    // cost, so it is not read when every request already has its stamp.
    // --lat-sample: a request not drawn needs no stamp either, unless a
    // cancel's figures want the time it came back.
    // --lat-sample: with no drawn request out, none of these needs it.
    bool unstamped = traced;
    if (timed_out_ || (!kPlain && (cancel_pct_ || traced)))
      for (int i = 0; i < got; ++i) {
        const Request& r = *done_[i];
        unstamped |= (r.end_ns == 0) & (r.timed | (r.cancel_ns != 0));
        timed_out_ -= r.timed;
      }
    const uint64_t t = unstamped ? now_ns() : 0;
    if (traced) lane_->call(trace::Kind::Wait, t0, t, static_cast<uint32_t>(got));
    inflight_ -= static_cast<unsigned>(got);
    // Completed after the measurement stopped (a device told to hurry
    // serves what is in flight at once, early): counted nowhere.
    if (phase(std::memory_order_acquire) == kStop) {
      for (int i = 0; i < got; ++i) free_list_[nfree_++] = done_[i];
      return;
    }
    uint32_t record = trace::kNone;
    if (!kPlain && trace_requests_) {
      int data = 0;  // a flush is no request of the figures: not a request slice either
      for (int i = 0; i < got; ++i) data += done_[i]->op != Op::Fsync && !taken_back(*done_[i]);
      record = claim_trace(data);
    }
    // No flush, cancel or trace record among them: the short way.
    const bool plain = kPlain || (!fsync_every_ && !cancel_pct_ && record == trace::kNone);
    for (int i = 0; i < got; ++i) {
      Request* r = done_[i];
      // The engine's own stamp where it saw this request complete by itself
      // (poll, sigio: the I/O ran in reap), else the stamp of the batch the
      // interface delivered at once (a CQ batch, io_getevents).
      if (!r->end_ns) r->end_ns = t;
      free_list_[nfree_++] = r;
      if (plain) {
        complete<kPlain>(*r, r->end_ns, record);
        continue;
      }
      if (r->op == Op::Fsync) {
        flushed(*r);
        continue;
      }
      if (r->cancel_ns && cancel_outcome(*r)) continue;
      complete<kPlain>(*r, r->end_ns, record);
      if (record != trace::kNone) ++record;
      // The flush goes out with the next batch, once the writes it covers are done.
      if (fsync_every_ && r->op == Op::Write && ++writes_since_flush_ >= fsync_every_) {
        fsync_due_ = true;
        writes_since_flush_ = 0;
      }
    }
    if (!kPlain && lane_ && !trace_requests_) lane_->active = false;
    // A store to WorkerState's page: in the plain loop only every kLiveEvery
    // reaps (a few ms of a fast run), the progress line's lag.
    if (!kPlain || --live_left_ == 0) {
      st_.live_ops.store(ops_, std::memory_order_relaxed);
      live_left_ = kLiveEvery;
    }
  }

  // --wait spin: the engine's zero-timeout look, again and again, until
  // something completes, the timeout passes or the run stops.
  int spin(int64_t timeout) {
    const uint64_t deadline = timeout < 0 ? UINT64_MAX : now_ns() + static_cast<uint64_t>(timeout);
    for (;;) {
      const int got = engine_->reap(done_.data(), static_cast<int>(p_.qd), 0);
      if (got || phase() == kStop) return got;
      if (deadline != UINT64_MAX && now_ns() >= deadline) return 0;
    }
  }

  // Sleeps until shortly before t, then spins to it (SpinGuard).
  // A long interval (--rate 1) sleeps in slices, so a stop is seen at once.
  void wait_until(uint64_t t) {
    if (uint64_t now = now_ns(); t > now + spin_.ns) {
      const uint64_t wake = t - spin_.ns;
      for (; wake > now + kStopCheckNs; now = now_ns()) {
        sleep_until_ns(now + kStopCheckNs);
        if (phase() == kStop) return;
      }
      sleep_until_ns(wake);
      spin_.learn(now_ns() - wake);
    }
    const uint64_t from = now_ns();
    while (now_ns() < t) {
    }
    st_.spin_ns += now_ns() - from;
  }

  // Lets what is in flight land before the engine (and its buffers) go away;
  // those completions are not counted: they finished after the clock stopped.
  // --drain cancel: asks for each of them to be cancelled first, and counts
  // what was taken back (drain_requested, drain_cancelled).
  void drain() {
    uint64_t asked = 0, taken = 0;
    if (drain_cancel_ && inflight_) {
      // In flight: neither free nor refused by the engine last time.
      std::vector<bool> idle(reqs_.size());
      for (unsigned i = 0; i < nfree_; ++i) idle[free_list_[i]->slot] = true;
      for (int i = 0; i < carried_; ++i) idle[batch_[static_cast<size_t>(i)]->slot] = true;
      for (auto& r : reqs_)
        if (!idle[r.slot] && !r.cancel_ns) {
          r.cancel_ns = now_ns();
          r.cancel_refused = !engine_->cancel(r);
          ++asked;
        }
    }
    while (inflight_) {
      int got = engine_->reap(done_.data(), static_cast<int>(p_.qd), -1);
      if (got <= 0) continue;
      inflight_ -= static_cast<unsigned>(got);
      for (int i = 0; i < got; ++i) taken += taken_back(*done_[i]);
    }
    if (drain_cancel_) {
      st_.counters.add("drain_requested") = asked;
      st_.counters.add("drain_cancelled") = taken;
    }
    st_.notes = engine_->notes();
  }

  // --trace: records for a batch of measured completions, while the point's
  // budget lasts (claimed at completion, so a point traces exactly the first
  // min(limit, ops) requests its figures count). The first, or kNone.
  uint32_t claim_trace(int n) {
    const uint32_t first = p_.trace->claim_requests(static_cast<uint32_t>(n));
    if (first == trace::kNone || first + static_cast<uint32_t>(n) >= p_.trace->request_capacity())
      trace_requests_ = false;  // this thread's calls stop being traced after this batch
    return first;
  }

  // Asks the engine to take r back, right after its submission.
  void cancel(Request& r) {
    const bool traced = lane_ && lane_->active;
    r.cancel_ns = now_ns();
    r.cancel_refused = !engine_->cancel(r);
    if (traced) lane_->call(trace::Kind::Cancel, r.cancel_ns, now_ns(), 1);
  }

  static bool taken_back(const Request& r) { return r.cancel_ns && r.result == -ECANCELED; }

  // A request that was asked to cancel, back from the engine: counts the
  // outcome. True when it was taken back (then it is no op of the figures).
  bool cancel_outcome(const Request& r) {
    ++st_.cancel_requested;
    if (taken_back(r)) {
      ++st_.cancelled;
      st_.cancel_lat.record(r.end_ns > r.cancel_ns ? r.end_ns - r.cancel_ns : 0);
      return true;
    }
    ++(r.cancel_refused ? st_.cancel_unsupported : st_.cancel_too_late);
    return false;
  }

  // An fsync of --fsync-every: its own figure, from its submission to its
  // completion; not a request of the figures (no op, no bytes, no latency).
  void flushed(const Request& r) {
    const uint64_t took = r.end_ns > r.start_ns ? r.end_ns - r.start_ns : 0;
    st_.fsync_lat.record(took);
    st_.fsync_ns += took;
    st_.fsync_submit_ns += std::min(took, r.submit_ns);
    if (r.result >= 0) return;
    if (st_.first_error.empty()) st_.first_error = "fsync failed: " + errno_text(static_cast<int>(-r.result));
    fail();
  }

  // What a completion adds beyond the plain figures: the notification delay
  // (a device that stamps when the block became ready), its trace record,
  // its --series entry.
  void detail(const Request& r, uint64_t t, uint32_t trace_ix) {
    // From the device's ready stamp (pattern::stamp_ready) to now: how late
    // this model learned of it.
    uint64_t ready = 0;
    if (notify_ && r.timed && r.op == Op::Read && r.result >= static_cast<int64_t>(pattern::kSector)) {
      ready = pattern::ready_stamp(r.buf);
      st_.notify.record(t > ready ? t - ready : 0);
    }
    if (trace_ix != trace::kNone && trace_ix < p_.trace->request_capacity())
      p_.trace->req(trace_ix) = trace::Req{r.start_ns, t, ready, r.offset, r.result, r.len,
                                           static_cast<uint16_t>(p_.index), r.op == Op::Write, r.intended};
    if (series_)
      st_.series.record(t, t > r.start_ns ? t - r.start_ns : 0, r.result > 0 ? static_cast<uint64_t>(r.result) : 0);
  }

  template <bool kPlain>
  void complete(const Request& r, uint64_t t, uint32_t trace_ix) {
    ++ops_;
    if (r.timed) st_.lat.record(t > r.start_ns ? t - r.start_ns : 0);
    if (!kPlain && detail_) detail(r, t, trace_ix);
    if (r.result == static_cast<int64_t>(r.len)) {
      if (!kPlain && verify_reads_ && r.op == Op::Read && !verify(r)) return fail();
      bytes_ += r.len;
      return;
    }
    failed(r);
  }

  // A request that did not move all its bytes: an error of the run.
  [[gnu::cold, gnu::noinline]] void failed(const Request& r) {
    if (st_.first_error.empty()) {
      const char* what = r.op == Op::Read ? "read" : "write";
      char buf[256];
      if (r.result < 0)
        std::snprintf(buf, sizeof buf, "%s of %u bytes at offset %llu failed: %s", what, r.len,
                      static_cast<unsigned long long>(r.offset), errno_text(static_cast<int>(-r.result)).c_str());
      else
        std::snprintf(buf, sizeof buf, "short %s at offset %llu: %lld of %u bytes%s", what,
                      static_cast<unsigned long long>(r.offset), static_cast<long long>(r.result), r.len,
                      r.op == Op::Read ? p_.target.short_read_hint() : "");
      st_.first_error = buf;
    }
    if (r.result > 0) bytes_ += static_cast<uint64_t>(r.result);
    fail();
  }

  void fail() {
    ++errors_;
    if (p_.spec.on_error == OnError::Stop) sh_.trip();
  }

  bool verify(const Request& r) {
    // A stream (emu) is not addressed by offset: its blocks carry their own
    // stamps, so check each block is whole and self-consistent instead.
    uint64_t base = r.offset;
    if (!seekable_) std::memcpy(&base, r.buf + 8, sizeof base);
    for (uint32_t off = 0; off < r.len; off += pattern::kSector) {
      uint64_t found = 0;
      auto c = pattern::check_sector(r.buf + off, base + off, &found);
      if (c == pattern::Check::Ok) continue;
      if (st_.first_error.empty()) {
        char buf[256];
        const char* why = c == pattern::Check::BadMagic    ? "no iobench stamp"
                          : c == pattern::Check::BadOffset ? "stamp of another offset"
                                                           : "checksum mismatch";
        std::snprintf(buf, sizeof buf, "verify failed at offset %llu (backend %s): %s",
                      static_cast<unsigned long long>(r.offset + off), p_.backend.info->name.c_str(), why);
        st_.first_error = buf;
        if (c == pattern::Check::BadOffset)
          st_.first_error += " (found " + std::to_string(found) + ")";
      }
      return false;
    }
    return true;
  }

  const WorkerParams& p_;
  Shared& sh_;
  WorkerState& st_;
  HotArena& arena_;
  int& phase_;  // this worker's copy of the phase (Shared::copies)
  // Allocated by prepare(); declared before the engine, which goes first.
  AlignedBuffer buffers_;
  // On the arena: what a round trip touches, side by side.
  std::span<Request> reqs_;
  std::span<Request*> free_list_, batch_, done_;
  EnginePtr engine_;
  // This worker's tallies (WorkerState's page stays out of the round trip).
  uint64_t ops_ = 0, bytes_ = 0, errors_ = 0;
  static constexpr unsigned kLiveEvery = 32;
  unsigned live_left_ = kLiveEvery;
  unsigned nfree_ = 0, inflight_ = 0;
  int carried_ = 0;
  const uint32_t bs_ = static_cast<uint32_t>(p_.spec.bs);
  const uint32_t lat_sample_ = p_.spec.lat_sample;
  const unsigned read_pct_ = p_.spec.read_percent();
  const unsigned cancel_pct_ = p_.spec.cancel_pct;
  uint64_t issued_ = 0;
  // --ops once measuring: a ramp is timed and issues as many as it can (a
  // thread that met its --ops in the ramp reported the ramp as measured).
  uint64_t ops_cap_ = 0;
  uint64_t interval_ = 0, next_due_ = 0;  // --rate: ns between issues, the next intended issue time
  uint64_t timed_out_ = 0;                // requests drawn to be timed, prepared and not back yet
  uint64_t submit_end_ = 0;               // traced: when the last submit call returned (0: none this round)
  const uint64_t fsync_every_ = p_.spec.fsync_every;
  bool trace_requests_ = false;  // completions get trace records
  bool series_ = false;          // measuring with --series
  bool detail_ = false;          // completions have more to record than the plain figures (detail())
  bool fsync_due_ = false;       // --fsync-every: a flush goes out with the next batch
  const bool timed_submit_ = p_.backend.caps() & kCapTimedSubmit;
  const bool verify_ = p_.spec.verify;
  // null moves no data, so there is nothing to verify.
  const bool verify_reads_ = p_.spec.verify && !(p_.backend.caps() & kCapNoIo);
  const bool notify_ = p_.target.stamps_ready() && !(p_.backend.caps() & kCapNoIo);
  const bool spin_wait_ = p_.spec.wait == WorkloadSpec::Wait::Spin;
  const bool drain_cancel_ = p_.spec.drain == WorkloadSpec::Drain::Cancel;
  std::unique_ptr<trace::Lane> lane_;  // --trace
  OneIn sample_{lat_sample_, splitmix64(p_.seed ^ 0x5a3b1e)};  // its own draw: the offsets stay as they are without it
  std::optional<OffsetGen> gen_;
  // Off the round trip.
  bool ready_signalled_ = false, measured_signalled_ = false;
  const bool seekable_ = p_.target.seekable();
  const uint64_t data_seed_ = p_.target.data_seed();
  uint64_t writes_since_flush_ = 0;
  SpinGuard spin_{50'000};  // --rate: spin this long before an issue (wait_until)
  Rng cancel_rng_{splitmix64(p_.seed ^ 0xca9ce1)};  // apart from the offsets' generator: same offsets with or without
  Counters counters_at_start_;
};

// How many words a thread's --series log holds: the intervals the runtime
// makes (4096 without one), at a header and 48 buckets each, within 8 MiB.
size_t series_words(const WorkloadSpec& spec) {
  if (!spec.series_ns) return 0;
  const uint64_t runtime = spec.effective_runtime_ns();
  const uint64_t intervals = runtime ? runtime / spec.series_ns + 2 : 4096;
  return static_cast<size_t>(std::clamp<uint64_t>(intervals * (SeriesLog::kHeader + 48), 4096, 1u << 20));
}

unsigned thread_count(const WorkloadSpec& spec, const BackendChoice& backend) {
  return spec.jobs * ((backend.caps() & kCapOneInFlight) ? spec.qd : 1);
}

std::vector<WorkerParams> worker_params(const WorkloadSpec& spec, const BackendChoice& backend, const Target& target,
                                        unsigned rep, trace::Pool* trace) {
  // A backend with one request in flight per engine runs qd threads per job.
  const bool one_each = backend.caps() & kCapOneInFlight;
  const unsigned per_job = one_each ? spec.qd : 1;
  const unsigned threads = thread_count(spec, backend);
  const size_t words = series_words(spec);
  std::vector<WorkerParams> params;
  params.reserve(threads);
  for (unsigned i = 0; i < threads; ++i)
    params.push_back(WorkerParams{spec, backend, target, i, threads, one_each ? 1 : spec.qd,
                                  spec.ops ? (spec.ops + per_job - 1 - i % per_job) / per_job : 0,
                                  spec.rate_iops ? std::max<uint64_t>(1, spec.rate_iops / per_job) : 0,
                                  splitmix64(spec.seed ^ (uint64_t{rep} << 32) ^ i), trace, words});
  return params;
}

// A job thread: its Worker first on its arena, then what prepare() and the
// engine put there. The arena holds the Worker and its request arrays
// whatever the engine takes (arena_bytes).
void run_worker(const WorkerParams& p, Shared& shared, WorkerState& st, HotArena& arena, int& phase) {
  Worker* w = new (arena.take(sizeof(Worker), alignof(Worker))) Worker(p, shared, st, arena, phase);
  (*w)();
  w->~Worker();
}

// The phase's copy, the Worker, its requests and arrays, and room for the
// engine and its tables (make_engine; an engine that does not fit goes to
// the heap). Pages never touched cost nothing.
size_t arena_bytes(const WorkerParams& p) {
  return 64 + sizeof(Worker) + p.qd * (sizeof(Request) + 3 * sizeof(Request*)) + 4 * 64 + (16 << 10);
}

uint64_t live_ops(const std::vector<WorkerState>& states) {
  uint64_t ops = 0;
  for (auto& st : states) ops += st.live_ops.load(std::memory_order_relaxed);
  return ops;
}

// Usage of the process, of the coordinating thread and of the target's own
// threads at one moment: what is in the first and in neither of the others
// (nor in the workers' own) is the model's helper threads'.
struct Snapshot {
  Usage process, coordinator, target;
  static Snapshot take(const Target& t) { return {Usage::process(), Usage::thread(), t.own_usage()}; }
};

enum class Drive { Done, Interrupted, InterruptedInRamp };

// The coordinating thread's part of a repetition: ramp, then measure until
// the runtime is up, every worker finished, or a stop signal. `u0` is taken
// when measuring began.
Drive drive(const WorkloadSpec& spec, const Target& target, Shared& shared, const std::vector<WorkerState>& states,
           StopSignal& stop, Progress* progress, Snapshot& u0, Group& g, double& resident) {
  // Every rank starts together (the verdict is a collective call), or none
  // does: a rank whose worker failed in setup fails the repetition for all.
  const bool aborted = g.worst(shared.abort.load() ? 1 : 0, "").severity;
  // The page cache as the measurement finds it (after a ramp: as the ramp left it).
  if (!spec.ramp_ns) resident = target.resident();
  const uint64_t t0 = now_ns();
  u0 = Snapshot::take(target);
  if (aborted) return Drive::Done;
  shared.measure_t0.store(spec.ramp_ns ? 0 : t0, std::memory_order_release);
  shared.set(spec.ramp_ns ? kRamp : kMeasure);
  bool interrupted = false;
  uint64_t measure_t0 = t0;
  if (spec.ramp_ns) {
    while (!interrupted && now_ns() < t0 + spec.ramp_ns && !shared.abort.load()) {
      interrupted = stop.wait(std::min<uint64_t>(t0 + spec.ramp_ns - now_ns(), 200'000'000));
      if (progress) progress->update(now_ns() - t0, spec.ramp_ns, live_ops(states), "ramp");
    }
    // What the workers counted so far is the ramp's: never a measurement.
    // The ranks end their ramps together: the measurement starts at once
    // everywhere.
    if (g.worst(interrupted ? 1 : 0, "").severity) return Drive::InterruptedInRamp;
    resident = target.resident();
    measure_t0 = now_ns();
    u0 = Snapshot::take(target);
    shared.measure_t0.store(measure_t0, std::memory_order_release);
    shared.set(kMeasure);
  }
  const uint64_t runtime = spec.effective_runtime_ns();
  const uint64_t deadline = runtime ? measure_t0 + runtime : UINT64_MAX;
  bool announced = false;
  while (!interrupted) {
    const bool done = shared.finished.load(std::memory_order_acquire) >= states.size();
    if (spec.stonewall) {
      // The first rank to finish its --ops ends the measurement everywhere.
      if (done && !announced) g.announce_done(), announced = true;
      if (g.anyone_done()) break;
    } else if (done) {
      break;
    }
    uint64_t t = now_ns();
    if (t >= deadline) break;
    // Short waits in ops mode so the end of the run is noticed promptly.
    interrupted = stop.wait(std::min<uint64_t>(deadline - t, runtime ? 200'000'000
                                                             : spec.stonewall ? 1'000'000 : 20'000'000));
    if (progress) progress->update(now_ns() - measure_t0, runtime, live_ops(states), "run");
  }
  g.settle();
  return interrupted ? Drive::Interrupted : Drive::Done;
}

// The threads' --series logs, interval by interval (every log has the same
// intervals from the same t0; one that filled up cuts the rows there).
Series merge_series(const std::vector<WorkerState>& states, uint64_t end) {
  Series out;
  out.interval_ns = states[0].series.interval();
  out.t0_ns = states[0].series.t0();
  size_t rows = 0, cut = SIZE_MAX;
  for (auto& st : states) {
    rows = std::max(rows, st.series.intervals());
    if (st.series.full()) cut = std::min(cut, st.series.intervals());
  }
  out.truncated = cut != SIZE_MAX;
  rows = std::min(rows, cut);
  std::vector<size_t> cursor(states.size(), 0);
  std::vector<uint64_t> counts(SeriesLog::kBuckets);
  out.rows.reserve(rows);
  for (size_t k = 0; k < rows; ++k) {
    Series::Row row;
    row.t_ns = k * out.interval_ns;
    const uint64_t from = out.t0_ns + row.t_ns;
    row.dur_ns = std::min(out.interval_ns, end > from ? end - from : 0);
    std::fill(counts.begin(), counts.end(), 0);
    for (size_t i = 0; i < states.size(); ++i) {
      const SeriesLog& log = states[i].series;
      if (k >= log.intervals()) continue;
      const uint64_t* w = log.data() + cursor[i];
      row.ops += w[0];
      row.bytes += w[1];
      row.max_ns = std::max(row.max_ns, w[2]);
      for (uint64_t b = 0; b < w[3]; ++b) {
        const uint64_t e = w[SeriesLog::kHeader + b];
        counts[e >> SeriesLog::kCountBits] += e & ((uint64_t{1} << SeriesLog::kCountBits) - 1);
      }
      cursor[i] += SeriesLog::kHeader + w[3];
    }
    // The bucket holding the ceil(q * ops)-th smallest, at its midpoint, at most the max.
    auto at = [&](double q) {
      const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(row.ops))));
      uint64_t seen = 0;
      for (size_t b = 0; b < counts.size(); ++b)
        if ((seen += counts[b]) >= rank) return std::min(SeriesLog::value(b), row.max_ns);
      return row.max_ns;
    };
    if (row.ops) row.p50_ns = at(0.50), row.p99_ns = at(0.99);
    out.rows.push_back(row);
  }
  return out;
}

// The workers' figures merged into one repetition's metrics; their failures,
// first errors and notes go into the result.
Metrics collect(const std::vector<WorkerState>& states, const Snapshot& u0, const Snapshot& u1, bool helper_threads,
                uint64_t stopped, Result& result) {
  Metrics m;
  uint64_t start = UINT64_MAX, end = 0;
  for (auto& st : states) {
    if (!st.failure.empty() && result.reason.empty()) result.reason = st.failure;
    if (!st.first_error.empty() && result.reason.empty()) result.reason = st.first_error;
    m.ops += st.ops;
    m.bytes += st.bytes;
    m.errors += st.errors;
    m.lat.merge(st.lat);
    m.notify.merge(st.notify);
    m.fsync_lat.merge(st.fsync_lat);
    m.issue_lateness.merge(st.issue_lateness);
    m.submit_lat.merge(st.submit_lat);
    m.cancel_lat.merge(st.cancel_lat);
    m.counters.add_all(st.counters);
    for (auto& n : st.notes)
      if (std::find(result.notes.begin(), result.notes.end(), n) == result.notes.end()) result.notes.push_back(n);
    start = std::min(start, st.t_start);
    end = std::max(end, st.t_end);
  }
  m.runtime_ns = end > start ? end - start : 0;
  uint64_t fsync_ns = 0, fsync_submit_ns = 0;
  for (auto& st : states) fsync_ns += st.fsync_ns, fsync_submit_ns += st.fsync_submit_ns;
  // An "asynchronous" flush the kernel ran inside its submission call (the
  // first repetition that shows it says so).
  constexpr std::string_view kSyncFlush = "of the fsyncs' time was spent inside their submission calls";
  if (fsync_ns && fsync_submit_ns * 2 > fsync_ns &&
      std::none_of(result.notes.begin(), result.notes.end(), [&](auto& n) { return n.find(kSyncFlush) != n.npos; }))
    result.notes.push_back(std::to_string(fsync_submit_ns * 100 / fsync_ns) + " % " + std::string(kSyncFlush) +
                           ": this model's asynchronous fsync ran synchronously here");
  // A series ends when the measurement did: what completed after the stop
  // counts nowhere, so the last interval must not hold that time either.
  if (!states.empty() && states[0].series.on()) m.series = merge_series(states, std::min(end, stopped));
  // The workers' own usage over their measure phase, and for a model with
  // helper threads (glibc aio, SIGEV_THREAD, io_uring's SQ and io-wq threads)
  // theirs: the process less the workers, the coordinator and the target (the
  // emulator). Per-thread and process figures are sampled apart, so the
  // remainder is a few ms off either way: only a model with helpers gets it.
  Usage workers;
  uint64_t spun = 0;
  for (auto& st : states) workers = workers + st.usage, spun += st.spin_ns;
  const Usage helpers =
      helper_threads
          ? (u1.process - u0.process) - (u1.coordinator - u0.coordinator) - (u1.target - u0.target) - workers
          : Usage{};
  const Usage model = workers + helpers;
  m.cpu_user_ns = model.user_ns - std::min(model.user_ns, spun);  // the rate limiter's spin is iobench's
  m.cpu_sys_ns = model.sys_ns;
  m.cpu_helpers_ns = helpers.user_ns + helpers.sys_ns;
  m.ctx_voluntary = model.voluntary;
  m.ctx_involuntary = model.involuntary;
  return m;
}

// One repetition; a failure to start or mid-run sets result.status and reason.
// Nothing when nothing was measured (stopped during the ramp).
std::optional<Metrics> run_once(const WorkloadSpec& spec, const BackendChoice& backend, const Target& target, unsigned rep,
                 StopSignal& stop, const RunOptions& opts, trace::Pool* trace, Result& result, Group& g) {
  const std::vector<WorkerParams> params = worker_params(spec, backend, target, rep, trace);
  result.threads = static_cast<unsigned>(params.size());
  Shared shared(static_cast<unsigned>(params.size()));
  std::vector<WorkerState> states(params.size());
  std::vector<HotArena> arenas;  // outlive the threads: Shared::copies point into them
  std::vector<std::thread> pool;
  pool.reserve(params.size());
  std::string not_started;
  try {
    for (auto& p : params) {
      arenas.emplace_back(arena_bytes(p));
      shared.copies.push_back(static_cast<int*>(arenas.back().take(sizeof(int), 64)));
    }
    target.set_cache(spec.cache);  // before the threads: their setup reads nothing
    for (size_t i = 0; i < params.size(); ++i)
      pool.emplace_back([&, i] { run_worker(params[i], shared, states[i], arenas[i], *shared.copies[i]); });
  } catch (const RuntimeError& e) {
    not_started = e.what();
  } catch (const std::system_error& e) {
    not_started = "cannot start job thread " + std::to_string(pool.size() + 1) + " of " +
                  std::to_string(params.size()) + ": " + e.code().message() +
                  " (the limit on threads, ulimit -u, or on memory for their stacks, ulimit -v: raise it, or "
                  "lower --qd x --jobs)";
  }
  if (const Group::Verdict v = g.worst(not_started.empty() ? 0 : 1, not_started); v.severity) {
    // The threads already started wait for the go: tell them to stop, and
    // join them before the error leaves (a joinable std::thread destroyed
    // would terminate the process, leaving the temporary file behind).
    shared.trip();
    shared.set(kStop);
    for (auto& t : pool) t.join();
    throw RuntimeError(v.reason);
  }

  shared.ready.wait();
  Progress* progress = g.rank() == 0 ? opts.progress : nullptr;
  if (progress) progress->begin(rep);
  Snapshot u0{};
  double resident = -1;
  const Drive how = drive(spec, target, shared, states, stop, progress, u0, g, resident);
  if (resident >= 0) result.target["resident_at_start"].push_back(resident);
  const uint64_t stopped = now_ns();
  shared.set(kStop);  // wakes workers still in setup after a failure, too
  // What is in flight would otherwise hold the workers up to a whole device
  // latency (emu: up to 10 s); it counts nowhere now (Worker::reap).
  target.hurry(true);
  shared.measured.wait();  // the measure phase ends when the last worker leaves it
  const Snapshot u1 = Snapshot::take(target);
  for (auto& t : pool) t.join();
  target.hurry(false);
  if (progress) progress->end_repetition();
  if (how == Drive::InterruptedInRamp) {
    result.status = Status::Interrupted;
    return std::nullopt;
  }
  const bool interrupted = how == Drive::Interrupted;

  Metrics m = collect(states, u0, u1, backend.caps() & kCapHelperThreads, stopped, result);
  bool failed = std::any_of(states.begin(), states.end(), [](auto& st) { return !st.failure.empty(); });
  if (failed) result.status = Status::Error;
  else if (interrupted) result.status = Status::Interrupted;
  else if (m.errors && spec.on_error == OnError::Stop) result.status = Status::Error;
  return m;
}

// A note when the job threads outnumber the CPUs they may run on: their
// latency then includes waiting for a CPU (sync at qd 32 on 2 CPUs: p99.99
// 96 ms against a 22 us mean).
std::string crowding(const WorkloadSpec& spec, const BackendChoice& backend) {
  const unsigned threads = thread_count(spec, backend);
  unsigned cpus = static_cast<unsigned>(spec.cpus.size());
  if (!cpus) {
    cpu_set_t set;
    CPU_ZERO(&set);
    cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? static_cast<unsigned>(CPU_COUNT(&set)) : 0;
  }
  if (!cpus || threads <= cpus) return "";
  return std::to_string(threads) + " job threads share " + std::to_string(cpus) +
         " CPU(s): latency includes waiting for a CPU, not only for the I/O";
}

// What a reader of a rate-limited result must know: whether the schedule was
// kept, and how late iobench itself issued.
void rate_notes(const WorkloadSpec& spec, Result& r) {
  const double target = static_cast<double>(spec.rate_iops) * spec.jobs;
  const double got = r.summary.iops();
  if (got < 0.95 * target)
    r.notes.push_back("--rate " + std::to_string(spec.rate_iops) + " per job could not be kept: " +
                      format_count(got) + " IOPS of " + format_count(target) +
                      " (latency counts from the intended issue time where the system held the slot)");
  const Histogram& late = r.summary.issue_lateness;
  r.notes.push_back("--rate: iobench issued requests whose slot was free " + format_duration(late.percentile(50)) +
                    " late at p50, " + format_duration(late.percentile(99)) + " at p99 (issue_lateness_ns; not "
                    "charged to latency); its spinning before each issue is left out of cpu");
}

// --lat-sample: how many requests the latency figures stand on, and what
// that costs in precision.
void sample_note(Result& r) {
  const uint64_t n = r.summary.lat.count();
  if (!n) return;
  // A sample's p-quantile has rank p*n, which falls within 2*sqrt(n*p*(1-p))
  // of its expectation 95 % of the time: the whole's quantile p +- that.
  const double half = 200 * std::sqrt(0.99 * 0.01 / static_cast<double>(n));
  char span[64];
  std::snprintf(span, sizeof span, "p%.2f and p%.2f", 99 - half, std::min(99 + half, 100.0));
  r.notes.push_back("--lat-sample " + std::to_string(r.spec.lat_sample) + ": latency, notification and submission "
                    "figures from " + std::to_string(n) + " of " + std::to_string(r.summary.ops) +
                    " requests drawn at random (their p99 lies between the whole's " + span +
                    ", 95 %); IOPS and bandwidth count every request");
}

// What --cancel-pct did, for a reader of the table: the counters say it too.
void cancel_note(Result& r) {
  const Counters& c = r.summary.counters;
  const uint64_t asked = c.own_value("cancel_requested");
  if (!asked) return;
  auto part = [&](std::string_view name) {
    const uint64_t n = c.own_value(name);
    return std::to_string(n) + " (" + std::to_string((n * 1000 / asked + 5) / 10) + " %)";
  };
  std::string note = "--cancel-pct " + std::to_string(r.spec.cancel_pct) + ": " + std::to_string(asked) +
                     " requests asked to cancel: " + part("cancelled") + " taken back";
  if (r.summary.cancel_lat.count())
    note += " (cancel to completion p50 " + format_duration(r.summary.cancel_lat.percentile(50)) + ")";
  note += ", " + part("cancel_too_late") + " completed anyway, " + part("cancel_unsupported") +
          " refused by the interface; taken-back requests are not in ops or latency";
  r.notes.push_back(note);
}

// Under mpirun: how many ranks on how many hosts, the slowest, and whether
// --stonewall cut the others short.
void ranks_note(const WorkloadSpec& spec, Result& r) {
  std::vector<std::string> hosts;
  const RankFigures* slowest = nullptr;
  for (auto& k : r.ranks) {
    if (std::find(hosts.begin(), hosts.end(), k.host) == hosts.end()) hosts.push_back(k.host);
    if (!slowest || k.total.iops() < slowest->total.iops()) slowest = &k;
  }
  std::string note = std::to_string(r.ranks.size()) + " ranks on " + std::to_string(hosts.size()) +
                     " host(s), figures of all together; the slowest, rank " + std::to_string(slowest->rank) + " (" +
                     slowest->host + "): " + format_count(slowest->total.iops()) + " IOPS, p99 " +
                     format_duration(slowest->total.lat.percentile(99));
  if (spec.stonewall) note += "; --stonewall: every rank stopped when the first finished its --ops";
  r.notes.push_back(note);
}

// --cpu-idle shallow: a PM QoS request for no wake-up latency, in force while
// the descriptor is open; the kernel drops it when iobench exits.
Fd hold_shallow_idle() {
  Fd fd(::open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC));
  const int32_t zero = 0;
  if (!fd || ::write(fd.get(), &zero, sizeof zero) != sizeof zero)
    throw RuntimeError("--cpu-idle shallow: cannot hold /dev/cpu_dma_latency at 0: " + errno_text(errno) +
                       " (it needs root; --cpu-idle as-is leaves the CPUs' idle states alone)");
  return fd;
}

}  // namespace

Result run_point(const WorkloadSpec& spec, const BackendChoice& backend, Target& target, StopSignal& stop,
                 const RunOptions& opts) {
  Result result = start_result(spec, backend, target.describe());
  Group& g = opts.group ? *opts.group : solo();
  // Whether this point runs is one decision for every rank: a rank that
  // skips or fails here makes every rank skip or fail, with its reason.
  enum Gate { kRuns, kSkip, kFail };
  Gate gate = kRuns;
  std::string why;
  Fit fit;
  bool fitted = false;
  Fd idle;
  if (why = backend.unavailable(); !why.empty()) {
    gate = kSkip;
  } else if (spec.cancels() && !(backend.caps() & kCapCancel)) {
    gate = kSkip;
    why = backend.info->name + " has no interface to take back a request it started: --cancel-pct and "
          "--drain cancel apply to posixaio, libaio and io_uring";
  } else if (fitted = true, fit = backend.info->fit(target, spec, backend.variant); !fit.runnable) {
    gate = kSkip;
    why = fit.reason;
  } else if (spec.cpu_idle == WorkloadSpec::CpuIdle::Shallow) {
    try {
      idle = hold_shallow_idle();
    } catch (const RuntimeError& e) {
      gate = kFail;
      why = e.what();
    }
  }
  result.notes = fit.notes;
  if (std::string crowded = crowding(spec, backend); fitted && !crowded.empty()) result.notes.push_back(crowded);
  if (const Group::Verdict v = g.worst(gate, why); v.severity) {
    result.status = v.severity == kFail ? Status::Error : Status::Skipped;
    result.reason = v.reason;
    return result;
  }
  if (spec.cpu_idle == WorkloadSpec::CpuIdle::AsIs && target.stamps_ready() && !(backend.caps() & kCapNoIo)) {
    const auto states = cpu_idle_states();
    if (std::any_of(states.begin(), states.end(), [](auto& s) { return s != "POLL"; })) {
      std::string names;
      for (auto& s : states) names += (names.empty() ? "" : ", ") + s;
      result.notes.push_back("idle CPUs may halt here (cpuidle states: " + names +
                             "): waking a thread on a halted CPU is part of every notification delay (tens of us "
                             "on a VM); --cpu-idle shallow keeps them polling");
    }
  }
  // --trace: every record of the point, allocated before anything runs.
  std::unique_ptr<trace::Pool> pool;
  if (opts.trace) pool = std::make_unique<trace::Pool>(spec.trace_limit, thread_count(spec, backend));
  // The target's running totals, so this result reports its own share.
  const TargetTotals before = target.totals();
  for (unsigned rep = 0; rep < spec.repeat; ++rep) {
    if (g.worst(stop.poll() ? 1 : 0, "").severity) {
      result.status = Status::Interrupted;
      break;
    }
    std::optional<Metrics> m;
    try {
      m = run_once(spec, backend, target, rep, stop, opts, pool.get(), result, g);
    } catch (const RuntimeError& e) {  // its threads could not start: this result fails, the others stand
      result.status = Status::Error;
      result.reason = e.what();
      break;
    }
    if (spec.writes() && !(backend.caps() & kCapNoIo))
      if (std::string done = target.settle(); !done.empty() && rep == 0) result.notes.push_back(done);
    // How the repetition ended is one verdict for every rank: a failure
    // anywhere is the point's failure, with that rank's reason.
    enum Ended { kWhole, kStopped, kFailed };
    const Group::Verdict v = g.worst(result.status == Status::Error         ? kFailed
                                     : result.status == Status::Interrupted ? kStopped
                                                                            : kWhole,
                                     result.reason);
    if (v.severity == kFailed) result.status = Status::Error, result.reason = v.reason;
    else if (v.severity == kStopped) result.status = Status::Interrupted;
    // A failed setup measured nothing; a failure mid-run keeps what it measured.
    if (m && !(m->ops || result.status == Status::Ok || result.status == Status::Interrupted)) m.reset();
    if (!g.alone() && !merge_ranks(g, m, result.ranks)) m.reset();
    if (m) result.repetitions.push_back(std::move(*m));
    if (result.status != Status::Ok) break;
  }
  target.report(before, target.totals(), result.target, result.notes);
  if (spec.writes() && !spec.verify && !(backend.caps() & kCapNoIo)) target.wrote_unstamped();
  summarize(result);
  if (spec.rate_iops && !result.repetitions.empty()) rate_notes(spec, result);
  if (spec.cancel_pct && !result.repetitions.empty()) cancel_note(result);
  if (spec.lat_sample > 1 && !result.repetitions.empty()) sample_note(result);
  if (!result.ranks.empty()) ranks_note(spec, result);
  if (pool && !result.repetitions.empty()) opts.trace->add(result, *pool);
  return result;
}

}  // namespace iobench
