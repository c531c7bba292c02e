/*
 * cmocka.h - the part of cmocka's API that tests/test_*.c use, for the
 * Windows build (Debian has no cmocka for mingw).  Found before the real
 * one because tests/windows/CMakeLists.txt puts this folder first on the
 * include path; the POSIX build never sees it.
 *
 * Same names, same meaning, and output in cmocka's format, so that the
 * summary lines read the same on both systems:
 *
 *     [==========] map: Running 25 test(s).
 *     [ RUN      ] seed_example_changes_first_byte_and_flushes
 *     [       OK ] seed_example_changes_first_byte_and_flushes
 *     ...
 *     [==========] map: 25 test(s) run.
 *     [  PASSED  ] 25 test(s).
 *
 * A failed assertion leaves the test by longjmp, as cmocka does; a crash
 * (an exception nobody handles) is reported with the test's name and ends
 * the program, which the runner counts as a failure.
 */
#ifndef MMF_CMOCKA_SHIM_H
#define MMF_CMOCKA_SHIM_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#endif

#define CMSHIM_UNUSED __attribute__((unused))
#define CMSHIM_NORETURN __attribute__((noreturn))
#if defined(__MINGW32__)
#define CMSHIM_PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))
#else
#define CMSHIM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#endif

typedef void (*CMUnitTestFunction)(void **state);
typedef int (*CMFixtureFunction)(void **state);

struct CMUnitTest {
    const char *name;
    CMUnitTestFunction test_func;
    CMFixtureFunction setup_func;
    CMFixtureFunction teardown_func;
    void *initial_state;
};

#define cmocka_unit_test(f)                                                    \
    {                                                                          \
#f, f, NULL, NULL, NULL                                                \
    }
#define cmocka_unit_test_setup_teardown(f, s, t)                               \
    {                                                                          \
#f, f, s, t, NULL                                                      \
    }

enum { CMSHIM_OK, CMSHIM_FAILED, CMSHIM_SKIPPED };

static jmp_buf cmshim_env;
static const char *cmshim_test_name;

static CMSHIM_UNUSED CMSHIM_NORETURN void cmshim_leave(int status)
{
    fflush(stdout);
    longjmp(cmshim_env, status);
}

static CMSHIM_UNUSED CMSHIM_NORETURN CMSHIM_PRINTF(3, 4) void cmshim_fail(
    const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("[  ERROR   ] --- ");
    vprintf(fmt, ap);
    printf("\n[   LINE   ] --- %s:%d: error: Failure!\n", file, line);
    va_end(ap);
    cmshim_leave(CMSHIM_FAILED);
}

static CMSHIM_UNUSED void cmshim_int_equal(uintmax_t a, uintmax_t b, int want,
                                           const char *as, const char *bs,
                                           const char *file, int line)
{
    if ((a == b) != want)
        cmshim_fail(file, line, "%s (%jd, %#jx) %s %s (%jd, %#jx)", as,
                    (intmax_t)a, a, want ? "!=" : "==", bs, (intmax_t)b, b);
}

static CMSHIM_UNUSED void cmshim_ptr_equal(const void *a, const void *b,
                                           int want, const char *as,
                                           const char *bs, const char *file,
                                           int line)
{
    if ((a == b) != want)
        cmshim_fail(file, line, "%s (%p) %s %s (%p)", as, a,
                    want ? "!=" : "==", bs, b);
}

static CMSHIM_UNUSED void cmshim_truth(int value, int want, const char *expr,
                                       const char *file, int line)
{
    if ((value != 0) != want)
        cmshim_fail(file, line, "%s is %s", expr, want ? "false" : "true");
}

static CMSHIM_UNUSED void cmshim_memory_equal(const void *a, const void *b,
                                              size_t n, const char *as,
                                              const char *bs, const char *file,
                                              int line)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            cmshim_fail(file, line,
                        "%s and %s differ at byte %zu of %zu: 0x%02x != 0x%02x",
                        as, bs, i, n, x[i], y[i]);
}

static CMSHIM_UNUSED void cmshim_string_equal(const char *a, const char *b,
                                              int want, const char *file,
                                              int line)
{
    int same = a != NULL && b != NULL ? strcmp(a, b) == 0 : a == b;
    if (same != want)
        cmshim_fail(file, line, "\"%s\" %s \"%s\"", a ? a : "(null)",
                    want ? "!=" : "==", b ? b : "(null)");
}

#define assert_int_equal(a, b)                                                 \
    cmshim_int_equal((uintmax_t)(a), (uintmax_t)(b), 1, #a, #b, __FILE__,      \
                     __LINE__)
#define assert_int_not_equal(a, b)                                             \
    cmshim_int_equal((uintmax_t)(a), (uintmax_t)(b), 0, #a, #b, __FILE__,      \
                     __LINE__)
#define assert_ptr_equal(a, b)                                                 \
    cmshim_ptr_equal((const void *)(a), (const void *)(b), 1, #a, #b,          \
                     __FILE__, __LINE__)
#define assert_ptr_not_equal(a, b)                                             \
    cmshim_ptr_equal((const void *)(a), (const void *)(b), 0, #a, #b,          \
                     __FILE__, __LINE__)
#define assert_true(c) cmshim_truth(!!(c), 1, #c, __FILE__, __LINE__)
#define assert_false(c) cmshim_truth(!!(c), 0, #c, __FILE__, __LINE__)
#define assert_non_null(p)                                                     \
    cmshim_truth((const void *)(p) != NULL, 1, #p " != NULL", __FILE__,        \
                 __LINE__)
#define assert_null(p)                                                         \
    cmshim_truth((const void *)(p) == NULL, 1, #p " == NULL", __FILE__,        \
                 __LINE__)
#define assert_memory_equal(a, b, n)                                           \
    cmshim_memory_equal((a), (b), (size_t)(n), #a, #b, __FILE__, __LINE__)
#define assert_string_equal(a, b)                                              \
    cmshim_string_equal((a), (b), 1, __FILE__, __LINE__)
#define assert_string_not_equal(a, b)                                          \
    cmshim_string_equal((a), (b), 0, __FILE__, __LINE__)
#define fail_msg(...) cmshim_fail(__FILE__, __LINE__, __VA_ARGS__)
#define fail() cmshim_fail(__FILE__, __LINE__, "fail()")
#define skip() cmshim_leave(CMSHIM_SKIPPED)

#ifdef _WIN32
/* A crash inside a test: name it, then let the process end with the
 * exception's code, as an unhandled exception would. */
static CMSHIM_UNUSED LONG WINAPI cmshim_crashed(EXCEPTION_POINTERS *ep)
{
    printf("[  ERROR   ] --- %s: unhandled exception 0x%08lx at %p\n",
           cmshim_test_name ? cmshim_test_name : "(setup)",
           (unsigned long)ep->ExceptionRecord->ExceptionCode,
           ep->ExceptionRecord->ExceptionAddress);
    printf("[  FAILED  ] %s\n", cmshim_test_name ? cmshim_test_name : "");
    fflush(stdout);
    return EXCEPTION_EXECUTE_HANDLER;
}
#endif

/* One test, in a frame of its own for the jump back. */
static CMSHIM_UNUSED int cmshim_one(const struct CMUnitTest *t, void *state)
{
    int status = setjmp(cmshim_env);
    if (status != 0)
        return status;
    if (t->setup_func != NULL && t->setup_func(&state) != 0)
        cmshim_fail(__FILE__, __LINE__, "setup failed");
    t->test_func(&state);
    if (t->teardown_func != NULL && t->teardown_func(&state) != 0)
        cmshim_fail(__FILE__, __LINE__, "teardown failed");
    return CMSHIM_OK;
}

static CMSHIM_UNUSED int cmshim_run(const char *group,
                                    const struct CMUnitTest *tests,
                                    size_t count, CMFixtureFunction setup,
                                    CMFixtureFunction teardown)
{
    /* Unbuffered: the lines must reach the runner in order, also from a
     * test that crashes. */
    setvbuf(stdout, NULL, _IONBF, 0);
#ifdef _WIN32
    SetUnhandledExceptionFilter(cmshim_crashed);
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
#endif
    void *group_state = NULL;
    printf("[==========] %s: Running %zu test(s).\n", group, count);
    if (setup != NULL && setup(&group_state) != 0) {
        printf("[  ERROR   ] %s: group setup failed\n", group);
        return (int)count;
    }
    static const char *failed[1024], *skipped[1024];
    size_t nfailed = 0, nskipped = 0, npassed = 0;
    for (size_t i = 0; i < count; i++) {
        const struct CMUnitTest *t = &tests[i];
        void *state = t->initial_state != NULL ? t->initial_state : group_state;
        cmshim_test_name = t->name;
        printf("[ RUN      ] %s\n", t->name);
        int status = cmshim_one(t, state);
        if (status == CMSHIM_OK) {
            printf("[       OK ] %s\n", t->name);
            npassed++;
        } else if (status == CMSHIM_SKIPPED) {
            printf("[  SKIPPED ] %s\n", t->name);
            if (nskipped < 1024)
                skipped[nskipped] = t->name;
            nskipped++;
        } else {
            printf("[  FAILED  ] %s\n", t->name);
            if (nfailed < 1024)
                failed[nfailed] = t->name;
            nfailed++;
        }
    }
    cmshim_test_name = NULL;
    if (teardown != NULL)
        teardown(&group_state);
    printf("[==========] %s: %zu test(s) run.\n", group, count);
    printf("[  PASSED  ] %zu test(s).\n", npassed);
    if (nskipped > 0) {
        printf("[  SKIPPED ] %s: %zu test(s), listed below:\n", group,
               nskipped);
        for (size_t i = 0; i < nskipped && i < 1024; i++)
            printf("[  SKIPPED ] %s\n", skipped[i]);
    }
    if (nfailed > 0) {
        printf("[  FAILED  ] %s: %zu test(s), listed below:\n", group, nfailed);
        for (size_t i = 0; i < nfailed && i < 1024; i++)
            printf("[  FAILED  ] %s\n", failed[i]);
        printf("\n %zu FAILED TEST(S)\n", nfailed);
    }
    return (int)nfailed;
}

#define cmocka_run_group_tests_name(name, tests, setup, teardown)              \
    cmshim_run((name), (tests), sizeof(tests) / sizeof((tests)[0]), (setup),   \
               (teardown))
#define cmocka_run_group_tests(tests, setup, teardown)                         \
    cmocka_run_group_tests_name(#tests, tests, setup, teardown)

#endif /* MMF_CMOCKA_SHIM_H */
