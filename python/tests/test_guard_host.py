"""The fault guard next to faulthandler: no loop, no swallowed crash.

faulthandler.enable() between two opens puts its SIGBUS handler between two
installs of the library's.  An unguarded SIGBUS must then end the child as
it would without mmapfile - faulthandler's report once, death by SIGBUS -
within a second, not loop between the two handlers; and the library's own
faults must stay MappedFileError with no report from faulthandler.
Each case runs in a child interpreter (support.run_python).
"""
import os
import signal
import subprocess
import time
import unittest

from support import PAGESIZE, TempDirTest, run_python

SETUP = r"""
import errno, faulthandler, mmap, os, sys
import mmapfile

def make(path):
    with open(path, "wb") as f:
        f.write(b"q" * (16 * %(page)d))
    with open(path, "r+b") as f:
        return mmapfile.mmap(f.fileno(), 0)

a = make(%(a)r)
faulthandler.enable()                 # its handler now chains to ours
b = make(%(b)r)                       # ours back on top, chaining to it
os.truncate(%(a)r, %(page)d)          # as if another process did
os.truncate(%(b)r, %(page)d)
for m in (a, b):                      # guarded: an exception, no report
    try:
        m[10 * %(page)d]
    except mmapfile.MappedFileError as e:
        assert e.errno == errno.EFAULT, e
    else:
        raise AssertionError("no MappedFileError")
print("guarded ok", flush=True)
"""


class FaulthandlerBetweenOpensTest(TempDirTest):

    def child(self, tail):
        code = SETUP % {"a": os.path.join(self.dir, "a.bin"),
                        "b": os.path.join(self.dir, "b.bin"),
                        "page": PAGESIZE} + tail
        start = time.monotonic()
        try:
            r = run_python(code, timeout=10)
        except subprocess.TimeoutExpired:
            self.fail("the child did not end within 10 s: the SIGBUS "
                      "went round between the handlers")
        return r, time.monotonic() - start

    def test_guarded_faults_stay_errors(self):
        r, _ = self.child("print('survived')\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("guarded ok", r.stdout)
        self.assertIn("survived", r.stdout)
        self.assertNotIn("Fatal Python error", r.stderr)

    def test_unguarded_sigbus_kills_within_a_second(self):
        # A stdlib mmap of a truncated file: its access is not guarded.
        s_path = os.path.join(self.dir, "s.bin")
        r, elapsed = self.child(r"""
with open(%r, "wb") as f:
    f.write(b"s" * (16 * %d))
with open(%r, "r+b") as f:
    s = mmap.mmap(f.fileno(), 0)
os.truncate(%r, 0)
s[8 * %d]
print("not killed")
""" % (s_path, PAGESIZE, s_path, s_path, PAGESIZE))
        self.assertEqual(r.returncode, -signal.SIGBUS,
                         "status %s, stderr: %s" % (r.returncode, r.stderr[-2000:]))
        self.assertLess(elapsed, 1.0 + self.startup)
        self.assertIn("guarded ok", r.stdout)
        self.assertNotIn("not killed", r.stdout)
        # faulthandler saw it exactly once
        self.assertEqual(r.stderr.count("Fatal Python error: Bus error"), 1,
                         r.stderr[-2000:])

    @classmethod
    def setUpClass(cls):
        # What starting a child interpreter that imports mmapfile costs here,
        # so that "within a second" measures the death, not the start.
        start = time.monotonic()
        run_python("import faulthandler, mmap, mmapfile\n", timeout=30)
        cls.startup = time.monotonic() - start


if __name__ == "__main__":
    unittest.main()
