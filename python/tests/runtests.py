#!/usr/bin/env python3
"""Run the conformance suite and the own tests; end with `N passed, N failed`.

Used by run.sh with the freshly built extension on PYTHONPATH and a scratch
working directory (test.test_mmap creates its files, sparse ones of up to
6 GiB included, in the current directory).
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    sys.path.insert(0, HERE)
    verbosity = 2 if "-v" in sys.argv[1:] else 1
    loader = unittest.TestLoader()
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=verbosity, stream=sys.stdout,
                                     buffer=False).run(suite)
    failed = (len(result.failures) + len(result.errors)
              + len(result.unexpectedSuccesses))
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    for test, reason in result.skipped:
        print("skipped: %s (%s)" % (test.id(), reason))
    print("%d skipped" % skipped)
    if result.testsRun == 0:
        failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
