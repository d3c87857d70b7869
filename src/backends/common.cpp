#include "backends/common.h"

#include "core/errors.h"

namespace iobench {

void fsync_fd(int fd, Counters& c) {
  c.syscalls++;
  c.fsyncs++;
  if (::fsync(fd) != 0) throw RuntimeError("fsync failed: " + errno_text(errno));
}

}  // namespace iobench
