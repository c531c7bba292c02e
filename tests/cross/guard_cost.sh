#!/bin/sh
# tests/cross/guard_cost.sh - what the fault guard costs per byte access,
# in instructions executed, counted by qemu-user (`make cross-guard-cost`;
# the numbers are in docs/platforms.md).
#
# Time under qemu says nothing about a real CPU, but qemu can count
# instructions exactly: with -singlestep every translated block is one
# guest instruction, and -d nochain,exec logs each block as it runs, with
# the symbol it belongs to.  tests/cross/guard_cost.c runs N calls of
# mmf_get_byte (MODE get) or N plain loads through mmf_view's pointer
# (MODE view); each runs at N = 1000 and N = 11000, and the difference
# divided by 10000 is the cost of one iteration, start-up cancelling out.
#
# Three builds of the library (static, -O2):
#   aarch64          the jump-point guard (sigsetjmp), the only one there
#   x86_64           the inline probes with an exception table
#   x86_64-no-probes MMF_NO_PROBES: x86-64 forced onto the jump-point path
# Prints, for each, instructions per iteration of get and of view, the
# difference, and the get iteration split by function.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${MMF_CROSS_BUILD:-$root/build-cross}-guard-cost
"$root/scripts/need-packages.sh" gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
    qemu-user-static || exit 1
mkdir -p "$out" || exit 1

# count QEMU PROGRAM MODE N: instructions executed, by symbol, in $out/MODE.N.
count() {
    "$1" -singlestep -d nochain,exec -D "$out/trace" "$2" "$3" "$4" >/dev/null ||
        return 1
    awk '/^Trace/ { n[$NF]++ } END { for (s in n) print s, n[s] }' \
        "$out/trace" | sort >"$out/$3.$4"
    rm -f "$out/trace"
}

# per_iteration MODE: total instructions per iteration.
per_iteration() {
    awk '{ t += $2 } END { print t }' "$out/$1.1000" >"$out/t0"
    awk -v t0="$(cat "$out/t0")" '{ t += $2 } END { printf "%.1f", (t - t0) / 10000 }' \
        "$out/$1.11000"
}

# one NAME CC QEMU FLAGS...: build the library and the loop, count, print.
one() {
    name=$1 cc=$2 qemu=$3
    shift 3
    dir=$out/$name
    mkdir -p "$dir"
    objs=""
    for src in "$root"/src/*.c; do
        base=$(basename "$src" .c)
        [ "$base" = win32 ] && continue
        $cc -std=c11 -O2 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 "$@" \
            -I"$root/include" -c "$src" -o "$dir/$base.o" || return 1
        objs="$objs $dir/$base.o"
    done
    $cc -std=c11 -O2 -static -I"$root/include" "$here/guard_cost.c" $objs \
        -lpthread -o "$dir/guard_cost" || return 1
    for mode in get view; do
        count "$qemu" "$dir/guard_cost" $mode 1000 || return 1
        count "$qemu" "$dir/guard_cost" $mode 11000 || return 1
    done
    get=$(per_iteration get)
    view=$(per_iteration view)
    echo "$name: mmf_get_byte loop $get instructions an iteration," \
        "view loop $view: the call costs $(awk -v a="$get" -v b="$view" 'BEGIN { print a - b }')"
    join "$out/get.1000" "$out/get.11000" |
        awk '{ d = ($3 - $2) / 10000; if (d >= 0.5) printf "     %-24s %5.1f\n", $1, d }' |
        sort -k2 -nr
}

one aarch64 aarch64-linux-gnu-gcc qemu-aarch64-static
one x86_64 gcc qemu-x86_64-static
one x86_64-no-probes gcc qemu-x86_64-static -DMMF_NO_PROBES
rm -f "$out"/get.* "$out"/view.* "$out/t0"
