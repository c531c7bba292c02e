/* rel_regressions.c - regression tests for reports against Python's mmap and
 * its relatives, each named after the report it covers.
 *
 *  cpython#148650  SIGBUS when the file behind a map is truncated
 *  cpython#118209  a fault inside a mapped copy (Windows SEH; on POSIX the
 *                  same place is the guarded copy), and recovery after it
 *  cpython#115635, numpy#9537, cpython#103987, cpython#157335
 *                  resize or close while a buffer/pointer is exported:
 *                  use-after-free and out-of-bounds writes.  In C the
 *                  pointer from mmf_pointer()/mmf_view() is documented as
 *                  invalid after resize/close; what is tested is that
 *                  resize keeps the data, that fresh pointers and views
 *                  see it, and that no call reaches a stale range
 *  cpython#138204, cpython#110243
 *                  an anonymous map grown by resize: its new pages faulted
 *                  (fixed in the library: shared anonymous maps grew with
 *                  mremap beyond their shmem object)
 *  fuzz_ops        resize after an advice or lock on part of the map (found
 *                  by the fuzzer; fixed in the library)
 */
#include "rel.h"

#include <pthread.h>
#include <signal.h>

#define PAGE 4096u

static mmf_map *open_fd_default(int fd)
{
    mmf_map *m = NULL;
    if (mmf_new(&m) != 0)
        return NULL;
    if (mmf_open_fd(m, fd, NULL) != 0) {
        printf("  open_fd: %s\n", mmf_errmsg(m));
        mmf_free(m);
        return NULL;
    }
    return m;
}

/* The report's reproducer, step by step:
 *     f.write(b"\0" * 4096); m = mmap.mmap(f.fileno(), 4096)
 *     f.truncate(0); m.size() == 0; len(m) == 4096; m[0]  -> SIGBUS */
static void cpython_148650_truncated_file_gives_efault_not_sigbus(void)
{
    const char *p = rel_path("148650.bin");
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    static const char zeros[PAGE];
    CHECK(fd >= 0 && write(fd, zeros, PAGE) == PAGE, "cannot make the file");
    mmf_map *m = open_fd_default(fd);
    CHECK(m != NULL, "open failed");
    CHECK(mmf_access_mode(m) == MMF_ACCESS_WRITE, "default access");
    CHECK(ftruncate(fd, 0) == 0, "ftruncate");
    uint64_t size;
    CHECK_RC(m, mmf_file_size(m, &size), 0);
    CHECK(size == 0, "size() is %llu", (unsigned long long)size);
    CHECK(mmf_length(m) == PAGE, "len() is %llu",
          (unsigned long long)mmf_length(m));
    uint8_t b;
    char buf[PAGE];
    size_t n;
    uint64_t pos;
    CHECK_RC(m, mmf_get_byte(m, 0, &b), MMF_EFAULT); /* m[0] */
    CHECK(strstr(mmf_errmsg(m), "offset 0") != NULL, "message: %s",
          mmf_errmsg(m));
    CHECK_RC(m, mmf_copy_out(m, 0, buf, PAGE), MMF_EFAULT); /* m[:] */
    CHECK_RC(m, mmf_read(m, buf, PAGE, &n), MMF_EFAULT);    /* m.read() */
    CHECK_RC(m, mmf_find(m, "x", 1, 0, MMF_END, &pos), MMF_EFAULT);
    CHECK_RC(m, mmf_set_byte(m, 10, 'x'), MMF_EFAULT); /* m[10]=... */
    CHECK_RC(m, mmf_write(m, "abc", 3), MMF_EFAULT);
    /* the process is alive; a resize to the real size makes it usable */
    CHECK_RC(m, mmf_resize(m, 0), 0);
    CHECK_RC(m, mmf_get_byte(m, 0, &b), MMF_ERANGE);
    mmf_free(m);
    close(fd);

    /* Without the guard the same access kills: the test is not vacuous. */
    CHECK(rel_make(p, PAGE, 1) == 0, "cannot make the file");
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGBUS, SIG_DFL);
        mmf_map *c = rel_open(p, MMF_ACCESS_READ, 0, 0, 0);
        void *ptr;
        if (c == NULL || mmf_pointer(c, &ptr, NULL) != 0 || truncate(p, 0) != 0)
            _exit(2);
        volatile uint8_t x = *(volatile uint8_t *)ptr; /* unguarded */
        (void)x;
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS,
          "an unguarded access to a truncated map did not raise SIGBUS "
          "(status 0x%x)",
          status);
}

/* A fault in the middle of each guarded primitive: memcpy both ways, the
 * memmove of mmf_move, the search kernels; then many faults in a row, so
 * that a guard that failed to unblock SIGBUS or to unlink itself would
 * kill the process on the second one. */
static void cpython_118209_fault_inside_a_mapped_copy_is_recovered(void)
{
    const char *p = rel_path("118209.bin");
    CHECK(rel_make(p, 16 * PAGE, 5) == 0, "cannot make the file");
    mmf_map *m = rel_open(p, MMF_ACCESS_WRITE, 0, 0, 0);
    CHECK(m != NULL, "open failed");
    CHECK(rel_truncate_elsewhere(p, 5 * PAGE) == 0, "truncate");
    static uint8_t buf[16 * PAGE];
    uint64_t pos;
    /* the copy starts in good pages and runs into the lost ones */
    CHECK_RC(m, mmf_copy_out(m, 100, buf, 16 * PAGE - 100), MMF_EFAULT);
    CHECK(strstr(mmf_errmsg(m), "offset 20480") != NULL,
          "copy_out names the wrong page: %s", mmf_errmsg(m));
    CHECK_RC(m, mmf_copy_in(m, 4 * PAGE, buf, 4 * PAGE), MMF_EFAULT);
    CHECK(strstr(mmf_errmsg(m), "offset 20480") != NULL,
          "copy_in names the wrong page: %s", mmf_errmsg(m));
    CHECK_RC(m, mmf_move(m, 0, 3 * PAGE, 8 * PAGE), MMF_EFAULT);
    CHECK_RC(m, mmf_move(m, 3 * PAGE, 0, 8 * PAGE), MMF_EFAULT);
    CHECK_RC(m, mmf_find(m, "\x01\x01\x01\x01", 4, 0, MMF_END, &pos),
             MMF_EFAULT);
    CHECK_RC(m, mmf_rfind(m, "\x01\x01\x01\x01", 4, 0, MMF_END, &pos),
             MMF_EFAULT);
    CHECK_RC(m, mmf_count(m, "\x02", 1, 0, MMF_END, &pos), MMF_EFAULT);
    /* the faulted writes may have changed bytes before the lost page (no
     * call is atomic): what is there now must stay */
    static uint8_t good[5 * PAGE];
    CHECK_RC(m, mmf_copy_out(m, 0, good, sizeof good), 0);
    for (int i = 0; i < 20000; i++) {
        uint8_t b;
        int rc = i % 3 == 0 ? mmf_get_byte(m, 6 * PAGE + (uint64_t)i % PAGE, &b)
                 : i % 3 == 1 ? mmf_set_byte(m, 15 * PAGE, 1)
                              : mmf_copy_out(m, 4 * PAGE, buf, 2 * PAGE);
        CHECK(rc == MMF_EFAULT, "fault %d gave %s", i, mmf_err_name(rc));
        CHECK(mmf_get_byte(m, (uint64_t)i % (5 * PAGE), &b) == 0 &&
                  b == good[i % (5 * PAGE)],
              "a good byte after fault %d", i);
    }
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    CHECK(!sigismember(&cur, SIGBUS), "SIGBUS left blocked after recovery");
    mmf_free(m);
}

/* resize/close with live pointers and views */
static void cpython_115635_resize_keeps_data_and_refreshes_views(void)
{
    const char *p = rel_path("115635.bin");
    CHECK(rel_make(p, 4 * PAGE, 11) == 0, "cannot make the file");
    mmf_map *m = rel_open(p, MMF_ACCESS_WRITE, 0, 0, 0);
    CHECK(m != NULL, "open failed");
    void *p1, *p2, *v;
    uint64_t len;
    CHECK_RC(m, mmf_pointer(m, &p1, &len), 0);
    memcpy(p1, "exported", 8); /* a write through the exported pointer */
    /* grow 4096x: the mapping has to move */
    uint64_t big = (uint64_t)16384 * PAGE;
    CHECK_RC(m, mmf_resize(m, big), 0);
    CHECK_RC(m, mmf_pointer(m, &p2, &len), 0);
    CHECK(len == big, "length after resize");
    CHECK(memcmp(p2, "exported", 8) == 0, "data lost by the resize");
    uint8_t want[4 * PAGE], got[4 * PAGE];
    rel_fill(want, 0, 4 * PAGE, 11);
    memcpy(want, "exported", 8);
    CHECK_RC(m, mmf_copy_out(m, 0, got, sizeof got), 0);
    CHECK(memcmp(got, want, sizeof got) == 0, "copy_out after resize");
    CHECK_RC(m, mmf_view(m, 0, 16, &v), 0);
    CHECK(v == p2, "a view after resize is not in the new mapping");
    CHECK_RC(m, mmf_view(m, big - 16, 16, &v), 0);
    CHECK((char *)v == (char *)p2 + big - 16, "view at the end");
    CHECK(((volatile char *)v)[15] == 0, "the extension is not zeros");
    /* shrink below the old size: nothing past the new end is reachable
     * through the object (cpython#157335 wrote past it) */
    CHECK_RC(m, mmf_resize(m, PAGE), 0);
    CHECK_RC(m, mmf_view(m, PAGE, 1, &v), MMF_ERANGE);
    CHECK_RC(m, mmf_set_byte(m, PAGE, 1), MMF_ERANGE);
    CHECK_RC(m, mmf_copy_in(m, PAGE - 4, "12345678", 8), MMF_ERANGE);
    CHECK_RC(m, mmf_move(m, 0, PAGE - 4, 8), MMF_ERANGE);
    CHECK_RC(m, mmf_pointer(m, &p2, &len), 0);
    CHECK(len == PAGE && memcmp(p2, "exported", 8) == 0, "after shrink");
    CHECK(rel_size(p) == PAGE, "file size after shrink");
    /* close: no call hands out or reaches the old mapping
     * (numpy#9537, cpython#103987) */
    CHECK_RC(m, mmf_close(m), 0);
    CHECK_RC(m, mmf_pointer(m, &v, &len), MMF_ECLOSED);
    CHECK_RC(m, mmf_view(m, 0, 1, &v), MMF_ECLOSED);
    uint8_t b;
    CHECK_RC(m, mmf_get_byte(m, 0, &b), MMF_ECLOSED);
    mmf_free(m);

    /* windowed: a view is valid until the next call; later views are
     * fresh and right even after the window moved and the map resized */
    CHECK(rel_make(p, 64 * PAGE, 12) == 0, "cannot make the file");
    m = rel_open(p, MMF_ACCESS_WRITE, MMF_WINDOWED, 0, 2 * PAGE);
    CHECK(m != NULL, "open failed");
    for (int round = 0; round < 3; round++) {
        uint64_t spots[] = {0, 10 * PAGE + 7, 63 * PAGE, 5, 33 * PAGE - 3};
        for (int i = 0; i < 5; i++) {
            CHECK_RC(m, mmf_view(m, spots[i], 16, &v), 0);
            uint8_t w[16];
            rel_fill(w, spots[i], 16, 12);
            CHECK(memcmp(v, w, 16) == 0, "windowed view at %llu, round %d",
                  (unsigned long long)spots[i], round);
        }
        CHECK_RC(m, mmf_resize(m, 64 * PAGE + (uint64_t)(round + 1) * PAGE), 0);
    }
    mmf_free(m);
}

/* cpython#138204 / #110243: m = mmap(-1, PAGESIZE); m.resize(2*PAGESIZE);
 * m[:] -> Bus error.  Every byte of every grown anonymous map must read. */
static void cpython_138204_anonymous_map_grown_by_resize_is_readable(void)
{
    for (int priv = 0; priv <= 1; priv++) {
        mmf_map *m = NULL;
        CHECK(mmf_new(&m) == 0, "new");
        CHECK_RC(
            m,
            mmf_open_anon(m, PAGE, priv ? MMF_ANON_PRIVATE : MMF_ANON_SHARED),
            0);
        CHECK_RC(m, mmf_copy_in(m, 0, "first page", 10), 0);
        uint64_t sizes[] = {2 * PAGE, 64 * PAGE, PAGE + 1, 300 * PAGE, 10};
        for (int i = 0; i < 5; i++) {
            CHECK_RC(m, mmf_resize(m, sizes[i]), 0);
            uint64_t len = mmf_length(m);
            uint8_t *all = malloc((size_t)len);
            CHECK_RC(m, mmf_copy_out(m, 0, all, (size_t)len), 0); /* m[:] */
            CHECK(memcmp(all, "first page", len < 10 ? len : 10) == 0,
                  "%s: data lost growing to %llu", priv ? "private" : "shared",
                  (unsigned long long)len);
            free(all);
            uint8_t b;
            CHECK_RC(m, mmf_get_byte(m, len - 1, &b), 0);
            CHECK_RC(m, mmf_set_byte(m, len - 1, 0x5a), 0);
            void *ptr;
            CHECK_RC(m, mmf_pointer(m, &ptr, NULL), 0);
            CHECK(((volatile uint8_t *)ptr)[len - 1] == 0x5a, "via pointer");
        }
        /* a grown shared map is still shared with children forked after */
        if (!priv) {
            pid_t pid = fork();
            if (pid == 0)
                _exit(mmf_set_byte(m, 5, 'C') == 0 ? 0 : 1);
            int st;
            waitpid(pid, &st, 0);
            uint8_t b = 0;
            CHECK_RC(m, mmf_get_byte(m, 5, &b), 0);
            CHECK(b == 'C', "a child's write to a grown shared map was lost");
        }
        mmf_free(m);
    }
}

/* Found by fuzz/fuzz_ops.c (fuzz/crashes/resize-after-partial-advise-
 * mremap-efault): an advice or a lock on part of a whole map splits its
 * VMA, and mremap, which moves one VMA, then failed with EFAULT: resize
 * returned MMF_EIO "mremap: Bad address".  Resize must work after any
 * page call, and keep the data. */
static void fuzz_resize_after_advise_or_lock_on_part_of_the_map(void)
{
    const char *p = rel_path("advise-resize.bin");
    for (int kind = 0; kind < 3; kind++) {
        mmf_map *m;
        if (kind < 2) {
            CHECK(rel_make(p, 4 * PAGE, 8) == 0, "cannot make the file");
            m = rel_open(p, MMF_ACCESS_WRITE, 0, kind ? 97 : 0, 0);
        } else {
            m = NULL;
            CHECK(mmf_new(&m) == 0, "new");
            CHECK_RC(m, mmf_open_anon(m, 4 * PAGE, MMF_ANON_PRIVATE), 0);
            uint8_t pat[4 * PAGE];
            rel_fill(pat, 0, sizeof pat, 8);
            CHECK_RC(m, mmf_copy_in(m, 0, pat, sizeof pat), 0);
        }
        CHECK(m != NULL, "open failed");
        uint64_t len = mmf_length(m), base = kind == 1 ? 97 : 0;
        int advice[] = {MMF_ADVICE_RANDOM, MMF_ADVICE_SEQUENTIAL,
                        MMF_ADVICE_HUGEPAGE, MMF_ADVICE_WILLNEED};
        for (int a = 0; a < 4; a++) {
            CHECK_RC(m, mmf_advise(m, 2, 1116, advice[a]), 0);
            CHECK_RC(m, mmf_advise(m, 2 * PAGE, 10, advice[(a + 1) % 4]), 0);
            int locked = mmf_lock(m, PAGE, 100) == 0;
            uint64_t to = a % 2 ? len + 3 * PAGE + 5 : len - PAGE - 1;
            CHECK_RC(m, mmf_resize(m, to), 0);
            if (locked)
                (void)mmf_unlock(m, PAGE, 100);
            uint64_t keep = to < len ? to : len;
            uint8_t got[8 * PAGE], want[8 * PAGE];
            CHECK_RC(m, mmf_copy_out(m, 0, got, (size_t)keep), 0);
            rel_fill(want, base, (size_t)keep, 8);
            CHECK(memcmp(got, want, (size_t)keep) == 0,
                  "kind %d: data changed by resize %d", kind, a);
            CHECK_RC(m, mmf_resize(m, len), 0);
            if (to < len) { /* the cut part comes back as zeros: restore */
                rel_fill(want, base + to, (size_t)(len - to), 8);
                CHECK_RC(m, mmf_copy_in(m, to, want, (size_t)(len - to)), 0);
            }
        }
        mmf_free(m);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    rel_run("cpython_148650_truncated_file_gives_efault_not_sigbus",
            cpython_148650_truncated_file_gives_efault_not_sigbus);
    rel_run("cpython_118209_fault_inside_a_mapped_copy_is_recovered",
            cpython_118209_fault_inside_a_mapped_copy_is_recovered);
    rel_run("cpython_115635_resize_keeps_data_and_refreshes_views",
            cpython_115635_resize_keeps_data_and_refreshes_views);
    rel_run("cpython_138204_anonymous_map_grown_by_resize_is_readable",
            cpython_138204_anonymous_map_grown_by_resize_is_readable);
    rel_run("fuzz_resize_after_advise_or_lock_on_part_of_the_map",
            fuzz_resize_after_advise_or_lock_on_part_of_the_map);
    return rel_exit();
}
