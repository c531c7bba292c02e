#!/bin/sh
# run.sh BUILD_DIR [--docs] [bench_io options] - what `make bench` runs.
#
# Runs bench_io (mmapfile against plain file I/O, bench/bench_io.c) with the
# given options, keeps its JSON and its ratio table in BUILD_DIR/bench-results/
# and draws the plot there (bench/plot.gp; gnuplot-nox from Debian).  With
# --docs the plot also replaces docs/perf.png, the one the README shows:
# do that from a quiet machine, and say in docs/performance.md which run it
# is.  Then `mmf bench --json` (the workloads `make demo` shows, JSON in
# BUILD_DIR/bench-results/mmf_bench.json) and every other benchmark program
# of BUILD_DIR/bench with its defaults (bench_readfind is bench_io's
# baseline tool, not a benchmark).
#
# Examples:
#   bench/run.sh build                      default sizes: 1M, 64M, 1G
#   bench/run.sh build --large              and 4G
#   bench/run.sh build --docs --runs 7      refresh docs/perf.png
#   MMF_BENCH_ONLY=io bench/run.sh build    bench_io only
set -eu

if [ $# -lt 1 ]; then
    echo "usage: bench/run.sh BUILD_DIR [--docs] [bench_io options]" >&2
    exit 2
fi
build=$1
shift
docs=0
if [ "${1:-}" = --docs ]; then
    docs=1
    shift
fi
here=$(cd "$(dirname "$0")" && pwd)
bin=$build/bench
out=$build/bench-results
if [ ! -x "$bin/bench_io" ]; then
    echo "bench/run.sh: $bin/bench_io is not built (run make first)" >&2
    exit 1
fi
mkdir -p "$out"
status=0

echo "== bench_io   ($(uname -sr), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
"$bin/bench_io" --json-out "$out/bench_io.json" --dat "$out/bench_io.dat" "$@"
echo "results: $out/bench_io.json"

"$here/../scripts/need-packages.sh" gnuplot-nox || true
if command -v gnuplot >/dev/null 2>&1; then
    sub="$(uname -sr), $(nproc) CPUs, $(date +%Y-%m-%d); bench/run.sh $*"
    gnuplot -e "datafile='$out/bench_io.dat'; outfile='$out/perf.png'; subtitle='$sub'" \
        "$here/plot.gp"
    echo "plot: $out/perf.png"
    if [ $docs = 1 ]; then
        cp "$out/perf.png" "$here/../docs/perf.png"
        echo "plot: copied to docs/perf.png"
    fi
else
    echo "bench/run.sh: gnuplot not found; no plot" >&2
fi

# `mmf bench` (what `make demo` prints): the everyday workloads, each
# against its plain-I/O baseline, as JSON, 7 alternating runs.
if [ -x "$build/cli/mmf" ]; then
    echo
    echo "== mmf bench --runs 7 --json"
    if "$build/cli/mmf" bench --runs 7 --json --file "$out/mmf-bench.$$" \
        >"$out/mmf_bench.json"; then
        python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for w in d["workloads"]:
    r = w["ratio"]
    print("%-18s %-22s %s" % (w["name"], w["baseline"],
                              "skipped" if r is None else "%.2fx" % r))
' "$out/mmf_bench.json" 2>/dev/null || cat "$out/mmf_bench.json"
        echo "results: $out/mmf_bench.json"
    else
        echo "bench/run.sh: mmf bench failed" >&2
        status=1
    fi
fi

[ "${MMF_BENCH_ONLY:-}" = io ] && exit $status
for prog in "$bin"/bench_*; do
    name=$(basename "$prog")
    case $name in
    bench_io | bench_readfind) continue ;;
    esac
    [ -f "$prog" ] && [ -x "$prog" ] || continue
    echo
    echo "== $name"
    "$prog" || { echo "bench/run.sh: $name failed" >&2; status=1; }
done
exit $status
