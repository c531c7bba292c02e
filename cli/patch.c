/*
 * patch.c - `mmf patch [--grow] FILE OFFSET DATA`: overwrite bytes in place
 * through a write map, then make them durable.
 *
 * Everything that can be checked is checked before the first byte is
 * written, so a refused patch leaves the file byte-identical.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define KEY_HELP 'h'
#define KEY_GROW 'g'

static const cli_opt patch_opts[] = {
    {"help", KEY_HELP, 0},
    {"grow", KEY_GROW, 0},
    {NULL, 0, 0},
};

static void patch_usage(FILE *f)
{
    fprintf(f,
            "usage: mmf patch [--grow] FILE OFFSET DATA\n"
            "Write the bytes DATA at OFFSET of FILE in place and flush them "
            "to disk.\nOFFSET is decimal or 0x hex.  DATA escapes: \\xHH \\n "
            "\\t \\r \\0 \\\\.\n"
            "  -g, --grow  extend the file when DATA reaches past its end "
            "(a gap reads\n              as zeros); without it that is an "
            "error and the file is untouched\n");
}

/* Write data at offset of the open map m, growing it first if allowed.
 * Returns 0 or -1 (error printed). */
static int patch_map(mmf_map *m, const char *path, uint64_t offset,
                     const unsigned char *data, size_t len, int grow)
{
    uint64_t oldlen = mmf_length(m), end;
    int rc;

    if (offset > UINT64_MAX - len) {
        cli_error(path, "offset %" PRIu64 " + %zu bytes overflows", offset,
                  len);
        return -1;
    }
    end = offset + len;
    if (end > oldlen) {
        if (!grow) {
            cli_error(path,
                      "offset %" PRIu64 " + %zu bytes is past the end of "
                      "the file (%" PRIu64 " bytes); --grow extends it",
                      offset, len, oldlen);
            return -1;
        }
        rc = mmf_resize(m, end);
        if (rc != 0) {
            cli_error(path, "%s", cli_map_error(m, rc));
            return -1;
        }
    }
    rc = mmf_copy_in(m, offset, data, len);
    if (rc != 0) {
        cli_error(path, "%s", cli_map_error(m, rc));
        /* Undo our own growth so a failed patch does not leave a longer
         * file behind; best effort, the first error is the one to report. */
        if (end > oldlen)
            (void)mmf_resize(m, oldlen);
        return -1;
    }
    rc = mmf_flush(m, offset, len, MMF_FLUSH_DURABLE);
    if (rc != 0) {
        cli_error(path, "%s", cli_map_error(m, rc));
        return -1;
    }
    return 0;
}

int cli_cmd_patch(int argc, char **argv, const cli_env *env)
{
    cli_scan s;
    const char *val, *path;
    int key, grow = 0, rc;
    uint64_t offset;
    unsigned char *data;
    size_t len;
    mmf_map *m;

    (void)env;
    cli_scan_init(&s, argc, argv);
    while ((key = cli_next_opt(&s, patch_opts, &val)) != CLI_OPT_END) {
        switch (key) {
        case KEY_HELP:
            patch_usage(stdout);
            return cli_flush_stdout() == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
        case KEY_GROW:
            grow = 1;
            break;
        default:
            return CLI_EXIT_ERROR;
        }
    }
    if (s.noperands != 3) {
        cli_error("patch", "need FILE OFFSET DATA");
        patch_usage(stderr);
        return CLI_EXIT_ERROR;
    }
    path = argv[1];
    if (cli_parse_u64("patch", "OFFSET", argv[2], &offset) != 0)
        return CLI_EXIT_ERROR;
    if (cli_unescape("patch", argv[3], &data, &len) != 0)
        return CLI_EXIT_ERROR;
    if (len == 0) {
        cli_error("patch", "empty DATA: nothing to write");
        free(data);
        return CLI_EXIT_ERROR;
    }

    /* The window fallback lets a patch land anywhere in a file larger than
     * the address space; DATA comes from the command line, so it is far
     * smaller than one window. */
    rc = cli_open(path, MMF_ACCESS_WRITE, MMF_WINDOW_FALLBACK, 0, &m);
    if (rc != 0) {
        free(data);
        return CLI_EXIT_ERROR;
    }
    rc = patch_map(m, path, offset, data, len, grow);
    free(data);
    if (rc == 0 && (rc = mmf_close(m)) != 0) {
        cli_error(path, "%s", cli_map_error(m, rc));
        rc = -1;
    }
    mmf_free(m);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}
