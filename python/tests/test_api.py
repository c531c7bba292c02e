"""The module's surface: constants, constructor, methods and protocols."""
import copy
import errno
import mmap as std_mmap
import os
import pickle
import re
import struct
import sys
import unittest
import weakref

import mmapfile
from support import PAGESIZE, TempDirTest, outcome


class ModuleTest(unittest.TestCase):
    def test_every_stdlib_constant_with_its_value(self):
        names = [n for n in dir(std_mmap) if n.isupper()]
        self.assertIn("MAP_SHARED", names)
        for name in names:
            with self.subTest(name=name):
                self.assertEqual(getattr(mmapfile, name), getattr(std_mmap, name))

    def test_msync_flags_of_3_15(self):
        for name in ("MS_ASYNC", "MS_SYNC", "MS_INVALIDATE"):
            self.assertIsInstance(getattr(mmapfile, name), int)

    def test_error_is_oserror(self):
        self.assertIs(mmapfile.error, OSError)

    def test_mapped_file_error_is_an_oserror(self):
        self.assertTrue(issubclass(mmapfile.MappedFileError, OSError))

    def test_type_and_version(self):
        self.assertIsInstance(mmapfile.mmap, type)
        self.assertEqual(mmapfile.mmap.__module__, "mmapfile")
        self.assertRegex(mmapfile.__version__, r"^\d+\.\d+\.\d+$")

    def test_every_stdlib_method_exists(self):
        for name in dir(std_mmap.mmap):
            if not name.startswith("__") or name in ("__enter__", "__exit__"):
                with self.subTest(name=name):
                    self.assertTrue(hasattr(mmapfile.mmap, name))
        for name in ("seekable", "count", "closed", "windowed"):
            self.assertTrue(hasattr(mmapfile.mmap, name))


    def test_typing_stub_declares_everything(self):
        import ast
        stub = os.path.join(os.path.dirname(os.path.abspath(mmapfile.__file__)),
                            "__init__.pyi")
        if not os.path.exists(stub):  # an installed copy without its stub
            stub = os.path.join(os.path.dirname(__file__), "..", "mmapfile.pyi")
        with open(stub) as f:
            tree = ast.parse(f.read())
        names, methods = set(), set()
        for node in tree.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets)
            elif isinstance(node, ast.ClassDef):
                names.add(node.name)
                if node.name == "mmap":
                    methods = {f.name for f in ast.walk(node)
                               if isinstance(f, ast.FunctionDef)}
        public = {n for n in dir(mmapfile) if not n.startswith("_")}
        self.assertEqual(public - names, set())
        own = {n for n in vars(mmapfile.mmap) if not n.startswith("__")}
        self.assertEqual(own - methods, set())


class ConstructorTest(TempDirTest):
    def test_keywords_as_in_the_stdlib(self):
        path = self.file(b"x" * 100)
        with open(path, "r+b") as f:
            m = mmapfile.mmap(fileno=f.fileno(), length=10, flags=mmapfile.MAP_SHARED,
                              prot=mmapfile.PROT_READ | mmapfile.PROT_WRITE,
                              access=mmapfile.ACCESS_DEFAULT, offset=0, trackfd=True)
        self.assertEqual(len(m), 10)
        m.close()

    def test_trackfd_is_keyword_only(self):
        self.assertRaises(TypeError, mmapfile.mmap, -1, 10, mmapfile.MAP_SHARED,
                          mmapfile.PROT_READ | mmapfile.PROT_WRITE, 0, 0, True)

    def test_bad_constructor_arguments_match_the_stdlib(self):
        path = self.file(b"x" * 100)
        big = 2 ** 64
        cases = [
            (-1, -1), (-1, 0), (-1, big), (-1, 1.5), ("x", 10), (None, 10),
            (-1, 10, 0, 0, 0, -1), (-1, 10, 0, 0, 0, big),
            (-1, 10, std_mmap.MAP_PRIVATE, std_mmap.PROT_READ, std_mmap.ACCESS_WRITE),
            (-1, 10, std_mmap.MAP_SHARED, std_mmap.PROT_READ | std_mmap.PROT_WRITE, 4),
            (-1, 10, std_mmap.MAP_SHARED, std_mmap.PROT_READ | std_mmap.PROT_WRITE, -1),
            (-2, 10), (10 ** 6, 10),
        ]
        with open(path, "r+b") as f:
            cases += [(f.fileno(), 101), (f.fileno(), 0, 0, 0, 0, 200),
                      (f.fileno(), 10, 0, 0, 0, None)]
            for args in cases:
                with self.subTest(args=args):
                    a = outcome(std_mmap.mmap, *args)
                    b = outcome(mmapfile.mmap, *args)
                    self.assertEqual(a[0], b[0])
                    if a[0] == "raise":
                        self.assertIs(a[1], b[1], (a, b))
                        if a[1] in (ValueError, TypeError):
                            self.assertEqual(a[2], b[2])

    def test_empty_file(self):
        path = self.file(b"")
        for mode, access in (("rb", mmapfile.ACCESS_READ), ("r+b", mmapfile.ACCESS_WRITE),
                             ("r+b", mmapfile.ACCESS_DEFAULT), ("rb", mmapfile.ACCESS_COPY)):
            with open(path, mode) as f, self.subTest(access=access):
                with self.assertRaisesRegex(ValueError, "cannot mmap an empty file"):
                    mmapfile.mmap(f.fileno(), 0, access=access)

    def test_default_access_on_a_read_only_descriptor_is_refused(self):
        path = self.file(b"abc")
        with open(path, "rb") as f:
            self.assertRaises(PermissionError, mmapfile.mmap, f.fileno(), 0)
            self.assertRaises(PermissionError, std_mmap.mmap, f.fileno(), 0)

    def test_prot_read_means_read_only(self):
        path = self.file(b"abc")
        with open(path, "r+b") as f:
            m = mmapfile.mmap(f.fileno(), 0, prot=mmapfile.PROT_READ)
        with m:
            self.assertRaises(TypeError, m.write, b"x")
            self.assertRaises(TypeError, m.__setitem__, 0, 1)
            self.assertTrue(memoryview(m).readonly)
            self.assertIn("access=ACCESS_READ", repr(m))

    def test_map_private_is_copy_on_write(self):
        path = self.file(b"abc")
        with open(path, "r+b") as f:
            m = mmapfile.mmap(f.fileno(), 0, flags=mmapfile.MAP_PRIVATE)
        m[0] = ord("z")
        self.assertEqual(m[:], b"zbc")
        m.flush()
        m.close()
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"abc")

    def test_offset_need_not_be_aligned(self):
        # An extension over the stdlib (which gives EINVAL): the library
        # aligns the mapping itself.
        data = bytes(range(256)) * 64
        path = self.file(data)
        with open(path, "rb") as f:
            m = mmapfile.mmap(f.fileno(), 100, offset=1001, access=mmapfile.ACCESS_READ)
        with m:
            self.assertEqual(m[:], data[1001:1101])
            self.assertEqual(m.size(), len(data))

    def test_map_populate_is_accepted(self):
        path = self.file(b"p" * PAGESIZE * 4)
        with open(path, "rb") as f:
            m = mmapfile.mmap(f.fileno(), 0, prot=mmapfile.PROT_READ,
                              flags=mmapfile.MAP_SHARED | mmapfile.MAP_POPULATE)
        with m:
            self.assertEqual(m[PAGESIZE], ord("p"))

    def test_subclass_and_weakref(self):
        class Sub(mmapfile.mmap):
            pass
        s = Sub(-1, 10)
        self.assertIsInstance(s, mmapfile.mmap)
        self.assertTrue(repr(s).startswith("<Sub closed=False"))
        r = weakref.ref(s)
        del s
        self.assertIsNone(r())


class FileLikeTest(TempDirTest):
    def test_seek_returns_the_new_position(self):
        # 3.13 (gh-111835): seek() returns the new position; None before.
        m = mmapfile.mmap(-1, 100)
        new = sys.version_info >= (3, 13)
        self.assertEqual(m.seek(10), 10 if new else None)
        self.assertEqual(m.seek(5, os.SEEK_CUR), 15 if new else None)
        self.assertEqual(m.tell(), 15)
        self.assertEqual(m.seek(-1, os.SEEK_END), 99 if new else None)
        self.assertEqual(m.seek(0, 2), 100 if new else None)
        self.assertIs(m.seekable(), True)
        self.assertRaisesRegex(ValueError, "seek out of range", m.seek, 1, 2)
        self.assertRaisesRegex(ValueError, "seek out of range", m.seek, -1)
        self.assertRaisesRegex(ValueError, "unknown seek type", m.seek, 0, 3)
        self.assertRaisesRegex(ValueError, "seek out of range", m.seek, sys.maxsize, 1)
        self.assertEqual(m.tell(), 100)

    def test_read_readline_write(self):
        data = b"one\ntwo\n\nthree"
        m = mmapfile.mmap(-1, len(data))
        self.assertEqual(m.write(data), len(data))
        self.assertRaisesRegex(ValueError, "data out of range", m.write, b"x")
        m.seek(0)
        self.assertEqual([m.readline() for _ in range(5)],
                         [b"one\n", b"two\n", b"\n", b"three", b""])
        m.seek(4)
        self.assertEqual(m.read(3), b"two")
        self.assertEqual(m.read(), b"\n\nthree")
        self.assertEqual(m.read(), b"")
        m.seek(0)
        self.assertEqual(m.read(None), data)

    def test_read_byte_write_byte(self):
        m = mmapfile.mmap(-1, 3)
        for b in (0, 128, 255):
            m.write_byte(b)
        self.assertRaisesRegex(ValueError, "write byte out of range", m.write_byte, 1)
        m.seek(0)
        self.assertEqual([m.read_byte() for _ in range(3)], [0, 128, 255])
        self.assertRaisesRegex(ValueError, "read byte out of range", m.read_byte)

    def test_position_may_pass_the_end_after_resize(self):
        m = mmapfile.mmap(-1, 8192, flags=mmapfile.MAP_PRIVATE)
        m.read(5000)
        m.resize(4096)
        self.assertEqual(m.tell(), 5000)  # as the stdlib
        self.assertEqual(m.read(), b"")
        self.assertEqual(m.readline(), b"")
        self.assertRaises(ValueError, m.read_byte)
        self.assertRaises(ValueError, m.write, b"x")
        self.assertEqual(m.find(b"\0"), -1)

    def test_size_is_the_file_size(self):
        path = self.file(b"x" * 10000)
        with open(path, "r+b") as f:
            m = mmapfile.mmap(f.fileno(), 100, offset=PAGESIZE)
        with m:
            self.assertEqual(m.size(), 10000)
            self.assertEqual(len(m), 100)
        # gh-87595 (3.15): an anonymous map's size() is its length; before,
        # fstat(-1) fails with EBADF, as the stdlib's does.
        if sys.version_info >= (3, 15):
            self.assertEqual(mmapfile.mmap(-1, 77).size(), 77)
        else:
            with self.assertRaises(OSError) as cm:
                mmapfile.mmap(-1, 77).size()
            self.assertEqual(cm.exception.errno, errno.EBADF)

    def test_trackfd_false(self):
        path = self.file(b"abcdef")
        with open(path, "r+b") as f:
            m = mmapfile.mmap(f.fileno(), 0, trackfd=False)
        with m:
            self.assertEqual(m[:], b"abcdef")  # the map outlives the descriptor
            if sys.version_info >= (3, 15):  # gh-87595
                self.assertRaisesRegex(ValueError, "trackfd=False", m.size)
            else:
                with self.assertRaises(OSError) as cm:
                    m.size()
                self.assertEqual(cm.exception.errno, errno.EBADF)
            self.assertRaisesRegex(ValueError, "trackfd=False", m.resize, 3)

    def test_resize_file_map(self):
        path = self.file(b"0123456789")
        with open(path, "r+b") as f:
            m = mmapfile.mmap(f.fileno(), 0)
        m.resize(PAGESIZE * 3)
        self.assertEqual(len(m), PAGESIZE * 3)
        self.assertEqual(m[:10], b"0123456789")
        m[PAGESIZE * 3 - 1] = 7
        m.resize(4)
        self.assertEqual(m[:], b"0123")
        m.close()
        self.assertEqual(os.path.getsize(path), 4)

    def test_resize_anonymous(self):
        p = mmapfile.mmap(-1, PAGESIZE, flags=mmapfile.MAP_PRIVATE)
        p[:3] = b"abc"
        p.resize(3 * PAGESIZE)
        p[3 * PAGESIZE - 1] = 9
        self.assertEqual((p[:3], p[-1]), (b"abc", 9))
        p.resize(0)
        self.assertEqual((len(p), p[:]), (0, b""))
        s = mmapfile.mmap(-1, PAGESIZE)  # MAP_SHARED: may shrink, not grow
        s.resize(100)
        self.assertEqual(len(s), 100)
        self.assertRaisesRegex(ValueError, "can't expand a shared anonymous",
                               s.resize, PAGESIZE)

    def test_resize_refused_for_read_and_copy_maps(self):
        path = self.file(b"0123456789")
        for access in (mmapfile.ACCESS_READ, mmapfile.ACCESS_COPY):
            with open(path, "r+b") as f:
                m = mmapfile.mmap(f.fileno(), 0, access=access)
            with m, self.subTest(access=access):
                self.assertRaisesRegex(TypeError, "readonly or copy-on-write",
                                       m.resize, 20)

    def test_flush(self):
        path = self.file(b"x" * PAGESIZE * 2)
        with open(path, "r+b") as f:
            m = mmapfile.mmap(f.fileno(), 0)
        with m:
            m[0] = ord("y")
            self.assertIsNone(m.flush())
            self.assertIsNone(m.flush(0, 1))
            if sys.version_info >= (3, 15):  # size defaults to "to the end"
                self.assertIsNone(m.flush(PAGESIZE))
                self.assertIsNone(m.flush(PAGESIZE, None))
            else:  # size defaults to len(m), must be an int
                self.assertRaises(ValueError, m.flush, PAGESIZE)
                self.assertRaises(TypeError, m.flush, PAGESIZE, None)
                self.assertRaises(ValueError, m.flush, 0, -1)
            self.assertIsNone(m.flush(PAGESIZE, PAGESIZE))
            self.assertIsNone(m.flush(0, 0))
            # no signed overflow in msize - offset (checked with UBSan)
            self.assertRaisesRegex(ValueError, "flush values out of range",
                                   m.flush, -2**63)
            self.assertRaisesRegex(ValueError, "flush values out of range",
                                   m.flush, -2**63, 2**63 - 1)
            for flags in (mmapfile.MS_SYNC, mmapfile.MS_ASYNC,
                          mmapfile.MS_SYNC | mmapfile.MS_INVALIDATE,
                          mmapfile.MS_ASYNC | mmapfile.MS_INVALIDATE):
                self.assertIsNone(m.flush(flags=flags))
                self.assertIsNone(m.flush(0, PAGESIZE, flags=flags))
            with self.assertRaises(OSError) as cm:
                m.flush(flags=mmapfile.MS_SYNC | mmapfile.MS_ASYNC)
            self.assertEqual(cm.exception.errno, errno.EINVAL)
            self.assertRaises(OSError, m.flush, flags=1 << 20)
            self.assertRaises(OSError, m.flush, 1, 1)  # msync wants alignment
            self.assertRaisesRegex(ValueError, "flush values out of range",
                                   m.flush, 0, PAGESIZE * 2 + 1)
            self.assertRaises(ValueError, m.flush, -1)
            self.assertRaises(TypeError, m.flush, 0, 1, 2)
            self.assertRaises(TypeError, m.flush, nope=1)
            self.assertRaises(TypeError, m.flush, flags="x")
        with open(path, "rb") as f:
            self.assertEqual(f.read(1), b"y")

    def test_flush_of_read_and_copy_maps_is_a_no_op(self):
        path = self.file(b"x" * 100)
        for access in (mmapfile.ACCESS_READ, mmapfile.ACCESS_COPY):
            with open(path, "r+b") as f:
                m = mmapfile.mmap(f.fileno(), 0, access=access)
            with m:
                self.assertIsNone(m.flush(1, 2))

    def test_madvise(self):
        m = mmapfile.mmap(-1, PAGESIZE * 4)
        self.assertIsNone(m.madvise(mmapfile.MADV_NORMAL))
        self.assertIsNone(m.madvise(mmapfile.MADV_WILLNEED, PAGESIZE, PAGESIZE))
        self.assertIsNone(m.madvise(mmapfile.MADV_DONTNEED, 0, 0))
        self.assertIsNone(m.madvise(mmapfile.MADV_RANDOM, 0, None))
        self.assertRaises(OSError, m.madvise, mmapfile.MADV_NORMAL, 1)
        self.assertRaises(OSError, m.madvise, 12345)  # unknown advice
        self.assertRaisesRegex(ValueError, "start out of bounds", m.madvise, 0, -1)
        self.assertRaisesRegex(OverflowError, "too large", m.madvise, 0, PAGESIZE, sys.maxsize)


class StringLikeTest(TempDirTest):
    def test_find_rfind_default_to_the_position(self):
        m = mmapfile.mmap(-1, 12)
        m[:] = b"abcabcabcabc"
        m.seek(4)
        self.assertEqual(m.find(b"abc"), 6)
        self.assertEqual(m.rfind(b"abc"), 9)
        self.assertEqual(m.find(b"abc", 0), 0)
        self.assertEqual(m.find(b"abc", None, 12), 6)  # None: the position
        self.assertEqual(m.find(b"abc", None, 5), -1)
        self.assertEqual(m.rfind(b"abc", 0, 5), 0)
        self.assertEqual(m.find(bytearray(b"ca")), 5)
        self.assertEqual(m.find(memoryview(b"xbc")[1:]), 4)
        self.assertEqual(m.find(b""), 4)
        self.assertRaises(TypeError, m.find, "abc")
        self.assertRaises(TypeError, m.find)
        self.assertRaises(TypeError, m.find, b"a", 1.0)

    def test_count(self):
        data = b"aaaa-ab-aaa-b"
        m = mmapfile.mmap(-1, len(data))
        m[:] = data
        n = len(data)
        for sub in (b"a", b"aa", b"aaa", b"-", b"b", b"ab", b"zz", b"", data, data + b"x"):
            for start in (None, 0, 1, 5, -3, -100, n, n + 5):
                for end in (None, 0, 3, 7, -1, -100, n, n + 5):
                    with self.subTest(sub=sub, start=start, end=end):
                        s = 0 if start is None else start
                        e = n if end is None else end
                        self.assertEqual(m.count(sub, start, end), data.count(sub, s, e))
        m.seek(5)
        self.assertEqual(m.count(b"a"), data.count(b"a", 5))  # from the position
        self.assertRaises(TypeError, m.count, "a")
        self.assertRaises(TypeError, m.count, b"a", "x")

    def test_move(self):
        m = mmapfile.mmap(-1, 10)
        m[:] = b"0123456789"
        m.move(2, 0, 5)
        self.assertEqual(m[:], b"0101234789")
        m.move(0, 5, 5)
        self.assertEqual(m[:], b"3478934789")
        self.assertRaisesRegex(ValueError, "out of range", m.move, 0, 6, 5)
        self.assertRaisesRegex(ValueError, "out of range", m.move, -1, 0, 1)
        self.assertRaises(TypeError, m.move, 0, 0)

    def test_getitem_setitem(self):
        data = bytes(range(256))
        m = mmapfile.mmap(-1, 256)
        m[:] = data
        self.assertEqual(m[0], 0)
        self.assertEqual(m[-1], 255)
        self.assertEqual(m[10:20], data[10:20])
        self.assertEqual(m[::-3], data[::-3])
        self.assertEqual(m[200:10:-7], data[200:10:-7])
        self.assertEqual(m[-5:], data[-5:])
        self.assertEqual(m[2 ** 40:], b"")
        self.assertEqual(m[-2 ** 70:2 ** 70], data)
        m[5] = 0
        m[1:4] = b"xyz"
        m[250:240:-2] = b"ABCDE"
        ref = bytearray(data)
        ref[5] = 0
        ref[1:4] = b"xyz"
        ref[250:240:-2] = b"ABCDE"
        self.assertEqual(m[:], bytes(ref))
        self.assertRaisesRegex(IndexError, "out of range", m.__getitem__, 256)
        self.assertRaisesRegex(IndexError, "out of range", m.__getitem__, -257)
        self.assertRaises(IndexError, m.__getitem__, 2 ** 80)
        self.assertRaisesRegex(TypeError, "integers", m.__getitem__, "x")
        self.assertRaisesRegex(TypeError, "integers", m.__getitem__, 1.0)
        self.assertRaisesRegex(ValueError, "range", m.__setitem__, 0, 256)
        self.assertRaisesRegex(ValueError, "range", m.__setitem__, 0, -1)
        self.assertRaisesRegex(TypeError, "an int", m.__setitem__, 0, b"x")
        self.assertRaisesRegex(IndexError, "wrong size", m.__setitem__, slice(0, 2), b"x")
        self.assertRaises(TypeError, m.__setitem__, slice(0, 2), "xy")
        self.assertRaisesRegex(TypeError, "deletion", m.__delitem__, 0)
        self.assertRaisesRegex(TypeError, "deletion", m.__delitem__, slice(0, 1))

    def test_slice_assignment_from_itself(self):
        # A memoryview of the map as the source: the copy must behave as if
        # the source were read first (memmove), as the stdlib's memcpy does
        # for the non-overlapping cases.
        m = mmapfile.mmap(-1, 16)
        ref = bytearray(b"0123456789abcdef")
        m[:] = ref
        steps = [(slice(2, 10), slice(0, 8)), (slice(0, 8), slice(4, 12)),
                 (slice(None, None, 2), slice(8, 16)),
                 (slice(15, 7, -1), slice(0, 8))]
        with memoryview(m) as v:
            for dst, src in steps:
                m[dst] = v[src]
                ref[dst] = bytes(ref[src])
                self.assertEqual(m[:], bytes(ref), (dst, src))
            m.seek(4)
            m.write(v[0:8])
            ref[4:12] = bytes(ref[0:8])
        self.assertEqual(m[:], bytes(ref))
        self.assertEqual(m.tell(), 12)

    def test_iteration_and_in_as_the_stdlib(self):
        a, b = self.anon_pair(b"hello")
        self.assertEqual(list(b), list(a))
        self.assertEqual(list(b), [b"h", b"e", b"l", b"l", b"o"])
        for x in (b"h", b"o", b"z", bytearray(b"e"), b"he", b"", ord("h"), "h",
                  None, memoryview(b"l"), 3.5):
            with self.subTest(x=x):
                self.assertEqual(x in b, x in a)

    def test_concat_and_repeat_refused(self):
        m = mmapfile.mmap(-1, 4)
        self.assertRaises(TypeError, lambda: m + m)
        self.assertRaises(TypeError, lambda: m * 2)


class ProtocolTest(TempDirTest):
    def test_buffer_protocol(self):
        m = mmapfile.mmap(-1, 64)
        struct.pack_into("<IQ", m, 4, 0xDEADBEEF, 2 ** 60)
        self.assertEqual(struct.unpack_from("<IQ", m, 4), (0xDEADBEEF, 2 ** 60))
        m[20:31] = b"hello world"
        self.assertEqual(re.search(rb"w\w+", m).group(), b"world")
        self.assertEqual(bytes(m)[20:25], b"hello")
        with memoryview(m) as v:
            self.assertEqual(len(v), 64)
            self.assertFalse(v.readonly)
            v[0] = 42
        self.assertEqual(m[0], 42)

    def test_read_only_buffer(self):
        path = self.file(b"abc")
        with open(path, "rb") as f:
            m = mmapfile.mmap(f.fileno(), 0, access=mmapfile.ACCESS_READ)
        with m, memoryview(m) as v:
            self.assertTrue(v.readonly)
            self.assertRaises(TypeError, struct.pack_into, "B", m, 0, 1)

    def test_exports_block_close_and_resize(self):
        m = mmapfile.mmap(-1, PAGESIZE, flags=mmapfile.MAP_PRIVATE)
        v = memoryview(m)
        self.assertRaisesRegex(BufferError, "exported", m.close)
        self.assertRaisesRegex(BufferError, "exported", m.resize, 10)
        self.assertFalse(m.closed)
        v2 = v[10:20]
        v.release()
        self.assertRaises(BufferError, m.close)
        v2.release()
        m.resize(10)
        m.close()
        self.assertTrue(m.closed)
        self.assertRaises(ValueError, memoryview, m)

    def test_context_manager_and_closed(self):
        with mmapfile.mmap(-1, 10) as m:
            self.assertFalse(m.closed)
        self.assertTrue(m.closed)
        self.assertRaisesRegex(ValueError, "closed", m.__enter__)
        with self.assertRaises(KeyError):
            with mmapfile.mmap(-1, 10) as m2:
                raise KeyError
        self.assertTrue(m2.closed)

    def test_repr(self):
        path = self.file(b"x" * PAGESIZE * 3)
        with open(path, "r+b") as f:
            m = mmapfile.mmap(f.fileno(), PAGESIZE, offset=PAGESIZE,
                              access=mmapfile.ACCESS_COPY)
        m.seek(7)
        self.assertEqual(repr(m), "<mmap.mmap closed=False, access=ACCESS_COPY, "
                                  "length=%d, pos=7, offset=%d>" % (PAGESIZE, PAGESIZE))
        m.close()
        self.assertEqual(repr(m), "<mmap.mmap closed=True>")

    def test_pickle_and_copy_refused(self):
        m = mmapfile.mmap(-1, 10)
        for proto in range(pickle.HIGHEST_PROTOCOL + 1):
            with self.subTest(protocol=proto):
                self.assertRaisesRegex(TypeError, "cannot pickle", pickle.dumps, m, proto)
        self.assertRaises(TypeError, copy.copy, m)
        self.assertRaises(TypeError, copy.deepcopy, m)

    def test_len_and_bool(self):
        m = mmapfile.mmap(-1, 10)
        self.assertEqual(len(m), 10)
        self.assertTrue(m)
        m.close()
        self.assertRaises(ValueError, len, m)


if __name__ == "__main__":
    unittest.main()
