#!/bin/sh
# tests/musl_dlopen.sh - the library as a dlopen()ed shared object on musl
# (make check-musl-dlopen).
#
# musl refuses, at dlopen(), an object whose initial-exec TLS resolves to
# a dynamic definition (its own, once it is loaded after startup): "Error
# relocating ...: initial-exec TLS resolves to dynamic definition".  A
# Python extension module is exactly such an object.  This builds
# libmmapfile.so with musl-gcc, checks that it has no initial-exec TLS
# relocation (R_X86_64_TPOFF*), and runs a musl program that dlopen()s it
# and recovers from real truncation faults: in the thread that opened the
# map and in a thread that never called the library before, whose dynamic
# TLS block musl allocated at dlopen (glibc would allocate it lazily, which
# is why the SIGBUS handler reaches the guard through a pthread key, not
# through the thread-local variable: see src/posix.c).
#
# No Python is built for musl on this machine, so the module itself is not
# loaded on musl; the object built here is what the module links in.
# Prints "N passed, N failed"; exit 1 on failure.  Needs musl-tools.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
CC=${MUSL_CC:-musl-gcc}

if ! command -v "$CC" >/dev/null 2>&1; then
    "$root/scripts/need-packages.sh" musl-tools >/dev/null 2>&1 || true
fi
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "musl-dlopen: FAILED: $CC not found (apt-get install musl-tools)"
    echo "0 passed, 1 failed"
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mmf-musl.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
passed=0
failed=0
ok() {
    echo "ok   $1"
    passed=$((passed + 1))
}
bad() {
    echo "FAIL $1"
    failed=$((failed + 1))
}

flags="-std=c11 -O2 -fPIC -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
-I$root/include -I$root/src -Wall -Wextra -Werror"
# Every source of the library but the Windows backend (as CMake's list).
srcs=$(cd "$root/src" && ls ./*.c | sed 's|^\./||' | grep -v '^win32\.c$')

# build_so DIALECT: libmmapfile-DIALECT.so, with -ftls-model=initial-exec
# as python/setup.py passes it (the library's own attribute must win), and
# the classic (gnu) or descriptor (gnu2, what CMake uses) TLS dialect.
build_so() {
    dialect=$1
    objs=""
    for f in $srcs; do
        if ! $CC $flags -ftls-model=initial-exec -mtls-dialect=$dialect \
            -fvisibility=hidden -c "$root/src/$f" \
            -o "$work/${f%.c}-$dialect.o" 2>"$work/cc.log"; then
            cat "$work/cc.log"
            bad "build $f with $CC -mtls-dialect=$dialect"
            return 1
        fi
        objs="$objs $work/${f%.c}-$dialect.o"
    done
    so=$work/libmmapfile-$dialect.so
    if ! $CC -shared -o "$so" $objs 2>"$work/ld.log"; then
        cat "$work/ld.log"
        bad "link libmmapfile.so with $CC -mtls-dialect=$dialect"
        return 1
    fi
    if readelf -rW "$so" | grep -q 'TPOFF'; then
        bad "libmmapfile-$dialect.so has initial-exec TLS relocations:"
        readelf -rW "$so" | grep TPOFF
        return 1
    fi
    ok "libmmapfile-$dialect.so built with $CC: no initial-exec TLS relocation"
}

cat >"$work/host.c" <<'EOF'
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmapfile.h"

typedef int (*new_fn)(mmf_map **);
typedef int (*open_fn)(mmf_map *, const char *, const mmf_options *);
typedef int (*get_fn)(mmf_map *, uint64_t, uint8_t *);
typedef int (*copy_fn)(mmf_map *, uint64_t, void *, size_t);
typedef int (*find_fn)(mmf_map *, const void *, size_t, uint64_t, uint64_t,
                       uint64_t *);
static get_fn get_byte;
static copy_fn copy_out;
static find_fn find;
static mmf_map *m;

static int faults(void)
{
    uint8_t b;
    static char buf[3 * 4096];
    uint64_t pos;
    return get_byte(m, 15 * 4096, &b) == MMF_EFAULT &&
           copy_out(m, 4096, buf, sizeof buf) == MMF_EFAULT &&
           find(m, "zz", 2, 0, MMF_END, &pos) == MMF_EFAULT &&
           get_byte(m, 5, &b) == 0 && b == 'q';
}

static void *other_thread(void *arg)
{
    (void)arg;
    return (void *)(long)faults();
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        printf("dlopen: %s\n", dlerror());
        return 3;
    }
    new_fn new_ = (new_fn)dlsym(h, "mmf_new");
    open_fn open_path = (open_fn)dlsym(h, "mmf_open_path");
    get_byte = (get_fn)dlsym(h, "mmf_get_byte");
    copy_out = (copy_fn)dlsym(h, "mmf_copy_out");
    find = (find_fn)dlsym(h, "mmf_find");
    if (!new_ || !open_path || !get_byte || !copy_out || !find)
        return 4;
    FILE *f = fopen(argv[2], "wb");
    for (int i = 0; i < 16 * 4096; i++)
        fputc('q', f);
    fclose(f);
    mmf_options o = MMF_OPTIONS_INIT;
    if (new_(&m) != 0 || open_path(m, argv[2], &o) != 0)
        return 5;
    pid_t pid = fork(); /* another process truncates the file */
    if (pid == 0)
        _exit(truncate(argv[2], 4096) == 0 ? 0 : 1);
    int st;
    waitpid(pid, &st, 0);
    if (!faults())
        return 6;
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, &r);
    if (!r)
        return 7;
    printf("recovered in both threads\n");
    return 0;
}
EOF
if ! $CC -std=c11 -O2 -D_GNU_SOURCE -I"$root/include" -o "$work/host" \
    "$work/host.c" -ldl -lpthread 2>"$work/host.log"; then
    cat "$work/host.log"
    bad "build the musl host program"
fi
for dialect in gnu gnu2; do
    build_so $dialect || continue
    (cd "$work" && timeout 30 ./host "$work/libmmapfile-$dialect.so" "$work/data" \
        >"$work/out" 2>&1)
    rc=$?
    if [ $rc -eq 0 ]; then
        ok "musl program dlopen()s libmmapfile-$dialect.so, recovers from truncation faults in two threads"
    else
        bad "musl dlopen of libmmapfile-$dialect.so: status $rc: $(cat "$work/out")"
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
