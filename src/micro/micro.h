#pragma once
#include <cstdint>

namespace iobench {

// The page-cache primitives' file: 16 MiB, in 4k blocks.
inline constexpr uint32_t kMicroBlocks = 4096;
// The block the i-th 4k request of a primitive reads: uniform random with
// replacement over the file, as `run --rw randread` draws them.
uint32_t micro_block(uint64_t i);

// iobench micro [Google Benchmark flags] [-o FILE]: the per-primitive cost
// ladder. argv[0] is "micro".
int run_micro(int argc, char** argv);

}  // namespace iobench
