"""numpy over mmapfile as users use it over mmap: the same results as the
stdlib in each case.  Skipped where numpy is not installed (Debian's
python3 has it: python3-numpy)."""
import mmap as std_mmap
import os
import signal
import unittest

import mmapfile
from support import PAGESIZE, TempDirTest, run_python

try:
    import numpy
except ImportError:
    numpy = None


@unittest.skipIf(numpy is None, "numpy is not installed for this interpreter")
class NumpyTest(TempDirTest):
    def both(self, data, **kw):
        return self.pair(data, **kw)

    def test_frombuffer(self):
        data = numpy.arange(1024, dtype="<u4").tobytes()
        for m in self.both(data):
            a = numpy.frombuffer(m, dtype="<u4")
            self.assertEqual(a.shape, (1024,))
            self.assertEqual(int(a[1000]), 1000)
            self.assertEqual(int(a.sum()), sum(range(1024)))
            del a

    def test_ndarray_with_buffer_and_offset(self):
        data = numpy.arange(2048, dtype="<i2").tobytes()
        for m in self.both(data):
            a = numpy.ndarray((4, 8), dtype="<i2", buffer=m, offset=256)
            self.assertEqual(int(a[0, 0]), 128)
            self.assertEqual(int(a[3, 7]), 128 + 31)
            del a

    def test_writes_through_numpy_reach_the_file_after_flush(self):
        for module in (std_mmap, mmapfile):
            path = self.file(bytes(PAGESIZE))
            with open(path, "r+b") as f:
                m = module.mmap(f.fileno(), 0)
            a = numpy.frombuffer(m, dtype="<u8")
            a[3] = 0x1122334455667788
            del a
            m.flush()
            m.close()
            with open(path, "rb") as f:
                f.seek(24)
                self.assertEqual(f.read(8), bytes.fromhex("8877665544332211"),
                                 module.__name__)

    def test_close_with_a_live_view_raises_buffererror(self):
        for m in self.both(b"x" * PAGESIZE):
            a = numpy.frombuffer(m, dtype="u1")
            with self.assertRaises(BufferError):
                m.close()
            self.assertFalse(m.closed)
            self.assertEqual(int(a[0]), ord("x"))
            del a
            m.close()

    def test_truncation_under_a_numpy_view_is_sigbus_as_with_the_stdlib(self):
        # The buffer protocol hands out the mapping itself: numpy's reads
        # are not guarded, and a page past the new end of the file is SIGBUS
        # in both modules (README: the documented caveat).
        for name in ("mmap", "mmapfile"):
            path = self.file(b"y" * (4 * PAGESIZE))
            r = run_python("""
                import os, numpy, %s as module
                fd = os.open(%r, os.O_RDWR)
                m = module.mmap(fd, 0)
                a = numpy.frombuffer(m, dtype="u1")
                os.ftruncate(fd, 0)
                print(int(a[3 * %d]))
            """ % (name, path, PAGESIZE))
            self.assertEqual(r.returncode, -signal.SIGBUS, (name, r.stdout, r.stderr))


if __name__ == "__main__":
    unittest.main()
