// iobench run: workload file + flag overrides -> results table and JSON.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/build_info.h"
#include "core/errors.h"
#include "core/fs.h"
#include "run/plan.h"
#include "run/progress.h"
#include "core/units.h"
#include "run/trace.h"
#include "core/stop_signal.h"
#include "mpi/launch.h"
#include "report/report.h"
#include "spec/fio.h"
#include "spec/json_file.h"

namespace iobench {
namespace {

struct RunArgs {
  std::string workload;
  std::string output;
  std::string format = "table";
  bool quiet = false;
  bool histogram = false;
  bool dry_run = false;
  std::string status_interval = "10s";
  std::string fio;  // --fio JOB.fio
  bool fio_lenient = false;
  // Workload fields given as flags, in command-line spelling; parsed by the
  // same code as workload files so both accept and reject the same things.
  std::vector<std::tuple<std::string, std::string, std::string>> fields;  // flag, field, value
};

// What --dry-run prints: every point as the workload fields it would run
// with, and the backends it would run on each.
nlohmann::json dry_run_json(const std::vector<Plan>& plans, const Progress& progress) {
  nlohmann::json out = nlohmann::json::array();
  for (const Plan& plan : plans) {
    nlohmann::json backends = nlohmann::json::array(), points = nlohmann::json::array();
    for (auto& b : plan.backends) backends.push_back(b.label());
    for (auto& p : plan.points) points.push_back(to_json(p));
    out.push_back({{"backends", backends}, {"points", points}});
  }
  const std::optional<uint64_t> estimate = progress.estimate_ns();
  return {{"plan", progress.plan_text()},
          {"runs", progress.runs()},
          {"estimated_ns", estimate ? nlohmann::json(*estimate) : nlohmann::json(nullptr)},
          {"plans", out}};
}

// fio jobs that differ only in one sweepable field (bs, iodepth, numjobs,
// ioengine) are one sweep: a point or backend each, as fio ran them one after
// another; any other difference starts a workload of its own.
struct FioSweep {
  std::string name;
  std::vector<FioSetting> settings;
  std::vector<std::string> notes;
};

std::vector<FioSweep> fio_sweeps(const FioFile& f) {
  static const std::vector<std::string> sweepable = {"bs", "qd", "jobs", "backends"};
  std::vector<std::vector<const FioJob*>> groups;
  std::string key;  // the field the last group sweeps
  for (const FioJob& job : f.jobs) {
    if (!groups.empty()) {
      nlohmann::json a = settings_json(*groups.back().front()), b = settings_json(job);
      a.erase("name"), b.erase("name");
      std::vector<std::string> differ;
      for (auto& [k, v] : a.items())
        if (!b.contains(k) || b[k] != v) differ.push_back(k);
      for (auto& [k, v] : b.items())
        if (!a.contains(k)) differ.push_back(k);
      const bool fits = differ.size() == 1 && a.contains(differ[0]) && b.contains(differ[0]) &&
                        std::count(sweepable.begin(), sweepable.end(), differ[0]) &&
                        (groups.back().size() == 1 || differ[0] == key);
      if (fits) {
        key = differ[0];
        groups.back().push_back(&job);
        continue;
      }
    }
    groups.push_back({&job});
  }
  std::vector<FioSweep> out;
  for (auto& group : groups) {
    FioSweep s{group.front()->name, group.front()->settings, {}};
    for (const FioJob* job : group) {
      if (job != group.front()) s.name += "," + job->name;
      for (auto& n : job->notes)
        if (!std::count(s.notes.begin(), s.notes.end(), n)) s.notes.push_back(n);
    }
    for (FioSetting& set : s.settings) {
      if (set.field == "name") set.value = s.name;
      if (group.size() == 1 || set.field != key) continue;
      set.value = nlohmann::json::array();
      for (const FioJob* job : group) set.value.push_back(settings_json(*job)[key]);
      set.origin = "the jobs' " + key;
    }
    out.push_back(std::move(s));
  }
  return out;
}

nlohmann::json fio_json(const FioFile& f, bool lenient) {
  nlohmann::json j = to_json(f);
  j["lenient"] = lenient;
  return j;
}

// Under mpirun every rank must run the same iobench on the same workload:
// each compares both with rank 0's before anything runs.
void check_same_everywhere(Group& g, const std::vector<WorkloadSpec>& specs, const RunArgs& a) {
  std::string text = std::string(build_info::kVersion) + "|" + build_info::kGitSha + "|" + a.format + "|" + a.output;
  for (const WorkloadSpec& spec : specs) {
    text += "|" + to_json(spec).dump() + "|" + spec.target.kind + ":" + spec.target.arg;
    for (auto& b : spec.backends) text += "|" + b;
  }
  const bool same = g.broadcast(text) == text;
  const Group::Verdict v = g.worst(!same, same ? "" : "runs another iobench or another workload than rank 0 (every "
                                                      "rank must run the same build with the same arguments)");
  if (v.severity) throw UsageError(v.reason);
}

// --target file:/scratch/f.{rank}: a file of each rank's own.
void expand_rank(WorkloadSpec& spec, int rank) {
  std::string& arg = spec.target.arg;
  for (size_t at; (at = arg.find("{rank}")) != std::string::npos;) arg.replace(at, 6, std::to_string(rank));
}

int run(RunArgs& a, int argc, char** argv) {
  // Block SIGINT/SIGTERM before any thread exists (see StopSignal): MPI's
  // own threads inherit the mask too.
  StopSignal stop;
  const std::unique_ptr<Group> mpi = join_mpi_job();
  Group& g = mpi ? *mpi : solo();
  const WorkloadParser& parser = workload_parser();
  if (!a.fio.empty() && !a.workload.empty())
    throw UsageError("--fio: give a fio job file or a workload file (-w), not both");
  if (a.fio_lenient && a.fio.empty()) throw UsageError("--fio-lenient: only with --fio JOB.fio");
  // The workloads to run: the one of -w and the flags, or one per fio job
  // (or sweep of jobs); each with the notes its results carry.
  std::vector<WorkloadSpec> specs;
  std::vector<std::vector<std::string>> spec_notes;
  std::optional<FioFile> fio;
  if (!a.fio.empty()) {
    fio = read_fio(a.fio, a.fio_lenient);
    for (const FioSweep& sweep : fio_sweeps(*fio)) {
      WorkloadSpec s;
      for (const FioSetting& set : sweep.settings)
        parser.set(s, set.field, set.value, "--fio: " + a.fio + " [" + sweep.name + "] " + set.origin);
      specs.push_back(std::move(s));
      spec_notes.push_back(sweep.notes);
    }
  } else {
    specs.emplace_back();
    spec_notes.emplace_back();
    if (!a.workload.empty()) specs.back() = parser.load(a.workload);
  }
  for (WorkloadSpec& spec : specs)
    for (auto& [flag, field, value] : a.fields) parser.set(spec, field, nlohmann::json(value), flag);
  const WorkloadSpec& spec = specs.front();
  if (!mpi && (spec.shared_file || spec.stonewall))
    throw UsageError(std::string(spec.shared_file ? "--shared-file" : "--stonewall") +
                     ": only under mpirun (docs/multi-host.md)");
  if (mpi) {
    if (!spec.trace.empty()) throw UsageError("--trace: not under mpirun (each rank would write its own trace)");
    if (spec.series_ns) throw UsageError("--series: not under mpirun (the ranks' intervals are not merged)");
    check_same_everywhere(g, specs, a);
    for (WorkloadSpec& each : specs) expand_rank(each, g.rank());
  }
  std::vector<Plan> plans;
  for (const WorkloadSpec& each : specs) plans.push_back(make_plan(each));

  // No workload and no field: the built-in default also runs every model on
  // emu, where readiness and notification mean something (a temporary file
  // is always ready and raises no SIGIO).
  if (a.workload.empty() && a.fields.empty() && a.fio.empty()) {
    spec_notes.emplace_back();
    WorkloadSpec emu = spec;
    parser.set(emu, "target", "emu", "built-in default");
    parser.set(emu, "emu_latency", "50us", "built-in default");
    parser.set(emu, "runtime", "1s", "built-in default");
    parser.set(emu, "name", spec.label() + " emu 50us", "built-in default");
    plans.push_back(make_plan(emu));
  }
  if (a.histogram && a.output.empty() && a.format != "json")
    throw UsageError("--histogram: the buckets go into the JSON document; give -o FILE or --format json");

  // Rank 0 writes the one document and prints the table; the others only measure.
  const bool writes = g.rank() == 0;
  if (!a.output.empty() && writes) check_output_path(a.output, "--output");
  if (!spec.trace.empty()) {
    check_output_path(spec.trace, "--trace");
    if (!a.output.empty() && same_file_path(spec.trace, a.output))
      throw UsageError("--trace: '" + spec.trace + "' is also the --output file; give each its own path");
  }
  const std::optional<uint64_t> interval = parse_duration_ns(a.status_interval);
  if (!interval || (*interval && *interval < 100'000'000))
    throw UsageError("--status-interval: expected " + std::string(kDurationHelp) + " (at least 100ms), or 0 for "
                     "none; got '" + a.status_interval + "'");
  const bool tty = ::isatty(STDERR_FILENO);
  Progress progress(plans, tty ? Progress::Mode::Line : Progress::Mode::Status, *interval);
  if (a.dry_run && writes) {
    nlohmann::json doc = dry_run_json(plans, progress);
    if (fio) doc["fio"] = fio_json(*fio, a.fio_lenient);
    std::string out = dump_text(doc, 2) + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  if (a.dry_run) return 0;

  nlohmann::json context = make_context(argc, argv);
  if (fio) context["fio"] = fio_json(*fio, a.fio_lenient);
  std::unique_ptr<TraceWriter> trace;
  if (!spec.trace.empty()) trace = std::make_unique<TraceWriter>(spec.trace);
  RunOptions opts{!a.quiet && writes ? &progress : nullptr, 0, trace.get(), mpi.get()};
  std::vector<Result> results;
  for (const Plan& plan : plans) {
    opts.plan_index = static_cast<size_t>(&plan - plans.data());
    std::vector<Result> some = run_plan(plan, stop, opts);
    for (Result& r : some)
      for (const std::string& n : spec_notes[opts.plan_index]) r.notes.push_back("fio: " + n);
    results.insert(results.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
    if (stop.received()) break;
  }

  if (trace) trace->finish(stop.received());
  if (mpi) {
    const std::vector<std::string> hosts = g.gather(g.host());
    context["ranks"] = g.size();
    context["hosts"] = nlohmann::json::array();
    for (auto& h : hosts)
      if (!std::count(context["hosts"].begin(), context["hosts"].end(), h)) context["hosts"].push_back(h);
  }
  const Report report{context, results, a.histogram};
  if (writes) {
    if (!a.output.empty()) write_atomic(a.output, dump_text(document_json(report), 2) + "\n");
    std::string out = find_format(a.format)->render(report);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
  if (stop.received() && !writes) return stop.exit_code();
  if (stop.received()) {
    std::fprintf(stderr, "iobench: interrupted; kept what was measured%s%s\n",
                 a.output.empty() ? "" : (" in " + a.output).c_str(),
                 trace && trace->error().empty() ? (" (trace: " + trace->path() + ")").c_str() : "");
    return stop.exit_code();
  }
  if (trace && !trace->error().empty()) {
    std::fprintf(stderr, "iobench: %s; the results are kept\n", trace->error().c_str());
    return 1;
  }
  for (auto& r : results)
    if (r.status == Status::Error) {
      if (!writes) return 1;
      std::fprintf(stderr, "iobench: %s:%s failed: %s\n", r.backend.c_str(), r.variant.c_str(), r.reason.c_str());
      return 1;
    }
  return 0;
}

}  // namespace

Command add_run_command(CLI::App& app, int argc, char** argv) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("run", "run a workload over one or more backends (no arguments: a short "
                                            "random read/write run of every backend on a temporary file, then "
                                            "on the emu device)");
  sub->add_option("-w,--workload", args->workload, "workload file (JSON); flags override its fields");
  sub->add_option("--fio", args->fio, "run a fio job file: each job (or jobs that differ in one of bs, iodepth, "
                                      "numjobs, ioengine: a sweep) translated into a workload (docs/fio.md); "
                                      "flags override what it sets; with --dry-run, print the translation");
  sub->add_flag("--fio-lenient", args->fio_lenient,
                "--fio: run without the options iobench cannot honour, each named in a note of the results");
  sub->add_option("-o,--output", args->output, "write the JSON result document here (atomically)");
  std::vector<std::string> names;
  for (auto& f : formats()) names.emplace_back(f.name);
  sub->add_option("--format", args->format, "stdout format")->check(CLI::IsMember(names));
  sub->add_flag("-q,--quiet", args->quiet, "no plan, progress or status lines on stderr");
  sub->add_option("--status-interval", args->status_interval,
                  "when stderr is not a terminal, a line saying where the run is and the time left every "
                  "DURATION (default 10s; 0: none)");
  sub->add_flag("--histogram", args->histogram, "put the latency histogram buckets in the JSON (for CDF plots)");
  sub->add_flag("--dry-run", args->dry_run, "print the points and backends the run would measure (JSON), "
                                             "after every check, and run nothing");
  // Every workload field has a flag, declared with the field.
  for (const FieldInfo& f : workload_parser().fields()) {
    std::string flag = f.flag, field(f.field);
    if (!f.is_switch) {
      CLI::Option* o = sub->add_option_function<std::string>(
          flag, [args, flag, field](const std::string& v) { args->fields.emplace_back(flag, field, v); }, f.help);
      // A short list of values shows in --help and the man page as {a,b,c}.
      if (!f.choices.empty() && f.choices.size() <= 40 && !f.combines) {
        std::string list = f.choices;
        std::replace(list.begin(), list.end(), '|', ',');
        o->type_name("{" + list + "}");
      }
      continue;
    }
    sub->add_flag_callback(flag, [args, flag, field] { args->fields.emplace_back(flag, field, "true"); }, f.help);
    if (!f.off_flag.empty()) {
      std::string off(f.off_flag);
      sub->add_flag_callback(off, [args, off, field] { args->fields.emplace_back(off, field, "false"); },
                             "the opposite of " + flag);
    }
  }
  return {sub, [args, argc, argv] { return run(*args, argc, argv); }};
}

}  // namespace iobench
