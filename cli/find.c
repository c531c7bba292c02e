/*
 * find.c - `mmf find [-c] PATTERN FILE...`: the offsets of every
 * non-overlapping occurrence of a literal byte pattern, as FILE:OFFSET.
 *
 * The offsets are those of `grep -boaF` (where grep reports each match),
 * but the search is over the whole file, not line by line, so a pattern may
 * contain or span newlines.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_HELP 'h'
#define KEY_COUNT 'c'

static const cli_opt find_opts[] = {
    {"help", KEY_HELP, 0},
    {"count", KEY_COUNT, 0},
    {NULL, 0, 0},
};

static void find_usage(FILE *f)
{
    fprintf(f, "usage: mmf find [-c] PATTERN FILE...\n"
               "Print FILE:OFFSET for every non-overlapping occurrence of the "
               "literal bytes\nPATTERN, in offset order (the offsets of grep "
               "-boaF).\n"
               "  -c, --count  print FILE:COUNT instead\n"
               "PATTERN escapes: \\xHH \\n \\t \\r \\0 \\\\.  Start a PATTERN "
               "that begins with '-'\nafter '--'.  Exit status: 0 found, 1 "
               "none, 2 error.\n");
}

/* Print (or count) the matches in bytes read with read(): files a map
 * cannot show.  *found is set when there was at least one match. */
static void find_in_memory(const char *path, const unsigned char *hay,
                           size_t hlen, const unsigned char *pat, size_t plen,
                           int count_only, int *found)
{
    const unsigned char *p = hay, *end = hay + hlen, *hit;
    uint64_t n = 0;

    while ((size_t)(end - p) >= plen &&
           (hit = memmem(p, (size_t)(end - p), pat, plen)) != NULL) {
        n++;
        if (!count_only)
            printf("%s:%zu\n", path, (size_t)(hit - hay));
        p = hit + plen;
    }
    if (count_only)
        printf("%s:%" PRIu64 "\n", path, n);
    if (n > 0)
        *found = 1;
}

/* The file cannot be mapped (procfs reports a size of 0, sysfs has no
 * mmap): search what read() gives, as grep does, never "no match" for
 * bytes not looked at.  Returns 0 or -1 (error printed). */
static int find_by_read(const char *path, const unsigned char *pat, size_t plen,
                        int count_only, int *found)
{
    unsigned char *buf;
    size_t len;

    if (cli_read_all(path, &buf, &len) != 0)
        return -1;
    find_in_memory(path, buf, len, pat, plen, count_only, found);
    free(buf);
    return 0;
}

/* Search one file.  *found is set when there was at least one match.
 * Returns 0 or -1 (error printed). */
static int find_in_file(const char *path, const unsigned char *pat, size_t plen,
                        int count_only, int *found)
{
    mmf_map *m;
    uint64_t pos = 0, hit, n = 0;
    int rc;

    /* Read-only with the window fallback: a file larger than the address
     * space is searched window by window instead of failing to map. */
    rc = cli_open(path, MMF_ACCESS_READ, MMF_WINDOW_FALLBACK, 1, &m);
    if (cli_needs_read(rc))
        return find_by_read(path, pat, plen, count_only, found);
    if (rc != 0)
        return -1;

    if (count_only) {
        /* One call: the library counts a one-byte needle 16 bytes at a
         * time, where a find per match would pay a call per line. */
        rc = mmf_count(m, pat, plen, 0, MMF_END, &n);
    } else {
        for (;;) {
            rc = mmf_find(m, pat, plen, pos, MMF_END, &hit);
            if (rc != 0 || hit == MMF_NOT_FOUND)
                break;
            n++;
            printf("%s:%" PRIu64 "\n", path, hit);
            /* hit + plen cannot wrap: the match lies inside the map. */
            pos = hit + plen;
        }
    }
    if (rc != 0 && n == 0 && cli_needs_read(rc)) {
        /* Opened but not mappable (sysfs: a size, no mmap). */
        mmf_free(m);
        return find_by_read(path, pat, plen, count_only, found);
    }
    if (rc != 0) {
        cli_error(path, "%s", cli_map_error(m, rc));
        mmf_free(m);
        return -1;
    }
    if (count_only)
        printf("%s:%" PRIu64 "\n", path, n);
    if (n > 0)
        *found = 1;
    mmf_free(m);
    return 0;
}

int cli_cmd_find(int argc, char **argv, const cli_env *env)
{
    cli_scan s;
    const char *val;
    int key, count_only = 0, found = 0, failed = 0, i;
    unsigned char *pat;
    size_t plen;

    (void)env;
    cli_scan_init(&s, argc, argv);
    while ((key = cli_next_opt(&s, find_opts, &val)) != CLI_OPT_END) {
        switch (key) {
        case KEY_HELP:
            find_usage(stdout);
            return cli_flush_stdout() == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
        case KEY_COUNT:
            count_only = 1;
            break;
        default:
            return CLI_EXIT_ERROR;
        }
    }
    if (s.noperands < 2) {
        cli_error("find", "need a PATTERN and at least one FILE");
        find_usage(stderr);
        return CLI_EXIT_ERROR;
    }
    if (cli_unescape("find", argv[1], &pat, &plen) != 0)
        return CLI_EXIT_ERROR;
    if (plen == 0) {
        /* An empty pattern "matches" between every two bytes; no one wants
         * that list, and grep -o prints nothing for it either. */
        cli_error("find", "empty PATTERN");
        free(pat);
        return CLI_EXIT_ERROR;
    }
    for (i = 2; i <= s.noperands; i++)
        if (find_in_file(argv[i], pat, plen, count_only, &found) != 0)
            failed = 1;
    free(pat);
    if (cli_flush_stdout() != 0)
        failed = 1;
    /* grep's rule: trouble wins over a match. */
    if (failed)
        return CLI_EXIT_ERROR;
    return found ? CLI_EXIT_OK : CLI_EXIT_NOMATCH;
}
