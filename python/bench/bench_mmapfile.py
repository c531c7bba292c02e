#!/usr/bin/env python3
"""Compare mmapfile.mmap with the stdlib mmap.mmap in one process.

Each workload runs on both modules over the same file, alternating
(stdlib, mmapfile, then mmapfile, stdlib, ...).  Each run pairs one stdlib
timing with the mmapfile timing taken right next to it; the ratio printed is
the median over the runs of stdlib time / mmapfile time (above 1.0 mmapfile
is faster), which a busy machine's drift disturbs much less than a ratio of
separate medians.  The times printed are the medians per module.

    python3 bench/bench_mmapfile.py            # table
    python3 bench/bench_mmapfile.py --json     # machine-readable
    python3 bench/bench_mmapfile.py --runs 9 --size 32

Workloads:
  seek_loop     m.seek(p); m.read(16) at random positions (the seed's loop)
  read_byte     sequential m.read_byte()
  small_slices  m[p:p+16] at random positions
  index         m[p] at random positions
  find_log      every occurrence of a rare needle in log-like text
  find_random   a needle absent from random bytes (a full scan)
  count         count(needle) in log-like text; the stdlib has no count(),
                so it is timed as the usual find() loop
"""
import argparse
import json
import mmap as std_mmap
import os
import random
import statistics
import sys
import tempfile
import time

try:
    import mmapfile
except ImportError:  # run from the source tree after build_ext --inplace
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import mmapfile

LOG_NEEDLE = b"status=503 upstream timeout"
COUNT_NEEDLE = b"level=WARN"


def make_random(path, size, rnd):
    with open(path, "wb") as f:
        f.write(rnd.randbytes(size))


def make_log(path, size, rnd):
    """Lines like a web server's log; LOG_NEEDLE on a few of them only."""
    levels = [b"INFO"] * 12 + [b"DEBUG"] * 6 + [b"WARN"] * 2 + [b"ERROR"]
    paths = [b"/api/v1/items", b"/api/v1/users", b"/static/app.js",
             b"/healthz", b"/api/v2/search", b"/login"]
    lines = []
    total = 0
    n = 0
    while total < size:
        n += 1
        ts = b"2024-05-%02dT%02d:%02d:%02d.%03dZ" % (
            1 + n % 28, n % 24, n % 60, (n * 7) % 60, n % 1000)
        status = rnd.choice((200, 200, 200, 201, 204, 301, 404, 500))
        line = b"%s level=%s worker=%d req=%08x path=%s/%d status=%d latency_ms=%d\n" % (
            ts, rnd.choice(levels), rnd.randrange(64), rnd.getrandbits(32),
            rnd.choice(paths), rnd.randrange(10000), status, rnd.randrange(900))
        lines.append(line)
        total += len(line)
    for k in range(1, 6):  # five rare hits spread over the file
        i = len(lines) * k // 6
        lines[i] = lines[i][:-1] + b" " + LOG_NEEDLE + b"\n"
    with open(path, "wb") as f:
        f.write(b"".join(lines)[:size])


# --- workloads: fn(m, ctx) ------------------------------------------------

def w_seek_loop(m, ctx):
    seek, read = m.seek, m.read
    for p in ctx["positions"]:
        seek(p)
        read(16)


def w_read_byte(m, ctx):
    m.seek(0)
    rb = m.read_byte
    for _ in ctx["byte_range"]:
        rb()


def w_small_slices(m, ctx):
    for p in ctx["positions"]:
        m[p:p + 16]


def w_index(m, ctx):
    for p in ctx["positions"]:
        m[p]


def find_all(m, needle):
    find = m.find
    n = len(needle)
    i = find(needle, 0)
    hits = 0
    while i != -1:
        hits += 1
        i = find(needle, i + n)
    return hits


def w_find_log(m, ctx):
    return find_all(m, LOG_NEEDLE)


def w_find_random(m, ctx):
    return m.find(ctx["absent"], 0)


def w_count(m, ctx):
    if hasattr(m, "count"):
        return m.count(COUNT_NEEDLE, 0)
    return find_all(m, COUNT_NEEDLE)


WORKLOADS = [
    # name, file, function
    ("seek_loop", "random", w_seek_loop),
    ("read_byte", "random", w_read_byte),
    ("small_slices", "random", w_small_slices),
    ("index", "random", w_index),
    ("find_log", "log", w_find_log),
    ("find_random", "random", w_find_random),
    ("count", "log", w_count),
]


def time_once(fn, m, ctx):
    t0 = time.perf_counter()
    result = fn(m, ctx)
    return time.perf_counter() - t0, result


def run(args):
    rnd = random.Random(20240501)
    size = args.size << 20
    tmp = tempfile.mkdtemp(prefix="bench_mmapfile_")
    files = {"random": os.path.join(tmp, "random.bin"),
             "log": os.path.join(tmp, "log.txt")}
    make_random(files["random"], size, rnd)
    make_log(files["log"], size, rnd)

    ctx = {
        "positions": [rnd.randrange(size - 64) for _ in range(args.calls)],
        "byte_range": range(min(args.calls * 4, size)),
        "absent": b"\xfe\xed\xfa\xce\xde\xad\xbe\xef\x00\x17",
    }
    with open(files["random"], "rb") as f:
        assert f.read().find(ctx["absent"]) == -1

    results = []
    try:
        for name, which, fn in WORKLOADS:
            if args.only and name not in args.only:
                continue
            with open(files[which], "rb") as f:
                a = std_mmap.mmap(f.fileno(), 0, access=std_mmap.ACCESS_READ)
                b = mmapfile.mmap(f.fileno(), 0, access=mmapfile.ACCESS_READ)
            # Warm both: page tables, caches, the interpreter's inline caches.
            ra = time_once(fn, a, ctx)[1]
            rb = time_once(fn, b, ctx)[1]
            if ra != rb:
                raise SystemExit("%s: results differ (stdlib %r, mmapfile %r)"
                                 % (name, ra, rb))
            ts_std, ts_mmf = [], []
            for i in range(args.runs):
                order = ((a, ts_std), (b, ts_mmf)) if i % 2 == 0 else \
                        ((b, ts_mmf), (a, ts_std))
                for m, sink in order:
                    sink.append(time_once(fn, m, ctx)[0])
            a.close()
            b.close()
            ratios = [s / m for s, m in zip(ts_std, ts_mmf)]
            results.append({"workload": name,
                            "stdlib_s": statistics.median(ts_std),
                            "mmapfile_s": statistics.median(ts_mmf),
                            "ratio": statistics.median(ratios),
                            "ratio_min": min(ratios), "ratio_max": max(ratios),
                            "runs": args.runs})
    finally:
        for p in files.values():
            os.unlink(p)
        os.rmdir(tmp)
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=16, help="file size in MiB (16)")
    ap.add_argument("--runs", type=int, default=11,
                    help="timed runs per module, median taken (11, min 5)")
    ap.add_argument("--calls", type=int, default=200000,
                    help="calls per run of the call-heavy loops (200000)")
    ap.add_argument("--only", nargs="*", help="run only these workloads")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args(argv)
    args.runs = max(args.runs, 5)
    results = run(args)
    if args.json:
        print(json.dumps({"python": sys.version.split()[0],
                          "size_mib": args.size, "results": results}, indent=2))
        return
    print("%-13s %12s %12s %8s  %s" % ("workload", "stdlib ms", "mmapfile ms",
                                       "ratio", "(min-max)"))
    for r in results:
        print("%-13s %12.2f %12.2f %7.2fx  (%.2f-%.2f)" % (
            r["workload"], r["stdlib_s"] * 1e3, r["mmapfile_s"] * 1e3,
            r["ratio"], r["ratio_min"], r["ratio_max"]))
    print("ratio = stdlib time / mmapfile time, median of %d paired, "
          "alternating runs" % args.runs)


if __name__ == "__main__":
    main()
