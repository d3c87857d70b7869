// The default stdout format: aligned columns, then reasons and notes.
#include <algorithm>
#include <sstream>

#include "report/report.h"
#include "report/text.h"

namespace iobench {

std::string render_aligned(const TextTable& t) {
  std::vector<size_t> width(t.header.size());
  for (size_t i = 0; i < t.header.size(); ++i) width[i] = t.header[i].size();
  for (auto& row : t.rows)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string pad(width[i] - cells[i].size(), ' ');
      out << (i < t.left_columns ? cells[i] + pad : pad + cells[i]) << (i + 1 < cells.size() ? "  " : "\n");
    }
  };
  line(t.header);
  for (auto& row : t.rows) line(row);
  return out.str();
}

std::string render_table(const Report& rep) {
  TextTable t = text_table(rep.results);
  std::ostringstream out;
  out << render_aligned(t);
  std::string notes = footnotes(rep.results);
  if (!notes.empty()) out << "\n" << notes;
  out << "(IOPS and bandwidth: all requests over all measured time; sd%: relative stddev of IOPS across repetitions; "
         "latency: submission to completion;"
      << (std::find(t.header.begin(), t.header.end(), "notify p50") != t.header.end()
              ? " notify: reads on a device, from when the device made the block ready to when the job saw it;"
              : "")
      << " CPU/op: user+sys time of the job threads and the model's helper threads per request)\n";
  return out.str();
}

}  // namespace iobench
