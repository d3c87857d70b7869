#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>


#include "core/build_info.h"
#include "core/errors.h"
#include "report/report.h"


namespace iobench {

using json = nlohmann::json;

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("model name")) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string utc_timestamp() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json spread_json(const Spread& s) { return {{"mean", s.mean}, {"stddev", s.stddev}, {"min", s.min}, {"max", s.max}}; }

}  // namespace

json make_context(int argc, char** argv) {
  utsname u{};
  uname(&u);
  std::string cmd;
  for (int i = 0; i < argc; ++i) cmd += (i ? " " : "") + std::string(argv[i]);
  return {{"iobench_version", build_info::kVersion},
          {"git_sha", build_info::kGitSha},
          {"timestamp", utc_timestamp()},
          {"hostname", u.nodename},
          {"kernel", std::string(u.release) + " " + u.version},
          {"arch", u.machine},
          {"cpu_model", cpu_model()},
          {"nproc", std::thread::hardware_concurrency()},
          {"command_line", cmd},
          {"liburing_version", build_info::kLiburingVersion},
          {"compiler", __VERSION__}};
}

json metrics_json(const Metrics& m, bool histogram) {
  const Histogram& h = m.lat;
  json pct = json::object();
  for (auto [key, q] : {std::pair{"50", 50.0}, {"90", 90.0}, {"99", 99.0}, {"99.9", 99.9}, {"99.99", 99.99}})
    pct[key] = h.percentile(q);
  json counters = {{"syscalls", m.counters.syscalls},
                   {"submit_batches", m.counters.submit_batches},
                   {"submitted", m.counters.submitted},
                   {"signals", m.counters.signals},
                   {"fsyncs", m.counters.fsyncs}};
  for (auto& [k, v] : m.counters.extra) counters[k] = v;
  json j = {{"ops", m.ops},
          {"bytes", m.bytes},
          {"errors", m.errors},
          {"runtime_ns", m.runtime_ns},
          {"iops", m.iops},
          {"bw_bytes_per_s", m.bw_bytes_per_s},
          {"lat_ns",
           {{"min", h.min()}, {"max", h.max()}, {"mean", h.mean()}, {"stddev", h.stddev()}, {"percentiles", pct}}},
          {"cpu", {{"user_ns", m.cpu_user_ns}, {"sys_ns", m.cpu_sys_ns}, {"per_op_ns", m.cpu_per_op_ns()}}},
          {"ctx_switches", {{"voluntary", m.ctx_voluntary}, {"involuntary", m.ctx_involuntary}}},
          {"counters", counters}};
  if (histogram) {
    json b = json::array();
    for (auto& [v, n] : h.buckets()) b.push_back({v, n});
    j["lat_ns"]["histogram"] = b;
  }
  return j;
}

json result_json(const Result& r, bool histogram) {
  json j = {{"workload", to_json(r.spec)},
            {"backend", r.backend},
            {"variant", r.variant},
            {"target", r.target},
            {"status", status_name(r.status)},
            {"reason", r.reason},
            {"notes", r.notes},
            {"repetitions", json::array()}};
  // Buckets only in the summary: the merged histogram is what a CDF plots,
  // and per-repetition copies would multiply the file's size.
  for (auto& m : r.repetitions) j["repetitions"].push_back(metrics_json(m));
  if (!r.repetitions.empty()) {
    j["summary"] = metrics_json(r.summary, histogram);
    json spread = json::object();
    for (auto& [k, s] : r.spread) spread[k] = spread_json(s);
    j["summary"]["spread"] = spread;
  }
  return j;
}

json document_json(const json& context, const std::vector<Result>& results, bool histogram) {
  json doc = {{"schema_version", kSchemaVersion}, {"context", context}, {"results", json::array()}};
  for (auto& r : results) doc["results"].push_back(result_json(r, histogram));
  return doc;
}

json gbench_json(const json& context, const std::vector<Result>& results) {
  json out = {{"context",
               {{"date", context.value("timestamp", "")},
                {"host_name", context.value("hostname", "")},
                {"executable", "iobench"},
                {"num_cpus", context.value("nproc", 0)},
                {"mhz_per_cpu", 0},
                {"cpu_scaling_enabled", false},
                {"caches", json::array()},
                {"load_avg", json::array()},
                {"library_build_type", "release"},
                {"iobench_version", context.value("iobench_version", "")}}},
              {"benchmarks", json::array()}};
  int family = 0;
  for (auto& r : results) {
    if (r.repetitions.empty()) continue;
    // compare.py pairs benchmarks by name and runs its U test over repetitions.
    std::string name = r.spec.label() + "/" + r.backend + ":" + r.variant;
    int k = 0;
    for (auto& m : r.repetitions) {
      out["benchmarks"].push_back({{"name", name},
                                   {"family_index", family},
                                   {"per_family_instance_index", 0},
                                   {"run_name", name},
                                   {"run_type", "iteration"},
                                   {"repetitions", r.repetitions.size()},
                                   {"repetition_index", k++},
                                   {"threads", r.spec.jobs},
                                   {"iterations", m.ops},
                                   {"real_time", m.iops > 0 ? 1e9 / m.iops : 0.0},  // wall ns per request
                                   {"cpu_time", m.cpu_per_op_ns()},
                                   {"time_unit", "ns"},
                                   {"items_per_second", m.iops},
                                   {"bytes_per_second", m.bw_bytes_per_s},
                                   {"lat_p50_ns", m.lat.percentile(50)},
                                   {"lat_p99_ns", m.lat.percentile(99)}});
    }
    ++family;
  }
  return out;
}

}  // namespace iobench
