"""mmapfile against the stdlib mmap, call by call.

Bad arguments of every method, every method on a closed map, and long
random sequences of operations: the same result, or the same exception
type (and, for ValueError/TypeError/IndexError/BufferError, the same
message).  mmapfile follows the running interpreter wherever stdlib
versions differ, so every call must agree.
"""
import mmap as std_mmap
import random
import sys
import unittest

import mmapfile
from support import PAGESIZE, TempDirTest, outcome

BAD = [-1, -2 ** 63, 2 ** 63, 2 ** 64, 10 ** 30, 1.5, "x", None, b"x", [], object()]
HUGE = [2 ** 63, 2 ** 64, 10 ** 30]
SAME_MESSAGE = (ValueError, TypeError, IndexError, BufferError)


def same_message(result):
    """Whether mmapfile must give the stdlib's very message.  Arity errors
    are worded as in CPython 3.13's Argument Clinic ("seek expected at most
    2 arguments, got 4"), not as 3.11's getargs; OverflowError and OSError
    messages name the library's context."""
    return result[1] in SAME_MESSAGE and "argument" not in result[2]


def cases():
    """(method, args) with bad arguments for every method."""
    out = []
    for v in BAD:
        out += [("read", (v,)), ("write", (v,)), ("write_byte", (v,)),
                ("seek", (v,)), ("seek", (0, v)), ("find", (v,)),
                ("rfind", (v,)), ("flush", (v,)), ("madvise", (v,)),
                ("madvise", (0, v)), ("move", (v, 0, 1)), ("move", (0, v, 1)),
                ("move", (0, 1, v)), ("resize", (v,)), ("__getitem__", (v,)),
                ("__setitem__", (v, 1)), ("__setitem__", (0, v)),
                ("__setitem__", (slice(0, 1), v))]
        if v is not None:  # None: "not given" in newer CPythons, see below
            out += [("find", (b"a", v)), ("find", (b"a", 0, v)),
                    ("rfind", (b"a", v)), ("rfind", (b"a", 0, v)),
                    ("flush", (0, v)), ("madvise", (0, 0, v))]
    for v in (256, -1, 1000):
        out += [("write_byte", (v,)), ("__setitem__", (0, v))]
    for name in ("read_byte", "readline", "tell", "size", "close", "flush",
                 "find", "seek", "move", "resize", "write"):
        out += [(name, ()), (name, (1, 2, 3, 4))]
    out += [("__getitem__", (slice(0, 10, 0),)), ("__getitem__", (slice("a", 1),)),
            ("__getitem__", (slice(None, None, 2 ** 70),)),
            ("__getitem__", (slice(-2 ** 70, 2 ** 70, -1),)),
            ("__setitem__", (slice(0, 3), b"ab")),
            ("__setitem__", (slice(0, 3, 2), b"abc")),
            ("__setitem__", (slice(0, 10, 0), b"")),
            ("__setitem__", (0, b"a")), ("__setitem__", ("a", 1)),
            ("__delitem__", (0,)), ("__delitem__", (slice(0, 1),)),
            ("write", ("text",)), ("find", ("text",)),
            ("move", (PAGESIZE, 0, 1)), ("move", (0, 0, PAGESIZE + 1)),
            ("madvise", (0, PAGESIZE)), ("madvise", (0, 0, -1)),
            ("madvise", (0, 1, sys.maxsize)), ("madvise", (-12345,)),
            ("flush", (PAGESIZE + 1,)), ("flush", (0, PAGESIZE + 1)),
            ("flush", (1,)), ("seek", (PAGESIZE + 1,)), ("seek", (0, 3)),
            ("seek", (-1, 1)), ("seek", (1, 2)), ("resize", (-5,))]
    return out


def call(m, name, args):
    if name == "__contains__":
        return args[0] in m
    return getattr(m, name)(*args)


class BadArgumentsTest(TempDirTest):
    def check(self, a, b, name, args):
        ra = outcome(call, a, name, args)
        rb = outcome(call, b, name, args)
        if name == "seek" and ra == ("ok", None) and rb[0] == "ok":
            ra = rb  # seek() returns the position since CPython 3.13
        self.assertEqual(ra[0], rb[0], (ra, rb))
        if ra[0] == "raise":
            self.assertIs(ra[1], rb[1], (ra, rb))
            if same_message(ra):
                self.assertEqual(ra[2], rb[2])
        else:
            self.assertEqual(ra[1], rb[1])
        if not a.closed:
            self.assertEqual(a[:], b[:])
            self.assertEqual(a.tell(), b.tell())

    def test_bad_arguments_of_every_method(self):
        data = bytes(range(256)) * (PAGESIZE // 256)
        for name, args in cases():
            with self.subTest(method=name, args=args):
                a, b = self.pair(data)
                self.check(a, b, name, args)

    def test_bad_arguments_on_a_read_only_map(self):
        data = b"r" * PAGESIZE
        for name, args in cases():
            with self.subTest(method=name, args=args):
                a, b = self.pair(data, access=std_mmap.ACCESS_READ, mode="rb")
                self.check(a, b, name, args)

    def test_every_method_on_a_closed_map(self):
        calls = [("read", ()), ("read", (1,)), ("read_byte", ()), ("readline", ()),
                 ("write", (b"x",)), ("write_byte", (1,)), ("seek", (0,)),
                 ("tell", ()), ("find", (b"x",)), ("rfind", (b"x",)),
                 ("flush", ()), ("madvise", (std_mmap.MADV_NORMAL,)),
                 ("move", (0, 1, 1)), ("resize", (10,)), ("size", ()),
                 ("__getitem__", (0,)), ("__getitem__", (slice(0, 2),)),
                 ("__setitem__", (0, 1)), ("__setitem__", (slice(0, 1), b"x")),
                 ("__len__", ()), ("__enter__", ()), ("close", ()),
                 ("__repr__", ())]
        for name, args in calls:
            with self.subTest(method=name):
                a, b = self.pair(b"abc" * 100)
                a.close()
                b.close()
                self.check(a, b, name, args)
        a, b = self.pair(b"abc")
        a.close()
        b.close()
        for op in (memoryview, list, bytes, lambda m: b"a" in m,
                   lambda m: m.count(b"a") if hasattr(m, "count") else m.find(b"a")):
            with self.subTest(op=op):
                ra, rb = outcome(op, a), outcome(op, b)
                self.assertEqual(ra[:2], rb[:2])
                self.assertEqual(ra[2], rb[2])
        self.assertIs(b.seekable(), True)

    def test_huge_lengths(self):
        for n in HUGE + [sys.maxsize]:
            with self.subTest(n=n):
                ra = outcome(std_mmap.mmap, -1, n)
                rb = outcome(mmapfile.mmap, -1, n)
                self.assertEqual(ra[:2], rb[:2])


class RandomOperationsTest(TempDirTest):
    """Random programs run on both modules must agree step by step."""

    def random_args(self, rnd, n, data):
        pick = rnd.random()

        def idx():
            return rnd.choice([rnd.randrange(-n - 3, n + 3), 0, n, -1, None])

        def needle():
            if rnd.random() < 0.7 and n:
                i = rnd.randrange(n)
                return bytes(data[i:i + rnd.randrange(0, 5)])
            return rnd.randbytes(rnd.randrange(0, 3))

        if pick < 0.08:
            return "seek", (rnd.randrange(-n - 2, n + 3), rnd.choice([0, 1, 2]))
        if pick < 0.16:
            return "read", (rnd.choice([None, -1, 0, 1, 3, 17, n + 5]),)
        if pick < 0.22:
            return "read_byte", ()
        if pick < 0.27:
            return "readline", ()
        if pick < 0.34:
            return "write", (rnd.randbytes(rnd.randrange(0, 9)),)
        if pick < 0.39:
            return "write_byte", (rnd.randrange(256),)
        if pick < 0.50:
            args = [needle()]
            if rnd.random() < 0.7:
                args.append(rnd.randrange(-n - 3, n + 3))
                if rnd.random() < 0.6:
                    args.append(rnd.randrange(-n - 3, n + 3))
            return rnd.choice(["find", "rfind"]), tuple(args)
        if pick < 0.62:
            if rnd.random() < 0.4:
                return "__getitem__", (rnd.randrange(-n - 2, n + 2),)
            step = rnd.choice([None, 1, 2, 3, -1, -2, -5])
            return "__getitem__", (slice(idx(), idx(), step),)
        if pick < 0.76:
            if rnd.random() < 0.4:
                return "__setitem__", (rnd.randrange(-n - 2, n + 2), rnd.randrange(256))
            step = rnd.choice([None, 1, 2, -1, -3])
            s = slice(idx(), idx(), step)
            length = len(range(*s.indices(n)))
            if rnd.random() < 0.1:
                length += 1
            return "__setitem__", (s, rnd.randbytes(length))
        if pick < 0.84:
            return "move", (rnd.randrange(-1, n + 1), rnd.randrange(-1, n + 1),
                            rnd.randrange(-1, n // 2 + 2))
        if pick < 0.88:
            return "tell", ()
        if pick < 0.92:
            return "flush", ()
        if pick < 0.96:
            return "__contains__", (rnd.choice([b"a", bytes([rnd.randrange(256)]), b"ab"]),)
        return "resize", (rnd.randrange(1, 2 * PAGESIZE),)

    def run_program(self, a, b, seed, steps, resize):
        rnd = random.Random(seed)
        for step in range(steps):
            n = len(a)
            name, args = self.random_args(rnd, n, a[:])
            if name == "resize" and not resize:
                continue
            ra = outcome(call, a, name, args)
            rb = outcome(call, b, name, args)
            if name == "seek" and ra == ("ok", None) and rb[0] == "ok":
                ra = rb  # seek() returns the position since CPython 3.13
            where = (seed, step, name, args, ra, rb)
            self.assertEqual(ra[0], rb[0], where)
            if ra[0] == "raise":
                self.assertIs(ra[1], rb[1], where)
                if same_message(ra):
                    self.assertEqual(ra[2], rb[2], where)
            else:
                self.assertEqual(ra[1], rb[1], where)
            self.assertEqual(a.tell(), b.tell(), where)
            self.assertEqual(len(a), len(b), where)
        self.assertEqual(a[:], b[:])

    def test_random_programs_on_anonymous_maps(self):
        for seed in range(40):
            with self.subTest(seed=seed):
                data = random.Random(seed).randbytes(random.Random(seed).randrange(1, 300))
                a, b = self.anon_pair(data)
                self.run_program(a, b, seed, 300, resize=False)

    def test_random_programs_on_file_maps(self):
        for seed in range(40, 70):
            with self.subTest(seed=seed):
                rnd = random.Random(seed)
                data = bytes(rnd.choice(b"ab\n") for _ in range(rnd.randrange(1, 2 * PAGESIZE)))
                a, b = self.pair(data)
                self.run_program(a, b, seed, 300, resize=True)


if __name__ == "__main__":
    unittest.main()
