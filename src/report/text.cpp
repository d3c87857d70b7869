#include "report/text.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/units.h"
#include "run/figures.h"

namespace iobench {
namespace {

struct Column {
  std::string header;
  const Figure* figure = nullptr;  // nullptr: latency percentile q, or the IOPS spread in percent (q = 0)
  double q = 0;
  bool where_measured = false;     // shown only when some result has it (device targets' notification delay)
};

// The latency percentiles are the results' --percentiles, else p50/p99/p99.9.
std::vector<Column> columns_for(const std::vector<Result>& results) {
  std::vector<double> qs;
  for (auto& r : results) qs.insert(qs.end(), r.spec.percentiles.begin(), r.spec.percentiles.end());
  if (qs.empty()) qs = {50, 99, 99.9};
  std::sort(qs.begin(), qs.end());
  qs.erase(std::unique(qs.begin(), qs.end()), qs.end());
  std::vector<Column> c = {{"IOPS", &figure("iops")}, {"sd%"}, {"bandwidth", &figure("bw")}};
  for (double q : qs) c.push_back({"p" + percentile_key(q), nullptr, q});
  c.push_back({"notify p50", &figure("notify_p50"), 0, true});
  c.push_back({"CPU/op", &figure("cpu")});
  c.push_back({"errors", &figure("errors")});
  return c;
}

}  // namespace

std::string format_value(const Figure& f, double v) {
  switch (f.unit) {
    case Unit::Count: return std::to_string(static_cast<uint64_t>(v));
    case Unit::Ns: return format_duration(static_cast<uint64_t>(v));
    case Unit::PerS: return format_count(v);
    case Unit::BytesPerS: return format_count(v) + "B/s";
    case Unit::Ratio: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", v);
      return buf;
    }
  }
  return "";
}

namespace {

std::string pct_spread(const Result& r) {
  const Spread* s = r.spread_of(figure("iops"));
  if (r.repetitions.size() < 2 || !s || s->mean <= 0) return "";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f", 100.0 * s->stddev / s->mean);
  return buf;
}

}  // namespace

TextTable text_table(const std::vector<Result>& results) {
  TextTable t;
  t.header = {"workload", "backend", "status"};
  std::vector<Column> columns;
  for (Column& c : columns_for(results))
    if (!c.where_measured || std::any_of(results.begin(), results.end(), [&](auto& r) {
          return !r.repetitions.empty() && c.figure->present(r.summary);
        })) {
      t.header.push_back(c.header);
      columns.push_back(std::move(c));
    }
  for (auto& r : results) {
    std::vector<std::string> row = {r.spec.label(), r.backend + (r.variant == "default" ? "" : ":" + r.variant),
                                    std::string(status_name(r.status))};
    for (const Column& c : columns) {
      if (r.repetitions.empty() || (c.figure && !c.figure->present(r.summary))) row.emplace_back();
      else if (c.figure) row.push_back(format_value(*c.figure, c.figure->value(r.summary)));
      else if (c.q) row.push_back(format_duration(r.summary.lat.percentile(c.q)));
      else row.push_back(pct_spread(r));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

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

}  // namespace iobench
