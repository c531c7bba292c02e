/* The access policy (src/policy.c): which path an access takes, and that
 * both paths give the same results and the same errors.  Looks inside the
 * object (internal.h) to tell which path was taken. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#endif

#define PAGE 4096

static mmf_map *open_file(const char *path, int access, int flags)
{
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = access;
    o.flags = flags;
    if (mmf_open_path(m, path, &o) != 0)
        fail_msg("open %s: %s", path, mmf_errmsg(m));
    return m;
}

#ifndef _WIN32
/* A write map of the caller's descriptor fd (mmf_open_fd duplicates it). */
static mmf_map *open_descriptor_for_writing(int fd)
{
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    if (mmf_open_fd(m, fd, &o) != 0)
        fail_msg("open descriptor %d: %s", fd, mmf_errmsg(m));
    return m;
}

/* A sparse file of `size` bytes that begins with "head" and ends with
 * "tail", at th_path(name). */
static const char *sparse_file(const char *name, uint64_t size)
{
    const char *p = th_path(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite("head", 1, 4, f), 4);
    assert_int_equal(fseeko(f, (off_t)size - 4, SEEK_SET), 0);
    assert_int_equal(fwrite("tail", 1, 4, f), 4);
    assert_int_equal(fclose(f), 0);
    return p;
}
#endif

/* Whether the mapping exists.  Windows maps at open (MMF__LAZY_MAPS), so
 * there "not mapped yet" reads as mapped. */
static int mapped(const mmf_map *m)
{
    return m->mapping.base != NULL;
}
static int unmapped(const mmf_map *m)
{
    return !MMF__LAZY_MAPS || m->mapping.base == NULL;
}

static void small_reads_go_through_the_descriptor_then_map(void **state)
{
    (void)state;
    const char *p = th_path("lazy");
    char data[3 * PAGE], buf[100];
    th_fill(data, sizeof data, 1);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    mmf_map *m = open_file(p, MMF_ACCESS_READ, 0);
    assert_true(unmapped(m)); /* nothing mapped at open */
    for (int i = 0; i < 16; i++) {
        assert_int_equal(mmf_copy_out(m, (uint64_t)i * 100, buf, 100), 0);
        assert_memory_equal(buf, data + i * 100, 100);
        assert_true(unmapped(m));
    }
    uint8_t b;
    assert_int_equal(mmf_get_byte(m, 5000, &b), 0); /* the 17th: maps */
    assert_int_equal(b, (uint8_t)data[5000]);
    assert_true(mapped(m));
    mmf_free(m);

    /* Searches map too, backwards as well as forwards. */
    static const int backwards[] = {1, 0};
    for (int i = 0; i < 2; i++) {
        m = open_file(p, MMF_ACCESS_READ, 0);
        uint64_t pos;
        assert_int_equal(backwards[i]
                             ? mmf_rfind(m, data + 9000, 7, 0, MMF_END, &pos)
                             : mmf_find(m, data + 9000, 7, 0, MMF_END, &pos),
                         0);
        assert_true(pos <= 9000);
        assert_memory_equal(data + pos, data + 9000, 7);
        assert_true(mapped(m));
        mmf_free(m);
    }
}

static void pointer_and_view_map_a_lazy_map(void **state)
{
    (void)state;
    const char *p = th_path("lazy-ptr");
    char data[2 * PAGE], buf[10];
    th_fill(data, sizeof data, 2);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    mmf_map *m = open_file(p, MMF_ACCESS_READ, 0);
    assert_int_equal(mmf_copy_out(m, 10, buf, 10), 0);
    assert_true(unmapped(m));
    void *ptr;
    uint64_t len;
    assert_int_equal(mmf_pointer(m, &ptr, &len), 0);
    assert_non_null(ptr);
    assert_int_equal(len, sizeof data);
    assert_memory_equal(ptr, data, sizeof data);
    mmf_free(m);

    m = open_file(p, MMF_ACCESS_READ, 0);
    assert_int_equal(mmf_view(m, PAGE, 0, &ptr), 0); /* even 0 bytes */
    assert_true(mapped(m));
    assert_ptr_equal(ptr, m->data + PAGE);
    mmf_free(m);

    m = open_file(p, MMF_ACCESS_READ, MMF_MAP_ALWAYS);
    assert_true(mapped(m)); /* the old behaviour, on request */
    assert_int_equal(mmf_copy_out(m, 10, buf, 10), 0);
    assert_memory_equal(buf, data + 10, 10);
    mmf_free(m);
}

static void
writes_through_the_descriptor_reach_the_file_and_the_map(void **state)
{
    (void)state;
    const char *p = th_path("lazy-write");
    char data[2 * PAGE];
    memset(data, 'a', sizeof data);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    mmf_map *m = open_file(p, MMF_ACCESS_WRITE, 0);
    assert_int_equal(mmf_copy_in(m, 100, "xyz", 3), 0);
    assert_true(unmapped(m));
    assert_int_equal(mmf_flush(m, 0, 0, MMF_FLUSH_SYNC), 0);
    char back[2 * PAGE];
    assert_int_equal(th_read_file(p, back, sizeof back), sizeof back);
    assert_memory_equal(back + 100, "xyz", 3);
    /* Mapped now; a caller who flushes synchronously writes through the
     * descriptor, and the mapping sees it at once. */
    void *ptr;
    assert_int_equal(mmf_pointer(m, &ptr, NULL), 0);
    assert_int_equal(mmf_copy_in(m, 5000, "QRS", 3), 0);
    assert_memory_equal((char *)ptr + 5000, "QRS", 3);
    assert_int_equal(mmf_flush(m, 5000, 3, MMF_FLUSH_DURABLE), 0);
    assert_int_equal(m->fd_dirty, 0);
    assert_int_equal(th_read_file(p, back, sizeof back), sizeof back);
    assert_memory_equal(back + 5000, "QRS", 3);
    mmf_free(m);
}

/* Releasing the descriptor maps a lazy map first: the bytes stay
 * reachable without the descriptor path. */
static void release_fd_maps_a_lazy_map(void **state)
{
    (void)state;
    const char *p = th_path("lazy-release");
    char data[PAGE], buf[16];
    th_fill(data, sizeof data, 5);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    mmf_map *m = open_file(p, MMF_ACCESS_READ, 0);
    assert_int_equal(mmf_copy_out(m, 0, buf, sizeof buf), 0);
    assert_true(unmapped(m));
    assert_int_equal(mmf_release_fd(m), 0);
    assert_true(mapped(m));
    assert_int_equal(m->fd_io, 0);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(mmf_copy_out(m, 100, buf, sizeof buf), 0);
        assert_memory_equal(buf, data + 100, sizeof buf);
    }
    mmf_free(m);
}

static void copy_on_write_maps_never_write_the_file(void **state)
{
    (void)state;
    const char *p = th_path("lazy-cow");
    char data[PAGE], back[PAGE], buf[3];
    memset(data, 'c', sizeof data);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    mmf_map *m = open_file(p, MMF_ACCESS_COPY, 0);
    assert_int_equal(mmf_copy_in(m, 10, "new", 3), 0);
    assert_int_equal(mmf_copy_out(m, 10, buf, 3), 0);
    assert_memory_equal(buf, "new", 3); /* the private copy */
    assert_int_equal(mmf_flush(m, 0, 0, MMF_FLUSH_DURABLE), 0);
    mmf_free(m);
    assert_int_equal(th_read_file(p, back, sizeof back), sizeof back);
    assert_memory_equal(back, data, sizeof data); /* the file: untouched */
}

static void growing_writes_extend_the_file_in_one_step(void **state)
{
    (void)state;
    const char *p = th_path("grow");
    mmf_map *m =
        open_file(p, MMF_ACCESS_WRITE, MMF_CREATE | MMF_TRUNCATE | MMF_GROW);
    char chunk[3000];
    for (int i = 0; i < 5; i++) {
        memset(chunk, 'A' + i, sizeof chunk);
        assert_int_equal(mmf_write(m, chunk, sizeof chunk), 0);
    }
    assert_true(unmapped(m)); /* no mapping, no zero-fill, no mremap */
    assert_int_equal(mmf_length(m), 15000);
    assert_int_equal(mmf_tell(m), 15000);
    assert_int_equal(th_file_size(p), 15000);
    assert_int_equal(mmf_flush(m, 0, 0, MMF_FLUSH_DURABLE), 0);
    /* Overwrite across the end: the part inside and the part past it. */
    assert_int_equal(mmf_seek(m, 14000, MMF_SEEK_SET, NULL), 0);
    memset(chunk, 'z', sizeof chunk);
    assert_int_equal(mmf_write(m, chunk, 2000), 0);
    assert_int_equal(th_file_size(p), 16000);
    void *ptr;
    uint64_t len;
    assert_int_equal(mmf_pointer(m, &ptr, &len), 0);
    assert_int_equal(len, 16000);
    assert_int_equal(((char *)ptr)[0], 'A');
    assert_int_equal(((char *)ptr)[13999], 'E');
    assert_int_equal(((char *)ptr)[14000], 'z');
    assert_int_equal(((char *)ptr)[15999], 'z');
    mmf_free(m);
    assert_int_equal(th_file_size(p), 16000); /* nothing to trim at close */
}

#ifndef _WIN32
/* The results of a sequence of calls on a file that another process cut
 * to 4196 bytes, as text, for comparing the two paths. */
static void after_truncation(int flags, int access, char *out, size_t cap)
{
    const char *p = th_path(flags ? "trunc-map" : "trunc-fd");
    char data[4 * PAGE];
    memset(data, 'q', sizeof data);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    mmf_map *m = open_file(p, access, flags);
    pid_t pid = fork();
    if (pid == 0)
        _exit(truncate(p, PAGE + 100) == 0 ? 0 : 1);
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    char buf[400];
    uint8_t b;
    size_t n = 0;
    int rc;
#define STEP(call)                                                             \
    do {                                                                       \
        memset(buf, '-', sizeof buf);                                          \
        rc = (call);                                                           \
        n += (size_t)snprintf(out + n, cap - n, "%s -> %d %s [%.4s]\n", #call, \
                              rc, rc ? mmf_errmsg(m) : "", buf + 196);         \
    } while (0)
    STEP(mmf_copy_out(m, 4000, buf, 200)); /* the zeros of the last page */
    STEP(mmf_copy_out(m, 8000, buf, 300)); /* into the lost page */
    STEP(mmf_get_byte(m, 9000, &b));
    STEP(mmf_get_byte(m, 4100, &b));
    if (access == MMF_ACCESS_WRITE) {
        STEP(mmf_copy_in(m, 8100, buf, 200));
        STEP(mmf_copy_in(m, 4000, buf, 200)); /* past the end, same page */
        STEP(mmf_set_byte(m, 12000, 1));
    }
#undef STEP
    if (!flags)
        assert_true(unmapped(m)); /* all of it through the descriptor */
    mmf_free(m);
    /* Nothing was written past the end of the file. */
    assert_int_equal(th_file_size(p), PAGE + 100);
}

static void descriptor_path_reports_truncation_as_the_mapping_does(void **s)
{
    (void)s;
    static const int accesses[] = {MMF_ACCESS_READ, MMF_ACCESS_WRITE};
    for (size_t i = 0; i < 2; i++) {
        char by_fd[2048], by_map[2048];
        after_truncation(0, accesses[i], by_fd, sizeof by_fd);
        after_truncation(MMF_MAP_ALWAYS, accesses[i], by_map, sizeof by_map);
        if (strcmp(by_fd, by_map) != 0)
            fail_msg("descriptor path:\n%s\nmapping:\n%s", by_fd, by_map);
        /* copy_out(8000, 300) names the first lost page. */
        assert_non_null(strstr(by_fd, "shrank or could not be read or written "
                                      "at offset 8192"));
    }
}

/* A growth that the OS refuses half way (RLIMIT_FSIZE: pwrite writes up to
 * the limit, then EFBIG) leaves the file, the map and the cursor as they
 * were. */
static void refused_growth_leaves_the_file_as_it_was(void **state)
{
    (void)state;
    const char *p = th_path("refused");
    char data[1000];
    memset(data, 'o', sizeof data);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {PAGE, PAGE};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        mmf_map *m = NULL;
        mmf_options o = MMF_OPTIONS_INIT;
        o.access = MMF_ACCESS_WRITE;
        o.flags = MMF_GROW;
        if (mmf_new(&m) != 0 || mmf_open_path(m, p, &o) != 0)
            _exit(11);
        if (mmf_seek(m, 0, MMF_SEEK_END, NULL) != 0)
            _exit(12);
        char big[8000];
        memset(big, 'X', sizeof big);
        int rc = mmf_write(m, big, sizeof big);
        if (rc != MMF_EOVERFLOW)
            _exit(13);
        if (mmf_length(m) != 1000 || mmf_tell(m) != 1000)
            _exit(14);
        if (mmf_write(m, big, 100) != 0) /* within the limit: fine */
            _exit(15);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* A map of the first 3000 bytes of a longer file: the growing write
     * would overwrite bytes of the file past the map before the limit
     * stops it; it must be refused before it writes anything. */
    const char *q = th_path("refused-prefix");
    char whole[2 * PAGE], after[2 * PAGE];
    memset(whole, 'p', sizeof whole);
    assert_int_equal(th_write_file(q, whole, sizeof whole), 0);
    pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {4 * PAGE, 4 * PAGE};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        mmf_map *m = NULL;
        mmf_options o = MMF_OPTIONS_INIT;
        o.access = MMF_ACCESS_WRITE;
        o.flags = MMF_GROW;
        o.length = 3000;
        if (mmf_new(&m) != 0 || mmf_open_path(m, q, &o) != 0)
            _exit(11);
        static char big[5 * PAGE];
        memset(big, 'X', sizeof big);
        if (mmf_write(m, big, sizeof big) != MMF_EOVERFLOW)
            _exit(13);
        if (mmf_length(m) != 3000 || mmf_tell(m) != 0)
            _exit(14);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(th_read_file(q, after, sizeof after), sizeof after);
    assert_memory_equal(after, whole, sizeof whole);

    char back[2000];
    assert_int_equal(th_read_file(p, back, sizeof back), 1100);
    assert_memory_equal(back, data, sizeof data);
}
#endif

#ifndef _WIN32
/* A caller's O_APPEND descriptor: Linux pwrite would append whatever the
 * offset, so such a map never writes through the descriptor. */
static void append_mode_descriptors_write_in_place(void **state)
{
    (void)state;
    const char *p = th_path("o-append");
    char data[100], back[200];
    memset(data, 'a', sizeof data);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    int fd = open(p, O_RDWR | O_APPEND);
    assert_true(fd >= 0);
    mmf_map *m = open_descriptor_for_writing(fd);
    close(fd);
    assert_int_equal(mmf_copy_in(m, 10, "XY", 2), 0);
    assert_int_equal(mmf_flush(m, 0, 0, MMF_FLUSH_SYNC), 0);
    assert_int_equal(mmf_copy_in(m, 20, "ZW", 2), 0);
    mmf_free(m);
    assert_int_equal(th_read_file(p, back, sizeof back), sizeof data);
    assert_memory_equal(back + 10, "XY", 2);
    assert_memory_equal(back + 20, "ZW", 2);
}
#endif

#ifndef _WIN32
/* The descriptor path asks the file's size before each write.  On its own
 * descriptor (mmf_open_path) it may move the file offset to ask; a
 * descriptor shared with the caller (mmf_open_fd duplicates it: one
 * offset) must keep the caller's offset where the caller left it. */
static void descriptor_writes_leave_the_callers_offset(void **state)
{
    (void)state;
    const char *p = th_path("offset");
    char data[3 * PAGE], back[3 * PAGE];
    th_fill(data, sizeof data, 41);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    int fd = open(p, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 123, SEEK_SET), 123);
    mmf_map *m = open_descriptor_for_writing(fd);
    assert_int_equal(mmf_copy_in(m, 10, "XY", 2), 0); /* young: pwrite */
    assert_int_equal(mmf_flush(m, 0, 0, MMF_FLUSH_SYNC), 0);
    assert_int_equal(mmf_copy_in(m, 5000, "ZW", 2), 0); /* sync writer */
    assert_true(unmapped(m));
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 123);
    mmf_free(m);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 123);
    close(fd);
    memcpy(data + 10, "XY", 2);
    memcpy(data + 5000, "ZW", 2);
    assert_int_equal(th_read_file(p, back, sizeof back), sizeof data);
    assert_memory_equal(back, data, sizeof data);
}
#endif

#ifndef _WIN32
/* A file of more than 64 MiB is mapped at open unless the process has a
 * 64-bit address space with no limit on it: there a one-shot read need
 * not pay for a mapping (LAZY_MAX_WIDE). */
static void large_files_are_lazy_where_the_address_space_is_wide(void **s)
{
    (void)s;
    const uint64_t size = (uint64_t)128 << 20;
    const char *p = sparse_file("sparse-128m", size);
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_AS, &rl), 0);
    int wide = sizeof(void *) >= 8 && rl.rlim_cur == RLIM_INFINITY;
    mmf_map *m = open_file(p, MMF_ACCESS_READ, 0);
    assert_int_equal(m->mapping.base == NULL, wide);
    uint8_t b;
    assert_int_equal(mmf_get_byte(m, size - 1, &b), 0);
    assert_int_equal(b, 'l'); /* the last byte of "tail" */
    mmf_free(m);
    if (!wide)
        return;
    /* Any limit on the address space: mapped at open again, so that a map
     * with no room is refused by the open. */
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit lim = {(rlim_t)1 << 46, rl.rlim_max};
        if (setrlimit(RLIMIT_AS, &lim) != 0 ||
            getrlimit(RLIMIT_AS, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY)
            _exit(10); /* qemu-user takes the call and keeps no limit */
        mmf_map *c = NULL;
        mmf_options o = MMF_OPTIONS_INIT;
        if (mmf_new(&c) != 0 || mmf_open_path(c, p, &o) != 0)
            _exit(11);
        _exit(c->mapping.base != NULL ? 0 : 12);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 10)
        skip(); /* no RLIMIT_AS here */
    assert_int_equal(WEXITSTATUS(status), 0);
}
#endif

#ifndef _WIN32
/* Threads sharing a lazy map (the read-only calls the header lets them
 * share): whichever call makes the first mapping, every thread reads the
 * right bytes throughout, and exactly one mapping is made. */
#define SHARED_SIZE (1u << 20)
static char shared_data[SHARED_SIZE];

struct sharer {
    mmf_map *m;
    unsigned seed;
    int bad;
};

static void *share_lazy_map(void *arg)
{
    struct sharer *s = arg;
    char buf[PAGE];
    for (int i = 0; i < 400 && !s->bad; i++) {
        s->seed = s->seed * 1103515245u + 12345u;
        uint64_t off = (s->seed >> 8) % (SHARED_SIZE - PAGE);
        uint8_t b;
        uint64_t pos;
        switch (i % 3) {
        case 0:
            s->bad |= mmf_copy_out(s->m, off, buf, PAGE) != 0 ||
                      memcmp(buf, shared_data + off, PAGE) != 0;
            break;
        case 1:
            s->bad |= mmf_get_byte(s->m, off, &b) != 0 ||
                      b != (uint8_t)shared_data[off];
            break;
        default:
            s->bad |= mmf_find(s->m, shared_data + off, 16, off, MMF_END,
                               &pos) != 0 ||
                      pos != off;
            break;
        }
    }
    return NULL;
}

static int mappings_of(const char *path)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL)
        return -1;
    char line[4096];
    int n = 0;
    size_t plen = strlen(path);
    while (fgets(line, sizeof line, f) != NULL) {
        size_t len = strcspn(line, "\n");
        if (len >= plen && memcmp(line + len - plen, path, plen) == 0)
            n++;
    }
    fclose(f);
    return n;
}

/* Bytes of `path` in this process's page tables: the Rss of its
 * mappings in /proc/self/smaps (-1 if unreadable). */
static long long rss_of(const char *path)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (f == NULL)
        return -1;
    char line[4096];
    long long rss = 0;
    int ours = 0;
    size_t plen = strlen(path);
    while (fgets(line, sizeof line, f) != NULL) {
        size_t len = strcspn(line, "\n");
        long long kb;
        /* A mapping's first line: "start-end perms offset dev inode path". */
        if (line[0] != '\0' && strchr("0123456789abcdef", line[0]) != NULL &&
            strchr(line, '-') != NULL && strchr(line, '-') < strchr(line, ' '))
            ours = len >= plen && memcmp(line + len - plen, path, plen) == 0;
        else if (ours && sscanf(line, "Rss: %lld kB", &kb) == 1)
            rss += kb * 1024;
    }
    fclose(f);
    return rss;
}

#define LARGE_FILE (4u << 20)
#define LARGE_PIECE (1u << 20)

/* One pass over the map in LARGE_PIECE copies; every byte checked. */
static void read_pass(mmf_map *m, const char *data, char *buf)
{
    for (size_t off = 0; off < LARGE_FILE; off += LARGE_PIECE) {
        memset(buf, 0, LARGE_PIECE);
        assert_int_equal(mmf_copy_out(m, off, buf, LARGE_PIECE), 0);
        assert_memory_equal(buf, data + off, LARGE_PIECE);
    }
}

/* Large copies read a map's first pass through the descriptor, mapped or
 * not: no page of the mapping is touched until the data is read again. */
static void large_copies_read_the_first_pass_through_the_descriptor(void **s)
{
    (void)s;
    const char *p = th_path("large-pass");
    char real[4096];
    char *data = malloc(LARGE_FILE), *buf = malloc(LARGE_PIECE);
    assert_non_null(data);
    assert_non_null(buf);
    th_fill(data, LARGE_FILE, 31);
    assert_int_equal(th_write_file(p, data, LARGE_FILE), 0);
    assert_non_null(realpath(p, real));

    /* A lazy map stays unmapped through its first pass, and maps on the
     * second. */
    mmf_map *m = open_file(p, MMF_ACCESS_READ, 0);
    read_pass(m, data, buf);
    assert_true(unmapped(m));
    assert_int_equal(m->fd_pass_bytes, LARGE_FILE);
    read_pass(m, data, buf);
    assert_true(mapped(m));
    assert_int_equal(rss_of(real), LARGE_FILE);
    mmf_free(m);

    /* A map already mapped (mmf_pointer) reads its first pass through the
     * descriptor too: its pages enter the page tables on the second. */
    m = open_file(p, MMF_ACCESS_READ, 0);
    void *ptr;
    uint64_t len;
    assert_int_equal(mmf_pointer(m, &ptr, &len), 0);
    assert_int_equal(rss_of(real), 0);
    read_pass(m, data, buf);
    assert_int_equal(rss_of(real), 0);
    read_pass(m, data, buf);
    assert_int_equal(rss_of(real), LARGE_FILE);
    /* mmf_read takes the same path as mmf_copy_out. */
    size_t got;
    assert_int_equal(mmf_seek(m, 0, MMF_SEEK_SET, NULL), 0);
    assert_int_equal(mmf_read(m, buf, LARGE_PIECE, &got), 0);
    assert_int_equal(got, LARGE_PIECE);
    assert_memory_equal(buf, data, LARGE_PIECE);
    mmf_free(m);

    /* MMF_MAP_ALWAYS, and a map populated whole, read through the
     * mapping from the first copy. */
    m = open_file(p, MMF_ACCESS_READ, MMF_MAP_ALWAYS);
    read_pass(m, data, buf);
    assert_int_equal(rss_of(real), LARGE_FILE);
    assert_int_equal(m->fd_pass_bytes, 0);
    mmf_free(m);
    m = open_file(p, MMF_ACCESS_READ, 0);
    assert_int_equal(mmf_advise(m, 0, 0, MMF_ADVICE_POPULATE), 0);
    read_pass(m, data, buf);
    assert_int_equal(m->fd_pass_bytes, SIZE_MAX);
    mmf_free(m);

    /* A copy-on-write map's own changes are not in the file: once it has
     * any, large copies read the mapping. */
    m = open_file(p, MMF_ACCESS_COPY, 0);
    assert_int_equal(mmf_set_byte(m, 5, 'X'), 0);
    assert_int_equal(mmf_copy_out(m, 0, buf, LARGE_PIECE), 0);
    assert_int_equal(buf[5], 'X');
    assert_memory_equal(buf + 6, data + 6, LARGE_PIECE - 6);
    mmf_free(m);
    assert_int_equal(th_file_size(p), LARGE_FILE);
    free(data);
    free(buf);
}

/* On a map longer than 1 GiB every large copy reads through the
 * descriptor, also the second time: there the kernel's copy beats a warm
 * mapping. */
static void
large_copies_from_maps_over_a_gib_read_through_the_descriptor(void **s)
{
    (void)s;
    const uint64_t size = ((uint64_t)1 << 30) + PAGE;
    const char *p = sparse_file("sparse-1g-plus", size);
    char real[4096];
    assert_non_null(realpath(p, real));
    char *buf = malloc(LARGE_PIECE);
    assert_non_null(buf);
    mmf_map *m = open_file(p, MMF_ACCESS_READ, 0);
    void *ptr;
    uint64_t len;
    assert_int_equal(mmf_pointer(m, &ptr, &len), 0);
    m->fd_pass_bytes = (size_t)size; /* as after a first pass */
    for (int pass = 0; pass < 3; pass++) {
        assert_int_equal(mmf_copy_out(m, 0, buf, LARGE_PIECE), 0);
        assert_memory_equal(buf, "head", 4);
        assert_int_equal(mmf_copy_out(m, size - LARGE_PIECE, buf, LARGE_PIECE),
                         0);
        assert_memory_equal(buf + LARGE_PIECE - 4, "tail", 4);
    }
    assert_int_equal(rss_of(real), 0);
    mmf_free(m);
    /* MMF_MAP_ALWAYS: through the mapping. */
    m = open_file(p, MMF_ACCESS_READ, MMF_MAP_ALWAYS);
    assert_int_equal(mmf_copy_out(m, 0, buf, LARGE_PIECE), 0);
    assert_memory_equal(buf, "head", 4);
    assert_true(rss_of(real) >= PAGE);
    mmf_free(m);
    free(buf);
    remove(p);
}

/* A large copy from a map whose file another process cut: the bytes and
 * the error of the descriptor path are the mapping's. */
static void large_copy_after_truncation(int flags, int mapped_first, char *out,
                                        size_t cap)
{
    const char *p = th_path("large-trunc");
    const size_t cut = 300 * 1024 + 100, piece = 512 * 1024;
    char *data = malloc(LARGE_FILE), *buf = malloc(piece);
    assert_non_null(data);
    assert_non_null(buf);
    memset(data, 'q', LARGE_FILE);
    assert_int_equal(th_write_file(p, data, LARGE_FILE), 0);
    mmf_map *m = open_file(p, MMF_ACCESS_READ, flags);
    void *ptr;
    uint64_t len;
    if (mapped_first)
        assert_int_equal(mmf_pointer(m, &ptr, &len), 0);
    pid_t pid = fork();
    if (pid == 0)
        _exit(truncate(p, (off_t)cut) == 0 ? 0 : 1);
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    memset(buf, '-', piece);
    int rc = mmf_copy_out(m, 0, buf, piece);
    snprintf(out, cap, "rc %d: %s", rc, mmf_errmsg(m));
    /* After MMF_EFAULT dst is unspecified, but no byte of it is wrong:
     * each is the file's, a zero of the last page, or untouched (memcpy
     * from the mapping stops up to a vector short of the lost page; the
     * descriptor path stops at it). */
    size_t page_end = (cut + PAGE - 1) / PAGE * PAGE;
    for (size_t i = 0; i < page_end; i++)
        if (buf[i] != (i < cut ? 'q' : 0) && buf[i] != '-')
            fail_msg("byte %zu is %d after the fault", i, buf[i]);
    if (!flags)
        for (size_t i = 0; i < page_end; i++)
            assert_int_equal(buf[i], i < cut ? 'q' : 0);
    mmf_free(m);
    assert_int_equal(th_file_size(p), (long long)cut);
    free(data);
    free(buf);
}

static void large_copies_report_truncation_as_the_mapping_does(void **s)
{
    (void)s;
    char by_map[512], lazy[512], mapped_first[512];
    large_copy_after_truncation(MMF_MAP_ALWAYS, 0, by_map, sizeof by_map);
    large_copy_after_truncation(0, 0, lazy, sizeof lazy);
    large_copy_after_truncation(0, 1, mapped_first, sizeof mapped_first);
    if (strcmp(lazy, by_map) != 0 || strcmp(mapped_first, by_map) != 0)
        fail_msg("mapping: %s\nlazy map: %s\nmapped map: %s", by_map, lazy,
                 mapped_first);
    assert_non_null(strstr(by_map, "rc -13"));
    assert_non_null(strstr(by_map, "at offset 311296"));
}

static void threads_sharing_a_lazy_map_make_one_mapping(void **state)
{
    (void)state;
    const char *p = th_path("shared-lazy");
    th_fill(shared_data, sizeof shared_data, 21);
    assert_int_equal(th_write_file(p, shared_data, sizeof shared_data), 0);
    char real[4096];
    assert_non_null(realpath(p, real));
    for (int round = 0; round < 20; round++) {
        mmf_map *m = open_file(p, MMF_ACCESS_READ, 0);
        assert_true(unmapped(m));
        struct sharer s[4];
        pthread_t t[4];
        for (int i = 0; i < 4; i++) {
            s[i].m = m;
            s[i].seed = (unsigned)(round * 4 + i);
            s[i].bad = 0;
            assert_int_equal(pthread_create(&t[i], NULL, share_lazy_map, &s[i]),
                             0);
        }
        for (int i = 0; i < 4; i++) {
            assert_int_equal(pthread_join(t[i], NULL), 0);
            assert_int_equal(s[i].bad, 0);
        }
        assert_true(mapped(m));
        assert_int_equal(mappings_of(real), 1);
        mmf_free(m);
        assert_int_equal(mappings_of(real), 0);
    }
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_reads_go_through_the_descriptor_then_map),
        cmocka_unit_test(pointer_and_view_map_a_lazy_map),
        cmocka_unit_test(release_fd_maps_a_lazy_map),
        cmocka_unit_test(
            writes_through_the_descriptor_reach_the_file_and_the_map),
        cmocka_unit_test(copy_on_write_maps_never_write_the_file),
        cmocka_unit_test(growing_writes_extend_the_file_in_one_step),
#ifndef _WIN32
        cmocka_unit_test(
            descriptor_path_reports_truncation_as_the_mapping_does),
        cmocka_unit_test(refused_growth_leaves_the_file_as_it_was),
        cmocka_unit_test(append_mode_descriptors_write_in_place),
        cmocka_unit_test(descriptor_writes_leave_the_callers_offset),
        cmocka_unit_test(large_files_are_lazy_where_the_address_space_is_wide),
        cmocka_unit_test(threads_sharing_a_lazy_map_make_one_mapping),
        cmocka_unit_test(
            large_copies_read_the_first_pass_through_the_descriptor),
        cmocka_unit_test(large_copies_report_truncation_as_the_mapping_does),
        cmocka_unit_test(
            large_copies_from_maps_over_a_gib_read_through_the_descriptor),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
