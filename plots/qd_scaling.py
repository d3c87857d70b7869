#!/usr/bin/python3
"""IOPS and p99 latency against queue depth, one line per model and workload
(from a qd sweep such as workloads/qd-scaling.json). null (no I/O) is the
harness's ceiling: named in the throughput panel, not drawn on its linear axis."""
import iobench_results as ir


def draw(docs, plt):
    # One line per model and workload-apart-from-qd, so points of different
    # workloads never join up.
    series, ceilings = {}, []
    for _, r in ir.ok_results(docs):
        shape = ir.workload_words(r).replace(f", qd {r['workload']['qd']}", "")
        if r["backend"] == "null":
            ceilings.append(ir.figure(r["summary"], "iops"))
            continue
        key = f"{ir.words(r)} — {shape}"
        series.setdefault(key, (r, []))[1].append(
            (r["workload"]["qd"], ir.figure(r["summary"], "iops"), ir.figure(r["summary"], "p99") / 1e3))
    series = {k: (r, sorted(v)) for k, (r, v) in series.items() if len({p[0] for p in v}) > 1}
    if not series:
        raise ir.BadInput("no backend was run at more than one qd: use a qd sweep (workloads/qd-scaling.json)")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.6))
    for k, (r, pts) in series.items():
        st = ir.style(r)
        a1.plot([p[0] for p in pts], [p[1] for p in pts], label=k, **st)
        a2.plot([p[0] for p in pts], [p[2] for p in pts], label=k, **st)
    if ceilings:
        a1.text(0.02, 0.98, f"no I/O (harness ceiling): up to {max(ceilings) / 1e6:.3g}M IOPS, not drawn",
                transform=a1.transAxes, fontsize=7, color="#555555", va="top")
    for a in (a1, a2):
        a.set_xscale("log", base=2)
        a.set_xlabel("queue depth (requests in flight per job)")
        a.grid(True, which="both", alpha=0.3)
    a1.set_ylabel("IOPS (requests per second)")
    a1.set_title("Throughput")
    a2.set_yscale("log")
    a2.set_ylabel("p99 latency (µs)")
    a2.set_title("Tail latency")
    a1.legend(fontsize=7)
    return fig


if __name__ == "__main__":
    ir.main(__doc__, draw)
