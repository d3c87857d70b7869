"""iobench micro in CI: every benchmark reports a positive time, or is
skipped with "unavailable here: why" when its primitive is not on this
machine (any other error fails); the cost ladder plot renders from the report."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

IOBENCH = os.environ.get("IOBENCH", "../build/iobench")
PLOTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "plots")
EXPECTED = ["syscall_getppid", "pread_4k", "preadv2_nowait_4k", "preadv2_nowait_miss_4k", "poll_ready", "epoll_wait_ready", "select_ready",
            "sigio_roundtrip_sigwaitinfo", "sigio_roundtrip_handler", "poll_roundtrip",
            "io_uring_poll_add_roundtrip", "io_uring_poll_multishot_roundtrip", "libaio_poll_roundtrip", "aio_read_suspend_4k",
            "aio_read_sigev_signal_4k", "aio_read_sigev_thread_4k", "lio_listio_32x4k",
            "libaio_submit_getevents_1x4k", "libaio_submit_getevents_32x4k", "libaio_tmpfs_1x4k", "libaio_tmpfs_32x4k",
            "io_uring_nop_1", "io_uring_nop_32", "io_uring_nop_1_coop", "io_uring_nop_1_coop_single",
            "io_uring_nop_1_coop_single_defer", "io_uring_nop_1_ring_fd",
            "io_uring_read_1x4k", "io_uring_read_32x4k", "io_uring_read_fixed_1x4k", "io_uring_read_fixed_32x4k",
            "io_uring_sqpoll_read_1x4k", "io_uring_read_submit_1x4k", "io_uring_read_fixed_submit_1x4k",
            "io_uring_read_fixed_submit_32x4k", "fsync_4k", "aio_fsync_4k", "libaio_fsync_4k", "io_uring_fsync_4k",
            "aio_cancel_queued", "aio_cancel_done", "libaio_cancel_refused", "io_uring_cancel_pending",
            "io_uring_cancel_done"]


LABELS = {"no I/O", "no I/O (a ready eventfd)", "page cache", "pipe", "O_DIRECT: device-bound",
          "O_DIRECT on tmpfs: completes at once",
          "page cache (O_DIRECT refused: buffered kernel AIO is synchronous)", "fsync: device-bound",
          "cancel: a request queued in the interface", "cancel: a request pending in the interface",
          "cancel: a finished request", "cancel: refused (no cancel function)",
          "nothing: EAGAIN, the page is not cached"}


class MicroTest(unittest.TestCase):
    def test_every_benchmark_reports_a_positive_time_or_a_reason(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "micro.json")
            p = subprocess.run([IOBENCH, "micro", "--benchmark_min_time=0.001", "-o", out], capture_output=True,
                               text=True, timeout=600)
            self.assertEqual(p.returncode, 0, p.stderr)
            doc = json.load(open(out))
            self.assertRegex(doc["context"]["iobench_version"], r"^\d+\.\d+\.\d+$")
            self.assertTrue(doc["context"]["git_sha"])
            names = {b["name"].replace("BM_", "").split("/")[0]: b for b in doc["benchmarks"]}
            for name in EXPECTED:
                with self.subTest(name=name):
                    self.assertIn(name, names)
                    b = names[name]
                    if b.get("error_occurred"):
                        why = b.get("error_message", "")
                        self.assertTrue(why.startswith("unavailable here: "), f"{name} failed: {why}")
                        print(f"skipped {name}: {why}", file=sys.stderr)
                        continue
                    self.assertGreater(b["real_time"], 0)
                    self.assertGreater(b["cpu_time"], 0)
                    self.assertGreater(b["iterations"], 0)
                    self.assertGreater(b["items_per_second"], 0)
                    # What it touched is on the chart beside its bar: a
                    # device's time must never pass for an interface's.
                    self.assertIn(b.get("label", ""), LABELS, name)
                    if name.startswith("libaio_tmpfs"):
                        self.assertEqual(b["label"], "O_DIRECT on tmpfs: completes at once")
            png = os.path.join(d, "ladder.png")
            p = subprocess.run([sys.executable, os.path.join(PLOTS, "cost_ladder.py"), out, "-o", png],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertGreater(os.path.getsize(png), 5000)

    def test_flags_pass_through_to_google_benchmark(self):
        p = subprocess.run([IOBENCH, "micro", "--benchmark_list_tests", "--benchmark_filter=io_uring"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        listed = p.stdout.split()
        self.assertTrue(listed and all("io_uring" in n for n in listed), listed)
        p = subprocess.run([IOBENCH, "micro", "--no-such-flag"], capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)

    def test_cost_ladder_refuses_other_files(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump({"results": []}, f)
            f.flush()
            p = subprocess.run([sys.executable, os.path.join(PLOTS, "cost_ladder.py"), f.name, "-o", "/tmp/x.png"],
                               capture_output=True, text=True)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("not an iobench micro report", p.stderr)


if __name__ == "__main__":
    unittest.main()
