"""Shared by the bench-* scripts: run fio and iobench, return comparable figures."""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "plots"))
import iobench_results as ir  # noqa: E402  the one reader of result files


def need_tools(build):
    if not shutil.which("fio"):
        sys.exit(f"{os.path.basename(sys.argv[0])}: fio not found: run scripts/install-deps --bench")
    binary = os.path.join(build, "iobench")
    if not os.access(binary, os.X_OK):
        sys.exit(f"{os.path.basename(sys.argv[0])}: {binary} not found: run scripts/build")
    return binary


def fio(args):
    """One fio run (all jobs reported as one group); figures for reads."""
    # lat_percentiles: submission-to-completion, as iobench measures (fio's
    # default percentiles are clat, which leaves out the submission).
    out = subprocess.run(["fio", "--output-format=json", "--group_reporting", "--lat_percentiles=1", *args], check=True,
                         capture_output=True, text=True).stdout
    job = json.loads(out[out.index("{"):])["jobs"][0]
    rd = job["read"]
    ios = rd["total_ios"]
    runtime_s = job["job_runtime"] / 1000.0 / max(1, int(job.get("job options", {}).get("numjobs", 1)))
    cpu_s = (job["usr_cpu"] + job["sys_cpu"]) / 100.0 * runtime_s
    return {"iops": rd["iops"], "cpu_ns_per_op": 1e9 * cpu_s / ios if ios else 0,
            "ns_per_op": 1e9 * runtime_s / ios if ios else 0,
            "p50_ns": rd["lat_ns"]["percentile"]["50.000000"], "p99_ns": rd["lat_ns"]["percentile"]["99.000000"]}


def iobench(binary, args):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([binary, "run", "-q", "-o", f.name, *args], check=True, stdout=subprocess.DEVNULL)
        r = json.load(open(f.name))["results"][0]
    if r["status"] != "ok":
        return None
    s = r["summary"]
    return {"iops": ir.figure(s, "iops"), "ns_per_op": ir.figure(s, "runtime") / ir.figure(s, "ops"),
            "cpu_ns_per_op": ir.figure(s, "cpu"), "p50_ns": ir.figure(s, "p50"), "p99_ns": ir.figure(s, "p99")}


def workdir():
    return tempfile.mkdtemp(prefix="iobench-bench-", dir=os.environ.get("TMPDIR", "/var/tmp"))


def mann_whitney_p(a, b):
    """Two-sided Mann-Whitney U p-value of samples a and b, as `iobench compare` computes it (src/core/stats.cpp):
    exact without ties, the normal approximation with a continuity and tie correction otherwise."""
    n1, n2 = len(a), len(b)
    if not n1 or not n2:
        return 1.0
    items = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    r1, tie_term, i = 0.0, 0.0, 0
    while i < len(items):
        j = i
        while j < len(items) and items[j][0] == items[i][0]:
            j += 1
        t = j - i
        tie_term += t ** 3 - t if t > 1 else 0
        r1 += (i + j + 1) / 2 * sum(1 for k in range(i, j) if items[k][1] == 0)
        i = j
    u1, mean = r1 - n1 * (n1 + 1) / 2, n1 * n2 / 2
    if tie_term == 0 and n1 * n2 <= 2500:
        # counts[k][u]: ways to pick k of the ranks seen so far with statistic u.
        counts = [[0] * (n1 * n2 + 1) for _ in range(n1 + 1)]
        counts[0][0] = 1
        for rank in range(n1 + n2):
            for k in range(min(n1, rank + 1), 0, -1):
                add = rank - (k - 1)
                if add > n2:
                    continue
                for u in range(n1 * n2, add - 1, -1):
                    counts[k][u] += counts[k - 1][u - add]
        dist = counts[n1]
        tail = sum(c for u, c in enumerate(dist) if abs(u - mean) >= abs(u1 - mean) - 1e-9)
        return min(1.0, tail / sum(dist))
    n = n1 + n2
    var = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if var <= 0:
        return 1.0
    z = max(abs(u1 - mean) - 0.5, 0) / math.sqrt(var)
    return min(1.0, math.erfc(z / math.sqrt(2)))
