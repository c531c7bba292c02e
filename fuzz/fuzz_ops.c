/* fuzz_ops.c - differential fuzzer (libFuzzer) of the whole public API.
 *
 * The input is decoded into map options and a sequence of operations: get
 * and set byte, copy out and in, move, find/rfind/count, seek, read,
 * read_byte, readline, line_length, write, write_byte, resize, flush,
 * advise, residency, view, pointer, close-and-reopen.  Each operation runs
 * on two real maps of two identical temp files - one whole, one windowed
 * with a window of one to four pages - and on a reference model (the file's
 * bytes, the map's bytes and a cursor, written from the header's contract).
 * Every return code, every byte returned and every cursor position must
 * agree; at the end both files must equal the model's file.  Any difference
 * aborts with a description, which libFuzzer keeps as a crash.
 *
 * Safety net: RLIMIT_FSIZE caps every file at 1 MiB, so that no input can
 * make the library reserve a huge file (posix_fallocate then says EFBIG,
 * which the model expects as MMF_EOVERFLOW).  Files live in $FUZZ_TMPDIR,
 * else in /dev/shm when it is writable.
 */
#include "mmapfile.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define FSIZE_LIMIT ((uint64_t)1 << 20)
/* The model's byte loops are not the code under test: no coverage feedback
 * from them (it would steer the fuzzer and slow it down). */
#if defined(__clang__)
#define NOCOV __attribute__((no_sanitize("coverage")))
#else
#define NOCOV
#endif
#define PAGE 4096u
#define BUF_CAP (FSIZE_LIMIT + 65536)
#define I64 ((uint64_t)INT64_MAX)
#define U64 UINT64_MAX

/* --- the input ---------------------------------------------------------- */

typedef struct stream {
    const uint8_t *p;
    size_t n;
} stream;

static uint8_t u8(stream *s)
{
    if (s->n == 0)
        return 0;
    s->n--;
    return *s->p++;
}

static uint64_t u64raw(stream *s)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | u8(s);
    return v;
}

/* A number for an offset or a length in a map of `len` bytes: mostly in
 * range, often at the edges, sometimes absurd. */
static uint64_t num(stream *s, uint64_t len)
{
    uint8_t sel = u8(s);
    static const uint64_t fixed[16] = {0,
                                       1,
                                       2,
                                       4095,
                                       4096,
                                       4097,
                                       65536,
                                       I64,
                                       I64 + 1,
                                       U64,
                                       U64 - 1,
                                       U64 - 4095,
                                       (uint64_t)SIZE_MAX,
                                       1u << 20,
                                       3,
                                       8191};
    switch (sel >> 5) {
    case 0:
    case 1:
    case 2:
        return ((uint64_t)u8(s) << 8 | u8(s)) % (len + 2);
    case 3:
        return len - (sel & 15); /* wraps when len is small: huge */
    case 4:
        return len + (sel & 15);
    case 5:
        return fixed[sel & 15];
    case 6:
        return u8(s);
    default:
        return u64raw(s);
    }
}

/* --- the model ------------------------------------------------------------ */

typedef struct model {
    uint8_t *file; /* the file's expected bytes */
    uint64_t fsize;
    uint8_t *map; /* the map's expected bytes (differ for copy-on-write) */
    uint64_t len, pos;
    int open;
} model;

typedef struct setup {
    int access, flags;
    uint64_t offset, length, window;
    uint64_t reserve; /* A's mmf_options.reserve (write maps), 0: none */
} setup;

static model M;
static setup S;
static mmf_map *A, *B; /* whole, windowed */
/* B is windowed, except for copy-on-write setups: a windowed copy-on-write
 * map loses its changes when the window moves (a known library bug, see
 * docs/reliability.md); FUZZ_COW_WINDOWED=1 in the environment fuzzes it
 * anyway. */
static int b_windowed, cow_windowed;
/* A with a reservation: the address mmf_pointer gave last and the
 * reservation it was in; while the reservation is the same the map has not
 * moved, and the address must be the same. */
static void *a_last_ptr;
static uint64_t a_last_resv;
static int trace; /* FUZZ_TRACE=1: print each operation */
static char path_a[256], path_b[256];
static uint8_t *buf_a, *buf_b, *data;
static const char *op_name;
static unsigned op_index;

#define FAIL(...)                                                              \
    do {                                                                       \
        fprintf(stderr, "fuzz_ops: op %u (%s): ", op_index, op_name);          \
        fprintf(stderr, __VA_ARGS__);                                          \
        fprintf(stderr,                                                        \
                "\n  setup: access %d flags 0x%x offset %llu length "          \
                "%llu window %llu; model len %llu pos %llu file %llu "         \
                "open %d\n",                                                   \
                S.access, (unsigned)S.flags, (unsigned long long)S.offset,     \
                (unsigned long long)S.length, (unsigned long long)S.window,    \
                (unsigned long long)M.len, (unsigned long long)M.pos,          \
                (unsigned long long)M.fsize, M.open);                          \
        abort();                                                               \
    } while (0)

static void expect_rc(const char *who, mmf_map *m, int got, int want)
{
    if (got != want)
        FAIL("%s returned %s (%s), the model says %s", who, mmf_err_name(got),
             mmf_errmsg(m), mmf_err_name(want));
    if (got != 0 && mmf_errmsg(m)[0] == '\0')
        FAIL("%s returned %s with an empty message", who, mmf_err_name(got));
}

static void expect_u64(const char *who, const char *what, uint64_t got,
                       uint64_t want)
{
    if (got != want)
        FAIL("%s: %s is %llu, the model says %llu", who, what,
             (unsigned long long)got, (unsigned long long)want);
}

NOCOV static void expect_bytes(const char *who, const uint8_t *got,
                               const uint8_t *want, uint64_t n)
{
    if (n == 0 || memcmp(got, want, (size_t)n) == 0)
        return;
    for (uint64_t i = 0; i < n; i++)
        if (got[i] != want[i])
            FAIL("%s: byte %llu of %llu is 0x%02x, the model says 0x%02x", who,
                 (unsigned long long)i, (unsigned long long)n, got[i], want[i]);
}

static int range_code(uint64_t off, uint64_t n, uint64_t len)
{
    if (off > U64 - n)
        return MMF_EOVERFLOW;
    return off + n > len ? MMF_ERANGE : 0;
}

static int writable(void)
{
    return S.access != MMF_ACCESS_READ;
}

/* Store bytes into the map (and the file, for shared write maps). */
static void model_store(uint64_t at, const uint8_t *src, uint64_t n)
{
    memmove(M.map + at, src, (size_t)n);
    if (S.access == MMF_ACCESS_WRITE)
        memmove(M.file + S.offset + at, src, (size_t)n);
}

static void model_set_file_size(uint64_t size)
{
    if (size > M.fsize)
        memset(M.file + M.fsize, 0, (size_t)(size - M.fsize));
    M.fsize = size;
}

/* mmf_resize as the header describes it. */
static int model_resize(uint64_t newlen)
{
    if (!M.open)
        return MMF_ECLOSED;
    if (S.access != MMF_ACCESS_WRITE)
        return MMF_EACCES; /* read-only, or copy-on-write of a file */
    if (newlen > I64 || S.offset > U64 - newlen || S.offset + newlen > I64)
        return MMF_EOVERFLOW;
    if (newlen == M.len)
        return 0;
    uint64_t end = S.offset + newlen;
    if (newlen > M.len) {
        if (end > M.fsize) {
            if (end > FSIZE_LIMIT)
                return MMF_EOVERFLOW; /* EFBIG from RLIMIT_FSIZE */
            model_set_file_size(end);
        }
        memcpy(M.map + M.len, M.file + S.offset + M.len,
               (size_t)(newlen - M.len));
        /* Growth inside a longer file cuts it to offset+length, as every
         * resize leaves it (the header; main's a37483f). */
        if (end < M.fsize)
            model_set_file_size(end);
    } else {
        model_set_file_size(end);
    }
    M.len = newlen;
    if (M.pos > newlen)
        M.pos = newlen;
    return 0;
}

/* mmf_open_path with the setup, on a file of M.fsize bytes. */
static int model_open(void)
{
    int may_extend = S.access == MMF_ACCESS_WRITE && (S.flags & MMF_GROW);
    uint64_t len = S.length;
    if (len == 0) {
        if (M.fsize == 0 && S.offset == 0) {
            if (S.access != MMF_ACCESS_WRITE)
                return MMF_EEMPTY;
        } else if (S.offset >= M.fsize) {
            return MMF_ERANGE;
        } else {
            len = M.fsize - S.offset;
        }
    }
    uint64_t end = S.offset + len;
    if (end > M.fsize) {
        if (!may_extend)
            return MMF_ERANGE;
        if (end > FSIZE_LIMIT)
            return MMF_EOVERFLOW;
        model_set_file_size(end);
    }
    M.len = len;
    M.pos = 0;
    memcpy(M.map, M.file + S.offset, (size_t)len);
    M.open = 1;
    return 0;
}

NOCOV static uint64_t model_search(const uint8_t *nd, size_t nl, uint64_t start,
                                   uint64_t end, int mode)
{
    if (end > M.len)
        end = M.len;
    if (start > end)
        return mode == 2 ? 0 : MMF_NOT_FOUND;
    if (nl == 0)
        return mode == 0 ? start : mode == 1 ? end : end - start + 1;
    uint64_t count = 0, hit = MMF_NOT_FOUND;
    for (uint64_t i = start; i < end && end - i >= nl;) {
        if (memcmp(M.map + i, nd, nl) == 0) {
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

/* --- the real maps ----------------------------------------------------------
 */

static int real_open(mmf_map *m, const char *path, int windowed)
{
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = S.access;
    o.flags = S.flags | (windowed ? MMF_WINDOWED : 0);
    o.offset = S.offset;
    o.length = S.length;
    o.window_size = windowed ? S.window : 0;
    o.reserve = windowed ? 0 : S.reserve;
    a_last_ptr = NULL;
    return mmf_open_path(m, path, &o);
}

static void check_state(void)
{
    expect_u64("A", "length", mmf_length(A), M.open ? M.len : 0);
    expect_u64("B", "length", mmf_length(B), M.open ? M.len : 0);
    expect_u64("A", "tell", mmf_tell(A), M.open ? M.pos : 0);
    expect_u64("B", "tell", mmf_tell(B), M.open ? M.pos : 0);
}

static void check_files(void)
{
    const char *paths[2] = {path_a, path_b};
    for (int i = 0; i < 2; i++) {
        int fd = open(paths[i], O_RDONLY);
        if (fd < 0)
            FAIL("cannot open %s", paths[i]);
        off_t size = lseek(fd, 0, SEEK_END);
        expect_u64(i ? "file B" : "file A", "size", (uint64_t)size, M.fsize);
        if (pread(fd, buf_a, (size_t)size, 0) != size)
            FAIL("cannot read %s", paths[i]);
        close(fd);
        expect_bytes(i ? "file B" : "file A", buf_a, M.file, M.fsize);
    }
}

/* --- the operations
 * ----------------------------------------------------------- */

#define BOTH(call_a, call_b, want)                                             \
    do {                                                                       \
        expect_rc("A", A, (call_a), (want));                                   \
        expect_rc("B", B, (call_b), (want));                                   \
    } while (0)

static void op_get_byte(stream *s)
{
    uint64_t off = num(s, M.len);
    int want = !M.open ? MMF_ECLOSED : range_code(off, 1, M.len);
    uint8_t a = 0, b = 0;
    BOTH(mmf_get_byte(A, off, &a), mmf_get_byte(B, off, &b), want);
    if (want == 0) {
        expect_u64("A", "byte", a, M.map[off]);
        expect_u64("B", "byte", b, M.map[off]);
    }
}

static void op_set_byte(stream *s)
{
    uint64_t off = num(s, M.len);
    uint8_t v = u8(s);
    int want = !M.open       ? MMF_ECLOSED
               : !writable() ? MMF_EACCES
                             : range_code(off, 1, M.len);
    BOTH(mmf_set_byte(A, off, v), mmf_set_byte(B, off, v), want);
    if (want == 0)
        model_store(off, &v, 1);
}

static void op_copy_out(stream *s)
{
    uint64_t off = num(s, M.len), n = num(s, M.len);
    int null = (u8(s) & 31) == 0;
    if (n > SIZE_MAX)
        return;
    int want = !M.open ? MMF_ECLOSED : range_code(off, n, M.len);
    if (want == 0 && null && n > 0)
        want = MMF_EINVAL;
    BOTH(mmf_copy_out(A, off, null ? NULL : buf_a, (size_t)n),
         mmf_copy_out(B, off, null ? NULL : buf_b, (size_t)n), want);
    if (want == 0) {
        expect_bytes("A", buf_a, M.map + off, n);
        expect_bytes("B", buf_b, M.map + off, n);
    }
}

static void op_copy_in(stream *s)
{
    uint64_t off = num(s, M.len), n = num(s, M.len);
    uint8_t fill = u8(s);
    int null = (fill & 31) == 0;
    if (n > SIZE_MAX)
        return;
    int want = !M.open       ? MMF_ECLOSED
               : !writable() ? MMF_EACCES
                             : range_code(off, n, M.len);
    if (want == 0 && null && n > 0)
        want = MMF_EINVAL;
    if (want == 0 && n > 0)
        memset(data, fill, (size_t)n);
    BOTH(mmf_copy_in(A, off, null ? NULL : data, (size_t)n),
         mmf_copy_in(B, off, null ? NULL : data, (size_t)n), want);
    if (want == 0)
        model_store(off, data, n);
}

static void op_move(stream *s)
{
    uint64_t dst = num(s, M.len), src = num(s, M.len), n = num(s, M.len);
    int want = !M.open ? MMF_ECLOSED : !writable() ? MMF_EACCES : 0;
    if (want == 0)
        want = range_code(src, n, M.len);
    if (want == 0)
        want = range_code(dst, n, M.len);
    BOTH(mmf_move(A, dst, src, n), mmf_move(B, dst, src, n), want);
    if (want == 0 && n > 0) {
        memcpy(data, M.map + src, (size_t)n);
        model_store(dst, data, n);
    }
}

static void op_search(stream *s, int mode)
{
    uint8_t sel = u8(s);
    size_t nl = sel % 9;
    const uint8_t *needle = data;
    if (sel & 0x80 && M.len > 0) { /* a needle taken from the map: a hit */
        uint64_t at = num(s, M.len) % M.len;
        if (nl > M.len - at)
            nl = (size_t)(M.len - at);
        memcpy(data, M.map + at, nl);
    } else {
        for (size_t i = 0; i < nl; i++)
            data[i] = u8(s);
    }
    int null = (sel & 0x70) == 0x70;
    uint64_t start = num(s, M.len), end = num(s, M.len);
    if (sel & 0x08)
        end = MMF_END;
    int want = !M.open ? MMF_ECLOSED : null && nl > 0 ? MMF_EINVAL : 0;
    uint64_t a = 7, b = 7;
    const void *nd = null ? NULL : needle;
    int ra, rb;
    if (mode == 0) {
        ra = mmf_find(A, nd, nl, start, end, &a);
        rb = mmf_find(B, nd, nl, start, end, &b);
    } else if (mode == 1) {
        ra = mmf_rfind(A, nd, nl, start, end, &a);
        rb = mmf_rfind(B, nd, nl, start, end, &b);
    } else {
        ra = mmf_count(A, nd, nl, start, end, &a);
        rb = mmf_count(B, nd, nl, start, end, &b);
    }
    BOTH(ra, rb, want);
    if (want == 0) {
        uint64_t w = model_search(needle, nl, start, end, mode);
        expect_u64("A", "result", a, w);
        expect_u64("B", "result", b, w);
    }
}

static void op_seek(stream *s)
{
    int whence = u8(s) % 4; /* 3 is invalid */
    uint64_t mag = num(s, M.len);
    int64_t off = (int64_t)((u8(s) & 1) ? 0 - mag : mag);
    int want;
    uint64_t target = 0;
    if (!M.open) {
        want = MMF_ECLOSED;
    } else if (whence == 3) {
        want = MMF_EINVAL;
    } else {
        uint64_t base = whence == MMF_SEEK_SET   ? 0
                        : whence == MMF_SEEK_CUR ? M.pos
                                                 : M.len;
        if (off < 0) {
            uint64_t back = (uint64_t)(-(off + 1)) + 1;
            want = back > base ? MMF_ERANGE : 0;
            target = base - back;
        } else {
            want = (uint64_t)off > M.len - base ? MMF_ERANGE : 0;
            target = base + (uint64_t)off;
        }
    }
    uint64_t na = 1, nb = 1;
    BOTH(mmf_seek(A, off, whence, &na), mmf_seek(B, off, whence, &nb), want);
    if (want == 0) {
        M.pos = target;
        expect_u64("A", "new position", na, target);
        expect_u64("B", "new position", nb, target);
    }
}

static void op_read(stream *s)
{
    uint64_t n = num(s, M.len);
    int null = (u8(s) & 31) == 0;
    if (n > SIZE_MAX)
        return;
    int want = !M.open ? MMF_ECLOSED : null && n > 0 ? MMF_EINVAL : 0;
    uint64_t take = 0;
    if (want == 0)
        take = n < M.len - M.pos ? n : M.len - M.pos;
    if (want == 0 && take > BUF_CAP)
        return;
    size_t ga = 9, gb = 9;
    BOTH(mmf_read(A, null ? NULL : buf_a, (size_t)n, &ga),
         mmf_read(B, null ? NULL : buf_b, (size_t)n, &gb), want);
    expect_u64("A", "count", ga, take);
    expect_u64("B", "count", gb, take);
    if (want == 0) {
        expect_bytes("A", buf_a, M.map + M.pos, take);
        expect_bytes("B", buf_b, M.map + M.pos, take);
        M.pos += take;
    }
}

static void op_read_byte(stream *s)
{
    (void)s;
    int want = !M.open ? MMF_ECLOSED : M.pos >= M.len ? MMF_EEOF : 0;
    uint8_t a = 0, b = 0;
    BOTH(mmf_read_byte(A, &a), mmf_read_byte(B, &b), want);
    if (want == 0) {
        expect_u64("A", "byte", a, M.map[M.pos]);
        expect_u64("B", "byte", b, M.map[M.pos]);
        M.pos++;
    }
}

NOCOV static uint64_t model_line_length(void)
{
    for (uint64_t i = M.pos; i < M.len; i++)
        if (M.map[i] == '\n')
            return i + 1 - M.pos;
    return M.len - M.pos;
}

static void op_readline(stream *s)
{
    uint64_t cap = num(s, M.len);
    int null = (u8(s) & 31) == 0;
    if (cap > SIZE_MAX)
        return;
    int want = !M.open ? MMF_ECLOSED : 0;
    uint64_t take = 0;
    if (want == 0) {
        uint64_t ll = model_line_length();
        take = ll < cap ? ll : cap;
        if (null && take > 0)
            want = MMF_EINVAL;
    }
    size_t ga = 9, gb = 9;
    BOTH(mmf_readline(A, null ? NULL : buf_a, (size_t)cap, &ga),
         mmf_readline(B, null ? NULL : buf_b, (size_t)cap, &gb), want);
    if (want == 0) {
        expect_u64("A", "count", ga, take);
        expect_u64("B", "count", gb, take);
        expect_bytes("A", buf_a, M.map + M.pos, take);
        expect_bytes("B", buf_b, M.map + M.pos, take);
        M.pos += take;
    }
}

static void op_line_length(stream *s)
{
    (void)s;
    int want = !M.open ? MMF_ECLOSED : 0;
    uint64_t a = 5, b = 5;
    BOTH(mmf_line_length(A, &a), mmf_line_length(B, &b), want);
    if (want == 0) {
        expect_u64("A", "line length", a, model_line_length());
        expect_u64("B", "line length", b, model_line_length());
    }
}

/* mmf_write / mmf_write_byte: room first (MMF_GROW resizes), then copy. */
static int model_write_room(uint64_t n)
{
    if (M.pos > U64 - n)
        return MMF_EOVERFLOW;
    uint64_t end = M.pos + n;
    if (end <= M.len)
        return 0;
    if (!(S.flags & MMF_GROW))
        return MMF_ERANGE;
    return model_resize(end);
}

static void op_write(stream *s, int one)
{
    uint64_t n = one ? 1 : num(s, M.len);
    uint8_t fill = u8(s);
    int null = !one && (fill & 31) == 0;
    if (n > SIZE_MAX)
        return;
    int want;
    if (!M.open)
        want = MMF_ECLOSED;
    else if (!writable())
        want = MMF_EACCES;
    else if (null && n > 0)
        want = MMF_EINVAL;
    else
        want = model_write_room(n); /* may resize the model */
    if (want == 0 && n > 0 && n <= BUF_CAP)
        memset(data, fill, (size_t)n);
    if (one)
        BOTH(mmf_write_byte(A, fill), mmf_write_byte(B, fill), want);
    else
        BOTH(mmf_write(A, null ? NULL : data, (size_t)n),
             mmf_write(B, null ? NULL : data, (size_t)n), want);
    if (want == 0) {
        if (one)
            data[0] = fill;
        model_store(M.pos, data, n);
        M.pos += n;
    }
}

static void op_resize(stream *s)
{
    uint64_t n = num(s, M.len);
    if (u8(s) & 1)
        n = n % (3 * PAGE * 8); /* mostly modest sizes */
    if (trace)
        fprintf(stderr, "  resize(%llu)\n", (unsigned long long)n);
    int want = model_resize(n);
    BOTH(mmf_resize(A, n), mmf_resize(B, n), want);
}

static void op_flush(stream *s)
{
    uint64_t off = num(s, M.len), n = num(s, M.len);
    int flags = u8(s) % 4; /* 3 is invalid; 2 is durable */
    int want;
    if (!M.open)
        want = MMF_ECLOSED;
    else if (n == 0)
        want = off > M.len ? MMF_ERANGE : 0;
    else
        want = range_code(off, n, M.len);
    if (want == 0 && flags == 3)
        want = MMF_EINVAL;
    BOTH(mmf_flush(A, off, n, flags), mmf_flush(B, off, n, flags), want);
}

static void op_advise(stream *s)
{
    uint64_t off = num(s, M.len), n = num(s, M.len);
    int advice = u8(s) % 8; /* 7 is invalid */
    if (trace)
        fprintf(stderr, "  advise(%llu, %llu, %d)\n", (unsigned long long)off,
                (unsigned long long)n, advice);
    int want;
    if (!M.open)
        want = MMF_ECLOSED;
    else if (n == 0)
        want = off > M.len ? MMF_ERANGE : 0;
    else
        want = range_code(off, n, M.len);
    if (want == 0 && advice == 7)
        want = MMF_EINVAL;
    BOTH(mmf_advise(A, off, n, advice), mmf_advise(B, off, n, advice), want);
}

static void op_residency(stream *s)
{
    uint64_t off = num(s, M.len), n = num(s, M.len);
    int want;
    if (!M.open)
        want = MMF_ECLOSED;
    else if (n == 0)
        want = off > M.len ? MMF_ERANGE : 0;
    else
        want = range_code(off, n, M.len);
    uint64_t ra = 0, ta = 0, rb = 0, tb = 0;
    BOTH(mmf_residency(A, off, n, &ra, &ta), mmf_residency(B, off, n, &rb, &tb),
         want);
    if (want == 0) {
        uint64_t len = n == 0 ? M.len - off : n;
        uint64_t pages = 0;
        if (len > 0) {
            uint64_t first = (S.offset + off) / PAGE;
            uint64_t last = (S.offset + off + len - 1) / PAGE;
            pages = last - first + 1;
        }
        expect_u64("A", "total pages", ta, pages);
        expect_u64("B", "total pages", tb, pages);
        if (ra > ta || rb > tb)
            FAIL("more resident pages than pages");
    }
}

static void op_view(stream *s)
{
    uint64_t off = num(s, M.len), n = num(s, M.len);
    if (n > SIZE_MAX)
        return;
    int want = !M.open ? MMF_ECLOSED : range_code(off, n, M.len);
    int want_b = want;
    if (want_b == 0 && n > 0 && n > S.window && b_windowed)
        want_b = MMF_ENOTSUP; /* larger than one window */
    void *pa = NULL, *pb = NULL;
    expect_rc("A", A, mmf_view(A, off, (size_t)n, &pa), want);
    if (want == 0 && n > 0)
        expect_bytes("A view", pa, M.map + off, n);
    expect_rc("B", B, mmf_view(B, off, (size_t)n, &pb), want_b);
    if (want_b == 0 && n > 0)
        expect_bytes("B view", pb, M.map + off, n);
}

static void op_pointer(stream *s)
{
    (void)s;
    void *p = NULL;
    uint64_t len = 0;
    int want = !M.open ? MMF_ECLOSED : M.len == 0 ? MMF_ERANGE : 0;
    expect_rc("A", A, mmf_pointer(A, &p, &len), want);
    if (M.open && S.reserve > 0) {
        uint64_t resv = mmf_reservation(A);
        if (a_last_ptr != NULL && resv == a_last_resv && p != a_last_ptr)
            FAIL("A moved inside its reservation of %llu bytes: %p -> %p",
                 (unsigned long long)resv, a_last_ptr, p);
        a_last_ptr = p;
        a_last_resv = resv;
    }
    if (want == 0) {
        expect_u64("A", "pointer length", len, M.len);
        expect_bytes("A pointer", p, M.map, M.len);
    }
    if (b_windowed) {
        expect_rc("B", B, mmf_pointer(B, &p, &len),
                  M.open ? MMF_ENOTSUP : MMF_ECLOSED);
    } else {
        expect_rc("B", B, mmf_pointer(B, &p, &len), want);
        if (want == 0)
            expect_bytes("B pointer", p, M.map, M.len);
    }
}

static void op_reopen(stream *s)
{
    (void)s;
    BOTH(mmf_close(A), mmf_close(B), 0);
    M.open = 0;
    /* a copy-on-write map's private changes are gone with it */
    int want = model_open();
    BOTH(real_open(A, path_a, 0), real_open(B, path_b, b_windowed), want);
}

static void op_facts(stream *s)
{
    (void)s;
    uint64_t fa = 0, fb = 0;
    int want = M.open ? 0 : MMF_ECLOSED;
    BOTH(mmf_file_size(A, &fa), mmf_file_size(B, &fb), want);
    if (want == 0) {
        expect_u64("A", "file size", fa, M.fsize);
        expect_u64("B", "file size", fb, M.fsize);
    }
    expect_u64("A", "is_open", (uint64_t)mmf_is_open(A), (uint64_t)M.open);
    expect_u64("B", "is_windowed", (uint64_t)mmf_is_windowed(B),
               (uint64_t)(M.open && b_windowed));
    expect_u64("A", "access", (uint64_t)mmf_access_mode(A),
               (uint64_t)(M.open ? S.access : 0));
}

typedef struct opdef {
    const char *name;
    void (*fn)(stream *);
} opdef;

static void op_find(stream *s)
{
    op_search(s, 0);
}
static void op_rfind(stream *s)
{
    op_search(s, 1);
}
static void op_count(stream *s)
{
    op_search(s, 2);
}
static void op_write_n(stream *s)
{
    op_write(s, 0);
}
static void op_write_1(stream *s)
{
    op_write(s, 1);
}

static const opdef ops[] = {
    {"get_byte", op_get_byte},
    {"set_byte", op_set_byte},
    {"copy_out", op_copy_out},
    {"copy_in", op_copy_in},
    {"move", op_move},
    {"find", op_find},
    {"rfind", op_rfind},
    {"count", op_count},
    {"seek", op_seek},
    {"read", op_read},
    {"read_byte", op_read_byte},
    {"readline", op_readline},
    {"line_length", op_line_length},
    {"write", op_write_n},
    {"write_byte", op_write_1},
    {"resize", op_resize},
    {"flush", op_flush},
    {"advise", op_advise},
    {"residency", op_residency},
    {"view", op_view},
    {"pointer", op_pointer},
    {"reopen", op_reopen},
    {"facts", op_facts},
};

/* --- libFuzzer
 * ------------------------------------------------------------------ */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    struct rlimit rl = {FSIZE_LIMIT, FSIZE_LIMIT};
    setrlimit(RLIMIT_FSIZE, &rl);
    signal(SIGXFSZ, SIG_IGN);
    /* FUZZ_TMPDIR (run.sh makes one and removes it: a crashing input
     * leaves its files behind), else /dev/shm, else TMPDIR or /tmp */
    const char *dir = getenv("FUZZ_TMPDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    if (dir == NULL)
        dir = "/tmp";
    snprintf(path_a, sizeof path_a, "%s/mmf-fuzz-%d-a", dir, (int)getpid());
    snprintf(path_b, sizeof path_b, "%s/mmf-fuzz-%d-b", dir, (int)getpid());
    M.file = malloc(BUF_CAP);
    M.map = malloc(BUF_CAP);
    buf_a = malloc(BUF_CAP);
    buf_b = malloc(BUF_CAP);
    data = malloc(BUF_CAP);
    const char *cw = getenv("FUZZ_COW_WINDOWED");
    cow_windowed = cw != NULL && cw[0] == '1';
    const char *tr = getenv("FUZZ_TRACE");
    trace = tr != NULL && tr[0] == '1';
    if (mmf_new(&A) != 0 || mmf_new(&B) != 0)
        abort();
    return 0;
}

/* Text-like contents, with newlines for readline. */
NOCOV static void fill_file(uint8_t seed)
{
    for (uint64_t i = 0; i < M.fsize; i++)
        M.file[i] = (uint8_t)((i * 7 + seed * (i >> 3)) % 23 == 0
                                  ? '\n'
                                  : 'a' + (i * 131 + seed) % 5);
}

static void write_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 ||
        (M.fsize > 0 && write(fd, M.file, (size_t)M.fsize) != (ssize_t)M.fsize))
        abort();
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    static int xfsz_ignored;
    if (!xfsz_ignored) {
        /* After libFuzzer's own handler (-handle_xfsz) is in place: a file
         * that hits RLIMIT_FSIZE is an EFBIG the model expects, not a
         * crash. */
        signal(SIGXFSZ, SIG_IGN);
        xfsz_ignored = 1;
    }
    stream s = {in, size};
    /* the header: options and the file */
    uint8_t h0 = u8(&s), h1 = u8(&s), h2 = u8(&s), h3 = u8(&s), h4 = u8(&s),
            h5 = u8(&s);
    static const int accesses[4] = {MMF_ACCESS_WRITE, MMF_ACCESS_READ,
                                    MMF_ACCESS_COPY, MMF_ACCESS_WRITE};
    memset(&S, 0, sizeof S);
    S.access = accesses[h0 & 3];
    S.flags = (h0 & 4) ? MMF_GROW : 0;
    S.window = PAGE * (1 + ((h0 >> 3) & 3));
    /* The reservation is invisible but for the address: same codes, bytes
     * and files as without (read-only maps with one may follow their file,
     * which the model does not know, so only write maps get one). */
    S.reserve = S.access == MMF_ACCESS_WRITE ? 4 * PAGE * ((h0 >> 5) & 7) : 0;
    b_windowed = S.access != MMF_ACCESS_COPY || cow_windowed;
    M.fsize = ((uint64_t)h1 << 8 | h2) % 20000;
    S.offset = h3 == 0 ? 0 : (uint64_t)h3 * 97 % (M.fsize + 2);
    S.length = h4 == 0 ? 0 : (uint64_t)h4 * 61 % (M.fsize + 3);
    fill_file(h5);
    write_file(path_a);
    write_file(path_b);
    M.open = 0;
    op_name = "open";
    op_index = 0;
    int want = model_open();
    BOTH(real_open(A, path_a, 0), real_open(B, path_b, b_windowed), want);
    check_state();
    while (s.n > 0) {
        const opdef *o = &ops[u8(&s) % (sizeof ops / sizeof ops[0])];
        op_name = o->name;
        op_index++;
        if (trace)
            fprintf(stderr, "op %u %s (model len %llu pos %llu file %llu)\n",
                    op_index, op_name, (unsigned long long)M.len,
                    (unsigned long long)M.pos, (unsigned long long)M.fsize);
        o->fn(&s);
        check_state();
    }
    op_name = "close";
    BOTH(mmf_close(A), mmf_close(B), 0);
    check_files();
    unlink(path_a);
    unlink(path_b);
    return 0;
}
