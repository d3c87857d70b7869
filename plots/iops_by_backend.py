#!/usr/bin/python3
"""IOPS per model, grouped by workload; error bars are the standard
deviation across repetitions. null (no I/O) is the harness's own ceiling: a
grey line over its group, not a bar that would squeeze every model into the
bottom of the axis."""
import iobench_results as ir


def draw(docs, plt):
    groups = {}
    for _, r in ir.ok_results(docs):
        groups.setdefault(ir.workload_words(r), []).append(r)
    if not groups:
        return None
    models = sorted({(r["backend"], r["variant"]) for rs in groups.values() for r in rs if r["backend"] != "null"},
                    key=lambda m: (list(ir.COLOURS).index(m[0]) if m[0] in ir.COLOURS else 99, m[1]))
    fig, ax = plt.subplots(figsize=(max(7, 1.2 * len(groups) * max(1, len(models)) / 3), 4.8))
    width = 0.8 / max(1, len(models))
    for i, m in enumerate(models):
        xs, ys, errs, first = [], [], [], None
        for g, rs in enumerate(groups.values()):
            for r in rs:
                if (r["backend"], r["variant"]) == m:
                    xs.append(g + i * width)
                    ys.append(ir.figure(r["summary"], "iops"))
                    errs.append(r["summary"]["spread"]["iops"]["stddev"])
                    first = first or r
        st = ir.style(first)
        ax.bar(xs, ys, width, yerr=errs, capsize=2, label=ir.words(first), color=st["color"],
               hatch=["", "//", "..", "xx", "\\\\", "oo"][ir.MARKERS.index(st["marker"])], edgecolor="white")
    ceiling_labelled = False
    for g, rs in enumerate(groups.values()):
        for r in rs:
            if r["backend"] == "null":
                iops = ir.figure(r["summary"], "iops")
                ax.hlines(iops, g - width / 2, g + 0.8 - width / 2, colors=ir.COLOURS["null"], linestyles="--",
                          label=None if ceiling_labelled else "no I/O: the harness's ceiling")
                ax.annotate(f"harness ceiling {iops / 1e6:.3g}M", (g - width / 2, iops), fontsize=7,
                            color="#555555", va="bottom")
                ceiling_labelled = True
    ax.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))])
    ax.set_xticklabels(list(groups), rotation=15, ha="right", fontsize=8)
    values = [ir.figure(r["summary"], "iops") for rs in groups.values() for r in rs if r["backend"] != "null"]
    if values and min(values) > 0 and max(values) / min(values) > 100:
        ax.set_yscale("log")  # models themselves a hundredfold apart (a device beside the page cache)
    ax.set_ylabel("IOPS (requests per second)")
    ax.set_title("IOPS by I/O model (mean over repetitions, ±1 stddev)")
    ax.legend(fontsize=7, ncol=2)
    return fig


if __name__ == "__main__":
    ir.main(__doc__, draw)
