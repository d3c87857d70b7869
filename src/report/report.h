#pragma once
// Exporters: they read Result structs and never measure anything. Each output
// format is one file with one render function, listed in formats().
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/metrics.h"

namespace iobench {

inline constexpr int kSchemaVersion = 1;

// Machine and build facts every result document carries.
nlohmann::json make_context(int argc, char** argv);

// What every format renders: the run's context and its results.
struct Report {
  const nlohmann::json& context;
  const std::vector<Result>& results;
  bool histogram = false;  // json: the latency histogram's buckets too (for CDF plots)
};

struct Format {
  std::string_view name;
  std::string (*render)(const Report&);
};
// table (the default), json, csv, markdown, gbench.
const std::vector<Format>& formats();
const Format* find_format(std::string_view name);

// The result document (docs/schema.md), also what `-o FILE` holds.
nlohmann::json document_json(const Report& report);

}  // namespace iobench
