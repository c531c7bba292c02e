/* bench_guard.c - what the fault guard costs on the smallest accesses.
 *
 * The same data, in the same process, read and written four ways:
 *
 *   lib        the public call (mmf_get_byte, mmf_set_byte, mmf_read of 16
 *              bytes, mmf_read_byte, mmf_copy_out of 16 bytes): range check
 *              plus the fault guard
 *   unguarded  the same call path rebuilt here without the guard: the
 *              library's own checks and window lookup (internal.h), then a
 *              plain load/store/memcpy; so lib/unguarded is the guard alone
 *   raw        the same operation on the pointer from mmf_pointer(), with
 *              the bounds check a careful caller writes, inline in the loop
 *   jmp-guard  (byte get only) the jump-point guard (sigsetjmp) that the
 *              library uses for copies, on one byte: what the probes save
 *
 * A 4 KiB read shows the guard's cost once it is spread over a page.
 * `--only K --variant V` runs one loop and prints nothing, for
 * `perf stat -e instructions,cycles` (K: row of the table from 0; V: 0 lib,
 * 1 unguarded, 2 raw, 3 jmp-guard).
 *
 * Runs alternate (lib, unguarded, raw, then reversed) and each figure is
 * the median of --runs runs (default 7).  The loops are kept from being
 * vectorised so that every variant does one access per iteration.
 *
 * usage: bench_guard [--size BYTES] [--iters N] [--runs N] [--json]
 *                    [--only K --variant V]
 */
#include "internal.h"
#include "bench_time.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BARRIER(x) __asm__ volatile("" : "+r"(x))

static volatile uint64_t sink;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct ctx {
    mmf_map *m;
    uint8_t *p; /* mmf_pointer */
    uint64_t len;
    uint64_t mask; /* len is a power of two */
    uint64_t iters;
} ctx;

/* --- the unguarded replicas of the library's paths --------------------------
 */

__attribute__((noinline)) static int ug_get_byte(mmf_map *m, uint64_t off,
                                                 uint8_t *out)
{
    char *p = mmf__in_window(m, off, 1);
    if (MMF__LIKELY(p != NULL)) {
        *out = *(const volatile uint8_t *)p;
        return 0;
    }
    return mmf_get_byte(m, off, out);
}

__attribute__((noinline)) static int ug_set_byte(mmf_map *m, uint64_t off,
                                                 uint8_t v)
{
    int rc = mmf__check_open(m);
    if (rc == 0)
        rc = mmf__check_writable(m, "set_byte");
    if (rc != 0)
        return rc;
    char *p = mmf__in_window(m, off, 1);
    if (MMF__LIKELY(p != NULL)) {
        *(volatile uint8_t *)p = v;
        return 0;
    }
    return mmf_set_byte(m, off, v);
}

__attribute__((noinline)) static int ug_read(mmf_map *m, void *buf, size_t n,
                                             size_t *nread)
{
    if (nread != NULL)
        *nread = 0;
    int rc = mmf__check_open(m);
    if (rc != 0)
        return rc;
    if (buf == NULL && n > 0)
        return MMF_EINVAL;
    uint64_t left = m->length - m->pos;
    if ((uint64_t)n > left)
        n = (size_t)left;
    char *p = mmf__in_window(m, m->pos, n);
    if (MMF__LIKELY(p != NULL && n > 0))
        memcpy(buf, p, n);
    else if (n > 0)
        return mmf_copy_out(m, m->pos, buf, n);
    m->pos += n;
    if (nread != NULL)
        *nread = n;
    return 0;
}

__attribute__((noinline)) static int ug_read_byte(mmf_map *m, uint8_t *out)
{
    char *p = mmf__in_window(m, m->pos, 1);
    if (MMF__LIKELY(p != NULL)) {
        *out = *(const volatile uint8_t *)p;
        m->pos++;
        return 0;
    }
    return mmf_read_byte(m, out);
}

__attribute__((noinline)) static int ug_copy_out(mmf_map *m, uint64_t off,
                                                 void *dst, size_t n)
{
    int rc = mmf__check_open(m);
    if (rc == 0)
        rc = mmf__check_range(m, "copy_out", off, n, m->length);
    if (rc != 0)
        return rc;
    char *p = mmf__in_window(m, off, n);
    if (MMF__LIKELY(p != NULL)) {
        memcpy(dst, p, n);
        return 0;
    }
    return mmf_copy_out(m, off, dst, n);
}

/* --- one timed loop per (operation, variant) ------------------------------ */

enum { LIB, UNGUARDED, RAW, JMPGUARD, VARIANTS };
static const char *variant_names[VARIANTS] = {"lib", "unguarded", "raw",
                                              "jmp_guard"};

typedef double (*loop_fn)(ctx *c, int variant);

static double loop_get_byte(ctx *c, int v)
{
    uint64_t acc = 0, mask = c->mask;
    double t0 = now_ns();
    for (uint64_t i = 0; i < c->iters; i++) {
        uint64_t off = (i * 64 + (i >> 6)) & mask; /* a new line each time */
        uint8_t b = 0;
        if (v == LIB) {
            if (mmf_get_byte(c->m, off, &b) != 0)
                abort();
        } else if (v == UNGUARDED) {
            if (ug_get_byte(c->m, off, &b) != 0)
                abort();
        } else if (v == RAW) {
            if (off >= c->len)
                abort();
            b = c->p[off];
        } else {
            if (mmf__guarded_copy(c->m, &b, c->p + off, 1, off) != 0)
                abort();
        }
        BARRIER(b);
        acc += b;
    }
    double t = now_ns() - t0;
    sink += acc;
    return t / (double)c->iters;
}

static double loop_set_byte(ctx *c, int v)
{
    uint64_t mask = c->mask;
    double t0 = now_ns();
    for (uint64_t i = 0; i < c->iters; i++) {
        uint64_t off = (i * 64 + (i >> 6)) & mask;
        uint8_t val = (uint8_t)i;
        BARRIER(val);
        if (v == LIB) {
            if (mmf_set_byte(c->m, off, val) != 0)
                abort();
        } else if (v == UNGUARDED) {
            if (ug_set_byte(c->m, off, val) != 0)
                abort();
        } else {
            if (off >= c->len)
                abort();
            c->p[off] = val;
        }
    }
    return (now_ns() - t0) / (double)c->iters;
}

static double loop_read16(ctx *c, int v)
{
    uint8_t buf[16];
    uint64_t acc = 0, pos = 0;
    size_t n;
    mmf_seek(c->m, 0, MMF_SEEK_SET, NULL);
    double t0 = now_ns();
    for (uint64_t i = 0; i < c->iters; i++) {
        if (v == LIB) {
            if (mmf_read(c->m, buf, 16, &n) != 0)
                abort();
            if (n < 16)
                mmf_seek(c->m, 0, MMF_SEEK_SET, NULL);
        } else if (v == UNGUARDED) {
            if (ug_read(c->m, buf, 16, &n) != 0)
                abort();
            if (n < 16)
                mmf_seek(c->m, 0, MMF_SEEK_SET, NULL);
        } else {
            n = c->len - pos < 16 ? (size_t)(c->len - pos) : 16;
            memcpy(buf, c->p + pos, n);
            pos += n;
            if (n < 16)
                pos = 0;
        }
        uint64_t x;
        memcpy(&x, buf, 8);
        BARRIER(x);
        acc += x;
    }
    double t = now_ns() - t0;
    sink += acc;
    return t / (double)c->iters;
}

static double loop_read4k(ctx *c, int v)
{
    static uint8_t buf[4096];
    uint64_t acc = 0, pos = 0;
    size_t n;
    mmf_seek(c->m, 0, MMF_SEEK_SET, NULL);
    double t0 = now_ns();
    for (uint64_t i = 0; i < c->iters; i++) {
        if (v == LIB) {
            if (mmf_read(c->m, buf, sizeof buf, &n) != 0)
                abort();
            if (n < sizeof buf)
                mmf_seek(c->m, 0, MMF_SEEK_SET, NULL);
        } else if (v == UNGUARDED) {
            if (ug_read(c->m, buf, sizeof buf, &n) != 0)
                abort();
            if (n < sizeof buf)
                mmf_seek(c->m, 0, MMF_SEEK_SET, NULL);
        } else {
            n = c->len - pos < sizeof buf ? (size_t)(c->len - pos) : sizeof buf;
            memcpy(buf, c->p + pos, n);
            pos += n;
            if (n < sizeof buf)
                pos = 0;
        }
        uint64_t x;
        memcpy(&x, buf + 8 * (i & 7), 8);
        BARRIER(x);
        acc += x;
    }
    double t = now_ns() - t0;
    sink += acc;
    return t / (double)c->iters;
}

static double loop_read_byte(ctx *c, int v)
{
    uint64_t acc = 0, pos = 0;
    mmf_seek(c->m, 0, MMF_SEEK_SET, NULL);
    double t0 = now_ns();
    for (uint64_t i = 0; i < c->iters; i++) {
        uint8_t b = 0;
        if (v == LIB) {
            int rc = mmf_read_byte(c->m, &b);
            if (rc == MMF_EEOF)
                mmf_seek(c->m, 0, MMF_SEEK_SET, NULL);
            else if (rc != 0)
                abort();
        } else if (v == UNGUARDED) {
            int rc = ug_read_byte(c->m, &b);
            if (rc == MMF_EEOF)
                mmf_seek(c->m, 0, MMF_SEEK_SET, NULL);
            else if (rc != 0)
                abort();
        } else {
            if (pos < c->len)
                b = c->p[pos++];
            else
                pos = 0;
        }
        BARRIER(b);
        acc += b;
    }
    double t = now_ns() - t0;
    sink += acc;
    return t / (double)c->iters;
}

static double loop_copy_out16(ctx *c, int v)
{
    uint8_t buf[16];
    uint64_t acc = 0, mask = c->mask & ~(uint64_t)15;
    double t0 = now_ns();
    for (uint64_t i = 0; i < c->iters; i++) {
        uint64_t off = (i * 16) & mask;
        if (v == LIB) {
            if (mmf_copy_out(c->m, off, buf, 16) != 0)
                abort();
        } else if (v == UNGUARDED) {
            if (ug_copy_out(c->m, off, buf, 16) != 0)
                abort();
        } else {
            if (off + 16 > c->len)
                abort();
            memcpy(buf, c->p + off, 16);
        }
        uint64_t x;
        memcpy(&x, buf, 8);
        BARRIER(x);
        acc += x;
    }
    double t = now_ns() - t0;
    sink += acc;
    return t / (double)c->iters;
}

typedef struct op {
    const char *name;
    loop_fn fn;
    int variants; /* how many of LIB, UNGUARDED, RAW, JMPGUARD */
    double med[VARIANTS];
} op;

int main(int argc, char **argv)
{
    uint64_t size = 1 << 20, iters = 20000000;
    int runs = 7, json = 0, only = -1, only_variant = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
            size = strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
            iters = strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = atoi(argv[++i]);
        else if (strcmp(argv[i], "--variant") == 0 && i + 1 < argc)
            only_variant = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_guard [--size BYTES] [--iters N] "
                            "[--runs N] [--json] [--only K --variant V]\n");
            return 2;
        }
    }
    if (runs < 5)
        runs = 5; /* medians of at least five */
    if (runs > 99)
        runs = 99;
    if (size < 4096 || (size & (size - 1)) != 0) {
        fprintf(stderr, "bench_guard: --size must be a power of two >= 4096\n");
        return 2;
    }
    char path[] = "/tmp/mmf-bench-guard-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        perror("bench_guard: temp file");
        return 1;
    }
    ctx c = {0};
    c.len = size;
    c.mask = size - 1;
    c.iters = iters;
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    if (mmf_new(&c.m) != 0 || mmf_open_fd(c.m, fd, &o) != 0 ||
        mmf_pointer(c.m, (void **)&c.p, NULL) != 0) {
        fprintf(stderr, "bench_guard: %s\n", mmf_errmsg(c.m));
        return 1;
    }
    for (uint64_t i = 0; i < size; i++) /* resident, and not all zeros */
        c.p[i] = (uint8_t)(i * 131 + 7);

    op ops[] = {
        {"get_byte", loop_get_byte, 4, {0}},
        {"set_byte", loop_set_byte, 3, {0}},
        {"read (16 bytes)", loop_read16, 3, {0}},
        {"read_byte", loop_read_byte, 3, {0}},
        {"copy_out (16 bytes)", loop_copy_out16, 3, {0}},
        {"read (4 KiB)", loop_read4k, 3, {0}},
    };
    const int nops = (int)(sizeof ops / sizeof ops[0]);
    if (only >= 0) {
        if (only >= nops || only_variant < 0 ||
            only_variant >= ops[only].variants) {
            fprintf(stderr, "bench_guard: no such row/variant\n");
            return 2;
        }
        ops[only].fn(&c, only_variant);
        mmf_free(c.m);
        close(fd);
        unlink(path);
        return 0;
    }
    for (int k = 0; k < nops; k++) {
        double samples[VARIANTS][99];
        for (int v = 0; v < ops[k].variants; v++)
            ops[k].fn(&c, v); /* warm up */
        for (int r = 0; r < runs; r++)
            for (int j = 0; j < ops[k].variants; j++) {
                int v = r % 2 ? ops[k].variants - 1 - j : j; /* alternate */
                samples[v][r] = ops[k].fn(&c, v);
            }
        for (int v = 0; v < ops[k].variants; v++)
            ops[k].med[v] = bench_median(samples[v], (size_t)runs);
    }

    if (json) {
        printf("{\"bench\": \"guard\", \"size\": %llu, \"iters\": %llu, "
               "\"runs\": %d, \"probes\": %s, \"ops\": [",
               (unsigned long long)size, (unsigned long long)iters, runs,
#ifdef MMF__HAVE_PROBES
               "true"
#else
               "false"
#endif
        );
        for (int k = 0; k < nops; k++) {
            printf("%s\n  {\"op\": \"%s\"", k ? "," : "", ops[k].name);
            for (int v = 0; v < ops[k].variants; v++)
                printf(", \"%s_ns\": %.3f", variant_names[v], ops[k].med[v]);
            printf(", \"lib_over_raw\": %.3f, \"guard_overhead_pct\": %.1f}",
                   ops[k].med[LIB] / ops[k].med[RAW],
                   100.0 * (ops[k].med[LIB] / ops[k].med[UNGUARDED] - 1.0));
        }
        printf("\n]}\n");
    } else {
        printf("bench_guard: %llu-byte file, %llu accesses per run, median "
               "of %d alternating runs (ns per access)\n",
               (unsigned long long)size, (unsigned long long)iters, runs);
        printf("byte get/set guard: %s\n",
#ifdef MMF__HAVE_PROBES
               "probes (no jump point)"
#else
               "jump point (sigsetjmp)"
#endif
        );
        printf("%-20s %8s %10s %8s %10s %10s %12s\n", "operation", "lib",
               "unguarded", "raw", "jmp-guard", "lib/raw", "guard cost");
        for (int k = 0; k < nops; k++) {
            printf("%-20s %8.2f %10.2f %8.2f ", ops[k].name, ops[k].med[LIB],
                   ops[k].med[UNGUARDED], ops[k].med[RAW]);
            if (ops[k].variants > JMPGUARD)
                printf("%10.2f ", ops[k].med[JMPGUARD]);
            else
                printf("%10s ", "-");
            printf("%9.2fx %+11.1f%%\n", ops[k].med[LIB] / ops[k].med[RAW],
                   100.0 * (ops[k].med[LIB] / ops[k].med[UNGUARDED] - 1.0));
        }
        printf("guard cost = lib / unguarded - 1: the guard alone; lib/raw "
               "adds the call and its checks\n");
    }
    mmf_free(c.m);
    close(fd);
    unlink(path);
    return 0;
}
