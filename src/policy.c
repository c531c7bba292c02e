/*
 * policy.c - which path an access takes: the mapping or the descriptor.
 *
 * A mapping wins where data is reached more than once or searched: after
 * its fixed cost (mmap + munmap, about 10 us, and a page fault per folio) a
 * copy is a memcpy and a search runs at memory speed.  The descriptor wins
 * where that fixed cost is never paid back: a small file opened, read once
 * and closed; a few small writes that must be made durable (a store through
 * a mapping dirties a whole folio, up to 2 MiB, where pwrite dirties the
 * bytes written); a file being written or appended to (every new page of a
 * mapping is zero-filled by a fault before it is overwritten, and each
 * growth costs an fstat, an fallocate and an mremap).  Every decision of
 * that kind is made here, from the thresholds below, each measured in
 * docs/performance.md ("The access policy"):
 *
 *   open      a whole map of a file of up to LAZY_MAX bytes (LAZY_MAX_WIDE
 *             in a 64-bit process with no RLIMIT_AS) is not mapped
 *             at open (unless the caller asks with MMF_MAP_ALWAYS or
 *             MMF_POPULATE, the open extended the file, the descriptor
 *             cannot do positioned I/O, or the platform is Windows: see
 *             MMF__LAZY_MAPS);
 *             it is mapped by the first access that needs
 *             the mapping: mmf_pointer, mmf_view, searches, moves, page
 *             calls, and copies once FD_CALLS_BEFORE_MAP have gone through
 *             the descriptor.
 *   read      copies (and byte reads) while unmapped: pread, for the first
 *             FD_CALLS_BEFORE_MAP calls.  Copies of MMF__LARGE_COPY bytes
 *             or more: pread until such copies have read the map's length
 *             (its first pass), mapped or not; always on maps longer than
 *             FD_COPIES_ABOVE.
 *   write     copies while unmapped: pwrite, for the first
 *             FD_CALLS_BEFORE_MAP calls; always once the caller flushes
 *             with SYNC/DURABLE (then also when mapped, where the platform
 *             keeps the two coherent): such a caller pays for every dirty
 *             folio at each flush.
 *   grow      mmf_write past the end of an unmapped MMF_GROW map: one
 *             pwrite extends the file and the map.
 *   flush     SYNC/DURABLE: one sync where one suffices (see
 *             mmf__policy_flush).
 *
 * Results and errors are those of the mapping on every path: a read that
 * meets the end of a file another process truncated gives the zeros a
 * mapping shows up to the end of that page and MMF_EFAULT beyond it; a
 * write never extends the file past its end.  Windowed maps, anonymous
 * and shared-memory maps always use the mapping.
 */
#include "internal.h"

#include <string.h>

/* Accesses served through the descriptor before a lazy map is mapped.
 * Making the mapping costs 13-28 us (mmap + the first fault + munmap, 4 KiB
 * to 16 MiB files); a 4 KiB pread costs 0.4-2.6 us more than a memcpy
 * from pages already mapped, so the mapping pays for itself after 10-46
 * copies (docs/performance.md, "The access policy").  Switching once the
 * descriptor path has spent about what the mapping costs keeps either
 * choice within 2x of the better one for any number of copies. */
#define FD_CALLS_BEFORE_MAP 16

/* Whole maps longer than this are mapped at open, so that one that does
 * not fit in the address space is refused (MMF_ENOMEM) or served through
 * windows (MMF_WINDOW_FALLBACK) by the open call, as mmf_open_path
 * promises.  Below it, running out of address space is implausible, and
 * the mapping's fixed cost is what the descriptor path saves: one-shot
 * reads of small files, files being written (docs/performance.md). */
#define LAZY_MAX ((uint64_t)64 << 20)

/* ... and up to this where the address space is wide (64-bit, no
 * RLIMIT_AS): a 47-bit space holds 2048 maps of this size, so a lazy map
 * failing for room where a map made at open would not have is as
 * implausible there as at LAZY_MAX in 32 bits.  Mapping at open cost a
 * one-shot open + 4 KiB copy + close of a 1 GiB file 27-32 us, against
 * 3 us through the descriptor (docs/performance.md, "The access
 * policy"). */
#define LAZY_MAX_WIDE ((uint64_t)64 << 30)

/* Copies of MMF__LARGE_COPY bytes or more out of a map longer than this
 * always go through the descriptor.  A 1 MiB copy from a warm mapping
 * against read() (bench_io "copy out 1 MiB (hot map)"): 1.00-1.10x at 1
 * GiB, 0.94x at 2 GiB, 0.60-0.75x at 4 GiB, where even memcpy from
 * malloc'ed memory (0.83x) loses to the kernel's copy from its direct
 * map. */
#define FD_COPIES_ABOVE ((uint64_t)1 << 30)

/* --- when to map ---------------------------------------------------------- */

int mmf__policy_map_at_open(const mmf_map *m, int grew_file)
{
    /* A map with a reservation is there for its address: mapped now. */
    if (m->reserve > 0)
        return 1;
    if (!MMF__LAZY_MAPS || m->kind != MMF__KIND_FILE || !m->fd_io ||
        m->windowed)
        return 1;
    /* An open that extended the file must be refused, with the file cut
     * back, if the map cannot be made (a refused open changes nothing):
     * so that map is made now. */
    if (grew_file)
        return 1;
    if (m->flags & (MMF_MAP_ALWAYS | MMF_POPULATE))
        return 1;
    if (m->length <= LAZY_MAX)
        return 0;
    return m->length > LAZY_MAX_WIDE || !mmf__os_address_space_is_wide();
}

int mmf__policy_map_now(mmf_map *m)
{
    if (!mmf__unmapped(m) || m->length == 0)
        return 0;
    int rc = mmf__guard_install();
    if (rc != 0)
        return mmf__fail(m, rc, "could not install the SIGBUS handler");
    /* Threads sharing the map may get here together: one makes the
     * mapping, the others find it made (the lock orders them), and readers
     * outside the lock see it whole (MMF__WIN_LEN). */
    mmf__os_lazy_lock();
    if (mmf__unmapped(m))
        rc = mmf__mapping_create(m);
    if (rc == MMF_ENOMEM && (m->flags & MMF_WINDOW_FALLBACK) &&
        m->access != MMF_ACCESS_COPY) {
        /* No room after all: the open promised windows instead. */
        m->windowed = 1;
        m->errmsg[0] = '\0';
        rc = 0;
    }
    mmf__os_lazy_unlock();
    return rc;
}

/* The policy's counters, which threads sharing a map (the read-only calls
 * the header lets them share) may update together: relaxed atomics, as the
 * counts only steer the choice of path and only need to grow. */
#if defined(__GNUC__)
#define RELAXED_LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define RELAXED_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define RELAXED_INCREMENT(p)                                                   \
    ((void)__atomic_fetch_add((p), 1u, __ATOMIC_RELAXED))
#else
#define RELAXED_LOAD(p) (*(p))
#define RELAXED_STORE(p, v) (*(p) = (v))
#define RELAXED_INCREMENT(p) ((void)(*(p))++)
#endif

static void count_fd_call(mmf_map *m)
{
    RELAXED_INCREMENT(&m->fd_calls);
}

/* Copies through the descriptor while the map is unmapped and young. */
static int young(const mmf_map *m)
{
    return RELAXED_LOAD(&m->fd_calls) < FD_CALLS_BEFORE_MAP;
}

/* A large copy goes through the descriptor while the map has not yet
 * served its length in such copies: the first pass over a file.  pread
 * moves the bytes with the kernel's copy and no page fault, where the
 * mapping's first touch of each folio faults; the faults are paid only
 * once the data is read again, when the mapping's memcpy wins (one pass
 * over a cold 64 MiB file in 1 MiB pieces: pread 2.5 ms, mapping 3.1 ms;
 * a warm pass through the mapping 2.0 ms: docs/performance.md, "Large
 * copies").  On a map longer than FD_COPIES_ABOVE every large copy does:
 * there even a warm mapping loses to the kernel's copy (its page tables
 * outgrow the caches, the kernel copies from its direct map).  Also on a
 * mapped map, which the descriptor sees coherently where MMF__LAZY_MAPS
 * holds; never on a copy-on-write mapping (its own changes are not in the
 * file), a windowed map, or MMF_MAP_ALWAYS / MMF_POPULATE (the caller
 * asked for the mapping). */
static int large_copy_by_fd(mmf_map *m, size_t n) /* n >= MMF__LARGE_COPY */
{
    if (!MMF__LAZY_MAPS || !m->fd_io || m->kind != MMF__KIND_FILE ||
        m->windowed || (m->flags & (MMF_MAP_ALWAYS | MMF_POPULATE)) ||
        (m->access == MMF_ACCESS_COPY && !mmf__unmapped(m)))
        return 0;
    if (m->length > FD_COPIES_ABOVE)
        return 1;
    /* A load and a store, not one atomic add: threads sharing the map may
     * lose a count between them, which only lengthens the first pass. */
    size_t done = RELAXED_LOAD(&m->fd_pass_bytes);
    if (done >= m->length)
        return 0;
    RELAXED_STORE(&m->fd_pass_bytes, done + n < done ? SIZE_MAX : done + n);
    return 1;
}

void mmf__policy_mapping_warm(mmf_map *m)
{
    RELAXED_STORE(&m->fd_pass_bytes, SIZE_MAX);
}

static int reads_by_fd(mmf_map *m, size_t n)
{
    if (n >= MMF__LARGE_COPY)
        return large_copy_by_fd(m, n);
    if (m->fd_io && mmf__unmapped(m) && young(m)) {
        count_fd_call(m);
        return 1;
    }
    return 0;
}

static int writes_by_fd(const mmf_map *m)
{
    if (!m->fd_io || m->access != MMF_ACCESS_WRITE ||
        m->kind != MMF__KIND_FILE || m->windowed || (m->flags & MMF_MAP_ALWAYS))
        return 0;
    if (m->sync_writer)
        return 1; /* mapped or not: fd_io means coherent with the mapping */
    return mmf__unmapped(m) && young(m);
}

/* --- the descriptor path -------------------------------------------------- */

/* The end of the file met at file offset `eof` inside map range [off,
 * off+n): a mapping shows zeros up to the end of eof's page and faults
 * beyond.  Zero the bytes the mapping would show as zeros (dst may be
 * NULL for writes) and return 0 if the range ends before the lost page,
 * else MMF_EFAULT naming the lost page's first byte or `off` if later, as
 * access.c's fault_error does. */
static int met_end(mmf_map *m, uint64_t off, size_t n, uint64_t eof, char *dst)
{
    uint64_t page = mmf__os_page_size();
    uint64_t file_off = m->offset + off;
    uint64_t lost = eof + (page - eof % page) % page; /* eof < 2^63 */
    uint64_t shown = lost > file_off ? lost - file_off : 0;
    uint64_t have = eof > file_off ? eof - file_off : 0;
    if (shown > n)
        shown = n;
    if (dst != NULL && shown > have)
        memset(dst + have, 0, (size_t)(shown - have));
    if (shown == n)
        return 0;
    return mmf__fault_at(m, off + shown);
}

static int fd_read(mmf_map *m, uint64_t off, void *dst, size_t n)
{
    char *out = dst;
    uint64_t file_off = m->offset + off; /* < 2^63: checked at open */
    size_t got = 0;
    while (got < n) {
        size_t d;
        int rc =
            mmf__os_pread(m, m->fd, out + got, n - got, file_off + got, &d);
        if (rc == MMF_EIO) /* what a mapping reports for an unreadable page */
            return mmf__fault_at(m, off + got);
        if (rc != 0)
            return rc;
        if (d == 0) {
            /* Where the file ends now: a read that starts past the end
             * does not say how far past. */
            uint64_t size = file_off + got;
            if ((rc = mmf__os_file_size(m, m->fd, &size)) != 0)
                return rc;
            if (size > file_off + got)
                size = file_off + got; /* it grew again meanwhile */
            return met_end(m, off, n, size, out);
        }
        got += d;
    }
    return 0;
}

/* The size is asked first so that a write never extends a file another
 * process truncated: a mapping would fault there instead.  A truncation
 * between the fstat and the pwrite is not caught (the file then grows back
 * to the end of the write, with a hole); a mapping has no such window. */
static int fd_write(mmf_map *m, uint64_t off, const void *src, size_t n)
{
    uint64_t size;
    int rc = mmf__os_regular_file_size(m, m->fd, m->fd_offset_ours, &size);
    if (rc != 0)
        return rc;
    uint64_t file_off = m->offset + off;
    size_t fit = n;
    if (size < file_off + n)
        fit = size > file_off ? (size_t)(size - file_off) : 0;
    if (fit > 0) {
        size_t done;
        rc = mmf__os_pwrite(m, m->fd, src, fit, file_off, &done);
        m->fd_dirty = 1;
        if (rc != 0) {
            /* A store to the mapping would have faulted there (a full disk
             * under a sparse file, an I/O error): the same MMF_EFAULT,
             * naming the first page not written, errno kept. */
            int err = m->os_error;
            uint64_t page = mmf__os_page_size();
            uint64_t at = file_off + done;
            at -= at % page;
            rc = mmf__fault_at(m, at > file_off ? at - m->offset : off);
            m->os_error = err;
            return rc;
        }
    }
    return fit == n ? 0 : met_end(m, off, n, size, NULL);
}

int mmf__policy_copy_out(mmf_map *m, uint64_t off, void *dst, size_t n)
{
    if (!reads_by_fd(m, n))
        return 1;
    return fd_read(m, off, dst, n);
}

int mmf__policy_copy_in(mmf_map *m, uint64_t off, const void *src, size_t n)
{
    if (!writes_by_fd(m))
        return 1;
    count_fd_call(m);
    return fd_write(m, off, src, n);
}

/* The file's size before an append, for cutting it back if the append
 * fails: the size this object left the file at after its last append while
 * the map still has that length (an fstat per record would cost a sixth of
 * an append), else asked of the OS.  Another process that extends the file
 * between two appends makes it stale; only a failed append (a full disk)
 * then cuts the file back too far. */
static int size_before_append(mmf_map *m, uint64_t *size)
{
    if (m->append_len == m->length && m->append_size != UINT64_MAX) {
        *size = m->append_size;
        return 0;
    }
    return mmf__os_file_size(m, m->fd, size);
}

int mmf__policy_append(mmf_map *m, const void *src, size_t n)
{
    uint64_t end, file_end;
    /* A map with a reservation appends the same way while it stays inside
     * it: the pages the file gains are then mapped in place, at the address
     * the map already has (reserve.c).  Past it, the map moves: resize. */
    int reserved = m->resv_len > 0;
    if (!m->fd_io || !(mmf__unmapped(m) || reserved) ||
        m->access != MMF_ACCESS_WRITE || (m->flags & MMF_MAP_ALWAYS) ||
        mmf__add_u64(m->pos, n, &end) || end <= m->length ||
        mmf__add_u64(m->offset, end, &file_end) ||
        file_end > (uint64_t)INT64_MAX || (reserved && end > m->reserve))
        return 1; /* mmf_write's own path reports what is wrong */
    uint64_t old_size;
    int rc = size_before_append(m, &old_size);
    if (rc != 0)
        return rc;
    /* Only where the map ends at the end of the file: then the part past
     * the map only extends the file, and cutting the file back undoes a
     * failed write entirely.  A map of a prefix would overwrite the bytes
     * after it before learning that the write fails (a full disk, the
     * file size limit): mmf_write's own path reserves first. */
    if (old_size != m->offset + m->length)
        return 1;
    /* The part past the end of the map first: if the disk is full, the
     * file is cut back and nothing else was written. */
    size_t inside = (size_t)(m->length - m->pos);
    size_t done;
    rc = mmf__os_pwrite(m, m->fd, (const char *)src + inside, n - inside,
                        m->offset + m->length, &done);
    if (rc == 0 && reserved)
        rc = mmf__reserve_follow(m, end);
    if (rc != 0) {
        uint64_t now;
        if (mmf__os_file_size(NULL, m->fd, &now) == 0 && now > old_size)
            (void)mmf__os_set_file_size(NULL, m->fd, old_size, 0);
        m->append_size = UINT64_MAX;
        return rc;
    }
    m->fd_dirty = 1;
    m->length = end;
    m->append_len = end;
    m->append_size = old_size > file_end ? old_size : file_end;
    if (inside > 0 && (rc = fd_write(m, m->pos, src, inside)) != 0)
        return rc;
    return 0;
}

/* --- flush ---------------------------------------------------------------- */

/* MMF_FLUSH_ASYNC starts the write-back of the mapped range; bytes written
 * through the descriptor are in the page cache already, on their way at the
 * OS's pace.  SYNC and DURABLE wait:
 *   - the mapped range: msync(MS_SYNC) (FlushViewOfFile);
 *   - a file sync (fdatasync; F_FULLFSYNC on macOS for DURABLE;
 *     FlushFileBuffers) when the descriptor wrote, when earlier windows
 *     left pages behind, or for DURABLE where msync stops short of the
 *     disk;
 *   - but one call where one does both: on Linux msync(MS_SYNC) is a data
 *     sync of its range and fdatasync writes the mapped pages too. */
int mmf__policy_flush(mmf_map *m, void *addr, size_t alen, int flags)
{
    if (flags == MMF_FLUSH_ASYNC)
        return alen > 0 ? mmf__os_flush(m, addr, alen, 1) : 0;
    m->sync_writer = 1;
    int durable = flags == MMF_FLUSH_DURABLE;
    int file_sync =
        m->fd_dirty || m->windowed || (durable && !MMF__MSYNC_SYNCS_FILE);
    int rc;
    if (alen > 0 && !(file_sync && MMF__FSYNC_SEES_MAPPED) &&
        (rc = mmf__os_flush(m, addr, alen, 0)) != 0)
        return rc;
    if (!file_sync)
        return 0;
    if ((rc = mmf__os_sync_file(m, m->fd, durable)) != 0)
        return rc;
    m->fd_dirty = 0;
    return 0;
}
