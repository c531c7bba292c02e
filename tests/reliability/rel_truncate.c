/* rel_truncate.c - the file behind a live map changes size under it, done
 * by another process.
 *
 *  - Shrink: every guarded call on a lost page returns MMF_EFAULT naming the
 *    offset (cpython#148650: SIGBUS on truncation), for whole, windowed,
 *    offset, read-only and copy-on-write maps, truncated to 0, to a page
 *    boundary and to the middle of a page (the rest of that page reads as
 *    zeros, as POSIX says).  The calls that do not copy (flush, advise,
 *    residency, lock, evict, view) must not crash on lost pages either.  A
 *    resize to the new size makes the map whole again.
 *  - Shrink while in use: another process shrinks and regrows the file in
 *    a loop while two threads, each with its own map, run every call; every
 *    result is a success with the right bytes (or zeros of a regrown hole)
 *    or MMF_EFAULT.
 *  - Growth: new bytes stay invisible until mmf_resize; nothing faults.
 *  - Rewrite: truncated to 0 and written again (cpython#84897): a shared
 *    map shows the new bytes.
 */
#include "rel.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>

#define PAGE 4096u
#define FILE_PAGES 16
#define FILE_LEN ((uint64_t)FILE_PAGES * PAGE)

typedef struct tkind {
    const char *name;
    int access;
    int flags;
    uint64_t offset;
    uint64_t window;
} tkind;

static const tkind tkinds[] = {
    {"whole read-write", MMF_ACCESS_WRITE, 0, 0, 0},
    {"whole read-only", MMF_ACCESS_READ, 0, 0, 0},
    {"whole copy-on-write", MMF_ACCESS_COPY, 0, 0, 0},
    {"windowed read-write", MMF_ACCESS_WRITE, MMF_WINDOWED, 0, 4 * PAGE},
    {"windowed read-only", MMF_ACCESS_READ, MMF_WINDOWED, 0, 2 * PAGE},
    {"read-write at offset 4097", MMF_ACCESS_WRITE, 0, 4097, 0},
    {"windowed read-write at offset 100", MMF_ACCESS_WRITE, MMF_WINDOWED, 100,
     4 * PAGE},
    /* No windowed copy-on-write: the library refuses it (its changes
     * would be lost when the window moves). */
};

static int ops_checked;

/* Every guarded call at map offset p, which lies in a lost page. */
static void all_guarded_calls_fault(mmf_map *m, const tkind *k, uint64_t p)
{
    char at[32];
    snprintf(at, sizeof at, "%llu", (unsigned long long)p);
    int writable = k->access != MMF_ACCESS_READ;
    uint64_t len = mmf_length(m), pos;
    uint8_t b;
    char buf[64];
    size_t n;
#define FAULTS(call)                                                           \
    do {                                                                       \
        ops_checked++;                                                         \
        int rc_f = (call);                                                     \
        CHECK(rc_f == MMF_EFAULT, "%s, lost page at %s: %s gave %s (%s)",      \
              k->name, at, #call, mmf_err_name(rc_f), mmf_errmsg(m));          \
        CHECK(strstr(mmf_errmsg(m), "shrank") != NULL, "%s: message '%s'",     \
              #call, mmf_errmsg(m));                                           \
    } while (0)
#define FAULTS_AT(call)                                                        \
    do {                                                                       \
        FAULTS(call);                                                          \
        CHECK(strstr(mmf_errmsg(m), at) != NULL,                               \
              "%s: message '%s' does not name offset %s", #call,               \
              mmf_errmsg(m), at);                                              \
    } while (0)
    FAULTS_AT(mmf_get_byte(m, p, &b));
    size_t span = len - p < 10 ? (size_t)(len - p) : 10;
    FAULTS_AT(mmf_copy_out(m, p, buf, span));
    FAULTS(mmf_find(m, "\x01", 1, p, MMF_END, &pos));
    FAULTS(mmf_rfind(m, "\x01", 1, p, MMF_END, &pos));
    FAULTS(mmf_count(m, "\x01", 1, p, MMF_END, &pos));
    CHECK_RC(m, mmf_seek(m, (int64_t)p, MMF_SEEK_SET, NULL), 0);
    FAULTS_AT(mmf_read(m, buf, span, &n));
    FAULTS_AT(mmf_read_byte(m, &b));
    FAULTS(mmf_readline(m, buf, sizeof buf, &n));
    FAULTS(mmf_line_length(m, &pos));
    if (writable) {
        FAULTS_AT(mmf_set_byte(m, p, 'x'));
        FAULTS_AT(mmf_copy_in(m, p, "abcdefghij", span));
        uint64_t other = p == 0 ? 1 : 0; /* a move onto itself is a no-op */
        FAULTS(mmf_move(m, other, p, 1));
        FAULTS(mmf_move(m, p, other, 1));
        FAULTS_AT(mmf_write(m, "abc", span < 3 ? span : 3));
        FAULTS_AT(mmf_write_byte(m, 'x'));
    } else {
        CHECK_RC(m, mmf_set_byte(m, p, 'x'), MMF_EACCES);
    }
    CHECK(mmf_tell(m) == p, "a failed call moved the cursor to %llu",
          (unsigned long long)mmf_tell(m));
#undef FAULTS
#undef FAULTS_AT
}

/* The calls that do not copy must survive lost pages (any code will do). */
static void page_calls_survive(mmf_map *m, uint64_t p)
{
    uint64_t len = mmf_length(m), r, t;
    void *ptr;
    (void)mmf_flush(m, p, len - p, MMF_FLUSH_SYNC);
    (void)mmf_flush(m, 0, 0, MMF_FLUSH_DURABLE);
    for (int a = MMF_ADVICE_NORMAL; a <= MMF_ADVICE_POPULATE; a++)
        if (a != MMF_ADVICE_DONTNEED)
            (void)mmf_advise(m, p, len - p, a);
    (void)mmf_residency(m, 0, 0, &r, &t);
    (void)mmf_lock(m, p, len - p);
    (void)mmf_unlock(m, p, len - p);
    (void)mmf_view(m, p, 1, &ptr); /* not touched: unguarded by design */
    (void)mmf_evict(m, p, len - p);
    ops_checked += 12;
}

static void truncation_under_every_kind_of_map(void)
{
    const uint64_t targets[] = {0, PAGE, 5000};
    for (size_t ki = 0; ki < sizeof tkinds / sizeof tkinds[0]; ki++)
        for (size_t ti = 0; ti < 3; ti++) {
            const tkind *k = &tkinds[ki];
            uint64_t T = targets[ti];
            const char *p = rel_path("shrink.bin");
            CHECK(rel_make(p, FILE_LEN, 3) == 0, "cannot make %s", p);
            mmf_map *m = rel_open(p, k->access, k->flags, k->offset, k->window);
            CHECK(m != NULL, "%s: open failed", k->name);
            uint64_t len = mmf_length(m);
            uint8_t b;
            CHECK_RC(m, mmf_get_byte(m, len - 1, &b), 0); /* map a window */
            CHECK(rel_truncate_elsewhere(p, T) == 0, "truncate failed");
            uint64_t fsz;
            CHECK_RC(m, mmf_file_size(m, &fsz), 0);
            CHECK(fsz == T && mmf_length(m) == len,
                  "%s: file_size %llu length %llu after truncating to %llu",
                  k->name, (unsigned long long)fsz,
                  (unsigned long long)mmf_length(m), (unsigned long long)T);
            /* file offsets from round_up(T, PAGE) are lost */
            uint64_t lost_file = (T + PAGE - 1) / PAGE * PAGE;
            uint64_t lost = lost_file > k->offset ? lost_file - k->offset : 0;
            uint64_t probes[] = {lost, len - 1, (lost + len) / 2};
            for (int i = 0; i < 3 && rel_state == 0; i++) {
                all_guarded_calls_fault(m, k, probes[i]);
            }
            if (rel_state != 0)
                return;
            /* bytes before T keep their data; the rest of T's page is 0 */
            if (T > k->offset) {
                CHECK_RC(m, mmf_get_byte(m, T - k->offset - 1, &b), 0);
                CHECK(b == rel_byte(T - 1, 3), "%s: byte before the cut",
                      k->name);
            }
            if (T % PAGE != 0 && T >= k->offset) {
                for (uint64_t f = T; f < lost_file; f += 97) {
                    CHECK_RC(m, mmf_get_byte(m, f - k->offset, &b), 0);
                    CHECK(b == 0,
                          "%s: byte %llu past the end of the file but "
                          "in its last page reads %u, not 0",
                          k->name, (unsigned long long)f, b);
                }
            }
            page_calls_survive(m, lost < len ? lost : len - 1);
            /* recovery: a writable file map resized to what is left */
            if (k->access == MMF_ACCESS_WRITE && T > k->offset) {
                uint64_t left = T - k->offset;
                CHECK_RC(m, mmf_resize(m, left), 0);
                CHECK(rel_size(p) == (long long)T, "resize changed the size");
                uint8_t *got = malloc((size_t)left), want[8192];
                CHECK_RC(m, mmf_copy_out(m, 0, got, (size_t)left), 0);
                rel_fill(want, k->offset, (size_t)left, 3);
                int same = memcmp(got, want, (size_t)left) == 0;
                free(got);
                CHECK(same, "%s: data changed after recovery", k->name);
                CHECK_RC(m, mmf_get_byte(m, left, &b), MMF_ERANGE);
                CHECK_RC(m, mmf_set_byte(m, left - 1, 'z'), 0);
            }
            mmf_free(m);
        }
    printf("  %d guarded and page calls checked on truncated maps\n",
           ops_checked);
}

/* --- concurrent shrink and regrow ----------------------------------------- */

#define CONC_LEN ((uint64_t)64 * PAGE)
#define CONC_SEED 7u

typedef struct worker {
    mmf_map *m; /* opened before the other process starts */
    int access, flags;
    uint64_t window;
    volatile int *stop;
    unsigned long ops, faults, bad;
    char why[200];
} worker;

static uint32_t xorshift(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Every byte read must be the pattern, or 0 (a hole after regrowth). */
static int bytes_ok(const uint8_t *b, uint64_t at, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0 && b[i] != rel_byte(at + i, CONC_SEED))
            return 0;
    return 1;
}

static void *work(void *arg)
{
    worker *w = arg;
    mmf_map *m = w->m;
    uint32_t rng = (uint32_t)(uintptr_t)w | 1;
    static __thread uint8_t buf[16384];
    int writable = w->access == MMF_ACCESS_WRITE;
    while (!*w->stop) {
        uint64_t at = xorshift(&rng) % CONC_LEN;
        size_t n = 1 + xorshift(&rng) % 8192;
        if (n > CONC_LEN - at)
            n = (size_t)(CONC_LEN - at);
        int op = (int)(xorshift(&rng) % (writable ? 12 : 8));
        int rc;
        uint64_t pos;
        size_t got = 0;
        uint8_t b;
        switch (op) {
        case 0:
            rc = mmf_get_byte(m, at, &b);
            if (rc == 0 && !bytes_ok(&b, at, 1))
                rc = 1000;
            break;
        case 1:
            rc = mmf_copy_out(m, at, buf, n);
            if (rc == 0 && !bytes_ok(buf, at, n))
                rc = 1000;
            break;
        case 2:
            rel_fill(buf, at, 2, CONC_SEED);
            rc = mmf_find(m, buf, 2, at, MMF_END, &pos);
            break;
        case 3:
            rc = mmf_rfind(m, "\x03", 1, 0, at + 1, &pos);
            break;
        case 4:
            rc = mmf_count(m, "\x05", 1, at, at + n, &pos);
            break;
        case 5:
            rc = mmf_seek(m, (int64_t)at, MMF_SEEK_SET, NULL);
            if (rc == 0)
                rc = mmf_read(m, buf, n, &got);
            if (rc == 0 && (got != n || !bytes_ok(buf, at, n)))
                rc = 1000;
            break;
        case 6:
            rc = mmf_seek(m, (int64_t)at, MMF_SEEK_SET, NULL);
            if (rc == 0)
                rc = mmf_read_byte(m, &b);
            if (rc == 0 && !bytes_ok(&b, at, 1))
                rc = 1000;
            break;
        case 7:
            rc = mmf_seek(m, (int64_t)at, MMF_SEEK_SET, NULL);
            if (rc == 0)
                rc = mmf_readline(m, buf, sizeof buf, &got);
            if (rc == 0 && !bytes_ok(buf, at, got))
                rc = 1000;
            break;
        /* writes put back the pattern, so readers' checks stay valid */
        case 8:
            rc = mmf_set_byte(m, at, rel_byte(at, CONC_SEED));
            break;
        case 9:
            rel_fill(buf, at, n, CONC_SEED);
            rc = mmf_copy_in(m, at, buf, n);
            break;
        case 10:
            rel_fill(buf, at, n, CONC_SEED);
            rc = mmf_seek(m, (int64_t)at, MMF_SEEK_SET, NULL);
            if (rc == 0)
                rc = mmf_write(m, buf, n);
            break;
        default:
            rc = mmf_seek(m, (int64_t)at, MMF_SEEK_SET, NULL);
            if (rc == 0)
                rc = mmf_write_byte(m, rel_byte(at, CONC_SEED));
            break;
        }
        w->ops++;
        if (rc == MMF_EFAULT) {
            w->faults++;
        } else if (rc != 0) {
            if (w->bad++ == 0)
                snprintf(w->why, sizeof w->why,
                         "op %d at %llu n %zu gave %s (%s)", op,
                         (unsigned long long)at, n,
                         rc == 1000 ? "wrong bytes" : mmf_err_name(rc),
                         mmf_errmsg(m));
        }
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void truncation_by_another_process_while_in_use(void)
{
    const char *p = rel_path("concurrent.bin");
    CHECK(rel_make(p, CONC_LEN, CONC_SEED) == 0, "cannot make the file");
    volatile int stop = 0;
    worker ws[3] = {
        {NULL, MMF_ACCESS_WRITE, 0, 0, &stop, 0, 0, 0, ""},
        {NULL, MMF_ACCESS_READ, MMF_WINDOWED, 4 * PAGE, &stop, 0, 0, 0, ""},
        {NULL, MMF_ACCESS_COPY, 0, 0, &stop, 0, 0, 0, ""},
    };
    for (int i = 0; i < 3; i++) {
        ws[i].m = rel_open(p, ws[i].access, ws[i].flags, 0, ws[i].window);
        CHECK(ws[i].m != NULL && mmf_length(ws[i].m) == CONC_LEN,
              "open failed");
    }
    pid_t child = fork();
    CHECK(child >= 0, "fork");
    if (child == 0) {
        /* The other process: shrink to a random size, hold, regrow, put
         * the pattern back, hold; until killed. */
        int fd = open(p, O_RDWR);
        uint32_t rng = 12345;
        static uint8_t chunk[CONC_LEN];
        rel_fill(chunk, 0, CONC_LEN, CONC_SEED);
        for (;;) {
            uint64_t small = xorshift(&rng) % CONC_LEN;
            if (ftruncate(fd, (off_t)small) != 0)
                _exit(3);
            usleep(300);
            if (ftruncate(fd, (off_t)CONC_LEN) != 0)
                _exit(4);
            if (xorshift(&rng) % 2 &&
                pwrite(fd, chunk + small, CONC_LEN - small, (off_t)small) < 0)
                _exit(5);
            usleep(200);
        }
    }
    /* the copy-on-write map only reads (writable is WRITE only) */
    const char *names[3] = {"whole read-write", "windowed read-only",
                            "whole copy-on-write (reads)"};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, work, &ws[i]);
    double t0 = now_s();
    while (now_s() - t0 < 2.0)
        usleep(10000);
    stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
          "the truncating process stopped early (status %d)", status);
    unsigned long faults = 0;
    for (int i = 0; i < 3; i++)
        mmf_free(ws[i].m);
    for (int i = 0; i < 3; i++) {
        printf("  %-34s %8lu calls, %6lu MMF_EFAULT, %lu wrong\n", names[i],
               ws[i].ops, ws[i].faults, ws[i].bad);
        faults += ws[i].faults;
        CHECK(ws[i].bad == 0, "%s: %s", names[i], ws[i].why);
        CHECK(ws[i].ops > 100, "%s made only %lu calls", names[i], ws[i].ops);
    }
    CHECK(faults > 0, "no call met a lost page in 2 s: the test did not test");
}

/* --- growth ------------------------------------------------------------------
 */

static void growth_is_invisible_until_resize(void)
{
    for (size_t ki = 0; ki < sizeof tkinds / sizeof tkinds[0]; ki++) {
        const tkind *k = &tkinds[ki];
        const char *p = rel_path("grow.bin");
        CHECK(rel_make(p, FILE_LEN, 9) == 0, "cannot make the file");
        mmf_map *m = rel_open(p, k->access, k->flags, k->offset, k->window);
        CHECK(m != NULL, "%s: open failed", k->name);
        uint64_t len = mmf_length(m), pos;
        /* another process appends a marker and extends to 4x */
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open(p, O_WRONLY | O_APPEND);
            int ok = fd >= 0 && write(fd, "NEWBYTES", 8) == 8 &&
                     ftruncate(fd, (off_t)(4 * FILE_LEN)) == 0;
            _exit(ok ? 0 : 1);
        }
        int status;
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "grow failed");
        uint64_t fsz;
        uint8_t b;
        char buf[16];
        size_t n;
        CHECK_RC(m, mmf_file_size(m, &fsz), 0);
        CHECK(fsz == 4 * FILE_LEN && mmf_length(m) == len,
              "%s: length changed by itself", k->name);
        CHECK_RC(m, mmf_get_byte(m, len, &b), MMF_ERANGE);
        CHECK_RC(m, mmf_copy_out(m, len - 2, buf, 4), MMF_ERANGE);
        CHECK_RC(m, mmf_find(m, "NEWBYTES", 8, 0, MMF_END, &pos), 0);
        CHECK(pos == MMF_NOT_FOUND, "%s: found bytes past the map", k->name);
        CHECK_RC(m, mmf_seek(m, 0, MMF_SEEK_END, &pos), 0);
        CHECK(pos == len, "%s: the end moved", k->name);
        CHECK_RC(m, mmf_read(m, buf, sizeof buf, &n), 0);
        CHECK(n == 0, "%s: read past the end", k->name);
        CHECK_RC(m, mmf_get_byte(m, len - 1, &b), 0);
        CHECK(b == rel_byte(FILE_LEN - 1, 9), "%s: last byte", k->name);
        if (k->access == MMF_ACCESS_WRITE) {
            CHECK_RC(m, mmf_resize(m, fsz - k->offset), 0);
            CHECK_RC(m, mmf_find(m, "NEWBYTES", 8, 0, MMF_END, &pos), 0);
            CHECK(pos == FILE_LEN - k->offset, "%s: new bytes at %llu", k->name,
                  (unsigned long long)pos);
            CHECK_RC(m, mmf_get_byte(m, fsz - k->offset - 1, &b), 0);
            CHECK(b == 0, "%s: the extension is not zeros", k->name);
        } else {
            CHECK_RC(m, mmf_resize(m, fsz), MMF_EACCES);
        }
        mmf_free(m);
        CHECK(rel_size(p) == (long long)(4 * FILE_LEN), "size changed");
    }
}

/* cpython#84897: a file truncated and written again under a shared map. */
static void rewritten_file_shows_new_bytes(void)
{
    const char *p = rel_path("rewrite.bin");
    CHECK(rel_make(p, FILE_LEN, 1) == 0, "cannot make the file");
    mmf_map *rw = rel_open(p, MMF_ACCESS_WRITE, 0, 0, 0);
    mmf_map *ro = rel_open(p, MMF_ACCESS_READ, MMF_WINDOWED, 0, 4 * PAGE);
    CHECK(rw != NULL && ro != NULL, "open failed");
    static uint8_t got[FILE_LEN], want[FILE_LEN];
    CHECK_RC(rw, mmf_copy_out(rw, 0, got, FILE_LEN), 0);
    pid_t pid = fork();
    if (pid == 0) /* truncate to 0, then write new contents */
        _exit(rel_make(p, FILE_LEN, 2) == 0 ? 0 : 1);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "rewrite failed");
    rel_fill(want, 0, FILE_LEN, 2);
    CHECK_RC(rw, mmf_copy_out(rw, 0, got, FILE_LEN), 0);
    CHECK(memcmp(got, want, FILE_LEN) == 0, "whole map: old bytes");
    CHECK_RC(ro, mmf_copy_out(ro, 0, got, FILE_LEN), 0);
    CHECK(memcmp(got, want, FILE_LEN) == 0, "windowed map: old bytes");
    mmf_free(rw);
    mmf_free(ro);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    rel_run("truncation_under_every_kind_of_map",
            truncation_under_every_kind_of_map);
    rel_run("truncation_by_another_process_while_in_use",
            truncation_by_another_process_while_in_use);
    rel_run("growth_is_invisible_until_resize",
            growth_is_invisible_until_resize);
    rel_run("rewritten_file_shows_new_bytes", rewritten_file_shows_new_bytes);
    return rel_exit();
}
