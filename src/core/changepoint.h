#pragma once
// Change points in a series (iobench history check): E-divisive means
// (Matteson & James, "A nonparametric approach for multiple change point
// analysis of multivariate data", JASA 2014), the method MongoDB's CI and
// Apache Otava use. It assumes no distribution: a split is scored by the
// energy distance between the values before and after it, and a split is
// kept only when a permutation test finds that score unlikely without a
// change. Deterministic: the permutations come from a fixed seed.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace iobench {

struct ChangeOptions {
  double alpha = 0.05;          // a split is kept when its permutation p is below this
  unsigned permutations = 999;  // p's resolution is 1 / (permutations + 1)
  size_t min_size = 3;          // the fewest values either side of a change
  uint64_t seed = 0x10bec4;     // of the permutations: the same data gives the same answer
};

struct Change {
  size_t index;  // the first value after the change
  double p;      // the permutation test's p when the split was found
};
// A split whose p reaches alpha stops its permutations there: a quiet
// series costs a few dozen of them, not all.

// The significant changes of z, in index order. Hierarchical: the best split
// of the whole series is tested, then the best split of any of the segments
// found so far, until one is not significant.
std::vector<Change> e_divisive(const std::vector<double>& z, const ChangeOptions& o = {});

// The segment boundaries a set of changes leaves: {0, c1, ..., n}.
std::vector<size_t> segment_bounds(const std::vector<Change>& changes, size_t n);

}  // namespace iobench
