"""run --fio: fio job files translated option by option, refused where iobench
cannot honour an option (or run without it under --fio-lenient, with a note),
and recorded in the result."""
import json
import os
import shutil
import subprocess
import tempfile
import textwrap
import unittest

import jsonschema

from test_cli import SCHEMA, ScratchDir, run


class FioTest(ScratchDir, unittest.TestCase):
    def job(self, text, name="job.fio"):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path

    def dry(self, text, *args):
        p = run("run", "--fio", self.job(text), "--dry-run", *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def points(self, text, *args):
        return [pt for plan in self.dry(text, *args)["plans"] for pt in plan["points"]]

    def test_a_typical_job_file(self):
        doc = self.dry("""\
            ; comment
            # another
            [global]
            ioengine=libaio
            direct=1
            bs=16k
            size=1g
            numjobs=2
            runtime=2m
            ramp_time=500ms
            time_based
            rate_iops=5000
            random_distribution=zipf:1.2
            randseed=42
            cpus_allowed=0
            percentile_list=50:99.5
            invalidate=0

            [randread]
            rw=randread
            iodepth=8
            """)
        (plan,) = doc["plans"]
        self.assertEqual(plan["backends"], ["libaio:getevents"])
        (p,) = plan["points"]
        expect = {"name": "randread", "rw": "randread", "bs_bytes": 16384, "size_bytes": 1 << 30, "jobs": 2,
                  "qd": 8, "direct": True, "runtime_ns": 120 * 10**9, "ramp_ns": 5 * 10**8, "ops": 0,
                  "rate_iops": 5000, "distribution": "zipf:1.2", "seed": 42, "cpus": [0], "percentiles": [50, 99.5],
                  "cache": "as-is"}
        self.assertEqual({k: p[k] for k in expect}, expect)
        (job,) = doc["fio"]["jobs"]
        self.assertEqual(job["options"][:2], ["ioengine=libaio", "direct=1"])
        self.assertIn("time_based", job["options"])
        self.assertFalse(doc["fio"]["lenient"])
        self.assertIn("ramp_time=500ms", doc["fio"]["sources"][0]["text"])

    def test_fio_defaults_and_units(self):
        (p,) = self.points("[j]\nsize=1m\n")
        # psync, sequential read, buffered, the cache dropped first (invalidate=1), size/bs requests.
        self.assertEqual((p["rw"], p["direct"], p["cache"], p["bs_bytes"], p["ops"]), ("read", False, "cold", 4096, 256))
        # kb_base 1024 (fio's default): k and kb are powers of two, kib powers of ten, as fio reads them.
        for text, size in (("4k", 4096), ("4KB", 4096), ("4kib", 4000), ("2m", 2 << 20), ("4096", 4096)):
            with self.subTest(bs=text):
                self.assertEqual(self.points(f"[j]\nsize=64m\nbs={text}\n")[0]["bs_bytes"], size)
        self.assertEqual(self.points("[j]\nkb_base=1000\nsize=64m\nbs=4KiB\n")[0]["bs_bytes"], 4096)
        self.assertEqual(self.points("[j]\nkb_base=1000\nsize=64m\nbs=4kB\n")[0]["bs_bytes"], 4000)
        for text, ns in (("3", 3 * 10**9), ("250ms", 25 * 10**7), ("1m", 60 * 10**9), ("100us", 10**5)):
            with self.subTest(runtime=text):
                self.assertEqual(self.points(f"[j]\nsize=1m\ntime_based\nruntime={text}\n")[0]["runtime_ns"], ns)
        # Without time_based fio moves io_size (else size) per job, capped by runtime.
        p = self.points("[j]\nsize=8m\nio_size=1m\nbs=64k\nruntime=5\n")[0]
        self.assertEqual((p["ops"], p["runtime_ns"]), (16, 5 * 10**9))

    def test_engines_and_their_options(self):
        doc = self.dry("[j]\nsize=1m\nioengine=psync\niodepth=16\nrw=randwrite\nfdatasync=4\n")
        p = doc["plans"][0]["points"][0]
        self.assertEqual((doc["plans"][0]["backends"], p["qd"]), (["sync:default"], 1))
        self.assertEqual((p["fsync_every"], p["fsync_kind"]), (4, "fdatasync"))
        self.assertIn("iodepth=16 ignored", " ".join(doc["fio"]["jobs"][0]["notes"]))
        for opt, variant in (("hipri", "iopoll"), ("sqthread_poll=1", "sqpoll"), ("fixedbufs", "fixed")):
            with self.subTest(opt=opt):
                self.assertEqual(self.dry(f"[j]\nsize=1m\nioengine=io_uring\n{opt}\n")["plans"][0]["backends"],
                                 [f"io_uring:{variant}"])
        for engine, backend in (("pvsync2", "sync:default"), ("posixaio", "posixaio:suspend"), ("null", "null:default")):
            self.assertEqual(self.dry(f"[j]\nsize=1m\nioengine={engine}\n")["plans"][0]["backends"], [backend])

    def test_jobs_that_differ_in_one_sweepable_field_are_a_sweep(self):
        doc = self.dry("""\
            [global]
            size=4m
            rw=randread
            stonewall
            [psync]
            ioengine=psync
            [uring]
            ioengine=io_uring
            [aio]
            ioengine=libaio
            """)
        (plan,) = doc["plans"]
        self.assertEqual(plan["backends"], ["sync:default", "io_uring:default", "libaio:getevents"])
        # A synchronous engine's depth is 1 whatever iodepth says, so it sweeps with an engine at iodepth=1.
        doc = self.dry("[global]\nsize=4m\nstonewall\n[a]\nioengine=psync\niodepth=8\n[b]\nioengine=io_uring\n"
                       "iodepth=1\n")
        self.assertEqual(doc["plans"][0]["backends"], ["sync:default", "io_uring:default"])
        doc = self.dry("[global]\nsize=4m\nstonewall\nioengine=libaio\n[a]\niodepth=1\n[b]\niodepth=4\n[c]\niodepth=16\n")
        self.assertEqual([p["qd"] for p in doc["plans"][0]["points"]], [1, 4, 16])
        # Two fields apart: two workloads, run one after the other.
        doc = self.dry("[global]\nsize=4m\nstonewall\n[a]\nbs=4k\n[b]\nbs=8k\nrw=write\n")
        self.assertEqual([(p["bs_bytes"], p["rw"]) for plan in doc["plans"] for p in plan["points"]],
                         [(4096, "read"), (8192, "write")])

    def test_include_environment_and_later_globals(self):
        self.job("size=2m\nbs=8k\n", "common.fio")
        os.environ["IOBENCH_TEST_DEPTH"] = "4"
        try:
            doc = self.dry("""\
                [global]
                include common.fio
                ioengine=libaio
                [a]
                iodepth=${IOBENCH_TEST_DEPTH}
                [global]
                bs=64k
                [b]
                stonewall
                """)
        finally:
            del os.environ["IOBENCH_TEST_DEPTH"]
        pts = [p for plan in doc["plans"] for p in plan["points"]]
        self.assertEqual([(p["size_bytes"], p["bs_bytes"], p["qd"]) for p in pts], [(2 << 20, 8192, 4),
                                                                                  (2 << 20, 65536, 1)])
        self.assertEqual([s["path"].rsplit("/", 1)[-1] for s in doc["fio"]["sources"]], ["job.fio", "common.fio"])

    def test_what_cannot_be_honoured_is_named_in_one_line(self):
        path = self.job("[global]\nsize=4m\nthinktime=10\n[x]\nrw=rw\nbs=4k,8k\n[y]\nrw=randread:8\n")
        p = run("run", "--fio", path, "-o", self.out)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        for needle in ("[x] rw=rw", "[x] bs=4k,8k", "[x] thinktime=10", "[y] rw=randread:8", "[y] thinktime=10",
                       "[y] (no stonewall", "--fio-lenient"):
            self.assertIn(needle, p.stderr)
        self.assertFalse(os.path.exists(self.out))
        # Lenient: each dropped option a note in the translation and in the results of its job.
        p = run("run", "--fio", path, "--fio-lenient", "--runtime", "0.1s", "--backend", "null", "-q", "-o", self.out)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.out) as f:
            doc = json.load(f)
        jsonschema.validate(doc, SCHEMA)
        self.assertTrue(doc["context"]["fio"]["lenient"])
        notes = [r["notes"] for r in doc["results"]]
        self.assertEqual(len(notes), 2)
        self.assertIn("fio: --fio-lenient dropped thinktime=10 (no iobench equivalent; docs/fio.md lists what "
                      "translates)", notes[0])
        self.assertIn("fio: --fio-lenient dropped rw=randread:8 (the offset modifier ':N' has no iobench "
                      "equivalent)", notes[1])

    def test_bad_input(self):
        missing = os.path.join(self.dir.name, "missing.fio")
        cases = [
            (["--fio", missing], f"--fio: cannot read '{missing}': No such file or directory"),
            (["--fio", self.job("just text\n", "t.txt")], "is not a fio job file (no [JOB] section, and options "
                                                           "outside any section)"),
            (["--fio", self.job("[global]\nsize=1m\n", "g.fio")], "is not a fio job file"),
            (["--fio", self.job("[j]\nsize=1m\nbs=4q\n", "b.fio")], "[j] bs=4q: expected a size as fio reads it"),
            (["--fio", self.job("[j]\nsize=1m\nruntime=soon\ntime_based\n", "r.fio")],
             "[j] runtime=soon: expected a time as fio reads it"),
            (["--fio", self.job("[j]\nrw=read\n", "s.fio")], "[j]: no size= (fio needs one"),
            (["--fio", self.job("[j]\nsize=${IOBENCH_NOT_SET_ANYWHERE}\n", "e.fio")],
             "${IOBENCH_NOT_SET_ANYWHERE} is not set"),
            (["--fio", self.job("[j]\nsize=1m\nioengine=mmap\n", "m.fio")], "[j] ioengine=mmap"),
            (["--fio", self.job("[j]\nsize=1m\n", "ok.fio"), "-w", "x.json"], "not both"),
            (["--fio-lenient"], "--fio-lenient: only with --fio"),
            (["--fio", "/dev/zero"], "'/dev/zero' is not a fio job file (not a regular file)"),
            (["--fio", self.job("[j]\nsize=1m\nrwmixread=120\n", "x.fio")], "[j] rwmixread=120: expected an integer"),
        ]
        self.assert_refused(cases)

    def test_a_run_records_the_job_and_flags_override_it(self):
        path = self.job("[global]\nsize=8m\nruntime=30\ntime_based\n[rr]\nrw=randread\nioengine=io_uring\niodepth=4\n")
        p = run("run", "--fio", path, "--runtime", "0.2s", "-q", "-o", self.out)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.out) as f:
            doc = json.load(f)
        jsonschema.validate(doc, SCHEMA)
        (r,) = doc["results"]
        self.assertEqual((r["status"], r["backend"], r["workload"]["qd"], r["workload"]["runtime_ns"]),
                         ("ok", "io_uring", 4, 2 * 10**8))
        fio = doc["context"]["fio"]
        self.assertEqual(fio["file"], path)
        with open(path) as f:
            self.assertEqual(fio["sources"], [{"path": path, "text": f.read()}])
        self.assertEqual(fio["jobs"][0]["workload"]["runtime"], "30000000000ns", "the job as translated")
        self.assertTrue(any(n.startswith("fio: fio's random map") for n in r["notes"]))

    @unittest.skipUnless(shutil.which("fio"), "fio is not installed (scripts/install-deps --bench)")
    def test_fio_itself_reads_these_job_files(self):
        self.test_a_typical_job_file()
        self.test_jobs_that_differ_in_one_sweepable_field_are_a_sweep()
        p = subprocess.run(["fio", "--parse-only", os.path.join(self.dir.name, "job.fio")], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # Sizes as fio itself reads them (it prints the block size it will use).
        for base in ("1024", "1000"):
            for text in ("4k", "4K", "4kb", "4KB", "4kib", "4KiB", "8192", "8k"):  # fio prints these in bytes
                with self.subTest(kb_base=base, bs=text):
                    p = subprocess.run(["fio", "--name=j", "--size=4m", "--ioengine=null", "--kb_base=" + base,
                                        "--bs=" + text, "--rw=read"], capture_output=True, text=True)
                    fio_bs = int(p.stdout.split("bs=(R) ")[1].split("B-")[0])
                    self.assertEqual(self.points(f"[j]\nkb_base={base}\nsize=4m\nbs={text}\n")[0]["bs_bytes"],
                                     fio_bs)


if __name__ == "__main__":
    unittest.main()
