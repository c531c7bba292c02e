/*
 * window.c - which part of the map is mapped.
 *
 * A whole map has one mapping of the entire range; a windowed map has at
 * most one mapping of `window_size` bytes that moves to where the caller
 * works.  Every access goes through mmf__span(), so the rest of the library
 * does not care which kind it has: it asks for a span, gets a pointer and how
 * many bytes it may use from there, and loops.
 */
#include "internal.h"

static uint64_t align_down(uint64_t v, uint64_t a)
{
    return v - v % a;
}

int mmf__mapping_map(mmf_map *m, uint64_t start, uint64_t len)
{
    uint64_t gran = mmf__os_granularity();
    uint64_t file_start = m->offset + start; /* checked at open/resize */
    uint64_t aligned =
        m->kind == MMF__KIND_ANON ? 0 : align_down(file_start, gran);
    uint64_t lead = file_start - aligned;
    uint64_t total;
    size_t total_sz;
    if (mmf__add_u64(lead, len, &total) || mmf__to_size(total, &total_sz))
        return mmf__fail(m, MMF_ENOMEM,
                         "a mapping of %llu bytes does not fit in the "
                         "address space of this process",
                         (unsigned long long)len);
    mmf__mapping mp;
    int populate = (m->flags & MMF_POPULATE) != 0;
    int rc = mmf__os_map(m, m->fd, aligned, total_sz, populate, &mp);
    if (rc != 0)
        return rc;
    m->mapping = mp;
    m->data = mp.base + lead;
    m->win_start = start;
    MMF__PUBLISH_WIN_LEN(m, len); /* last: see MMF__WIN_LEN */
    return 0;
}

void mmf__mapping_release(mmf_map *m)
{
    if (m->resv_len > 0) {
        mmf__reserve_release(m);
        return;
    }
    mmf__os_unmap(&m->mapping);
    m->data = NULL;
    m->win_start = 0;
    m->win_len = 0;
}

int mmf__mapping_create(mmf_map *m)
{
    if (m->reserve > 0) /* also when empty: the address is the point */
        return mmf__reserve_create(m);
    if (m->windowed || m->length == 0)
        return 0;
    return mmf__mapping_map(m, 0, m->length);
}

/* The window start at or below map byte `off`: the granularity boundary of
 * the file offset, or map byte 0 if that boundary lies before it. */
static uint64_t window_start_at(const mmf_map *m, uint64_t off)
{
    uint64_t start = off - (m->offset + off) % mmf__os_granularity();
    return start > off ? 0 : start;
}

/* Where a window moved forward to serve [off, off+need) starts: on a
 * WINDOW_ALIGN boundary of the file when the range still fits in the
 * window from there, else at window_start_at.  A forward walk (find,
 * count, copies) otherwise starts each window a page below the last one's
 * end, and the file's large folios then straddle both ends of every
 * window: the kernel maps a folio with one fault only when it lies wholly
 * inside the mapping, and maps the rest 64 KiB per fault.  A find over a
 * 1 GiB file through 64 MiB windows took 1460 faults against a whole
 * map's 978 (docs/huge-files.md). */
#define WINDOW_ALIGN ((uint64_t)2 << 20)

/* Windows are placed on WINDOW_ALIGN boundaries only when they are whole
 * multiples of it. */
static int aligns_windows(const mmf_map *m)
{
    return m->window_size % WINDOW_ALIGN == 0;
}

/* The map byte at or above `off` whose file offset is a WINDOW_ALIGN
 * boundary (off < 2^63: no wrap). */
static uint64_t up_to_window_align(const mmf_map *m, uint64_t off)
{
    return off +
           (WINDOW_ALIGN - (m->offset + off) % WINDOW_ALIGN) % WINDOW_ALIGN;
}

static uint64_t window_start_for(const mmf_map *m, uint64_t off, uint64_t need)
{
    uint64_t start = off - (m->offset + off) % WINDOW_ALIGN;
    if (start <= off && aligns_windows(m) && off - start <= m->window_size &&
        need <= m->window_size - (off - start))
        return start;
    return window_start_at(m, off);
}

int mmf__fits_window(const mmf_map *m, uint64_t off, uint64_t len)
{
    uint64_t lead = off - window_start_at(m, off);
    return len <= m->window_size && lead <= m->window_size - len;
}

static int move_window(mmf_map *m, uint64_t start, uint64_t len)
{
    mmf__mapping_release(m);
    m->window_moves++;
    return mmf__mapping_map(m, start, len);
}

/* Map range [off, off+need) is not in the mapping of length seen_len the
 * caller looked at: a lazy map is mapped now (1: ask again), a whole map
 * has no such range (MMF_ERANGE), a windowed map moves its window (0: the
 * caller's to do).  A lazy map the caller saw unmapped may have been
 * mapped by another thread since (policy.c, mmf__policy_map_now): asking
 * again then finds the mapping, where judging by the second look alone
 * would call a range of the map outside it. */
static int outside_window(mmf_map *m, uint64_t off, uint64_t need,
                          uint64_t seen_len)
{
    if (seen_len == 0 && m->kind == MMF__KIND_FILE && !m->windowed &&
        m->resv_len == 0 && m->length > 0) {
        int rc = mmf__policy_map_now(m); /* a no-op if mapped meanwhile */
        if (rc != 0)
            return rc;
        if (MMF__WIN_LEN(m) > 0 || m->windowed)
            return 1;
    }
    if (!m->windowed)
        return mmf__fail(m, MMF_ERANGE,
                         "offset %llu + %llu is outside the map (%llu bytes)",
                         (unsigned long long)off, (unsigned long long)need,
                         (unsigned long long)m->length);
    return 0;
}

int mmf__span(mmf_map *m, uint64_t off, uint64_t need, uint64_t want,
              char **ptr, uint64_t *avail)
{
    uint64_t win_len = MMF__WIN_LEN(m);
    if (MMF__LIKELY(off >= m->win_start && win_len > 0)) {
        uint64_t rel = off - m->win_start;
        if (rel < win_len && win_len - rel >= need) {
            uint64_t have = win_len - rel;
            *ptr = m->data + rel;
            *avail = have < want ? have : want;
            return 0;
        }
    }
    int rc = outside_window(m, off, need, win_len);
    if (rc == 1)
        return mmf__span(m, off, need, want, ptr, avail);
    if (rc != 0)
        return rc;
    /* Move the window: it starts at the 2 MiB boundary (window_start_for;
     * else the granularity boundary) at or below `off` and is window_size
     * long, clipped to the end of the map.  A
     * request that does not fit (a needle about as long as a window) gets
     * what it needs plus a whole window more: mapping only what it needs
     * would leave a caller walking forward (find, count) one byte of
     * progress per window move, an mmap and a search set-up per byte. */
    uint64_t start = window_start_for(m, off, need);
    uint64_t len = m->window_size;
    uint64_t needed_end = off + need; /* need <= length - off: no wrap */
    if (needed_end - start > len)
        len = needed_end - start + m->window_size; /* both < 2^63 */
    if (len > m->length - start)
        len = m->length - start;
    rc = move_window(m, start, len);
    if (rc != 0)
        return rc;
    uint64_t rel = off - start;
    uint64_t have = m->win_len - rel;
    *ptr = m->data + rel;
    *avail = have < want ? have : want;
    return 0;
}

int mmf__span_back(mmf_map *m, uint64_t end, uint64_t need, uint64_t want,
                   char **ptr, uint64_t *avail)
{
    uint64_t from = end - need; /* need <= end */
    uint64_t win_len = MMF__WIN_LEN(m);
    if (MMF__LIKELY(win_len > 0 && from >= m->win_start &&
                    end - m->win_start <= win_len)) {
        uint64_t have = end - m->win_start;
        *avail = have < want ? have : want;
        *ptr = m->data + (end - m->win_start) - *avail;
        return 0;
    }
    int rc = outside_window(m, from, need, win_len);
    if (rc == 1)
        return mmf__span_back(m, end, need, want, ptr, avail);
    if (rc != 0)
        return rc;
    /* The window ends at `end` and reaches back a whole window, or, for a
     * request longer than half a window, what it needs and half a window
     * more: each move then takes a caller walking backwards (rfind) at
     * least half a window further.  A window that only just held the
     * request would move it back by one byte per mmap (a needle of about
     * half the window used to crawl so). */
    uint64_t reach = m->window_size;
    if (need > reach - reach / 2)
        reach = need + reach / 2; /* both < 2^63 */
    uint64_t start = window_start_at(m, end > reach ? end - reach : 0);
    uint64_t stop = end;
    /* Whole folios at both ends, as window_start_for does going forward:
     * the end rounded up to WINDOW_ALIGN (within the map) and the start
     * rounded up to it from a window no longer than the one above, if the
     * bytes needed still lie inside. */
    uint64_t len = end - start;
    uint64_t up_end = up_to_window_align(m, end);
    if (up_end > m->length)
        up_end = m->length;
    if (aligns_windows(m) && up_end >= len) {
        uint64_t up_start = up_to_window_align(m, up_end - len);
        if (up_start <= from) {
            start = up_start;
            stop = up_end;
        }
    }
    rc = move_window(m, start, stop - start);
    if (rc != 0)
        return rc;
    uint64_t have = end - start;
    *avail = have < want ? have : want;
    *ptr = m->data + have - *avail;
    return 0;
}
