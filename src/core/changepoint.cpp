#include "core/changepoint.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/random.h"

namespace iobench {
namespace {

struct Split {
  size_t at = 0;  // index of the first value of the right part; 0: none possible
  double q = 0;
};

// The best split of v (every part at least min_size long) by the scaled
// energy statistic Q = m k / (m + k) * (2/(m k) * cross - within_left /
// C(m,2) - within_right / C(k,2)), with |x - y| as the distance. Moving one
// value from the right part to the left changes each sum by that value's
// distances to the others, so all splits cost O(n^2) together.
Split best_split(const std::vector<double>& v, size_t min_size) {
  const size_t n = v.size();
  Split best;
  if (n < 2 * min_size) return best;
  double within_left = 0, within_right = 0, cross = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) within_right += std::abs(v[i] - v[j]);
  for (size_t t = 0; t + min_size < n; ++t) {
    // v[t] moves to the left part.
    double to_left = 0, to_right = 0;
    for (size_t i = 0; i < t; ++i) to_left += std::abs(v[t] - v[i]);
    for (size_t j = t + 1; j < n; ++j) to_right += std::abs(v[t] - v[j]);
    within_left += to_left;
    within_right -= to_right;
    cross += to_right - to_left;
    const double m = static_cast<double>(t + 1), k = static_cast<double>(n - t - 1);
    if (t + 1 < min_size) continue;
    const double e = 2 * cross / (m * k) - within_left / (m * (m - 1) / 2) - within_right / (k * (k - 1) / 2);
    const double q = m * k / (m + k) * e;
    if (!best.at || q > best.q) best = {t + 1, q};
  }
  return best;
}

}  // namespace

std::vector<size_t> segment_bounds(const std::vector<Change>& changes, size_t n) {
  std::vector<size_t> b{0};
  for (auto& c : changes) b.push_back(c.index);
  b.push_back(n);
  return b;
}

std::vector<Change> e_divisive(const std::vector<double>& z, const ChangeOptions& o) {
  std::vector<Change> found;
  Rng rng(o.seed ^ z.size());
  std::vector<double> part, shuffled;
  for (;;) {
    // The best split over every current segment: its statistic is compared
    // with the best split of the same segments each permuted within itself.
    const std::vector<size_t> b = segment_bounds(found, z.size());
    Split best;
    size_t best_from = 0;
    for (size_t s = 0; s + 1 < b.size(); ++s) {
      part.assign(z.begin() + static_cast<long>(b[s]), z.begin() + static_cast<long>(b[s + 1]));
      Split sp = best_split(part, o.min_size);
      if (sp.at && (!best.at || sp.q > best.q)) {
        best = sp;
        best_from = b[s];
      }
    }
    if (!best.at) break;
    unsigned as_large = 0;
    for (unsigned r = 0; r < o.permutations; ++r) {
      double q_max = 0;
      bool any = false;
      for (size_t s = 0; s + 1 < b.size(); ++s) {
        shuffled.assign(z.begin() + static_cast<long>(b[s]), z.begin() + static_cast<long>(b[s + 1]));
        for (size_t i = shuffled.size(); i > 1; --i) std::swap(shuffled[i - 1], shuffled[rng.below(i)]);
        Split sp = best_split(shuffled, o.min_size);
        if (sp.at && (!any || sp.q > q_max)) q_max = sp.q, any = true;
      }
      as_large += any && q_max >= best.q;
      // Already no better than alpha: the rest cannot make it significant,
      // and most splits tested (on a quiet series, all) end here early.
      if ((1.0 + as_large) / (1.0 + o.permutations) >= o.alpha) break;
    }
    const double p = (1.0 + as_large) / (1.0 + o.permutations);
    if (p >= o.alpha) break;
    found.push_back({best_from + best.at, p});
    std::sort(found.begin(), found.end(), [](const Change& x, const Change& y) { return x.index < y.index; });
  }
  return found;
}

}  // namespace iobench
