/* test_badinput.c - every public function fed bad arguments: negative
 * values passed as huge uint64_t, zero, SIZE_MAX / INT64_MAX / UINT64_MAX,
 * offset + length sums that wrap, unaligned offsets, offsets past the end,
 * the wrong access mode, closed objects, and descriptors of the wrong kind.
 *
 * Each bad input must give its own error code, a message (mmf_errmsg) that
 * names the call and the argument or limit, and no side effect: the file
 * stays byte-identical (compared before and after), the map's bytes, length
 * and cursor do not change.  The number of bad inputs tried is printed.
 *
 * Regressions covered here (the reports are other libraries' bugs of the
 * same class; each test names the one it covers):
 *  - integer overflow in slice/move/find/flush arguments: offset + length
 *    wrapping past 2^64 and so passing a bounds check (Blosc/c-blosc2#729,
 *    aclements/libelfin#75, cpython#157335 out-of-bounds write in
 *    mmap.__setitem__);
 *  - access to an unaligned or past-the-end offset (cpython#119817 writing
 *    past the end of the file behind a map, cpython#105235 find reading past
 *    the end of the buffer, cpython#151021 empty find past the end,
 *    cpython#76979 flush of an unaligned offset, fmmap#2 rfind with a needle
 *    longer than the slice).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef _WIN32
#include <io.h>
#include <process.h>
#include <windows.h>
#define MADV_NORMAL 0 /* no madvise here; the range is checked first */
#define getpid _getpid
#else
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>
#endif

#include "helpers.h"
#include "mmapfile.h"

#define U64 UINT64_MAX
#define I64 ((uint64_t)INT64_MAX)
#define PAGE 4096u
#define FIX_LEN (3 * PAGE + 100) /* three pages and a partial one */

static unsigned long tried; /* bad inputs tried, printed by main */

/* --- checking one call ---------------------------------------------------- */

/* rc must be `want`; when it is an error, the message must contain each of
 * the non-NULL needles (the call's name, the argument, the limit). */
static void expect(const mmf_map *m, int rc, int want, const char *n1,
                   const char *n2, const char *n3, const char *what, int line)
{
    tried++;
    if (rc != want)
        fail_msg("line %d: %s gave %s (\"%s\"), want %s", line, what,
                 mmf_err_name(rc), m != NULL ? mmf_errmsg(m) : "",
                 mmf_err_name(want));
    if (rc == 0 || m == NULL)
        return;
    const char *msg = mmf_errmsg(m);
    const char *needles[3] = {n1, n2, n3};
    for (int i = 0; i < 3; i++)
        if (needles[i] != NULL && strstr(msg, needles[i]) == NULL)
            fail_msg("line %d: %s: message \"%s\" does not name \"%s\"", line,
                     what, msg, needles[i]);
}

#define BAD(m, call, want, n1, n2)                                             \
    expect((m), (call), (want), (n1), (n2), NULL, #call, __LINE__)

/* The code a range check must give for [off, off+n) in a map of len bytes. */
static int range_want(uint64_t off, uint64_t n, uint64_t len)
{
    if (off > U64 - n)
        return MMF_EOVERFLOW;
    return off + n > len ? MMF_ERANGE : 0;
}

static const char *range_words(int want)
{
    return want == MMF_EOVERFLOW ? "overflows" : "past the end of the map";
}

static int fits_size(uint64_t v)
{
    return v <= (uint64_t)SIZE_MAX;
}

static const char *u64s(uint64_t v)
{
    static char bufs[4][32];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, 32, "%llu", (unsigned long long)v);
    return b;
}

/* --- the file must not change ----------------------------------------------
 */

typedef struct snapshot {
    char path[600];
    unsigned char *data;
    long long len;
} snapshot;

static unsigned char *slurp(const char *path, long long *len)
{
    *len = th_file_size(path);
    assert_true(*len >= 0);
    unsigned char *d = malloc((size_t)*len + 1);
    assert_non_null(d);
    assert_int_equal(th_read_file(path, d, (size_t)*len), (long)*len);
    return d;
}

static void snap_take(snapshot *s, const char *path)
{
    snprintf(s->path, sizeof s->path, "%s", path);
    s->data = slurp(path, &s->len);
}

static void snap_same(snapshot *s, const char *after, int line)
{
    long long len;
    unsigned char *now = slurp(s->path, &len);
    if (len != s->len)
        fail_msg("line %d: after %s the file is %lld bytes, was %lld", line,
                 after, len, s->len);
    for (long long i = 0; i < len; i++)
        if (now[i] != s->data[i])
            fail_msg("line %d: after %s byte %lld of the file changed", line,
                     after, i);
    free(now);
}

static void snap_free(snapshot *s)
{
    free(s->data);
    s->data = NULL;
}

static const char *fixture(const char *name)
{
    const char *p = th_path(name);
    unsigned char *d = malloc(FIX_LEN);
    th_fill(d, FIX_LEN, 42);
    assert_int_equal(th_write_file(p, d, FIX_LEN), 0);
    free(d);
    return p;
}

/* The code for a mapping the address space cannot hold: ENOMEM from Linux,
 * but valgrind's mmap says EINVAL for it, which the library reports as
 * MMF_EIO (tests/valgrind.sh runs this program under valgrind). */
#ifndef _WIN32
static int no_room_code(void)
{
    const char *pre = getenv("LD_PRELOAD");
    return pre != NULL && strstr(pre, "vgpreload") != NULL ? MMF_EIO
                                                           : MMF_ENOMEM;
}
#endif

/* File systems that refuse an absurd fallocate up front (EFBIG) instead of
 * allocating what they can first: there a resize to 2^63-1 bytes may be
 * tried without filling the disk. */
static int fs_refuses_huge_files_up_front(const char *path)
{
#ifdef _WIN32
    (void)path; /* the check below names posix_fallocate */
    return 0;
#else
    struct statfs sf;
    if (statfs(path, &sf) != 0)
        return 0;
    return sf.f_type == 0xEF53 /* ext2/3/4 */ ||
           sf.f_type == 0x01021994 /* tmpfs */;
#endif
}

/* --- the kinds of map every matrix runs on ------------------------------- */

typedef struct kind {
    const char *name;
    int anon; /* 0 file, 1 anonymous shared, 2 anonymous private */
    int access;
    int flags;
    uint64_t offset;
    uint64_t window;
} kind;

static const kind kinds[] = {
    {"whole read-write", 0, MMF_ACCESS_WRITE, 0, 0, 0},
    {"whole read-only", 0, MMF_ACCESS_READ, 0, 0, 0},
    {"copy-on-write", 0, MMF_ACCESS_COPY, 0, 0, 0},
    {"windowed read-write", 0, MMF_ACCESS_WRITE, MMF_WINDOWED, 0, PAGE},
    {"unaligned offset 4097", 0, MMF_ACCESS_WRITE, 0, 4097, 0},
    {"windowed read-only at 4097", 0, MMF_ACCESS_READ, MMF_WINDOWED, 4097,
     2 * PAGE},
    {"growable (MMF_GROW)", 0, MMF_ACCESS_WRITE, MMF_GROW, 0, 0},
    {"anonymous shared", 1, MMF_ACCESS_WRITE, 0, 0, 0},
    {"anonymous private", 2, MMF_ACCESS_WRITE, 0, 0, 0},
};

typedef struct subject {
    const kind *k;
    mmf_map *m;
    uint64_t len;
    unsigned char *bytes; /* what the map must hold, len bytes */
    int writable;
    int resizable;
    int file_ok_huge; /* resize(2^63-1) is safe to try on this file system */
} subject;

static void subject_open(subject *s, const kind *k, const snapshot *snap)
{
    memset(s, 0, sizeof *s);
    s->k = k;
    assert_int_equal(mmf_new(&s->m), 0);
    if (k->anon) {
        assert_int_equal(
            mmf_open_anon(s->m, FIX_LEN,
                          k->anon == 1 ? MMF_ANON_SHARED : MMF_ANON_PRIVATE),
            0);
        s->len = FIX_LEN;
        s->bytes = calloc(1, FIX_LEN);
    } else {
        mmf_options o = MMF_OPTIONS_INIT;
        o.access = k->access;
        o.flags = k->flags;
        o.offset = k->offset;
        o.window_size = k->window;
        int rc = mmf_open_path(s->m, snap->path, &o);
        if (rc != 0)
            fail_msg("open %s: %s", k->name, mmf_errmsg(s->m));
        s->len = (uint64_t)snap->len - k->offset;
        s->bytes = malloc((size_t)s->len);
        memcpy(s->bytes, snap->data + k->offset, (size_t)s->len);
        s->file_ok_huge = fs_refuses_huge_files_up_front(snap->path);
    }
    assert_int_equal(mmf_length(s->m), s->len);
    s->writable = k->access != MMF_ACCESS_READ;
    s->resizable = k->anon || k->access == MMF_ACCESS_WRITE;
}

/* The map still holds what it held, at the same length and cursor. */
static void subject_unchanged(subject *s, uint64_t pos, const char *after)
{
    assert_int_equal(mmf_length(s->m), s->len);
    if (mmf_tell(s->m) != pos)
        fail_msg("%s: after %s the cursor moved from %llu to %llu", s->k->name,
                 after, (unsigned long long)pos,
                 (unsigned long long)mmf_tell(s->m));
    unsigned char *got = malloc((size_t)s->len);
    assert_int_equal(mmf_copy_out(s->m, 0, got, (size_t)s->len), 0);
    for (uint64_t i = 0; i < s->len; i++)
        if (got[i] != s->bytes[i])
            fail_msg("%s: after %s map byte %llu changed", s->k->name, after,
                     (unsigned long long)i);
    free(got);
}

static void subject_close(subject *s)
{
    assert_int_equal(mmf_close(s->m), 0);
    mmf_free(s->m);
    free(s->bytes);
}

/* --- the range matrix ------------------------------------------------------
 */

static size_t bad_offsets(uint64_t len, uint64_t *o)
{
    size_t n = 0;
    o[n++] = len; /* one past the last byte */
    o[n++] = len + 1;
    o[n++] = len + 4095; /* unaligned, past the end */
    o[n++] = len + 4096;
    o[n++] = len + 4097;
    o[n++] = I64;
    o[n++] = I64 + 1;
    o[n++] = U64;        /* -1 */
    o[n++] = U64 - 1;    /* -2 */
    o[n++] = U64 - 4095; /* -4096 */
    o[n++] = 0;
    o[n++] = 1;
    o[n++] = 4097; /* unaligned, inside */
    o[n++] = len - 1;
    o[n++] = len / 2;
    return n;
}

static size_t bad_lengths(uint64_t len, uint64_t *l)
{
    size_t n = 0;
    l[n++] = 0;
    l[n++] = 1;
    l[n++] = 2;
    l[n++] = 4096;
    l[n++] = len;
    l[n++] = len + 1;
    l[n++] = I64;
    l[n++] = I64 + 1;
    l[n++] = U64;
    l[n++] = U64 - len + 2;     /* (len-1) + this wraps to 1 */
    l[n++] = U64 - len / 2 + 1; /* len/2 + this wraps to 0 */
    l[n++] = U64 - 4095;
    l[n++] = (uint64_t)SIZE_MAX;
    return n;
}

/* Every call that takes a range, with every bad (offset, length) pair. */
static void range_matrix(subject *s)
{
    mmf_map *m = s->m;
    uint64_t offs[32], lens[32];
    size_t no = bad_offsets(s->len, offs), nl = bad_lengths(s->len, lens);
    static char buf[64 * 1024];
    char what[160];
    for (size_t i = 0; i < no; i++) {
        uint64_t off = offs[i];
        /* single bytes */
        int w1 = range_want(off, 1, s->len);
        if (w1 != 0) {
            uint8_t b = 0;
            snprintf(what, sizeof what, "%s: get_byte(%llu)", s->k->name,
                     (unsigned long long)off);
            expect(m, mmf_get_byte(m, off, &b), w1, "get_byte", u64s(off),
                   range_words(w1), what, __LINE__);
            snprintf(what, sizeof what, "%s: set_byte(%llu)", s->k->name,
                     (unsigned long long)off);
            expect(m, mmf_set_byte(m, off, 'X'), s->writable ? w1 : MMF_EACCES,
                   s->writable ? "set_byte" : "read-only",
                   s->writable ? u64s(off) : NULL, NULL, what, __LINE__);
        }
        for (size_t j = 0; j < nl; j++) {
            uint64_t n = lens[j];
            int want = range_want(off, n, s->len);
            if (want == 0)
                continue;
            const char *words = range_words(want);
            const char *offstr = u64s(off);
#define RANGE_CALL(call, label, code, n1)                                      \
    do {                                                                       \
        snprintf(what, sizeof what, "%s: %s(off %llu, n %llu)", s->k->name,    \
                 label, (unsigned long long)off, (unsigned long long)n);       \
        expect(m, (call), (code), (n1), (code) == MMF_EACCES ? NULL : offstr,  \
               (code) == MMF_EACCES ? NULL : words, what, __LINE__);           \
    } while (0)
            int ww = s->writable ? want : MMF_EACCES;
            const char *wn = s->writable ? NULL : "read-only";
            if (fits_size(n)) {
                void *ptr = NULL;
                RANGE_CALL(mmf_copy_out(m, off, buf, (size_t)n), "copy_out",
                           want, "copy_out:");
                RANGE_CALL(mmf_copy_in(m, off, buf, (size_t)n), "copy_in", ww,
                           wn ? wn : "copy_in:");
                RANGE_CALL(mmf_view(m, off, (size_t)n, &ptr), "view", want,
                           "view:");
            }
            /* move: a bad source, then a bad destination (the source
             * [0, n) is checked first and may itself be the bad one). */
            RANGE_CALL(mmf_move(m, 0, off, n), "move src", ww,
                       wn ? wn : "move source");
            int wsrc = range_want(0, n, s->len);
            if (!s->writable) {
                RANGE_CALL(mmf_move(m, off, 0, n), "move dst", MMF_EACCES, wn);
            } else if (wsrc != 0) {
                snprintf(what, sizeof what, "%s: move dst(off %llu, n %llu)",
                         s->k->name, (unsigned long long)off,
                         (unsigned long long)n);
                expect(m, mmf_move(m, off, 0, n), wsrc, "move source",
                       range_words(wsrc), NULL, what, __LINE__);
            } else {
                RANGE_CALL(mmf_move(m, off, 0, n), "move dst", want,
                           "move destination");
            }
            uint64_t r, t;
            RANGE_CALL(mmf_flush(m, off, n, MMF_FLUSH_SYNC), "flush", want,
                       "flush:");
            RANGE_CALL(mmf_advise(m, off, n, MMF_ADVICE_NORMAL), "advise", want,
                       "advise:");
            RANGE_CALL(mmf_advise_raw(m, off, n, MADV_NORMAL), "advise_raw",
                       want, "madvise:");
            RANGE_CALL(mmf_residency(m, off, n, &r, &t), "residency", want,
                       "residency:");
            RANGE_CALL(mmf_lock(m, off, n), "lock", want, "lock:");
            RANGE_CALL(mmf_unlock(m, off, n), "unlock", want, "unlock:");
            /* evict is flush first: the message names flush */
            RANGE_CALL(mmf_evict(m, off, n), "evict", want, "flush:");
#undef RANGE_CALL
        }
    }
}

/* --- searches: bad ranges are clamped as Python slices are --------------- */

static uint64_t ref_search(const unsigned char *d, uint64_t len,
                           const unsigned char *nd, size_t nl, uint64_t start,
                           uint64_t end, int mode /* 0 find 1 rfind 2 count */)
{
    if (end > len)
        end = len;
    if (start > end)
        return mode == 2 ? 0 : MMF_NOT_FOUND;
    if (nl == 0)
        return mode == 0 ? start : mode == 1 ? end : end - start + 1;
    uint64_t count = 0, hit = MMF_NOT_FOUND;
    for (uint64_t i = start; end - i >= nl && i < end;) {
        if (memcmp(d + i, nd, nl) == 0) {
            if (mode == 0)
                return i;
            hit = i;
            count++;
            if (mode == 2) {
                i += nl;
                continue;
            }
        }
        i++;
    }
    return mode == 2 ? count : hit;
}

static void search_matrix(subject *s)
{
    mmf_map *m = s->m;
    uint64_t len = s->len;
    uint64_t starts[] = {0, 1, len - 1, len, len + 1, I64, U64, U64 - 1};
    uint64_t ends[] = {0, 1, 5, len - 1, len, len + 1, I64, U64};
    unsigned char *longer = calloc(1, (size_t)len + 1);
    const unsigned char tail2[2] = {s->bytes[len - 2], s->bytes[len - 1]};
    struct {
        const unsigned char *p;
        size_t n;
    } needles[] = {
        {(const unsigned char *)"", 0},
        {s->bytes + len - 1, 1},
        {tail2, 2}, /* a match that ends at the last byte */
        {longer, (size_t)len + 1},
        {(const unsigned char *)"x", SIZE_MAX}, /* must never be read */
    };
    const char *names[] = {"find", "rfind", "count"};
    for (size_t a = 0; a < sizeof starts / sizeof starts[0]; a++)
        for (size_t b = 0; b < sizeof ends / sizeof ends[0]; b++)
            for (size_t c = 0; c < sizeof needles / sizeof needles[0]; c++) {
                uint64_t st = starts[a], en = ends[b];
                size_t nl = needles[c].n;
                int bad = st > len || (en > len && en != MMF_END) || st > en ||
                          nl > len;
                for (int mode = 0; mode < 3; mode++) {
                    uint64_t got = 12345;
                    int rc;
                    if (mode == 0)
                        rc = mmf_find(m, needles[c].p, nl, st, en, &got);
                    else if (mode == 1)
                        rc = mmf_rfind(m, needles[c].p, nl, st, en, &got);
                    else
                        rc = mmf_count(m, needles[c].p, nl, st, en, &got);
                    uint64_t want =
                        nl == SIZE_MAX ? (mode == 2 ? 0 : MMF_NOT_FOUND)
                                       : ref_search(s->bytes, len, needles[c].p,
                                                    nl, st, en, mode);
                    if (rc != 0 || got != want)
                        fail_msg("%s: %s(nlen %zu, start %llu, end %llu) gave "
                                 "%s, %llu; want 0, %llu",
                                 s->k->name, names[mode], nl,
                                 (unsigned long long)st, (unsigned long long)en,
                                 mmf_err_name(rc), (unsigned long long)got,
                                 (unsigned long long)want);
                    if (bad)
                        tried++;
                }
            }
    free(longer);
    uint64_t pos;
    BAD(m, mmf_find(m, NULL, 1, 0, MMF_END, &pos), MMF_EINVAL,
        "find:", "needle is NULL");
    BAD(m, mmf_rfind(m, NULL, 3, 0, MMF_END, &pos), MMF_EINVAL,
        "rfind:", "needle is NULL");
    BAD(m, mmf_count(m, NULL, SIZE_MAX, 0, MMF_END, &pos), MMF_EINVAL,
        "count:", "needle is NULL");
}

/* --- the cursor ------------------------------------------------------------
 */

static void cursor_matrix(subject *s)
{
    mmf_map *m = s->m;
    int64_t len = (int64_t)s->len;
    uint64_t half = s->len / 2;
    assert_int_equal(mmf_seek(m, (int64_t)half, MMF_SEEK_SET, NULL), 0);
    struct {
        int64_t off;
        int whence;
        const char *words;
    } seeks[] = {
        {INT64_MIN, MMF_SEEK_SET, "before the start"},
        {-1, MMF_SEEK_SET, "before the start"},
        {len + 1, MMF_SEEK_SET, "past the end"},
        {len + 4097, MMF_SEEK_SET, "past the end"},
        {INT64_MAX, MMF_SEEK_SET, "past the end"},
        {1, MMF_SEEK_END, "past the end"},
        {INT64_MAX, MMF_SEEK_END, "past the end"},
        {INT64_MIN, MMF_SEEK_END, "before the start"},
        {-(len + 1), MMF_SEEK_END, "before the start"},
        {INT64_MAX, MMF_SEEK_CUR, "past the end"},
        {INT64_MIN, MMF_SEEK_CUR, "before the start"},
        {-(int64_t)half - 1, MMF_SEEK_CUR, "before the start"},
        {len - (int64_t)half + 1, MMF_SEEK_CUR, "past the end"},
    };
    for (size_t i = 0; i < sizeof seeks / sizeof seeks[0]; i++) {
        uint64_t np = 777;
        char what[96];
        snprintf(what, sizeof what, "%s: seek(%lld, %d)", s->k->name,
                 (long long)seeks[i].off, seeks[i].whence);
        expect(m, mmf_seek(m, seeks[i].off, seeks[i].whence, &np), MMF_ERANGE,
               "seek:", seeks[i].words, NULL, what, __LINE__);
        assert_int_equal(np, 777); /* not written on failure */
    }
    int whences[] = {-1, 3, 42, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof whences / sizeof whences[0]; i++)
        BAD(m, mmf_seek(m, 0, whences[i], NULL), MMF_EINVAL, "seek:", "whence");
    subject_unchanged(s, half, "bad seeks");

    size_t nread = 99;
    char buf[64];
    BAD(m, mmf_read(m, NULL, 1, &nread), MMF_EINVAL, "read:", "buf is NULL");
    assert_int_equal(nread, 0);
    BAD(m, mmf_readline(m, NULL, 5, &nread), MMF_EINVAL,
        "read:", "buf is NULL");
    subject_unchanged(s, half, "reads into NULL");

    /* read with n = SIZE_MAX is "up to n": it stops at the end. */
    assert_int_equal(mmf_seek(m, -3, MMF_SEEK_END, NULL), 0);
    BAD(m, mmf_read(m, buf, SIZE_MAX, &nread), 0, NULL, NULL);
    assert_int_equal(nread, 3);
    assert_memory_equal(buf, s->bytes + s->len - 3, 3);
    uint8_t b;
    BAD(m, mmf_read_byte(m, &b), MMF_EEOF, "read_byte:", "end of the map");
    BAD(m, mmf_read(m, buf, SIZE_MAX, &nread), 0, NULL, NULL);
    assert_int_equal(nread, 0);
    BAD(m, mmf_readline(m, buf, SIZE_MAX, &nread), 0, NULL, NULL);
    assert_int_equal(nread, 0);
    uint64_t ll = 5;
    BAD(m, mmf_line_length(m, &ll), 0, NULL, NULL);
    assert_int_equal(ll, 0);

    /* writes at the end, writes that wrap, writes from NULL */
    int grow = (s->k->flags & MMF_GROW) != 0;
    if (!s->writable) {
        BAD(m, mmf_write(m, "x", 1), MMF_EACCES, "write:", "read-only");
        BAD(m, mmf_write(m, NULL, 3), MMF_EACCES, "write:", "read-only");
        BAD(m, mmf_write(m, buf, SIZE_MAX), MMF_EACCES, "write:", "read-only");
        BAD(m, mmf_write_byte(m, 'x'), MMF_EACCES, "write_byte:", "read-only");
    } else {
        BAD(m, mmf_write(m, NULL, 3), MMF_EINVAL, "write:", "buf is NULL");
        if (!grow) {
            BAD(m, mmf_write(m, "x", 1), MMF_ERANGE, "write:", "MMF_GROW");
            BAD(m, mmf_write_byte(m, 'x'), MMF_ERANGE,
                "write_byte:", "MMF_GROW");
        }
#if SIZE_MAX == UINT64_MAX
        /* position + n wraps */
        BAD(m, mmf_write(m, buf, SIZE_MAX), MMF_EOVERFLOW,
            "write:", "overflows");
        BAD(m, mmf_write(m, buf, SIZE_MAX - (size_t)s->len + 1), MMF_EOVERFLOW,
            "write:", "overflows");
        if (grow) /* would grow the file past 2^63-1 */
            BAD(m, mmf_write(m, buf, (size_t)I64), MMF_EOVERFLOW,
                "resize:", "largest file offset");
        assert_int_equal(mmf_seek(m, 0, MMF_SEEK_SET, NULL), 0);
        if (grow)
            BAD(m, mmf_write(m, buf, SIZE_MAX), MMF_EOVERFLOW,
                "resize:", "largest file offset");
        else
            BAD(m, mmf_write(m, buf, SIZE_MAX), MMF_ERANGE,
                "write:", "do not fit");
#else
        /* a 32-bit size_t cannot wrap a 64-bit position; with MMF_GROW
         * the 4 GiB write would be a real (and disk-filling) resize */
        if (!grow)
            BAD(m, mmf_write(m, buf, SIZE_MAX), MMF_ERANGE,
                "write:", "do not fit");
#endif
        assert_int_equal(mmf_seek(m, (int64_t)s->len, MMF_SEEK_SET, NULL), 0);
    }
    subject_unchanged(s, s->len, "bad writes");
}

/* --- everything else that takes a number -------------------------------- */

static void other_args(subject *s)
{
    mmf_map *m = s->m;
    int flags[] = {-1, 3, 4, 99, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        BAD(m, mmf_flush(m, 0, 0, flags[i]), MMF_EINVAL, "flush:", "flags");
    int advice[] = {-1, 7, 100, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof advice / sizeof advice[0]; i++)
        BAD(m, mmf_advise(m, 0, 0, advice[i]), MMF_EINVAL,
            "advise:", "unknown advice");

    void *ptr;
    BAD(m, mmf_copy_out(m, 0, NULL, 1), MMF_EINVAL, "copy_out:", "dst is NULL");
    BAD(m, mmf_copy_in(m, 0, NULL, 1), s->writable ? MMF_EINVAL : MMF_EACCES,
        "copy_in:", s->writable ? "src is NULL" : "read-only");
    if (s->k->flags & MMF_WINDOWED) {
        BAD(m, mmf_pointer(m, &ptr, NULL), MMF_ENOTSUP, "pointer:", "mmf_view");
#ifndef _WIN32
        BAD(m, mmf_view(m, 0, (size_t)s->k->window + 1, &ptr), MMF_ENOTSUP,
            "view:", "window");
#else
        /* Windows rounds the window up to 64 KiB, more than this map: a
         * view of all of it fits in one window. */
        BAD(m, mmf_view(m, 0, (size_t)s->len, &ptr), 0, NULL, NULL);
#endif
    }

    /* resize: past 2^63-1, or a map that may not change size */
    uint64_t sizes[] = {U64, I64 + 1, U64 - s->k->offset,
                        I64 - s->k->offset + 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (!s->resizable)
            BAD(m, mmf_resize(m, sizes[i]), MMF_EACCES, "resize:",
                s->k->access == MMF_ACCESS_READ ? "read-only"
                                                : "copy-on-write");
        else
            BAD(m, mmf_resize(m, sizes[i]), MMF_EOVERFLOW,
                "resize:", "largest file offset");
    }
    if (!s->resizable)
        BAD(m, mmf_resize(m, 1), MMF_EACCES, "resize:", NULL);
    else if (s->k->anon)
    /* no address space for 2^63-1 bytes */
#ifndef _WIN32
        /* shared: grown by a new mmap; private: by mremap */
        BAD(m, mmf_resize(m, I64),
            s->k->anon == 1 ? no_room_code() : MMF_ENOMEM, u64s(I64),
            fits_size(I64) ? "errno" : "address space");
#else
        BAD(m, mmf_resize(m, I64), MMF_ENOMEM, u64s(I64), "(error ");
#endif
    else if (!fits_size(I64) && !(s->k->flags & MMF_WINDOWED) &&
             s->k->offset == 0)
        /* 32-bit: refused before the file is touched */
        BAD(m, mmf_resize(m, I64), MMF_ENOMEM, u64s(I64), "address space");
    else if (s->file_ok_huge && s->k->offset == 0)
        /* the file system refuses the size (EFBIG) */
        BAD(m, mmf_resize(m, I64), MMF_EOVERFLOW, "posix_fallocate",
            "File too large");
}

static void every_kind_refuses_bad_ranges_and_keeps_the_file(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        snapshot snap;
        const char *p = fixture("matrix.bin");
        snap_take(&snap, p);
        subject s;
        subject_open(&s, &kinds[i], &snap);
        unsigned long before = tried;
        range_matrix(&s);
        subject_unchanged(&s, 0, "the range matrix");
        search_matrix(&s);
        subject_unchanged(&s, 0, "the search matrix");
        other_args(&s);
        subject_unchanged(&s, 0, "bad flags, advice, sizes");
        cursor_matrix(&s);
        subject_close(&s);
        snap_same(&snap, kinds[i].name, __LINE__);
        snap_free(&snap);
        printf("  %-28s %lu bad inputs\n", kinds[i].name, tried - before);
    }
}

/* The OS judges raw advice: one it does not know is refused with its
 * errno text.  A test of its own because qemu-user accepts every advice
 * (tests/cross/exclusions.txt excludes it there, by this name). */
static void raw_advice_unknown_to_the_os_is_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        /* A windowed map with no window mapped yet has nothing to advise
         * and succeeds (see docs/reliability.md). */
        if (kinds[i].flags & MMF_WINDOWED)
            continue;
        snapshot snap;
        snap_take(&snap, fixture("advice.bin"));
        subject s;
        subject_open(&s, &kinds[i], &snap);
        mmf_map *m = s.m;
#ifndef _WIN32
        BAD(m, mmf_advise_raw(m, 0, 0, -1), MMF_EIO, "madvise",
            "Invalid argument");
        BAD(m, mmf_advise_raw(m, 0, 0, 12345), MMF_EIO, "madvise",
            "Invalid argument");
#else
        /* Windows has no madvise: every raw advice is refused alike. */
        BAD(m, mmf_advise_raw(m, 0, 0, -1), MMF_ENOTSUP, "madvise",
            "mmf_advise");
        BAD(m, mmf_advise_raw(m, 0, 0, 12345), MMF_ENOTSUP, "madvise",
            "mmf_advise");
#endif
        subject_unchanged(&s, 0, "raw advice");
        subject_close(&s);
        snap_same(&snap, kinds[i].name, __LINE__);
        snap_free(&snap);
    }
}

/* --- closed objects ------------------------------------------------------- */

/* Every call on a closed object is MMF_ECLOSED, whatever the arguments. */
static void all_calls_closed(mmf_map *m, const char *state)
{
    uint8_t b;
    uint64_t u, v;
    size_t n;
    char buf[8];
    void *ptr;
    for (int bad = 0; bad <= 1; bad++) {
        uint64_t off = bad ? U64 : 0, len = bad ? U64 : 1;
        size_t sz = bad ? SIZE_MAX : 1;
#define CLOSED(call) BAD(m, call, MMF_ECLOSED, "closed", NULL)
        CLOSED(mmf_get_byte(m, off, &b));
        CLOSED(mmf_set_byte(m, off, 1));
        CLOSED(mmf_copy_out(m, off, buf, sz));
        CLOSED(mmf_copy_in(m, off, buf, sz));
        CLOSED(mmf_move(m, off, 0, len));
        CLOSED(mmf_find(m, "a", 1, off, len, &u));
        CLOSED(mmf_rfind(m, "a", 1, off, len, &u));
        CLOSED(mmf_count(m, "a", 1, off, len, &u));
        CLOSED(mmf_seek(m, bad ? INT64_MIN : 0, MMF_SEEK_SET, &u));
        CLOSED(mmf_read(m, bad ? NULL : buf, sz, &n));
        CLOSED(mmf_read_byte(m, &b));
        CLOSED(mmf_readline(m, buf, sz, &n));
        CLOSED(mmf_line_length(m, &u));
        CLOSED(mmf_write(m, bad ? NULL : buf, sz));
        CLOSED(mmf_write_byte(m, 1));
        CLOSED(mmf_resize(m, len));
        CLOSED(mmf_flush(m, off, len, bad ? 99 : 0));
        CLOSED(mmf_advise(m, off, len, bad ? 99 : 0));
        CLOSED(mmf_advise_raw(m, off, len, bad ? -1 : 0));
        CLOSED(mmf_residency(m, off, len, &u, &v));
        CLOSED(mmf_lock(m, off, len));
        CLOSED(mmf_unlock(m, off, len));
        CLOSED(mmf_evict(m, off, len));
        CLOSED(mmf_pointer(m, &ptr, &u));
        CLOSED(mmf_view(m, off, sz, &ptr));
        CLOSED(mmf_file_size(m, &u));
#undef CLOSED
    }
    assert_false(mmf_is_open(m));
    assert_int_equal(mmf_length(m), 0);
    assert_int_equal(mmf_tell(m), 0);
    assert_int_equal(mmf_access_mode(m), MMF_ACCESS_DEFAULT);
    assert_int_equal(mmf_is_windowed(m), 0);
    BAD(m, mmf_close(m), 0, NULL, NULL); /* idempotent */
    (void)state;
}

static void closed_objects_refuse_every_call(void **state)
{
    (void)state;
    snapshot snap;
    const char *p = fixture("closed.bin");
    snap_take(&snap, p);
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    all_calls_closed(m, "never opened");

    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.flags = MMF_GROW;
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    void *stale;
    assert_int_equal(mmf_pointer(m, &stale, NULL), 0);
    assert_int_equal(mmf_close(m), 0);
    all_calls_closed(m, "closed after open"); /* use after close */

    o.offset = (uint64_t)FIX_LEN + 1; /* a failed open leaves it closed */
    assert_int_equal(mmf_open_path(m, p, &o), MMF_ERANGE);
    all_calls_closed(m, "after a failed open");

    assert_int_equal(mmf_open_anon(m, 4096, MMF_ANON_PRIVATE), 0);
    assert_int_equal(mmf_close(m), 0);
    assert_int_equal(mmf_close(m), 0);
    all_calls_closed(m, "anonymous, closed twice");

    o = (mmf_options)MMF_OPTIONS_INIT;
    o.flags = MMF_WINDOWED;
    o.window_size = PAGE;
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    uint8_t b;
    assert_int_equal(mmf_get_byte(m, 5000, &b), 0); /* a window is mapped */
    assert_int_equal(mmf_close(m), 0);
    all_calls_closed(m, "windowed, closed");

    BAD(NULL, mmf_close(NULL), MMF_EINVAL, NULL, NULL);
    BAD(NULL, mmf_new(NULL), MMF_EINVAL, NULL, NULL);
    BAD(NULL, mmf_is_open(NULL), 0, NULL, NULL);
    BAD(NULL, (int)mmf_length(NULL), 0, NULL, NULL);
    BAD(NULL, mmf_access_mode(NULL), MMF_ACCESS_DEFAULT, NULL, NULL);
    BAD(NULL, mmf_is_windowed(NULL), 0, NULL, NULL);
    assert_string_equal(mmf_errmsg(NULL), "no object (NULL)");
    tried++;
    mmf_free(NULL);
    tried++;
    mmf_free(m);
    snap_same(&snap, "calls on closed objects", __LINE__);
    snap_free(&snap);
}

/* --- opening: options, paths, descriptors --------------------------------- */

static void open_with(snapshot *snap, int access, int flags, uint64_t off,
                      uint64_t len, uint64_t window, int want, const char *n1,
                      const char *n2, int line)
{
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = access;
    o.flags = flags;
    o.offset = off;
    o.length = len;
    o.window_size = window;
    char what[200];
    snprintf(what, sizeof what,
             "open(access %d, flags 0x%x, offset %llu, length %llu, window "
             "%llu)",
             access, (unsigned)flags, (unsigned long long)off,
             (unsigned long long)len, (unsigned long long)window);
    expect(m, mmf_open_path(m, snap->path, &o), want, n1, n2, NULL, what, line);
    assert_false(mmf_is_open(m));
    mmf_free(m);
    snap_same(snap, what, line);
}

static void open_options_are_checked_before_the_file_changes(void **state)
{
    (void)state;
    snapshot snap;
    snap_take(&snap, fixture("options.bin"));
    const uint64_t L = (uint64_t)FIX_LEN;
    const int R = MMF_ACCESS_READ, W = MMF_ACCESS_WRITE, C = MMF_ACCESS_COPY;
#define OPEN(acc, fl, off, len, win, want, n1, n2)                             \
    open_with(&snap, acc, fl, off, len, win, want, n1, n2, __LINE__)
    int accesses[] = {4, -1, 99, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof accesses / sizeof accesses[0]; i++)
        OPEN(accesses[i], 0, 0, 0, 0, MMF_EINVAL, "access", "MMF_ACCESS");
    int flags[] = {0x80, 0x100, 0x4000, INT_MIN, -1};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        OPEN(W, flags[i], 0, 0, 0, MMF_EINVAL, "unknown flags", NULL);
    OPEN(R, MMF_CREATE, 0, 0, 0, MMF_EINVAL, "MMF_CREATE", "MMF_ACCESS_WRITE");
    OPEN(R, MMF_TRUNCATE, 0, 10, 0, MMF_EINVAL, "MMF_TRUNCATE", NULL);
    OPEN(C, MMF_TRUNCATE, 0, 10, 0, MMF_EINVAL, "MMF_TRUNCATE", NULL);
    OPEN(C, MMF_CREATE | MMF_GROW, 0, 10, 0, MMF_EINVAL, "MMF_CREATE", NULL);

    /* offsets and lengths, for each access and with the flags that change
     * the file (MMF_GROW extends it, MMF_TRUNCATE cuts it) */
    struct {
        int access, flags;
    } modes[] = {{R, 0},
                 {C, 0},
                 {W, 0},
                 {W, MMF_GROW},
                 {W, MMF_TRUNCATE},
                 {W, MMF_WINDOWED},
                 {R, MMF_WINDOW_FALLBACK}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        int a = modes[i].access, f = modes[i].flags;
        int grows = f & (MMF_GROW | MMF_TRUNCATE);
        if (!grows) {
            OPEN(a, f, L, 0, 0, MMF_ERANGE, "offset 12388",
                 "at or past the end");
            OPEN(a, f, L + 4095, 0, 0, MMF_ERANGE, "offset", "(12388 bytes)");
            OPEN(a, f, I64, 0, 0, MMF_ERANGE, "offset", "past the end");
            OPEN(a, f, 0, L + 1, 0, MMF_ERANGE, "length 12389",
                 "past the end of the file (12388 bytes)");
            OPEN(a, f, 4097, L, 0, MMF_ERANGE, "offset 4097", "past the end");
            OPEN(a, f, L - 1, 2, 0, MMF_ERANGE, "past the end", NULL);
        }
        OPEN(a, f, I64 + 1, 0, 0, MMF_EOVERFLOW, "2^63-1", NULL);
        OPEN(a, f, U64, 0, 0, MMF_EOVERFLOW, "2^63-1", NULL);
        OPEN(a, f, U64 - 4095, 4096, 0, MMF_EOVERFLOW, "2^63-1", NULL);
        OPEN(a, f, 0, U64, 0, MMF_EOVERFLOW, "2^63-1", NULL);
        OPEN(a, f, 0, I64 + 1, 0, MMF_EOVERFLOW, "2^63-1", NULL);
        OPEN(a, f, I64, 1, 0, MMF_EOVERFLOW, "overflows", NULL);
        OPEN(a, f, 1, I64, 0, MMF_EOVERFLOW, "overflows", NULL);
        OPEN(a, f, I64 / 2 + 1, I64 / 2 + 1, 0, MMF_EOVERFLOW, "overflows",
             NULL);
        OPEN(a, f, 0, 10, U64, MMF_EINVAL, "window_size", "address space");
        OPEN(a, f, 0, 10, (uint64_t)SIZE_MAX / 2 + 1, MMF_EINVAL, "window_size",
             NULL);
    }
#undef OPEN

    /* a second open of an open object */
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    assert_int_equal(mmf_open_path(m, snap.path, NULL), 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = W;
    o.flags = MMF_TRUNCATE;
    BAD(m, mmf_open_path(m, snap.path, &o), MMF_EBUSY, "already open", NULL);
    BAD(m, mmf_open_anon(m, 10, MMF_ANON_SHARED), MMF_EBUSY, "already open",
        NULL);
    BAD(m, mmf_open_fd(m, 0, NULL), MMF_EBUSY, "already open", NULL);
    BAD(m, mmf_open_shm(m, "/x", NULL), MMF_EBUSY, "already open", NULL);
    uint8_t b;
    assert_int_equal(mmf_get_byte(m, 0, &b), 0); /* still open and working */
    assert_int_equal(b, snap.data[0]);
    mmf_free(m);
    snap_same(&snap, "opens of an open object", __LINE__);
    snap_free(&snap);
}

#ifndef _WIN32
static void paths_of_every_wrong_kind_are_refused(void **state)
{
    (void)state;
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    BAD(m, mmf_open_path(m, NULL, NULL), MMF_EINVAL, "path is NULL", NULL);
    BAD(m, mmf_open_path(m, "", NULL), MMF_EINVAL, "path is empty", NULL);
    BAD(NULL, mmf_open_path(NULL, "x", NULL), MMF_EINVAL, NULL, NULL);
    BAD(m, mmf_open_path(m, th_path("missing"), NULL), MMF_ENOENT, "missing",
        "No such file");
    const char *file = fixture("plain");
    char sub[700];
    snprintf(sub, sizeof sub, "%s/below", file);
    BAD(m, mmf_open_path(m, sub, NULL), MMF_EIO, "below", "Not a directory");
    char *longp = malloc(5000);
    memset(longp, 'a', 4999);
    longp[4999] = '\0';
    /* The libc's own text: glibc says "File name too long", musl
     * "Filename too long". */
    BAD(m, mmf_open_path(m, longp, NULL), MMF_EIO, "open",
        strerror(ENAMETOOLONG));
    free(longp);
    BAD(m, mmf_open_path(m, th_tmpdir(), NULL), MMF_EISDIR, "is a directory",
        NULL);
    const char *fifo = th_path("fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    BAD(m, mmf_open_path(m, fifo, NULL), MMF_EPIPE, "fifo", "pipe or FIFO");
    mmf_options w = MMF_OPTIONS_INIT;
    w.access = MMF_ACCESS_WRITE;
    BAD(m, mmf_open_path(m, fifo, &w), MMF_EPIPE, "pipe or FIFO", NULL);

    /* A socket path: open() says ENXIO, the library must say "socket". */
    const char *sock = th_path("sock");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock);
    assert_int_equal(bind(s, (struct sockaddr *)&addr, sizeof addr), 0);
    BAD(m, mmf_open_path(m, sock, NULL), MMF_ESOCKET, "socket", "sock");
    close(s);

    BAD(m, mmf_open_path(m, "/dev/null", NULL), MMF_EDEVICE, "character device",
        "/dev/null");
    /* /dev/zero maps, but has no end for "length 0: to the end". */
    BAD(m, mmf_open_path(m, "/dev/zero", &w), MMF_EINVAL, "no size", NULL);
    int pty = posix_openpt(O_RDWR | O_NOCTTY);
    if (pty >= 0 && grantpt(pty) == 0 && unlockpt(pty) == 0) {
        const char *slave = ptsname(pty);
        BAD(m, mmf_open_path(m, slave, NULL), MMF_EDEVICE, "terminal", NULL);
    } else {
        printf("  (no pseudo-terminal here: the tty path case is skipped)\n");
    }
    if (pty >= 0)
        close(pty);
    /* /proc files say they are empty */
    BAD(m, mmf_open_path(m, "/proc/self/status", NULL), MMF_EEMPTY,
        "empty file", NULL);
    mmf_options l = MMF_OPTIONS_INIT;
    l.length = 100;
    BAD(m, mmf_open_path(m, "/proc/self/status", &l), MMF_ERANGE,
        "past the end of the file (0 bytes)", NULL);
    const char *empty = th_path("empty");
    th_write_file(empty, "", 0);
    BAD(m, mmf_open_path(m, empty, NULL), MMF_EEMPTY, "empty file", NULL);
    mmf_options cow = MMF_OPTIONS_INIT;
    cow.access = MMF_ACCESS_COPY;
    BAD(m, mmf_open_path(m, empty, &cow), MMF_EEMPTY, "empty file", NULL);
    l.offset = 1;
    l.length = 0;
    BAD(m, mmf_open_path(m, empty, &l), MMF_ERANGE, "offset 1", NULL);
    assert_int_equal(th_file_size(empty), 0);
    assert_false(mmf_is_open(m));
    mmf_free(m);
}

static void descriptors_of_every_wrong_kind_are_refused(void **state)
{
    (void)state;
    snapshot snap;
    snap_take(&snap, fixture("fds.bin"));
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    char name[32];

    int dfd = open(th_tmpdir(), O_RDONLY | O_DIRECTORY);
    snprintf(name, sizeof name, "descriptor %d", dfd);
    BAD(m, mmf_open_fd(m, dfd, NULL), MMF_EISDIR, name, "is a directory");
    close(dfd);
    BAD(m, mmf_open_fd(m, dfd, NULL), MMF_EBADF, name, NULL); /* closed */

    int p[2];
    assert_int_equal(pipe(p), 0);
    BAD(m, mmf_open_fd(m, p[0], NULL), MMF_EPIPE, "pipe or FIFO", NULL);
    BAD(m, mmf_open_fd(m, p[1], NULL), MMF_EPIPE, "pipe or FIFO", NULL);
    close(p[0]);
    close(p[1]);
    int sp[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    BAD(m, mmf_open_fd(m, sp[0], NULL), MMF_ESOCKET, "socket", NULL);
    close(sp[0]);
    close(sp[1]);
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    if (udp >= 0) {
        BAD(m, mmf_open_fd(m, udp, NULL), MMF_ESOCKET, "socket", NULL);
        close(udp);
    }
    int pty = posix_openpt(O_RDWR | O_NOCTTY);
    if (pty >= 0 && grantpt(pty) == 0 && unlockpt(pty) == 0) {
        BAD(m, mmf_open_fd(m, pty, NULL), MMF_EDEVICE, "terminal", NULL);
        int slave = open(ptsname(pty), O_RDWR | O_NOCTTY);
        if (slave >= 0) {
            BAD(m, mmf_open_fd(m, slave, NULL), MMF_EDEVICE, "terminal", NULL);
            close(slave);
        }
        close(pty);
    } else {
        printf("  (no pseudo-terminal here: the tty descriptor case is "
               "skipped)\n");
    }
    int null = open("/dev/null", O_RDWR);
    BAD(m, mmf_open_fd(m, null, NULL), MMF_EDEVICE, "character device", NULL);
    close(null);
    int zero = open("/dev/zero", O_RDONLY);
    BAD(m, mmf_open_fd(m, zero, NULL), MMF_EINVAL, "no size", NULL);
    close(zero);
    int efd = eventfd(0, 0);
    if (efd >= 0) {
        BAD(m, mmf_open_fd(m, efd, NULL), MMF_ENOTSUP, "not a regular file",
            NULL);
        close(efd);
    }
    int fds[] = {-1, -2, INT_MIN, INT_MAX, 100000};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        snprintf(name, sizeof name, "descriptor %d", fds[i]);
        BAD(m, mmf_open_fd(m, fds[i], NULL), MMF_EBADF, name, NULL);
    }

    /* the wrong open mode */
    int wo = open(snap.path, O_WRONLY);
    int ro = open(snap.path, O_RDONLY);
    mmf_options o = MMF_OPTIONS_INIT;
    BAD(m, mmf_open_fd(m, wo, NULL), MMF_EACCES, "not open for reading", NULL);
    o.access = MMF_ACCESS_WRITE;
    BAD(m, mmf_open_fd(m, wo, &o), MMF_EACCES, "not open for reading", NULL);
    BAD(m, mmf_open_fd(m, ro, &o), MMF_EACCES, "not open for writing", NULL);
    o.flags = MMF_GROW;
    o.length = 2 * FIX_LEN;
    BAD(m, mmf_open_fd(m, ro, &o), MMF_EACCES, "not open for writing", NULL);
    o.flags = MMF_CREATE;
    BAD(m, mmf_open_fd(m, ro, &o), MMF_EINVAL, "need a path", NULL);
    o.flags = MMF_TRUNCATE;
    o.length = 1;
    BAD(m, mmf_open_fd(m, ro, &o), MMF_EINVAL, "need a path", NULL);
    o = (mmf_options)MMF_OPTIONS_INIT;
    o.offset = U64;
    BAD(m, mmf_open_fd(m, ro, &o), MMF_EOVERFLOW, "2^63-1", NULL);
    o.offset = FIX_LEN;
    BAD(m, mmf_open_fd(m, ro, &o), MMF_ERANGE, "offset", NULL);
    close(wo);
    /* O_PATH: a descriptor that names the file but cannot be read */
    int path_only = open(snap.path, O_PATH);
    BAD(m, mmf_open_fd(m, path_only, NULL), MMF_EBADF, "O_PATH", NULL);
    close(path_only);
    close(ro);
    assert_false(mmf_is_open(m));
    mmf_free(m);
    snap_same(&snap, "bad descriptors", __LINE__);
    snap_free(&snap);
}

static void anonymous_and_shared_memory_arguments(void **state)
{
    (void)state;
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    BAD(NULL, mmf_open_anon(NULL, 10, MMF_ANON_SHARED), MMF_EINVAL, NULL, NULL);
    BAD(m, mmf_open_anon(m, 0, MMF_ANON_SHARED), MMF_EINVAL, "length 0",
        "zero");
    /* (SIZE_MAX too, where it is 2^64-1: a 32-bit one is just big) */
    uint64_t huge[] = {U64, I64 + 1, U64 - 4095, (uint64_t)SIZE_MAX};
    size_t nhuge = sizeof huge / sizeof huge[0] - (SIZE_MAX < U64);
    for (size_t i = 0; i < nhuge; i++)
        BAD(m, mmf_open_anon(m, huge[i], MMF_ANON_PRIVATE), MMF_ENOMEM,
            u64s(huge[i]), "address space");
    BAD(m, mmf_open_anon(m, I64, MMF_ANON_SHARED), no_room_code(),
        fits_size(I64) ? "mmap" : "address space", NULL);
    int flags[] = {2, -1, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        BAD(m, mmf_open_anon(m, 10, flags[i]), MMF_EINVAL, "open_anon",
            "MMF_ANON_SHARED");

    char name[64];
    snprintf(name, sizeof name, "/mmf-bad-%d", (int)getpid());
    mmf_options o = MMF_OPTIONS_INIT;
    BAD(NULL, mmf_open_shm(NULL, name, NULL), MMF_EINVAL, NULL, NULL);
    BAD(m, mmf_open_shm(m, NULL, NULL), MMF_EINVAL, "name is empty", NULL);
    BAD(m, mmf_open_shm(m, "", NULL), MMF_EINVAL, "name is empty", NULL);
    BAD(m, mmf_open_shm(m, name, NULL), MMF_ENOENT, name, NULL);
    o.flags = MMF_CREATE;
    o.access = MMF_ACCESS_READ;
    o.length = 4096;
    BAD(m, mmf_open_shm(m, name, &o), MMF_EINVAL, "MMF_CREATE", NULL);
    o.access = MMF_ACCESS_WRITE;
    o.length = 0;
    BAD(m, mmf_open_shm(m, name, &o), MMF_EINVAL, "length", NULL);
    BAD(m, mmf_open_shm(m, "/a/b", &o), MMF_EINVAL, "MMF_CREATE", NULL);
    o.length = 4096;
    BAD(m, mmf_open_shm(m, "/a/b", &o), MMF_EIO, "shm_open", "/a/b");
    char longname[400];
    longname[0] = '/';
    memset(longname + 1, 'n', sizeof longname - 2);
    longname[sizeof longname - 1] = '\0';
    BAD(m, mmf_open_shm(m, longname, &o), MMF_EIO, "shm_open", "errno");
    o.offset = U64;
    BAD(m, mmf_open_shm(m, name, &o), MMF_EOVERFLOW, "2^63-1", NULL);
    o.offset = 0;
    o.window_size = U64;
    BAD(m, mmf_open_shm(m, name, &o), MMF_EINVAL, "window_size", NULL);
    /* none of the refused opens created the name */
    BAD(NULL, mmf_shm_unlink(name), MMF_ENOENT, NULL, NULL);
    /* an existing object, opened past its end */
    o.window_size = 0;
    assert_int_equal(mmf_open_shm(m, name, &o), 0);
    mmf_map *m2 = NULL;
    assert_int_equal(mmf_new(&m2), 0);
    mmf_options past = MMF_OPTIONS_INIT;
    past.offset = 8192;
    BAD(m2, mmf_open_shm(m2, name, &past), MMF_ERANGE, "offset 8192", NULL);
    past.offset = 0;
    past.length = 4097;
    BAD(m2, mmf_open_shm(m2, name, &past), MMF_ERANGE, "past the end", NULL);
    mmf_free(m2);
    assert_int_equal(mmf_shm_unlink(name), 0);
    mmf_free(m);
    BAD(NULL, mmf_shm_unlink(NULL), MMF_EINVAL, NULL, NULL);
    BAD(NULL, mmf_shm_unlink(""), MMF_EINVAL, NULL, NULL);
    BAD(NULL, mmf_shm_unlink(name), MMF_ENOENT, NULL, NULL);
}
#endif

#ifdef _WIN32
/* --- Windows counterparts of the POSIX-only tests above -------------------
 * Windows' own wrong kinds (named and anonymous pipes, NUL, directories,
 * a handle without data access), and its shared-memory names. */
static void paths_of_every_wrong_kind_are_refused_windows(void **state)
{
    (void)state;
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    BAD(m, mmf_open_path(m, NULL, NULL), MMF_EINVAL, "path is NULL", NULL);
    BAD(m, mmf_open_path(m, "", NULL), MMF_EINVAL, "path is empty", NULL);
    BAD(NULL, mmf_open_path(NULL, "x", NULL), MMF_EINVAL, NULL, NULL);
    BAD(m, mmf_open_path(m, th_path("missing"), NULL), MMF_ENOENT, "missing",
        "(error 2)");
    const char *file = fixture("plain");
    char sub[700];
    snprintf(sub, sizeof sub, "%s/below", file);
    BAD(m, mmf_open_path(m, sub, NULL), MMF_ENOENT, "below", "CreateFileW");
    char *longp = malloc(5000);
    memset(longp, 'a', 4999);
    longp[4999] = '\0';
    BAD(m, mmf_open_path(m, longp, NULL), MMF_ENOENT, "CreateFileW", NULL);
    free(longp);
    BAD(m, mmf_open_path(m, th_tmpdir(), NULL), MMF_EISDIR, "is a directory",
        NULL);
    char pipe_name[64];
    snprintf(pipe_name, sizeof pipe_name, "\\\\.\\pipe\\mmf-bad-%d",
             (int)getpid());
    HANDLE server = CreateNamedPipeA(pipe_name, PIPE_ACCESS_DUPLEX,
                                     PIPE_TYPE_BYTE, 2, 512, 512, 0, NULL);
    assert_true(server != INVALID_HANDLE_VALUE);
    BAD(m, mmf_open_path(m, pipe_name, NULL), MMF_EPIPE, "mmf-bad",
        "pipe or FIFO");
    mmf_options w = MMF_OPTIONS_INIT;
    w.access = MMF_ACCESS_WRITE;
    BAD(m, mmf_open_path(m, pipe_name, &w), MMF_EPIPE, "pipe or FIFO", NULL);
    CloseHandle(server);
    BAD(m, mmf_open_path(m, "NUL", NULL), MMF_EDEVICE, "character device",
        "NUL");
    BAD(m, mmf_open_path(m, "NUL", &w), MMF_EDEVICE, "character device", NULL);
    const char *empty = th_path("empty");
    th_write_file(empty, "", 0);
    BAD(m, mmf_open_path(m, empty, NULL), MMF_EEMPTY, "empty file", NULL);
    mmf_options cow = MMF_OPTIONS_INIT;
    cow.access = MMF_ACCESS_COPY;
    BAD(m, mmf_open_path(m, empty, &cow), MMF_EEMPTY, "empty file", NULL);
    mmf_options l = MMF_OPTIONS_INIT;
    l.offset = 1;
    BAD(m, mmf_open_path(m, empty, &l), MMF_ERANGE, "offset 1", NULL);
    assert_int_equal(th_file_size(empty), 0);
    assert_false(mmf_is_open(m));
    mmf_free(m);
}

static void descriptors_of_every_wrong_kind_are_refused_windows(void **state)
{
    (void)state;
    snapshot snap;
    snap_take(&snap, fixture("fds.bin"));
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    char name[32];

    HANDLE dh =
        CreateFileA(th_tmpdir(), GENERIC_READ,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    assert_true(dh != INVALID_HANDLE_VALUE);
    int dfd = _open_osfhandle((intptr_t)dh, _O_RDONLY);
    snprintf(name, sizeof name, "descriptor %d", dfd);
    BAD(m, mmf_open_fd(m, dfd, NULL), MMF_EISDIR, name, "is a directory");
    _close(dfd);
    BAD(m, mmf_open_fd(m, dfd, NULL), MMF_EBADF, name, NULL); /* closed */

    int p[2];
    assert_int_equal(_pipe(p, 512, _O_BINARY), 0);
    BAD(m, mmf_open_fd(m, p[0], NULL), MMF_EPIPE, "pipe or FIFO", NULL);
    BAD(m, mmf_open_fd(m, p[1], NULL), MMF_EPIPE, "pipe or FIFO", NULL);
    _close(p[0]);
    _close(p[1]);
    int null = _open("NUL", _O_RDWR);
    BAD(m, mmf_open_fd(m, null, NULL), MMF_EDEVICE, "character device", NULL);
    _close(null);
    int fds[] = {-1, -2, INT_MIN, INT_MAX, 100000};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        snprintf(name, sizeof name, "descriptor %d", fds[i]);
        BAD(m, mmf_open_fd(m, fds[i], NULL), MMF_EBADF, name, NULL);
    }

    /* the wrong open mode */
    int wo = _open(snap.path, _O_WRONLY | _O_BINARY);
    int ro = _open(snap.path, _O_RDONLY | _O_BINARY);
    mmf_options o = MMF_OPTIONS_INIT;
    BAD(m, mmf_open_fd(m, wo, NULL), MMF_EACCES, "not open for reading", NULL);
    o.access = MMF_ACCESS_WRITE;
    BAD(m, mmf_open_fd(m, wo, &o), MMF_EACCES, "not open for reading", NULL);
    BAD(m, mmf_open_fd(m, ro, &o), MMF_EACCES, "not open for writing", NULL);
    o.flags = MMF_GROW;
    o.length = 2 * FIX_LEN;
    BAD(m, mmf_open_fd(m, ro, &o), MMF_EACCES, "not open for writing", NULL);
    o.flags = MMF_CREATE;
    BAD(m, mmf_open_fd(m, ro, &o), MMF_EINVAL, "need a path", NULL);
    o.flags = MMF_TRUNCATE;
    o.length = 1;
    BAD(m, mmf_open_fd(m, ro, &o), MMF_EINVAL, "need a path", NULL);
    o = (mmf_options)MMF_OPTIONS_INIT;
    o.offset = U64;
    BAD(m, mmf_open_fd(m, ro, &o), MMF_EOVERFLOW, "2^63-1", NULL);
    o.offset = FIX_LEN;
    BAD(m, mmf_open_fd(m, ro, &o), MMF_ERANGE, "offset", NULL);
    _close(wo);
    _close(ro);
    /* O_PATH's counterpart: a handle that names the file but may not read
     * it (attributes only). */
    wchar_t wpath[600];
    MultiByteToWideChar(CP_UTF8, 0, snap.path, -1, wpath, 600);
    HANDLE ah = CreateFileW(wpath, FILE_READ_ATTRIBUTES,
                            FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                            OPEN_EXISTING, 0, NULL);
    assert_true(ah != INVALID_HANDLE_VALUE);
    int afd = _open_osfhandle((intptr_t)ah, _O_RDONLY);
    BAD(m, mmf_open_fd(m, afd, NULL), MMF_EACCES, "not open for reading", NULL);
    _close(afd);
    assert_false(mmf_is_open(m));
    mmf_free(m);
    snap_same(&snap, "bad descriptors", __LINE__);
    snap_free(&snap);
}

/* Names on Windows: "/name" is the section Local\name, only the first '/'
 * may be there, a name lives as long as a handle to it (so mmf_shm_unlink
 * of an existing one is MMF_ENOTSUP). */
static void anonymous_and_shared_memory_arguments_windows(void **state)
{
    (void)state;
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    BAD(NULL, mmf_open_anon(NULL, 10, MMF_ANON_SHARED), MMF_EINVAL, NULL, NULL);
    BAD(m, mmf_open_anon(m, 0, MMF_ANON_SHARED), MMF_EINVAL, "length 0",
        "zero");
    uint64_t huge[] = {U64, I64 + 1, (uint64_t)SIZE_MAX, U64 - 4095};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++)
        BAD(m, mmf_open_anon(m, huge[i], MMF_ANON_PRIVATE), MMF_ENOMEM,
            u64s(huge[i]), "address space");
    BAD(m, mmf_open_anon(m, I64, MMF_ANON_SHARED), MMF_ENOMEM,
        "CreateFileMappingW", NULL);
    int flags[] = {2, -1, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        BAD(m, mmf_open_anon(m, 10, flags[i]), MMF_EINVAL, "open_anon",
            "MMF_ANON_SHARED");

    char name[64];
    snprintf(name, sizeof name, "/mmf-bad-%d", (int)getpid());
    mmf_options o = MMF_OPTIONS_INIT;
    BAD(NULL, mmf_open_shm(NULL, name, NULL), MMF_EINVAL, NULL, NULL);
    BAD(m, mmf_open_shm(m, NULL, NULL), MMF_EINVAL, "name is empty", NULL);
    BAD(m, mmf_open_shm(m, "", NULL), MMF_EINVAL, "name is empty", NULL);
    BAD(m, mmf_open_shm(m, "/", NULL), MMF_EINVAL, "empty", NULL);
    BAD(m, mmf_open_shm(m, name, NULL), MMF_ENOENT, name, NULL);
    o.flags = MMF_CREATE;
    o.access = MMF_ACCESS_READ;
    o.length = 4096;
    BAD(m, mmf_open_shm(m, name, &o), MMF_EINVAL, "MMF_CREATE", NULL);
    o.access = MMF_ACCESS_WRITE;
    o.length = 0;
    BAD(m, mmf_open_shm(m, name, &o), MMF_EINVAL, "length", NULL);
    BAD(m, mmf_open_shm(m, "/a/b", &o), MMF_EINVAL, "MMF_CREATE", NULL);
    o.length = 4096;
    BAD(m, mmf_open_shm(m, "/a/b", &o), MMF_EINVAL, "/a/b",
        "may only start with '/'");
    char longname[400];
    longname[0] = '/';
    memset(longname + 1, 'n', sizeof longname - 2);
    longname[sizeof longname - 1] = '\0';
    BAD(m, mmf_open_shm(m, longname, &o), MMF_EINVAL, "open_shm", "too long");
    o.offset = U64;
    BAD(m, mmf_open_shm(m, name, &o), MMF_EOVERFLOW, "2^63-1", NULL);
    o.offset = 0;
    o.window_size = U64;
    BAD(m, mmf_open_shm(m, name, &o), MMF_EINVAL, "window_size", NULL);
    /* none of the refused opens created the name */
    BAD(NULL, mmf_shm_unlink(name), MMF_ENOENT, NULL, NULL);
    /* an existing object, opened past its end */
    o.window_size = 0;
    assert_int_equal(mmf_open_shm(m, name, &o), 0);
    mmf_map *m2 = NULL;
    assert_int_equal(mmf_new(&m2), 0);
    mmf_options past = MMF_OPTIONS_INIT;
    past.offset = 8192;
    BAD(m2, mmf_open_shm(m2, name, &past), MMF_ERANGE, "offset 8192", NULL);
    past.offset = 0;
    past.length = 4097;
    BAD(m2, mmf_open_shm(m2, name, &past), MMF_ERANGE, "past the end", NULL);
    past.length = 0;
    past.access = MMF_ACCESS_WRITE;
    past.flags = MMF_GROW;
    past.length = 8192; /* a section cannot grow */
    BAD(m2, mmf_open_shm(m2, name, &past), MMF_ENOTSUP, "cannot grow", NULL);
    mmf_free(m2);
    BAD(NULL, mmf_shm_unlink(name), MMF_ENOTSUP, NULL, NULL);
    mmf_free(m);
    BAD(NULL, mmf_shm_unlink(NULL), MMF_EINVAL, NULL, NULL);
    BAD(NULL, mmf_shm_unlink(""), MMF_EINVAL, NULL, NULL);
    BAD(NULL, mmf_shm_unlink(name), MMF_ENOENT, NULL, NULL);
}
#endif /* _WIN32 */

static void unknown_error_codes_have_a_text(void **state)
{
    (void)state;
    int codes[] = {1, 42, -20, -999, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        assert_string_equal(mmf_strerror(codes[i]), "unknown error");
        assert_string_equal(mmf_err_name(codes[i]), "MMF_E?");
        tried += 2;
    }
}

/* --- regressions ------------------------------------------------------------
 */

/* Blosc/c-blosc2#729, aclements/libelfin#75, cpython#157335: a bounds check
 * written as `off + n > len` passes when off + n wraps past 2^64, and the
 * copy then runs far outside the map.  Each call that takes (offset, length)
 * must see the wrap. */
static void regression_wrapping_offset_plus_length_is_overflow(void **state)
{
    (void)state;
    const char *p = fixture("wrap.bin");
    snapshot snap;
    snap_take(&snap, p);
    mmf_map *m = NULL;
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    assert_int_equal(mmf_new(&m), 0);
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    char buf[16];
    uint64_t big = U64 - 9; /* 10 + big == 0 (mod 2^64) */
    /* A size_t argument wraps the sum only where size_t is 64-bit; a
     * 32-bit (size_t)big is just past the end. */
    int wide = fits_size(big);
    BAD(m, mmf_copy_out(m, 10, buf, (size_t)big),
        wide ? MMF_EOVERFLOW : MMF_ERANGE, "copy_out",
        wide ? "overflows" : "past the end");
    BAD(m, mmf_copy_in(m, 10, buf, (size_t)big),
        wide ? MMF_EOVERFLOW : MMF_ERANGE, "copy_in",
        wide ? "overflows" : "past the end");
    BAD(m, mmf_move(m, 0, 10, big), MMF_EOVERFLOW, "move source", "overflows");
    BAD(m, mmf_move(m, 10, 0, big), MMF_ERANGE, "move source", NULL);
    BAD(m, mmf_move(m, U64 - 4, 0, 10), MMF_EOVERFLOW, "move destination",
        "overflows");
    BAD(m, mmf_flush(m, 10, big, MMF_FLUSH_SYNC), MMF_EOVERFLOW, "flush",
        "overflows");
    void *ptr = NULL;
    BAD(m, mmf_view(m, 10, (size_t)big, &ptr),
        wide ? MMF_EOVERFLOW : MMF_ERANGE, "view",
        wide ? "overflows" : "past the end");
    uint64_t pos;
    /* find's end is clamped; a start of 2^64-1 finds nothing */
    BAD(m, mmf_find(m, "a", 1, U64, 5, &pos), 0, NULL, NULL);
    assert_true(pos == MMF_NOT_FOUND);
    assert_int_equal(mmf_seek(m, 10, MMF_SEEK_SET, NULL), 0);
    BAD(m, mmf_write(m, buf, (size_t)big), wide ? MMF_EOVERFLOW : MMF_ERANGE,
        "write", wide ? "overflows" : "do not fit");
    mmf_free(m);
    snap_same(&snap, "wrapping arguments", __LINE__);
    snap_free(&snap);
}

/* cpython#119817 (writes past the end of what the file holds), cpython#76979
 * (flush of an unaligned offset), cpython#105235 (find read one byte past
 * the end of a page-aligned map), cpython#151021 (empty needle "found" past
 * the end), fmmap#2 (rfind with a needle longer than the slice). */
static void regression_unaligned_and_past_the_end_offsets(void **state)
{
    (void)state;
    /* exactly two pages, so the byte after the map is unmapped */
    const char *p = th_path("pages.bin");
    char data[2 * PAGE];
    memset(data, 'f', sizeof data);
    data[2 * PAGE - 1] = 'o';
    th_write_file(p, data, sizeof data);
    snapshot snap;
    snap_take(&snap, p);
    mmf_map *m = NULL;
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.offset = 1; /* unaligned start: the map is 2 pages - 1 byte */
    assert_int_equal(mmf_new(&m), 0);
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    uint64_t len = mmf_length(m), pos;
    assert_int_equal(len, 2 * PAGE - 1);
    /* "fo" whose 'f' is the last-but-one byte: a search that reads one
     * byte past the map would fault or find a match past the end */
    BAD(m, mmf_find(m, "oo", 2, 0, MMF_END, &pos), 0, NULL, NULL);
    assert_true(pos == MMF_NOT_FOUND);
    BAD(m, mmf_find(m, "fo", 2, 0, MMF_END, &pos), 0, NULL, NULL);
    assert_int_equal(pos, len - 2);
    BAD(m, mmf_rfind(m, "fff", 3, len - 2, MMF_END, &pos), 0, NULL, NULL);
    assert_true(pos == MMF_NOT_FOUND);
    BAD(m, mmf_find(m, "", 0, len + 1, MMF_END, &pos), 0, NULL, NULL);
    assert_true(pos == MMF_NOT_FOUND);
    BAD(m, mmf_rfind(m, "", 0, len + 1, MMF_END, &pos), 0, NULL, NULL);
    assert_true(pos == MMF_NOT_FOUND);
    BAD(m, mmf_count(m, "", 0, len + 1, MMF_END, &pos), 0, NULL, NULL);
    assert_int_equal(pos, 0);
    /* unaligned flush ranges are fine; past the end is not */
    BAD(m, mmf_flush(m, 4095, 3, MMF_FLUSH_SYNC), 0, NULL, NULL);
    BAD(m, mmf_flush(m, len, 1, MMF_FLUSH_SYNC), MMF_ERANGE, "flush",
        "past the end");
    BAD(m, mmf_set_byte(m, len, 'x'), MMF_ERANGE, "set_byte", "past the end");
    assert_int_equal(mmf_seek(m, (int64_t)len - 1, MMF_SEEK_SET, NULL), 0);
    BAD(m, mmf_write(m, "xy", 2), MMF_ERANGE, "write", "do not fit");
    mmf_free(m);
    snap_same(&snap, "past-the-end accesses", __LINE__);
    /* a map longer than the file is refused, not mapped to fault later */
    assert_int_equal(mmf_new(&m), 0);
    o.offset = 0;
    o.length = 2 * PAGE + 1;
    BAD(m, mmf_open_path(m, p, &o), MMF_ERANGE, "past the end of the file",
        NULL);
    mmf_free(m);
    snap_same(&snap, "an open longer than the file", __LINE__);
    snap_free(&snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_refuses_bad_ranges_and_keeps_the_file),
        cmocka_unit_test(raw_advice_unknown_to_the_os_is_refused),
        cmocka_unit_test(closed_objects_refuse_every_call),
        cmocka_unit_test(open_options_are_checked_before_the_file_changes),
#ifndef _WIN32
        cmocka_unit_test(paths_of_every_wrong_kind_are_refused),
        cmocka_unit_test(descriptors_of_every_wrong_kind_are_refused),
        cmocka_unit_test(anonymous_and_shared_memory_arguments),
#else
        cmocka_unit_test(paths_of_every_wrong_kind_are_refused_windows),
        cmocka_unit_test(descriptors_of_every_wrong_kind_are_refused_windows),
        cmocka_unit_test(anonymous_and_shared_memory_arguments_windows),
#endif
        cmocka_unit_test(unknown_error_codes_have_a_text),
        cmocka_unit_test(regression_wrapping_offset_plus_length_is_overflow),
        cmocka_unit_test(regression_unaligned_and_past_the_end_offsets),
    };
    int failed = cmocka_run_group_tests_name("badinput", tests, NULL, NULL);
    printf("test_badinput: %lu bad inputs tried\n", tried);
    return failed;
}
