/*
 * cli.h - what the mmf commands share: exit codes, option scanning, number
 * and escape parsing, error reporting.
 *
 * Each command lives in its own file (bench.c, find.c, patch.c, dump.c,
 * stat.c) and is reached only through its cli_cmd_* entry point; mmf.c
 * holds main() and the helpers below.  Commands use only the public API of
 * mmapfile.h, like any other program would.
 */
#ifndef MMF_CLI_H
#define MMF_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "mmapfile.h"

/* Exit codes follow grep and cmp, so that scripts can tell "nothing found"
 * from "something went wrong": 1 is only ever "no match" (mmf find). */
#define CLI_EXIT_OK 0
#define CLI_EXIT_NOMATCH 1
#define CLI_EXIT_ERROR 2

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* What main() knows that a command may need. */
typedef struct cli_env {
    const char *argv0; /* argv[0] of the process, for finding its directory */
} cli_env;

/* Every command: argv[0] is the command's name ("find"), argv[1..] its
 * arguments.  Returns the process exit code. */
int cli_cmd_bench(int argc, char **argv, const cli_env *env);
int cli_cmd_find(int argc, char **argv, const cli_env *env);
int cli_cmd_patch(int argc, char **argv, const cli_env *env);
int cli_cmd_dump(int argc, char **argv, const cli_env *env);
int cli_cmd_stat(int argc, char **argv, const cli_env *env);

/* --- option scanning ------------------------------------------------------
 *
 * getopt() would take "mmf patch FILE -5 x" for an unknown option "-5" and
 * report that instead of the negative offset the user typed, so the
 * commands scan their arguments with this small loop: options may appear
 * anywhere, "--" ends them, and a word that starts with "-" and a digit is
 * an operand (a number) that the command itself then judges.
 */
typedef struct cli_opt {
    const char *name; /* long name without "--", e.g. "size" */
    int key;          /* returned by cli_next_opt; also the short letter
                         when it is a printable character */
    int has_value;    /* 1: "--size 16M", "--size=16M" and "-s 16M" */
} cli_opt;

typedef struct cli_scan {
    int argc;
    char **argv;
    int next;      /* next argv index to look at */
    int noperands; /* operands are compacted into argv[1..noperands] */
    int done;      /* "--" seen: everything else is an operand */
    const char *short_pending; /* rest of a "-abc" cluster */
    const char *cmd;           /* command name for messages */
} cli_scan;

#define CLI_OPT_END 0    /* no more options; operands are in place */
#define CLI_OPT_ERROR -1 /* bad option, message already printed */

void cli_scan_init(cli_scan *s, int argc, char **argv);

/* The next option's key, CLI_OPT_END or CLI_OPT_ERROR.  *value receives the
 * option's argument for has_value options.  After CLI_OPT_END, the
 * operands are argv[1 .. s->noperands] in their original order. */
int cli_next_opt(cli_scan *s, const cli_opt *opts, const char **value);

/* --- parsing -------------------------------------------------------------- */

/* A file offset or length: decimal or 0x hexadecimal, no sign, no
 * suffix.  Returns 0, or -1 after printing "mmf: CMD: bad WHAT 'TEXT': ...". */
int cli_parse_u64(const char *cmd, const char *what, const char *text,
                  uint64_t *out);

/* A size with an optional binary suffix: 4096, 16K, 16M, 1G, 2T (also
 * "16MiB", "16MB", lower case).  Returns 0 or -1 after printing. */
int cli_parse_size(const char *cmd, const char *what, const char *text,
                   uint64_t *out);

/* Decode the escapes \xHH, \n, \t, \r, \0, \\ of `text` into a malloc'd
 * buffer (*out, *outlen; never NUL-terminated on purpose: the bytes may
 * contain NUL).  Returns 0 or -1 after printing. */
int cli_unescape(const char *cmd, const char *text, unsigned char **out,
                 size_t *outlen);

/* --- reporting ------------------------------------------------------------ */

/* "mmf: SUBJECT: message\n" on stderr.  SUBJECT is usually a file name. */
void cli_error(const char *subject, const char *fmt, ...) CLI_PRINTF(2, 3);

/* The library's message for a failed call on m, or the code's description
 * when the object could not record one. */
const char *cli_map_error(const mmf_map *m, int code);

/* Open `path` with `access` and `flags` into a new object.  On failure
 * prints "mmf: PATH: reason", frees the object and returns the MMF_E*
 * code; *out is then NULL.  MMF_EEMPTY is returned without a message when
 * quiet_empty is set, because find and dump treat empty files as data. */
int cli_open(const char *path, int access, int flags, int quiet_empty,
             mmf_map **out);

/* Flush stdout and report a write error (full disk, closed pipe) as
 * "mmf: stdout: reason".  Returns 0 or -1. */
int cli_flush_stdout(void);

/* Read the whole file at `path` with read(), for files a map cannot show:
 * procfs and sysfs files report a size of 0 (or a page) and produce their
 * content when read, as grep and hexdump see it.  *buf (malloc'ed, to
 * free) and *len receive the bytes.  Returns 0 or -1 (error printed). */
int cli_read_all(const char *path, unsigned char **buf, size_t *len);

/* 1 if an open or a search failed because the file cannot be mapped
 * (MMF_EEMPTY: a size of 0, which procfs reports; MMF_ENOTSUP: a file
 * system without mmap, as sysfs): the caller then reads it with read(). */
int cli_needs_read(int code);

#endif /* MMF_CLI_H */
