"""--wait spin: every model that waits can poll instead, the result says so,
and a spinning job thread does not sleep (voluntary context switches per
request fall to about none), while sync, which has no wait, is skipped."""
import json
import os
import unittest

import jsonschema

from test_cli import SCHEMA, ScratchDir, run


class WaitTest(ScratchDir, unittest.TestCase):
    def results(self, *args):
        p = run("run", *args, "-o", self.out, "-q")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.out) as f:
            doc = json.load(f)
        jsonschema.validate(doc, SCHEMA)
        return {f"{r['backend']}:{r['variant']}": r for r in doc["results"]}

    def test_every_waiting_model_can_spin_instead(self):
        common = ["--target", "emu", "--emu-latency", "100us", "--rw", "read", "--qd", "2", "--ops", "300",
                  "--backend", "all:*", "--verify"]
        spin = self.results(*common, "--wait", "spin")
        block = self.results(*common)
        self.assertEqual(spin["sync:default"]["status"], "skipped")
        self.assertIn("no wait to spin on", spin["sync:default"]["reason"])
        ran = 0
        for name, r in spin.items():
            if name == "sync:default" or r["status"] == "skipped":
                continue
            with self.subTest(model=name):
                ran += 1
                self.assertEqual(r["status"], "ok", r["reason"])
                self.assertEqual(r["workload"]["wait"], "spin")
                self.assertNotIn("wait", block[name]["workload"])  # absent: block
                self.assertEqual(r["summary"]["ops"], 300)
                self.assertEqual(r["summary"]["errors"], 0)
                # The job thread never sleeps for a completion: only models
                # without helper threads, whose context switches are the job's alone.
                if name.split(":")[0] in ("poll", "sigio", "io_uring") and name != "io_uring:sqpoll":
                    per_op = lambda x: x["summary"]["ctx_switches"]["voluntary"] / x["summary"]["ops"]
                    self.assertGreater(per_op(block[name]), 0.3)
                    self.assertLess(per_op(r), 0.1 * per_op(block[name]))
        self.assertGreaterEqual(ran, 12)

    def test_kernel_aio_spins_on_a_file(self):
        # libaio cannot wait on emu (a pipe): its zero-timeout io_getevents on O_DIRECT file reads.
        rs = self.results("--target", "file:" + os.path.join(self.dir.name, "data"), "--size", "8M", "--rw",
                          "randread", "--qd", "8", "--ops", "500", "--backend",
                          "libaio:getevents,libaio:eventfd,io_uring", "--wait", "spin", "--verify")
        for name, r in rs.items():
            with self.subTest(model=name):
                self.assertEqual(r["status"], "ok", r["reason"])
                self.assertEqual((r["summary"]["ops"], r["summary"]["errors"]), (500, 0))

    def test_spin_is_checked_like_every_field(self):
        p = run("run", "--wait", "sometimes", "--ops", "10", "-o", self.out)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--wait", p.stderr)
        self.assertIn("block", p.stderr)
        self.assertIn("spin", p.stderr)
        self.assertFalse(os.path.exists(self.out))


if __name__ == "__main__":
    unittest.main()
