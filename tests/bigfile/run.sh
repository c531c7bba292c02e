#!/usr/bin/env bash
# tests/bigfile/run.sh BUILD_DIR - a file larger than the address space, on
# the 64-bit build (what `make check-bigfile` runs).
#
# A 6 GiB sparse file (no disk used) gets one pattern written at each place
# where windowed code goes wrong: across a window edge (default window 64
# MiB), across 2 GiB and 4 GiB (where 32-bit arithmetic wraps), past 5 GiB,
# and in the last bytes of the file.  Then, with the address space limited
# to 2 GiB (`ulimit -v` in a subshell):
#   - a whole mapping fails, with MMF_ENOMEM and a message that says why
#     (tests/bigfile/probe.c opens without MMF_WINDOW_FALLBACK);
#   - `mmf find` and `mmf find -c` report exactly the offsets written, and
#     grep -boaF (outside the limit) agrees;
#   - mmf_find, mmf_rfind and mmf_count through the automatic fallback agree
#     with them (probe walk);
#   - `mmf dump` across 4 GiB and at the end is byte for byte hexdump -C;
#   - `mmf stat` gives the size.
# The file lives in BUILD_DIR (MMF_BIGFILE_DIR to change it; not tmpfs,
# where reading 6 GiB of holes would take 6 GiB of RAM) and is removed on
# any exit.  Prints "N passed, N failed"; exits 1 on any failure.
set -u
# bash for `ulimit -v` (not in POSIX sh); the rest is plain sh.

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/common.sh"

if [ $# -lt 1 ] || ! build=$(cd "$1" 2>/dev/null && pwd); then
    echo "usage: tests/bigfile/run.sh BUILD_DIR" >&2
    bad "build directory" "${1:-(none given)} does not exist"
    summary
    exit 1
fi
mmf=$build/cli/mmf
lib=$build/libmmapfile.a
limit_kib=2097152 # 2 GiB of address space
size=$((6 << 30))
window=$((64 << 20))
pat='mmf-bigfile!'

echo "== tests/bigfile: a $(gib $size) file under ulimit -v $limit_kib (2 GiB)"
for f in "$mmf" "$lib"; do
    if [ ! -f "$f" ]; then
        bad "build" "$f is missing (run make first)"
        summary
        exit 1
    fi
done
command -v hexdump >/dev/null 2>&1 ||
    "$root/scripts/need-packages.sh" bsdextrautils >/dev/null 2>&1 || true

dir=${MMF_BIGFILE_DIR:-$build}
work=$(mktemp -d "$dir/bigfile.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
file=$work/six-gib.bin

# Run a command with the address space limited; the limit stays in the
# subshell.
limited() {
    (ulimit -v "$limit_kib" && exec "$@")
}

start=$(date +%s)
if ${CC:-cc} -std=c11 -O2 -I"$root/include" "$here/probe.c" "$lib" \
    -lpthread -lrt -o "$work/probe"; then
    ok "probe built"
else
    bad "probe built" "${CC:-cc} failed on tests/bigfile/probe.c"
    summary
    exit 1
fi

if ! make_sparse "$file" "$size"; then
    bad "sparse file" "could not make a sparse $(gib $size) file in $dir"
    summary
    exit 1
fi
got=$(limited sh -c 'ulimit -v')
expect_eq "ulimit -v applies in the subshell" "$limit_kib" "$got"

big_file_checks limited "$mmf" "$work/probe" "$file" "$pat" $(((4 << 30) - 16)) \
    $((window * 7 - 3)) \
    $(((2 << 30) - 3)) \
    $(((4 << 30) - 3)) \
    $(((5 << 30) + 12345)) \
    $((size - ${#pat}))
# ^ 3 bytes before the window edge at 448 MiB, across 2 GiB (signed 32-bit
#   offsets), across 4 GiB (unsigned 32-bit), past 5 GiB, the last bytes.

echo "tests/bigfile: $(($(date +%s) - start)) s"
summary
