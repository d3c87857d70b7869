#pragma once
// Small, fast, reproducible generators (no <random> engines: their state is
// large and their distributions differ between standard libraries).
#include <cmath>
#include <cstdint>

namespace iobench {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// xoshiro256** (Blackman & Vigna), seeded through splitmix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& w : s_) w = seed = splitmix64(seed);
  }
  uint64_t next() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n) without modulo bias worth measuring (Lemire's multiply-shift).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  // Uniform double in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Picks each trial independently with probability 1/n, as a draw per trial
// would, but draws the geometric gap between picks instead: a countdown per
// trial and a logarithm per pick (the run loop asks once per request).
class OneIn {
 public:
  OneIn(uint32_t n, uint64_t seed) : rng_(seed), log_miss_(n > 1 ? std::log1p(-1.0 / n) : 0.0) { left_ = gap(); }
  bool next() {
    if (--left_) return false;
    left_ = gap();
    return true;
  }

 private:
  // P(gap = k) = (1 - 1/n)^(k-1) / n, k >= 1: the trials up to the next pick.
  uint64_t gap() {
    if (log_miss_ == 0.0) return 1;
    const double u = 1.0 - rng_.unit();  // (0, 1]
    return 1 + static_cast<uint64_t>(std::log(u) / log_miss_);
  }
  Rng rng_;
  double log_miss_;
  uint64_t left_;
};

}  // namespace iobench
