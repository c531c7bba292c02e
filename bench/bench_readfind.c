/*
 * bench_readfind.c - the plain-I/O twin of `mmf find -c`: count the
 * non-overlapping occurrences of a literal pattern with read() and glibc's
 * memmem, and print FILE:COUNT as `mmf find -c` does.
 *
 *     bench_readfind PATTERN FILE...
 *
 * It is the baseline bench_io times `mmf find -c` against as whole
 * processes, and a program anyone can time by hand:
 *
 *     hyperfine 'build/cli/mmf find -c mmapfile-needle! big.dat' \
 *               'build/bench/bench_readfind mmapfile-needle! big.dat'
 *
 * Written the way a careful C programmer would, so that the comparison is
 * with the best plain loop and not a strawman: a 1 MiB buffer that is
 * page-aligned (read() into a buffer 16 bytes off a page boundary, as
 * malloc returns, runs at half speed on the machines we measured: the
 * kernel's copy is slow for badly aligned destinations), and no copy of the
 * buffer between reads: the last PATTERN-1 bytes, where a match may
 * straddle two reads, are moved in front of the buffer, not the buffer to
 * them.  PATTERN is taken literally (no escapes).
 */
#ifdef _WIN32
/* The baseline is POSIX read() and glibc's memmem, as bench_io, which
 * runs it, is POSIX-only. */
#include <stdio.h>
int main(void)
{
    puts("bench_readfind: POSIX only; skipped");
    return 0;
}
#else
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IO_BUF (1024 * 1024)
#define PREFIX 4096 /* room for the straddle; keeps the read area aligned */

/* Count matches in one file.  Returns 0, or -1 with errno set. */
static int count_file(const char *path, const char *pat, size_t plen,
                      unsigned char *buf, uint64_t *count)
{
    unsigned char *area = buf + PREFIX;
    size_t carry = 0; /* bytes of the previous read kept before `area` */
    uint64_t n = 0;
    int fd = open(path, O_RDONLY);

    if (fd < 0)
        return -1;
    for (;;) {
        ssize_t r = read(fd, area, IO_BUF);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = errno;
            close(fd);
            errno = err;
            return -1;
        }
        if (r == 0)
            break;
        unsigned char *p = area - carry;
        unsigned char *end = area + r;
        unsigned char *q;
        while ((size_t)(end - p) >= plen &&
               (q = memmem(p, (size_t)(end - p), pat, plen)) != NULL) {
            n++;
            p = q + plen;
        }
        /* Keep what a straddling match could start in, but never the
         * inside of a match already counted. */
        size_t keep = plen - 1;
        if ((size_t)(end - p) < keep)
            keep = (size_t)(end - p);
        memmove(area - keep, end - keep, keep);
        carry = keep;
    }
    close(fd);
    *count = n;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_readfind PATTERN FILE...\n");
        return 2;
    }
    size_t plen = strlen(argv[1]);
    if (plen == 0 || plen > PREFIX) {
        fprintf(stderr, "bench_readfind: PATTERN must be 1 to %d bytes\n",
                PREFIX);
        return 2;
    }
    unsigned char *buf = aligned_alloc(4096, PREFIX + IO_BUF);
    if (buf == NULL) {
        fprintf(stderr, "bench_readfind: out of memory\n");
        return 2;
    }
    int status = 1;
    for (int i = 2; i < argc; i++) {
        uint64_t n;
        if (count_file(argv[i], argv[1], plen, buf, &n) != 0) {
            fprintf(stderr, "bench_readfind: %s: %s\n", argv[i],
                    strerror(errno));
            status = 2;
            continue;
        }
        printf("%s:%" PRIu64 "\n", argv[i], n);
        if (n > 0 && status == 1)
            status = 0;
    }
    free(buf);
    return status;
}

#endif /* _WIN32 */
