#!/bin/sh
# fuzz/run.sh short|long [SECONDS] - the differential fuzzer (fuzz_ops.c).
#
#   short  (make check-fuzz) replay every input in fuzz/crashes/, then fuzz
#          for 60 s from a copy of fuzz/corpus/; prints the executions run.
#   long   (make fuzz) the same for FUZZ_SECONDS (default 1800 s), then
#          merges what it learned back into fuzz/corpus/ (minimized).
#
# Built with clang -fsanitize=fuzzer,address,undefined from the library's
# sources into build-fuzz/ (FUZZ_BUILD to change).  A crash or a difference
# from the model writes the input to fuzz/crashes/ (kept: every later short
# run replays it) and fails the run.  Without clang/libFuzzer the run
# installs them (scripts/need-packages.sh) or fails: never a silent pass.
set -u

MODE=${1:-short}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${FUZZ_BUILD:-$ROOT/build-fuzz}
case $MODE in
short) SECS=${2:-60} ;;
long) SECS=${2:-${FUZZ_SECONDS:-1800}} ;;
*)
    echo "usage: fuzz/run.sh short|long [SECONDS]" >&2
    exit 2
    ;;
esac

CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
    "$ROOT/scripts/need-packages.sh" clang libclang-rt-14-dev || exit 1
fi
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "fuzz: FAILED: $CC not found after installing clang" >&2
    exit 1
fi

mkdir -p "$OUT" "$HERE/crashes" "$HERE/corpus"
SRCS=""
for f in "$ROOT"/src/*.c; do
    case $f in */win32.c) ;; *) SRCS="$SRCS $f" ;; esac
done
build() {
    # shellcheck disable=SC2086
    "$CC" -g -O1 -fno-omit-frame-pointer \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Wall -Wextra \
        -I"$ROOT/include" -I"$ROOT/src" $SRCS "$HERE/fuzz_ops.c" \
        -lpthread -lrt -o "$OUT/fuzz_ops" 2>"$OUT/build.log"
}
if ! build; then
    # libFuzzer's runtime lives in libclang-rt; install it and try again
    "$ROOT/scripts/need-packages.sh" clang libclang-rt-14-dev || exit 1
    if ! build; then
        cat "$OUT/build.log" >&2
        echo "fuzz: FAILED: cannot build the fuzzer with -fsanitize=fuzzer" >&2
        exit 1
    fi
fi

# the temp files of the inputs: in memory when possible, removed at the end
FUZZ_TMPDIR=$(mktemp -d /dev/shm/mmf-fuzz.XXXXXX 2>/dev/null ||
    mktemp -d "${TMPDIR:-/tmp}/mmf-fuzz.XXXXXX")
export FUZZ_TMPDIR
trap 'rm -rf "$FUZZ_TMPDIR"' EXIT INT TERM

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# 1. Every input that ever failed must pass now.
kept=0
for f in "$HERE"/crashes/*; do
    [ -f "$f" ] || continue
    kept=$((kept + 1))
done
if [ "$kept" -gt 0 ]; then
    if ! "$OUT/fuzz_ops" "$HERE"/crashes/* >"$OUT/replay.log" 2>&1; then
        grep -E "fuzz_ops: op|setup:|ERROR|Running:" "$OUT/replay.log" | tail -20
        echo "fuzz: FAILED: a kept input in fuzz/crashes/ fails again (log: $OUT/replay.log)"
        exit 1
    fi
fi
echo "fuzz: $kept kept crash input(s) from fuzz/crashes/ replayed, all pass"

# 2. Fuzz from a copy of the corpus; new crashes go to fuzz/crashes/.
WORKC=$OUT/corpus
mkdir -p "$WORKC"
cp "$HERE"/corpus/* "$WORKC"/ 2>/dev/null
before=$(ls "$HERE/crashes" | wc -l)
echo "fuzz: $MODE run, $SECS s ..."
"$OUT/fuzz_ops" -max_total_time="$SECS" -print_final_stats=1 \
    -artifact_prefix="$HERE/crashes/" -handle_xfsz=0 -timeout=30 \
    -rss_limit_mb=4096 -max_len=4096 "$WORKC" >"$OUT/fuzz.log" 2>&1
status=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/fuzz.log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$OUT/fuzz.log" | tail -1)
after=$(ls "$HERE/crashes" | wc -l)
if [ "$status" -ne 0 ] || [ "$after" -ne "$before" ]; then
    grep -E "fuzz_ops: op|setup:|ERROR|SUMMARY|Test unit written" "$OUT/fuzz.log" | tail -20
    echo "fuzz: FAILED: a new crash or difference from the model; its input is kept in fuzz/crashes/ (log: $OUT/fuzz.log)"
    exit 1
fi
if [ -z "$execs" ]; then
    tail -20 "$OUT/fuzz.log"
    echo "fuzz: FAILED: the fuzzer did not report its executions (log: $OUT/fuzz.log)"
    exit 1
fi

# 3. long runs keep what they learned (minimized) for later runs
if [ "$MODE" = long ]; then
    # a minimal set with the coverage of both, replacing fuzz/corpus
    rm -rf "$OUT/merged"
    mkdir -p "$OUT/merged"
    if "$OUT/fuzz_ops" -merge=1 -handle_xfsz=0 "$OUT/merged" "$HERE/corpus" \
        "$WORKC" >"$OUT/merge.log" 2>&1; then
        rm -f "$HERE"/corpus/*
        cp "$OUT"/merged/* "$HERE/corpus/"
    else
        echo "fuzz: corpus merge failed (see $OUT/merge.log)"
    fi
    echo "fuzz: fuzz/corpus now holds $(ls "$HERE/corpus" | wc -l) inputs"
fi
echo "fuzz: $execs executions in $SECS s ($rate/s), no crash, no difference from the model"
