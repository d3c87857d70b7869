#!/usr/bin/python3
"""Runs the Python tests for ctest, one ctest test per case, so a skipped case
shows as skipped (exit 77, ctest's SKIP_RETURN_CODE) and not as passed.

    pyunit.py --list MODULE...   the case ids, one per line (for CMake)
    pyunit.py CASE_ID            runs one case: 0 passed, 1 failed, 77 skipped
"""
import sys
import unittest


def ids(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from ids(t)
        else:
            yield t.id()


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--list":
        for module in sys.argv[2:]:
            for case in ids(unittest.defaultTestLoader.loadTestsFromName(module)):
                print(case)
        return 0
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    result = unittest.TextTestRunner(verbosity=2).run(unittest.defaultTestLoader.loadTestsFromName(sys.argv[1]))
    if not result.wasSuccessful() or result.testsRun == 0:
        return 1
    return 77 if len(result.skipped) == result.testsRun else 0


if __name__ == "__main__":
    sys.exit(main())
