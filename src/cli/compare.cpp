// iobench compare BASE.json NEW.json: per matched result and metric, the
// change and a noise-aware verdict; exit 1 when a gated metric got worse.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/errors.h"
#include "core/stats.h"
#include "core/units.h"
#include "report/report.h"
#include "report/text.h"
#include "run/figures.h"

namespace iobench {
namespace {

using json = nlohmann::json;

// The figures with a better direction are the ones compared.
std::vector<const Figure*> compared_figures() {
  std::vector<const Figure*> out;
  for (auto& f : figures())
    if (f.better != Better::Neither) out.push_back(&f);
  return out;
}

struct CompareArgs {
  std::string base, next;
  double threshold = 5.0;
  double alpha = 0.05;
  std::string fail_on = "iops,p99";
  std::string format = "table";
};

json load_doc(const std::string& path, const char* which) {
  std::ifstream in(path);
  if (!in) throw UsageError(std::string(which) + ": cannot open '" + path + "'");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error&) {
    throw UsageError(std::string(which) + ": '" + path + "' is not JSON");
  }
  if (!doc.is_object() || !doc.contains("schema_version") || !doc.contains("results"))
    throw UsageError(std::string(which) + ": '" + path + "' is not an iobench result document");
  if (doc["schema_version"] != kSchemaVersion)
    throw UsageError(std::string(which) + ": '" + path + "' has schema_version " + doc["schema_version"].dump() +
                     "; this iobench reads " + std::to_string(kSchemaVersion));
  return doc;
}

// What identifies "the same measurement" in two runs. A temporary file's path
// differs every run, so only a named file's path is part of it.
std::string key_of(const json& r) {
  const json& w = r.at("workload");
  const json& t = r.at("target");
  std::string target = t.value("kind", "");
  if (target == "file" && !t.value("temporary", false)) target += ":" + t.value("path", "");
  std::ostringstream k;
  k << w.value("name", "") << " / " << w.value("rw", "") << " bs" << w.value("bs_bytes", 0) << " qd"
    << w.value("qd", 0) << " x" << w.value("jobs", 0) << (w.value("direct", false) ? " direct" : "") << " / "
    << r.value("backend", "") << ":" << r.value("variant", "") << " / " << target;
  return k.str();
}

std::vector<double> samples(const json& r, const Figure& f) {
  std::vector<double> v;
  const json::json_pointer p(f.path);
  for (auto& rep : r.at("repetitions")) v.push_back(rep.at(p).get<double>());
  return v;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
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

// One compared figure of a matched pair, with its verdict.
json compare_figure(const Figure& d, const json& br, const json& nr, const CompareArgs& a, bool gate) {
  auto bs = samples(br, d), ns = samples(nr, d);
  double bm = mean(bs), nm = mean(ns);
  double change = bm != 0 ? 100.0 * (nm - bm) / bm : 0.0;
  double p = mann_whitney_p(bs, ns);
  bool testable = mann_whitney_min_p(bs.size(), ns.size()) <= a.alpha;
  bool beyond = std::abs(change) >= a.threshold;
  bool improved = d.better == Better::Higher ? change > 0 : change < 0;
  std::string verdict = "same";
  if (beyond && (!testable || p < a.alpha)) verdict = improved ? "better" : "worse";
  return {{"metric", d.name}, {"base", bm},        {"new", nm},          {"change_percent", change},
          {"p_value", p},     {"tested", testable}, {"verdict", verdict}, {"gated", gate}};
}

// The comparison of two documents as JSON (what --format json prints).
json compare_docs(const json& base, const json& next, const CompareArgs& a) {
  const std::vector<std::string> gated = gated_figures(a.fail_on);
  json out = {{"base", a.base}, {"new", a.next}, {"threshold_percent", a.threshold}, {"alpha", a.alpha},
              {"test", "Mann-Whitney U, two-sided, over repetitions"}, {"warnings", json::array()},
              {"pairs", json::array()}, {"only_in_base", json::array()}, {"only_in_new", json::array()}};
  for (const char* f : {"hostname", "cpu_model", "kernel", "nproc"})
    if (base["context"].value(f, json()) != next["context"].value(f, json()))
      out["warnings"].push_back(std::string("the runs differ in ") + f + ": " + base["context"].value(f, json()).dump() +
                                " vs " + next["context"].value(f, json()).dump());
  std::vector<std::pair<std::string, const json*>> b_ok, n_ok;
  for (auto& r : base["results"])
    if (r.value("status", "") == "ok") b_ok.emplace_back(key_of(r), &r);
  for (auto& r : next["results"])
    if (r.value("status", "") == "ok") n_ok.emplace_back(key_of(r), &r);
  bool regression = false;
  for (auto& [key, br] : b_ok) {
    auto it = std::find_if(n_ok.begin(), n_ok.end(), [&](auto& e) { return e.first == key; });
    if (it == n_ok.end()) {
      out["only_in_base"].push_back(key);
      continue;
    }
    json pair = {{"key", key}, {"metrics", json::array()}};
    for (const Figure* fig : compared_figures()) {
      const json::json_pointer p(fig->path);
      if (!br->at("repetitions").at(0).contains(p) || !it->second->at("repetitions").at(0).contains(p)) continue;
      bool gate = std::find(gated.begin(), gated.end(), fig->name) != gated.end();
      json m = compare_figure(*fig, *br, *it->second, a, gate);
      regression |= gate && m["verdict"] == "worse";
      pair["metrics"].push_back(std::move(m));
    }
    out["pairs"].push_back(pair);
  }
  for (auto& [key, nr] : n_ok)
    if (std::none_of(b_ok.begin(), b_ok.end(), [&](auto& e) { return e.first == key; })) out["only_in_new"].push_back(key);
  out["regression"] = regression;
  return out;
}

void print_comparison(const json& out, const CompareArgs& a) {
  const bool md = a.format == "markdown";
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
  std::printf("%s%s (threshold %.1f%%, alpha %.3g, gated: %s; p = n/a: too few repetitions for the U test, "
              "threshold alone decides)\n",
              md ? "\n" : "", out["regression"].get<bool>() ? "REGRESSION" : "no regression", a.threshold, a.alpha,
              a.fail_on.c_str());
}

int compare(const CompareArgs& a) {
  const json base = load_doc(a.base, "BASE");  // BASE's problem first
  const json out = compare_docs(base, load_doc(a.next, "NEW"), a);
  for (auto& w : out["warnings"]) std::fprintf(stderr, "iobench compare: warning: %s\n", w.get<std::string>().c_str());
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
  sub->add_option("--format", args->format, "table, markdown or json")
      ->check(CLI::IsMember({"table", "markdown", "json"}));
  return {sub, [args] { return compare(*args); }};
}

}  // namespace iobench
