// What glibc's POSIX aio does with aio_cancel, which the posixaio backend
// works around (one descriptor per slot under --cancel-pct): cancelling the
// request first in a descriptor's queue while it waits for a helper thread
// leaves the requests behind it marked runnable but on no run list, so no
// helper ever takes them (glibc 2.36, sysdeps/pthread/aio_misc.c,
// __aio_remove_request). Run in a process of its own (ctest does), so
// aio_init's one helper thread holds.
#include <aio.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "core/fd.h"
#include "test_util.h"

namespace iobench {
namespace {

int wait_done(const aiocb& cb, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (aio_error(&cb) == EINPROGRESS && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return aio_error(&cb);
}

TEST(GlibcAio, CancellingAQueuedFirstRequestStrandsTheOnesBehindIt) {
  if (std::string why = sanitizer_cannot_run("posixaio"); !why.empty()) GTEST_SKIP() << why;
  aioinit init{};
  init.aio_threads = 1;
  init.aio_num = 32;
  init.aio_idle_time = 1;
  aio_init(&init);
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  Fd pr(p[0]), pw(p[1]);
  const std::string path = scratch_path("glibc-aio");
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd) << path;
  ::unlink(path.c_str());
  ASSERT_EQ(ftruncate(fd.get(), 3 * 4096), 0);
  static char buf[3][4096];
  aiocb busy{}, first{}, behind{};
  busy.aio_fildes = pr.get();  // keeps the one helper thread in read() until the pipe gets a byte
  busy.aio_buf = buf[0];
  busy.aio_nbytes = 1;
  first.aio_fildes = behind.aio_fildes = fd.get();
  first.aio_buf = buf[1];
  behind.aio_buf = buf[2];
  first.aio_nbytes = behind.aio_nbytes = 4096;
  behind.aio_offset = 4096;
  ASSERT_EQ(aio_read(&busy), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(aio_read(&first), 0);   // first of its descriptor: on the run list, waiting for the helper
  ASSERT_EQ(aio_read(&behind), 0);  // queued behind it
  const int c = aio_cancel(fd.get(), &first);
  ASSERT_EQ(write(pw.get(), "x", 1), 1);  // the helper is free again
  if (c != AIO_CANCELED) {
    wait_done(behind, std::chrono::seconds(5));
    GTEST_SKIP() << "the helper took the first request before aio_cancel (" << c << "): nothing to show";
  }
  EXPECT_EQ(aio_error(&first), ECANCELED);
  ASSERT_EQ(wait_done(busy, std::chrono::seconds(5)), 0);
  const int left = wait_done(behind, std::chrono::milliseconds(500));
  if (left != EINPROGRESS) GTEST_SKIP() << "this glibc runs the request behind a cancelled one: the posixaio "
                                          "backend's one descriptor per slot under --cancel-pct is no longer needed";
  // Stranded: the helper is idle and it still has not run. Only another
  // cancel takes it back.
  EXPECT_EQ(aio_cancel(fd.get(), &behind), AIO_CANCELED);
  EXPECT_EQ(aio_error(&behind), ECANCELED);
}

}  // namespace
}  // namespace iobench
