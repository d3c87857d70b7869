#pragma once
// CPU time and context switches of a thread or of the process (getrusage),
// so results can count the measured threads and leave out the others.
#include <sys/resource.h>

#include <algorithm>
#include <cstdint>

namespace iobench {

struct Usage {
  uint64_t user_ns = 0, sys_ns = 0, voluntary = 0, involuntary = 0;

  static Usage of(int who) {  // RUSAGE_THREAD (the caller) or RUSAGE_SELF (the process)
    rusage ru{};
    getrusage(who, &ru);
    auto ns = [](const timeval& tv) {
      return static_cast<uint64_t>(tv.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(tv.tv_usec) * 1000u;
    };
    return {ns(ru.ru_utime), ns(ru.ru_stime), static_cast<uint64_t>(ru.ru_nvcsw), static_cast<uint64_t>(ru.ru_nivcsw)};
  }
  static Usage thread() { return of(RUSAGE_THREAD); }
  static Usage process() { return of(RUSAGE_SELF); }

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
