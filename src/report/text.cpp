#include "report/text.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/units.h"
#include "run/figures.h"

namespace iobench {
namespace {

struct Column {
  const char* header;
  const char* figure;     // nullptr: the IOPS spread in percent
  bool where_measured;    // shown only when some result has it (device targets' notification delay)
};
constexpr Column kColumns[] = {{"IOPS", "iops", false},         {"sd%", nullptr, false}, {"bandwidth", "bw", false},
                               {"p50", "p50", false},           {"p99", "p99", false},   {"p99.9", "p99.9", false},
                               {"notify p50", "notify_p50", true}, {"CPU/op", "cpu", false}, {"errors", "errors", false}};

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
  std::vector<const Column*> columns;
  for (auto& c : kColumns)
    if (!c.where_measured || std::any_of(results.begin(), results.end(), [&](auto& r) {
          return !r.repetitions.empty() && figure(c.figure).present(r.summary);
        })) {
      columns.push_back(&c);
      t.header.push_back(c.header);
    }
  for (auto& r : results) {
    std::vector<std::string> row = {r.spec.label(), r.backend + (r.variant == "default" ? "" : ":" + r.variant),
                                    std::string(status_name(r.status))};
    for (const Column* cp : columns) {
      const Column& c = *cp;
      if (r.repetitions.empty() || (c.figure && !figure(c.figure).present(r.summary))) row.emplace_back();
      else if (!c.figure) row.push_back(pct_spread(r));
      else row.push_back(format_value(figure(c.figure), figure(c.figure).value(r.summary)));
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
