/*
 * error.c - error codes, their names and messages, and the per-object
 * message with context.
 */
#include "internal.h"

#include <stdio.h>

static const struct {
    int code;
    const char *name;
    const char *text;
} error_table[] = {
    {MMF_OK, "MMF_OK", "success"},
    {MMF_EINVAL, "MMF_EINVAL", "invalid argument"},
    {MMF_ERANGE, "MMF_ERANGE", "offset or length past the end of the map"},
    {MMF_EOVERFLOW, "MMF_EOVERFLOW", "size or offset arithmetic overflows"},
    {MMF_ENOMEM, "MMF_ENOMEM", "out of memory or address space"},
    {MMF_EACCES, "MMF_EACCES", "access mode or permission does not allow this"},
    {MMF_ECLOSED, "MMF_ECLOSED", "the map is closed"},
    {MMF_EEMPTY, "MMF_EEMPTY", "cannot map an empty file"},
    {MMF_EISDIR, "MMF_EISDIR", "is a directory"},
    {MMF_EPIPE, "MMF_EPIPE", "cannot map a pipe or FIFO"},
    {MMF_ESOCKET, "MMF_ESOCKET", "cannot map a socket"},
    {MMF_EDEVICE, "MMF_EDEVICE", "cannot map a terminal or character device"},
    {MMF_ENOTSUP, "MMF_ENOTSUP", "not supported"},
    {MMF_EFAULT, "MMF_EFAULT",
     "the mapped file shrank or a page could not be read or written"},
    {MMF_EEOF, "MMF_EEOF", "end of the map"},
    {MMF_EBUSY, "MMF_EBUSY", "the object is already open"},
    {MMF_ENOSPC, "MMF_ENOSPC", "no space left on the device"},
    {MMF_ENOENT, "MMF_ENOENT", "no such file"},
    {MMF_EBADF, "MMF_EBADF", "bad file descriptor"},
    {MMF_EIO, "MMF_EIO", "operating system error"},
};

#define ERROR_COUNT (sizeof error_table / sizeof error_table[0])

const char *mmf_strerror(int code)
{
    for (size_t i = 0; i < ERROR_COUNT; i++)
        if (error_table[i].code == code)
            return error_table[i].text;
    return "unknown error";
}

const char *mmf_err_name(int code)
{
    for (size_t i = 0; i < ERROR_COUNT; i++)
        if (error_table[i].code == code)
            return error_table[i].name;
    return "MMF_E?";
}

int mmf__fail(mmf_map *m, int code, const char *fmt, ...)
{
    if (m != NULL) {
        m->os_error = 0; /* a backend sets it after this call */
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->errmsg, sizeof m->errmsg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void mmf__save_error(const mmf_map *m, mmf__saved_error *s)
{
    snprintf(s->msg, sizeof s->msg, "%s", m->errmsg);
    s->os_error = m->os_error;
}

int mmf__restore_error(mmf_map *m, const mmf__saved_error *s, int rc)
{
    (void)mmf__fail(m, rc, "%s", s->msg);
    m->os_error = s->os_error;
    return rc;
}

int mmf_os_error(const mmf_map *m)
{
    return m != NULL ? m->os_error : 0;
}

const char *mmf_errmsg(const mmf_map *m)
{
    if (m == NULL)
        return "no object (NULL)";
    return m->errmsg;
}

int mmf__check_open(mmf_map *m)
{
    if (MMF__UNLIKELY(!m->is_open))
        return mmf__fail(m, MMF_ECLOSED, "the map is closed");
    return 0;
}

int mmf__check_writable(mmf_map *m, const char *op)
{
    if (MMF__UNLIKELY(m->access == MMF_ACCESS_READ))
        return mmf__fail(m, MMF_EACCES, "%s: the map is read-only", op);
    return 0;
}

int mmf__check_range(mmf_map *m, const char *what, uint64_t off, uint64_t n,
                     uint64_t limit)
{
    uint64_t end;
    if (mmf__add_u64(off, n, &end))
        return mmf__fail(m, MMF_EOVERFLOW,
                         "%s: offset %llu + length %llu overflows", what,
                         (unsigned long long)off, (unsigned long long)n);
    if (end > limit)
        return mmf__fail(m, MMF_ERANGE,
                         "%s: offset %llu + length %llu is past the end of "
                         "the map (%llu bytes)",
                         what, (unsigned long long)off, (unsigned long long)n,
                         (unsigned long long)limit);
    return 0;
}
