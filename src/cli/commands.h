#pragma once
// The subcommands; app/entry.cpp only wires them to CLI11.
#include <functional>

#include <CLI/CLI.hpp>

namespace iobench {

struct Command {
  CLI::App* sub;
  std::function<int()> action;  // returns the process exit code
};

Command add_run_command(CLI::App& app, int argc, char** argv);
Command add_list_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
Command add_history_command(CLI::App& app);
Command add_completion_command(CLI::App& app);
Command add_man_command(CLI::App& app);

}  // namespace iobench
