#pragma once
// Runs one (workload, backend, variant, target) point: job threads, ramp,
// repetitions, and the numbers of core/metrics.h.
#include "backends/backend.h"
#include "run/group.h"
#include "run/metrics.h"
#include "core/stop_signal.h"
#include "targets/target.h"

namespace iobench {

class TraceWriter;

class Progress;

struct RunOptions {
  Progress* progress = nullptr;  // told where the run is (rank 0 only); none: nothing shown
  size_t plan_index = 0;         // which of the run's plans (the progress counts runs across them)
  TraceWriter* trace = nullptr;  // --trace: each point's records go here
  Group* group = nullptr;        // the ranks of an MPI run; none: this process alone
};

Result run_point(const WorkloadSpec& spec, const BackendChoice& backend, Target& target,
                 StopSignal& stop, const RunOptions& opts);

}  // namespace iobench
