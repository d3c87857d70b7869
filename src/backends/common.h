#pragma once
// Small pieces the engines share.
#include <unistd.h>

#include <cerrno>

#include <vector>

#include "backends/backend.h"

namespace iobench {

// Requests finished inside submit() (synchronous models), handed out by reap().
// Fixed capacity: never more than qd requests are in flight.
class DoneQueue {
 public:
  explicit DoneQueue(unsigned capacity) : items_(capacity) {}
  void push(Request* r) { items_[count_++] = r; }
  int pop(Request** out, int max) {
    int n = count_ < max ? count_ : max;
    // FIFO order is not needed: every request carries its own start time.
    for (int i = 0; i < n; ++i) out[i] = items_[--count_];
    return n;
  }
  int size() const { return count_; }

 private:
  std::vector<Request*> items_;
  int count_ = 0;
};

// One blocking pread/pwrite; -errno on failure.
inline int64_t blocking_io(int fd, const Request& r) {
  ssize_t n = r.op == Op::Read ? ::pread(fd, r.buf, r.len, static_cast<off_t>(r.offset))
                               : ::pwrite(fd, r.buf, r.len, static_cast<off_t>(r.offset));
  return n < 0 ? -errno : n;
}

// fsync_every for every model: a plain fsync between completions, the same
// cost for all of them, so it does not tilt the comparison.
void fsync_fd(int fd, Counters& c);

}  // namespace iobench
