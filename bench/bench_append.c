/*
 * bench_append.c - appending records to a log: write() against a map with
 * a reservation (mmf_options.reserve, issue 16).  `make bench` runs it.
 *
 *     bench_append [--records N] [--size BYTES] [--runs N] [--sync-every N]
 *                  [--dir DIR] [--json]
 *
 * Each run creates a new file, appends N records of BYTES bytes (200 by
 * default) and closes it; with --sync-every K every K records are made
 * durable (fdatasync / mmf_flush MMF_FLUSH_DURABLE of what was appended).
 * The ways, run alternately so that drift in the machine hits them alike,
 * median of the runs reported, ratio = write() time / the way's time:
 *
 *   write      write() per record on an O_CREAT|O_TRUNC descriptor
 *   mmf_write  a reserved MMF_GROW map, mmf_write() per record: each record
 *              grows the file and maps its new pages in place
 *   steps      a reserved map grown by mmf_resize() in 1 MiB steps, records
 *              copied through the one pointer that never moves, the map cut
 *              to the records' end at close: what examples/append_log.c does
 *   grow       an MMF_GROW map without a reservation, mmf_write() per
 *              record (growth may move the map), for comparison
 *
 * Every run's file is checked afterwards (size, and a checksum read back
 * with pread), outside the timed part: a fast wrong answer does not pass.
 */
#ifdef _WIN32
#include <stdio.h>
int main(void)
{
    puts("bench_append: POSIX only (it times write()); skipped");
    return 0;
}
#else
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mmapfile.h"
#include "bench_time.h"

#define MIB ((uint64_t)1 << 20)
#define STEP MIB /* growth step of the "steps" way */
#define MAX_RUNS 101

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_append: %s: %s\n", what, why);
    exit(1);
}

typedef struct cfg {
    unsigned records, size, runs, sync_every;
    const char *dir;
    int json;
} cfg;

static char path[4096];
static char *records; /* all records, back to back: record i at i * size */

/* Record i: its number, then bytes that depend on it. */
static void make_records(const cfg *c)
{
    records = malloc((size_t)c->records * c->size);
    if (records == NULL)
        die("malloc", strerror(errno));
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < (size_t)c->records * c->size; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        records[i] = (char)(x >> 56);
    }
    for (unsigned i = 0; i < c->records; i++)
        memcpy(records + (size_t)i * c->size, &i, sizeof i);
}

/* --- the ways -------------------------------------------------------------
 */

static void by_write(const cfg *c)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die("open", strerror(errno));
    for (unsigned i = 0; i < c->records; i++) {
        if (write(fd, records + (size_t)i * c->size, c->size) != c->size)
            die("write", strerror(errno));
        if (c->sync_every && (i + 1) % c->sync_every == 0 && fdatasync(fd))
            die("fdatasync", strerror(errno));
    }
    close(fd);
}

static mmf_map *open_log(uint64_t reserve)
{
    mmf_map *m;
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.flags = MMF_CREATE | MMF_TRUNCATE | MMF_GROW;
    o.reserve = reserve;
    if (mmf_new(&m) != 0)
        die("mmf_new", "out of memory");
    if (mmf_open_path(m, path, &o) != 0)
        die("mmf_open_path", mmf_errmsg(m));
    return m;
}

/* Make the records [from, to) durable. */
static void sync_range(mmf_map *m, const cfg *c, unsigned from, unsigned to)
{
    if (mmf_flush(m, (uint64_t)from * c->size, (uint64_t)(to - from) * c->size,
                  MMF_FLUSH_DURABLE) != 0)
        die("mmf_flush", mmf_errmsg(m));
}

static void by_mmf_write(const cfg *c, uint64_t reserve)
{
    mmf_map *m = open_log(reserve);
    unsigned synced = 0;
    for (unsigned i = 0; i < c->records; i++) {
        if (mmf_write(m, records + (size_t)i * c->size, c->size) != 0)
            die("mmf_write", mmf_errmsg(m));
        if (c->sync_every && (i + 1) % c->sync_every == 0) {
            sync_range(m, c, synced, i + 1);
            synced = i + 1;
        }
    }
    mmf_free(m);
}

static void by_steps(const cfg *c)
{
    mmf_map *m = open_log((uint64_t)c->records * c->size + STEP);
    char *base = NULL;
    uint64_t end = 0, cap = 0;
    unsigned synced = 0;
    for (unsigned i = 0; i < c->records; i++) {
        if (end + c->size > cap) {
            cap += STEP;
            void *p;
            if (mmf_resize(m, cap) != 0 || mmf_pointer(m, &p, NULL) != 0)
                die("mmf_resize", mmf_errmsg(m));
            if (base != NULL && p != base)
                die("steps", "the reserved map moved");
            base = p;
        }
        memcpy(base + end, records + (size_t)i * c->size, c->size);
        end += c->size;
        if (c->sync_every && (i + 1) % c->sync_every == 0) {
            sync_range(m, c, synced, i + 1);
            synced = i + 1;
        }
    }
    if (mmf_resize(m, end) != 0)
        die("mmf_resize", mmf_errmsg(m));
    mmf_free(m);
}

/* --- checking and running -------------------------------------------------
 */

static void check_file(const cfg *c, const char *way)
{
    size_t n = (size_t)c->records * c->size;
    char *buf = malloc(n + 1);
    int fd = open(path, O_RDONLY);
    if (buf == NULL || fd < 0)
        die(way, "cannot read the file back");
    size_t got = 0;
    ssize_t r;
    while ((r = pread(fd, buf + got, n + 1 - got, (off_t)got)) > 0)
        got += (size_t)r;
    close(fd);
    if (got != n || memcmp(buf, records, n) != 0)
        die(way, "the file does not hold the records");
    free(buf);
}

enum { W_WRITE, W_MMF_WRITE, W_STEPS, W_GROW, NWAYS };
static const char *const way_key[NWAYS] = {"write", "mmf_write", "steps",
                                           "grow"};
static const char *const way_label[NWAYS] = {
    "write() per record", "reserved map, mmf_write per record",
    "reserved map, 1 MiB steps + memcpy", "MMF_GROW map, no reservation"};

static void run_way(const cfg *c, int w)
{
    switch (w) {
    case W_WRITE:
        by_write(c);
        break;
    case W_MMF_WRITE:
        by_mmf_write(c, (uint64_t)c->records * c->size);
        break;
    case W_STEPS:
        by_steps(c);
        break;
    default:
        by_mmf_write(c, 0);
        break;
    }
}

static unsigned parse_num(const char *s, const char *what)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v == 0 || v > 100000000ul)
        die(what, "needs a positive number");
    return (unsigned)v;
}

int main(int argc, char **argv)
{
    cfg c = {20000, 200, 9, 0, ".", 0};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--json") == 0) {
            c.json = 1;
            continue;
        }
        if (v == NULL)
            die(o, "unknown option or missing value");
        if (strcmp(o, "--records") == 0)
            c.records = parse_num(v, o);
        else if (strcmp(o, "--size") == 0)
            c.size = parse_num(v, o);
        else if (strcmp(o, "--runs") == 0)
            c.runs = parse_num(v, o);
        else if (strcmp(o, "--sync-every") == 0)
            c.sync_every = parse_num(v, o);
        else if (strcmp(o, "--dir") == 0)
            c.dir = v;
        else
            die(o, "unknown option");
        i++;
    }
    if (c.runs > MAX_RUNS)
        c.runs = MAX_RUNS;
    snprintf(path, sizeof path, "%s/bench_append.%ld.log", c.dir,
             (long)getpid());
    make_records(&c);
    static double t[NWAYS][MAX_RUNS];
    for (int w = 0; w < NWAYS; w++) { /* warm-up, and the check */
        run_way(&c, w);
        check_file(&c, way_key[w]);
    }
    for (unsigned r = 0; r < c.runs; r++) {
        for (int k = 0; k < NWAYS; k++) {
            int w = (int)((k + r) % NWAYS); /* alternate the order too */
            unlink(path);
            double t0 = bench_now();
            run_way(&c, w);
            t[w][r] = bench_now() - t0;
            check_file(&c, way_key[w]);
        }
    }
    unlink(path);
    double med[NWAYS];
    for (int w = 0; w < NWAYS; w++)
        med[w] = bench_median(t[w], c.runs);
    if (c.json) {
        printf("{\"benchmark\": \"append\", \"records\": %u, \"record_size\": "
               "%u, \"sync_every\": %u, \"runs\": %u, \"dir\": \"%s\", "
               "\"rows\": [",
               c.records, c.size, c.sync_every, c.runs, c.dir);
        for (int w = 0; w < NWAYS; w++)
            printf("%s{\"key\": \"%s\", \"label\": \"%s\", \"median_s\": %.6f, "
                   "\"us_per_record\": %.3f, \"ratio_vs_write\": %.3f}",
                   w ? ", " : "", way_key[w], way_label[w], med[w],
                   med[w] * 1e6 / c.records, med[W_WRITE] / med[w]);
        printf("]}\n");
        return 0;
    }
    printf("append %u records of %u bytes, median of %u alternating runs; "
           "ratio = write() time / this way's time\n",
           c.records, c.size, c.runs);
    if (c.sync_every)
        printf("durable every %u records (fdatasync / MMF_FLUSH_DURABLE)\n",
               c.sync_every);
    for (int w = 0; w < NWAYS; w++)
        printf("  %-38s %9.3f ms  %7.3f us/record  %5.2fx\n", way_label[w],
               med[w] * 1e3, med[w] * 1e6 / c.records, med[W_WRITE] / med[w]);
    return 0;
}
#endif
