#pragma once
// HotArena: one job thread's round-trip data side by side, on as few pages as
// it fits in. On a kernel with page-table isolation and no PCID (this
// project's CI VM: "Mitigation: PTI", no pcid flag) every system call empties
// the TLB, so each distinct page a round trip touches afterwards costs a page
// walk: measured ~15 ns a page in the run loop (docs/backends.md, "Pages per
// round trip"), ~0.7 % of a page-cached io_uring read each.
//
// A bump allocator over one anonymous mapping, never freed piece by piece:
// what is taken lives as long as the arena. The mapping is untouched until
// used, so its first writer (the job thread) places its pages.
#include <sys/mman.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

#include "core/errors.h"

namespace iobench {

class HotArena {
 public:
  HotArena() = default;
  explicit HotArena(size_t bytes) {
    size_ = (bytes + 4095) & ~size_t{4095};
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      throw RuntimeError("cannot map " + std::to_string(size_ >> 10) + " KiB for a job thread's requests: " +
                         errno_text(errno) + " (the limit on address space, ulimit -v, or on mappings, "
                         "vm.max_map_count: raise it, or lower --qd x --jobs)");
    base_ = static_cast<unsigned char*>(p);
  }
  HotArena(HotArena&& o) noexcept
      : base_(std::exchange(o.base_, nullptr)), size_(std::exchange(o.size_, 0)), used_(std::exchange(o.used_, 0)) {}
  HotArena& operator=(HotArena&& o) noexcept {
    std::swap(base_, o.base_);
    std::swap(size_, o.size_);
    std::swap(used_, o.used_);
    return *this;
  }
  ~HotArena() {
    if (base_) ::munmap(base_, size_);
  }

  // `bytes` aligned to `align` (a power of two), or nullptr when it does not fit.
  void* take(size_t bytes, size_t align = alignof(std::max_align_t)) {
    const size_t at = (used_ + align - 1) & ~(align - 1);
    if (!base_ || at > size_ || bytes > size_ - at) return nullptr;
    used_ = at + bytes;
    return base_ + at;
  }
  // n value-initialized T (trivially destructible: nothing runs them down), or nullptr.
  template <typename T>
  T* array(size_t n) {
    static_assert(std::is_trivially_destructible_v<T>);
    T* p = static_cast<T*>(take(sizeof(T) * n, alignof(T)));
    if (p)
      for (size_t i = 0; i < n; ++i) new (p + i) T();
    return p;
  }
  size_t used() const { return used_; }
  const void* base() const { return base_; }

 private:
  unsigned char* base_ = nullptr;
  size_t size_ = 0;
  size_t used_ = 0;
};

}  // namespace iobench
