#include "app/entry.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <new>
#include <string>
#include <system_error>

#include "cli/commands.h"
#include "core/build_info.h"
#include "core/errors.h"
#include "micro/micro.h"

namespace {

constexpr int kInternalError = 70;

// The contract's exits: bad input 2, a runtime failure 1, one line each.
// Any other exception is a defect in iobench (a library's text that should
// have become a line naming the field): exit 70, EX_SOFTWARE, which the fuzz
// harnesses treat as a finding.
template <typename F>
int reporting_errors(F&& command) {
  try {
    return command();
  } catch (const iobench::UsageError& e) {
    std::fprintf(stderr, "iobench: %s\n", e.what());
    return 2;
  } catch (const iobench::RuntimeError& e) {
    std::fprintf(stderr, "iobench: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "iobench: out of memory (ulimit -v, or the machine's)\n");
    return 1;
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "iobench: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "iobench: internal error (please report it): %s\n", e.what());
    return kInternalError;
  }
}

// A table that could not be written (a full disk, a closed pipe) is a
// failure, not a success: exit 1 with the reason (the -o file is written
// before stdout, so it stands).
int flushed(int rc) {
  std::cout.flush();
  if (std::fflush(stdout) == 0 && !std::ferror(stdout) && std::cout.good()) return rc;
  std::fprintf(stderr, "iobench: cannot write to standard output: %s\n", std::strerror(errno));
  return rc ? rc : 1;
}

}  // namespace

int iobench::entry(int argc, char** argv) {
  // A closed pipe on stdout must be an error iobench reports, not a SIGPIPE
  // that kills it before the result file is written.
  std::signal(SIGPIPE, SIG_IGN);
  // micro hands its flags to Google Benchmark (--benchmark_filter=...), which
  // CLI11 would reject; it is dispatched before parsing.
  if (argc > 1 && std::strcmp(argv[1], "micro") == 0) {
    for (int i = 2; i < argc; ++i)
      if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
        std::printf("iobench micro: %s\n", iobench::kMicroHelp);
        for (const iobench::MicroFlag& f : iobench::kMicroFlags) {
          const std::string flag = std::string(f.name) + (*f.value ? (f.name[1] == '-' ? "=" : " ") : "") + f.value;
          std::printf("  %-28s %s\n", flag.c_str(), f.help);
        }
        return 0;
      }
    return flushed(reporting_errors([&] { return iobench::run_micro(argc - 1, argv + 1); }));
  }
  CLI::App app{"iobench: run identical workloads across the Linux I/O models and compare what each costs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", iobench::build_info::kVersion);
  app.footer("iobench micro [-o FILE] [--benchmark_*]: per-primitive costs (Google Benchmark)");
  const iobench::Command commands[] = {iobench::add_run_command(app, argc, argv), iobench::add_list_command(app),
                                       iobench::add_compare_command(app), iobench::add_history_command(app),
                                       iobench::add_completion_command(app), iobench::add_man_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    // One line, exit 2: the contract for bad input.
    std::fprintf(stderr, "iobench: %s (see iobench --help)\n", e.what());
    return 2;
  }
  for (auto& c : commands)
    if (c.sub->parsed()) return flushed(reporting_errors(c.action));
  return 0;
}
