"""The one reader of iobench result files, shared by plots/ and scripts/:
load and check them, read a figure by its name, and label charts with the
machine they were measured on."""
import argparse
import json
import os
import sys

SCHEMA_VERSION = 1

# Figure name -> JSON pointer inside a metrics object (a repetition or the
# summary): the figure table of src/run/figures.cpp, which `iobench list
# --json` prints; tests/test_plots.py keeps the two equal.
FIGURES = {
    "ops": "/ops",
    "bytes": "/bytes",
    "errors": "/errors",
    "runtime": "/runtime_ns",
    "iops": "/iops",
    "bw": "/bw_bytes_per_s",
    "lat_min": "/lat_ns/min",
    "lat_max": "/lat_ns/max",
    "lat_mean": "/lat_ns/mean",
    "lat_stddev": "/lat_ns/stddev",
    "p50": "/lat_ns/percentiles/50",
    "p90": "/lat_ns/percentiles/90",
    "p99": "/lat_ns/percentiles/99",
    "p99.9": "/lat_ns/percentiles/99.9",
    "p99.99": "/lat_ns/percentiles/99.99",
    "notify_min": "/notify_ns/min",
    "notify_max": "/notify_ns/max",
    "notify_mean": "/notify_ns/mean",
    "notify_stddev": "/notify_ns/stddev",
    "notify_p50": "/notify_ns/percentiles/50",
    "notify_p90": "/notify_ns/percentiles/90",
    "notify_p99": "/notify_ns/percentiles/99",
    "notify_p99.9": "/notify_ns/percentiles/99.9",
    "notify_p99.99": "/notify_ns/percentiles/99.99",
    "fsync_lat_min": "/fsync_lat_ns/min",
    "fsync_lat_max": "/fsync_lat_ns/max",
    "fsync_lat_mean": "/fsync_lat_ns/mean",
    "fsync_lat_stddev": "/fsync_lat_ns/stddev",
    "fsync_lat_p50": "/fsync_lat_ns/percentiles/50",
    "fsync_lat_p90": "/fsync_lat_ns/percentiles/90",
    "fsync_lat_p99": "/fsync_lat_ns/percentiles/99",
    "fsync_lat_p99.9": "/fsync_lat_ns/percentiles/99.9",
    "fsync_lat_p99.99": "/fsync_lat_ns/percentiles/99.99",
    "submit_min": "/submit_ns/min",
    "submit_max": "/submit_ns/max",
    "submit_mean": "/submit_ns/mean",
    "submit_stddev": "/submit_ns/stddev",
    "submit_p50": "/submit_ns/percentiles/50",
    "submit_p90": "/submit_ns/percentiles/90",
    "submit_p99": "/submit_ns/percentiles/99",
    "submit_p99.9": "/submit_ns/percentiles/99.9",
    "submit_p99.99": "/submit_ns/percentiles/99.99",
    "issue_lateness_min": "/issue_lateness_ns/min",
    "issue_lateness_max": "/issue_lateness_ns/max",
    "issue_lateness_mean": "/issue_lateness_ns/mean",
    "issue_lateness_stddev": "/issue_lateness_ns/stddev",
    "issue_lateness_p50": "/issue_lateness_ns/percentiles/50",
    "issue_lateness_p90": "/issue_lateness_ns/percentiles/90",
    "issue_lateness_p99": "/issue_lateness_ns/percentiles/99",
    "issue_lateness_p99.9": "/issue_lateness_ns/percentiles/99.9",
    "issue_lateness_p99.99": "/issue_lateness_ns/percentiles/99.99",
    "cancel_lat_min": "/cancel_lat_ns/min",
    "cancel_lat_max": "/cancel_lat_ns/max",
    "cancel_lat_mean": "/cancel_lat_ns/mean",
    "cancel_lat_stddev": "/cancel_lat_ns/stddev",
    "cancel_lat_p50": "/cancel_lat_ns/percentiles/50",
    "cancel_lat_p90": "/cancel_lat_ns/percentiles/90",
    "cancel_lat_p99": "/cancel_lat_ns/percentiles/99",
    "cancel_lat_p99.9": "/cancel_lat_ns/percentiles/99.9",
    "cancel_lat_p99.99": "/cancel_lat_ns/percentiles/99.99",
    "cpu_user": "/cpu/user_ns",
    "cpu_sys": "/cpu/sys_ns",
    "cpu_helpers": "/cpu/helpers_ns",
    "cpu": "/cpu/per_op_ns",
    "syscalls_per_op": "/syscalls_per_op",
    "ctx_voluntary": "/ctx_switches/voluntary",
    "ctx_involuntary": "/ctx_switches/involuntary",
}


def figure(metrics, name):
    """The figure `name` (see FIGURES) of a metrics object."""
    node = metrics
    for key in FIGURES[name].strip("/").split("/"):
        node = node[key]
    return node


class BadInput(Exception):
    pass


def load(paths):
    """Returns [(path, doc)]; raises BadInput naming the file and the problem."""
    docs = []
    for path in paths:
        try:
            with open(path) as f:
                doc = json.load(f)
        except OSError as e:
            raise BadInput(f"{path}: cannot read: {e.strerror}")
        except json.JSONDecodeError:
            raise BadInput(f"{path}: not JSON")
        if not isinstance(doc, dict) or "results" not in doc or "schema_version" not in doc:
            raise BadInput(f"{path}: not an iobench result document (no schema_version/results)")
        if doc["schema_version"] != SCHEMA_VERSION:
            raise BadInput(f"{path}: schema_version {doc['schema_version']} is not supported "
                           f"(these scripts read {SCHEMA_VERSION})")
        docs.append((path, doc))
    return docs


def ok_results(docs):
    for _, doc in docs:
        for r in doc["results"]:
            if r.get("status") == "ok" and "summary" in r:
                yield doc, r


def name(r):
    return r["backend"] if r["variant"] == "default" else f"{r['backend']}:{r['variant']}"


# One colour per model and one marker per variant, the same in every chart
# (Okabe-Ito's colour-blind-safe palette; null, the harness, in grey).
COLOURS = {"sync": "#000000", "poll": "#E69F00", "sigio": "#CC79A7", "posixaio": "#009E73", "libaio": "#D55E00",
           "io_uring": "#0072B2", "null": "#999999"}
VARIANTS = {"sync": ["default", "nowait"], "poll": ["poll", "epoll", "epoll-et", "select"],
            "sigio": ["waitinfo", "handler"], "posixaio": ["suspend", "poll", "signal", "thread", "listio"],
            "libaio": ["getevents", "eventfd", "poll"], "io_uring": ["default", "batch", "sqpoll", "fixed", "iopoll", "poll"]}
MARKERS = ["o", "s", "^", "D", "v", "P"]
LINESTYLES = ["-", "--", ":", "-.", (0, (5, 1)), (0, (1, 1))]
WORDS = {"sync": "blocking (sync)", "poll": "readiness (poll)", "sigio": "signal-driven (SIGIO)",
         "posixaio": "glibc POSIX aio", "libaio": "kernel AIO (libaio)", "io_uring": "io_uring",
         "null": "no I/O (harness floor)"}


def style(r):
    """matplotlib keyword arguments that draw result r's model as it is drawn everywhere."""
    variants = VARIANTS.get(r["backend"], [])
    i = variants.index(r["variant"]) if r["variant"] in variants else 0
    return {"color": COLOURS.get(r["backend"], "#777777"), "marker": MARKERS[i % len(MARKERS)],
            "linestyle": LINESTYLES[i % len(LINESTYLES)]}


def words(r):
    """The model in words: "io_uring, batch"."""
    base = WORDS.get(r["backend"], r["backend"])
    return base if r["variant"] == "default" else f"{base}, {r['variant']}"


def workload_words(r):
    """The workload in words: "random reads, 4 KiB, qd 1, emu 100 µs" (buffered/O_DIRECT on files)."""
    w, t = r["workload"], r["target"]
    rw = {"read": "sequential reads", "write": "sequential writes", "randread": "random reads",
          "randwrite": "random writes"}.get(w["rw"], f"random {w['rwmix_read']}/{100 - w['rwmix_read']} reads/writes")
    bs = w["bs_bytes"]
    size = f"{bs // 1048576} MiB" if bs % 1048576 == 0 else f"{bs // 1024} KiB" if bs % 1024 == 0 else f"{bs} B"
    jobs = f" x {w['jobs']} jobs" if w["jobs"] > 1 else ""
    if t["kind"] == "file":
        where = "block device" if t.get("block_device") else "file"
        where += ", O_DIRECT" if w["direct"] else ", buffered"
    elif t["kind"] == "emu":
        where = f"emu {t['service_ns'] / 1e3:g} µs"
    else:
        where = f"driver {t.get('latency_ns', 0) / 1e3:g} µs"
    return f"{rw}, {size}, qd {w['qd']}{jobs}, {where}"


def machine_label(docs, anonymize=False):
    seen = []
    for _, d in docs:
        c = d["context"]
        host = "" if anonymize else f"{c.get('hostname', '?')}: "
        text = (f"{host}{c.get('cpu_model', '?')}, {c.get('nproc', '?')} CPUs, "
                f"kernel {c.get('kernel', '?').split()[0]}, iobench {c.get('iobench_version', '?')} "
                f"({c.get('git_sha', '?')})")
        if text not in seen:
            seen.append(text)
    return "\n".join(seen)


def only_backends(docs, wanted):
    """Keeps the results of the backends named (NAME or NAME:VARIANT); BadInput when none is left."""
    if not wanted:
        return docs
    keep = lambda r: r["backend"] in wanted or name(r) in wanted or f"{r['backend']}:{r['variant']}" in wanted
    out = [(p, dict(d, results=[r for r in d["results"] if keep(r)])) for p, d in docs]
    if not any(d["results"] for _, d in out):
        raise BadInput(f"--backends {','.join(sorted(wanted))}: no result of these backends")
    return out


def render(docs, draw, plt, title=None, anonymize=False):
    """The figure `draw` makes of docs, with the footer (and the title, when given)."""
    fig = draw(docs, plt)
    if fig is None:
        raise BadInput("nothing to plot: no successful results with the data this chart needs")
    if title:
        fig.suptitle(title)
    fig.text(0.01, 0.005, machine_label(docs, anonymize), fontsize=7, color="#555555", va="bottom")
    return fig


def main(description, draw):
    """Common CLI: FILES... -o OUT. `draw(docs, plt)` makes the figure."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("files", nargs="+", help="iobench result JSON files")
    ap.add_argument("-o", "--output", required=True, help="image to write (.png, or .svg)")
    ap.add_argument("--backends", default="", help="only these, comma-separated: NAME or NAME:VARIANT")
    ap.add_argument("--title", help="the chart's title (above the panels' own)")
    ap.add_argument("--anonymize", action="store_true", help="leave the hostname out of the footer")
    a = ap.parse_args()
    try:
        docs = only_backends(load(a.files), {b for b in a.backends.split(",") if b})
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig = render(docs, draw, plt, a.title, a.anonymize)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        fig.savefig(a.output, dpi=110, format="svg" if a.output.endswith(".svg") else "png")
    except BadInput as e:
        print(f"{os.path.basename(sys.argv[0])}: {e}", file=sys.stderr)
        sys.exit(2)
