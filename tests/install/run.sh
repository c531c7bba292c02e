#!/bin/sh
# tests/install/run.sh BUILD - install into a temporary prefix and build the
# README's example against it twice: with pkg-config and with CMake's
# find_package(mmapfile).  Then run both on the seed's file.
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # name, command...
    name=$1; shift
    if "$@" >"$tmp/out" 2>&1; then passed=$((passed + 1)); echo "ok   $name"
    else failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/     /' "$tmp/out"; fi
}
check "cmake --install" cmake --install "$build" --prefix "$tmp/prefix"
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig:$tmp/prefix/lib/x86_64-linux-gnu/pkgconfig"
check "pkg-config build" sh -c "cc -o '$tmp/seed-pc' '$root/examples/seed.c' \$(pkg-config --cflags mmapfile) -L'$tmp/prefix/lib' -Wl,-Bstatic -lmmapfile -Wl,-Bdynamic -lpthread -lrt"
mkdir -p "$tmp/proj"
cat >"$tmp/proj/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.20)
project(seed C)
find_package(mmapfile REQUIRED)
add_executable(seed $root/examples/seed.c)
target_link_libraries(seed PRIVATE mmapfile::mmapfile)
CM
check "find_package build" sh -c "cmake -S '$tmp/proj' -B '$tmp/proj/b' -DCMAKE_PREFIX_PATH='$tmp/prefix' && cmake --build '$tmp/proj/b'"
for exe in "$tmp/seed-pc" "$tmp/proj/b/seed"; do
    printf 'mmap is a cool feature!' >"$tmp/write_test.txt"
    check "run $(basename "$(dirname "$exe")")/$(basename "$exe")" sh -c \
        "LD_LIBRARY_PATH='$tmp/prefix/lib' '$exe' '$tmp/write_test.txt' && test \"\$(cat '$tmp/write_test.txt')\" = 'nmap is a cool feature!'"
done
# The log writer of examples/append_log.c: a reserved map that grows in
# place, cut to its last record at exit; a second run appends after it.
check "pkg-config build append_log" sh -c "cc -o '$tmp/append_log' '$root/examples/append_log.c' \$(pkg-config --cflags mmapfile) -L'$tmp/prefix/lib' -Wl,-Bstatic -lmmapfile -Wl,-Bdynamic -lpthread -lrt"
check "run append_log" sh -c "'$tmp/append_log' '$tmp/app.log' one two && printf 'three\nfour\n' | '$tmp/append_log' '$tmp/app.log' && printf 'one\ntwo\nthree\nfour\n' | cmp - '$tmp/app.log'"
echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
