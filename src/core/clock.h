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

// How long before a deadline to stop sleeping and spin: a timed sleep wakes
// late (a few us with minimal slack, tens where the CPU had halted), and that
// would be lateness. Learned from the sleeps' own wake-ups: up at once to
// 1.25x the lateness seen, down by 1/64 a sleep, within [kMin, kMax]. The
// rate limiter and the emu's emulator both wait this way.
struct SpinGuard {
  static constexpr uint64_t kMin = 10'000, kMax = 500'000;
  uint64_t ns;
  void learn(uint64_t late) {
    const uint64_t want = late + late / 4;
    ns = want > ns ? std::min(want, kMax) : std::max(ns - ns / 64, kMin);
  }
};

}  // namespace iobench
