/* append_log.c - a log writer on a map that grows without moving.
 *
 *     append_log LOGFILE [MESSAGE...]
 *
 * Appends each MESSAGE (or, without any, each line of standard input) to
 * LOGFILE as one line, creating the file if needed, then prints how many
 * records it wrote and how long the log is.
 *
 * The map holds a reservation of address space (mmf_options.reserve), so
 * it grows in place: the pointer taken once at open stays valid for the
 * whole run, and appending a record is a memcpy.  The file grows in steps
 * of STEP bytes (one mmf_resize per step, not one system call per record,
 * which is what makes this faster than write() per record); at the end it
 * is cut back to the last record and made durable.  A writer that dies
 * between two steps leaves zeros after its last record: the next one
 * starts after the last newline, so the log stays a sequence of lines.
 * Built against the installed library by tests/install/run.sh. */
#include <stdio.h>
#include <string.h>

#include <mmapfile.h>

#define STEP ((uint64_t)1 << 20)

/* Where the next record goes: after the last newline (the tail past it is
 * a step's zeros, or a record cut short by a crash). */
static int log_end(mmf_map *m, uint64_t *end)
{
    uint64_t pos;
    *end = 0;
    if (mmf_length(m) == 0)
        return 0;
    int rc = mmf_rfind(m, "\n", 1, 0, MMF_END, &pos);
    if (rc == 0 && pos != MMF_NOT_FOUND)
        *end = pos + 1;
    return rc;
}

typedef struct log_writer {
    mmf_map *m;
    char *base;   /* map byte 0: never moves while the log fits */
    uint64_t end; /* bytes of records */
} log_writer;

static int log_append(log_writer *w, const char *rec, size_t n)
{
    if (w->end + n + 1 > mmf_length(w->m)) {
        /* One step more than needed: the next records then cost nothing
         * but their copy. */
        uint64_t want = (w->end + n + 1 + STEP) / STEP * STEP;
        void *p;
        int rc = mmf_resize(w->m, want);
        if (rc == 0)
            rc = mmf_pointer(w->m, &p, NULL);
        if (rc != 0)
            return rc;
        /* Inside the reservation p == w->base; past it (a log larger than
         * the reservation) the map moved once, and so does our pointer. */
        w->base = p;
    }
    memcpy(w->base + w->end, rec, n);
    w->base[w->end + n] = '\n';
    w->end += n + 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: append_log LOGFILE [MESSAGE...]\n");
        return 2;
    }
    mmf_options opts = MMF_OPTIONS_INIT;
    opts.access = MMF_ACCESS_WRITE;
    opts.flags = MMF_CREATE | MMF_GROW;
    /* Address space is plentiful in a 64-bit process and costs nothing
     * until it is mapped; a 32-bit one has 4 GiB for everything. */
    opts.reserve = sizeof(void *) >= 8 ? (uint64_t)1 << 40 : (uint64_t)1 << 28;
    log_writer w = {NULL, NULL, 0};
    if (mmf_new(&w.m) != 0)
        return 1;
    int rc = mmf_open_path(w.m, argv[1], &opts);
    if (rc == 0)
        rc = log_end(w.m, &w.end);
    if (rc == 0) {
        void *p = NULL; /* an empty map has its address too */
        rc = mmf_pointer(w.m, &p, NULL);
        if (rc == MMF_ERANGE)
            rc = 0;
        w.base = p;
    }
    unsigned long records = 0;
    char line[65536];
    for (int i = 2; rc == 0 && (argc > 2 ? i < argc : 1); i++) {
        const char *rec = argv[i < argc ? i : 0];
        size_t n;
        if (argc == 2) { /* standard input, line by line */
            if (fgets(line, sizeof line, stdin) == NULL)
                break;
            n = strcspn(line, "\n");
            rec = line;
        } else {
            n = strlen(rec);
        }
        rc = log_append(&w, rec, n);
        records += rc == 0;
    }
    /* Cut the last step's zeros off and make the log durable. */
    if (rc == 0 || w.end > 0) {
        int rc2 = mmf_resize(w.m, w.end);
        if (rc2 == 0 && w.end > 0)
            rc2 = mmf_flush(w.m, 0, 0, MMF_FLUSH_DURABLE);
        if (rc == 0)
            rc = rc2;
    }
    if (rc != 0)
        fprintf(stderr, "append_log: %s: %s\n", argv[1], mmf_errmsg(w.m));
    else
        printf("append_log: %lu records, %s is %llu bytes\n", records, argv[1],
               (unsigned long long)w.end);
    mmf_free(w.m);
    return rc == 0 ? 0 : 1;
}
