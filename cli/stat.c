/*
 * stat.c - `mmf stat FILE...`: size, pages and how many of them are in the
 * page cache right now (like `vmtouch FILE`).
 *
 * Looking does not change the answer: the map is read-only and no page is
 * touched; mmf_residency() asks the OS (mincore) instead of reading.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>

#define KEY_HELP 'h'

static const cli_opt stat_opts[] = {
    {"help", KEY_HELP, 0},
    {NULL, 0, 0},
};

static void stat_usage(FILE *f)
{
    fprintf(f, "usage: mmf stat FILE...\n"
               "Print each FILE's size, page size, number of pages and the "
               "pages resident in\nthe page cache (like vmtouch).\n");
}

/* "16.0 MiB": the unit a person reads at a glance. */
static void human_size(uint64_t bytes, char *buf, size_t cap)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB",
                                        "TiB",   "PiB", "EiB"};
    double v = (double)bytes;
    size_t u = 0;

    if (bytes < 1024) {
        snprintf(buf, cap, "%" PRIu64 " bytes", bytes);
        return;
    }
    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, cap, "%.1f %s", v, units[u]);
}

static void stat_print(const char *path, uint64_t size, size_t page,
                       uint64_t resident, uint64_t total)
{
    char hs[32], hr[32];
    uint64_t rbytes;
    double pct = total > 0 ? 100.0 * (double)resident / (double)total : 0.0;

    /* The last page may be partial: the resident size never exceeds the
     * file's. */
    rbytes = resident > UINT64_MAX / page ? UINT64_MAX : resident * page;
    if (rbytes > size)
        rbytes = size;
    human_size(size, hs, sizeof(hs));
    human_size(rbytes, hr, sizeof(hr));
    printf("%s\n"
           "  size:      %" PRIu64 " bytes (%s)\n"
           "  page size: %zu bytes\n"
           "  pages:     %" PRIu64 "\n"
           "  resident:  %" PRIu64 "/%" PRIu64 " pages (%s), %.1f%%\n",
           path, size, hs, page, total, resident, total, hr, pct);
}

/* Returns 0 or -1 (error printed). */
static int stat_file(const char *path)
{
    mmf_map *m;
    uint64_t resident = 0, total = 0;
    int rc;

    rc = cli_open(path, MMF_ACCESS_READ, MMF_WINDOW_FALLBACK, 1, &m);
    if (rc == MMF_EEMPTY) {
        /* An empty file cannot be mapped but has a perfectly good answer. */
        stat_print(path, 0, mmf_page_size(), 0, 0);
        return 0;
    }
    if (rc != 0)
        return -1;
    rc = mmf_residency(m, 0, 0, &resident, &total);
    if (rc != 0) {
        cli_error(path, "%s", cli_map_error(m, rc));
        mmf_free(m);
        return -1;
    }
    stat_print(path, mmf_length(m), mmf_page_size(), resident, total);
    mmf_free(m);
    return 0;
}

int cli_cmd_stat(int argc, char **argv, const cli_env *env)
{
    cli_scan s;
    const char *val;
    int key, i, failed = 0;

    (void)env;
    cli_scan_init(&s, argc, argv);
    while ((key = cli_next_opt(&s, stat_opts, &val)) != CLI_OPT_END) {
        if (key != KEY_HELP)
            return CLI_EXIT_ERROR;
        stat_usage(stdout);
        return cli_flush_stdout() == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    }
    if (s.noperands < 1) {
        cli_error("stat", "need at least one FILE");
        stat_usage(stderr);
        return CLI_EXIT_ERROR;
    }
    for (i = 1; i <= s.noperands; i++)
        if (stat_file(argv[i]) != 0)
            failed = 1;
    if (cli_flush_stdout() != 0)
        failed = 1;
    return failed ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}
