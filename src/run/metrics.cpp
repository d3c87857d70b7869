#include "run/metrics.h"

#include <algorithm>
#include <cmath>

#include "run/figures.h"

namespace iobench {

std::string_view status_name(Status s) {
  switch (s) {
    case Status::Ok: return "ok";
    case Status::Skipped: return "skipped";
    case Status::Error: return "error";
    case Status::Interrupted: return "interrupted";
  }
  return "?";
}

const Spread* Result::spread_of(const Figure& f) const {
  for (auto& [fig, s] : spread)
    if (fig == &f) return &s;
  return nullptr;
}

Result start_result(const WorkloadSpec& spec, const BackendChoice& backend, nlohmann::json target) {
  Result r;
  r.spec = spec;
  r.backend = backend.info->name;
  r.variant = backend.variant_name();
  r.target = std::move(target);
  return r;
}

namespace {

Spread spread_over(const std::vector<Metrics>& reps, const Figure& f) {
  Spread s;
  s.min = s.max = f.value(reps.front());
  for (auto& m : reps) {
    double v = f.value(m);
    s.mean += v;
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
  }
  s.mean /= static_cast<double>(reps.size());
  if (reps.size() > 1) {
    double ss = 0;
    for (auto& m : reps) ss += (f.value(m) - s.mean) * (f.value(m) - s.mean);
    s.stddev = std::sqrt(ss / static_cast<double>(reps.size() - 1));  // sample stddev
  }
  return s;
}

}  // namespace

void summarize(Result& r) {
  r.spread.clear();
  r.summary = Metrics{};
  if (r.repetitions.empty()) return;
  Metrics& s = r.summary;
  for (auto& m : r.repetitions) {
    for (auto& f : figures())
      if (f.count) s.*f.count += m.*f.count;
    for (auto& h : histogram_fields()) (s.*h.hist).merge(m.*h.hist);
    s.counters.add_all(m.counters);
  }
  for (auto& f : figures())
    if (!f.spread_key.empty() && f.present(s)) r.spread.emplace_back(&f, spread_over(r.repetitions, f));
  // Done with recording: a result keeps its buckets in a few kB, not 200, so
  // a long sweep's memory grows with its results' size, not 40 kB a histogram.
  for (auto& h : histogram_fields()) {
    (s.*h.hist).compact();
    for (auto& m : r.repetitions) (m.*h.hist).compact();
  }
}

}  // namespace iobench
