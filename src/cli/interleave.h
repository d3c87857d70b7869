#pragma once
// compare --run: the two sides measured in alternation, repetition by
// repetition, so the drift of a noisy machine falls on both alike.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace iobench {

// Each side is an iobench binary (run with `run ARGS`) or a workload file (run
// by this binary with `run -w FILE ARGS`). Round i runs A then B, or B then A
// when i is odd; each run is one repetition. Returns the two documents, each
// holding every round's repetition. Throws RuntimeError when a run fails.
std::pair<nlohmann::json, nlohmann::json> run_interleaved(const std::string& a, const std::string& b, unsigned rounds,
                                                          const std::vector<std::string>& run_args);

}  // namespace iobench
