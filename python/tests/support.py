"""Helpers shared by the own tests: scratch files and stdlib/mmapfile pairs."""
import mmap as std_mmap
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

import mmapfile

PAGESIZE = mmapfile.PAGESIZE


class TempDirTest(unittest.TestCase):
    """A scratch directory per test; `self.file(data)` writes a file there."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mmapfile-test-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self._n = 0

    def file(self, data=b"", name=None):
        self._n += 1
        path = os.path.join(self.dir, name or "f%d.bin" % self._n)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def open_map(self, module, data, access=None, mode="r+b", **kw):
        """Map a new file holding data with module.mmap; closed at cleanup."""
        path = self.file(data)
        with open(path, mode) as f:
            if access is not None:
                kw["access"] = access
            m = module.mmap(f.fileno(), kw.pop("length", 0), **kw)
        self.addCleanup(m.close)
        return m

    def pair(self, data, **kw):
        """The same file content mapped by the stdlib and by mmapfile."""
        return (self.open_map(std_mmap, data, **dict(kw)),
                self.open_map(mmapfile, data, **dict(kw)))

    def anon_pair(self, data):
        a, b = std_mmap.mmap(-1, len(data)), mmapfile.mmap(-1, len(data))
        a[:] = data
        b[:] = data
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        return a, b


def outcome(fn, *args, **kw):
    """('ok', value) or ('raise', exception type, message) of fn(*args)."""
    try:
        return ("ok", fn(*args, **kw))
    except Exception as e:  # noqa: BLE001 - that is the point
        return ("raise", type(e), str(e))


def run_python(code, timeout=120):
    """Run code in a child interpreter that imports this mmapfile; a crash
    there (SIGBUS) fails the test instead of killing the runner."""
    env = dict(os.environ)
    # mmapfile is a package (mmapfile/__init__.so): its parent directory.
    path = os.path.dirname(os.path.dirname(os.path.abspath(mmapfile.__file__)))
    env["PYTHONPATH"] = path + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          env=env, capture_output=True, text=True,
                          timeout=timeout)
