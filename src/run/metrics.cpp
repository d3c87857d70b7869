#include "run/metrics.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace iobench {

void add_counters(Counters& into, const Counters& from) {
  into.syscalls += from.syscalls;
  into.submit_batches += from.submit_batches;
  into.submitted += from.submitted;
  into.signals += from.signals;
  into.fsyncs += from.fsyncs;
  for (auto& [name, v] : from.extra) {
    auto it = std::find_if(into.extra.begin(), into.extra.end(), [&](auto& e) { return e.first == name; });
    if (it == into.extra.end()) into.extra.emplace_back(name, v);
    else it->second += v;
  }
}

void subtract_counters(Counters& into, const Counters& from) {
  into.syscalls -= from.syscalls;
  into.submit_batches -= from.submit_batches;
  into.submitted -= from.submitted;
  into.signals -= from.signals;
  into.fsyncs -= from.fsyncs;
  for (auto& [name, v] : from.extra)
    for (auto& e : into.extra)
      if (e.first == name) e.second -= v;
}

std::string_view status_name(Status s) {
  switch (s) {
    case Status::Ok: return "ok";
    case Status::Skipped: return "skipped";
    case Status::Error: return "error";
    case Status::Interrupted: return "interrupted";
  }
  return "?";
}

namespace {

Spread spread_of(const std::vector<Metrics>& reps, const std::function<double(const Metrics&)>& f) {
  Spread s;
  s.min = s.max = f(reps.front());
  for (auto& m : reps) {
    double v = f(m);
    s.mean += v;
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
  }
  s.mean /= static_cast<double>(reps.size());
  if (reps.size() > 1) {
    double ss = 0;
    for (auto& m : reps) ss += (f(m) - s.mean) * (f(m) - s.mean);
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
    s.ops += m.ops;
    s.bytes += m.bytes;
    s.errors += m.errors;
    s.runtime_ns += m.runtime_ns;
    s.lat.merge(m.lat);
    s.cpu_user_ns += m.cpu_user_ns;
    s.cpu_sys_ns += m.cpu_sys_ns;
    s.ctx_voluntary += m.ctx_voluntary;
    s.ctx_involuntary += m.ctx_involuntary;
    add_counters(s.counters, m.counters);
  }
  const std::pair<const char*, std::function<double(const Metrics&)>> figures[] = {
      {"iops", [](const Metrics& m) { return m.iops; }},
      {"bw_bytes_per_s", [](const Metrics& m) { return m.bw_bytes_per_s; }},
      {"lat_p50_ns", [](const Metrics& m) { return static_cast<double>(m.lat.percentile(50)); }},
      {"lat_p99_ns", [](const Metrics& m) { return static_cast<double>(m.lat.percentile(99)); }},
      {"cpu_per_op_ns", [](const Metrics& m) { return m.cpu_per_op_ns(); }},
  };
  for (auto& [name, f] : figures) r.spread.emplace_back(name, spread_of(r.repetitions, f));
  s.iops = r.spread[0].second.mean;
  s.bw_bytes_per_s = r.spread[1].second.mean;
}

}  // namespace iobench
