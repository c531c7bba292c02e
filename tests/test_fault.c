/* test_fault.c - the fault guard: a file truncated under a live map gives
 * MMF_EFAULT from every guarded call instead of SIGBUS; faults outside the
 * guard still reach the host's handler; durability across SIGKILL.
 * Regression for cpython#148650 (SIGBUS on truncation under mmap). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "mmapfile.h"

#define PAGES 16
#define SIZE (PAGES * 4096)

static mmf_map *open_truncated(const char *name, int access, int windowed)
{
    const char *p = th_path(name);
    char *data = malloc(SIZE);
    memset(data, 'q', SIZE);
    th_write_file(p, data, SIZE);
    free(data);
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = access;
    if (windowed) {
        o.flags = MMF_WINDOWED;
        o.window_size = 4 * 4096;
    }
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    /* Another process truncates the file to one page. */
    pid_t pid = fork();
    if (pid == 0)
        _exit(truncate(p, 4096) == 0 ? 0 : 1);
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    return m;
}

static void expect_fault(mmf_map *m, int rc, const char *at)
{
    assert_int_equal(rc, MMF_EFAULT);
    assert_non_null(strstr(mmf_errmsg(m), "shrank"));
    if (at != NULL && strstr(mmf_errmsg(m), at) == NULL)
        fail_msg("message '%s' does not name offset %s", mmf_errmsg(m), at);
}

static void every_guarded_call_reports_truncation(void **state)
{
    (void)state;
    for (int windowed = 0; windowed <= 1; windowed++) {
        mmf_map *m = open_truncated(windowed ? "trunc-w" : "trunc",
                                    MMF_ACCESS_WRITE, windowed);
        char buf[8192];
        uint8_t b;
        uint64_t pos;
        size_t n;
        expect_fault(m, mmf_get_byte(m, 5000, &b), "5000");
        expect_fault(m, mmf_set_byte(m, 8192, 1), "8192");
        expect_fault(m, mmf_copy_out(m, 4000, buf, 200), "4096");
        expect_fault(m, mmf_copy_in(m, 4096 * 3, buf, 10), "12288");
        expect_fault(m, mmf_find(m, "zz", 2, 0, MMF_END, &pos), NULL);
        expect_fault(m, mmf_rfind(m, "zz", 2, 0, MMF_END, &pos), NULL);
        expect_fault(m, mmf_count(m, "q", 1, 0, MMF_END, &pos), NULL);
        expect_fault(m, mmf_move(m, 0, 4096 * 2, 100), NULL);
        assert_int_equal(mmf_seek(m, 4096 * 2, MMF_SEEK_SET, NULL), 0);
        expect_fault(m, mmf_read(m, buf, 10, &n), "8192");
        expect_fault(m, mmf_read_byte(m, &b), "8192");
        expect_fault(m, mmf_readline(m, buf, 10, &n), NULL);
        expect_fault(m, mmf_write(m, "abc", 3), "8192");
        expect_fault(m, mmf_write_byte(m, 'x'), "8192");
        assert_int_equal(mmf_tell(m), 4096 * 2); /* failed calls do not move */
        /* The part that still exists keeps working. */
        assert_int_equal(mmf_get_byte(m, 4095, &b), 0);
        assert_int_equal(b, 'q');
        assert_int_equal(mmf_copy_in(m, 0, "ok", 2), 0);
        assert_int_equal(mmf_find(m, "q", 1, 0, 4096, &pos), 0);
        assert_int_equal(pos, 2);
        mmf_free(m);
    }
}

static void read_only_and_copy_maps_report_truncation(void **state)
{
    (void)state;
    mmf_map *m = open_truncated("trunc-ro", MMF_ACCESS_READ, 0);
    uint8_t b;
    expect_fault(m, mmf_get_byte(m, SIZE - 1, &b), NULL);
    mmf_free(m);
    m = open_truncated("trunc-cow", MMF_ACCESS_COPY, 0);
    expect_fault(m, mmf_set_byte(m, SIZE - 1, 1), NULL);
    mmf_free(m);
}

static void growth_under_map_is_invisible_until_resize(void **state)
{
    (void)state;
    const char *p = th_path("grows");
    th_write_file(p, "abc", 3);
    mmf_map *m = NULL;
    mmf_new(&m);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    int fd = open(p, O_WRONLY | O_APPEND);
    assert_int_equal(write(fd, "defg", 4), 4);
    close(fd);
    uint8_t b;
    assert_int_equal(mmf_get_byte(m, 3, &b), MMF_ERANGE);
    uint64_t size;
    assert_int_equal(mmf_file_size(m, &size), 0);
    assert_int_equal(size, 7);
    assert_int_equal(mmf_resize(m, size), 0);
    assert_int_equal(mmf_get_byte(m, 6, &b), 0);
    assert_int_equal(b, 'g');
    mmf_free(m);
}

static volatile sig_atomic_t host_handler_ran;
static sigjmp_buf host_jump;
static void host_handler(int sig)
{
    (void)sig;
    host_handler_ran = 1;
    siglongjmp(host_jump, 1);
}

static void faults_outside_the_guard_reach_the_host_handler(void **state)
{
    (void)state;
    /* The guard is installed when the first map opens (earlier tests did);
     * a host handler installed before it is chained to.  Run in a child so
     * the host handler comes first. */
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = host_handler;
        sigaction(SIGBUS, &sa, NULL);
        mmf_map *m = open_truncated("chain", MMF_ACCESS_READ, 0);
        uint8_t b;
        if (mmf_get_byte(m, SIZE - 1, &b) != MMF_EFAULT)
            _exit(2);
        if (host_handler_ran)
            _exit(3); /* guarded faults are ours alone */
        void *ptr;
        if (mmf_pointer(m, &ptr, NULL) != 0)
            _exit(4);
        if (sigsetjmp(host_jump, 1) == 0) {
            volatile char c = ((volatile char *)ptr)[SIZE - 1];
            (void)c;
            _exit(5); /* the raw pointer must fault */
        }
        _exit(host_handler_ran ? 0 : 6);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void unguarded_fault_without_host_handler_kills_with_sigbus(void **state)
{
    (void)state;
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGBUS, SIG_DFL); /* not the test framework's handler */
        mmf_map *m = open_truncated("kill", MMF_ACCESS_READ, 0);
        void *ptr;
        mmf_pointer(m, &ptr, NULL);
        volatile char c = ((volatile char *)ptr)[SIZE - 1];
        (void)c;
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGBUS);
}

static void *fault_in_thread(void *arg)
{
    mmf_map *m = arg;
    uintptr_t bad = 0;
    for (int i = 0; i < 2000; i++) {
        uint8_t b;
        if (mmf_get_byte(m, SIZE - 1 - (uint64_t)(i % 100), &b) != MMF_EFAULT)
            bad++;
        if (mmf_get_byte(m, (uint64_t)(i % 4096), &b) != 0 || b != 'q')
            bad++;
    }
    return (void *)bad;
}

static void threads_fault_independently(void **state)
{
    (void)state;
    mmf_map *m1 = open_truncated("thr1", MMF_ACCESS_READ, 0);
    mmf_map *m2 = open_truncated("thr2", MMF_ACCESS_READ, 0);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, fault_in_thread, m1);
    pthread_create(&t2, NULL, fault_in_thread, m2);
    void *r1, *r2;
    pthread_join(t1, &r1);
    pthread_join(t2, &r2);
    assert_int_equal((uintptr_t)r1, 0);
    assert_int_equal((uintptr_t)r2, 0);
    mmf_free(m1);
    mmf_free(m2);
}

static void durable_flush_survives_sigkill(void **state)
{
    (void)state;
    const char *p = th_path("durable");
    char zeros[3 * 4096] = {0};
    th_write_file(p, zeros, sizeof zeros);
    pid_t pid = fork();
    if (pid == 0) {
        mmf_map *m = NULL;
        mmf_options o = MMF_OPTIONS_INIT;
        o.access = MMF_ACCESS_WRITE;
        if (mmf_new(&m) != 0 || mmf_open_path(m, p, &o) != 0)
            _exit(1);
        char data[3 * 4096];
        th_fill(data, sizeof data, 77);
        if (mmf_copy_in(m, 0, data, sizeof data) != 0 ||
            mmf_flush(m, 0, 0, MMF_FLUSH_DURABLE) != 0)
            _exit(2);
        kill(getpid(), SIGKILL);
        _exit(3);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));
    char expect[3 * 4096], got[3 * 4096];
    th_fill(expect, sizeof expect, 77);
    int fd = open(p, O_RDONLY);
    assert_int_equal(read(fd, got, sizeof got), (ssize_t)sizeof got);
    close(fd);
    assert_memory_equal(got, expect, sizeof got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_guarded_call_reports_truncation),
        cmocka_unit_test(read_only_and_copy_maps_report_truncation),
        cmocka_unit_test(growth_under_map_is_invisible_until_resize),
        cmocka_unit_test(faults_outside_the_guard_reach_the_host_handler),
        cmocka_unit_test(unguarded_fault_without_host_handler_kills_with_sigbus),
        cmocka_unit_test(threads_fault_independently),
        cmocka_unit_test(durable_flush_survives_sigkill),
    };
    return cmocka_run_group_tests_name("fault", tests, NULL, NULL);
}
