// iobench micro: what each I/O primitive costs, one round trip at a time,
// with Google Benchmark. Setup and teardown stay outside the timed loops; each
// benchmark reports time per operation and ops/s (items_per_second).
#include <aio.h>
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "core/build_info.h"
#include "core/clock.h"
#include "core/errors.h"
#include "core/fd.h"
#include "core/random.h"
#include "micro/micro.h"
#include "core/fs.h"

#include <nlohmann/json.hpp>

namespace iobench {

// From a table made once, so the timed loops read a block number instead of
// running a generator: the interface's cost without a harness's. It was a
// fixed stride (block i x 7919 mod 4096), which the kernel read 2-9 % faster
// at qd 32 than the random blocks `run --rw randread` asks for (0-3 % at
// qd 1; likely the CPU's prefetchers learning the stride): the primitive
// understated a random read (docs/backends.md, "The primitive's offsets").
namespace {
using BlockTable = std::array<uint16_t, 1 << 14>;
static_assert(kMicroBlocks <= 1 << 16);
const BlockTable kRandomBlocks = [] {
  BlockTable b{};
  Rng rng(1);
  for (auto& x : b) x = static_cast<uint16_t>(rng.below(kMicroBlocks));
  return b;
}();
}  // namespace

uint32_t micro_block(uint64_t i) { return kRandomBlocks[i % kRandomBlocks.size()]; }

namespace {

// A primitive this machine does not offer (or a precondition it cannot
// give): the report says so with this prefix, and the tests accept it as a
// skip. Any other SkipWithError is a failure.
void unavailable(benchmark::State& state, const std::string& why) {
  state.SkipWithError(("unavailable here: " + why).c_str());
}

constexpr size_t kBlock = 4096;
constexpr off_t kFileSize = off_t{kMicroBlocks} * kBlock;

// A page-cached 16 MiB file for the whole micro run, removed at exit.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& dir) {
    path_ = dir + "/iobench-micro-XXXXXX";
    int fd = ::mkstemp(path_.data());
    if (fd < 0) return;
    std::vector<char> buf(1 << 20, 'x');
    for (off_t off = 0; off < kFileSize; off += static_cast<off_t>(buf.size()))
      if (::pwrite(fd, buf.data(), buf.size(), off) < 0) break;
    ::fsync(fd);
    ::close(fd);
  }
  ~ScratchFile() { ::unlink(path_.c_str()); }
  Fd open(int flags) const { return Fd(::open(path_.c_str(), O_RDWR | O_CLOEXEC | flags)); }

 private:
  std::string path_;
};

const ScratchFile& scratch() {
  static ScratchFile f(temp_dir());
  return f;
}

// The same on tmpfs, where O_DIRECT (Linux 6.6+) completes at once: kernel
// AIO's interface cost without a device under it.
const ScratchFile& tmpfs_scratch() {
  static ScratchFile f("/dev/shm");
  return f;
}

// What a primitive touched, shown beside its bar (plots/cost_ladder.py):
// "no I/O", "page cache", "pipe", or a device, which bounds its time.
void touches(benchmark::State& state, const char* what) { state.SetLabel(what); }

off_t offset_of(uint64_t i) { return static_cast<off_t>(micro_block(i) * kBlock); }

void finish(benchmark::State& state, int64_t per_iteration = 1) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * per_iteration);
}

// --- the floor ---------------------------------------------------------------

void BM_syscall_getppid(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(syscall(SYS_getppid));
  touches(state, "no I/O");
  finish(state);
}
BENCHMARK(BM_syscall_getppid);

// --- synchronous reads ----------------------------------------------------------

void BM_pread_4k(benchmark::State& state) {
  Fd fd = scratch().open(0);
  AlignedBuffer buf(kBlock, 4096);
  uint64_t i = 0;
  for (auto _ : state) {
    if (::pread(fd.get(), buf.data(), kBlock, offset_of(i++)) != static_cast<ssize_t>(kBlock))
      return state.SkipWithError("pread failed");
    benchmark::ClobberMemory();
  }
  touches(state, "page cache");
  finish(state);
}
BENCHMARK(BM_pread_4k);

void BM_preadv2_nowait_4k(benchmark::State& state) {
  Fd fd = scratch().open(0);
  AlignedBuffer buf(kBlock, 4096);
  iovec iov{buf.data(), kBlock};
  uint64_t i = 0;
  for (auto _ : state) {
    ssize_t n = ::preadv2(fd.get(), &iov, 1, offset_of(i++), RWF_NOWAIT);
    if (n < 0 && errno == EOPNOTSUPP) return unavailable(state, "RWF_NOWAIT is not supported by this filesystem");
    if (n < 0 && errno == EAGAIN) return unavailable(state, "the block left the page cache (reclaimed meanwhile)");
    if (n != static_cast<ssize_t>(kBlock)) return state.SkipWithError("preadv2 did not read a cached block");
    benchmark::ClobberMemory();
  }
  touches(state, "page cache");
  finish(state);
}
BENCHMARK(BM_preadv2_nowait_4k);

// The miss sync:nowait hands to a worker: the page was dropped, so
// RWF_NOWAIT says EAGAIN at once instead of reading it (manual timing: the
// drop before each call is not the call).
void BM_preadv2_nowait_miss_4k(benchmark::State& state) {
  Fd fd = scratch().open(0);
  AlignedBuffer buf(kBlock, 4096);
  iovec iov{buf.data(), kBlock};
  ::fdatasync(fd.get());  // a dirty page is not dropped
  // No readahead: a miss still reads its own page in the background, and a
  // readahead window in flight could not be dropped before the next call.
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_RANDOM);
  uint64_t i = 0;
  for (auto _ : state) {
    const off_t off = offset_of(i++);
    uint64_t t0 = 0, t1 = 0;
    ssize_t n = 0;
    // The whole file: a range of one page does not drop the large folio that
    // holds it; and a folio the previous miss is still reading in cannot be
    // dropped yet, so a hit is retried (untimed) once it has landed.
    for (int tries = 0; n >= 0 && tries < 100; ++tries) {
      if (tries) ::usleep(200);
      ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
      t0 = now_ns();
      n = ::preadv2(fd.get(), &iov, 1, off, RWF_NOWAIT);
      t1 = now_ns();
    }
    if (n < 0 && errno == EOPNOTSUPP) return unavailable(state, "RWF_NOWAIT is not supported by this filesystem");
    if (n >= 0) return unavailable(state, "the page stayed cached after POSIX_FADV_DONTNEED (dirty or pinned)");
    if (errno != EAGAIN) return state.SkipWithError("preadv2(RWF_NOWAIT) failed other than with EAGAIN");
    state.SetIterationTime(static_cast<double>(t1 - t0) * 1e-9);
  }
  touches(state, "nothing: EAGAIN, the page is not cached");
  finish(state);
}
BENCHMARK(BM_preadv2_nowait_miss_4k)->UseManualTime();

// --- readiness on a descriptor that is always ready (an eventfd with a count) ---

Fd ready_eventfd() {
  Fd fd(::eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC));
  return fd;
}

void BM_poll_ready(benchmark::State& state) {
  Fd fd = ready_eventfd();
  pollfd p{fd.get(), POLLIN, 0};
  for (auto _ : state) benchmark::DoNotOptimize(::poll(&p, 1, 0));
  touches(state, "no I/O (a ready eventfd)");
  finish(state);
}
BENCHMARK(BM_poll_ready);

void BM_epoll_wait_ready(benchmark::State& state) {
  Fd fd = ready_eventfd();
  Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd.get(), &ev);
  for (auto _ : state) benchmark::DoNotOptimize(::epoll_wait(ep.get(), &ev, 1, 0));
  touches(state, "no I/O (a ready eventfd)");
  finish(state);
}
BENCHMARK(BM_epoll_wait_ready);

void BM_select_ready(benchmark::State& state) {
  Fd fd = ready_eventfd();
  for (auto _ : state) {
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fd.get(), &rd);
    timeval tv{0, 0};
    benchmark::DoNotOptimize(::select(fd.get() + 1, &rd, nullptr, nullptr, &tv));
  }
  touches(state, "no I/O (a ready eventfd)");
  finish(state);
}
BENCHMARK(BM_select_ready);

// --- SIGIO round trip: write to a pipe -> signal delivered -> read --------------

thread_local volatile sig_atomic_t g_sigio_seen = 0;
void on_sigio(int, siginfo_t*, void*) { g_sigio_seen = 1; }

// The signal stays blocked for the whole micro run (run_micro); a notification
// left over from an earlier run (closing a pipe raises one) is dropped here.
void drain_signal(int signo) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  timespec zero{0, 0};
  while (sigtimedwait(&set, nullptr, &zero) > 0) {
  }
}

struct SigioPipe {
  Fd rd, wr;
  int signo = SIGRTMIN + 2;
  explicit SigioPipe() {
    drain_signal(signo);
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return;
    rd = Fd(p[0]);
    wr = Fd(p[1]);
    f_owner_ex owner{F_OWNER_TID, static_cast<pid_t>(syscall(SYS_gettid))};
    ::fcntl(rd.get(), F_SETOWN_EX, &owner);
    ::fcntl(rd.get(), F_SETSIG, signo);
    ::fcntl(rd.get(), F_SETFL, ::fcntl(rd.get(), F_GETFL) | O_ASYNC);
  }
};

void BM_sigio_roundtrip_sigwaitinfo(benchmark::State& state) {
  SigioPipe p;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, p.signo);
  char c = 'x';
  for (auto _ : state) {
    if (::write(p.wr.get(), &c, 1) != 1) return state.SkipWithError("pipe write failed");
    siginfo_t info;
    if (sigwaitinfo(&set, &info) != p.signo) return state.SkipWithError("sigwaitinfo failed");
    if (::read(p.rd.get(), &c, 1) != 1) return state.SkipWithError("pipe read failed");
  }
  touches(state, "pipe");
  finish(state);
}
BENCHMARK(BM_sigio_roundtrip_sigwaitinfo);

void BM_sigio_roundtrip_handler(benchmark::State& state) {
  SigioPipe p;
  struct sigaction sa {}, old_sa {};
  sa.sa_sigaction = on_sigio;
  sa.sa_flags = SA_SIGINFO;
  sigaction(p.signo, &sa, &old_sa);
  sigset_t wait_mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &wait_mask);
  sigdelset(&wait_mask, p.signo);
  char c = 'x';
  for (auto _ : state) {
    g_sigio_seen = 0;
    if (::write(p.wr.get(), &c, 1) != 1) return state.SkipWithError("pipe write failed");
    while (!g_sigio_seen) sigsuspend(&wait_mask);
    if (::read(p.rd.get(), &c, 1) != 1) return state.SkipWithError("pipe read failed");
  }
  // Closing the pipe raises one more signal: it stays pending (blocked) and
  // the next SigioPipe drops it.
  sigaction(p.signo, &old_sa, nullptr);
  touches(state, "pipe");
  finish(state);
}
BENCHMARK(BM_sigio_roundtrip_handler);

// --- readiness round trips on a pipe: write -> the model says ready -> read ---------
// The same trip each readiness model makes per request on a stream: poll(2),
// a POLL_ADD through io_uring (single-shot armed per trip, or multishot armed
// once), an IOCB_CMD_POLL through kernel AIO.

struct Pipe {
  Fd rd, wr;
  Pipe() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return;
    rd = Fd(p[0]);
    wr = Fd(p[1]);
  }
  bool trip_write() const { return ::write(wr.get(), "x", 1) == 1; }
  bool trip_read() const {
    char c;
    return ::read(rd.get(), &c, 1) == 1;
  }
};

void BM_poll_roundtrip(benchmark::State& state) {
  Pipe p;
  for (auto _ : state) {
    if (!p.trip_write()) return state.SkipWithError("pipe write failed");
    pollfd pf{p.rd.get(), POLLIN, 0};
    if (::poll(&pf, 1, -1) != 1) return state.SkipWithError("poll failed");
    if (!p.trip_read()) return state.SkipWithError("pipe read failed");
  }
  touches(state, "pipe");
  finish(state);
}
BENCHMARK(BM_poll_roundtrip);

void uring_poll_roundtrip(benchmark::State& state, bool multishot) {
  io_uring ring;
  if (int ret = io_uring_queue_init(4, &ring, 0); ret < 0) return unavailable(state, "io_uring_setup: " + errno_text(-ret));
  Pipe p;
  if (multishot) io_uring_prep_poll_multishot(io_uring_get_sqe(&ring), p.rd.get(), POLLIN);
  std::string failed;
  for (auto _ : state) {
    if (!multishot) io_uring_prep_poll_add(io_uring_get_sqe(&ring), p.rd.get(), POLLIN);
    if (!p.trip_write()) {
      failed = "pipe write failed";
      break;
    }
    io_uring_cqe* cqe = nullptr;
    if (io_uring_submit_and_wait(&ring, 1) < 0 || io_uring_peek_cqe(&ring, &cqe) != 0) {
      failed = "io_uring wait failed";
      break;
    }
    const int res = cqe->res;
    const bool more = cqe->flags & IORING_CQE_F_MORE;
    io_uring_cqe_seen(&ring, cqe);
    if (res == -EINVAL && multishot) {
      failed = "unavailable here: multishot POLL_ADD needs Linux 5.13";
      break;
    }
    if (res <= 0 || (multishot && !more)) {
      failed = "POLL_ADD failed: " + (res < 0 ? errno_text(-res) : std::string("the multishot poll ended"));
      break;
    }
    if (!p.trip_read()) {
      failed = "pipe read failed";
      break;
    }
  }
  io_uring_queue_exit(&ring);
  if (!failed.empty()) return state.SkipWithError(failed.c_str());
  touches(state, "pipe");
  finish(state);
}
void BM_io_uring_poll_add_roundtrip(benchmark::State& s) { uring_poll_roundtrip(s, false); }
void BM_io_uring_poll_multishot_roundtrip(benchmark::State& s) { uring_poll_roundtrip(s, true); }
BENCHMARK(BM_io_uring_poll_add_roundtrip);
BENCHMARK(BM_io_uring_poll_multishot_roundtrip);

void BM_libaio_poll_roundtrip(benchmark::State& state) {
  io_context_t ctx = nullptr;
  if (int ret = io_setup(4, &ctx); ret < 0) return unavailable(state, "io_setup: " + errno_text(-ret));
  Pipe p;
  iocb cb;
  iocb* ptr = &cb;
  io_event ev;
  std::string failed;
  for (auto _ : state) {
    io_prep_poll(&cb, p.rd.get(), POLLIN);
    if (int ret = io_submit(ctx, 1, &ptr); ret != 1) {
      failed = ret == -EINVAL ? "unavailable here: IOCB_CMD_POLL needs Linux 4.18" : "io_submit failed: " + errno_text(-ret);
      break;
    }
    if (!p.trip_write()) {
      failed = "pipe write failed";
      break;
    }
    if (io_getevents(ctx, 1, 1, &ev, nullptr) != 1 || !(static_cast<long>(ev.res) & POLLIN)) {
      failed = "IOCB_CMD_POLL did not report POLLIN";
      break;
    }
    if (!p.trip_read()) {
      failed = "pipe read failed";
      break;
    }
  }
  io_destroy(ctx);
  if (!failed.empty()) return state.SkipWithError(failed.c_str());
  touches(state, "pipe");
  finish(state);
}
BENCHMARK(BM_libaio_poll_roundtrip);

// --- glibc POSIX aio --------------------------------------------------------------

void prep_aiocb(aiocb& cb, int fd, void* buf, off_t offset) {
  std::memset(&cb, 0, sizeof cb);
  cb.aio_fildes = fd;
  cb.aio_buf = buf;
  cb.aio_nbytes = kBlock;
  cb.aio_offset = offset;
}

std::atomic<uint32_t> g_thread_done{0};
void on_aio_done(sigval) {
  g_thread_done.store(1, std::memory_order_release);
  g_thread_done.notify_one();
}

enum class AioNotify { Suspend, Signal, Thread };

// One aio_read round trip per iteration; only the way the completion is
// learnt differs between the three benchmarks.
void aio_read_one(benchmark::State& state, AioNotify how) {
  Fd fd = scratch().open(0);
  AlignedBuffer buf(kBlock, 4096);
  const int signo = SIGRTMIN + 3;  // blocked for the run: taken with sigwaitinfo
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  aiocb cb{};
  uint64_t i = 0;
  for (auto _ : state) {
    prep_aiocb(cb, fd.get(), buf.data(), offset_of(i++));
    if (how == AioNotify::Signal) {
      cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
      cb.aio_sigevent.sigev_signo = signo;
      cb.aio_sigevent.sigev_value.sival_ptr = &cb;
    } else if (how == AioNotify::Thread) {
      cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
      cb.aio_sigevent.sigev_notify_function = on_aio_done;
      g_thread_done.store(0);
    }
    if (aio_read(&cb) != 0) return state.SkipWithError("aio_read failed");
    if (how == AioNotify::Suspend) {
      const aiocb* list[1] = {&cb};
      while (aio_error(&cb) == EINPROGRESS) aio_suspend(list, 1, nullptr);
    } else if (how == AioNotify::Signal) {
      siginfo_t info;
      if (sigwaitinfo(&set, &info) != signo) return state.SkipWithError("sigwaitinfo failed");
    } else {
      g_thread_done.wait(0, std::memory_order_acquire);
    }
    if (aio_return(&cb) != static_cast<ssize_t>(kBlock)) return state.SkipWithError("aio_read short");
  }
  touches(state, "page cache");
  finish(state);
}
void BM_aio_read_suspend_4k(benchmark::State& s) { aio_read_one(s, AioNotify::Suspend); }
void BM_aio_read_sigev_signal_4k(benchmark::State& s) { aio_read_one(s, AioNotify::Signal); }
void BM_aio_read_sigev_thread_4k(benchmark::State& s) { aio_read_one(s, AioNotify::Thread); }
BENCHMARK(BM_aio_read_suspend_4k)->UseRealTime();
BENCHMARK(BM_aio_read_sigev_signal_4k)->UseRealTime();
BENCHMARK(BM_aio_read_sigev_thread_4k)->UseRealTime();

void BM_lio_listio_32x4k(benchmark::State& state) {
  constexpr int kN = 32;
  std::vector<Fd> fds;  // glibc serialises per descriptor: spread over 32
  for (int k = 0; k < kN; ++k) fds.push_back(scratch().open(0));
  AlignedBuffer buf(kBlock * kN, 4096);
  std::vector<aiocb> cbs(kN);
  std::vector<aiocb*> list(kN);
  uint64_t i = 0;
  for (auto _ : state) {
    for (int k = 0; k < kN; ++k) {
      prep_aiocb(cbs[static_cast<size_t>(k)], fds[static_cast<size_t>(k)].get(), buf.data() + k * kBlock, offset_of(i++));
      cbs[static_cast<size_t>(k)].aio_lio_opcode = LIO_READ;
      list[static_cast<size_t>(k)] = &cbs[static_cast<size_t>(k)];
    }
    if (lio_listio(LIO_WAIT, list.data(), kN, nullptr) != 0) return state.SkipWithError("lio_listio failed");
    for (auto& cb : cbs) benchmark::DoNotOptimize(aio_return(&cb));
  }
  touches(state, "page cache");
  finish(state, kN);
}
BENCHMARK(BM_lio_listio_32x4k)->UseRealTime();

// --- libaio -----------------------------------------------------------------------

// On the temporary directory's filesystem, O_DIRECT goes to its device: the
// device's time, not the interface's. On tmpfs it completes at once.
void libaio_batch(benchmark::State& state, int n, bool on_tmpfs) {
  // O_DIRECT when the filesystem allows: buffered kernel AIO is synchronous.
  Fd fd = (on_tmpfs ? tmpfs_scratch() : scratch()).open(O_DIRECT);
  bool direct = static_cast<bool>(fd);
  if (on_tmpfs && !direct)
    return unavailable(state, "O_DIRECT on tmpfs (/dev/shm): " + errno_text(errno) + " (Linux 6.6+)");
  if (!direct) fd = scratch().open(0);
  io_context_t ctx = nullptr;
  if (int e = io_setup(n, &ctx); e != 0) return unavailable(state, "io_setup: " + errno_text(-e) + " (fs.aio-max-nr?)");
  AlignedBuffer buf(kBlock * static_cast<size_t>(n), 4096);
  std::vector<iocb> cbs(static_cast<size_t>(n));
  std::vector<iocb*> ptrs(static_cast<size_t>(n));
  std::vector<io_event> events(static_cast<size_t>(n));
  uint64_t i = 0;
  for (auto _ : state) {
    for (int k = 0; k < n; ++k) {
      io_prep_pread(&cbs[static_cast<size_t>(k)], fd.get(), buf.data() + k * kBlock, kBlock, offset_of(i++));
      ptrs[static_cast<size_t>(k)] = &cbs[static_cast<size_t>(k)];
    }
    if (io_submit(ctx, n, ptrs.data()) != n) {
      io_destroy(ctx);
      return state.SkipWithError("io_submit failed");
    }
    int got = 0;
    while (got < n) {
      int r = io_getevents(ctx, n - got, n - got, events.data(), nullptr);
      if (r < 0 && r != -EINTR) break;
      got += r > 0 ? r : 0;
    }
  }
  io_destroy(ctx);
  touches(state, on_tmpfs ? "O_DIRECT on tmpfs: completes at once"
                 : direct ? "O_DIRECT: device-bound"
                          : "page cache (O_DIRECT refused: buffered kernel AIO is synchronous)");
  finish(state, n);
}
void BM_libaio_submit_getevents_1x4k(benchmark::State& state) { libaio_batch(state, 1, false); }
void BM_libaio_submit_getevents_32x4k(benchmark::State& state) { libaio_batch(state, 32, false); }
void BM_libaio_tmpfs_1x4k(benchmark::State& state) { libaio_batch(state, 1, true); }
void BM_libaio_tmpfs_32x4k(benchmark::State& state) { libaio_batch(state, 32, true); }
BENCHMARK(BM_libaio_submit_getevents_1x4k)->UseRealTime();
BENCHMARK(BM_libaio_submit_getevents_32x4k)->UseRealTime();
BENCHMARK(BM_libaio_tmpfs_1x4k)->UseRealTime();
BENCHMARK(BM_libaio_tmpfs_32x4k)->UseRealTime();

// --- io_uring ---------------------------------------------------------------------

enum class UringOp { Nop, Read, ReadFixed };

// How a round trip enters the kernel: once, submitting and waiting in one
// call (io_uring_submit_and_wait, io_uring:batch's call), or submitting
// alone and taking what completed inline from the queue with no second call
// (io_uring_submit, then a peek: the loop of io_uring:default and :fixed).
enum class Enter { SubmitAndWait, SubmitThenPeek };

// `flags`: the ring's setup flags; `ring_fd`: io_uring_enter by the
// registered ring's index instead of its descriptor (no fdget per call).
void uring_batch(benchmark::State& state, int n, UringOp op, unsigned flags, Enter enter = Enter::SubmitAndWait,
                 bool ring_fd = false) {
  io_uring ring;
  io_uring_params p{};
  p.flags = flags;
  if (flags & IORING_SETUP_SQPOLL) p.sq_thread_idle = 1000;
  int ret = io_uring_queue_init_params(static_cast<unsigned>(n) * 2, &ring, &p);
  if (ret < 0)
    return unavailable(state, "io_uring_setup: " + errno_text(-ret) +
                                  (ret == -EINVAL ? " (a setup flag this kernel lacks: COOP_TASKRUN 5.19, "
                                                    "SINGLE_ISSUER 6.0, DEFER_TASKRUN 6.1)"
                                                  : ""));
  if (ring_fd && io_uring_register_ring_fd(&ring) != 1) {
    io_uring_queue_exit(&ring);
    return unavailable(state, "io_uring_register_ring_fd refused (it needs Linux 5.18)");
  }
  Fd fd = scratch().open(0);
  AlignedBuffer buf(kBlock * static_cast<size_t>(n), 4096);
  if (op == UringOp::ReadFixed) {
    std::vector<iovec> iov(static_cast<size_t>(n));
    for (int k = 0; k < n; ++k) iov[static_cast<size_t>(k)] = {buf.data() + k * kBlock, kBlock};
    if (io_uring_register_buffers(&ring, iov.data(), static_cast<unsigned>(n)) != 0) {
      io_uring_queue_exit(&ring);
      return unavailable(state, "io_uring_register_buffers: locked memory limit (ulimit -l)");
    }
  }
  uint64_t i = 0;
  for (auto _ : state) {
    for (int k = 0; k < n; ++k) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      unsigned char* b = buf.data() + k * kBlock;
      if (op == UringOp::Nop) io_uring_prep_nop(sqe);
      else if (op == UringOp::Read) io_uring_prep_read(sqe, fd.get(), b, kBlock, static_cast<__u64>(offset_of(i++)));
      else io_uring_prep_read_fixed(sqe, fd.get(), b, kBlock, static_cast<__u64>(offset_of(i++)), k);
    }
    if (enter == Enter::SubmitAndWait) io_uring_submit_and_wait(&ring, static_cast<unsigned>(n));
    else io_uring_submit(&ring);
    int seen = 0;
    while (seen < n) {
      io_uring_cqe* cqe;
      if (io_uring_wait_cqe(&ring, &cqe) != 0) break;
      if (cqe->res < 0) {
        io_uring_queue_exit(&ring);
        return state.SkipWithError(("io_uring op failed: " + errno_text(-cqe->res)).c_str());
      }
      io_uring_cqe_seen(&ring, cqe);
      ++seen;
    }
  }
  io_uring_queue_exit(&ring);
  touches(state, op == UringOp::Nop ? "no I/O" : "page cache");
  finish(state, n);
}
void BM_io_uring_nop_1(benchmark::State& s) { uring_batch(s, 1, UringOp::Nop, 0); }
void BM_io_uring_nop_32(benchmark::State& s) { uring_batch(s, 32, UringOp::Nop, 0); }
// What each setup flag iobench's rings use buys on a NOP round trip.
void BM_io_uring_nop_1_coop(benchmark::State& s) { uring_batch(s, 1, UringOp::Nop, IORING_SETUP_COOP_TASKRUN); }
void BM_io_uring_nop_1_coop_single(benchmark::State& s) {
  uring_batch(s, 1, UringOp::Nop, IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER);
}
void BM_io_uring_nop_1_coop_single_defer(benchmark::State& s) {
  uring_batch(s, 1, UringOp::Nop, IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
}
void BM_io_uring_nop_1_ring_fd(benchmark::State& s) { uring_batch(s, 1, UringOp::Nop, 0, Enter::SubmitAndWait, true); }
void BM_io_uring_read_1x4k(benchmark::State& s) { uring_batch(s, 1, UringOp::Read, 0); }
void BM_io_uring_read_32x4k(benchmark::State& s) { uring_batch(s, 32, UringOp::Read, 0); }
void BM_io_uring_read_fixed_1x4k(benchmark::State& s) { uring_batch(s, 1, UringOp::ReadFixed, 0); }
void BM_io_uring_read_fixed_32x4k(benchmark::State& s) { uring_batch(s, 32, UringOp::ReadFixed, 0); }
void BM_io_uring_sqpoll_read_1x4k(benchmark::State& s) { uring_batch(s, 1, UringOp::Read, IORING_SETUP_SQPOLL); }
void BM_io_uring_read_submit_1x4k(benchmark::State& s) { uring_batch(s, 1, UringOp::Read, 0, Enter::SubmitThenPeek); }
void BM_io_uring_read_fixed_submit_1x4k(benchmark::State& s) {
  uring_batch(s, 1, UringOp::ReadFixed, 0, Enter::SubmitThenPeek);
}
void BM_io_uring_read_fixed_submit_32x4k(benchmark::State& s) {
  uring_batch(s, 32, UringOp::ReadFixed, 0, Enter::SubmitThenPeek);
}
BENCHMARK(BM_io_uring_nop_1);
BENCHMARK(BM_io_uring_nop_32);
BENCHMARK(BM_io_uring_nop_1_coop);
BENCHMARK(BM_io_uring_nop_1_coop_single);
BENCHMARK(BM_io_uring_nop_1_coop_single_defer);
BENCHMARK(BM_io_uring_nop_1_ring_fd);
BENCHMARK(BM_io_uring_read_1x4k);
BENCHMARK(BM_io_uring_read_32x4k);
BENCHMARK(BM_io_uring_read_fixed_1x4k);
BENCHMARK(BM_io_uring_read_fixed_32x4k);
BENCHMARK(BM_io_uring_sqpoll_read_1x4k)->UseRealTime();  // the work happens in the kernel's SQ thread
BENCHMARK(BM_io_uring_read_submit_1x4k);
BENCHMARK(BM_io_uring_read_fixed_submit_1x4k);
BENCHMARK(BM_io_uring_read_fixed_submit_32x4k);

// --- flushes: fsync through each interface -------------------------------------

enum class Flush { Plain, Glibc, Libaio, Uring };

// A 4k page-cache write, then a flush through the interface, waited for:
// the flush goes to the device, which bounds its time.
void flush_one(benchmark::State& state, Flush how) {
  Fd fd = scratch().open(0);
  AlignedBuffer buf(kBlock, 4096);
  std::memset(buf.data(), 'y', kBlock);
  io_context_t ctx = nullptr;
  io_uring ring{};
  if (how == Flush::Libaio)
    if (int e = io_setup(1, &ctx); e != 0) return unavailable(state, "io_setup: " + errno_text(-e));
  if (how == Flush::Uring)
    if (int e = io_uring_queue_init(2, &ring, 0); e < 0) return unavailable(state, "io_uring_setup: " + errno_text(-e));
  std::string failed;
  uint64_t i = 0;
  for (auto _ : state) {
    if (::pwrite(fd.get(), buf.data(), kBlock, offset_of(i++)) != static_cast<ssize_t>(kBlock)) {
      failed = "pwrite failed";
      break;
    }
    if (how == Flush::Plain) {
      if (::fsync(fd.get()) != 0) failed = "fsync: " + errno_text(errno);
    } else if (how == Flush::Glibc) {
      aiocb cb{};
      cb.aio_fildes = fd.get();
      if (aio_fsync(O_SYNC, &cb) != 0) {
        failed = "aio_fsync: " + errno_text(errno);
        break;
      }
      const aiocb* list[1] = {&cb};
      while (aio_error(&cb) == EINPROGRESS) aio_suspend(list, 1, nullptr);
      if (aio_return(&cb) != 0) failed = "aio_fsync failed";
    } else if (how == Flush::Libaio) {
      iocb cb{};
      iocb* ptr = &cb;
      io_prep_fsync(&cb, fd.get());
      io_event ev{};
      int r;
      while ((r = io_submit(ctx, 1, &ptr)) == -EAGAIN || r == -EINTR) {
      }
      int got = 0;
      while (r == 1 && (got = io_getevents(ctx, 1, 1, &ev, nullptr)) == -EINTR) {
      }
      if (r != 1) failed = "io_submit (IOCB_CMD_FSYNC): " + errno_text(-r);
      else if (got != 1) failed = "io_getevents: " + errno_text(-got);
      else if (static_cast<long>(ev.res) < 0) failed = "IOCB_CMD_FSYNC: " + errno_text(static_cast<int>(-static_cast<long>(ev.res)));
    } else {
      io_uring_prep_fsync(io_uring_get_sqe(&ring), fd.get(), 0);
      io_uring_cqe* cqe = nullptr;
      if (io_uring_submit_and_wait(&ring, 1) < 0 || io_uring_wait_cqe(&ring, &cqe) != 0) {
        failed = "io_uring_submit_and_wait failed";
        break;
      }
      if (cqe->res < 0) failed = "IORING_OP_FSYNC: " + errno_text(-cqe->res);
      io_uring_cqe_seen(&ring, cqe);
    }
    if (!failed.empty()) break;
  }
  if (how == Flush::Libaio) io_destroy(ctx);
  if (how == Flush::Uring) io_uring_queue_exit(&ring);
  if (!failed.empty()) return state.SkipWithError(failed.c_str());
  touches(state, "fsync: device-bound");
  finish(state);
}
void BM_fsync_4k(benchmark::State& s) { flush_one(s, Flush::Plain); }
void BM_aio_fsync_4k(benchmark::State& s) { flush_one(s, Flush::Glibc); }
void BM_libaio_fsync_4k(benchmark::State& s) { flush_one(s, Flush::Libaio); }
void BM_io_uring_fsync_4k(benchmark::State& s) { flush_one(s, Flush::Uring); }
BENCHMARK(BM_fsync_4k)->UseRealTime();
BENCHMARK(BM_aio_fsync_4k)->UseRealTime();
BENCHMARK(BM_libaio_fsync_4k)->UseRealTime();
BENCHMARK(BM_io_uring_fsync_4k)->UseRealTime();

// --- cancellation: the cancel call alone, timed by hand ----------------------------

double seconds_since(uint64_t t0) { return static_cast<double>(now_ns() - t0) / 1e9; }

// glibc runs one request per descriptor at a time: a read blocked on an
// empty pipe holds the descriptor, and a second read waits in glibc's queue,
// not started, where aio_cancel can take it back.
void BM_aio_cancel_queued(benchmark::State& state) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return unavailable(state, "pipe2: " + errno_text(errno));
  Fd rd(p[0]), wr(p[1]);
  AlignedBuffer buf(2 * kBlock, 4096);
  aiocb holder{}, cb{};
  prep_aiocb(holder, rd.get(), buf.data(), 0);
  if (aio_read(&holder) != 0) return state.SkipWithError("aio_read failed");
  std::string failed;
  bool queued = false;  // cb was submitted at least once
  for (auto _ : state) {
    prep_aiocb(cb, rd.get(), buf.data() + kBlock, 0);
    if (aio_read(&cb) != 0) {
      failed = "aio_read failed";
      break;
    }
    queued = true;
    const uint64_t t0 = now_ns();
    const int r = aio_cancel(rd.get(), &cb);
    state.SetIterationTime(seconds_since(t0));
    if (r != AIO_CANCELED) {
      failed = "unavailable here: glibc had started the queued read (aio_cancel: " + std::to_string(r) + ")";
      break;
    }
    aio_return(&cb);
  }
  // Data for the holder (and for the queued read, if glibc started it), then both are done.
  std::vector<char> data(2 * kBlock, 'z');
  if (::write(wr.get(), data.data(), data.size()) < 0) failed = "write to the pipe failed";
  for (aiocb* c : {&holder, &cb}) {
    const aiocb* list[1] = {c};
    while ((c == &holder || queued) && aio_error(c) == EINPROGRESS) aio_suspend(list, 1, nullptr);
  }
  if (!failed.empty()) return state.SkipWithError(failed.c_str());
  touches(state, "cancel: a request queued in the interface");
  finish(state);
}
BENCHMARK(BM_aio_cancel_queued)->UseManualTime();

// aio_cancel of a read that has completed: AIO_ALLDONE.
void BM_aio_cancel_done(benchmark::State& state) {
  Fd fd = scratch().open(0);
  AlignedBuffer buf(kBlock, 4096);
  aiocb cb{};
  uint64_t i = 0;
  for (auto _ : state) {
    prep_aiocb(cb, fd.get(), buf.data(), offset_of(i++));
    if (aio_read(&cb) != 0) return state.SkipWithError("aio_read failed");
    const aiocb* list[1] = {&cb};
    while (aio_error(&cb) == EINPROGRESS) aio_suspend(list, 1, nullptr);
    const uint64_t t0 = now_ns();
    const int r = aio_cancel(fd.get(), &cb);
    state.SetIterationTime(seconds_since(t0));
    aio_return(&cb);
    if (r != AIO_ALLDONE) return state.SkipWithError(("aio_cancel of a finished read: " + std::to_string(r)).c_str());
  }
  touches(state, "cancel: a finished request");
  finish(state);
}
BENCHMARK(BM_aio_cancel_done)->UseManualTime();

// io_cancel of an O_DIRECT file read: files and block devices install no
// cancel function, so the kernel refuses (EINVAL) while the read goes on.
void BM_libaio_cancel_refused(benchmark::State& state) {
  Fd fd = scratch().open(O_DIRECT);
  if (!fd) return unavailable(state, "O_DIRECT on the temporary directory: " + errno_text(errno));
  io_context_t ctx = nullptr;
  if (int e = io_setup(1, &ctx); e != 0) return unavailable(state, "io_setup: " + errno_text(-e));
  AlignedBuffer buf(kBlock, 4096);
  std::string failed;
  uint64_t i = 0;
  for (auto _ : state) {
    iocb cb{};
    iocb* ptr = &cb;
    io_prep_pread(&cb, fd.get(), buf.data(), kBlock, offset_of(i++));
    if (io_submit(ctx, 1, &ptr) != 1) {
      failed = "io_submit failed";
      break;
    }
    io_event ev{};
    const uint64_t t0 = now_ns();
    const int r = io_cancel(ctx, &cb, &ev);
    state.SetIterationTime(seconds_since(t0));
    int got;
    while ((got = io_getevents(ctx, 1, 1, &ev, nullptr)) == -EINTR) {
    }
    if (got != 1) failed = "io_getevents failed: " + (got < 0 ? errno_text(-got) : std::to_string(got) + " events");
    if (r != -EINVAL && failed.empty()) failed = "io_cancel of a file read: " + errno_text(-r) + " (EINVAL expected)";
    if (!failed.empty()) break;
  }
  io_destroy(ctx);
  if (!failed.empty()) return state.SkipWithError(failed.c_str());
  touches(state, "cancel: refused (no cancel function)");
  finish(state);
}
BENCHMARK(BM_libaio_cancel_refused)->UseManualTime();

// IORING_OP_ASYNC_CANCEL by user_data, submission to its completion: a read
// waiting on an empty pipe (io_uring holds it, armed on the pipe's poll) is
// taken back (-ECANCELED); a finished one is not found (-ENOENT).
void uring_cancel(benchmark::State& state, bool pending) {
  io_uring ring;
  if (int e = io_uring_queue_init(4, &ring, 0); e < 0) return unavailable(state, "io_uring_setup: " + errno_text(-e));
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    io_uring_queue_exit(&ring);
    return unavailable(state, "pipe2: " + errno_text(errno));
  }
  Fd rd(p[0]), wr(p[1]);
  AlignedBuffer buf(kBlock, 4096);
  std::string failed;
  for (auto _ : state) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (pending) io_uring_prep_read(sqe, rd.get(), buf.data(), kBlock, 0);
    else io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, 1);
    io_uring_cqe* cqe = nullptr;
    if (io_uring_submit(&ring) != 1) {
      failed = "io_uring_submit failed";
      break;
    }
    if (!pending) {  // let it finish first
      io_uring_wait_cqe(&ring, &cqe);
      io_uring_cqe_seen(&ring, cqe);
    }
    const uint64_t t0 = now_ns();
    sqe = io_uring_get_sqe(&ring);
    io_uring_prep_cancel64(sqe, 1, 0);
    io_uring_sqe_set_data64(sqe, 2);
    const unsigned want = pending ? 2 : 1;
    io_uring_submit_and_wait(&ring, want);
    int cancel_res = 1, target_res = 1;
    for (unsigned seen = 0; seen < want && io_uring_wait_cqe(&ring, &cqe) == 0; ++seen) {
      (io_uring_cqe_get_data64(cqe) == 2 ? cancel_res : target_res) = cqe->res;
      io_uring_cqe_seen(&ring, cqe);
    }
    state.SetIterationTime(seconds_since(t0));
    if (pending ? (cancel_res != 0 || target_res != -ECANCELED) : cancel_res != -ENOENT) {
      failed = "IORING_OP_ASYNC_CANCEL: cancel " + std::to_string(cancel_res) + ", target " + std::to_string(target_res);
      break;
    }
  }
  io_uring_queue_exit(&ring);
  if (!failed.empty()) return state.SkipWithError(failed.c_str());
  touches(state, pending ? "cancel: a request pending in the interface" : "cancel: a finished request");
  finish(state);
}
void BM_io_uring_cancel_pending(benchmark::State& s) { uring_cancel(s, true); }
void BM_io_uring_cancel_done(benchmark::State& s) { uring_cancel(s, false); }
BENCHMARK(BM_io_uring_cancel_pending)->UseManualTime();
BENCHMARK(BM_io_uring_cancel_done)->UseManualTime();

}  // namespace

int run_micro(int argc, char** argv) {
  // Real-time signals and SIGIO carry notifications in these benchmarks;
  // blocked in every thread from the start, they never kill a bystander.
  sigset_t rt;
  sigemptyset(&rt);
  for (int s = SIGRTMIN; s <= SIGRTMAX; ++s) sigaddset(&rt, s);
  sigaddset(&rt, SIGIO);
  pthread_sigmask(SIG_BLOCK, &rt, nullptr);
  // "-o FILE": the results/ convention, a JSON file per run. Google
  // Benchmark writes it in place, so it writes a temporary file that
  // replaces FILE only once it is whole.
  std::vector<std::string> args{"iobench micro"};
  std::string output;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "-o" || a == "--output") && i + 1 < argc) output = argv[++i];
    else args.push_back(a);
  }
  std::optional<AtomicFile> out;
  if (!output.empty()) {
    check_output_path(output, "--output");
    out.emplace(output);
    args.push_back("--benchmark_out=" + out->temp_path());
    args.push_back("--benchmark_out_format=json");
  }
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  int cargc = static_cast<int>(cargv.size());
  benchmark::Initialize(&cargc, cargv.data());
  if (benchmark::ReportUnrecognizedArguments(cargc, cargv.data())) return 2;
  benchmark::AddCustomContext("iobench_version", iobench::build_info::kVersion);
  benchmark::AddCustomContext("git_sha", iobench::build_info::kGitSha);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (out) {
    // A full disk leaves a cut-off report behind, and Google Benchmark says nothing.
    std::ifstream in(out->temp_path());
    if (!nlohmann::json::accept(in))
      throw RuntimeError("cannot write '" + output + "': the report came out incomplete (is the disk full?); " +
                         "the previous file is left as it was");
    out->commit();
  }
  return 0;
}

}  // namespace iobench
