#pragma once
// What the human formats (table, markdown) share: the columns, each cell
// formatted by its figure's unit, and the footnotes.
#include <string>
#include <vector>

#include "run/metrics.h"

namespace iobench {

struct TextTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  size_t left_columns = 3;  // label columns, aligned left; the figures after them right
};

// Aligned columns (the table format) and a GitHub-flavoured table (markdown).
std::string render_aligned(const TextTable& t);
std::string render_pipe_table(const TextTable& t);

struct Figure;
// A figure's value for people: "1.2M", "35.2us", "1.5GB/s", "2.00".
std::string format_value(const Figure& f, double v);

TextTable text_table(const std::vector<Result>& results);
// Reasons per result, and each note once with the results it applies to.
std::string footnotes(const std::vector<Result>& results);

}  // namespace iobench
