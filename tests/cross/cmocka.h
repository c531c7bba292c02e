/*
 * cmocka.h - the cmocka stand-in of tests/windows/cmocka.h, plus named
 * exclusions, for the static cross builds of tests/cross/run.sh (aarch64
 * and s390x under qemu-user, musl natively).  Debian has no libcmocka for
 * those targets, so tests/test_*.c link against the header-only subset, as
 * the Windows and i686 builds do.
 *
 * Exclusions: MMF_EXCLUDE holds lines "test_name reason..." (the runner
 * takes them from tests/cross/exclusions.txt).  An excluded test is not
 * run; it is printed, with its reason, as
 *
 *     [ EXCLUDED ] fault_message_names_offset: qemu-user ...
 *
 * and counted on the summary line "[ EXCLUDED ] N test(s).".  The name
 * "*" excludes every test of the program, each printed the same way.  A
 * name that matches no test of the program is an error (a renamed test
 * must not leave a stale exclusion that silently excludes nothing): the
 * program then fails.
 */
#ifndef MMF_CROSS_CMOCKA_H
#define MMF_CROSS_CMOCKA_H

#include "../windows/cmocka.h"

/* The reason MMF_EXCLUDE gives for test `name` (or for "*"), or NULL;
 * copied into buf. */
static CMSHIM_UNUSED const char *cross_excluded(const char *name, char *buf,
                                                size_t cap)
{
    const char *p = getenv("MMF_EXCLUDE");
    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, '\n');
        size_t line = end != NULL ? (size_t)(end - p) : strlen(p);
        size_t word = strcspn(p, " \n");
        int hit = (word == 1 && p[0] == '*') ||
                  (word == strlen(name) && strncmp(p, name, word) == 0);
        if (hit && line > word) {
            size_t n = line - word - 1;
            if (n >= cap)
                n = cap - 1;
            memcpy(buf, p + word + 1, n);
            buf[n] = '\0';
            return buf;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

/* Every name in MMF_EXCLUDE must be a test of this program. */
static CMSHIM_UNUSED int cross_check_names(const struct CMUnitTest *tests,
                                           size_t count)
{
    const char *p = getenv("MMF_EXCLUDE");
    int stale = 0;
    while (p != NULL && *p != '\0') {
        size_t word = strcspn(p, " \n");
        int known = word == 1 && p[0] == '*';
        for (size_t i = 0; i < count && !known; i++)
            known = strlen(tests[i].name) == word &&
                    strncmp(tests[i].name, p, word) == 0;
        if (word > 0 && !known) {
            printf("[  ERROR   ] MMF_EXCLUDE names no test of this "
                   "program: %.*s\n",
                   (int)word, p);
            stale++;
        }
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return stale;
}

static CMSHIM_UNUSED int cross_run(const char *group,
                                   const struct CMUnitTest *tests, size_t count,
                                   CMFixtureFunction setup,
                                   CMFixtureFunction teardown)
{
    struct CMUnitTest *keep = calloc(count + 1, sizeof *keep);
    size_t kept = 0, excluded = 0;
    char reason[512];
    if (keep == NULL)
        return 1;
    setvbuf(stdout, NULL, _IONBF, 0);
    int stale = cross_check_names(tests, count);
    for (size_t i = 0; i < count; i++) {
        if (cross_excluded(tests[i].name, reason, sizeof reason) != NULL) {
            printf("[ EXCLUDED ] %s: %s\n", tests[i].name, reason);
            excluded++;
        } else {
            keep[kept++] = tests[i];
        }
    }
    int failed = cmshim_run(group, keep, kept, setup, teardown);
    if (excluded > 0)
        printf("[ EXCLUDED ] %zu test(s).\n", excluded);
    free(keep);
    return failed + stale;
}

/* cmocka's message printer (the Windows subset lacks it). */
#define print_message(...) printf(__VA_ARGS__)

#undef cmocka_run_group_tests_name
#define cmocka_run_group_tests_name(name, tests, setup, teardown)              \
    cross_run((name), (tests), sizeof(tests) / sizeof((tests)[0]), (setup),    \
              (teardown))

#endif /* MMF_CROSS_CMOCKA_H */
