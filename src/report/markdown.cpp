// A GitHub-flavoured table, for reports and pull requests.
#include <sstream>

#include "report/report.h"
#include "report/text.h"

namespace iobench {

std::string render_pipe_table(const TextTable& t) {
  std::ostringstream out;
  out << "|";
  for (auto& h : t.header) out << " " << h << " |";
  out << "\n|";
  for (size_t i = 0; i < t.header.size(); ++i) out << (i < t.left_columns ? " --- |" : " ---: |");
  out << "\n";
  for (auto& row : t.rows) {
    out << "|";
    for (auto& c : row) out << " " << c << " |";
    out << "\n";
  }
  return out.str();
}

std::string render_markdown(const Report& rep) {
  std::ostringstream out;
  out << render_pipe_table(text_table(rep.results));
  std::string notes = footnotes(rep.results);
  if (!notes.empty()) out << "\n```\n" << notes << "```\n";
  return out.str();
}

}  // namespace iobench
