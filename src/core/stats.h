#pragma once
// Statistics for comparing two sets of repetitions.
#include <cstddef>
#include <vector>

namespace iobench {

// Two-sided Mann-Whitney U test: the probability of a rank difference at
// least this large if both samples come from one distribution. Exact (by
// counting rank sums) for small samples without ties, normal approximation
// with tie and continuity correction otherwise. Returns 1 when a side is empty.
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b);

// The smallest p-value the test can produce for these sample sizes: when it
// is above alpha no difference can ever be significant (too few repetitions).
double mann_whitney_min_p(size_t n1, size_t n2);

// Holm's step-down over m p-values: the i-th smallest (of m) is held to
// alpha / (m - i) and is significant while every smaller one was. It keeps
// the chance of any false finding among the m at alpha, however they depend
// on each other, and is never less powerful than Bonferroni. level[i] is
// the alpha p[i] was held to.
struct Holm {
  std::vector<double> level;
  std::vector<bool> significant;
};
Holm holm(const std::vector<double>& p, double alpha);

}  // namespace iobench
