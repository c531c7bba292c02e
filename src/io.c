/*
 * io.c - the file-like face of a map: a cursor with seek/tell/read/write.
 */
#include "internal.h"

int mmf_seek(mmf_map *m, int64_t offset, int whence, uint64_t *newpos)
{
    int rc = mmf__check_open(m);
    if (rc != 0)
        return rc;
    uint64_t base;
    switch (whence) {
    case MMF_SEEK_SET:
        base = 0;
        break;
    case MMF_SEEK_CUR:
        base = m->pos;
        break;
    case MMF_SEEK_END:
        base = m->length;
        break;
    default:
        return mmf__fail(m, MMF_EINVAL,
                         "seek: whence %d is not MMF_SEEK_SET, _CUR or _END",
                         whence);
    }
    /* base <= length <= INT64_MAX (checked at open), so neither branch
     * wraps. */
    uint64_t target;
    if (offset < 0) {
        uint64_t back = (uint64_t)(-(offset + 1)) + 1;
        if (back > base)
            return mmf__fail(m, MMF_ERANGE,
                             "seek: position %llu %lld is before the start",
                             (unsigned long long)base, (long long)offset);
        target = base - back;
    } else {
        if (mmf__add_u64(base, (uint64_t)offset, &target) || target > m->length)
            return mmf__fail(m, MMF_ERANGE,
                             "seek: position %llu + %lld is past the end of "
                             "the map (%llu bytes)",
                             (unsigned long long)base, (long long)offset,
                             (unsigned long long)m->length);
    }
    m->pos = target;
    if (newpos != NULL)
        *newpos = target;
    return 0;
}

uint64_t mmf_tell(const mmf_map *m)
{
    return m != NULL && m->is_open ? m->pos : 0;
}

int mmf_read(mmf_map *m, void *buf, size_t n, size_t *nread)
{
    if (nread != NULL)
        *nread = 0;
    int rc = mmf__check_open(m);
    if (rc != 0)
        return rc;
    if (buf == NULL && n > 0)
        return mmf__fail(m, MMF_EINVAL, "read: buf is NULL");
    uint64_t left = m->length - m->pos;
    if ((uint64_t)n > left)
        n = (size_t)left;
    char *p = mmf__in_window(m, m->pos, n);
    if (MMF__LIKELY(p != NULL && n > 0 && n < MMF__LARGE_COPY))
        rc = mmf__guarded_copy(m, buf, p, n, m->pos);
    else
        rc = mmf_copy_out(m, m->pos, buf, n);
    if (rc != 0)
        return rc;
    m->pos += n;
    if (nread != NULL)
        *nread = n;
    return 0;
}

int mmf_read_byte(mmf_map *m, uint8_t *out)
{
    char *p = mmf__in_window(m, m->pos, 1);
    if (MMF__LIKELY(p != NULL)) {
        int rc = mmf__guarded_get(m, p, out, m->pos);
        if (rc == 0)
            m->pos++;
        return rc;
    }
    int rc = mmf__check_open(m);
    if (rc != 0)
        return rc;
    if (m->pos >= m->length)
        return mmf__fail(m, MMF_EEOF, "read_byte: at the end of the map");
    rc = mmf_get_byte(m, m->pos, out);
    if (rc == 0)
        m->pos++;
    return rc;
}

int mmf_line_length(mmf_map *m, uint64_t *len)
{
    int rc = mmf__check_open(m);
    if (rc != 0)
        return rc;
    uint64_t nl;
    rc = mmf_find(m, "\n", 1, m->pos, m->length, &nl);
    if (rc != 0)
        return rc;
    *len = (nl == MMF_NOT_FOUND ? m->length : nl + 1) - m->pos;
    return 0;
}

int mmf_readline(mmf_map *m, void *buf, size_t cap, size_t *nread)
{
    if (nread != NULL)
        *nread = 0;
    uint64_t len;
    int rc = mmf_line_length(m, &len);
    if (rc != 0)
        return rc;
    size_t n = len < (uint64_t)cap ? (size_t)len : cap;
    return mmf_read(m, buf, n, nread);
}

/* Make room for n bytes at the cursor: MMF_GROW maps grow, others refuse.
 * *old_length receives the length before, for undo_growth(). */
static int room_for(mmf_map *m, size_t n, const char *op, uint64_t *old_length)
{
    uint64_t end;
    *old_length = m->length;
    if (mmf__add_u64(m->pos, n, &end))
        return mmf__fail(m, MMF_EOVERFLOW, "%s: position + %zu overflows", op,
                         n);
    if (end <= m->length)
        return 0;
    if (!(m->flags & MMF_GROW))
        return mmf__fail(m, MMF_ERANGE,
                         "%s: %zu bytes at position %llu do not fit in the "
                         "map (%llu bytes); open it with MMF_GROW to extend",
                         op, n, (unsigned long long)m->pos,
                         (unsigned long long)m->length);
    return mmf_resize(m, end);
}

/* A write that grew the map and then failed (the file shrank under it, a
 * window could not be mapped) gives the growth back: a refused write
 * changes nothing.  Returns rc, with its message. */
static int undo_growth(mmf_map *m, uint64_t old_length, int rc)
{
    if (m->length == old_length)
        return rc;
    mmf__saved_error why;
    mmf__save_error(m, &why);
    (void)mmf_resize(m, old_length);
    return mmf__restore_error(m, &why, rc);
}

int mmf_write(mmf_map *m, const void *buf, size_t n)
{
    int rc = mmf__check_open(m);
    if (rc == 0)
        rc = mmf__check_writable(m, "write");
    if (rc == 0 && buf == NULL && n > 0) /* before MMF_GROW grows the file */
        rc = mmf__fail(m, MMF_EINVAL, "write: buf is NULL");
    if (rc != 0)
        return rc;
    uint64_t old_length = m->length;
    /* Past the end of an MMF_GROW map the policy may write and grow in one
     * step; 1 leaves it to the resize and the copy below. */
    rc = 1;
    if ((m->flags & MMF_GROW) && n > m->length - m->pos)
        rc = mmf__policy_append(m, buf, n);
    if (rc == 1 && (rc = room_for(m, n, "write", &old_length)) == 0)
        rc = mmf_copy_in(m, m->pos, buf, n);
    if (rc != 0)
        return undo_growth(m, old_length, rc);
    m->pos += n;
    return 0;
}

int mmf_write_byte(mmf_map *m, uint8_t value)
{
    int rc = mmf__check_open(m);
    if (rc == 0)
        rc = mmf__check_writable(m, "write_byte");
    if (rc != 0)
        return rc;
    uint64_t old_length;
    if ((rc = room_for(m, 1, "write_byte", &old_length)) != 0)
        return rc;
    if ((rc = mmf_set_byte(m, m->pos, value)) != 0)
        return undo_growth(m, old_length, rc);
    m->pos++;
    return 0;
}
