/* test_refuse.c - a refused call changes nothing.
 *
 * Each test makes an open, a resize or an MMF_GROW write fail half-way (an
 * address-space limit in a forked child, a sealed memfd, a name that exists,
 * a second view of the file on Windows), then compares everything a caller
 * can see - the file's existence, size and bytes, the shared-memory name,
 * the map's length, pointer and cursor - with what it was before, and uses
 * the map again. */
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
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "helpers.h"
#include "mmapfile.h"

#define PAGE3 12288

/* The checks of the code that may run in a forked child: there a failed
 * cmocka assertion would return into the child's copy of the test runner,
 * so the child reports and exits instead. */
static int in_child;

static void check_failed(const char *what, int line)
{
    if (in_child) {
        fprintf(stderr, "child: test_refuse.c:%d: %s\n", line, what);
        _exit(1);
    }
    fail_msg("test_refuse.c:%d: %s", line, what);
}

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            check_failed(#cond, __LINE__);                                     \
    } while (0)

static mmf_map *new_map(void)
{
    mmf_map *m = NULL;
    CHECK((mmf_new(&m)) == (0));
    return m;
}

static mmf_map *open_path(const char *path, uint64_t len, int flags,
                          uint64_t window)
{
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.length = len;
    o.flags = flags;
    o.window_size = window;
    if (mmf_open_path(m, path, &o) != 0)
        check_failed(mmf_errmsg(m), __LINE__);
    return m;
}

/* What a caller can see of a map and its file. */
struct seen {
    uint64_t length, pos;
    void *ptr;
    uint64_t ptr_len;
    int ptr_rc;
    long long file_size;
    char bytes[PAGE3];
};

static void look(mmf_map *m, const char *path, struct seen *s)
{
    memset(s, 0, sizeof *s);
    s->length = mmf_length(m);
    s->pos = mmf_tell(m);
    s->ptr_rc = mmf_pointer(m, &s->ptr, &s->ptr_len);
    uint64_t n = s->length < PAGE3 ? s->length : PAGE3;
    CHECK((mmf_copy_out(m, 0, s->bytes, (size_t)n)) == (0));
    s->file_size = path != NULL ? th_file_size(path) : -1;
}

/* Everything as before, and the map still answers and takes writes. */
static void assert_unchanged(mmf_map *m, const char *path,
                             const struct seen *before)
{
    struct seen now;
    look(m, path, &now);
    CHECK((now.length) == (before->length));
    CHECK((now.pos) == (before->pos));
    CHECK((now.ptr_rc) == (before->ptr_rc));
    CHECK((now.ptr) == (before->ptr));
    CHECK((now.ptr_len) == (before->ptr_len));
    CHECK((now.file_size) == (before->file_size));
    CHECK(memcmp(now.bytes, before->bytes, sizeof now.bytes) == 0);
    if (path != NULL && before->file_size >= PAGE3) {
        char file[PAGE3];
        CHECK((th_read_file(path, file, sizeof file)) == (PAGE3));
        CHECK(memcmp(file, before->bytes, PAGE3) == 0);
    }
    /* Usable: a byte written through the map reads back. */
    uint8_t b, old;
    CHECK((mmf_get_byte(m, before->length - 1, &old)) == (0));
    CHECK((mmf_set_byte(m, before->length - 1, 0x5a)) == (0));
    CHECK((mmf_get_byte(m, before->length - 1, &b)) == (0));
    CHECK((b) == (0x5a));
    CHECK((mmf_set_byte(m, before->length - 1, old)) == (0));
}

static void write_pattern(const char *path, size_t n, uint32_t seed)
{
    char *data = malloc(n);
    assert_non_null(data);
    th_fill(data, n, seed);
    assert_int_equal(th_write_file(path, data, n), 0);
    free(data);
}

/* mmf_resize leaves the file offset+new_length bytes long, also when the
 * map grows inside a file that was longer (as Python's mmap.resize does). */
static void growth_inside_a_longer_file_cuts_it_to_the_new_end(void **state)
{
    (void)state;
    const char *path = th_path("grow-inside.bin");
    write_pattern(path, 5 * 4096, 11);
    char want[PAGE3];
    th_fill(want, sizeof want, 11);
    mmf_map *m = open_path(path, 4096, 0, 0);
    assert_int_equal(mmf_resize(m, 8192), 0);
    assert_int_equal(mmf_length(m), 8192);
    assert_int_equal(th_file_size(path), 8192);
    char got[8192];
    assert_int_equal(mmf_copy_out(m, 0, got, sizeof got), 0);
    assert_memory_equal(got, want, sizeof got);
    mmf_free(m);
}

/* MMF_TRUNCATE with an offset and no length would leave nothing to map:
 * refused before the file is cut. */
static void truncate_at_an_offset_with_no_length_leaves_the_file(void **state)
{
    (void)state;
    const char *p = th_path("trunc-offset.bin");
    size_t n = 1 << 20;
    write_pattern(p, n, 7);
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.offset = 4096;
    o.flags = MMF_TRUNCATE;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_ERANGE);
    assert_non_null(strstr(mmf_errmsg(m), "MMF_TRUNCATE"));
    assert_int_equal(th_file_size(p), (long long)n);
    char *want = malloc(n), *got = malloc(n);
    th_fill(want, n, 7);
    assert_int_equal(th_read_file(p, got, n), (long)n);
    assert_memory_equal(got, want, n);
    free(want);
    free(got);
    assert_false(mmf_is_open(m));
    mmf_free(m);
}

/* Windows: a second view of the file makes every shrink a refusal (Windows
 * cannot cut a mapped file); POSIX has no such refusal, and the sealed
 * memfd tests below stand in for it. */
#ifdef _WIN32
static void shrink_refused_by_another_view_leaves_the_map(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {0, 100, 4096, 8192};
    for (int windowed = 0; windowed < 2; windowed++) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            const char *p = th_path("other-view.bin");
            write_pattern(p, PAGE3, 11);
            mmf_map *m = open_path(p, 0, windowed ? MMF_WINDOWED : 0,
                                   windowed ? mmf_granularity() : 0);
            mmf_map *other = open_path(p, 0, 0, 0);
            assert_int_equal(mmf_seek(m, 5000, MMF_SEEK_SET, NULL), 0);
            struct seen before;
            look(m, p, &before);
            assert_int_equal(mmf_resize(m, sizes[i]), MMF_EACCES);
            assert_unchanged(m, p, &before);
            mmf_free(other);
            /* Once the other view is gone, the same shrink goes through. */
            assert_int_equal(mmf_resize(m, sizes[i]), 0);
            assert_int_equal(mmf_length(m), sizes[i]);
            assert_int_equal(th_file_size(p), (long long)sizes[i]);
            mmf_free(m);
        }
    }
}

/* A Windows growth whose mapping fails takes the path that a split mapping
 * takes on Linux (mmf__os_remap says MMF_ENOTSUP; the new view is made
 * before the old goes): growth_that_cannot_map_leaves_everything covers it
 * there.  Filling Wine's address space to make it fail here costs Wine
 * gigabytes of bookkeeping. */
#else
/* --- POSIX: address-space limits in a child, sealed memfds, names ------ */

/* Run fn in a child under an address-space limit `room` bytes above what
 * the process uses now; the child's exit status is the test's verdict
 * (cmocka's failures exit non-zero). */
/* valgrind runs the program on its own address-space manager, which
 * neither RLIMIT_AS nor mremap of split mappings reach as the kernel's
 * would; its preload library names it. */
static int under_valgrind(void)
{
    const char *pre = getenv("LD_PRELOAD");
    return pre != NULL && strstr(pre, "vgpreload") != NULL;
}

static void in_limited_child(void (*fn)(void), size_t room)
{
    if (under_valgrind())
        skip();
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        in_child = 1;
        long pages = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (f == NULL || fscanf(f, "%ld", &pages) != 1)
            _exit(3);
        fclose(f);
        struct rlimit rl;
        rl.rlim_cur = rl.rlim_max =
            (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + room;
        if (setrlimit(RLIMIT_AS, &rl) != 0)
            _exit(4);
        /* qemu-user does not hold its guest to the limit: say so. */
        void *probe =
            mmap(NULL, 2 * room, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (probe != MAP_FAILED)
            _exit(77);
        fn();
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip(); /* RLIMIT_AS is not enforced here */
    assert_int_equal(WEXITSTATUS(status), 0);
}

#define BIG (64u << 20) /* more than the limited child may map */
#define ROOM (16u << 20)

static char child_path[600];

static void child_grow_at_open(void)
{
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.length = BIG;
    o.flags = MMF_GROW;
    CHECK((mmf_open_path(m, child_path, &o)) == (MMF_ENOMEM));
    CHECK((th_file_size(child_path)) == (PAGE3));
    mmf_free(m);
}

static void grow_at_open_that_cannot_map_leaves_the_file(void **state)
{
    (void)state;
    snprintf(child_path, sizeof child_path, "%s", th_path("grow-open.bin"));
    write_pattern(child_path, PAGE3, 3);
    in_limited_child(child_grow_at_open, ROOM);
    assert_int_equal(th_file_size(child_path), PAGE3);
}

static char *child_buf; /* allocated before the limit */
static int split_first; /* advise part of the map first: mremap says EFAULT */

static void child_grow_resize(void)
{
    mmf_map *m = open_path(child_path, 0, 0, 0);
    if (split_first)
        CHECK((mmf_advise(m, 4096, 4096, MMF_ADVICE_RANDOM)) == (0));
    CHECK((mmf_seek(m, 100, MMF_SEEK_SET, NULL)) == (0));
    struct seen before;
    look(m, child_path, &before);
    CHECK((mmf_resize(m, BIG)) == (MMF_ENOMEM));
    assert_unchanged(m, child_path, &before);
    /* And through an MMF_GROW write past the end. */
    mmf_map *g = open_path(child_path, 0, MMF_GROW, 0);
    if (split_first)
        CHECK((mmf_advise(g, 4096, 4096, MMF_ADVICE_RANDOM)) == (0));
    CHECK((mmf_seek(g, PAGE3, MMF_SEEK_SET, NULL)) == (0));
    look(g, child_path, &before);
    CHECK((mmf_write(g, child_buf, BIG)) == (MMF_ENOMEM));
    assert_unchanged(g, child_path, &before);
    /* A growth that fits still works. */
    CHECK((mmf_resize(m, PAGE3 + 4096)) == (0));
    CHECK((mmf_length(m)) == (PAGE3 + 4096));
    mmf_free(g);
    mmf_free(m);
}

static void growth_that_cannot_map_leaves_everything(void **state)
{
    (void)state;
    child_buf = calloc(1, BIG);
    assert_non_null(child_buf);
    for (split_first = 0; split_first < 2; split_first++) {
        snprintf(child_path, sizeof child_path, "%s",
                 th_path("grow-resize.bin"));
        write_pattern(child_path, PAGE3, 4);
        in_limited_child(child_grow_resize, ROOM);
        assert_int_equal(th_file_size(child_path),
                         PAGE3 + 4096); /* the last growth, which fit */
    }
    free(child_buf);
}

/* Shared anonymous memory grows by copying into a new mapping (its object
 * keeps its size under mremap); when the new mapping fails the old one, and
 * its bytes, stay. */
static void child_grow_anon(void)
{
    for (int flags = 0; flags < 2; flags++) {
        mmf_map *m = new_map();
        CHECK(mmf_open_anon(m, PAGE3,
                            flags ? MMF_ANON_PRIVATE : MMF_ANON_SHARED) == 0);
        char data[PAGE3];
        th_fill(data, sizeof data, 13);
        CHECK(mmf_copy_in(m, 0, data, sizeof data) == 0);
        CHECK(mmf_seek(m, 77, MMF_SEEK_SET, NULL) == 0);
        struct seen before;
        look(m, NULL, &before);
        CHECK(mmf_resize(m, BIG) == MMF_ENOMEM);
        assert_unchanged(m, NULL, &before);
        CHECK(mmf_resize(m, 2 * PAGE3) == 0);
        char back[PAGE3];
        CHECK(mmf_copy_out(m, 0, back, sizeof back) == 0);
        CHECK(memcmp(back, data, sizeof back) == 0);
        mmf_free(m);
    }
}

static void anonymous_growth_that_cannot_map_leaves_the_map(void **state)
{
    (void)state;
    in_limited_child(child_grow_anon, ROOM);
}

/* A split mapping (advice on part of it) that mremap cannot move is mapped
 * anew - and stays mapped, with its bytes. */
static void split_mapping_grows_and_keeps_its_bytes(void **state)
{
    (void)state;
    if (under_valgrind())
        skip(); /* its mremap of a split mapping says EINVAL, not EFAULT */
    const char *p = th_path("split.bin");
    write_pattern(p, PAGE3, 5);
    mmf_map *m = open_path(p, 0, 0, 0);
    assert_int_equal(mmf_advise(m, 4096, 4096, MMF_ADVICE_RANDOM), 0);
    assert_int_equal(mmf_resize(m, 40 * 4096), 0);
    void *ptr;
    uint64_t len;
    assert_int_equal(mmf_pointer(m, &ptr, &len), 0);
    assert_non_null(ptr);
    assert_int_equal(len, 40 * 4096);
    char want[PAGE3];
    th_fill(want, sizeof want, 5);
    assert_memory_equal(ptr, want, PAGE3);
    mmf_free(m);
}

static int sealed_memfd(uint64_t size, int seals)
{
    int fd = memfd_create("mmf-refuse", MFD_ALLOW_SEALING | MFD_CLOEXEC);
    assert_true(fd >= 0);
    char data[PAGE3];
    th_fill(data, sizeof data, 9);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    assert_int_equal(pwrite(fd, data, sizeof data, 0), (ssize_t)sizeof data);
    assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
    return fd;
}

static long long fd_size(int fd)
{
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    return st.st_size;
}

/* F_SEAL_SHRINK: every shrink (to 0, to part of a page, of a windowed map)
 * is refused with the map as it was. */
static void shrink_refused_by_a_seal_leaves_the_map(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {0, 100, 4096, 8192};
    for (int windowed = 0; windowed < 2; windowed++) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            int fd = sealed_memfd(PAGE3, F_SEAL_SHRINK);
            mmf_map *m = new_map();
            mmf_options o = MMF_OPTIONS_INIT;
            o.flags = windowed ? MMF_WINDOWED : 0;
            o.window_size = windowed ? 4096 : 0;
            assert_int_equal(mmf_open_fd(m, fd, &o), 0);
            assert_int_equal(mmf_seek(m, 9000, MMF_SEEK_SET, NULL), 0);
            struct seen before;
            look(m, NULL, &before);
            assert_int_equal(mmf_resize(m, sizes[i]), MMF_EACCES);
            assert_int_equal(fd_size(fd), PAGE3);
            assert_unchanged(m, NULL, &before);
            /* Growth is not sealed. */
            assert_int_equal(mmf_resize(m, PAGE3 + 1), 0);
            assert_int_equal(fd_size(fd), PAGE3 + 1);
            mmf_free(m);
            close(fd);
        }
    }
}

/* Growth inside a longer file: the grown map's end is the file's new end
 * (every resize leaves the file offset+length bytes long), and a cut the
 * OS refuses leaves the map at its old length over the whole file. */
static void
growth_inside_a_file_sealed_against_shrinking_leaves_the_map(void **state)
{
    (void)state;
    int fd = sealed_memfd(PAGE3, F_SEAL_SHRINK);
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.length = 4096;
    assert_int_equal(mmf_open_fd(m, fd, &o), 0);
    struct seen before;
    look(m, NULL, &before);
    assert_int_equal(mmf_resize(m, 8192), MMF_EACCES);
    assert_int_equal(fd_size(fd), PAGE3);
    assert_unchanged(m, NULL, &before);
    mmf_free(m);
    close(fd);
}

/* F_SEAL_GROW: growth by resize and by an MMF_GROW write is refused. */
static void growth_refused_by_a_seal_leaves_the_map(void **state)
{
    (void)state;
    for (int windowed = 0; windowed < 2; windowed++) {
        int fd = sealed_memfd(PAGE3, F_SEAL_GROW);
        mmf_map *m = new_map();
        mmf_options o = MMF_OPTIONS_INIT;
        o.flags = MMF_GROW | (windowed ? MMF_WINDOWED : 0);
        o.window_size = windowed ? 4096 : 0;
        assert_int_equal(mmf_open_fd(m, fd, &o), 0);
        assert_int_equal(mmf_seek(m, PAGE3 - 2, MMF_SEEK_SET, NULL), 0);
        struct seen before;
        look(m, NULL, &before);
        assert_int_equal(mmf_resize(m, 2 * PAGE3), MMF_EACCES);
        assert_unchanged(m, NULL, &before);
        assert_int_equal(mmf_write(m, "abcd", 4), MMF_EACCES);
        assert_unchanged(m, NULL, &before);
        assert_int_equal(fd_size(fd), PAGE3);
        /* Writes inside the map still work. */
        assert_int_equal(mmf_write(m, "ab", 2), 0);
        assert_int_equal(mmf_tell(m), PAGE3);
        mmf_free(m);
        close(fd);
    }
}

static char shm_name[64];

static int shm_exists(const char *name)
{
    int fd = shm_open(name, O_RDONLY, 0);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

static void child_shm_create(void)
{
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.flags = MMF_CREATE;
    o.length = BIG;
    CHECK((mmf_open_shm(m, shm_name, &o)) == (MMF_ENOMEM));
    mmf_free(m);
}

/* A failed MMF_CREATE removes the name it made, and only that one. */
static void failed_shm_create_leaves_the_names_as_they_were(void **state)
{
    (void)state;
    snprintf(shm_name, sizeof shm_name, "/mmf-refuse-%d", (int)getpid());
    (void)shm_unlink(shm_name);
    in_limited_child(child_shm_create, ROOM);
    assert_false(shm_exists(shm_name));

    /* A name that was there before stays, with its size. */
    int fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 4096), 0);
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.flags = MMF_CREATE;
    o.length = 8192; /* longer than the object: refused */
    assert_int_equal(mmf_open_shm(m, shm_name, &o), MMF_ERANGE);
    assert_true(shm_exists(shm_name));
    assert_int_equal(fd_size(fd), 4096);
    /* And an existing empty one is sized by the open, and cut back when the
     * open fails. */
    assert_int_equal(ftruncate(fd, 0), 0);
    in_limited_child(child_shm_create, ROOM);
    assert_true(shm_exists(shm_name));
    assert_int_equal(fd_size(fd), 0);
    close(fd);
    assert_int_equal(shm_unlink(shm_name), 0);
    mmf_free(m);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(truncate_at_an_offset_with_no_length_leaves_the_file),
        cmocka_unit_test(growth_inside_a_longer_file_cuts_it_to_the_new_end),
#ifdef _WIN32
        cmocka_unit_test(shrink_refused_by_another_view_leaves_the_map),
#else
        cmocka_unit_test(grow_at_open_that_cannot_map_leaves_the_file),
        cmocka_unit_test(growth_that_cannot_map_leaves_everything),
        cmocka_unit_test(anonymous_growth_that_cannot_map_leaves_the_map),
        cmocka_unit_test(split_mapping_grows_and_keeps_its_bytes),
        cmocka_unit_test(shrink_refused_by_a_seal_leaves_the_map),
        cmocka_unit_test(growth_refused_by_a_seal_leaves_the_map),
        cmocka_unit_test(
            growth_inside_a_file_sealed_against_shrinking_leaves_the_map),
        cmocka_unit_test(failed_shm_create_leaves_the_names_as_they_were),
#endif
    };
    return cmocka_run_group_tests_name("refuse", tests, NULL, NULL);
}
