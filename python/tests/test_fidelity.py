"""Drop-in fidelity and memory safety (issue 14, point 6): each case here
once differed from the stdlib or corrupted memory."""
import errno
import mmap as std_mmap
import os
import sys
import unittest

import mmapfile
from support import PAGESIZE, TempDirTest, run_python


def open_fds():
    return len(os.listdir("/proc/self/fd"))


class FailedResizeTest(unittest.TestCase):
    def test_failed_resize_never_exports_a_buffer_that_does_not_cover_the_map(self):
        # madvise splits the mapping, so growing it must move it; under an
        # address-space limit that fails.  A buffer exported afterwards
        # must be the map's bytes or be refused - never some other memory.
        r = run_python("""
            import mmapfile, os, resource, tempfile
            fd, p = tempfile.mkstemp()
            os.write(fd, b"abcd" * 65536)
            m = mmapfile.mmap(fd, 0)
            m.madvise(mmapfile.MADV_RANDOM, 0, 4096)
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            vm = [l for l in open("/proc/self/status") if l.startswith("VmSize")]
            vm = int(vm[0].split()[1]) * 1024
            resource.setrlimit(resource.RLIMIT_AS, (vm + (64 << 20), hard))
            try:
                m.resize(1 << 30)
                print("resize succeeded")
            except OSError as e:
                print("resize failed", e.errno)
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
            try:
                mv = memoryview(m)
            except BufferError:
                print("export refused")
            else:
                assert mv.nbytes == len(m), (mv.nbytes, len(m))
                assert bytes(mv[:8]) == b"abcdabcd", bytes(mv[:8])
                print("export covers the map")
                mv.release()
            os.unlink(p)
        """)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("resize failed 12", r.stdout)
        self.assertTrue("export refused" in r.stdout
                        or "export covers the map" in r.stdout, r.stdout)


class TrackfdTest(TempDirTest):
    def test_trackfd_false_holds_no_descriptor(self):
        path = self.file(b"x" * PAGESIZE)
        maps = []
        with open(path, "r+b") as f:
            before = open_fds()
            for _ in range(50):
                maps.append(mmapfile.mmap(f.fileno(), 0, trackfd=False))
            self.assertEqual(open_fds(), before)
            maps.append(mmapfile.mmap(f.fileno(), 0))  # trackfd=True: a dup
            self.assertEqual(open_fds(), before + 1)
        maps[0][0] = ord("y")
        maps[0].flush()
        with open(path, "rb") as f:
            self.assertEqual(f.read(1), b"y")
        for m in maps:
            m.close()

    def test_trackfd_false_with_window_is_refused(self):
        path = self.file(b"x" * PAGESIZE)
        with open(path, "r+b") as f:
            self.assertRaisesRegex(ValueError, "trackfd", mmapfile.mmap,
                                   f.fileno(), 0, trackfd=False, window=0)


class ResizeFileLengthTest(TempDirTest):
    def test_resize_makes_the_file_offset_plus_n_long(self):
        for offset, length, new in ((0, 4096, 8192), (4096, 4096, 8192),
                                    (0, 4096, 2048), (0, 20480, 4096)):
            sizes = []
            for module in (std_mmap, mmapfile):
                path = self.file(bytes(range(256)) * 80)  # 20480 bytes
                with open(path, "r+b") as f:
                    m = module.mmap(f.fileno(), length, offset=offset)
                    m.resize(new)
                    data = m[:min(length, new)]
                    m.close()
                sizes.append((os.path.getsize(path), data))
            with self.subTest(offset=offset, length=length, new=new):
                self.assertEqual(sizes[1], sizes[0])
                self.assertEqual(sizes[1][0], offset + new)


class DeviceTest(unittest.TestCase):
    def test_dev_zero_maps_as_with_the_stdlib(self):
        for module in (std_mmap, mmapfile):
            fd = os.open("/dev/zero", os.O_RDWR)
            try:
                m = module.mmap(fd, 4 * PAGESIZE)
            finally:
                os.close(fd)
            with m, self.subTest(module=module.__name__):
                self.assertEqual(len(m), 4 * PAGESIZE)
                self.assertEqual(m[:8], bytes(8))
                m[PAGESIZE] = 9
                self.assertEqual(m[PAGESIZE], 9)

    def test_dev_zero_with_length_0_is_einval_as_with_the_stdlib(self):
        fd = os.open("/dev/zero", os.O_RDWR)
        try:
            for module in (std_mmap, mmapfile):
                with self.assertRaises(OSError) as cm:
                    module.mmap(fd, 0)
                self.assertEqual(cm.exception.errno, errno.EINVAL)
        finally:
            os.close(fd)

    def test_dev_null_is_refused_with_the_os_reason(self):
        fd = os.open("/dev/null", os.O_RDWR)
        try:
            for module in (std_mmap, mmapfile):
                with self.assertRaises(OSError) as cm:
                    module.mmap(fd, PAGESIZE)
                self.assertEqual(cm.exception.errno, errno.ENODEV)
        finally:
            os.close(fd)


class OverflowTest(TempDirTest):
    def test_offset_plus_length_overflow_is_value_error_as_the_stdlib(self):
        path = self.file(b"x" * PAGESIZE)
        with open(path, "r+b") as f:
            for length, offset in ((2**62, 2**62), (PAGESIZE, 2**63 - PAGESIZE),
                                   (sys.maxsize, PAGESIZE)):
                with self.subTest(length=length, offset=offset):
                    with self.assertRaises(ValueError) as std:
                        std_mmap.mmap(f.fileno(), length, offset=offset)
                    with self.assertRaises(ValueError) as ours:
                        mmapfile.mmap(f.fileno(), length, offset=offset)
                    self.assertEqual(str(ours.exception), str(std.exception))


@unittest.skipIf(sys.version_info < (3, 12), "__buffer__ needs 3.12")
class ShrinkingBufferTest(TempDirTest):
    def test_slice_assignment_from_a_buffer_that_shrinks_the_map_is_all_or_nothing(self):
        for sl in (slice(0, 6000), slice(0, 6000, 2), slice(4000, 4100),
                   slice(None, None, -3)):
            path = self.file(b"a" * 8192)
            with open(path, "r+b") as f:
                m = mmapfile.mmap(f.fileno(), 0)
            n = len(range(*sl.indices(8192)))

            class Shrinker:
                def __buffer__(self, flags):
                    m.resize(100)
                    return memoryview(b"x" * n)

            with self.subTest(slice=sl):
                with self.assertRaisesRegex(IndexError,
                                            "mmap slice assignment is wrong size"):
                    m[sl] = Shrinker()
                self.assertEqual(len(m), 100)
                self.assertEqual(m[:], b"a" * 100)  # nothing written
            m.close()

    def test_a_slice_that_still_fits_is_written(self):
        path = self.file(b"a" * 8192)
        with open(path, "r+b") as f:
            m = mmapfile.mmap(f.fileno(), 0)

        class Shrinker:
            def __buffer__(self, flags):
                m.resize(100)
                return memoryview(b"xyz")

        m[10:13] = Shrinker()
        self.assertEqual(m[8:15], b"aaxyzaa")
        m.close()


class SetNameTest(TempDirTest):
    def test_set_name_names_anonymous_maps(self):
        m = mmapfile.mmap(-1, 4 * PAGESIZE)
        self.addCleanup(m.close)
        try:
            self.assertIsNone(m.set_name("mmapfile-test"))
        except OSError as e:  # a kernel without CONFIG_ANON_VMA_NAME
            self.assertEqual(e.errno, errno.EINVAL)
        else:
            with open("/proc/self/maps") as f:
                self.assertIn("[anon:cpython:mmap:mmapfile-test]", f.read())
        self.assertRaises(TypeError, m.set_name, b"x")
        self.assertRaisesRegex(ValueError, "embedded null", m.set_name, "a\0b")
        self.assertRaisesRegex(ValueError, "too long", m.set_name, "x" * 67)
        path = self.file(b"x" * PAGESIZE)
        with open(path, "r+b") as f, mmapfile.mmap(f.fileno(), 0) as fm:
            self.assertRaisesRegex(ValueError, "anonymous", fm.set_name, "x")
        m.close()
        self.assertRaises(ValueError, m.set_name, "x")


class ExceptionTypeTest(TempDirTest):
    def test_os_errors_are_raised_as_their_subclass(self):
        # Before 3.12 an OSError raised with a bare PyErr_SetObject kept the
        # type OSError and `except PermissionError` missed it.
        path = self.file(b"abc")
        with open(path, "rb") as f:
            try:
                mmapfile.mmap(f.fileno(), 0)
            except PermissionError as e:
                self.assertEqual(e.errno, errno.EACCES)
            else:
                self.fail("no PermissionError")


if __name__ == "__main__":
    unittest.main()
