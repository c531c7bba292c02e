/* test_map.c - opening, access modes, the open errors, close, resize, flush,
 * sharing across fork, anonymous and named shared memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef _WIN32
#include <io.h>
#include <windows.h>

#include "spawn.h" /* tests/windows/: the second process, where POSIX forks */
#else
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "helpers.h"
#include "mmapfile.h"

static const char seed_text[] = "mmap is a cool feature!";

static mmf_map *new_map(void)
{
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    assert_non_null(m);
    return m;
}

static mmf_map *open_path(const char *path, int access, uint64_t off,
                          uint64_t len, int flags)
{
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = access;
    o.offset = off;
    o.length = len;
    o.flags = flags;
    int rc = mmf_open_path(m, path, &o);
    if (rc != 0)
        fail_msg("open %s: %s", path, mmf_errmsg(m));
    return m;
}

static void seed_example_changes_first_byte_and_flushes(void **state)
{
    (void)state;
    const char *p = th_path("write_test.txt");
    assert_int_equal(th_write_file(p, seed_text, strlen(seed_text)), 0);
    mmf_map *m = open_path(p, MMF_ACCESS_WRITE, 0, 0, 0);
    assert_int_equal(mmf_length(m), strlen(seed_text));
    assert_int_equal(mmf_set_byte(m, 0, 'n'), 0);
    assert_int_equal(mmf_flush(m, 0, 0, MMF_FLUSH_SYNC), 0);
    assert_int_equal(mmf_close(m), 0);
    char buf[64] = {0};
    assert_int_equal(th_read_file(p, buf, sizeof buf), (long)strlen(seed_text));
    assert_string_equal(buf, "nmap is a cool feature!");
    mmf_free(m);
}

static void read_map_refuses_writes_and_leaves_file(void **state)
{
    (void)state;
    const char *p = th_path("ro.txt");
    th_write_file(p, seed_text, strlen(seed_text));
    mmf_map *m = open_path(p, MMF_ACCESS_READ, 0, 0, 0);
    assert_int_equal(mmf_access_mode(m), MMF_ACCESS_READ);
    assert_int_equal(mmf_set_byte(m, 0, 'x'), MMF_EACCES);
    assert_non_null(strstr(mmf_errmsg(m), "read-only"));
    assert_int_equal(mmf_copy_in(m, 0, "xx", 2), MMF_EACCES);
    assert_int_equal(mmf_write(m, "x", 1), MMF_EACCES);
    assert_int_equal(mmf_move(m, 0, 1, 1), MMF_EACCES);
    assert_int_equal(mmf_resize(m, 5), MMF_EACCES);
    uint8_t b;
    assert_int_equal(mmf_get_byte(m, 0, &b), 0);
    assert_int_equal(b, 'm');
    mmf_free(m);
    char buf[64] = {0};
    th_read_file(p, buf, sizeof buf);
    assert_string_equal(buf, seed_text);
}

static void default_access_of_path_is_read_only(void **state)
{
    (void)state;
    const char *p = th_path("default.txt");
    th_write_file(p, seed_text, strlen(seed_text));
    mmf_map *m = new_map();
    assert_int_equal(mmf_open_path(m, p, NULL), 0);
    assert_int_equal(mmf_access_mode(m), MMF_ACCESS_READ);
    mmf_free(m);
}

static void copy_on_write_never_reaches_file(void **state)
{
    (void)state;
    const char *p = th_path("cow.txt");
    th_write_file(p, seed_text, strlen(seed_text));
    mmf_map *m = open_path(p, MMF_ACCESS_COPY, 0, 0, 0);
    assert_int_equal(mmf_copy_in(m, 0, "XXXX", 4), 0);
    assert_int_equal(mmf_flush(m, 0, 0, MMF_FLUSH_DURABLE), 0);
    char got[8];
    assert_int_equal(mmf_copy_out(m, 0, got, 4), 0);
    assert_memory_equal(got, "XXXX", 4);
    /* A second map of the same file sees the original bytes. */
    mmf_map *other = open_path(p, MMF_ACCESS_READ, 0, 0, 0);
    assert_int_equal(mmf_copy_out(other, 0, got, 4), 0);
    assert_memory_equal(got, "mmap", 4);
    mmf_free(other);
    mmf_free(m);
    char buf[64] = {0};
    th_read_file(p, buf, sizeof buf);
    assert_string_equal(buf, seed_text);
}

static void unaligned_offset_maps_the_right_bytes(void **state)
{
    (void)state;
    size_t n = 3 * 4096 + 100;
    char *data = malloc(n);
    th_fill(data, n, 7);
    const char *p = th_path("offsets.bin");
    th_write_file(p, data, n);
    uint64_t offsets[] = {1, 4095, 4096, 4097, 8191, 3 * 4096 + 99};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        mmf_map *m = open_path(p, MMF_ACCESS_READ, offsets[i], 0, 0);
        assert_int_equal(mmf_length(m), n - offsets[i]);
        uint8_t b;
        assert_int_equal(mmf_get_byte(m, 0, &b), 0);
        assert_int_equal(b, (uint8_t)data[offsets[i]]);
        void *ptr;
        uint64_t len;
        assert_int_equal(mmf_pointer(m, &ptr, &len), 0);
        assert_memory_equal(ptr, data + offsets[i], (size_t)len);
        mmf_free(m);
    }
    free(data);
}

static void offset_at_or_past_end_is_an_error(void **state)
{
    (void)state;
    const char *p = th_path("short.txt");
    th_write_file(p, "0123456789", 10);
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.offset = 10;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_ERANGE);
    assert_non_null(strstr(mmf_errmsg(m), "offset 10"));
    o.offset = 4;
    o.length = 7;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_ERANGE);
    assert_non_null(
        strstr(mmf_errmsg(m), "past the end of the file (10 bytes)"));
    o.offset = UINT64_MAX - 1;
    o.length = 5;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_EOVERFLOW);
    o.offset = (uint64_t)INT64_MAX;
    o.length = 5;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_EOVERFLOW);
    assert_false(mmf_is_open(m));
    assert_int_equal(th_file_size(p), 10);
    mmf_free(m);
}

static void bad_options_are_refused(void **state)
{
    (void)state;
    const char *p = th_path("opts.txt");
    th_write_file(p, "abc", 3);
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = 9;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_EINVAL);
    assert_non_null(strstr(mmf_errmsg(m), "access 9"));
    o.access = MMF_ACCESS_READ;
    o.flags = 0x4000;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_EINVAL);
    o.flags = MMF_CREATE;
    assert_int_equal(mmf_open_path(m, p, &o), MMF_EINVAL);
    assert_int_equal(mmf_open_path(m, NULL, NULL), MMF_EINVAL);
    assert_int_equal(mmf_open_path(m, "", NULL), MMF_EINVAL);
    assert_int_equal(mmf_open_path(NULL, p, NULL), MMF_EINVAL);
    assert_int_equal(mmf_new(NULL), MMF_EINVAL);
    assert_int_equal(mmf_open_path(m, p, NULL), 0);
    assert_int_equal(mmf_open_path(m, p, NULL), MMF_EBUSY);
    mmf_free(m);
}

#ifndef _WIN32
static void each_unmappable_kind_has_its_own_error(void **state)
{
    (void)state;
    mmf_map *m = new_map();
    assert_int_equal(mmf_open_path(m, th_path("missing"), NULL), MMF_ENOENT);
    assert_non_null(strstr(mmf_errmsg(m), "missing"));
    assert_int_not_equal(mmf_os_error(m),
                         0); /* ENOENT or ERROR_FILE_NOT_FOUND */
    assert_int_equal(mmf_open_path(m, "", NULL), MMF_EINVAL);
    assert_int_equal(mmf_os_error(m), 0); /* the library's own check */
    assert_int_equal(mmf_open_path(m, th_tmpdir(), NULL), MMF_EISDIR);
    const char *fifo = th_path("fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mmf_open_path(m, fifo, NULL), MMF_EPIPE);
    assert_int_equal(mmf_open_path(m, "/dev/null", NULL), MMF_EDEVICE);
    assert_non_null(strstr(mmf_errmsg(m), "character device"));
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(mmf_open_fd(m, fds[0], NULL), MMF_EPIPE);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    assert_int_equal(mmf_open_fd(m, fds[0], NULL), MMF_ESOCKET);
    close(fds[0]);
    close(fds[1]);
    int dfd = open(th_tmpdir(), O_RDONLY);
    assert_int_equal(mmf_open_fd(m, dfd, NULL), MMF_EISDIR);
    close(dfd);
    assert_int_equal(mmf_open_fd(m, dfd, NULL), MMF_EBADF);
    assert_int_equal(mmf_open_fd(m, -1, NULL), MMF_EBADF);
    int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (tty >= 0) {
        assert_int_equal(mmf_open_fd(m, tty, NULL), MMF_EDEVICE);
        close(tty);
    }
    const char *empty = th_path("empty");
    th_write_file(empty, "", 0);
    assert_int_equal(mmf_open_path(m, empty, NULL), MMF_EEMPTY);
    assert_non_null(strstr(mmf_errmsg(m), "empty file"));
    assert_false(mmf_is_open(m));
    mmf_free(m);
}

static void permission_denied_is_eacces(void **state)
{
    (void)state;
    const char *p = th_path("noperm");
    th_write_file(p, "abc", 3);
    chmod(p, 0);
    chmod(th_tmpdir(), 0755);
    /* Root may open anything: check as an unprivileged user in a child. */
    pid_t pid = fork();
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        mmf_map *m = NULL;
        if (mmf_new(&m) != 0)
            _exit(4);
        int rc = mmf_open_path(m, p, NULL);
        _exit(rc == MMF_EACCES && strstr(mmf_errmsg(m), "Permission denied")
                  ? 0
                  : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    chmod(th_tmpdir(), 0700);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}
#endif

static void descriptor_default_follows_open_mode(void **state)
{
    (void)state;
    const char *p = th_path("fdmode.txt");
    th_write_file(p, seed_text, strlen(seed_text));
    int ro = open(p, O_RDONLY);
    int rw = open(p, O_RDWR);
    int wo = open(p, O_WRONLY);
    mmf_map *m = new_map();
    assert_int_equal(mmf_open_fd(m, ro, NULL), 0);
    assert_int_equal(mmf_access_mode(m), MMF_ACCESS_READ);
    mmf_close(m);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    assert_int_equal(mmf_open_fd(m, ro, &o), MMF_EACCES);
    assert_non_null(strstr(mmf_errmsg(m), "not open for writing"));
    assert_int_equal(mmf_open_fd(m, wo, NULL), MMF_EACCES);
    assert_int_equal(mmf_open_fd(m, rw, NULL), 0);
    assert_int_equal(mmf_access_mode(m), MMF_ACCESS_WRITE);
    /* The library has its own descriptor: closing the caller's is fine. */
    close(rw);
    assert_int_equal(mmf_set_byte(m, 1, 'M'), 0);
    mmf_free(m);
    close(ro);
    close(wo);
    char buf[64] = {0};
    th_read_file(p, buf, sizeof buf);
    assert_string_equal(buf, "mMap is a cool feature!");
}

static void empty_file_opened_for_writing_can_grow(void **state)
{
    (void)state;
    const char *p = th_path("grow-from-empty");
    th_write_file(p, "", 0);
    mmf_map *m = open_path(p, MMF_ACCESS_WRITE, 0, 0, 0);
    assert_int_equal(mmf_length(m), 0);
    void *ptr;
    assert_int_equal(mmf_pointer(m, &ptr, NULL), MMF_ERANGE);
    assert_int_equal(mmf_write(m, "x", 1), MMF_ERANGE);
    assert_int_equal(mmf_resize(m, 5000), 0);
    assert_int_equal(mmf_length(m), 5000);
    assert_int_equal(mmf_copy_in(m, 4990, "0123456789", 10), 0);
    mmf_free(m);
    assert_int_equal(th_file_size(p), 5000);
    char buf[5000];
    th_read_file(p, buf, sizeof buf);
    assert_memory_equal(buf + 4990, "0123456789", 10);
    assert_int_equal(buf[0], 0);
}

static void create_flag_makes_file_of_length(void **state)
{
    (void)state;
    const char *p = th_path("created.bin");
    mmf_map *m =
        open_path(p, MMF_ACCESS_WRITE, 0, 10000, MMF_CREATE | MMF_GROW);
    assert_int_equal(mmf_length(m), 10000);
    assert_int_equal(th_file_size(p), 10000);
    mmf_free(m);
    m = open_path(p, MMF_ACCESS_WRITE, 0, 100, MMF_TRUNCATE);
    assert_int_equal(th_file_size(p), 100);
    mmf_free(m);
    /* A refused open does not leave behind the file it created... */
    const char *q = th_path("never-created.bin");
    m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.flags = MMF_CREATE;
    o.offset = 200; /* past the end of the new file and of the old one */
    assert_int_equal(mmf_open_path(m, q, &o), MMF_ERANGE);
    assert_int_equal(th_file_size(q), -1);
    /* ...and never removes one it did not create. */
    assert_int_equal(mmf_open_path(m, p, &o), MMF_ERANGE);
    assert_int_equal(th_file_size(p), 100);
    mmf_free(m);
}

static void grow_flag_lets_writes_extend(void **state)
{
    (void)state;
    const char *p = th_path("autogrow.txt");
    th_write_file(p, "abc", 3);
    mmf_map *m = open_path(p, MMF_ACCESS_WRITE, 0, 0, MMF_GROW);
    assert_int_equal(mmf_seek(m, 0, MMF_SEEK_END, NULL), 0);
    assert_int_equal(mmf_write(m, "defgh", 5), 0);
    assert_int_equal(mmf_write_byte(m, '!'), 0);
    assert_int_equal(mmf_length(m), 9);
    mmf_free(m);
    char buf[16] = {0};
    assert_int_equal(th_read_file(p, buf, sizeof buf), 9);
    assert_string_equal(buf, "abcdefgh!");
}

static void close_is_idempotent_and_final(void **state)
{
    (void)state;
    const char *p = th_path("close.txt");
    th_write_file(p, seed_text, strlen(seed_text));
    mmf_map *m = open_path(p, MMF_ACCESS_WRITE, 0, 0, 0);
    assert_int_equal(mmf_close(m), 0);
    assert_int_equal(mmf_close(m), 0);
    assert_false(mmf_is_open(m));
    uint8_t b;
    uint64_t pos, n;
    char buf[4];
    void *ptr;
    assert_int_equal(mmf_get_byte(m, 0, &b), MMF_ECLOSED);
    assert_int_equal(mmf_set_byte(m, 0, 1), MMF_ECLOSED);
    assert_int_equal(mmf_copy_out(m, 0, buf, 1), MMF_ECLOSED);
    assert_int_equal(mmf_copy_in(m, 0, buf, 1), MMF_ECLOSED);
    assert_int_equal(mmf_find(m, "a", 1, 0, MMF_END, &pos), MMF_ECLOSED);
    assert_int_equal(mmf_rfind(m, "a", 1, 0, MMF_END, &pos), MMF_ECLOSED);
    assert_int_equal(mmf_count(m, "a", 1, 0, MMF_END, &n), MMF_ECLOSED);
    assert_int_equal(mmf_move(m, 0, 1, 1), MMF_ECLOSED);
    assert_int_equal(mmf_seek(m, 0, MMF_SEEK_SET, NULL), MMF_ECLOSED);
    assert_int_equal(mmf_read_byte(m, &b), MMF_ECLOSED);
    assert_int_equal(mmf_read(m, buf, 1, NULL), MMF_ECLOSED);
    assert_int_equal(mmf_write(m, buf, 1), MMF_ECLOSED);
    assert_int_equal(mmf_write_byte(m, 1), MMF_ECLOSED);
    assert_int_equal(mmf_resize(m, 10), MMF_ECLOSED);
    assert_int_equal(mmf_flush(m, 0, 0, 0), MMF_ECLOSED);
    assert_int_equal(mmf_advise(m, 0, 0, 0), MMF_ECLOSED);
    assert_int_equal(mmf_pointer(m, &ptr, NULL), MMF_ECLOSED);
    assert_int_equal(mmf_view(m, 0, 1, &ptr), MMF_ECLOSED);
    assert_int_equal(mmf_file_size(m, &n), MMF_ECLOSED);
    assert_int_equal(mmf_residency(m, 0, 0, &n, &pos), MMF_ECLOSED);
    assert_int_equal(mmf_lock(m, 0, 0), MMF_ECLOSED);
    assert_int_equal(mmf_evict(m, 0, 0), MMF_ECLOSED);
    assert_int_equal(mmf_length(m), 0);
    assert_int_equal(mmf_tell(m), 0);
    assert_string_equal(mmf_errmsg(m), "the map is closed");
    /* The object can be opened again. */
    assert_int_equal(mmf_open_path(m, p, NULL), 0);
    mmf_free(m);
    mmf_free(NULL);
}

static void resize_both_ways_keeps_data(void **state)
{
    (void)state;
    const char *p = th_path("resize.bin");
    char data[10000];
    th_fill(data, sizeof data, 3);
    th_write_file(p, data, sizeof data);
    mmf_map *m = open_path(p, MMF_ACCESS_WRITE, 0, 0, 0);
    assert_int_equal(mmf_seek(m, 9000, MMF_SEEK_SET, NULL), 0);
    assert_int_equal(mmf_resize(m, 100000), 0);
    assert_int_equal(th_file_size(p), 100000);
    char got[10000];
    assert_int_equal(mmf_copy_out(m, 0, got, sizeof got), 0);
    assert_memory_equal(got, data, sizeof data);
    uint8_t b;
    assert_int_equal(mmf_get_byte(m, 99999, &b), 0);
    assert_int_equal(b, 0);
    assert_int_equal(mmf_set_byte(m, 99999, 0x5a), 0);
    assert_int_equal(mmf_resize(m, 5000), 0);
    assert_int_equal(mmf_tell(m), 5000); /* cursor clamped */
    assert_int_equal(th_file_size(p), 5000);
    assert_int_equal(mmf_get_byte(m, 5000, &b), MMF_ERANGE);
    assert_int_equal(mmf_copy_out(m, 0, got, 5000), 0);
    assert_memory_equal(got, data, 5000);
    /* 2^63-1 bytes: more than the file system allows (EFBIG), or on 32-bit
     * more than the address space, refused before the file is touched */
    assert_int_equal(mmf_resize(m, (uint64_t)INT64_MAX),
                     SIZE_MAX < (uint64_t)INT64_MAX ? MMF_ENOMEM
                                                    : MMF_EOVERFLOW);
    assert_int_equal(mmf_resize(m, UINT64_MAX), MMF_EOVERFLOW);
    assert_int_equal(th_file_size(p), 5000);
    mmf_free(m);
}

static void resize_with_offset_sizes_file_to_offset_plus_length(void **state)
{
    (void)state;
    const char *p = th_path("resize-off.bin");
    char data[9000];
    th_fill(data, sizeof data, 5);
    th_write_file(p, data, sizeof data);
    mmf_map *m = open_path(p, MMF_ACCESS_WRITE, 4097, 100, 0);
    assert_int_equal(mmf_resize(m, 8000), 0);
    assert_int_equal(th_file_size(p), 4097 + 8000);
    char got[100];
    assert_int_equal(mmf_copy_out(m, 0, got, 100), 0);
    assert_memory_equal(got, data + 4097, 100);
    mmf_free(m);
}

static void copy_on_write_file_map_cannot_resize(void **state)
{
    (void)state;
    const char *p = th_path("cow-resize");
    th_write_file(p, "abcdef", 6);
    mmf_map *m = open_path(p, MMF_ACCESS_COPY, 0, 0, 0);
    assert_int_equal(mmf_resize(m, 3), MMF_EACCES);
    assert_non_null(strstr(mmf_errmsg(m), "copy-on-write"));
    mmf_free(m);
    assert_int_equal(th_file_size(p), 6);
}

static void flush_ranges_need_not_be_aligned(void **state)
{
    (void)state;
    const char *p = th_path("flush.bin");
    char data[3 * 4096];
    memset(data, 'a', sizeof data);
    th_write_file(p, data, sizeof data);
    mmf_map *m = open_path(p, MMF_ACCESS_WRITE, 100, 0, 0);
    assert_int_equal(mmf_copy_in(m, 4000, "BBBB", 4), 0);
    assert_int_equal(mmf_flush(m, 3999, 7, MMF_FLUSH_SYNC), 0);
    assert_int_equal(mmf_flush(m, 1, 1, MMF_FLUSH_ASYNC), 0);
    assert_int_equal(mmf_flush(m, 0, 0, MMF_FLUSH_DURABLE), 0);
    assert_int_equal(mmf_flush(m, 0, 0, 7), MMF_EINVAL);
    assert_int_equal(mmf_flush(m, 0, mmf_length(m) + 1, 0), MMF_ERANGE);
    assert_int_equal(mmf_flush(m, UINT64_MAX, 2, 0), MMF_EOVERFLOW);
    assert_int_equal(mmf_flush(m, mmf_length(m) + 1, 0, 0), MMF_ERANGE);
    mmf_free(m);
    char buf[3 * 4096];
    th_read_file(p, buf, sizeof buf);
    assert_memory_equal(buf + 4100, "BBBB", 4);
}

#ifndef _WIN32
static void anonymous_shared_map_is_seen_by_parent_after_fork(void **state)
{
    (void)state;
    mmf_map *m = new_map();
    assert_int_equal(mmf_open_anon(m, 8192, MMF_ANON_SHARED), 0);
    assert_int_equal(mmf_access_mode(m), MMF_ACCESS_WRITE);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int rc = mmf_copy_in(m, 5000, "child", 5);
        _exit(rc == 0 ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char got[5];
    assert_int_equal(mmf_copy_out(m, 5000, got, 5), 0);
    assert_memory_equal(got, "child", 5);
    assert_int_equal(mmf_resize(m, 20000), 0);
    assert_int_equal(mmf_copy_out(m, 5000, got, 5), 0);
    assert_memory_equal(got, "child", 5);
    uint64_t size;
    assert_int_equal(mmf_file_size(m, &size), 0);
    assert_int_equal(size, 20000);
    mmf_free(m);
}

static void anonymous_private_map_is_not_seen_by_parent(void **state)
{
    (void)state;
    mmf_map *m = new_map();
    assert_int_equal(mmf_open_anon(m, 4096, MMF_ANON_PRIVATE), 0);
    pid_t pid = fork();
    if (pid == 0)
        _exit(mmf_copy_in(m, 0, "child", 5) == 0 ? 0 : 1);
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    char got[5];
    assert_int_equal(mmf_copy_out(m, 0, got, 5), 0);
    assert_memory_equal(got, "\0\0\0\0\0", 5);
    mmf_free(m);
    m = new_map();
    assert_int_equal(mmf_open_anon(m, 0, MMF_ANON_SHARED), MMF_EINVAL);
    assert_int_equal(mmf_open_anon(m, 10, 5), MMF_EINVAL);
    assert_int_equal(mmf_open_anon(m, UINT64_MAX, MMF_ANON_SHARED), MMF_ENOMEM);
    mmf_free(m);
}

static void shared_file_map_child_write_seen_by_parent(void **state)
{
    (void)state;
    const char *p = th_path("shared.txt");
    th_write_file(p, seed_text, strlen(seed_text));
    mmf_map *m = open_path(p, MMF_ACCESS_WRITE, 0, 0, 0);
    pid_t pid = fork();
    if (pid == 0) {
        mmf_map *c = NULL;
        mmf_options o = MMF_OPTIONS_INIT;
        o.access = MMF_ACCESS_WRITE;
        int ok = mmf_new(&c) == 0 && mmf_open_path(c, p, &o) == 0 &&
                 mmf_copy_in(c, 0, "MMAP", 4) == 0;
        _exit(ok ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    char got[4];
    assert_int_equal(mmf_copy_out(m, 0, got, 4), 0);
    assert_memory_equal(got, "MMAP", 4);
    mmf_free(m);
}

static void named_shared_memory_between_processes(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "/mmf-test-%d", (int)getpid());
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.flags = MMF_CREATE;
    o.length = 4096;
    assert_int_equal(mmf_open_shm(m, name, &o), 0);
    assert_int_equal(mmf_length(m), 4096);
    pid_t pid = fork();
    if (pid == 0) {
        /* Like an unrelated process: opens the name itself. */
        mmf_map *c = NULL;
        int ok = mmf_new(&c) == 0 && mmf_open_shm(c, name, NULL) == 0 &&
                 mmf_copy_in(c, 100, "shm!", 4) == 0;
        _exit(ok ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    char got[4];
    assert_int_equal(mmf_copy_out(m, 100, got, 4), 0);
    assert_memory_equal(got, "shm!", 4);
    assert_int_equal(mmf_shm_unlink(name), 0);
    assert_int_equal(mmf_shm_unlink(name), MMF_ENOENT);
    mmf_free(m);
    m = new_map();
    assert_int_equal(mmf_open_shm(m, name, NULL), MMF_ENOENT);
    assert_int_equal(mmf_open_shm(m, "", NULL), MMF_EINVAL);
    mmf_free(m);
}
#endif

#ifndef _WIN32
/* /dev/zero maps (as with Python's mmap); /dev/null's driver has no mmap
 * and the refusal carries the OS's reason. */
static void device_with_mmap_maps_and_null_says_why(void **st)
{
    (void)st;
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    int zero = open("/dev/zero", O_RDWR);
    assert_true(zero >= 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.length = 8192;
    assert_int_equal(mmf_open_fd(m, zero, &o), 0);
    close(zero);
    assert_int_equal(mmf_length(m), 8192);
    uint8_t b = 1;
    assert_int_equal(mmf_get_byte(m, 8191, &b), 0);
    assert_int_equal(b, 0);
    assert_int_equal(mmf_set_byte(m, 8191, 7), 0);
    assert_int_equal(mmf_get_byte(m, 8191, &b), 0);
    assert_int_equal(b, 7);
    assert_int_equal(mmf_close(m), 0);

    int null = open("/dev/null", O_RDWR);
    assert_true(null >= 0);
    assert_int_equal(mmf_open_fd(m, null, &o), MMF_EDEVICE);
    assert_int_equal(mmf_os_error(m), ENODEV);
    assert_non_null(strstr(mmf_errmsg(m), "No such device"));
    assert_false(mmf_is_open(m));
    close(null);
    mmf_free(m);
}

/* The descriptor number the next open() will get. */
static int next_fd(void)
{
    int d = dup(0);
    assert_true(d >= 0);
    close(d);
    return d;
}

static void release_fd_closes_the_dup_and_keeps_the_bytes(void **st)
{
    (void)st;
    const char *path = th_path("release");
    assert_int_equal(th_write_file(path, "abcdefgh", 8), 0);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    int dup_fd = next_fd();
    assert_int_equal(mmf_open_fd(m, fd, &o), 0);
    assert_int_not_equal(fcntl(dup_fd, F_GETFD), -1); /* the map's dup */
    close(fd);

    assert_int_equal(mmf_release_fd(m), 0);
    assert_int_equal(fcntl(dup_fd, F_GETFD), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(mmf_release_fd(m), 0); /* nothing left to release */
    assert_int_equal(mmf_set_byte(m, 0, 'X'), 0);
    assert_int_equal(mmf_flush(m, 0, 0, MMF_FLUSH_SYNC), 0);
    uint64_t size = 0;
    assert_int_equal(mmf_file_size(m, &size), MMF_EBADF);
    assert_int_equal(mmf_resize(m, 16), MMF_EBADF);
    assert_int_equal(mmf_length(m), 8);
    assert_true(mmf_is_open(m));
    mmf_free(m);
    char buf[9] = {0};
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(buf, 1, 8, f), 8);
    fclose(f);
    assert_string_equal(buf, "Xbcdefgh");

    /* A windowed map needs its descriptor for every new window. */
    assert_int_equal(mmf_new(&m), 0);
    o.flags = MMF_WINDOWED;
    assert_int_equal(mmf_open_path(m, path, &o), 0);
    assert_int_equal(mmf_release_fd(m), MMF_EINVAL);
    assert_non_null(strstr(mmf_errmsg(m), "windowed"));
    mmf_free(m);
    assert_int_equal(mmf_release_fd(NULL), MMF_EINVAL);
}
#endif

#ifdef _WIN32
/* --- Windows counterparts of the POSIX-only tests above -----------------
 * No fork, FIFOs, sockets or /dev here: a second process is this program
 * run again (tests/windows/spawn.h), and the unmappable kinds are Windows'
 * own (named and anonymous pipes, NUL, the console). */

/* What the test program does when run again by tw_run_self():
 *   write-file PATH OFFSET TEXT   map PATH for writing, copy TEXT in
 *   write-shm NAME OFFSET TEXT    open the shared memory NAME, copy TEXT in */
static int child_main(int argc, char **argv)
{
    mmf_map *c = NULL;
    int rc;
    if (argc != 5 || mmf_new(&c) != 0)
        return 10;
    if (strcmp(argv[1], "write-file") == 0) {
        mmf_options o = MMF_OPTIONS_INIT;
        o.access = MMF_ACCESS_WRITE;
        rc = mmf_open_path(c, argv[2], &o);
    } else if (strcmp(argv[1], "write-shm") == 0) {
        rc = mmf_open_shm(c, argv[2], NULL); /* like an unrelated process */
    } else {
        return 11;
    }
    if (rc == 0)
        rc = mmf_copy_in(c, strtoull(argv[3], NULL, 10), argv[4],
                         strlen(argv[4]));
    if (rc != 0)
        fprintf(stderr, "child %s: %s\n", argv[1], mmf_errmsg(c));
    mmf_free(c);
    return rc == 0 ? 0 : 12;
}

static void each_unmappable_kind_has_its_own_error_windows(void **state)
{
    (void)state;
    mmf_map *m = new_map();
    assert_int_equal(mmf_open_path(m, th_path("missing"), NULL), MMF_ENOENT);
    assert_non_null(strstr(mmf_errmsg(m), "missing"));
    assert_int_not_equal(mmf_os_error(m),
                         0); /* ENOENT or ERROR_FILE_NOT_FOUND */
    assert_int_equal(mmf_open_path(m, "", NULL), MMF_EINVAL);
    assert_int_equal(mmf_os_error(m), 0); /* the library's own check */
    assert_int_equal(mmf_open_path(m, th_tmpdir(), NULL), MMF_EISDIR);
    /* A named pipe, by its path (a FIFO's counterpart). */
    char pipe_name[64];
    snprintf(pipe_name, sizeof pipe_name, "\\\\.\\pipe\\mmf-test-%lu",
             (unsigned long)GetCurrentProcessId());
    HANDLE server = CreateNamedPipeA(pipe_name, PIPE_ACCESS_DUPLEX,
                                     PIPE_TYPE_BYTE, 1, 512, 512, 0, NULL);
    assert_true(server != INVALID_HANDLE_VALUE);
    assert_int_equal(mmf_open_path(m, pipe_name, NULL), MMF_EPIPE);
    assert_non_null(strstr(mmf_errmsg(m), "pipe"));
    CloseHandle(server);
    assert_int_equal(mmf_open_path(m, "NUL", NULL), MMF_EDEVICE);
    assert_non_null(strstr(mmf_errmsg(m), "character device"));
    /* An anonymous pipe as a CRT descriptor. */
    int fds[2];
    assert_int_equal(_pipe(fds, 512, _O_BINARY), 0);
    assert_int_equal(mmf_open_fd(m, fds[0], NULL), MMF_EPIPE);
    assert_int_equal(mmf_open_fd(m, fds[1], NULL), MMF_EPIPE);
    _close(fds[0]);
    _close(fds[1]);
    /* A directory as a descriptor: only a handle opened with
     * FILE_FLAG_BACKUP_SEMANTICS can be one. */
    HANDLE dh =
        CreateFileA(th_tmpdir(), GENERIC_READ,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    assert_true(dh != INVALID_HANDLE_VALUE);
    int dfd = _open_osfhandle((intptr_t)dh, _O_RDONLY);
    assert_true(dfd >= 0);
    assert_int_equal(mmf_open_fd(m, dfd, NULL), MMF_EISDIR);
    _close(dfd);
    assert_int_equal(mmf_open_fd(m, dfd, NULL), MMF_EBADF);
    assert_int_equal(mmf_open_fd(m, -1, NULL), MMF_EBADF);
    /* The console, where there is one (the POSIX test's /dev/tty). */
    HANDLE con = CreateFileA("CONOUT$", GENERIC_READ | GENERIC_WRITE,
                             FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                             OPEN_EXISTING, 0, NULL);
    if (con != INVALID_HANDLE_VALUE) {
        int cfd = _open_osfhandle((intptr_t)con, 0);
        assert_true(cfd >= 0);
        assert_int_equal(mmf_open_fd(m, cfd, NULL), MMF_EDEVICE);
        _close(cfd);
    }
    const char *empty = th_path("empty");
    th_write_file(empty, "", 0);
    assert_int_equal(mmf_open_path(m, empty, NULL), MMF_EEMPTY);
    assert_non_null(strstr(mmf_errmsg(m), "empty file"));
    assert_false(mmf_is_open(m));
    mmf_free(m);
}

/* Permission on Windows: a file another handle opened without sharing
 * write access cannot be opened for writing (the read-only attribute also
 * says no, except to Wine running as root, which ignores it as root
 * ignores mode bits). */
static void denied_write_access_is_eacces(void **state)
{
    (void)state;
    const char *p = th_path("readonly");
    th_write_file(p, "abc", 3);
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    HANDLE h = CreateFileA(p, GENERIC_READ, FILE_SHARE_READ, NULL,
                           OPEN_EXISTING, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    assert_int_equal(mmf_open_path(m, p, &o), MMF_EACCES);
    assert_non_null(strstr(mmf_errmsg(m), "CreateFileW"));
    assert_non_null(strstr(mmf_errmsg(m), "(error 32)"));
    CloseHandle(h);
    if (!tw_under_wine()) {
        assert_true(SetFileAttributesA(p, FILE_ATTRIBUTE_READONLY));
        int rc = mmf_open_path(m, p, &o);
        SetFileAttributesA(p, FILE_ATTRIBUTE_NORMAL);
        assert_int_equal(rc, MMF_EACCES);
        assert_non_null(strstr(mmf_errmsg(m), "(error 5)"));
    }
    assert_int_equal(mmf_open_path(m, p, NULL), 0); /* reading is fine */
    mmf_free(m);
}

/* The POSIX tests' fork-free part: growth keeps the data, and the size
 * is the map's. */
static void anonymous_map_grows_and_keeps_data(void **state)
{
    (void)state;
    mmf_map *m = new_map();
    assert_int_equal(mmf_open_anon(m, 8192, MMF_ANON_SHARED), 0);
    assert_int_equal(mmf_access_mode(m), MMF_ACCESS_WRITE);
    assert_int_equal(mmf_copy_in(m, 5000, "child", 5), 0);
    assert_int_equal(mmf_resize(m, 20000), 0);
    char got[5];
    assert_int_equal(mmf_copy_out(m, 5000, got, 5), 0);
    assert_memory_equal(got, "child", 5);
    assert_int_equal(mmf_copy_out(m, 19995, got, 5), 0);
    assert_memory_equal(got, "\0\0\0\0\0", 5);
    uint64_t size;
    assert_int_equal(mmf_file_size(m, &size), 0);
    assert_int_equal(size, 20000);
    assert_int_equal(mmf_resize(m, 5003), 0);
    assert_int_equal(mmf_copy_out(m, 5000, got, 3), 0);
    assert_memory_equal(got, "chi", 3);
    mmf_free(m);
}

static void anonymous_private_map_starts_zeroed(void **state)
{
    (void)state;
    mmf_map *m = new_map();
    assert_int_equal(mmf_open_anon(m, 4096, MMF_ANON_PRIVATE), 0);
    char got[5];
    assert_int_equal(mmf_copy_out(m, 0, got, 5), 0);
    assert_memory_equal(got, "\0\0\0\0\0", 5);
    assert_int_equal(mmf_copy_in(m, 0, "mine", 4), 0);
    assert_int_equal(mmf_flush(m, 0, 0, MMF_FLUSH_DURABLE), 0);
    mmf_free(m);
    m = new_map();
    assert_int_equal(mmf_open_anon(m, 0, MMF_ANON_SHARED), MMF_EINVAL);
    assert_int_equal(mmf_open_anon(m, 10, 5), MMF_EINVAL);
    assert_int_equal(mmf_open_anon(m, UINT64_MAX, MMF_ANON_SHARED), MMF_ENOMEM);
    mmf_free(m);
}

static void shared_file_map_child_process_write_seen_by_parent(void **state)
{
    (void)state;
    const char *p = th_path("shared.txt");
    th_write_file(p, seed_text, strlen(seed_text));
    mmf_map *m = open_path(p, MMF_ACCESS_WRITE, 0, 0, 0);
    DWORD code = 99;
    assert_int_equal(tw_run_self(&code, "write-file \"%s\" 0 MMAP", p), 0);
    assert_int_equal(code, 0);
    char got[4];
    assert_int_equal(mmf_copy_out(m, 0, got, 4), 0);
    assert_memory_equal(got, "MMAP", 4);
    mmf_free(m);
}

/* Names live as long as some handle to them: mmf_shm_unlink cannot take
 * one away (MMF_ENOTSUP), and the name is gone once the last map closes. */
static void named_shared_memory_between_processes_windows(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "/mmf-test-%lu",
             (unsigned long)GetCurrentProcessId());
    mmf_map *m = new_map();
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.flags = MMF_CREATE;
    o.length = 4096;
    assert_int_equal(mmf_open_shm(m, name, &o), 0);
    assert_int_equal(mmf_length(m), 4096);
    DWORD code = 99;
    assert_int_equal(tw_run_self(&code, "write-shm %s 100 shm!", name), 0);
    assert_int_equal(code, 0);
    char got[4];
    assert_int_equal(mmf_copy_out(m, 100, got, 4), 0);
    assert_memory_equal(got, "shm!", 4);
    /* A second map in this process sees it too, at the section's size. */
    mmf_map *other = new_map();
    assert_int_equal(mmf_open_shm(other, name, NULL), 0);
    assert_int_equal(mmf_length(other), 4096);
    assert_int_equal(mmf_copy_out(other, 100, got, 4), 0);
    assert_memory_equal(got, "shm!", 4);
    assert_int_equal(mmf_resize(other, 100), 0); /* shorter map, same section */
    assert_int_equal(mmf_resize(other, 8192), MMF_ENOTSUP);
    mmf_free(other);
    assert_int_equal(mmf_shm_unlink(name), MMF_ENOTSUP);
    mmf_free(m);
    m = new_map();
    assert_int_equal(mmf_open_shm(m, name, NULL), MMF_ENOENT);
    assert_int_equal(mmf_shm_unlink(name), MMF_ENOENT);
    assert_int_equal(mmf_open_shm(m, "", NULL), MMF_EINVAL);
    mmf_free(m);
}

/* Windows refuses to shrink a file while any view of it is mapped: the
 * map's own view is dropped before the cut, another map's is an error that
 * leaves everything as it was. */
static void another_open_map_keeps_the_file_from_shrinking(void **state)
{
    (void)state;
    const char *p = th_path("pinned.bin");
    char data[10000];
    th_fill(data, sizeof data, 21);
    th_write_file(p, data, sizeof data);
    mmf_map *m = open_path(p, MMF_ACCESS_WRITE, 0, 0, 0);
    mmf_map *other = open_path(p, MMF_ACCESS_READ, 0, 0, 0);
    assert_int_equal(mmf_resize(m, 100), MMF_EACCES);
    assert_non_null(strstr(mmf_errmsg(m), "cannot shrink a mapped file"));
    assert_int_equal(mmf_length(m), sizeof data);
    assert_int_equal(th_file_size(p), (long long)sizeof data);
    uint8_t b;
    assert_int_equal(mmf_get_byte(m, sizeof data - 1, &b), 0);
    assert_int_equal(b, (uint8_t)data[sizeof data - 1]);
    mmf_free(other);
    assert_int_equal(mmf_resize(m, 100), 0);
    assert_int_equal(th_file_size(p), 100);
    mmf_free(m);
}

/* Paths are UTF-8, whatever the ANSI code page. */
static void utf8_and_long_paths_open(void **state)
{
    (void)state;
    const char *p = th_path("d\xc3\xa9j\xc3\xa0-\xe2\x9c\x93.bin"); /* déjà-✓ */
    mmf_map *m = open_path(p, MMF_ACCESS_WRITE, 0, 10, MMF_CREATE | MMF_GROW);
    assert_int_equal(mmf_copy_in(m, 0, "utf8", 4), 0);
    mmf_free(m);
    wchar_t *wide = tw_widen(p);
    assert_non_null(wide);
    assert_true(GetFileAttributesW(wide) != INVALID_FILE_ATTRIBUTES);
    free(wide);
    /* Past MAX_PATH (260) characters only the \\?\ form opens. */
    char dir[600], file[900];
    snprintf(dir, sizeof dir, "%s\\%0200d", th_tmpdir(), 0);
    assert_true(CreateDirectoryA(dir, NULL));
    snprintf(file, sizeof file, "%s/%0100d.bin", dir, 7);
    assert_true(strlen(file) > MAX_PATH);
    m = open_path(file, MMF_ACCESS_WRITE, 0, 70000, MMF_CREATE | MMF_GROW);
    assert_int_equal(mmf_set_byte(m, 69999, 'L'), 0);
    mmf_free(m);
    m = open_path(file, MMF_ACCESS_READ, 0, 0, 0);
    uint8_t b;
    assert_int_equal(mmf_length(m), 70000);
    assert_int_equal(mmf_get_byte(m, 69999, &b), 0);
    assert_int_equal(b, 'L');
    mmf_free(m);
}
#endif /* _WIN32 */

static void advise_residency_lock_evict(void **state)
{
    (void)state;
    const char *p = th_path("advise.bin");
    char data[16 * 4096];
    th_fill(data, sizeof data, 11);
    th_write_file(p, data, sizeof data);
    mmf_map *m = open_path(p, MMF_ACCESS_WRITE, 10, 0, 0);
    for (int a = MMF_ADVICE_NORMAL; a <= MMF_ADVICE_POPULATE; a++)
        assert_int_equal(mmf_advise(m, 5, 9000, a), 0);
    assert_int_equal(mmf_advise(m, 0, 0, 99), MMF_EINVAL);
    assert_int_equal(mmf_advise(m, 0, mmf_length(m) + 1, 0), MMF_ERANGE);
    assert_int_equal(mmf_advise(m, UINT64_MAX, 2, 0), MMF_EOVERFLOW);
    uint64_t resident, total;
    assert_int_equal(mmf_advise(m, 0, 0, MMF_ADVICE_POPULATE), 0);
    assert_int_equal(mmf_residency(m, 0, 0, &resident, &total), 0);
    assert_int_equal(total, 16); /* bytes 10..65535 of the file: pages 0..15 */
    assert_true(resident >= 1 && resident <= total);
    assert_int_equal(mmf_lock(m, 0, 4096), 0);
    assert_int_equal(mmf_unlock(m, 0, 4096), 0);
    assert_int_equal(mmf_copy_in(m, 0, "dirty", 5), 0);
    assert_int_equal(mmf_evict(m, 0, 0), 0);
    char got[5];
    assert_int_equal(mmf_copy_out(m, 0, got, 5), 0);
    assert_memory_equal(got, "dirty", 5); /* evict never loses data */
    mmf_free(m);
    char buf[16];
    th_read_file(p, buf, sizeof buf);
    assert_memory_equal(buf + 10, "dirty", 5);
}

static void page_size_and_granularity(void **state)
{
    (void)state;
    assert_true(mmf_page_size() >= 4096);
    assert_int_equal(mmf_granularity() % mmf_page_size(), 0);
}

static void strerror_and_names_cover_every_code(void **state)
{
    (void)state;
    for (int c = 0; c >= MMF_EIO; c--) {
        assert_string_not_equal(mmf_strerror(c), "unknown error");
        assert_string_not_equal(mmf_err_name(c), "MMF_E?");
    }
    assert_string_equal(mmf_strerror(-999), "unknown error");
    assert_string_equal(mmf_err_name(MMF_EFAULT), "MMF_EFAULT");
    assert_string_equal(mmf_errmsg(NULL), "no object (NULL)");
}

int main(void)
{
#ifdef _WIN32
    int argc;
    char **argv = tw_child_args(&argc);
    if (argc > 1)
        return child_main(argc, argv);
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_example_changes_first_byte_and_flushes),
        cmocka_unit_test(read_map_refuses_writes_and_leaves_file),
        cmocka_unit_test(default_access_of_path_is_read_only),
        cmocka_unit_test(copy_on_write_never_reaches_file),
        cmocka_unit_test(unaligned_offset_maps_the_right_bytes),
        cmocka_unit_test(offset_at_or_past_end_is_an_error),
        cmocka_unit_test(bad_options_are_refused),
#ifndef _WIN32
        cmocka_unit_test(each_unmappable_kind_has_its_own_error),
        cmocka_unit_test(permission_denied_is_eacces),
#else
        cmocka_unit_test(each_unmappable_kind_has_its_own_error_windows),
        cmocka_unit_test(denied_write_access_is_eacces),
#endif
        cmocka_unit_test(descriptor_default_follows_open_mode),
        cmocka_unit_test(empty_file_opened_for_writing_can_grow),
        cmocka_unit_test(create_flag_makes_file_of_length),
        cmocka_unit_test(grow_flag_lets_writes_extend),
        cmocka_unit_test(close_is_idempotent_and_final),
        cmocka_unit_test(resize_both_ways_keeps_data),
        cmocka_unit_test(resize_with_offset_sizes_file_to_offset_plus_length),
        cmocka_unit_test(copy_on_write_file_map_cannot_resize),
        cmocka_unit_test(flush_ranges_need_not_be_aligned),
#ifndef _WIN32
        cmocka_unit_test(anonymous_shared_map_is_seen_by_parent_after_fork),
        cmocka_unit_test(anonymous_private_map_is_not_seen_by_parent),
        cmocka_unit_test(shared_file_map_child_write_seen_by_parent),
        cmocka_unit_test(named_shared_memory_between_processes),
#else
        cmocka_unit_test(anonymous_map_grows_and_keeps_data),
        cmocka_unit_test(anonymous_private_map_starts_zeroed),
        cmocka_unit_test(shared_file_map_child_process_write_seen_by_parent),
        cmocka_unit_test(named_shared_memory_between_processes_windows),
        cmocka_unit_test(another_open_map_keeps_the_file_from_shrinking),
        cmocka_unit_test(utf8_and_long_paths_open),
#endif
        cmocka_unit_test(advise_residency_lock_evict),
        cmocka_unit_test(page_size_and_granularity),
        cmocka_unit_test(strerror_and_names_cover_every_code),
#ifndef _WIN32
        cmocka_unit_test(device_with_mmap_maps_and_null_says_why),
        cmocka_unit_test(release_fd_closes_the_dup_and_keeps_the_bytes),
#endif
    };
    return cmocka_run_group_tests_name("map", tests, NULL, NULL);
}
