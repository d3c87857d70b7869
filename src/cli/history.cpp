// iobench history add|show|check: results kept per test bed in SQLite, and
// change-point detection over each series (docs/history.md).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/changepoint.h"
#include "core/errors.h"
#include "core/fs.h"
#include "core/stats.h"
#include "core/units.h"
#include "history/store.h"
#include "report/result_doc.h"
#include "report/text.h"

namespace iobench {
namespace {

using json = nlohmann::json;

struct HistoryArgs {
  std::string db;
  std::vector<std::string> results;
  std::vector<std::string> labels;  // KEY=VALUE, add's to store and show/check's to select
  std::string testbed;
  std::string lock_timeout = "10s";
  std::string backend;
  HistoryFilter filter;
  std::string figures;  // show: default iops,p50,p99,cpu; check: every compared figure
  std::string fail_on = "iops,p99";
  std::string format = "table";
  double alpha = 0.05;
  double threshold = 5.0;
  double max_noise = 15.0;
  size_t min_runs = 3;
  unsigned permutations = 0;  // 0: enough for Holm's first level (check)
};

Labels parse_labels(const std::vector<std::string>& in) {
  Labels out;
  for (const std::string& l : in) {
    const size_t eq = l.find('=');
    const std::string key = l.substr(0, eq);
    if (eq == std::string::npos || key.empty() || eq + 1 == l.size() ||
        !std::all_of(key.begin(), key.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; }))
      throw UsageError("--label: '" + l + "' must be KEY=VALUE, KEY of letters, digits, '_', '-', '.' and VALUE not empty");
    if (!out.emplace(key, l.substr(eq + 1)).second) throw UsageError("--label: '" + key + "' given twice");
  }
  return out;
}

int lock_timeout_ms(const std::string& text) {
  const auto ns = parse_duration_ns(text);
  if (!ns || *ns > 3'600'000'000'000ULL)
    throw UsageError("--lock-timeout: '" + text + "' is not a duration up to 1h (e.g. 10s, 500ms, 0)");
  return static_cast<int>(*ns / 1'000'000);
}

// A comma list of figure names, each one history keeps (the compared ones).
std::vector<std::string> figure_list(const std::string& flag, const std::string& text) {
  std::string accepted;
  for (auto* f : compared_figures()) accepted += (accepted.empty() ? "" : ", ") + f->name;
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string n; std::getline(ss, n, ',');) {
    const auto& all = compared_figures();
    if (std::none_of(all.begin(), all.end(), [&](auto* f) { return f->name == n; }))
      throw UsageError(flag + ": unknown figure '" + n + "' (accepted: " + accepted + ")");
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
  if (out.empty()) throw UsageError(flag + ": no figure named (accepted: " + accepted + ")");
  return out;
}

void apply_backend(HistoryArgs& a) {
  const size_t colon = a.backend.find(':');
  a.filter.backend = a.backend.substr(0, colon);
  if (colon != std::string::npos) a.filter.variant = a.backend.substr(colon + 1);
}

std::string labels_text(const HistoryRun& r) {
  std::string s;
  for (auto& [k, v] : r.labels) s += (s.empty() ? "" : " ") + k + "=" + v;
  return s.empty() ? "iobench " + r.git_sha : s;
}

json run_json(const HistoryRun& r) {
  return {{"run", r.id}, {"time", r.time}, {"labels", r.labels}, {"git_sha", r.git_sha}};
}

int add(const HistoryArgs& a) {
  const Labels labels = parse_labels(a.labels);
  const int timeout = lock_timeout_ms(a.lock_timeout);
  check_output_path(a.db, "DB");
  // Every file is read and checked before the database is touched: one bad
  // file adds nothing.
  std::vector<AddInput> in;
  for (const std::string& path : a.results) in.push_back({path, load_doc(path, "RESULT")});
  HistoryDb db(a.db, true, timeout);
  for (const AddOutcome& o : db.add(in, labels, a.testbed)) {
    if (o.added)
      std::printf("%s: run %lld, %zu results (testbed %s)%s\n", o.source.c_str(), static_cast<long long>(o.run),
                  o.results, o.testbed.c_str(),
                  o.not_ok ? (", " + std::to_string(o.not_ok) + " not ok and not stored").c_str() : "");
    else
      std::printf("%s: already stored as run %lld; nothing added\n", o.source.c_str(), static_cast<long long>(o.run));
  }
  return 0;
}

// show: one row per run of each series, a column per figure.
int show(HistoryArgs& a) {
  const std::vector<std::string> figs = figure_list("--figure", a.figures.empty() ? "iops,p50,p99,cpu" : a.figures);
  a.filter.labels = parse_labels(a.labels);
  apply_backend(a);
  HistoryDb db(a.db, false, lock_timeout_ms(a.lock_timeout));
  HistoryData d = db.query(a.filter, figs);
  // The query gives a series per figure; show puts a series' figures side by side.
  struct Shown {
    std::string testbed, title;
    std::vector<int64_t> runs;
    std::map<std::pair<int64_t, std::string>, std::vector<double>> values;
  };
  std::vector<Shown> shown;
  for (auto& s : d.series) {
    if (shown.empty() || shown.back().testbed != s.testbed || shown.back().title != s.title)
      shown.push_back({s.testbed, s.title, {}, {}});
    Shown& sh = shown.back();
    for (size_t i = 0; i < s.runs.size(); ++i) {
      if (std::find(sh.runs.begin(), sh.runs.end(), s.runs[i]->id) == sh.runs.end()) sh.runs.push_back(s.runs[i]->id);
      sh.values[{s.runs[i]->id, s.figure}] = s.reps[i];
    }
  }
  for (auto& sh : shown)
    std::sort(sh.runs.begin(), sh.runs.end(), [&](int64_t x, int64_t y) {
      return std::tie(d.runs.at(x).time, x) < std::tie(d.runs.at(y).time, y);
    });
  if (a.format == "json") {
    json out = {{"database", a.db}, {"series", json::array()}};
    for (auto& sh : shown) {
      json runs = json::array();
      for (int64_t id : sh.runs) {
        json r = run_json(d.runs.at(id));
        for (auto& f : figs)
          if (auto it = sh.values.find({id, f}); it != sh.values.end())
            r["figures"][f] = {{"mean", mean(it->second)}, {"repetitions", it->second}};
        runs.push_back(r);
      }
      out["series"].push_back({{"testbed", sh.testbed}, {"title", sh.title}, {"runs", runs}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  if (shown.empty()) std::printf("no series matches\n");
  for (auto& sh : shown) {
    TextTable t;
    t.header = {"time", "run", "labels", "reps"};
    t.left_columns = 3;
    for (auto& f : figs) t.header.push_back(f);
    for (int64_t id : sh.runs) {
      const HistoryRun& r = d.runs.at(id);
      std::vector<std::string> row = {r.time, std::to_string(id), labels_text(r), ""};
      size_t reps = 0;
      for (auto& f : figs) {
        auto it = sh.values.find({id, f});
        row.push_back(it == sh.values.end() ? "-" : format_value(figure(f), mean(it->second)));
        if (it != sh.values.end()) reps = std::max(reps, it->second.size());
      }
      row[3] = std::to_string(reps);
      t.rows.push_back(row);
    }
    const std::string head = sh.testbed + " | " + sh.title;
    if (a.format == "markdown") std::printf("### %s\n\n%s\n", head.c_str(), render_pipe_table(t).c_str());
    else std::printf("%s\n%s\n", head.c_str(), render_aligned(t).c_str());
  }
  std::printf("(each figure: the mean of the run's repetitions)\n");
  return 0;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One figure of one series judged: its changes, and whether the newest
// segment is a regression (decided with every gated one, by Holm).
json judge(const HistorySeries& s, const HistoryArgs& a, bool gated) {
  const Figure& fig = figure(s.figure);
  std::vector<double> v;
  for (auto& reps : s.reps) v.push_back(mean(reps));
  json out = {{"testbed", s.testbed}, {"title", s.title}, {"figure", s.figure}, {"gated", gated},
              {"runs", v.size()}, {"points", json::array()}, {"segments", json::array()}, {"changes", json::array()}};
  for (size_t i = 0; i < v.size(); ++i) {
    json p = run_json(*s.runs[i]);
    p["value"] = v[i];
    out["points"].push_back(p);
  }
  if (v.size() < 2 * a.min_runs) {
    out["status"] = "too short";
    out["reason"] = std::to_string(v.size()) + " runs; a change needs " + std::to_string(a.min_runs) + " either side";
    return out;
  }
  ChangeOptions o;
  o.alpha = a.alpha;
  o.permutations = a.permutations;
  o.min_size = a.min_runs;
  const std::vector<Change> changes = e_divisive(v, o);
  const std::vector<size_t> b = segment_bounds(changes, v.size());
  std::vector<double> residual, means;
  for (size_t k = 0; k + 1 < b.size(); ++k) {
    std::vector<double> seg(v.begin() + static_cast<long>(b[k]), v.begin() + static_cast<long>(b[k + 1]));
    const double m = median(seg);
    for (double x : seg) residual.push_back(std::abs(x - m));
    means.push_back(mean(seg));
    out["segments"].push_back({{"first", b[k]}, {"end", b[k + 1]}, {"mean", means.back()}, {"median", m}});
  }
  // Noise: the spread around each segment's median (MAD, scaled to a
  // standard deviation for normal data), relative to the newest segment:
  // steps are not noise.
  const double newest = out["segments"].back()["median"].get<double>();
  const double noise = newest != 0 ? 100.0 * 1.4826 * median(residual) / std::abs(newest) : 0.0;
  out["noise_percent"] = noise;
  for (size_t k = 0; k < changes.size(); ++k) {
    const double before = means[k], after = means[k + 1];
    const double pct = before != 0 ? 100.0 * (after - before) / before : 0.0;
    const bool better = fig.better == Better::Higher ? after > before : after < before;
    json c = {{"index", changes[k].index}, {"p_value", changes[k].p}, {"before", before}, {"after", after},
              {"change_percent", pct}, {"direction", better ? "better" : "worse"},
              {"first_after", run_json(*s.runs[changes[k].index])}};
    out["changes"].push_back(c);
  }
  out["status"] = noise > a.max_noise ? "unstable" : "ok";
  if (noise > a.max_noise) {
    char why[160];
    std::snprintf(why, sizeof why, "noise %.1f%% of the newest level, above --max-noise %.1f%%", noise, a.max_noise);
    out["reason"] = why;
  }
  return out;
}

int check(HistoryArgs& a) {
  const std::vector<std::string> gated = figure_list("--fail-on", a.fail_on);
  std::vector<std::string> figs = a.figures.empty() ? std::vector<std::string>{} : figure_list("--figure", a.figures);
  if (figs.empty())
    for (auto* f : compared_figures()) figs.push_back(f->name);
  for (auto& g : gated)
    if (std::find(figs.begin(), figs.end(), g) == figs.end()) figs.push_back(g);
  a.filter.labels = parse_labels(a.labels);
  apply_backend(a);
  HistoryDb db(a.db, false, lock_timeout_ms(a.lock_timeout));
  const HistoryData d = db.query(a.filter, figs);
  // Holm's first level over m gated figures is alpha / m, and a permutation
  // p is never below 1 / (permutations + 1): by default there are enough
  // for twice that resolution (a quiet series stops its permutations early).
  size_t m = 0;
  for (auto& s : d.series)
    m += s.runs.size() >= 2 * a.min_runs && std::find(gated.begin(), gated.end(), s.figure) != gated.end();
  if (!a.permutations)
    a.permutations = static_cast<unsigned>(std::max(999.0, std::ceil(2.0 * static_cast<double>(m) / a.alpha) - 1));
  else if (m && 1.0 / (a.permutations + 1.0) >= a.alpha / static_cast<double>(m))
    std::fprintf(stderr,
                 "iobench history: warning: %u permutations cannot reach the %.3g that %zu gated figures need "
                 "(alpha / %zu); nothing can be judged a regression (leave --permutations out for enough)\n",
                 a.permutations, a.alpha / static_cast<double>(m), m, m);
  json out = {{"database", a.db},
              {"method", "E-divisive means, permutation test (" + std::to_string(a.permutations) +
                             " permutations); the newest change of each gated figure: Holm across them"},
              {"alpha", a.alpha}, {"threshold_percent", a.threshold}, {"max_noise_percent", a.max_noise},
              {"min_runs", a.min_runs}, {"series", json::array()}};
  for (auto& s : d.series)
    out["series"].push_back(judge(s, a, std::find(gated.begin(), gated.end(), s.figure) != gated.end()));
  // The gate: every judged gated figure is one test (p = 1 where nothing
  // changed); its newest change counts where it is worse by at least the
  // threshold, and Holm keeps the chance of a false alarm over them at alpha.
  std::vector<json*> tested;
  std::vector<double> p;
  for (auto& s : out["series"]) {
    s["verdict"] = s["status"] == "ok" ? "same" : s["status"];
    if (!s["gated"].get<bool>() || s["status"] != "ok") continue;
    tested.push_back(&s);
    const json* last = s["changes"].empty() ? nullptr : &s["changes"].back();
    const bool counts = last && std::abs((*last)["change_percent"].get<double>()) >= a.threshold;
    p.push_back(counts ? (*last)["p_value"].get<double>() : 1.0);
  }
  const Holm h = holm(p, a.alpha);
  bool regression = false;
  for (size_t i = 0; i < tested.size(); ++i) {
    json& s = *tested[i];
    s["alpha_holm"] = h.level[i];
    if (!h.significant[i]) continue;
    const bool worse = s["changes"].back()["direction"] == "worse";
    s["verdict"] = worse ? "regression" : "improvement";
    regression |= worse;
  }
  out["regression"] = regression;
  if (a.format == "json") {
    std::printf("%s\n", out.dump(2).c_str());
    return regression ? 1 : 0;
  }
  TextTable t;
  t.header = {"series", "figure", "verdict", "runs", "noise", "changes (first run after: change, p)"};
  t.left_columns = 3;
  for (auto& s : out["series"]) {
    std::string changes;
    for (auto& c : s["changes"]) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "%s%s %s: %+.1f%% p=%.3f", changes.empty() ? "" : "; ",
                    c["first_after"]["time"].get<std::string>().c_str(),
                    labels_text(d.runs.at(c["first_after"]["run"].get<int64_t>())).c_str(),
                    c["change_percent"].get<double>(), c["p_value"].get<double>());
      changes += buf;
    }
    if (s.contains("reason")) changes += (changes.empty() ? "" : "; ") + s["reason"].get<std::string>();
    char noise[32] = "-";
    if (s.contains("noise_percent")) std::snprintf(noise, sizeof noise, "%.1f%%", s["noise_percent"].get<double>());
    std::string verdict = s["verdict"];
    if (verdict == "regression") verdict = a.format == "markdown" ? "**REGRESSION**" : "REGRESSION";
    if (!s["gated"].get<bool>() && s["status"] == "ok") verdict += " (not gated)";
    t.rows.push_back({s["testbed"].get<std::string>() + " | " + s["title"].get<std::string>(), s["figure"], verdict,
                      std::to_string(s["runs"].get<size_t>()), noise, changes.empty() ? "-" : changes});
  }
  if (t.rows.empty()) std::printf("no series matches\n");
  else std::printf("%s", a.format == "markdown" ? render_pipe_table(t).c_str() : render_aligned(t).c_str());
  std::printf("%s%s (E-divisive means, alpha %.3g, Holm across the gated; threshold %.1f%%; gated: %s)\n",
              a.format == "markdown" ? "\n" : "", regression ? "REGRESSION" : "no regression", a.alpha, a.threshold,
              a.fail_on.c_str());
  return regression ? 1 : 0;
}

void add_filters(CLI::App* sub, HistoryArgs& a) {
  sub->add_option("--testbed", a.filter.testbed, "only this test bed");
  sub->add_option("--workload", a.filter.workload, "only this workload name");
  sub->add_option("--backend", a.backend, "only this backend, or backend:variant");
  sub->add_option("--target", a.filter.target, "only this target kind (file, emu, driver, ...)");
  sub->add_option("--label", a.labels, "only runs with this label (KEY=VALUE; repeatable)");
  sub->add_option("--last", a.filter.last, "only the newest N runs of each series")->check(CLI::Range(1, 1000000));
  sub->add_option("--format", a.format, "table, markdown or json")->check(CLI::IsMember({"table", "markdown", "json"}));
  sub->add_option("--lock-timeout", a.lock_timeout, "how long to wait for another process's write (default 10s)");
}

}  // namespace

Command add_history_command(CLI::App& app) {
  auto a = std::make_shared<HistoryArgs>();
  CLI::App* sub = app.add_subcommand("history", "keep results in an SQLite history and find where a series changed");
  sub->require_subcommand(1);
  CLI::App* add_cmd = sub->add_subcommand("add", "store result files in the history DB (created if missing)");
  add_cmd->add_option("DB", a->db, "history database (SQLite)")->required();
  add_cmd->add_option("RESULT", a->results, "result files (JSON)")->required();
  add_cmd->add_option("--label", a->labels, "KEY=VALUE stored with each run, e.g. commit=abc123 (repeatable)");
  add_cmd->add_option("--testbed", a->testbed,
                      "file the runs under this test bed (default: hostname/CPU model/kernel release/CPU count)");
  add_cmd->add_option("--lock-timeout", a->lock_timeout, "how long to wait for another process's write (default 10s)");
  CLI::App* show_cmd = sub->add_subcommand("show", "the stored runs of each series");
  show_cmd->add_option("DB", a->db, "history database (SQLite)")->required();
  add_filters(show_cmd, *a);
  std::string names;
  for (auto* f : compared_figures()) names += (names.empty() ? "" : ", ") + f->name;
  show_cmd->add_option("--figure", a->figures, "figures shown: " + names + " (default iops,p50,p99,cpu)");
  CLI::App* check_cmd =
      sub->add_subcommand("check", "find change points in each series; exit 1 when the newest is a regression");
  check_cmd->add_option("DB", a->db, "history database (SQLite)")->required();
  add_filters(check_cmd, *a);
  check_cmd->add_option("--figure", a->figures, "figures analysed (default: every one: " + names + ")");
  check_cmd->add_option("--fail-on", a->fail_on, "gated figures (default iops,p99)");
  check_cmd->add_option("--alpha", a->alpha, "significance level (default 0.05)")->check(CLI::Range(1e-6, 0.5));
  check_cmd->add_option("--threshold", a->threshold, "percent change below which nothing is a regression (default 5)")
      ->check(CLI::Range(0.0, 1000.0));
  check_cmd->add_option("--max-noise", a->max_noise,
                        "percent noise above which a series is unstable and not gated (default 15)")
      ->check(CLI::Range(0.0, 1000.0));
  check_cmd->add_option("--min-runs", a->min_runs, "fewest runs either side of a change (default 3)")
      ->check(CLI::Range(2, 1000));
  check_cmd->add_option("--permutations", a->permutations,
                        "of the permutation test (default: 999, or enough for Holm across the gated figures)")
      ->check(CLI::Range(99, 100000));
  return {sub, [a, add_cmd, show_cmd] {
            if (add_cmd->parsed()) return add(*a);
            if (show_cmd->parsed()) return show(*a);
            return check(*a);
          }};
}

}  // namespace iobench
