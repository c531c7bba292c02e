/* Shared helpers of the unit tests: temp files with known contents. */
#ifndef MMF_TEST_HELPERS_H
#define MMF_TEST_HELPERS_H
#include <stddef.h>
#include <stdint.h>

/* A fresh directory for this test program (removed at exit). */
const char *th_tmpdir(void);
/* A path inside th_tmpdir(); static buffer rotated among 8. */
const char *th_path(const char *name);
/* Write n bytes to path (created/truncated). Returns 0 or -1. */
int th_write_file(const char *path, const void *data, size_t n);
/* Read up to cap bytes of path into buf; returns the count or -1. */
long th_read_file(const char *path, void *buf, size_t cap);
/* Fill buf with a deterministic pattern from seed. */
void th_fill(void *buf, size_t n, uint32_t seed);
/* File size or -1. */
long long th_file_size(const char *path);
#endif
