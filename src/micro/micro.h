#pragma once

namespace iobench {

// iobench micro [Google Benchmark flags] [-o FILE]: the per-primitive cost
// ladder. argv[0] is "micro".
int run_micro(int argc, char** argv);

}  // namespace iobench
