#pragma once
#include <algorithm>
#include <cerrno>
#include <iterator>
#include <cstdint>
#include <ctime>

namespace iobench {

// The one conversion between nanoseconds and the kernel's timespec.
inline timespec to_timespec(uint64_t ns) {
  return {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}
inline uint64_t to_ns(const timespec& ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

inline uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return to_ns(ts);
}

// What one now_ns() costs here (the median of a few short bursts): every
// latency holds about two of them, and results say so in their context.
inline double clock_read_ns() {
  constexpr int kReads = 2000;
  double best[5];
  for (double& b : best) {
    const uint64_t t0 = now_ns();
    uint64_t sink = 0;
    for (int i = 0; i < kReads; ++i) sink += now_ns();
    asm volatile("" : : "r"(sink));
    b = static_cast<double>(now_ns() - t0) / kReads;
  }
  std::sort(std::begin(best), std::end(best));
  return best[2];
}

inline void sleep_until_ns(uint64_t t) {
  timespec ts = to_timespec(t);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace iobench
