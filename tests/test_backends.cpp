// Every backend and variant through the real runner on a real file: each rw
// mode at qd 1 and 32, buffered and O_DIRECT, with --verify. Counts must add
// up exactly and nothing may fail verification.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "backends/backend.h"
#include "core/fs.h"
#include "core/fd.h"
#include "core/pattern.h"
#include "run/runner.h"
#include "test_util.h"
#include "targets/target.h"

using namespace iobench;

namespace {

std::vector<std::string> all_variants() {
  std::vector<std::string> out;
  for (auto& c : resolve_backends({"all:*"})) out.push_back(c.label());
  return out;
}

class BackendTest : public testing::TestWithParam<std::string> {
 public:
  void SetUp() override {
    if (std::string why = sanitizer_cannot_run(GetParam()); !why.empty()) GTEST_SKIP() << why;
    path_ = scratch_path("backend-" + GetParam());
    std::remove(path_.c_str());
    choice_ = resolve_backends({GetParam()}).front();
  }
  void TearDown() override { std::remove(path_.c_str()); }

  WorkloadSpec spec(RwMode rw, unsigned qd, bool direct) const {
    WorkloadSpec s;
    s.rw = rw;
    s.qd = qd;
    s.direct = direct;
    s.verify = true;
    s.size = 2 << 20;
    s.ops = 160;
    s.target = {"file", path_};
    return s;
  }

  Result run(const WorkloadSpec& s) { return run_with(s, choice_); }

  std::string path_;
  BackendChoice choice_{};
  StopSignal stop_;
};

}  // namespace

// Runs every mode of `modes` on `target`; returns how many ran (the rest
// were skipped by the backend, each with a reason).
int run_modes(BackendTest& t, const TargetSpec& target, const std::vector<std::tuple<RwMode, unsigned, bool>>& modes) {
  int ran = 0;
  for (auto [rw, qd, direct] : modes) {
    WorkloadSpec s = t.spec(rw, qd, direct);
    s.target = target;
    if (target.kind == "emu") set(s, "emu_latency", "20us");
    SCOPED_TRACE(target.text() + " " + std::string(rw_name(rw)) + " qd" + std::to_string(qd) +
                 (direct ? " direct" : " buffered"));
    Result r = t.run(s);
    if (r.status == Status::Skipped) {
      EXPECT_FALSE(r.reason.empty());
      continue;
    }
    ++ran;
    EXPECT_EQ(r.status, Status::Ok) << r.reason;
    const Metrics& m = r.summary;
    EXPECT_EQ(m.ops, s.ops);
    EXPECT_EQ(m.errors, 0u) << r.reason;
    EXPECT_EQ(m.bytes, m.ops * s.bs);
    EXPECT_EQ(m.lat.count(), m.ops);
    // Every request was submitted once; none was lost or completed twice.
    EXPECT_EQ(m.counters.submitted, m.ops);
    if (r.variant == "signal" || r.variant == "thread") {
      EXPECT_EQ(m.counters.signals, m.ops);  // one notification per request
    }
    if (r.backend == "libaio" || r.backend == "io_uring") {
      EXPECT_GT(m.counters.syscalls, 0u);
    }
  }
  return ran;
}

TEST_P(BackendTest, EveryModeAddsUpAndVerifies) {
  if (std::string why = choice_.unavailable(); !why.empty()) GTEST_SKIP() << why;
  std::vector<std::tuple<RwMode, unsigned, bool>> file_modes, emu_modes;
  for (bool direct : {false, true})
    for (unsigned qd : {1u, 32u})
      for (RwMode rw : {RwMode::Read, RwMode::Write, RwMode::RandRead, RwMode::RandWrite, RwMode::RandRW})
        file_modes.emplace_back(rw, qd, direct);
  for (unsigned qd : {1u, 16u})
    for (RwMode rw : {RwMode::Read, RwMode::Write}) emu_modes.emplace_back(rw, qd, false);
  // A model that a file cannot exercise (readiness: files are always ready)
  // is tested on the device, where it means something.
  int ran = run_modes(*this, {"file", path_}, file_modes);
  if (ran == 0) ran = run_modes(*this, {"emu", ""}, emu_modes);
  EXPECT_GT(ran, 0) << GetParam() << " ran in no mode on a file or emu, and does not declare itself unavailable";
}

TEST_P(BackendTest, TruncatedFileGivesCountedErrors) {
  if (choice_.caps() & kCapNoIo) GTEST_SKIP() << "null does no I/O";
  WorkloadSpec s = spec(RwMode::Read, 8, false);
  s.verify = false;
  s.size = 1 << 20;
  s.ops = 256;  // the whole file, sequentially
  auto target = make_target(s);
  ASSERT_EQ(::truncate(path_.c_str(), 256 * 1024), 0);
  Result r = run_point(s, choice_, *target, stop_, RunOptions{});
  if (r.status == Status::Skipped) GTEST_SKIP() << r.reason;
  EXPECT_EQ(r.status, Status::Ok) << r.reason;
  EXPECT_EQ(r.summary.ops, 256u);
  EXPECT_EQ(r.summary.errors, 192u);
  EXPECT_NE(r.reason.find("short read at offset"), std::string::npos) << r.reason;
}

INSTANTIATE_TEST_SUITE_P(All, BackendTest, testing::ValuesIn(all_variants()), param_name);

TEST(LibaioBatch, OneIocbPerSubmitWhenAsked) {
  WorkloadSpec s;
  s.rw = RwMode::RandRead;
  s.qd = 32;
  s.ops = 400;
  s.size = 2 << 20;
  s.target = {"file", scratch_path("libaio-batch")};
  set(s, "libaio_batch", 1);
  Result r = run_with(s, "libaio");
  std::remove(s.target.arg.c_str());
  ASSERT_EQ(r.status, Status::Ok) << r.reason;
  EXPECT_EQ(r.summary.ops, 400u);
  EXPECT_EQ(r.summary.errors, 0u);
  // Every request went in its own io_submit; the reaping calls come on top.
  EXPECT_GE(r.summary.counters.syscalls, r.summary.counters.submitted + 1);
  EXPECT_EQ(r.summary.counters.submitted, 400u);
}

// The default libaio submission: everything in one io_submit, except pairs
// under O_DIRECT while fewer requests are in flight than would be held back
// (larger io_submits are plugged: the device would wait for the whole batch).
TEST(LibaioBatch, PairsUnderDirectWhileLittleIsInFlight) {
  for (bool direct : {true, false}) {
    SCOPED_TRACE(direct ? "direct" : "buffered");
    WorkloadSpec s;
    s.qd = 8;
    s.size = 1 << 20;
    s.direct = direct;
    s.target = {"file", scratch_path("libaio-pairs")};
    auto target = make_target(s);
    const uint32_t bs = 4096;
    AlignedBuffer buffers(size_t{bs} * s.qd, 4096);
    std::vector<Request> slots(s.qd);
    std::vector<Request*> ptrs;
    for (unsigned i = 0; i < s.qd; ++i) {
      slots[i].offset = uint64_t{i} * bs;
      slots[i].len = bs;
      slots[i].buf = buffers.data() + size_t{i} * bs;
      slots[i].slot = i;
      ptrs.push_back(&slots[i]);
    }
    auto engine = find_backend("libaio")->create(
        EngineConfig{*target, s, 0, s.qd, 0, slots.data(), buffers.data()});
    auto submit_calls = [&](int from, int n) {
      uint64_t before = engine->counters().syscalls;
      EXPECT_EQ(engine->submit(ptrs.data() + from, n), n);
      return engine->counters().syscalls - before;
    };
    EXPECT_EQ(submit_calls(0, 6), direct ? 3u : 1u);  // none in flight
    EXPECT_EQ(submit_calls(6, 2), 1u);
    std::vector<Request*> done(s.qd);
    for (int got = 0; got < 8;) got += engine->reap(done.data() + got, 8 - got, -1);
    for (Request* r : done) EXPECT_EQ(r->result, int64_t{bs});
    EXPECT_EQ(submit_calls(0, 3), direct ? 2u : 1u);  // none in flight
    EXPECT_EQ(submit_calls(3, 5), direct ? 3u : 1u);  // 3 in flight, 5 to go
    for (int got = 0; got < 8;) got += engine->reap(done.data() + got, 8 - got, -1);
    EXPECT_EQ(submit_calls(0, 4), direct ? 2u : 1u);
    EXPECT_EQ(submit_calls(4, 4), 1u);  // as many in flight as held back: one plugged call
    for (int got = 0; got < 8;) got += engine->reap(done.data() + got, 8 - got, -1);
    engine.reset();
    target.reset();
    std::remove(s.target.arg.c_str());
  }
}

TEST(HotArena, TakesAlignedPiecesUntilItIsFull) {
  HotArena a(100);  // a page: sizes round up
  auto at = [&](const void* p) { return static_cast<const unsigned char*>(p) - static_cast<const unsigned char*>(a.base()); };
  EXPECT_EQ(at(a.take(4, 64)), 0);
  EXPECT_EQ(at(a.take(10, 8)), 8);
  EXPECT_EQ(at(a.take(1, 64)), 64);
  int* ints = a.array<int>(16);
  ASSERT_NE(ints, nullptr);
  EXPECT_EQ(at(ints), 68);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(ints[i], 0);
  EXPECT_EQ(a.take(4096, 1), nullptr);  // what does not fit is refused, and nothing is used up
  EXPECT_EQ(a.used(), 68u + 64u);
  EXPECT_NE(a.take(4096 - 132, 1), nullptr);
  EXPECT_EQ(a.take(1, 1), nullptr);
  EXPECT_EQ(HotArena().take(1, 1), nullptr);
}

// make_engine puts the engine (and io_uring its descriptor table) on the job
// thread's arena when they fit, on the heap when not; a round trip works
// either way and reads what was written.
TEST(HotArena, EnginesGoOnItWhenTheyFitAndOnTheHeapWhenNot) {
  const BackendChoice uring = resolve_backends({"io_uring"}).front();
  if (std::string why = uring.unavailable(); !why.empty()) GTEST_SKIP() << why;
  WorkloadSpec s;
  s.qd = 1;
  s.size = 1 << 20;
  s.target = {"file", scratch_path("arena")};
  std::remove(s.target.arg.c_str());
  auto target = make_target(s);
  AlignedBuffer buf(4096, 4096);
  for (const bool full : {false, true}) {
    SCOPED_TRACE(full ? "full arena" : "empty arena");
    HotArena arena(16 << 10);
    if (full) {  // the engine must go to the heap
      ASSERT_NE(arena.take(16 << 10, 1), nullptr);
    }
    Request req;
    req.buf = buf.data();
    req.len = 4096;
    req.offset = 8192;
    EngineConfig cfg{*target, s, uring.variant, 1, 0, &req, buf.data(), &arena};
    EnginePtr e = uring.info->create(cfg);
    const auto* p = reinterpret_cast<const unsigned char*>(e.get());
    const auto* base = static_cast<const unsigned char*>(arena.base());
    EXPECT_EQ(p >= base && p < base + (16 << 10), !full);
    Request* r = &req;
    ASSERT_EQ(e->submit(&r, 1), 1);
    Request* done = nullptr;
    ASSERT_EQ(e->reap(&done, 1, -1), 1);
    EXPECT_EQ(done, &req);
    EXPECT_EQ(req.result, 4096);
    std::vector<unsigned char> want(4096);
    pattern::fill(want.data(), 4096, 8192, target->data_seed());  // what the target wrote there
    EXPECT_EQ(std::memcmp(want.data(), buf.data(), 4096), 0);
  }
  target.reset();
  std::remove(s.target.arg.c_str());
}
