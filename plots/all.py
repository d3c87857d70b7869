#!/usr/bin/python3
"""Renders every chart that applies to a set of result files into a directory.

    plots/all.py RESULT.json... -d OUTDIR
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CHARTS = ["iops_by_backend", "latency_percentiles", "latency_cdf", "qd_scaling", "cpu_per_op", "notify", "series"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("-d", "--dir", required=True)
    ap.add_argument("--format", default="png", choices=["png", "svg"])
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    made = 0
    for chart in CHARTS:
        out = os.path.join(a.dir, f"{chart}.{a.format}")
        p = subprocess.run([sys.executable, os.path.join(HERE, chart + ".py"), *a.files, "-o", out],
                           capture_output=True, text=True)
        if p.returncode == 0:
            print(out)
            made += 1
        else:
            print(f"skipped {chart}: {p.stderr.strip()}", file=sys.stderr)
    if not made:
        sys.exit("all.py: no chart applies to these files")


if __name__ == "__main__":
    main()
