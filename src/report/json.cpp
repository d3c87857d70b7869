// The result document (docs/schema.md): every figure where the figure table
// puts it, so the writer never names a metric itself.
#include <algorithm>

#include "report/report.h"
#include "run/figures.h"
#include "spec/json_file.h"

namespace iobench {

using json = nlohmann::json;

namespace {

// The member a JSON pointer names, made as an object key at every level
// (json_pointer would make "50" an array index).
json& at_path(json& j, const std::string& path) {
  json* cur = &j;
  for (size_t from = 1; from <= path.size();) {
    size_t to = std::min(path.find('/', from), path.size());
    cur = &(*cur)[path.substr(from, to - from)];
    from = to + 1;
  }
  return *cur;
}

json metrics_json(const Metrics& m, bool histogram, const WorkloadSpec& spec) {
  json j = json::object();
  for (auto& f : figures()) {
    if (!f.present(m)) continue;
    json& v = at_path(j, f.path);
    if (f.count) v = m.*f.count;
    else if (f.integer) v = static_cast<uint64_t>(f.value(m));
    else v = f.value(m);
  }
  const Counters& c = m.counters;
  json counters = {{"syscalls", c.syscalls}, {"submit_batches", c.submit_batches}, {"submitted", c.submitted},
                   {"signals", c.signals}, {"fsyncs", c.fsyncs}};
  for (size_t i = 0; i < c.n_own; ++i) counters[std::string(c.own[i].name)] = c.own[i].value;
  j["counters"] = counters;
  for (auto& h : histogram_fields()) {
    if (!j.contains(std::string(h.key))) continue;
    json& out = j[std::string(h.key)];
    for (double q : spec.percentiles) out["percentiles"][percentile_key(q)] = (m.*h.hist).percentile(q);
    if (spec.lat_sample > 1 && h.sampled) out["samples"] = (m.*h.hist).count();
    if (!histogram) continue;
    json b = json::array();
    for (auto& [v, n] : (m.*h.hist).buckets()) b.push_back({v, n});
    out["histogram"] = b;
  }
  return j;
}

// The workload as this result ran it: an option of another target or
// backend of the same run is not part of it.
json workload_json(const Result& r) {
  json w = to_json(r.spec);
  for (auto& [decl, v] : r.spec.options)
    if (decl->owner != r.spec.target.kind && decl->owner != r.backend && decl->owner != r.backend + ":" + r.variant)
      w.erase(std::string(decl->json_key));
  return w;
}

// --series: rows of numbers, one per interval, named once by "columns".
json series_json(const Series& s) {
  json rows = json::array();
  for (auto& r : s.rows) rows.push_back({r.t_ns, r.dur_ns, r.ops, r.bytes, r.p50_ns, r.p99_ns, r.max_ns});
  return {{"interval_ns", s.interval_ns},
          {"t0_ns", s.t0_ns},
          {"truncated", s.truncated},
          {"columns", {"t_ns", "dur_ns", "ops", "bytes", "lat_p50_ns", "lat_p99_ns", "lat_max_ns"}},
          {"rows", rows}};
}

json result_json(const Result& r, bool histogram) {
  json j = {{"workload", workload_json(r)},
            {"backend", r.backend},
            {"variant", r.variant},
            {"target", r.target},
            {"status", status_name(r.status)},
            {"reason", r.reason},
            {"notes", r.notes},
            {"repetitions", json::array()}};
  // Buckets only in the summary: the merged histogram is what a CDF plots,
  // and per-repetition copies would multiply the file's size.
  for (auto& m : r.repetitions) {
    j["repetitions"].push_back(metrics_json(m, false, r.spec));
    if (m.series.interval_ns) j["repetitions"].back()["series"] = series_json(m.series);
  }
  if (r.trace)
    j["trace"] = {{"pid", r.trace->pid},
                  {"requests", r.trace->requests},
                  {"calls", r.trace->calls},
                  {"calls_dropped", r.trace->calls_dropped}};
  // Under mpirun: each rank's own figures over the repetitions.
  for (auto& k : r.ranks)
    j["ranks"].push_back({{"rank", k.rank},
                          {"host", k.host},
                          {"ops", k.total.ops},
                          {"iops", k.total.iops()},
                          {"runtime_ns", k.total.runtime_ns},
                          {"lat_p50_ns", k.total.lat.percentile(50)},
                          {"lat_p99_ns", k.total.lat.percentile(99)}});
  if (!r.repetitions.empty()) {
    j["summary"] = metrics_json(r.summary, histogram, r.spec);
    json spread = json::object();
    for (auto& [f, s] : r.spread)
      spread[f->spread_key] = {{"mean", s.mean}, {"stddev", s.stddev}, {"min", s.min}, {"max", s.max}};
    j["summary"]["spread"] = spread;
  }
  return j;
}

}  // namespace

json document_json(const Report& rep) {
  json doc = {{"schema_version", kSchemaVersion}, {"context", rep.context}, {"results", json::array()}};
  for (auto& r : rep.results) doc["results"].push_back(result_json(r, rep.histogram));
  return doc;
}

std::string render_json(const Report& rep) { return dump_text(document_json(rep), 2) + "\n"; }

}  // namespace iobench
