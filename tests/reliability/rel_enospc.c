/* rel_enospc.c - a full disk under a map.
 *
 * usage: rel_enospc DIR LABEL FS
 *   FS names the file system in the test names; DIR is a directory on a small
 * file system made for this test (run.sh mounts a 1 MiB tmpfs and an 8 MiB ext4
 * image, as root); DIR "-" means that could not be done, and LABEL says why:
 * every test is then SKIPPED, loudly.
 *
 *  - A sparse file much larger than the file system, mapped for writing:
 *    writes through the library succeed while there is room and then give
 *    MMF_EFAULT (the guarded copy meets the SIGBUS of a page that cannot be
 *    allocated), never a crash; the data written before, and every write
 *    that reported success, are in the file afterwards (read back with
 *    pread).
 *  - mmf_resize past the free space: MMF_ENOSPC from the reservation
 *    (posix_fallocate), and the file keeps its size and bytes.
 *  - mmf_open_path with MMF_GROW past the free space, and a MMF_GROW write:
 *    MMF_ENOSPC, file unchanged.
 *  - A MMF_GROW write whose growth fits but whose bytes before the old end
 *    (a hole) do not: refused, and the growth given back.
 */
#include "rel.h"

#include <sys/statvfs.h>

#define PAGE 4096u

static const char *dir, *label;

static uint64_t fs_total(void)
{
    struct statvfs sv;
    if (statvfs(dir, &sv) != 0)
        return 0;
    return (uint64_t)sv.f_blocks * sv.f_frsize;
}

static uint64_t fs_free(void)
{
    struct statvfs sv;
    if (statvfs(dir, &sv) != 0)
        return 0;
    return (uint64_t)sv.f_bavail * sv.f_frsize;
}

static const char *in_dir(const char *name)
{
    static char b[700];
    snprintf(b, sizeof b, "%s/%s", dir, name);
    return b;
}

/* The file's bytes [at, at+n) equal the pattern (seed). */
static int file_has(int fd, uint64_t at, size_t n, uint32_t seed)
{
    static uint8_t got[1 << 16], want[1 << 16];
    while (n > 0) {
        size_t step = n < sizeof got ? n : sizeof got;
        if (pread(fd, got, step, (off_t)at) != (ssize_t)step)
            return 0;
        rel_fill(want, at, step, seed);
        if (memcmp(got, want, step) != 0)
            return 0;
        at += step;
        n -= step;
    }
    return 1;
}

static void sparse_map_writes_past_the_free_space_fail_cleanly(void)
{
    if (strcmp(dir, "-") == 0)
        SKIP("%s", label);
    const char *p = in_dir("sparse.bin");
    uint64_t total = fs_total();
    uint64_t size = 4 * total; /* four times the whole file system */
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0, "sparse file");
    printf("  %s: %llu KiB file system, %llu KiB free, sparse file of %llu "
           "KiB\n",
           label, (unsigned long long)(total >> 10),
           (unsigned long long)(fs_free() >> 10),
           (unsigned long long)(size >> 10));
    mmf_map *m = rel_open(p, MMF_ACCESS_WRITE, 0, 0, 0);
    CHECK(m != NULL, "open failed");
    /* the earlier data, made durable */
    static uint8_t early[64 * 1024];
    rel_fill(early, 0, sizeof early, 21);
    CHECK_RC(m, mmf_copy_in(m, 0, early, sizeof early), 0);
    CHECK_RC(m, mmf_flush(m, 0, 0, MMF_FLUSH_DURABLE), 0);
    /* then page after page until the disk is full, and past it */
    static uint8_t page[PAGE];
    uint64_t ok_pages = 0, faults = 0, first_fault = 0;
    uint8_t *written = calloc((size_t)(size / PAGE), 1);
    for (uint64_t at = sizeof early; at < size; at += PAGE) {
        rel_fill(page, at, PAGE, 21);
        int rc = mmf_copy_in(m, at, page, PAGE);
        if (rc == 0) {
            written[at / PAGE] = 1;
            ok_pages++;
        } else {
            CHECK(rc == MMF_EFAULT, "copy_in at %llu gave %s (%s)",
                  (unsigned long long)at, mmf_err_name(rc), mmf_errmsg(m));
            if (faults++ == 0) {
                first_fault = at;
                char want[32];
                snprintf(want, sizeof want, "offset %llu",
                         (unsigned long long)at);
                CHECK(strstr(mmf_errmsg(m), want) != NULL, "message: %s",
                      mmf_errmsg(m));
            }
        }
    }
    /* the other writing calls meet the full disk the same way */
    uint64_t hole = size - PAGE;
    CHECK(!written[hole / PAGE], "the last page was written");
    CHECK_RC(m, mmf_set_byte(m, hole + 5, 1), MMF_EFAULT);
    CHECK_RC(m, mmf_seek(m, (int64_t)hole, MMF_SEEK_SET, NULL), 0);
    CHECK_RC(m, mmf_write(m, "full", 4), MMF_EFAULT);
    CHECK_RC(m, mmf_write_byte(m, 'x'), MMF_EFAULT);
    CHECK(mmf_tell(m) == hole, "a failed write moved the cursor");
    CHECK_RC(m, mmf_move(m, hole, 0, 100), MMF_EFAULT);
    printf("  %s: %llu pages written, then MMF_EFAULT from %llu KiB on "
           "(%llu refused)\n",
           label, (unsigned long long)ok_pages,
           (unsigned long long)(first_fault >> 10), (unsigned long long)faults);
    CHECK(ok_pages > 0 && faults > 0, "the disk never filled up");
    (void)mmf_flush(m, 0, 0, MMF_FLUSH_DURABLE); /* may say EIO: a full disk */
    mmf_free(m);
    /* read it all back */
    CHECK(rel_size(p) == (long long)size, "the file size changed");
    CHECK(file_has(fd, 0, sizeof early, 21), "the earlier data is damaged");
    uint64_t checked = 0;
    for (uint64_t pg = sizeof early / PAGE; pg < size / PAGE; pg++)
        if (written[pg]) {
            CHECK(file_has(fd, pg * PAGE, PAGE, 21),
                  "page %llu reported written is not in the file",
                  (unsigned long long)pg);
            checked++;
        }
    printf("  %s: the earlier 64 KiB and all %llu written pages read back "
           "intact\n",
           label, (unsigned long long)checked);
    free(written);
    close(fd);
    unlink(p);
}

static void resize_past_the_free_space_is_enospc_and_changes_nothing(void)
{
    if (strcmp(dir, "-") == 0)
        SKIP("%s", label);
    const char *p = in_dir("resize.bin");
    CHECK(rel_make(p, 2 * PAGE, 31) == 0, "cannot make the file");
    mmf_map *m = rel_open(p, MMF_ACCESS_WRITE, MMF_GROW, 0, 0);
    CHECK(m != NULL, "open failed");
    uint64_t big = 2 * fs_total();
    CHECK_RC(m, mmf_resize(m, big), MMF_ENOSPC);
    CHECK(strstr(mmf_errmsg(m), "fallocate") != NULL, "message: %s",
          mmf_errmsg(m));
    CHECK(rel_size(p) == 2 * PAGE,
          "a refused resize left the file at %lld "
          "bytes",
          rel_size(p));
    CHECK(mmf_length(m) == 2 * PAGE, "the map length changed");
    /* a MMF_GROW write that does not fit */
    CHECK_RC(m, mmf_seek(m, 0, MMF_SEEK_END, NULL), 0);
    uint8_t *lots = calloc(1, (size_t)big);
    CHECK_RC(m, mmf_write(m, lots, (size_t)big), MMF_ENOSPC);
    free(lots);
    CHECK(mmf_tell(m) == 2 * PAGE, "the cursor moved");
    CHECK(rel_size(p) == 2 * PAGE,
          "a refused write left the file at %lld "
          "bytes",
          rel_size(p));
    /* the map still works, and growth that fits still works */
    uint8_t b;
    CHECK_RC(m, mmf_get_byte(m, 2 * PAGE - 1, &b), 0);
    CHECK(b == rel_byte(2 * PAGE - 1, 31), "data");
    CHECK_RC(m, mmf_resize(m, 4 * PAGE), 0);
    CHECK_RC(m, mmf_set_byte(m, 4 * PAGE - 1, 7), 0);
    mmf_free(m);
    int fd = open(p, O_RDONLY);
    CHECK(file_has(fd, 0, 2 * PAGE, 31), "the data changed");
    close(fd);
    unlink(p);
}

static void open_growing_past_the_free_space_is_enospc(void)
{
    if (strcmp(dir, "-") == 0)
        SKIP("%s", label);
    const char *p = in_dir("open.bin");
    CHECK(rel_make(p, 100, 41) == 0, "cannot make the file");
    mmf_map *m = NULL;
    CHECK(mmf_new(&m) == 0, "new");
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.flags = MMF_GROW;
    o.length = 2 * fs_total();
    CHECK_RC(m, mmf_open_path(m, p, &o), MMF_ENOSPC);
    CHECK(rel_size(p) == 100, "a refused open left the file at %lld bytes",
          rel_size(p));
    int fd = open(p, O_RDONLY);
    CHECK(file_has(fd, 0, 100, 41), "the data changed");
    close(fd);
    o.offset = 50; /* growth from an offset */
    CHECK_RC(m, mmf_open_path(m, p, &o), MMF_ENOSPC);
    CHECK(rel_size(p) == 100, "a refused open left the file at %lld bytes",
          rel_size(p));
    CHECK(!mmf_is_open(m), "open after a failure");
    mmf_free(m);
    unlink(p);
    CHECK(fs_free() > 0, "space was not given back");
}

/* A MMF_GROW write that grows the file and then cannot write the bytes
 * before the old end (a hole the full disk cannot fill) gives the growth
 * back: length, cursor and file size as before the call.  The disk is
 * filled, then exactly one page is freed: the reservation of the growth
 * takes it, and the copy into the hole faults. */
static void grow_write_that_faults_after_growing_gives_the_growth_back(void)
{
    if (strcmp(dir, "-") == 0)
        SKIP("%s", label);
    const uint64_t size = 16 * PAGE;
    char p[700]; /* in_dir's buffer is reused for the filler */
    snprintf(p, sizeof p, "%s", in_dir("undo.bin"));
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0, "sparse file");
    close(fd);
    mmf_map *m = rel_open(p, MMF_ACCESS_WRITE, MMF_GROW, 0, 0);
    CHECK(m != NULL, "open failed");
    char filler[700];
    snprintf(filler, sizeof filler, "%s", in_dir("filler.bin"));
    int ff = open(filler, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(ff >= 0, "filler");
    static uint8_t page[PAGE];
    off_t filled = 0;
    while (pwrite(ff, page, PAGE, filled) == (ssize_t)PAGE)
        filled += PAGE;
    CHECK(filled >= (off_t)PAGE && fsync(ff) == 0 &&
              ftruncate(ff, filled - (off_t)PAGE) == 0,
          "could not fill the disk");
    fsync(ff);
    CHECK_RC(m, mmf_seek(m, (int64_t)(size - PAGE), MMF_SEEK_SET, NULL), 0);
    static uint8_t two[2 * PAGE];
    memset(two, 'g', sizeof two);
    int rc = mmf_write(m, two, sizeof two);
    /* MMF_EFAULT: grown, then the hole could not be filled; MMF_ENOSPC: the
     * file system wanted more than the page for the growth.  Either way
     * nothing may have changed. */
    CHECK(rc == MMF_EFAULT || rc == MMF_ENOSPC, "write gave %s (%s)",
          mmf_err_name(rc), mmf_errmsg(m));
    printf("  %s: the MMF_GROW write was refused with %s\n", label,
           mmf_err_name(rc));
    CHECK(mmf_length(m) == size, "the map length is %llu",
          (unsigned long long)mmf_length(m));
    CHECK(mmf_tell(m) == size - PAGE, "the cursor moved");
    CHECK(rel_size(p) == (long long)size, "the file is %lld bytes",
          rel_size(p));
    close(ff);
    unlink(filler);
    /* With room again the same write goes through. */
    CHECK_RC(m, mmf_write(m, two, sizeof two), 0);
    CHECK(rel_size(p) == (long long)(size + PAGE), "the file is %lld bytes",
          rel_size(p));
    mmf_free(m);
    unlink(p);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    dir = argc > 1 ? argv[1] : "-";
    label = argc > 2 ? argv[2]
                     : "no file system given (usage: rel_enospc "
                       "DIR LABEL)";
    static const struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"sparse_map_writes_past_the_free_space_fail_cleanly",
         sparse_map_writes_past_the_free_space_fail_cleanly},
        {"resize_past_the_free_space_is_enospc_and_changes_nothing",
         resize_past_the_free_space_is_enospc_and_changes_nothing},
        {"open_growing_past_the_free_space_is_enospc",
         open_growing_past_the_free_space_is_enospc},
        {"grow_write_that_faults_after_growing_gives_the_growth_back",
         grow_write_that_faults_after_growing_gives_the_growth_back},
    };
    const char *fs = argc > 3 ? argv[3] : "fs";
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        char name[160];
        snprintf(name, sizeof name, "%s: %s", fs, tests[i].name);
        rel_run(name, tests[i].fn);
    }
    return rel_exit();
}
