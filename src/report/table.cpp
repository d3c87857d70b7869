// Human and spreadsheet views of results: table, csv, markdown; json delegates.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/units.h"
#include "report/report.h"

namespace iobench {
namespace {

struct Row {
  std::vector<std::string> cells;
};

const std::vector<std::string> kHeader = {"workload", "backend", "status", "IOPS", "sd%", "bandwidth",
                                          "p50", "p99", "p99.9", "CPU/op", "errors"};

std::string pct_spread(const Result& r) {
  if (r.repetitions.size() < 2 || r.spread.empty() || r.spread[0].second.mean <= 0) return "";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f", 100.0 * r.spread[0].second.stddev / r.spread[0].second.mean);
  return buf;
}

Row row_of(const Result& r, bool raw) {
  std::string status(status_name(r.status));
  std::string name = r.backend + (r.variant == "default" ? "" : ":" + r.variant);
  if (r.repetitions.empty()) return {{r.spec.label(), name, status, "", "", "", "", "", "", "", ""}};
  const Metrics& m = r.summary;
  auto dur = [&](uint64_t ns) { return raw ? std::to_string(ns) : format_duration(ns); };
  char iops[32], bw[32], cpu[32];
  if (raw) {
    std::snprintf(iops, sizeof iops, "%.0f", m.iops);
    std::snprintf(bw, sizeof bw, "%.0f", m.bw_bytes_per_s);
    std::snprintf(cpu, sizeof cpu, "%.0f", m.cpu_per_op_ns());
  } else {
    std::snprintf(iops, sizeof iops, "%s", format_count(m.iops).c_str());
    std::snprintf(bw, sizeof bw, "%sB/s", format_count(m.bw_bytes_per_s).c_str());
    std::snprintf(cpu, sizeof cpu, "%s", format_duration(static_cast<uint64_t>(m.cpu_per_op_ns())).c_str());
  }
  return {{r.spec.label(), name, status, iops, pct_spread(r), bw, dur(m.lat.percentile(50)), dur(m.lat.percentile(99)),
           dur(m.lat.percentile(99.9)), cpu, std::to_string(m.errors)}};
}

// Reasons per result; notes once each, with the results they apply to.
std::string footnotes(const std::vector<Result>& results) {
  std::ostringstream out;
  std::vector<std::pair<std::string, std::vector<std::string>>> notes;  // text, who
  for (auto& r : results) {
    std::string name = r.backend + ":" + r.variant;
    if (!r.reason.empty()) out << "  " << r.spec.label() << " " << name << ": " << r.reason << "\n";
    for (auto& n : r.notes) {
      auto it = std::find_if(notes.begin(), notes.end(), [&](auto& e) { return e.first == n; });
      if (it == notes.end()) it = notes.insert(notes.end(), {n, {}});
      if (std::find(it->second.begin(), it->second.end(), name) == it->second.end()) it->second.push_back(name);
    }
  }
  for (auto& [text, who] : notes) {
    out << "  note (";
    for (size_t i = 0; i < who.size(); ++i) out << (i ? ", " : "") << who[i];
    out << "): " << text << "\n";
  }
  return out.str();
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string render(const std::vector<Result>& results, Format f, const nlohmann::json& context) {
  if (f == Format::Json) return document_json(context, results).dump(2) + "\n";
  if (f == Format::Gbench) return gbench_json(context, results).dump(2) + "\n";
  std::ostringstream out;
  if (f == Format::Csv) {
    out << "workload,backend,variant,status,iops,iops_stddev,bw_bytes_per_s,lat_p50_ns,lat_p99_ns,lat_p999_ns,"
           "cpu_per_op_ns,errors,reason\n";
    for (auto& r : results) {
      Row row = row_of(r, true);
      std::string sd = r.spread.empty() ? "" : std::to_string(r.spread[0].second.stddev);
      out << csv_cell(r.spec.label()) << ',' << r.backend << ',' << r.variant << ',' << row.cells[2] << ','
          << row.cells[3] << ',' << sd << ',' << row.cells[5] << ',' << row.cells[6] << ',' << row.cells[7] << ','
          << row.cells[8] << ',' << row.cells[9] << ',' << row.cells[10] << ',' << csv_cell(r.reason) << "\n";
    }
    return out.str();
  }
  std::vector<Row> rows;
  for (auto& r : results) rows.push_back(row_of(r, false));
  if (f == Format::Markdown) {
    out << "|";
    for (auto& h : kHeader) out << " " << h << " |";
    out << "\n|";
    for (size_t i = 0; i < kHeader.size(); ++i) out << (i < 3 ? " --- |" : " ---: |");
    out << "\n";
    for (auto& row : rows) {
      out << "|";
      for (auto& c : row.cells) out << " " << c << " |";
      out << "\n";
    }
    std::string notes = footnotes(results);
    if (!notes.empty()) out << "\n```\n" << notes << "```\n";
    return out.str();
  }
  std::vector<size_t> width(kHeader.size());
  for (size_t i = 0; i < kHeader.size(); ++i) width[i] = kHeader[i].size();
  for (auto& row : rows)
    for (size_t i = 0; i < row.cells.size(); ++i) width[i] = std::max(width[i], row.cells[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string c = cells[i];
      std::string pad(width[i] - c.size(), ' ');
      out << (i < 3 ? c + pad : pad + c) << (i + 1 < cells.size() ? "  " : "\n");
    }
  };
  line(kHeader);
  for (auto& row : rows) line(row.cells);
  std::string notes = footnotes(results);
  if (!notes.empty()) out << "\n" << notes;
  out << "(IOPS and bandwidth: mean over repetitions; sd%: their relative stddev; latency: submission to completion;"
         " CPU/op: user+sys time of the whole process per request)\n";
  return out.str();
}

}  // namespace iobench
