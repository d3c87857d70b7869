// The runner end to end on real files: counts add up, verify catches what it
// should, faults become counted errors with a reason.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <thread>

#include "core/clock.h"
#include "core/errors.h"
#include "core/fd.h"
#include "run/figures.h"
#include "run/runner.h"
#include "test_util.h"

using namespace iobench;

namespace {

// A backend of one test engine, E(out): what it records goes to `out`.
template <typename E, typename Out>
BackendInfo test_backend(const char* name, Out* out) {
  return {name, "test", {{"default", "test"}}, kCapNone, {}, [] { return std::string(); },
          [](const Target&, const WorkloadSpec&, unsigned) { return Fit{}; },
          [out](const EngineConfig&) { return EnginePtr(new E(out)); }};
}

class RunnerTest : public testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::TempDir() + "iobench-runner-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    std::remove(path_.c_str());
  }
  void TearDown() override { std::remove(path_.c_str()); }

  WorkloadSpec spec(RwMode rw) const {
    WorkloadSpec s;
    s.rw = rw;
    s.size = 1 << 20;
    s.ops = 300;
    s.qd = 4;
    s.jobs = 2;
    s.target = {"file", path_};
    return s;
  }

  Result run(const WorkloadSpec& s, const std::string& backend) { return run_with(s, backend); }

  std::string path_;
  StopSignal stop_;
};

}  // namespace

TEST_F(RunnerTest, OpsAndBytesAddUpForEveryMode) {
  for (const char* backend : {"sync", "null"}) {
    for (RwMode rw : {RwMode::Read, RwMode::Write, RwMode::RandRead, RwMode::RandWrite, RwMode::RandRW}) {
      WorkloadSpec s = spec(rw);
      Result r = run(s, backend);
      SCOPED_TRACE(std::string(backend) + " " + std::string(rw_name(rw)));
      ASSERT_EQ(r.status, Status::Ok) << r.reason;
      ASSERT_EQ(r.repetitions.size(), 1u);
      const Metrics& m = r.summary;
      EXPECT_EQ(m.ops, s.ops * s.jobs);
      EXPECT_EQ(m.bytes, m.ops * s.bs);
      EXPECT_EQ(m.errors, 0u);
      EXPECT_EQ(m.lat.count(), m.ops);
      EXPECT_GT(m.iops(), 0);
      EXPECT_GT(m.runtime_ns, 0u);
      if (std::string(backend) == "sync") {
        EXPECT_EQ(m.counters.syscalls, m.ops);
      }
    }
  }
}

TEST_F(RunnerTest, RepetitionsAndSummary) {
  WorkloadSpec s = spec(RwMode::RandRead);
  s.repeat = 3;
  Result r = run(s, "sync");
  ASSERT_EQ(r.status, Status::Ok);
  ASSERT_EQ(r.repetitions.size(), 3u);
  uint64_t ops = 0;
  double iops = 0;
  for (auto& m : r.repetitions) ops += m.ops, iops += m.iops();
  EXPECT_EQ(r.summary.ops, ops);
  EXPECT_EQ(r.summary.lat.count(), ops);
  // The spread is the repetitions' own: exact extremes, mean and sample stddev.
  const Spread* sd = r.spread_of(figure("iops"));
  ASSERT_NE(sd, nullptr);
  double lo = r.repetitions[0].iops(), hi = lo, ss = 0;
  for (auto& m : r.repetitions) lo = std::min(lo, m.iops()), hi = std::max(hi, m.iops());
  for (auto& m : r.repetitions) ss += (m.iops() - iops / 3) * (m.iops() - iops / 3);
  EXPECT_DOUBLE_EQ(sd->min, lo);
  EXPECT_DOUBLE_EQ(sd->max, hi);
  EXPECT_DOUBLE_EQ(sd->mean, iops / 3);
  EXPECT_NEAR(sd->stddev, std::sqrt(ss / 2), 1e-9 * hi);
  // Every figure that declares a spread has one where it was measured (a
  // file has no notification delay).
  for (auto& f : figures())
    EXPECT_EQ(r.spread_of(f) != nullptr, !f.spread_key.empty() && f.present(r.summary)) << f.name;
}

TEST_F(RunnerTest, VerifyPassesOnWrittenData) {
  WorkloadSpec s = spec(RwMode::RandWrite);
  s.verify = true;
  ASSERT_EQ(run(s, "sync").summary.errors, 0u);
  s.rw = RwMode::RandRead;
  Result r = run(s, "sync");
  EXPECT_EQ(r.status, Status::Ok);
  EXPECT_EQ(r.summary.errors, 0u) << r.reason;
  s.rw = RwMode::RandRW;
  s.bs = 16384;
  r = run(s, "sync");
  EXPECT_EQ(r.summary.errors, 0u) << r.reason;
}

TEST_F(RunnerTest, VerifyCatchesCorruption) {
  WorkloadSpec s = spec(RwMode::Read);
  s.verify = true;
  s.jobs = 1;
  s.qd = 1;
  s.ops = 256;  // the whole 1 MiB file once, sequentially
  ASSERT_EQ(run(s, "sync").summary.errors, 0u);
  {
    int fd = ::open(path_.c_str(), O_WRONLY);
    char junk[512] = {1, 2, 3};
    ASSERT_EQ(::pwrite(fd, junk, sizeof junk, 40960 + 512), 512);
    ::close(fd);
  }
  Result r = run(s, "sync");
  EXPECT_EQ(r.summary.errors, 1u);
  EXPECT_NE(r.reason.find("verify failed at offset 41472 (backend sync)"), std::string::npos) << r.reason;
  s.on_error = OnError::Stop;
  r = run(s, "sync");
  EXPECT_EQ(r.status, Status::Error);
}

TEST_F(RunnerTest, TruncatedFileGivesCountedErrors) {
  WorkloadSpec s = spec(RwMode::Read);
  s.jobs = 1;
  s.qd = 1;
  s.ops = 256;
  ASSERT_EQ(run(s, "sync").status, Status::Ok);
  // A file of ours that is too small would be laid out again, so prepare the
  // target first, then truncate behind its back as a fault would.
  auto target = make_target(s);
  ASSERT_EQ(::truncate(path_.c_str(), 512 * 1024), 0);
  Result r = run_point(s, resolve_backends({"sync"}).front(), *target, stop_, RunOptions{});
  EXPECT_EQ(r.status, Status::Ok);
  EXPECT_EQ(r.summary.errors, 128u);
  EXPECT_EQ(r.summary.ops, 256u);
  EXPECT_NE(r.reason.find("short read at offset 524288"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("truncated"), std::string::npos) << r.reason;
}

TEST_F(RunnerTest, RefusesToWriteForeignFiles) {
  {
    FILE* f = std::fopen(path_.c_str(), "w");
    std::fputs(std::string(1 << 20, 'x').c_str(), f);
    std::fclose(f);
  }
  WorkloadSpec s = spec(RwMode::Write);
  EXPECT_THROW(make_target(s), UsageError);
  s.rw = RwMode::Read;
  EXPECT_NO_THROW(make_target(s));  // reads are always allowed
  s.verify = true;
  EXPECT_THROW(make_target(s), UsageError);  // but it holds no stamps to verify
  s.verify = false;
  s.rw = RwMode::Write;
  s.allow_overwrite = true;
  EXPECT_EQ(run(s, "sync").status, Status::Ok);
}

TEST_F(RunnerTest, RateLimitHoldsTheRate) {
  WorkloadSpec s = spec(RwMode::RandRead);
  s.ops = 0;
  s.jobs = 1;
  s.rate_iops = 2000;
  s.runtime_ns = 500'000'000;
  Result r = run(s, "null");
  ASSERT_EQ(r.status, Status::Ok);
  // 1000 expected; wide bounds because this machine is shared and noisy.
  EXPECT_GT(r.summary.ops, 700u);
  EXPECT_LT(r.summary.ops, 1100u);
}

TEST_F(RunnerTest, RuntimeBoundRunStopsOnTime) {
  WorkloadSpec s = spec(RwMode::RandRead);
  s.ops = 0;
  s.runtime_ns = 300'000'000;
  s.ramp_ns = 100'000'000;
  Result r = run(s, "sync");
  ASSERT_EQ(r.status, Status::Ok);
  EXPECT_GT(r.summary.runtime_ns, 250'000'000u);
  EXPECT_LT(r.summary.runtime_ns, 1'000'000'000u);
}

namespace {

// Takes at most one request per submit call (as a full ring or EAGAIN would)
// and remembers every offset it was given.
class StingyEngine final : public Engine {
 public:
  explicit StingyEngine(std::vector<uint64_t>* seen) : seen_(seen) {}
  int submit(Request* const* reqs, int n) override {
    if (n == 0) return 0;
    seen_->push_back(reqs[0]->offset);
    reqs[0]->result = reqs[0]->len;
    done_.push_back(reqs[0]);
    counters_.submitted++;
    return 1;
  }
  int reap(Request** out, int max, int64_t) override {
    int n = 0;
    while (n < max && !done_.empty()) {
      out[n++] = done_.back();
      done_.pop_back();
    }
    return n;
  }

 private:
  std::vector<uint64_t>* seen_;
  std::vector<Request*> done_;
};

}  // namespace

TEST_F(RunnerTest, RefusedRequestsKeepTheirOffsets) {
  // A sequential pass must visit every block once, however many requests the
  // engine accepts per call (this failed when refused requests were re-prepared).
  std::vector<uint64_t> seen;
  BackendInfo info = test_backend<StingyEngine>("stingy", &seen);
  WorkloadSpec s = spec(RwMode::Read);
  s.jobs = 1;
  s.qd = 8;
  s.ops = 256;  // 1 MiB / 4k: every block once
  auto target = make_target(s);
  Result r = run_point(s, BackendChoice{&info, 0}, *target, stop_, RunOptions{});
  ASSERT_EQ(r.status, Status::Ok) << r.reason;
  EXPECT_EQ(r.summary.ops, 256u);
  std::vector<uint64_t> want(256);
  for (uint64_t i = 0; i < 256; ++i) want[i] = i * 4096;
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, want);
}

namespace {

// Records the CPU set of the job thread it is created on, and of a thread it
// starts itself (as glibc starts its aio helpers).
// Completes every request inside its submission: with all its bytes, or
// with -fail_with_ when that is set.
class InstantEngine : public Engine {
 public:
  int submit(Request* const* reqs, int n) override {
    for (int i = 0; i < n; ++i) {
      reqs[i]->result = fail_with_ ? -fail_with_ : static_cast<int32_t>(reqs[i]->len);
      done_.push_back(reqs[i]);
    }
    return n;
  }
  int reap(Request** out, int max, int64_t) override {
    int n = 0;
    for (; n < max && !done_.empty(); ++n) {
      out[n] = done_.back();
      done_.pop_back();
    }
    return n;
  }

 protected:
  int32_t fail_with_ = 0;

 private:
  std::vector<Request*> done_;
};

class AffinityEngine final : public InstantEngine {
 public:
  explicit AffinityEngine(std::vector<std::vector<unsigned>>* seen) {
    seen->push_back(cpus_of_this_thread());
    std::thread([seen] { seen->push_back(cpus_of_this_thread()); }).join();
  }

  static std::vector<unsigned> cpus_of_this_thread() {
    cpu_set_t set;
    pthread_getaffinity_np(pthread_self(), sizeof set, &set);
    std::vector<unsigned> out;
    for (unsigned c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) out.push_back(c);
    return out;
  }
};

}  // namespace

TEST_F(RunnerTest, CpusPinTheJobsAndTheThreadsTheyStart) {
  std::vector<std::vector<unsigned>> seen;
  BackendInfo info = test_backend<AffinityEngine>("affinity", &seen);
  const std::vector<unsigned> mine = AffinityEngine::cpus_of_this_thread();
  if (mine.size() < 2) GTEST_SKIP() << "this process may use one CPU: pinned and unpinned look the same";
  const unsigned last = mine.back();  // not the whole set
  WorkloadSpec s = spec(RwMode::RandRead);
  s.jobs = 1;
  s.cpus = {last};
  auto target = make_target(s);
  Result r = run_point(s, BackendChoice{&info, 0}, *target, stop_, RunOptions{});
  ASSERT_EQ(r.status, Status::Ok) << r.reason;
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::vector<unsigned>{last});
  EXPECT_EQ(seen[1], std::vector<unsigned>{last});
  EXPECT_EQ(AffinityEngine::cpus_of_this_thread(), mine) << "the caller stays unpinned";
}

// Every summary figure recomputed from the repetitions: counts and times
// summed, rates and ratios from those sums (ops / runtime, not a mean of
// rates: they differ when repetitions differ in length), latency from the
// merged histogram.
TEST_F(RunnerTest, SummaryFiguresAreTheTotalsOfTheRepetitions) {
  WorkloadSpec s = spec(RwMode::RandRW);
  s.repeat = 3;
  s.ops = 0;
  s.jobs = 1;
  s.runtime_ns = 100'000'000;
  Result r = run(s, "sync");
  ASSERT_EQ(r.status, Status::Ok) << r.reason;
  Histogram merged;
  double ops = 0, bytes = 0, runtime = 0, cpu = 0, syscalls = 0;
  for (auto& m : r.repetitions) {
    merged.merge(m.lat);
    ops += static_cast<double>(m.ops), bytes += static_cast<double>(m.bytes);
    runtime += static_cast<double>(m.runtime_ns), cpu += static_cast<double>(m.cpu_user_ns + m.cpu_sys_ns);
    syscalls += static_cast<double>(m.counters.syscalls);
  }
  for (auto& f : figures()) {
    SCOPED_TRACE(f.name);
    const double got = f.value(r.summary);
    if (f.count) {
      double sum = 0;
      for (auto& m : r.repetitions) sum += static_cast<double>(m.*f.count);
      EXPECT_DOUBLE_EQ(got, sum);
    } else if (f.hist) {
      Metrics only;
      only.lat = merged;
      EXPECT_DOUBLE_EQ(got, f.value(only));
    }
  }
  EXPECT_DOUBLE_EQ(figure("iops").value(r.summary), ops * 1e9 / runtime);
  EXPECT_DOUBLE_EQ(figure("bw").value(r.summary), bytes * 1e9 / runtime);
  EXPECT_DOUBLE_EQ(figure("cpu").value(r.summary), cpu / ops);
  EXPECT_DOUBLE_EQ(figure("syscalls_per_op").value(r.summary), syscalls / ops);
}

namespace {

// Runs each request's "I/O" inside reap, one after another (as poll and sigio
// do), taking kWork each, and stamps each one's own end; keeps the truth.
class SerialReapEngine final : public Engine {
 public:
  static constexpr uint64_t kWork = 20'000;
  explicit SerialReapEngine(std::vector<uint64_t>* truth) : truth_(truth) {}
  int submit(Request* const* reqs, int n) override {
    for (int i = 0; i < n; ++i) pending_.push_back(reqs[i]);
    counters_.batch(static_cast<uint64_t>(n));
    return n;
  }
  int reap(Request** out, int max, int64_t) override {
    int n = 0;
    for (; n < max && !pending_.empty(); ++n) {
      Request* r = pending_.front();
      pending_.erase(pending_.begin());
      const uint64_t until = now_ns() + kWork;
      while (now_ns() < until) {
      }
      r->result = r->len;
      r->end_ns = now_ns();
      truth_->push_back(r->end_ns - r->start_ns);
      out[n] = r;
    }
    return n;
  }

 private:
  std::vector<Request*> pending_;
  std::vector<uint64_t>* truth_;
};

}  // namespace

// A batched reap stamped every completion with one time, later than each
// request's own end: poll at qd 16 read 7.7us high on a 17.9us mean.
TEST_F(RunnerTest, EachCompletionCarriesItsOwnStamp) {
  std::vector<uint64_t> truth;
  BackendInfo info = test_backend<SerialReapEngine>("serial", &truth);
  WorkloadSpec s = spec(RwMode::Read);
  s.jobs = 1;
  s.qd = 16;
  s.ops = 320;
  auto target = make_target(s);
  Result r = run_point(s, BackendChoice{&info, 0}, *target, stop_, RunOptions{});
  ASSERT_EQ(r.status, Status::Ok) << r.reason;
  ASSERT_EQ(truth.size(), 320u);  // the run counts every request (no ramp): the same set
  double mean = 0;
  for (uint64_t t : truth) mean += static_cast<double>(t) / static_cast<double>(truth.size());
  EXPECT_NEAR(r.summary.lat.mean(), mean, 1000.0) << "a shared stamp adds ~(qd-1)/2 x 20us = 150us";
}

// poll's own engine stamps each request as its I/O returns, in order.
TEST_F(RunnerTest, PollStampsEachRequestItReaps) {
  WorkloadSpec s = spec(RwMode::Read);
  s.qd = 16;
  auto target = make_target(s);
  AlignedBuffer buffers(size_t{4096} * s.qd, 4096);
  std::vector<Request> slots(s.qd);
  std::vector<Request*> ptrs, done(s.qd);
  for (unsigned i = 0; i < s.qd; ++i) {
    slots[i].offset = uint64_t{i} * 4096;
    slots[i].len = 4096;
    slots[i].buf = buffers.data() + size_t{i} * 4096;
    slots[i].slot = i;
    slots[i].start_ns = now_ns();
    ptrs.push_back(&slots[i]);
  }
  auto engine = find_backend("poll")->create(EngineConfig{*target, s, 0, s.qd, 0, slots.data(), buffers.data()});
  ASSERT_EQ(engine->submit(ptrs.data(), static_cast<int>(s.qd)), static_cast<int>(s.qd));
  int got = 0;
  while (got < static_cast<int>(s.qd)) got += engine->reap(done.data() + got, static_cast<int>(s.qd) - got, -1);
  for (int i = 0; i < got; ++i) {
    EXPECT_EQ(done[i]->result, 4096);
    EXPECT_GE(done[i]->end_ns, done[i]->start_ns);
    if (i) {
      EXPECT_GT(done[i]->end_ns, done[i - 1]->end_ns) << "one stamp shared by the batch";
    }
  }
}

namespace {

// The first engine created fails every request (EIO); the others complete
// theirs at once.
class FirstFailsEngine final : public InstantEngine {
 public:
  explicit FirstFailsEngine(std::atomic<int>* made) { fail_with_ = made->fetch_add(1) == 0 ? EIO : 0; }
};

}  // namespace

// on_error=stop: one job's error stops every job at once, not when the
// runtime is up. Each job thread reads its own copy of the phase, so the
// failing one must stop the others' copies (Shared::trip).
TEST_F(RunnerTest, OneJobsErrorStopsTheOthers) {
  std::atomic<int> made{0};
  BackendInfo info = test_backend<FirstFailsEngine>("first-fails", &made);
  WorkloadSpec s = spec(RwMode::Read);
  s.jobs = 2;
  s.qd = 1;
  s.ops = 0;
  s.runtime_ns = 10'000'000'000;
  s.on_error = OnError::Stop;
  auto target = make_target(s);
  const uint64_t t0 = now_ns();
  Result r = run_point(s, BackendChoice{&info, 0}, *target, stop_, RunOptions{});
  EXPECT_EQ(made.load(), 2);
  EXPECT_EQ(r.status, Status::Error) << r.reason;
  EXPECT_GE(r.summary.errors, 1u);
  EXPECT_LT(now_ns() - t0, 5'000'000'000u);  // the other job did not run out its 10 s
}
