#!/usr/bin/python3
"""The cost ladder: per I/O primitive from `iobench micro -o FILE` (Google
Benchmark JSON), wall-clock time and the calling thread's CPU time per
operation on a log scale, each labelled with what it touched (no I/O, page
cache, pipe, O_DIRECT on a device or on tmpfs); a device-bound bar is hatched:
its time is the device's, not the interface's."""
import argparse
import json
import os
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("file", help="iobench micro JSON (iobench micro -o FILE)")
    ap.add_argument("-o", "--output", required=True, help="image to write (.png or .svg)")
    ap.add_argument("--title", help="the chart's title")
    ap.add_argument("--anonymize", action="store_true", help="leave the hostname out of the footer")
    a = ap.parse_args()
    me = os.path.basename(sys.argv[0])
    try:
        doc = json.load(open(a.file))
    except (OSError, json.JSONDecodeError) as e:
        sys.exit(f"{me}: {a.file}: cannot read a JSON document ({e})")
    if not isinstance(doc, dict) or "benchmarks" not in doc or "iobench_version" not in doc.get("context", {}):
        sys.exit(f"{me}: {a.file}: not an iobench micro report (run: iobench micro -o FILE)")
    rows = []
    for b in doc["benchmarks"]:
        if b.get("error_occurred") or b.get("run_type") == "aggregate":
            continue
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        wall, cpu = b["real_time"] * scale, b["cpu_time"] * scale
        # Batched benchmarks report items per iteration: show the cost per item.
        ips = b.get("items_per_second")
        if ips:
            items = ips * wall / 1e9
            wall, cpu = wall / items, cpu / items
        rows.append((b["name"].replace("BM_", "").replace("/real_time", ""), wall, cpu, b.get("label", "")))
    if not rows:
        sys.exit(f"{me}: {a.file}: no benchmark ran successfully")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows.sort(key=lambda r: r[1])
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(rows) + 1.8))
    ys = range(len(rows))
    device = [("device" in r[3]) for r in rows]
    ax.barh([y + 0.2 for y in ys], [r[1] for r in rows], 0.4, color="#0072B2", label="wall clock",
            hatch=["//" if d else "" for d in device], edgecolor="white")
    ax.barh([y - 0.2 for y in ys], [r[2] for r in rows], 0.4, color="#56B4E9", label="CPU (the calling thread)")
    for y, (_, wall, cpu, label) in zip(ys, rows):
        ax.text(wall, y + 0.2, f" {wall:,.0f} ns" + (" (device-bound)" if "device" in label else ""), va="center",
                fontsize=7)
        ax.text(max(cpu, 1), y - 0.2, f" {cpu:,.0f}", va="center", fontsize=6, color="#555555")
    ax.set_yticks(list(ys))
    ax.set_yticklabels([f"{n}\n[{label}]" if label else n for n, _, _, label in rows], fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("time per operation (ns; per item for batches). Hatched: the device's time, not the interface's")
    ax.set_title(a.title or "Cost ladder of I/O primitives: wall clock and CPU")
    ax.legend(fontsize=7, loc="lower right")
    c = doc["context"]
    host = "" if a.anonymize else f"{c.get('host_name', '?')}: "
    fig.text(0.01, 0.005, f"{host}{c.get('num_cpus', '?')} CPUs, iobench "
             f"{c.get('iobench_version', '?')} ({c.get('git_sha', '?')})", fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(a.output, dpi=110, format="svg" if a.output.endswith(".svg") else "png")


if __name__ == "__main__":
    main()
