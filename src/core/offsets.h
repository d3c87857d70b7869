#pragma once
// Where each request goes: sequential, uniform random or zipf over the blocks
// of a region, aligned to the block size and reproducible from a seed.
#include <cstdint>

#include "core/random.h"

namespace iobench {

enum class Distribution { Sequential, Uniform, Zipf };

// Zipf over ranks 1..n with exponent theta > 0, by rejection-inversion
// (Hörmann & Derflinger 1996): O(1) per sample, no table, any theta.
class ZipfSampler {
 public:
  ZipfSampler(uint64_t n, double theta);
  uint64_t sample(Rng& rng) const;  // 1..n

 private:
  double h(double x) const;
  double h_integral(double x) const;
  double h_integral_inverse(double x) const;
  uint64_t n_;
  double theta_;
  double h_integral_x1_, h_integral_n_, s_;
};

class OffsetGen {
 public:
  // Blocks of `bs` bytes in [base, base + span); `start` is the first
  // sequential block (so jobs can start at different places).
  OffsetGen(Distribution d, double theta, uint64_t base, uint64_t span, uint64_t bs,
            uint64_t seed, uint64_t start_block = 0);
  // Inline for the two cheap distributions: the run loop calls it per request.
  uint64_t next() {
    if (dist_ == Distribution::Uniform) return base_ + rng_.below(blocks_) * bs_;
    if (dist_ == Distribution::Zipf) return base_ + zipf_block() * bs_;
    const uint64_t block = cursor_;
    if (++cursor_ == blocks_) cursor_ = 0;
    return base_ + block * bs_;
  }
  Rng& rng() { return rng_; }

 private:
  uint64_t zipf_block();

  Distribution dist_;
  uint64_t base_, bs_, blocks_;
  uint64_t cursor_;
  Rng rng_;
  ZipfSampler zipf_;
  uint64_t stride_;  // coprime with blocks_: spreads hot zipf ranks over the region
};

}  // namespace iobench
