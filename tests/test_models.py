"""More models. The hybrid sync:nowait: preadv2(RWF_NOWAIT) in the job
thread and the misses to a worker pool; on a page-cached file nearly every
read is served inline, on a file whose pages were dropped most go to the
workers, and the two counters add up to the requests; sync:hipri is refused
with the reason. io_uring's setup flags as an axis: each point has exactly
the set asked for, and a set the kernel refuses is a skip naming the flag
(forced with IOBENCH_URING_REFUSE, as a kernel without it would). Readiness
through io_uring (POLL_ADD, multishot or single-shot) and kernel AIO
(IOCB_CMD_POLL) on emu, every block verified; skipped on files and where the
kernel lacks the opcode, with the reason. What the run loop reads of the
clock: an inline io_uring completion is stamped by its submit call, and
--lat-sample times a sample of the requests."""
import json
import os
import unittest

import jsonschema

from test_cli import SCHEMA, ScratchDir, run


class NowaitTest(ScratchDir, unittest.TestCase):
    def nowait(self, data, *args):
        r = self.run_ok("--target", "file:" + data, "--size", "64M", "--rw", "randread", "--qd", "4", "--ops",
                        "2000", "--verify", "--backend", "sync:nowait", *args)
        s = r["summary"]
        c = s["counters"]
        self.assertEqual((s["ops"], s["errors"]), (2000, 0))
        self.assertEqual(c["nowait_inline"] + c["nowait_fallback"], s["ops"])
        return c["nowait_inline"] / s["ops"]

    def test_cached_reads_are_inline_and_dropped_ones_fall_back(self):
        data = os.path.join(self.dir.name, "data")
        # Written and then read whole: every page cached.
        p = run("run", "--target", "file:" + data, "--size", "64M", "--rw", "read", "--bs", "1M", "--ops", "64",
                "--backend", "sync", "-o", self.out, "-q")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreater(self.nowait(data), 0.95)
        self.assertLess(self.nowait(data, "--cache", "cold"), 0.5)
        self.assertGreater(self.nowait(data, "--cache", "warm"), 0.95)

    def test_hipri_is_refused_with_the_reason(self):
        p = run("run", "--backend", "sync:hipri", "--ops", "10", "-o", self.out)
        self.assertEqual(p.returncode, 2)
        self.assertIn("ignores RWF_HIPRI", p.stderr)
        self.assertIn("io_uring:iopoll", p.stderr)
        self.assertFalse(os.path.exists(self.out))
        p = run("list", "--json")
        sync = next(b for b in json.loads(p.stdout)["backends"] if b["name"] == "sync")
        self.assertEqual([v["name"] for v in sync["variants"]], ["default", "nowait"])
        self.assertEqual(sync["refused_variants"][0]["name"], "hipri")


class LoopStampTest(ScratchDir, unittest.TestCase):
    """A read served inside io_uring_submit (a page-cached file) was in the completion queue when the call
    returned: the clock read that ends the call is its completion stamp, so its latency is exactly its
    submission time, with no third clock read in the loop. sqpoll's submit does not wait for the kernel: its
    completions come later and are stamped when reaped."""

    def test_an_inline_completion_is_stamped_by_its_submit(self):
        data = os.path.join(self.dir.name, "data")
        self.run_ok("--target", "file:" + data, "--size", "16M", "--rw", "randread", "--qd", "1", "--ops", "5000",
                    "--cache", "warm", "--backend", "io_uring:default,io_uring:fixed,io_uring:sqpoll")
        with open(self.out) as f:
            results = json.load(f)["results"]
        self.assertEqual([res["status"] for res in results], ["ok"] * 3)
        for res in results:
            s = res["summary"]
            lat, sub = s["lat_ns"]["percentiles"], s["submit_ns"]["percentiles"]
            if res["variant"] == "sqpoll":
                self.assertGreater(lat["50"], sub["50"])
            else:
                self.assertEqual((lat["50"], lat["90"]), (sub["50"], sub["90"]), res["variant"])


class LatSampleTest(ScratchDir, unittest.TestCase):
    """--lat-sample N times one request in N: the latency histograms hold that many samples (and say so),
    IOPS and bytes count every request, and an emu run's notification delays come from the same requests."""

    def test_one_request_in_n_is_timed_and_every_one_counted(self):
        data = os.path.join(self.dir.name, "data")
        self.run_ok("--target", "file:" + data, "--size", "16M", "--rw", "randread", "--qd", "1", "--ops", "20000",
                    "--cache", "warm", "--lat-sample", "10", "--histogram", "--backend", "io_uring,sync,libaio")
        with open(self.out) as f:
            results = json.load(f)["results"]
        for r in results:
            with self.subTest(backend=r["backend"]):
                s = r["summary"]
                self.assertEqual(r["workload"]["lat_sample"], 10)
                self.assertEqual((s["ops"], s["errors"], s["bytes"]), (20000, 0, 20000 * 4096))
                n = s["lat_ns"]["samples"]
                self.assertTrue(1500 < n < 2500, n)  # binomial(20000, 0.1): sd 42
                self.assertEqual(sum(c for _, c in s["lat_ns"]["histogram"]), n)
                if "submit_ns" in s:
                    self.assertEqual(s["submit_ns"]["samples"], n)
                self.assertTrue(any(f"from {n} of 20000 requests" in note for note in r["notes"]), r["notes"])

    def test_notification_delays_come_from_the_sampled_reads(self):
        self.run_ok("--target", "emu", "--backend", "poll:epoll", "--rw", "read", "--qd", "4", "--ops", "2000",
                    "--verify", "--lat-sample", "4")
        with open(self.out) as f:
            s = json.load(f)["results"][0]["summary"]
        self.assertEqual(s["ops"], 2000)
        self.assertEqual(s["notify_ns"]["samples"], s["lat_ns"]["samples"])
        self.assertTrue(300 < s["lat_ns"]["samples"] < 700)

    def test_bad_values_and_figures_that_need_every_request_are_refused(self):
        self.assert_refused([(["--lat-sample", "0"], "--lat-sample"), (["--lat-sample", "65537"], "1 to 65536"),
                             (["--lat-sample", "x"], "--lat-sample"),
                             (["--lat-sample", "8", "--series", "100ms"], "--series needs every request timed"),
                             (["--lat-sample", "8", "--rate", "1000"], "--rate needs every request timed"),
                             (["--lat-sample", "8", "--trace", os.path.join(self.dir.name, "t.json")],
                              "--trace needs every request timed")])


class UringSetupTest(ScratchDir, unittest.TestCase):
    SETS = ["none", "coop", "coop+single", "coop+single+defer", "ring-fd"]

    def sweep(self, *args, env=None):
        p = run("run", "--backend", "io_uring:default,io_uring:batch,io_uring:sqpoll", "--uring-setup",
                ",".join(self.SETS), "--ops", "300", "--verify", *args, "-o", self.out, "-q", env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.out) as f:
            doc = json.load(f)
        jsonschema.validate(doc, SCHEMA)
        self.assertEqual(len(doc["results"]), 3 * len(self.SETS))
        return doc["results"]

    def test_every_point_has_exactly_its_set_or_a_reason(self):
        for r in self.sweep():
            name = f"{r['variant']} {r['workload']['uring_setup']}"
            with self.subTest(point=name):
                want = r["workload"]["uring_setup"]
                self.assertIn(f"uring_setup={want}", r["workload"]["name"])
                if r["variant"] == "sqpoll" and want not in ("none", "ring-fd"):
                    # The kernel refuses the task-run flags on an SQPOLL ring: skipped, never run without them.
                    self.assertEqual(r["status"], "skipped")
                    self.assertIn("does not go with this variant's ring", r["reason"])
                    continue
                self.assertEqual(r["status"], "ok", r["reason"])
                self.assertEqual(r["summary"]["ops"], 300)
                self.assertIn(f"io_uring setup: {want} (--uring-setup)", r["notes"])

    def test_a_flag_the_kernel_lacks_skips_its_points_with_the_reason(self):
        env = dict(os.environ, IOBENCH_URING_REFUSE="defer")
        for r in self.sweep(env=env):
            want = r["workload"]["uring_setup"]
            with self.subTest(point=f"{r['variant']} {want}"):
                if "defer" in want:
                    self.assertEqual(r["status"], "skipped")
                    self.assertIn("IORING_SETUP_DEFER_TASKRUN", r["reason"])
                elif r["variant"] != "sqpoll" or want in ("none", "ring-fd"):
                    self.assertEqual(r["status"], "ok", r["reason"])

    def test_bad_sets_are_refused(self):
        self.assert_refused([(["--uring-setup", "turbo"], "expected none, or names joined by '+' from: coop, single"),
                             (["--uring-setup", "coop+coop"], "--uring-setup"),
                             (["--uring-setup", "coop+"], "--uring-setup"),
                             (["--backend", "sync", "--uring-setup", "coop"], "only applies to io_uring")])


class ReadinessTest(ScratchDir, unittest.TestCase):
    VARIANTS = ["io_uring:poll", "libaio:poll"]

    def results(self, *args, env=None, backends=None):
        p = run("run", "--backend", ",".join(backends or self.VARIANTS), "--ops", "400", *args, "-o", self.out, "-q",
                env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.out) as f:
            doc = json.load(f)
        jsonschema.validate(doc, SCHEMA)
        return doc["results"]

    def emu(self, *args, env=None, backends=None):
        return self.results("--target", "emu", "--emu-latency", "50us", "--rw", "randrw", "--verify", "--qd", "1,4,16",
                            *args, env=env, backends=backends)

    def assert_ran(self, r):
        self.assertEqual(r["status"], "ok", r["reason"])
        s = r["summary"]
        self.assertEqual((s["ops"], s["errors"]), (400, 0))
        # Every request waited for its service, and the notification is a part of that wait.
        self.assertGreater(s["lat_ns"]["min"], 50_000)
        self.assertLess(s["notify_ns"]["percentiles"]["50"], s["lat_ns"]["percentiles"]["50"])
        self.assertGreaterEqual(s["counters"]["wakeups"], 1)

    def test_both_run_on_emu_with_every_block_verified(self):
        for r in self.emu():
            with self.subTest(variant=f"{r['backend']}:{r['variant']} qd {r['workload']['qd']}"):
                self.assert_ran(r)
                if r["backend"] == "io_uring":
                    self.assertIn("readiness: multishot IORING_OP_POLL_ADD, armed once per descriptor", r["notes"])

    def test_without_multishot_poll_is_armed_per_request(self):
        env = dict(os.environ, IOBENCH_URING_REFUSE="poll-multishot")
        for r in self.emu(env=env, backends=["io_uring:poll"]):
            with self.subTest(qd=r["workload"]["qd"]):
                self.assert_ran(r)
                self.assertTrue(any(n.startswith("readiness: single-shot") for n in r["notes"]), r["notes"])
                # One POLL_ADD per request: every request waited for at least its own.
                self.assertGreaterEqual(r["summary"]["counters"]["wakeups"] * r["workload"]["qd"], 400)

    def test_io_uring_poll_takes_every_setup_set(self):
        for r in self.emu("--uring-setup", "none,coop+single+defer,ring-fd", backends=["io_uring:poll"]):
            with self.subTest(point=r["workload"]["name"]):
                self.assert_ran(r)
                self.assertIn(f"io_uring setup: {r['workload']['uring_setup']} (--uring-setup)", r["notes"])

    def test_a_kernel_without_the_opcode_skips_with_the_reason(self):
        env = dict(os.environ, IOBENCH_URING_REFUSE="poll-add", IOBENCH_AIO_REFUSE="poll")
        for r in self.emu(env=env):
            with self.subTest(variant=r["backend"]):
                self.assertEqual(r["status"], "skipped")
                self.assertIn("IORING_OP_POLL_ADD" if r["backend"] == "io_uring" else "IOCB_CMD_POLL", r["reason"])
        p = run("list", "--json", env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        why = {(b["name"], v["name"]): v["reason"] for b in json.loads(p.stdout)["backends"]
               for v in b["variants"]}
        self.assertIn("IORING_OP_POLL_ADD", why[("io_uring", "poll")])
        self.assertIn("IOCB_CMD_POLL", why[("libaio", "poll")])

    def test_files_are_skipped_with_the_reason(self):
        for r in self.results("--rw", "randread"):
            with self.subTest(variant=r["backend"]):
                self.assertEqual(r["status"], "skipped")
                self.assertIn("always ready", r["reason"])


if __name__ == "__main__":
    unittest.main()
