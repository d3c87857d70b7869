#pragma once
// From a workload to results: the points of its sweeps, the backends it
// names, every check that can reject it before anything is measured, and the
// loop over points x backends (with the O_DIRECT-twin rule) that runs them.
#include <functional>
#include <vector>

#include "backends/backend.h"
#include "run/metrics.h"
#include "run/runner.h"

namespace iobench {

// The parser that knows every workload field: the common ones and the
// options every target and backend declares.
const WorkloadParser& workload_parser();

struct Plan {
  std::vector<WorkloadSpec> points;     // one per sweep point, validated
  std::vector<BackendChoice> backends;  // resolved, in run order
};

// Expands, resolves and validates; throws UsageError naming the field.
Plan make_plan(const WorkloadSpec& spec);

// Runs every point with every backend. A target that cannot be prepared
// before anything was measured throws RuntimeError; later, its point's
// results record the failure. Stops early (keeping what it has) on a stop.
std::vector<Result> run_plan(const Plan& plan, StopSignal& stop, const RunOptions& opts);

}  // namespace iobench
