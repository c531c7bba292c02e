/*
 * dump.c - `mmf dump FILE [OFFSET [LENGTH]]`: byte-for-byte the output of
 * `hexdump -C -s OFFSET -n LENGTH FILE`.
 *
 * hexdump's quirks reproduced here, as util-linux 2.38 prints them:
 *   - lines start at OFFSET, not at a multiple of 16;
 *   - a full line equal to the one before it is replaced by one "*" line
 *     for the whole run; a short last line is always printed;
 *   - after the data comes the offset just past it on a line of its own;
 *   - an OFFSET at or past the end of a non-empty file prints only the
 *     file's size as that offset line;
 *   - an empty file, or LENGTH 0, prints nothing at all.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_HELP 'h'
#define DUMP_CHUNK (64 * 1024) /* a multiple of 16: lines never straddle */

static const cli_opt dump_opts[] = {
    {"help", KEY_HELP, 0},
    {NULL, 0, 0},
};

static void dump_usage(FILE *f)
{
    fprintf(f, "usage: mmf dump FILE [OFFSET [LENGTH]]\n"
               "Hex dump of LENGTH bytes (default: to the end) from OFFSET "
               "(default 0),\nbyte-for-byte like hexdump -C -s OFFSET -n "
               "LENGTH FILE.  Numbers are decimal\nor 0x hex.\n");
}

typedef struct dump_state {
    unsigned char prev[16];
    int have_prev; /* prev holds the last full line */
    int starred;   /* a "*" stands for the lines since prev was printed */
} dump_state;

static void dump_line(dump_state *st, uint64_t addr, const unsigned char *p,
                      size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char line[96];
    size_t i, k;
    int w;

    if (n == 16 && st->have_prev && memcmp(p, st->prev, 16) == 0) {
        if (!st->starred)
            fputs("*\n", stdout);
        st->starred = 1;
        return;
    }
    st->starred = 0;
    if (n == 16) {
        memcpy(st->prev, p, 16);
        st->have_prev = 1;
    }
    w = snprintf(line, sizeof(line), "%08" PRIx64 "  ", addr);
    k = w > 0 ? (size_t)w : 0;
    for (i = 0; i < 16; i++) {
        if (i < n) {
            line[k++] = hex[p[i] >> 4];
            line[k++] = hex[p[i] & 15];
        } else {
            line[k++] = ' ';
            line[k++] = ' ';
        }
        line[k++] = ' ';
        if (i == 7)
            line[k++] = ' ';
    }
    line[k++] = ' ';
    line[k++] = '|';
    for (i = 0; i < n; i++)
        line[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
    line[k++] = '|';
    line[k++] = '\n';
    fwrite(line, 1, k, stdout);
}

/* Where dump_range gets its bytes: a map, or memory read with read(). */
typedef struct dump_src {
    mmf_map *m;               /* or NULL: */
    const unsigned char *mem; /* the whole file */
    uint64_t size;
} dump_src;

/* Copy n bytes at offset out of the source.  Returns 0 or -1 (error
 * printed). */
static int dump_fetch(const dump_src *src, const char *path, uint64_t offset,
                      unsigned char *buf, size_t n)
{
    int rc;

    if (src->m == NULL) {
        memcpy(buf, src->mem + offset, n); /* offset + n <= size */
        return 0;
    }
    rc = mmf_copy_out(src->m, offset, buf, n);
    if (rc != 0) {
        cli_error(path, "%s", cli_map_error(src->m, rc));
        return -1;
    }
    return 0;
}

/* Dump [offset, offset+len) of the source, which the caller has clamped
 * to it.  Returns 0 or -1 (error printed). */
static int dump_range(const dump_src *src, const char *path, uint64_t offset,
                      uint64_t len)
{
    unsigned char *buf = malloc(DUMP_CHUNK);
    dump_state st;
    uint64_t done = 0;
    int rc = 0;

    if (buf == NULL) {
        cli_error(path, "out of memory");
        return -1;
    }
    memset(&st, 0, sizeof(st));
    while (done < len) {
        size_t n = len - done < DUMP_CHUNK ? (size_t)(len - done) : DUMP_CHUNK;
        size_t i;

        if (dump_fetch(src, path, offset + done, buf, n) != 0) {
            rc = -1;
            break;
        }
        for (i = 0; i < n; i += 16)
            dump_line(&st, offset + done + i, buf + i, n - i < 16 ? n - i : 16);
        done += n;
        /* Stop early when the reader went away instead of formatting the
         * rest of a large file into a dead stream. */
        if (ferror(stdout)) {
            rc = -1;
            break;
        }
    }
    free(buf);
    if (rc == 0)
        printf("%08" PRIx64 "\n", offset + len);
    return rc;
}

/* hexdump's rules for OFFSET and LENGTH against the file's size. */
static int dump_source(const dump_src *src, const char *path, uint64_t offset,
                       uint64_t len)
{
    if (len == 0 || src->size == 0)
        return 0; /* hexdump prints nothing at all */
    if (offset >= src->size) {
        /* hexdump skips over the whole file and prints where it stopped. */
        printf("%08" PRIx64 "\n", src->size);
        return 0;
    }
    if (len > src->size - offset)
        len = src->size - offset;
    return dump_range(src, path, offset, len);
}

int cli_cmd_dump(int argc, char **argv, const cli_env *env)
{
    cli_scan s;
    const char *val, *path;
    int key, rc;
    uint64_t offset = 0, len = UINT64_MAX;
    mmf_map *m = NULL;
    dump_src src;
    unsigned char *mem = NULL;
    size_t memlen = 0;
    void *probe;

    (void)env;
    cli_scan_init(&s, argc, argv);
    while ((key = cli_next_opt(&s, dump_opts, &val)) != CLI_OPT_END) {
        if (key != KEY_HELP)
            return CLI_EXIT_ERROR;
        dump_usage(stdout);
        return cli_flush_stdout() == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    }
    if (s.noperands < 1 || s.noperands > 3) {
        cli_error("dump", "need FILE [OFFSET [LENGTH]]");
        dump_usage(stderr);
        return CLI_EXIT_ERROR;
    }
    path = argv[1];
    if (s.noperands >= 2 &&
        cli_parse_u64("dump", "OFFSET", argv[2], &offset) != 0)
        return CLI_EXIT_ERROR;
    if (s.noperands >= 3 && cli_parse_u64("dump", "LENGTH", argv[3], &len) != 0)
        return CLI_EXIT_ERROR;

    rc = cli_open(path, MMF_ACCESS_READ, MMF_WINDOW_FALLBACK, 1, &m);
    if (rc != 0 && !cli_needs_read(rc))
        return CLI_EXIT_ERROR;
    memset(&src, 0, sizeof(src));
    if (rc == 0) {
        src.m = m;
        src.size = mmf_length(m);
        /* A file system without mmap (sysfs) says so at the first access:
         * then the bytes come from read(), as hexdump gets them. */
        if (mmf_view(m, 0, 1, &probe) == MMF_ENOTSUP && !mmf_is_windowed(m)) {
            mmf_free(m);
            src.m = m = NULL;
            rc = MMF_ENOTSUP;
        }
    }
    if (rc != 0) {
        /* procfs reports a size of 0 and has content: read it. */
        if (cli_read_all(path, &mem, &memlen) != 0)
            return CLI_EXIT_ERROR;
        src.mem = mem;
        src.size = memlen;
    }
    rc = dump_source(&src, path, offset, len);
    mmf_free(m);
    free(mem);
    if (cli_flush_stdout() != 0)
        rc = -1;
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}
