/* Test helpers: a private temp dir per test program, removed at exit. */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _WIN32
#include <direct.h>
#define th_mkdir(p) _mkdir(p)
#define O_BINARY_FLAG O_BINARY
#else
#define th_mkdir(p) mkdir(p, 0700)
#define O_BINARY_FLAG 0
#endif

static char tmpdir[512];

static void remove_tmpdir(void)
{
    char cmd[600];
    if (tmpdir[0] == '\0')
        return;
#ifdef _WIN32
    snprintf(cmd, sizeof cmd, "rmdir /s /q \"%s\" >nul 2>nul", tmpdir);
#else
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
#endif
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", tmpdir);
}

const char *th_tmpdir(void)
{
    if (tmpdir[0] == '\0') {
#ifndef _WIN32
        /* A test program run again by a test (test_guard_host's scenarios)
         * works in its parent's directory, which the parent removes. */
        const char *inherited = getenv("MMF_TEST_TMPDIR");
        if (inherited != NULL && inherited[0] != '\0' &&
            strlen(inherited) < sizeof tmpdir) {
            strcpy(tmpdir, inherited);
            return tmpdir;
        }
#endif
        const char *base = getenv("TMPDIR");
#ifdef _WIN32
        if (base == NULL)
            base = getenv("TEMP");
        if (base == NULL)
            base = ".";
        for (int i = 0; i < 1000; i++) {
            snprintf(tmpdir, sizeof tmpdir, "%s\\mmf-test-%d-%d", base,
                     (int)_getpid(), i);
            if (th_mkdir(tmpdir) == 0)
                break;
        }
#else
        if (base == NULL)
            base = "/tmp";
        snprintf(tmpdir, sizeof tmpdir, "%s/mmf-test-XXXXXX", base);
        if (mkdtemp(tmpdir) == NULL) {
            perror("mkdtemp");
            exit(2);
        }
        setenv("MMF_TEST_TMPDIR", tmpdir, 1);
#endif
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

#ifndef _WIN32
/* Made when the program starts, by the process that removes it at exit:
 * made lazily, the first th_path() of a forked child that then _exit()s
 * (or dies of the signal it tests) would leave it behind. */
__attribute__((constructor)) static void th_tmpdir_at_start(void)
{
    (void)th_tmpdir();
}
#endif

const char *th_path(const char *name)
{
    static char bufs[8][600];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 600, "%s/%s", th_tmpdir(), name);
    return b;
}

int th_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    if (n > 0 && fwrite(data, 1, n, f) != n) {
        fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

long th_read_file(const char *path, void *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    size_t got = fread(buf, 1, cap, f);
    fclose(f);
    return (long)got;
}

void th_fill(void *buf, size_t n, uint32_t seed)
{
    unsigned char *p = buf;
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
}

long long th_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long long)st.st_size;
}
