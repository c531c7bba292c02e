/*
 * search.c - the substring search kernels behind mmf_find, mmf_rfind and
 * mmf_count: mmf__memmem() and mmf__memrmem().
 *
 * Mapped files are large and mostly text, so the searcher is built for
 * throughput on text without giving up a linear worst case:
 *
 *   1. A static table ranks each byte by how common it is in ordinary data.
 *      The two rarest bytes of the needle (at distinct positions) are the
 *      "pair".
 *   2. A SIMD prefilter (SSE2 on every x86_64, AVX2 when the CPU has it)
 *      compares 16 or 32 haystack positions at a time with both pair bytes
 *      at their offsets; only positions where both agree are candidates.
 *      Two word compares of the needle's ends reject nearly every false
 *      candidate, memcmp checks the middle of the rest.  On text this runs
 *      at close to memchr's speed.
 *   3. Each false candidate that needed the memcmp is charged to a budget
 *      that grows with the bytes scanned.  When the prefilter stops paying
 *      for itself (periodic or small-alphabet data where needle and
 *      haystack agree almost everywhere) a window of the haystack is
 *      handed to Two-Way (Crochemore-Perrin), which is linear in the worst
 *      case, and the prefilter then resumes.
 *
 * The reverse search is the mirror image, with its own Two-Way over the
 * reversed needle.  Without SIMD (other CPUs, 32-bit x86 without SSE2) the
 * prefilter is memchr / memrchr on the rarest byte, with the same budget.
 * Nothing here depends on the C library's memmem, which Windows lacks.
 *
 * Memory safety: every load stays inside [hay, hay + hlen).  The library
 * searches mappings that end at a page boundary, so reading one byte past
 * the end would fault.  Vector loads are made only at positions where a full
 * vector fits; the last partial block is handled by one more load that ends
 * exactly at the last candidate's reach and overlaps bytes already scanned.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memrchr in glibc */
#endif

#include "internal.h"

#include <string.h>

/* MMF_SEARCH_PORTABLE builds the code that CPUs without SSE2 run, so that
 * it can be tested on x86 too. */
#if (defined(__x86_64__) || defined(_M_X64) || defined(__SSE2__)) &&           \
    !defined(MMF_SEARCH_PORTABLE)
#define SEARCH_SSE2 1
#include <emmintrin.h>
/* AVX2 is chosen at run time, so only compilers that can build one
 * function for another target (GCC >= 4.9, Clang) get that path. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) &&         \
    !defined(MMF_NO_AVX2)
#define SEARCH_AVX2 1
#include <immintrin.h>
#endif
#endif

#if defined(__GNUC__)
#define SEARCH_INLINE static inline __attribute__((always_inline))
#define SEARCH_NOINLINE static __attribute__((noinline))
#else
#define SEARCH_INLINE static inline
#define SEARCH_NOINLINE static
#endif

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#endif

/* --- which bytes are rare ----------------------------------------------
 *
 * Rank of each byte value, 0 = rarest, 255 = most common.  Measured once on
 * a mix of 24 MiB each of English prose (package changelogs and READMEs), C
 * headers, and half weight of x86_64 shared libraries, so that letters,
 * space and NUL rank high, control bytes and high bytes low.  The exact
 * numbers matter little: a poor pick only costs false candidates, which the
 * budget below bounds.  docs/search.md tells how to regenerate it.
 */
static const unsigned char byte_rank[256] = {
    254, 201, 170, 160, 168, 158, 142, 146, 183, 202, 243, 106, 145, 139, 163,
    196, 165, 117, 159, 77,  118, 120, 75,  65,  147, 87,  78,  69,  88,  41,
    50,  156, 255, 115, 171, 194, 185, 138, 134, 154, 227, 223, 232, 176, 214,
    231, 233, 213, 228, 220, 210, 195, 190, 198, 186, 181, 188, 199, 205, 189,
    179, 182, 175, 82,  178, 226, 192, 219, 207, 230, 197, 191, 222, 221, 144,
    174, 225, 203, 212, 211, 209, 125, 215, 235, 224, 193, 180, 162, 187, 161,
    131, 150, 149, 153, 93,  245, 155, 247, 229, 244, 242, 253, 238, 234, 237,
    250, 152, 216, 241, 236, 251, 248, 240, 143, 246, 249, 252, 239, 208, 206,
    204, 218, 166, 140, 136, 141, 116, 66,  148, 121, 94,  172, 164, 169, 84,
    72,  111, 200, 22,  184, 73,  173, 53,  46,  133, 14,  20,  26,  64,  32,
    16,  11,  86,  21,  15,  9,   42,  13,  24,  28,  112, 18,  59,  5,   29,
    1,   3,   7,   83,  19,  17,  12,  30,  6,   0,   38,  96,  2,   8,   10,
    52,  4,   107, 68,  119, 60,  98,  49,  61,  35,  101, 76,  167, 132, 110,
    137, 124, 92,  109, 135, 103, 91,  62,  27,  36,  34,  43,  31,  129, 67,
    102, 51,  40,  37,  45,  33,  97,  44,  47,  71,  25,  23,  54,  113, 130,
    56,  105, 39,  63,  48,  70,  81,  177, 157, 74,  114, 104, 80,  85,  127,
    123, 57,  89,  108, 55,  58,  126, 99,  128, 79,  100, 95,  90,  122, 151,
    217};

/* --- Two-Way (Crochemore-Perrin), forward and over the reversed strings --
 *
 * The needle x[0, m) is split at a critical factorization x = u v, with
 * |u| = ell, found from the maximal suffixes under both byte orders.  The
 * right part is matched left to right, then the left part right to left;
 * the shifts after a mismatch never skip an occurrence and keep the number
 * of comparisons below about 2n.  When the needle is not periodic a
 * Horspool shift on the window's last byte skips ahead quickly on ordinary
 * data (as glibc does for long needles).  Periodic needles keep the classic
 * "memory" of the matched period instead, which is what keeps them linear.
 *
 * The reverse search runs the same code over mirrored indices: x'[i] =
 * x[m-1-i] and y'[i] = y[n-1-i], so the first match in the mirror is the
 * last match in the original.  `rev` is a constant at every call, and the
 * always-inlined bodies are compiled once per direction.
 */
typedef struct tw_needle {
    const unsigned char *x;
    size_t m;
    size_t ell;        /* length of the left part u */
    size_t per;        /* shift after v matched and u did not */
    int periodic;      /* x[0, ell) == x[per, per + ell): x has period per,
                          so a shift by per keeps m - per bytes matched */
    size_t shift[256]; /* non-periodic only: m-1 minus the last index of
                          each byte in x (m if absent; 0 for x[m-1]) */
} tw_needle;

SEARCH_INLINE unsigned char at(const unsigned char *s, size_t len, size_t i,
                               int rev)
{
    return rev ? s[len - 1 - i] : s[i];
}

/* Start of the maximal suffix of x (mirrored if rev) under the byte order,
 * or under the reversed order if `inverse`; *period receives its period. */
SEARCH_INLINE size_t tw_max_suffix(const unsigned char *x, size_t m,
                                   int inverse, int rev, size_t *period)
{
    size_t u = 0; /* start of the maximal suffix found so far */
    size_t v = 1; /* start of the suffix it is being compared with */
    size_t k = 1; /* x[u, u+k) and x[v, v+k) agree except the last byte */
    size_t p = 1; /* period of x[u, v + k - 1) */

    while (v + k <= m) {
        unsigned char a = at(x, m, v + k - 1, rev);
        unsigned char b = at(x, m, u + k - 1, rev);
        if (inverse ? a > b : a < b) {
            /* x[v..] loses: every suffix starting up to here loses too. */
            v += k;
            k = 1;
            p = v - u;
        } else if (a == b) {
            if (k != p) {
                k++;
            } else {
                v += p;
                k = 1;
            }
        } else {
            /* x[v..] wins: it becomes the maximal suffix. */
            u = v;
            v = u + 1;
            k = p = 1;
        }
    }
    *period = p;
    return u;
}

SEARCH_INLINE void tw_init(tw_needle *tw, const unsigned char *x, size_t m,
                           int rev)
{
    size_t p1, p2;
    size_t s1 = tw_max_suffix(x, m, 0, rev, &p1);
    size_t s2 = tw_max_suffix(x, m, 1, rev, &p2);

    tw->x = x;
    tw->m = m;
    /* The later of the two maximal suffixes gives a critical position. */
    tw->ell = s1 > s2 ? s1 : s2;
    tw->per = s1 > s2 ? p1 : p2;

    /* Periodic: u repeats one period later (x[0, ell) == x[per, per+ell)). */
    tw->periodic = 1;
    for (size_t i = 0; i < tw->ell; i++) {
        if (at(x, m, i, rev) != at(x, m, i + tw->per, rev)) {
            tw->periodic = 0;
            break;
        }
    }
    if (!tw->periodic) {
        size_t big = tw->ell > m - tw->ell ? tw->ell : m - tw->ell;
        tw->per = big + 1;
        for (size_t c = 0; c < 256; c++)
            tw->shift[c] = m;
        for (size_t i = 0; i < m; i++)
            tw->shift[at(x, m, i, rev)] = m - 1 - i;
    }
}

/* Offset in y (n bytes) of the first match (last if rev), or SIZE_MAX. */
SEARCH_INLINE size_t tw_run(const tw_needle *tw, const unsigned char *y,
                            size_t n, int rev)
{
    const unsigned char *x = tw->x;
    size_t m = tw->m, ell = tw->ell, per = tw->per;
    size_t j = 0, i;

    if (n < m)
        return SIZE_MAX;
    if (tw->periodic) {
        size_t mem = 0; /* x[0, mem) is known to match at j */
        while (j <= n - m) {
            i = ell > mem ? ell : mem;
            while (i < m && at(x, m, i, rev) == at(y, n, i + j, rev))
                i++;
            if (i < m) {
                j += i - ell + 1;
                mem = 0;
                continue;
            }
            i = ell;
            while (i > mem && at(x, m, i - 1, rev) == at(y, n, i - 1 + j, rev))
                i--;
            if (i <= mem)
                return rev ? n - m - j : j;
            j += per;
            mem = m - per;
        }
    } else {
        while (j <= n - m) {
            size_t sh = tw->shift[at(y, n, j + m - 1, rev)];
            if (sh != 0) {
                j += sh;
                continue;
            }
            i = ell;
            while (i < m - 1 && at(x, m, i, rev) == at(y, n, i + j, rev))
                i++;
            if (i < m - 1) {
                j += i - ell + 1;
                continue;
            }
            i = ell;
            while (i > 0 && at(x, m, i - 1, rev) == at(y, n, i - 1 + j, rev))
                i--;
            if (i == 0)
                return rev ? n - m - j : j;
            j += per;
        }
    }
    return SIZE_MAX;
}

SEARCH_NOINLINE void tw_init_fwd(tw_needle *tw, const char *x, size_t m)
{
    tw_init(tw, (const unsigned char *)x, m, 0);
}

SEARCH_NOINLINE void tw_init_rev(tw_needle *tw, const char *x, size_t m)
{
    tw_init(tw, (const unsigned char *)x, m, 1);
}

SEARCH_NOINLINE size_t tw_find_fwd(const tw_needle *tw, const char *y, size_t n)
{
    return tw_run(tw, (const unsigned char *)y, n, 0);
}

SEARCH_NOINLINE size_t tw_find_rev(const tw_needle *tw, const char *y, size_t n)
{
    return tw_run(tw, (const unsigned char *)y, n, 1);
}

/* --- one search: the pair, the budget, the fallback ---------------------
 *
 * Candidate starts are [0, nc), nc = hlen - nlen + 1.  A candidate that
 * passes the pair test is first checked with two word compares (the ends of
 * the needle), which is O(1) and so harmless however often it happens; only
 * a candidate whose ends match and whose middle does not costs O(nlen).
 * Those are charged FP_COST + nlen each (the scalar path also charges
 * FP_COST for every memchr restart) against an allowance of
 * BUDGET_PER_BYTE per byte scanned plus a slack, so the verification work
 * stays linear: at most BUDGET_PER_BYTE * hlen + slack + nlen per phase.
 * Past the budget, Two-Way takes the next TW_WINDOW candidates (at least
 * 8 * nlen, so that its O(nlen) set-up is amortized) and the prefilter then
 * starts again with a fresh budget: a run of zeros in the middle of a text
 * file costs Two-Way speed only while it lasts.
 */
#define FP_COST 16
#define BUDGET_PER_BYTE 2
#define BUDGET_SLACK 2048
#define TW_WINDOW ((size_t)1 << 16)
#define PAIR_SPAN 256

typedef struct scan {
    const char *hay;
    const char *needle;
    size_t hlen, nlen;
    size_t nc;            /* number of candidate starts */
    size_t i1, i2;        /* offsets of the pair in the needle */
    unsigned char b1, b2; /* the pair's bytes; b1 is the rarer */
    uint64_t head, tail;  /* the needle's first and last 8, 4 or 2 bytes */
    size_t mark;          /* where the current budget began */
    uint64_t spent;       /* what false candidates cost since mark */
    int tw_ready;
    tw_needle tw;
} scan;

/* Unaligned loads that compilers turn into one instruction where the CPU
 * allows it. */
SEARCH_INLINE uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

SEARCH_INLINE uint32_t load32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

SEARCH_INLINE uint16_t load16(const char *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void scan_init(scan *sc, const char *hay, size_t hlen,
                      const char *needle, size_t nlen)
{
    const unsigned char *x = (const unsigned char *)needle;
    size_t i1 = 0, i2 = SIZE_MAX;
    unsigned r1 = byte_rank[x[0]], r2 = 256;
    /* The pair comes from the first PAIR_SPAN bytes.  This set-up runs on
     * every call (a count makes one call per match); past that span a
     * rarer pair would save less than the scan for it costs. */
    size_t span = nlen < PAIR_SPAN ? nlen : PAIR_SPAN;

    /* One pass keeps the rarest byte and the rarest of the other values: a
     * second byte with another value filters better than the same byte
     * again ("aXa" in a run of a's).  Ranks are a permutation, so equal
     * ranks mean equal bytes. */
    for (size_t i = 1; i < span; i++) {
        unsigned r = byte_rank[x[i]];
        if (r < r1) {
            i2 = i1;
            r2 = r1;
            i1 = i;
            r1 = r;
        } else if (r != r1 && r < r2) {
            i2 = i;
            r2 = r;
        }
    }
    if (i2 == SIZE_MAX) /* one value throughout: any other position */
        i2 = i1 == span - 1 ? 0 : span - 1;

    sc->hay = hay;
    sc->needle = needle;
    sc->hlen = hlen;
    sc->nlen = nlen;
    sc->nc = hlen - nlen + 1;
    sc->i1 = i1;
    sc->i2 = i2;
    sc->b1 = x[i1];
    sc->b2 = x[i2];
    sc->spent = 0;
    sc->tw_ready = 0;
    if (nlen >= 8) {
        sc->head = load64(needle);
        sc->tail = load64(needle + nlen - 8);
    } else if (nlen >= 4) {
        sc->head = load32(needle);
        sc->tail = load32(needle + nlen - 4);
    } else {
        sc->head = load16(needle);
        sc->tail = load16(needle + nlen - 2);
    }
}

/* Charge a false candidate `cost`; true once the prefilter has cost more
 * than `scanned` bytes allow. */
SEARCH_INLINE int over_budget(scan *sc, size_t scanned, uint64_t cost)
{
    sc->spent += cost;
    return sc->spent > (uint64_t)scanned * BUDGET_PER_BYTE + BUDGET_SLACK;
}

static size_t tw_window(const scan *sc)
{
    size_t w = sc->nlen > SIZE_MAX / 8 ? SIZE_MAX : sc->nlen * 8;
    return w > TW_WINDOW ? w : TW_WINDOW;
}

/* Do the needle's first and last bytes match at h?  Two overlapping words
 * cover all of a needle of up to 16 bytes, and reject nearly every false
 * candidate of a longer one without a call. */
SEARCH_INLINE int ends_match(const scan *sc, const char *h)
{
    size_t n = sc->nlen;

    if (n >= 8)
        return load64(h) == sc->head && load64(h + n - 8) == sc->tail;
    if (n >= 4)
        return load32(h) == sc->head && load32(h + n - 4) == sc->tail;
    return load16(h) == sc->head && load16(h + n - 2) == sc->tail;
}

/* The rest of the comparison once ends_match() said yes. */
SEARCH_INLINE int middle_matches(const scan *sc, const char *h)
{
    return sc->nlen <= 16 || memcmp(h + 8, sc->needle + 8, sc->nlen - 16) == 0;
}

/* Two-Way over candidates [c, c + window).  Returns the match or NULL; then
 * *next is the first candidate left for the prefilter. */
SEARCH_NOINLINE const char *fwd_fallback(scan *sc, size_t c, size_t *next)
{
    size_t end, r;

    if (c >= sc->nc) {
        *next = sc->nc;
        return NULL;
    }
    end = sc->nc - c > tw_window(sc) ? c + tw_window(sc) : sc->nc;
    if (!sc->tw_ready) {
        tw_init_fwd(&sc->tw, sc->needle, sc->nlen);
        sc->tw_ready = 1;
    }
    r = tw_find_fwd(&sc->tw, sc->hay + c, end - c + sc->nlen - 1);
    if (r != SIZE_MAX)
        return sc->hay + c + r;
    sc->mark = end;
    sc->spent = 0;
    *next = end;
    return NULL;
}

/* Two-Way over candidates [c - window, c).  Mirror of fwd_fallback(). */
SEARCH_NOINLINE const char *rev_fallback(scan *sc, size_t c, size_t *next)
{
    size_t lo, r;

    if (c == 0) {
        *next = 0;
        return NULL;
    }
    lo = c > tw_window(sc) ? c - tw_window(sc) : 0;
    if (!sc->tw_ready) {
        tw_init_rev(&sc->tw, sc->needle, sc->nlen);
        sc->tw_ready = 1;
    }
    r = tw_find_rev(&sc->tw, sc->hay + lo, c - lo + sc->nlen - 1);
    if (r != SIZE_MAX)
        return sc->hay + lo + r;
    sc->mark = lo;
    sc->spent = 0;
    *next = lo;
    return NULL;
}

/* --- single bytes -------------------------------------------------------- */

static const char *last_byte(const char *s, unsigned char c, size_t n)
{
#if defined(__GLIBC__)
    return memrchr(s, c, n);
#else
    /* Word at a time from the end: a zero byte in w ^ pattern marks c. */
    const size_t ones = (size_t)-1 / 0xff;
    const size_t highs = ones << 7;
    const size_t pattern = ones * c;
    const unsigned char *p = (const unsigned char *)s + n;

    while (n >= sizeof(size_t)) {
        size_t w;
        memcpy(&w, p - sizeof w, sizeof w);
        w ^= pattern;
        if (((w - ones) & ~w & highs) != 0)
            break;
        p -= sizeof w;
        n -= sizeof w;
    }
    while (n > 0) {
        n--;
        if (*--p == c)
            return (const char *)p;
    }
    return NULL;
#endif
}

/* --- the prefilter without SIMD: memchr on the rarer byte ---------------- */

static const char *fwd_scalar(scan *sc)
{
    const char *hay = sc->hay;
    size_t c = 0;
    uint64_t cost;

    while (c < sc->nc) {
        const char *p = memchr(hay + c + sc->i1, sc->b1, sc->nc - c);
        if (p == NULL)
            return NULL;
        c = (size_t)(p - hay) - sc->i1;
        cost = FP_COST;
        if ((unsigned char)hay[c + sc->i2] == sc->b2 &&
            ends_match(sc, hay + c)) {
            if (middle_matches(sc, hay + c))
                return hay + c;
            cost += sc->nlen;
        }
        if (over_budget(sc, c - sc->mark, cost)) {
            const char *r = fwd_fallback(sc, c + 1, &c);
            if (r != NULL)
                return r;
        } else {
            c++;
        }
    }
    return NULL;
}

static const char *rev_scalar(scan *sc)
{
    const char *hay = sc->hay;
    size_t e = sc->nc; /* candidates [0, e) are left */

    while (e > 0) {
        const char *p = last_byte(hay + sc->i1, sc->b1, e);
        size_t c;
        uint64_t cost = FP_COST;
        if (p == NULL)
            return NULL;
        c = (size_t)(p - hay) - sc->i1;
        if ((unsigned char)hay[c + sc->i2] == sc->b2 &&
            ends_match(sc, hay + c)) {
            if (middle_matches(sc, hay + c))
                return hay + c;
            cost += sc->nlen;
        }
        if (over_budget(sc, sc->mark - c, cost)) {
            const char *r = rev_fallback(sc, c, &e);
            if (r != NULL)
                return r;
        } else {
            e = c;
        }
    }
    return NULL;
}

/* --- the SIMD prefilter --------------------------------------------------
 *
 * A block is V consecutive candidate starts [base, base + V).  Bit j of its
 * mask says that candidate base + j has b1 at +i1 and b2 at +i2.  Loads
 * read hay[base + i, base + i + V) with i <= nlen - 1, so a block is
 * readable when base + V <= nc; the last, partial block is loaded at
 * nc - V instead and the bits already examined are masked off.
 */
#if defined(SEARCH_SSE2)

SEARCH_INLINE unsigned lowest_bit(uint32_t m)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctz(m);
#else
    unsigned long i;
    _BitScanForward(&i, m);
    return (unsigned)i;
#endif
}

SEARCH_INLINE unsigned highest_bit(uint32_t m)
{
#if defined(__GNUC__)
    return 31u - (unsigned)__builtin_clz(m);
#else
    unsigned long i;
    _BitScanReverse(&i, m);
    return (unsigned)i;
#endif
}

/* Check the candidates of one block, lowest first. */
SEARCH_NOINLINE const char *fwd_block(scan *sc, size_t base, uint32_t mask,
                                      size_t *next)
{
    do {
        size_t c = base + lowest_bit(mask);
        mask &= mask - 1;
        if (!ends_match(sc, sc->hay + c))
            continue;
        if (middle_matches(sc, sc->hay + c))
            return sc->hay + c;
        if (over_budget(sc, c - sc->mark, FP_COST + (uint64_t)sc->nlen))
            return fwd_fallback(sc, c + 1, next);
    } while (mask != 0);
    return NULL;
}

/* Check the candidates of one block, highest first. */
SEARCH_NOINLINE const char *rev_block(scan *sc, size_t base, uint32_t mask,
                                      size_t *next)
{
    do {
        unsigned j = highest_bit(mask);
        size_t c = base + j;
        mask ^= (uint32_t)1 << j;
        if (!ends_match(sc, sc->hay + c))
            continue;
        if (middle_matches(sc, sc->hay + c))
            return sc->hay + c;
        if (over_budget(sc, sc->mark - c, FP_COST + (uint64_t)sc->nlen))
            return rev_fallback(sc, c, next);
    } while (mask != 0);
    return NULL;
}

SEARCH_INLINE uint32_t pair_mask16(const char *p1, const char *p2, __m128i v1,
                                   __m128i v2)
{
    __m128i a = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p1), v1);
    __m128i b = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p2), v2);
    return (uint32_t)_mm_movemask_epi8(_mm_and_si128(a, b));
}

/* Requires nc >= 16. */
static const char *fwd_sse2(scan *sc)
{
    const __m128i v1 = _mm_set1_epi8((char)sc->b1);
    const __m128i v2 = _mm_set1_epi8((char)sc->b2);
    const char *p1 = sc->hay + sc->i1, *p2 = sc->hay + sc->i2;
    const size_t nc = sc->nc, last = nc - 16;
    size_t s = 0; /* candidates [0, s) are done */

    for (;;) {
        uint32_t mask = 0;
        size_t base;
        const char *r;

        while (s <= last && (mask = pair_mask16(p1 + s, p2 + s, v1, v2)) == 0)
            s += 16;
        if (mask != 0) {
            base = s;
            s += 16;
        } else {
            if (s >= nc)
                return NULL;
            base = last;
            mask = pair_mask16(p1 + last, p2 + last, v1, v2) &
                   (0xffffu << (s - last));
            if (mask == 0)
                return NULL;
            s = nc;
        }
        if ((r = fwd_block(sc, base, mask, &s)) != NULL)
            return r;
    }
}

/* Requires nc >= 16. */
static const char *rev_sse2(scan *sc)
{
    const __m128i v1 = _mm_set1_epi8((char)sc->b1);
    const __m128i v2 = _mm_set1_epi8((char)sc->b2);
    const char *p1 = sc->hay + sc->i1, *p2 = sc->hay + sc->i2;
    size_t e = sc->nc; /* candidates [e, nc) are done */

    for (;;) {
        uint32_t mask = 0;
        size_t base;
        const char *r;

        while (e >= 16 &&
               (mask = pair_mask16(p1 + e - 16, p2 + e - 16, v1, v2)) == 0)
            e -= 16;
        if (mask != 0) {
            base = e - 16;
            e = base;
        } else {
            if (e == 0)
                return NULL;
            base = 0;
            mask = pair_mask16(p1, p2, v1, v2) & ((1u << e) - 1);
            if (mask == 0)
                return NULL;
            e = 0;
        }
        if ((r = rev_block(sc, base, mask, &e)) != NULL)
            return r;
    }
}

#endif /* SEARCH_SSE2 */

#if defined(SEARCH_AVX2)

#define AVX2_FN __attribute__((target("avx2")))

AVX2_FN static inline uint32_t pair_mask32(const char *p1, const char *p2,
                                           __m256i v1, __m256i v2)
{
    __m256i a = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)p1), v1);
    __m256i b = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)p2), v2);
    return (uint32_t)_mm256_movemask_epi8(_mm256_and_si256(a, b));
}

/* Requires nc >= 32.  fwd_sse2() with 32-byte blocks. */
AVX2_FN static const char *fwd_avx2(scan *sc)
{
    const __m256i v1 = _mm256_set1_epi8((char)sc->b1);
    const __m256i v2 = _mm256_set1_epi8((char)sc->b2);
    const char *p1 = sc->hay + sc->i1, *p2 = sc->hay + sc->i2;
    const size_t nc = sc->nc, last = nc - 32;
    size_t s = 0;

    for (;;) {
        uint32_t mask = 0;
        size_t base;
        const char *r;

        while (s <= last && (mask = pair_mask32(p1 + s, p2 + s, v1, v2)) == 0)
            s += 32;
        if (mask != 0) {
            base = s;
            s += 32;
        } else {
            if (s >= nc)
                return NULL;
            base = last;
            mask = pair_mask32(p1 + last, p2 + last, v1, v2) &
                   (0xffffffffu << (s - last));
            if (mask == 0)
                return NULL;
            s = nc;
        }
        if ((r = fwd_block(sc, base, mask, &s)) != NULL)
            return r;
    }
}

/* Requires nc >= 32.  rev_sse2() with 32-byte blocks. */
AVX2_FN static const char *rev_avx2(scan *sc)
{
    const __m256i v1 = _mm256_set1_epi8((char)sc->b1);
    const __m256i v2 = _mm256_set1_epi8((char)sc->b2);
    const char *p1 = sc->hay + sc->i1, *p2 = sc->hay + sc->i2;
    size_t e = sc->nc;

    for (;;) {
        uint32_t mask = 0;
        size_t base;
        const char *r;

        while (e >= 32 &&
               (mask = pair_mask32(p1 + e - 32, p2 + e - 32, v1, v2)) == 0)
            e -= 32;
        if (mask != 0) {
            base = e - 32;
            e = base;
        } else {
            if (e == 0)
                return NULL;
            base = 0;
            mask = pair_mask32(p1, p2, v1, v2) &
                   (uint32_t)((((uint64_t)1) << e) - 1);
            if (mask == 0)
                return NULL;
            e = 0;
        }
        if ((r = rev_block(sc, base, mask, &e)) != NULL)
            return r;
    }
}

/* libgcc fills the CPU model from a constructor, so this is one load; it
 * also checks that the OS saves the YMM registers. */
static int have_avx2(void)
{
#if defined(__AVX2__)
    return 1;
#else
    return __builtin_cpu_supports("avx2");
#endif
}

#endif /* SEARCH_AVX2 */

/* --- entry points -------------------------------------------------------- */

const char *mmf__memmem(const char *hay, size_t hlen, const char *needle,
                        size_t nlen)
{
    scan sc;

    if (nlen == 0)
        return hay;
    if (nlen > hlen)
        return NULL;
    if (nlen == 1)
        return memchr(hay, (unsigned char)needle[0], hlen);
    /* A count resumes right after each match, and in runs (zero pages,
     * padding, repeated records) the next one is often right there: one
     * byte compare settles that before any set-up. */
    if (hay[0] == needle[0] && memcmp(hay, needle, nlen) == 0)
        return hay;
    scan_init(&sc, hay, hlen, needle, nlen);
    sc.mark = 0;
#if defined(SEARCH_AVX2)
    if (sc.nc >= 32 && have_avx2())
        return fwd_avx2(&sc);
#endif
#if defined(SEARCH_SSE2)
    if (sc.nc >= 16)
        return fwd_sse2(&sc);
#endif
    return fwd_scalar(&sc);
}

const char *mmf__memrmem(const char *hay, size_t hlen, const char *needle,
                         size_t nlen)
{
    scan sc;

    if (nlen == 0)
        return hay + hlen;
    if (nlen > hlen)
        return NULL;
    if (nlen == 1)
        return last_byte(hay, (unsigned char)needle[0], hlen);
    if (hay[hlen - 1] == needle[nlen - 1] &&
        memcmp(hay + hlen - nlen, needle, nlen) == 0)
        return hay + hlen - nlen;
    scan_init(&sc, hay, hlen, needle, nlen);
    sc.mark = sc.nc;
#if defined(SEARCH_AVX2)
    if (sc.nc >= 32 && have_avx2())
        return rev_avx2(&sc);
#endif
#if defined(SEARCH_SSE2)
    if (sc.nc >= 16)
        return rev_sse2(&sc);
#endif
    return rev_scalar(&sc);
}

/* --- counting one byte -------------------------------------------------
 *
 * mmf_count of a one-byte needle (lines: "\n") counts equal bytes 16 at a
 * time: compare, subtract the all-ones lanes from per-lane counters, and
 * add the counters up (psadbw) before a lane can wrap at 255.  A memchr per
 * match runs at 1-2 GB/s on text with 80-byte lines; this runs at memory
 * speed whatever the density, like wc -l's counting loop.
 */
uint64_t mmf__count_byte(const char *hay, size_t hlen, unsigned char byte)
{
    uint64_t total = 0;
    size_t i = 0;
#ifdef SEARCH_SSE2
    const __m128i want = _mm_set1_epi8((char)byte);
    const __m128i zero = _mm_setzero_si128();
    while (hlen - i >= 16) {
        size_t blocks = (hlen - i) / 16;
        if (blocks > 255)
            blocks = 255;
        __m128i acc = _mm_setzero_si128();
        for (size_t b = 0; b < blocks; b++, i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(hay + i));
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, want));
        }
        __m128i sums = _mm_sad_epu8(acc, zero);
        total += (uint64_t)_mm_cvtsi128_si32(sums) +
                 (uint64_t)_mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
    }
#endif
    for (; i < hlen; i++)
        total += (unsigned char)hay[i] == byte;
    return total;
}
