// The records --trace and --series keep while a point runs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <set>
#include <thread>
#include <vector>

#include "core/series.h"
#include "core/trace.h"

namespace iobench {
namespace {

TEST(TracePool, HandsOutExactlyItsRequestRecordsAcrossThreads) {
  trace::Pool pool(1000, 2);
  std::vector<uint32_t> got[2];
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      for (;;) {
        const uint32_t first = pool.claim_requests(3);
        if (first == trace::kNone) break;
        for (uint32_t i = first; i < first + 3 && i < pool.request_capacity(); ++i) got[t].push_back(i);
      }
    });
  for (auto& th : threads) th.join();
  std::set<uint32_t> all(got[0].begin(), got[0].end());
  all.insert(got[1].begin(), got[1].end());
  EXPECT_EQ(all.size(), got[0].size() + got[1].size());  // none twice
  EXPECT_EQ(all.size(), 1000u);
  EXPECT_EQ(*all.rbegin(), 999u);
  EXPECT_TRUE(pool.requests_spent());
  EXPECT_EQ(pool.requests_claimed(), 1000u);
}

TEST(TraceLane, KeepsCallsInChunksUntilThePoolRunsOut) {
  trace::Pool pool(10, 1);  // 4 x 10 calls, plus a chunk per lane: 2 chunks
  {
    trace::Lane lane(pool, 0);
    lane.call(trace::Kind::Submit, 1, 2, 1);  // inactive: not kept
    lane.active = true;
    for (uint64_t i = 0; i < 3 * trace::Pool::kChunk; ++i) lane.call(trace::Kind::Wait, i, i + 1, 1);
  }
  ASSERT_EQ(pool.chunks_claimed(), 2u);
  EXPECT_EQ(pool.used(0), trace::Pool::kChunk);
  EXPECT_EQ(pool.used(1), trace::Pool::kChunk);
  EXPECT_EQ(pool.chunk(1)[0].t0, trace::Pool::kChunk);  // in order
  EXPECT_EQ(pool.calls_dropped.load(), trace::Pool::kChunk);
}

// Reads a SeriesLog back: per interval (ops, bytes, max, sum of bucket counts).
std::vector<std::array<uint64_t, 4>> intervals(const SeriesLog& log) {
  std::vector<std::array<uint64_t, 4>> out;
  const uint64_t* w = log.data();
  for (size_t k = 0; k < log.intervals(); ++k) {
    uint64_t n = 0;
    for (uint64_t b = 0; b < w[3]; ++b) n += w[SeriesLog::kHeader + b] & ((uint64_t{1} << SeriesLog::kCountBits) - 1);
    out.push_back({w[0], w[1], w[2], n});
    w += SeriesLog::kHeader + w[3];
  }
  EXPECT_EQ(static_cast<size_t>(w - log.data()), log.used());
  return out;
}

TEST(SeriesLog, LogsEveryIntervalIncludingStalls) {
  SeriesLog log(100, 4096);
  log.start(1000);
  log.record(1010, 50, 4096);
  log.record(1090, 70, 4096);
  log.record(1350, 900, 512);  // intervals 1 and 2 saw nothing: a stall
  log.finish(1360);
  const auto iv = intervals(log);
  ASSERT_EQ(iv.size(), 4u);
  EXPECT_EQ(iv[0], (std::array<uint64_t, 4>{2, 8192, 70, 2}));
  EXPECT_EQ(iv[1], (std::array<uint64_t, 4>{0, 0, 0, 0}));
  EXPECT_EQ(iv[2], (std::array<uint64_t, 4>{0, 0, 0, 0}));
  EXPECT_EQ(iv[3], (std::array<uint64_t, 4>{1, 512, 900, 1}));
  EXPECT_FALSE(log.full());
}

TEST(SeriesLog, StopsWhenFullAndSaysSo) {
  SeriesLog log(10, 2 * SeriesLog::kHeader + 2);
  log.start(0);
  for (uint64_t t = 0; t < 100; ++t) log.record(t, 1000 + t * 1000, 1);
  log.finish(100);
  EXPECT_TRUE(log.full());
  EXPECT_EQ(intervals(log).size(), 0u);  // the first interval's 10 buckets did not fit
  SeriesLog roomy(10, 1000);
  roomy.start(0);
  for (uint64_t t = 0; t < 100; ++t) roomy.record(t, 1000, 1);
  roomy.finish(99);
  EXPECT_EQ(intervals(roomy).size(), 10u);
}

TEST(SeriesLog, BucketMidpointsAreWithinAThirtySecondFrom128ns) {
  for (uint64_t v : {0ull, 1ull, 100ull, 127ull}) EXPECT_LE(std::llabs(static_cast<long long>(SeriesLog::value(SeriesLog::bucket(v)) - v)), 4) << v;
  for (uint64_t v : {128ull, 255ull, 1000ull, 4095ull, 123457ull, 98765432ull, 5'000'000'000ull}) {
    const uint64_t mid = SeriesLog::value(SeriesLog::bucket(v));
    const double err = std::abs(static_cast<double>(mid) - static_cast<double>(v)) / static_cast<double>(v);
    EXPECT_LE(err, 1.0 / 32 + 1e-9) << v << " -> " << mid;
  }
}

}  // namespace
}  // namespace iobench
