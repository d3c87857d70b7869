#include "run/plan.h"
#include "run/progress.h"

#include <algorithm>

#include "core/errors.h"
#include "core/units.h"
#include "targets/target.h"

namespace iobench {
namespace {

bool is_target_option(const OptionDecl& d) {
  const auto& all = target_registry();
  return std::any_of(all.begin(), all.end(), [&](auto& t) { return t.name == d.owner; });
}

// An option given for a target or backend this run does not use is a
// mistake the user wants to hear about, not a silent no-op.
void check_options(const WorkloadSpec& s, const std::vector<BackendChoice>& chosen) {
  for (auto& option : s.options) {
    const OptionDecl* decl = option.first;
    if (is_target_option(*decl)) {
      if (decl->owner != s.target.kind)
        throw UsageError(decl->flag() + ": only applies to --target " + std::string(decl->owner));
      continue;
    }
    bool used = std::any_of(chosen.begin(), chosen.end(), [&](const BackendChoice& c) {
      return decl->owner == c.info->name || decl->owner == c.label();
    });
    if (!used)
      throw UsageError(decl->flag() + ": only applies to " + std::string(decl->owner) +
                       ", which this run does not include");
  }
}

Result failed_result(const WorkloadSpec& point, const BackendChoice& b, const std::string& why) {
  Result r = start_result(point, b, {{"kind", point.target.kind}});
  r.status = Status::Error;
  r.reason = why;
  return r;
}

// Runs every backend on one prepared point. A backend whose default is
// O_DIRECT (libaio: buffered kernel AIO completes inside io_submit) runs on
// a twin of the target opened that way, unless the workload chose --direct
// or --buffered; where O_DIRECT does not apply the twin is null.
void run_backends(const WorkloadSpec& point, size_t point_index, Target& target,
                  const std::vector<BackendChoice>& backends, StopSignal& stop, const RunOptions& opts,
                  std::vector<Result>& out) {
  WorkloadSpec direct = point;
  direct.direct = true;
  std::unique_ptr<Target> twin;
  std::string no_twin;  // why O_DIRECT was refused
  bool twin_tried = false;
  for (auto& b : backends) {
    if (stop.poll()) break;
    const bool wants_direct = (b.caps() & kCapDirectByDefault) && !point.direct;
    if (wants_direct && !twin_tried) {
      twin_tried = true;
      try {
        validate(direct);
        twin = target.direct_twin();
      } catch (const std::runtime_error& e) {
        no_twin = e.what();
      }
    }
    Target* on = wants_direct ? twin.get() : nullptr;
    if (opts.progress) opts.progress->at(opts.plan_index, point_index, static_cast<size_t>(&b - backends.data()));
    Result r = run_point(on ? direct : point, b, on ? *on : target, stop, opts);
    if (wants_direct && r.status != Status::Skipped && (on || !no_twin.empty()))
      r.notes.insert(r.notes.begin(), on ? b.info->name + " ran with O_DIRECT, its default on files (--buffered "
                                                          "runs it through the page cache like the other backends)"
                                         : b.info->name + " ran buffered, not with its default O_DIRECT: " + no_twin);
    out.push_back(std::move(r));
    if (stop.received()) break;
  }
}

}  // namespace

const WorkloadParser& workload_parser() {
  static const WorkloadParser parser = [] {
    std::vector<const OptionDecl*> options;
    for (auto& t : target_registry()) options.insert(options.end(), t.options.begin(), t.options.end());
    for (auto& b : registry()) options.insert(options.end(), b.options.begin(), b.options.end());
    std::string backends = "all|all:*", targets;
    for (auto& b : registry()) {
      backends += "|" + b.name + "|" + b.name + ":*";
      for (auto& v : b.variants) backends += "|" + b.name + ":" + v.name;
    }
    for (auto& t : target_registry())
      targets += (targets.empty() ? "" : "|") + std::string(t.name) + (t.arg == TargetArg::None ? "" : ":");
    return WorkloadParser(std::move(options), {{"backends", backends}, {"target", targets}});
  }();
  return parser;
}

Plan make_plan(const WorkloadSpec& spec) {
  Plan plan{expand_sweeps(spec), resolve_backends(spec.backends)};
  for (auto& p : plan.points) {
    validate(p);
    const TargetInfo& t = find_target(p.target);
    if (t.validate) t.validate(p);
  }
  check_options(spec, plan.backends);
  // With "all" the models that cannot cancel are skipped with the reason;
  // naming only those is a mistake.
  if (spec.cancels() && std::none_of(plan.backends.begin(), plan.backends.end(),
                                     [](const BackendChoice& b) { return b.caps() & kCapCancel; }))
    throw UsageError(std::string(spec.cancel_pct ? "--cancel-pct" : "--drain cancel") +
                     ": none of the backends chosen can cancel a request; posixaio, libaio and io_uring can");
  return plan;
}

// --shared-file: this rank's region of the file, whole blocks, the same
// size for every rank.
WorkloadSpec region_of(const WorkloadSpec& point, const Group& g) {
  WorkloadSpec p = point;
  if (!p.shared_file) return p;
  const uint64_t ranks = static_cast<uint64_t>(g.size());
  p.region_span = p.size / ranks / p.bs * p.bs;
  if (!p.region_span)
    throw UsageError("--shared-file: --size " + format_size(p.size) + " over " + std::to_string(ranks) +
                     " ranks leaves less than one block (" + format_size(p.bs) + ") each");
  p.region_base = static_cast<uint64_t>(g.rank()) * p.region_span;
  return p;
}

std::vector<Result> run_plan(const Plan& plan, StopSignal& stop, const RunOptions& opts) {
  std::vector<Result> results;
  Group& g = opts.group ? *opts.group : solo();
  for (auto& planned : plan.points) {
    if (stop.received()) break;
    const size_t point_index = static_cast<size_t>(&planned - plan.points.data());
    const WorkloadSpec point = region_of(planned, g);
    // A target per point: the block size shapes it (emu pipes). A temporary
    // file is removed when its point is done.
    std::unique_ptr<Target> target;
    enum Made { kMade, kStopped, kFailed };
    Made made = kMade;
    std::string why;
    auto make = [&] {
      try {
        target = make_target(point);
      } catch (const Stopped&) {
        made = kStopped;
      } catch (const RuntimeError& e) {
        made = kFailed;
        why = e.what();
      }
    };
    // One file for every rank: rank 0 lays it out before the others open it.
    if (!point.shared_file || g.rank() == 0) make();
    if (point.shared_file) {
      g.barrier();
      if (g.rank() != 0) make();
    }
    // Every rank goes on, or none: a rank without its target stops them all.
    const Group::Verdict v = g.worst(made, why);
    if (v.severity == kStopped) {
      stop.poll();  // takes the signal: the run ends as interrupted
      break;
    }
    if (v.severity == kFailed) {
      if (results.empty()) throw RuntimeError(v.reason);  // nothing measured yet: fail plainly, write nothing
      for (auto& b : plan.backends) results.push_back(failed_result(point, b, v.reason));
      continue;
    }
    run_backends(point, point_index, *target, plan.backends, stop, opts, results);
  }
  return results;
}

}  // namespace iobench
