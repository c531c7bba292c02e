/* test_fault.c - the fault guard: a file truncated under a live map gives
 * MMF_EFAULT from every guarded call instead of SIGBUS; faults outside the
 * guard still reach the host's handler; durability across SIGKILL.
 * Regression for cpython#148650 (SIGBUS on truncation under mmap). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <io.h>
#include <windows.h>

#include "spawn.h" /* tests/windows/: the second process, where POSIX forks */
#else
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "helpers.h"
#include "mmapfile.h"

#define PAGES 16
#define SIZE (PAGES * 4096)

#ifdef _WIN32
/* Windows refuses to shrink a file under a mapped view
 * (ERROR_USER_MAPPED_FILE), so "another process truncated the file" has no
 * Windows form.  Under Wine the file is cut from the Unix side, which
 * Windows' rules do not reach, and the page faults for real: Wine raises
 * EXCEPTION_ACCESS_VIOLATION for the SIGBUS.  Elsewhere, or with
 * lose_by_protect set, the pages past the first are made PAGE_NOACCESS:
 * touching them raises the same hardware exception on a mapped view. */
static int lose_by_protect;

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
        o.window_size = 4 * 4096; /* rounded up to 64 KiB: the whole file */
    }
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    /* The window is mapped now, while the file is whole: a window that
     * reached past the end of the file could not be mapped at all. */
    void *base;
    assert_int_equal(mmf_view(m, 0, 1, &base), 0);
    if (!lose_by_protect && tw_under_wine()) {
        assert_int_equal(tw_unix_truncate(p, 4096), 0);
    } else {
        DWORD old;
        assert_true(VirtualProtect((char *)base + 4096, SIZE - 4096,
                                   PAGE_NOACCESS, &old));
    }
    return m;
}
#else
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
#endif

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

#ifndef _WIN32
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
#endif

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

#ifndef _WIN32
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
#endif

#ifdef _WIN32
/* --- Windows counterparts of the POSIX-only tests above ----------------- */

/* The same checks on pages made PAGE_NOACCESS, also under Wine (where the
 * tests above cut the file for real). */
static void every_guarded_call_reports_lost_pages(void **state)
{
    lose_by_protect = 1;
    every_guarded_call_reports_truncation(state);
    read_only_and_copy_maps_report_truncation(state);
    lose_by_protect = 0;
}

/* A real in-page error (a network file gone, a failing disk) cannot be
 * made in a test, least of all under Wine.  A handler added before the
 * guard's rewrites the access violation on a lost page into
 * EXCEPTION_IN_PAGE_ERROR, as Windows would report it, and the guard must
 * take that too. */
static char *in_page_lo, *in_page_hi;
static volatile LONG in_page_made;

static LONG CALLBACK make_in_page_error(EXCEPTION_POINTERS *ep)
{
    EXCEPTION_RECORD *r = ep->ExceptionRecord;
    char *addr =
        r->NumberParameters >= 2 ? (char *)r->ExceptionInformation[1] : NULL;
    if (r->ExceptionCode == EXCEPTION_ACCESS_VIOLATION && addr >= in_page_lo &&
        addr < in_page_hi) {
        r->ExceptionCode = EXCEPTION_IN_PAGE_ERROR;
        r->NumberParameters = 3;
        r->ExceptionInformation[2] = (ULONG_PTR)0xC000009CUL; /* device error */
        InterlockedIncrement(&in_page_made);
    }
    return EXCEPTION_CONTINUE_SEARCH;
}

static void in_page_error_in_a_guarded_call_is_efault(void **state)
{
    (void)state;
    lose_by_protect = 1;
    mmf_map *m = open_truncated("inpage", MMF_ACCESS_READ, 0);
    lose_by_protect = 0;
    void *base;
    assert_int_equal(mmf_pointer(m, &base, NULL), 0);
    in_page_lo = (char *)base + 4096;
    in_page_hi = (char *)base + SIZE;
    void *h = AddVectoredExceptionHandler(1, make_in_page_error);
    assert_non_null(h);
    uint8_t b;
    char buf[300];
    expect_fault(m, mmf_get_byte(m, 5000, &b), "5000");
    expect_fault(m, mmf_copy_out(m, 4000, buf, 200), "4096");
    RemoveVectoredExceptionHandler(h);
    assert_int_equal(in_page_made, 2);
    assert_int_equal(mmf_get_byte(m, 100, &b), 0);
    assert_int_equal(b, 'q');
    mmf_free(m);
}

/* A host's handler, added after the guard's, sees the faults that are not
 * the guard's: here it makes the page readable again and the access is
 * retried. */
static char *host_page;
static volatile LONG host_handler_ran;

static LONG CALLBACK host_handler(EXCEPTION_POINTERS *ep)
{
    const EXCEPTION_RECORD *r = ep->ExceptionRecord;
    char *addr =
        r->NumberParameters >= 2 ? (char *)r->ExceptionInformation[1] : NULL;
    if (r->ExceptionCode != EXCEPTION_ACCESS_VIOLATION || addr < host_page ||
        addr >= host_page + 4096)
        return EXCEPTION_CONTINUE_SEARCH;
    host_handler_ran = 1;
    DWORD old;
    VirtualProtect(host_page, 4096, PAGE_READONLY, &old);
    return EXCEPTION_CONTINUE_EXECUTION;
}

static void faults_outside_the_guard_reach_a_host_veh(void **state)
{
    (void)state;
    lose_by_protect = 1;
    mmf_map *m = open_truncated("chain", MMF_ACCESS_READ, 0);
    lose_by_protect = 0;
    void *ptr;
    assert_int_equal(mmf_pointer(m, &ptr, NULL), 0);
    host_page = (char *)ptr + SIZE - 4096;
    void *h = AddVectoredExceptionHandler(0, host_handler);
    assert_non_null(h);
    uint8_t b;
    assert_int_equal(mmf_get_byte(m, SIZE - 1, &b), MMF_EFAULT);
    assert_false(host_handler_ran); /* guarded faults are ours alone */
    volatile char c = ((volatile char *)ptr)[SIZE - 1]; /* the raw pointer */
    RemoveVectoredExceptionHandler(h);
    assert_true(host_handler_ran);
    assert_int_equal(c, 'q');
    mmf_free(m);
}

static LONG WINAPI end_quietly(EXCEPTION_POINTERS *ep)
{
    (void)ep;
    return EXCEPTION_EXECUTE_HANDLER;
}

/* What the test program does when run again by tw_run_self().  It exits
 * with 0 only when something that should have ended it did not. */
static int child_main(int argc, char **argv)
{
    /* The crash the parent waits for ends the process with the exception's
     * code: no error box, no debugger (Wine would start winedbg). */
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
    SetUnhandledExceptionFilter(end_quietly);
    mmf_map *m = NULL;
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    if (argc != 3 || mmf_new(&m) != 0 || mmf_open_path(m, argv[2], &o) != 0)
        return 10;
    void *ptr;
    DWORD old;
    uint8_t b;
    if (mmf_pointer(m, &ptr, NULL) != 0)
        return 11;
    if (strcmp(argv[1], "durable") == 0) {
        char data[3 * 4096];
        th_fill(data, sizeof data, 77);
        if (mmf_copy_in(m, 0, data, sizeof data) != 0 ||
            mmf_flush(m, 0, 0, MMF_FLUSH_DURABLE) != 0)
            return 12;
        TerminateProcess(GetCurrentProcess(), 9); /* SIGKILL's counterpart */
        return 13;
    }
    if (!VirtualProtect((char *)ptr + 4096, 4096, PAGE_NOACCESS, &old))
        return 14;
    if (mmf_get_byte(m, 4096, &b) != MMF_EFAULT)
        return 15; /* guarded: an error, not a crash */
    if (strcmp(argv[1], "touch-lost") == 0) {
        volatile char c = ((volatile char *)ptr)[4096]; /* unguarded */
        (void)c;
        return 16;
    }
    if (strcmp(argv[1], "bad-buffer") == 0) {
        /* The caller's own bad pointer is no lost page of a map. */
        mmf_copy_out(m, 0, (void *)(uintptr_t)64, 16);
        return 17;
    }
    return 18;
}

static void unguarded_fault_ends_the_process_windows(void **state)
{
    (void)state;
    const char *p = th_path("kill");
    char data[3 * 4096];
    memset(data, 'k', sizeof data);
    th_write_file(p, data, sizeof data);
    DWORD code = 0;
    assert_int_equal(tw_run_self(&code, "touch-lost \"%s\"", p), 0);
    assert_int_equal(code, EXCEPTION_ACCESS_VIOLATION);
}

/* The guard catches faults on mapped views only: an invalid buffer of the
 * caller's crashes as it would without the library. */
static void bad_caller_buffer_is_not_swallowed_by_the_guard(void **state)
{
    (void)state;
    const char *p = th_path("badbuf");
    char data[3 * 4096];
    memset(data, 'b', sizeof data);
    th_write_file(p, data, sizeof data);
    DWORD code = 0;
    assert_int_equal(tw_run_self(&code, "bad-buffer \"%s\"", p), 0);
    assert_int_equal(code, EXCEPTION_ACCESS_VIOLATION);
}

static DWORD WINAPI fault_thread(void *arg)
{
    return (DWORD)(uintptr_t)fault_in_thread(arg);
}

static void threads_fault_independently_windows(void **state)
{
    (void)state;
    mmf_map *m1 = open_truncated("thr1", MMF_ACCESS_READ, 0);
    mmf_map *m2 = open_truncated("thr2", MMF_ACCESS_READ, 0);
    HANDLE t1 = CreateThread(NULL, 0, fault_thread, m1, 0, NULL);
    HANDLE t2 = CreateThread(NULL, 0, fault_thread, m2, 0, NULL);
    assert_non_null(t1);
    assert_non_null(t2);
    DWORD r1 = 1, r2 = 1;
    WaitForSingleObject(t1, INFINITE);
    WaitForSingleObject(t2, INFINITE);
    GetExitCodeThread(t1, &r1);
    GetExitCodeThread(t2, &r2);
    CloseHandle(t1);
    CloseHandle(t2);
    assert_int_equal(r1, 0);
    assert_int_equal(r2, 0);
    mmf_free(m1);
    mmf_free(m2);
}

static void durable_flush_survives_terminate_process(void **state)
{
    (void)state;
    const char *p = th_path("durable");
    char zeros[3 * 4096] = {0};
    th_write_file(p, zeros, sizeof zeros);
    DWORD code = 0;
    assert_int_equal(tw_run_self(&code, "durable \"%s\"", p), 0);
    assert_int_equal(code, 9);
    char expect[3 * 4096], got[3 * 4096];
    th_fill(expect, sizeof expect, 77);
    assert_int_equal(th_read_file(p, got, sizeof got), (long)sizeof got);
    assert_memory_equal(got, expect, sizeof got);
}
#endif /* _WIN32 */

int main(void)
{
#ifdef _WIN32
    int argc;
    char **argv = tw_child_args(&argc);
    if (argc > 1)
        return child_main(argc, argv);
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_guarded_call_reports_truncation),
        cmocka_unit_test(read_only_and_copy_maps_report_truncation),
        cmocka_unit_test(growth_under_map_is_invisible_until_resize),
#ifndef _WIN32
        cmocka_unit_test(faults_outside_the_guard_reach_the_host_handler),
        cmocka_unit_test(
            unguarded_fault_without_host_handler_kills_with_sigbus),
        cmocka_unit_test(threads_fault_independently),
        cmocka_unit_test(durable_flush_survives_sigkill),
#else
        cmocka_unit_test(every_guarded_call_reports_lost_pages),
        cmocka_unit_test(in_page_error_in_a_guarded_call_is_efault),
        cmocka_unit_test(faults_outside_the_guard_reach_a_host_veh),
        cmocka_unit_test(unguarded_fault_ends_the_process_windows),
        cmocka_unit_test(bad_caller_buffer_is_not_swallowed_by_the_guard),
        cmocka_unit_test(threads_fault_independently_windows),
        cmocka_unit_test(durable_flush_survives_terminate_process),
#endif
    };
    return cmocka_run_group_tests_name("fault", tests, NULL, NULL);
}
