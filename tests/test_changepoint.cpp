// E-divisive means on series whose changes are known.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/changepoint.h"
#include "core/random.h"

namespace iobench {
namespace {

// Normal noise (Box-Muller) around `mean`, reproducible by seed.
std::vector<double> noise(Rng& rng, size_t n, double mean, double sd) {
  std::vector<double> v(n);
  for (auto& x : v) {
    const double u1 = 1.0 - rng.unit(), u2 = rng.unit();
    x = mean + sd * std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }
  return v;
}

TEST(ChangePoint, FindsAStepWhereItIs) {
  for (size_t at : {3u, 10u, 20u, 27u}) {
    Rng rng(at);
    auto z = noise(rng, 30, 100, 2);
    for (size_t i = at; i < z.size(); ++i) z[i] -= 10;  // a 10 % step, five times the noise
    // Found, and the most significant change; each further split of a
    // segment is tested at alpha again, so an extra one is a false alarm
    // as likely as on any flat series (seed 27 has one, at p 0.024).
    const auto c = e_divisive(z);
    auto step = std::find_if(c.begin(), c.end(), [&](const Change& x) { return x.index == at; });
    ASSERT_NE(step, c.end()) << "step at " << at;
    for (auto& x : c) EXPECT_LE(step->p, x.p);
    EXPECT_LE(c.size(), 2u);
  }
}

TEST(ChangePoint, FindsTwoSteps) {
  Rng rng(7);
  auto z = noise(rng, 45, 100, 2);
  for (size_t i = 15; i < 30; ++i) z[i] += 12;
  for (size_t i = 30; i < 45; ++i) z[i] -= 12;
  const auto c = e_divisive(z);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].index, 15u);
  EXPECT_EQ(c[1].index, 30u);
}

TEST(ChangePoint, AFlatSeriesIsQuiet) {
  std::vector<double> flat(40, 5.0);
  EXPECT_TRUE(e_divisive(flat).empty());
  Rng rng(11);
  EXPECT_TRUE(e_divisive(noise(rng, 40, 100, 2)).empty());
}

TEST(ChangePoint, TooShortToSplit) {
  EXPECT_TRUE(e_divisive({}).empty());
  EXPECT_TRUE(e_divisive({1, 100}).empty());
  // Fewer than min_size either side: nothing, however large the step.
  EXPECT_TRUE(e_divisive({1, 1, 1, 100, 100}).empty());
}

TEST(ChangePoint, Deterministic) {
  Rng rng(3);
  auto z = noise(rng, 25, 50, 5);
  for (size_t i = 12; i < z.size(); ++i) z[i] += 4;
  const auto a = e_divisive(z), b = e_divisive(z);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].index, b[i].index);
    EXPECT_EQ(a[i].p, b[i].p);
  }
}

// The permutation test's promise: on series with no change, a change is
// reported in about alpha of them. 100 series give a binomial count around
// 5 (sd 2.2); more than alpha plus three of its standard deviations (11)
// would mean the test is not at its level.
TEST(ChangePoint, FalseAlarmsStayNearAlpha) {
  for (double alpha : {0.05, 0.10}) {
    ChangeOptions o;
    o.alpha = alpha;
    int alarms = 0;
    const int series = 100;
    for (int s = 0; s < series; ++s) {
      Rng rng(1000 + static_cast<uint64_t>(s));
      alarms += !e_divisive(noise(rng, 30, 100, 5), o).empty();
    }
    const double sd = std::sqrt(series * alpha * (1 - alpha));
    std::printf("alpha %.2f: %d of %d noise-only series had a change\n", alpha, alarms, series);
    EXPECT_LE(alarms, static_cast<int>(series * alpha + 3 * sd)) << "alpha " << alpha;
  }
}

TEST(ChangePoint, SegmentBounds) {
  EXPECT_EQ(segment_bounds({}, 5), (std::vector<size_t>{0, 5}));
  EXPECT_EQ(segment_bounds({{2, 0.01}, {4, 0.01}}, 7), (std::vector<size_t>{0, 2, 4, 7}));
}

}  // namespace
}  // namespace iobench
