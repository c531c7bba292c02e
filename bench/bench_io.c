/*
 * bench_io.c - mmapfile against plain file I/O on page-cache-hot files of
 * several sizes: where a memory map wins, where it does not, and by how
 * much.  `make bench` runs it (through bench/run.sh); docs/performance.md
 * explains the figures.
 *
 *     bench_io [--sizes 1M,64M,1G] [--large] [--runs N] [--json]
 *              [--json-out FILE] [--dat FILE] [--dir DIR]
 *              [--write-chunk SIZE] [--reread] [--only KEY,...] [--keep]
 *              [--mmf PATH] [--readfind PATH]
 *
 * Every workload runs against its best plain baseline in the same process,
 * alternately (baseline, mmapfile, in-memory limit, baseline, ...), so
 * drift in the machine's state hits every side alike, and the median of
 * the runs is reported, since one stalled run on a shared machine should
 * not move the answer.  Both sides compute a check value from the bytes
 * they read (a count, a sum) and must agree: the compiler cannot drop the
 * work, and a wrong answer cannot pass as a fast one.
 *
 * "Hot" workloads use a map opened once and touched by a warm-up pass (its
 * pages are in the page tables: the repeated-scan case); "once" workloads
 * open, map, work and close every time (the one-shot case, where each page
 * of the fresh mapping is faulted in).  The in-memory limit is the same
 * libc loop over a malloc'ed copy of the file: what the operation costs
 * with no file I/O at all.
 */
#ifdef _WIN32
/* It times POSIX calls (pread, posix_spawn, fdatasync) against the library,
 * as `mmf bench` does: on Windows there is nothing to compare with yet. */
#include <stdio.h>
int main(void)
{
    puts("bench_io: POSIX only; skipped");
    return 0;
}
#else
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h" /* mmf__memmem, for the pread-path prototype */
#include "mmapfile.h"
#include "bench_time.h"

extern char **environ;

#define KIB ((uint64_t)1 << 10)
#define MIB ((uint64_t)1 << 20)
#define GIB ((uint64_t)1 << 30)
#define IO_BUF (1024 * 1024) /* plain-I/O read size, and mmf_read's */
#define PREFIX 4096          /* room before the read area for a straddle */
#define BLOCK 4096
#define NRANDOM 16384         /* random 4 KiB reads per run */
#define NWRITE 256            /* random small writes per run, then one flush */
#define WRITE_LEN 64          /* bytes per small write */
#define NOPEN 1000            /* open+map+close cycles per run */
#define SEEK_LIMIT (10 * MIB) /* the seed: "until the position passes 10M" */
#define SEEK_STEP 96          /* +64, read 32, -32, read 32 */
#define MIN_BYTES_PER_RUN (256 * MIB) /* small files are passed over again */
#define NEEDLE "mmapfile-needle!"
#define NEEDLE_LEN (sizeof(NEEDLE) - 1)
#define NEEDLE_EVERY (64 * 1024)
#define ABSENT 0 /* a byte the generated text never contains */
#define MAX_SIZES 8
#define MAX_RUNS 101

/* --- small things -------------------------------------------------------- */

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x * 0x2545f4914f6cdd1du;
}

static uint64_t load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* What the seed does with its 32 bytes: cheap, but every byte counts. */
static uint64_t mix32(uint64_t acc, const unsigned char *p)
{
    for (int i = 0; i < 4; i++) {
        acc ^= load64(p + 8 * i);
        acc *= 0x9e3779b97f4a7c15u;
        acc ^= acc >> 29;
    }
    return acc;
}

/* A 4 KiB block's word sum: as cheap per byte as copying it. */
static uint64_t sum_block(const unsigned char *p, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i + 8 <= n; i += 8)
        s += load64(p + i);
    return s;
}

/* One word per cache line: proof that a copied megabyte arrived, at a cost
 * far below the copy's. */
static uint64_t sum_lines(const unsigned char *p, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i + 8 <= n; i += 64)
        s += load64(p + i);
    return s;
}

static char **cleanup_paths;
static size_t ncleanup;

static void cleanup(void)
{
    for (size_t i = 0; i < ncleanup; i++)
        if (cleanup_paths[i] != NULL)
            unlink(cleanup_paths[i]);
}

static void die(const char *fmt, ...)
{
    va_list ap;
    fputs("bench_io: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void die_sys(const char *what)
{
    die("%s: %s", what, strerror(errno));
}

static void die_map(mmf_map *m, int rc, const char *what)
{
    die("%s: %s (%s)", what, mmf_strerror(rc), mmf_errmsg(m));
}

static void *xalloc(size_t align, size_t n)
{
    void *p = aligned_alloc(align, (n + align - 1) / align * align);
    if (p == NULL)
        die("out of memory (%zu bytes)", n);
    return p;
}

/* pread that fails on an error or an early end of file. */
static void pread_full(int fd, void *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r =
            pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("pread: %s", r == 0 ? "file shrank" : strerror(errno));
        done += (size_t)r;
    }
}

/* --- the file ---------------------------------------------------------------
 *
 * Text-like bytes: letters and spaces in lines of about 85 bytes, NEEDLE
 * once in every 64 KiB, and never the byte ABSENT, so that looking for
 * ABSENT is a full pass at the speed of memchr.  Written in `chunk`-sized
 * write() calls: the page cache's folio sizes follow the writes on Linux
 * 6.x, and mapping small folios costs more (docs/performance.md). */
static void generate(const char *path, uint64_t size, size_t chunk)
{
    unsigned char *buf = xalloc(4096, IO_BUF);
    uint64_t st = 0x853c49e6748fea9bu ^ size;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("%s: %s", path, strerror(errno));
    for (uint64_t done = 0; done < size;) {
        size_t n = size - done < IO_BUF ? (size_t)(size - done) : IO_BUF;
        for (size_t i = 0; i < n; i += 8) {
            uint64_t x = xorshift(&st);
            for (size_t k = 0; k < 8 && i + k < n; k++, x >>= 8) {
                unsigned v = (unsigned)(x & 0xff);
                buf[i + k] = v < 3    ? '\n'
                             : v < 40 ? ' '
                                      : (unsigned char)('a' + v % 26);
            }
        }
        for (size_t i = 0; i + NEEDLE_EVERY <= n; i += NEEDLE_EVERY)
            memcpy(buf + i + xorshift(&st) % (NEEDLE_EVERY - NEEDLE_LEN),
                   NEEDLE, NEEDLE_LEN);
        for (size_t w = 0; w < n;) {
            size_t step = n - w < chunk ? n - w : chunk;
            ssize_t r = write(fd, buf + w, step);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                die("%s: write: %s", path, strerror(errno));
            w += (size_t)r;
        }
        done += n;
    }
    /* On disk before timing: background write-back of a fresh file would
     * otherwise compete with the runs, and the first fdatasync of the write
     * workload would pay for the whole file. */
    if (fdatasync(fd) != 0 || close(fd) != 0)
        die("%s: %s", path, strerror(errno));
    free(buf);
}

/* Drop the file from the page cache and read it back with read(): the
 * page cache then holds what readahead builds (large folios, up to 2 MiB,
 * which Linux maps with one page-table entry each), as for a file that was
 * read from disk rather than just written.  The file is clean (generate()
 * synced it), so the kernel can drop every page. */
static void reread(const char *path)
{
    unsigned char *buf = xalloc(4096, IO_BUF);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        die("%s: %s", path, strerror(errno));
    int err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (err != 0)
        die("%s: posix_fadvise: %s", path, strerror(err));
    ssize_t r;
    while ((r = read(fd, buf, IO_BUF)) > 0 || (r < 0 && errno == EINTR))
        ;
    if (r < 0)
        die("%s: read: %s", path, strerror(errno));
    close(fd);
    free(buf);
}

/* --- the context of one file size ---------------------------------------- */

typedef struct ctx {
    const char *path;
    uint64_t size;
    unsigned passes;    /* whole-file passes per bulk run (small files: many) */
    int fd;             /* O_RDONLY, for the baselines */
    int fd_rw;          /* O_RDWR, for the write baseline */
    unsigned char *mem; /* an in-memory copy of the file: the limit */
    unsigned char *buf; /* PREFIX + IO_BUF, page-aligned read area */
    mmf_map *hot;       /* read map, opened once and warmed */
    mmf_map *rw;        /* write map, for the write workload */
    mmf_map *scratch;   /* closed object for the one-shot workloads */
    uint64_t *offsets;  /* NRANDOM block offsets */
    uint64_t *woffsets; /* NWRITE byte offsets */
    uint64_t seek_limit;
    /* one-shot variant under test: open flags and an advice (or -1) */
    int once_flags, once_advice;
    const char *mmf_prog, *readfind_prog; /* whole-process comparison */
} ctx;

typedef uint64_t (*work_fn)(ctx *c);

/* --- baselines: read() loops into the page-aligned area ------------------ */

/* Each calls fn on every buffer of one pass; fn sees the bytes of the
 * previous buffer kept before `area` (carry) for straddling needles. */
static uint64_t read_scan_absent(ctx *c)
{
    uint64_t hits = 0;
    for (unsigned pass = 0; pass < c->passes; pass++) {
        if (lseek(c->fd, 0, SEEK_SET) < 0)
            die_sys("lseek");
        for (;;) {
            ssize_t r = read(c->fd, c->buf + PREFIX, IO_BUF);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                die_sys("read");
            if (r == 0)
                break;
            hits += memchr(c->buf + PREFIX, ABSENT, (size_t)r) != NULL;
        }
    }
    return hits;
}

static uint64_t count_lines(const unsigned char *p, size_t n)
{
    const unsigned char *end = p + n;
    uint64_t k = 0;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        k++;
        p++;
    }
    return k;
}

static uint64_t read_count(ctx *c)
{
    uint64_t k = 0;
    for (unsigned pass = 0; pass < c->passes; pass++) {
        if (lseek(c->fd, 0, SEEK_SET) < 0)
            die_sys("lseek");
        for (;;) {
            ssize_t r = read(c->fd, c->buf + PREFIX, IO_BUF);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                die_sys("read");
            if (r == 0)
                break;
            k += count_lines(c->buf + PREFIX, (size_t)r);
        }
    }
    return k;
}

/* Matches in [p, end) from base offset `at`; returns where the search
 * stopped (just past the last match, or p). */
static const unsigned char *find_all(const unsigned char *p,
                                     const unsigned char *end, uint64_t at,
                                     uint64_t *n, uint64_t *possum)
{
    const unsigned char *start = p, *q;
    while ((size_t)(end - p) >= NEEDLE_LEN &&
           (q = memmem(p, (size_t)(end - p), NEEDLE, NEEDLE_LEN)) != NULL) {
        ++*n;
        *possum += at + (uint64_t)(q - start);
        p = q + NEEDLE_LEN;
    }
    return p;
}

static uint64_t find_check(uint64_t n, uint64_t possum)
{
    return n * 0x100000001b3u ^ possum;
}

/* One pass of read()+memmem over an open descriptor (the same loop as
 * bench_readfind.c). */
static uint64_t read_find_fd(ctx *c, int fd)
{
    unsigned char *area = c->buf + PREFIX;
    uint64_t n = 0, possum = 0, base = 0; /* file offset of `area` */
    size_t carry = 0;
    if (lseek(fd, 0, SEEK_SET) < 0)
        die_sys("lseek");
    for (;;) {
        ssize_t r = read(fd, area, IO_BUF);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die_sys("read");
        if (r == 0)
            break;
        const unsigned char *end = area + r;
        const unsigned char *p =
            find_all(area - carry, end, base - carry, &n, &possum);
        size_t keep = NEEDLE_LEN - 1;
        if ((size_t)(end - p) < keep)
            keep = (size_t)(end - p);
        memmove(area - keep, end - keep, keep);
        carry = keep;
        base += (uint64_t)r;
    }
    return find_check(n, possum);
}

static uint64_t read_find(ctx *c)
{
    uint64_t k = 0;
    for (unsigned pass = 0; pass < c->passes; pass++)
        k += read_find_fd(c, c->fd);
    return k;
}

static uint64_t read_seq(ctx *c)
{
    uint64_t s = 0;
    for (unsigned pass = 0; pass < c->passes; pass++) {
        if (lseek(c->fd, 0, SEEK_SET) < 0)
            die_sys("lseek");
        for (;;) {
            ssize_t r = read(c->fd, c->buf + PREFIX, IO_BUF);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                die_sys("read");
            if (r == 0)
                break;
            s += sum_lines(c->buf + PREFIX, (size_t)r);
        }
    }
    return s;
}

/* The one-shot baselines open and close the file every pass, as the
 * one-shot mmapfile side does. */
static uint64_t once_read_find(ctx *c)
{
    uint64_t k = 0;
    for (unsigned pass = 0; pass < c->passes; pass++) {
        int fd = open(c->path, O_RDONLY);
        if (fd < 0)
            die_sys("open");
        k += read_find_fd(c, fd);
        close(fd);
    }
    return k;
}

static uint64_t once_read_count(ctx *c)
{
    uint64_t k = 0;
    for (unsigned pass = 0; pass < c->passes; pass++) {
        int fd = open(c->path, O_RDONLY);
        if (fd < 0)
            die_sys("open");
        for (;;) {
            ssize_t r = read(fd, c->buf + PREFIX, IO_BUF);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                die_sys("read");
            if (r == 0)
                break;
            k += count_lines(c->buf + PREFIX, (size_t)r);
        }
        close(fd);
    }
    return k;
}

static uint64_t once_read_seq(ctx *c)
{
    uint64_t s = 0;
    for (unsigned pass = 0; pass < c->passes; pass++) {
        int fd = open(c->path, O_RDONLY);
        if (fd < 0)
            die_sys("open");
        for (;;) {
            ssize_t r = read(fd, c->buf + PREFIX, IO_BUF);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                die_sys("read");
            if (r == 0)
                break;
            s += sum_lines(c->buf + PREFIX, (size_t)r);
        }
        close(fd);
    }
    return s;
}

/* --- the strategy we measured and did not build -----------------------------
 * What a pread path inside the library would do for a one-shot find: read
 * 1 MiB at a time into a reusable page-aligned buffer and run the library's
 * own search kernel on it, keeping NEEDLE_LEN-1 bytes for a straddling
 * match.  It is here so that anyone can check the decision in
 * docs/performance.md on their own kernel and file system. */
static uint64_t pread_path_find(ctx *c)
{
    unsigned char *area = c->buf + PREFIX;
    uint64_t k = 0;
    for (unsigned pass = 0; pass < c->passes; pass++) {
        int fd = open(c->path, O_RDONLY);
        if (fd < 0)
            die_sys("open");
        uint64_t n = 0, possum = 0;
        size_t carry = 0;
        for (uint64_t off = 0; off < c->size;) {
            size_t step =
                c->size - off < IO_BUF ? (size_t)(c->size - off) : IO_BUF;
            pread_full(fd, area, step, off);
            const char *p = (const char *)area - carry;
            const char *end = (const char *)area + step;
            const char *q;
            while ((size_t)(end - p) >= NEEDLE_LEN &&
                   (q = mmf__memmem(p, (size_t)(end - p), NEEDLE,
                                    NEEDLE_LEN)) != NULL) {
                n++;
                possum +=
                    off - carry + (uint64_t)(q - ((const char *)area - carry));
                p = q + NEEDLE_LEN;
            }
            size_t keep = NEEDLE_LEN - 1;
            if ((size_t)(end - p) < keep)
                keep = (size_t)(end - p);
            memmove(area - keep, end - keep, keep);
            carry = keep;
            off += step;
        }
        close(fd);
        k += find_check(n, possum);
    }
    return k;
}

/* --- limits: the same libc loops over the in-memory copy --------------------
 * memchr and memmem are pure functions: called with the same arguments in
 * every pass, the compiler would call them once.  opaque() hides that the
 * pointer does not change. */
static const unsigned char *opaque(const unsigned char *p)
{
#if defined(__GNUC__)
    __asm__ volatile("" : "+r"(p));
#endif
    return p;
}

static uint64_t mem_scan_absent(ctx *c)
{
    uint64_t hits = 0;
    for (unsigned pass = 0; pass < c->passes; pass++)
        hits += memchr(opaque(c->mem), ABSENT, (size_t)c->size) != NULL;
    return hits;
}

static uint64_t mem_count(ctx *c)
{
    uint64_t k = 0;
    for (unsigned pass = 0; pass < c->passes; pass++)
        k += count_lines(opaque(c->mem), (size_t)c->size);
    return k;
}

static uint64_t mem_find(ctx *c)
{
    uint64_t k = 0;
    for (unsigned pass = 0; pass < c->passes; pass++) {
        uint64_t n = 0, possum = 0;
        const unsigned char *mem = opaque(c->mem);
        find_all(mem, mem + c->size, 0, &n, &possum);
        k += find_check(n, possum);
    }
    return k;
}

static uint64_t mem_seq(ctx *c)
{
    uint64_t s = 0;
    for (unsigned pass = 0; pass < c->passes; pass++)
        for (uint64_t off = 0; off < c->size; off += IO_BUF) {
            size_t n =
                c->size - off < IO_BUF ? (size_t)(c->size - off) : IO_BUF;
            memcpy(c->buf + PREFIX, opaque(c->mem) + off, n);
            s += sum_lines(c->buf + PREFIX, n);
        }
    return s;
}

/* --- mmapfile sides ------------------------------------------------------ */

static uint64_t map_scan_absent(mmf_map *m)
{
    static const char absent = ABSENT;
    uint64_t pos;
    int rc = mmf_find(m, &absent, 1, 0, MMF_END, &pos);
    if (rc != 0)
        die_map(m, rc, "mmf_find");
    return pos != MMF_NOT_FOUND;
}

static uint64_t map_count(mmf_map *m)
{
    uint64_t k;
    int rc = mmf_count(m, "\n", 1, 0, MMF_END, &k);
    if (rc != 0)
        die_map(m, rc, "mmf_count");
    return k;
}

static uint64_t map_find(mmf_map *m)
{
    uint64_t n = 0, possum = 0, pos = 0, hit;
    for (;;) {
        int rc = mmf_find(m, NEEDLE, NEEDLE_LEN, pos, MMF_END, &hit);
        if (rc != 0)
            die_map(m, rc, "mmf_find");
        if (hit == MMF_NOT_FOUND)
            break;
        n++;
        possum += hit;
        pos = hit + NEEDLE_LEN;
    }
    return find_check(n, possum);
}

/* Sequential copy out through the cursor, 1 MiB per call: mmf_read is to
 * the map what read() is to the descriptor. */
static uint64_t map_seq(ctx *c, mmf_map *m)
{
    uint64_t s = 0;
    size_t got;
    int rc = mmf_seek(m, 0, MMF_SEEK_SET, NULL);
    while (rc == 0 && (rc = mmf_read(m, c->buf + PREFIX, IO_BUF, &got)) == 0 &&
           got > 0)
        s += sum_lines(c->buf + PREFIX, got);
    if (rc != 0)
        die_map(m, rc, "mmf_read");
    return s;
}

#define HOT_PASSES(expr)                                                       \
    do {                                                                       \
        uint64_t k_ = 0;                                                       \
        for (unsigned pass_ = 0; pass_ < c->passes; pass_++)                   \
            k_ += (expr);                                                      \
        return k_;                                                             \
    } while (0)

static uint64_t hot_scan(ctx *c)
{
    HOT_PASSES(map_scan_absent(c->hot));
}

static uint64_t hot_count(ctx *c)
{
    HOT_PASSES(map_count(c->hot));
}

static uint64_t hot_find(ctx *c)
{
    HOT_PASSES(map_find(c->hot));
}

static uint64_t hot_seq(ctx *c)
{
    HOT_PASSES(map_seq(c, c->hot));
}

/* A prefault before each scan of a map that is populated already: what
 * "MADV_POPULATE_READ ahead of the cursor" would cost a repeated scan. */
static uint64_t hot_populate_find(ctx *c)
{
    uint64_t k = 0;
    for (unsigned pass = 0; pass < c->passes; pass++) {
        int rc = mmf_advise(c->hot, 0, 0, MMF_ADVICE_POPULATE);
        if (rc != 0)
            die_map(c->hot, rc, "mmf_advise");
        k += map_find(c->hot);
    }
    return k;
}

/* Open the scratch object as the one-shot variant says (flags, advice). */
static mmf_map *open_once(ctx *c)
{
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_READ;
    o.flags = c->once_flags;
    int rc = mmf_open_path(c->scratch, c->path, &o);
    if (rc != 0)
        die_map(c->scratch, rc, "mmf_open_path");
    if (c->once_advice >= 0 &&
        (rc = mmf_advise(c->scratch, 0, 0, c->once_advice)) != 0)
        die_map(c->scratch, rc, "mmf_advise");
    return c->scratch;
}

#define ONCE_PASSES(expr)                                                      \
    do {                                                                       \
        uint64_t k_ = 0;                                                       \
        for (unsigned pass_ = 0; pass_ < c->passes; pass_++) {                 \
            mmf_map *m = open_once(c);                                         \
            k_ += (expr);                                                      \
            mmf_close(m);                                                      \
        }                                                                      \
        return k_;                                                             \
    } while (0)

static uint64_t once_count(ctx *c)
{
    ONCE_PASSES(map_count(m));
}

static uint64_t once_find(ctx *c)
{
    ONCE_PASSES(map_find(m));
}

static uint64_t once_seq(ctx *c)
{
    ONCE_PASSES(map_seq(c, m));
}

/* --- random reads and writes --------------------------------------------- */

static uint64_t pread_random(ctx *c)
{
    uint64_t s = 0;
    for (size_t i = 0; i < NRANDOM; i++) {
        if (pread(c->fd, c->buf, BLOCK, (off_t)c->offsets[i]) != BLOCK)
            die_sys("pread");
        s += sum_block(c->buf, BLOCK);
    }
    return s;
}

static uint64_t map_random(ctx *c)
{
    uint64_t s = 0;
    for (size_t i = 0; i < NRANDOM; i++) {
        int rc = mmf_copy_out(c->hot, c->offsets[i], c->buf, BLOCK);
        if (rc != 0)
            die_map(c->hot, rc, "mmf_copy_out");
        s += sum_block(c->buf, BLOCK);
    }
    return s;
}

/* Zero-copy: the block is summed where it lies in the map (mmf_view
 * memory is not guarded, as mmf_pointer memory is not). */
static uint64_t map_random_view(ctx *c)
{
    uint64_t s = 0;
    for (size_t i = 0; i < NRANDOM; i++) {
        void *p;
        int rc = mmf_view(c->hot, c->offsets[i], BLOCK, &p);
        if (rc != 0)
            die_map(c->hot, rc, "mmf_view");
        s += sum_block(p, BLOCK);
    }
    return s;
}

/* The writes put back the bytes that are there (from the in-memory copy),
 * so the file never changes, yet every written page is dirtied and must
 * reach the disk before the flush returns. */
static uint64_t pwrite_random(ctx *c)
{
    for (size_t i = 0; i < NWRITE; i++) {
        uint64_t off = c->woffsets[i];
        if (pwrite(c->fd_rw, c->mem + off, WRITE_LEN, (off_t)off) != WRITE_LEN)
            die_sys("pwrite");
    }
    if (fdatasync(c->fd_rw) != 0)
        die_sys("fdatasync");
    return 0;
}

static uint64_t map_write_random(ctx *c)
{
    int rc;
    for (size_t i = 0; i < NWRITE; i++) {
        uint64_t off = c->woffsets[i];
        if ((rc = mmf_copy_in(c->rw, off, c->mem + off, WRITE_LEN)) != 0)
            die_map(c->rw, rc, "mmf_copy_in");
    }
    if ((rc = mmf_flush(c->rw, 0, 0, MMF_FLUSH_SYNC)) != 0)
        die_map(c->rw, rc, "mmf_flush");
    return 0;
}

/* --- the seed's seek loop ---------------------------------------------------
 * seek +64, process 32 bytes, seek -32, process 32 bytes, until the
 * position passes 10 MiB (or the end of a smaller file). */
static uint64_t seek_plain(ctx *c)
{
    unsigned char b[32];
    uint64_t acc = 0;
    off_t pos = lseek(c->fd, 0, SEEK_SET);
    while (pos >= 0 && (uint64_t)pos <= c->seek_limit) {
        if (lseek(c->fd, 64, SEEK_CUR) < 0 || read(c->fd, b, 32) != 32)
            die_sys("lseek/read");
        acc = mix32(acc, b);
        if ((pos = lseek(c->fd, -32, SEEK_CUR)) < 0 || read(c->fd, b, 32) != 32)
            die_sys("lseek/read");
        acc = mix32(acc, b);
        pos += 32;
    }
    return acc;
}

static uint64_t seek_map(ctx *c)
{
    unsigned char b[32];
    uint64_t acc = 0, pos;
    size_t n1, n2;
    mmf_map *m = c->hot;
    int rc = mmf_seek(m, 0, MMF_SEEK_SET, &pos);
    while (rc == 0 && pos <= c->seek_limit) {
        if ((rc = mmf_seek(m, 64, MMF_SEEK_CUR, NULL)) != 0 ||
            (rc = mmf_read(m, b, 32, &n1)) != 0)
            break;
        acc = mix32(acc, b);
        if ((rc = mmf_seek(m, -32, MMF_SEEK_CUR, NULL)) != 0 ||
            (rc = mmf_read(m, b, 32, &n2)) != 0)
            break;
        if (n1 != 32 || n2 != 32)
            die("seek loop: short mmf_read");
        acc = mix32(acc, b);
        pos = mmf_tell(m);
    }
    if (rc != 0)
        die_map(m, rc, "seek loop");
    return acc;
}

/* The same walk on the bare address: no call per step (unguarded). */
static uint64_t seek_pointer(ctx *c)
{
    void *base;
    uint64_t len, acc = 0, pos = 0;
    int rc = mmf_pointer(c->hot, &base, &len);
    if (rc != 0)
        die_map(c->hot, rc, "mmf_pointer");
    const unsigned char *p = base;
    while (pos <= c->seek_limit) {
        acc = mix32(acc, p + pos + 64);
        acc = mix32(acc, p + pos + 64);
        pos += SEEK_STEP;
    }
    return acc;
}

/* --- open + map + close -------------------------------------------------- */

static uint64_t open_plain(ctx *c)
{
    uint64_t s = 0;
    for (int i = 0; i < NOPEN; i++) {
        int fd = open(c->path, O_RDONLY);
        if (fd < 0)
            die_sys("open");
        pread_full(fd, c->buf, BLOCK, 0);
        close(fd);
        s += sum_block(c->buf, BLOCK);
    }
    return s;
}

static uint64_t open_map(ctx *c)
{
    mmf_options o = MMF_OPTIONS_INIT;
    uint64_t s = 0;
    int rc;
    o.access = MMF_ACCESS_READ;
    for (int i = 0; i < NOPEN; i++) {
        if ((rc = mmf_open_path(c->scratch, c->path, &o)) != 0 ||
            (rc = mmf_copy_out(c->scratch, 0, c->buf, BLOCK)) != 0 ||
            (rc = mmf_close(c->scratch)) != 0)
            die_map(c->scratch, rc, "open+map+close");
        s += sum_block(c->buf, BLOCK);
    }
    return s;
}

/* --- whole processes: `mmf find -c` against bench_readfind --------------- */

/* Run argv with stdout into a pipe; returns the count it printed after
 * "FILE:". */
static uint64_t run_counting(const char *const argv[])
{
    int p[2];
    if (pipe(p) != 0)
        die_sys("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    pid_t pid;
    int err =
        posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (err != 0)
        die("%s: %s", argv[0], strerror(err));
    char out[4096];
    size_t got = 0;
    ssize_t r;
    while ((r = read(p[0], out + got, sizeof out - 1 - got)) > 0)
        got += (size_t)r;
    close(p[0]);
    out[got] = '\0';
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) > 1)
        die("%s exited abnormally", argv[0]);
    const char *colon = strrchr(out, ':');
    if (colon == NULL)
        die("%s printed no FILE:COUNT", argv[0]);
    return strtoull(colon + 1, NULL, 10);
}

static uint64_t proc_readfind(ctx *c)
{
    const char *argv[] = {c->readfind_prog, NEEDLE, c->path, NULL};
    uint64_t k = 0;
    for (unsigned pass = 0; pass < c->passes; pass++)
        k += run_counting(argv);
    return k;
}

static uint64_t proc_mmf(ctx *c)
{
    const char *argv[] = {c->mmf_prog, "find", "-c", NEEDLE, c->path, NULL};
    uint64_t k = 0;
    for (unsigned pass = 0; pass < c->passes; pass++)
        k += run_counting(argv);
    return k;
}

/* --- the workloads ------------------------------------------------------- */

typedef struct workload {
    const char *key;                         /* JSON name, --only */
    const char *label;                       /* table row and plot label */
    const char *baseline, *mmapfile, *limit; /* what each side does */
    work_fn base, mmf, lim;
    int once_flags, once_advice; /* one-shot variant (strategy rows) */
    int bulk;                    /* whole-file passes: report GB/s */
    int compare;                 /* both sides must give the same check value */
} workload;

#define NO_ADVICE (-1)

static const workload workloads[] = {
    {"scan_hot", "scan (hot map)", "read+memchr", "mmf_find of an absent byte",
     "memchr in memory", read_scan_absent, hot_scan, mem_scan_absent, 0,
     NO_ADVICE, 1, 1},
    {"count_hot", "count lines (hot map)", "read+memchr loop",
     "mmf_count \"\\n\"", "memchr loop in memory", read_count, hot_count,
     mem_count, 0, NO_ADVICE, 1, 1},
    {"find_hot", "find all (hot map)", "read+memmem", "mmf_find loop",
     "memmem in memory", read_find, hot_find, mem_find, 0, NO_ADVICE, 1, 1},
    {"find_hot_populate", "find (hot map) + ADVICE_POPULATE", "read+memmem",
     "advise(POPULATE)+mmf_find loop", NULL, read_find, hot_populate_find, NULL,
     0, NO_ADVICE, 1, 1},
    {"read_hot", "copy out 1 MiB (hot map)", "read 1 MiB", "mmf_read 1 MiB",
     "memcpy in memory", read_seq, hot_seq, mem_seq, 0, NO_ADVICE, 1, 1},
    {"count_once", "count lines (one-shot)", "open+read+memchr+close",
     "open+mmf_count+close", NULL, once_read_count, once_count, NULL, 0,
     NO_ADVICE, 1, 1},
    {"find_once", "find all (one-shot)", "open+read+memmem+close",
     "open+mmf_find loop+close", NULL, once_read_find, once_find, NULL, 0,
     NO_ADVICE, 1, 1},
    {"read_once", "copy out 1 MiB (one-shot)", "open+read+close",
     "open+mmf_read+close", NULL, once_read_seq, once_seq, NULL, 0, NO_ADVICE,
     1, 1},
    {"find_once_populate", "find one-shot, MMF_POPULATE",
     "open+read+memmem+close", "open(MMF_POPULATE)+find", NULL, once_read_find,
     once_find, NULL, MMF_POPULATE, NO_ADVICE, 1, 1},
    {"find_once_sequential", "find one-shot, ADVICE_SEQUENTIAL",
     "open+read+memmem+close", "open+advise(SEQUENTIAL)+find", NULL,
     once_read_find, once_find, NULL, 0, MMF_ADVICE_SEQUENTIAL, 1, 1},
    {"find_once_willneed", "find one-shot, ADVICE_WILLNEED",
     "open+read+memmem+close", "open+advise(WILLNEED)+find", NULL,
     once_read_find, once_find, NULL, 0, MMF_ADVICE_WILLNEED, 1, 1},
    {"find_once_hugepage", "find one-shot, ADVICE_HUGEPAGE",
     "open+read+memmem+close", "open+advise(HUGEPAGE)+find", NULL,
     once_read_find, once_find, NULL, 0, MMF_ADVICE_HUGEPAGE, 1, 1},
    {"find_once_advpopulate", "find one-shot, ADVICE_POPULATE",
     "open+read+memmem+close", "open+advise(POPULATE)+find", NULL,
     once_read_find, once_find, NULL, 0, MMF_ADVICE_POPULATE, 1, 1},
    {"find_once_windowed", "find one-shot, MMF_WINDOWED",
     "open+read+memmem+close", "open(MMF_WINDOWED, 64 MiB)+find", NULL,
     once_read_find, once_find, NULL, MMF_WINDOWED, NO_ADVICE, 1, 1},
    {"find_once_pread", "find one-shot, pread path (not used)",
     "open+read+memmem+close", "pread 1 MiB + mmf__memmem", NULL,
     once_read_find, pread_path_find, NULL, 0, NO_ADVICE, 1, 1},
    {"find_c_process", "mmf find -c (process)", "bench_readfind (process)",
     "mmf find -c", NULL, proc_readfind, proc_mmf, NULL, 0, NO_ADVICE, 1, 1},
    {"random_read", "random 4 KiB reads", "pread", "mmf_copy_out (hot map)",
     NULL, pread_random, map_random, NULL, 0, NO_ADVICE, 0, 1},
    {"random_view", "random 4 KiB reads, zero-copy", "pread",
     "mmf_view (hot map)", NULL, pread_random, map_random_view, NULL, 0,
     NO_ADVICE, 0, 1},
    {"random_write", "256 x 64 B writes + flush", "pwrite+fdatasync",
     "mmf_copy_in+mmf_flush(SYNC)", NULL, pwrite_random, map_write_random, NULL,
     0, NO_ADVICE, 0, 0},
    {"seek_loop", "seed's seek loop", "lseek+read", "mmf_seek+mmf_read", NULL,
     seek_plain, seek_map, NULL, 0, NO_ADVICE, 0, 1},
    {"seek_loop_pointer", "seed's seek loop (pointer)", "lseek+read",
     "mmf_pointer", NULL, seek_plain, seek_pointer, NULL, 0, NO_ADVICE, 0, 1},
    {"open_close", "open+map+close", "open+pread 4K+close",
     "mmf_open_path+copy_out 4K+mmf_close", NULL, open_plain, open_map, NULL, 0,
     NO_ADVICE, 0, 1},
};
#define NWORKLOADS (sizeof workloads / sizeof workloads[0])

typedef struct result {
    const workload *w;
    uint64_t size;
    unsigned passes;
    double base_s, mmf_s, lim_s; /* medians; lim_s < 0: no limit */
    double base_disk, mmf_disk;  /* MiB written to the device; < 0: none */
    int skipped;
} result;

/* Bytes written to the block device under c->path so far, from
 * /sys/dev/block/MAJ:MIN/stat (field 7 counts 512-byte sectors), or -1 when
 * there is none (tmpfs).  It counts every process's writes: on a shared
 * machine read it as an upper bound. */
static double disk_mib_written(const ctx *c)
{
    struct stat st;
    char path[64];
    unsigned long long f[7];
    if (stat(c->path, &st) != 0)
        return -1;
    snprintf(path, sizeof path, "/sys/dev/block/%u:%u/stat", major(st.st_dev),
             minor(st.st_dev));
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return -1;
    int got = fscanf(fp, "%llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1],
                     &f[2], &f[3], &f[4], &f[5], &f[6]);
    fclose(fp);
    return got == 7 ? (double)f[6] * 512.0 / (double)MIB : -1;
}

/* Alternating runs of one workload. */
static void run_workload(ctx *c, const workload *w, unsigned runs, result *out)
{
    double tb[MAX_RUNS], tm[MAX_RUNS], tl[MAX_RUNS];
    double db[MAX_RUNS], dm[MAX_RUNS];
    /* The write workload is about what reaches the disk, so it also says
     * how much did: a store through a map dirties a whole folio. */
    int disk = w->base == pwrite_random && disk_mib_written(c) >= 0;
    c->once_flags = w->once_flags;
    c->once_advice = w->once_advice;
    for (unsigned r = 0; r < runs; r++) {
        double d0 = disk ? disk_mib_written(c) : 0;
        double t0 = bench_now();
        uint64_t cb = w->base(c);
        double t1 = bench_now();
        double d1 = disk ? disk_mib_written(c) : 0;
        double t1b = bench_now();
        uint64_t cm = w->mmf(c);
        double t2 = bench_now();
        double d2 = disk ? disk_mib_written(c) : 0;
        tb[r] = t1 - t0;
        tm[r] = t2 - t1b;
        db[r] = d1 - d0;
        dm[r] = d2 - d1;
        if (w->compare && cb != cm)
            die("%s, %" PRIu64 " bytes: %s gave %016" PRIx64 ", %s %016" PRIx64,
                w->key, c->size, w->baseline, cb, w->mmapfile, cm);
        if (w->lim != NULL) {
            double t3 = bench_now();
            uint64_t cl = w->lim(c);
            tl[r] = bench_now() - t3;
            if (w->compare && cl != cb)
                die("%s: the in-memory limit disagrees", w->key);
        }
    }
    out->w = w;
    out->size = c->size;
    out->passes = w->bulk ? c->passes : 1;
    out->base_s = bench_median(tb, runs);
    out->mmf_s = bench_median(tm, runs);
    out->lim_s = w->lim != NULL ? bench_median(tl, runs) : -1.0;
    out->base_disk = disk ? bench_median(db, runs) : -1.0;
    out->mmf_disk = disk ? bench_median(dm, runs) : -1.0;
    out->skipped = 0;
}

/* --- setting up one size ------------------------------------------------- */

static void ctx_open(ctx *c, const char *path, uint64_t size)
{
    uint64_t st = 0x2545f4914f6cdd1du;
    mmf_options o = MMF_OPTIONS_INIT;
    int rc;
    c->path = path;
    c->size = size;
    c->passes =
        size >= MIN_BYTES_PER_RUN ? 1 : (unsigned)(MIN_BYTES_PER_RUN / size);
    if ((c->fd = open(path, O_RDONLY)) < 0 ||
        (c->fd_rw = open(path, O_RDWR)) < 0)
        die("%s: %s", path, strerror(errno));
    c->buf = xalloc(4096, PREFIX + IO_BUF);
    memset(c->buf, 0, PREFIX + IO_BUF);
    c->mem = malloc((size_t)size);
    if (c->mem == NULL)
        die("no memory for an in-memory copy of %" PRIu64 " bytes", size);
    pread_full(c->fd, c->mem, (size_t)size, 0);
    o.access = MMF_ACCESS_READ;
    if ((rc = mmf_new(&c->hot)) != 0 || (rc = mmf_new(&c->rw)) != 0 ||
        (rc = mmf_new(&c->scratch)) != 0)
        die("mmf_new: %s", mmf_strerror(rc));
    if ((rc = mmf_open_path(c->hot, path, &o)) != 0)
        die_map(c->hot, rc, "mmf_open_path");
    o.access = MMF_ACCESS_WRITE;
    if ((rc = mmf_open_path(c->rw, path, &o)) != 0)
        die_map(c->rw, rc, "mmf_open_path (write)");
    /* Warm the hot map: every page in its page tables, as after a first
     * scan.  (The baselines' warm-up is the file being in the page cache,
     * which the generation and the in-memory copy already did.) */
    map_scan_absent(c->hot);
    uint64_t resident, total;
    if ((rc = mmf_residency(c->hot, 0, 0, &resident, &total)) != 0)
        die_map(c->hot, rc, "mmf_residency");
    if (resident < total)
        fprintf(stderr,
                "bench_io: warning: only %" PRIu64 " of %" PRIu64
                " pages in the page cache; the figures include the disk\n",
                resident, total);
    c->offsets = malloc(NRANDOM * sizeof *c->offsets);
    c->woffsets = malloc(NWRITE * sizeof *c->woffsets);
    if (c->offsets == NULL || c->woffsets == NULL)
        die("out of memory");
    for (size_t i = 0; i < NRANDOM; i++)
        c->offsets[i] = xorshift(&st) % (size / BLOCK) * BLOCK;
    for (size_t i = 0; i < NWRITE; i++)
        c->woffsets[i] = xorshift(&st) % (size - WRITE_LEN);
    c->seek_limit =
        size - SEEK_STEP < SEEK_LIMIT ? size - SEEK_STEP : SEEK_LIMIT;
}

static void ctx_close(ctx *c)
{
    mmf_free(c->hot);
    mmf_free(c->rw);
    mmf_free(c->scratch);
    close(c->fd);
    close(c->fd_rw);
    free(c->mem);
    free(c->buf);
    free(c->offsets);
    free(c->woffsets);
}

/* --- output -------------------------------------------------------------- */

static void size_name(uint64_t size, char *buf, size_t cap)
{
    if (size % GIB == 0)
        snprintf(buf, cap, "%" PRIu64 " GiB", size / GIB);
    else if (size % MIB == 0)
        snprintf(buf, cap, "%" PRIu64 " MiB", size / MIB);
    else if (size % KIB == 0)
        snprintf(buf, cap, "%" PRIu64 " KiB", size / KIB);
    else
        snprintf(buf, cap, "%" PRIu64 " B", size);
}

static double ratio(double base, double mmf)
{
    return base / (mmf > 1e-9 ? mmf : 1e-9);
}

static double gbps(const result *r, double t)
{
    return (double)r->size * r->passes / (t > 1e-9 ? t : 1e-9) / 1e9;
}

static void print_table(const result *res, size_t n, unsigned runs)
{
    printf("median of %u alternating runs; ratio = baseline time / mmapfile "
           "time (above 1: mmapfile is faster);\nGB/s for whole-file "
           "passes; limit = the same libc loop over an in-memory copy\n",
           runs);
    uint64_t last = 0;
    for (size_t i = 0; i < n; i++) {
        const result *r = &res[i];
        char sz[32], tb[32], tm[32], tl[32] = "";
        if (r->size != last) {
            size_name(r->size, sz, sizeof sz);
            printf("\n%s (whole-file passes per run: %u)\n", sz,
                   r->size >= MIN_BYTES_PER_RUN
                       ? 1
                       : (unsigned)(MIN_BYTES_PER_RUN / r->size));
            printf("%-38s %-24s %10s %10s %7s %9s %9s\n", "workload",
                   "baseline", "base ms", "mmf ms", "ratio", "mmf GB/s",
                   "limit ms");
            last = r->size;
        }
        snprintf(tb, sizeof tb, "%.3f", r->base_s * 1e3);
        snprintf(tm, sizeof tm, "%.3f", r->mmf_s * 1e3);
        if (r->lim_s >= 0)
            snprintf(tl, sizeof tl, "%.3f", r->lim_s * 1e3);
        char gb[16] = "";
        if (r->w->bulk)
            snprintf(gb, sizeof gb, "%.2f", gbps(r, r->mmf_s));
        printf("%-38s %-24s %10s %10s %6.2fx %9s %9s\n", r->w->label,
               r->w->baseline, tb, tm, ratio(r->base_s, r->mmf_s), gb, tl);
        if (r->base_disk >= 0)
            printf("%-38s %-24s %7.1f MiB %6.1f MiB written to the disk "
                   "per run (device-wide)\n",
                   "", "", r->base_disk, r->mmf_disk);
    }
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void read_small(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    buf[0] = '\0';
    if (f == NULL)
        return;
    if (fgets(buf, (int)cap, f) == NULL)
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

static void print_json(FILE *f, const result *res, size_t n, unsigned runs,
                       size_t chunk, int reread_cache, const char *dir,
                       const double load[2][3])
{
    struct utsname u;
    char thp[128];
    if (uname(&u) != 0)
        memset(&u, 0, sizeof u);
    read_small("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof thp);
    fprintf(f, "{\n  \"benchmark\": \"bench_io\",\n  \"version\": ");
    json_str(f, MMF_VERSION_STRING);
    fprintf(f, ",\n  \"kernel\": ");
    json_str(f, u.release);
    fprintf(f,
            ",\n  \"cpus\": %ld,\n  \"thp\": ", sysconf(_SC_NPROCESSORS_ONLN));
    json_str(f, thp);
    fprintf(f,
            ",\n  \"loadavg_start\": [%.2f, %.2f, %.2f],\n"
            "  \"loadavg_end\": [%.2f, %.2f, %.2f],\n",
            load[0][0], load[0][1], load[0][2], load[1][0], load[1][1],
            load[1][2]);
    fprintf(f,
            "  \"runs\": %u,\n  \"write_chunk\": %zu,\n  \"reread\": %s,\n"
            "  \"dir\": ",
            runs, chunk, reread_cache ? "true" : "false");
    json_str(f, dir);
    fprintf(f, ",\n  \"results\": [");
    for (size_t i = 0; i < n; i++) {
        const result *r = &res[i];
        fprintf(f,
                "%s\n    {\"size\": %" PRIu64 ", \"workload\": ", i ? "," : "",
                r->size);
        json_str(f, r->w->key);
        fprintf(f, ", \"label\": ");
        json_str(f, r->w->label);
        fprintf(f, ", \"baseline\": ");
        json_str(f, r->w->baseline);
        fprintf(f, ", \"mmapfile\": ");
        json_str(f, r->w->mmapfile);
        fprintf(f,
                ", \"passes\": %u, \"baseline_s\": %.9f, "
                "\"mmapfile_s\": %.9f, \"ratio\": %.4f",
                r->passes, r->base_s, r->mmf_s, ratio(r->base_s, r->mmf_s));
        if (r->w->bulk)
            fprintf(f, ", \"baseline_gbps\": %.3f, \"mmapfile_gbps\": %.3f",
                    gbps(r, r->base_s), gbps(r, r->mmf_s));
        if (r->base_disk >= 0)
            fprintf(f,
                    ", \"baseline_disk_mib\": %.2f, "
                    "\"mmapfile_disk_mib\": %.2f",
                    r->base_disk, r->mmf_disk);
        if (r->lim_s >= 0) {
            fprintf(f, ", \"limit\": ");
            json_str(f, r->w->limit);
            fprintf(f, ", \"limit_s\": %.9f", r->lim_s);
        }
        fputc('}', f);
    }
    fprintf(f, "\n  ]\n}\n");
}

/* Ratios for gnuplot: one row per workload, one column per size. */
static void write_dat(const char *path, const result *res, size_t n,
                      const uint64_t *sizes, size_t nsizes)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die("%s: %s", path, strerror(errno));
    fprintf(f, "workload");
    for (size_t s = 0; s < nsizes; s++) {
        char sz[32];
        size_name(sizes[s], sz, sizeof sz);
        char *to = sz; /* "1 MiB" -> "1MiB": one word per column */
        for (const char *p = sz; *p; p++)
            if (*p != ' ')
                *to++ = *p;
        *to = '\0';
        fprintf(f, " %s", sz);
    }
    fputc('\n', f);
    for (size_t k = 0; k < NWORKLOADS; k++) {
        int any = 0;
        for (size_t i = 0; i < n; i++)
            any |= res[i].w == &workloads[k];
        if (!any)
            continue;
        fputc('"', f);
        fputs(workloads[k].label, f);
        fputc('"', f);
        for (size_t s = 0; s < nsizes; s++) {
            const result *r = NULL;
            for (size_t i = 0; i < n; i++)
                if (res[i].w == &workloads[k] && res[i].size == sizes[s])
                    r = &res[i];
            if (r != NULL)
                fprintf(f, " %.4f", ratio(r->base_s, r->mmf_s));
            else
                fprintf(f, " -");
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0)
        die("%s: %s", path, strerror(errno));
}

/* --- arguments ----------------------------------------------------------- */

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s)
        return -1;
    uint64_t mul = 1;
    switch (*end) {
    case 'K':
    case 'k':
        mul = KIB;
        end++;
        break;
    case 'M':
    case 'm':
        mul = MIB;
        end++;
        break;
    case 'G':
    case 'g':
        mul = GIB;
        end++;
        break;
    default:
        break;
    }
    if (*end != '\0' || v == 0 || v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_io [--sizes 1M,64M,1G] [--large] [--runs N] "
            "[--json] [--json-out FILE]\n"
            "                [--dat FILE] [--dir DIR] [--write-chunk SIZE] "
            "[--only KEY,...]\n"
            "                [--reread] [--keep] [--mmf PATH] [--readfind "
            "PATH]\n"
            "  --sizes LIST     file sizes (K, M, G suffixes); default "
            "1M,64M,1G\n"
            "  --large          add 4G to the sizes\n"
            "  --runs N         alternating runs per workload, median "
            "reported (default 5)\n"
            "  --json           print JSON instead of the table\n"
            "  --json-out FILE  also write the JSON to FILE\n"
            "  --dat FILE       write the ratios as a gnuplot table "
            "(bench/plot.gp)\n"
            "  --dir DIR        where to generate the files (default "
            "$TMPDIR or /tmp)\n"
            "  --write-chunk N  write() size used to generate them (default "
            "1M; 4K gives\n"
            "                   a page cache of small folios, the hard case "
            "for mapping)\n"
            "  --reread         drop each file from the page cache and read it "
            "back, so the\n"
            "                   cache holds readahead's large folios (a file "
            "read from disk)\n"
            "  --only KEYS      run only these workloads (JSON names)\n"
            "  --keep           keep the generated files\n"
            "  --mmf PATH       the mmf tool (default: ../cli/mmf next to "
            "this program)\n"
            "  --readfind PATH  bench_readfind (default: next to this "
            "program)\n");
}

static int selected(const char *only, const char *key)
{
    if (only == NULL)
        return 1;
    size_t kl = strlen(key);
    for (const char *p = only; *p;) {
        size_t l = strcspn(p, ",");
        if (l == kl && strncmp(p, key, l) == 0)
            return 1;
        p += l + (p[l] == ',');
    }
    return 0;
}

/* dir/name of this executable's directory, if that file is executable. */
static char *beside_self(const char *rel)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash == NULL)
        return NULL;
    *slash = '\0';
    size_t len = strlen(self) + strlen(rel) + 2;
    char *p = malloc(len);
    if (p == NULL)
        return NULL;
    snprintf(p, len, "%s/%s", self, rel);
    if (access(p, X_OK) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

typedef struct args {
    uint64_t sizes[MAX_SIZES];
    size_t nsizes;
    unsigned runs;
    int json, keep;
    const char *json_out, *dat, *dir, *only, *mmf, *readfind;
    size_t chunk;
    int reread;
} args;

static void parse_args(int argc, char **argv, args *a)
{
    const char *sizes = "1M,64M,1G";
    int large = 0;
    memset(a, 0, sizeof *a);
    a->runs = 5;
    a->chunk = IO_BUF;
    a->dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(o, "--large") == 0) {
            large = 1, takes = 0;
        } else if (strcmp(o, "--json") == 0) {
            a->json = 1, takes = 0;
        } else if (strcmp(o, "--keep") == 0) {
            a->keep = 1, takes = 0;
        } else if (strcmp(o, "--reread") == 0) {
            a->reread = 1, takes = 0;
        } else if (v == NULL) {
            usage(stderr);
            exit(2);
        } else if (strcmp(o, "--sizes") == 0) {
            sizes = v;
        } else if (strcmp(o, "--runs") == 0) {
            a->runs = (unsigned)strtoul(v, NULL, 10);
            if (a->runs < 1 || a->runs > MAX_RUNS)
                die("--runs %s: use 1 to %d", v, MAX_RUNS);
        } else if (strcmp(o, "--json-out") == 0) {
            a->json_out = v;
        } else if (strcmp(o, "--dat") == 0) {
            a->dat = v;
        } else if (strcmp(o, "--dir") == 0) {
            a->dir = v;
        } else if (strcmp(o, "--only") == 0) {
            a->only = v;
        } else if (strcmp(o, "--mmf") == 0) {
            a->mmf = v;
        } else if (strcmp(o, "--readfind") == 0) {
            a->readfind = v;
        } else if (strcmp(o, "--write-chunk") == 0) {
            uint64_t c;
            if (parse_size(v, &c) != 0 || c > IO_BUF)
                die("--write-chunk %s: 1 to 1M", v);
            a->chunk = (size_t)c;
        } else {
            usage(stderr);
            exit(2);
        }
        i += takes;
    }
    for (const char *p = sizes; *p;) {
        char one[32];
        size_t l = strcspn(p, ",");
        if (l >= sizeof one || a->nsizes == MAX_SIZES)
            die("--sizes %s: at most %d sizes", sizes, MAX_SIZES);
        memcpy(one, p, l);
        one[l] = '\0';
        if (parse_size(one, &a->sizes[a->nsizes]) != 0 ||
            a->sizes[a->nsizes] < 64 * KIB)
            die("--sizes: '%s' is not a size of at least 64K", one);
        if (a->sizes[a->nsizes] > SIZE_MAX / 2)
            die("--sizes: '%s' does not fit in this address space", one);
        a->nsizes++;
        p += l + (p[l] == ',');
    }
    if (large && a->nsizes < MAX_SIZES)
        a->sizes[a->nsizes++] = 4 * GIB;
}

int main(int argc, char **argv)
{
    args a;
    double load[2][3] = {{0, 0, 0}, {0, 0, 0}};
    parse_args(argc, argv, &a);
    char *mmf = a.mmf != NULL ? (char *)a.mmf : beside_self("../cli/mmf");
    char *readfind =
        a.readfind != NULL ? (char *)a.readfind : beside_self("bench_readfind");
    result *res = calloc(a.nsizes * NWORKLOADS, sizeof *res);
    cleanup_paths = calloc(a.nsizes, sizeof *cleanup_paths);
    if (res == NULL || cleanup_paths == NULL)
        die("out of memory");
    if (!a.keep)
        atexit(cleanup);
    getloadavg(load[0], 3);
    size_t nres = 0;
    for (size_t s = 0; s < a.nsizes; s++) {
        char name[4200];
        snprintf(name, sizeof name, "%s/mmf-bench-io-%" PRIu64 ".dat", a.dir,
                 a.sizes[s]);
        cleanup_paths[ncleanup++] = strdup(name);
        fprintf(stderr, "bench_io: %s: generating %" PRIu64 " bytes...\n", name,
                a.sizes[s]);
        generate(name, a.sizes[s], a.chunk);
        if (a.reread)
            reread(name);
        ctx c;
        memset(&c, 0, sizeof c);
        ctx_open(&c, name, a.sizes[s]);
        c.mmf_prog = mmf;
        c.readfind_prog = readfind;
        for (size_t k = 0; k < NWORKLOADS; k++) {
            const workload *w = &workloads[k];
            if (!selected(a.only, w->key))
                continue;
            if (w->base == proc_readfind && (mmf == NULL || readfind == NULL)) {
                fprintf(stderr,
                        "bench_io: %s skipped: mmf or bench_readfind "
                        "not found (--mmf, --readfind)\n",
                        w->key);
                continue;
            }
            fprintf(stderr, "bench_io: %s: %s\n", name, w->key);
            run_workload(&c, w, a.runs, &res[nres++]);
        }
        ctx_close(&c);
        if (!a.keep)
            unlink(name);
    }
    getloadavg(load[1], 3);
    if (a.json)
        print_json(stdout, res, nres, a.runs, a.chunk, a.reread, a.dir, load);
    else
        print_table(res, nres, a.runs);
    if (a.json_out != NULL) {
        FILE *f = fopen(a.json_out, "w");
        if (f == NULL)
            die("%s: %s", a.json_out, strerror(errno));
        print_json(f, res, nres, a.runs, a.chunk, a.reread, a.dir, load);
        if (fclose(f) != 0)
            die("%s: %s", a.json_out, strerror(errno));
    }
    if (a.dat != NULL)
        write_dat(a.dat, res, nres, a.sizes, a.nsizes);
    free(res);
    return 0;
}

#endif /* _WIN32 */
