#include <gtest/gtest.h>

#include "core/stats.h"

using namespace iobench;

TEST(MannWhitney, ExactSmallSamples) {
  // Complete separation of 3 vs 3: 2 of C(6,3) = 20 orderings are this extreme.
  EXPECT_NEAR(mann_whitney_p({1, 2, 3}, {4, 5, 6}), 0.1, 1e-12);
  EXPECT_NEAR(mann_whitney_p({4, 5, 6}, {1, 2, 3}), 0.1, 1e-12);
  // 5 vs 5 fully separated: 2 / C(10,5) = 2/252.
  EXPECT_NEAR(mann_whitney_p({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}), 2.0 / 252, 1e-12);
  // Interleaved samples are not different.
  EXPECT_GT(mann_whitney_p({1, 3, 5, 7, 9}, {2, 4, 6, 8, 10}), 0.5);
  EXPECT_DOUBLE_EQ(mann_whitney_p({}, {1, 2}), 1.0);
}

TEST(MannWhitney, KnownExactValue) {
  // U = 1 for {1,2,4} vs {3,5,6}: P(U <= 1) = 2/20, two-sided 0.2.
  EXPECT_NEAR(mann_whitney_p({1, 2, 4}, {3, 5, 6}), 0.2, 1e-12);
}

TEST(MannWhitney, TiesUseTheNormalApproximation) {
  double p = mann_whitney_p({1, 1, 1, 2, 2, 2, 3, 3}, {3, 3, 4, 4, 4, 5, 5, 5});
  EXPECT_GT(p, 0.0);
  EXPECT_LT(p, 0.01);
  EXPECT_NEAR(mann_whitney_p({2, 2, 2}, {2, 2, 2}), 1.0, 1e-12);
}

TEST(MannWhitney, MinimumAttainableP) {
  EXPECT_NEAR(mann_whitney_min_p(3, 3), 0.1, 1e-12);
  EXPECT_NEAR(mann_whitney_min_p(5, 5), 2.0 / 252, 1e-12);
  EXPECT_DOUBLE_EQ(mann_whitney_min_p(1, 1), 1.0);
}

namespace iobench {
namespace {

TEST(Holm, StepsDownAndStopsAtTheFirstMiss) {
  // Sorted: 0.005 vs 0.05/4, 0.01 vs 0.05/3, 0.03 vs 0.05/2 (misses), 0.04 after it.
  const Holm h = holm({0.01, 0.04, 0.03, 0.005}, 0.05);
  EXPECT_EQ(h.significant, (std::vector<bool>{true, false, false, true}));
  EXPECT_DOUBLE_EQ(h.level[3], 0.0125);
  EXPECT_DOUBLE_EQ(h.level[0], 0.05 / 3);
  EXPECT_DOUBLE_EQ(h.level[1], 0.05);
  // 0.02 would pass its own level (0.03), but Holm stopped at 0.016 (0.015).
  EXPECT_EQ(holm({0.02, 0.001, 0.016}, 0.03).significant, (std::vector<bool>{false, true, false}));
  EXPECT_EQ(holm({0.04, 0.001}, 0.03).significant, (std::vector<bool>{false, true}));
  EXPECT_TRUE(holm({}, 0.05).significant.empty());
}

}  // namespace
}  // namespace iobench
