"""The project's own scripts: failures must reach the caller (CI runs them).
External commands are replaced by stubs on PATH, so nothing is built or booted."""
import os
import stat
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ScriptsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="iobench-scripts-")
        self.bin = os.path.join(self.dir.name, "bin")
        os.mkdir(self.bin)

    def tearDown(self):
        self.dir.cleanup()

    def stub(self, name, body):
        path = os.path.join(self.bin, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body + "\n")
        os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)

    def run_script(self, *args, env=None):
        # CI only as the test sets it: the suite itself runs with CI=true there.
        e = {k: v for k, v in os.environ.items() if k != "CI"}
        e |= {"PATH": self.bin + ":" + os.environ["PATH"]} | (env or {})
        return subprocess.run([os.path.join(ROOT, "scripts", args[0]), *args[1:]], capture_output=True, text=True,
                              timeout=300, env=e, cwd=ROOT)

    def test_build_fails_when_compilation_fails(self):
        # Configuring "succeeds" and leaves a binary behind, as an earlier build would.
        self.stub("cmake", 'case "$*" in *--build*) echo "test_x.cpp:1: error: boom"; exit 1;; esac\n'
                           'while [ $# -gt 0 ]; do [ "$1" = -B ] && d=$2; shift; done\n'
                           'mkdir -p "$d" && touch "$d/iobench" && chmod +x "$d/iobench"')
        p = self.run_script("build", env={"BUILD_DIR": os.path.join(self.dir.name, "b")})
        self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("boom", p.stdout + p.stderr)
        self.assertIn("the build failed", p.stderr)

    def test_vm_test_cannot_skip_under_ci(self):
        # Not root, qemu missing: a skip (77) on a developer's machine, a failure in CI.
        self.stub("id", "echo 1000")
        self.stub("dpkg-query", "echo 'unknown ok not-installed'")
        p = self.run_script("vm-test", "--kernel", "6.1")
        self.assertEqual(p.returncode, 77, p.stderr)
        self.assertIn("skipped", p.stderr)
        p = self.run_script("vm-test", "--kernel", "6.1", env={"CI": "true"})
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("CI=true", p.stderr)

    def test_soak_tells_a_leak_from_a_steady_process(self):
        # A stand-in for iobench: writes its result on SIGINT; with LEAK set it
        # opens one more descriptor every 0.3 s, as a leaking engine would.
        self.stub("iobench", "exec /usr/bin/python3 -c '\n"
                  "import json, os, signal, sys, time\n"
                  "out = sys.argv[sys.argv.index(\"-o\") + 1]\n"
                  "def stop(*_):\n"
                  "    json.dump({\"results\": [{\"status\": \"interrupted\", \"backend\": \"x\", \"variant\": \"y\"}]}, open(out, \"w\"))\n"
                  "    sys.exit(130)\n"
                  "signal.signal(signal.SIGINT, stop)\n"
                  "kept = []\n"
                  "while True:\n"
                  "    time.sleep(0.3)\n"
                  "    if os.environ.get(\"LEAK\"): kept.append(open(\"/dev/null\"))\n"
                  "' \"$@\"")
        steady = self.run_script("soak", "0.2", "--build", self.bin)
        self.assertEqual(steady.returncode, 0, steady.stdout + steady.stderr)
        self.assertIn("no growth after the warm-up", steady.stdout)
        leaking = self.run_script("soak", "0.2", "--build", self.bin, env={"LEAK": "1"})
        self.assertEqual(leaking.returncode, 1, leaking.stdout + leaking.stderr)
        self.assertRegex(leaking.stdout, r"fds .* LEAK")


if __name__ == "__main__":
    unittest.main()
