// iobench: identical workloads across the Linux I/O models.
#include <cstdio>

#include "cli/commands.h"
#include "core/errors.h"

int main(int argc, char** argv) {
  CLI::App app{"iobench: run identical workloads across the Linux I/O models and compare what each costs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", IOBENCH_VERSION);
  const iobench::Command commands[] = {iobench::add_run_command(app, argc, argv), iobench::add_list_command(app),
                                       iobench::add_compare_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    // One line, exit 2: the contract for bad input.
    std::fprintf(stderr, "iobench: %s (see iobench --help)\n", e.what());
    return 2;
  }
  try {
    for (auto& c : commands)
      if (c.sub->parsed()) return c.action();
  } catch (const iobench::UsageError& e) {
    std::fprintf(stderr, "iobench: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "iobench: %s\n", e.what());
    return 1;
  }
  return 0;
}
