/*
 * map.c - the object: creation, the open calls and their checks, close,
 * resize, and the calls that act on pages (flush, advise, residency, lock,
 * evict).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KNOWN_FLAGS                                                            \
    (MMF_WINDOWED | MMF_WINDOW_FALLBACK | MMF_POPULATE | MMF_GROW |            \
     MMF_CREATE | MMF_TRUNCATE | MMF_MAP_ALWAYS)

int mmf_new(mmf_map **out)
{
    if (out == NULL)
        return MMF_EINVAL;
    mmf_map *m = calloc(1, sizeof *m);
    *out = m;
    if (m == NULL)
        return MMF_ENOMEM;
    m->fd = MMF__NO_HANDLE;
    m->size_at_open = UINT64_MAX;
    return 0;
}

void mmf_free(mmf_map *m)
{
    if (m == NULL)
        return;
    mmf_close(m);
    free(m);
}

int mmf_is_open(const mmf_map *m)
{
    return m != NULL && m->is_open;
}

uint64_t mmf_length(const mmf_map *m)
{
    return m != NULL && m->is_open ? m->length : 0;
}

int mmf_access_mode(const mmf_map *m)
{
    return m != NULL && m->is_open ? m->access : MMF_ACCESS_DEFAULT;
}

int mmf_is_windowed(const mmf_map *m)
{
    return m != NULL && m->is_open && m->windowed;
}

uint64_t mmf_reservation(const mmf_map *m)
{
    return m != NULL && m->is_open && m->resv_len > 0 ? m->reserve : 0;
}

size_t mmf_page_size(void)
{
    return mmf__os_page_size();
}

size_t mmf_granularity(void)
{
    return mmf__os_granularity();
}

int mmf_file_size(mmf_map *m, uint64_t *size)
{
    int rc = mmf__check_open(m);
    if (rc != 0)
        return rc;
    if (m->kind == MMF__KIND_ANON) {
        *size = m->length;
        return 0;
    }
    return mmf__os_file_size(m, m->fd, size);
}

/* mmf_options.reserve: what a reservation cannot be combined with, and
 * its range, checked before anything changes the file. */
static int check_reserve(mmf_map *m, const mmf_options *o)
{
    if (o->flags & (MMF_WINDOWED | MMF_WINDOW_FALLBACK))
        return mmf__fail(m, MMF_EINVAL,
                         "open: mmf_options.reserve is for whole maps; a "
                         "windowed map (MMF_WINDOWED, MMF_WINDOW_FALLBACK) "
                         "moves its window and has no address to keep");
    if (o->access == MMF_ACCESS_COPY)
        return mmf__fail(m, MMF_EINVAL,
                         "open: mmf_options.reserve with MMF_ACCESS_COPY: a "
                         "copy-on-write map of a file cannot be resized, so "
                         "there is nothing to reserve for");
    uint64_t end;
    if (o->reserve > (uint64_t)INT64_MAX ||
        mmf__add_u64(o->offset, o->reserve, &end) || end > (uint64_t)INT64_MAX)
        return mmf__fail(m, MMF_EOVERFLOW,
                         "open: offset %llu + reserve %llu "
                         "(mmf_options.reserve) overflows the largest file "
                         "offset (2^63-1)",
                         (unsigned long long)o->offset,
                         (unsigned long long)o->reserve);
    size_t fits;
    if (mmf__to_size(o->reserve, &fits) ||
        o->reserve > (uint64_t)SIZE_MAX - mmf__os_granularity())
        return mmf__fail(m, MMF_ENOMEM,
                         "open: reserve %llu bytes (mmf_options.reserve) do "
                         "not fit in the address space of this process",
                         (unsigned long long)o->reserve);
    /* A trial reservation, so that MMF_GROW, MMF_TRUNCATE or MMF_CREATE
     * never change a file for an open that cannot hold its reservation. */
    return mmf__reserve_try(m, o->offset, o->reserve);
}

static int check_options(mmf_map *m, const mmf_options *o)
{
    if (m->is_open)
        return mmf__fail(m, MMF_EBUSY,
                         "open: the object is already open; "
                         "close it first");
    if (o->access < MMF_ACCESS_DEFAULT || o->access > MMF_ACCESS_COPY)
        return mmf__fail(m, MMF_EINVAL,
                         "open: access %d is not one of MMF_ACCESS_DEFAULT, "
                         "_READ, _WRITE, _COPY",
                         o->access);
    if (o->flags & ~KNOWN_FLAGS)
        return mmf__fail(m, MMF_EINVAL, "open: unknown flags 0x%x",
                         (unsigned)(o->flags & ~KNOWN_FLAGS));
    if (o->offset > (uint64_t)INT64_MAX || o->length > (uint64_t)INT64_MAX)
        return mmf__fail(m, MMF_EOVERFLOW,
                         "open: offset %llu or length %llu exceeds the largest "
                         "file offset (2^63-1)",
                         (unsigned long long)o->offset,
                         (unsigned long long)o->length);
    /* Checked here, before MMF_TRUNCATE or MMF_GROW change the file: a
     * refused open must leave the file as it was. */
    if (o->offset + o->length > (uint64_t)INT64_MAX)
        return mmf__fail(m, MMF_EOVERFLOW,
                         "open: offset %llu + length %llu overflows the "
                         "largest file offset (2^63-1)",
                         (unsigned long long)o->offset,
                         (unsigned long long)o->length);
    if (o->window_size > (uint64_t)SIZE_MAX / 2)
        return mmf__fail(m, MMF_EINVAL,
                         "open: window_size %llu is larger than half the "
                         "address space",
                         (unsigned long long)o->window_size);
    return o->reserve > 0 ? check_reserve(m, o) : 0;
}

/* The window size rounded up to the granularity, within size_t. */
static int choose_window(mmf_map *m, uint64_t requested)
{
    uint64_t gran = mmf__os_granularity();
    uint64_t w = requested == 0 ? MMF_DEFAULT_WINDOW : requested;
    if (w > (uint64_t)SIZE_MAX / 2)
        return mmf__fail(m, MMF_EINVAL,
                         "open: window_size %llu is larger than half the "
                         "address space",
                         (unsigned long long)requested);
    w = (w + gran - 1) / gran * gran;
    m->window_size = w;
    return 0;
}

/* What every open shares once a descriptor (or none) is in hand: decide the
 * length from the file, extend the file when asked, and map.  On failure the
 * object is left closed and the descriptor closed. */
static int open_mapped(mmf_map *m, const mmf_options *o, int kind,
                       mmf__handle fd, int extend)
{
    int rc = 0;
    m->kind = kind;
    m->fd = fd;
    m->flags = o->flags;
    m->offset = kind == MMF__KIND_ANON ? 0 : o->offset;
    m->pos = 0;
    m->fd_io = kind == MMF__KIND_FILE && !m->no_fd_io && mmf__os_fd_io(fd);
    m->fd_calls = 0;
    m->fd_pass_bytes = 0;
    m->fd_dirty = 0;
    m->sync_writer = 0;
    m->append_size = UINT64_MAX;
    m->reserve = o->reserve;
    int may_extend =
        m->access == MMF_ACCESS_WRITE && ((o->flags & MMF_GROW) || extend);
    int grown = 0;         /* this call extended the file ... */
    uint64_t old_size = 0; /* ... from this size */

    if (kind != MMF__KIND_ANON) {
        uint64_t size = m->size_at_open;
        m->size_at_open = UINT64_MAX;
        if (size == UINT64_MAX && (rc = mmf__os_file_size(m, fd, &size)) != 0)
            goto fail;
        uint64_t length = o->length;
        uint64_t end;
        if (length == 0 && size == MMF__DEVICE_SIZE) {
            /* A device has no end to map "to" (mmap(2) itself refuses a
             * length of 0 with EINVAL). */
            rc = mmf__fail(m, MMF_EINVAL,
                           "open: a device has no size; give the length to "
                           "map");
            goto fail;
        }
        if (length == 0) {
            if (size == 0 && o->offset == 0) {
                if (m->access != MMF_ACCESS_WRITE && !may_extend) {
                    rc = mmf__fail(m, MMF_EEMPTY,
                                   "open: cannot map an empty file with "
                                   "length 0 (open it for writing to grow "
                                   "it with resize)");
                    goto fail;
                }
            } else if (o->offset >= size) {
                rc = mmf__fail(m, MMF_ERANGE,
                               "open: offset %llu is at or past the end of "
                               "the file (%llu bytes)",
                               (unsigned long long)o->offset,
                               (unsigned long long)size);
                goto fail;
            } else {
                length = size - o->offset;
            }
        }
        if (mmf__add_u64(o->offset, length, &end) ||
            end > (uint64_t)INT64_MAX) {
            rc = mmf__fail(
                m, MMF_EOVERFLOW, "open: offset %llu + length %llu overflows",
                (unsigned long long)o->offset, (unsigned long long)length);
            goto fail;
        }
        if (end > size) {
            if (!may_extend) {
                rc = mmf__fail(m, MMF_ERANGE,
                               "open: offset %llu + length %llu is past the "
                               "end of the file (%llu bytes)",
                               (unsigned long long)o->offset,
                               (unsigned long long)length,
                               (unsigned long long)size);
                goto fail;
            }
            rc = mmf__os_set_file_size(m, fd, end, 1);
            if (rc != 0)
                goto fail;
            grown = 1;
            old_size = size;
        }
        m->length = length;
    } else {
        m->length = o->length;
    }

    rc = choose_window(m, o->window_size);
    if (rc != 0)
        goto fail;
    size_t whole;
    /* A copy-on-write window keeps its changes only while it is mapped:
     * moving the window would silently drop them.  So private maps are
     * whole or nothing. */
    int may_window = kind != MMF__KIND_ANON && m->access != MMF_ACCESS_COPY;
    m->windowed = (o->flags & MMF_WINDOWED) != 0;
    if (m->windowed && !may_window) {
        rc = mmf__fail(m, MMF_ENOTSUP,
                       "open: a copy-on-write map cannot be windowed (its "
                       "changes would be lost when the window moves)");
        goto fail;
    }
    if (!m->windowed && mmf__to_size(m->length, &whole)) {
        if (!(o->flags & MMF_WINDOW_FALLBACK) || !may_window) {
            rc = mmf__fail(m, MMF_ENOMEM,
                           "open: a whole mapping of %llu bytes does not fit "
                           "in this process's address space (use "
                           "MMF_WINDOWED or MMF_WINDOW_FALLBACK)",
                           (unsigned long long)m->length);
            goto fail;
        }
        m->windowed = 1;
        (void)mmf__fail(m, 0,
                        "open: a whole mapping of %llu bytes cannot be "
                        "addressed here; serving it through windows of %llu "
                        "bytes",
                        (unsigned long long)m->length,
                        (unsigned long long)m->window_size);
    }
    /* A lazy map installs the guard and maps at its first mapped access. */
    int map_now = mmf__policy_map_at_open(m, grown);
    rc = map_now ? mmf__guard_install() : 0;
    if (rc != 0) {
        rc = mmf__fail(m, rc, "open: could not install the SIGBUS handler");
        goto fail;
    }
    rc = map_now ? mmf__mapping_create(m) : 0;
    if (rc == MMF_ENOMEM && (o->flags & MMF_WINDOW_FALLBACK) && may_window) {
        /* No room for the whole range: serve it through windows, and say
         * so in the message, which a caller may report. */
        char why[sizeof m->errmsg];
        snprintf(why, sizeof why, "%s", m->errmsg);
        (void)mmf__fail(m, 0,
                        "open: serving the map through windows of "
                        "%llu bytes (%s)",
                        (unsigned long long)m->window_size, why);
        m->windowed = 1;
        rc = 0;
    }
    if (rc != 0)
        goto fail;
    m->is_open = 1;
    if (!m->windowed || !(o->flags & MMF_WINDOW_FALLBACK) ||
        (o->flags & MMF_WINDOWED))
        m->errmsg[0] = '\0';
    return 0;

fail:
    if (grown) {
        /* A refused open leaves the file as it found it.  The first error
         * is the one to report. */
        mmf__saved_error why;
        mmf__save_error(m, &why);
        (void)mmf__os_set_file_size(m, fd, old_size, 0);
        (void)mmf__restore_error(m, &why, rc);
    }
    mmf__os_close(fd);
    m->fd = MMF__NO_HANDLE;
    m->length = 0;
    return rc;
}

static const mmf_options default_options = MMF_OPTIONS_INIT;

/* What every open call checks first; *o is the options in force. */
static int begin_open(mmf_map *m, const mmf_options *opts,
                      const mmf_options **o)
{
    if (m == NULL)
        return MMF_EINVAL;
    *o = opts != NULL ? opts : &default_options;
    int rc = check_options(m, *o);
    if (rc != 0)
        return rc; /* the object, maybe open, stays as it is */
    m->size_at_open = UINT64_MAX;
    m->no_fd_io = 0;
    m->fd_offset_ours = 0;
    return 0;
}

/* MMF_TRUNCATE destroys the file's content, which no later step can give
 * back: everything open_mapped() would refuse without looking at the file
 * is refused here, before the cut.  (What remains is what only the OS can
 * say: no address space for the mapping.) */
static int check_truncate(mmf_map *m, const mmf_options *o)
{
    size_t whole;
    if (o->length == 0 && o->offset > 0)
        return mmf__fail(m, MMF_ERANGE,
                         "open: MMF_TRUNCATE with length 0 leaves no byte at "
                         "offset %llu (give a length, or offset 0)",
                         (unsigned long long)o->offset);
    if (!(o->flags & (MMF_WINDOWED | MMF_WINDOW_FALLBACK)) &&
        mmf__to_size(o->length, &whole))
        return mmf__fail(m, MMF_ENOMEM,
                         "open: a whole mapping of %llu bytes does not fit "
                         "in this process's address space (use "
                         "MMF_WINDOWED or MMF_WINDOW_FALLBACK)",
                         (unsigned long long)o->length);
    return 0;
}

int mmf_open_path(mmf_map *m, const char *path, const mmf_options *opts)
{
    const mmf_options *o;
    int rc = begin_open(m, opts, &o);
    if (rc != 0)
        return rc;
    if (path == NULL || path[0] == '\0')
        return mmf__fail(m, MMF_EINVAL, "open: path is %s",
                         path == NULL ? "NULL" : "empty");
    m->access = o->access == MMF_ACCESS_DEFAULT ? MMF_ACCESS_READ : o->access;
    int writable = m->access == MMF_ACCESS_WRITE;
    if ((o->flags & (MMF_CREATE | MMF_TRUNCATE)) && !writable)
        return mmf__fail(m, MMF_EINVAL,
                         "open: MMF_CREATE/MMF_TRUNCATE need MMF_ACCESS_WRITE");
    if ((o->flags & MMF_TRUNCATE) && (rc = check_truncate(m, o)) != 0)
        return rc;
    mmf__handle fd;
    int created = (o->flags & MMF_CREATE) != 0;
    rc = mmf__os_open_path(m, path, writable, &created, &fd);
    if (rc != 0)
        return rc;
    m->fd_offset_ours = 1;
    if (o->flags & MMF_TRUNCATE) {
        uint64_t end;
        if (mmf__add_u64(o->offset, o->length, &end))
            end = UINT64_MAX; /* open_mapped reports the overflow */
        rc = mmf__os_set_file_size(m, fd, end > (uint64_t)INT64_MAX ? 0 : end,
                                   1);
        m->size_at_open = UINT64_MAX; /* changed since the kind check */
        if (rc != 0)
            mmf__os_close(fd);
    }
    if (rc == 0)
        rc = open_mapped(m, o, MMF__KIND_FILE, fd, 0);
    /* A refused open leaves the file system as it found it. */
    if (rc != 0 && created)
        mmf__os_remove(path);
    return rc;
}

int mmf_open_fd(mmf_map *m, int fd, const mmf_options *opts)
{
    const mmf_options *o;
    int rc = begin_open(m, opts, &o);
    if (rc != 0)
        return rc;
    if (o->flags & (MMF_CREATE | MMF_TRUNCATE))
        return mmf__fail(m, MMF_EINVAL,
                         "open: MMF_CREATE/MMF_TRUNCATE need a path");
    mmf__handle h;
    int readable, writable;
    rc = mmf__os_dup_fd(m, fd, &h, &readable, &writable);
    if (rc != 0)
        return rc;
    int access = o->access;
    if (access == MMF_ACCESS_DEFAULT)
        access = writable ? MMF_ACCESS_WRITE : MMF_ACCESS_READ;
    if (!readable || (access == MMF_ACCESS_WRITE && !writable)) {
        mmf__os_close(h);
        return mmf__fail(m, MMF_EACCES,
                         "open: descriptor %d is not open for %s", fd,
                         readable ? "writing" : "reading");
    }
    m->access = access;
    return open_mapped(m, o, MMF__KIND_FILE, h, 0);
}

int mmf_open_anon(mmf_map *m, uint64_t length, int anon_flags)
{
    return mmf_open_anon_reserve(m, length, anon_flags, 0);
}

int mmf_open_anon_reserve(mmf_map *m, uint64_t length, int anon_flags,
                          uint64_t reserve)
{
    if (m == NULL)
        return MMF_EINVAL;
    mmf_options o = MMF_OPTIONS_INIT;
    o.reserve = reserve;
    int rc = check_options(m, &o);
    if (rc != 0)
        return rc;
    m->fd_offset_ours = 0;
    if (anon_flags != MMF_ANON_SHARED && anon_flags != MMF_ANON_PRIVATE)
        return mmf__fail(m, MMF_EINVAL,
                         "open_anon: flags %d is not MMF_ANON_SHARED or "
                         "MMF_ANON_PRIVATE",
                         anon_flags);
    size_t sz;
    if (length == 0 || mmf__to_size(length, &sz) ||
        length > (uint64_t)INT64_MAX)
        return mmf__fail(
            m, length == 0 ? MMF_EINVAL : MMF_ENOMEM,
            "open_anon: length %llu is %s", (unsigned long long)length,
            length == 0 ? "zero" : "larger than the address space");
    m->access = MMF_ACCESS_WRITE;
    m->anon_private = anon_flags == MMF_ANON_PRIVATE;
    o.length = length;
    return open_mapped(m, &o, MMF__KIND_ANON, MMF__NO_HANDLE, 0);
}

int mmf_open_shm(mmf_map *m, const char *name, const mmf_options *opts)
{
    const mmf_options *o;
    int rc = begin_open(m, opts, &o);
    if (rc != 0)
        return rc;
    if (name == NULL || name[0] == '\0')
        return mmf__fail(m, MMF_EINVAL, "open_shm: name is empty");
    m->access = o->access == MMF_ACCESS_DEFAULT ? MMF_ACCESS_WRITE : o->access;
    int writable = m->access == MMF_ACCESS_WRITE;
    int create = (o->flags & MMF_CREATE) != 0;
    if (create && (!writable || o->length == 0))
        return mmf__fail(m, MMF_EINVAL,
                         "open_shm: MMF_CREATE needs MMF_ACCESS_WRITE and a "
                         "length");
    mmf__handle fd;
    int created = 0;
    rc = create ? mmf__os_shm_create(m, name, &fd, &created)
                : mmf__os_shm_open(m, name, writable, 0, &fd);
    if (rc != 0)
        return rc;
    mmf_options local = *o;
    local.flags &= ~(MMF_CREATE | MMF_TRUNCATE);
    /* A new object (ours, or one whose creator has not sized it yet) gets
     * the length asked for; open_mapped cuts it back if the open fails. */
    uint64_t size = 0;
    if (create && (rc = mmf__os_file_size(m, fd, &size)) != 0) {
        mmf__os_close(fd);
    } else {
        rc = open_mapped(m, &local, MMF__KIND_SHM, fd, create && size == 0);
    }
    /* A refused open leaves no name behind that was not there before. */
    if (rc != 0 && created)
        (void)mmf__os_shm_unlink(name);
    return rc;
}

int mmf_shm_unlink(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return MMF_EINVAL;
    return mmf__os_shm_unlink(name);
}

int mmf_close(mmf_map *m)
{
    if (m == NULL)
        return MMF_EINVAL;
    if (!m->is_open)
        return 0;
    mmf__mapping_release(m);
    mmf__os_close(m->fd);
    m->fd = MMF__NO_HANDLE;
    m->is_open = 0;
    m->length = 0;
    m->pos = 0;
    return 0;
}

/* --- resize ----------------------------------------------------------------
 * A refused resize changes nothing: not the file, not the mapping, not the
 * length or the cursor.  So every step that can fail comes before the first
 * change that cannot be undone, and each later step either cannot fail or
 * is undone when it does:
 *   growth: the file grows first (no mapped page may lie past its end); a
 *           failed mapping then cuts it back to its old size.  A new mapping
 *           is made before the old one goes, so a failure keeps the old.
 *   shrink: the file is cut first, while the old mapping still stands (a
 *           refusal - a sealed memfd, a read-only file system - then leaves
 *           all as it was); the mapping shrinks after, a step that keeps the
 *           old, larger mapping when the OS cannot shrink it.  Where the OS
 *           refuses to cut a file under any view of it (Windows), our own
 *           view is unmapped for the cut and mapped again if the cut is
 *           refused. */

/* A whole map's mapping grows to new_len bytes: in place or moved by the OS
 * (mremap) where it can, else a new mapping made before the old one is
 * unmapped.  Anonymous memory has nothing behind it, so its bytes are
 * copied over.  On failure the old mapping is untouched. */
static int grow_whole(mmf_map *m, uint64_t new_len)
{
    size_t lead = m->data != NULL ? (size_t)(m->data - m->mapping.base) : 0;
    size_t new_sz;
    if (mmf__to_size(new_len, &new_sz) || new_sz > SIZE_MAX - lead)
        return mmf__fail(m, MMF_ENOMEM,
                         "resize: %llu bytes do not fit in the address space",
                         (unsigned long long)new_len);
    if (m->mapping.base == NULL) /* an empty map: nothing to keep */
        return mmf__mapping_map(m, 0, new_len);
    /* Shared anonymous memory lives in an object of the size it was created
     * with: mremap grows the mapping but not the object, and every new page
     * would fault (cpython#138204).  Those maps grow by copying. */
    int fixed_object = m->kind == MMF__KIND_ANON && !m->anon_private;
    if (!fixed_object) {
        int rc = mmf__os_remap(m, &m->mapping, lead + new_sz);
        if (rc == 0) {
            m->data = m->mapping.base + lead;
            m->win_len = new_len;
            return 0;
        }
        if (rc != MMF_ENOTSUP)
            return rc; /* mremap failed: the old mapping stands */
    }
    mmf__mapping old = m->mapping;
    char *old_data = m->data;
    uint64_t old_len = m->win_len;
    int rc = mmf__mapping_map(m, 0, new_len); /* leaves m alone on failure */
    if (rc != 0)
        return rc;
    if (m->kind == MMF__KIND_ANON &&
        (rc = mmf__guarded_copy(m, m->data, old_data, (size_t)old_len, 0)) !=
            0) {
        mmf__os_unmap(&m->mapping);
        m->mapping = old;
        m->data = old_data;
        m->win_len = old_len;
        return rc;
    }
    mmf__os_unmap(&old);
    return 0;
}

/* The mapping of a map whose length drops to new_len: cannot fail.  Where
 * the OS cannot shrink a mapping (no mremap, or a mapping split by advice)
 * the old one stays, larger than needed: its tail is never touched. */
static void shrink_mapping(mmf_map *m, uint64_t new_len)
{
    if (m->data == NULL)
        return;
    if (new_len <= m->win_start) {
        mmf__mapping_release(m);
        return;
    }
    if (m->win_start + m->win_len <= new_len)
        return;
    uint64_t keep = new_len - m->win_start;
    size_t lead = (size_t)(m->data - m->mapping.base);
    if (mmf__os_remap(m, &m->mapping, lead + (size_t)keep) == 0)
        m->data = m->mapping.base + lead; /* a shrink stays in place */
    m->win_len = keep;
}

/* Cut the file to `size` where the OS will not do it under a view of the
 * file (Windows): our own view goes for the cut, and comes back, at the
 * same range, when the cut is refused. */
static int cut_unmapped(mmf_map *m, uint64_t size)
{
    uint64_t start = m->win_start, len = m->win_len;
    int had = m->data != NULL;
    mmf__mapping_release(m);
    int rc = mmf__os_set_file_size(m, m->fd, size, 0);
    if (rc != 0 && had) {
        mmf__saved_error why;
        mmf__save_error(m, &why);
        if (mmf__mapping_map(m, start, len) != 0) {
            (void)mmf__fail(m, rc,
                            "%s; and the map could not be mapped again (%s): "
                            "close it",
                            why.msg, m->errmsg);
            m->os_error = why.os_error;
        } else {
            (void)mmf__restore_error(m, &why, rc);
        }
    }
    return rc;
}

/* Cut the file to new_end bytes while the map's mapping stands where the
 * OS allows it, else with our own view out of the way for the cut. */
static int cut_file(mmf_map *m, uint64_t new_end)
{
    if (mmf__os_can_cut_mapped(m->fd))
        return mmf__os_set_file_size(m, m->fd, new_end, 0);
    return cut_unmapped(m, new_end);
}

/* After an unmapped cut (Windows) a whole map has no view: map it again.
 * Only fails when the address space filled in between; the file then has
 * its new size and the map none of it, which the message says. */
static int map_again_after_cut(mmf_map *m, uint64_t new_length,
                               uint64_t new_end)
{
    int rc;
    if (!m->windowed && m->data == NULL && new_length > 0 &&
        (rc = mmf__mapping_map(m, 0, new_length)) != 0)
        return mmf__fail(m, rc,
                         "resize: the file is now %llu bytes but could not "
                         "be mapped again (%s)",
                         (unsigned long long)new_end, m->errmsg);
    return 0;
}

/* Growth that ends inside a longer file: the map grows over bytes that
 * exist, and the file is cut to offset+new_length as every resize leaves it
 * (the stdlib's mmap.resize does the same).  A whole map gets its new
 * mapping before the cut and drops it if the cut is refused (a sealed
 * memfd), so a refusal leaves the old mapping, pointer and file as they
 * were.  Where the OS cuts no file under a view (Windows) the cut comes
 * first, with cut_unmapped's own way back. */
static int grow_within_file(mmf_map *m, uint64_t new_length, uint64_t new_end)
{
    int rc;
    if (m->windowed || m->data == NULL || !mmf__os_can_cut_mapped(m->fd)) {
        if ((rc = cut_file(m, new_end)) != 0)
            return rc;
        if (m->windowed)
            return 0;
        if (m->data != NULL)
            return grow_whole(m, new_length);
        return map_again_after_cut(m, new_length, new_end);
    }
    mmf__mapping old = m->mapping;
    char *old_data = m->data;
    uint64_t old_start = m->win_start, old_len = m->win_len;
    if ((rc = mmf__mapping_map(m, 0, new_length)) != 0)
        return rc; /* leaves m alone */
    if ((rc = mmf__os_set_file_size(m, m->fd, new_end, 0)) != 0) {
        mmf__os_unmap(&m->mapping);
        m->mapping = old;
        m->data = old_data;
        m->win_start = old_start;
        m->win_len = old_len;
        return rc;
    }
    mmf__os_unmap(&old);
    return 0;
}

static int resize_file(mmf_map *m, uint64_t new_length, uint64_t new_end)
{
    int lazy = mmf__unmapped(m); /* the policy maps it when it needs to */
    uint64_t old_size;
    int rc = mmf__os_file_size(m, m->fd, &old_size);
    if (rc != 0)
        return rc;
    if (new_length > m->length && new_end < old_size)
        return lazy ? cut_file(m, new_end)
                    : grow_within_file(m, new_length, new_end);
    if (new_length > m->length) {
        int grew = new_end > old_size;
        if (grew && (rc = mmf__os_set_file_size(m, m->fd, new_end, 1)) != 0)
            return rc;
        if (!m->windowed && !lazy && (rc = grow_whole(m, new_length)) != 0) {
            if (grew) {
                /* Cut back what this call added: nothing of it was
                 * written, and the error worth reporting is the first. */
                mmf__saved_error why;
                mmf__save_error(m, &why);
                (void)mmf__os_set_file_size(m, m->fd, old_size, 0);
                (void)mmf__restore_error(m, &why, rc);
            }
            return rc;
        }
        return 0;
    }
    if ((rc = cut_file(m, new_end)) != 0)
        return rc;
    shrink_mapping(m, new_length);
    return lazy ? 0 : map_again_after_cut(m, new_length, new_end);
}

static int resize_anon(mmf_map *m, uint64_t new_length)
{
    if (new_length > m->length) {
        int rc = grow_whole(m, new_length);
        if (rc != 0)
            return rc;
    } else {
        shrink_mapping(m, new_length);
    }
    return 0;
}

int mmf_resize(mmf_map *m, uint64_t new_length)
{
    int rc = mmf__check_open(m);
    if (rc != 0)
        return rc;
    /* A read-only map with a reservation may follow its file as another
     * process grows or cuts it (reserve.c never changes that file). */
    if ((m->access == MMF_ACCESS_READ && m->resv_len == 0) ||
        (m->access == MMF_ACCESS_COPY && m->kind != MMF__KIND_ANON))
        return mmf__fail(m, MMF_EACCES, "resize: cannot resize a %s map",
                         m->access == MMF_ACCESS_READ ? "read-only"
                                                      : "copy-on-write");
    uint64_t new_end;
    if (new_length > (uint64_t)INT64_MAX ||
        mmf__add_u64(m->offset, new_length, &new_end) ||
        new_end > (uint64_t)INT64_MAX)
        return mmf__fail(m, MMF_EOVERFLOW,
                         "resize: offset %llu + length %llu exceeds the "
                         "largest file offset",
                         (unsigned long long)m->offset,
                         (unsigned long long)new_length);
    size_t whole;
    if (!m->windowed && mmf__to_size(new_length, &whole))
        return mmf__fail(m, MMF_ENOMEM,
                         "resize: %llu bytes do not fit in the address space",
                         (unsigned long long)new_length);
    if (new_length == m->length)
        return 0;
    m->append_size = UINT64_MAX; /* the policy's memory of the file's end */
    if (m->resv_len > 0)
        rc = mmf__reserve_resize(m, new_length, new_end);
    else
        rc = m->kind == MMF__KIND_ANON ? resize_anon(m, new_length)
                                       : resize_file(m, new_length, new_end);
    if (rc != 0)
        return rc;
    m->length = new_length;
    if (m->pos > new_length)
        m->pos = new_length;
    return 0;
}

/* --- page-level calls -------------------------------------------------------
 * The OS wants page-aligned addresses; callers give any range.  The part of
 * [off, off+len) inside the current mapping is widened to whole pages (the
 * mapping itself starts on a page boundary, so this never leaves it). */
static int page_span(mmf_map *m, uint64_t off, uint64_t len, char **addr,
                     size_t *alen)
{
    uint64_t lo = off > m->win_start ? off : m->win_start;
    uint64_t hi = off + len;
    if (hi > m->win_start + m->win_len)
        hi = m->win_start + m->win_len;
    if (m->data == NULL || hi <= lo) {
        *addr = NULL;
        *alen = 0;
        return 0;
    }
    size_t page = mmf__os_page_size();
    char *start = m->data + (lo - m->win_start);
    char *end = m->data + (hi - m->win_start);
    size_t from_base = (size_t)(start - m->mapping.base);
    start -= from_base % page;
    *addr = start;
    *alen = (size_t)(end - start);
    return 0;
}

static int page_args(mmf_map *m, const char *what, uint64_t off, uint64_t *len)
{
    int rc = mmf__check_open(m);
    if (rc != 0)
        return rc;
    if (*len == 0) {
        if (off > m->length)
            return mmf__fail(m, MMF_ERANGE,
                             "%s: offset %llu is past the end of the map "
                             "(%llu bytes)",
                             what, (unsigned long long)off,
                             (unsigned long long)m->length);
        *len = m->length - off;
    }
    return mmf__check_range(m, what, off, *len, m->length);
}

int mmf_flush(mmf_map *m, uint64_t offset, uint64_t length, int flags)
{
    int rc = page_args(m, "flush", offset, &length);
    if (rc != 0)
        return rc;
    if (flags != MMF_FLUSH_SYNC && flags != MMF_FLUSH_ASYNC &&
        flags != MMF_FLUSH_DURABLE)
        return mmf__fail(m, MMF_EINVAL,
                         "flush: flags %d is not MMF_FLUSH_SYNC, _ASYNC or "
                         "_DURABLE",
                         flags);
    if (m->access != MMF_ACCESS_WRITE || m->kind == MMF__KIND_ANON)
        return 0; /* nothing of ours ever reaches a file */
    char *addr;
    size_t alen;
    page_span(m, offset, length, &addr, &alen);
    /* A windowed map left the pages it wrote through earlier windows in the
     * page cache, dirty, when it unmapped them: msync cannot reach them, so
     * the write-back of the range is started at the file level. */
    if (m->windowed && flags == MMF_FLUSH_ASYNC) {
        if (alen > 0 && (rc = mmf__os_flush(m, addr, alen, 1)) != 0)
            return rc;
        return mmf__os_flush_file(m, m->fd, m->offset + offset, length, 1);
    }
    /* The policy knows what reached the file how: through the mapping,
     * through the descriptor, through earlier windows. */
    return mmf__policy_flush(m, addr, alen, flags);
}

/* The part of [offset, offset+length) that advice can reach: on a
 * windowed map the window is first moved to `offset`, so that the advice
 * lands somewhere (and a bad advice is refused) whatever was mapped
 * before. */
static int advice_span(mmf_map *m, uint64_t offset, uint64_t length,
                       char **addr, size_t *alen)
{
    int rc = mmf__policy_map_now(m); /* advice needs the mapping */
    if (rc != 0)
        return rc;
    if (m->windowed && length > 0) {
        char *p;
        uint64_t avail;
        rc = mmf__span(m, offset, 1, length, &p, &avail);
        if (rc != 0)
            return rc;
    }
    return page_span(m, offset, length, addr, alen);
}

/* After advice_span() the window starts at or before offset; past its end
 * the advice goes to the file (posix_fadvise), where later windows find
 * it. */
static int advise_past_window(mmf_map *m, uint64_t offset, uint64_t length,
                              int advice)
{
    uint64_t mapped_end = m->win_start + m->win_len;
    if (!m->windowed || offset + length <= mapped_end)
        return 0;
    if (m->data == NULL || offset > mapped_end)
        mapped_end = offset;
    return mmf__os_advise_file(m, m->fd, m->offset + mapped_end,
                               offset + length - mapped_end, advice);
}

int mmf_advise(mmf_map *m, uint64_t offset, uint64_t length, int advice)
{
    int rc = page_args(m, "advise", offset, &length);
    if (rc != 0)
        return rc;
    if (advice < MMF_ADVICE_NORMAL || advice > MMF_ADVICE_POPULATE)
        return mmf__fail(m, MMF_EINVAL, "advise: unknown advice %d", advice);
    char *addr;
    size_t alen;
    if ((rc = advice_span(m, offset, length, &addr, &alen)) != 0)
        return rc;
    if (alen > 0 && (rc = mmf__os_advise(m, addr, alen, advice)) != 0)
        return rc;
    if (advice == MMF_ADVICE_POPULATE && offset == 0 && length == m->length)
        mmf__policy_mapping_warm(m);
    return advise_past_window(m, offset, length, advice);
}

int mmf_advise_raw(mmf_map *m, uint64_t offset, uint64_t length, int os_advice)
{
    int rc = page_args(m, "madvise", offset, &length);
    if (rc != 0)
        return rc;
    /* Past the window, the advice that has a file-level counterpart gets it
     * (as mmf_advise does); any other cannot reach the part of the range
     * that no window holds. */
    int known = mmf__os_advice_of_raw(os_advice);
    if (m->windowed && known < 0 && !mmf__fits_window(m, offset, length))
        return mmf__fail(m, MMF_ENOTSUP,
                         "madvise: advice %d has no file-level form, and "
                         "%llu bytes at offset %llu do not fit in one window "
                         "of %llu bytes",
                         os_advice, (unsigned long long)length,
                         (unsigned long long)offset,
                         (unsigned long long)m->window_size);
    char *addr;
    size_t alen;
    if ((rc = advice_span(m, offset, length, &addr, &alen)) != 0)
        return rc;
    if (alen > 0 && (rc = mmf__os_advise_raw(m, addr, alen, os_advice)) != 0)
        return rc;
    return known >= 0 ? advise_past_window(m, offset, length, known) : 0;
}

int mmf_residency(mmf_map *m, uint64_t offset, uint64_t length,
                  uint64_t *resident_pages, uint64_t *total_pages)
{
    int rc = page_args(m, "residency", offset, &length);
    if (rc != 0)
        return rc;
    uint64_t page = mmf__os_page_size();
    uint64_t gran = mmf__os_granularity();
    uint64_t resident = 0, total = 0;
    uint64_t cur = offset, end = offset + length;
    while (cur < end) {
        /* Pieces end on page boundaries (but the last), so no page is
         * counted twice, and each fits in one window. */
        uint64_t piece = end - cur;
        if (m->windowed) {
            uint64_t room = m->window_size - (m->offset + cur) % gran;
            if (piece > room)
                piece = room;
        }
        if (cur + piece < end)
            piece -= (m->offset + cur + piece) % page;
        char *p, *addr;
        uint64_t avail, r;
        size_t alen;
        rc = mmf__span(m, cur, piece, piece, &p, &avail);
        if (rc != 0)
            return rc;
        page_span(m, cur, piece, &addr, &alen);
        if ((rc = mmf__os_residency(m, addr, alen, &r)) != 0)
            return rc;
        resident += r;
        total += (alen + page - 1) / page;
        cur += piece;
    }
    *resident_pages = resident;
    *total_pages = total;
    return 0;
}

static int lock_range(mmf_map *m, uint64_t offset, uint64_t length, int lock)
{
    int rc = page_args(m, lock ? "lock" : "unlock", offset, &length);
    if (rc == 0)
        rc = mmf__policy_map_now(m);
    if (rc != 0)
        return rc;
    /* A windowed map can pin only what it has mapped: the window is moved
     * over the range, which must fit in it.  (Pages outside the window are
     * mapped nowhere, so unlocking the window's part unlocks them all.) */
    if (m->windowed && lock && length > 0) {
        char *p;
        uint64_t avail;
        if (!mmf__fits_window(m, offset, length))
            return mmf__fail(m, MMF_ENOTSUP,
                             "lock: %llu bytes at offset %llu do not fit in "
                             "one window of %llu bytes (a windowed map can "
                             "lock only what its window holds)",
                             (unsigned long long)length,
                             (unsigned long long)offset,
                             (unsigned long long)m->window_size);
        if ((rc = mmf__span(m, offset, length, length, &p, &avail)) != 0)
            return rc;
    }
    char *addr;
    size_t alen;
    page_span(m, offset, length, &addr, &alen);
    return alen > 0 ? mmf__os_lock(m, addr, alen, lock) : 0;
}

int mmf_lock(mmf_map *m, uint64_t offset, uint64_t length)
{
    return lock_range(m, offset, length, 1);
}

int mmf_unlock(mmf_map *m, uint64_t offset, uint64_t length)
{
    return lock_range(m, offset, length, 0);
}

int mmf_evict(mmf_map *m, uint64_t offset, uint64_t length)
{
    int rc = mmf_flush(m, offset, length, MMF_FLUSH_SYNC);
    if (rc == 0)
        rc = mmf__policy_map_now(m); /* the OS evicts through the mapping */
    if (rc != 0)
        return rc;
    if (length == 0)
        length = m->length - offset;
    char *addr;
    size_t alen;
    page_span(m, offset, length, &addr, &alen);
    if (alen > 0 &&
        (rc = mmf__os_evict(m, addr, alen, m->fd,
                            m->mapping.file_off +
                                (uint64_t)(addr - m->mapping.base))) != 0)
        return rc;
    /* Outside the window no mapping of ours holds the pages: the page
     * cache is told directly. */
    if (m->windowed)
        return mmf__os_evict_file(m, m->fd, m->offset + offset, length);
    return 0;
}

/* --- letting go of the descriptor ---------------------------------------- */

int mmf_release_fd(mmf_map *m)
{
    if (m == NULL)
        return MMF_EINVAL;
    int rc = mmf__check_open(m);
    if (rc != 0)
        return rc;
    if (m->windowed)
        return mmf__fail(m, MMF_EINVAL,
                         "release_fd: a windowed map maps each window from "
                         "its descriptor and cannot let go of it");
    if (m->fd == MMF__NO_HANDLE)
        return 0;
    /* A lazy map is mapped now, while there is a descriptor to map; the
     * access policy's descriptor path ends here. */
    if ((rc = mmf__policy_map_now(m)) != 0)
        return rc;
    if (m->windowed) /* mapping it fell back to windows after all */
        return mmf__fail(m, MMF_EINVAL,
                         "release_fd: the map could only be windowed and "
                         "keeps its descriptor");
    m->fd_io = 0;
    /* The mapping holds its own reference to the file: closing our
     * descriptor leaves every mapped byte where it is. */
    mmf__os_close(m->fd);
    m->fd = MMF__NO_HANDLE;
    return 0;
}
