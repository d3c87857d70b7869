// `iobench run` flags: one argument per line of input, always with
// --dry-run, so the whole command line is parsed and checked and nothing runs.
#include <string_view>

#include "fuzz.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_stdout();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // Nothing may turn the dry run off: it would run a workload.
  if (in.find("dry") != std::string_view::npos) return 0;
  std::vector<std::string> args = {"run", "--dry-run"};
  for (size_t at = 0; at <= in.size() && args.size() < 64;) {
    size_t end = std::min(in.find('\n', at), in.size());
    args.emplace_back(in.substr(at, end - at));
    at = end + 1;
  }
  fuzz::iobench(args);
  return 0;
}
