"""Bash completion and the man page, generated from the option list: what a
user gets at the shell, and a man page groff renders without a warning."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

IOBENCH = os.environ.get("IOBENCH", "../build/iobench")
BREAKS = " \t\n\"'><=;|&(:"  # bash's default COMP_WORDBREAKS


def listing():
    return json.loads(subprocess.run([IOBENCH, "list", "--json"], capture_output=True, text=True, check=True).stdout)


class CompletionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        p = subprocess.run([IOBENCH, "completion", "bash"], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        cls.dir = tempfile.TemporaryDirectory()
        cls.script = os.path.join(cls.dir.name, "iobench.bash")
        with open(cls.script, "w") as f:
            f.write(p.stdout)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def complete(self, line, cwd=None):
        """What bash offers after LINE (cursor at its end): the words bash puts in place of the current one."""
        prog = (f"source {self.script}\nCOMP_WORDBREAKS=$2\n"
                "COMP_LINE=\"$1\"; COMP_POINT=${#1}\n_iobench\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
        p = subprocess.run(["bash", "-c", prog, "bash", line, BREAKS], capture_output=True, text=True, cwd=cwd)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        return [w for w in p.stdout.split("\n") if w]

    def test_the_script_is_valid_bash(self):
        self.assertEqual(subprocess.run(["bash", "-n", self.script]).returncode, 0)

    def test_commands_and_subcommands(self):
        self.assertEqual(self.complete("iobench "), ["run", "list", "compare", "history", "completion", "micro"])
        self.assertEqual(self.complete("iobench h"), ["history"])
        self.assertEqual(self.complete("iobench history "), ["add", "show", "check"])
        self.assertEqual(self.complete("iobench history check --al"), ["--alpha"])
        self.assertNotIn("man", self.complete("iobench m"), "the man page generator is hidden")

    def test_every_workload_field_and_its_values(self):
        offered = self.complete("iobench run --")
        for f in listing()["fields"]:
            with self.subTest(flag=f["flag"]):
                self.assertIn(f["flag"], offered)
                if "off_flag" in f:
                    self.assertIn(f["off_flag"], offered)
                if "choices" in f:
                    self.assertEqual(self.complete(f"iobench run {f['flag']} "), f["choices"])
        self.assertEqual(self.complete("iobench run --rw rand"), ["randread", "randwrite", "randrw"])
        self.assertEqual(self.complete("iobench run --cache c"), ["cold"])

    def test_backends_variants_lists_and_sets(self):
        backends = listing()["backends"]
        offered = self.complete("iobench run --backend ")
        for b in backends:
            for v in b["variants"]:
                self.assertIn(f"{b['name']}:{v['name']}", offered)
        # After "io_uring:" bash replaces only what follows the colon.
        uring = next(b for b in backends if b["name"] == "io_uring")
        self.assertEqual(self.complete("iobench run --backend io_uring:"),
                         ["*"] + [v["name"] for v in uring["variants"]])
        self.assertEqual(self.complete("iobench run --backend sync,io_uring:ba"), ["batch"])
        self.assertEqual(self.complete("iobench run --backend sync,li"), ["sync,libaio", "sync,libaio:*"] +
                         [f"sync,libaio:{v['name']}" for v in next(b for b in backends if b["name"] == "libaio")
                          ["variants"]])
        self.assertEqual(self.complete("iobench run --uring-setup coop+si"), ["coop+single"])
        self.assertEqual(self.complete("iobench run --format m"), ["markdown"])
        self.assertEqual(self.complete("iobench compare --format "), ["table", "markdown", "json"])

    def test_paths_where_a_file_goes(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ("quick.json", "other.txt"):
                open(os.path.join(d, name), "w").close()
            self.assertEqual(self.complete("iobench run -w qu", cwd=d), ["quick.json"])
            self.assertEqual(self.complete("iobench compare qu", cwd=d), ["quick.json"])
            self.assertEqual(self.complete("iobench history add db ot", cwd=d), ["other.txt"])


class ManPageTest(unittest.TestCase):
    def setUp(self):
        if not shutil.which("groff"):
            self.skipTest("groff is not installed (scripts/install-deps installs it)")
        p = subprocess.run([IOBENCH, "man"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.page = p.stdout

    def test_groff_renders_it_without_a_warning(self):
        p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-P", "-cbou"], input=self.page, capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        text = p.stdout
        for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS", "FILES", "SEE ALSO"):
            self.assertIn(heading, text)
        for cmd in ("iobench run", "iobench history check", "iobench micro", "iobench completion"):
            self.assertIn(cmd, text)

    def test_every_flag_is_in_it(self):
        for f in listing()["fields"]:
            self.assertIn("\\fB" + f["flag"].replace("-", "\\-") + "\\fR", self.page)


if __name__ == "__main__":
    unittest.main()
