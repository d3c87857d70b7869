#include "core/offsets.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace iobench {
namespace {

// log1p(x)/x and expm1(x)/x, with their series near zero where the plain
// quotient loses all precision.
double log1p_over_x(double x) {
  return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}
double expm1_over_x(double x) {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

}  // namespace

ZipfSampler::ZipfSampler(uint64_t n, double theta) : n_(std::max<uint64_t>(n, 1)), theta_(theta) {
  h_integral_x1_ = h_integral(1.5) - 1.0;
  h_integral_n_ = h_integral(static_cast<double>(n_) + 0.5);
  s_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
}

double ZipfSampler::h(double x) const { return std::exp(-theta_ * std::log(x)); }

// Integral of h from 1 to x, written to stay exact as theta -> 1.
double ZipfSampler::h_integral(double x) const {
  double lx = std::log(x);
  return expm1_over_x((1.0 - theta_) * lx) * lx;
}

double ZipfSampler::h_integral_inverse(double x) const {
  double t = x * (1.0 - theta_);
  if (t < -1.0) t = -1.0;
  return std::exp(log1p_over_x(t) * x);
}

uint64_t ZipfSampler::sample(Rng& rng) const {
  for (;;) {
    double u = h_integral_n_ + rng.unit() * (h_integral_x1_ - h_integral_n_);
    double x = h_integral_inverse(u);
    double kd = std::floor(x + 0.5);
    uint64_t k = kd < 1.0 ? 1 : (kd > static_cast<double>(n_) ? n_ : static_cast<uint64_t>(kd));
    double kk = static_cast<double>(k);
    if (kk - x <= s_ || u >= h_integral(kk + 0.5) - h(kk)) return k;
  }
}

OffsetGen::OffsetGen(Distribution d, double theta, uint64_t base, uint64_t span, uint64_t bs,
                     uint64_t seed, uint64_t start_block)
    : dist_(d),
      base_(base),
      bs_(bs),
      blocks_(std::max<uint64_t>(span / bs, 1)),
      cursor_(start_block % blocks_),
      rng_(seed),
      zipf_(blocks_, d == Distribution::Zipf ? theta : 1.0),
      stride_(1) {
  // A large odd stride coprime with the block count maps rank r to block
  // (r * stride) mod n, a bijection that scatters the hot ranks.
  uint64_t s = (blocks_ / 2) | 1;
  while (std::gcd(s, blocks_) != 1) s += 2;
  stride_ = blocks_ > 2 ? s % blocks_ : 1;
}

// A zipf rank, scattered over the region's blocks.
uint64_t OffsetGen::zipf_block() {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(zipf_.sample(rng_) - 1) * stride_) % blocks_);
}

}  // namespace iobench
