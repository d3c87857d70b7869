"""The project's own scripts: failures must reach the caller (CI runs them).
External commands are replaced by stubs on PATH, so nothing is built or booted."""
import importlib.machinery
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ScriptsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="iobench-scripts-")
        self.bin = os.path.join(self.dir.name, "bin")
        os.mkdir(self.bin)

    def tearDown(self):
        self.dir.cleanup()

    def stub(self, name, body):
        path = os.path.join(self.bin, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body + "\n")
        os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)

    def run_script(self, *args, env=None):
        # CI only as the test sets it: the suite itself runs with CI=true there.
        e = {k: v for k, v in os.environ.items() if k != "CI"}
        e |= {"PATH": self.bin + ":" + os.environ["PATH"]} | (env or {})
        return subprocess.run([os.path.join(ROOT, "scripts", args[0]), *args[1:]], capture_output=True, text=True,
                              timeout=300, env=e, cwd=ROOT)

    def test_build_fails_when_compilation_fails(self):
        # Configuring "succeeds" and leaves a binary behind, as an earlier build would.
        self.stub("cmake", 'case "$*" in *--build*) echo "test_x.cpp:1: error: boom"; exit 1;; esac\n'
                           'while [ $# -gt 0 ]; do [ "$1" = -B ] && d=$2; shift; done\n'
                           'mkdir -p "$d" && touch "$d/iobench" && chmod +x "$d/iobench"')
        p = self.run_script("build", env={"BUILD_DIR": os.path.join(self.dir.name, "b")})
        self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("boom", p.stdout + p.stderr)
        self.assertIn("the build failed", p.stderr)

    def test_vm_test_cannot_skip_under_ci(self):
        # Not root, qemu missing: a skip (77) on a developer's machine, a failure in CI.
        self.stub("id", "echo 1000")
        self.stub("dpkg-query", "echo 'unknown ok not-installed'")
        p = self.run_script("vm-test", "--kernel", "6.1")
        self.assertEqual(p.returncode, 77, p.stderr)
        self.assertIn("skipped", p.stderr)
        p = self.run_script("vm-test", "--kernel", "6.1", env={"CI": "true"})
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("CI=true", p.stderr)

    def test_soak_tells_a_leak_from_a_steady_process(self):
        # A stand-in for iobench: writes its result on SIGINT; with LEAK set it
        # opens one more descriptor every 0.3 s, as a leaking engine would.
        self.stub("iobench", "exec /usr/bin/python3 -c '\n"
                  "import json, os, signal, sys, time\n"
                  "out = sys.argv[sys.argv.index(\"-o\") + 1]\n"
                  "def stop(*_):\n"
                  "    json.dump({\"results\": [{\"status\": \"interrupted\", \"backend\": \"x\", \"variant\": \"y\"}]}, open(out, \"w\"))\n"
                  "    sys.exit(130)\n"
                  "signal.signal(signal.SIGINT, stop)\n"
                  "kept = []\n"
                  "while True:\n"
                  "    time.sleep(0.3)\n"
                  "    if os.environ.get(\"LEAK\"): kept.append(open(\"/dev/null\"))\n"
                  "' \"$@\"")
        steady = self.run_script("soak", "0.2", "--build", self.bin)
        self.assertEqual(steady.returncode, 0, steady.stdout + steady.stderr)
        self.assertIn("no growth after the warm-up", steady.stdout)
        leaking = self.run_script("soak", "0.2", "--build", self.bin, env={"LEAK": "1"})
        self.assertEqual(leaking.returncode, 1, leaking.stdout + leaking.stderr)
        self.assertRegex(leaking.stdout, r"fds .* LEAK")


class BenchModelsTest(unittest.TestCase):
    """scripts/bench-models: its U test is compare's (the same values as tests/test_stats.cpp), and it fills the
    table between the markers of the file it is given, a row per model and qd, leaving the rest alone."""

    def test_the_u_test_gives_what_compare_gives(self):
        sys.path.insert(0, os.path.join(ROOT, "scripts"))
        from benchlib import mann_whitney_p
        self.assertAlmostEqual(mann_whitney_p([1, 2, 3], [4, 5, 6]), 0.1, places=12)
        self.assertAlmostEqual(mann_whitney_p([4, 5, 6], [1, 2, 3]), 0.1, places=12)
        self.assertAlmostEqual(mann_whitney_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]), 2 / 252, places=12)
        self.assertGreater(mann_whitney_p([1, 3, 5, 7, 9], [2, 4, 6, 8, 10]), 0.5)
        self.assertEqual(mann_whitney_p([], [1, 2]), 1.0)
        self.assertAlmostEqual(mann_whitney_p([1, 2, 4], [3, 5, 6]), 0.2, places=12)
        p = mann_whitney_p([1, 1, 1, 2, 2, 2, 3, 3], [3, 3, 4, 4, 4, 5, 5, 5])
        self.assertTrue(0 < p < 0.01, p)
        self.assertAlmostEqual(mann_whitney_p([2, 2, 2], [2, 2, 2]), 1.0, places=12)

    def test_the_table_goes_between_the_markers(self):
        binary = os.environ.get("IOBENCH", os.path.join(ROOT, "build", "iobench"))
        with tempfile.TemporaryDirectory() as d:
            doc = os.path.join(d, "doc.md")
            with open(doc, "w") as f:
                f.write("before\n<!-- bench-models: begin -->\nold table\n<!-- bench-models: end -->\nafter\n")
            p = subprocess.run([os.path.join(ROOT, "scripts", "bench-models"), "--repeat", "2", "--runtime", "50ms",
                                "--qd", "1,4", "--build", os.path.dirname(binary), "--write", doc],
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(doc) as f:
                text = f.read()
        self.assertTrue(text.startswith("before\n<!-- bench-models: begin -->\n"), text[:200])
        self.assertTrue(text.endswith("<!-- bench-models: end -->\nafter\n"))
        self.assertNotIn("old table", text)
        rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
        models = {(r[1], r[2]) for r in rows}
        for qd in ("1", "4"):
            for model in ("io_uring none", "io_uring coop+single+defer", "io_uring ring-fd", "poll:poll",
                          "io_uring:poll", "libaio:poll", "sync:default", "sync:nowait"):
                self.assertIn((model, qd), models)
        self.assertEqual(len(rows), 2 * 11)
        for r in rows:
            with self.subTest(row=r[1:3]):
                if r[1] in ("io_uring none", "poll:poll", "sync:default"):
                    self.assertTrue(r[-1].startswith("reference"), r)
                # IOPS as a fraction of ideal: no model beats the device.
                self.assertLessEqual(float(r[3].rstrip("*")), 1.03)


class BenchLoopTest(unittest.TestCase):
    @staticmethod
    def load():
        spec = importlib.util.spec_from_loader("bench_loop", importlib.machinery.SourceFileLoader(
            "bench_loop", os.path.join(ROOT, "scripts", "bench-loop")))
        bench_loop = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench_loop)
        return bench_loop

    def test_the_verdict_is_the_intervals(self):
        bench_loop = self.load()
        # A median under 1.05 whose interval reaches past it has not shown the loop within 5 %.
        self.assertEqual(bench_loop.verdict(1.028, 1.069), "undecided")
        self.assertEqual(bench_loop.verdict(1.004, 1.048), "within")
        self.assertEqual(bench_loop.verdict(1.05, 1.05), "within")
        self.assertEqual(bench_loop.verdict(1.051, 1.2), "above")

    def test_a_row_keeps_its_columns_apart_however_wide(self):
        bench_loop = self.load()
        # sqpoll's run once took ten times its primitive: "12.345[12.345-12.345]" ran together and the row
        # lost a column (CI, d2dbcf3).
        wide = bench_loop.row("sqpoll", 1, "io_uring_sqpoll_read_1x4k",
                              [(1000.0, {"ns_per_op": 12345.0}, {"ns_per_op": 123456789012.0})])
        self.assertEqual(wide.split(), ["sqpoll", "1", "1000", "12345", "12.345", "[12.345-12.345]", "123456789012",
                                        "123456789.012", "[123456789.012-123456789.012]", "io_uring_sqpoll_read_1x4k",
                                        "run:", "above", "sampled:", "above"])

    def test_every_variant_has_both_figures_and_their_ratio(self):
        binary = os.environ.get("IOBENCH", os.path.join(ROOT, "build", "iobench"))
        p = subprocess.run([os.path.join(ROOT, "scripts", "bench-loop"), "--runtime", "0.1s", "--repeat", "1",
                            "--build", os.path.dirname(binary)], capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = [line.split() for line in p.stdout.splitlines()[3:]]
        self.assertEqual([(r[0], r[1]) for r in rows], [("default", "1"), ("batch", "1"), ("fixed", "1"),
                                                        ("sqpoll", "1"), ("batch", "32"), ("fixed", "32")])
        for r in rows:
            with self.subTest(variant=r[:2]):
                if r[2] == "skipped:":  # a primitive this machine lacks (SQPOLL unprivileged before 5.11)
                    continue
                micro = float(r[2])
                self.assertGreater(micro, 0.5)
                # Every request timed, then --lat-sample: one round, so each ratio is its only pair's (the
                # run over the mean of the primitive's figures around it), printed to 0.001 from the unrounded
                # times (which are printed to the nanosecond), and the interval of its median is that one ratio.
                # The verdict against 5 % is the interval's: with one round, within or above by that ratio.
                self.assertEqual((r[10], r[12]), ("run:", "sampled:"))
                for (run, ratio, span), said in zip((r[3:6], r[6:9]), (r[11], r[13])):
                    run, ratio = float(run), float(ratio)
                    low, high = (float(x) for x in span.strip("[]").split("-"))
                    self.assertGreaterEqual(ratio + 0.0005, (run - 0.5) / (micro + 0.5))
                    self.assertLessEqual(ratio - 0.0005, (run + 0.5) / (micro - 0.5))
                    self.assertEqual((low, high), (ratio, ratio))
                    if abs(ratio - 1.05) > 0.0005:  # printed rounded: at 1.050 either may be right
                        self.assertEqual(said, "within" if ratio < 1.05 else "above")

    @unittest.skipUnless(shutil.which("valgrind"), "valgrind is not installed (scripts/install-deps --bench)")
    def test_instruction_counts(self):
        binary = os.environ.get("IOBENCH", os.path.join(ROOT, "build", "iobench"))
        p = subprocess.run([os.path.join(ROOT, "scripts", "bench-loop"), "--instructions", "--ops", "2000",
                            "--build", os.path.dirname(binary)], capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = [line.split() for line in p.stdout.splitlines()[2:]]
        # sqpoll's work is its kernel thread's: no user-space row.
        self.assertEqual([(r[0], r[1]) for r in rows], [("default", "1"), ("batch", "1"), ("fixed", "1"),
                                                        ("batch", "32"), ("fixed", "32")])
        for r in rows:
            with self.subTest(variant=r[:2]):
                micro, run, plus, sampled, splus, cold = (float(x) for x in r[2:8])
                # A primitive is a few dozen instructions a request; the loop does all it does and more, and
                # timing every request costs more than timing one in 64.
                self.assertGreater(micro, 10)
                self.assertGreater(sampled, micro)
                self.assertGreater(run, sampled)
                self.assertAlmostEqual(plus, run - micro, delta=1)
                self.assertAlmostEqual(splus, sampled - micro, delta=1)
                # No round trip leaves its function's page for a .cold part (GCC 12 once put default's every
                # completion there: 2.00 a request).
                self.assertEqual(cold, 0)


if __name__ == "__main__":
    unittest.main()
