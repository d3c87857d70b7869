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
  const char* figure;  // nullptr: the IOPS spread in percent
};
constexpr Column kColumns[] = {{"IOPS", "iops"}, {"sd%", nullptr}, {"bandwidth", "bw"}, {"p50", "p50"},
                               {"p99", "p99"},   {"p99.9", "p99.9"}, {"CPU/op", "cpu"}, {"errors", "errors"}};

std::string cell(const Figure& f, const Metrics& m) {
  const double v = f.value(m);
  switch (f.unit) {
    case Unit::Count: return std::to_string(static_cast<uint64_t>(v));
    case Unit::Ns: return format_duration(static_cast<uint64_t>(v));
    case Unit::PerS: return format_count(v);
    case Unit::BytesPerS: return format_count(v) + "B/s";
  }
  return "";
}

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
  for (auto& c : kColumns) t.header.push_back(c.header);
  for (auto& r : results) {
    std::vector<std::string> row = {r.spec.label(), r.backend + (r.variant == "default" ? "" : ":" + r.variant),
                                    std::string(status_name(r.status))};
    for (auto& c : kColumns) {
      if (r.repetitions.empty()) row.emplace_back();
      else row.push_back(c.figure ? cell(figure(c.figure), r.summary) : pct_spread(r));
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
