/* test_window.c - a windowed map answers every call as a whole map does.
 * Two copies of one file are opened, one whole, one through small windows,
 * and the same random operations run on both; results and final files must
 * be identical.  Also: the automatic fallback under an address-space limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifndef _WIN32
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "helpers.h"
#include "internal.h" /* window_moves */
#include "mmapfile.h"

#define FILE_SIZE (300 * 1000 + 123)

static uint32_t rng = 12345;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static mmf_map *open_map(const char *path, int windowed, uint64_t offset)
{
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.offset = offset;
    if (windowed) {
        o.flags = MMF_WINDOWED;
        o.window_size = 3 * mmf_granularity();
    }
    if (mmf_open_path(m, path, &o) != 0)
        fail_msg("%s", mmf_errmsg(m));
    assert_int_equal(mmf_is_windowed(m), windowed);
    return m;
}

static void random_operations_agree_with_whole_map(void **state)
{
    (void)state;
    char *data = malloc(FILE_SIZE);
    /* Small alphabet so that searches hit often, across window edges. */
    for (size_t i = 0; i < FILE_SIZE; i++)
        data[i] = "xyz\n"[next_rand() % 4];
    const char *pw = th_path("whole.bin"), *pv = th_path("windowed.bin");
    th_write_file(pw, data, FILE_SIZE);
    th_write_file(pv, data, FILE_SIZE);
    uint64_t offset = 777;
    mmf_map *w = open_map(pw, 0, offset), *v = open_map(pv, 1, offset);
    char *a = malloc(70000), *b = malloc(70000);
    for (int i = 0; i < 3000; i++) {
        uint64_t len = mmf_length(w);
        assert_int_equal(mmf_length(v), len);
        uint64_t off = next_rand() % (len + 2);
        size_t n = next_rand() % 40000;
        int op = (int)(next_rand() % 11);
        int rw, rv;
        uint64_t xw, xv;
        switch (op) {
        case 0: {
            uint8_t cw = 0, cv = 0;
            rw = mmf_get_byte(w, off, &cw);
            rv = mmf_get_byte(v, off, &cv);
            assert_int_equal(cw, cv);
            break;
        }
        case 1:
            rw = mmf_copy_out(w, off, a, n);
            rv = mmf_copy_out(v, off, b, n);
            if (rw == 0)
                assert_memory_equal(a, b, n);
            break;
        case 2:
            th_fill(a, n, (uint32_t)i);
            rw = mmf_copy_in(w, off, a, n);
            rv = mmf_copy_in(v, off, a, n);
            break;
        case 3:
        case 4:
        case 5: {
            size_t nlen = 1 + next_rand() % 6;
            char needle[8];
            for (size_t k = 0; k < nlen; k++)
                needle[k] = "xyz\n"[next_rand() % 4];
            uint64_t end = off + next_rand() % 100000;
            if (op == 3) {
                rw = mmf_find(w, needle, nlen, off, end, &xw);
                rv = mmf_find(v, needle, nlen, off, end, &xv);
            } else if (op == 4) {
                rw = mmf_rfind(w, needle, nlen, off, end, &xw);
                rv = mmf_rfind(v, needle, nlen, off, end, &xv);
            } else {
                rw = mmf_count(w, needle, nlen, off, end, &xw);
                rv = mmf_count(v, needle, nlen, off, end, &xv);
            }
            assert_int_equal(xw, xv);
            break;
        }
        case 6: {
            uint64_t src = next_rand() % (len + 1);
            rw = mmf_move(w, off, src, n);
            rv = mmf_move(v, off, src, n);
            break;
        }
        case 7: {
            size_t gw = 0, gv = 0;
            rw = mmf_seek(w, (int64_t)off, MMF_SEEK_SET, NULL);
            rv = mmf_seek(v, (int64_t)off, MMF_SEEK_SET, NULL);
            assert_int_equal(rw, rv);
            if (rw == 0) {
                rw = mmf_readline(w, a, n, &gw);
                rv = mmf_readline(v, b, n, &gv);
                assert_int_equal(gw, gv);
                assert_memory_equal(a, b, gw);
                rw = mmf_read(w, a, n, &gw);
                rv = mmf_read(v, b, n, &gv);
                assert_int_equal(gw, gv);
                assert_memory_equal(a, b, gw);
            }
            break;
        }
        case 8:
            if (next_rand() % 8 == 0) {
                uint64_t nl = FILE_SIZE / 2 + next_rand() % FILE_SIZE;
                rw = mmf_resize(w, nl);
                rv = mmf_resize(v, nl);
            } else {
                rw = mmf_flush(w, off, n, MMF_FLUSH_ASYNC);
                rv = mmf_flush(v, off, n, MMF_FLUSH_ASYNC);
            }
            break;
        case 9: {
            void *pa, *pb;
            size_t vn = n % 5000;
            rw = mmf_view(w, off, vn, &pa);
            rv = mmf_view(v, off, vn, &pb);
            if (rw == 0 && rv == 0)
                assert_memory_equal(pa, pb, vn);
            break;
        }
        default:
            rw = mmf_write(w, "ab\n", 3);
            rv = mmf_write(v, "ab\n", 3);
            assert_int_equal(mmf_tell(w), mmf_tell(v));
            break;
        }
        if (rw != rv)
            fail_msg("op %d at %llu n %zu: whole %d (%s) windowed %d (%s)", op,
                     (unsigned long long)off, n, rw, mmf_errmsg(w), rv,
                     mmf_errmsg(v));
    }
    assert_int_equal(mmf_flush(v, 0, 0, MMF_FLUSH_DURABLE), 0);
    mmf_free(w);
    mmf_free(v);
    long long sw = th_file_size(pw), sv = th_file_size(pv);
    assert_int_equal(sw, sv);
    char *fw = malloc((size_t)sw), *fv = malloc((size_t)sv);
    th_read_file(pw, fw, (size_t)sw);
    th_read_file(pv, fv, (size_t)sv);
    assert_memory_equal(fw, fv, (size_t)sw);
    free(fw);
    free(fv);
    free(a);
    free(b);
    free(data);
}

#ifndef _WIN32
static void windowed_map_has_no_pointer_and_view_limit(void **state)
{
    (void)state;
    const char *p = th_path("noptr.bin");
    char data[100000];
    th_fill(data, sizeof data, 9);
    th_write_file(p, data, sizeof data);
    mmf_map *v = open_map(p, 1, 0);
    void *ptr;
    assert_int_equal(mmf_pointer(v, &ptr, NULL), MMF_ENOTSUP);
    assert_non_null(strstr(mmf_errmsg(v), "mmf_view"));
    size_t window = 3 * mmf_granularity();
    assert_int_equal(mmf_view(v, 1, window + 1, &ptr), MMF_ENOTSUP);
    assert_int_equal(mmf_view(v, 4095, window, &ptr), 0); /* straddles */
    assert_memory_equal(ptr, data + 4095, window);
    uint64_t resident, total;
    assert_int_equal(mmf_residency(v, 0, 0, &resident, &total), 0);
    assert_int_equal(total, (sizeof data + 4095) / 4096);
    mmf_free(v);
}
#else
/* The test above with a file large enough for Windows' 64 KiB granularity:
 * there a window of three granules is 192 KiB, more than its file. */
static void windowed_map_has_no_pointer_and_view_limit_windows(void **state)
{
    (void)state;
    size_t window = 3 * mmf_granularity();
    size_t n = 2 * window + 100000;
    const char *p = th_path("noptr.bin");
    char *data = malloc(n);
    th_fill(data, n, 9);
    th_write_file(p, data, n);
    mmf_map *v = open_map(p, 1, 0);
    void *ptr;
    assert_int_equal(mmf_pointer(v, &ptr, NULL), MMF_ENOTSUP);
    assert_non_null(strstr(mmf_errmsg(v), "mmf_view"));
    assert_int_equal(mmf_view(v, 1, window + 1, &ptr), MMF_ENOTSUP);
    assert_int_equal(mmf_view(v, 4095, window, &ptr), 0); /* straddles */
    assert_memory_equal(ptr, data + 4095, window);
    assert_int_equal(mmf_view(v, window - 10, window, &ptr), 0);
    assert_memory_equal(ptr, data + window - 10, window);
    uint64_t resident, total;
    assert_int_equal(mmf_residency(v, 0, 0, &resident, &total), 0);
    assert_int_equal(total, (n + 4095) / 4096);
    mmf_free(v);
    free(data);
}
#endif

/* A needle longer than the window: each walk must still advance about a
 * window per move.  It once moved by one byte (an mmap and a search set-up
 * per byte: minutes for this 4 MiB file); now it takes milliseconds, and
 * the bound below is 5 s. */
static void needle_longer_than_window_walks_by_windows(void **state)
{
    (void)state;
    const size_t size = 4u << 20, nlen = 40000;
    char *data = calloc(1, size), *needle = calloc(1, nlen);
    assert_non_null(data);
    assert_non_null(needle);
    size_t at = size - 300000;
    data[at + nlen - 1] = 'Z';
    needle[nlen - 1] = 'Z';
    const char *p = th_path("long-needle.bin");
    th_write_file(p, data, size);
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.flags = MMF_WINDOWED;
    o.window_size = 4 * mmf_granularity(); /* 16 KiB on Linux */
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    time_t t0 = time(NULL);
    uint64_t pos;
    assert_int_equal(mmf_find(m, needle, nlen, 0, MMF_END, &pos), 0);
    assert_int_equal(pos, at);
    assert_int_equal(mmf_rfind(m, needle, nlen, 0, MMF_END, &pos), 0);
    assert_int_equal(pos, at);
    assert_int_equal(mmf_count(m, needle, nlen, 0, MMF_END, &pos), 0);
    assert_int_equal(pos, 1);
    assert_true(time(NULL) - t0 < 5);
    mmf_free(m);
    free(needle);
    free(data);
}

/* rfind walks back through windows as fast as find walks forward, for
 * every needle length up to the window: no more than twice the window
 * moves (each move is an mmap and a search set-up).  A needle of about half
 * the window used to move it back by one byte per mmap. */
static void rfind_moves_the_window_no_more_than_find(void **state)
{
    (void)state;
    const size_t size = 1u << 20;
    char *data = calloc(1, size);
    assert_non_null(data);
    const char *p = th_path("rfind-moves.bin");
    th_write_file(p, data, size);
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.flags = MMF_WINDOWED;
    o.window_size = 4 * mmf_granularity();
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    size_t w = (size_t)o.window_size;
    size_t lens[] = {1, 64, w / 4, w / 2 - 1, w / 2, w / 2 + 1, w - 1, w};
    char *needle = malloc(w);
    memset(needle, 'Z', w); /* never found: both walk the whole file */
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        uint64_t pos;
        m->window_moves = 0;
        assert_int_equal(mmf_find(m, needle, lens[i], 0, MMF_END, &pos), 0);
        assert_int_equal(pos, MMF_NOT_FOUND);
        uint64_t forward = m->window_moves;
        m->window_moves = 0;
        assert_int_equal(mmf_rfind(m, needle, lens[i], 0, MMF_END, &pos), 0);
        assert_int_equal(pos, MMF_NOT_FOUND);
        uint64_t backward = m->window_moves;
        if (backward > 2 * forward + 2 || backward > 2 * (size / w) + 2)
            fail_msg("needle of %zu bytes: find moved the window %llu times, "
                     "rfind %llu",
                     lens[i], (unsigned long long)forward,
                     (unsigned long long)backward);
    }
    free(needle);
    mmf_free(m);
    free(data);
}

#ifndef _WIN32
/* Advice reaches a windowed map as it reaches a whole one: the window
 * moves to the offset, so a bad advice is refused either way. */
static void advice_on_windowed_map_moves_the_window(void **state)
{
    (void)state;
    const char *p = th_path("advise-windowed.bin");
    char data[100000];
    th_fill(data, sizeof data, 6);
    th_write_file(p, data, sizeof data);
    mmf_map *v = open_map(p, 1, 0), *w = open_map(p, 0, 0);
    /* Linux says EINVAL (MMF_EIO); qemu-user accepts any advice: the
     * windowed map must answer as the whole one does. */
    int whole = mmf_advise_raw(w, 50000, 100, 9999);
    assert_true(whole == MMF_EIO || whole == 0);
    assert_int_equal(mmf_advise_raw(v, 50000, 100, 9999), whole);
    assert_int_equal(mmf_advise(v, 50000, 100, MMF_ADVICE_WILLNEED), 0);
    void *ptr; /* the window now holds offset 50000 */
    assert_int_equal(mmf_view(v, 50000, 0, &ptr), 0);
    assert_memory_equal(ptr, data + 50000, 16);
    mmf_free(v);
    mmf_free(w);
}

/* Under an address-space limit a whole mapping of a large file fails and
 * MMF_WINDOW_FALLBACK serves it through windows. */
static void fallback_to_windows_when_address_space_is_short(void **state)
{
    (void)state;
    if (sizeof(void *) < 8)
        skip(); /* the 32-bit run proves this with a real 4 GiB space */
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* ASan reserves terabytes of shadow: no RLIMIT_AS fits it */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    skip();
#endif
#endif
    const char *p = th_path("sparse-1.5g.bin");
    uint64_t size = (uint64_t)3 << 29;
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fseeko(f, (off_t)(size - 9), SEEK_SET);
    fwrite("needle-3g", 1, 9, f);
    fseeko(f, (off_t)((uint64_t)1 << 30) - 3, SEEK_SET);
    fwrite("across", 1, 6, f);
    fclose(f);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {(rlim_t)1 << 29, (rlim_t)1 << 29};
        if (setrlimit(RLIMIT_AS, &rl) != 0)
            _exit(10);
        mmf_map *m = NULL;
        mmf_options o = MMF_OPTIONS_INIT;
        if (mmf_new(&m) != 0)
            _exit(11);
        if (mmf_open_path(m, p, &o) != MMF_ENOMEM)
            _exit(12); /* a whole mapping cannot be had */
        o.flags = MMF_WINDOW_FALLBACK;
        if (mmf_open_path(m, p, &o) != 0 || !mmf_is_windowed(m))
            _exit(13);
        if (strstr(mmf_errmsg(m), "through windows") == NULL)
            _exit(17); /* the fallback is reported */
        uint64_t pos;
        if (mmf_rfind(m, "needle-3g", 9, 0, MMF_END, &pos) != 0 ||
            pos != size - 9)
            _exit(14);
        if (mmf_find(m, "across", 6, 0, MMF_END, &pos) != 0 ||
            pos != ((uint64_t)1 << 30) - 3)
            _exit(15);
        if (mmf_rfind(m, "across", 6, 0, MMF_END, &pos) != 0 ||
            pos != ((uint64_t)1 << 30) - 3)
            _exit(16);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    remove(p);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}
#endif

/* Windows of whole 2 MiB multiples start on 2 MiB boundaries of the file
 * (whole large folios at both ends: window.c, window_start_for), going
 * forward and back, and still answer as a whole map does, also for map
 * offsets off that boundary and needles that do not fit a window from
 * there. */
#define ALIGN_2M ((uint64_t)2 << 20)

/* find (or rfind, reverse) on the windowed map w and the whole map h must
 * give the same answer. */
static void both_find(mmf_map *w, mmf_map *h, int reverse, const char *needle,
                      size_t nl, uint64_t lo, uint64_t hi)
{
    uint64_t pw, ph;
    int (*search)(mmf_map *, const void *, size_t, uint64_t, uint64_t,
                  uint64_t *) = reverse ? mmf_rfind : mmf_find;
    assert_int_equal(search(w, needle, nl, lo, hi, &pw), 0);
    assert_int_equal(search(h, needle, nl, lo, hi, &ph), 0);
    if (pw != ph)
        fail_msg("%s %zu bytes in [%llu, %llu): windowed %llu, whole %llu",
                 reverse ? "rfind" : "find", nl, (unsigned long long)lo,
                 (unsigned long long)hi, (unsigned long long)pw,
                 (unsigned long long)ph);
}
static void large_windows_start_on_2mib_and_agree_with_whole_map(void **s)
{
    (void)s;
    const size_t size = (8u << 20) + 12345;
    char *data = malloc(size);
    char *a = malloc(3u << 20), *b = malloc(3u << 20);
    assert_non_null(data);
    assert_non_null(a);
    assert_non_null(b);
    th_fill(data, size, 77);
    for (size_t i = 0; i < size; i++)
        data[i] = (char)('a' + (data[i] & 3)); /* matches everywhere */
    const char *p = th_path("win-2m.bin");
    assert_int_equal(th_write_file(p, data, size), 0);
    static const uint64_t offsets[] = {0, 3 * 4096};
    static const uint64_t windows[] = {2u << 20, 4u << 20};
    for (size_t oi = 0; oi < 2; oi++) {
        for (size_t wi = 0; wi < 2; wi++) {
            mmf_map *w = NULL, *h = NULL;
            mmf_options o = MMF_OPTIONS_INIT;
            o.access = MMF_ACCESS_READ;
            o.offset = offsets[oi];
            assert_int_equal(mmf_new(&h), 0);
            assert_int_equal(mmf_open_path(h, p, &o), 0);
            o.flags = MMF_WINDOWED;
            o.window_size = windows[wi];
            assert_int_equal(mmf_new(&w), 0);
            assert_int_equal(mmf_open_path(w, p, &o), 0);
            const uint64_t len = mmf_length(h);
            const char *base = data + offsets[oi];
            /* A forward search over the whole map moves the window to 2
             * MiB boundaries of the file. */
            uint64_t pw, ph, cw, ch;
            assert_int_equal(
                mmf_find(w, "dddddddddddddddddddddddd", 24, 0, MMF_END, &pw),
                0);
            assert_int_equal(
                mmf_find(h, "dddddddddddddddddddddddd", 24, 0, MMF_END, &ph),
                0);
            assert_true(pw == ph);
            assert_true(w->window_moves > 0);
            /* A window of 2 MiB cannot hold a match that straddles a 2 MiB
             * boundary from that boundary: it falls back to pages. */
            if (windows[wi] > ALIGN_2M)
                assert_int_equal((w->offset + w->win_start) % ALIGN_2M, 0);
            /* The last needle does not fit a 2 MiB window from a 2 MiB
             * boundary. */
            static const size_t nlens[] = {1, 7, 5000, 100000,
                                           (2u << 20) - 100};
            for (int q = 0; q < 5; q++) {
                size_t nl = nlens[q];
                uint64_t at = next_rand() % (len - nl);
                uint64_t lo = next_rand() % (at + 1);
                uint64_t hi = at + nl + next_rand() % (len - at - nl + 1);
                const char *needle = base + at;
                both_find(w, h, 0, needle, nl, lo, hi);
                both_find(w, h, 1, needle, nl, lo, hi);
                assert_int_equal(mmf_count(w, "ab", 2, lo, hi, &cw), 0);
                assert_int_equal(mmf_count(h, "ab", 2, lo, hi, &ch), 0);
                assert_true(cw == ch);
                size_t n = (size_t)(next_rand() % (5u << 19));
                uint64_t from = next_rand() % (len - n);
                assert_int_equal(mmf_copy_out(w, from, a, n), 0);
                assert_int_equal(mmf_copy_out(h, from, b, n), 0);
                assert_memory_equal(a, b, n);
                assert_memory_equal(a, base + from, n);
            }
            mmf_free(w);
            mmf_free(h);
        }
    }
    free(data);
    free(a);
    free(b);
}

static void copy_on_write_is_never_windowed(void **state)
{
    (void)state;
    const char *p = th_path("cow-window.bin");
    char data[20000];
    th_fill(data, sizeof data, 4);
    th_write_file(p, data, sizeof data);
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_COPY;
    o.flags = MMF_WINDOWED;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_ENOTSUP);
    assert_non_null(strstr(mmf_errmsg(m), "copy-on-write"));
    o.flags = MMF_WINDOW_FALLBACK; /* fits: a whole map */
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    assert_false(mmf_is_windowed(m));
    mmf_free(m);
}

#ifdef __linux__
/* --- page calls on a windowed map cover the range a whole map covers --- */

#define PC_SIZE (1u << 20)
#define PC_WINDOW (64u << 10)

static const char *page_call_file(const char *name)
{
    const char *p = th_path(name);
    char *data = malloc(PC_SIZE);
    assert_non_null(data);
    th_fill(data, PC_SIZE, 77);
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, PC_SIZE), PC_SIZE);
    assert_int_equal(fsync(fd), 0); /* clean pages: eviction can drop them */
    close(fd);
    free(data);
    return p;
}

static mmf_map *open_pc(const char *p, int windowed)
{
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    if (windowed) {
        o.flags = MMF_WINDOWED;
        o.window_size = PC_WINDOW;
    }
    if (mmf_open_path(m, p, &o) != 0)
        fail_msg("%s", mmf_errmsg(m));
    uint8_t b; /* the window at the start of the file */
    assert_int_equal(mmf_get_byte(m, 0, &b), 0);
    return m;
}

/* Pages of [off, off+len) in the page cache, asked through a fresh whole
 * map (mincore), as a separate observer would. */
static uint64_t resident(const char *p, uint64_t off, uint64_t len)
{
    mmf_map *w = NULL;
    assert_int_equal(mmf_new(&w), 0);
    assert_int_equal(mmf_open_path(w, p, NULL), 0);
    uint64_t r, total;
    assert_int_equal(mmf_residency(w, off, len, &r, &total), 0);
    mmf_free(w);
    return r;
}

static void read_whole_file(const char *p)
{
    static char buf[PC_SIZE];
    int fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, PC_SIZE), PC_SIZE);
    close(fd);
}

/* valgrind (named by its preload library) keeps pages of the file mapped
 * where the test cannot see: eviction cannot drop them there. */
static int under_valgrind(void)
{
    const char *pre = getenv("LD_PRELOAD");
    return pre != NULL && strstr(pre, "vgpreload") != NULL;
}

/* Evicting a range outside the window drops its pages from the page cache,
 * as evicting it through a whole map does (it used to do nothing). */
static void
evict_outside_the_window_drops_the_pages_like_a_whole_map(void **state)
{
    (void)state;
    if (under_valgrind())
        skip();
    const char *p = page_call_file("evict-windowed.bin");
    /* The whole file: the page cache may hold it in large folios, which
     * only an eviction of all their pages drops. */
    const uint64_t pages = PC_SIZE / 4096;
    for (int windowed = 0; windowed < 2; windowed++) {
        read_whole_file(p);
        assert_int_equal(resident(p, 0, 0), pages);
        mmf_map *m = open_pc(p, windowed);
        assert_int_equal(mmf_evict(m, 0, 0), 0);
        mmf_free(m);
        uint64_t left = resident(p, 0, 0);
        if (left != 0)
            fail_msg("%s map: %llu of %llu pages still cached after evict",
                     windowed ? "windowed" : "whole", (unsigned long long)left,
                     (unsigned long long)pages);
    }
}

/* WILLNEED past the window reads the range into the page cache, as it
 * does for a whole map (it used to reach the first window only). */
static void willneed_past_the_window_reads_the_whole_range(void **state)
{
    (void)state;
    const char *p = page_call_file("willneed-windowed.bin");
    const uint64_t half = PC_SIZE / 2, pages = half / 4096;
    for (int windowed = 0; windowed < 2; windowed++) {
        /* Opened (and faulted at 0, with its readahead) before everything
         * is evicted, through it (its own mapping lets go of the pages) and
         * through a whole map. */
        mmf_map *m = open_pc(p, windowed);
        mmf_map *w = open_pc(p, 0);
        assert_int_equal(mmf_evict(m, 0, 0), 0);
        assert_int_equal(mmf_evict(w, 0, 0), 0);
        mmf_free(w);
        assert_int_equal(resident(p, half, half), 0);
        assert_int_equal(mmf_advise(m, half, half, MMF_ADVICE_WILLNEED), 0);
        uint64_t got = 0;
        for (int tries = 0; tries < 200 && got < pages; tries++) {
            got = resident(p, half, half);
            if (got < pages)
                usleep(10000); /* readahead completes asynchronously */
        }
        if (got == 0 && !windowed) {
            mmf_free(m);
            skip(); /* advice is a no-op here (qemu-user): no reference */
        }
        if (got != pages)
            fail_msg("%s map: %llu of %llu pages read ahead",
                     windowed ? "windowed" : "whole", (unsigned long long)got,
                     (unsigned long long)pages);
        mmf_free(m);
    }
}

static long locked_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmLck: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* A lock on a windowed map pins the range asked for, wherever the window
 * was (it used to lock only the part inside it, here nothing), and a range
 * wider than a window is refused, not half-locked. */
static void lock_on_a_windowed_map_pins_the_range_or_refuses(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* ASan makes mlock a no-op: VmLck cannot tell */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    skip();
#endif
#endif
    const char *p = page_call_file("lock-windowed.bin");
    mmf_map *m = open_pc(p, 1);
    long before = locked_kib();
    int rc = mmf_lock(m, PC_SIZE / 2, 16384);
    if (rc == MMF_ENOMEM)
        skip(); /* RLIMIT_MEMLOCK too low here */
    assert_int_equal(rc, 0);
    assert_int_equal(locked_kib() - before, 16);
    assert_int_equal(mmf_unlock(m, PC_SIZE / 2, 16384), 0);
    assert_int_equal(locked_kib(), before);
    assert_int_equal(mmf_lock(m, 0, 2 * PC_WINDOW), MMF_ENOTSUP);
    assert_non_null(strstr(mmf_errmsg(m), "do not fit in one window"));
    /* A window starts on a granularity boundary: 100 + a window is one byte
     * of a page too many. */
    assert_int_equal(mmf_lock(m, 100, PC_WINDOW), MMF_ENOTSUP);
    assert_int_equal(locked_kib(), before);
    /* Raw advice with a file-level form covers any range; other raw advice
     * only a range that fits in one window. */
    assert_int_equal(mmf_advise_raw(m, 0, 2 * PC_WINDOW, MADV_RANDOM), 0);
    assert_int_equal(mmf_advise_raw(m, 0, 2 * PC_WINDOW, MADV_HUGEPAGE),
                     MMF_ENOTSUP);
    assert_non_null(strstr(mmf_errmsg(m), "no file-level form"));
    int huge = mmf_advise_raw(m, 4096, 4096, MADV_HUGEPAGE);
    assert_true(huge == 0 || huge == MMF_EIO); /* EINVAL without THP */
    mmf_free(m);
}

/* cachestat(2) (Linux 6.5): how many pages of a file range are dirty. */
struct pc_cachestat_range {
    uint64_t off, len;
};
struct pc_cachestat {
    uint64_t cache, dirty, writeback, evicted, recently_evicted;
};

static int dirty_pages(int fd, uint64_t *dirty)
{
    struct pc_cachestat_range r = {0, PC_SIZE};
    struct pc_cachestat cs;
    memset(&cs, 0, sizeof cs);
    if (syscall(451, fd, &r, &cs, 0) != 0)
        return -1;
    *dirty = cs.dirty;
    return 0;
}

/* MMF_FLUSH_ASYNC of a range written through earlier windows starts their
 * write-back as it does for a whole map's mapped pages (msync cannot reach
 * them once the window moved on; it used to leave them dirty). */
static void async_flush_reaches_pages_of_earlier_windows(void **state)
{
    (void)state;
    const char *p = page_call_file("flush-windowed.bin");
    int fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    uint64_t dirty = 0;
    if (dirty_pages(fd, &dirty) != 0) {
        close(fd);
        skip(); /* no cachestat before Linux 6.5 */
    }
    mmf_map *m = open_pc(p, 1);
    char data[PC_WINDOW];
    memset(data, 'w', sizeof data);
    for (uint64_t at = 0; at < PC_SIZE / 2; at += PC_WINDOW)
        assert_int_equal(mmf_copy_in(m, at, data, sizeof data), 0);
    uint8_t b; /* the window moves on: the written pages are unmapped */
    assert_int_equal(mmf_get_byte(m, PC_SIZE - 1, &b), 0);
    assert_int_equal(dirty_pages(fd, &dirty), 0);
    if (dirty == 0) {
        mmf_free(m);
        close(fd);
        skip(); /* written back already (a busy machine's flusher) */
    }
    assert_int_equal(mmf_flush(m, 0, PC_SIZE / 2, MMF_FLUSH_ASYNC), 0);
    assert_int_equal(dirty_pages(fd, &dirty), 0);
    assert_int_equal(dirty, 0);
    char back[16];
    assert_int_equal(pread(fd, back, sizeof back, PC_SIZE / 2 - 16), 16);
    assert_memory_equal(back, data, sizeof back);
    mmf_free(m);
    close(fd);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_operations_agree_with_whole_map),
        cmocka_unit_test(copy_on_write_is_never_windowed),
        cmocka_unit_test(large_windows_start_on_2mib_and_agree_with_whole_map),
        cmocka_unit_test(needle_longer_than_window_walks_by_windows),
        cmocka_unit_test(rfind_moves_the_window_no_more_than_find),
#ifndef _WIN32
        cmocka_unit_test(windowed_map_has_no_pointer_and_view_limit),
#else
        cmocka_unit_test(windowed_map_has_no_pointer_and_view_limit_windows),
#endif
#ifndef _WIN32
        cmocka_unit_test(advice_on_windowed_map_moves_the_window),
        cmocka_unit_test(fallback_to_windows_when_address_space_is_short),
#endif
#ifdef __linux__
        cmocka_unit_test(
            evict_outside_the_window_drops_the_pages_like_a_whole_map),
        cmocka_unit_test(willneed_past_the_window_reads_the_whole_range),
        cmocka_unit_test(lock_on_a_windowed_map_pins_the_range_or_refuses),
        cmocka_unit_test(async_flush_reaches_pages_of_earlier_windows),
#endif
    };
    return cmocka_run_group_tests_name("window", tests, NULL, NULL);
}
