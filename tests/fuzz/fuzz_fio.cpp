// A fio job file, as `iobench run --fio FILE --dry-run` reads and translates
// it, strictly and with --fio-lenient: the INI reader, includes, ${ENV},
// fio's units, every option's translation and the sweeps built from jobs.
#include "fuzz.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_stdout();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& f = fuzz::as_file(data, size);
  fuzz::iobench({"run", "--dry-run", "--fio", f});
  fuzz::iobench({"run", "--dry-run", "--fio", f, "--fio-lenient"});
  return 0;
}
