"""Docs that cannot drift: every workload field and flag is in docs/workloads.md
(and every flag in README.md), every variant in docs/backends.md, every target
in docs/workloads.md, and every path or link the docs give exists."""
import glob
import json
import os
import re
import subprocess
import unittest

IOBENCH = os.environ.get("IOBENCH", "../build/iobench")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return f.read()


def listing():
    p = subprocess.run([IOBENCH, "list", "--json"], capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


class DocsTest(unittest.TestCase):
    def test_every_field_and_flag_is_documented(self):
        workloads, readme = read("docs/workloads.md"), read("README.md")
        fields = listing()["fields"]
        self.assertGreaterEqual(len(fields), 30)
        for f in fields:
            for flag in [f["flag"]] + ([f["off_flag"]] if "off_flag" in f else []):
                with self.subTest(field=f["field"], flag=flag):
                    self.assertIn(f"`{f['field']}`", workloads)
                    self.assertRegex(workloads, re.escape(flag) + r"\b")
                    self.assertRegex(readme, re.escape(flag) + r"\b")

    def test_every_variant_and_target_is_documented(self):
        backends, workloads = read("docs/backends.md"), read("docs/workloads.md")
        doc = listing()
        for b in doc["backends"]:
            for v in b["variants"]:
                with self.subTest(variant=f"{b['name']}:{v['name']}"):
                    self.assertIn(f"`{b['name']}:{v['name']}`", backends)
                    self.assertTrue(v["description"])
        for t in doc["targets"]:
            with self.subTest(target=t["name"]):
                self.assertIn(f"`{t['spelling']}`", workloads)

    def test_every_path_and_link_in_the_docs_exists(self):
        texts = {rel: read(rel) for rel in ["README.md"] + sorted(
            os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))}
        top = "docs|src|scripts|plots|tests|module|workloads|results|cmake"
        checked = 0
        for rel, text in texts.items():
            paths = re.findall(rf"`((?:{top})/[^`\s*<>]*?)`", text)
            paths += [m for m in re.findall(r"\]\(([^)#\s]+)", text) if not re.match(r"[a-z]+:", m)]
            for path in paths:
                path = path.rstrip(".,:;")
                if path.startswith("results/") and path.count("/") > 1:  # a dated set, named by example
                    continue
                if re.search(r"\b[A-Z]{3,}\b", path):  # a placeholder: src/backends/NAME.cpp
                    continue
                with self.subTest(doc=rel, path=path):
                    base = ROOT if not path.startswith(".") else os.path.dirname(os.path.join(ROOT, rel))
                    self.assertTrue(os.path.exists(os.path.join(base, path)), f"{rel} names {path}")
                    checked += 1
        self.assertGreater(checked, 20)


if __name__ == "__main__":
    unittest.main()
