// A result document as `iobench history add` stores it, then `show` and
// `check` over what was stored: the document's context is read leniently
// (a number where a string was expected is kept as text), the rest as
// compare reads it.
#include <unistd.h>

#include "fuzz.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_stdout();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Emptied before each input: every input meets the same valid run, and
  // the file never grows.
  static const std::string db = fuzz::temp_path("h.db");
  const std::string& f = fuzz::as_file(data, size);
  ::unlink(db.c_str());
  fuzz::iobench({"history", "add", db, IOBENCH_FIXTURE, "--label", "commit=a"});
  fuzz::iobench({"history", "add", db, f, "--label", "commit=b"});
  fuzz::iobench({"history", "show", db, "--format", "json"});
  fuzz::iobench({"history", "check", db, "--format", "json", "--min-runs", "2"});
  return 0;
}
