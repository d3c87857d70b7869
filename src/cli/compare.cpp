// iobench compare BASE.json NEW.json: per matched result and metric, the
// change and a noise-aware verdict; exit 1 when a gated metric got worse.
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/interleave.h"
#include "core/errors.h"
#include "core/stats.h"
#include "core/units.h"
#include "report/report.h"
#include "report/result_doc.h"
#include "report/text.h"
#include "run/figures.h"

namespace iobench {
namespace {

using json = nlohmann::json;

struct CompareArgs {
  std::string base, next;
  double threshold = 5.0;
  double alpha = 0.05;
  std::string fail_on = "iops,p99";
  std::string format = "table";
  bool gate_anyway = false;
  bool run = false;  // BASE and NEW are binaries or workloads to run in alternation
  unsigned rounds = 7;
  std::vector<std::string> run_args;
};

// Relative sample standard deviation, in percent: the noise of one side.
double noise_percent(const std::vector<double>& v) {
  const double m = mean(v);
  if (v.size() < 2 || m == 0) return 0;
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return 100.0 * std::sqrt(ss / static_cast<double>(v.size() - 1)) / std::abs(m);
}

// The --fail-on names, each checked against the compared figures.
std::vector<std::string> gated_figures(const std::string& fail_on) {
  const std::vector<const Figure*> compared = compared_figures();
  std::string accepted;
  for (auto* f : compared) accepted += (accepted.empty() ? "" : ", ") + f->name;
  std::vector<std::string> gated;
  std::stringstream ss(fail_on);
  for (std::string m; std::getline(ss, m, ',');) {
    if (std::none_of(compared.begin(), compared.end(), [&](auto* f) { return f->name == m; }))
      throw UsageError("--fail-on: unknown metric '" + m + "' (accepted: " + accepted + ")");
    gated.push_back(m);
  }
  return gated;
}

// One compared figure of a matched pair: its change and p-value; the verdict
// comes once every gated p-value is known (Holm).
json measure_figure(const Figure& d, const json& br, const json& nr, const CompareArgs& a, bool gate) {
  auto bs = samples(br, d), ns = samples(nr, d);
  double bm = mean(bs), nm = mean(ns);
  // A practical threshold: a change smaller than the runs' own noise, or
  // than --threshold, is "same" whatever its p.
  double threshold = std::max({a.threshold, noise_percent(bs), noise_percent(ns)});
  return {{"metric", d.name},
          {"base", bm},
          {"new", nm},
          {"change_percent", bm != 0 ? 100.0 * (nm - bm) / bm : 0.0},
          {"threshold_percent", threshold},
          {"p_value", mann_whitney_p(bs, ns)},
          {"min_p", mann_whitney_min_p(bs.size(), ns.size())},
          {"repetitions", {bs.size(), ns.size()}},
          {"gated", gate}};
}

// Holm across every gated comparison (each gated figure of each pair): the
// comparisons (figures of one run) are dependent, which Holm allows and
// Benjamini-Hochberg's false-discovery rate would not bound as a gate should.
void holm_gated(std::vector<json*>& gated, double alpha) {
  std::vector<double> p;
  for (json* g : gated) p.push_back((*g)["p_value"].get<double>());
  const Holm h = holm(p, alpha);
  for (size_t i = 0; i < gated.size(); ++i) {
    json& g = *gated[i];
    g["alpha_holm"] = h.level[i];
    g["tested"] = g["min_p"].get<double>() <= alpha / static_cast<double>(gated.size());
    g["significant"] = static_cast<bool>(h.significant[i]);
  }
}

void decide(json& m, const Figure& d, const CompareArgs& a) {
  const double change = m["change_percent"];
  const bool beyond = std::abs(change) >= m["threshold_percent"].get<double>();
  const bool improved = d.better == Better::Higher ? change > 0 : change < 0;
  if (!m.contains("tested")) {  // not gated: raw p against alpha
    m["tested"] = m["min_p"].get<double>() <= a.alpha;
    m["significant"] = m["p_value"].get<double>() < a.alpha;
  }
  std::string verdict = "same";
  if (beyond && !m["tested"].get<bool>()) verdict = a.gate_anyway ? (improved ? "better" : "worse") : "cannot judge";
  else if (beyond && m["significant"].get<bool>()) verdict = improved ? "better" : "worse";
  m["verdict"] = verdict;
}

// The comparison of two documents as JSON (what --format json prints).
json compare_docs(const json& base, const json& next, const CompareArgs& a) {
  const std::vector<std::string> gated = gated_figures(a.fail_on);
  json out = {{"base", a.base}, {"new", a.next}, {"threshold_percent", a.threshold}, {"alpha", a.alpha},
              {"test", "Mann-Whitney U, two-sided, over repetitions; Holm across the gated comparisons"},
              {"warnings", json::array()}, {"pairs", json::array()}, {"only_in_base", json::array()},
              {"only_in_new", json::array()}};
  const json none = json::object();
  const json& bc = base.contains("context") ? base["context"] : none;
  const json& nc = next.contains("context") ? next["context"] : none;
  for (const char* f : {"hostname", "cpu_model", "kernel", "nproc"})
    if (bc.value(f, json()) != nc.value(f, json()))
      out["warnings"].push_back(std::string("the runs differ in ") + f + ": " + bc.value(f, json()).dump() + " vs " +
                                nc.value(f, json()).dump());
  std::vector<std::pair<std::string, const json*>> b_ok, n_ok;
  for (auto& r : base["results"])
    if (r.value("status", "") == "ok") b_ok.emplace_back(match_key(r), &r);
  for (auto& r : next["results"])
    if (r.value("status", "") == "ok") n_ok.emplace_back(match_key(r), &r);
  for (auto& [key, br] : b_ok) {
    auto it = std::find_if(n_ok.begin(), n_ok.end(), [&key = key](auto& e) { return e.first == key; });
    if (it == n_ok.end()) {
      out["only_in_base"].push_back(key_of(*br));
      continue;
    }
    json pair = {{"key", key_of(*br)}, {"metrics", json::array()}};
    for (const Figure* fig : compared_figures()) {
      const json::json_pointer p(fig->path);
      if (!br->at("repetitions").at(0).contains(p) || !it->second->at("repetitions").at(0).contains(p)) continue;
      bool gate = std::find(gated.begin(), gated.end(), fig->name) != gated.end();
      pair["metrics"].push_back(measure_figure(*fig, *br, *it->second, a, gate));
    }
    out["pairs"].push_back(pair);
  }
  for (auto& [key, nr] : n_ok)
    if (std::none_of(b_ok.begin(), b_ok.end(), [&key = key](auto& e) { return e.first == key; }))
      out["only_in_new"].push_back(key_of(*nr));
  if (out["pairs"].empty())
    throw UsageError("nothing to compare: no successful result of BASE matches one of NEW (the workload's fields, "
                     "backend, variant and target must agree; " + std::to_string(out["only_in_base"].size()) +
                     " only in BASE, " + std::to_string(out["only_in_new"].size()) + " only in NEW)");
  std::vector<json*> holm_set;
  for (auto& pair : out["pairs"])
    for (auto& m : pair["metrics"])
      if (m["gated"].get<bool>()) holm_set.push_back(&m);
  holm_gated(holm_set, a.alpha);
  bool regression = false;
  size_t undecided = 0;
  for (auto& pair : out["pairs"])
    for (auto& m : pair["metrics"]) {
      decide(m, figure(m["metric"].get<std::string>()), a);
      regression |= m["gated"].get<bool>() && m["verdict"] == "worse";
      undecided += m["gated"].get<bool>() && m["verdict"] == "cannot judge";
      if (m["gated"].get<bool>() && !m["tested"].get<bool>() && out["cannot_judge"].is_null())
        out["cannot_judge"] = "cannot judge: " + m["repetitions"][0].dump() + " vs " + m["repetitions"][1].dump() +
                              " repetitions give a smallest p-value of " + m["min_p"].dump() + ", above the " +
                              json(a.alpha / static_cast<double>(holm_set.size())).dump() +
                              " that " + std::to_string(holm_set.size()) +
                              " gated comparisons need; repeat more (or --gate-anyway for the threshold alone)";
    }
  out["regression"] = regression;
  out["undecided"] = undecided;
  return out;
}

void print_comparison(const json& out, const CompareArgs& a) {
  const bool md = a.format == "markdown";
  bool untested = false;
  auto fmt_value = [](const std::string& metric, double v) { return format_value(figure(metric), v); };
  if (md) std::printf("| result | metric | base | new | change | p | verdict |\n|---|---|---:|---:|---:|---:|---|\n");
  for (auto& pair : out["pairs"]) {
    if (!md) std::printf("%s\n", pair["key"].get<std::string>().c_str());
    for (auto& m : pair["metrics"]) {
      std::string metric = m["metric"];
      std::string verdict = m["verdict"];
      if (m["gated"].get<bool>() && verdict == "worse") verdict = md ? "**worse**" : "WORSE";
      char p[16];
      if (m["tested"].get<bool>()) std::snprintf(p, sizeof p, "%.3f", m["p_value"].get<double>());
      else std::snprintf(p, sizeof p, "n/a");
      if (!m["tested"].get<bool>()) untested = true;
      if (md)
        std::printf("| %s | %s | %s | %s | %+.1f%% | %s | %s |\n", pair["key"].get<std::string>().c_str(), metric.c_str(),
                    fmt_value(metric, m["base"]).c_str(), fmt_value(metric, m["new"]).c_str(),
                    m["change_percent"].get<double>(), p, verdict.c_str());
      else
        std::printf("  %-6s %12s -> %-12s %+7.1f%%  p=%-6s %s\n", metric.c_str(), fmt_value(metric, m["base"]).c_str(),
                    fmt_value(metric, m["new"]).c_str(), m["change_percent"].get<double>(), p, verdict.c_str());
    }
  }
  for (const char* side : {"only_in_base", "only_in_new"})
    for (auto& k : out[side]) std::printf("%s%s: %s\n", md ? "\n- " : "", side, k.get<std::string>().c_str());
  std::printf("%s%s (threshold %.1f%% or the runs' own noise, alpha %.3g with Holm across the gated, gated: %s)\n",
              md ? "\n" : "", out["regression"].get<bool>() ? "REGRESSION" : "no regression", a.threshold, a.alpha,
              a.fail_on.c_str());
  if (untested)
    std::printf("p = n/a: too few repetitions for the U test to reach its level; %s\n",
                a.gate_anyway ? "--gate-anyway: the threshold alone decides" : "such a change is \"cannot judge\"");
}

int compare(const CompareArgs& a) {
  json out;
  if (a.run) {
    if (a.base.ends_with(".json") != a.next.ends_with(".json"))
      throw UsageError("--run: BASE and NEW must both be iobench binaries or both workload files (.json)");
    auto [base, next] = run_interleaved(a.base, a.next, a.rounds, a.run_args);
    out = compare_docs(base, next, a);
  } else {
    const json base = load_doc(a.base, "BASE");  // BASE's problem first
    out = compare_docs(base, load_doc(a.next, "NEW"), a);
  }
  for (auto& w : out["warnings"]) std::fprintf(stderr, "iobench compare: warning: %s\n", w.get<std::string>().c_str());
  if (out.contains("cannot_judge")) std::fprintf(stderr, "iobench compare: %s\n", out["cannot_judge"].get<std::string>().c_str());
  if (a.format == "json") std::printf("%s\n", out.dump(2).c_str());
  else print_comparison(out, a);
  return out["regression"].get<bool>() ? 1 : 0;
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* sub = app.add_subcommand("compare", "compare two result files; exit 1 on a significant regression");
  sub->add_option("BASE", args->base, "baseline result (JSON)")->required();
  sub->add_option("NEW", args->next, "new result (JSON)")->required();
  sub->add_option("--threshold", args->threshold, "percent change below which nothing is a regression (default 5)")
      ->check(CLI::Range(0.0, 1000.0));
  sub->add_option("--alpha", args->alpha, "significance level of the U test (default 0.05)")->check(CLI::Range(1e-6, 0.5));
  std::string names;
  for (auto* f : compared_figures()) names += (names.empty() ? "" : ", ") + f->name;
  sub->add_option("--fail-on", args->fail_on, "gated metrics: " + names + " (default iops,p99)");
  sub->add_flag("--gate-anyway", args->gate_anyway,
                "gate on the threshold alone where the repetitions are too few for the U test to decide");
  sub->add_option("--format", args->format, "table, markdown or json")
      ->check(CLI::IsMember({"table", "markdown", "json"}));
  sub->add_flag("--run", args->run,
                "BASE and NEW are two iobench binaries (or two workload files) to measure now, one repetition "
                "each in turn, alternating which goes first: for noisy machines");
  sub->add_option("--rounds", args->rounds, "--run: repetitions of each side (default 7)")->check(CLI::Range(2, 1000));
  sub->add_option("RUN_ARGS", args->run_args, "--run: arguments for 'iobench run' on both sides (after --)");
  return {sub, [args] { return compare(*args); }};
}

}  // namespace iobench
