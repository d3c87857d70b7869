// iobench list: what can run here, and why not when it cannot.
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "cli/commands.h"
#include "targets/target.h"

namespace iobench {
namespace {

struct TargetInfo {
  const char* spelling;
  const char* description;
  std::string (*unavailable)();
};

const TargetInfo kTargets[] = {
    {"file:PATH", "a regular file or block device (default: a temporary file in $TMPDIR or /var/tmp)",
     [] { return std::string(); }},
    {"emu", "user-space emulation of the test device (pipes + an emulator thread; --emu-latency)",
     [] { return std::string(); }},
    {"driver", "the bundled kernel module's /dev/iobench (--dev-latency, --dev-qdepth, --dev-fail-every)",
     driver_unavailable},
};

int list(bool as_json) {
  nlohmann::json doc = {{"backends", nlohmann::json::array()}, {"targets", nlohmann::json::array()}};
  for (auto& b : registry()) {
    std::string why = b.unavailable();
    doc["backends"].push_back({{"name", b.name},
                               {"variants", b.variants},
                               {"default_variant", b.variants.front()},
                               {"description", b.description},
                               {"available", why.empty()},
                               {"reason", why}});
  }
  for (auto& t : kTargets) {
    std::string why = t.unavailable();
    doc["targets"].push_back(
        {{"name", t.spelling}, {"description", t.description}, {"available", why.empty()}, {"reason", why}});
  }
  if (as_json) {
    std::printf("%s\n", doc.dump(2).c_str());
    return 0;
  }
  std::printf("backends (--backend NAME[:VARIANT]; the first variant is the default):\n");
  for (auto& b : doc["backends"]) {
    std::string variants;
    for (auto& v : b["variants"]) variants += (variants.empty() ? "" : ", ") + v.get<std::string>();
    std::printf("  %-9s %-13s %s\n            variants: %s\n", b["name"].get<std::string>().c_str(),
                b["available"].get<bool>() ? "available" : "UNAVAILABLE", b["description"].get<std::string>().c_str(),
                variants.c_str());
    if (!b["available"].get<bool>()) std::printf("            why: %s\n", b["reason"].get<std::string>().c_str());
  }
  std::printf("targets (--target):\n");
  for (auto& t : doc["targets"]) {
    std::printf("  %-9s %-13s %s\n", t["name"].get<std::string>().c_str(),
                t["available"].get<bool>() ? "available" : "UNAVAILABLE", t["description"].get<std::string>().c_str());
    if (!t["available"].get<bool>()) std::printf("            why: %s\n", t["reason"].get<std::string>().c_str());
  }
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
