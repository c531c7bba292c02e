/* rel_pss.c - N processes that map one file read-only share its pages.
 *
 * Eight readers (fork) each map the same 64 MiB file with mmf_open_path
 * (MMF_ACCESS_READ) and touch every page through mmf_get_byte.  With all of
 * them holding their maps, the parent reads /proc/PID/smaps_rollup of each:
 * every reader has the whole file resident (Rss >= 64 MiB), but the sum of
 * their proportional set sizes (Pss) is close to one copy of the file, not
 * eight.  The figures for the file's own mapping (from /proc/PID/smaps) are
 * printed too.
 */
#include "rel.h"

#include <signal.h>

#define READERS 8
#define FILE_MIB 64
#define FILE_LEN ((uint64_t)FILE_MIB << 20)

/* The value in kB of `key` ("Pss:") in the text, or -1. */
static long long field_kb(const char *text, const char *key)
{
    const char *p = text;
    size_t klen = strlen(key);
    while ((p = strstr(p, key)) != NULL) {
        if (p == text || p[-1] == '\n')
            return atoll(p + klen);
        p += klen;
    }
    return -1;
}

static char *slurp_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    size_t got;
    while ((got = fread(b + n, 1, cap - 1 - n, f)) > 0) {
        n += got;
        if (n + 1 == cap)
            b = realloc(b, cap *= 2);
    }
    b[n] = '\0';
    fclose(f);
    return b;
}

/* Rss and Pss (kB) of the mapping of `file` in /proc/pid/smaps. */
static void mapping_kb(pid_t pid, const char *file, long long *rss,
                       long long *pss)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    char *t = slurp_text(path);
    *rss = *pss = -1;
    if (t == NULL)
        return;
    char *at = strstr(t, file);
    if (at != NULL) {
        *rss = field_kb(at, "Rss:");
        *pss = field_kb(at, "Pss:");
    }
    free(t);
}

static void readers_share_one_copy_of_the_file(void)
{
    const char *p = rel_path("shared-64MiB.bin");
    CHECK(rel_make(p, FILE_LEN, 17) == 0, "cannot make the file");
    int ready[2], go[2];
    CHECK(pipe(ready) == 0 && pipe(go) == 0, "pipe");
    pid_t kids[READERS];
    for (int i = 0; i < READERS; i++) {
        kids[i] = fork();
        CHECK(kids[i] >= 0, "fork");
        if (kids[i] == 0) {
            close(ready[0]);
            close(go[1]);
            mmf_map *m = rel_open(p, MMF_ACCESS_READ, 0, 0, 0);
            if (m == NULL)
                _exit(2);
            unsigned sum = 0;
            for (uint64_t off = 0; off < FILE_LEN; off += 4096) {
                uint8_t b;
                if (mmf_get_byte(m, off, &b) != 0 || b != rel_byte(off, 17))
                    _exit(3);
                sum += b;
            }
            char c = (char)sum;
            if (write(ready[1], &c, 1) != 1)
                _exit(4);
            /* hold the map until the parent has measured */
            (void)read(go[0], &c, 1);
            mmf_free(m);
            _exit(0);
        }
    }
    close(ready[1]);
    close(go[0]);
    int n_ready = 0;
    char c;
    while (n_ready < READERS && read(ready[0], &c, 1) == 1)
        n_ready++;
    long long sum_rss = 0, sum_pss = 0, sum_map_rss = 0, sum_map_pss = 0;
    int measured = 0;
    if (n_ready == READERS) {
        printf("  reader    Rss kB    Pss kB  (file mapping: Rss kB  Pss "
               "kB)\n");
        for (int i = 0; i < READERS; i++) {
            char path[64];
            snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)kids[i]);
            char *t = slurp_text(path);
            if (t == NULL)
                break;
            long long rss = field_kb(t, "Rss:"), pss = field_kb(t, "Pss:");
            free(t);
            long long mrss, mpss;
            mapping_kb(kids[i], "shared-64MiB.bin", &mrss, &mpss);
            printf("  %6d %9lld %9lld  %22lld %8lld\n", i + 1, rss, pss, mrss,
                   mpss);
            sum_rss += rss;
            sum_pss += pss;
            sum_map_rss += mrss;
            sum_map_pss += mpss;
            measured++;
        }
    }
    close(go[1]); /* let the readers go */
    int bad_exit = 0;
    for (int i = 0; i < READERS; i++) {
        int st;
        waitpid(kids[i], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad_exit++;
    }
    close(ready[0]);
    CHECK(bad_exit == 0, "%d readers failed to map or read the file", bad_exit);
    CHECK(measured == READERS, "could not read /proc/PID/smaps_rollup");
    const long long one_copy = FILE_MIB * 1024;
    printf("  sum     %9lld %9lld  %22lld %8lld\n", sum_rss, sum_pss,
           sum_map_rss, sum_map_pss);
    printf("  one copy of the file: %lld kB; %d private copies would be "
           "%lld kB; sum of Pss = %.2f copies\n",
           one_copy, READERS, READERS * one_copy,
           (double)sum_pss / (double)one_copy);
    CHECK(sum_map_rss >= READERS * one_copy * 99 / 100,
          "the readers did not all have the whole file resident "
          "(sum of mapping Rss %lld kB)",
          sum_map_rss);
    CHECK(sum_map_pss >= one_copy * 95 / 100 &&
              sum_map_pss <= one_copy * 105 / 100,
          "the mappings' Pss sum to %lld kB, not one copy (%lld kB)",
          sum_map_pss, one_copy);
    CHECK(sum_pss <= one_copy * 125 / 100,
          "the readers' Pss sum to %lld kB: more than one copy (%lld kB) "
          "plus 25%%",
          sum_pss, one_copy);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    rel_run("readers_share_one_copy_of_the_file",
            readers_share_one_copy_of_the_file);
    return rel_exit();
}
