/*
 * mmf.c - the mmf tool: main(), command dispatch and the helpers that the
 * commands share (option scanning, numbers, escapes, error messages).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv, const cli_env *env);
    const char *summary;
} cli_command;

static const cli_command commands[] = {
    {"bench", cli_cmd_bench, "time plain file I/O against mmapfile"},
    {"find", cli_cmd_find, "print the offsets of a byte pattern"},
    {"patch", cli_cmd_patch, "overwrite bytes of a file in place"},
    {"dump", cli_cmd_dump, "hex dump, byte-for-byte like hexdump -C"},
    {"stat", cli_cmd_stat, "size, pages and page-cache residency"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    size_t i;

    fprintf(f, "usage: mmf COMMAND [ARGS...]\n"
               "       mmf --help | --version\n\ncommands:\n");
    for (i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-7s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'mmf COMMAND --help' describes a command.  Exit status: 0 "
               "success, 1 no match (find), 2 error.\n");
}

int main(int argc, char **argv)
{
    cli_env env;
    size_t i;

    env.argv0 = argc > 0 ? argv[0] : "mmf";
    if (argc < 2) {
        fprintf(stderr, "mmf: no command given (try 'mmf --help')\n");
        return CLI_EXIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return cli_flush_stdout() == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("mmf %s\n", MMF_VERSION_STRING);
        return cli_flush_stdout() == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    }
    for (i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1, &env);

    if (argv[1][0] == '-')
        cli_error(argv[1], "unknown option (try 'mmf --help')");
    else
        cli_error(argv[1], "unknown command (try 'mmf --help')");
    return CLI_EXIT_ERROR;
}

/* --- option scanning ------------------------------------------------------ */

void cli_scan_init(cli_scan *s, int argc, char **argv)
{
    memset(s, 0, sizeof(*s));
    s->argc = argc;
    s->argv = argv;
    s->next = 1;
    s->cmd = argc > 0 ? argv[0] : "mmf";
}

static int looks_numeric(const char *arg)
{
    return arg[0] == '-' && arg[1] >= '0' && arg[1] <= '9';
}

static int take_value(cli_scan *s, const char *shown, const char *inline_val,
                      const char **value)
{
    if (inline_val != NULL) {
        *value = inline_val;
        return 0;
    }
    if (s->next >= s->argc) {
        cli_error(s->cmd, "option '%s' needs a value", shown);
        return -1;
    }
    *value = s->argv[s->next++];
    return 0;
}

static int scan_long(cli_scan *s, const cli_opt *opts, const char *arg,
                     const char **value)
{
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
    const cli_opt *o;

    for (o = opts; o->name != NULL || o->key != 0; o++) {
        if (o->name == NULL || strlen(o->name) != len ||
            strncmp(o->name, name, len) != 0)
            continue;
        if (!o->has_value && eq != NULL) {
            cli_error(s->cmd, "option '--%s' takes no value", o->name);
            return CLI_OPT_ERROR;
        }
        if (o->has_value &&
            take_value(s, arg, eq != NULL ? eq + 1 : NULL, value) != 0)
            return CLI_OPT_ERROR;
        return o->key;
    }
    cli_error(s->cmd, "unknown option '%s' (try 'mmf %s --help')", arg, s->cmd);
    return CLI_OPT_ERROR;
}

static int scan_short(cli_scan *s, const cli_opt *opts, const char **value)
{
    int c = (unsigned char)*s->short_pending++;
    const cli_opt *o;
    char shown[3] = {'-', (char)c, '\0'};

    for (o = opts; o->name != NULL || o->key != 0; o++) {
        if (o->key != c)
            continue;
        if (o->has_value) {
            const char *rest = *s->short_pending ? s->short_pending : NULL;
            s->short_pending = NULL;
            if (take_value(s, shown, rest, value) != 0)
                return CLI_OPT_ERROR;
        }
        if (s->short_pending != NULL && *s->short_pending == '\0')
            s->short_pending = NULL;
        return o->key;
    }
    cli_error(s->cmd, "unknown option '%s' (try 'mmf %s --help')", shown,
              s->cmd);
    return CLI_OPT_ERROR;
}

int cli_next_opt(cli_scan *s, const cli_opt *opts, const char **value)
{
    *value = NULL;
    if (s->short_pending != NULL)
        return scan_short(s, opts, value);
    while (s->next < s->argc) {
        char *arg = s->argv[s->next++];

        if (s->done || arg[0] != '-' || arg[1] == '\0' || looks_numeric(arg)) {
            /* Compacting in place keeps operands in order: the write index
             * never passes the read index. */
            s->argv[++s->noperands] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            s->done = 1;
            continue;
        }
        if (arg[1] == '-')
            return scan_long(s, opts, arg, value);
        s->short_pending = arg + 1;
        return scan_short(s, opts, value);
    }
    return CLI_OPT_END;
}

/* --- parsing -------------------------------------------------------------- */

static int digit_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Digits of `base` from *p; stops at the first non-digit.  strtoull is not
 * used because it accepts a sign and leading blanks ("-1" would become
 * 2^64-1, a huge offset instead of an error). */
static int parse_digits(const char **p, unsigned base, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = *p;
    int d;

    if (digit_value((unsigned char)*s) < 0 ||
        (unsigned)digit_value((unsigned char)*s) >= base)
        return -1;
    while ((d = digit_value((unsigned char)*s)) >= 0 && (unsigned)d < base) {
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return -2;
        v = v * base + (uint64_t)d;
        s++;
    }
    *p = s;
    *out = v;
    return 0;
}

static int number_prefix(const char *cmd, const char *what, const char *text,
                         const char **end, uint64_t *out)
{
    const char *p = text;
    unsigned base = 10;
    int rc;

    if (*p == '-') {
        cli_error(cmd, "bad %s '%s': must not be negative", what, text);
        return -1;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    rc = parse_digits(&p, base, out);
    if (rc == -2) {
        cli_error(cmd, "bad %s '%s': too large (the limit is %llu)", what, text,
                  (unsigned long long)UINT64_MAX);
        return -1;
    }
    if (rc != 0) {
        cli_error(cmd, "bad %s '%s': not a number", what, text);
        return -1;
    }
    *end = p;
    return 0;
}

int cli_parse_u64(const char *cmd, const char *what, const char *text,
                  uint64_t *out)
{
    const char *end;

    if (number_prefix(cmd, what, text, &end, out) != 0)
        return -1;
    if (*end != '\0') {
        cli_error(cmd, "bad %s '%s': not a number", what, text);
        return -1;
    }
    return 0;
}

int cli_parse_size(const char *cmd, const char *what, const char *text,
                   uint64_t *out)
{
    static const char suffixes[] = "kmgtpe";
    const char *end, *s;
    uint64_t v;
    unsigned shift = 0;

    if (number_prefix(cmd, what, text, &end, &v) != 0)
        return -1;
    if (*end != '\0') {
        const char *hit = strchr(suffixes, end[0] | 0x20);
        if (hit == NULL || end[0] == '\0') {
            cli_error(cmd, "bad %s '%s': use a number with K, M, G or T", what,
                      text);
            return -1;
        }
        shift = 10u * (unsigned)(hit - suffixes + 1);
        s = end + 1;
        /* "16M", "16MB", "16MiB": all binary, as dd and truncate read M. */
        if ((s[0] | 0x20) == 'i' && (s[1] | 0x20) == 'b')
            s += 2;
        else if ((s[0] | 0x20) == 'b')
            s += 1;
        if (*s != '\0') {
            cli_error(cmd, "bad %s '%s': use a number with K, M, G or T", what,
                      text);
            return -1;
        }
    }
    if (shift > 0 && v > (UINT64_MAX >> shift)) {
        cli_error(cmd, "bad %s '%s': too large", what, text);
        return -1;
    }
    *out = v << shift;
    return 0;
}

int cli_unescape(const char *cmd, const char *text, unsigned char **out,
                 size_t *outlen)
{
    size_t len = strlen(text), n = 0;
    const char *p = text;
    unsigned char *buf;

    /* The decoded form is never longer than the text; +1 so that an empty
     * text still gets a buffer to free. */
    buf = malloc(len + 1);
    if (buf == NULL) {
        cli_error(cmd, "out of memory");
        return -1;
    }
    while (*p != '\0') {
        int hi, lo;

        if (*p != '\\') {
            buf[n++] = (unsigned char)*p++;
            continue;
        }
        switch (p[1]) {
        case 'n':
            buf[n++] = '\n';
            p += 2;
            continue;
        case 't':
            buf[n++] = '\t';
            p += 2;
            continue;
        case 'r':
            buf[n++] = '\r';
            p += 2;
            continue;
        case '0':
            buf[n++] = '\0';
            p += 2;
            continue;
        case '\\':
            buf[n++] = '\\';
            p += 2;
            continue;
        case 'x':
            hi = digit_value((unsigned char)p[2]);
            lo = hi >= 0 ? digit_value((unsigned char)p[3]) : -1;
            if (lo >= 0) {
                buf[n++] = (unsigned char)(hi * 16 + lo);
                p += 4;
                continue;
            }
            cli_error(cmd, "bad escape in '%s': \\x needs two hex digits",
                      text);
            break;
        case '\0':
            cli_error(cmd,
                      "bad escape in '%s': trailing backslash (write "
                      "\\\\ for a backslash)",
                      text);
            break;
        default:
            cli_error(cmd,
                      "bad escape '\\%c' in '%s' (known: \\xHH \\n \\t "
                      "\\r \\0 \\\\)",
                      p[1], text);
            break;
        }
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = n;
    return 0;
}

/* --- reporting ------------------------------------------------------------ */

void cli_error(const char *subject, const char *fmt, ...)
{
    va_list ap;

    fflush(stdout); /* keep the order when both go to one terminal */
    fprintf(stderr, "mmf: %s: ", subject);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

const char *cli_map_error(const mmf_map *m, int code)
{
    const char *msg = m != NULL ? mmf_errmsg(m) : "";

    return msg[0] != '\0' ? msg : mmf_strerror(code);
}

/* The library's open messages may already start with "PATH: "; the tool
 * names the file itself, so drop the repeat. */
static const char *without_path(const char *msg, const char *path)
{
    size_t len = strlen(path);

    if (strncmp(msg, path, len) == 0 && msg[len] == ':' && msg[len + 1] == ' ')
        return msg + len + 2;
    return msg;
}

int cli_open(const char *path, int access, int flags, int quiet_empty,
             mmf_map **out)
{
    mmf_options opts = MMF_OPTIONS_INIT;
    mmf_map *m;
    int rc;

    *out = NULL;
    rc = mmf_new(&m);
    if (rc != 0) {
        cli_error(path, "%s", mmf_strerror(rc));
        return rc;
    }
    opts.access = access;
    opts.flags = flags;
    rc = mmf_open_path(m, path, &opts);
    if (rc != 0) {
        if (!(quiet_empty && rc == MMF_EEMPTY))
            cli_error(path, "%s", without_path(cli_map_error(m, rc), path));
        mmf_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int cli_flush_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("stdout", "%s", strerror(errno));
        return -1;
    }
    return 0;
}

int cli_needs_read(int code)
{
    return code == MMF_EEMPTY || code == MMF_ENOTSUP;
}

int cli_read_all(const char *path, unsigned char **buf, size_t *len)
{
    size_t cap = 64 * 1024, n = 0;
    unsigned char *b = malloc(cap);
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    *buf = NULL;
    *len = 0;
    if (b == NULL || fd < 0) {
        cli_error(path, "%s", b == NULL ? "out of memory" : strerror(errno));
        free(b);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    for (;;) {
        ssize_t r;
        if (n == cap) {
            unsigned char *nb =
                cap <= SIZE_MAX / 2 ? realloc(b, cap * 2) : NULL;
            if (nb == NULL) {
                cli_error(path, "out of memory");
                free(b);
                close(fd);
                return -1;
            }
            b = nb;
            cap *= 2;
        }
        r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            cli_error(path, "read: %s", strerror(errno));
            free(b);
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *buf = b;
    *len = n;
    return 0;
}
