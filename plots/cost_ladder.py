#!/usr/bin/python3
"""The cost ladder: one bar per I/O primitive from `iobench micro -o FILE`
(Google Benchmark JSON), time per operation on a log scale."""
import argparse
import json
import os
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("file", help="iobench micro JSON (iobench micro -o FILE)")
    ap.add_argument("-o", "--output", required=True, help="image to write (.png or .svg)")
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
        per_item = b["real_time"] * scale
        # Batched benchmarks report items per iteration: show the cost per item.
        ips = b.get("items_per_second")
        if ips:
            per_item = 1e9 / ips
        rows.append((b["name"].replace("BM_", "").replace("/real_time", ""), per_item))
    if not rows:
        sys.exit(f"{me}: {a.file}: no benchmark ran successfully")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows.sort(key=lambda r: r[1])
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(rows) + 1.6))
    ax.barh([r[0] for r in rows], [r[1] for r in rows], color="#4477aa")
    for i, (_, v) in enumerate(rows):
        ax.text(v, i, f" {v:,.0f} ns", va="center", fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("time per operation (ns, wall clock; per item for batches)")
    ax.set_title("Cost ladder of I/O primitives")
    c = doc["context"]
    fig.text(0.01, 0.005, f"{c.get('host_name', '?')}: {c.get('num_cpus', '?')} CPUs, iobench "
             f"{c.get('iobench_version', '?')} ({c.get('git_sha', '?')})", fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(a.output, dpi=110, format="svg" if a.output.endswith(".svg") else "png")


if __name__ == "__main__":
    main()
