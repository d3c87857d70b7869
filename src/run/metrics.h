#pragma once
// Plain result structs: measurement fills them, exporters only read them.
// Which figures they hold, and how those merge, is in run/figures.h.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "core/histogram.h"
#include "spec/workload.h"

namespace iobench {

// --series: one repetition's figures per interval, merged over its threads.
struct Series {
  struct Row {
    uint64_t t_ns = 0;    // the interval's start, from the measurement's start (t0_ns)
    uint64_t dur_ns = 0;  // the interval (the last one: up to the end of the measurement)
    uint64_t ops = 0, bytes = 0;
    uint64_t p50_ns = 0, p99_ns = 0, max_ns = 0;  // of the requests completed in it; percentiles within 3.1 %
  };
  uint64_t interval_ns = 0;  // 0: not recorded
  uint64_t t0_ns = 0;        // CLOCK_MONOTONIC, the clock a --trace uses
  bool truncated = false;    // a thread's log filled up: the rows stop early
  std::vector<Row> rows;
};

struct Metrics {
  uint64_t ops = 0;     // completed requests, failed ones included
  uint64_t bytes = 0;   // bytes transferred by successful requests
  uint64_t errors = 0;  // failed, short or mismatching requests
  uint64_t runtime_ns = 0;
  Histogram lat;        // ns, submission (or intended issue) to completion
  Histogram fsync_lat;  // ns, each fsync/fdatasync call (--fsync-every)
  Histogram submit_lat;      // ns, the submit call per request, where it can block (kCapTimedSubmit)
  Histogram issue_lateness;  // ns, --rate: how late iobench issued a request whose slot was free in time
  Histogram notify;          // ns, reads on a device: when the job saw the completion - when the device made it ready
  Histogram cancel_lat;      // ns, --cancel-pct: the cancel call to the cancelled request's completion seen
  uint64_t cpu_user_ns = 0;
  uint64_t cpu_sys_ns = 0;
  uint64_t cpu_helpers_ns = 0;  // the part of user + sys the model's helper threads used
  uint64_t ctx_voluntary = 0;
  uint64_t ctx_involuntary = 0;
  Counters counters;
  Series series;

  // Rates are totals over time, in a repetition and in the summary alike
  // (which sums ops, bytes and runtime): ops / runtime, never a mean of rates.
  double iops() const { return runtime_ns ? static_cast<double>(ops) * 1e9 / static_cast<double>(runtime_ns) : 0; }
  double bw_bytes_per_s() const {
    return runtime_ns ? static_cast<double>(bytes) * 1e9 / static_cast<double>(runtime_ns) : 0;
  }
};

struct Spread {
  double mean = 0, stddev = 0, min = 0, max = 0;
};

enum class Status { Ok, Skipped, Error, Interrupted };
std::string_view status_name(Status s);

struct Figure;

// Under mpirun: one rank's own figures over a result's repetitions, so
// stragglers show (run/ranks.h).
struct RankFigures {
  int rank = 0;
  std::string host;
  Metrics total;  // the rank's repetitions summed (ops, runtime) and merged (latency)
};

struct Result {
  WorkloadSpec spec;
  std::string backend;
  std::string variant;
  nlohmann::json target;
  unsigned threads = 0;  // job threads it ran (jobs, or jobs x qd for a one-request-per-thread model)
  Status status = Status::Ok;
  std::string reason;
  std::vector<std::string> notes;
  std::vector<Metrics> repetitions;
  Metrics summary;                                      // valid when repetitions is not empty
  std::vector<std::pair<const Figure*, Spread>> spread;  // per-repetition variation of key figures
  // --trace: what this result put in the trace file.
  struct Traced {
    unsigned pid = 0;           // its process lane in the trace
    uint64_t requests = 0;      // request slices (completed in the measurement)
    uint64_t calls = 0;         // submit, wait, fsync and handler slices and signal instants
    uint64_t calls_dropped = 0; // calls not traced: the call records ran out
  };
  std::optional<Traced> trace;
  std::vector<RankFigures> ranks;  // rank 0 of an MPI run: every rank's own; empty otherwise

  const Spread* spread_of(const Figure& f) const;
};

// A result for this point and backend, before anything is known of it.
Result start_result(const WorkloadSpec& spec, const BackendChoice& backend, nlohmann::json target);

// Fills result.summary and result.spread from result.repetitions, each figure
// as the figure table says it merges.
void summarize(Result& result);

}  // namespace iobench
