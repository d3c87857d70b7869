"""The install and the Debian packages: `cpack -G DEB` from the build folder
makes iobench_*.deb and iobench-dkms_*.deb; unpacked into a scratch folder the
tool runs, plots, and has its man page and completion; the DKMS package holds
the module's sources for its version; lintian finds nothing but what
docs/packaging.md lists with its reason."""
import glob
import gzip
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import jsonschema

IOBENCH = os.path.abspath(os.environ.get("IOBENCH", "../build/iobench"))
BUILD = os.path.dirname(IOBENCH)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def version():
    return subprocess.run([IOBENCH, "--version"], capture_output=True, text=True, check=True).stdout.split()[-1]


class PackageTest(unittest.TestCase):
    def setUp(self):
        for tool in ("cpack", "dpkg-deb"):
            if not shutil.which(tool):
                self.skipTest(f"{tool} is not installed")
        if not os.path.exists(os.path.join(BUILD, "CPackConfig.cmake")):
            self.skipTest(f"{BUILD} is not a CMake build folder")
        self.tmp = tempfile.TemporaryDirectory(dir="/var/tmp")
        self.addCleanup(self.tmp.cleanup)
        p = subprocess.run(["cpack", "-G", "DEB", "-B", self.tmp.name, "--config",
                            os.path.join(BUILD, "CPackConfig.cmake")], capture_output=True, text=True, cwd=BUILD)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
        self.v = version()
        self.tool = os.path.join(self.tmp.name, f"iobench_{self.v}_{arch}.deb")
        self.dkms = os.path.join(self.tmp.name, f"iobench-dkms_{self.v}_all.deb")
        self.assertEqual(sorted(glob.glob(os.path.join(self.tmp.name, "*.deb"))), sorted([self.dkms, self.tool]))

    def unpack(self, deb):
        root = os.path.join(self.tmp.name, os.path.basename(deb) + ".root")
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
        return root

    def test_the_tool_runs_and_plots_from_where_it_is_unpacked(self):
        root = self.unpack(self.tool)
        bin_ = os.path.join(root, "usr/bin/iobench")
        share = os.path.join(root, "usr/share/iobench")
        p = subprocess.run([bin_, "list"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("io_uring", p.stdout)
        out = os.path.join(self.tmp.name, "r.json")
        p = subprocess.run([bin_, "run", "-w", os.path.join(share, "workloads/quick.json"), "--backend", "sync,null",
                            "--runtime", "0.2s", "-q", "-o", out], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out) as f, open(os.path.join(share, "result.schema.json")) as s:
            jsonschema.validate(json.load(f), json.load(s))
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            self.skipTest("python3-matplotlib is not installed")
        png = os.path.join(self.tmp.name, "iops.png")
        p = subprocess.run([os.path.join(share, "plots/iops_by_backend.py"), out, "-o", png], capture_output=True,
                           text=True, cwd=self.tmp.name)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_man_page_completion_and_docs(self):
        root = self.unpack(self.tool)
        with gzip.open(os.path.join(root, "usr/share/man/man1/iobench.1.gz"), "rt") as f:
            page = f.read()
        self.assertEqual(page, subprocess.run([IOBENCH, "man"], capture_output=True, text=True).stdout)
        self.assertIn(f'"iobench {self.v}"', page.splitlines()[0])
        with open(os.path.join(root, "usr/share/bash-completion/completions/iobench")) as f:
            self.assertEqual(f.read(), subprocess.run([IOBENCH, "completion", "bash"], capture_output=True,
                                                      text=True).stdout)
        docs = os.path.join(root, "usr/share/doc/iobench")
        for name in ("README.md", "schema.md", "packaging.md", "copyright", "changelog.gz"):
            self.assertTrue(os.path.isfile(os.path.join(docs, name)), name)
        for script in glob.glob(os.path.join(root, "usr/share/iobench/plots/*.py")):
            with open(script) as f:
                executable = f.readline().startswith("#!/usr/bin/python3")
            self.assertEqual(os.access(script, os.X_OK), executable, script)

    def test_the_dkms_package_holds_the_module_for_its_version(self):
        root = self.unpack(self.dkms)
        src = os.path.join(root, f"usr/src/iobench-{self.v}")
        self.assertEqual(sorted(os.listdir(src)), ["Kbuild", "Makefile", "dkms.conf", "iobench.c"])
        with open(os.path.join(src, "dkms.conf")) as f:
            conf = f.read()
        self.assertIn(f'PACKAGE_VERSION="{self.v}"', conf)
        self.assertIn('BUILT_MODULE_NAME[0]="iobench"', conf)
        with open(os.path.join(ROOT, "module/iobench.c")) as a, open(os.path.join(src, "iobench.c")) as b:
            self.assertEqual(a.read(), b.read())
        control = os.path.join(self.tmp.name, "control")
        subprocess.run(["dpkg-deb", "-e", self.dkms, control], check=True)
        with open(os.path.join(control, "control")) as f:
            fields = f.read()
        self.assertRegex(fields, r"(?m)^Depends: dkms$")
        self.assertRegex(fields, r"(?m)^Architecture: all$")
        for script in ("postinst", "prerm"):
            path = os.path.join(control, script)
            self.assertTrue(os.access(path, os.X_OK), script)
            self.assertEqual(subprocess.run(["sh", "-n", path]).returncode, 0, script)
            with open(path) as f:
                self.assertIn(f"-m iobench -v {self.v}", f.read())

    def test_lintian_finds_only_what_the_docs_list(self):
        if not shutil.which("lintian"):
            self.skipTest("lintian is not installed (scripts/install-deps installs it)")
        p = subprocess.run(["lintian", "-I", "--pedantic", "--tag-display-limit", "0", self.tool, self.dkms],
                           capture_output=True, text=True)
        found = sorted(set(re.findall(r"(?m)^[EWIP]: (\S+): (\S+)", p.stdout)))
        with open(os.path.join(ROOT, "docs/packaging.md")) as f:
            listed = set(re.findall(r"(?m)^\| `(\S+)` \| `(\S+)` \|", f.read()))
        self.assertTrue(set(found) <= listed, f"lintian findings not listed in docs/packaging.md: "
                                              f"{sorted(set(found) - listed)}\n{p.stdout}")


class InstallTest(unittest.TestCase):
    def test_cmake_install_puts_everything_in_place(self):
        if not os.path.exists(os.path.join(BUILD, "cmake_install.cmake")):
            self.skipTest(f"{BUILD} is not a CMake build folder")
        with tempfile.TemporaryDirectory(dir="/var/tmp") as prefix:
            p = subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            for rel in ("bin/iobench", "share/iobench/result.schema.json", "share/iobench/workloads/quick.json",
                        "share/iobench/plots/all.py", "share/iobench/plots/iobench_results.py",
                        "share/man/man1/iobench.1.gz", "share/bash-completion/completions/iobench",
                        "share/doc/iobench/README.md", "share/doc/iobench/workloads.md",
                        f"src/iobench-{version()}/dkms.conf"):
                self.assertTrue(os.path.isfile(os.path.join(prefix, rel)), rel)
            p = subprocess.run([os.path.join(prefix, "bin/iobench"), "list"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)


class ReleaseBuildTest(unittest.TestCase):
    """A Release build (-O3) with IOBENCH_WERROR, as a packager or a user chasing speed may make it: GCC 12 warns
    -Wrestrict inside libstdc++'s string concatenation there (GCC bug 105651), which once failed such a build.
    Compiles the translation units that met it (the whole build at -O3 would take minutes)."""
    UNITS = ["backends/io_uring.cpp.o", "run/plan.cpp.o", "run/progress.cpp.o"]

    def test_release_build_with_werror_compiles(self):
        for tool in ("cmake", "make", "g++"):
            if not shutil.which(tool):
                self.skipTest(f"{tool} is not installed")
        with tempfile.TemporaryDirectory(dir="/var/tmp") as build:
            p = subprocess.run(["cmake", "-S", ROOT, "-B", build, "-G", "Unix Makefiles", "-DCMAKE_BUILD_TYPE=Release",
                                "-DIOBENCH_WERROR=ON", "-DIOBENCH_TESTS=OFF"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            p = subprocess.run(["make", "-k", "-j2", *self.UNITS], cwd=os.path.join(build, "src"),
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, "\n".join(line for line in (p.stdout + p.stderr).splitlines()
                                                          if "error" in line)[-3000:])


if __name__ == "__main__":
    unittest.main()
