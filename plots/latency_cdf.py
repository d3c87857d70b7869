#!/usr/bin/python3
"""Latency CDF per backend from the histogram buckets (run iobench with
--histogram)."""
import iobench_results as ir


def draw(docs, plt):
    rs = [r for _, r in ir.ok_results(docs) if "histogram" in r["summary"]["lat_ns"]]
    if not rs:
        raise ir.BadInput("no result carries histogram buckets: run iobench with --histogram")
    fig, ax = plt.subplots(figsize=(8, 4.8))
    for r in rs:
        buckets = r["summary"]["lat_ns"]["histogram"]
        total = sum(n for _, n in buckets)
        xs, ys, acc = [], [], 0
        for v, n in buckets:
            acc += n
            xs.append(max(v, 1) / 1e3)
            ys.append(acc / total)
        st = ir.style(r)
        ax.step(xs, ys, where="post", label=f"{ir.words(r)} — {ir.workload_words(r)}", color=st["color"],
                linestyle=st["linestyle"])
    ax.set_xscale("log")
    ax.set_xlabel("latency (µs)")
    ax.set_ylabel("fraction of requests ≤ latency")
    ax.set_title("Latency CDF")
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    return fig


if __name__ == "__main__":
    ir.main(__doc__, draw)
