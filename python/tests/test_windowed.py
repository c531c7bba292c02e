"""window=N: the same methods through a sliding window; no buffer export."""
import os
import random
import re
import sys
import unittest

import mmapfile
from support import PAGESIZE, TempDirTest
import test_differential

WINDOW = 4 * mmapfile.ALLOCATIONGRANULARITY


class WindowedTest(TempDirTest):
    def make(self, data, **kw):
        path = self.file(data)
        with open(path, "r+b") as f:
            m = mmapfile.mmap(f.fileno(), kw.pop("length", 0), window=WINDOW, **kw)
        self.addCleanup(m.close)
        return m, path

    def test_is_windowed(self):
        m, _ = self.make(b"x" * WINDOW * 3)
        self.assertTrue(m.windowed)
        self.assertRegex(repr(m), r"^<mmap\.mmap closed=False, access=ACCESS_DEFAULT, "
                                  r"length=%d, pos=0, offset=0, window=%d>$"
                         % (WINDOW * 3, WINDOW))
        self.assertFalse(mmapfile.mmap(-1, 10).windowed)

    def test_default_window_size(self):
        path = self.file(b"y" * 100)
        with open(path, "rb") as f:
            m = mmapfile.mmap(f.fileno(), 0, access=mmapfile.ACCESS_READ, window=0)
        with m:
            self.assertTrue(m.windowed)
            self.assertEqual(m[:], b"y" * 100)

    def test_no_buffer_export(self):
        m, _ = self.make(b"x" * WINDOW * 2)
        self.assertRaises(BufferError, memoryview, m)
        self.assertRaises((BufferError, TypeError), re.search, b"x", m)
        self.assertRaises(BufferError, bytes, m)

    def test_window_argument_errors(self):
        self.assertRaises(ValueError, mmapfile.mmap, -1, 10, window=WINDOW)
        path = self.file(b"x")
        with open(path, "rb") as f:
            self.assertRaises(ValueError, mmapfile.mmap, f.fileno(), 0, window=-1)
            self.assertRaises(TypeError, mmapfile.mmap, f.fileno(), 0, window="big")

    def test_reads_across_windows(self):
        rnd = random.Random(5)
        data = bytearray(rnd.randbytes(WINDOW * 5 + 123))
        for k in range(1, 6):  # needles straddling every window boundary
            data[k * WINDOW - 3:k * WINDOW + 4] = b"NEEDLE!"
        data = bytes(data)
        m, _ = self.make(data)
        n = len(data)
        for a, b in ((0, n), (WINDOW - 5, WINDOW + 5), (1, 3 * WINDOW + 7),
                     (n - 10, n), (2 * WINDOW, 2 * WINDOW)):
            self.assertEqual(m[a:b], data[a:b])
        self.assertEqual(m[::WINDOW // 3], data[::WINDOW // 3])
        self.assertEqual(m[::-7], data[::-7])
        self.assertEqual(m[WINDOW * 3], data[WINDOW * 3])
        self.assertEqual(m.find(b"NEEDLE!", 0), data.find(b"NEEDLE!"))
        self.assertEqual(m.rfind(b"NEEDLE!"), data.rfind(b"NEEDLE!"))
        self.assertEqual(m.count(b"NEEDLE!", 0), 5)
        self.assertEqual(m.find(b"NEEDLE!", WINDOW), data.find(b"NEEDLE!", WINDOW))
        self.assertEqual(m.rfind(b"NEEDLE!", 0, 3 * WINDOW), data.rfind(b"NEEDLE!", 0, 3 * WINDOW))
        m.seek(WINDOW - 2)
        self.assertEqual(m.read(WINDOW * 2), data[WINDOW - 2:WINDOW * 3 - 2])
        self.assertEqual(m.read_byte(), data[WINDOW * 3 - 2])
        self.assertEqual(b"\x00" in m, b"\x00" in data)

    def test_readline_across_windows(self):
        lines = [b"%d %s\n" % (i, b"x" * (i * 37 % 900)) for i in range(300)]
        data = b"".join(lines)
        m, _ = self.make(data)
        self.assertEqual([m.readline() for _ in lines], lines)
        self.assertEqual(m.readline(), b"")

    def test_writes_across_windows(self):
        data = bytearray(b"." * (WINDOW * 3))
        m, path = self.make(bytes(data))
        m.seek(WINDOW - 2)
        m.write(b"ABCD")
        data[WINDOW - 2:WINDOW + 2] = b"ABCD"
        m[2 * WINDOW - 1:2 * WINDOW + 1] = b"ef"
        data[2 * WINDOW - 1:2 * WINDOW + 1] = b"ef"
        m[10:3 * WINDOW:WINDOW] = b"123"
        data[10:3 * WINDOW:WINDOW] = b"123"
        m[WINDOW] = 0x5A
        data[WINDOW] = 0x5A
        m.move(WINDOW + 100, 50, WINDOW)  # overlapping, across windows
        data[WINDOW + 100:2 * WINDOW + 100] = bytes(data[50:WINDOW + 50])
        self.assertEqual(m[:], bytes(data))
        m.flush()
        with open(path, "rb") as f:
            self.assertEqual(f.read(), bytes(data))

    def test_resize(self):
        m, path = self.make(b"z" * (WINDOW + 10))
        m.resize(WINDOW * 4)
        self.assertEqual(len(m), WINDOW * 4)
        m[WINDOW * 4 - 1] = 1
        self.assertEqual(os.path.getsize(path), WINDOW * 4)
        m.resize(5)
        self.assertEqual(m[:], b"z" * 5)

    def test_offset_and_length(self):
        data = bytes(range(256)) * (WINDOW * 3 // 256)
        m, _ = self.make(data, offset=WINDOW + 7, length=WINDOW + 100)
        self.assertEqual(m[:], data[WINDOW + 7:2 * WINDOW + 107])
        self.assertEqual(m.size(), len(data))

    def test_madvise_and_flush_ranges(self):
        m, _ = self.make(b"q" * (WINDOW * 3))
        self.assertIsNone(m.madvise(mmapfile.MADV_WILLNEED))
        self.assertIsNone(m.madvise(mmapfile.MADV_NORMAL, WINDOW, WINDOW))
        self.assertIsNone(m.flush(WINDOW, WINDOW))


class WindowedRandomOperationsTest(test_differential.RandomOperationsTest):
    """The random programs of test_differential: stdlib whole map against a
    windowed mmapfile map."""

    def pair(self, data, **kw):
        import mmap as std_mmap
        a = self.open_map(std_mmap, data)
        b = self.open_map(mmapfile, data, window=mmapfile.ALLOCATIONGRANULARITY)
        return a, b

    def test_random_programs_on_anonymous_maps(self):
        pass  # anonymous maps are never windowed


@unittest.skipUnless(sys.maxsize > 2 ** 32, "needs a 64-bit build")
class LargeWindowedTest(TempDirTest):
    def test_sparse_6_gib_file_through_a_64_mib_window(self):
        path = os.path.join(self.dir, "large.bin")
        marks = {0: b"first", 0x80000000 - 2: b"2GiB", 0x100000000 - 3: b"4GiB!",
                 0x17FFFFFF0: b"the end"}
        with open(path, "wb") as f:
            for off, text in marks.items():
                f.seek(off)
                f.write(text)
        with open(path, "rb") as f:
            m = mmapfile.mmap(f.fileno(), 0, access=mmapfile.ACCESS_READ,
                              window=64 << 20)
        with m:
            self.assertEqual(len(m), 0x17FFFFFF0 + 7)
            for off, text in marks.items():
                self.assertEqual(m[off:off + len(text)], text)
            self.assertEqual(m.rfind(b"4GiB!", 0, 0x100000000 + 100), 0x100000000 - 3)
            self.assertEqual(m.find(b"end", 0x17FFFF000), 0x17FFFFFF4)


if __name__ == "__main__":
    unittest.main()
