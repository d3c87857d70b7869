#!/usr/bin/python3
"""The textbook picture of the I/O models, drawn from a real trace
(`iobench run --trace FILE`): one row per model (each point of the trace),
a window of a few consecutive requests of its first job thread, showing what
that thread did — running its own code, inside a submit call, waiting, in a
signal handler — and, below, each request from issue to completion with the
moment the device made its block ready (emu and the driver) and the signals
taken. Each row's time starts at the first request of its window.

    plots/timeline.py TRACE -o timeline.png [--requests 4] [--skip 2]
"""
import argparse
import json
import os
import sys

import iobench_results as ir

STATES = [  # call name in the trace -> (legend, colour)
    ("submit", "in a submit call", "#0072B2"),
    ("wait", "waiting (reap call)", "#F0E442"),
    ("signal handler", "in a signal handler", "#D55E00"),
]
RUNNING = ("running (iobench and model code)", "#BBBBBB")
SIGNAL = "#D55E00"  # the handler's colour: a signal taken


def load_trace(path):
    """{pid: {"name", "calls", "requests", "ready", "signals"}} of a Chrome JSON trace iobench wrote."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except OSError as e:
        raise ir.BadInput(f"{path}: cannot read: {e.strerror}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ir.BadInput(f"{path}: not JSON (empty or cut short?)")
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        raise ir.BadInput(f"{path}: not a trace (no traceEvents list): write one with iobench run --trace FILE")
    procs = {}
    begins = {}
    try:
        for e in doc["traceEvents"]:
            pid, ph = e["pid"], e["ph"]
            p = procs.setdefault(pid, {"name": str(pid), "calls": [], "requests": [], "ready": {}, "signals": []})
            if ph == "M" and e["name"] == "process_name":
                p["name"] = e["args"]["name"]
            elif ph == "X" and e.get("cat") == "call":
                p["calls"].append((e["tid"], e["name"], float(e["ts"]), float(e["dur"])))
            elif ph == "i" and e.get("cat") == "signal":
                p["signals"].append((e["tid"], float(e["ts"])))
            elif ph == "i" and e.get("cat") == "device":
                p["ready"][e["args"]["request"]] = float(e["ts"])
            elif ph == "b" and e.get("cat") == "request":
                begins[(pid, e["id"])] = e
            elif ph == "e" and e.get("cat") == "request":
                b = begins.pop((pid, e["id"]))
                p["requests"].append((b["tid"], b["id"], b["name"], float(b["ts"]), float(e["ts"])))
    except (KeyError, TypeError, ValueError) as err:
        raise ir.BadInput(f"{path}: not an iobench trace: an event lacks {err}")
    # null moves no data: its requests are the harness's, with nothing to show in time.
    procs = {pid: p for pid, p in procs.items() if p["requests"] and not p["name"].startswith("null:")}
    if not procs:
        raise ir.BadInput(f"{path}: no request of an I/O model in the trace (was every point skipped?)")
    return procs


def window(p, requests, skip):
    """(tid, t0, t1, requests shown) for the first job thread: of every run of `requests`
    consecutive requests after the first `skip`, the one of median length, so a
    row shows the model's usual rhythm rather than a stall of the machine."""
    tid = min(r[0] for r in p["requests"])
    mine = sorted((r for r in p["requests"] if r[0] == tid), key=lambda r: r[3])
    skip = min(skip, max(0, len(mine) - requests))
    runs = []
    for i in range(skip, max(skip, len(mine) - requests) + 1):
        chosen = mine[i:i + requests]
        runs.append((max(r[4] for r in chosen) - chosen[0][3], i))
    runs.sort()
    first = runs[len(runs) // 2][1]
    chosen = mine[first:first + requests]
    t0 = chosen[0][3]
    t1 = max(r[4] for r in chosen)
    # Everything the window's requests overlap, so a row shows whole calls.
    shown = [r for r in mine if r[4] > t0 and r[3] < t1]
    return tid, t0, t1, shown


def model_label(name):
    """"io_uring:default read 4k qd1" -> ("io_uring", "io_uring, default" in words, "read 4k qd1")."""
    head, _, rest = name.partition(" ")
    backend, _, variant = head.partition(":")
    r = {"backend": backend, "variant": variant or "default"}
    return backend, ir.words(r), rest


def draw(procs, plt, requests, skip):
    rows = sorted(procs)
    fig_h = 1.0 + 1.25 * len(rows)
    fig, axes = plt.subplots(len(rows), 1, figsize=(11, fig_h), squeeze=False)
    span = 0
    for ax, pid in zip(axes[:, 0], rows):
        p = procs[pid]
        tid, t0, t1, shown = window(p, requests, skip)
        span = max(span, t1 - t0)
        backend, words, workload = model_label(p["name"])
        colour = ir.COLOURS.get(backend, "#777777")
        # The thread: running under everything, its calls over it.
        ax.broken_barh([(0, t1 - t0)], (2.2, 0.8), color=RUNNING[1])
        for state, _, c in STATES:
            spans = [(max(ts, t0) - t0, min(ts + dur, t1) - max(ts, t0)) for (ctid, name, ts, dur) in p["calls"]
                     if ctid == tid and name == state and ts < t1 and ts + dur > t0]
            inner = state == "signal handler"  # inside a wait: drawn thinner over it
            ax.broken_barh(spans, (2.35, 0.5) if inner else (2.2, 0.8), color=c)
        sig = [ts - t0 for (stid, ts) in p["signals"] if stid == tid and t0 <= ts <= t1]
        ax.plot(sig, [3.25] * len(sig), "v", color=SIGNAL, markersize=5, linestyle="none")
        # The requests, each on the lowest free line (qd > 1 overlaps them).
        ends = []
        for n, (_, rid, op, b, e) in enumerate(shown):
            line = next((i for i, end in enumerate(ends) if end <= b), len(ends))
            if line < len(ends):
                ends[line] = e
            else:
                ends.append(e)
            y = 1.4 - 0.45 * line
            # Back to back at qd 1: every other one lighter, each edged, so each shows.
            ax.broken_barh([(max(b, t0) - t0, min(e, t1) - max(b, t0))], (y, 0.35), facecolor=colour,
                           alpha=0.9 if n % 2 == 0 else 0.55, edgecolor="white", linewidth=0.8)
            if rid in p["ready"] and t0 <= p["ready"][rid] <= t1:
                ax.plot([p["ready"][rid] - t0] * 2, [y - 0.08, y + 0.43], color="black", linewidth=1.6)
        ax.set_yticks([2.6, 1.55])
        ax.set_yticklabels(["job thread", "requests"], fontsize=8)
        ax.set_ylim(min(0.9, 1.4 - 0.45 * max(0, len(ends) - 1) - 0.2), 3.5)
        ax.set_title(f"{words} — {workload}", fontsize=9, loc="left")
        ax.grid(True, axis="x", alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_xlim(0, span * 1.02)
    axes[-1, 0].set_xlabel("µs from the first request of the window")
    from matplotlib.patches import Patch
    from matplotlib.lines import Line2D
    handles = [Patch(color=RUNNING[1], label=RUNNING[0])] + [Patch(color=c, label=l) for _, l, c in STATES]
    handles += [Patch(color="#777777", label="request: issue to completion (model colour)"),
                Line2D([], [], color="black", linewidth=1.6, label="device: block ready"),
                Line2D([], [], color=SIGNAL, marker="v", linestyle="none", label="signal taken")]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=7, frameon=False)
    fig.legend_inches = 0.55  # what the legend needs at the bottom
    return fig


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace", help="a trace from iobench run --trace FILE")
    ap.add_argument("-o", "--output", required=True, help="image to write (.png or .svg)")
    ap.add_argument("--requests", type=int, default=4, help="requests per row's window (default 4)")
    ap.add_argument("--skip", type=int, default=2, help="requests to pass over first (default 2: past the start)")
    ap.add_argument("--title", help="the chart's title")
    a = ap.parse_args()
    me = os.path.basename(sys.argv[0])
    if a.requests < 1 or a.skip < 0:
        print(f"{me}: --requests must be at least 1 and --skip at least 0", file=sys.stderr)
        sys.exit(2)
    try:
        procs = load_trace(a.trace)
    except ir.BadInput as e:
        print(f"{me}: {e}", file=sys.stderr)
        sys.exit(2)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = draw(procs, plt, a.requests, a.skip)
    top = 1.0
    if a.title:
        fig.suptitle(a.title)
        top = 1 - 0.45 / fig.get_figheight()
    fig.tight_layout(rect=(0, fig.legend_inches / fig.get_figheight(), 1, top))
    fig.savefig(a.output, dpi=110, format="svg" if a.output.endswith(".svg") else "png")


if __name__ == "__main__":
    main()
