// A result document as `iobench compare` reads it, against a valid one on
// either side (tests/fixtures/result.json) and against itself.
#include "fuzz.h"

#ifndef IOBENCH_FIXTURE
#error "IOBENCH_FIXTURE: the valid result document to compare with"
#endif

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_stdout();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& f = fuzz::as_file(data, size);
  fuzz::iobench({"compare", IOBENCH_FIXTURE, f});
  fuzz::iobench({"compare", f, IOBENCH_FIXTURE});
  fuzz::iobench({"compare", f, f, "--format", "json"});
  return 0;
}
