/*
 * reserve.c - maps that grow without moving (mmf_options.reserve).
 *
 * At open the map takes `reserve` bytes of address space (plus the few
 * bytes by which its offset lies past a granularity boundary) and maps the
 * file over the front of them; the rest stays reserved and inaccessible.
 * A resize inside the reservation then only maps or gives back pages at
 * the end, in place: the base never moves, so every pointer into the part
 * that stays valid stays valid.  This is LMDB's map size and llfio's
 * reservation, behind mmf_resize and MMF_GROW writes.
 *
 * The layout, from the reservation's start R (granularity-aligned):
 *
 *     R          R+lead                     R+mapping.len        R+resv_len
 *     |  lead    | map bytes [0, length) ... |  reserved, no access  |
 *                 ^ m->data
 *
 * mapping.len is lead + length rounded up to a page: the mapping covers
 * whole pages, the last one partly past the end of the map (as any
 * mapping does).  Growth past the reservation takes a new, larger one and
 * the map moves, once; see move_reservation().
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* Bytes from the reservation's start to map byte 0: the file offset's
 * distance past a granularity boundary (the OS maps from boundaries). */
static size_t lead_of(const mmf_map *m)
{
    if (m->kind == MMF__KIND_ANON)
        return 0;
    return (size_t)(m->offset % mmf__os_granularity());
}

/* lead + len rounded up to `unit`, within size_t; 1 when it does not fit. */
static int span_of(const mmf_map *m, uint64_t len, size_t unit, size_t *out)
{
    uint64_t total;
    if (mmf__add_u64(lead_of(m), len, &total) ||
        mmf__add_u64(total, unit - 1, &total))
        return 1;
    total -= total % unit;
    return mmf__to_size(total, out);
}

/* The mapped bytes a map of `len` bytes needs: whole pages (fits: len is
 * within the reservation, which fits). */
static size_t mapped_for(const mmf_map *m, uint64_t len)
{
    size_t n = 0;
    (void)span_of(m, len, mmf__os_page_size(), &n);
    return n;
}

/* How much of the reservation a map that needs `need` mapped bytes maps:
 * where a mapping may reach past the end of its file (MMF__MAP_PAST_EOF),
 * up to MAP_AHEAD more (or a quarter more, for a large map), so that a map
 * growing a record at a time calls mmap once per MAP_AHEAD bytes instead of
 * once per page.  Nothing reaches those pages but a pointer past the map's
 * end, which faults as it would without them. */
#define MAP_AHEAD ((size_t)64 << 10)

static size_t mapped_ahead(const mmf_map *m, size_t need)
{
    if (!MMF__MAP_PAST_EOF)
        return need;
    size_t ahead = need / 4 > MAP_AHEAD ? need / 4 : MAP_AHEAD;
    ahead -= ahead % mmf__os_page_size();
    return ahead >= m->resv_len - need ? m->resv_len : need + ahead;
}

/* Hold `len` bytes (already granularity-rounded) and map the first `need`
 * of them; *out receives the reservation, untouched on failure. */
static int reserve_and_map(mmf_map *m, size_t len, size_t need,
                           mmf__mapping *out)
{
    mmf__mapping r;
    int rc = mmf__os_reserve(m, len, &r);
    if (rc != 0)
        return rc;
    r.file_off = m->kind == MMF__KIND_ANON ? 0 : m->offset - lead_of(m);
    if (need > 0 && (rc = mmf__os_reserve_map(m, &r, m->fd, need)) != 0) {
        mmf__os_reserve_release(&r, len);
        return rc;
    }
    *out = r;
    return 0;
}

static void adopt(mmf_map *m, const mmf__mapping *r, size_t resv_len,
                  uint64_t length)
{
    m->mapping = *r;
    m->resv_len = resv_len;
    m->data = r->base + lead_of(m);
    m->win_start = 0;
    m->win_len = length;
}
/* The two ways a reservation is refused at open, in one wording each. */
static int reserve_too_large(mmf_map *m, uint64_t reserve)
{
    return mmf__fail(m, MMF_ENOMEM,
                     "open: reserve %llu bytes (mmf_options.reserve) do not "
                     "fit in the address space of this process",
                     (unsigned long long)reserve);
}

static int reserve_refused(mmf_map *m, uint64_t reserve)
{
    mmf__saved_error why; /* the OS's reason, kept across the new message */
    mmf__save_error(m, &why);
    return mmf__fail(m, MMF_ENOMEM,
                     "open: could not reserve %llu bytes of address space "
                     "(mmf_options.reserve): %s",
                     (unsigned long long)reserve, why.msg);
}

int mmf__reserve_create(mmf_map *m)
{
    size_t total;
    if (m->reserve < m->length) /* the header: raised to the length */
        m->reserve = m->length;
    if (span_of(m, m->reserve, mmf__os_granularity(), &total))
        return reserve_too_large(m, m->reserve);
    mmf__mapping r;
    int rc = reserve_and_map(m, total, mapped_for(m, m->length), &r);
    if (rc == MMF_ENOMEM)
        return reserve_refused(m, m->reserve);
    if (rc != 0)
        return rc;
    adopt(m, &r, total, m->length);
    if ((m->flags & MMF_POPULATE) && r.len > 0)
        (void)mmf__os_advise(m, r.base, r.len, MMF_ADVICE_POPULATE);
    return 0;
}

int mmf__reserve_try(mmf_map *m, uint64_t offset, uint64_t reserve)
{
    uint64_t gran = mmf__os_granularity(), total;
    size_t len;
    if (mmf__add_u64(offset % gran, reserve, &total) ||
        mmf__add_u64(total, gran - 1, &total) ||
        mmf__to_size(total - total % gran, &len))
        return reserve_too_large(m, reserve);
    mmf__mapping r;
    int rc = mmf__os_reserve(m, len, &r);
    if (rc == MMF_ENOMEM)
        return reserve_refused(m, reserve);
    if (rc == 0)
        mmf__os_reserve_release(&r, len);
    return rc;
}

void mmf__reserve_release(mmf_map *m)
{
    mmf__os_reserve_release(&m->mapping, m->resv_len);
    m->resv_len = 0;
    m->data = NULL;
    m->win_start = 0;
    m->win_len = 0;
}

/* Anonymous memory past the end of a shrinking map is zeroed, so that a
 * later growth shows zeros there as it does for a file (whose cut zeroes
 * the tail of its last page).  The whole pages past it go back to the
 * reservation, which discards them. */
static void zero_anon_tail(mmf_map *m, uint64_t new_length)
{
    size_t end = mapped_for(m, new_length);
    size_t from = lead_of(m) + (size_t)new_length;
    if (end > from)
        memset(m->mapping.base + from, 0, end - from);
}

/* The file's size before a growth, and the growth of the file itself.  A
 * read-only map never changes its file: it may only follow a file that
 * someone else grew. */
static int grow_file(mmf_map *m, uint64_t new_end, uint64_t *old_size,
                     int *grew)
{
    *grew = 0;
    int rc = mmf__os_file_size(m, m->fd, old_size);
    if (rc != 0 || new_end <= *old_size)
        return rc;
    if (m->access != MMF_ACCESS_WRITE)
        return mmf__fail(m, MMF_ERANGE,
                         "resize: the file is %llu bytes, the map would end "
                         "at %llu; a read-only map follows its file but "
                         "never grows it",
                         (unsigned long long)*old_size,
                         (unsigned long long)new_end);
    if ((rc = mmf__os_extend_file(m, m->fd, *old_size, new_end)) != 0)
        return rc;
    *grew = 1;
    return 0;
}

/* Undo grow_file after a later step failed with rc: the first error is the
 * one to report. */
static int ungrow_file(mmf_map *m, uint64_t old_size, int grew, int rc)
{
    if (!grew)
        return rc;
    mmf__saved_error why;
    mmf__save_error(m, &why);
    (void)mmf__os_set_file_size(m, m->fd, old_size, 0);
    return mmf__restore_error(m, &why, rc);
}

/* Growth past the reservation: a new one, twice as large (so that a map
 * growing steadily moves a logarithmic number of times) or, when that
 * does not fit, just large enough; the map is mapped there before the old
 * reservation goes, so a failure keeps the old one.  The map moves: the
 * header says pointers die here. */
static int move_reservation(mmf_map *m, uint64_t new_length, uint64_t cut_to)
{
    size_t gran = mmf__os_granularity();
    size_t need = mapped_for(m, new_length), exact;
    if (span_of(m, new_length, gran, &exact))
        return mmf__fail(m, MMF_ENOMEM,
                         "resize: %llu bytes do not fit in the address space",
                         (unsigned long long)new_length);
    size_t twice = m->resv_len <= SIZE_MAX / 2 ? m->resv_len * 2 : 0;
    size_t len = twice > exact ? twice : exact;
    mmf__mapping r;
    int rc = reserve_and_map(m, len, m->kind == MMF__KIND_ANON ? 0 : need, &r);
    if (rc == MMF_ENOMEM && len != exact)
        rc = reserve_and_map(m, len = exact,
                             m->kind == MMF__KIND_ANON ? 0 : need, &r);
    if (rc != 0)
        return rc;
    if (m->kind == MMF__KIND_ANON) {
        /* Anonymous memory has nothing behind it: map fresh pages and copy
         * the bytes over (as a map without reservation does). */
        if ((rc = mmf__os_reserve_map(m, &r, MMF__NO_HANDLE, need)) == 0 &&
            m->length > 0)
            rc = mmf__guarded_copy(m, r.base, m->data, (size_t)m->length, 0);
        if (rc != 0) {
            mmf__os_reserve_release(&r, len);
            return rc;
        }
    }
    /* The cut of a longer file, while both mappings stand: refused, it
     * leaves the old one as it was. */
    if (cut_to != UINT64_MAX &&
        (rc = mmf__os_set_file_size(m, m->fd, cut_to, 0)) != 0) {
        mmf__os_reserve_release(&r, len);
        return rc;
    }
    mmf__os_reserve_release(&m->mapping, m->resv_len);
    adopt(m, &r, len, new_length);
    m->reserve = len - lead_of(m);
    return 0;
}

/* Growth in place; with cut_to the file is longer than the map will be,
 * and is cut to cut_to (offset + new length) as every resize leaves it,
 * after the new pages are mapped (they exist already) and with the pages
 * given back if the cut is refused (a sealed memfd; on Windows our own
 * views may stand in the way too): a refusal changes nothing. */
static int grow_inside(mmf_map *m, uint64_t new_length, uint64_t cut_to)
{
    size_t need = mapped_for(m, new_length), old = m->mapping.len;
    int rc = 0;
    if (need > old) {
        size_t want = mapped_ahead(m, need);
        rc = mmf__os_reserve_map(m, &m->mapping, m->fd, want);
        if (rc != 0 && want > need) /* the ahead part is only a saving */
            rc = mmf__os_reserve_map(m, &m->mapping, m->fd, need);
        if (rc != 0)
            return rc;
    }
    if (cut_to != UINT64_MAX &&
        (rc = mmf__os_set_file_size(m, m->fd, cut_to, 0)) != 0) {
        mmf__saved_error why;
        mmf__save_error(m, &why);
        (void)mmf__os_reserve_trim(m, &m->mapping, old, UINT64_MAX);
        return mmf__restore_error(m, &why, rc);
    }
    return 0;
}

/* The mapping of a map shrinking to new_length gives its tail back.  That
 * step may fail only where the OS runs out of its own bookkeeping (Linux's
 * limit on mappings); the tail then stays mapped, past the end of the map,
 * where nothing reaches it, and a later growth maps from its end. */
static void trim(mmf_map *m, uint64_t new_length, uint64_t new_end)
{
    mmf__saved_error before;
    mmf__save_error(m, &before);
    (void)mmf__os_reserve_trim(m, &m->mapping, mapped_for(m, new_length),
                               new_end);
    (void)mmf__restore_error(m, &before, 0);
}

/* A file map's shrink.  Where the OS cuts a file under a mapping of it
 * (POSIX) the file is cut first and the tail given back after.  Where it
 * will not (Windows), the tail is given back first, and a refused cut (a
 * sealed memfd, a read-only file system, another process's view) maps the
 * tail again, at the same address and from the same file bytes, so the
 * refusal changes nothing.  A read-only map leaves its file alone. */
static int shrink_file(mmf_map *m, uint64_t new_length, uint64_t new_end)
{
    int rc;
    if (m->access == MMF_ACCESS_WRITE && mmf__os_can_cut_mapped(m->fd)) {
        /* POSIX: cut first, under the old mapping, so that a refusal
         * touches nothing at all. */
        if ((rc = mmf__os_set_file_size(m, m->fd, new_end, 0)) != 0)
            return rc;
        trim(m, new_length, new_end);
        return 0;
    }
    size_t old_mapped = m->mapping.len;
    trim(m, new_length, new_end);
    if (m->access != MMF_ACCESS_WRITE)
        return 0;
    rc = mmf__os_set_file_size(m, m->fd, new_end, 0);
    if (rc == 0 || m->mapping.len == old_mapped)
        return rc;
    mmf__saved_error why;
    mmf__save_error(m, &why);
    if (mmf__os_reserve_map(m, &m->mapping, m->fd, old_mapped) != 0) {
        /* Only when the OS ran out of mappings in between: the map keeps
         * what is still mapped, and says so. */
        uint64_t lead = lead_of(m);
        m->length = m->mapping.len > lead + m->length ? m->length
                    : m->mapping.len > lead           ? m->mapping.len - lead
                                                      : 0;
        m->win_len = m->length;
        (void)mmf__fail(m, rc,
                        "%s; and the map's tail could not be mapped again: "
                        "the map is now %llu bytes",
                        why.msg, (unsigned long long)m->length);
        return rc;
    }
    return mmf__restore_error(m, &why, rc);
}

int mmf__reserve_follow(mmf_map *m, uint64_t new_length)
{
    int rc = grow_inside(m, new_length, UINT64_MAX);
    if (rc != 0)
        return rc;
    m->length = new_length;
    m->win_len = new_length;
    return 0;
}

int mmf__reserve_resize(mmf_map *m, uint64_t new_length, uint64_t new_end)
{
    int has_file = m->kind != MMF__KIND_ANON;
    int rc;
    if (new_length > m->length) {
        uint64_t old_size = 0;
        int grew = 0;
        if (has_file && (rc = grow_file(m, new_end, &old_size, &grew)) != 0)
            return rc;
        /* Growth that ends inside a longer file cuts it to the map's end,
         * as every resize of a write map leaves the file (a read-only map
         * leaves it alone). */
        uint64_t cut_to =
            has_file && m->access == MMF_ACCESS_WRITE && new_end < old_size
                ? new_end
                : UINT64_MAX;
        rc = new_length <= m->reserve ? grow_inside(m, new_length, cut_to)
                                      : move_reservation(m, new_length, cut_to);
        if (rc != 0)
            return ungrow_file(m, old_size, grew, rc);
    } else if (has_file) {
        if ((rc = shrink_file(m, new_length, new_end)) != 0)
            return rc;
    } else {
        zero_anon_tail(m, new_length);
        trim(m, new_length, 0);
    }
    m->length = new_length;
    m->win_len = new_length;
    return 0;
}
