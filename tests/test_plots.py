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


def assert_renders(test, directory, chart, *args):
    """`chart` draws args to a non-empty PNG and SVG in directory."""
    for ext in ("png", "svg"):
        with test.subTest(chart=chart, ext=ext):
            out = os.path.join(directory, f"{chart}.{ext}")
            p = plot(chart, *args, "-o", out)
            test.assertEqual(p.returncode, 0, p.stderr)
            with open(out, "rb") as f:
                data = f.read()
            test.assertGreater(len(data), 5000)
            test.assertTrue(data.startswith(PNG_MAGIC) if ext == "png" else b"<svg" in data[:1000])


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
            assert_renders(self, self.dir.name, chart, *FIXTURES)

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


class StyleTest(unittest.TestCase):
    """What a chart for a blog post needs: a model looks the same in every
    chart, series are named in words, null is a ceiling and not a bar, and
    the title, the backends shown and the footer's hostname are the user's."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, PLOTS)
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import iobench_results as ir
        cls.plt, cls.ir = plt, ir
        cls.docs = ir.load(FIXTURES)

    def chart(self, name, docs=None, **kw):
        mod = __import__(name)
        fig = self.ir.render(docs or self.docs, mod.draw, self.plt, **kw)
        self.addCleanup(self.plt.close, fig)
        return fig

    def legend(self, fig):
        import matplotlib.colors as mc
        out = {}
        for ax in fig.axes:
            leg = ax.get_legend()
            if not leg:
                continue
            for handle, text in zip(getattr(leg, "legend_handles", None) or leg.legendHandles, leg.get_texts()):
                colour = handle.get_color() if hasattr(handle, "get_color") else handle.get_facecolor()
                out[text.get_text()] = mc.to_hex(colour[0] if isinstance(colour, list) else colour)
        return out

    def test_a_model_has_one_colour_in_every_chart(self):
        for chart in ("iops_by_backend", "qd_scaling", "latency_percentiles"):
            with self.subTest(chart=chart):
                legend = self.legend(self.chart(chart))
                self.assertTrue(legend)
                for label, colour in legend.items():
                    if label.startswith("no I/O"):
                        continue
                    model = next(b for b, w in self.ir.WORDS.items() if label.startswith(w))
                    self.assertEqual(colour, self.ir.COLOURS[model].lower(), label)

    def test_variants_of_a_model_differ_by_marker_not_colour(self):
        r = {"backend": "poll", "variant": "epoll"}
        s = self.ir.style(r), self.ir.style(dict(r, variant="poll"))
        self.assertEqual(s[0]["color"], s[1]["color"])
        self.assertNotEqual(s[0]["marker"], s[1]["marker"])

    def test_series_are_named_in_words(self):
        labels = " ".join(self.legend(self.chart("latency_percentiles")))
        self.assertIn("random reads, 4 KiB, qd 1, file", labels)
        self.assertNotIn("(randread 4k x1", labels)

    def test_null_is_a_ceiling_not_a_bar(self):
        fig = self.chart("iops_by_backend")
        ax = fig.axes[0]
        null_iops = [self.ir.figure(r["summary"], "iops") for _, r in self.ir.ok_results(self.docs)
                     if r["backend"] == "null"]
        self.assertTrue(null_iops, "the fixtures have a null result")
        self.assertFalse([p for p in ax.patches if abs(p.get_height() - null_iops[0]) < 1], "null drawn as a bar")
        self.assertIn("no I/O: the harness's ceiling", self.legend(fig))

    def test_title_backends_and_anonymized_footer(self):
        docs = self.ir.only_backends(self.docs, {"sync", "io_uring"})
        fig = self.chart("iops_by_backend", docs, title="Reads on a VM", anonymize=True)
        self.assertEqual(fig._suptitle.get_text(), "Reads on a VM")
        footer = " ".join(t.get_text() for t in fig.texts)
        host = self.docs[0][1]["context"]["hostname"]
        self.assertNotIn(host, footer)
        self.assertIn("iobench", footer)
        self.assertEqual(set(self.legend(fig)), {"blocking (sync)", "io_uring"})
        with self.assertRaises(self.ir.BadInput):
            self.ir.only_backends(self.docs, {"nosuch"})


if __name__ == "__main__":
    unittest.main()


class TimeTest(unittest.TestCase):
    """plots/series.py (--series) and plots/timeline.py (--trace) on checked-in
    fixtures made by iobench, and on input they cannot draw."""

    SERIES = os.path.join(HERE, "fixtures", "emu-series.json")
    TRACE = os.path.join(HERE, "fixtures", "trace-emu.json")

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="iobench-plots-")

    def tearDown(self):
        self.dir.cleanup()

    def test_series_renders_and_needs_a_series(self):
        assert_renders(self, self.dir.name, "series", self.SERIES)
        p = plot("series", FIXTURES[1], "-o", os.path.join(self.dir.name, "s.png"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("--series", p.stderr)

    def test_timeline_draws_a_row_per_model_that_moves_data(self):
        assert_renders(self, self.dir.name, "timeline", self.TRACE)
        sys.path.insert(0, PLOTS)
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import timeline
        procs = timeline.load_trace(self.TRACE)
        names = sorted(p["name"].split()[0] for p in procs.values())
        self.assertEqual(names, ["io_uring:default", "poll:poll", "posixaio:signal", "sigio:handler", "sync:default"])
        fig = timeline.draw(procs, plt, 3, 1)
        self.addCleanup(plt.close, fig)
        self.assertEqual(len(fig.axes), 5)
        # The window is 3 whole requests of the first job thread, each with its device-ready moment.
        for p in procs.values():
            tid, t0, t1, shown = timeline.window(p, 3, 1)
            self.assertGreaterEqual(len(shown), 3)
            for (_, rid, _, b, e) in shown[:3]:
                self.assertTrue(b <= p["ready"][rid] <= e)

    def test_timeline_refuses_what_is_not_a_trace(self):
        d = self.dir.name
        with open(self.TRACE) as f:
            whole = f.read()
        with open(FIXTURES[1]) as f:
            result = f.read()
        files = {"empty.json": "", "truncated.json": whole[:len(whole) // 2], "other.json": json.dumps({"a": 1}),
                 "result.json": result,
                 "no-requests.json": json.dumps({"traceEvents": [{"ph": "M", "name": "process_name", "pid": 1,
                                                                  "tid": 0, "args": {"name": "sync:default x"}}]})}
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        cases = [("empty.json", "not JSON"), ("truncated.json", "not JSON"), ("other.json", "not a trace"),
                 ("result.json", "not a trace"), ("no-requests.json", "no request"), ("missing.json", "cannot read")]
        for name, msg in cases:
            with self.subTest(file=name):
                out = os.path.join(d, "t.png")
                p = plot("timeline", os.path.join(d, name), "-o", out)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(msg, p.stderr)
                self.assertEqual(len(p.stderr.strip().split("\n")), 1, p.stderr)
                self.assertFalse(os.path.exists(out))
        p = plot("timeline", self.TRACE, "--requests", "0", "-o", os.path.join(d, "t.png"))
        self.assertEqual(p.returncode, 2)
