#!/usr/bin/python3
"""Latency percentiles (p50 ... p99.99) per backend, log scale."""
import iobench_results as ir

PCTS = ["50", "90", "99", "99.9", "99.99"]


def draw(docs, plt):
    rs = list(ir.ok_results(docs))
    if not rs:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.8))
    for _, r in rs:
        ax.plot(PCTS, [max(ir.figure(r["summary"], "p" + k), 1) / 1e3 for k in PCTS],
                label=f"{ir.words(r)} — {ir.workload_words(r)}", **ir.style(r))
    ax.set_yscale("log")
    ax.set_xlabel("percentile")
    ax.set_ylabel("latency (µs, submission to completion)")
    ax.set_title("Latency percentiles")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    return fig


if __name__ == "__main__":
    ir.main(__doc__, draw)
