#pragma once
// Plain result structs: measurement fills them, exporters only read them.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "core/histogram.h"
#include "spec/workload.h"

namespace iobench {

struct Metrics {
  uint64_t ops = 0;     // completed requests, failed ones included
  uint64_t bytes = 0;   // bytes transferred by successful requests
  uint64_t errors = 0;  // failed, short or mismatching requests
  uint64_t runtime_ns = 0;
  double iops = 0;
  double bw_bytes_per_s = 0;
  Histogram lat;        // ns, submission (or intended issue) to completion
  uint64_t cpu_user_ns = 0;
  uint64_t cpu_sys_ns = 0;
  uint64_t ctx_voluntary = 0;
  uint64_t ctx_involuntary = 0;
  Counters counters;

  double cpu_per_op_ns() const { return ops ? static_cast<double>(cpu_user_ns + cpu_sys_ns) / static_cast<double>(ops) : 0; }
};

void add_counters(Counters& into, const Counters& from);
// into -= from: what happened between two snapshots of one engine's counters.
void subtract_counters(Counters& into, const Counters& from);

struct Spread {
  double mean = 0, stddev = 0, min = 0, max = 0;
};

enum class Status { Ok, Skipped, Error, Interrupted };
std::string_view status_name(Status s);

struct Result {
  WorkloadSpec spec;
  std::string backend;
  std::string variant;
  nlohmann::json target;
  Status status = Status::Ok;
  std::string reason;
  std::vector<std::string> notes;
  std::vector<Metrics> repetitions;
  Metrics summary;                                     // valid when repetitions is not empty
  std::vector<std::pair<std::string, Spread>> spread;  // per-repetition variation of key figures
};

// Fills result.summary and result.spread from result.repetitions: ops, bytes,
// errors, runtime, CPU and counters summed; rates the mean; latency merged.
void summarize(Result& result);

}  // namespace iobench
