#!/usr/bin/python3
"""IOPS per backend, grouped by workload; error bars are the standard
deviation across repetitions."""
import iobench_results as ir


def draw(docs, plt):
    groups = {}
    for _, r in ir.ok_results(docs):
        groups.setdefault(r["workload"]["name"], []).append(r)
    if not groups:
        return None
    backends = sorted({ir.name(r) for rs in groups.values() for r in rs})
    fig, ax = plt.subplots(figsize=(max(7, 1.2 * len(groups) * max(1, len(backends)) / 3), 4.8))
    width = 0.8 / len(backends)
    for i, b in enumerate(backends):
        xs, ys, errs = [], [], []
        for g, (wl, rs) in enumerate(groups.items()):
            for r in rs:
                if ir.name(r) == b:
                    xs.append(g + i * width)
                    ys.append(ir.figure(r["summary"], "iops"))
                    errs.append(r["summary"]["spread"]["iops"]["stddev"])
        ax.bar(xs, ys, width, yerr=errs, capsize=2, label=b)
    ax.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))])
    ax.set_xticklabels(list(groups), rotation=15, ha="right", fontsize=8)
    values = [v for rs in groups.values() for r in rs if (v := ir.figure(r["summary"], "iops")) > 0]
    if values and max(values) / min(values) > 100:
        ax.set_yscale("log")  # e.g. null beside a device: keep both readable
    ax.set_ylabel("IOPS (requests per second)")
    ax.set_title("IOPS by backend (mean over repetitions, ±1 stddev)")
    ax.legend(fontsize=7, ncol=2)
    return fig


if __name__ == "__main__":
    ir.main(__doc__, draw)
