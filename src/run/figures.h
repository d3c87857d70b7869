#pragma once
// Every figure a result reports, in one table: its name, where it sits in a
// metrics object, its unit, which way is better, and how it merges across
// threads and repetitions. summarize, the JSON writer, the table/csv/markdown
// columns, the gbench export and compare all read this table; a new figure is
// one entry here plus the code that measures it.
#include <string>
#include <string_view>
#include <vector>

#include "run/metrics.h"

namespace iobench {

enum class Unit { Count, Ns, PerS, BytesPerS, Ratio };
enum class Better { Higher, Lower, Neither };  // Neither: not compared (a count, or too noisy to judge)
// How a figure combines threads into a repetition and repetitions into the
// summary. The summary is the totals of the run (ops over all measured time),
// and `spread` is how the figure varied from repetition to repetition.
enum class Merge {
  Sum,      // added (counts, time)
  Derived,  // computed from summed figures (a rate, a ratio) or from the merged histogram
};
enum class Stat { Min, Max, Mean, Stddev, Percentile };

struct Figure {
  std::string name;  // compare --fail-on and tables use it: "iops", "p99"
  std::string path;  // JSON pointer inside a metrics object: "/lat_ns/percentiles/99"
  Unit unit = Unit::Count;
  Better better = Better::Neither;
  // Exactly one of these says where the value comes from.
  uint64_t Metrics::*count = nullptr;  // Merge::Sum
  Histogram Metrics::*hist = nullptr;  // Merge::Derived from the (merged) histogram
  Stat stat = Stat::Percentile;
  double q = 0;
  double (*derive)(const Metrics&) = nullptr;  // Merge::Derived otherwise
  std::string spread_key;  // summary.spread entry ("" = none)
  bool integer = false;    // written as a JSON integer

  Merge merge() const { return count ? Merge::Sum : Merge::Derived; }
  // false for a figure of a histogram that recorded nothing and is reported
  // only where it did (fsync_lat_ns without --fsync-every).
  bool present(const Metrics& m) const;
  double value(const Metrics& m) const;
  // "lat_ns.percentiles.99": the path as one column name (csv, gbench).
  std::string column() const;
};

// The histograms a metrics object holds: each becomes a JSON object of the
// lat_ns shape {min, max, mean, stddev, percentiles} and figures for each.
struct HistogramField {
  std::string_view key;  // "lat_ns"
  Histogram Metrics::*hist;
  bool always;           // false: reported only where it recorded something (fsync_lat_ns)
  bool compared;         // its median and tail are figures compare judges
  bool sampled;          // holds only the requests --lat-sample drew
};
const std::vector<HistogramField>& histogram_fields();

// The percentiles every histogram object reports (and compare can judge);
// --percentiles adds others to the JSON and chooses the table's columns.
inline constexpr double kStandardPercentiles[] = {50, 90, 99, 99.9, 99.99};
// A percentile's key in a "percentiles" object: its shortest decimal ("99.9").
std::string percentile_key(double q);

const std::vector<Figure>& figures();
// The figure of that name; throws std::out_of_range for a name not in the table.
const Figure& figure(std::string_view name);

}  // namespace iobench
