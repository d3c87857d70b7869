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


def machine_label(docs):
    seen = []
    for _, d in docs:
        c = d["context"]
        text = (f"{c.get('hostname', '?')}: {c.get('cpu_model', '?')}, {c.get('nproc', '?')} CPUs, "
                f"kernel {c.get('kernel', '?').split()[0]}, iobench {c.get('iobench_version', '?')} "
                f"({c.get('git_sha', '?')})")
        if text not in seen:
            seen.append(text)
    return "\n".join(seen)


def main(description, draw):
    """Common CLI: FILES... -o OUT. `draw(docs, ax_factory)` makes the figure."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("files", nargs="+", help="iobench result JSON files")
    ap.add_argument("-o", "--output", required=True, help="image to write (.png, or .svg)")
    a = ap.parse_args()
    try:
        docs = load(a.files)
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig = draw(docs, plt)
        if fig is None:
            raise BadInput("nothing to plot: no successful results with the data this chart needs")
        fig.text(0.01, 0.005, machine_label(docs), fontsize=7, color="#555555", va="bottom")
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        fig.savefig(a.output, dpi=110, format="svg" if a.output.endswith(".svg") else "png")
    except BadInput as e:
        print(f"{os.path.basename(sys.argv[0])}: {e}", file=sys.stderr)
        sys.exit(2)
