#!/usr/bin/python3
"""CPU time (user + system, whole process) per request, per backend."""
import iobench_results as ir


def draw(docs, plt):
    rs = list(ir.ok_results(docs))
    if not rs:
        return None
    fig, ax = plt.subplots(figsize=(max(7, 0.45 * len(rs)), 4.8))
    labels = [f"{ir.words(r)}\n{ir.workload_words(r)}" for _, r in rs]
    per_op = [max(1, ir.figure(r["summary"], "ops")) for _, r in rs]
    user = [ir.figure(r["summary"], "cpu_user") / n / 1e3 for (_, r), n in zip(rs, per_op)]
    sys_ = [ir.figure(r["summary"], "cpu_sys") / n / 1e3 for (_, r), n in zip(rs, per_op)]
    xs = range(len(rs))
    ax.bar(xs, user, label="user")
    ax.bar(xs, sys_, bottom=user, label="system")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=6)
    ax.set_ylabel("CPU µs per request")
    ax.set_title("CPU cost per request")
    ax.legend(fontsize=8)
    return fig


if __name__ == "__main__":
    ir.main(__doc__, draw)
