"""iobench history: the SQLite store (add, dedup, labels, migration, locks,
corruption, concurrent writers), show's formats and filters, and check's
change points and gate, on synthetic series whose steps are known."""
import copy
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import unittest

from test_cli import IOBENCH, ScratchDir, run

HERE = os.path.dirname(os.path.abspath(__file__))
PLOTS = os.path.join(os.path.dirname(HERE), "plots")
_BASE = {}


def base_doc():
    """One real result document (null and sync, 3 repetitions), made once."""
    if "doc" not in _BASE:
        p = subprocess.run([IOBENCH, "run", "--backend", "null,sync", "--runtime", "20ms", "--repeat", "3", "-q",
                            "--format", "json"], capture_output=True, text=True, check=True, timeout=120)
        _BASE["doc"] = json.loads(p.stdout)
    return copy.deepcopy(_BASE["doc"])


def series_docs(levels, noise=0.02, seed=1):
    """A document per level: every repetition's iops is level * (1 + noise), p99 its inverse."""
    rng = random.Random(seed)
    docs = []
    for i, level in enumerate(levels):
        d = base_doc()
        d["context"]["timestamp"] = "2026-%02d-%02dT10:00:00Z" % (1 + i // 28, 1 + i % 28)
        for r in d["results"]:
            for rep in r["repetitions"]:
                f = level * rng.gauss(1, noise)
                rep["iops"] = 1e6 * f
                rep["lat_ns"]["percentiles"]["99"] = 1000 / f
        docs.append(d)
    return docs


class HistoryCase(ScratchDir, unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.dir.name, "h.db")

    def write(self, docs, stem="r"):
        paths = []
        for i, d in enumerate(docs):
            path = os.path.join(self.dir.name, f"{stem}{i:03d}.json")
            with open(path, "w") as f:
                json.dump(d, f)
            paths.append(path)
        return paths

    def add_series(self, levels, **kw):
        """Adds one run per level, labelled commit=cNN; returns the paths."""
        paths = self.write(series_docs(levels, **kw))
        for i, path in enumerate(paths):
            p = run("history", "add", self.db, path, "--label", f"commit=c{i:02d}")
            self.assertEqual(p.returncode, 0, p.stderr)
        return paths

    def rows(self, table):
        with sqlite3.connect(self.db) as c:
            return c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def check(self, *args):
        p = run("history", "check", self.db, "--format", "json", *args)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        return p.returncode, json.loads(p.stdout)

    def assert_exit(self, code, args, needle):
        p = run(*args)
        self.assertEqual(p.returncode, code, p.stdout + p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn(needle, p.stderr)
        return p


class StoreTest(HistoryCase):
    def test_add_stores_each_repetition_once(self):
        paths = self.write(series_docs([1.0, 1.0]))
        p = run("history", "add", self.db, *paths, "--label", "commit=abc", "--label", "branch=main")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("run 1, 2 results", p.stdout)
        samples, runs = self.rows("samples"), self.rows("runs")
        self.assertEqual(runs, 2)
        # 2 runs x 2 results x 3 repetitions of every compared figure
        with sqlite3.connect(self.db) as c:
            figs = {f for (f,) in c.execute("SELECT DISTINCT figure FROM samples")}
            self.assertTrue({"iops", "bw", "p50", "p99", "p99.9", "cpu"} <= figs, figs)
            self.assertEqual(c.execute("SELECT count(*) FROM samples WHERE figure = 'iops'").fetchone()[0], 12)
            self.assertEqual(sorted(c.execute("SELECT key, value FROM labels WHERE run_id = 1")),
                             [("branch", "main"), ("commit", "abc")])
            self.assertEqual(c.execute("PRAGMA user_version").fetchone()[0], 2)
        # The same documents again, under another name too: nothing more.
        os.link(paths[0], os.path.join(self.dir.name, "copy.json"))
        p = run("history", "add", self.db, paths[1], os.path.join(self.dir.name, "copy.json"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.count("already stored"), 2, p.stdout)
        self.assertEqual((self.rows("samples"), self.rows("runs")), (samples, runs))

    def test_testbed_from_context_or_named(self):
        [path] = self.write(series_docs([1.0]))
        self.assertEqual(run("history", "add", self.db, path).returncode, 0)
        d = series_docs([1.0], seed=2)[0]
        [other] = self.write([d], stem="o")
        p = run("history", "add", self.db, other, "--testbed", "ci-runner")
        self.assertIn("testbed ci-runner", p.stdout)
        with sqlite3.connect(self.db) as c:
            names = [n for (n,) in c.execute("SELECT name FROM testbeds ORDER BY id")]
        ctx = d["context"]
        self.assertEqual(names, [f"{ctx['hostname']}/{ctx['cpu_model']}/{ctx['kernel'].split()[0]}/{ctx['nproc']}cpu",
                                 "ci-runner"])
        p = run("history", "show", self.db, "--testbed", "ci-runner", "--format", "json")
        self.assertEqual({s["testbed"] for s in json.loads(p.stdout)["series"]}, {"ci-runner"})

    def test_results_that_are_not_ok_are_counted_not_stored(self):
        d = series_docs([1.0])[0]
        d["results"][1]["status"] = "interrupted"
        [path] = self.write([d])
        p = run("history", "add", self.db, path)
        self.assertIn("1 results", p.stdout)
        self.assertIn("1 not ok and not stored", p.stdout)

    def test_bad_input_adds_nothing(self):
        [good] = self.write(series_docs([1.0]))
        bad = os.path.join(self.dir.name, "bad.json")
        with open(bad, "w") as f:
            json.dump({"schema_version": 1, "results": [{"status": "ok", "workload": {}}]}, f)
        self.assert_exit(2, ["history", "add", self.db, good, bad], "bad.json")
        self.assertFalse(os.path.exists(self.db), "one bad file: the database is not even created")
        for args, needle in [
            (["--label", "commit"], "KEY=VALUE"),
            (["--label", "a b=1"], "KEY=VALUE"),
            (["--label", "x=1", "--label", "x=2"], "given twice"),
            (["--lock-timeout", "soon"], "--lock-timeout"),
        ]:
            with self.subTest(args=args):
                self.assert_exit(2, ["history", "add", self.db, good, *args], args[0])
                self.assertFalse(os.path.exists(self.db))
        self.assert_exit(2, ["history", "add", self.dir.name, good], "DB")
        self.assert_exit(2, ["history", "show", os.path.join(self.dir.name, "missing.db")], "missing.db")
        self.assert_exit(2, ["history", "check", self.dir.name], "not a regular file")
        run("history", "add", self.db, good)
        self.assert_exit(2, ["history", "show", self.db, "--figure", "speed"], "unknown figure 'speed'")
        self.assert_exit(2, ["history", "check", self.db, "--fail-on", "ops"], "--fail-on: unknown figure 'ops'")
        self.assert_exit(2, ["history", "check", self.db, "--alpha", "2"], "--alpha")
        self.assert_exit(2, ["history", "frobnicate"], "subcommand")

    def test_a_context_of_other_types_is_read_as_it_can_be(self):
        """The context describes; it does not change what is stored (it was an internal error, exit 70)."""
        d = series_docs([1.0])[0]
        d["context"].update(nproc="two", timestamp=5, hostname=["a"], kernel=None)
        [path] = self.write([d])
        p = run("history", "add", self.db, path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.rows("runs"), 1)
        d["context"] = "not an object"
        [path] = self.write([d], stem="c")
        self.assert_exit(2, ["history", "add", self.db, path], "context must be an object")
        self.assertEqual(self.rows("runs"), 1)

    def test_a_locked_database_fails_with_the_reason_and_loses_nothing(self):
        paths = self.write(series_docs([1.0, 1.0]))
        run("history", "add", self.db, paths[0])
        before = self.rows("samples")
        holder = sqlite3.connect(self.db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            p = self.assert_exit(1, ["history", "add", self.db, paths[1], "--lock-timeout", "200ms"],
                                 "longer than --lock-timeout")
            self.assertIn(self.db, p.stderr)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        self.assertEqual(self.rows("samples"), before)
        self.assertEqual(run("history", "add", self.db, paths[1]).returncode, 0)
        self.assertEqual(self.rows("runs"), 2)

    def test_a_waiting_writer_gets_in_once_the_lock_is_released(self):
        paths = self.write(series_docs([1.0, 1.0]))
        run("history", "add", self.db, paths[0])
        holder = sqlite3.connect(self.db, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")
        threading.Timer(0.5, lambda: (holder.execute("ROLLBACK"), holder.close())).start()
        p = run("history", "add", self.db, paths[1], "--lock-timeout", "20s")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.rows("runs"), 2)

    def test_what_is_not_a_history_is_refused_and_left_as_it_is(self):
        [path] = self.write(series_docs([1.0]))
        garbage = os.urandom(8192)
        with open(self.db, "wb") as f:
            f.write(garbage)
        p = self.assert_exit(1, ["history", "add", self.db, path], "not an intact SQLite database")
        self.assertIn(self.db, p.stderr)
        self.assert_exit(1, ["history", "check", self.db], "not an intact SQLite database")
        with open(self.db, "rb") as f:
            self.assertEqual(f.read(), garbage)
        os.unlink(self.db)
        with sqlite3.connect(self.db) as c:
            c.execute("CREATE TABLE accounts(id INTEGER)")
            c.execute("INSERT INTO accounts VALUES (7)")
        self.assert_exit(1, ["history", "add", self.db, path], "of something else")
        with sqlite3.connect(self.db) as c:
            self.assertEqual(c.execute("SELECT id FROM accounts").fetchall(), [(7,)])
            self.assertEqual(c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0], 1)
            c.execute("DROP TABLE accounts")
            c.execute("PRAGMA application_id = 1768907368")  # iobench's
            c.execute("PRAGMA user_version = 99")
        self.assert_exit(1, ["history", "show", self.db], "newer iobench")

    def test_an_older_database_migrates_forward_keeping_its_rows(self):
        """Version 1 (no index on samples by series), written as that iobench did."""
        [path] = self.write(series_docs([1.0]))
        run("history", "add", self.db, path, "--label", "commit=old")
        with sqlite3.connect(self.db) as c:
            c.execute("DROP INDEX samples_by_series")
            c.execute("PRAGMA user_version = 1")
        before = self.rows("samples")
        p = run("history", "show", self.db, "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        with sqlite3.connect(self.db) as c:
            self.assertEqual(c.execute("PRAGMA user_version").fetchone()[0], 2)
            self.assertEqual(c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'samples_by_series'")
                             .fetchone()[0], 1)
        self.assertEqual(self.rows("samples"), before)
        self.assertEqual(json.loads(p.stdout)["series"][0]["runs"][0]["labels"], {"commit": "old"})

    def test_two_processes_adding_at_once_lose_nothing(self):
        a = self.write(series_docs([1.0] * 12, seed=3), stem="a")
        b = self.write(series_docs([1.0] * 12, seed=4), stem="b")
        run("history", "add", self.db, a[0])  # created before the race: both race on adding

        def add_each(paths, results):
            for path in paths:
                results.append(run("history", "add", self.db, path, "--lock-timeout", "30s"))

        ra, rb = [], []
        ta = threading.Thread(target=add_each, args=(a[1:], ra))
        tb = threading.Thread(target=add_each, args=(b, rb))
        ta.start(), tb.start()
        ta.join(), tb.join()
        for p in ra + rb:
            self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.rows("runs"), 24)
        self.assertEqual(self.rows("samples"), 24 * 2 * 3 * len({"iops", "bw", "p50", "p99", "p99.9", "cpu"} |
                                                                 self.extra_figures()))

    def extra_figures(self):
        with sqlite3.connect(self.db) as c:
            return {f for (f,) in c.execute("SELECT DISTINCT figure FROM samples")}

    def test_concurrent_creation_of_a_new_database(self):
        a, b = self.write(series_docs([1.0, 1.0], seed=5))
        procs = [subprocess.Popen([IOBENCH, "history", "add", self.db, path], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for path in (a, b)]
        for p in procs:
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
        self.assertEqual(self.rows("runs"), 2)


class ShowTest(HistoryCase):
    def test_formats_and_filters(self):
        self.add_series([1.0, 1.0, 0.8])
        p = run("history", "show", self.db)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("null:default", p.stdout)
        self.assertIn("commit=c02", p.stdout)
        self.assertIn("iops", p.stdout.splitlines()[1])
        p = run("history", "show", self.db, "--backend", "sync", "--figure", "iops", "--format", "json")
        doc = json.loads(p.stdout)
        self.assertEqual(len(doc["series"]), 1)
        self.assertIn("sync:default", doc["series"][0]["title"])
        runs = doc["series"][0]["runs"]
        self.assertEqual([r["labels"]["commit"] for r in runs], ["c00", "c01", "c02"])
        self.assertEqual(set(runs[0]["figures"]), {"iops"})
        self.assertEqual(len(runs[0]["figures"]["iops"]["repetitions"]), 3)
        reps = runs[0]["figures"]["iops"]["repetitions"]
        self.assertAlmostEqual(runs[0]["figures"]["iops"]["mean"], sum(reps) / 3)
        p = run("history", "show", self.db, "--label", "commit=c01", "--format", "markdown")
        self.assertIn("| time | run | labels |", p.stdout)
        self.assertIn("commit=c01", p.stdout)
        self.assertNotIn("commit=c00", p.stdout)
        p = run("history", "show", self.db, "--last", "1", "--format", "json")
        self.assertTrue(all(len(s["runs"]) == 1 for s in json.loads(p.stdout)["series"]))
        p = run("history", "show", self.db, "--backend", "io_uring")
        self.assertIn("no series matches", p.stdout)


class CheckTest(HistoryCase):
    def test_a_step_down_is_found_where_it_is_and_gated(self):
        self.add_series([1.0] * 14 + [0.8] * 6)
        rc, out = self.check()
        self.assertEqual(rc, 1)
        self.assertTrue(out["regression"])
        iops = [s for s in out["series"] if s["figure"] == "iops" and "null" in s["title"]][0]
        self.assertEqual(iops["verdict"], "regression")
        [c] = iops["changes"]
        self.assertEqual(c["index"], 14)
        self.assertEqual(c["first_after"]["labels"], {"commit": "c14"})
        self.assertAlmostEqual(c["change_percent"], -20, delta=3)
        self.assertLess(c["p_value"], 0.01)
        self.assertEqual([s["first"] for s in iops["segments"]], [0, 14])
        p99 = [s for s in out["series"] if s["figure"] == "p99" and "null" in s["title"]][0]
        self.assertEqual(p99["verdict"], "regression")
        self.assertEqual(p99["changes"][0]["direction"], "worse")
        # Ungated figures report, but do not gate.
        p = run("history", "check", self.db, "--fail-on", "p50")
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("-20.", p.stdout)
        self.assertIn("commit=c14", p.stdout)
        p = run("history", "check", self.db)
        self.assertEqual(p.returncode, 1)
        self.assertIn("REGRESSION", p.stdout)
        p = run("history", "check", self.db, "--format", "markdown")
        self.assertIn("**REGRESSION**", p.stdout)

    def test_a_flat_series_is_quiet(self):
        self.add_series([1.0] * 20, seed=9)
        rc, out = self.check()
        self.assertEqual(rc, 0)
        self.assertFalse(out["regression"])
        self.assertTrue(all(not s["changes"] for s in out["series"]), [s["changes"] for s in out["series"]])

    def test_an_improvement_or_a_change_below_threshold_passes(self):
        self.add_series([1.0] * 10 + [1.3] * 6)
        rc, out = self.check()
        self.assertEqual(rc, 0)
        self.assertIn("improvement", {s["verdict"] for s in out["series"]})

    def test_below_the_threshold_is_not_a_regression(self):
        self.add_series([1.0] * 10 + [0.97] * 10, noise=0.003)
        rc, out = self.check()
        self.assertEqual(rc, 0)
        iops = [s for s in out["series"] if s["figure"] == "iops"][0]
        self.assertEqual(len(iops["changes"]), 1, "a 3 % step on 0.3 % noise is found ...")
        self.assertEqual(iops["verdict"], "same", "... and is below the 5 % threshold")
        self.assertEqual(self.check("--threshold", "2")[0], 1)

    def test_too_noisy_is_unstable_and_not_gated(self):
        self.add_series([1.0] * 12 + [0.7] * 6, noise=0.5)
        rc, out = self.check()
        self.assertEqual(rc, 0)
        iops = [s for s in out["series"] if s["figure"] == "iops"][0]
        self.assertEqual(iops["verdict"], "unstable")
        self.assertIn("--max-noise", iops["reason"])

    def test_too_short_is_said(self):
        self.add_series([1.0, 0.5, 0.5])
        rc, out = self.check()
        self.assertEqual(rc, 0)
        self.assertEqual({s["verdict"] for s in out["series"]}, {"too short"})

    def test_deterministic(self):
        self.add_series([1.0] * 8 + [0.9] * 8, noise=0.04)
        a = run("history", "check", self.db, "--format", "json")
        b = run("history", "check", self.db, "--format", "json")
        self.assertEqual(a.stdout, b.stdout)

    def test_false_alarms_of_the_gate_stay_within_alpha(self):
        """100 seeded noise-only histories of 20 runs: the gate fires in about alpha of them (Holm over iops
        and p99 of two results keeps each history's chance at or below alpha); more than alpha plus three
        standard deviations of the binomial count would mean it does not hold its level."""
        alarms = 0
        for seed in range(100):
            db = os.path.join(self.dir.name, f"noise{seed}.db")
            docs = series_docs([1.0] * 20, noise=0.05, seed=100 + seed)
            paths = self.write(docs, stem=f"n{seed}-")
            p = run("history", "add", db, *paths)
            self.assertEqual(p.returncode, 0, p.stderr)
            p = run("history", "check", db, "--max-noise", "100")
            self.assertIn(p.returncode, (0, 1), p.stderr)
            alarms += p.returncode == 1
        print(f"\n{alarms} of 100 noise-only histories gated", file=sys.stderr)
        self.assertLessEqual(alarms, 5 + 3 * 2.18)

    def test_the_plot_draws_each_series(self):
        self.add_series([1.0] * 10 + [0.8] * 5)
        out = os.path.join(self.dir.name, "charts")
        p = subprocess.run(["/usr/bin/python3", os.path.join(PLOTS, "history.py"), self.db, "-o", out,
                            "--iobench", IOBENCH, "--backend", "null"], capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        [chart] = os.listdir(out)
        self.assertIn("null-default", chart)
        with open(os.path.join(out, chart), "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"\x89PNG"))
        self.assertGreater(len(data), 20000)
        p = subprocess.run(["/usr/bin/python3", os.path.join(PLOTS, "history.py"),
                            os.path.join(self.dir.name, "none.db"), "-o", out], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no such database", p.stderr)


if __name__ == "__main__":
    unittest.main()
