/*
 * access.c - every read or write of mapped memory done for the caller, and
 * the string-like calls built on them.
 *
 * Each guarded primitive links a jump point into the thread's guard chain
 * before it touches the mapping and unlinks it after.  When the file behind
 * the map shrank (or a page cannot be read or written), the fault handler
 * jumps back here and the call returns MMF_EFAULT naming the offset, where
 * a plain mapping would have killed the process with SIGBUS.
 */
#include "internal.h"

#include <stdatomic.h>
#include <string.h>

int mmf__fault_at(mmf_map *m, uint64_t map_off)
{
    return mmf__fail(m, MMF_EFAULT,
                     "the mapped file shrank or could not be read or written "
                     "at offset %llu",
                     (unsigned long long)map_off);
}

/* Unlink the guard and turn the fault into an error naming the offset. */
static int fault_error(mmf_map *m, mmf__guard *g, const void *base, size_t n,
                       uint64_t map_off)
{
    MMF__GUARD_RECOVERED(g);
    /* Name the first byte of the lost page (a copy may touch the bytes of
     * a page in any order), or the start of the range if that is later. */
    uint64_t at = map_off;
    const char *addr = (const char *)g->fault_addr;
    const char *lo = base;
    if (addr != NULL && addr >= lo && (size_t)(addr - lo) < n) {
        size_t page = mmf__os_page_size();
        const char *page_start = addr - (uintptr_t)addr % page;
        if (page_start > lo)
            at = map_off + (uint64_t)(page_start - lo);
    }
    return mmf__fault_at(m, at);
}

/* The guard protocol as a macro so that each primitive keeps its own frame
 * (a jump point must live in a frame that is still active when the handler
 * jumps to it).  [lo, lo+span) is the mapped memory the body touches: the
 * only faults the handler may claim for this call.  MMF__GUARD_ENTER makes
 * sure SIGBUS is unblocked (a thread-local test; a syscall only in a thread
 * that is not known to have it unblocked) and MMF__GUARD_LEAVE puts the
 * caller's mask back if it had to change it; on the fault path
 * fault_error() restores the mask and alternate stack.
 * The signal fences keep the compiler from moving the access across the
 * linking and unlinking of the guard (or from dropping the link as a dead
 * store): the handler must see the guard exactly while the body runs. */
#define GUARDED_SPAN(m, base, n, map_off, lo, span, body)                      \
    do {                                                                       \
        mmf__guard g_;                                                         \
        g_.prev = mmf__guard_current;                                          \
        g_.touch_lo = (const char *)(lo);                                      \
        g_.touch_hi = (const char *)(lo) + (span);                             \
        g_.fault_addr = NULL;                                                  \
        MMF__GUARD_ENTER(&g_);                                                 \
        if (MMF__SETJMP(g_.env) != 0)                                          \
            return fault_error((m), &g_, (base), (n), (map_off));              \
        mmf__guard_current = &g_;                                              \
        atomic_signal_fence(memory_order_seq_cst);                             \
        body;                                                                  \
        atomic_signal_fence(memory_order_seq_cst);                             \
        mmf__guard_current = g_.prev;                                          \
        MMF__GUARD_LEAVE(&g_);                                                 \
    } while (0)
#define GUARDED(m, base, n, map_off, body)                                     \
    GUARDED_SPAN(m, base, n, map_off, base, n, body)

/* Up to this many bytes a copy is one recoverable `rep movsb` (about as
 * fast as a memcpy call for small sizes); above it the jump point's cost
 * is lost in the copy, and memcpy's wide loads win. */
#define SMALL_COPY 256

/* Larger copies go to memcpy in pieces of at most COPY_PIECE bytes.  On
 * x86 glibc copies with `rep movsb` up to its rep_movsb_stop_threshold and
 * with a vector loop above it; on AMD that threshold is the L2 size (512
 * KiB to 1 MiB).  To or from a mapping the vector loop ran 15-25% slower
 * here (Zen 5, 1 MiB and 4 MiB copies, hot and cold destinations), which
 * put a 1 MiB mmf_read below a 1 MiB read(), whose kernel copy is `rep
 * movsb` at every size (docs/performance.md, "Large copies").  Pieces
 * below every L2 size keep each call on the path the kernel takes; where
 * glibc has no such switch they cost one call per 256 KiB. */
#define COPY_PIECE ((size_t)256 << 10)

static void copy_in_pieces(void *dst, const void *src, size_t n)
{
    char *d = dst;
    const char *s = src;
    while (n > COPY_PIECE) {
        memcpy(d, s, COPY_PIECE);
        d += COPY_PIECE;
        s += COPY_PIECE;
        n -= COPY_PIECE;
    }
    memcpy(d, s, n);
}

int mmf__guarded_copy(mmf_map *m, void *dst, const void *src, size_t n,
                      uint64_t map_off)
{
#ifdef MMF__HAVE_COPY_PROBE
    if (n <= SMALL_COPY) {
        sigset_t caller_mask;
        int unblocked = MMF__UNLIKELY(!mmf__guard_ready)
                            ? mmf__guard_prepare(&caller_mask)
                            : 0;
        size_t left = mmf__probe_copy(dst, src, n);
        if (MMF__UNLIKELY(unblocked))
            mmf__guard_leave(&caller_mask);
        if (MMF__LIKELY(left == 0))
            return 0;
        return mmf__fault_at(m, map_off + (n - left));
    }
#endif
    /* Only one side is mapped; naming the mapped one in the message is the
     * caller's choice via map_off, the fault address tells which byte. */
    const void *mapped =
        (const char *)src >= m->data && (const char *)src < m->data + m->win_len
            ? src
            : dst;
    GUARDED(m, mapped, n, map_off, copy_in_pieces(dst, src, n));
    return 0;
}

int mmf__guarded_move(mmf_map *m, void *dst, const void *src, size_t n,
                      uint64_t map_off)
{
    /* Both sides are in the mapping: the span covers the two. */
    const char *lo = (const char *)(dst < src ? dst : src);
    const char *hi = (const char *)(dst < src ? src : dst) + n;
    GUARDED_SPAN(m, src, n, map_off, lo, (size_t)(hi - lo),
                 memmove(dst, src, n));
    return 0;
}

#ifdef MMF__HAVE_PROBES
/* The probes in a thread that is not ready: SIGBUS unblocked around them
 * when the thread had it blocked.  A probe's fault returns through the
 * handler (no jump), so the mask at the fault comes back by itself. */
int mmf__guarded_get_slow(mmf_map *m, const char *src, uint8_t *out,
                          uint64_t map_off)
{
    sigset_t caller_mask;
    int unblocked = mmf__guard_prepare(&caller_mask);
    int err = mmf__probe_load_byte(src, out);
    if (unblocked)
        mmf__guard_leave(&caller_mask);
    return err == 0 ? 0 : mmf__fault_at(m, map_off);
}

int mmf__guarded_set_slow(mmf_map *m, char *dst, uint8_t value,
                          uint64_t map_off)
{
    sigset_t caller_mask;
    int unblocked = mmf__guard_prepare(&caller_mask);
    int err = mmf__probe_store_byte(dst, value);
    if (unblocked)
        mmf__guard_leave(&caller_mask);
    return err == 0 ? 0 : mmf__fault_at(m, map_off);
}
#else
int mmf__guarded_get(mmf_map *m, const char *src, uint8_t *out,
                     uint64_t map_off)
{
    GUARDED(m, src, 1, map_off, *out = *(const volatile uint8_t *)src);
    return 0;
}

int mmf__guarded_set(mmf_map *m, char *dst, uint8_t value, uint64_t map_off)
{
    GUARDED(m, dst, 1, map_off, *(volatile uint8_t *)dst = value);
    return 0;
}
#endif

int mmf__guarded_search(mmf_map *m, const char *hay, size_t hlen,
                        const void *needle, size_t nlen, int reverse,
                        uint64_t map_off, size_t *found)
{
    const char *hit = NULL;
    GUARDED(m, hay, hlen, map_off,
            hit = reverse ? mmf__memrmem(hay, hlen, needle, nlen)
                          : mmf__memmem(hay, hlen, needle, nlen));
    *found = hit != NULL ? (size_t)(hit - hay) : SIZE_MAX;
    return 0;
}

/* Non-overlapping matches, and where the last one ends. */
static uint64_t count_matches(const char *hay, size_t hlen, const void *needle,
                              size_t nlen, size_t *tail)
{
    const char *p = hay;
    const char *stop = hay + hlen;
    const char *hit;
    uint64_t c = 0;
    *tail = 0;
    if (nlen == 1) { /* one byte: matches cannot overlap, count them all */
        c = mmf__count_byte(hay, hlen, *(const unsigned char *)needle);
        if (c > 0) {
            const char *last = mmf__memrmem(hay, hlen, needle, 1);
            *tail = (size_t)(last - hay) + 1;
        }
        return c;
    }
    while ((size_t)(stop - p) >= nlen &&
           (hit = mmf__memmem(p, (size_t)(stop - p), needle, nlen)) != NULL) {
        c++;
        p = hit + nlen;
        *tail = (size_t)(p - hay);
    }
    return c;
}

int mmf__guarded_count(mmf_map *m, const char *hay, size_t hlen,
                       const void *needle, size_t nlen, uint64_t map_off,
                       uint64_t *count, size_t *tail)
{
    GUARDED(m, hay, hlen, map_off,
            *count = count_matches(hay, hlen, needle, nlen, tail));
    return 0;
}

/* --- string-like calls ---------------------------------------------------- */

int mmf_pointer(mmf_map *m, void **ptr, uint64_t *length)
{
    int rc = mmf__check_open(m);
    if (rc == 0)
        rc = mmf__policy_map_now(m); /* the caller wants mapped memory */
    if (rc != 0)
        return rc;
    if (m->windowed)
        return mmf__fail(m, MMF_ENOTSUP,
                         "pointer: a windowed map has no single address; "
                         "borrow a range with mmf_view");
    if (ptr != NULL)
        *ptr = m->data;
    if (length != NULL)
        *length = m->length;
    if (m->length == 0)
        return mmf__fail(m, MMF_ERANGE, "pointer: the map is empty");
    return 0;
}

int mmf_view(mmf_map *m, uint64_t offset, size_t n, void **ptr)
{
    int rc = mmf__check_open(m);
    if (rc == 0)
        rc = mmf__check_range(m, "view", offset, n, m->length);
    if (rc != 0)
        return rc;
    if (n == 0 && (rc = mmf__policy_map_now(m)) != 0)
        return rc;
    if (n == 0) {
        /* Nothing to borrow: the address of `offset` where it is mapped. */
        char *at = mmf__in_window(m, offset, 0);
        *ptr = at != NULL ? at : m->data;
        return 0;
    }
    if (m->windowed && n > m->window_size)
        return mmf__fail(m, MMF_ENOTSUP,
                         "view: %zu bytes do not fit in one window of %llu "
                         "bytes",
                         n, (unsigned long long)m->window_size);
    char *p;
    uint64_t avail;
    rc = mmf__span(m, offset, n, n, &p, &avail);
    if (rc != 0)
        return rc;
    *ptr = p;
    return 0;
}

int mmf_get_byte(mmf_map *m, uint64_t offset, uint8_t *out)
{
    char *p = mmf__in_window(m, offset, 1);
    if (MMF__LIKELY(p != NULL))
        return mmf__guarded_get(m, p, out, offset);
    int rc = mmf__check_open(m);
    if (rc == 0)
        rc = mmf__check_range(m, "get_byte", offset, 1, m->length);
    if (rc == 0)
        rc = mmf__policy_copy_out(m, offset, out, 1);
    if (rc != 1)
        return rc;
    uint64_t avail;
    rc = mmf__span(m, offset, 1, 1, &p, &avail);
    return rc != 0 ? rc : mmf__guarded_get(m, p, out, offset);
}

int mmf_set_byte(mmf_map *m, uint64_t offset, uint8_t value)
{
    int rc = mmf__check_open(m);
    if (rc == 0)
        rc = mmf__check_writable(m, "set_byte");
    if (rc != 0)
        return rc;
    char *p = mmf__in_window(m, offset, 1);
    if (MMF__LIKELY(p != NULL))
        return mmf__guarded_set(m, p, value, offset);
    rc = mmf__check_range(m, "set_byte", offset, 1, m->length);
    if (rc == 0)
        rc = mmf__policy_copy_in(m, offset, &value, 1);
    if (rc != 1)
        return rc;
    uint64_t avail;
    rc = mmf__span(m, offset, 1, 1, &p, &avail);
    return rc != 0 ? rc : mmf__guarded_set(m, p, value, offset);
}

int mmf_copy_out(mmf_map *m, uint64_t offset, void *dst, size_t n)
{
    /* Fast path: a range inside the current mapping (every range of an
     * open whole map) needs no other check; a large copy asks the policy
     * first. */
    char *in = mmf__in_window(m, offset, n);
    if (MMF__LIKELY(in != NULL && dst != NULL && n > 0 && n < MMF__LARGE_COPY))
        return mmf__guarded_copy(m, dst, in, n, offset);
    int rc = mmf__check_open(m);
    if (rc == 0)
        rc = mmf__check_range(m, "copy_out", offset, n, m->length);
    if (rc != 0)
        return rc;
    if (n > 0 && dst == NULL)
        return mmf__fail(m, MMF_EINVAL, "copy_out: dst is NULL");
    if (n > 0 && (rc = mmf__policy_copy_out(m, offset, dst, n)) != 1)
        return rc;
    char *out = dst;
    while (n > 0) {
        char *p;
        uint64_t avail;
        rc = mmf__span(m, offset, 1, n, &p, &avail);
        if (rc == 0)
            rc = mmf__guarded_copy(m, out, p, (size_t)avail, offset);
        if (rc != 0)
            return rc;
        out += avail;
        offset += avail;
        n -= (size_t)avail;
    }
    return 0;
}

int mmf_copy_in(mmf_map *m, uint64_t offset, const void *src, size_t n)
{
    int rc = mmf__check_open(m);
    if (rc == 0)
        rc = mmf__check_writable(m, "copy_in");
    if (rc == 0)
        rc = mmf__check_range(m, "copy_in", offset, n, m->length);
    if (rc != 0)
        return rc;
    if (n > 0 && src == NULL)
        return mmf__fail(m, MMF_EINVAL, "copy_in: src is NULL");
    if (n > 0 && (rc = mmf__policy_copy_in(m, offset, src, n)) != 1)
        return rc;
    const char *in = src;
    while (n > 0) {
        char *p;
        uint64_t avail;
        rc = mmf__span(m, offset, 1, n, &p, &avail);
        if (rc == 0)
            rc = mmf__guarded_copy(m, p, in, (size_t)avail, offset);
        if (rc != 0)
            return rc;
        in += avail;
        offset += avail;
        n -= (size_t)avail;
    }
    return 0;
}

/* A windowed map cannot memmove between two windows that are never mapped
 * at once, so it moves through a bounce buffer, in the direction that
 * never overwrites bytes it has yet to read. */
static int move_through_buffer(mmf_map *m, uint64_t dst, uint64_t src,
                               uint64_t n)
{
    char buf[64 * 1024];
    int backward = dst > src;
    while (n > 0) {
        size_t step = n < sizeof buf ? (size_t)n : sizeof buf;
        uint64_t at = backward ? n - step : 0;
        int rc = mmf_copy_out(m, src + at, buf, step);
        if (rc == 0)
            rc = mmf_copy_in(m, dst + at, buf, step);
        if (rc != 0)
            return rc;
        if (!backward) {
            src += step;
            dst += step;
        }
        n -= step;
    }
    return 0;
}

int mmf_move(mmf_map *m, uint64_t dst, uint64_t src, uint64_t n)
{
    int rc = mmf__check_open(m);
    if (rc == 0)
        rc = mmf__check_writable(m, "move");
    if (rc == 0)
        rc = mmf__check_range(m, "move source", src, n, m->length);
    if (rc == 0)
        rc = mmf__check_range(m, "move destination", dst, n, m->length);
    if (rc == 0 && n > 0)
        rc = mmf__policy_map_now(m);
    if (rc != 0 || n == 0)
        return rc;
    if (m->windowed)
        return move_through_buffer(m, dst, src, n);
    size_t len = (size_t)n; /* a whole map's length fits in size_t */
    return mmf__guarded_move(m, m->data + dst, m->data + src, len,
                             dst < src ? dst : src);
}

/* Searches (find, rfind, count) always go through the mapping, also where
 * its pages were never touched; copies do too once the access policy
 * (policy.c) has mapped the map, which it does after a few copies through
 * the descriptor.  There is no pread path for searches, no
 * MADV_POPULATE_READ ahead of the cursor, no automatic advice.
 * Each was measured (bench/bench_io.c; figures in docs/performance.md) on
 * Linux 6.18 and lost.  A one-shot find through a fresh mapping beat
 * pread into a reusable buffer plus the same search kernel in every page
 * cache we tried: ~1.9x with large folios (files written in big chunks or
 * read by readahead, where the faults cost a few ms per GiB), 1.2-1.3x with
 * 4 KiB folios and on tmpfs.  pread wins only a one-shot copy out of a
 * 4 KiB-folio file (up to 1.5x), loses it with large folios, and a map that
 * is read twice must be faulted in anyway to reach memory speed; nothing
 * cheap tells the page caches apart.  MADV_POPULATE_READ walks the page
 * tables again even where every page is mapped (30-70 ms per GiB), so a
 * prefault per chunk slows repeated scans. */

/* Clamp [start, end) to the map as a Python slice is clamped. */
static void clamp_range(const mmf_map *m, uint64_t *start, uint64_t *end)
{
    if (*end > m->length)
        *end = m->length;
    if (*start > *end)
        *start = *end + 1; /* empty, and distinguishable: nothing found */
}

/* What find, rfind and count share before they search: the checks, the
 * range clamped as a Python slice is, and the answers that need no search.
 * Returns a negative code, 1 when *result holds the answer already (an
 * empty range gets `none`, an empty needle `empty`), or 0 to search
 * [*start, *end). */
static int search_setup(mmf_map *m, const char *op, const void *needle,
                        size_t nlen, uint64_t *start, uint64_t *end,
                        uint64_t *result, uint64_t none, int empty_at_end)
{
    int rc = mmf__check_open(m);
    if (rc != 0)
        return rc;
    if (needle == NULL && nlen > 0)
        return mmf__fail(m, MMF_EINVAL, "%s: needle is NULL", op);
    *result = none;
    clamp_range(m, start, end);
    if (*start > *end)
        return 1;
    if (nlen == 0) {
        *result = empty_at_end ? *end : *start;
        return 1;
    }
    return 0;
}

int mmf_find(mmf_map *m, const void *needle, size_t nlen, uint64_t start,
             uint64_t end, uint64_t *pos)
{
    int rc = search_setup(m, "find", needle, nlen, &start, &end, pos,
                          MMF_NOT_FOUND, 0);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    uint64_t cur = start;
    while (end - cur >= nlen) {
        char *p;
        uint64_t avail;
        size_t hit;
        rc = mmf__span(m, cur, nlen, end - cur, &p, &avail);
        if (rc == 0)
            rc = mmf__guarded_search(m, p, (size_t)avail, needle, nlen, 0, cur,
                                     &hit);
        if (rc != 0)
            return rc;
        if (hit != SIZE_MAX) {
            *pos = cur + hit;
            return 0;
        }
        if (cur + avail >= end)
            break;
        cur += avail - (nlen - 1); /* a match may straddle the window edge */
    }
    return 0;
}

int mmf_rfind(mmf_map *m, const void *needle, size_t nlen, uint64_t start,
              uint64_t end, uint64_t *pos)
{
    int rc = search_setup(m, "rfind", needle, nlen, &start, &end, pos,
                          MMF_NOT_FOUND, 1);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    /* Whole maps search the range at once; windowed ones go backwards a
     * window at a time, each piece ending where the last began plus the
     * needle less one byte (a match may straddle the edge). */
    uint64_t hi = end;
    while (hi - start >= nlen) {
        char *p;
        uint64_t avail;
        size_t hit;
        rc = mmf__span_back(m, hi, nlen, hi - start, &p, &avail);
        if (rc != 0)
            return rc;
        uint64_t lo = hi - avail;
        rc =
            mmf__guarded_search(m, p, (size_t)avail, needle, nlen, 1, lo, &hit);
        if (rc != 0)
            return rc;
        if (hit != SIZE_MAX) {
            *pos = lo + hit;
            return 0;
        }
        if (lo == start)
            break;
        hi = lo + nlen - 1;
    }
    return 0;
}

int mmf_count(mmf_map *m, const void *needle, size_t nlen, uint64_t start,
              uint64_t end, uint64_t *count)
{
    uint64_t at;
    int rc = search_setup(m, "count", needle, nlen, &start, &end, &at, 0, 0);
    if (rc < 0)
        return rc;
    *count = 0;
    if (rc == 1) {
        if (nlen == 0 && start <= end) /* like str.count: every position */
            *count = end - start + 1;
        return 0;
    }
    uint64_t total = 0;
    uint64_t cur = start;
    while (end - cur >= nlen) {
        char *p;
        uint64_t avail, c;
        size_t tail;
        rc = mmf__span(m, cur, nlen, end - cur, &p, &avail);
        if (rc == 0)
            rc = mmf__guarded_count(m, p, (size_t)avail, needle, nlen, cur, &c,
                                    &tail);
        if (rc != 0)
            return rc;
        total += c;
        if (cur + avail >= end)
            break;
        /* Resume where a straddling match could begin, but never inside a
         * match already counted (matches do not overlap). */
        uint64_t next = cur + avail - (nlen - 1);
        if (cur + tail > next)
            next = cur + tail;
        cur = next;
    }
    *count = total;
    return 0;
}
