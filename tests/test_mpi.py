"""iobench under mpirun on one machine (Open MPI, --oversubscribe): the merged
result is the sum of its ranks, per-rank and shared files, a failing rank,
an interrupt, ranks that disagree, and --stonewall. Skipped where this build
has no MPI or mpirun is missing."""
import functools
import json
import os
import shutil
import signal
import subprocess
import time
import unittest

from test_cli import IOBENCH, ScratchDir, run

MPIRUN = shutil.which("mpirun")
# An AddressSanitizer build's leak check would report Open MPI's own allocations
# (MPI_Init's, kept to the end): off under mpirun, on everywhere else.
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")


@functools.cache
def has_mpi():
    p = subprocess.run([IOBENCH, "list", "--json"], capture_output=True, text=True)
    return p.returncode == 0 and json.loads(p.stdout).get("mpi", False)


def mpirun(n, *args, timeout=120):
    return subprocess.run([MPIRUN, "--oversubscribe", "-n", str(n), IOBENCH, *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV)


class MpiTest(ScratchDir, unittest.TestCase):
    def setUp(self):
        # Asked when a test runs, not when ctest lists them (before the build).
        if not MPIRUN or not has_mpi():
            self.skipTest("no mpirun, or this iobench was built without MPI")
        super().setUp()

    def load(self):
        with open(self.out) as f:
            return json.load(f)

    def test_the_aggregate_is_the_sum_of_the_ranks(self):
        for n in (2, 4):
            with self.subTest(ranks=n):
                p = mpirun(n, "run", "--backend", "null,sync", "--rw", "randread", "--runtime", "200ms", "--repeat",
                           "2", "-q", "-o", self.out)
                self.assertEqual(p.returncode, 0, p.stderr)
                doc = self.load()
                self.assertEqual(doc["context"]["ranks"], n)
                self.assertEqual(len(doc["context"]["hosts"]), 1)
                for r in doc["results"]:
                    self.assertEqual(r["status"], "ok", r["reason"])
                    ranks = r["ranks"]
                    self.assertEqual([k["rank"] for k in ranks], list(range(n)))
                    self.assertEqual(r["summary"]["ops"], sum(k["ops"] for k in ranks))
                    self.assertEqual(sum(rep["ops"] for rep in r["repetitions"]), r["summary"]["ops"])
                    # A repetition's runtime is its longest rank's (side by side), not their sum: over the
                    # repetitions at least any rank's total, and about as long.
                    longest = max(k["runtime_ns"] for k in ranks)
                    self.assertGreaterEqual(r["summary"]["runtime_ns"], longest)
                    self.assertLess(r["summary"]["runtime_ns"], 1.1 * longest)
                    lat = r["summary"]["lat_ns"]
                    self.assertLessEqual(lat["min"], min(k["lat_p50_ns"] for k in ranks))
                    self.assertGreaterEqual(lat["percentiles"]["99"] * 1.01, min(k["lat_p99_ns"] for k in ranks))
                    self.assertIn(f"{n} ranks on 1 host(s)", " ".join(r["notes"]))
                # Only rank 0 wrote: one table on stdout.
                self.assertEqual(p.stdout.count("workload "), 1, p.stdout)

    def test_each_rank_its_own_file(self):
        target = os.path.join(self.dir.name, "f.{rank}")
        p = mpirun(2, "run", "--backend", "sync", "--rw", "randwrite", "--verify", "--size", "2M", "--ops", "500",
                   "--target", "file:" + target, "-q", "-o", self.out)
        self.assertEqual(p.returncode, 0, p.stderr)
        for rank in (0, 1):
            self.assertEqual(os.path.getsize(os.path.join(self.dir.name, f"f.{rank}")), 2 << 20)
        r = self.load()["results"][0]
        self.assertEqual(r["summary"]["ops"], 1000)
        self.assertEqual(r["summary"]["errors"], 0)

    def test_a_shared_file_with_verify(self):
        target = "file:" + os.path.join(self.dir.name, "shared")
        for rw in ("randwrite", "randread"):
            p = mpirun(4, "run", "--backend", "sync,io_uring", "--rw", rw, "--verify", "--shared-file", "--size",
                       "4M", "--ops", "400", "--target", target, "-q", "-o", self.out)
            self.assertEqual(p.returncode, 0, p.stderr)
            for r in self.load()["results"]:
                self.assertEqual((r["status"], r["summary"]["errors"]), ("ok", 0), r["reason"])
                self.assertEqual(r["summary"]["ops"], 4 * 400)
                self.assertTrue(r["workload"]["shared_file"])
        self.assertEqual(os.path.getsize(os.path.join(self.dir.name, "shared")), 4 << 20)
        self.assertFalse(os.path.exists(os.path.join(self.dir.name, "shared.1")))

    def test_a_failing_rank_fails_the_point_everywhere_with_its_reason(self):
        target = os.path.join(self.dir.name, "f.{rank}")
        p = mpirun(2, "run", "--backend", "sync", "--rw", "write", "--verify", "--size", "1M", "--ops", "256",
                   "--target", "file:" + target, "-q")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(self.dir.name, "f.1"), "r+b") as f:
            f.write(bytes(1 << 20))  # rank 1's file loses its stamps
        p = mpirun(2, "run", "--backend", "sync,io_uring", "--rw", "randread", "--verify", "--on-error", "stop",
                   "--size", "1M", "--runtime", "300ms", "--target", "file:" + target, "-q", "-o", self.out)
        self.assertNotEqual(p.returncode, 0)
        for r in self.load()["results"]:
            self.assertEqual(r["status"], "error")
            self.assertIn("rank 1 (", r["reason"])
            self.assertIn("verify failed", r["reason"])
        self.assertIn("iobench: sync:default failed: rank 1 (", p.stderr)

    def test_an_interrupt_keeps_what_was_measured(self):
        proc = subprocess.Popen([MPIRUN, "--oversubscribe", "-n", "2", IOBENCH, "run", "--backend", "sync", "--rw",
                                 "randread", "--runtime", "30s", "-q", "-o", self.out], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=ENV)
        time.sleep(3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        r = self.load()["results"][0]
        self.assertEqual(r["status"], "interrupted", err)
        self.assertGreater(r["summary"]["ops"], 0)
        self.assertEqual(r["summary"]["ops"], sum(k["ops"] for k in r["ranks"]))
        self.assertIn("interrupted; kept what was measured", err)

    def test_ranks_that_disagree_run_nothing(self):
        p = subprocess.run([MPIRUN, "--oversubscribe", "-n", "1", IOBENCH, "run", "--backend", "null", "--qd", "1",
                            "--runtime", "100ms", "-o", self.out, ":", "-n", "1", IOBENCH, "run", "--backend", "null",
                            "--qd", "2", "--runtime", "100ms", "-o", self.out], capture_output=True, text=True,
                           timeout=60, env=ENV)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("iobench: rank 1 (", p.stderr)
        self.assertIn("runs another iobench or another workload than rank 0", p.stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_stonewall_stops_every_rank_when_the_first_is_done(self):
        p = mpirun(2, "run", "--backend", "sync", "--rw", "randread", "--ops", "20000", "--stonewall", "--repeat", "2",
                   "-q", "-o", self.out)
        self.assertEqual(p.returncode, 0, p.stderr)
        r = self.load()["results"][0]
        self.assertTrue(r["workload"]["stonewall"])
        self.assertIn("--stonewall", " ".join(r["notes"]))
        # In each repetition the first to finish did all its ops and the other at most as many (which rank
        # finishes first may change from one repetition to the next).
        for rep in r["repetitions"]:
            self.assertGreaterEqual(rep["ops"], 20000)
            self.assertLessEqual(rep["ops"], 2 * 20000)
        self.assertGreaterEqual(max(k["ops"] for k in r["ranks"]), 20000)
        self.assertEqual(sum(k["ops"] for k in r["ranks"]), r["summary"]["ops"])

    def test_options_only_for_mpirun(self):
        for args, needle in [(["--shared-file", "--target", "file:" + os.path.join(self.dir.name, "s")],
                              "--shared-file: only under mpirun"),
                             (["--stonewall"], "--stonewall: only under mpirun")]:
            with self.subTest(args=args):
                p = run("run", "--ops", "10", *args, "-o", self.out)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(needle, p.stderr)
        p = mpirun(2, "run", "--backend", "null", "--stonewall", "--runtime", "100ms")
        self.assertIn("--stonewall: stops every rank when the first has done its --ops", p.stderr)
        p = mpirun(2, "run", "--backend", "null", "--runtime", "100ms", "--series", "10ms")
        self.assertIn("--series: not under mpirun", p.stderr)


if __name__ == "__main__":
    unittest.main()
