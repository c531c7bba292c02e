/*
 * probe.c - the library's side of the huge-file tests (tests/bigfile/run.sh
 * and tests/i686/run.sh), for what the mmf tool does not show.
 *
 *   probe whole FILE
 *       Open FILE as a whole map, without MMF_WINDOW_FALLBACK, and print
 *       "whole: MMF_E...: message".  Exit 0 when that failed with
 *       MMF_ENOMEM (what the tests expect under an address-space limit),
 *       1 when it mapped or failed otherwise.
 *
 *   probe walk FILE PATTERN
 *       Open FILE with MMF_WINDOW_FALLBACK and check that it became
 *       windowed, then print every offset of PATTERN three ways: forward
 *       (mmf_find from the last match's end), backward (mmf_rfind with a
 *       shrinking end, printed in reverse so the lists compare equal) and
 *       the mmf_count total:
 *           windowed 1
 *           fallback message: <why the whole mapping failed>
 *           find 4294967293 5368721465
 *           rfind 4294967293 5368721465
 *           count 2
 *       Exit 0, or 1 on any library error (message printed).
 *
 * Only the public API, like any program using the library.
 */
#include "mmapfile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HITS 64

static int whole(const char *path)
{
    mmf_map *m;
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_READ;
    if (mmf_new(&m) != 0)
        return 1;
    int rc = mmf_open_path(m, path, &o);
    if (rc == 0)
        printf("whole: mapped %" PRIu64 " bytes (no address-space limit?)\n",
               mmf_length(m));
    else
        printf("whole: %s: %s\n", mmf_err_name(rc), mmf_errmsg(m));
    mmf_free(m);
    return rc == MMF_ENOMEM ? 0 : 1;
}

static int report(mmf_map *m, const char *what, int rc)
{
    fprintf(stderr, "probe: %s: %s: %s\n", what, mmf_err_name(rc),
            mmf_errmsg(m));
    mmf_free(m);
    return 1;
}

static int walk(const char *path, const char *pat)
{
    mmf_map *m;
    mmf_options o = MMF_OPTIONS_INIT;
    size_t plen = strlen(pat);
    uint64_t hits[MAX_HITS], pos, at, n = 0, count;
    int rc;

    o.access = MMF_ACCESS_READ;
    o.flags = MMF_WINDOW_FALLBACK;
    if (plen == 0 || mmf_new(&m) != 0)
        return 1;
    if ((rc = mmf_open_path(m, path, &o)) != 0)
        return report(m, "open", rc);
    printf("windowed %d\n", mmf_is_windowed(m));
    /* The fallback keeps the failed whole mapping's message; when the
     * length does not even fit in size_t nothing was tried and there is
     * none. */
    if (mmf_is_windowed(m))
        printf("fallback message: %s\n", mmf_errmsg(m)[0] != '\0'
                                             ? mmf_errmsg(m)
                                             : "(none: the length does not fit "
                                               "in size_t, nothing was tried)");

    printf("find");
    for (pos = 0;; pos = at + plen) {
        if ((rc = mmf_find(m, pat, plen, pos, MMF_END, &at)) != 0)
            return report(m, "find", rc);
        if (at == MMF_NOT_FOUND)
            break;
        printf(" %" PRIu64, at);
    }
    printf("\n");

    /* Backwards: each search ends where the last match began, which
     * finds the same non-overlapping set when matches cannot overlap
     * (the tests' patterns cannot). */
    for (pos = MMF_END; n < MAX_HITS; pos = at) {
        if ((rc = mmf_rfind(m, pat, plen, 0, pos, &at)) != 0)
            return report(m, "rfind", rc);
        if (at == MMF_NOT_FOUND)
            break;
        hits[n++] = at;
    }
    printf("rfind");
    while (n > 0)
        printf(" %" PRIu64, hits[--n]);
    printf("\n");

    if ((rc = mmf_count(m, pat, plen, 0, MMF_END, &count)) != 0)
        return report(m, "count", rc);
    printf("count %" PRIu64 "\n", count);
    mmf_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "whole") == 0)
        return whole(argv[2]);
    if (argc == 4 && strcmp(argv[1], "walk") == 0)
        return walk(argv[2], argv[3]);
    fprintf(stderr, "usage: probe whole FILE | probe walk FILE PATTERN\n");
    return 2;
}
