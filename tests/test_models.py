"""The hybrid model, sync:nowait: preadv2(RWF_NOWAIT) in the job thread and
the misses to a worker pool. On a page-cached file nearly every read is
served inline, on a file whose pages were dropped most go to the workers,
and the two counters add up to the requests; sync:hipri is refused with
the reason."""
import json
import os
import unittest

import jsonschema

from test_cli import SCHEMA, ScratchDir, run


def drop_cache(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


class NowaitTest(ScratchDir, unittest.TestCase):
    def nowait(self, data):
        p = run("run", "--target", "file:" + data, "--size", "64M", "--rw", "randread", "--qd", "4", "--ops",
                "2000", "--verify", "--backend", "sync:nowait", "-o", self.out, "-q")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.out) as f:
            doc = json.load(f)
        jsonschema.validate(doc, SCHEMA)
        r = doc["results"][0]
        self.assertEqual(r["status"], "ok", r["reason"])
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
        drop_cache(data)
        self.assertLess(self.nowait(data), 0.5)

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


if __name__ == "__main__":
    unittest.main()
