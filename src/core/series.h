#pragma once
// --series: per-interval figures, recorded by each job thread into its own
// preallocated log with no lock, merged after the repetition.
//
// A thread keeps one live histogram for the interval it is in. When a
// completion falls past the interval's end, the interval is closed: its
// totals and its non-empty buckets are appended to the log and the live
// histogram is cleared (once per interval, not per request). Intervals
// with no completion (a stall) are logged too, so every thread's log has
// the same intervals, [t0 + k*I, t0 + (k+1)*I), and they merge by k.
//
// Buckets are Histogram's with 3 fewer sub-bits: 16 per power of two, so a
// percentile reported as its bucket's midpoint is within 1/32 (3.1 %) from
// 128 ns up, and within 4 ns below.
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/histogram.h"

namespace iobench {

class SeriesLog {
 public:
  static constexpr int kShift = 3;
  static constexpr size_t kBuckets = Histogram::kBuckets >> kShift;
  static size_t bucket(uint64_t v) { return Histogram::index(v) >> kShift; }
  // A bucket's midpoint, the value a percentile reports.
  static uint64_t value(size_t b) {
    const uint64_t lo = Histogram::bucket_low(b << kShift);
    const uint64_t hi = (b + 1) < kBuckets ? Histogram::bucket_low((b + 1) << kShift) : lo + Histogram::bucket_width(b << kShift);
    return lo + (hi - lo) / 2;
  }

  // An interval in the log: a header of kHeader words, then `buckets` words
  // of bucket << 40 | count.
  static constexpr size_t kHeader = 4;  // ops, bytes, max latency, buckets
  static constexpr int kCountBits = 40;

  SeriesLog() = default;
  // `words`: the log's capacity, allocated now.
  SeriesLog(uint64_t interval_ns, size_t words) : interval_(interval_ns), log_(words), live_(kBuckets) {}

  bool on() const { return interval_ != 0; }
  void start(uint64_t t0) {
    t0_ = t0;
    end_ = t0 + interval_;
    used_ = intervals_ = 0;
    full_ = false;
    clear_live();
  }
  void record(uint64_t t, uint64_t lat_ns, uint64_t bytes) {
    while (t >= end_) close_interval();
    ++live_[bucket(lat_ns)];
    ++ops_;
    bytes_ += bytes;
    if (lat_ns > max_) max_ = lat_ns;
  }
  // Closes intervals up to `t` and the one holding it (the last, partial).
  void finish(uint64_t t) {
    while (t >= end_) close_interval();
    close_interval();
  }

  uint64_t t0() const { return t0_; }
  uint64_t interval() const { return interval_; }
  size_t intervals() const { return intervals_; }  // logged (the log stops when full)
  bool full() const { return full_; }
  const uint64_t* data() const { return log_.data(); }
  size_t used() const { return used_; }

 private:
  void close_interval() {
    end_ += interval_;
    if (full_) return clear_live();
    size_t n = 0;
    if (ops_)
      for (size_t b = 0; b < kBuckets; ++b) n += live_[b] != 0;
    if (used_ + kHeader + n > log_.size()) {
      full_ = true;
      return clear_live();
    }
    uint64_t* w = log_.data() + used_;
    w[0] = ops_, w[1] = bytes_, w[2] = max_, w[3] = n;
    w += kHeader;
    if (ops_)
      for (size_t b = 0; b < kBuckets; ++b)
        if (live_[b]) *w++ = static_cast<uint64_t>(b) << kCountBits | live_[b];
    used_ += kHeader + n;
    ++intervals_;
    clear_live();
  }
  void clear_live() {
    if (ops_) std::memset(live_.data(), 0, live_.size() * sizeof live_[0]);
    ops_ = bytes_ = max_ = 0;
  }

  uint64_t interval_ = 0, t0_ = 0, end_ = 0;
  std::vector<uint64_t> log_;
  std::vector<uint64_t> live_;
  uint64_t ops_ = 0, bytes_ = 0, max_ = 0;
  size_t used_ = 0, intervals_ = 0;
  bool full_ = false;
};

}  // namespace iobench
