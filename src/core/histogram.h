#pragma once
// Log-linear latency histogram: constant memory, mergeable, <= 0.4% relative error.
//
// Values below 2^kSubBits are counted exactly. Above, each power-of-two range
// [2^m, 2^(m+1)) is split into 2^kSubBits equal buckets; reporting a bucket's
// midpoint is off by at most half a bucket width, 2^(m-kSubBits-1) / 2^m =
// 1/256 = 0.39% with kSubBits = 7 (fio's histogram is 0.78%). min, max, mean
// and stddev are exact because they are kept beside the buckets.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace iobench {

class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  static constexpr int kMaxBits = 46;  // ~19.5 hours in ns; larger values clamp
  static constexpr size_t kBuckets = (kMaxBits - kSubBits + 1) * kSub;

  void record(uint64_t v) {
    ++counts_[index(v)];
    ++count_;
    sum_ += v;
    sumsq_ += static_cast<unsigned __int128>(v) * v;
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }
  void merge(const Histogram& o);
  void reset();
  // Keeps only the non-empty buckets (a result holds a few kB, not 40): for
  // histograms that are done, read and merged but never recorded into again.
  void compact();
  // The samples counted in `after` but not in `before`, two bucket snapshots
  // of one SharedHistogram. min, max and the sums are the buckets'
  // representatives: within 0.4 %, like the percentiles.
  static Histogram between(const std::vector<uint64_t>& before, const std::vector<uint64_t>& after);
  // Every sample's trace in words, for another process to merge exactly (the
  // ranks of an MPI run): the sums, min, max, and each non-empty bucket.
  // unpack reads what pack wrote and throws std::invalid_argument on
  // anything else.
  std::vector<uint64_t> pack() const;
  static Histogram unpack(const uint64_t* words, size_t n);

  Histogram() : counts_(kBuckets) {}

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const;
  double stddev() const;  // population standard deviation
  // The value at quantile q (0..100): the representative of the bucket holding
  // the ceil(q/100 * count)-th smallest sample, clamped to [min, max].
  uint64_t percentile(double q) const;

  // Non-empty buckets as (representative value, count), ascending; for CDFs.
  std::vector<std::pair<uint64_t, uint64_t>> buckets() const;

  static size_t index(uint64_t v) {
    if (v < kSub) return static_cast<size_t>(v);
    int msb = 63 - __builtin_clzll(v);
    if (msb >= kMaxBits) return kBuckets - 1;  // [2^kMaxBits, ...) would index past the array
    int shift = msb - kSubBits;
    return static_cast<size_t>((shift + 1) * kSub + ((v >> shift) & (kSub - 1)));
  }
  // Lowest value and width of bucket i.
  static uint64_t bucket_low(size_t i);
  static uint64_t bucket_width(size_t i);

 private:
  // Calls f(bucket index, count) for each non-empty bucket in order until f returns false.
  template <typename F>
  void visit(F f) const {
    if (counts_.empty()) {
      for (uint64_t e : sparse_)
        if (!f(static_cast<size_t>(e >> kCountBits), e & kCountMask)) return;
      return;
    }
    for (size_t i = 0; i < kBuckets; ++i)
      if (counts_[i] && !f(i, counts_[i])) return;
  }

  // Compacted, a non-empty bucket is one word: its index above a 48-bit count
  // (2.8e14 samples a bucket; a result keeps thousands of buckets, 8 bytes each).
  static constexpr int kCountBits = 48;
  static constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;
  static_assert(kBuckets <= (size_t{1} << (64 - kCountBits)), "a bucket index must fit above the count");
  std::vector<uint64_t> counts_;  // every bucket; empty once compacted
  std::vector<uint64_t> sparse_;  // compacted: index << kCountBits | count of each non-empty bucket
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  unsigned __int128 sumsq_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

// Recorded by one thread while others read it at any time (a device's
// lateness, read between results): only bucket counts, each an atomic.
class SharedHistogram {
 public:
  void record(uint64_t v) {  // one writer
    auto& c = counts_[Histogram::index(v)];
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  std::vector<uint64_t> counts() const {
    std::vector<uint64_t> out(Histogram::kBuckets);
    for (size_t i = 0; i < out.size(); ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
    return out;
  }

 private:
  std::array<std::atomic<uint64_t>, Histogram::kBuckets> counts_{};
};

}  // namespace iobench
