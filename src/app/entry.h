#pragma once
// The whole command line: main() and the fuzz harnesses (tests/fuzz) call it.
namespace iobench {

// Runs `iobench ARGS...` and returns its exit code (docs/reliability.md).
int entry(int argc, char** argv);

}  // namespace iobench
