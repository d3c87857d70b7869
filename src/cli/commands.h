#pragma once
// The subcommands; app/entry.cpp only wires them to CLI11.
#include <functional>

#include <CLI/CLI.hpp>

namespace iobench {

struct Command {
  CLI::App* sub;
  std::function<int()> action;  // returns the process exit code
};

// `iobench micro` is dispatched before CLI11 (its flags are Google
// Benchmark's): its help, the completion and the man page read this list.
struct MicroFlag {
  const char* name;
  const char* value;  // "" for a switch
  const char* help;
};
inline constexpr const char* kMicroHelp = "the cost of each I/O primitive (Google Benchmark)";
inline constexpr MicroFlag kMicroFlags[] = {
    {"-o", "FILE", "write the JSON report to FILE"},
    {"--benchmark_filter", "RE", "run only the benchmarks matching this regular expression"},
    {"--benchmark_list_tests", "", "list them"},
    {"--benchmark_repetitions", "N", "repetitions of each benchmark (and every other --benchmark_* flag)"}};

Command add_run_command(CLI::App& app, int argc, char** argv);
Command add_list_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
Command add_history_command(CLI::App& app);
Command add_completion_command(CLI::App& app);
Command add_man_command(CLI::App& app);

}  // namespace iobench
