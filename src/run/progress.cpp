#include "run/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "core/clock.h"
#include "core/units.h"

namespace iobench {
namespace {

// A time left for people: "42s", "3m05s", "1h02m".
std::string clock_text(uint64_t ns) {
  const uint64_t s = (ns + 500'000'000) / 1'000'000'000;
  char buf[48];
  if (s < 60) std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(s));
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%llum%02llus", static_cast<unsigned long long>(s / 60),
                                   static_cast<unsigned long long>(s % 60));
  else std::snprintf(buf, sizeof buf, "%lluh%02llum", static_cast<unsigned long long>(s / 3600),
                     static_cast<unsigned long long>(s / 60 % 60));
  return buf;
}

std::string counted(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

Progress::Progress(const std::vector<Plan>& plans, Mode mode, uint64_t interval_ns)
    : mode_(mode), interval_ns_(interval_ns), started_(now_ns()) {
  for (const Plan& plan : plans) {
    plan_first_.push_back(units_.size());
    backends_.push_back(plan.backends.size());
    repeats_.push_back(plan.points.empty() ? 1 : plan.points.front().repeat);
    for (const WorkloadSpec& p : plan.points)
      for (const BackendChoice& b : plan.backends)
        for (unsigned rep = 0; rep < p.repeat; ++rep) {
          const std::string rep_text = p.repeat > 1 ? " | rep " + std::to_string(rep + 1) + "/" +
                                                          std::to_string(p.repeat) : "";
          units_.push_back({p.label() + " | " + b.label() + rep_text,
                            p.effective_runtime_ns() ? p.ramp_ns + p.effective_runtime_ns() : 0});
        }
  }
  last_print_ = started_;
  winsize ws{};
  if (mode_ == Mode::Line && ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1) width_ = ws.ws_col - 1;
}

std::optional<uint64_t> Progress::estimate_ns() const {
  uint64_t total = 0;
  for (const Unit& u : units_) {
    if (!u.planned_ns) return std::nullopt;
    total += u.planned_ns;
  }
  return total;
}

std::string Progress::plan_text() const {
  std::string shape;
  for (size_t i = 0; i < plan_first_.size(); ++i) {
    const size_t end = i + 1 < plan_first_.size() ? plan_first_[i + 1] : units_.size();
    const size_t points = backends_[i] ? (end - plan_first_[i]) / backends_[i] / repeats_[i] : 0;
    shape += (i ? " + " : "") + counted(points, "point", "points") + " x " +
             counted(backends_[i], "backend", "backends") + " x " +
             counted(repeats_[i], "repetition", "repetitions");
  }
  const std::optional<uint64_t> total = estimate_ns();
  return "plan: " + shape + " = " + counted(units_.size(), "run", "runs") + ", " +
         (total ? "about " + clock_text(*total) + " of measuring (ramps included)"
                : "time not known before a run (--ops ends each)");
}

size_t Progress::ordinal(size_t plan, size_t point, size_t backend, unsigned rep) const {
  return plan_first_.at(plan) + (point * backends_[plan] + backend) * repeats_[plan] + rep;
}

void Progress::at(size_t plan, size_t point, size_t backend) {
  // The plan is shown once the first target is ready: a run that cannot
  // prepare it fails with one line, its reason.
  if (!plan_shown_) std::fprintf(stderr, "iobench: %s\n", plan_text().c_str());
  plan_shown_ = true;
  base_ = ordinal(plan, point, backend, 0);
}

void Progress::begin(unsigned rep) {
  const uint64_t t = now_ns();
  current_ = std::min(base_ + rep, units_.size() - 1);
  unit_started_ = last_t_ = t;
  phase_ = "setup";
  phase_elapsed_ = phase_ns_ = last_ops_ = 0;
  iops_ = 0;
}

void Progress::end_repetition() {
  if (current_ >= units_.size()) return;
  const uint64_t wall = now_ns() - unit_started_;
  if (units_[current_].planned_ns) {
    done_wall_timed_ += wall;
    done_planned_ += units_[current_].planned_ns;
  } else {
    done_wall_ops_ += wall;
    ++done_ops_units_;
  }
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

std::optional<uint64_t> Progress::left_ns(uint64_t now) const {
  // Planned time scaled by what finished runs really took; a run to --ops
  // as long as those that finished took on average.
  const double scale = done_planned_ ? static_cast<double>(done_wall_timed_) / static_cast<double>(done_planned_) : 1;
  const std::optional<uint64_t> per_ops_unit =
      done_ops_units_ ? std::optional<uint64_t>(done_wall_ops_ / done_ops_units_) : std::nullopt;
  double left = 0;
  for (size_t i = current_ == SIZE_MAX ? 0 : current_; i < units_.size(); ++i) {
    uint64_t planned = units_[i].planned_ns;
    if (!planned) {
      if (!per_ops_unit) return std::nullopt;
      planned = *per_ops_unit;
    } else {
      planned = static_cast<uint64_t>(static_cast<double>(planned) * std::max(scale, 1.0));
    }
    if (i == current_) planned -= std::min(planned, now - unit_started_);
    left += static_cast<double>(planned);
  }
  return static_cast<uint64_t>(left);
}

std::string Progress::line(uint64_t now) const {
  const size_t n = current_ == SIZE_MAX ? 0 : current_ + 1;
  std::string out = "[" + std::to_string(n) + "/" + std::to_string(units_.size()) + "] ";
  if (n) out += units_[current_].label + " | " + phase_ + " " + format_duration(phase_elapsed_) +
                (phase_ns_ ? " of " + format_duration(phase_ns_) : "") + " | " + format_count(iops_) + " IOPS";
  const std::optional<uint64_t> left = left_ns(now);
  out += " | elapsed " + clock_text(now - started_) + ", left " + (left ? "~" + clock_text(*left) : "?");
  return out;
}

void Progress::update(uint64_t elapsed_ns, uint64_t phase_ns, uint64_t ops, const char* phase) {
  const uint64_t t = now_ns();
  if (phase_ != phase) last_ops_ = 0;  // the ramp's operations are counted again from 0
  if (t > last_t_) iops_ = static_cast<double>(ops - std::min(ops, last_ops_)) * 1e9 / static_cast<double>(t - last_t_);
  last_t_ = t;
  last_ops_ = ops;
  phase_ = phase;
  phase_elapsed_ = elapsed_ns;
  phase_ns_ = phase_ns;
  if (mode_ == Mode::Line) {
    // Longer than the terminal, it would wrap and \r would not erase it.
    std::fprintf(stderr, "\r\033[K%s", line(t).substr(0, width_).c_str());
    drawn_ = true;
  } else if (interval_ns_ && t - last_print_ >= interval_ns_) {
    std::fprintf(stderr, "iobench: %s\n", line(t).c_str());
    last_print_ = t;
  }
}

}  // namespace iobench
