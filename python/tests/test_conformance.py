"""CPython's own mmap test suite, run against mmapfile.

test.test_mmap is imported from the running interpreter with `mmapfile`
registered as `mmap`, so every `mmap.mmap(...)` in it builds an mmapfile
object.  The suite is not copied here: it is whatever the interpreter ships.
Windows-only tests skip themselves; everything else must pass, the
large-file tests (sparse files of up to 6 GiB in the working directory)
included.
"""
import importlib
import sys
import unittest

import mmapfile


def load_stdlib_suite():
    """Import test.test_mmap bound to mmapfile; restore sys.modules after."""
    import test.support

    # LargeMmapTests ask for the 'largefile' resource on some platforms.
    if test.support.use_resources is None:
        test.support.use_resources = []
    if "largefile" not in test.support.use_resources:
        test.support.use_resources.append("largefile")

    saved = sys.modules.get("mmap")
    sys.modules.pop("test.test_mmap", None)
    sys.modules["mmap"] = mmapfile
    try:
        module = importlib.import_module("test.test_mmap")
    finally:
        if saved is not None:
            sys.modules["mmap"] = saved
        else:
            sys.modules.pop("mmap", None)
        sys.modules.pop("test.test_mmap", None)
    assert module.mmap is mmapfile, "test.test_mmap did not pick up mmapfile"
    return module


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    suite.addTests(loader.loadTestsFromModule(load_stdlib_suite()))
    return suite


if __name__ == "__main__":
    unittest.main()
