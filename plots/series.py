#!/usr/bin/python3
"""Figures over time, from runs made with --series INTERVAL: IOPS (top) and
latency p50 (solid), p99 (dashed) and max (dotted, thin) per interval
(bottom, log scale), one colour per model, each repetition after the last.
Warm-up, stalls (an interval with no completion is a zero) and drift show
here and nowhere in a summary. A last, partial interval shorter than a tenth
of the interval is left out: too short to be a rate."""
import iobench_results as ir


def draw(docs, plt):
    runs = []
    for _, r in ir.ok_results(docs):
        reps = [m["series"] for m in r["repetitions"] if "series" in m]
        if reps:
            runs.append((r, reps))
    if not runs:
        raise ir.BadInput("no result has a series: run with --series INTERVAL (e.g. 100ms)")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for r, reps in runs:
        st = ir.style(r)
        label = f"{ir.words(r)} — {ir.workload_words(r)}"
        offset = 0.0  # repetitions one after another on the time axis
        for i, s in enumerate(reps):
            cols = {c: k for k, c in enumerate(s["columns"])}
            # A last, partial interval under a tenth of the interval is too short to be a rate.
            rows = [row for row in s["rows"] if row[cols["dur_ns"]] * 10 >= s["interval_ns"]]
            t = [offset + (row[cols["t_ns"]] + row[cols["dur_ns"]] / 2) / 1e9 for row in rows]
            iops = [row[cols["ops"]] * 1e9 / row[cols["dur_ns"]] if row[cols["dur_ns"]] else 0 for row in rows]
            lab = label if i == 0 else None
            top.plot(t, iops, color=st["color"], marker=st["marker"], markersize=3, linewidth=1.2, label=lab)
            # Intervals with no completion have no latency: a gap, not a zero.
            has = [row[cols["ops"]] > 0 for row in rows]
            for key, ls, lw in (("lat_p50_ns", "-", 1.2), ("lat_p99_ns", "--", 1.0), ("lat_max_ns", ":", 0.8)):
                v = [row[cols[key]] / 1e3 if ok else float("nan") for row, ok in zip(rows, has)]
                bottom.plot(t, v, color=st["color"], linestyle=ls, linewidth=lw)
            if s["truncated"]:
                top.annotate("series log full: stops here", (t[-1] if t else offset, 0), fontsize=7)
            end = (rows[-1][cols["t_ns"]] + rows[-1][cols["dur_ns"]]) / 1e9 if rows else 0
            if i + 1 < len(reps):
                top.axvline(offset + end, color="#999999", linewidth=0.6)
                bottom.axvline(offset + end, color="#999999", linewidth=0.6)
            offset += end
    top.set_ylabel("IOPS per interval")
    top.set_ylim(bottom=0)
    top.grid(True, alpha=0.3)
    top.legend(fontsize=7)
    interval = runs[0][1][0]["interval_ns"] / 1e6
    top.set_title(f"per {interval:g} ms interval; repetitions one after another (grey lines)", fontsize=9)
    bottom.set_yscale("log")
    bottom.set_ylabel("latency (µs): p50 —, p99 --, max ··")
    bottom.set_xlabel("seconds from the start of measuring")
    bottom.grid(True, which="both", alpha=0.3)
    return fig


if __name__ == "__main__":
    ir.main(__doc__, draw)
