"""--fsync-every through each model's own flush: every model on a file
flushes exactly once per N writes (counters.fsyncs and fsync_lat_ns agree),
with --fsync-kind fsync or fdatasync, with verify; and what cannot flush is
refused before anything runs."""
import json
import os
import unittest

import jsonschema

from test_cli import SCHEMA, ScratchDir, run


class FsyncTest(ScratchDir, unittest.TestCase):
    def test_every_model_flushes_once_per_n_writes(self):
        for kind in ("fsync", "fdatasync"):
            p = run("run", "--target", "file:" + os.path.join(self.dir.name, "data"), "--size", "8M", "--rw",
                    "randrw", "--rwmix-read", "20", "--qd", "4", "--ops", "1000", "--fsync-every", "40",
                    "--fsync-kind", kind, "--verify", "--backend", "all:*", "-o", self.out, "-q")
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(self.out) as f:
                doc = json.load(f)
            jsonschema.validate(doc, SCHEMA)
            ran = 0
            for r in doc["results"]:
                name = f"{r['backend']}:{r['variant']}"
                if r["status"] == "skipped":
                    continue
                with self.subTest(model=name, kind=kind):
                    ran += 1
                    s = r["summary"]
                    self.assertEqual(r["status"], "ok", r["reason"])
                    self.assertEqual(r["workload"]["fsync_kind"], kind)
                    self.assertEqual((s["ops"], s["errors"]), (1000, 0))
                    writes = s["counters"]["submitted"] - s["ops"]  # what was submitted beyond the ops: flushes
                    fsyncs = s["counters"]["fsyncs"]
                    self.assertEqual(writes, fsyncs)
                    # One flush per 40 completed writes of each job thread (sync: one per thread's writes).
                    self.assertGreater(fsyncs, 0)
                    self.assertLessEqual(fsyncs, 1000 * 0.8 / 40 + 4)
                    self.assertIn("fsync_lat_ns", s)
            self.assertGreaterEqual(ran, 12)

    def test_what_cannot_flush_is_refused(self):
        cases = [(["--target", "emu", "--rw", "write", "--fsync-every", "10"], "--fsync-every: the emu target"),
                 (["--rw", "write", "--fsync-kind", "fdatasync"], "--fsync-kind: only applies with --fsync-every"),
                 (["--rw", "write", "--fsync-every", "10", "--fsync-kind", "sometimes"], "fdatasync")]
        self.assert_refused(cases)


if __name__ == "__main__":
    unittest.main()
