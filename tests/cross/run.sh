#!/usr/bin/env bash
# tests/cross/run.sh [TARGET...] - the library beyond x86-64 glibc (what
# `make check-cross` runs, and `make check` with it).
#
# TARGET is one of
#   aarch64  aarch64-linux-gnu-gcc -static, run under qemu-aarch64-static
#   s390x    s390x-linux-gnu-gcc -static (big-endian), under qemu-s390x-static
#   musl     musl-gcc -static, run natively
# For each: the library (src/*.c but win32.c) with the warnings of the
# CMake build plus -Werror, a static `mmf`, every tests/test_*.c against
# the header-only cmocka of tests/cross/cmocka.h (Debian has no cmocka for
# these targets), and tests/reliability/rel_truncate.c (a file shrunk and
# regrown by another process under every call, threads scanning).  Then it
# runs
#   1. every unit test program (test_fault: real truncation by a forked
#      process; test_badinput: the bad-input matrix; test_search: the
#      kernels against the naive search on random and adversarial data),
#      minus the exclusions of tests/cross/exclusions.txt, each printed
#      with its reason;
#   2. rel_truncate;
#   3. tests/cli/run.sh on the cross-built mmf (find vs grep -boaF, dump vs
#      hexdump -C, patch, stat, errors): BUILD/cli/mmf is a two-line
#      script that runs the real binary under qemu.
# Without TARGET, all three.  docs/platforms.md says what each proves and
# what it costs (about 30 s a target on 2 cores).
#
# Builds go to build-cross-TARGET/ (MMF_CROSS_BUILD=DIR puts them in
# DIR-TARGET).  A target whose compiler or emulator cannot be installed
# fails loudly unless MMF_ALLOW_SKIP=1.  Each target ends with one line
#     aarch64 (qemu): N passed, N failed, N excluded (M s)
# counting test cases (unit tests, rel_truncate checks, CLI checks); the
# last line is the total "N passed, N failed".  Exits 1 on any failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
need=$root/scripts/need-packages.sh
. "$here/exclusions.sh"

[ $# -gt 0 ] || set -- aarch64 s390x musl
for t in "$@"; do
    case $t in
    aarch64 | s390x | musl) ;;
    *)
        echo "usage: tests/cross/run.sh [aarch64|s390x|musl]..." >&2
        exit 2
        ;;
    esac
done

total_passed=0
total_failed=0
summaries=""

# --- tallies of the current target ----------------------------------------------
passed=0 failed=0 excluded=0

bad() {
    failed=$((failed + 1))
    echo "FAIL $1"
    shift
    for detail in "$@"; do
        printf '%s\n' "$detail" | sed 's/^/     /'
    done
}

# A target that cannot be built or run at all: a failure, unless
# MMF_ALLOW_SKIP=1 accepts it (then counted as excluded, loudly).
cannot_run() {
    echo "!!! $1: NOT RUN: $2"
    if [ "${MMF_ALLOW_SKIP:-0}" = 1 ]; then
        echo "!!! MMF_ALLOW_SKIP=1: counted as excluded, not failed"
        excluded=$((excluded + 1))
    else
        bad "$1" "$2 (MMF_ALLOW_SKIP=1 would accept the skip)"
    fi
}

# --- build --------------------------------------------------------------------------
defs="-std=c11 -O2 -g -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I$root/include"
warn="-Wall -Wextra -Wconversion -Wsign-conversion -Wshadow \
-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wvla"
libs="-lpthread -lrt"

# compile WHAT CMD...: run a compiler command into the build log.
compile() {
    what=$1
    shift
    echo "$*" >>"$build_log"
    "$@" >>"$build_log" 2>&1 && return 0
    bad "build $what" "see $build_log:" \
        "$(grep -E 'error|warning' "$build_log" | tail -5)"
    return 1
}

# build: the library, mmf, the unit tests and rel_truncate into $out.
build() {
    mkdir -p "$out/obj/portable" "$out/cli" "$out/tests" "$out/logs" || return 1
    rm -f "$out"/libmmapfile.a "$out"/libmmapfile.so "$out"/cli/* "$out"/tests/*
    build_log=$out/build.log
    : >"$build_log"
    local objs="" src name ok=1
    for src in "$root"/src/*.c; do
        name=$(basename "$src" .c)
        [ "$name" = win32 ] && continue
        compile "src/$name.c" $cc $defs $warn -Werror -c "$src" \
            -o "$out/obj/$name.o" || ok=0
        objs="$objs $out/obj/$name.o"
    done
    [ $ok = 1 ] && $ar rcs "$out/libmmapfile.a" $objs || return 1
    compile "cli/mmf" $cc $defs $warn -Werror -static "$root"/cli/*.c \
        "$out/libmmapfile.a" $libs -o "$out/cli/$mmf_name" || ok=0
    local link extra
    for src in "$root"/tests/test_*.c; do
        name=$(basename "$src" .c)
        # A test that loads the shared library as a second copy next to the
        # static one (MMF_TEST_SHARED_LIB, as tests/CMakeLists.txt defines
        # it) is linked dynamically, beside a shared build of the library.
        link=-static extra=()
        if grep -q MMF_TEST_SHARED_LIB "$src"; then
            shared_lib || ok=0
            link="" extra=("-DMMF_TEST_SHARED_LIB=\"$out/libmmapfile.so\"" -ldl)
        fi
        # The test warnings of tests/CMakeLists.txt; this folder first for
        # its cmocka.h.
        compile "tests/$name" $cc $defs $warn -Werror -Wno-conversion \
            -Wno-sign-conversion -Wno-missing-prototypes $link \
            -I"$here" -I"$root/src" -I"$root/tests" "$src" \
            "$root/tests/helpers.c" "$out/libmmapfile.a" $libs "${extra[@]}" \
            -o "$out/tests/$name" || ok=0
    done
    # On x86-64 the search kernels are SSE2/AVX2; the portable ones (memchr,
    # and for reverse search musl's memrchr-less word loop) run on musl for
    # every other CPU: Alpine on ARM.  Test them here, where musl is native.
    if [ "$target" = musl ]; then
        compile "src/search.c (MMF_SEARCH_PORTABLE)" $cc $defs $warn -Werror \
            -DMMF_SEARCH_PORTABLE -c "$root/src/search.c" \
            -o "$out/obj/portable/search.o" || ok=0
        # shellcheck disable=SC2046 # one word per object
        $ar rcs "$out/libmmapfile-portable.a" \
            $(echo "$objs" | sed "s|$out/obj/search.o|$out/obj/portable/search.o|") ||
            ok=0
        compile "tests/test_search_portable" $cc $defs $warn -Werror \
            -Wno-conversion -Wno-sign-conversion -Wno-missing-prototypes \
            -static -I"$here" -I"$root/src" -I"$root/tests" \
            "$root/tests/test_search.c" "$root/tests/helpers.c" \
            "$out/libmmapfile-portable.a" $libs \
            -o "$out/tests/test_search_portable" || ok=0
    fi
    compile "rel_truncate" $cc $defs -O1 -Wall -Wextra -Werror -static \
        -I"$root/tests/reliability" "$root/tests/reliability/rel_truncate.c" \
        "$out/libmmapfile.a" $libs -o "$out/tests/rel_truncate" || ok=0
    [ $ok = 1 ]
}

# shared_lib: $out/libmmapfile.so (position-independent objects, hidden
# visibility as the CMake build), once.
shared_lib() {
    [ -f "$out/libmmapfile.so" ] && return 0
    local src base pics=""
    mkdir -p "$out/obj/pic"
    for src in "$root"/src/*.c; do
        base=$(basename "$src" .c)
        [ "$base" = win32 ] && continue
        compile "src/$base.c (-fPIC)" $cc $defs $warn -Werror -fPIC \
            -fvisibility=hidden -DMMF_SHARED_BUILD -c "$src" \
            -o "$out/obj/pic/$base.o" || return 1
        pics="$pics $out/obj/pic/$base.o"
    done
    compile "libmmapfile.so" $cc -shared $pics $libs \
        -o "$out/libmmapfile.so"
}

# elf_is FILE CLASS DATA MACHINE: the ELF header says 64-bit (class 2), the
# byte order (data 1 little, 2 big) and the machine (e_machine, in that
# byte order) we built for.  Proves the cross compiler really was used.
elf_is() {
    local got
    got=$(od -An -tu1 -j4 -N2 "$1" | xargs)
    [ "$got" = "$2 $3" ] || return 1
    if [ "$3" = 1 ]; then
        got=$(od -An -tu1 -j18 -N2 "$1" | awk '{ print $1 + 256 * $2 }')
    else
        got=$(od -An -tu1 -j18 -N2 "$1" | awk '{ print 256 * $1 + $2 }')
    fi
    [ "$got" = "$4" ]
}

# --- 1. unit tests --------------------------------------------------------------------
# unit NAME: run one test program with its exclusions; count its cases.
unit() {
    local name=$1 log=$out/logs/$1.log ex rc p f x k
    ex=$(cross_exclusions "$target" "$name")
    MMF_EXCLUDE=$ex timeout 900 $run "$out/tests/$name" >"$log" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\.$/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] .*: \([0-9]*\) test(s), listed below:$/\1/p' "$log" | tail -1)
    x=$(sed -n 's/^\[ EXCLUDED \] \([0-9]*\) test(s)\.$/\1/p' "$log" | tail -1)
    # A test that calls skip() says why in its source; name it too.
    k=$(sed -n 's/^\[  SKIPPED \] .*: \([0-9]*\) test(s), listed below:$/\1/p' "$log" | tail -1)
    p=${p:-0} f=${f:-0} x=$((${x:-0} + ${k:-0}))
    sed -n '/^\[  SKIPPED \] .*listed below:$/,$s/^\[  SKIPPED \] \([a-z_0-9]*\)$/     [  SKIPPED ] \1: skip() in the test (see its source)/p' "$log"
    passed=$((passed + p))
    excluded=$((excluded + x))
    grep '^\[ EXCLUDED \] [a-z_0-9]*:' "$log" | sed 's/^/     /'
    if [ $rc -eq 0 ] && [ "$f" -eq 0 ]; then
        [ "$x" -gt 0 ] && x=", $x excluded" || x=""
        echo "ok   $name: $p passed$x ($(elapsed_since "$t0") s)"
        return
    fi
    failed=$((failed + f))
    # A crash, a timeout or a stale exclusion fails no cmocka test: count
    # the program itself.
    [ "$f" -eq 0 ] && failed=$((failed + 1))
    echo "FAIL $name: exit $rc, $p passed, $f failed (log: $log)"
    grep -E '^\[  (ERROR|FAILED) |^\[   LINE' "$log" | head -12 | sed 's/^/     /'
    [ $rc -ge 124 ] && tail -3 "$log" | sed 's/^/     /'
}

# --- 2. rel_truncate ----------------------------------------------------------------
reliability() {
    local log=$out/logs/rel_truncate.log rc p f s ex
    # "*" in exclusions.txt excludes the whole program on a target.
    ex=$(cross_exclusions "$target" rel_truncate)
    case $ex in
    "* "*)
        echo "     [ EXCLUDED ] rel_truncate: ${ex#\* }"
        excluded=$((excluded + 1))
        return
        ;;
    esac
    timeout 600 $run "$out/tests/rel_truncate" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^FAIL ' "$log")
    s=$(grep -c '^SKIP ' "$log")
    passed=$((passed + p))
    failed=$((failed + f))
    excluded=$((excluded + s))
    grep '^SKIP ' "$log" | sed 's/^/     /'
    if [ $rc -eq 0 ] && [ "$f" -eq 0 ]; then
        echo "ok   rel_truncate: $p passed ($(elapsed_since "$t0") s)"
    else
        [ "$f" -eq 0 ] && failed=$((failed + 1))
        echo "FAIL rel_truncate: exit $rc, $p passed, $f failed (log: $log)"
        grep -E '^FAIL |check failed' "$log" | head -10 | sed 's/^/     /'
    fi
}

# --- 3. the CLI tests ----------------------------------------------------------------
cli() {
    local log=$out/logs/cli.log rc line p f
    "$need" bsdextrautils python3 >/dev/null 2>&1 || true
    if [ -n "$run" ]; then
        # tests/cli/run.sh runs BUILD/cli/mmf: make it the emulator on the
        # real binary.  Same folder, so that `mmf bench` (which puts its
        # file next to the executable: /proc/self/exe, which qemu-user
        # answers with the guest binary) writes where the script looks.
        printf '#!/bin/sh\nexec %s %s "$@"\n' "$(command -v $run)" \
            "$out/cli/$mmf_name" >"$out/cli/mmf"
        chmod +x "$out/cli/mmf"
    fi
    timeout 1200 "$root/tests/cli/run.sh" "$out" >"$log" 2>&1
    rc=$?
    line=$(tail -1 "$log")
    p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    grep '^SKIP' "$log" | sed 's/^/     /'
    if [ $rc -eq 0 ] && [ -n "$p" ]; then
        echo "ok   tests/cli/run.sh: $p passed ($(elapsed_since "$t0") s)"
    else
        [ "${f:-0}" -eq 0 ] && failed=$((failed + 1))
        echo "FAIL tests/cli/run.sh: exit $rc, ${p:-?} passed, ${f:-?} failed (log: $log)"
        grep -A2 '^FAIL' "$log" | head -15 | sed 's/^/     /'
    fi
}

elapsed_since() {
    echo $(($(date +%s) - $1))
}

# --- one target ------------------------------------------------------------------------
one_target() {
    target=$1
    passed=0 failed=0 excluded=0
    local start how pkgs t0
    start=$(date +%s)
    ar="ar"
    mmf_name=mmf
    case $target in
    aarch64)
        cc=aarch64-linux-gnu-gcc ar=aarch64-linux-gnu-ar run=qemu-aarch64-static
        pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static"
        elf="2 1 183" # ELFCLASS64, little-endian, EM_AARCH64
        ;;
    s390x)
        cc=s390x-linux-gnu-gcc ar=s390x-linux-gnu-ar run=qemu-s390x-static
        pkgs="gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user-static"
        elf="2 2 22" # ELFCLASS64, big-endian, EM_S390
        ;;
    musl)
        cc=musl-gcc run=""
        pkgs="musl-tools"
        elf="2 1 62" # ELFCLASS64, little-endian, EM_X86_64
        ;;
    esac
    [ -n "$run" ] && mmf_name=mmf.bin how=qemu || how=native
    # Where qemu finds the dynamic loader and libc of a dynamically linked
    # test program: the cross libc's sysroot.
    case $target in
    aarch64) export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu ;;
    s390x) export QEMU_LD_PREFIX=/usr/s390x-linux-gnu ;;
    esac
    out=${MMF_CROSS_BUILD:-$root/build-cross}-$target
    echo "== $target: static build in $out ($cc; run $how)"

    if ! "$need" $pkgs; then
        cannot_run "$target" "could not install: $pkgs"
    elif t0=$(date +%s) && ! build; then
        echo "     (build failed: nothing run for $target)"
    elif ! elf_is "$out/cli/$mmf_name" $elf; then
        bad "$target build" "$out/cli/$mmf_name is not an ELF file of class, data, machine $elf"
    elif [ -n "$run" ] && ! $run "$out/cli/$mmf_name" --version >/dev/null 2>&1; then
        cannot_run "$target" "$run cannot run $out/cli/$mmf_name"
    else
        echo "ok   built: library, mmf, $(ls "$out"/tests/test_* | wc -l) unit tests, rel_truncate ($(elapsed_since "$t0") s)"
        [ -n "$run" ] && echo "     $($run --version | head -1)"
        for t in "$out"/tests/test_*; do
            t0=$(date +%s)
            unit "$(basename "$t")"
        done
        t0=$(date +%s)
        reliability
        t0=$(date +%s)
        cli
    fi
    line="$target ($how): $passed passed, $failed failed, $excluded excluded ($(elapsed_since "$start") s)"
    echo "$line"
    summaries="$summaries$line"$'\n'
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
}

for t in "$@"; do
    one_target "$t"
    echo
done
printf '%s' "$summaries"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
