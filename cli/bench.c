/*
 * bench.c - `mmf bench`: plain file I/O against mmapfile on one file.
 *
 * First the classic experiment (seek +64, process 32 bytes, seek -32,
 * process 32 bytes, until 10 MiB) with lseek+read, with mmf_seek+mmf_read
 * and with the raw pointer; then a table of everyday workloads, each against
 * its best plain-I/O baseline.  Every run processes the bytes it reads into
 * a checksum, and both sides of a workload must agree on it: a compiler
 * cannot drop the work, and a wrong result cannot pass as a fast one.
 *
 * Runs alternate (baseline, mmapfile, baseline, ...) so that drift in the
 * machine's state (frequency, other load) hits both sides alike, and the
 * median is reported because one stalled run should not move the answer.
 * The file is in the page cache for every timed run: this measures the cost
 * of reaching cached data, not the disk.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define KEY_HELP 'h'
#define KEY_SIZE 's'
#define KEY_RUNS 'r'
#define KEY_JSON 'j'
#define KEY_KEEP 'k'
#define KEY_FILE 'f'

static const cli_opt bench_opts[] = {
    {"help", KEY_HELP, 0}, {"size", KEY_SIZE, 1}, {"runs", KEY_RUNS, 1},
    {"json", KEY_JSON, 0}, {"keep", KEY_KEEP, 0}, {"file", KEY_FILE, 1},
    {NULL, 0, 0},
};

#define MIB ((uint64_t)1 << 20)
#define CLASSIC_LIMIT (10 * MIB) /* "until the position passes 10 MiB" */
#define CLASSIC_STEP 96          /* +64, read 32, -32, read 32 */
#define CLASSIC_RUNS 3
#define DEFAULT_SIZE (16 * MIB)
#define DEFAULT_RUNS 5
#define MAX_RUNS 1000
#define IO_BUF (1024 * 1024) /* the plain-I/O read size */
#define BLOCK 4096
#define NRANDOM 16384 /* random 4 KiB reads per run */
#define NMODIFY 32    /* durable 4 KiB rewrites per run */
#define NOPEN 2000    /* open+read+close cycles per run */
#define NEEDLE "mmapfile-needle!"
#define NEEDLE_LEN (sizeof(NEEDLE) - 1)
/* Room before the read buffer for the tail carried over from the last
 * read: a page, so the read itself stays page-aligned. */
#define CARRY_ROOM 4096
#define NEEDLE_EVERY (64 * 1024) /* one planted needle per 64 KiB */
#define SCAN_BYTE '\n'
/* One pass over a cached 16 MiB file takes a millisecond or two, too close
 * to the timer's noise; scan and find repeat until a run covers this much. */
#define SCAN_BYTES_PER_RUN (256 * MIB)

typedef struct bench_ctx {
    const char *path;
    uint64_t size;
    int fd;             /* O_RDONLY descriptor for the baselines */
    int fd_rw;          /* O_RDWR, or -1 when the file is not writable */
    mmf_map *m;         /* read map for the mmapfile side */
    mmf_map *mw;        /* write map for the modify workload, or NULL */
    mmf_map *scratch;   /* closed object reused by the open+close workload */
    unsigned char *buf; /* CARRY_ROOM + IO_BUF bytes, page-aligned */
    uint64_t *offsets;  /* NRANDOM block offsets */
    uint64_t *blocks;   /* NMODIFY block offsets */
    /* What the modify workload XORs into each block.  0xff on a file we
     * generated (each pass inverts the blocks, and the passes come in pairs,
     * so the file ends as it began); 0 on a user's file, which is then
     * rewritten with its own bytes: every page is still dirtied and written
     * back, but an interrupted run cannot damage it. */
    unsigned char xor_mask;
    unsigned passes; /* whole-file passes per scan/find run */
    int progress;    /* stderr is a terminal */
} bench_ctx;

typedef int (*bench_fn)(bench_ctx *c, uint64_t *check);

typedef struct workload {
    const char *key;      /* JSON name */
    const char *label;    /* table row */
    const char *baseline; /* what the baseline does */
    const char *mmapfile; /* what the mmapfile side does */
    bench_fn base, mmf;
    uint64_t ops;     /* operations per run, for the reader */
    int compare;      /* both sides must produce the same check value */
    const char *skip; /* not run, and why */
    double base_med, mmf_med;
} workload;

static void bench_usage(FILE *f)
{
    fprintf(f, "usage: mmf bench [--size SIZE] [--runs N] [--json] [--keep] "
               "[--file PATH | FILE]\n"
               "Time plain file I/O (lseek/read/pread/pwrite) against "
               "mmapfile on one file.\n"
               "  --size SIZE  size of the generated file (default 16M; K, M, "
               "G, T suffixes;\n               more than 10M)\n"
               "  --runs N     alternating runs per workload, medians reported "
               "(default 5)\n"
               "  --json       print one JSON object instead of the tables\n"
               "  --keep       keep the generated file\n"
               "  --file PATH  use PATH: an existing file is used as it is and "
               "never changed;\n               a missing one is generated "
               "there\n"
               "Without a file, test.out is generated next to the mmf "
               "executable.\n");
}

/* --- timing, checksums, progress ------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Sorts v in place. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static uint64_t load64(const unsigned char *p)
{
    uint64_t w;

    memcpy(&w, p, sizeof(w));
    return w;
}

/* "Processing" 32 bytes: cheap, but it reads every byte and the result
 * depends on each, so the reads cannot be optimised away. */
static uint64_t mix32(uint64_t acc, const unsigned char *p)
{
    int i;

    for (i = 0; i < 4; i++) {
        acc ^= load64(p + 8 * i);
        acc *= 0x9e3779b97f4a7c15u;
        acc ^= acc >> 29;
    }
    return acc;
}

/* Processing a 4 KiB block: a word sum, as cheap per byte as the copy. */
static uint64_t sum_block(const unsigned char *p, size_t n)
{
    uint64_t s = 0;
    size_t i;

    for (i = 0; i + 8 <= n; i += 8)
        s += load64(p + i);
    return s;
}

static uint64_t xorshift(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x * 0x2545f4914f6cdd1du;
}

static void progress_note(const bench_ctx *c, double took, const char *what,
                          unsigned run, unsigned runs, int *shown)
{
    if (!c->progress || took < 1.0)
        return;
    fprintf(stderr, "\r\033[Kmmf bench: %s: run %u/%u took %.1fs", what, run,
            runs, took);
    *shown = 1;
}

static void progress_clear(const bench_ctx *c, int *shown)
{
    if (c->progress && *shown)
        fputs("\r\033[K", stderr);
    *shown = 0;
}

static int sys_error(const bench_ctx *c, const char *call)
{
    cli_error(c->path, "%s: %s", call, strerror(errno));
    return -1;
}

static int map_error(const bench_ctx *c, mmf_map *m, int rc)
{
    cli_error(c->path, "%s", cli_map_error(m, rc));
    return -1;
}

/* read() that only fails on an error or an early end of file. */
static int read_full(int fd, unsigned char *buf, size_t n, uint64_t off)
{
    size_t done = 0;

    while (done < n) {
        ssize_t r = pread(fd, buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO; /* the file shrank under the benchmark */
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

/* --- the classic experiment ----------------------------------------------- */

static int classic_normal(bench_ctx *c, uint64_t *check)
{
    unsigned char b[32];
    uint64_t acc = 0;
    off_t pos;

    if ((pos = lseek(c->fd, 0, SEEK_SET)) < 0)
        return sys_error(c, "lseek");
    while ((uint64_t)pos <= CLASSIC_LIMIT) {
        if (lseek(c->fd, 64, SEEK_CUR) < 0)
            return sys_error(c, "lseek");
        if (read(c->fd, b, 32) != 32)
            return sys_error(c, "read");
        acc = mix32(acc, b);
        if ((pos = lseek(c->fd, -32, SEEK_CUR)) < 0)
            return sys_error(c, "lseek");
        if (read(c->fd, b, 32) != 32)
            return sys_error(c, "read");
        acc = mix32(acc, b);
        pos += 32; /* where the read left the file offset */
    }
    *check = acc;
    return 0;
}

static int classic_mmap(bench_ctx *c, uint64_t *check)
{
    unsigned char b[32];
    uint64_t acc = 0, pos;
    size_t n;
    int rc;

    if ((rc = mmf_seek(c->m, 0, MMF_SEEK_SET, &pos)) != 0)
        return map_error(c, c->m, rc);
    while (pos <= CLASSIC_LIMIT) {
        if ((rc = mmf_seek(c->m, 64, MMF_SEEK_CUR, NULL)) != 0 ||
            (rc = mmf_read(c->m, b, 32, &n)) != 0)
            return map_error(c, c->m, rc);
        if (n != 32)
            return map_error(c, c->m, MMF_EEOF);
        acc = mix32(acc, b);
        if ((rc = mmf_seek(c->m, -32, MMF_SEEK_CUR, NULL)) != 0 ||
            (rc = mmf_read(c->m, b, 32, &n)) != 0)
            return map_error(c, c->m, rc);
        if (n != 32)
            return map_error(c, c->m, MMF_EEOF);
        acc = mix32(acc, b);
        pos = mmf_tell(c->m);
    }
    *check = acc;
    return 0;
}

/* The same walk on the bare address: what the experiment costs without any
 * call per step.  Unguarded, as mmf_pointer() memory always is. */
static int classic_pointer(bench_ctx *c, uint64_t *check)
{
    const unsigned char *p;
    void *base;
    uint64_t acc = 0, pos = 0, len;
    int rc;

    if ((rc = mmf_pointer(c->m, &base, &len)) != 0)
        return map_error(c, c->m, rc);
    p = base;
    while (pos <= CLASSIC_LIMIT) {
        pos += 64;
        acc = mix32(acc, p + pos);
        pos += 32;
        pos -= 32;
        acc = mix32(acc, p + pos);
        pos += 32;
    }
    *check = acc;
    return 0;
}

/* Three methods, CLASSIC_RUNS alternating runs each.  Returns 0 or -1. */
static int run_classic(bench_ctx *c, double med[3], int *have_pointer,
                       uint64_t *checksum)
{
    static const bench_fn fns[3] = {classic_normal, classic_mmap,
                                    classic_pointer};
    static const char *const names[3] = {"classic normal", "classic mmap",
                                         "classic pointer"};
    double t[3][CLASSIC_RUNS];
    uint64_t check[3] = {0, 0, 0};
    volatile uint64_t sink = 0;
    int nmethods = mmf_is_windowed(c->m) ? 2 : 3;
    int r, k, shown = 0;

    for (r = 0; r < CLASSIC_RUNS; r++) {
        for (k = 0; k < nmethods; k++) {
            double t0 = now_s();
            if (fns[k](c, &check[k]) != 0)
                return -1;
            t[k][r] = now_s() - t0;
            sink = check[k];
            progress_note(c, t[k][r], names[k], (unsigned)r + 1, CLASSIC_RUNS,
                          &shown);
        }
    }
    progress_clear(c, &shown);
    (void)sink;
    for (k = 1; k < nmethods; k++) {
        if (check[k] != check[0]) {
            cli_error("bench",
                      "classic experiment: %s disagrees with lseek+"
                      "read (checksum %016" PRIx64 " vs %016" PRIx64 ")",
                      names[k], check[k], check[0]);
            return -1;
        }
    }
    for (k = 0; k < nmethods; k++)
        med[k] = median(t[k], CLASSIC_RUNS);
    *have_pointer = nmethods == 3;
    *checksum = check[0];
    return 0;
}

/* --- the workloads -------------------------------------------------------- */

static int scan_pass(bench_ctx *c, uint64_t *check)
{
    uint64_t n = 0;
    ssize_t r;

    if (lseek(c->fd, 0, SEEK_SET) < 0)
        return sys_error(c, "lseek");
    while ((r = read(c->fd, c->buf, IO_BUF)) != 0) {
        const unsigned char *p, *end;

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return sys_error(c, "read");
        }
        p = c->buf;
        end = c->buf + r;
        while ((p = memchr(p, SCAN_BYTE, (size_t)(end - p))) != NULL) {
            n++;
            p++;
        }
    }
    *check = n;
    return 0;
}

static int scan_base(bench_ctx *c, uint64_t *check)
{
    uint64_t n;
    unsigned i;

    *check = 0;
    for (i = 0; i < c->passes; i++) {
        if (scan_pass(c, &n) != 0)
            return -1;
        *check += n;
    }
    return 0;
}

static int scan_mmf(bench_ctx *c, uint64_t *check)
{
    static const char byte = SCAN_BYTE;
    uint64_t n;
    unsigned i;
    int rc;

    *check = 0;
    for (i = 0; i < c->passes; i++) {
        if ((rc = mmf_count(c->m, &byte, 1, 0, MMF_END, &n)) != 0)
            return map_error(c, c->m, rc);
        *check += n;
    }
    return 0;
}

/* Count and position-sum of non-overlapping needles through a 1 MiB buffer.
 * The last NEEDLE_LEN-1 bytes of each buffer (unless a match covers them)
 * move to the front of the next, so a needle across a boundary is found. */
static int find_pass(bench_ctx *c, uint64_t *check)
{
    uint64_t n = 0, possum = 0, base = 0;
    size_t carry = 0;
    ssize_t r;
    /* read() always lands page-aligned (a misaligned destination halves
     * the copy out of the page cache here, which would handicap the
     * baseline); the carried tail sits just before it. */
    unsigned char *data = c->buf + CARRY_ROOM;

    if (lseek(c->fd, 0, SEEK_SET) < 0)
        return sys_error(c, "lseek");
    while ((r = read(c->fd, data, IO_BUF)) != 0) {
        size_t total, keep;
        unsigned char *start, *p, *q, *end;

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return sys_error(c, "read");
        }
        start = data - carry;
        total = carry + (size_t)r;
        p = start;
        end = start + total;
        while ((q = memmem(p, (size_t)(end - p), NEEDLE, NEEDLE_LEN)) != NULL) {
            n++;
            possum += base + (uint64_t)(q - start);
            p = q + NEEDLE_LEN;
        }
        keep = total >= NEEDLE_LEN - 1 ? total - (NEEDLE_LEN - 1) : 0;
        if ((size_t)(p - start) > keep)
            keep = (size_t)(p - start);
        carry = total - keep;
        memmove(data - carry, start + keep, carry);
        base += keep;
    }
    *check = n * 0x100000001b3u ^ possum;
    return 0;
}

static int find_base(bench_ctx *c, uint64_t *check)
{
    uint64_t n;
    unsigned i;

    *check = 0;
    for (i = 0; i < c->passes; i++) {
        if (find_pass(c, &n) != 0)
            return -1;
        *check += n;
    }
    return 0;
}

static int find_mmf_pass(bench_ctx *c, uint64_t *check)
{
    uint64_t n = 0, possum = 0, pos = 0, hit;
    int rc;

    for (;;) {
        rc = mmf_find(c->m, NEEDLE, NEEDLE_LEN, pos, MMF_END, &hit);
        if (rc != 0)
            return map_error(c, c->m, rc);
        if (hit == MMF_NOT_FOUND)
            break;
        n++;
        possum += hit;
        pos = hit + NEEDLE_LEN;
    }
    *check = n * 0x100000001b3u ^ possum;
    return 0;
}

static int find_mmf(bench_ctx *c, uint64_t *check)
{
    uint64_t n;
    unsigned i;

    *check = 0;
    for (i = 0; i < c->passes; i++) {
        if (find_mmf_pass(c, &n) != 0)
            return -1;
        *check += n;
    }
    return 0;
}

static int random_base(bench_ctx *c, uint64_t *check)
{
    uint64_t s = 0;
    size_t i;

    for (i = 0; i < NRANDOM; i++) {
        if (pread(c->fd, c->buf, BLOCK, (off_t)c->offsets[i]) != BLOCK)
            return sys_error(c, "pread");
        s += sum_block(c->buf, BLOCK);
    }
    *check = s;
    return 0;
}

static int random_mmf(bench_ctx *c, uint64_t *check)
{
    uint64_t s = 0;
    size_t i;
    int rc;

    for (i = 0; i < NRANDOM; i++) {
        if ((rc = mmf_copy_out(c->m, c->offsets[i], c->buf, BLOCK)) != 0)
            return map_error(c, c->m, rc);
        s += sum_block(c->buf, BLOCK);
    }
    *check = s;
    return 0;
}

static void invert(unsigned char *p, size_t n, unsigned char mask)
{
    size_t i;

    for (i = 0; i < n; i++)
        p[i] ^= mask;
}

/* Read a block, change it, write it back and wait for the disk, with the
 * same durability on both sides:
 *   sync:    fdatasync  vs  MMF_FLUSH_SYNC.  On Linux msync(MS_SYNC) is a
 *            data sync of the range (vfs_fsync_range with datasync set), so
 *            this is the data-only durability of fdatasync;
 *   durable: fdatasync  vs  MMF_FLUSH_DURABLE, which is msync(MS_SYNC) and
 *            then fdatasync of the file (the data and the size: what a
 *            reader needs after a crash). */
static int modify_base(bench_ctx *c)
{
    size_t i;

    for (i = 0; i < NMODIFY; i++) {
        if (read_full(c->fd_rw, c->buf, BLOCK, c->blocks[i]) != 0)
            return sys_error(c, "pread");
        invert(c->buf, BLOCK, c->xor_mask);
        if (pwrite(c->fd_rw, c->buf, BLOCK, (off_t)c->blocks[i]) != BLOCK)
            return sys_error(c, "pwrite");
        if (fdatasync(c->fd_rw) != 0)
            return sys_error(c, "fdatasync");
    }
    return 0;
}

static int modify_mmf(bench_ctx *c, int durable)
{
    int flags = durable ? MMF_FLUSH_DURABLE : MMF_FLUSH_SYNC;
    size_t i;
    int rc;

    for (i = 0; i < NMODIFY; i++) {
        uint64_t off = c->blocks[i];

        if ((rc = mmf_copy_out(c->mw, off, c->buf, BLOCK)) != 0)
            return map_error(c, c->mw, rc);
        invert(c->buf, BLOCK, c->xor_mask);
        if ((rc = mmf_copy_in(c->mw, off, c->buf, BLOCK)) != 0 ||
            (rc = mmf_flush(c->mw, off, BLOCK, flags)) != 0)
            return map_error(c, c->mw, rc);
    }
    return 0;
}

/* The modified bytes differ from pass to pass, so there is no check value
 * to compare; blocks_hash() checks the end result instead. */
static int modify_sync_base(bench_ctx *c, uint64_t *check)
{
    *check = 0;
    return modify_base(c);
}

static int modify_sync_mmf(bench_ctx *c, uint64_t *check)
{
    *check = 0;
    return modify_mmf(c, 0);
}

static int modify_durable_base(bench_ctx *c, uint64_t *check)
{
    *check = 0;
    return modify_base(c);
}

static int modify_durable_mmf(bench_ctx *c, uint64_t *check)
{
    *check = 0;
    return modify_mmf(c, 1);
}

static int open_base(bench_ctx *c, uint64_t *check)
{
    uint64_t s = 0;
    int i;

    for (i = 0; i < NOPEN; i++) {
        int fd = open(c->path, O_RDONLY);
        ssize_t r;

        if (fd < 0)
            return sys_error(c, "open");
        r = read(fd, c->buf, BLOCK);
        close(fd);
        if (r != BLOCK)
            return sys_error(c, "read");
        s += c->buf[0];
    }
    *check = s;
    return 0;
}

static int open_mmf(bench_ctx *c, uint64_t *check)
{
    mmf_options opts = MMF_OPTIONS_INIT;
    uint64_t s = 0;
    uint8_t b;
    int i, rc;

    opts.access = MMF_ACCESS_READ;
    opts.flags = MMF_WINDOW_FALLBACK;
    for (i = 0; i < NOPEN; i++) {
        if ((rc = mmf_open_path(c->scratch, c->path, &opts)) != 0 ||
            (rc = mmf_get_byte(c->scratch, 0, &b)) != 0 ||
            (rc = mmf_close(c->scratch)) != 0)
            return map_error(c, c->scratch, rc);
        s += b;
    }
    *check = s;
    return 0;
}

/* Alternating runs of one workload; fills w->base_med and w->mmf_med. */
static int run_workload(bench_ctx *c, workload *w, unsigned runs)
{
    double *tb, *tm;
    uint64_t cb = 0, cm = 0;
    volatile uint64_t sink = 0;
    unsigned r;
    int shown = 0, rc = -1;

    tb = calloc(runs, sizeof(*tb));
    tm = calloc(runs, sizeof(*tm));
    if (tb == NULL || tm == NULL) {
        cli_error("bench", "out of memory");
        goto out;
    }
    for (r = 0; r < runs; r++) {
        double t0 = now_s();
        if (w->base(c, &cb) != 0)
            goto out;
        tb[r] = now_s() - t0;
        progress_note(c, tb[r], w->label, r + 1, runs, &shown);
        t0 = now_s();
        if (w->mmf(c, &cm) != 0)
            goto out;
        tm[r] = now_s() - t0;
        progress_note(c, tm[r], w->label, r + 1, runs, &shown);
        sink = cb ^ cm;
        if (w->compare && cb != cm) {
            progress_clear(c, &shown);
            cli_error("bench",
                      "%s: %s and %s disagree (%016" PRIx64 " vs %016" PRIx64
                      ")",
                      w->label, w->baseline, w->mmapfile, cb, cm);
            goto out;
        }
    }
    (void)sink;
    w->base_med = median(tb, runs);
    w->mmf_med = median(tm, runs);
    rc = 0;
out:
    progress_clear(c, &shown);
    free(tb);
    free(tm);
    return rc;
}

/* --- the file ------------------------------------------------------------- */

/* test.out next to the executable, so `make demo` leaves nothing in the
 * source tree.  /proc/self/exe is exact; argv[0] is the fallback elsewhere.
 * An installed mmf sits in a directory the user cannot (or should not)
 * write, so a read-only directory falls back to the current one. */
static char *default_path(const char *argv0)
{
    char dir[PATH_MAX];
    char *slash, *out;
    ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);

    if (n > 0) {
        dir[n] = '\0';
    } else if (strchr(argv0, '/') != NULL && strlen(argv0) < sizeof(dir)) {
        strcpy(dir, argv0);
    } else {
        strcpy(dir, "./mmf");
    }
    slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0'; /* the executable is in "/" */
    else if (slash != NULL)
        slash[0] = '\0';
    if (slash == NULL || access(dir, W_OK) != 0)
        strcpy(dir, ".");
    out = malloc(strlen(dir) + sizeof("/test.out"));
    if (out == NULL)
        return NULL;
    strcpy(out, dir);
    strcat(out, strcmp(dir, "/") == 0 ? "test.out" : "/test.out");
    return out;
}

/* Random bytes with NEEDLE planted once in every 64 KiB, made durable so
 * that the first fdatasync of the modify workload does not pay for writing
 * back the whole file.  Returns 0, or -1 (error printed, file removed). */
static int generate(const char *path, uint64_t size, int progress)
{
    unsigned char *chunk = malloc(IO_BUF);
    uint64_t state = 0x853c49e6748fea9bu, done = 0;
    double t0 = now_s();
    struct statvfs vfs;
    int fd, shown = 0, last_pct = -1;

    if (chunk == NULL) {
        cli_error("bench", "out of memory");
        return -1;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
        cli_error(path, "cannot create: %s", strerror(errno));
        free(chunk);
        return -1;
    }
    /* Refuse up front rather than fill the disk and fail at the end. */
    if (fstatvfs(fd, &vfs) == 0 &&
        (uint64_t)vfs.f_bavail <= size / (vfs.f_frsize ? vfs.f_frsize : 1)) {
        cli_error(path,
                  "--size %" PRIu64 " bytes: the file system has only "
                  "%" PRIu64 " bytes free",
                  size, (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize);
        close(fd);
        unlink(path);
        free(chunk);
        return -1;
    }
    while (done < size) {
        size_t n = size - done < IO_BUF ? (size_t)(size - done) : IO_BUF;
        size_t i, w = 0;

        for (i = 0; i + 8 <= n; i += 8) {
            uint64_t x = xorshift(&state);
            memcpy(chunk + i, &x, 8);
        }
        for (; i < n; i++)
            chunk[i] = (unsigned char)xorshift(&state);
        for (i = 0; i + NEEDLE_EVERY <= n; i += NEEDLE_EVERY)
            memcpy(chunk + i + xorshift(&state) % (NEEDLE_EVERY - NEEDLE_LEN),
                   NEEDLE, NEEDLE_LEN);
        while (w < n) {
            ssize_t r = write(fd, chunk + w, n - w);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                goto fail;
            w += (size_t)r;
        }
        done += n;
        /* In double: done * 100 would overflow for sizes above 2^57. */
        if (progress &&
            (int)((double)done * 100.0 / (double)size) != last_pct &&
            now_s() - t0 > 1.0) {
            last_pct = (int)((double)done * 100.0 / (double)size);
            fprintf(stderr, "\r\033[Kmmf bench: generating %s: %d%%", path,
                    last_pct);
            shown = 1;
        }
    }
    if (fdatasync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    if (shown)
        fputs("\r\033[K", stderr);
    free(chunk);
    return 0;
fail:
    if (shown)
        fputs("\r\033[K", stderr);
    cli_error(path, "cannot write: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(path);
    free(chunk);
    return -1;
}

/* Open the descriptors and maps, and draw the random offsets.  Returns 0
 * or -1 (error printed); bench_close() undoes whatever was done. */
static int bench_open(bench_ctx *c, const char *path, int generated)
{
    uint64_t state = 0x2545f4914f6cdd1du, nblocks;
    struct stat st;
    size_t i;
    int rc;

    c->path = path;
    c->fd = open(path, O_RDONLY);
    if (c->fd < 0)
        return sys_error(c, "open");
    if (fstat(c->fd, &st) != 0)
        return sys_error(c, "fstat");
    if (!S_ISREG(st.st_mode)) {
        cli_error(path, "not a regular file");
        return -1;
    }
    c->size = (uint64_t)st.st_size;
    if (c->size < CLASSIC_LIMIT + CLASSIC_STEP) {
        cli_error(path,
                  "%" PRIu64 " bytes; the benchmark needs a file of "
                  "more than 10 MiB",
                  c->size);
        return -1;
    }
    c->passes = c->size >= SCAN_BYTES_PER_RUN
                    ? 1
                    : (unsigned)(SCAN_BYTES_PER_RUN / c->size);
    c->fd_rw = open(path, O_RDWR);
    c->xor_mask = generated ? 0xff : 0x00;

    if (cli_open(path, MMF_ACCESS_READ, MMF_WINDOW_FALLBACK, 0, &c->m) != 0)
        return -1;
    if (c->fd_rw >= 0 &&
        cli_open(path, MMF_ACCESS_WRITE, MMF_WINDOW_FALLBACK, 0, &c->mw) != 0)
        return -1;
    if ((rc = mmf_new(&c->scratch)) != 0) {
        cli_error("bench", "%s", mmf_strerror(rc));
        return -1;
    }

    c->buf = aligned_alloc(CARRY_ROOM, CARRY_ROOM + IO_BUF);
    c->offsets = malloc(NRANDOM * sizeof(*c->offsets));
    c->blocks = malloc(NMODIFY * sizeof(*c->blocks));
    if (c->buf == NULL || c->offsets == NULL || c->blocks == NULL) {
        cli_error("bench", "out of memory");
        return -1;
    }
    nblocks = c->size / BLOCK; /* > 2560, by the size check above */
    for (i = 0; i < NRANDOM; i++)
        c->offsets[i] = xorshift(&state) % nblocks * BLOCK;
    for (i = 0; i < NMODIFY; i++)
        c->blocks[i] = xorshift(&state) % nblocks * BLOCK;
    return 0;
}

static void bench_close(bench_ctx *c)
{
    mmf_free(c->m);
    mmf_free(c->mw);
    mmf_free(c->scratch);
    if (c->fd >= 0)
        close(c->fd);
    if (c->fd_rw >= 0)
        close(c->fd_rw);
    free(c->buf);
    free(c->offsets);
    free(c->blocks);
}

/* A hash of the modify workload's blocks, to prove the file ends as it
 * began.  Returns 0 or -1. */
static int blocks_hash(bench_ctx *c, uint64_t *out)
{
    uint64_t h = 0;
    size_t i;

    for (i = 0; i < NMODIFY; i++) {
        if (read_full(c->fd, c->buf, BLOCK, c->blocks[i]) != 0)
            return sys_error(c, "pread");
        h = h * 31 + sum_block(c->buf, BLOCK);
    }
    *out = h;
    return 0;
}

/* --- output --------------------------------------------------------------- */

static double ratio(double base, double mmf)
{
    /* A zero median is below the clock's resolution; report the ratio as
     * if it were one nanosecond rather than dividing by zero. */
    return base / (mmf > 1e-9 ? mmf : 1e-9);
}

static void print_time_s(double t)
{
    printf("%.3fs\n", t);
}

static void print_faster(const char *who, double base, double mmf)
{
    double r = ratio(base, mmf);

    if (r >= 1.0)
        printf("%s is %.1fx faster\n", who, r);
    else
        printf("%s is %.1fx slower\n", who, 1.0 / r);
}

static void format_ms(double t, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.3f ms", t * 1e3);
}

static void print_text(const bench_ctx *c, int generated, const double cl[3],
                       int have_pointer, uint64_t checksum, const workload *w,
                       size_t nw, unsigned runs, int keep)
{
    size_t i;

    printf("file: %s, %" PRIu64 " bytes (%.1f MiB), %s\n\n", c->path, c->size,
           (double)c->size / (double)MIB,
           !generated ? "existing file, left unchanged"
           : keep     ? "generated, kept (--keep)"
                      : "generated, deleted at the end");
    printf("classic experiment: seek +64, process 32 bytes, seek -32, "
           "process 32 bytes,\nuntil the position passes 10 MiB (%" PRIu64
           " steps); median of %d alternating runs,\nchecksum %016" PRIx64
           " from every method\n",
           CLASSIC_LIMIT / CLASSIC_STEP + 1, CLASSIC_RUNS, checksum);
    printf("normal time elapsed: ");
    print_time_s(cl[0]);
    printf("mmap time elapsed: ");
    print_time_s(cl[1]);
    if (have_pointer) {
        printf("mmap pointer time elapsed: ");
        print_time_s(cl[2]);
    }
    print_faster("mmap", cl[0], cl[1]);
    if (have_pointer)
        print_faster("mmap pointer", cl[0], cl[2]);

    printf("\nworkloads: median of %u alternating runs; ratio = baseline "
           "time / mmapfile time\n(above 1: mmapfile is faster)\n\n",
           runs);
    printf("%-28s %-18s %12s %12s %8s\n", "workload", "baseline", "baseline",
           "mmapfile", "ratio");
    for (i = 0; i < nw; i++) {
        char tb[32], tm[32];

        if (w[i].skip != NULL) {
            printf("%-28s %-18s skipped: %s\n", w[i].label, w[i].baseline,
                   w[i].skip);
            continue;
        }
        format_ms(w[i].base_med, tb, sizeof(tb));
        format_ms(w[i].mmf_med, tm, sizeof(tm));
        printf("%-28s %-18s %12s %12s %7.2fx\n", w[i].label, w[i].baseline, tb,
               tm, ratio(w[i].base_med, w[i].mmf_med));
    }
    printf("\nmmapfile side: ");
    for (i = 0; i < nw; i++)
        printf("%s%s", i ? "; " : "", w[i].mmapfile);
    printf("\n");
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void json_workload(const char *key, const char *base_name,
                          const char *mmf_name, uint64_t ops, unsigned runs,
                          const char *skip, double tb, double tm)
{
    printf("    {\"name\": ");
    json_string(key);
    printf(", \"baseline\": ");
    json_string(base_name);
    printf(", \"mmapfile\": ");
    json_string(mmf_name);
    printf(", \"ops_per_run\": %" PRIu64 ", \"runs\": %u", ops, runs);
    if (skip != NULL) {
        printf(", \"skipped\": ");
        json_string(skip);
        printf(", \"baseline_median_s\": null, \"mmapfile_median_s\": null, "
               "\"ratio\": null}");
        return;
    }
    printf(", \"baseline_median_s\": %.9f, \"mmapfile_median_s\": %.9f, "
           "\"ratio\": %.4f}",
           tb, tm, ratio(tb, tm));
}

static void print_json(const bench_ctx *c, int generated, const double cl[3],
                       int have_pointer, uint64_t checksum, const workload *w,
                       size_t nw, unsigned runs)
{
    size_t i;

    printf("{\n  \"version\": ");
    json_string(MMF_VERSION_STRING);
    printf(",\n  \"file\": ");
    json_string(c->path);
    printf(",\n  \"size\": %" PRIu64 ",\n  \"generated\": %s,\n"
           "  \"runs\": %u,\n  \"workloads\": [\n",
           c->size, generated ? "true" : "false", runs);
    json_workload("classic", "lseek+read", "mmf_seek+mmf_read",
                  CLASSIC_LIMIT / CLASSIC_STEP + 1, CLASSIC_RUNS, NULL, cl[0],
                  cl[1]);
    printf(",\n");
    json_workload("classic_pointer", "lseek+read", "mmf_pointer",
                  CLASSIC_LIMIT / CLASSIC_STEP + 1, CLASSIC_RUNS,
                  have_pointer ? NULL : "windowed map has no pointer", cl[0],
                  cl[2]);
    for (i = 0; i < nw; i++) {
        printf(",\n");
        json_workload(w[i].key, w[i].baseline, w[i].mmapfile, w[i].ops, runs,
                      w[i].skip, w[i].base_med, w[i].mmf_med);
    }
    printf("\n  ],\n  \"classic_checksum\": \"%016" PRIx64 "\"\n}\n", checksum);
}

/* --- the command ---------------------------------------------------------- */

typedef struct bench_args {
    uint64_t size;
    unsigned runs;
    int json, keep;
    const char *file;
} bench_args;

/* Returns 0, 1 (help printed) or -1 (error printed). */
static int bench_parse(int argc, char **argv, bench_args *a)
{
    cli_scan s;
    const char *val;
    uint64_t v;
    int key;

    a->size = DEFAULT_SIZE;
    a->runs = DEFAULT_RUNS;
    a->json = a->keep = 0;
    a->file = NULL;
    cli_scan_init(&s, argc, argv);
    while ((key = cli_next_opt(&s, bench_opts, &val)) != CLI_OPT_END) {
        switch (key) {
        case KEY_HELP:
            bench_usage(stdout);
            return 1;
        case KEY_SIZE:
            if (cli_parse_size("bench", "--size", val, &a->size) != 0)
                return -1;
            if (a->size < CLASSIC_LIMIT + CLASSIC_STEP) {
                cli_error("bench",
                          "--size %s: the experiment needs more "
                          "than 10 MiB (e.g. --size 12M)",
                          val);
                return -1;
            }
            break;
        case KEY_RUNS:
            if (cli_parse_u64("bench", "--runs", val, &v) != 0)
                return -1;
            if (v < 1 || v > MAX_RUNS) {
                cli_error("bench", "--runs %s: use 1 to %d", val, MAX_RUNS);
                return -1;
            }
            a->runs = (unsigned)v;
            break;
        case KEY_JSON:
            a->json = 1;
            break;
        case KEY_KEEP:
            a->keep = 1;
            break;
        case KEY_FILE:
            a->file = val;
            break;
        default:
            return -1;
        }
    }
    if (s.noperands > 1 || (s.noperands == 1 && a->file != NULL)) {
        cli_error("bench", "give at most one FILE (or --file PATH)");
        return -1;
    }
    if (s.noperands == 1)
        a->file = argv[1];
    return 0;
}

static int bench_run(bench_ctx *c, const bench_args *a, int generated)
{
    workload w[] = {
        {"scan", "sequential scan (count)", "read+memchr",
         "mmf_count of one byte", scan_base, scan_mmf, 1, 1, NULL, 0, 0},
        {"find", "find pattern", "read+memmem", "mmf_find loop", find_base,
         find_mmf, 1, 1, NULL, 0, 0},
        {"random_read", "random 4 KiB reads", "pread", "mmf_copy_out",
         random_base, random_mmf, NRANDOM, 1, NULL, 0, 0},
        {"modify_sync", "modify 4 KiB + sync", "pwrite+fdatasync",
         "mmf_copy_in+mmf_flush(SYNC)", modify_sync_base, modify_sync_mmf,
         NMODIFY, 0, NULL, 0, 0},
        {"modify_durable", "modify 4 KiB + durable", "pwrite+fdatasync",
         "mmf_copy_in+mmf_flush(DURABLE)", modify_durable_base,
         modify_durable_mmf, NMODIFY, 0, NULL, 0, 0},
        {"open_close", "open+map+close", "open+read+close",
         "mmf_open_path+mmf_get_byte+mmf_close", open_base, open_mmf, NOPEN, 1,
         NULL, 0, 0},
    };
    size_t nw = sizeof(w) / sizeof(w[0]), i;
    double cl[3] = {0, 0, 0};
    int have_pointer = 0;
    uint64_t checksum = 0, h0 = 0, h1 = 0, warm;

    for (i = 0; i < nw; i++)
        if (c->mw == NULL &&
            (w[i].base == modify_sync_base || w[i].base == modify_durable_base))
            w[i].skip = "the file is not writable";
    w[0].ops = w[1].ops = c->passes;
    /* A user's file may be cold; one untimed pass puts it in the page cache
     * so that the first timed run of neither side pays for the disk. */
    if (!generated && scan_pass(c, &warm) != 0)
        return -1;
    if (run_classic(c, cl, &have_pointer, &checksum) != 0)
        return -1;
    if (c->mw != NULL && blocks_hash(c, &h0) != 0)
        return -1;
    for (i = 0; i < nw; i++)
        if (w[i].skip == NULL && run_workload(c, &w[i], a->runs) != 0)
            return -1;
    if (c->mw != NULL && blocks_hash(c, &h1) != 0)
        return -1;
    if (h0 != h1) {
        cli_error(c->path, "the modify workload did not leave the file as "
                           "it found it (write-back lost?)");
        return -1;
    }
    if (a->json)
        print_json(c, generated, cl, have_pointer, checksum, w, nw, a->runs);
    else
        print_text(c, generated, cl, have_pointer, checksum, w, nw, a->runs,
                   a->keep);
    return cli_flush_stdout();
}

int cli_cmd_bench(int argc, char **argv, const cli_env *env)
{
    bench_args a;
    bench_ctx c;
    char *owned = NULL;
    const char *path;
    struct stat st;
    int generated = 0, rc;

    rc = bench_parse(argc, argv, &a);
    if (rc != 0)
        return rc > 0 && cli_flush_stdout() == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    if (a.file != NULL) {
        path = a.file;
    } else {
        owned = default_path(env->argv0);
        if (owned == NULL) {
            cli_error("bench", "out of memory");
            return CLI_EXIT_ERROR;
        }
        path = owned;
    }

    memset(&c, 0, sizeof(c));
    c.fd = c.fd_rw = -1;
    c.progress = isatty(STDERR_FILENO);
    /* The default file is always ours to (re)generate; a named file is
     * generated only when it does not exist yet. */
    if (a.file == NULL || (stat(path, &st) != 0 && errno == ENOENT)) {
        if (generate(path, a.size, c.progress) != 0) {
            free(owned);
            return CLI_EXIT_ERROR;
        }
        generated = 1;
    }
    rc = bench_open(&c, path, generated);
    if (rc == 0)
        rc = bench_run(&c, &a, generated);
    bench_close(&c);
    if (generated && !a.keep && unlink(path) != 0) {
        cli_error(path, "cannot delete: %s", strerror(errno));
        rc = -1;
    }
    free(owned);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}
