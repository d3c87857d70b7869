#include "core/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace iobench {
namespace {

// Number of ways to pick n1 of n1+n2 ranks with each possible rank sum,
// indexed by U = sum - n1(n1+1)/2; counts[u] / C(n1+n2, n1) is P(U = u).
std::vector<double> u_distribution(size_t n1, size_t n2) {
  // dp[i][u]: subsets of size i of the ranks seen so far with statistic u.
  size_t umax = n1 * n2;
  std::vector<std::vector<double>> dp(n1 + 1, std::vector<double>(umax + 1, 0.0));
  dp[0][0] = 1;
  for (size_t k = 0; k < n1 + n2; ++k)  // rank k (0-based) considered
    for (size_t i = std::min(n1, k + 1); i >= 1; --i) {
      // Choosing rank k as the i-th element adds (k - (i - 1)) to U.
      size_t add = k - (i - 1);
      if (add > n2) continue;
      for (size_t u = umax; u + 1 > add; --u) dp[i][u] += dp[i - 1][u - add];
    }
  return dp[n1];
}

}  // namespace

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n1 = a.size(), n2 = b.size();
  if (!n1 || !n2) return 1.0;
  struct Item {
    double v;
    int side;
  };
  std::vector<Item> all;
  for (double v : a) all.push_back({v, 0});
  for (double v : b) all.push_back({v, 1});
  std::sort(all.begin(), all.end(), [](const Item& x, const Item& y) { return x.v < y.v; });
  const size_t n = all.size();
  double r1 = 0, tie_term = 0;
  bool ties = false;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && all[j].v == all[i].v) ++j;
    double rank = (static_cast<double>(i + j) + 1.0) / 2.0;  // average 1-based rank
    double t = static_cast<double>(j - i);
    if (t > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    for (size_t k = i; k < j; ++k)
      if (all[k].side == 0) r1 += rank;
    i = j;
  }
  const double d1 = static_cast<double>(n1), d2 = static_cast<double>(n2);
  const double u1 = r1 - d1 * (d1 + 1) / 2;
  const double mean = d1 * d2 / 2;
  if (!ties && n1 * n2 <= 2500) {
    auto dist = u_distribution(n1, n2);
    double total = std::accumulate(dist.begin(), dist.end(), 0.0);
    // Two-sided: probability of a U at least as far from the mean.
    double dev = std::abs(u1 - mean);
    double tail = 0;
    for (size_t u = 0; u < dist.size(); ++u)
      if (std::abs(static_cast<double>(u) - mean) >= dev - 1e-9) tail += dist[u];
    return std::min(1.0, tail / total);
  }
  double nn = d1 + d2;
  double var = d1 * d2 / 12.0 * ((nn + 1) - tie_term / (nn * (nn - 1)));
  if (var <= 0) return 1.0;
  double z = (std::abs(u1 - mean) - 0.5) / std::sqrt(var);
  return std::min(1.0, std::erfc(std::max(z, 0.0) / std::sqrt(2.0)));
}

double mann_whitney_min_p(size_t n1, size_t n2) {
  if (!n1 || !n2) return 1.0;
  // The most extreme split: all of one side below all of the other, either way.
  double c = 1;
  for (size_t i = 1; i <= n1; ++i) c = c * static_cast<double>(n2 + i) / static_cast<double>(i);
  return std::min(1.0, 2.0 / c);
}

Holm holm(const std::vector<double>& p, double alpha) {
  const size_t m = p.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p[x] < p[y]; });
  Holm h{std::vector<double>(m), std::vector<bool>(m)};
  bool still = true;
  for (size_t i = 0; i < m; ++i) {
    const size_t k = order[i];
    h.level[k] = alpha / static_cast<double>(m - i);
    still = still && p[k] < h.level[k];
    h.significant[k] = still;
  }
  return h;
}

}  // namespace iobench
