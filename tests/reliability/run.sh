#!/bin/sh
# tests/reliability/run.sh BUILD_DIR - the reliability suite (make
# check-reliability).
#
# Builds each tests/reliability/rel_*.c against BUILD_DIR/libmmapfile.a and
# runs it:
#   rel_regressions  reports against Python's mmap, each test named after one
#   rel_truncate     the file shrinks/grows under live maps (another process)
#   rel_pss          8 readers of one 64 MiB file share one copy (PSS)
#   rel_enospc       a full disk under a map: on a 1 MiB tmpfs and on an
#                    8 MiB ext4 image, mounted here (needs root; otherwise
#                    every ENOSPC test is reported SKIPPED, loudly)
# Each test prints "ok", "FAIL" or "SKIP"; the last line is the summary
# "N passed, N failed".  Exit status 1 if anything failed or crashed.
# Against a sanitizer build of the library:
#   CC=clang REL_CFLAGS=-fsanitize=address,undefined \
#   ASAN_OPTIONS=handle_sigbus=0 tests/reliability/run.sh build-asan
set -u

BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
LIB=$BUILD/libmmapfile.a
CC=${CC:-cc}

if [ ! -f "$LIB" ]; then
    echo "reliability: $LIB not found (build first: make)" >&2
    exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mmf-reliability.XXXXXX")
TMPFS_DIR=""
EXT4_DIR=""
EXT4_IMG=""
cleanup() {
    [ -n "$TMPFS_DIR" ] && umount "$TMPFS_DIR" 2>/dev/null
    [ -n "$EXT4_DIR" ] && umount "$EXT4_DIR" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

passed=0
failed=0
skipped=0
start=$(date +%s)

note_failure() {
    echo "FAIL $1"
    failed=$((failed + 1))
}

# run NAME ARGS...: run one program, echo its output, count its lines.
run() {
    name=$1
    shift
    out=$WORK/$name.out
    echo "== $name $*"
    timeout 150 "$WORK/$name" "$@" >"$out" 2>&1
    status=$?
    cat "$out"
    p=$(grep -c '^ok ' "$out")
    f=$(grep -c '^FAIL ' "$out")
    s=$(grep -c '^SKIP ' "$out")
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    if [ "$status" -ne 0 ] && { [ "$f" -eq 0 ] || [ "$status" -ge 124 ]; }; then
        if [ "$status" -eq 124 ]; then
            note_failure "$name: timed out after 150 s"
        elif [ "$status" -gt 128 ]; then
            note_failure "$name: killed by signal $((status - 128))"
        else
            note_failure "$name: exit status $status"
        fi
    fi
}

# Build every helper; a helper that does not compile is a failure.
for src in "$HERE"/rel_*.c; do
    name=$(basename "$src" .c)
    # shellcheck disable=SC2086
    if ! $CC -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O1 -g \
        -Wall -Wextra -Werror ${REL_CFLAGS:-} -I"$ROOT/include" "$src" "$LIB" \
        -lpthread -lrt -o "$WORK/$name"; then
        note_failure "$name: does not compile"
    fi
done

[ -x "$WORK/rel_regressions" ] && run rel_regressions
[ -x "$WORK/rel_truncate" ] && run rel_truncate
[ -x "$WORK/rel_pss" ] && run rel_pss

# ENOSPC: small file systems made for the test.  Never a silent pass: when
# they cannot be made, the program runs with "-" and reports every test as
# SKIPPED with the reason.
if [ -x "$WORK/rel_enospc" ]; then
    if [ "$(id -u)" != 0 ]; then
        why="not root: cannot mount a small file system to fill"
        run rel_enospc - "$why" tmpfs
        run rel_enospc - "$why" ext4
    else
        TMPFS_DIR=$WORK/tmpfs
        mkdir -p "$TMPFS_DIR"
        if err=$(mount -t tmpfs -o size=1m tmpfs "$TMPFS_DIR" 2>&1); then
            run rel_enospc "$TMPFS_DIR" "1 MiB tmpfs" tmpfs
            umount "$TMPFS_DIR"
        else
            run rel_enospc - "mount -t tmpfs -o size=1m failed: $err" tmpfs
        fi
        TMPFS_DIR=""
        EXT4_DIR=$WORK/ext4
        EXT4_IMG=$WORK/ext4.img
        mkdir -p "$EXT4_DIR"
        mkfs=$(command -v mkfs.ext4 || echo /sbin/mkfs.ext4)
        if err=$(dd if=/dev/zero of="$EXT4_IMG" bs=1M count=8 2>&1 &&
            "$mkfs" -q -F -m 0 "$EXT4_IMG" 2>&1 &&
            mount -o loop "$EXT4_IMG" "$EXT4_DIR" 2>&1); then
            run rel_enospc "$EXT4_DIR" "8 MiB ext4" ext4
            umount "$EXT4_DIR"
        else
            run rel_enospc - "could not make and loop-mount an ext4 image: $err" ext4
        fi
        EXT4_DIR=""
    fi
fi

echo
echo "reliability: $(($(date +%s) - start)) s"
if [ "$skipped" -gt 0 ]; then
    echo "!!!!! $skipped test(s) SKIPPED -- their properties are NOT verified here (see SKIP lines above) !!!!!"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
