#!/usr/bin/python3
"""How late each I/O model learns that its data is there: the notification
delay (notify_ns: when the job saw a read's completion minus when the device
made the block ready) per model, p50 as a bar and p99 as a tick above it, one
panel per queue depth. Reads on a device target (emu, the driver) only: a file
has no device clock."""
import iobench_results as ir


def draw(docs, plt):
    panels = {}
    for _, r in ir.ok_results(docs):
        if "notify_ns" in r["summary"] and r["backend"] != "null":
            panels.setdefault(r["workload"]["qd"], []).append(r)
    if not panels:
        raise ir.BadInput("no result has notify_ns: run reads on --target emu or driver")
    qds = sorted(panels)
    fig, axes = plt.subplots(1, len(qds), figsize=(4.5 * len(qds) + 1, 4.8), squeeze=False, sharey=True)
    for ax, qd in zip(axes[0], qds):
        rs = sorted(panels[qd], key=lambda r: (list(ir.COLOURS).index(r["backend"]) if r["backend"] in ir.COLOURS
                                               else 99, r["variant"]))
        for i, r in enumerate(rs):
            s, st = r["summary"], ir.style(r)
            p50, p99 = ir.figure(s, "notify_p50") / 1e3, ir.figure(s, "notify_p99") / 1e3
            ax.bar(i, p50, 0.7, color=st["color"], label=ir.words(r))
            ax.plot([i - 0.3, i + 0.3], [p99, p99], color=st["color"], linewidth=2)
            ax.annotate(f"{p50:.1f}", (i, p50), ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(rs)))
        ax.set_xticklabels([ir.words(r) for r in rs], rotation=35, ha="right", fontsize=7)
        ax.set_yscale("log")
        ax.set_title(f"qd {qd}: {ir.workload_words(rs[0]).replace(f', qd {qd}', '')}", fontsize=9)
        ax.grid(True, axis="y", which="both", alpha=0.3)
    axes[0][0].set_ylabel("notification delay (µs): bar p50, tick p99")
    return fig


if __name__ == "__main__":
    ir.main(__doc__, draw)
