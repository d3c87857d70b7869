"""Shared by the bench-* scripts: run fio and iobench, return comparable figures."""
import json
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
