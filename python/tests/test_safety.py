"""No crash reachable from Python: faults, closing, exports, threads, fork."""
import errno
import os
import signal
import sys
import threading
import time
import unittest

import mmapfile
from support import PAGESIZE, TempDirTest, run_python

FAULT_CHILD = r"""
import errno, os, sys
import mmapfile

path = sys.argv[1] if len(sys.argv) > 1 else %(path)r
with open(path, "wb") as f:
    f.write(b"line\n" * (%(size)d // 5))
with open(path, "r+b") as f:
    m = mmapfile.mmap(f.fileno(), 0, **%(kw)s)
n = len(m)
os.truncate(path, 100)                # another process shrinks the file
far = n - 10
ops = {
    "index": lambda: m[far],
    "slice": lambda: m[far - 100:far],
    "step": lambda: m[50::7],
    "read": lambda: (m.seek(far), m.read())[1],
    "read_byte": lambda: (m.seek(far), m.read_byte())[1],
    "readline": lambda: (m.seek(far), m.readline())[1],
    "find": lambda: m.find(b"nope", 0),
    "rfind": lambda: m.rfind(b"nope"),
    "count": lambda: m.count(b"line", 0),
    "contains": lambda: b"z" in m,
    "iter": lambda: list(m),
    "setitem": lambda: m.__setitem__(far, 1),
    "setslice": lambda: m.__setitem__(slice(far - 3, far), b"abc"),
    "setstep": lambda: m.__setitem__(slice(far - 30, far, 10), b"abc"),
    "write": lambda: (m.seek(far), m.write(b"xyz"))[1],
    "write_byte": lambda: (m.seek(far), m.write_byte(1))[1],
    "move": lambda: m.move(0, far - 50, 50),
}
for name, op in ops.items():
    try:
        op()
    except mmapfile.MappedFileError as e:
        assert isinstance(e, OSError) and e.errno == errno.EFAULT, (name, e)
        print(name, "MappedFileError")
    else:
        print(name, "no error")
assert m[:100] == b"line\n" * 20       # what is left still reads
m.close()
print("survived")
"""


class TruncatedFileTest(TempDirTest):
    """A file that shrinks under the map raises MappedFileError (errno
    EFAULT) from every method; the child interpreter survives.  Run in a
    child so that a crash fails the test rather than the runner."""

    def run_fault_child(self, **kw):
        code = FAULT_CHILD % {"path": os.path.join(self.dir, "shrink.bin"),
                              "size": 64 * PAGESIZE, "kw": repr(kw)}
        r = run_python(code)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        lines = r.stdout.split("\n")
        self.assertIn("survived", lines)
        for line in lines:
            if line and line != "survived":
                self.assertTrue(line.endswith("MappedFileError"), line)
        self.assertEqual(len([l for l in lines if l.endswith("MappedFileError")]), 17)

    def test_whole_map(self):
        self.run_fault_child()

    def test_windowed_map(self):
        self.run_fault_child(window=4 * PAGESIZE)

    def test_with_faulthandler_enabled_first(self):
        # faulthandler's SIGBUS handler was there first: the library chains
        # to it for faults outside its guarded calls and keeps its own.
        r = run_python("import faulthandler; faulthandler.enable()\n"
                       + FAULT_CHILD % {"path": os.path.join(self.dir, "fh.bin"),
                                        "size": 16 * PAGESIZE, "kw": "{}"})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("survived", r.stdout)

    def test_buffer_protocol_is_not_guarded(self):
        # Documented: memory reached through a memoryview is the mapping
        # itself, as with the stdlib; a lost page there is SIGBUS.
        path = os.path.join(self.dir, "mv.bin")
        r = run_python(r"""
            import os, mmapfile
            with open(%r, "wb") as f:
                f.write(b"x" * %d)
            with open(%r, "r+b") as f:
                m = mmapfile.mmap(f.fileno(), 0)
            v = memoryview(m)
            os.truncate(%r, 0)
            v[%d]
            """ % (path, 16 * PAGESIZE, path, path, 8 * PAGESIZE))
        self.assertEqual(r.returncode, -signal.SIGBUS, r.stderr)


class CloseAndExportTest(TempDirTest):
    def test_index_that_closes_the_map(self):
        m = mmapfile.mmap(-1, 100)

        class Closer:
            def __index__(self):
                m.close()
                return 1

        for op in (lambda: m[Closer()], lambda: m[Closer():5],
                   lambda: m.__setitem__(Closer(), 1),
                   lambda: m.__setitem__(0, Closer()),
                   lambda: m.count(b"a", Closer()), lambda: m.seek(Closer()),
                   lambda: m.write_byte(Closer()), lambda: m.read(Closer()),
                   lambda: m.madvise(0, Closer()), lambda: m.flush(Closer()),
                   lambda: m.resize(Closer())):
            m = mmapfile.mmap(-1, 100)
            with self.subTest(op=op):
                self.assertRaisesRegex(ValueError, "closed", op)

    def test_index_that_resizes_the_map(self):
        path = self.file(b"x" * 1000)
        with open(path, "r+b") as f:
            m = mmapfile.mmap(f.fileno(), 0)
        self.addCleanup(m.close)

        class Shrinker:
            def __init__(self, value=500):
                self.value = value

            def __index__(self):
                m.resize(10)
                return self.value

        self.assertRaises(IndexError, m.__getitem__, Shrinker())
        m.resize(1000)
        # index 500 is checked first, then the value's __index__ shrinks
        self.assertRaises(IndexError, m.__setitem__, 500, Shrinker(1))
        self.assertEqual(len(m), 10)
        m.resize(1000)
        self.assertEqual(m[0:Shrinker()], b"x" * 10)
        m.resize(1000)
        self.assertRaises(ValueError, m.move, 0, 0, Shrinker())
        m.resize(1000)
        self.assertRaises(IndexError, m.__setitem__, slice(0, Shrinker()), b"x" * 500)

    def test_exports_from_slices_and_struct(self):
        import struct
        m = mmapfile.mmap(-1, 64, flags=mmapfile.MAP_PRIVATE)
        views = [memoryview(m)[i:i + 8] for i in range(0, 64, 8)]
        self.assertRaises(BufferError, m.close)
        struct.pack_into("<Q", m, 0, 7)  # a temporary export, released
        del views
        m.resize(128)
        self.assertEqual(len(memoryview(m)), 128)
        m.close()

    def test_dealloc_with_a_closed_map_and_double_close(self):
        m = mmapfile.mmap(-1, 10)
        m.close()
        m.close()
        del m


class ThreadsTest(TempDirTest):
    def test_threads_reading_one_map(self):
        data = os.urandom(256 * 1024)
        path = self.file(data)
        with open(path, "rb") as f:
            m = mmapfile.mmap(f.fileno(), 0, access=mmapfile.ACCESS_READ)
        self.addCleanup(m.close)
        errors = []

        def reader(seed):
            import random
            rnd = random.Random(seed)
            try:
                for _ in range(3000):
                    a = rnd.randrange(len(data) - 64)
                    b = a + rnd.randrange(64)
                    if m[a:b] != data[a:b] or m[a] != data[a]:
                        errors.append(("slice", a, b))
                    needle = data[a:a + 6]
                    if m.find(needle, 0) != data.find(needle):
                        errors.append(("find", a))
                    if m.count(needle[:2], a, a + 4096) != data.count(needle[:2], a, a + 4096):
                        errors.append(("count", a))
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])

    def test_close_while_threads_read(self):
        m = mmapfile.mmap(-1, 1 << 20)
        m[:5] = b"hello"
        seen = []
        # Each reader runs until the close stops it (an exception), with a
        # deadline only as a safety net: a stop flag set after close()
        # would race with it and let a reader leave without ever seeing
        # the closed map.
        deadline = time.monotonic() + 30

        def reader():
            try:
                while time.monotonic() < deadline:
                    assert m[0:5] == b"hello"
                    m.find(b"zz", 0)
                    m.seek(0)
                    m.read_byte()
            except ValueError as e:
                seen.append(str(e))

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for t in threads:
            t.start()
        sys_switch = sys.getswitchinterval()
        sys.setswitchinterval(1e-5)
        try:
            threading.Event().wait(0.2)
            m.close()
            for t in threads:
                t.join()
        finally:
            sys.setswitchinterval(sys_switch)
        self.assertEqual(len(seen), 4)
        self.assertTrue(all("closed" in s for s in seen), seen)


@unittest.skipUnless(hasattr(os, "fork"), "needs fork()")
class ForkTest(TempDirTest):
    def fork_and_write(self, m, data):
        pid = os.fork()
        if pid == 0:  # the child: write, leave at once
            try:
                m[0:len(data)] = data
                m.flush()
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)

    def test_shared_anonymous_map_sees_the_child_write(self):
        m = mmapfile.mmap(-1, PAGESIZE)  # MAP_SHARED by default
        self.fork_and_write(m, b"from the child")
        self.assertEqual(m[:14], b"from the child")

    def test_private_anonymous_map_does_not(self):
        m = mmapfile.mmap(-1, PAGESIZE, flags=mmapfile.MAP_PRIVATE)
        self.fork_and_write(m, b"from the child")
        self.assertEqual(m[:14], b"\0" * 14)

    def test_shared_file_map(self):
        path = self.file(b"\0" * PAGESIZE)
        with open(path, "r+b") as f:
            m = mmapfile.mmap(f.fileno(), 0)
        self.fork_and_write(m, b"child")
        self.assertEqual(m[:5], b"child")
        m.close()
        with open(path, "rb") as f:
            self.assertEqual(f.read(5), b"child")


class ErrorsTest(TempDirTest):
    def test_not_mappable_descriptors(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        with self.assertRaises(OSError):
            mmapfile.mmap(r, 10, access=mmapfile.ACCESS_READ)
        d = os.open(self.dir, os.O_RDONLY)
        self.addCleanup(os.close, d)
        with self.assertRaises(OSError):
            mmapfile.mmap(d, 10, access=mmapfile.ACCESS_READ)
        with self.assertRaises(OSError) as cm:
            mmapfile.mmap(-2, 10)
        self.assertEqual(cm.exception.errno, errno.EBADF)

    def test_out_of_address_space_is_oserror(self):
        with self.assertRaises(OSError) as cm:
            mmapfile.mmap(-1, sys.maxsize)
        self.assertEqual(cm.exception.errno, errno.ENOMEM)


if __name__ == "__main__":
    unittest.main()
