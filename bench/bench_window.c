/*
 * bench_window.c - what a windowed map costs: the same scans, searches and
 * copies through the sliding window (MMF_WINDOWED, default 64 MiB) and
 * through one whole mapping of a page-cache-hot file.
 *
 *     bench_window [--json] [--runs N] [--size BYTES] [--window BYTES]
 *                  [--path FILE] [--keep] [--check]
 *
 * The file (default 1 GiB, $TMPDIR or /tmp) is generated through the
 * library itself (a windowed write map, then a durable flush so that
 * write-back does not run during the timing), read once so that every page
 * is in the page cache, and removed at the end unless --keep; with --keep
 * an existing file of the right size at --path is reused as it is (any
 * other existing file there is refused, never overwritten).
 *
 * Each timed run is open + operation + close, for both kinds of map: a
 * whole map pays its page faults once per open, a windowed one pays them
 * again for each window it maps, and a program that opens a file to search
 * it pays exactly that.  The operations, each over the whole file:
 *   scan   XOR of every 8-byte word, through mmf_view in 1 MiB pieces
 *          (or window-sized ones, if the window is smaller)
 *   copy   mmf_copy_out in the same pieces (what a reader does)
 *   find   mmf_find of a needle planted at the end
 *   rfind  mmf_rfind of a needle planted at the start
 *   count  mmf_count of a needle planted across every window edge
 * Whole and windowed runs alternate (their order flips every round), N
 * rounds (default 7, at least 5), and the median time of each is reported
 * with the ratio windowed/whole of the speeds.  The target is >= 0.90x;
 * --check makes a lower ratio the exit status 1.  Results of the two maps
 * must agree and match what was planted, or the program stops.
 *
 * --needles times find against rfind on a windowed map for needles of 1
 * and 64 bytes and a quarter, half and all but one byte of the window, and
 * stops there (rfind/find should stay under 2).
 *
 * --hold keeps one map of each kind open across the runs and times the
 * operation alone: the whole map's page tables stay filled after the first
 * run, while the windowed map maps (and faults) each window again, so this
 * is the windowed map's worst case, not the usual one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmapfile.h"
#include "bench_time.h"

#ifdef _WIN32
#include <process.h>
#include <windows.h>
#define getpid _getpid
#else
#include <time.h>
#include <unistd.h>
#endif

#define MAX_RUNS 64
#define MAX_PIECE ((size_t)1 << 20)
#define TARGET 0.90

static const char find_needle[] = "mmf-bench-find-needle";   /* at the end */
static const char rfind_needle[] = "mmf-bench-rfind-needle"; /* at 4096 */
static const char edge_needle[] = "<window-edge>"; /* across every edge */

/* Bytes per view or copy: 1 MiB, or the window if it is smaller (a view
 * must fit in one window). */
static size_t piece = MAX_PIECE;

/* The generated file, removed on the way out unless --keep. */
static const char *cleanup_path;

static void die(const char *what, mmf_map *m, int rc)
{
    fprintf(stderr, "bench_window: %s: %s: %s\n", what, mmf_err_name(rc),
            m != NULL ? mmf_errmsg(m) : mmf_strerror(rc));
    if (cleanup_path != NULL)
        remove(cleanup_path);
    exit(2);
}

/* --- the file ------------------------------------------------------------- */

/* Text-like bytes (16 letters, a newline every 64), so that the searches
 * do real work and no planted needle occurs by chance: none of the letters
 * a..p is '-', '<' or '>'. */
static void fill(char *p, size_t n, uint64_t at, uint64_t *rng)
{
    for (size_t i = 0; i < n; i++) {
        if ((at + i) % 64 == 63) {
            p[i] = '\n';
            continue;
        }
        uint64_t x = *rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *rng = x;
        p[i] = (char)('a' + (x >> 60));
    }
}

/* Where the edge needle goes: 5 bytes before each multiple of the window,
 * so that it straddles the edge between two windows. */
static uint64_t edge_count(uint64_t size, uint64_t window)
{
    uint64_t n = 0;
    for (uint64_t e = window; e + sizeof edge_needle < size; e += window)
        n++;
    return n;
}

static void plant(mmf_map *m, uint64_t off, const char *s)
{
    int rc = mmf_copy_in(m, off, s, strlen(s));
    if (rc != 0)
        die("plant", m, rc);
}

static void generate(const char *path, uint64_t size, uint64_t window)
{
    mmf_map *m;
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.flags = MMF_CREATE | MMF_TRUNCATE | MMF_WINDOWED;
    o.length = size;
    int rc = mmf_new(&m);
    if (rc != 0 || (rc = mmf_open_path(m, path, &o)) != 0)
        die(path, m, rc);
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    for (uint64_t at = 0; at < size; at += piece) {
        size_t n = size - at < piece ? (size_t)(size - at) : piece;
        void *p;
        if ((rc = mmf_view(m, at, n, &p)) != 0)
            die("generate", m, rc);
        fill(p, n, at, &rng);
    }
    plant(m, 4096, rfind_needle);
    for (uint64_t e = window; e + sizeof edge_needle < size; e += window)
        plant(m, e - 5, edge_needle);
    plant(m, size - sizeof find_needle, find_needle);
    if ((rc = mmf_flush(m, 0, 0, MMF_FLUSH_DURABLE)) != 0)
        die("flush", m, rc);
    mmf_free(m);
}

/* --- the operations ------------------------------------------------------- */

enum { OP_SCAN, OP_COPY, OP_FIND, OP_RFIND, OP_COUNT, NOPS };
static const char *const op_names[NOPS] = {"scan", "copy", "find", "rfind",
                                           "count"};

static char *copy_buf;

static mmf_map *open_map(const char *path, int windowed, uint64_t window)
{
    mmf_map *m;
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_READ;
    if (windowed) {
        o.flags = MMF_WINDOWED;
        o.window_size = window;
    }
    int rc = mmf_new(&m);
    if (rc != 0 || (rc = mmf_open_path(m, path, &o)) != 0)
        die(windowed ? "open windowed" : "open whole", m, rc);
    return m;
}

/* One run: open, the operation, close (or only the operation on `held`, a
 * map kept open across runs).  Returns the operation's answer. */
static uint64_t run_op(const char *path, int op, int windowed, uint64_t window,
                       mmf_map *held)
{
    mmf_map *m = held != NULL ? held : open_map(path, windowed, window);
    int rc;
    uint64_t size = mmf_length(m), answer = 0;
    switch (op) {
    case OP_SCAN:
        for (uint64_t at = 0; at < size; at += piece) {
            size_t n = size - at < piece ? (size_t)(size - at) : piece;
            const unsigned char *p;
            void *v;
            if ((rc = mmf_view(m, at, n, &v)) != 0)
                die("view", m, rc);
            p = v;
            uint64_t x = 0, w;
            size_t i = 0;
            for (; i + 8 <= n; i += 8) {
                memcpy(&w, p + i, 8);
                x ^= w;
            }
            for (; i < n; i++)
                x ^= p[i];
            answer ^= x;
        }
        break;
    case OP_COPY:
        for (uint64_t at = 0; at < size; at += piece) {
            size_t n = size - at < piece ? (size_t)(size - at) : piece;
            if ((rc = mmf_copy_out(m, at, copy_buf, n)) != 0)
                die("copy_out", m, rc);
            answer += (unsigned char)copy_buf[n - 1];
        }
        break;
    case OP_FIND:
        rc = mmf_find(m, find_needle, strlen(find_needle), 0, MMF_END, &answer);
        break;
    case OP_RFIND:
        rc = mmf_rfind(m, rfind_needle, strlen(rfind_needle), 0, MMF_END,
                       &answer);
        break;
    default:
        rc =
            mmf_count(m, edge_needle, strlen(edge_needle), 0, MMF_END, &answer);
        break;
    }
    if (rc != 0)
        die(op_names[op], m, rc);
    if (held == NULL)
        mmf_free(m);
    return answer;
}

/* --- main ----------------------------------------------------------------- */

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mul = 1;
    switch (*end) {
    case 'k':
    case 'K':
        mul = 1ull << 10;
        end++;
        break;
    case 'm':
    case 'M':
        mul = 1ull << 20;
        end++;
        break;
    case 'g':
    case 'G':
        mul = 1ull << 30;
        end++;
        break;
    default:
        break;
    }
    if (end == s || *end != '\0' || v == 0 || v > UINT64_MAX / mul)
        return -1;
    *out = (uint64_t)v * mul;
    return 0;
}

/* --needles: find against rfind on one held windowed map, for needles of
 * 1 and 64 bytes, a quarter, half and all but one byte of the window; none
 * occurs, so each call walks the whole file.  Medians of `runs` alternating
 * runs, and the ratio rfind/find (the target is <= 2). */
static void needle_sweep(const char *path, uint64_t window, int runs)
{
    mmf_map *m = open_map(path, 1, window);
    uint64_t w = window;
    uint64_t lens[] = {1, 64, w / 4, w / 2, w - 1};
    char *needle = malloc((size_t)w);
    if (needle == NULL)
        die("needle", NULL, MMF_ENOMEM);
    memset(needle, '#', (size_t)w); /* '#' occurs nowhere in the file */
    printf("%-12s %12s %12s %8s\n", "needle", "find s", "rfind s", "ratio");
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        double t[2][MAX_RUNS];
        for (int r = 0; r < runs; r++) {
            for (int k = 0; k < 2; k++) {
                int rev = (r + k) % 2; /* the order flips every round */
                uint64_t pos;
                double t0 = bench_now();
                int rc = rev ? mmf_rfind(m, needle, (size_t)lens[i], 0, MMF_END,
                                         &pos)
                             : mmf_find(m, needle, (size_t)lens[i], 0, MMF_END,
                                        &pos);
                t[rev][r] = bench_now() - t0;
                if (rc != 0 || pos != MMF_NOT_FOUND)
                    die("needle sweep", m, rc != 0 ? rc : MMF_EIO);
            }
        }
        double f = bench_median(t[0], (size_t)runs),
               b = bench_median(t[1], (size_t)runs);
        printf("%-12llu %12.4f %12.4f %7.2fx\n", (unsigned long long)lens[i], f,
               b, b / f);
    }
    free(needle);
    mmf_free(m);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_window [--json] [--runs N] [--size BYTES] "
               "[--window BYTES]\n"
               "                    [--path FILE] [--keep] [--check] [--hold] "
               "[--needles]\n"
               "BYTES may end in K, M or G.  Defaults: 7 runs, 1G, 64M, "
               "$TMPDIR or /tmp.\n");
}

int main(int argc, char **argv)
{
    int json = 0, runs = 7, keep = 0, check = 0, hold = 0, needles = 0;
    uint64_t size = 1ull << 30, window = MMF_DEFAULT_WINDOW;
    const char *path = NULL;
    char pathbuf[512];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--keep") == 0) {
            keep = 1;
        } else if (strcmp(a, "--check") == 0) {
            check = 1;
        } else if (strcmp(a, "--hold") == 0) {
            hold = 1;
        } else if (strcmp(a, "--needles") == 0) {
            needles = 1;
        } else if (strcmp(a, "--runs") == 0 && v != NULL) {
            runs = atoi(v);
            i++;
        } else if (strcmp(a, "--size") == 0 && v != NULL &&
                   parse_size(v, &size) == 0) {
            i++;
        } else if (strcmp(a, "--window") == 0 && v != NULL &&
                   parse_size(v, &window) == 0) {
            i++;
        } else if (strcmp(a, "--path") == 0 && v != NULL) {
            path = v;
            i++;
        } else if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (runs < 5 || runs > MAX_RUNS) {
        fprintf(stderr, "bench_window: --runs must be 5..%d\n", MAX_RUNS);
        return 2;
    }
    if (size < 2 * window || size < 2 * MAX_PIECE) {
        fprintf(stderr, "bench_window: --size must be at least two windows\n");
        return 2;
    }
    if (path == NULL) {
        const char *dir = getenv("TMPDIR");
#ifdef _WIN32
        if (dir == NULL)
            dir = getenv("TEMP");
#endif
        if (dir == NULL)
            dir = "/tmp";
        snprintf(pathbuf, sizeof pathbuf, "%s/mmf-bench-window-%d.bin", dir,
                 (int)getpid());
        path = pathbuf;
    }
    if (window < piece)
        piece = (size_t)window;
    copy_buf = malloc(piece);
    if (copy_buf == NULL)
        return 2;

    /* Reuse a kept file of the right size; anything else is regenerated. */
    int reused = 0;
    if (keep) {
        mmf_map *m;
        mmf_options o = MMF_OPTIONS_INIT;
        o.flags = MMF_WINDOWED;
        if (mmf_new(&m) == 0 && mmf_open_path(m, path, &o) == 0 &&
            mmf_length(m) == size)
            reused = 1;
        mmf_free(m);
    }
    if (!reused) {
        /* Never overwrite a file this program did not make for itself. */
        FILE *f = fopen(path, "rb");
        if (f != NULL) {
            fclose(f);
            fprintf(stderr,
                    "bench_window: %s exists; remove it, or pass --keep to "
                    "reuse a file this program kept (of --size bytes)\n",
                    path);
            return 2;
        }
    }
    if (!keep)
        cleanup_path = path;
    double t0 = bench_now();
    if (!reused)
        generate(path, size, window);
    double t_gen = bench_now() - t0;

    /* Warm the page cache (and check the planted answers) with one untimed
     * round, then say how much of the file is resident. */
    uint64_t want[NOPS] = {0, 0, size - sizeof find_needle, 4096,
                           edge_count(size, window)};
    uint64_t got[2][NOPS];
    for (int op = 0; op < NOPS; op++)
        for (int w = 0; w < 2; w++)
            got[w][op] = run_op(path, op, w, window, NULL);
    for (int op = 0; op < NOPS; op++) {
        if (got[0][op] != got[1][op] ||
            (op >= OP_FIND && got[0][op] != want[op])) {
            fprintf(stderr,
                    "bench_window: %s: whole map says %llu, windowed %llu, "
                    "planted %llu%s\n",
                    op_names[op], (unsigned long long)got[0][op],
                    (unsigned long long)got[1][op],
                    (unsigned long long)want[op],
                    reused ? " (a kept file is valid only with the --size and "
                             "--window it was made with)"
                           : "");
            die("results differ", NULL, MMF_EIO);
        }
    }
    uint64_t resident = 0, pages = 0;
    {
        mmf_map *m;
        mmf_options o = MMF_OPTIONS_INIT;
        o.flags = MMF_WINDOWED;
        if (mmf_new(&m) == 0 && mmf_open_path(m, path, &o) == 0)
            (void)mmf_residency(m, 0, 0, &resident, &pages);
        mmf_free(m);
    }

    if (needles) {
        needle_sweep(path, window, runs);
        if (cleanup_path != NULL)
            remove(cleanup_path);
        return 0;
    }

    mmf_map *held[2] = {NULL, NULL};
    if (hold)
        for (int w = 0; w < 2; w++)
            held[w] = open_map(path, w, window);
    double t[2][NOPS][MAX_RUNS];
    for (int r = 0; r < runs; r++)
        for (int op = 0; op < NOPS; op++)
            for (int k = 0; k < 2; k++) {
                int w = (r % 2) ^ k; /* alternate which goes first */
                double a = bench_now();
                uint64_t ans = run_op(path, op, w, window, held[w]);
                t[w][op][r] = bench_now() - a;
                if (ans != got[w][op]) {
                    fprintf(stderr, "bench_window: %s changed its answer\n",
                            op_names[op]);
                    die("results differ", NULL, MMF_EIO);
                }
            }

    mmf_free(held[0]);
    mmf_free(held[1]);

    double gib = (double)size / (double)(1u << 30);
    double min_ratio = 1e9;
    double whole_s[NOPS], win_s[NOPS];
    for (int op = 0; op < NOPS; op++) {
        whole_s[op] = bench_median(t[0][op], (size_t)runs);
        win_s[op] = bench_median(t[1][op], (size_t)runs);
        double ratio = whole_s[op] / win_s[op];
        if (ratio < min_ratio)
            min_ratio = ratio;
    }
    int met = min_ratio >= TARGET;
    double pct = pages ? 100.0 * (double)resident / (double)pages : 0;

    if (json) {
        printf("{\n  \"bench\": \"window\", \"file\": \"%s\", \"size\": %llu, "
               "\"window\": %llu, \"runs\": %d, \"timed\": \"%s\", "
               "\"resident_pct\": %.1f,\n  \"results\": [",
               path, (unsigned long long)size, (unsigned long long)window, runs,
               hold ? "operation" : "open+operation+close", pct);
        for (int op = 0; op < NOPS; op++)
            printf("%s\n    {\"op\": \"%s\", \"whole_s\": %.4f, "
                   "\"windowed_s\": %.4f, \"whole_gibs\": %.3f, "
                   "\"windowed_gibs\": %.3f, \"ratio\": %.3f}",
                   op ? "," : "", op_names[op], whole_s[op], win_s[op],
                   gib / whole_s[op], gib / win_s[op], whole_s[op] / win_s[op]);
        printf(
            "\n  ],\n  \"min_ratio\": %.3f, \"target\": %.2f, \"met\": %s\n}\n",
            min_ratio, TARGET, met ? "true" : "false");
    } else {
        printf("bench_window: %.2f GiB file %s (%s in %.1f s), %.1f%% in the "
               "page cache\nwindow %llu %s; median of %d alternating runs, "
               "each %s\n\n",
               gib, path, reused ? "reused" : "generated", t_gen, pct,
               (unsigned long long)(window >= (1u << 20) ? window >> 20
                                                         : window >> 10),
               window >= (1u << 20) ? "MiB" : "KiB", runs,
               hold ? "the operation on a map held open (--hold)"
                    : "open + operation + close");
        printf("%-6s %12s %12s %10s %10s %9s\n", "op", "whole s", "windowed s",
               "whole", "windowed", "win/whole");
        printf("%-6s %12s %12s %10s %10s %9s\n", "", "", "", "GiB/s", "GiB/s",
               "speed");
        for (int op = 0; op < NOPS; op++)
            printf("%-6s %12.4f %12.4f %10.2f %10.2f %8.2fx\n", op_names[op],
                   whole_s[op], win_s[op], gib / whole_s[op], gib / win_s[op],
                   whole_s[op] / win_s[op]);
        printf("\nlowest ratio %.2fx (target >= %.2fx): %s\n", min_ratio,
               TARGET, met ? "met" : "NOT MET");
    }
    if (!keep && remove(path) != 0)
        fprintf(stderr, "bench_window: could not remove %s\n", path);
    free(copy_buf);
    return check && !met ? 1 : 0;
}
