#pragma once
// Shared by the libFuzzer harnesses (scripts/fuzz) and their replay in ctest:
// run the real command line on fuzzed input and call anything outside the
// contract's exits a finding.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "app/entry.h"

namespace fuzz {

// The table and JSON iobench prints would drown the fuzzer's own output.
inline void quiet_stdout() {
  int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) ::dup2(fd, STDOUT_FILENO), ::close(fd);
}

// `name` in a directory of this process's own, removed with what is in it at exit.
inline std::string temp_path(const char* name) {
  static const struct Temp {
    std::string dir = "/tmp/iobench-fuzz-XXXXXX";
    Temp() {
      if (!::mkdtemp(dir.data())) abort();
    }
    ~Temp() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } temp;
  return temp.dir + "/" + name;
}

// A file holding `data`, rewritten each call.
inline const std::string& as_file(const uint8_t* data, size_t size) {
  static const std::string path = temp_path("input");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, data, size) != static_cast<ssize_t>(size)) abort();
  ::close(fd);
  return path;
}

// `iobench ARGS...`; exits other than 0, 1 and 2 (70: an exception the
// contract does not allow; a signal) are findings.
inline void iobench(std::vector<std::string> args) {
  args.insert(args.begin(), "iobench");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = iobench::entry(static_cast<int>(args.size()), argv.data());
  if (rc != 0 && rc != 1 && rc != 2) abort();
}

}  // namespace fuzz
