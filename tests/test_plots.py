"""Each plot script renders the checked-in fixture results to a non-empty
image and refuses bad input with a message and a non-zero exit."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PLOTS = os.path.join(os.path.dirname(HERE), "plots")
FIXTURES = [os.path.join(HERE, "fixtures", f) for f in ("emu-qd-sweep.json", "file-randread.json")]
CHARTS = ["iops_by_backend", "latency_percentiles", "latency_cdf", "qd_scaling", "cpu_per_op"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def plot(chart, *args):
    return subprocess.run([sys.executable, os.path.join(PLOTS, chart + ".py"), *args], capture_output=True, text=True,
                          timeout=120)


class ReaderTest(unittest.TestCase):
    def test_the_reader_knows_the_figure_table(self):
        # plots/ and scripts/ read figures by name through iobench_results;
        # its table must be the binary's own.
        sys.path.insert(0, PLOTS)
        import iobench_results as ir
        p = subprocess.run([os.environ.get("IOBENCH", "../build/iobench"), "list", "--json"], capture_output=True,
                           text=True, check=True)
        table = {f["name"]: f["path"] for f in json.loads(p.stdout)["figures"]}
        self.assertEqual(ir.FIGURES, table)
        with open(FIXTURES[1]) as f:
            summary = json.load(f)["results"][0]["summary"]
        self.assertEqual(ir.figure(summary, "p99.9"), summary["lat_ns"]["percentiles"]["99.9"])


class PlotTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="iobench-plots-")

    def tearDown(self):
        self.dir.cleanup()

    def test_every_chart_renders(self):
        for chart in CHARTS:
            for ext in ("png", "svg"):
                with self.subTest(chart=chart, ext=ext):
                    out = os.path.join(self.dir.name, f"{chart}.{ext}")
                    p = plot(chart, *FIXTURES, "-o", out)
                    self.assertEqual(p.returncode, 0, p.stderr)
                    with open(out, "rb") as f:
                        data = f.read()
                    self.assertGreater(len(data), 5000)
                    if ext == "png":
                        self.assertTrue(data.startswith(PNG_MAGIC))
                    else:
                        self.assertIn(b"<svg", data[:1000])

    def test_all_renders_every_applicable_chart(self):
        p = subprocess.run([sys.executable, os.path.join(PLOTS, "all.py"), *FIXTURES, "-d", self.dir.name],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(os.listdir(self.dir.name)), sorted(c + ".png" for c in CHARTS))

    def test_bad_input_is_refused(self):
        not_ours = os.path.join(self.dir.name, "other.json")
        with open(not_ours, "w") as f:
            json.dump({"hello": 1}, f)
        future = os.path.join(self.dir.name, "future.json")
        with open(FIXTURES[1]) as f:
            doc = json.load(f)
        doc["schema_version"] = 99
        with open(future, "w") as f:
            json.dump(doc, f)
        garbage = os.path.join(self.dir.name, "garbage.json")
        with open(garbage, "w") as f:
            f.write("{not json")
        cases = [(not_ours, "not an iobench result"), (future, "schema_version 99 is not supported"),
                 (garbage, "not JSON"), ("/nonexistent.json", "cannot read")]
        for chart in CHARTS:
            for path, msg in cases:
                with self.subTest(chart=chart, path=os.path.basename(path)):
                    out = os.path.join(self.dir.name, "x.png")
                    p = plot(chart, path, "-o", out)
                    self.assertNotEqual(p.returncode, 0)
                    self.assertIn(msg, p.stderr)
                    self.assertFalse(os.path.exists(out))

    def test_cdf_needs_histograms(self):
        p = plot("latency_cdf", FIXTURES[1], "-o", os.path.join(self.dir.name, "c.png"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--histogram", p.stderr)


if __name__ == "__main__":
    unittest.main()
