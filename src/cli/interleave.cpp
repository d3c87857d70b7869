#include "cli/interleave.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "core/errors.h"
#include "core/fs.h"
#include "spec/json_file.h"

namespace iobench {
namespace {

using json = nlohmann::json;

// One repetition of one side into `out`; stdout goes nowhere, stderr through.
void run_side(const std::string& side, const std::vector<std::string>& run_args, const std::string& out) {
  const bool workload = side.ends_with(".json");
  std::vector<std::string> argv = {workload ? "/proc/self/exe" : side, "run"};
  if (workload) argv.insert(argv.end(), {"-w", side});
  argv.insert(argv.end(), run_args.begin(), run_args.end());
  argv.insert(argv.end(), {"--repeat", "1", "-q", "-o", out});
  std::vector<char*> cargv;
  for (auto& s : argv) cargv.push_back(s.data());
  cargv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw RuntimeError("compare --run: fork failed: " + errno_text(errno));
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, STDOUT_FILENO);
    ::execv(cargv[0], cargv.data());
    _exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw RuntimeError("compare --run: '" + side + " run' failed (" +
                       (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                          : "signal " + std::to_string(WTERMSIG(status))) +
                       (WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ": cannot execute it" : "") + ")");
}

json read_doc(const std::string& path) { return read_json_file(path, "compare --run"); }

// Appends the repetitions of `more` to the matching results of `into` (the
// same run arguments give the same results in the same order).
void append(json& into, const json& more, const std::string& side) {
  auto& results = into["results"];
  if (results.size() != more["results"].size())
    throw RuntimeError("compare --run: '" + side + "' gave a different set of results from one round to the next");
  for (size_t i = 0; i < results.size(); ++i)
    for (auto& rep : more["results"][i]["repetitions"]) results[i]["repetitions"].push_back(rep);
}

}  // namespace

std::pair<json, json> run_interleaved(const std::string& a, const std::string& b, unsigned rounds,
                                      const std::vector<std::string>& run_args) {
  const std::string tmp = temp_dir() + "/iobench-interleave-" + std::to_string(::getpid()) + ".json";
  json docs[2];
  const std::string sides[2] = {a, b};
  try {
    for (unsigned i = 0; i < rounds; ++i)
      for (unsigned k = 0; k < 2; ++k) {
        const unsigned s = i % 2 ? 1 - k : k;  // alternate which side goes first
        run_side(sides[s], run_args, tmp);
        json doc = read_doc(tmp);
        if (docs[s].is_null()) docs[s] = std::move(doc);
        else append(docs[s], doc, sides[s]);
      }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  ::unlink(tmp.c_str());
  return {docs[0], docs[1]};
}

}  // namespace iobench
