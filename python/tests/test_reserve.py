"""reserve=N: a map that grows in place, so exported buffers survive resize()."""
import ctypes
import os
import unittest

import mmapfile
from support import PAGESIZE, TempDirTest

try:
    import numpy
except ImportError:  # pyenv's interpreters have none; Debian's python3 has
    numpy = None

RESERVE = 1 << 20


def address(buf):
    """The address of a writable buffer's first byte."""
    return ctypes.addressof(ctypes.c_char.from_buffer(buf))


class ReserveTest(TempDirTest):
    def make(self, data, reserve=RESERVE, **kw):
        path = self.file(data)
        with open(path, "r+b") as f:
            m = mmapfile.mmap(f.fileno(), kw.pop("length", 0), reserve=reserve, **kw)
        self.addCleanup(m.close)
        return m, path

    def test_resize_up_with_a_buffer_exported_keeps_the_memory(self):
        m, path = self.make(b"a" * 100)
        view = memoryview(m)
        self.addCleanup(view.release)
        before = address(view)
        m.resize(5000)
        m.resize(RESERVE)
        self.assertEqual(len(m), RESERVE)
        self.assertEqual(os.path.getsize(path), RESERVE)
        # The old buffer still reaches the same memory, and it is the map's.
        self.assertEqual(address(view), before)
        view[0:3] = b"xyz"
        self.assertEqual(m[0:3], b"xyz")
        m[99] = ord("q")
        self.assertEqual(view[99], ord("q"))
        with memoryview(m) as whole:
            self.assertEqual(address(whole), before)
            self.assertEqual(len(whole), RESERVE)
        with open(path, "rb") as f:
            self.assertEqual(f.read(4), b"xyza")

    def test_shrinking_below_an_exported_buffer_is_a_buffer_error(self):
        m, path = self.make(b"b" * 100)
        m.resize(8000)
        view = memoryview(m)
        self.addCleanup(view.release)
        with self.assertRaises(BufferError):
            m.resize(7999)
        self.assertEqual(len(m), 8000)
        self.assertEqual(os.path.getsize(path), 8000)
        m.resize(9000)  # up is fine, and down to the buffer's end too
        m.resize(8000)
        view.release()
        m.resize(10)  # no buffer left: anything goes
        self.assertEqual(m[:], b"b" * 10)

    def test_growth_past_the_reservation_with_a_buffer_is_a_buffer_error(self):
        m, path = self.make(b"c" * 10, reserve=3 * PAGESIZE)
        with memoryview(m) as view:
            with self.assertRaises(BufferError):
                m.resize(3 * PAGESIZE + 1)  # the map would move
            self.assertEqual(len(m), 10)
            self.assertEqual(view[0], ord("c"))
        m.resize(3 * PAGESIZE + 1)  # without buffers it may move
        self.assertEqual(m[:10], b"c" * 10)

    def test_a_map_of_a_prefix_cuts_the_file_as_the_stdlib_does(self):
        # resize(n) leaves the file offset+n long, as the stdlib; under a
        # buffer it may do so while the map stays in place.
        m, path = self.make(b"f" * 20480, length=4096, reserve=8192)
        with memoryview(m) as view:
            before = address(view)
            m.resize(6000)
            self.assertEqual(os.path.getsize(path), 6000)
            self.assertEqual(address(view), before)
            self.assertEqual(m[5999], ord("f"))
        path2 = self.file(b"g" * 20480)
        with open(path2, "r+b") as f:
            m2 = mmapfile.mmap(f.fileno(), 4096, reserve=8192)
        self.addCleanup(m2.close)
        with memoryview(m2):
            # At the reservation's very end, cutting the longer file would
            # pass through a length past it (a move): refused as before.
            with self.assertRaises(BufferError):
                m2.resize(8192)
            self.assertEqual(len(m2), 4096)
            self.assertEqual(os.path.getsize(path2), 20480)

    def test_without_reserve_resize_with_a_buffer_is_still_refused(self):
        path = self.file(b"d" * 100)
        with open(path, "r+b") as f:
            m = mmapfile.mmap(f.fileno(), 0)
        self.addCleanup(m.close)
        with memoryview(m):
            with self.assertRaises(BufferError):
                m.resize(200)

    def test_anonymous_maps_grow_in_place(self):
        for flags in (mmapfile.MAP_SHARED, mmapfile.MAP_PRIVATE):
            m = mmapfile.mmap(-1, 100, flags=flags, reserve=RESERVE)
            self.addCleanup(m.close)
            m[:5] = b"hello"
            with memoryview(m) as view:
                before = address(view)
                m.resize(RESERVE)
                self.assertEqual(address(view), before)
                self.assertEqual(bytes(view[:5]), b"hello")
            self.assertEqual(m[RESERVE - 3:], b"\0\0\0")

    def test_bad_reserve_values(self):
        path = self.file(b"e" * 10)
        with open(path, "r+b") as f:
            with self.assertRaises(ValueError):
                mmapfile.mmap(f.fileno(), 0, reserve=-1)
            with self.assertRaises(ValueError):
                mmapfile.mmap(f.fileno(), 0, reserve=RESERVE, trackfd=False)
            with self.assertRaises(OSError) as cm:  # windows move
                mmapfile.mmap(f.fileno(), 0, reserve=RESERVE, window=0)
            self.assertIn("reserve", str(cm.exception))
            with self.assertRaises(OSError):  # copy-on-write cannot grow
                mmapfile.mmap(f.fileno(), 0, reserve=RESERVE,
                              access=mmapfile.ACCESS_COPY)
        self.assertEqual(os.path.getsize(path), 10)

    @unittest.skipIf(numpy is None, "numpy is not installed for this Python")
    def test_numpy_arrays_over_the_map_survive_growth(self):
        m, path = self.make(b"\0" * 8 * 16, reserve=8 * 1008)
        head = numpy.frombuffer(m, dtype=numpy.int64)
        head[:] = numpy.arange(16)
        for n in range(32, 1009, 16):  # grow while the array is alive
            m.resize(8 * n)
            whole = numpy.frombuffer(m, dtype=numpy.int64)
            whole[n - 16:] = numpy.arange(n - 16, n)
            del whole
        self.assertEqual(head.tolist(), list(range(16)))
        head[0] = 42
        self.assertEqual(int.from_bytes(m[:8], "little", signed=True), 42)
        with open(path, "rb") as f:
            data = numpy.frombuffer(f.read(), dtype=numpy.int64)
        self.assertEqual(data.tolist(), [42] + list(range(1, 1008)))
        del head


if __name__ == "__main__":
    unittest.main()
