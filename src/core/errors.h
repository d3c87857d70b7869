#pragma once
#include <stdexcept>
#include <string>

namespace iobench {

// Bad input from the user: exit 2 with this one line.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The environment refused something at run time: exit 1 with this one line.
struct RuntimeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A stop signal arrived while a long preparation (a target's layout) ran:
// the run stops there, keeping what it measured before.
struct Stopped : std::runtime_error {
  Stopped() : std::runtime_error("stopped by a signal") {}
};

std::string errno_text(int err);  // strerror_r, thread-safe
// errno_text, plus what to do when the process ran out of descriptors
// (every request in flight on poll/sigio/emu holds its own).
std::string open_error_text(int err);

}  // namespace iobench
