#include "report/report.h"

namespace iobench {

std::string render_table(const Report& r);
std::string render_json(const Report& r);
std::string render_csv(const Report& r);
std::string render_markdown(const Report& r);
std::string render_gbench(const Report& r);

const std::vector<Format>& formats() {
  static const std::vector<Format> all = {{"table", render_table},
                                          {"json", render_json},
                                          {"csv", render_csv},
                                          {"markdown", render_markdown},
                                          {"gbench", render_gbench}};
  return all;
}

const Format* find_format(std::string_view name) {
  for (auto& f : formats())
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace iobench
