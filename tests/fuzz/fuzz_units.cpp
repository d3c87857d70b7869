// Sizes, durations and lists: the input as a string given to every workload
// field (each with its own parser: sizes, durations, counts, sweeps "1,4,16",
// choices, CPU lists), and to the unit parsers directly, whose results must
// round-trip through their own formatting.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/units.h"
#include "run/plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const iobench::WorkloadParser& parser = iobench::workload_parser();
  for (const auto& f : parser.fields()) {
    iobench::WorkloadSpec spec;
    try {
      parser.set(spec, f.field, nlohmann::json(in), "--fuzz");
    } catch (const iobench::UsageError&) {
    }
  }
  if (auto n = iobench::parse_size(in)) {
    if (iobench::parse_size(std::to_string(*n)) != n) abort();
  }
  if (auto ns = iobench::parse_duration_ns(in)) {
    if (iobench::parse_duration_ns(std::to_string(*ns) + "ns") != ns) abort();
  }
  return 0;
}
