#pragma once
// CPU time and context switches of a thread or of the process (getrusage),
// so results can count the measured threads and leave out the others.
#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <ctime>

#include "core/clock.h"

namespace iobench {

struct Usage {
  uint64_t user_ns = 0, sys_ns = 0, voluntary = 0, involuntary = 0;

  // The total is the scheduler's exact CPU clock of the thread or process;
  // getrusage only says how much of it was system time (its user/system
  // split is sampled at ticks: a thread that ran 60 ms could read 30 ms).
  static Usage of(int who, clockid_t clock) {
    rusage ru{};
    getrusage(who, &ru);
    timespec ts{};
    clock_gettime(clock, &ts);
    const uint64_t total = to_ns(ts);
    const uint64_t sys = std::min(total, static_cast<uint64_t>(ru.ru_stime.tv_sec) * 1'000'000'000u +
                                             static_cast<uint64_t>(ru.ru_stime.tv_usec) * 1000u);
    return {total - sys, sys, static_cast<uint64_t>(ru.ru_nvcsw), static_cast<uint64_t>(ru.ru_nivcsw)};
  }
  static Usage thread() { return of(RUSAGE_THREAD, CLOCK_THREAD_CPUTIME_ID); }
  static Usage process() { return of(RUSAGE_SELF, CLOCK_PROCESS_CPUTIME_ID); }

  // Differences never go below zero: the parts are read at slightly
  // different moments, and rusage has microsecond resolution.
  Usage operator-(const Usage& o) const {
    auto d = [](uint64_t a, uint64_t b) { return a - std::min(a, b); };
    return {d(user_ns, o.user_ns), d(sys_ns, o.sys_ns), d(voluntary, o.voluntary), d(involuntary, o.involuntary)};
  }
  Usage operator+(const Usage& o) const {
    return {user_ns + o.user_ns, sys_ns + o.sys_ns, voluntary + o.voluntary, involuntary + o.involuntary};
  }
};

}  // namespace iobench
