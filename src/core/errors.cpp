#include "core/errors.h"

#include <cerrno>
#include <cstring>

namespace iobench {

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r returns the message pointer (maybe not buf).
  return strerror_r(err, buf, sizeof buf);
}

std::string open_error_text(int err) {
  std::string t = errno_text(err);
  if (err == EMFILE || err == ENFILE) t += " (raise the limit with ulimit -n, or lower --qd/--jobs)";
  return t;
}

}  // namespace iobench
