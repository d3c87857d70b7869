// Google Benchmark's JSON, so its compare.py (libbenchmark-tools) reads
// iobench results: one benchmark per result and repetition.
#include "report/report.h"
#include "run/figures.h"
#include "spec/json_file.h"

namespace iobench {

using json = nlohmann::json;

std::string render_gbench(const Report& rep) {
  const json& context = rep.context;
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
  for (auto& r : rep.results) {
    if (r.repetitions.empty()) continue;
    // compare.py pairs benchmarks by name and runs its U test over repetitions.
    std::string name = r.spec.label() + "/" + r.backend + ":" + r.variant;
    int k = 0;
    for (auto& m : r.repetitions) {
      json b = {{"name", name},
                                   {"family_index", family},
                                   {"per_family_instance_index", 0},
                                   {"run_name", name},
                                   {"run_type", "iteration"},
                                   {"repetitions", r.repetitions.size()},
                                   {"repetition_index", k++},
                                   {"threads", r.threads},
                                   {"iterations", m.ops},
                                   {"real_time", m.iops() > 0 ? 1e9 / m.iops() : 0.0},  // wall ns per request
                                   {"cpu_time", figure("cpu").value(m)},
                                   {"time_unit", "ns"},
                                   {"items_per_second", m.iops()},
                                   {"bytes_per_second", m.bw_bytes_per_s()}};
      // compare.py's counters: the figures whose spread a result reports.
      for (auto& f : figures())
        if (!f.spread_key.empty()) b[f.spread_key] = f.value(m);
      out["benchmarks"].push_back(std::move(b));
    }
    ++family;
  }
  return dump_text(out, 2) + "\n";
}

}  // namespace iobench
