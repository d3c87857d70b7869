// iobench run: workload file + flag overrides -> results table and JSON.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "cli/commands.h"
#include "core/errors.h"
#include "core/fs.h"
#include "run/runner.h"
#include "core/stop_signal.h"
#include "report/report.h"

namespace iobench {
namespace {

struct RunArgs {
  std::string workload;
  std::string output;
  std::string format = "table";
  bool quiet = false;
  bool histogram = false;
  // Workload fields given as flags, in command-line spelling; parsed by the
  // same code as workload files so both accept and reject the same things.
  std::vector<std::tuple<std::string, std::string, std::string>> fields;  // flag, field, value
};

// flag, workload field, help
const std::tuple<const char*, const char*, const char*> kFieldFlags[] = {
    {"--name", "name", "name shown in tables"},
    {"--rw", "rw", "read, write, randread, randwrite or randrw"},
    {"--rwmix-read", "rwmix_read", "percent of reads in randrw (0-100)"},
    {"--bs", "bs", "block size, e.g. 4k"},
    {"--qd", "qd", "requests in flight per job"},
    {"--jobs", "jobs", "job threads"},
    {"--size", "size", "bytes of the target to use, e.g. 1G"},
    {"--runtime", "runtime", "measured time per repetition, e.g. 5s"},
    {"--ops", "ops", "requests per job (instead of, or capped by, --runtime)"},
    {"--ramp", "ramp", "unmeasured warm-up before each repetition"},
    {"--repeat", "repeat", "repetitions"},
    {"--fsync-every", "fsync_every", "fsync after this many writes"},
    {"--rate", "rate_iops", "IOPS limit per job; latency then counts from the intended issue time"},
    {"--distribution", "distribution", "uniform or zipf:THETA"},
    {"--seed", "seed", "seed for offsets and data"},
    {"--backend", "backends", "NAME[:VARIANT], NAME:*, all or all:* (comma-separated list)"},
    {"--target", "target", "file:PATH, emu or driver[:/dev/iobench] (default: a temporary file)"},
    {"--emu-latency", "emu_latency", "emu: service time per request (default 100us)"},
    {"--emu-bandwidth", "emu_bandwidth", "emu: bytes per second, e.g. 100M (default: infinite)"},
    {"--emu-fail-every", "emu_fail_every", "emu: every Nth request fails (default: never)"},
    {"--dev-latency", "dev_latency", "driver: set the module's latency_ns (root)"},
    {"--dev-qdepth", "dev_qdepth", "driver: set the module's qdepth (root, device closed)"},
    {"--dev-fail-every", "dev_fail_every", "driver: set the module's fail_every (root)"},
    {"--on-error", "on_error", "continue or stop"},
    {"--cpus", "cpus", "CPUs the job threads run on, e.g. 0 or 0-1,3 (threads they start, like glibc's aio helpers, too)"},
    {"--posixaio-fds", "posixaio_fds", "posixaio: spread requests over N descriptors (glibc serialises per fd)"},
    {"--posixaio-threads", "posixaio_threads", "posixaio: glibc aio_init helper threads"},
    {"--libaio-batch", "libaio_batch", "libaio: iocbs per io_submit (default: every free slot at once)"},
    {"--sqpoll-idle", "sqpoll_idle", "io_uring:sqpoll: kernel SQ thread idle time before it sleeps"},
};

int run(RunArgs& a, int argc, char** argv) {
  // Block SIGINT/SIGTERM before any thread exists (see StopSignal).
  StopSignal stop;
  WorkloadSpec spec;
  if (!a.workload.empty()) spec = load_workload(a.workload);
  for (auto& [flag, field, value] : a.fields) set_field(spec, field, nlohmann::json(value), flag);
  const std::vector<WorkloadSpec> points = expand_sweeps(spec);
  for (auto& p : points) validate(p);
  std::vector<BackendChoice> backends = resolve_backends(spec.backends);
  check_backend_options(spec, backends);

  Format fmt = a.format == "json" ? Format::Json : a.format == "csv" ? Format::Csv
             : a.format == "markdown" ? Format::Markdown : a.format == "gbench" ? Format::Gbench : Format::Table;
  if (!a.output.empty()) {
    std::string dir = a.output.find('/') == std::string::npos ? "." : a.output.substr(0, a.output.find_last_of('/'));
    if (dir.empty()) dir = "/";
    if (::access(dir.c_str(), W_OK) != 0)
      throw UsageError("--output: cannot write into directory '" + dir + "'");
  }

  nlohmann::json context = make_context(argc, argv);
  RunOptions opts{!a.quiet && ::isatty(STDERR_FILENO)};
  std::vector<Result> results;
  for (auto& point : points) {
    if (stop.received()) break;
    // A target per point: the block size shapes it (emu pipes). A temporary
    // file is removed when its point is done.
    std::unique_ptr<Target> target;
    try {
      target = make_target(point);
    } catch (const RuntimeError& e) {
      if (results.empty()) throw;  // nothing measured yet: fail plainly, write nothing
      // Keep what earlier points measured: this point's results say why it failed.
      for (auto& b : backends) {
        Result r;
        r.spec = point;
        r.backend = b.info->name;
        r.variant = b.variant;
        r.target = {{"kind", point.target.empty() ? "file" : point.target.substr(0, point.target.find(':'))}};
        r.status = Status::Error;
        r.reason = e.what();
        results.push_back(std::move(r));
      }
      continue;
    }
    // A backend whose default is O_DIRECT (libaio: buffered kernel AIO
    // completes inside io_submit) runs on a twin of a file target opened that
    // way, unless the workload chose --direct or --buffered.
    WorkloadSpec direct = point;
    direct.direct = true;
    std::unique_ptr<Target> twin;
    std::string no_twin;  // why there is none
    bool twin_tried = false;
    auto direct_twin = [&]() -> Target* {
      if (!twin_tried) {
        twin_tried = true;
        try {
          validate(direct);
          twin = target->direct_twin();
        } catch (const std::runtime_error& e) {
          no_twin = e.what();
        }
      }
      return twin.get();
    };
    for (auto& b : backends) {
      if (stop.poll()) break;
      const bool wants_direct =
          (b.info->caps & kCapDirectByDefault) && !point.direct_given && target->kind() == TargetKind::File;
      Target* on = wants_direct ? direct_twin() : nullptr;
      Result r = run_point(on ? direct : point, b, on ? *on : *target, stop, opts);
      if (wants_direct && r.status != Status::Skipped)
        r.notes.insert(r.notes.begin(), on ? b.info->name + " ran with O_DIRECT, its default on files (--buffered "
                                                            "runs it through the page cache like the other backends)"
                                           : b.info->name + " ran buffered, not with its default O_DIRECT: " + no_twin);
      results.push_back(std::move(r));
      if (stop.received()) break;
    }
  }

  if (!a.output.empty()) write_atomic(a.output, document_json(context, results, a.histogram).dump(2) + "\n");
  std::string out = render(results, fmt, context);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (stop.received()) {
    std::fprintf(stderr, "iobench: interrupted; kept what was measured%s\n",
                 a.output.empty() ? "" : (" in " + a.output).c_str());
    return stop.exit_code();
  }
  for (auto& r : results)
    if (r.status == Status::Error) {
      std::fprintf(stderr, "iobench: %s:%s failed: %s\n", r.backend.c_str(), r.variant.c_str(), r.reason.c_str());
      return 1;
    }
  return 0;
}

}  // namespace

Command add_run_command(CLI::App& app, int argc, char** argv) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("run", "run a workload over one or more backends (no arguments: a short "
                                            "random read/write run of every backend on a temporary file)");
  sub->add_option("-w,--workload", args->workload, "workload file (JSON); flags override its fields");
  sub->add_option("-o,--output", args->output, "write the JSON result document here (atomically)");
  sub->add_option("--format", args->format, "stdout format")->check(CLI::IsMember({"table", "json", "csv", "markdown", "gbench"}));
  sub->add_flag("-q,--quiet", args->quiet, "no progress line");
  sub->add_flag("--histogram", args->histogram, "put the latency histogram buckets in the JSON (for CDF plots)");
  for (auto& [flag, field, help] : kFieldFlags) {
    std::string f = flag, k = field;
    sub->add_option_function<std::string>(
        flag, [args, f, k](const std::string& v) { args->fields.emplace_back(f, k, v); }, help);
  }
  auto boolean = [&](const char* flag, const char* field, const char* value, const char* help) {
    std::string f = flag, k = field, v = value;
    sub->add_flag_callback(flag, [args, f, k, v] { args->fields.emplace_back(f, k, v); }, help);
  };
  boolean("--direct", "direct", "true", "O_DIRECT (bypass the page cache)");
  boolean("--buffered", "direct", "false", "through the page cache (default)");
  boolean("--verify", "verify", "true", "stamp written blocks and check every block read");
  boolean("--allow-overwrite", "allow_overwrite", "true", "allow writing a file or device iobench did not create");
  return {sub, [args, argc, argv] { return run(*args, argc, argv); }};
}

}  // namespace iobench
