#pragma once
// The workload specification: one struct, filled from a JSON file and from
// command-line flags through the same per-field parser, so both accept the
// same spellings and reject bad values with the same message.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/offsets.h"

namespace iobench {

enum class RwMode { Read, Write, RandRead, RandWrite, RandRW };
enum class OnError { Continue, Stop };

struct WorkloadSpec {
  static constexpr uint64_t kDefaultRuntimeNs = 2'000'000'000;
  std::string name;                // "" = described by label()
  RwMode rw = RwMode::RandRW;
  unsigned rwmix_read = 50;       // percent of reads in randrw
  uint64_t bs = 4096;
  unsigned qd = 1;
  unsigned jobs = 1;
  uint64_t size = 64ull << 20;     // bytes of the target used
  uint64_t runtime_ns = 0;         // 0 = unset: 2 s, or no limit when ops is set
  uint64_t ops = 0;                // per job; 0 = until runtime
  uint64_t ramp_ns = 0;
  unsigned repeat = 1;
  bool direct = false;
  bool direct_given = false;        // set by the workload; else each backend's default (libaio: O_DIRECT)
  uint64_t fsync_every = 0;        // writes between fsyncs; 0 = never
  uint64_t rate_iops = 0;          // per job; 0 = unlimited
  Pattern distribution = Pattern::Uniform;
  double zipf_theta = 0;
  uint64_t seed = 1;
  std::vector<std::string> backends = {"all"};
  std::vector<unsigned> cpus;      // job threads (and the threads they start) run only here; empty = anywhere
  std::string target;              // "" = a temporary file
  bool verify = false;
  OnError on_error = OnError::Continue;
  bool allow_overwrite = false;
  // Backend options; 0 = the backend's default.
  unsigned posixaio_fds = 0;       // descriptors posixaio spreads requests over (default 1)
  unsigned posixaio_threads = 0;   // glibc aio_init aio_threads
  unsigned sqpoll_idle_ms = 0;     // io_uring:sqpoll sq_thread_idle (default 1000)
  unsigned libaio_batch = 0;       // libaio: iocbs per io_submit (default: all free slots)
  // The emu target's device parameters (DESIGN.md device model).
  uint64_t emu_latency_ns = 100'000;
  uint64_t emu_bandwidth = 0;      // bytes/s; 0 = infinite
  uint64_t emu_fail_every = 0;     // every Nth request fails; 0 = never
  bool emu_set = false;            // an emu_* field was given
  // The driver target's module parameters to set before the run (root).
  std::optional<uint64_t> dev_latency_ns, dev_qdepth, dev_fail_every;
  // Sweeps: a list for bs, qd or jobs runs the product, bs outermost.
  std::vector<uint64_t> bs_sweep;
  std::vector<unsigned> qd_sweep, jobs_sweep;
  std::string sweep_point;         // "bs=4k qd=16" in an expanded point

  bool is_random() const { return rw == RwMode::RandRead || rw == RwMode::RandWrite || rw == RwMode::RandRW; }
  bool writes() const { return rw == RwMode::Write || rw == RwMode::RandWrite || rw == RwMode::RandRW; }
  bool reads() const { return rw == RwMode::Read || rw == RwMode::RandRead || rw == RwMode::RandRW; }
  unsigned read_percent() const { return rw == RwMode::RandRW ? rwmix_read : (reads() ? 100 : 0); }
  // What tables and results call this workload: its name, else "randrw 4k qd1".
  std::string label() const;
  uint64_t effective_runtime_ns() const { return runtime_ns ? runtime_ns : (ops ? 0 : kDefaultRuntimeNs); }
  Pattern pattern() const { return is_random() ? distribution : Pattern::Sequential; }
};

// Every field name a workload file may hold, in documentation order.
const std::vector<std::string_view>& workload_fields();

// Sets one field from a JSON value (numbers, strings such as "4k"/"500ms",
// booleans). `where` prefixes the error: "--bs" or "quick.json: field 'bs'".
// Throws UsageError naming the field and what it accepts.
void set_field(WorkloadSpec& spec, std::string_view key, const nlohmann::json& value,
               const std::string& where);

// Reads a workload file; unknown fields and bad values are UsageErrors.
WorkloadSpec load_workload(const std::string& path);
// Applies a JSON object of fields over `spec` (used by the CLI's flags).
void apply_fields(WorkloadSpec& spec, const nlohmann::json& fields, const std::string& origin);
// Cross-field checks (alignment with direct, verify granularity, ...).
void validate(const WorkloadSpec& spec);
// One spec per point of the bs x qd x jobs product, in a stable order.
std::vector<WorkloadSpec> expand_sweeps(const WorkloadSpec& spec);

nlohmann::json to_json(const WorkloadSpec& spec);
std::string_view rw_name(RwMode m);

}  // namespace iobench
