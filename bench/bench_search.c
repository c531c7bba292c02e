/*
 * bench_search.c - throughput of the search kernel (mmf__memmem) against the
 * C library's memmem, on log-like text and on adversarial data.
 *
 *     bench_search [--json] [--runs N] [--mib N]
 *
 * Each case counts every non-overlapping match in the haystack, the way
 * mmf_count does, so per-call overhead on frequent needles is part of the
 * figure.  Both searchers run alternately, N times each (default 7), in
 * one process, and the median time of each is reported: on a shared
 * machine the median is what repeats.  memchr of a byte that does not occur
 * gives the speed of reading the memory at all.
 *
 * Without glibc (no memmem) the baseline is a plain memchr + memcmp loop.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "bench_time.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

/* --- the searchers being compared ---------------------------------------- */

typedef const char *(*search_fn)(const char *, size_t, const char *, size_t);

static const char *ours(const char *h, size_t hl, const char *n, size_t nl)
{
    return mmf__memmem(h, hl, n, nl);
}

#if defined(__GLIBC__)
#define BASELINE_NAME "memmem"
static const char *baseline(const char *h, size_t hl, const char *n, size_t nl)
{
    return memmem(h, hl, n, nl);
}
#else
#define BASELINE_NAME "naive"
static const char *baseline(const char *h, size_t hl, const char *n, size_t nl)
{
    const char *end = h + hl;
    if (nl > hl)
        return NULL;
    for (const char *p = h; (size_t)(end - p) >= nl; p++) {
        p = memchr(p, (unsigned char)n[0], (size_t)(end - p) - nl + 1);
        if (p == NULL)
            return NULL;
        if (memcmp(p, n, nl) == 0)
            return p;
    }
    return NULL;
}
#endif

static uint64_t count_matches(search_fn fn, const char *h, size_t hl,
                              const char *n, size_t nl)
{
    const char *p = h, *end = h + hl, *hit;
    uint64_t count = 0;
    while ((hit = fn(p, (size_t)(end - p), n, nl)) != NULL) {
        count++;
        p = hit + nl;
    }
    return count;
}

/* The same from the end with the reverse kernel, as mmf_rfind walks. */
static uint64_t count_matches_rev(const char *h, size_t hl, const char *n,
                                  size_t nl)
{
    const char *hit;
    size_t end = hl;
    uint64_t count = 0;
    while ((hit = mmf__memrmem(h, end, n, nl)) != NULL) {
        count++;
        end = (size_t)(hit - h);
    }
    return count;
}

static uint64_t count_bytes(const char *h, size_t hl, char c)
{
    const char *p = h, *end = h + hl, *hit;
    uint64_t count = 0;
    while ((hit = memchr(p, (unsigned char)c, (size_t)(end - p))) != NULL) {
        count++;
        p = hit + 1;
    }
    return count;
}

/* --- the data ------------------------------------------------------------- */

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static const char *pick(const char *const *list, size_t n)
{
    return list[rng() % n];
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Lines like a web service's log: timestamp, level, host, process, request,
 * status, size, user agent, user, latency, free text. */
static void make_log_text(char *buf, size_t size)
{
    static const char *const levels[] = {"INFO ", "INFO ", "INFO ", "INFO ",
                                         "DEBUG", "DEBUG", "WARN ", "ERROR"};
    static const char *const procs[] = {"nginx", "api",  "worker",
                                        "cron",  "auth", "db-proxy"};
    static const char *const methods[] = {"GET",  "GET", "GET",
                                          "POST", "PUT", "DELETE"};
    static const char *const paths[] = {"/api/v1/users/",    "/api/v1/orders/",
                                        "/static/js/app.",   "/login",
                                        "/api/v2/search?q=", "/health",
                                        "/api/v1/items/",    "/images/thumb/"};
    static const char *const agents[] = {
        "Mozilla/5.0 (X11; Linux x86_64)", "curl/7.88.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "python-requests/2.31",
        "Go-http-client/1.1"};
    static const char *const users[] = {"alice", "bob",   "carol",   "dave",
                                        "erin",  "frank", "grace",   "heidi",
                                        "ivan",  "judy",  "mallory", "oscar"};
    static const char *const words[] = {
        "request", "completed",  "successfully", "the",      "user",
        "session", "cache",      "miss",         "hit",      "for",
        "key",     "connection", "from",         "pool",     "retrying",
        "after",   "timeout",    "upstream",     "returned", "status",
        "invalid", "token",      "expired",      "query",    "took",
        "rows",    "scanned",    "index",        "on",       "table",
        "orders",  "users",      "items",        "and",      "with",
        "payload", "size",       "exceeds",      "limit",    "of",
        "bytes",   "in",         "queue",        "job",      "scheduled",
        "started", "finished",   "backend",      "latency",  "high",
        "slow",    "ok",         "closed",       "by",       "peer",
        "reset",   "refused"};
    static const int statuses[] = {200, 200, 200, 200, 200, 201, 204, 301,
                                   304, 400, 401, 403, 404, 404, 500, 502};
    size_t n = 0;
    unsigned long t = 0;

    while (n < size) {
        char line[512];
        int len;
        unsigned sec;
        t += 1 + rng() % 3000;
        sec = (unsigned)(t / 1000);
        len = snprintf(line, sizeof line,
                       "2024-03-%02uT%02u:%02u:%02u.%03luZ %s host-%03u "
                       "%s[%u]: %s %s%u HTTP/1.1 %d %u \"%s\" user=%s "
                       "latency=%ums",
                       1 + sec / 86400 % 28, sec / 3600 % 24, sec / 60 % 60,
                       sec % 60, t % 1000, pick(levels, COUNT(levels)),
                       rng() % 200, pick(procs, COUNT(procs)),
                       1000 + rng() % 30000, pick(methods, COUNT(methods)),
                       pick(paths, COUNT(paths)), rng() % 100000,
                       statuses[rng() % COUNT(statuses)], rng() % 50000,
                       pick(agents, COUNT(agents)), pick(users, COUNT(users)),
                       rng() % 2000);
        for (unsigned w = 3 + rng() % 8; w > 0 && len < 480; w--)
            len += snprintf(line + len, sizeof line - (size_t)len, " %s",
                            pick(words, COUNT(words)));
        line[len++] = '\n';
        if ((size_t)len > size - n)
            len = (int)(size - n);
        memcpy(buf + n, line, (size_t)len);
        n += (size_t)len;
    }
}

/* --- one case ---------------------------------------------------------------
 */

typedef struct result {
    const char *name;
    const char *kind; /* "text", "adversarial" */
    size_t nlen;
    uint64_t count;
    double ours_gbs, base_gbs;
    double rev_gbs; /* mmf__memrmem, walking from the end */
} result;

#define MAX_RUNS 64

static result run_case(const char *kind, const char *name, const char *hay,
                       size_t hl, const char *needle, size_t nl, int runs)
{
    double t_ours[MAX_RUNS], t_base[MAX_RUNS], t_rev[MAX_RUNS];
    uint64_t c_ours = 0, c_base = 0;
    result r;

    for (int i = 0; i < runs; i++) {
        double t0 = bench_now();
        c_ours = count_matches(ours, hay, hl, needle, nl);
        double t1 = bench_now();
        c_base = count_matches(baseline, hay, hl, needle, nl);
        double t2 = bench_now();
        (void)count_matches_rev(hay, hl, needle, nl);
        double t3 = bench_now();
        t_ours[i] = t1 - t0;
        t_base[i] = t2 - t1;
        t_rev[i] = t3 - t2;
    }
    if (c_ours != c_base) {
        fprintf(stderr, "bench_search: %s: %llu matches, %s finds %llu\n", name,
                (unsigned long long)c_ours, BASELINE_NAME,
                (unsigned long long)c_base);
        exit(1);
    }
    r.name = name;
    r.kind = kind;
    r.nlen = nl;
    r.count = c_ours;
    r.ours_gbs = (double)hl / bench_median(t_ours, (size_t)runs) / 1e9;
    r.base_gbs = (double)hl / bench_median(t_base, (size_t)runs) / 1e9;
    r.rev_gbs = (double)hl / bench_median(t_rev, (size_t)runs) / 1e9;
    return r;
}

/* --- main ----------------------------------------------------------------- */

typedef struct text_needle {
    const char *needle;
    const char *why;
} text_needle;

static const text_needle text_needles[] = {
    {"the", "3 bytes, common word"},
    {"ERROR", "level, 1 line in 8"},
    {"timeout", "word, common"},
    {"user=mallory", "field, common"},
    {"HTTP/1.1 502", "status, rare-ish"},
    {"python-requests", "agent, common"},
    {"host-199 cron", "rare combination"},
    {"zebra", "absent word"},
    {"qxj", "absent, rare bytes"},
    {"connection reset by peer", "rare phrase"},
    {"2024-03-05T13:45:0", "ten seconds of lines"},
    {"session expired for user=dave", "absent long phrase"},
    {"/api/v2/search?q=42 HTTP/1.1 404", "32 bytes, very rare"},
    {"latency=1999ms", "rare number"},
};

static void print_row(const result *r, int json, int first)
{
    double ratio = r->ours_gbs / r->base_gbs;
    if (json) {
        printf("%s\n    {\"kind\": \"%s\", \"needle\": \"", first ? "" : ",",
               r->kind);
        for (const char *p = r->name; *p; p++)
            printf(*p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
        printf("\", \"nlen\": %zu, \"matches\": %llu, \"ours_gbs\": %.3f, "
               "\"%s_gbs\": %.3f, \"ratio\": %.3f, \"ours_rev_gbs\": %.3f}",
               r->nlen, (unsigned long long)r->count, r->ours_gbs,
               BASELINE_NAME, r->base_gbs, ratio, r->rev_gbs);
    } else {
        printf("%-34.34s %4zu %9llu %8.2f %8.2f %7.2fx %8.2f\n", r->name,
               r->nlen, (unsigned long long)r->count, r->ours_gbs, r->base_gbs,
               ratio, r->rev_gbs);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int json = 0, runs = 7;
    size_t mib = 64;
    result res[64];
    int nres = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc) {
            mib = (size_t)atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--json] [--runs N] [--mib N]\n",
                    argv[0]);
            return 2;
        }
    }
    if (runs < 1 || runs > MAX_RUNS || mib < 1) {
        fprintf(stderr, "bench_search: --runs 1..%d, --mib >= 1\n", MAX_RUNS);
        return 2;
    }

    size_t size = mib << 20;
    char *text = malloc(size), *adv = malloc(size);
    if (text == NULL || adv == NULL) {
        fprintf(stderr, "bench_search: out of memory\n");
        return 1;
    }
    make_log_text(text, size);

    /* The physical reference: memchr of a byte the text does not hold,
     * timed once per run of every text case (so through the same noise)
     * and reported as the median of all. */
    static double t_chr[MAX_RUNS * COUNT(text_needles)];
    int nchr = 0;

    if (json)
        printf("{\n  \"mib\": %zu, \"runs\": %d, \"baseline\": \"%s\",\n"
               "  \"cases\": [",
               mib, runs, BASELINE_NAME);
    else
        printf("%zu MiB of log text, median of %d alternating runs, GB/s\n\n"
               "%-34s %4s %9s %8s %8s %8s %8s\n",
               mib, runs, "needle", "len", "matches", "ours", BASELINE_NAME,
               "ratio", "ours rev");

    for (size_t i = 0; i < COUNT(text_needles); i++) {
        const char *n = text_needles[i].needle;
        for (int k = 0; k < runs; k++) {
            double t0 = bench_now();
            if (count_bytes(text, size, '\x01') != 0)
                return 1;
            t_chr[nchr++] = bench_now() - t0;
        }
        res[nres] = run_case("text", n, text, size, n, strlen(n), runs);
        print_row(&res[nres], json, nres == 0);
        nres++;
    }
    double memchr_gbs = (double)size / bench_median(t_chr, (size_t)nchr) / 1e9;

    /* Adversarial: a run of 'a' with "aaa...ab" needles (the classic
     * quadratic case of naive search), needles that match it everywhere,
     * and period-2 data with a needle that fails only in its middle. */
    static char needle[300];
    static char names[16][48];
    int nn = 0;
    memset(adv, 'a', size);
    static const size_t alens[] = {3, 16, 32, 256};
    for (size_t k = 0; k < COUNT(alens); k++) {
        size_t nl = alens[k];
        memset(needle, 'a', nl);
        needle[nl - 1] = 'b';
        snprintf(names[nn], sizeof names[nn], "a{%zu}b in a*", nl - 1);
        res[nres] =
            run_case("adversarial", names[nn++], adv, size, needle, nl, runs);
        print_row(&res[nres], json, nres == 0);
        nres++;
    }
    memset(needle, 'a', 32);
    needle[0] = 'b';
    snprintf(names[nn], sizeof names[nn], "ba{31} in a*");
    res[nres] =
        run_case("adversarial", names[nn++], adv, size, needle, 32, runs);
    print_row(&res[nres], json, nres == 0);
    nres++;
    snprintf(names[nn], sizeof names[nn], "a{16} in a* (every 16 bytes)");
    res[nres] = run_case("adversarial", names[nn++], adv, size, adv, 16, runs);
    print_row(&res[nres], json, nres == 0);
    nres++;

    for (size_t i = 0; i < size; i++)
        adv[i] = (char)(i % 2 ? 'b' : 'a');
    static const size_t halves[] = {4, 15};
    for (size_t k = 0; k < COUNT(halves); k++) {
        size_t nl = 0;
        for (size_t i = 0; i < halves[k]; i++)
            needle[nl++] = (char)(i % 2 ? 'b' : 'a');
        needle[nl++] = 'b';
        needle[nl++] = 'b';
        for (size_t i = 0; i < halves[k]; i++)
            needle[nl++] = (char)(i % 2 ? 'b' : 'a');
        snprintf(names[nn], sizeof names[nn], "(ab)*bb(ab)* len %zu in (ab)*",
                 nl);
        res[nres] =
            run_case("adversarial", names[nn++], adv, size, needle, nl, runs);
        print_row(&res[nres], json, nres == 0);
        nres++;
    }
    for (size_t i = 0; i < size; i++)
        adv[i] = "abcab"[i % 5];
    memcpy(needle, "abcababcababcababcabx", 21);
    snprintf(names[nn], sizeof names[nn], "(abcab){4}x in (abcab)*");
    res[nres] =
        run_case("adversarial", names[nn++], adv, size, needle, 21, runs);
    print_row(&res[nres], json, nres == 0);
    nres++;

    /* A two-letter alphabet at random: the pair matches one position in
     * four and only the word compares of the needle's ends reject. */
    for (size_t i = 0; i < size; i++)
        adv[i] = (char)("ab"[rng() & 1]);
    memcpy(needle, adv + size / 2, 32);
    needle[16] = (char)(needle[16] ^ 3); /* a <-> b */
    snprintf(names[nn], sizeof names[nn], "32 random {a,b} in random {a,b}");
    res[nres] =
        run_case("adversarial", names[nn++], adv, size, needle, 32, runs);
    print_row(&res[nres], json, nres == 0);
    nres++;

    /* Summary: the median ratio over the text needles, and the worst. */
    double ratios[64], worst_text = 1e9, worst_adv = 1e9;
    int nt = 0;
    for (int i = 0; i < nres; i++) {
        double ratio = res[i].ours_gbs / res[i].base_gbs;
        if (strcmp(res[i].kind, "text") == 0) {
            ratios[nt++] = ratio;
            if (ratio < worst_text)
                worst_text = ratio;
        } else if (ratio < worst_adv) {
            worst_adv = ratio;
        }
    }
    double med = bench_median(ratios, (size_t)nt);
    if (json)
        printf("\n  ],\n  \"memchr_gbs\": %.3f, \"text_median_ratio\": "
               "%.3f, \"text_min_ratio\": %.3f, \"adversarial_min_ratio\": "
               "%.3f\n}\n",
               memchr_gbs, med, worst_text, worst_adv);
    else
        printf("\nmemchr of an absent byte (the memory's speed): %.2f GB/s\n"
               "text needles: median ratio %.2fx, lowest %.2fx; adversarial "
               "lowest %.2fx\n",
               memchr_gbs, med, worst_text, worst_adv);
    free(text);
    free(adv);
    return 0;
}
