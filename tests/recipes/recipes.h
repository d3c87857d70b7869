#pragma once
// The test-only target and backend that prove docs/architecture.md's recipes:
// each is one file that returns its registry entry, and nothing else in the
// project names it.
#include "backends/backend.h"
#include "targets/target.h"

namespace iobench::recipes {

TargetInfo mem_target();
// How often the test target was settled (a Target made by mem_target()).
int times_settled(const Target& mem);
BackendInfo echo_backend();

}  // namespace iobench::recipes
