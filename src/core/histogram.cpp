#include "core/histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace iobench {

uint64_t Histogram::bucket_low(size_t i) {
  if (i < kSub) return i;
  uint64_t shift = i / kSub - 1;
  return (kSub + i % kSub) << shift;
}

uint64_t Histogram::bucket_width(size_t i) {
  if (i < kSub) return 1;
  return uint64_t{1} << (i / kSub - 1);
}

void Histogram::reset() {
  if (counts_.empty()) counts_.resize(kBuckets);
  std::fill(counts_.begin(), counts_.end(), 0);  // no allocation: a worker resets when measuring starts
  sparse_.clear();
  count_ = sum_ = 0;
  sumsq_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

void Histogram::compact() {
  if (counts_.empty()) return;
  sparse_.clear();
  for (size_t i = 0; i < kBuckets; ++i)
    if (counts_[i]) {
      if (counts_[i] > kCountMask) return sparse_.clear();  // too many to pack: stays as it is
      sparse_.push_back(uint64_t{i} << kCountBits | counts_[i]);
    }
  sparse_.shrink_to_fit();
  std::vector<uint64_t>().swap(counts_);
}

void Histogram::merge(const Histogram& o) {
  if (counts_.empty()) {  // compacted: back to every bucket
    counts_.resize(kBuckets);
    for (uint64_t e : sparse_) counts_[e >> kCountBits] = e & kCountMask;
    sparse_.clear();
  }
  o.visit([&](size_t i, uint64_t n) {
    counts_[i] += n;
    return true;
  });
  count_ += o.count_;
  sum_ += o.sum_;
  sumsq_ += o.sumsq_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

Histogram Histogram::between(const std::vector<uint64_t>& before, const std::vector<uint64_t>& after) {
  Histogram h;
  for (size_t i = 0; i < kBuckets && i < after.size(); ++i) {
    const uint64_t n = after[i] - (i < before.size() ? std::min(before[i], after[i]) : 0);
    if (!n) continue;
    const uint64_t rep = bucket_low(i) + bucket_width(i) / 2;
    h.counts_[i] = n;
    h.count_ += n;
    h.sum_ += rep * n;
    h.sumsq_ += static_cast<unsigned __int128>(rep) * rep * n;
    h.min_ = std::min(h.min_, rep);
    h.max_ = std::max(h.max_, rep);
  }
  return h;
}

std::vector<uint64_t> Histogram::pack() const {
  std::vector<uint64_t> w = {count_, sum_, static_cast<uint64_t>(sumsq_), static_cast<uint64_t>(sumsq_ >> 64), min_,
                             max_};
  visit([&](size_t i, uint64_t n) {
    w.push_back(i);
    w.push_back(n);
    return true;
  });
  return w;
}

Histogram Histogram::unpack(const uint64_t* w, size_t n) {
  if (n < 6 || (n - 6) % 2) throw std::invalid_argument("a packed histogram has 6 + 2k words");
  Histogram h;
  h.count_ = w[0];
  h.sum_ = w[1];
  h.sumsq_ = static_cast<unsigned __int128>(w[3]) << 64 | w[2];
  h.min_ = w[4];
  h.max_ = w[5];
  for (size_t k = 6; k < n; k += 2) {
    if (w[k] >= kBuckets) throw std::invalid_argument("a packed histogram's bucket is out of range");
    h.counts_[w[k]] += w[k + 1];
  }
  return h;
}

double Histogram::mean() const {
  return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0;
}

double Histogram::stddev() const {
  if (count_ < 2) return 0.0;
  // n*sumsq - sum^2 is exact in 128 bits for any realistic run; avoids the
  // cancellation that sumsq/n - mean^2 suffers in doubles.
  auto n = static_cast<unsigned __int128>(count_);
  auto s = static_cast<unsigned __int128>(sum_);
  long double num = static_cast<long double>(n * sumsq_ - s * s);
  long double var = num / (static_cast<long double>(count_) * static_cast<long double>(count_));
  return static_cast<double>(std::sqrt(std::max(var, 0.0L)));
}

uint64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 100.0);
  // ceil(q/100 * n) in integers: q in millionths of a percent, so 99.9 % of
  // 1000 samples is rank 999 (in doubles 99.9/100*1000 rounds up to 1000).
  const auto q_ppm = static_cast<unsigned __int128>(std::llround(q * 1e6));
  constexpr unsigned __int128 kWhole = 100'000'000;
  auto rank = static_cast<uint64_t>((q_ppm * count_ + kWhole - 1) / kWhole);
  if (rank == 0) return min();
  if (rank >= count_) return max_;
  uint64_t seen = 0, found = max_;
  visit([&](size_t i, uint64_t n) {
    seen += n;
    if (seen < rank) return true;
    found = std::clamp(bucket_low(i) + bucket_width(i) / 2, min(), max_);
    return false;
  });
  return found;
}

std::vector<std::pair<uint64_t, uint64_t>> Histogram::buckets() const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  visit([&](size_t i, uint64_t n) {
    out.emplace_back(std::clamp(bucket_low(i) + bucket_width(i) / 2, min(), max_), n);
    return true;
  });
  return out;
}

}  // namespace iobench
