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

std::string errno_text(int err);  // strerror_r, thread-safe

}  // namespace iobench
