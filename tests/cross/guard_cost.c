/*
 * guard_cost.c - the loop that tests/cross/guard_cost.sh counts the
 * instructions of under qemu-user: MODE is
 *   get   N calls of mmf_get_byte (the fault guard on every call)
 *   view  N plain loads through the pointer of mmf_view (no guard)
 * over a 64 KiB file.  The script runs each MODE at two values of N: the
 * difference, divided by the difference in N, is the cost of one
 * iteration, start-up and file set-up cancelling out.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmapfile.h"

#define LEN 65536u

int main(int argc, char **argv)
{
    if (argc != 3 ||
        (strcmp(argv[1], "get") != 0 && strcmp(argv[1], "view") != 0)) {
        fprintf(stderr, "usage: guard_cost get|view N\n");
        return 2;
    }
    int get = strcmp(argv[1], "get") == 0;
    unsigned long n = strtoul(argv[2], NULL, 10);
    char path[64];
    snprintf(path, sizeof path, "/tmp/mmf-guard-cost.%ld", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 1;
    for (unsigned i = 0; i < LEN; i++)
        fputc((int)(i * 7u), f);
    fclose(f);

    mmf_map *m = NULL;
    void *base = NULL;
    if (mmf_new(&m) != 0 || mmf_open_path(m, path, NULL) != 0 ||
        mmf_view(m, 0, LEN, &base) != 0) {
        fprintf(stderr, "guard_cost: %s\n", m ? mmf_errmsg(m) : "mmf_new");
        remove(path);
        return 1;
    }
    const volatile uint8_t *p = base;
    unsigned sum = 0;
    for (unsigned long i = 0; i < n; i++) {
        uint8_t b;
        if (get) {
            if (mmf_get_byte(m, i & (LEN - 1), &b) != 0)
                return 1;
        } else {
            b = p[i & (LEN - 1)];
        }
        sum += b;
    }
    printf("%u\n", sum);
    mmf_free(m);
    remove(path);
    return 0;
}
