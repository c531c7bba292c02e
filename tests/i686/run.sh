#!/bin/sh
# tests/i686/run.sh i686|check-i686 - the 32-bit build, run under
# qemu-i386-static (what `make i686` and `make check-i686` run).
#
# i686: build with i686-linux-gnu-gcc -static (Debian gcc-i686-linux-gnu
# and libc6-dev-i386-cross) into build-i686/ (MMF_I686_BUILD to change
# it): the library with the same warnings as the CMake build plus -Werror,
# so that every size_t/uint64_t conversion of a 32-bit build stays
# checked; a static `mmf`; every unit test; the probe of tests/bigfile.
# cmocka has no static i386 library in Debian, so the tests link against
# the header-only cmocka subset of tests/cross/cmocka.h (that of
# tests/windows, plus named exclusions).
#
# check-i686: build, then
#   1. the unit tests under qemu-i386-static, minus the "i686" and "qemu"
#      exclusions of tests/cross/exclusions.txt (each printed with its
#      reason: what qemu-user does differently from the kernel), and all
#      of them natively as i386 when the kernel can run it;
#   2. a 3.5 GiB sparse file, where a whole mapping (3 GiB or more in a
#      4 GiB address space) fails: patterns across a window edge, across
#      2 GiB (where signed 32-bit arithmetic breaks), across and past 3 GiB
#      and at the end are found by `mmf find`, by mmf_find/rfind/count
#      through the window fallback, agree with grep -boaF, and `mmf dump`
#      across 2 GiB is hexdump -C.  Offsets stay below 4 GiB: qemu 7.2 maps
#      the wrong bytes for mmap offsets >= 4 GiB in a 32-bit guest (the
#      64-bit run, tests/bigfile, covers those);
#   3. natively as i386 (when the kernel can): a 5 GiB file, patterns
#      across 2 and 4 GiB and past 4.5 GiB, the same checks: 64-bit file
#      offsets through mmap2, and a length that does not fit in size_t.
# A package that cannot be installed, or a step that cannot run, fails
# loudly unless MMF_ALLOW_SKIP=1.  Prints "N passed, N failed"; exits 1 on
# any failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/bigfile/common.sh"

target=${1:-check-i686}
case $target in
i686 | check-i686) ;;
*)
    echo "usage: tests/i686/run.sh i686|check-i686" >&2
    exit 2
    ;;
esac
out=${MMF_I686_BUILD:-$root/build-i686}
# The cross compiler, not gcc -m32: Debian 12's gcc-12-multilib (which
# -m32 needs) conflicts with every gcc-12-*-linux-gnu cross compiler, so
# installing it would remove the aarch64 and s390x compilers that
# tests/cross uses (and the other way round).  The i386 cross compiler
# coexists with them and builds the same static binaries.
cc=${CC32:-i686-linux-gnu-gcc}
ar=${AR32:-i686-linux-gnu-ar}
qemu="qemu-i386-static"

. "$root/tests/cross/exclusions.sh"

finish() {
    summary
    exit $?
}

# --- packages ------------------------------------------------------------------
pkgs="gcc-i686-linux-gnu libc6-dev-i386-cross"
[ "$target" = check-i686 ] && pkgs="$pkgs qemu-user-static"
if ! "$root/scripts/need-packages.sh" $pkgs; then
    cannot_run "packages" "could not install: $pkgs"
    finish
fi

# --- build -----------------------------------------------------------------------
echo "== $target: 32-bit static build in $out"
mkdir -p "$out/obj" "$out/cli" "$out/tests" "$out/logs" || exit 1
printf 'int main(void) { return 0; }\n' >"$out/obj/hello.c"
if ! $cc -static "$out/obj/hello.c" -o "$out/hello" 2>"$out/obj/hello.log"; then
    cannot_run "$cc -static" "$(head -3 "$out/obj/hello.log")"
    finish
fi

defs="-std=c11 -O2 -g -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I$root/include"
warn="-Wall -Wextra -Wconversion -Wsign-conversion -Wshadow \
-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wvla"
libs="-lpthread -lrt"
build_log=$out/build.log
: >"$build_log"
start=$(date +%s)

# compile WHAT CMD...: run a compiler command, log it, count it.
compile() {
    what=$1
    shift
    echo "$*" >>"$build_log"
    if "$@" >>"$build_log" 2>&1; then
        return 0
    fi
    bad "build $what" "see $build_log:" \
        "$(grep -E 'error|warning' "$build_log" | tail -5)"
    return 1
}

# compile_dynamic_test NAME SRC: a test that dlopen()s the shared library
# as a second copy of the library (MMF_TEST_SHARED_LIB, as
# tests/CMakeLists.txt defines it): a shared build beside the static one,
# and the test linked dynamically against the cross compiler's own i386
# runtime (its loader and libc in /usr/i686-linux-gnu/lib, part of
# libc6-dev-i386-cross), so that it runs natively without libc6-i386.
compile_dynamic_test() {
    sysroot=/usr/i686-linux-gnu/lib
    if [ ! -f "$out/libmmapfile.so" ]; then
        pics=""
        for s in "$root"/src/*.c; do
            b=$(basename "$s" .c)
            [ "$b" = win32 ] && continue
            compile "src/$b.c (-fPIC)" $cc $defs $warn -Werror -fPIC \
                -fvisibility=hidden -DMMF_SHARED_BUILD -c "$s" \
                -o "$out/obj/pic-$b.o" || return 1
            pics="$pics $out/obj/pic-$b.o"
        done
        compile "libmmapfile.so" $cc -shared $pics $libs \
            -o "$out/libmmapfile.so" || return 1
    fi
    compile "tests/$1" $cc $defs $warn -Wno-conversion \
        -Wno-sign-conversion -Wno-missing-prototypes \
        "-DMMF_TEST_SHARED_LIB=\"$out/libmmapfile.so\"" \
        -Wl,--dynamic-linker=$sysroot/ld-linux.so.2 -Wl,-rpath,$sysroot \
        -I"$root/tests/cross" -I"$root/src" -I"$root/tests" \
        "$2" "$root/tests/helpers.c" "$out/libmmapfile.a" $libs -ldl \
        -o "$out/tests/$1"
}

built=1
objs=""
for src in "$root"/src/*.c; do
    name=$(basename "$src" .c)
    [ "$name" = win32 ] && continue
    compile "src/$name.c" $cc $defs $warn -Werror -c "$src" \
        -o "$out/obj/$name.o" || built=0
    objs="$objs $out/obj/$name.o"
done
[ $built = 1 ] && { rm -f "$out/libmmapfile.a" "$out/libmmapfile.so" "$out"/tests/test_*; $ar rcs "$out/libmmapfile.a" $objs; } ||
    built=0
if [ $built = 1 ]; then
    compile "cli/mmf" $cc $defs $warn -Werror -static "$root"/cli/*.c \
        "$out/libmmapfile.a" $libs -o "$out/cli/mmf" || built=0
    compile "tests/bigfile/probe" $cc $defs $warn -static \
        "$root/tests/bigfile/probe.c" "$out/libmmapfile.a" $libs \
        -o "$out/tests/probe" || built=0
    if [ -f "$root/tests/cross/cmocka.h" ]; then
        for src in "$root"/tests/test_*.c; do
            name=$(basename "$src" .c)
            if grep -q MMF_TEST_SHARED_LIB "$src"; then
                compile_dynamic_test "$name" "$src" || built=0
                continue
            fi
            compile "tests/$name" $cc $defs $warn -Wno-conversion \
                -Wno-sign-conversion -Wno-missing-prototypes -static \
                -I"$root/tests/cross" -I"$root/src" -I"$root/tests" \
                "$src" "$root/tests/helpers.c" "$out/libmmapfile.a" $libs \
                -o "$out/tests/$name" || built=0
        done
    else
        bad "build unit tests" "tests/cross/cmocka.h (the cmocka subset) is missing"
        built=0
    fi
fi
# Byte 4 of an ELF file is its class: 1 for 32-bit.
if [ $built = 1 ] && [ "$(od -An -tu1 -j4 -N1 "$out/cli/mmf" | tr -d ' ')" = 1 ]; then
    ok "32-bit static build: library, mmf, $(ls "$out"/tests/test_* | wc -l) unit tests, probe ($(($(date +%s) - start)) s)"
else
    [ $built = 1 ] && bad "build" "$out/cli/mmf is not a 32-bit ELF file"
    finish
fi
[ "$target" = i686 ] && finish

# --- 1. unit tests -------------------------------------------------------------------
if ! command -v $qemu >/dev/null 2>&1; then
    cannot_run "qemu" "$qemu is not installed"
    finish
fi
echo "== unit tests, 32-bit ($($qemu --version | head -1))"

# unit HOW TEST: run one test program (HOW: qemu, with the exclusions, or
# native, without).
unit() {
    log=$out/logs/$2.$1.log
    if [ "$1" = qemu ]; then
        MMF_EXCLUDE=$(cross_exclusions i686 "$2") \
            QEMU_LD_PREFIX=/usr/i686-linux-gnu \
            timeout 300 $qemu "$out/tests/$2" >"$log" 2>&1
    else
        timeout 300 "$out/tests/$2" >"$log" 2>&1
    fi
    rc=$?
    line=$(grep '^\[  PASSED  \]' "$log" | tail -1)
    excluded=$(grep '^\[ EXCLUDED \] [0-9]* test(s)\.$' "$log" | tail -1)
    grep '^\[ EXCLUDED \] [a-z_0-9]*:' "$log" | sed 's/^/     /'
    if [ $rc -eq 0 ]; then
        ok "$2 ($1): $line${excluded:+ $excluded}"
    else
        bad "$2 ($1): exit $rc, $line" \
            "$(grep -E '^\[  (ERROR|FAILED) |^\[   LINE' "$log" | head -8)"
    fi
}

native=0
"$out/hello" 2>/dev/null && native=1
for t in "$out"/tests/test_*; do
    name=$(basename "$t")
    unit qemu "$name"
    [ $native = 1 ] && unit native "$name"
done
[ $native = 1 ] || echo "     (this kernel runs no i386 binaries: qemu only)"

# --- 2. a 3.5 GiB file in a 4 GiB address space, under qemu ----------------------
command -v hexdump >/dev/null 2>&1 ||
    "$root/scripts/need-packages.sh" bsdextrautils >/dev/null 2>&1 || true
window=$((64 << 20))
pat='mmf-i686!'
work=$(mktemp -d "${MMF_BIGFILE_DIR:-$out}/bigfile.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

size=$((3584 << 20))
file=$work/three-and-a-half-gib.bin
echo "== a $(gib $size) sparse file: mmf and the library under $qemu"
if make_sparse "$file" "$size"; then
    big_file_checks "$qemu" "$out/cli/mmf" "$out/tests/probe" "$file" "$pat" \
        $(((2 << 30) - 16)) \
        $((window * 13 - 3)) \
        $(((2 << 30) - 3)) \
        $(((3 << 30) - 3)) \
        $(((3 << 30) + 12345)) \
        $((size - ${#pat}))
    # ^ 3 bytes before the window edge at 832 MiB, across 2 GiB, across 3
    #   GiB, past 3 GiB, the last bytes.
else
    bad "sparse file" "could not make a sparse $(gib $size) file"
fi
rm -f "$file"

# --- 3. past 4 GiB, natively --------------------------------------------------------
# What qemu cannot map (offsets >= 4 GiB), the kernel's own i386 ABI can:
# 64-bit file offsets through mmap2 from a 32-bit process, and a map length
# that does not fit in size_t (the whole mapping is refused before any
# system call).
size=$((5 << 30))
file=$work/five-gib.bin
if [ $native = 1 ]; then
    echo "== a $(gib $size) sparse file: the same, natively as i386"
    if make_sparse "$file" "$size"; then
        big_file_checks env "$out/cli/mmf" "$out/tests/probe" "$file" "$pat" \
            $(((4 << 30) - 16)) \
            $(((2 << 30) - 3)) \
            $(((4 << 30) - 3)) \
            $(((4 << 30) + (1 << 29) + 7)) \
            $((size - ${#pat}))
        # ^ across 2 GiB, across 4 GiB, past 4.5 GiB, the last bytes.
    else
        bad "sparse file" "could not make a sparse $(gib $size) file"
    fi
    rm -f "$file"
else
    cannot_run "offsets past 4 GiB" "this kernel cannot run i386 binaries natively, and qemu 7.2 maps the wrong bytes there"
fi

echo "tests/i686: $(($(date +%s) - start)) s"
finish
