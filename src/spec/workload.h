#pragma once
// The workload specification: one struct, filled from a JSON file and from
// command-line flags through the same per-field parser, so both accept the
// same spellings and reject bad values with the same message.
//
// The fields every workload has are declared here; options that belong to
// one target or backend are declared by their owner (spec/options.h) and
// handed to the parser by the layer that knows every owner.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/offsets.h"
#include "spec/options.h"

namespace iobench {

enum class RwMode { Read, Write, RandRead, RandWrite, RandRW };
enum class OnError { Continue, Stop };

// "file:PATH", "emu", "driver:/dev/x": the kind and what follows the colon,
// split once here; targets/ knows which kinds exist and what the argument means.
struct TargetSpec {
  std::string kind = "file";
  std::string arg;  // file: the path ("" = a temporary file); driver: the device
  std::string text() const { return arg.empty() ? kind : kind + ":" + arg; }
};

struct WorkloadSpec {
  static constexpr uint64_t kDefaultRuntimeNs = 2'000'000'000;
  std::string name;                // "" = described by label()
  RwMode rw = RwMode::RandRW;
  std::optional<unsigned> rwmix_read;  // percent of reads in randrw (50 when not given)
  uint64_t bs = 4096;
  unsigned qd = 1;
  unsigned jobs = 1;
  uint64_t size = 64ull << 20;     // bytes of the target used
  uint64_t runtime_ns = 0;         // 0 = unset: 2 s, or no limit when ops is set
  uint64_t ops = 0;                // per job; 0 = until runtime
  uint64_t ramp_ns = 0;
  unsigned repeat = 1;
  std::optional<bool> direct;      // not given: each backend's default (libaio: O_DIRECT on files)
  uint64_t fsync_every = 0;        // writes between fsyncs; 0 = never
  enum class FsyncKind { Fsync, Fdatasync };
  FsyncKind fsync_kind = FsyncKind::Fsync;
  bool fsync_kind_given = false;
  uint64_t rate_iops = 0;          // per job; 0 = unlimited
  Distribution distribution = Distribution::Uniform;
  double zipf_theta = 0;
  uint64_t seed = 1;
  std::vector<std::string> backends = {"all"};
  std::vector<unsigned> cpus;      // job threads (and the threads they start) run only here; empty = anywhere
  // shallow: idle CPUs poll instead of halting while a point runs (PM QoS,
  // /dev/cpu_dma_latency 0), so waking a thread costs no exit from a halt.
  enum class CpuIdle { AsIs, Shallow } cpu_idle = CpuIdle::AsIs;
  // spin: a job thread waiting for completions polls the interface without
  // sleeping (each model's zero-timeout look) instead of blocking in it.
  enum class Wait { Block, Spin } wait = Wait::Block;
  // --cancel-pct: this percent of requests, chosen by the seed, get a cancel
  // right after their submission; --drain cancel: what is in flight when a
  // time-based run ends is cancelled rather than waited for.
  unsigned cancel_pct = 0;
  enum class Drain { Wait, Cancel } drain = Drain::Wait;
  TargetSpec target;
  bool verify = false;
  OnError on_error = OnError::Continue;
  bool allow_overwrite = false;
  // --trace: a Chrome JSON trace of the run, each point's first trace_limit
  // requests after the ramp (run/trace.h); --series: per-interval figures.
  std::string trace;
  uint32_t trace_limit = 20'000;
  uint64_t series_ns = 0;  // 0 = none
  // --lat-sample N: one request in N, drawn by the seed, is timed (its
  // latency, notification delay and submission time); the rest read no
  // clock. 1 = every request.
  uint32_t lat_sample = 1;
  // The file's page cache before each point and repetition: left as it is,
  // written back and dropped (fio's invalidate=1), or read in whole.
  enum class Cache { AsIs, Cold, Warm } cache = Cache::AsIs;
  // --percentiles: the latency percentiles tables show and results add to
  // the standard ones (figures.h); empty = the standard columns.
  std::vector<double> percentiles;
  // Under mpirun (docs/multi-host.md): one file shared by every rank, each in
  // a region of its own; and --stonewall, every rank stopped when the first
  // finished its --ops. region_*: this rank's part of the target (set by the
  // run, not a field; span 0 = all of it).
  bool shared_file = false;
  bool stonewall = false;
  uint64_t region_base = 0, region_span = 0;
  // Owner-declared options that were given, with their values.
  std::vector<std::pair<const OptionDecl*, uint64_t>> options;
  // A FlagSet option given a list: each value is a point of the sweep.
  std::vector<std::pair<const OptionDecl*, std::vector<uint64_t>>> option_sweeps;
  // Sweeps: a list for bs, qd or jobs runs the product, bs outermost.
  std::vector<uint64_t> bs_sweep;
  std::vector<unsigned> qd_sweep, jobs_sweep;
  std::string sweep_point;         // "bs=4k qd=16" in an expanded point
  std::string option_point;        // its part from option_sweeps: "uring_setup=coop"; also in sweep_point

  bool is_random() const { return rw == RwMode::RandRead || rw == RwMode::RandWrite || rw == RwMode::RandRW; }
  bool writes() const { return rw == RwMode::Write || rw == RwMode::RandWrite || rw == RwMode::RandRW; }
  bool reads() const { return rw == RwMode::Read || rw == RwMode::RandRead || rw == RwMode::RandRW; }
  bool cancels() const { return cancel_pct || drain == Drain::Cancel; }
  bool is_direct() const { return direct.value_or(false); }
  unsigned read_percent() const { return rw == RwMode::RandRW ? rwmix_read.value_or(50) : (reads() ? 100 : 0); }
  // What tables and results call this workload: its name, else "randrw 4k qd1".
  std::string label() const;
  uint64_t effective_runtime_ns() const { return runtime_ns ? runtime_ns : (ops ? 0 : kDefaultRuntimeNs); }
  Distribution offsets() const { return is_random() ? distribution : Distribution::Sequential; }

  bool given(const OptionDecl& d) const;
  // The given value, else the declaration's fallback (0 when it has none).
  uint64_t get(const OptionDecl& d) const;
};

// One field a workload file may hold, and its command-line flag.
struct FieldInfo {
  std::string_view field;
  std::string flag;
  std::string help;
  std::string_view owner;     // "" for the fields every workload has
  bool is_switch = false;     // a flag without a value (--verify)
  std::string_view off_flag;  // the switch that sets it false (--buffered), if any
  std::string choices;        // the values it takes, '|'-separated, where they are a list ("" otherwise)
  bool combines = false;      // its values join with '+' (a FlagSet: "coop+single")
  std::vector<std::string> choice_list() const;
};

// Parses workload fields: the common ones and the given owner-declared options.
class WorkloadParser {
 public:
  // choices: the values of fields whose names the layers above know
  // (backend, target), for FieldInfo::choices.
  explicit WorkloadParser(std::vector<const OptionDecl*> options = {},
                          std::vector<std::pair<std::string_view, std::string>> choices = {});

  // Sets one field from a JSON value (numbers, strings such as "4k"/"500ms",
  // booleans). `where` prefixes the error: "--bs" or "quick.json: field 'bs'".
  // Throws UsageError naming the field and what it accepts.
  void set(WorkloadSpec& spec, std::string_view key, const nlohmann::json& value, const std::string& where) const;
  // Applies a JSON object of fields; origin "" means command-line flags.
  void apply(WorkloadSpec& spec, const nlohmann::json& fields, const std::string& origin) const;
  // Reads a workload file; unknown fields and bad values are UsageErrors.
  WorkloadSpec load(const std::string& path) const;

  // Every field, in documentation order: the common ones, then the options.
  std::vector<FieldInfo> fields() const;
  const std::vector<const OptionDecl*>& options() const { return options_; }

 private:
  std::vector<const OptionDecl*> options_;
  std::vector<std::pair<std::string_view, std::string>> choices_;
};

// Cross-field checks that need no target or backend (alignment with direct,
// verify granularity, ...); targets and backends add their own.
void validate(const WorkloadSpec& spec);
// One spec per point of the bs x qd x jobs product, in a stable order.
std::vector<WorkloadSpec> expand_sweeps(const WorkloadSpec& spec);

nlohmann::json to_json(const WorkloadSpec& spec);
std::string_view rw_name(RwMode m);

}  // namespace iobench
