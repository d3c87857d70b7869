#pragma once
// Exporters: they read Result structs and never measure anything.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/metrics.h"

namespace iobench {

inline constexpr int kSchemaVersion = 1;

// Machine and build facts every result document carries.
nlohmann::json make_context(int argc, char** argv);

// With `histogram`, lat_ns also holds the non-empty buckets (for CDF plots).
nlohmann::json metrics_json(const Metrics& m, bool histogram = false);
nlohmann::json result_json(const Result& r, bool histogram = false);
nlohmann::json document_json(const nlohmann::json& context, const std::vector<Result>& results,
                             bool histogram = false);

// Gbench: Google Benchmark's JSON, so its compare.py (libbenchmark-tools)
// reads iobench results: one benchmark per result and repetition.
enum class Format { Table, Json, Csv, Markdown, Gbench };
nlohmann::json gbench_json(const nlohmann::json& context, const std::vector<Result>& results);
std::string render(const std::vector<Result>& results, Format f, const nlohmann::json& context);

}  // namespace iobench
