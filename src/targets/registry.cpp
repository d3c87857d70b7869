#include "core/errors.h"
#include "core/histogram.h"
#include "core/units.h"
#include "targets/target.h"

namespace iobench {

void Target::report(const TargetTotals& before, const TargetTotals& after, nlohmann::json& into,
                    std::vector<std::string>& notes) const {
  (void)notes;
  for (auto& [k, v] : after.counters.items()) into[k] = v.get<uint64_t>() - before.counters.value(k, uint64_t{0});
  if (!after.lateness.empty()) {
    const Histogram late = Histogram::between(before.lateness, after.lateness);
    into["lateness_ns"] = {{"p50", late.percentile(50)}, {"p99", late.percentile(99)}, {"max", late.max()}};
  }
  const Usage own = after.usage - before.usage;
  if (own.user_ns + own.sys_ns) into["cpu_ns"] = own.user_ns + own.sys_ns;
}

TargetInfo file_target();
TargetInfo emu_target();
TargetInfo driver_target();

const std::vector<TargetInfo>& target_registry() {
  static const std::vector<TargetInfo> all = {file_target(), emu_target(), driver_target()};
  return all;
}

const TargetInfo& find_target(const TargetSpec& t) {
  std::string accepted;
  for (auto& info : target_registry()) {
    accepted += (accepted.empty() ? "" : ", ") + std::string(info.spelling);
    if (info.name != t.kind) continue;
    if (info.arg == TargetArg::None && !t.arg.empty())
      throw UsageError("--target: " + std::string(info.name) + " takes no argument, got '" + t.text() + "'");
    return info;
  }
  throw UsageError("--target: expected " + accepted + ", or nothing for a temporary file; got '" + t.text() + "'");
}

std::unique_ptr<Target> make_target(const WorkloadSpec& spec) {
  const TargetInfo& info = find_target(spec.target);
  if (info.validate) info.validate(spec);
  return info.make(spec);
}

}  // namespace iobench
