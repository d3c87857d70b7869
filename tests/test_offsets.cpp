#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "core/offsets.h"
#include "micro/micro.h"

using namespace iobench;

TEST(Offsets, InRangeAndAligned) {
  for (Distribution p : {Distribution::Sequential, Distribution::Uniform, Distribution::Zipf}) {
    OffsetGen g(p, 1.1, 8192, 1 << 20, 4096, 42);
    for (int i = 0; i < 10000; ++i) {
      uint64_t off = g.next();
      ASSERT_GE(off, 8192u);
      ASSERT_LE(off + 4096, 8192u + (1 << 20));
      ASSERT_EQ((off - 8192) % 4096, 0u);
    }
  }
}

TEST(Offsets, ReproducibleFromSeed) {
  for (Distribution p : {Distribution::Uniform, Distribution::Zipf}) {
    OffsetGen a(p, 0.8, 0, 1 << 30, 4096, 7), b(p, 0.8, 0, 1 << 30, 4096, 7), c(p, 0.8, 0, 1 << 30, 4096, 8);
    bool differs = false;
    for (int i = 0; i < 1000; ++i) {
      uint64_t x = a.next();
      ASSERT_EQ(x, b.next());
      differs |= x != c.next();
    }
    EXPECT_TRUE(differs);
  }
}

TEST(Offsets, SequentialWrapsFromStart) {
  OffsetGen g(Distribution::Sequential, 0, 0, 4 * 4096, 4096, 1, 2);
  std::vector<uint64_t> got;
  for (int i = 0; i < 6; ++i) got.push_back(g.next() / 4096);
  EXPECT_EQ(got, (std::vector<uint64_t>{2, 3, 0, 1, 2, 3}));
}

TEST(Offsets, UniformCoversAllBlocks) {
  OffsetGen g(Distribution::Uniform, 0, 0, 64 * 4096, 4096, 3);
  std::set<uint64_t> seen;
  for (int i = 0; i < 5000; ++i) seen.insert(g.next());
  EXPECT_EQ(seen.size(), 64u);
}

TEST(Offsets, ZipfFollowsPowerLaw) {
  // P(rank 1) / P(rank 2) = 2^theta for a Zipf law; check it for several theta.
  for (double theta : {0.5, 1.0, 1.2, 2.0}) {
    ZipfSampler z(1000, theta);
    Rng rng(5);
    std::vector<uint64_t> count(1001);
    const int n = 400000;
    for (int i = 0; i < n; ++i) {
      uint64_t k = z.sample(rng);
      ASSERT_GE(k, 1u);
      ASSERT_LE(k, 1000u);
      ++count[k];
    }
    double ratio = static_cast<double>(count[1]) / static_cast<double>(count[2]);
    EXPECT_NEAR(ratio, std::pow(2.0, theta), 0.1 * std::pow(2.0, theta)) << "theta=" << theta;
    double ratio14 = static_cast<double>(count[1]) / static_cast<double>(count[4]);
    EXPECT_NEAR(ratio14, std::pow(4.0, theta), 0.15 * std::pow(4.0, theta)) << "theta=" << theta;
  }
}

// --lat-sample's draw: each trial picked with probability 1/n, independently
// of the others, though it draws only the gaps between picks.
TEST(OneIn, PicksOneTrialInN) {
  OneIn every(1, 7);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(every.next());
  for (uint32_t n : {2u, 16u, 64u, 1000u}) {
    OneIn s(n, 11);
    const int trials = 2'000'000;
    int picked = 0, after_pick = 0, picked_after_pick = 0;
    bool last = false;
    for (int i = 0; i < trials; ++i) {
      const bool p = s.next();
      picked += p;
      // Independence: a pick right after a pick is as likely as any pick.
      if (last) {
        ++after_pick;
        picked_after_pick += p;
      }
      last = p;
    }
    const double expect = trials / static_cast<double>(n), sd = std::sqrt(expect * (1 - 1.0 / n));
    EXPECT_NEAR(picked, expect, 5 * sd) << "n=" << n;
    const double e2 = after_pick / static_cast<double>(n), sd2 = std::sqrt(e2 * (1 - 1.0 / n));
    EXPECT_NEAR(picked_after_pick, e2, 5 * sd2 + 1) << "n=" << n;
  }
  // The same seed draws the same picks.
  OneIn a(64, 3), b(64, 3);
  for (int i = 0; i < 100000; ++i) ASSERT_EQ(a.next(), b.next());
}

// iobench micro's page-cache primitives read what `run --rw randread` reads:
// uniform random blocks, drawn with replacement. A fixed stride (what they
// read before) is learnt by the CPU's prefetchers and made the kernel's read
// look up to 9 % cheaper than a random one at qd 32.
TEST(MicroBlocks, UniformWithReplacementNotAStride) {
  constexpr uint32_t n = kMicroBlocks;
  std::set<uint32_t> seen, steps;
  std::vector<int> bins(16);
  for (uint64_t i = 0; i < n; ++i) {
    const uint32_t b = micro_block(i);
    ASSERT_LT(b, n);
    seen.insert(b);
    steps.insert((b + n - micro_block(i + 1)) % n);
  }
  for (uint64_t i = 0; i < 16 * n; ++i) ++bins[micro_block(i) * 16 / n];
  // n draws with replacement find n (1 - 1/e) = 2589 distinct blocks; a
  // permutation finds all n, a stride has one step.
  EXPECT_NEAR(static_cast<double>(seen.size()), n * (1 - std::exp(-1.0)), 0.03 * n);
  EXPECT_GT(steps.size(), n / 2);
  for (int c : bins) EXPECT_NEAR(c, static_cast<int>(n), static_cast<int>(n) / 8);
}
