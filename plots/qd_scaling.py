#!/usr/bin/python3
"""IOPS and p99 latency against queue depth, one line per backend (from a
qd sweep such as workloads/qd-scaling.json)."""
import iobench_results as ir


def draw(docs, plt):
    # One line per backend and workload-apart-from-qd, so points of different
    # workloads never join up.
    series = {}
    for _, r in ir.ok_results(docs):
        w = r["workload"]
        shape = f"{w['rw']} {w['bs_bytes'] // 1024}k x{w['jobs']}{' direct' if w['direct'] else ''} {r['target']['kind']}"
        series.setdefault(f"{ir.name(r)} ({shape})", []).append(
            (w["qd"], ir.figure(r["summary"], "iops"), ir.figure(r["summary"], "p99") / 1e3))
    series = {k: sorted(v) for k, v in series.items() if len({p[0] for p in v}) > 1}
    if not series:
        raise ir.BadInput("no backend was run at more than one qd: use a qd sweep (workloads/qd-scaling.json)")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.6))
    for k, pts in series.items():
        a1.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=k)
        a2.plot([p[0] for p in pts], [p[2] for p in pts], marker="o", label=k)
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
