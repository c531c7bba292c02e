# common.sh - what tests/bigfile/run.sh and tests/i686/run.sh share: the
# pass/fail tally, sparse files with patterns written into them, and the
# reference offsets from grep.  Sourced, not run.  POSIX sh.

PASSED=0
FAILED=0

ok() {
    PASSED=$((PASSED + 1))
    echo "ok   $1"
}

bad() {
    FAILED=$((FAILED + 1))
    echo "FAIL $1"
    shift
    for detail in "$@"; do
        printf '%s\n' "$detail" | sed 's/^/     /'
    done
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
    if [ "$2" = "$3" ]; then
        ok "$1"
    else
        bad "$1" "expected: $2" "actual:   $3"
    fi
}

# expect_in NAME NEEDLE TEXT: TEXT contains NEEDLE.
expect_in() {
    case $3 in
    *"$2"*) ok "$1" ;;
    *) bad "$1" "expected to contain: $2" "actual: $3" ;;
    esac
}

summary() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

# A step that cannot run (a package that will not install, a kernel that
# cannot do it).  Never a silent pass: it fails, unless MMF_ALLOW_SKIP=1
# says that a skip is acceptable here.
cannot_run() {
    echo
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!!! $1: NOT RUN: $2"
    if [ "${MMF_ALLOW_SKIP:-0}" = 1 ]; then
        echo "!!! MMF_ALLOW_SKIP=1: counted as a skip, not a failure"
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo
    else
        echo "!!! this is a failure (MMF_ALLOW_SKIP=1 would accept the skip)"
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo
        bad "$1" "$2"
    fi
}

# make_sparse FILE SIZE: a file of SIZE bytes that takes (almost) no disk.
# Fails when the file system allocated the blocks anyway.
make_sparse() {
    rm -f "$1"
    truncate -s "$2" "$1" || return 1
    used_kib=$(du -k "$1" | cut -f1)
    if [ "$used_kib" -gt 1024 ]; then
        echo "$1: the file system does not make sparse files (${used_kib} KiB used)" >&2
        return 1
    fi
}

# plant FILE OFFSET TEXT: write TEXT at OFFSET without changing the size.
plant() {
    printf '%s' "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# grep_offsets FILE PATTERN: the offsets `grep -boaF` reports, one a line.
# Over gigabytes of zeros grep -boaF FILE sees one line of gigabytes (over
# a minute for 6 GiB, and all of it in memory), and grep -z skips runs of
# NULs and then miscounts its offsets (GNU grep 3.8).  tr turns every NUL
# into a newline, byte for byte, so the offsets are unchanged and the lines
# are short; the patterns contain neither byte.
grep_offsets() {
    tr '\0' '\n' <"$1" | LC_ALL=C grep -boaF -- "$2" | cut -d: -f1
}

# The size in bytes of a sparse test file, for messages: "3.5 GiB".
gib() {
    awk -v b="$1" 'BEGIN { printf "%.1f GiB", b / 1073741824 }'
}

# big_file_checks RUN MMF PROBE FILE PATTERN DUMP_AT OFFSET...
# Write PATTERN at each OFFSET (ascending) of the sparse FILE, then check
# with every command run through RUN (a function or program that runs the
# rest of its arguments: the address-space limit, qemu, or env for
# nothing):
#   - a whole mapping fails with MMF_ENOMEM (PROBE whole; its message shown)
#   - MMF find / find -c report exactly the offsets written
#   - mmf_find, mmf_rfind and mmf_count through the window fallback agree
#     (PROBE walk), and the map did become windowed
#   - MMF dump from DUMP_AT (32 bytes) and of the last 40 bytes is hexdump -C
#   - MMF stat gives the size
#   - grep -boaF (not through RUN) finds the same offsets
big_file_checks() {
    bf_run=$1 bf_mmf=$2 bf_probe=$3 bf_file=$4 bf_pat=$5 bf_dump=$6
    shift 6
    bf_expected=$*
    bf_n=$#
    bf_size=$(wc -c <"$bf_file")
    for bf_off in $bf_expected; do
        plant "$bf_file" "$bf_off" "$bf_pat"
    done
    expect_eq "file still $bf_size bytes" "$bf_size" "$(wc -c <"$bf_file")"
    echo "     patterns at: $bf_expected"

    bf_out=$("$bf_run" "$bf_probe" whole "$bf_file")
    bf_rc=$?
    if [ $bf_rc -eq 0 ]; then
        ok "a whole mapping fails with MMF_ENOMEM"
        echo "     $bf_out"
    else
        bad "a whole mapping fails with MMF_ENOMEM" "exit $bf_rc: $bf_out"
    fi

    bf_t0=$(date +%s)
    bf_out=$("$bf_run" "$bf_mmf" find "$bf_pat" "$bf_file")
    bf_rc=$?
    bf_want=$(for bf_off in $bf_expected; do echo "$bf_file:$bf_off"; done)
    expect_eq "mmf find reports every offset written (exit $bf_rc)" \
        "$bf_want" "$bf_out"
    echo "     ($(($(date +%s) - bf_t0)) s)"
    bf_out=$("$bf_run" "$bf_mmf" find -c "$bf_pat" "$bf_file")
    expect_eq "mmf find -c counts them" "$bf_file:$bf_n" "$bf_out"

    bf_out=$("$bf_run" "$bf_probe" walk "$bf_file" "$bf_pat")
    bf_rc=$?
    expect_eq "probe walk exit status" 0 "$bf_rc"
    expect_eq "the fallback made the map windowed" "windowed 1" \
        "$(echo "$bf_out" | grep '^windowed')"
    echo "     $(echo "$bf_out" | grep '^fallback message')"
    expect_eq "mmf_find forward" "find $bf_expected" \
        "$(echo "$bf_out" | grep '^find')"
    expect_eq "mmf_rfind backward" "rfind $bf_expected" \
        "$(echo "$bf_out" | grep '^rfind')"
    expect_eq "mmf_count" "count $bf_n" "$(echo "$bf_out" | grep '^count')"

    if command -v hexdump >/dev/null 2>&1; then
        bf_out=$("$bf_run" "$bf_mmf" dump "$bf_file" "$bf_dump" 32)
        expect_eq "mmf dump FILE $bf_dump 32 = hexdump -C" \
            "$(hexdump -C -s "$bf_dump" -n 32 "$bf_file")" "$bf_out"
        bf_out=$("$bf_run" "$bf_mmf" dump "$bf_file" $((bf_size - 40)))
        expect_eq "mmf dump FILE $((bf_size - 40)) = hexdump -C" \
            "$(hexdump -C -s $((bf_size - 40)) "$bf_file")" "$bf_out"
    else
        cannot_run "mmf dump vs hexdump" "hexdump (bsdextrautils) is not installed"
    fi
    bf_out=$("$bf_run" "$bf_mmf" stat "$bf_file")
    bf_rc=$?
    expect_in "mmf stat gives the size (exit $bf_rc)" "$bf_size bytes" "$bf_out"

    bf_t0=$(date +%s)
    bf_out=$(grep_offsets "$bf_file" "$bf_pat" | tr '\n' ' ')
    expect_eq "grep -boaF finds the same offsets" "$bf_expected " "$bf_out"
    echo "     ($(($(date +%s) - bf_t0)) s; grep reads the file through tr, see grep_offsets)"
}
