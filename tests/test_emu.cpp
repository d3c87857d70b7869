// The readiness models against the emulated device: counts add up, the device
// cannot be beaten, notifications match completions, failures are counted,
// and the emulator leaves nothing behind.
#include <dirent.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>
#include <sys/resource.h>

#include <thread>

#include "backends/common.h"
#include "core/clock.h"
#include "core/pattern.h"
#include "run/runner.h"
#include "test_util.h"
#include "targets/target.h"

using namespace iobench;

namespace {

constexpr uint64_t kLatency = 200'000;  // ns

size_t count_entries(const char* dir) {
  size_t n = 0;
  if (DIR* d = opendir(dir)) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n;
}

WorkloadSpec emu_spec(RwMode rw, unsigned qd) {
  WorkloadSpec s;
  s.rw = rw;
  s.qd = qd;
  s.target = {"emu", ""};
  set(s, "emu_latency", std::to_string(kLatency) + "ns");
  s.verify = true;
  s.runtime_ns = 250'000'000;
  // The first block of a channel is ready one latency after open; a ramp
  // keeps setup time out of the figures.
  s.ramp_ns = 30'000'000;
  return s;
}

Result run(const WorkloadSpec& s, const std::string& backend) { return run_with(s, backend); }

class EmuTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (std::string why = sanitizer_cannot_run(GetParam()); !why.empty()) GTEST_SKIP() << why;
  }
};

}  // namespace

TEST_P(EmuTest, DeviceModelHolds) {
  for (unsigned qd : {1u, 8u, 64u}) {
    for (RwMode rw : {RwMode::Read, RwMode::Write}) {
      SCOPED_TRACE(std::string(rw_name(rw)) + " qd" + std::to_string(qd));
      WorkloadSpec s = emu_spec(rw, qd);
      Result r = run(s, GetParam());
      ASSERT_EQ(r.status, Status::Ok) << r.reason;
      const Metrics& m = r.summary;
      EXPECT_GT(m.ops, 0u);
      EXPECT_EQ(m.errors, 0u) << r.reason;
      EXPECT_EQ(m.bytes, m.ops * s.bs);
      EXPECT_EQ(m.lat.count(), m.ops);
      // Nothing completed twice: every completion was submitted in this
      // window or was in flight when it opened; nothing lost: every
      // submission completed in it or was in flight when it closed.
      EXPECT_LE(m.ops, m.counters.submitted + qd) << "completed twice";
      EXPECT_LE(m.counters.submitted, m.ops + qd) << "completions lost";
      // Each channel moves at most one block per latency: the ideal is a hard ceiling.
      double ideal = qd * 1e9 / kLatency;
      EXPECT_LE(m.iops(), ideal * 1.03) << "faster than the device";
      // Request mode: the device serves a request from the moment it was
      // issued, so none of any model completes sooner.
      EXPECT_GE(m.lat.min(), kLatency);
      EXPECT_EQ(r.target["mode"], "request");
      ASSERT_TRUE(r.target.contains("lateness_ns"));
      EXPECT_LE(r.target["lateness_ns"]["p50"].get<uint64_t>(), r.target["lateness_ns"]["max"].get<uint64_t>());
      // One doorbell per request: those that completed, give or take the
      // ones in flight at either edge of the window (and the ramp's).
      EXPECT_GE(r.target["requests"].get<uint64_t>(), m.ops);
      if (rw == RwMode::Read) {
        // Every read learns when its block became ready. Per request,
        // latency = service + the emulator's lateness + the notification
        // delay, so the delay's percentiles sit below latency's less the
        // service time (within the histogram's 0.4 %).
        ASSERT_EQ(m.notify.count(), m.ops);
        for (double q : {50.0, 99.0})
          EXPECT_LE(m.notify.percentile(q), m.lat.percentile(q) - kLatency + m.lat.percentile(q) / 128) << q;
      } else {
        EXPECT_EQ(m.notify.count(), 0u) << "writes have no ready stamp";
      }
      if (r.backend == "sigio") {
        EXPECT_EQ(m.counters.own_value("sigio_overflows"), 0u);
        // One signal per block that arrived (reads) or drained (writes); the
        // window's edges account for at most a block per channel each side.
        EXPECT_GE(m.counters.signals + qd, m.ops);
        EXPECT_LE(m.counters.signals, m.ops + 2 * qd);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Readiness, EmuTest,
                         testing::Values("sync", "sync:nowait", "poll:poll", "poll:epoll", "poll:epoll-et", "poll:select",
                                         "sigio:waitinfo", "sigio:handler", "posixaio:suspend", "io_uring:default", "io_uring:poll",
                                         "libaio:poll"),
                         param_name);

// A channel serves one request at a time, read or write: mixed traffic
// cannot beat the ceiling either (stream mode's independent read and write
// pipes did: 42.6-44.0k IOPS at qd 4 on a 100us device).
TEST(Emu, MixedReadsAndWritesKeepTheCeiling) {
  for (const char* backend : {"sync", "poll:epoll", "io_uring"}) {
    SCOPED_TRACE(backend);
    WorkloadSpec s = emu_spec(RwMode::RandRW, 4);
    Result r = run(s, backend);
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    EXPECT_LE(r.summary.iops(), 4 * 1e9 / kLatency * 1.03);
    EXPECT_GE(r.summary.lat.min(), kLatency);
  }
}

// Stream mode: a block is ready a service time after the previous one was
// taken, whoever asks; the ceiling holds, the minimum does not (docs/emu.md).
TEST(Emu, StreamModeKeepsTheCeiling) {
  WorkloadSpec s = emu_spec(RwMode::Read, 4);
  set(s, "emu_mode", "stream");
  Result r = run(s, "poll:epoll");
  ASSERT_EQ(r.status, Status::Ok) << r.reason;
  EXPECT_EQ(r.target["mode"], "stream");
  EXPECT_LE(r.summary.iops(), 4 * 1e9 / kLatency * 1.03);
  EXPECT_EQ(r.summary.notify.count(), r.summary.ops);
}

// The doorbell itself: a block is never ready before issue time + service,
// it carries the time it became ready, and that is what lateness measures.
TEST(Emu, ABlockIsReadyNoSoonerThanItsDeadlineAndSaysWhen) {
  WorkloadSpec s = emu_spec(RwMode::Read, 1);
  set(s, "emu_latency", "2ms");
  auto target = make_target(s);
  const TargetTotals before = target->totals();
  Channel ch = target->open_channel(0);
  ASSERT_NE(ch.bell, nullptr);
  char block[4096];
  for (int i = 0; i < 5; ++i) {
    const uint64_t issued = now_ns();
    ch.bell->ring(*ch.box, false, issued);
    ASSERT_EQ(::read(ch.fd(false), block, sizeof block), static_cast<ssize_t>(sizeof block));
    const uint64_t seen = now_ns(), ready = pattern::ready_stamp(block);
    EXPECT_GE(ready, issued + 2'000'000);
    EXPECT_LE(ready, seen);
    uint64_t found;
    EXPECT_EQ(pattern::check_sector(block, i * 4096, &found), pattern::Check::Ok);
  }
  nlohmann::json into;
  std::vector<std::string> notes;
  target->report(before, target->totals(), into, notes);
  EXPECT_EQ(into["requests"], 5);
  EXPECT_LE(into["lateness_ns"]["p50"].get<uint64_t>(), into["lateness_ns"]["max"].get<uint64_t>());
  EXPECT_GT(into["cpu_ns"].get<uint64_t>(), 0u);
}

// Withdrawing (a cancelled request): before its deadline the device never
// serves it and a request rung again on the channel gets its own block at its
// own deadline; after the deadline withdraw says it was served, and
// ChannelSet::withdraw consumes the block, so the next read is not handed it.
TEST(Emu, AWithdrawnRequestIsNeverServedAndAServedOneIsConsumed) {
  WorkloadSpec s = emu_spec(RwMode::Read, 1);
  set(s, "emu_latency", "20ms");
  auto target = make_target(s);
  const TargetTotals before = target->totals();
  ChannelSet set1(*target, 1);
  const Channel& ch = set1[0];
  unsigned char block[4096];
  ch.bell->ring(*ch.box, false, now_ns());
  EXPECT_TRUE(Doorbell::withdraw(*ch.box));
  const uint64_t again = now_ns();
  ch.bell->ring(*ch.box, false, again);  // the box may still be on the device's stack
  ASSERT_EQ(::read(ch.fd(false), block, sizeof block), static_cast<ssize_t>(sizeof block));
  EXPECT_GE(pattern::ready_stamp(block), again + 20'000'000) << "the withdrawn request was served";
  // Served before the job withdrew: the block is consumed, the pipe is empty.
  Request r;
  r.buf = block;
  r.len = sizeof block;
  r.slot = 0;
  ch.bell->ring(*ch.box, false, now_ns());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_FALSE(Doorbell::withdraw(*ch.box));
  ASSERT_EQ(::read(ch.fd(false), block, sizeof block), static_cast<ssize_t>(sizeof block));
  ch.bell->ring(*ch.box, false, now_ns());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  set1.withdraw(r);
  pollfd p{ch.fd(false), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0) << "a served block was left in the channel";
  nlohmann::json into;
  std::vector<std::string> notes;
  target->report(before, target->totals(), into, notes);
  EXPECT_EQ(into["requests"], 3) << "the withdrawn request was counted";
}

// Cancelled writes: the device drains no block for one it never served, and
// the channel's write pipe is full again after one it did, so the next write
// still waits its service time.
TEST(Emu, CancelledRequestsLeaveTheChannelsAsTheyFoundThem) {
  for (const char* backend : {"posixaio:suspend", "io_uring:default", "io_uring:batch"}) {
    if (std::string why = sanitizer_cannot_run(backend); !why.empty()) continue;
    for (RwMode rw : {RwMode::Read, RwMode::Write}) {
      SCOPED_TRACE(std::string(backend) + " " + std::string(rw_name(rw)));
      WorkloadSpec s = emu_spec(rw, 8);
      set(s, "cancel_pct", 50);
      set(s, "verify", true);
      s.runtime_ns = 300'000'000;
      Result r = run(s, backend);
      ASSERT_EQ(r.status, Status::Ok) << r.reason;
      const Metrics& m = r.summary;
      EXPECT_EQ(m.errors, 0u) << r.reason;
      EXPECT_GT(m.counters.own_value("cancelled"), 0u);
      // Nothing a cancel left behind makes a later request complete early.
      EXPECT_GE(m.lat.min(), kLatency);
      EXPECT_LE(m.iops(), 8 * 1e9 / kLatency * 1.03);
    }
  }
}

TEST(Emu, InjectedFailuresAreCountedAndTheRunGoesOn) {
  for (const char* backend : {"sync", "poll:epoll", "sigio:waitinfo", "io_uring"}) {
    SCOPED_TRACE(backend);
    WorkloadSpec s = emu_spec(RwMode::Read, 8);
    set(s, "emu_latency", "50us");
    set(s, "emu_fail_every", 100);
    s.runtime_ns = 400'000'000;
    Result r = run(s, backend);
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    double rate = static_cast<double>(r.summary.errors) / static_cast<double>(r.summary.ops);
    EXPECT_GT(rate, 0.005);
    EXPECT_LT(rate, 0.02);
    EXPECT_NE(r.reason.find("injected failure"), std::string::npos) << r.reason;
    EXPECT_EQ(r.target["fail_every"], 100);
  }
}

TEST(Emu, SigioOverflowIsDetectedAndNothingIsLost) {
  // A tiny queued-signal limit makes the kernel fall back to plain SIGIO.
  rlimit old{};
  getrlimit(RLIMIT_SIGPENDING, &old);
  rlimit tiny = old;
  tiny.rlim_cur = 2;
  ASSERT_EQ(setrlimit(RLIMIT_SIGPENDING, &tiny), 0);
  WorkloadSpec s = emu_spec(RwMode::Read, 32);
  set(s, "emu_latency", "20us");
  Result r = run(s, "sigio:waitinfo");
  setrlimit(RLIMIT_SIGPENDING, &old);
  ASSERT_EQ(r.status, Status::Ok) << r.reason;
  EXPECT_GT(r.summary.counters.own_value("sigio_overflows"), 0u);
  EXPECT_EQ(r.summary.errors, 0u) << r.reason;
  EXPECT_EQ(r.summary.bytes, r.summary.ops * s.bs);
  EXPECT_GT(r.summary.ops, 100u);
}

TEST(Emu, NoLeakedDescriptorsOrThreads) {
  std::thread([] {}).join();  // a sanitizer's own background thread starts with the first thread
  size_t fds = count_entries("/proc/self/fd"), tasks = count_entries("/proc/self/task");
  for (const char* backend : {"poll:epoll", "sigio:handler", "io_uring:fixed", "posixaio:listio"}) {
    if (!sanitizer_cannot_run(backend).empty()) continue;
    Result r = run(emu_spec(RwMode::Read, 16), backend);
    EXPECT_EQ(r.status, Status::Ok) << backend << ": " << r.reason;
  }
  EXPECT_EQ(count_entries("/proc/self/fd"), fds);
  // glibc keeps idle aio helper threads for a second; wait them out.
  for (int i = 0; i < 40 && count_entries("/proc/self/task") != tasks; ++i) usleep(100'000);
  EXPECT_EQ(count_entries("/proc/self/task"), tasks);
}

TEST(Emu, WhatDoesNotApplyIsSkippedWithAReason) {
  Result r = run(emu_spec(RwMode::Read, 4), "libaio");
  EXPECT_EQ(r.status, Status::Skipped);
  EXPECT_NE(r.reason.find("not applicable"), std::string::npos);

  WorkloadSpec f;
  f.rw = RwMode::Read;
  f.ops = 50;
  Result sig = run(f, "sigio");
  EXPECT_EQ(sig.status, Status::Skipped);
  EXPECT_EQ(sig.reason, "regular files do not raise SIGIO");
  Result ep = run(f, "poll:epoll");
  EXPECT_EQ(ep.status, Status::Skipped);
  Result p = run(f, "poll:poll");
  EXPECT_EQ(p.status, Status::Ok) << p.reason;
  ASSERT_FALSE(p.notes.empty());
  EXPECT_NE(p.notes[0].find("always ready"), std::string::npos);
  f.qd = 2000;
  Result sel = run(f, "poll:select");
  EXPECT_EQ(sel.status, Status::Skipped);
  EXPECT_NE(sel.reason.find("FD_SETSIZE"), std::string::npos);
}

// Counters come from the measured threads: the emulator's context switches
// (40 % of the voluntary and 92 % of the involuntary ones, sync at qd 4) and
// its CPU are left out, and a sync worker blocks about once per read.
TEST(Emu, NoCounterIncludesTheEmulator) {
  WorkloadSpec s = emu_spec(RwMode::Read, 4);
  s.verify = false;
  Result r = run(s, "sync");
  ASSERT_EQ(r.status, Status::Ok) << r.reason;
  const Metrics& m = r.summary;
  ASSERT_GT(m.ops, 100u);
  EXPECT_LE(m.ctx_voluntary, m.ops + m.ops / 5 + 50) << "the emulator's wake-ups are not the model's";
  EXPECT_LE(m.ctx_involuntary, m.ops / 10 + 50);
  EXPECT_EQ(m.cpu_helpers_ns, 0u) << "sync has no helper threads";
  EXPECT_GT(m.cpu_user_ns + m.cpu_sys_ns, 0u);
}

// A channel's first write waits behind a prefilled block; draining that block
// is not a request (target.requests counted it).
TEST(Emu, ThePrefillIsNotARequest) {
  WorkloadSpec s = emu_spec(RwMode::Write, 1);
  set(s, "emu_latency", "1ms");
  set(s, "emu_mode", "stream");
  auto target = make_target(s);
  Channel ch = target->open_channel(0);
  usleep(20'000);  // the prefill is drained one service time after open
  EXPECT_EQ(target->counters()["requests"], 0);
  char block[4096] = {};
  ASSERT_EQ(::write(ch.fd(true), block, sizeof block), static_cast<ssize_t>(sizeof block));
  usleep(20'000);
  EXPECT_EQ(target->counters()["requests"], 1);
}
