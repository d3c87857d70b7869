#pragma once
// How a job tells a request-anchored device (emu in request mode) that it
// issued a request on a channel, and when: the device serves it from that
// moment, whichever model issued it. Every model rings the same way (see
// ChannelSet::ring), so the doorbell's cost is the same for all of them.
//
// Jobs push a channel's box onto a lock-free stack; the device takes the
// whole stack at once. A request can be withdrawn (a cancelled read or
// write): the job and the device race for it with one CAS on the box's word,
// so exactly one of them decides whether the device serves it. A ring makes a system call (an eventfd write) only
// when the device sleeps past the new request's deadline: while requests are
// in flight it is up in time anyway, so the common case is two atomics.
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace iobench {

class Doorbell {
 public:
  // One per channel: a channel has at most one request in flight. A
  // withdrawn one may be rung again before the device took the box: the box
  // is then still on the stack and only its word changes.
  enum State : uint64_t { kRung = 1, kServed = 2, kWithdrawn = 3 };
  static uint64_t issued(uint64_t word) { return word >> 3; }
  static State state(uint64_t word) { return static_cast<State>(word >> 1 & 3); }
  static bool is_write(uint64_t word) { return word & 1; }
  struct Box {
    // issue time << 3 | state << 1 | write: the issue time names the request
    // (a channel's requests are issued one after another).
    std::atomic<uint64_t> word{0};
    std::atomic<bool> queued{false};  // on the stack
    // Written by a job, read by the device. The head's CAS and exchange order
    // them; a box rung again is ordered by the pipe its block went through,
    // which ThreadSanitizer cannot see: relaxed atomics cost nothing and say so.
    std::atomic<Box*> next{nullptr};
    uint64_t chan = 0;  // the device's name for the channel
  };

  Doorbell(int wake_fd, uint64_t service_ns) : wake_fd_(wake_fd), service_ns_(service_ns) {}

  // Job side: no lock, no allocation.
  void ring(Box& b, bool write, uint64_t issued_ns) {
    b.word.store(issued_ns << 3 | kRung << 1 | (write ? 1 : 0), std::memory_order_seq_cst);
    if (!b.queued.exchange(true, std::memory_order_seq_cst)) {
      Box* head = head_.load(std::memory_order_relaxed);
      do b.next.store(head, std::memory_order_relaxed);
      while (!head_.compare_exchange_weak(head, &b, std::memory_order_seq_cst, std::memory_order_relaxed));
    }
    // Pairs with sleeping(): either the device sees this box before it
    // sleeps, or this sees the deadline it sleeps towards; a later one than
    // this request's is too late. Of the rings that see it asleep (a batch
    // rung at once) only the one that marks it awake writes the eventfd.
    uint64_t asleep = asleep_for_.load(std::memory_order_seq_cst);
    while (asleep > issued_ns + service_ns_)
      if (asleep_for_.compare_exchange_weak(asleep, 0, std::memory_order_seq_cst)) {
        wakes_.fetch_add(1, std::memory_order_relaxed);
        const uint64_t one = 1;
        // Fails only when the counter would overflow: the device is awake then.
        [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
        break;
      }
  }

  // Job side: takes back the request last rung on b. True when the device
  // will not serve it; false when it has (or is serving it now): the job
  // must then consume what was served.
  static bool withdraw(Box& b) {
    uint64_t w = b.word.load(std::memory_order_seq_cst);
    while (state(w) == kRung)
      if (b.word.compare_exchange_weak(w, (w & ~uint64_t{6}) | kWithdrawn << 1, std::memory_order_seq_cst)) return true;
    return false;
  }

  // Device side (one thread). take() hands over the stack; for each box,
  // next() (read before release()) then release() gives the request to serve,
  // if any: its word, or 0. serve(word) claims it: false when it was
  // withdrawn or rung again since (a stale entry), and must not be served.
  Box* take() { return head_.exchange(nullptr, std::memory_order_acquire); }
  static Box* next(Box* b) { return b->next.load(std::memory_order_relaxed); }
  static uint64_t release(Box* b) {
    b->queued.store(false, std::memory_order_seq_cst);
    const uint64_t w = b->word.load(std::memory_order_seq_cst);
    return state(w) == kRung ? w : 0;
  }
  static bool serve(Box& b, uint64_t word) {
    return b.word.compare_exchange_strong(word, (word & ~uint64_t{6}) | kServed << 1, std::memory_order_seq_cst);
  }
  // About to sleep towards `deadline` (UINT64_MAX: none, until woken):
  // false when a box arrived meanwhile and it must not sleep.
  bool sleeping(uint64_t deadline) {
    asleep_for_.store(deadline, std::memory_order_seq_cst);
    if (head_.load(std::memory_order_seq_cst) == nullptr) return true;
    awake();
    return false;
  }
  void awake() { asleep_for_.store(0, std::memory_order_seq_cst); }
  uint64_t wakes() const { return wakes_.load(std::memory_order_relaxed); }

 private:
  const int wake_fd_;
  const uint64_t service_ns_;
  alignas(64) std::atomic<Box*> head_{nullptr};
  alignas(64) std::atomic<uint64_t> asleep_for_{0};
  std::atomic<uint64_t> wakes_{0};
};

}  // namespace iobench
