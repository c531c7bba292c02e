/* test_reserve.c - maps that grow without moving (mmf_options.reserve):
 * the address stays across growth and shrink inside the reservation, the
 * content follows the file, growth past the reservation moves once, a
 * second process follows a growing file, growth fits under an
 * address-space limit, and every refusal changes nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "helpers.h"
#include "mmapfile.h"

static mmf_map *new_map(void)
{
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    return m;
}

/* Open `path` for writing with a reservation; fails the test if refused. */
static mmf_map *open_reserved(const char *path, uint64_t off, uint64_t len,
                              uint64_t reserve, int flags)
{
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.offset = off;
    o.length = len;
    o.reserve = reserve;
    o.flags = flags;
    if (mmf_open_path(m, path, &o) != 0)
        fail_msg("open %s with reserve %llu: %s", path,
                 (unsigned long long)reserve, mmf_errmsg(m));
    return m;
}

/* Reservations need placeholders on Windows (10 1803 and later); Wine 8
 * has none, and there the open says MMF_ENOTSUP (tested below).  Every
 * other system has them. */
static int reservations_work(void)
{
    mmf_map *m = new_map();
    int rc = mmf_open_anon_reserve(m, 4096, MMF_ANON_PRIVATE, 65536);
    mmf_free(m);
#ifdef _WIN32
    if (rc == MMF_ENOTSUP)
        return 0;
#endif
    assert_int_equal(rc, 0);
    return 1;
}

#define NEED_RESERVATIONS()                                                    \
    do {                                                                       \
        if (!reservations_work())                                              \
            skip();                                                            \
    } while (0)

/* The address of map byte 0 (also for an empty map, which says
 * MMF_ERANGE but gives the address). */
static char *base_of(mmf_map *m)
{
    void *p = NULL;
    int rc = mmf_pointer(m, &p, NULL);
    assert_true(rc == 0 || (rc == MMF_ERANGE && mmf_length(m) == 0));
    return p;
}

/* n bytes of the file at `off`, read with the OS's own read call (pread on
 * POSIX), not through any mapping. */
static void file_bytes(const char *path, uint64_t off, size_t n, char *out)
{
#ifdef _WIN32
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(_fseeki64(f, (long long)off, SEEK_SET), 0);
    assert_int_equal(fread(out, 1, n, f), n);
    fclose(f);
#else
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, out + got, n - got, (off_t)(off + got));
        assert_true(r > 0);
        got += (size_t)r;
    }
    close(fd);
#endif
}

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

#define RES (256u << 10)

/* The heart of the contract: 1,000 random growths and shrinks inside the
 * reservation, through mmf_resize and MMF_GROW writes; after each the
 * address is the same, a pointer taken before into the bytes that stayed
 * still reads them, and the whole map equals the file read with pread. */
static void
random_resizes_inside_the_reservation_never_move_the_map(void **state)
{
    (void)state;
    NEED_RESERVATIONS();
    const char *p = th_path("random.bin");
    const uint64_t off = 3 * 4096 + 123; /* a lead before map byte 0 */
    char *head = calloc(1, (size_t)off);
    assert_non_null(head);
    assert_int_equal(th_write_file(p, head, (size_t)off), 0);
    mmf_map *m = open_reserved(p, off, 100, RES, MMF_GROW);
    char *base = base_of(m);
    assert_non_null(base);
    char *model = calloc(1, RES);
    char *seen = malloc(RES);
    assert_non_null(model);
    assert_non_null(seen);
    uint64_t len = 100;
    for (int i = 0; i < 1000; i++) {
        uint64_t old = len;
        /* An old pointer into the bytes that will stay, and their value. */
        uint32_t r = rnd();
        uint64_t target =
            (r % 4 == 0) ? rnd() % (RES + 1)
            : (r % 4 == 1)
                ? (len + rnd() % 5000 > RES ? RES : len + rnd() % 5000)
            : (r % 4 == 2) ? (len > 5000 ? len - rnd() % 5000 : rnd() % 100)
                           : rnd() % 4096;
        uint64_t keep = target < old ? target : old;
        char *q = keep > 0 ? base + rnd() % keep : NULL;
        if (i % 3 == 0 && target > len) {
            /* Growth by a write at the end, as a log writer does. */
            size_t n = (size_t)(target - len);
            char *buf = malloc(n);
            assert_non_null(buf);
            th_fill(buf, n, (uint32_t)i);
            assert_int_equal(mmf_seek(m, (int64_t)len, MMF_SEEK_SET, NULL), 0);
            if (mmf_write(m, buf, n) != 0)
                fail_msg("write %zu at %llu: %s", n, (unsigned long long)len,
                         mmf_errmsg(m));
            memcpy(model + len, buf, n);
            free(buf);
        } else if (mmf_resize(m, target) != 0) {
            fail_msg("resize %llu -> %llu: %s", (unsigned long long)len,
                     (unsigned long long)target, mmf_errmsg(m));
        } else if (target > len) {
            memset(model + len, 0, (size_t)(target - len));
        }
        len = target;
        assert_int_equal(mmf_length(m), len);
        assert_ptr_equal(base_of(m), base);
        if (q != NULL)
            assert_int_equal(*q, model[q - base]);
        if (len > 0) {
            /* Change a few bytes through the pointer: the file sees them. */
            uint64_t at = rnd() % len;
            size_t n = (size_t)(len - at < 300 ? len - at : 300);
            th_fill(model + at, n, (uint32_t)i + 7u);
            memcpy(base + at, model + at, n);
        }
        assert_int_equal(th_file_size(p), (long long)(off + len));
        file_bytes(p, off, (size_t)len, seen);
        assert_memory_equal(seen, model, (size_t)len);
        assert_memory_equal(base, model, (size_t)len);
    }
    mmf_free(m);
    free(model);
    free(seen);
    free(head);
}

/* Anonymous maps, shared and private: the same contract, and bytes given
 * back by a shrink read as zero when the map grows again. */
static void anonymous_maps_grow_and_shrink_in_place(void **state)
{
    (void)state;
    NEED_RESERVATIONS();
    for (int kind = 0; kind < 2; kind++) {
        mmf_map *m = new_map();
        int flags = kind == 0 ? MMF_ANON_SHARED : MMF_ANON_PRIVATE;
        assert_int_equal(mmf_open_anon_reserve(m, 5000, flags, RES), 0);
        char *base = base_of(m);
        char *model = calloc(1, RES);
        assert_non_null(model);
        uint64_t len = 5000;
        for (int i = 0; i < 1000; i++) {
            uint64_t target = 1 + rnd() % RES;
            assert_int_equal(mmf_resize(m, target), 0);
            if (target > len)
                memset(model + len, 0, (size_t)(target - len));
            len = target;
            assert_ptr_equal(base_of(m), base);
            assert_memory_equal(base, model, (size_t)len);
            uint64_t at = rnd() % len;
            size_t n = (size_t)(len - at < 500 ? len - at : 500);
            th_fill(model + at, n, (uint32_t)i);
            memcpy(base + at, model + at, n);
        }
        free(model);
        mmf_free(m);
    }
}

/* An empty map with a reservation has its address already, and keeps it
 * when the first bytes arrive. */
static void an_empty_reserved_map_has_its_address(void **state)
{
    (void)state;
    NEED_RESERVATIONS();
    const char *p = th_path("empty.bin");
    assert_int_equal(th_write_file(p, "", 0), 0);
    mmf_map *m = open_reserved(p, 0, 0, RES, MMF_GROW);
    assert_int_equal(mmf_length(m), 0);
    char *base = base_of(m);
    assert_non_null(base);
    assert_int_equal(mmf_write(m, "hello", 5), 0);
    assert_ptr_equal(base_of(m), base);
    assert_memory_equal(base, "hello", 5);
    assert_int_equal(mmf_resize(m, 0), 0);
    assert_ptr_equal(base_of(m), base);
    assert_int_equal(th_file_size(p), 0);
    mmf_free(m);
}

/* Past the reservation the map moves (the header says pointers die
 * there), keeps its bytes, and has room again: the next growths inside
 * the new reservation do not move it. */
static void
growth_past_the_reservation_moves_once_and_keeps_the_bytes(void **state)
{
    (void)state;
    NEED_RESERVATIONS();
    const char *p = th_path("past.bin");
    char data[10000];
    th_fill(data, sizeof data, 9);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    mmf_map *m = open_reserved(p, 0, 0, 65536, 0);
    assert_int_equal(mmf_resize(m, 65536), 0); /* exactly the reservation */
    char *base = base_of(m);
    assert_int_equal(mmf_resize(m, 65537), 0);
    char *moved = base_of(m);
    assert_memory_equal(moved, data, sizeof data);
    assert_int_equal(mmf_resize(m, 100000), 0);
    assert_ptr_equal(base_of(m), moved);
    assert_int_equal(mmf_resize(m, 65536 * 2), 0);
    assert_ptr_equal(base_of(m), moved);
    assert_int_equal(th_file_size(p), 65536 * 2);
    (void)base;
    mmf_free(m);
    /* Anonymous memory is copied over to the new place. */
    m = new_map();
    assert_int_equal(mmf_open_anon_reserve(m, 4096, MMF_ANON_PRIVATE, 8192), 0);
    memcpy(base_of(m), data, 4096);
    assert_int_equal(mmf_resize(m, 3 * 8192), 0);
    assert_memory_equal(base_of(m), data, 4096);
    char zero[4096] = {0};
    assert_memory_equal(base_of(m) + 8192, zero, sizeof zero);
    mmf_free(m);
}

/* A reservation is for whole maps that can grow: every combination that
 * cannot honour it is refused at open, naming the option, and the refused
 * open leaves the file as it was. */
static void reservations_that_cannot_hold_are_refused_at_open(void **state)
{
    (void)state;
    const char *p = th_path("refused.bin");
    assert_int_equal(th_write_file(p, "0123456789", 10), 0);
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.reserve = RES;
    o.flags = MMF_WINDOWED;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_EINVAL);
    assert_non_null(strstr(mmf_errmsg(m), "reserve"));
    o.flags = MMF_WINDOW_FALLBACK;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_EINVAL);
    o.flags = 0;
    o.access = MMF_ACCESS_COPY;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_EINVAL);
    assert_non_null(strstr(mmf_errmsg(m), "reserve"));
    o.access = MMF_ACCESS_WRITE;
    o.offset = (uint64_t)1 << 62;
    o.reserve = (uint64_t)1 << 62;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_EOVERFLOW);
    assert_non_null(strstr(mmf_errmsg(m), "reserve"));
    o.offset = 0;
    o.reserve = UINT64_MAX;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_EOVERFLOW);
    /* More than the address space: 2^62 bytes fit no process (32-bit: not
     * even size_t).  Asked with MMF_GROW|MMF_CREATE and a length, the
     * refusal must neither grow nor create anything. */
    if (!reservations_work()) {
        mmf_free(m);
        return; /* Windows without placeholders: the test below */
    }
    o.reserve = (uint64_t)1 << 62;
    o.length = 50000;
    o.flags = MMF_GROW;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_ENOMEM);
    assert_non_null(strstr(mmf_errmsg(m), "reserve"));
    assert_int_equal(th_file_size(p), 10);
    const char *q = th_path("never-created.bin");
    o.flags = MMF_GROW | MMF_CREATE;
    assert_int_equal(mmf_open_path(m, q, &o), MMF_ENOMEM);
    assert_int_equal(th_file_size(q), -1);
    assert_int_equal(
        mmf_open_anon_reserve(m, 4096, MMF_ANON_PRIVATE, (uint64_t)1 << 62),
        MMF_ENOMEM);
    if (sizeof(void *) == 4) {
        /* 4 GiB - 64 KiB fits in size_t but not in a 32-bit process's
         * 4 GiB next to the program and its stack (a 3.5 GiB one does fit
         * where a 64-bit kernel gives the process all 4 GiB). */
        o.reserve = (uint64_t)0xffff0000u;
        o.flags = MMF_GROW;
        assert_int_equal(mmf_open_path(m, p, &o), MMF_ENOMEM);
        assert_non_null(strstr(mmf_errmsg(m), "mmf_options.reserve"));
        assert_int_equal(th_file_size(p), 10);
    }
    assert_false(mmf_is_open(m));
    /* The object is still usable. */
    o.reserve = RES;
    o.length = 0;
    o.flags = 0;
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    assert_int_equal(mmf_length(m), 10);
    mmf_free(m);
}

/* A write map of a prefix of a longer file that grows stays in place, and
 * the file is cut to offset + length, as every resize leaves it; a
 * growth past the reservation does the same from its new place. */
static void growth_inside_a_longer_file_cuts_it_to_the_map_end(void **state)
{
    (void)state;
    NEED_RESERVATIONS();
    const char *p = th_path("prefix.bin");
    char data[40000];
    th_fill(data, sizeof data, 21);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    mmf_map *m = open_reserved(p, 100, 4000, 20000, 0);
    char *base = base_of(m);
    assert_int_equal(mmf_resize(m, 9000), 0);
    assert_ptr_equal(base_of(m), base);
    assert_int_equal(th_file_size(p), 9100);
    assert_memory_equal(base, data + 100, 9000);
    assert_int_equal(th_write_file(p, data, sizeof data), 0); /* longer */
    assert_int_equal(mmf_resize(m, 30000), 0); /* past the reservation */
    assert_int_equal(th_file_size(p), 30100);
    assert_memory_equal(base_of(m), data + 100, 30000);
    mmf_free(m);
}

/* A reservation smaller than the map is raised to the map's length. */
static void a_small_reservation_is_raised_to_the_length(void **state)
{
    (void)state;
    NEED_RESERVATIONS();
    const char *p = th_path("small.bin");
    char data[20000];
    th_fill(data, sizeof data, 2);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    mmf_map *m = open_reserved(p, 0, 0, 1, 0);
    assert_int_equal(mmf_length(m), sizeof data);
    assert_memory_equal(base_of(m), data, sizeof data);
    char *base = base_of(m);
    assert_int_equal(mmf_resize(m, 100), 0);
    assert_ptr_equal(base_of(m), base);
    mmf_free(m);
}

/* A read-only map with a reservation follows its file: growing to the
 * file's size maps the new bytes at the same address; past the end of the
 * file it is MMF_ERANGE and nothing changes; it never changes the file. */
static void a_read_only_reserved_map_follows_its_file(void **state)
{
    (void)state;
    NEED_RESERVATIONS();
    const char *p = th_path("follow.bin");
    char data[30000];
    th_fill(data, sizeof data, 5);
    assert_int_equal(th_write_file(p, data, 1000), 0);
    mmf_map *r = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_READ;
    o.reserve = sizeof data;
    assert_int_equal(mmf_open_path(r, p, &o), 0);
    char *base = base_of(r);
    mmf_map *w = open_reserved(p, 0, 0, sizeof data, 0);
    assert_int_equal(mmf_resize(w, sizeof data), 0);
    assert_int_equal(mmf_copy_in(w, 1000, data + 1000, sizeof data - 1000), 0);
    assert_int_equal(mmf_resize(r, sizeof data + 1), MMF_ERANGE);
    assert_int_equal(mmf_length(r), 1000);
    assert_int_equal(mmf_resize(r, sizeof data), 0);
    assert_ptr_equal(base_of(r), base);
    assert_memory_equal(base, data, sizeof data);
    assert_int_equal(mmf_resize(r, 10), 0);
    assert_int_equal(th_file_size(p), (long long)sizeof data);
    assert_int_equal(mmf_set_byte(r, 0, 1), MMF_EACCES);
    mmf_free(w);
    mmf_free(r);
}

#ifndef _WIN32
/* --- POSIX: a second process, address-space limits, refused growth ----- */

#define RECORDS 3000
#define RECLEN 200

static void record(char *out, unsigned i)
{
    th_fill(out, RECLEN, i + 1000u);
    memcpy(out, &i, sizeof i);
}

/* One process appends records through a reserved MMF_GROW map; another maps
 * the same file read-only with a reservation and follows it as it grows,
 * reading each record through one pointer that never changes. */
static void a_second_process_follows_an_appending_writer(void **state)
{
    (void)state;
    const char *p = th_path("log.bin");
    assert_int_equal(th_write_file(p, "", 0), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        mmf_map *w = NULL;
        mmf_options o = MMF_OPTIONS_INIT;
        o.access = MMF_ACCESS_WRITE;
        o.flags = MMF_GROW;
        o.reserve = (uint64_t)RECORDS * RECLEN;
        if (mmf_new(&w) != 0 || mmf_open_path(w, p, &o) != 0)
            _exit(2);
        void *base0 = NULL;
        (void)mmf_pointer(w, &base0, NULL);
        char rec[RECLEN];
        for (unsigned i = 0; i < RECORDS; i++) {
            record(rec, i);
            if (mmf_write(w, rec, RECLEN) != 0)
                _exit(3);
            void *now = NULL;
            if (mmf_pointer(w, &now, NULL) != 0 || now != base0)
                _exit(4);
            if (i % 97 == 0)
                usleep(200);
        }
        mmf_free(w);
        _exit(0);
    }
    mmf_map *r = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_READ;
    o.reserve = (uint64_t)RECORDS * RECLEN;
    /* The writer may not have written yet: an empty file cannot be mapped
     * read-only with length 0, so map a known first part once it exists. */
    long long size;
    while ((size = th_file_size(p)) < RECLEN)
        usleep(100);
    o.length = RECLEN;
    assert_int_equal(mmf_open_path(r, p, &o), 0);
    char *base = base_of(r);
    unsigned checked = 0;
    char want[RECLEN];
    int status = -1, done = 0;
    while (checked < RECORDS) {
        size = th_file_size(p);
        uint64_t whole = (uint64_t)size / RECLEN * RECLEN;
        if (whole > mmf_length(r))
            assert_int_equal(mmf_resize(r, whole), 0);
        assert_ptr_equal(base_of(r), base);
        for (; checked < mmf_length(r) / RECLEN; checked++) {
            /* The writer grows the file before it copies the record in:
             * a record inside the file may still be zeros for a moment. */
            record(want, checked);
            char *at = base + (size_t)checked * RECLEN;
            for (int tries = 0; memcmp(at, want, RECLEN) != 0; tries++) {
                assert_true(tries < 20000);
                usleep(100);
            }
        }
        if (!done && waitpid(pid, &status, WNOHANG) == pid)
            done = 1;
        else if (!done)
            usleep(100);
        if (done && (uint64_t)th_file_size(p) == mmf_length(r))
            break;
    }
    if (!done)
        assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(checked, RECORDS);
    mmf_free(r);
}

static int under_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1;
#endif
#endif
    return 0;
}

/* Set RLIMIT_AS to what the process uses now plus `room` bytes. */
static int limit_address_space(size_t room)
{
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL || fscanf(f, "%ld", &pages) != 1)
        return -1;
    fclose(f);
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max =
        (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + room;
    return setrlimit(RLIMIT_AS, &rl);
}

#define BIGRES ((uint64_t)64 << 20)

/* The reservation is what must fit an address-space limit; growth inside
 * it takes no more.  Under `ulimit -v` with 16 MiB to spare: a reserved
 * map grows to 64 MiB, while a map without a reservation cannot; growth
 * past the reservation (a move) is refused and changes nothing; and a
 * reservation larger than the room is refused at open with MMF_ENOMEM
 * naming the option. */
static void growth_inside_the_reservation_needs_no_address_space(void **state)
{
    (void)state;
    if (under_asan())
        skip(); /* ASan reserves terabytes of shadow: no RLIMIT_AS fits it */
    const char *p = th_path("limit.bin");
    const char *q = th_path("limit-plain.bin");
    assert_int_equal(th_write_file(p, "x", 1), 0);
    assert_int_equal(th_write_file(q, "x", 1), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        mmf_map *m = NULL, *plain = NULL;
        mmf_options o = MMF_OPTIONS_INIT;
        o.access = MMF_ACCESS_WRITE;
        o.reserve = BIGRES;
        if (mmf_new(&m) != 0 || mmf_new(&plain) != 0 ||
            mmf_open_path(m, p, &o) != 0)
            _exit(2);
        o.reserve = 0;
        o.flags = MMF_MAP_ALWAYS; /* mapped now, as the reserved one is */
        if (mmf_open_path(plain, q, &o) != 0)
            _exit(3);
        o.flags = 0;
        if (limit_address_space(16u << 20) != 0)
            _exit(4);
        void *base = NULL, *now = NULL;
        (void)mmf_pointer(m, &base, NULL);
        int plain_rc = mmf_resize(plain, BIGRES);
        if (plain_rc == 0)
            _exit(77); /* no limit in force: qemu-user accepts setrlimit
                          (RLIMIT_AS) but does not apply it */
        if (plain_rc != MMF_ENOMEM)
            _exit(5); /* the limit bites a map without a reservation */
        if (th_file_size(q) != 1)
            _exit(6); /* and the refusal changed nothing */
        for (uint64_t len = 1u << 20; len <= BIGRES; len += 1u << 20) {
            if (mmf_resize(m, len) != 0)
                _exit(7);
            if (mmf_pointer(m, &now, NULL) != 0 || now != base)
                _exit(8);
            ((char *)now)[len - 1] = 'z';
        }
        /* Past the reservation the map would move into a new one, which
         * does not fit: refused, and nothing changed. */
        if (mmf_resize(m, 2 * BIGRES) != MMF_ENOMEM)
            _exit(11);
        if (mmf_length(m) != BIGRES || th_file_size(p) != (long long)BIGRES)
            _exit(12);
        if (mmf_pointer(m, &now, NULL) != 0 || now != base ||
            ((char *)now)[BIGRES - 1] != 'z')
            _exit(13);
        mmf_map *big = NULL;
        o.reserve = BIGRES;
        if (mmf_new(&big) != 0 || mmf_open_path(big, q, &o) != MMF_ENOMEM)
            _exit(9);
        if (strstr(mmf_errmsg(big), "reserve") == NULL)
            _exit(10);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip();
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(th_file_size(p), (long long)BIGRES);
}

struct seen {
    uint64_t length, pos;
    long long size;
    char *base;
    char head[64];
};

static void look(mmf_map *m, int fd, struct seen *s)
{
    s->length = mmf_length(m);
    s->pos = mmf_tell(m);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    s->size = (long long)st.st_size;
    s->base = base_of(m);
    memcpy(s->head, s->base, sizeof s->head);
}

static void same(const struct seen *a, const struct seen *b)
{
    assert_int_equal(a->length, b->length);
    assert_int_equal(a->pos, b->pos);
    assert_int_equal(a->size, b->size);
    assert_ptr_equal(a->base, b->base);
    assert_memory_equal(a->head, b->head, sizeof a->head);
}

#if defined(__linux__) && defined(F_ADD_SEALS)
/* A sealed memfd refuses growth (F_SEAL_GROW) and shrink (F_SEAL_SHRINK)
 * inside the reservation: the map keeps its length, address, cursor and
 * bytes, the file its size, and the object stays usable. */
static void refused_growth_and_shrink_inside_change_nothing(void **state)
{
    (void)state;
    int fd = memfd_create("mmf-reserve", MFD_ALLOW_SEALING);
    assert_true(fd >= 0);
    char data[3 * 4096];
    th_fill(data, sizeof data, 11);
    assert_int_equal(write(fd, data, sizeof data), (ssize_t)sizeof data);
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.reserve = RES;
    o.flags = MMF_GROW;
    assert_int_equal(mmf_open_fd(m, fd, &o), 0);
    assert_int_equal(mmf_seek(m, 0, MMF_SEEK_END, NULL), 0);
    assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK), 0);
    struct seen before, after;
    look(m, fd, &before);
    assert_int_equal(mmf_resize(m, sizeof data + 5000), MMF_EACCES);
    look(m, fd, &after);
    same(&before, &after);
    assert_int_equal(mmf_write(m, "more", 4), MMF_EACCES); /* MMF_GROW */
    look(m, fd, &after);
    same(&before, &after);
    assert_int_equal(mmf_resize(m, 100), MMF_EACCES);
    look(m, fd, &after);
    same(&before, &after);
    assert_memory_equal(after.base, data, sizeof data);
    /* A map of a prefix whose growth would cut the longer file: the
     * refused cut gives the new pages back. */
    mmf_map *q = new_map();
    o.length = 4096;
    o.flags = 0;
    assert_int_equal(mmf_open_fd(q, fd, &o), 0);
    look(q, fd, &before);
    assert_int_equal(mmf_resize(q, 8192), MMF_EACCES);
    look(q, fd, &after);
    same(&before, &after);
    mmf_free(q);
    assert_int_equal(mmf_set_byte(m, sizeof data - 1, 7), 0);
    mmf_free(m);
    close(fd);
}
#endif

/* A full disk inside the reservation (here: RLIMIT_FSIZE, which makes the
 * growth fail with EFBIG exactly where a full disk makes it fail with
 * ENOSPC): the file, the map and the object stay as they were. */
static void refused_growth_at_a_file_size_limit_changes_nothing(void **state)
{
    (void)state;
    const char *p = th_path("fsize.bin");
    char data[5000];
    th_fill(data, sizeof data, 12);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        mmf_map *m = NULL;
        mmf_options o = MMF_OPTIONS_INIT;
        o.access = MMF_ACCESS_WRITE;
        o.reserve = RES;
        o.flags = MMF_GROW;
        int fd = open(p, O_RDONLY);
        if (fd < 0 || mmf_new(&m) != 0 || mmf_open_path(m, p, &o) != 0)
            _exit(2);
        struct rlimit rl = {65536, 65536};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(3);
        if (mmf_seek(m, 0, MMF_SEEK_END, NULL) != 0)
            _exit(4);
        struct seen before, after;
        look(m, fd, &before);
        int rc = mmf_resize(m, 100000);
        if (rc == 0)
            _exit(5);
        look(m, fd, &after);
        same(&before, &after);
        char big[70000] = {0};
        if (mmf_write(m, big, sizeof big) == 0)
            _exit(6);
        look(m, fd, &after);
        same(&before, &after);
        if (memcmp(after.base, data, sizeof data) != 0)
            _exit(7);
        if (mmf_write(m, "ok", 2) != 0 || mmf_length(m) != sizeof data + 2)
            _exit(8); /* still usable */
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(th_file_size(p), (long long)sizeof data + 2);
}

/* The reservation is ours alone: nothing else in the process is mapped
 * into it, and after close the whole range is given back. */
static void the_reservation_is_held_until_close(void **state)
{
    (void)state;
    const char *p = th_path("held.bin");
    assert_int_equal(th_write_file(p, "abc", 3), 0);
    mmf_map *m = open_reserved(p, 0, 0, RES, 0);
    char *base = base_of(m);
    /* The bytes past the map are inaccessible reserved space: a hint to
     * mmap at that address must not be honoured there. */
    void *hint = mmap(base + RES / 2, 4096, PROT_READ,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(hint != MAP_FAILED);
    assert_true((char *)hint < base || (char *)hint >= base + RES);
    munmap(hint, 4096);
    assert_int_equal(mmf_resize(m, RES), 0);
    assert_ptr_equal(base_of(m), base);
    mmf_free(m);
}
#endif

#ifdef _WIN32
/* Without placeholders (Windows before 10 1803, Wine 8) an open with a
 * reservation is MMF_ENOTSUP with a message that says what is missing,
 * before anything changes: no file grown, none created. */
static void without_placeholders_a_reservation_is_refused_cleanly(void **state)
{
    (void)state;
    if (reservations_work())
        skip(); /* this Windows has them: the other tests ran */
    const char *p = th_path("noplace.bin");
    assert_int_equal(th_write_file(p, "0123456789", 10), 0);
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.reserve = RES;
    o.length = 50000;
    o.flags = MMF_GROW;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_ENOTSUP);
    assert_non_null(strstr(mmf_errmsg(m), "mmf_options.reserve"));
    assert_non_null(strstr(mmf_errmsg(m), "Windows 10 1803"));
    assert_int_equal(th_file_size(p), 10);
    const char *q = th_path("noplace-new.bin");
    o.flags = MMF_GROW | MMF_CREATE;
    assert_int_equal(mmf_open_path(m, q, &o), MMF_ENOTSUP);
    assert_int_equal(th_file_size(q), -1);
    assert_int_equal(mmf_open_anon_reserve(m, 4096, MMF_ANON_SHARED, RES),
                     MMF_ENOTSUP);
    /* Without the option the same object opens the file as before. */
    o.reserve = 0;
    o.flags = 0;
    o.length = 0;
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    assert_int_equal(mmf_length(m), 10);
    mmf_free(m);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            random_resizes_inside_the_reservation_never_move_the_map),
        cmocka_unit_test(anonymous_maps_grow_and_shrink_in_place),
        cmocka_unit_test(an_empty_reserved_map_has_its_address),
        cmocka_unit_test(
            growth_past_the_reservation_moves_once_and_keeps_the_bytes),
        cmocka_unit_test(reservations_that_cannot_hold_are_refused_at_open),
        cmocka_unit_test(growth_inside_a_longer_file_cuts_it_to_the_map_end),
        cmocka_unit_test(a_small_reservation_is_raised_to_the_length),
        cmocka_unit_test(a_read_only_reserved_map_follows_its_file),
#ifdef _WIN32
        cmocka_unit_test(without_placeholders_a_reservation_is_refused_cleanly),
#else
        cmocka_unit_test(a_second_process_follows_an_appending_writer),
        cmocka_unit_test(growth_inside_the_reservation_needs_no_address_space),
#if defined(__linux__) && defined(F_ADD_SEALS)
        cmocka_unit_test(refused_growth_and_shrink_inside_change_nothing),
#endif
        cmocka_unit_test(refused_growth_at_a_file_size_limit_changes_nothing),
        cmocka_unit_test(the_reservation_is_held_until_close),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
