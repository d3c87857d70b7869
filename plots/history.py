#!/usr/bin/python3
"""Trend charts of an iobench history database: one chart per series (a test
bed and what was measured), a panel per figure with each run's value, the
mean of each segment between change points, and each change marked with the
first run after it (its labels, e.g. the commit). The changes and segments
are `iobench history check`'s, so the chart shows what the gate decided.

  plots/history.py DB -o DIR [--iobench PATH] [--figure iops,p99] [check's filters: --testbed, --backend, ...]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys


def find_iobench(given):
    """--iobench, $IOBENCH, iobench on PATH, or the build next to these scripts."""
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (given, os.environ.get("IOBENCH"), shutil.which("iobench"),
                      os.path.join(here, "..", "build", "iobench")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("history.py: no iobench binary found (give --iobench PATH or set IOBENCH)")


def check(iobench, db, figures, extra):
    args = [iobench, "history", "check", db, "--format", "json", *extra]
    if figures:  # the gate stays check's own (--fail-on, default iops,p99): the charts show its verdicts
        args += ["--figure", figures]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode not in (0, 1):  # 1: a regression, which the charts show
        sys.stderr.write(p.stderr)
        sys.exit(p.returncode)
    return json.loads(p.stdout)


def slug(text):
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-")[:100]


def label_of(point):
    labels = point.get("labels") or {}
    return " ".join(f"{k}={v}" for k, v in sorted(labels.items())) or f"iobench {point['git_sha']}"


def draw(plt, name, panels):
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 2.8 * len(panels) + 0.8), squeeze=False, sharex=True)
    for ax, s in zip(axes[:, 0], panels):
        xs = list(range(len(s["points"])))
        ys = [p["value"] for p in s["points"]]
        ax.plot(xs, ys, "o", color="#4c72b0", markersize=4, label="run (mean of its repetitions)")
        for seg in s["segments"]:
            ax.hlines(seg["mean"], seg["first"] - 0.4, seg["end"] - 0.6, color="#222222", linewidth=2)
        for c in s["changes"]:
            colour = "#c44e52" if c["direction"] == "worse" else "#55a868"
            ax.axvline(c["index"] - 0.5, color=colour, linestyle="--", linewidth=1)
            ax.annotate(f"{c['change_percent']:+.1f}% p={c['p_value']:.3f}\n{label_of(c['first_after'])}",
                        (c["index"] - 0.5, 1.0), xycoords=("data", "axes fraction"), va="top", ha="left",
                        fontsize=7, color=colour, xytext=(3, -3), textcoords="offset points",
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
        verdict = s["verdict"] + ("" if s["gated"] else ", not gated")
        ax.set_title(f"{s['figure']}: {verdict}", fontsize=9, loc="left",
                     color="#c44e52" if s["verdict"] == "regression" else "black")
        ax.grid(True, alpha=0.3)
    last = axes[-1, 0]
    points = panels[0]["points"]
    step = max(1, len(points) // 12)
    last.set_xticks(range(0, len(points), step))
    last.set_xticklabels([points[i]["time"][:10] for i in range(0, len(points), step)], rotation=30, ha="right",
                         fontsize=7)
    fig.suptitle(name, fontsize=9)
    return fig


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="Other arguments go to `iobench history check` (its filters).")
    ap.add_argument("db", help="history database (iobench history add)")
    ap.add_argument("-o", "--output", required=True, help="directory for the charts (created)")
    ap.add_argument("--iobench", help="the iobench binary (default: $IOBENCH, PATH, ../build/iobench)")
    ap.add_argument("--figure", default="iops,p99", help="figures, a panel each (default iops,p99)")
    ap.add_argument("--ext", choices=("png", "svg"), default="png")
    a, extra = ap.parse_known_args()
    if not os.path.isfile(a.db):
        print(f"history.py: {a.db}: no such database", file=sys.stderr)
        sys.exit(2)
    doc = check(find_iobench(a.iobench), a.db, a.figure, extra)
    series = {}
    for s in doc["series"]:
        series.setdefault((s["testbed"], s["title"]), []).append(s)
    if not series:
        print("history.py: no series matches", file=sys.stderr)
        sys.exit(2)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(a.output, exist_ok=True)
    order = a.figure.split(",")
    for i, ((testbed, title), panels) in enumerate(sorted(series.items())):
        panels.sort(key=lambda s: order.index(s["figure"]) if s["figure"] in order else 99)
        fig = draw(plt, f"{testbed} | {title}", panels)
        fig.tight_layout()
        path = os.path.join(a.output, f"{i:02d}-{slug(title)}.{a.ext}")
        # Written under a temporary name and renamed: a reader never sees half a chart.
        tmp = path + ".tmp"
        fig.savefig(tmp, dpi=100, format=a.ext)
        os.replace(tmp, path)
        plt.close(fig)
        print(path)


if __name__ == "__main__":
    main()
