"""--cancel-pct and --drain cancel: every model that can cancel does so on a
file (with and without flushes) and on emu in both modes, with verify; its
counters add up, what was taken back is no op and has a cancel latency; what
cannot cancel is skipped or refused before anything runs."""
import json
import os
import unittest

import jsonschema

from test_cli import SCHEMA, ScratchDir, run

CANCEL_COUNTERS = ("cancelled", "cancel_too_late", "cancel_unsupported")
# Every variant that can cancel and runs on a file here (iopoll needs a polled device).
CANCELLING = ("posixaio:*,libaio:getevents,libaio:eventfd,io_uring:default,io_uring:batch,io_uring:sqpoll,io_uring:fixed")


class CancelTest(ScratchDir, unittest.TestCase):
    def run_doc(self, *args):
        p = run("run", "--target", "file:" + os.path.join(self.dir.name, "data"), "--size", "8M", *args,
                "-o", self.out, "-q")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.out) as f:
            doc = json.load(f)
        jsonschema.validate(doc, SCHEMA)
        return doc

    def check_counts(self, r, pct):
        s = r["summary"]
        c = s["counters"]
        asked = c["cancel_requested"]
        self.assertEqual(asked, sum(c[k] for k in CANCEL_COUNTERS))
        self.assertEqual(s["errors"], 0, r["reason"])
        # The seed picks pct % of the requests submitted (ops + those taken back).
        share = asked / (s["ops"] + c["cancelled"])
        self.assertGreater(share, pct / 100 - 0.15)
        self.assertLess(share, pct / 100 + 0.15)
        # Taken back: a cancel latency each, and nothing else about them counted.
        self.assertEqual("cancel_lat_ns" in s, c["cancelled"] > 0)
        self.assertEqual(s["counters"]["submitted"] - c["fsyncs"], s["ops"] + c["cancelled"])
        return c

    def test_every_model_that_can_cancel_accounts_for_every_cancel(self):
        for extra in (["--rw", "randrw"], ["--rw", "randwrite", "--fsync-every", "8", "--fsync-kind", "fdatasync"]):
            doc = self.run_doc("--backend", CANCELLING, "--qd", "8", "--ops", "3000", "--cancel-pct", "50",
                               "--verify", *extra)
            self.assertEqual(len(doc["results"]), 11)
            for r in doc["results"]:
                name = f"{r['backend']}:{r['variant']}"
                with self.subTest(model=name, extra=extra):
                    self.assertEqual(r["status"], "ok", r["reason"])
                    self.assertEqual(r["workload"]["cancel_pct"], 50)
                    c = self.check_counts(r, 50)
                    self.assertTrue(any("--cancel-pct 50:" in n for n in r["notes"]), r["notes"])
                    if "--fsync-every" in extra:
                        self.assertGreater(c["fsyncs"], 0)
                    if r["backend"] == "libaio":
                        # A file has no cancel function: io_cancel refuses every one (EINVAL).
                        self.assertEqual(c["cancel_unsupported"], c["cancel_requested"])
                    if r["backend"] == "posixaio":
                        # Requests wait for a helper thread: some are always taken back.
                        self.assertGreater(c["cancelled"], 0)
                        self.assertTrue(any("one descriptor per slot" in n for n in r["notes"]))

    def test_on_emu_cancelled_requests_leave_nothing_behind(self):
        for mode in ("request", "stream"):
            p = run("run", "--target", "emu", "--emu-mode", mode, "--emu-latency", "200us", "--rw", "randrw",
                    "--backend", "posixaio:suspend,posixaio:signal,io_uring:default,io_uring:batch,io_uring:fixed",
                    "--qd", "8", "--ops", "2000", "--cancel-pct", "50", "--verify", "-o", self.out, "-q")
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(self.out) as f:
                doc = json.load(f)
            jsonschema.validate(doc, SCHEMA)
            for r in doc["results"]:
                with self.subTest(model=f"{r['backend']}:{r['variant']}", mode=mode):
                    self.assertEqual(r["status"], "ok", r["reason"])
                    c = self.check_counts(r, 50)
                    if r["backend"] == "io_uring" or mode == "request":
                        # A read or write waiting on a pipe is taken back; a
                        # block left behind would show as a verify error or
                        # a request faster than the device.
                        self.assertGreater(c["cancelled"], 0)
                    if mode == "request":
                        self.assertGreaterEqual(r["summary"]["lat_ns"]["min"], 200_000)

    def test_drain_cancel_is_recorded_and_counted(self):
        doc = self.run_doc("--backend", "posixaio,io_uring:batch,libaio", "--rw", "randwrite", "--qd", "16",
                           "--runtime", "200ms", "--drain", "cancel")
        for r in doc["results"]:
            with self.subTest(model=r["backend"]):
                self.assertEqual(r["status"], "ok", r["reason"])
                self.assertEqual(r["workload"]["drain"], "cancel")
                c = r["summary"]["counters"]
                self.assertLessEqual(c["drain_cancelled"], c["drain_requested"])
                self.assertLessEqual(c["drain_requested"], 16)
                self.assertNotIn("cancel_requested", c)

    def test_without_cancel_nothing_is_said_of_it(self):
        doc = self.run_doc("--backend", "io_uring", "--ops", "200")
        r = doc["results"][0]
        self.assertNotIn("cancel_pct", r["workload"])
        self.assertNotIn("drain", r["workload"])
        self.assertFalse(any("cancel" in k or "drain" in k for k in r["summary"]["counters"]))

    def test_models_that_cannot_cancel_are_skipped_with_the_reason(self):
        doc = self.run_doc("--backend", "sync,poll,sigio,null,io_uring", "--ops", "200", "--cancel-pct", "20")
        status = {r["backend"]: r for r in doc["results"]}
        for name in ("sync", "poll", "sigio", "null"):
            self.assertEqual(status[name]["status"], "skipped")
            self.assertIn("no interface to take back a request", status[name]["reason"])
        self.assertEqual(status["io_uring"]["status"], "ok")

    def test_what_cannot_cancel_is_refused(self):
        cases = [(["--backend", "sync,poll", "--cancel-pct", "10"], "--cancel-pct: none of the backends chosen"),
                 (["--backend", "sync", "--drain", "cancel", "--runtime", "100ms"], "--drain cancel: none of"),
                 (["--cancel-pct", "101"], "--cancel-pct: expected an integer from 0 to 100"),
                 (["--cancel-pct", "half"], "--cancel-pct: expected an integer from 0 to 100"),
                 (["--drain", "abandon"], "--drain: expected one of wait, cancel"),
                 (["--drain", "cancel"], "--drain: cancel applies to a time-based run")]
        self.assert_refused(cases)


if __name__ == "__main__":
    unittest.main()
