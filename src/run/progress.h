#pragma once
// What a run tells the person waiting for it: the plan before it starts
// (runs and an estimated total time), then where it is (point, backend,
// repetition, phase, IOPS) and the time left, as a line redrawn in a
// terminal or a plain line every --status-interval elsewhere (a CI log).
//
// Called from the coordinating thread only, never from a job thread.
#include <cstdint>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "run/plan.h"

namespace iobench {

class Progress {
 public:
  enum class Mode { Line, Status };  // redrawn line (a terminal) or a line per interval
  Progress(const std::vector<Plan>& plans, Mode mode, uint64_t interval_ns);

  // "plan: 2 points x 7 backends x 3 repetitions = 42 runs, about 1m26s (2s each)".
  std::string plan_text() const;
  // The estimated time of every run, in ns; none when a run stops at --ops
  // (its time is not known until one has run).
  std::optional<uint64_t> estimate_ns() const;
  size_t runs() const { return units_.size(); }

  // Where the run is: the runner calls at() before a backend's runs of a
  // point (the first call prints the plan) and begin() at each repetition's
  // start.
  void at(size_t plan, size_t point, size_t backend);
  void begin(unsigned rep);
  // From the measuring loop: the phase's elapsed and planned time (0: until
  // --ops), the operations counted so far.
  void update(uint64_t elapsed_ns, uint64_t phase_ns, uint64_t ops, const char* phase);
  void end_repetition();

  // The line as it would be printed now (tests and the status line).
  std::string line(uint64_t now) const;

 private:
  struct Unit {
    std::string label;  // "randread 4k qd1 | sync | rep 2/3"
    uint64_t planned_ns;  // ramp + runtime; 0 = until --ops
  };
  size_t ordinal(size_t plan, size_t point, size_t backend, unsigned rep) const;
  std::optional<uint64_t> left_ns(uint64_t now) const;

  Mode mode_;
  uint64_t interval_ns_;
  std::vector<Unit> units_;
  std::vector<size_t> plan_first_;       // index of each plan's first unit
  std::vector<size_t> backends_, repeats_;  // per plan
  size_t current_ = SIZE_MAX, base_ = 0;   // the running unit; the first of the backend at()
  uint64_t started_ = 0, unit_started_ = 0, last_print_ = 0;
  // Finished runs: their wall time against their planned time, so the
  // estimate learns what the plan leaves out (laying out files, threads).
  uint64_t done_wall_timed_ = 0, done_planned_ = 0, done_wall_ops_ = 0, done_ops_units_ = 0;
  std::string phase_ = "setup";
  uint64_t phase_elapsed_ = 0, phase_ns_ = 0, last_ops_ = 0, last_t_ = 0;
  double iops_ = 0;
  bool drawn_ = false, plan_shown_ = false;
  size_t width_ = SIZE_MAX;  // a terminal's columns, less one
};

}  // namespace iobench
