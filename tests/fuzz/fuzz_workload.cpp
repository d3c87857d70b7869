// A workload file, as `iobench run -w FILE --dry-run` reads, checks and
// expands it: every field's parser, the sweeps, the cross-field checks.
#include "fuzz.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_stdout();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::iobench({"run", "--dry-run", "-w", fuzz::as_file(data, size)});
  return 0;
}
