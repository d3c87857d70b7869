// iobench list: what can run here, and why not when it cannot.
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "mpi/launch.h"
#include "run/figures.h"
#include "run/plan.h"
#include "targets/target.h"

namespace iobench {
namespace {

int list(bool as_json) {
  using json = nlohmann::json;
  json doc = {{"backends", json::array()}, {"targets", json::array()}, {"fields", json::array()},
              {"figures", json::array()}};
  for (auto& b : registry()) {
    std::string why = b.unavailable();
    json variants = json::array();
    for (unsigned v = 0; v < b.variants.size(); ++v) {
      std::string vwhy = BackendChoice{&b, v}.unavailable();
      variants.push_back({{"name", b.variants[v].name}, {"description", b.variants[v].description},
                          {"available", vwhy.empty()}, {"reason", vwhy}});
    }
    json refused = json::array();
    for (auto& no : b.refused) refused.push_back({{"name", no.name}, {"why", no.why}});
    doc["backends"].push_back({{"name", b.name},
                               {"variants", variants},
                               {"refused_variants", refused},
                               {"default_variant", b.variants.front().name},
                               {"description", b.description},
                               {"available", why.empty()},
                               {"reason", why}});
  }
  for (auto& t : target_registry()) {
    std::string why = t.unavailable();
    doc["targets"].push_back(
        {{"name", t.name}, {"spelling", t.spelling}, {"description", t.description}, {"available", why.empty()},
         {"reason", why}});
  }
  for (auto& f : figures()) {
    static const char* kUnits[] = {"count", "ns", "per_s", "bytes_per_s", "ratio"};
    static const char* kBetter[] = {"higher", "lower", "neither"};
    static const char* kMerge[] = {"sum", "derived"};
    doc["figures"].push_back({{"name", f.name}, {"path", f.path}, {"unit", kUnits[static_cast<int>(f.unit)]},
                              {"better", kBetter[static_cast<int>(f.better)]},
                              {"merge", kMerge[static_cast<int>(f.merge())]}});
  }
  for (const FieldInfo& f : workload_parser().fields()) {
    doc["fields"].push_back({{"field", f.field}, {"flag", f.flag}, {"help", f.help}, {"owner", f.owner}});
    if (!f.off_flag.empty()) doc["fields"].back()["off_flag"] = f.off_flag;
    if (!f.choices.empty()) doc["fields"].back()["choices"] = f.choice_list();
    if (f.combines) doc["fields"].back()["combines"] = true;
  }
  doc["mpi"] = built_with_mpi();
  if (as_json) {
    std::printf("%s\n", doc.dump(2).c_str());
    return 0;
  }
  std::printf("backends (--backend NAME[:VARIANT]; the first variant is the default):\n");
  for (auto& b : doc["backends"]) {
    std::printf("  %-9s %-13s %s\n", b["name"].get<std::string>().c_str(),
                b["available"].get<bool>() ? "available" : "UNAVAILABLE", b["description"].get<std::string>().c_str());
    if (!b["available"].get<bool>()) std::printf("            why: %s\n", b["reason"].get<std::string>().c_str());
    for (auto& v : b["variants"]) {
      std::printf("      :%-9s %s\n", v["name"].get<std::string>().c_str(), v["description"].get<std::string>().c_str());
      if (b["available"].get<bool>() && !v["available"].get<bool>())
        std::printf("                 UNAVAILABLE: %s\n", v["reason"].get<std::string>().c_str());
    }
    for (auto& no : b["refused_variants"])
      std::printf("      (no :%s) %s\n", no["name"].get<std::string>().c_str(), no["why"].get<std::string>().c_str());
  }
  std::printf("targets (--target):\n");
  for (auto& t : doc["targets"]) {
    std::printf("  %-13s %-13s %s\n", t["spelling"].get<std::string>().c_str(),
                t["available"].get<bool>() ? "available" : "UNAVAILABLE", t["description"].get<std::string>().c_str());
    if (!t["available"].get<bool>()) std::printf("            why: %s\n", t["reason"].get<std::string>().c_str());
  }
  std::printf("mpi: %s\n", built_with_mpi() ? "yes, this build runs under mpirun (docs/multi-host.md)"
                                            : "no, this build was made without MPI (-DIOBENCH_MPI)");
  return 0;
}

}  // namespace

Command add_list_command(CLI::App& app) {
  auto as_json = std::make_shared<bool>(false);
  CLI::App* sub = app.add_subcommand("list", "backends, variants and targets, and whether each can run here");
  sub->add_flag("--json", *as_json, "machine-readable output");
  return {sub, [as_json] { return list(*as_json); }};
}

}  // namespace iobench
