#pragma once
// What --trace records while a point runs, with no allocation and no lock:
// one Pool per point holds every record, preallocated; each job thread
// claims request records per batch and call records per chunk with one
// atomic add, and writes only what it claimed. run/trace.cpp turns a Pool
// into trace events once the point is over (docs/trace.md).
#include <atomic>
#include <cstdint>
#include <memory>

namespace iobench::trace {

// A span or a moment on a job thread.
enum class Kind : uint8_t {
  Submit,   // the engine's submit(): the call that started requests (blocking I/O runs here)
  Wait,     // the engine's reap(): waiting for, or collecting, completions
  Handler,  // a signal handler ran (sigio:handler), inside a wait
  Signal,   // a notification signal was taken (sigtimedwait returned it): a moment, t0 == t1
  Cancel,   // the engine's cancel() (--cancel-pct): asking the interface to take a request back
};

struct Call {
  uint64_t t0 = 0, t1 = 0;  // CLOCK_MONOTONIC ns
  uint32_t n = 0;           // requests the call started or delivered
  Kind kind = Kind::Submit;
};

// One request, written by its thread when it completes in the measurement.
struct Req {
  uint64_t start = 0, done = 0;
  uint64_t ready = 0;  // when the device made the block ready (reads on emu and the driver); 0: unknown
  uint64_t offset = 0;
  int64_t result = 0;
  uint32_t len = 0;
  uint16_t lane = 0;  // job thread index
  bool write = false;
  bool intended = false;  // start is a --rate intended issue time
};

inline constexpr uint32_t kNone = UINT32_MAX;

class Pool {
 public:
  // Calls come in chunks: a thread claims one at a time, so a chunk holds
  // one thread's calls in time order.
  static constexpr uint32_t kChunk = 256;

  Pool(uint32_t requests, unsigned lanes)
      : req_cap_(requests),
        chunks_(lanes + (4 * static_cast<uint64_t>(requests) + kChunk - 1) / kChunk),
        reqs_(new Req[req_cap_]()),
        calls_(new Call[static_cast<size_t>(chunks_) * kChunk]()),
        owner_(new uint16_t[chunks_]()),
        used_(new uint32_t[chunks_]()) {}

  // The first of n request records, or kNone when the budget is spent (a
  // batch that crosses the limit gets what is left: the caller checks each
  // index against request_capacity()).
  uint32_t claim_requests(uint32_t n) {
    if (req_next_.load(std::memory_order_relaxed) >= req_cap_) return kNone;
    const uint64_t first = req_next_.fetch_add(n, std::memory_order_relaxed);
    return first < req_cap_ ? static_cast<uint32_t>(first) : kNone;
  }
  uint32_t request_capacity() const { return req_cap_; }
  bool requests_spent() const { return req_next_.load(std::memory_order_relaxed) >= req_cap_; }
  Req& req(uint32_t i) { return reqs_[i]; }
  const Req& req(uint32_t i) const { return reqs_[i]; }
  // How many request records were handed out, all written once the threads are joined.
  uint32_t requests_claimed() const {
    const uint64_t n = req_next_.load(std::memory_order_relaxed);
    return n < req_cap_ ? static_cast<uint32_t>(n) : req_cap_;
  }

  // A chunk of call records for `lane`, or nullptr when none is left.
  Call* claim_chunk(uint16_t lane, uint32_t& index) {
    if (chunk_next_.load(std::memory_order_relaxed) >= chunks_) return nullptr;
    const uint32_t c = chunk_next_.fetch_add(1, std::memory_order_relaxed);
    if (c >= chunks_) return nullptr;
    owner_[c] = lane;
    index = c;
    return &calls_[static_cast<size_t>(c) * kChunk];
  }
  void set_used(uint32_t chunk, uint32_t n) { used_[chunk] = n; }
  uint32_t chunks_claimed() const {
    const uint32_t n = chunk_next_.load(std::memory_order_relaxed);
    return n < chunks_ ? n : chunks_;
  }
  uint16_t owner(uint32_t chunk) const { return owner_[chunk]; }
  uint32_t used(uint32_t chunk) const { return used_[chunk]; }
  const Call* chunk(uint32_t c) const { return &calls_[static_cast<size_t>(c) * kChunk]; }

  std::atomic<uint64_t> calls_dropped{0};  // the call pool ran out (added once per thread, at its end)

 private:
  const uint32_t req_cap_;
  const uint32_t chunks_;
  std::unique_ptr<Req[]> reqs_;
  std::unique_ptr<Call[]> calls_;
  std::unique_ptr<uint16_t[]> owner_;
  std::unique_ptr<uint32_t[]> used_;
  std::atomic<uint64_t> req_next_{0};
  std::atomic<uint32_t> chunk_next_{0};
};

// One job thread's writer into a Pool. `active` is the runner's word on
// whether this thread's calls are being traced now (measuring, until the
// batch that spent the point's request records); engines record signals
// only then.
class Lane {
 public:
  Lane(Pool& pool, uint16_t lane) : pool_(pool), lane_(lane) {}
  ~Lane() { close(); }
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;

  bool active = false;

  void call(Kind k, uint64_t t0, uint64_t t1, uint32_t n) {
    if (!active) return;
    if (used_ == Pool::kChunk && !next_chunk()) {
      ++dropped_;
      return;
    }
    cur_[used_++] = Call{t0, t1, n, k};
  }
  uint16_t lane() const { return lane_; }
  Pool& pool() { return pool_; }
  // Publishes the last chunk's count (the Pool is read after the thread is joined).
  void close() {
    if (cur_) pool_.set_used(chunk_, used_);
    if (dropped_) pool_.calls_dropped.fetch_add(dropped_, std::memory_order_relaxed);
    cur_ = nullptr;
    used_ = Pool::kChunk;
    dropped_ = 0;
  }

 private:
  bool next_chunk() {
    if (cur_) pool_.set_used(chunk_, used_);
    cur_ = pool_.claim_chunk(lane_, chunk_);
    used_ = cur_ ? 0 : Pool::kChunk;
    return cur_ != nullptr;
  }

  Pool& pool_;
  const uint16_t lane_;
  Call* cur_ = nullptr;
  uint32_t chunk_ = 0;
  uint32_t used_ = Pool::kChunk;  // full: the first call claims a chunk
  uint64_t dropped_ = 0;
};

}  // namespace iobench::trace
