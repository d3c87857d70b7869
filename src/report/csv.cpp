// For spreadsheets: one row per result, a column for every figure of the
// summary (named by its JSON path), raw numbers in base units.
#include <sstream>

#include "report/report.h"
#include "run/figures.h"

namespace iobench {
namespace {

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string render_csv(const Report& rep) {
  std::ostringstream out;
  out << "workload,backend,variant,status";
  for (auto& f : figures()) out << ',' << f.column();
  out << ",iops_stddev,reason\n";
  for (auto& r : rep.results) {
    out << csv_cell(r.spec.label()) << ',' << r.backend << ',' << r.variant << ',' << status_name(r.status);
    for (auto& f : figures()) {
      out << ',';
      if (r.repetitions.empty() || !f.present(r.summary)) continue;
      double v = f.value(r.summary);
      out << (f.integer ? nlohmann::json(static_cast<uint64_t>(v)) : nlohmann::json(v)).dump();
    }
    const Spread* sd = r.spread_of(figure("iops"));
    out << ',' << (sd && !r.repetitions.empty() ? nlohmann::json(sd->stddev).dump() : "") << ','
        << csv_cell(r.reason) << "\n";
  }
  return out.str();
}

}  // namespace iobench
