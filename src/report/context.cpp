// The context object of a result document: what ran, where, and when.
#include <sys/utsname.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "core/build_info.h"
#include "core/clock.h"
#include "core/fs.h"
#include "report/report.h"

namespace iobench {

using json = nlohmann::json;

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("model name")) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string utc_timestamp() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

json make_context(int argc, char** argv) {
  utsname u{};
  uname(&u);
  std::string cmd;
  for (int i = 0; i < argc; ++i) cmd += (i ? " " : "") + std::string(argv[i]);
  return {{"iobench_version", build_info::kVersion},
          {"git_sha", build_info::kGitSha},
          {"timestamp", utc_timestamp()},
          {"hostname", u.nodename},
          {"kernel", std::string(u.release) + " " + u.version},
          {"arch", u.machine},
          {"cpu_model", cpu_model()},
          {"nproc", std::thread::hardware_concurrency()},
          {"command_line", cmd},
          {"liburing_version", build_info::kLiburingVersion},
          {"compiler", __VERSION__},
          {"clock_read_ns", clock_read_ns()},
          {"cpu_idle_states", cpu_idle_states()}};
}

}  // namespace iobench
