/*
 * test_search.c - the search kernels mmf__memmem / mmf__memrmem against a
 * naive reference.
 *
 * The fast paths differ by haystack size (scalar below 16 candidates, SSE2,
 * AVX2 from 32), by how often the rare-byte pair matches (small alphabets
 * and periodic data push the searcher into its Two-Way fallback) and by
 * where the haystack ends (the SIMD tail).  Each test below aims at one of
 * those; the random ones use fixed seeds so that a failure repeats.
 * Build with -DMMF_NO_AVX2 or -DMMF_SEARCH_PORTABLE in src/search.c to run
 * the same tests over the SSE2 or the portable path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "internal.h"

#ifndef _WIN32
#include <sys/mman.h>
#include <unistd.h>
#endif

/* --- the reference and the comparison ----------------------------------- */

static size_t naive_find(const char *h, size_t hl, const char *n, size_t nl)
{
    if (nl > hl)
        return SIZE_MAX;
    for (size_t i = 0; i + nl <= hl; i++)
        if (memcmp(h + i, n, nl) == 0)
            return i;
    return SIZE_MAX;
}

static size_t naive_rfind(const char *h, size_t hl, const char *n, size_t nl)
{
    if (nl > hl)
        return SIZE_MAX;
    for (size_t i = hl - nl + 1; i-- > 0;)
        if (memcmp(h + i, n, nl) == 0)
            return i;
    return SIZE_MAX;
}

static long long sv(size_t v)
{
    return v == SIZE_MAX ? -1 : (long long)v;
}

static size_t off(const char *hit, const char *hay)
{
    return hit == NULL ? SIZE_MAX : (size_t)(hit - hay);
}

/* Both kernels agree with the reference; returns the forward answer. */
static size_t check_both(const char *h, size_t hl, const char *n, size_t nl)
{
    size_t want = naive_find(h, hl, n, nl);
    size_t got = off(mmf__memmem(h, hl, n, nl), h);
    size_t rwant = naive_rfind(h, hl, n, nl);
    size_t rgot = off(mmf__memrmem(h, hl, n, nl), h);

    if (got != want || rgot != rwant) {
        fprintf(stderr,
                "hlen %zu nlen %zu: find %lld (want %lld), rfind %lld "
                "(want %lld)\nneedle: ",
                hl, nl, sv(got), sv(want), sv(rgot), sv(rwant));
        for (size_t i = 0; i < nl && i < 80; i++)
            fprintf(stderr, "%02x", (unsigned char)n[i]);
        fprintf(stderr, "\n");
    }
    assert_int_equal(got, want);
    assert_int_equal(rgot, rwant);
    return want;
}

/* Every match, walking forward and backward as mmf_count does. */
static void check_all_matches(const char *h, size_t hl, const char *n,
                              size_t nl)
{
    size_t pos = 0, end = hl;

    for (;;) {
        size_t want = naive_find(h + pos, hl - pos, n, nl);
        size_t got = off(mmf__memmem(h + pos, hl - pos, n, nl), h + pos);
        assert_int_equal(got, want);
        if (got == SIZE_MAX)
            break;
        pos += got + 1;
    }
    for (;;) {
        size_t want = naive_rfind(h, end, n, nl);
        size_t got = off(mmf__memrmem(h, end, n, nl), h);
        assert_int_equal(got, want);
        if (got == SIZE_MAX)
            break;
        end = got + nl - 1;
    }
}

static uint64_t rng_state;

static void rng_seed(uint64_t seed)
{
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
}

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static size_t rng_below(size_t n)
{
    return n == 0 ? 0 : (size_t)rng() % n;
}

static void fill_alpha(char *buf, size_t n, const char *alpha)
{
    size_t k = strlen(alpha);
    for (size_t i = 0; i < n; i++)
        buf[i] = alpha[rng_below(k)];
}

/* A needle: either a piece of the haystack (so that it matches) or random
 * bytes of the same alphabet (mostly absent). */
static size_t pick_needle(char *n, size_t maxn, const char *h, size_t hl,
                          const char *alpha)
{
    size_t nl = 1 + rng_below(maxn);
    if (hl >= nl && rng() % 2 == 0)
        memcpy(n, h + rng_below(hl - nl + 1), nl);
    else if (alpha != NULL)
        fill_alpha(n, nl, alpha);
    else
        for (size_t i = 0; i < nl; i++)
            n[i] = (char)rng();
    return nl;
}

/* --- edges ---------------------------------------------------------------- */

static void empty_haystack_finds_nothing(void **state)
{
    char hay[1] = {'a'};
    (void)state;
    assert_null(mmf__memmem(hay, 0, "a", 1));
    assert_null(mmf__memrmem(hay, 0, "a", 1));
    assert_null(mmf__memmem(hay, 0, "ab", 2));
    assert_null(mmf__memrmem(hay, 0, "ab", 2));
}

static void empty_needle_matches_at_both_ends(void **state)
{
    const char *hay = "abc";
    (void)state;
    assert_ptr_equal(mmf__memmem(hay, 3, "", 0), hay);
    assert_ptr_equal(mmf__memrmem(hay, 3, "", 0), hay + 3);
}

static void needle_longer_than_haystack_finds_nothing(void **state)
{
    char hay[64], needle[65];
    (void)state;
    memset(hay, 'a', sizeof hay);
    memset(needle, 'a', sizeof needle);
    for (size_t hl = 0; hl < sizeof hay; hl++) {
        assert_null(mmf__memmem(hay, hl, needle, hl + 1));
        assert_null(mmf__memrmem(hay, hl, needle, hl + 1));
    }
}

static void needle_equal_to_haystack_matches_at_zero(void **state)
{
    char buf[200];
    (void)state;
    rng_seed(1);
    for (size_t n = 1; n < sizeof buf; n++) {
        fill_alpha(buf, n, "abc");
        assert_ptr_equal(mmf__memmem(buf, n, buf, n), buf);
        assert_ptr_equal(mmf__memrmem(buf, n, buf, n), buf);
        buf[n - 1] = 'z';
        assert_null(mmf__memmem(buf, n - 1, buf, n));
    }
}

static void find_match_at_first_byte_of_haystack(void **state)
{
    static char hay[512];
    char needle[64];
    (void)state;
    rng_seed(2);
    for (size_t nl = 1; nl <= 64; nl++) {
        for (size_t hl = nl; hl <= 300; hl += 1 + hl / 16) {
            memset(hay, '.', hl);
            fill_alpha(needle, nl, "xyz");
            memcpy(hay, needle, nl);
            assert_int_equal(check_both(hay, hl, needle, nl), 0);
        }
    }
}

static void find_match_at_last_byte_of_haystack(void **state)
{
    static char hay[512];
    char needle[64];
    (void)state;
    rng_seed(3);
    for (size_t nl = 1; nl <= 64; nl++) {
        for (size_t hl = nl; hl <= 300; hl += 1 + hl / 16) {
            memset(hay, '.', hl);
            fill_alpha(needle, nl, "xyz");
            memcpy(hay + hl - nl, needle, nl);
            /* The match ends at the last byte, so rfind sees it first and
             * find only after every vector block. */
            assert_int_equal(check_both(hay, hl, needle, nl), hl - nl);
            /* One byte short of a match at the very end. */
            hay[hl - 1] = '.';
            assert_int_equal(check_both(hay, hl, needle, nl), SIZE_MAX);
        }
    }
}

static void single_byte_needle_behaves_as_memchr_and_memrchr(void **state)
{
    char hay[300];
    (void)state;
    rng_seed(4);
    for (int round = 0; round < 2000; round++) {
        size_t hl = rng_below(sizeof hay);
        char c = (char)rng();
        for (size_t i = 0; i < hl; i++)
            hay[i] = (char)(rng() % 8 == 0 ? c : (char)rng());
        check_both(hay, hl, &c, 1);
    }
    /* Every byte value, first and last position. */
    for (int v = 0; v < 256; v++) {
        char c = (char)v;
        memset(hay, v == 0 ? 1 : 0, sizeof hay);
        hay[0] = hay[sizeof hay - 1] = c;
        assert_ptr_equal(mmf__memmem(hay, sizeof hay, &c, 1), hay);
        assert_ptr_equal(mmf__memrmem(hay, sizeof hay, &c, 1),
                         hay + sizeof hay - 1);
    }
}

static void every_byte_value_is_found_in_a_pair(void **state)
{
    /* Rank ties and high bytes (signedness of char) in the pair. */
    char hay[128], needle[3];
    (void)state;
    for (int v = 0; v < 256; v++) {
        memset(hay, 'e', sizeof hay);
        needle[0] = (char)v;
        needle[1] = (char)(255 - v);
        needle[2] = (char)v;
        memcpy(hay + 77, needle, 3);
        assert_int_equal(check_both(hay, sizeof hay, needle, 3), 77);
    }
}

/* --- random data ---------------------------------------------------------- */

static void random_binary_matches_naive(void **state)
{
    static char hay[1024];
    char needle[64];
    (void)state;
    rng_seed(5);
    for (int round = 0; round < 6000; round++) {
        size_t hl = rng_below(round < 3000 ? 64 : sizeof hay);
        for (size_t i = 0; i < hl; i++)
            hay[i] = (char)rng();
        size_t nl = pick_needle(needle, 64, hay, hl, NULL);
        check_both(hay, hl, needle, nl);
    }
}

static void two_letter_alphabet_matches_naive(void **state)
{
    static char hay[2048];
    char needle[64];
    (void)state;
    rng_seed(6);
    for (int round = 0; round < 6000; round++) {
        size_t hl = rng_below(round < 3000 ? 100 : sizeof hay);
        fill_alpha(hay, hl, "ab");
        size_t nl = pick_needle(needle, round % 2 ? 8 : 64, hay, hl, "ab");
        check_both(hay, hl, needle, nl);
    }
}

static void small_alphabets_find_every_match(void **state)
{
    static const char *alphas[] = {"ab", "abc", "aab", "acgt", "a b\n"};
    static char hay[3000];
    char needle[64];
    (void)state;
    rng_seed(7);
    for (int round = 0; round < 1500; round++) {
        const char *alpha = alphas[round % 5];
        size_t hl = rng_below(sizeof hay);
        fill_alpha(hay, hl, alpha);
        size_t nl = pick_needle(needle, 1 + (size_t)round % 24, hay, hl, alpha);
        check_all_matches(hay, hl, needle, nl);
    }
}

static void text_like_data_matches_naive(void **state)
{
    static const char *words[] = {"the ",        "error ",   "GET /index.html ",
                                  "200 ",        "host-17 ", "\n",
                                  "2024-01-01 ", "INFO ",    "of ",
                                  "connection "};
    static char hay[4096];
    char needle[64];
    (void)state;
    rng_seed(8);
    for (int round = 0; round < 600; round++) {
        size_t hl = 0;
        while (hl < sizeof hay - 32) {
            const char *w = words[rng_below(10)];
            memcpy(hay + hl, w, strlen(w));
            hl += strlen(w);
        }
        hl -= rng_below(64);
        size_t nl = pick_needle(needle, 40, hay, hl, "the roINF/0-1\n ");
        check_all_matches(hay, hl, needle, nl);
    }
}

/* --- periodic and adversarial data ---------------------------------------- */

static void periodic_needles_match_naive(void **state)
{
    static char hay[4096];
    char needle[64], period[8];
    (void)state;
    rng_seed(9);
    for (int round = 0; round < 3000; round++) {
        size_t p = 1 + rng_below(sizeof period);
        size_t nl = 1 + rng_below(sizeof needle);
        size_t hl = rng_below(sizeof hay);
        fill_alpha(period, p, round % 3 ? "ab" : "abc");
        for (size_t i = 0; i < nl; i++)
            needle[i] = period[i % p];
        /* Haystack: the same period with a few bytes flipped, so that the
         * needle nearly matches almost everywhere. */
        size_t shift = rng_below(p);
        for (size_t i = 0; i < hl; i++)
            hay[i] = period[(i + shift) % p];
        for (size_t k = rng_below(4); k > 0 && hl > 0; k--)
            hay[rng_below(hl)] = 'c';
        if (round % 4 == 0 && nl > 1)
            needle[rng_below(nl)] = 'c';
        check_both(hay, hl, needle, nl);
    }
}

static void run_of_one_byte_with_odd_last_byte(void **state)
{
    /* "aaa...ab" in "aaa...": Two-Way's textbook worst case for naive
     * search, and the pair's rare byte never occurs. */
    enum { N = 1 << 18 };
    char *hay = malloc(N);
    char needle[200];
    (void)state;
    assert_non_null(hay);
    memset(hay, 'a', N);
    for (size_t nl = 2; nl <= sizeof needle; nl += 13) {
        memset(needle, 'a', nl);
        needle[nl - 1] = 'b';
        assert_null(mmf__memmem(hay, N, needle, nl));
        assert_null(mmf__memrmem(hay, N, needle, nl));
        needle[nl - 1] = 'a';
        needle[0] = 'b';
        assert_null(mmf__memmem(hay, N, needle, nl));
        assert_null(mmf__memrmem(hay, N, needle, nl));
        /* The all-'a' needle matches at both ends. */
        memset(needle, 'a', nl);
        assert_ptr_equal(mmf__memmem(hay, N, needle, nl), hay);
        assert_ptr_equal(mmf__memrmem(hay, N, needle, nl), hay + N - nl);
    }
    /* Planted at the far end of each direction. */
    memset(needle, 'a', 64);
    needle[63] = 'b';
    hay[N - 1] = 'b';
    assert_ptr_equal(mmf__memmem(hay, N, needle, 64), hay + N - 64);
    hay[N - 1] = 'a';
    hay[63] = 'b';
    assert_ptr_equal(mmf__memrmem(hay, N, needle, 64), hay);
    free(hay);
}

/* A needle that agrees with a period-2 haystack everywhere but in its
 * middle: every other position passes the pair test and fails late, which
 * is what makes the searcher hand windows to Two-Way. */
static size_t dense_false_positive_needle(char *needle, size_t half)
{
    size_t nl = 0;
    for (size_t i = 0; i < half; i++)
        needle[nl++] = (char)(i % 2 ? 'b' : 'a');
    needle[nl++] = 'b';
    needle[nl++] = 'b';
    for (size_t i = 0; i < half; i++)
        needle[nl++] = (char)(i % 2 ? 'b' : 'a');
    return nl;
}

static void dense_false_positives_fall_back_and_stay_correct(void **state)
{
    enum { N = 400000 };
    char *hay = malloc(N);
    char needle[128];
    (void)state;
    assert_non_null(hay);
    rng_seed(10);
    for (size_t half = 2; half <= 62; half += 12) {
        size_t nl = dense_false_positive_needle(needle, half);
        for (size_t i = 0; i < N; i++)
            hay[i] = (char)(i % 2 ? 'b' : 'a');
        check_both(hay, N, needle, nl);
        /* Plant matches around the Two-Way window boundaries (65536
         * candidates after the switch) and far out, at odd and even
         * offsets. */
        size_t spots[] = {65530 + rng_below(20), 131071, 200001 + half,
                          N - nl - rng_below(3)};
        for (size_t k = 0; k < 4; k++) {
            memcpy(hay + spots[k], needle, nl);
            check_both(hay, N, needle, nl);
        }
        check_all_matches(hay, N, needle, nl);
    }
    free(hay);
}

static void text_after_repetitive_run_is_searched_correctly(void **state)
{
    /* The fallback hands back to the prefilter after its window: a long run
     * of period-2 data followed by text with the only match at the end. */
    enum { N = 600000 };
    char *hay = malloc(N);
    char needle[64];
    (void)state;
    assert_non_null(hay);
    rng_seed(11);
    size_t nl = dense_false_positive_needle(needle, 20);
    for (size_t i = 0; i < N / 2; i++)
        hay[i] = (char)(i % 2 ? 'b' : 'a');
    fill_alpha(hay + N / 2, N - N / 2, "abcdefghij ");
    memcpy(hay + N - nl - 5, needle, nl);
    assert_int_equal(check_both(hay, N, needle, nl), N - nl - 5);
    /* And the mirror image for the reverse search. */
    fill_alpha(hay, N / 2, "abcdefghij ");
    for (size_t i = N / 2; i < N; i++)
        hay[i] = (char)(i % 2 ? 'b' : 'a');
    memcpy(hay + 5, needle, nl);
    assert_int_equal(check_both(hay, N, needle, nl), 5);
    free(hay);
}

static void large_small_alphabet_haystacks_match_naive(void **state)
{
    enum { N = 1 << 17 };
    char *hay = malloc(N);
    char needle[96];
    (void)state;
    assert_non_null(hay);
    rng_seed(12);
    for (int round = 0; round < 40; round++) {
        fill_alpha(hay, N, round % 2 ? "ab" : "aaab");
        size_t nl = pick_needle(needle, sizeof needle, hay, N, "ab");
        check_both(hay, N, needle, nl);
    }
    free(hay);
}

static void two_way_fallback_matches_naive_on_many_needles(void **state)
{
    /* Near-periodic haystacks long enough for the budget to run out, so that
     * most of each search is Two-Way's, with needles of every shape. */
    enum { N = 12000 };
    static char hay[N];
    char needle[80], period[6];
    (void)state;
    rng_seed(17);
    for (int round = 0; round < 800; round++) {
        size_t p = 1 + rng_below(sizeof period);
        fill_alpha(period, p, round % 2 ? "ab" : "abc");
        for (size_t i = 0; i < N; i++)
            hay[i] = period[i % p];
        for (size_t k = rng_below(20); k > 0; k--)
            hay[rng_below(N)] = "abc"[rng_below(3)];
        size_t nl = 2 + rng_below(sizeof needle - 1);
        if (round % 3 == 0) {
            memcpy(needle, hay + rng_below(N - nl), nl);
        } else {
            for (size_t i = 0; i < nl; i++)
                needle[i] = period[i % p];
            for (size_t k = rng_below(3); k > 0; k--)
                needle[rng_below(nl)] = "abc"[rng_below(3)];
        }
        check_both(hay, N, needle, nl);
    }
}

static void periodic_needle_in_densely_perturbed_haystack(void **state)
{
    /* A periodic needle in the same period with a flipped byte every few
     * dozen positions: the needle's ends match nearly everywhere and its
     * middle nearly never, so Two-Way's periodic branch (with its memory of
     * the matched period) does most of the work. */
    enum { N = 20000 };
    static char hay[N];
    char needle[96], period[5];
    (void)state;
    rng_seed(18);
    for (int round = 0; round < 400; round++) {
        size_t p = 1 + rng_below(sizeof period);
        size_t nl = 17 + rng_below(sizeof needle - 16);
        fill_alpha(period, p, "ab");
        for (size_t i = 0; i < nl; i++)
            needle[i] = period[i % p];
        for (size_t i = 0; i < N; i++)
            hay[i] = period[i % p];
        for (size_t i = rng_below(nl); i < N; i += 1 + rng_below(nl))
            hay[i] = (char)(hay[i] == 'a' ? 'b' : 'a');
        check_both(hay, N, needle, nl);
    }
}

/* --- alignment and the end of readable memory ----------------------------- */

static void every_alignment_from_0_to_63_matches_naive(void **state)
{
    static char buf[64 + 256];
    char needle[40];
    (void)state;
    rng_seed(13);
    for (size_t align = 0; align < 64; align++) {
        for (int round = 0; round < 40; round++) {
            size_t hl = rng_below(256);
            char *hay = buf + align;
            fill_alpha(hay, hl, round % 2 ? "ab" : "abcdefgh");
            size_t nl = pick_needle(needle, sizeof needle, hay, hl,
                                    round % 2 ? "ab" : "abcdefgh");
            check_both(hay, hl, needle, nl);
        }
    }
}

#ifndef _WIN32
/* Three pages: none, read-write, none.  A haystack that starts at the
 * middle page's first byte or ends at its last byte faults on any read
 * outside it. */
static char *guarded_page(size_t *page)
{
    long ps = sysconf(_SC_PAGESIZE);
    char *base;
    *page = (size_t)ps;
    base = mmap(NULL, 3 * *page, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(base != MAP_FAILED);
    assert_int_equal(mprotect(base, *page, PROT_NONE), 0);
    assert_int_equal(mprotect(base + 2 * *page, *page, PROT_NONE), 0);
    return base + *page;
}

static void search_never_reads_past_end_of_readable_memory(void **state)
{
    size_t page;
    char *mid = guarded_page(&page);
    char needle[64];
    (void)state;
    rng_seed(14);
    for (size_t hl = 0; hl <= 300; hl++) {
        char *hay = mid + page - hl;
        for (int round = 0; round < 20; round++) {
            const char *alpha = round % 2 ? "ab" : "abcdefghijklmnop";
            fill_alpha(hay, hl, alpha);
            size_t nl = pick_needle(needle, sizeof needle, hay, hl, alpha);
            check_both(hay, hl, needle, nl);
            /* A match that ends on the last readable byte. */
            if (nl <= hl) {
                memcpy(hay + hl - nl, needle, nl);
                check_both(hay, hl, needle, nl);
            }
        }
    }
    munmap(mid - page, 3 * page);
}

static void search_never_reads_before_start_of_readable_memory(void **state)
{
    size_t page;
    char *mid = guarded_page(&page);
    char needle[64];
    (void)state;
    rng_seed(15);
    for (size_t hl = 0; hl <= 300; hl++) {
        char *hay = mid;
        for (int round = 0; round < 20; round++) {
            const char *alpha = round % 2 ? "ab" : "abcdefghijklmnop";
            fill_alpha(hay, hl, alpha);
            size_t nl = pick_needle(needle, sizeof needle, hay, hl, alpha);
            check_both(hay, hl, needle, nl);
            if (nl <= hl) {
                memcpy(hay, needle, nl);
                check_both(hay, hl, needle, nl);
            }
        }
    }
    munmap(mid - page, 3 * page);
}

static void whole_page_with_dense_false_positives_stays_inside(void **state)
{
    /* The Two-Way fallback also stays inside: a full page of period-2 data
     * bounded by unreadable pages on both sides. */
    size_t page;
    char *mid = guarded_page(&page);
    char needle[64];
    (void)state;
    for (size_t half = 2; half <= 30; half += 7) {
        size_t nl = dense_false_positive_needle(needle, half);
        for (size_t i = 0; i < page; i++)
            mid[i] = (char)(i % 2 ? 'b' : 'a');
        check_both(mid, page, needle, nl);
        memcpy(mid + page - nl, needle, nl);
        check_both(mid, page, needle, nl);
        memcpy(mid, needle, nl);
        check_both(mid, page, needle, nl);
    }
    munmap(mid - page, 3 * page);
}
#endif

static void needles_of_every_length_1_to_64_match_naive(void **state)
{
    static char hay[1500];
    char needle[64];
    (void)state;
    rng_seed(16);
    th_fill(hay, sizeof hay, 16);
    for (size_t nl = 1; nl <= 64; nl++) {
        for (int round = 0; round < 30; round++) {
            size_t hl = rng_below(sizeof hay);
            size_t at = hl >= nl ? rng_below(hl - nl + 1) : 0;
            if (hl >= nl && round % 3 != 0)
                memcpy(needle, hay + at, nl);
            else
                th_fill(needle, nl, (uint32_t)round);
            check_both(hay, hl, needle, nl);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_haystack_finds_nothing),
        cmocka_unit_test(empty_needle_matches_at_both_ends),
        cmocka_unit_test(needle_longer_than_haystack_finds_nothing),
        cmocka_unit_test(needle_equal_to_haystack_matches_at_zero),
        cmocka_unit_test(find_match_at_first_byte_of_haystack),
        cmocka_unit_test(find_match_at_last_byte_of_haystack),
        cmocka_unit_test(single_byte_needle_behaves_as_memchr_and_memrchr),
        cmocka_unit_test(every_byte_value_is_found_in_a_pair),
        cmocka_unit_test(random_binary_matches_naive),
        cmocka_unit_test(two_letter_alphabet_matches_naive),
        cmocka_unit_test(small_alphabets_find_every_match),
        cmocka_unit_test(text_like_data_matches_naive),
        cmocka_unit_test(periodic_needles_match_naive),
        cmocka_unit_test(run_of_one_byte_with_odd_last_byte),
        cmocka_unit_test(dense_false_positives_fall_back_and_stay_correct),
        cmocka_unit_test(text_after_repetitive_run_is_searched_correctly),
        cmocka_unit_test(large_small_alphabet_haystacks_match_naive),
        cmocka_unit_test(two_way_fallback_matches_naive_on_many_needles),
        cmocka_unit_test(periodic_needle_in_densely_perturbed_haystack),
        cmocka_unit_test(every_alignment_from_0_to_63_matches_naive),
        cmocka_unit_test(needles_of_every_length_1_to_64_match_naive),
#ifndef _WIN32
        cmocka_unit_test(search_never_reads_past_end_of_readable_memory),
        cmocka_unit_test(search_never_reads_before_start_of_readable_memory),
        cmocka_unit_test(whole_page_with_dense_false_positives_stays_inside),
#endif
    };
    return cmocka_run_group_tests_name("search", tests, NULL, NULL);
}
