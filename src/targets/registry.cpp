#include "core/errors.h"
#include "targets/target.h"

namespace iobench {

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
