/* rel.h - the small harness shared by the reliability programs.
 *
 * Each test is a function.  CHECK() ends the test with a reason; SKIP()
 * ends it as not run, with a reason that is printed loudly (a skipped test
 * is never reported as passed).  Every test prints one line:
 *     ok   name
 *     FAIL name: reason
 *     SKIP name: reason
 * and run.sh counts those lines.  The helpers make files, truncate them
 * from another process, and fill buffers with a known pattern. */
#ifndef MMF_REL_H
#define MMF_REL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmapfile.h"

static int rel_passed, rel_failed, rel_skipped;
static int rel_state; /* 0 running, 1 failed, 2 skipped */
static char rel_reason[600];

static inline void rel_note(int state, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void rel_note(int state, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel_reason, sizeof rel_reason, fmt, ap);
    va_end(ap);
    rel_state = state;
}

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            printf("  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);  \
            rel_note(1, __VA_ARGS__);                                          \
            return;                                                            \
        }                                                                      \
    } while (0)

/* rc must be want; the message of m is shown when it is not. */
#define CHECK_RC(m, rc, want)                                                  \
    do {                                                                       \
        int rc_ = (rc);                                                        \
        CHECK(rc_ == (want), "%s gave %s (%s), want %s", #rc,                  \
              mmf_err_name(rc_), mmf_errmsg(m), mmf_err_name(want));           \
    } while (0)

#define SKIP(...)                                                              \
    do {                                                                       \
        rel_note(2, __VA_ARGS__);                                              \
        return;                                                                \
    } while (0)

static inline void rel_run(const char *name, void (*fn)(void))
{
    rel_state = 0;
    rel_reason[0] = '\0';
    fflush(stdout);
    fn();
    if (rel_state == 1) {
        printf("FAIL %s: %s\n", name, rel_reason);
        rel_failed++;
    } else if (rel_state == 2) {
        printf("SKIP %s: %s\n", name, rel_reason);
        printf("     !!!!! %s DID NOT RUN: the property it checks is NOT "
               "verified on this machine !!!!!\n",
               name);
        rel_skipped++;
    } else {
        printf("ok   %s\n", name);
        rel_passed++;
    }
    fflush(stdout);
}

static inline int rel_exit(void)
{
    return rel_failed ? 1 : 0;
}

/* --- files -----------------------------------------------------------------
 */

static char rel_dir[512];

static inline void rel_rmdir(void)
{
    char cmd[600];
    if (rel_dir[0] == '\0')
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", rel_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", rel_dir);
}

/* A fresh directory for this program, removed at exit. */
static inline const char *rel_tmpdir(void)
{
    if (rel_dir[0] == '\0') {
        const char *base = getenv("TMPDIR");
        snprintf(rel_dir, sizeof rel_dir, "%s/mmf-rel-XXXXXX",
                 base != NULL ? base : "/tmp");
        if (mkdtemp(rel_dir) == NULL) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(rel_rmdir);
    }
    return rel_dir;
}

static inline const char *rel_path(const char *name)
{
    static char bufs[8][700];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 700, "%s/%s", rel_tmpdir(), name);
    return b;
}

/* Byte i of the pattern with this seed (cheap, position-dependent). */
static inline uint8_t rel_byte(uint64_t i, uint32_t seed)
{
    uint64_t x = (i + seed) * 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    return (uint8_t)(x | 1); /* never 0, so a zero byte means a hole */
}

static inline void rel_fill(void *buf, uint64_t from, size_t n, uint32_t seed)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++)
        p[i] = rel_byte(from + i, seed);
}

/* Make path a file of n pattern bytes. */
static inline int rel_make(const char *path, uint64_t n, uint32_t seed)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    static uint8_t chunk[1 << 16];
    for (uint64_t at = 0; at < n;) {
        size_t step = n - at < sizeof chunk ? (size_t)(n - at) : sizeof chunk;
        rel_fill(chunk, at, step, seed);
        if (pwrite(fd, chunk, step, (off_t)at) != (ssize_t)step) {
            close(fd);
            return -1;
        }
        at += step;
    }
    return close(fd);
}

static inline long long rel_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Truncate (or extend) path from a child process: "another process". */
static inline int rel_truncate_elsewhere(const char *path, uint64_t size)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(truncate(path, (off_t)size) == 0 ? 0 : 1);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static inline mmf_map *rel_open(const char *path, int access, int flags,
                                uint64_t offset, uint64_t window)
{
    mmf_map *m = NULL;
    if (mmf_new(&m) != 0)
        return NULL;
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = access;
    o.flags = flags;
    o.offset = offset;
    o.window_size = window;
    if (mmf_open_path(m, path, &o) != 0) {
        printf("  open %s: %s\n", path, mmf_errmsg(m));
        mmf_free(m);
        return NULL;
    }
    return m;
}

#endif /* MMF_REL_H */
