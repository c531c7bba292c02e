/*
 * posix.c - the platform seam on POSIX systems (Linux first; the BSDs and
 * macOS where the calls exist), and the SIGBUS fault guard.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS MAP_ANON
#endif

/* Map errno of a failed OS call to our code, with the call in the message. */
static int os_fail(mmf_map *m, int err, const char *call, const char *what)
{
    int code;
    switch (err) {
    case ENOENT:
        code = MMF_ENOENT;
        break;
    case EACCES:
    case EPERM:
    case EROFS:
    case ETXTBSY:
        code = MMF_EACCES;
        break;
    case ENOMEM:
        code = MMF_ENOMEM;
        break;
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        code = MMF_ENOSPC;
        break;
    case EBADF:
        code = MMF_EBADF;
        break;
    case EISDIR:
        code = MMF_EISDIR;
        break;
    case EFBIG:
    case EOVERFLOW:
        code = MMF_EOVERFLOW;
        break;
    case ENODEV:
        code = MMF_ENOTSUP;
        break;
    default:
        code = MMF_EIO;
        break;
    }
    /* The message holds 320 bytes: a long path must not push out the call
     * and the reason, so only its tail (which names the file) is kept. */
    const char *w = what ? what : "";
    size_t wlen = strlen(w);
    const char *cut = wlen > 160 ? "..." : "";
    if (wlen > 160)
        w += wlen - 160;
    mmf__fail(m, code, "%s%s%s%s: %s (errno %d)", cut, w, what ? ": " : "",
              call, strerror(err), err);
    if (m != NULL)
        m->os_error = err;
    return code;
}

size_t mmf__os_page_size(void)
{
    static size_t cached;
    if (cached == 0) {
        long v = sysconf(_SC_PAGESIZE);
        cached = v > 0 ? (size_t)v : 4096;
    }
    return cached;
}

size_t mmf__os_granularity(void)
{
    return mmf__os_page_size();
}

/* A character device that is not a terminal maps if its driver says so:
 * /dev/zero, uio, DAX and framebuffer devices do, /dev/null and most others
 * do not.  Rather than keep a list, ask mmap(2) itself with a one-page
 * PROT_NONE map at offset 0, unmapped at once.  Only ENODEV ("this device
 * has no mmap") refuses here, with the OS's reason; any other failure (a
 * DAX device that wants a larger alignment, a write-only descriptor) is
 * left to the real map, which reports it with the length and offset the
 * caller asked for. */
static int refuse_unmappable_device(mmf_map *m, int fd, const char *what)
{
    if (fd < 0) /* only a path's stat is known (open() failed with ENXIO) */
        return mmf__fail(m, MMF_EDEVICE,
                         "%s: is a character device with no driver behind "
                         "it, which cannot be mapped",
                         what);
    size_t page = mmf__os_page_size();
    void *p = mmap(NULL, page, PROT_NONE, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) {
        munmap(p, page);
        return 0;
    }
    int err = errno;
    if (err != ENODEV)
        return 0;
    mmf__fail(m, MMF_EDEVICE,
              "%s: is a character device whose driver cannot map it: mmap: "
              "%s (errno %d)",
              what, strerror(err), err);
    m->os_error = err;
    return MMF_EDEVICE;
}

/* Refuse what mmap cannot map, each with its own code: mapping a FIFO or a
 * tty fails with an errno that does not say why.  Character devices are
 * asked (refuse_unmappable_device).  `fd` may be -1 (only a path's stat is
 * known): a character device is then not told apart from a tty. */
static int refuse_kind(mmf_map *m, mode_t mode, int fd, const char *what)
{
    if (S_ISREG(mode) || S_ISBLK(mode))
        return 0;
    if (S_ISDIR(mode))
        return mmf__fail(m, MMF_EISDIR, "%s: is a directory", what);
    if (S_ISFIFO(mode))
        return mmf__fail(m, MMF_EPIPE,
                         "%s: is a pipe or FIFO, which cannot be mapped", what);
    if (S_ISSOCK(mode))
        return mmf__fail(m, MMF_ESOCKET,
                         "%s: is a socket, which cannot be mapped", what);
    if (S_ISCHR(mode) && fd >= 0 && isatty(fd))
        return mmf__fail(m, MMF_EDEVICE,
                         "%s: is a terminal, which cannot be mapped", what);
    if (S_ISCHR(mode))
        return refuse_unmappable_device(m, fd, what);
    return mmf__fail(m, MMF_ENOTSUP, "%s: not a regular file", what);
}

static int check_kind(mmf_map *m, int fd, const char *what)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return os_fail(m, errno, "fstat", what);
    /* The size comes with the kind: the open uses it rather than asking
     * again (an fstat is ~0.6 us, a sixth of opening a small file). */
    if (m != NULL && S_ISREG(st.st_mode) && st.st_size >= 0)
        m->size_at_open = (uint64_t)st.st_size;
    /* Only regular files are read and written at offsets by the access
     * policy: a device maps what its driver maps (/dev/zero's pwrite
     * discards, its mapping keeps), and whether it maps at all is for the
     * open to say. */
    if (m != NULL && !S_ISREG(st.st_mode))
        m->no_fd_io = 1;
    return refuse_kind(m, st.st_mode, fd, what);
}

int mmf__os_open_path(mmf_map *m, const char *path, int writable, int *create,
                      mmf__handle *fd)
{
    /* O_NONBLOCK: opening a FIFO would otherwise wait for a writer before
     * check_kind could refuse it. */
    int oflags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK;
    int f = -1;
    if (create != NULL && *create) {
        /* O_EXCL first, so that we know whether the file is ours to
         * remove if the open fails later. */
        do
            f = open(path, oflags | O_CREAT | O_EXCL, 0666);
        while (f < 0 && errno == EINTR);
        *create = f >= 0;
        if (f < 0 && errno != EEXIST)
            return os_fail(m, errno, "open", path);
    }
    while (f < 0) { /* the file exists: open it as it is */
        f = open(path, oflags, 0666);
        if (f < 0 && errno != EINTR)
            break;
    }
    if (f < 0) {
        /* open() of a socket, or of a tty with no device behind it, fails
         * with ENXIO, which names neither: say what the path is. */
        int err = errno;
        struct stat st;
        if (err == ENXIO && stat(path, &st) == 0 &&
            (S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode)))
            return refuse_kind(m, st.st_mode, -1, path);
        if (err == EISDIR)
            return mmf__fail(m, MMF_EISDIR, "%s: is a directory", path);
        return os_fail(m, err, "open", path);
    }
    /* O_NONBLOCK stays set: it means nothing for the regular files and
     * block devices that check_kind lets through. */
    int rc = check_kind(m, f, path);
    if (rc != 0) {
        close(f);
        return rc;
    }
    *fd = f;
    return 0;
}

int mmf__os_dup_fd(mmf_map *m, int fd, mmf__handle *out, int *readable,
                   int *writable)
{
    char what[32];
    snprintf(what, sizeof what, "descriptor %d", fd);
    if (fd < 0)
        return mmf__fail(m, MMF_EBADF, "%s: not a descriptor", what);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return os_fail(m, errno, "fcntl", what);
    int bars_io = (fl & O_APPEND) != 0;
#ifdef O_DIRECT
    bars_io |= (fl & O_DIRECT) != 0;
#endif
    if (m != NULL)
        m->no_fd_io = bars_io; /* the duplicate shares these flags */
#ifdef O_PATH
    /* Linux O_PATH: it names a file but can neither be read nor mapped.
     * Said here, at open: a map may make its first mmap or pread later. */
    if (fl & O_PATH)
        return mmf__fail(m, MMF_EBADF,
                         "%s: opened with O_PATH, it cannot be read", what);
#endif
    int rc = check_kind(m, fd, what);
    if (rc != 0)
        return rc;
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0)
        return os_fail(m, errno, "dup", what);
    *out = d;
    *readable = (fl & O_ACCMODE) != O_WRONLY;
    *writable = (fl & O_ACCMODE) == O_RDWR;
    return 0;
}

int mmf__os_shm_open(mmf_map *m, const char *name, int writable, int create,
                     mmf__handle *fd)
{
    int f = shm_open(
        name, (writable ? O_RDWR : O_RDONLY) | (create ? O_CREAT : 0), 0600);
    if (f < 0)
        return os_fail(m, errno, "shm_open", name);
    *fd = f;
    return 0;
}

int mmf__os_shm_create(mmf_map *m, const char *name, mmf__handle *fd,
                       int *created)
{
    /* O_EXCL first, as for files: only a name this call made is ours to
     * unlink when the open fails later. */
    int f, made;
    for (;;) {
        f = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
        made = f >= 0;
        if (f >= 0 || errno != EEXIST)
            break;
        f = shm_open(name, O_RDWR, 0600);
        if (f >= 0 || errno != ENOENT) /* ENOENT: unlinked in between */
            break;
    }
    if (f < 0)
        return os_fail(m, errno, "shm_open", name);
    *created = made;
    *fd = f;
    return 0;
}

void mmf__os_remove(const char *path)
{
    (void)unlink(path);
}

int mmf__os_shm_unlink(const char *name)
{
    if (shm_unlink(name) == 0)
        return 0;
    return os_fail(NULL, errno, "shm_unlink", name);
}

static pthread_mutex_t lazy_mutex = PTHREAD_MUTEX_INITIALIZER;

void mmf__os_lazy_lock(void)
{
    pthread_mutex_lock(&lazy_mutex);
}

void mmf__os_lazy_unlock(void)
{
    pthread_mutex_unlock(&lazy_mutex);
}

void mmf__os_close(mmf__handle fd)
{
    if (fd >= 0)
        close(fd);
}

int mmf__os_file_size(mmf_map *m, mmf__handle fd, uint64_t *size)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return os_fail(m, errno, "fstat", NULL);
    if (S_ISCHR(st.st_mode)) {
        /* A mappable device (check_kind let it through) has no size: it
         * is as long as its driver lets it be mapped, and mmap(2) says
         * where that ends.  MMF__DEVICE_SIZE lets any length the caller
         * gives reach mmap. */
        *size = MMF__DEVICE_SIZE;
        return 0;
    }
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(fd, 0, SEEK_END);
        if (end < 0)
            return os_fail(m, errno, "lseek", NULL);
        *size = (uint64_t)end;
        return 0;
    }
    *size = st.st_size < 0 ? 0 : (uint64_t)st.st_size;
    return 0;
}

int mmf__os_set_file_size(mmf_map *m, mmf__handle fd, uint64_t size,
                          int reserve)
{
    if (size > (uint64_t)INT64_MAX)
        return mmf__fail(m, MMF_EOVERFLOW, "file size %llu is too large",
                         (unsigned long long)size);
    uint64_t old;
    int rc = mmf__os_file_size(m, fd, &old);
    if (rc != 0)
        return rc;
    if (reserve && size > old) {
        /* Reserve the blocks now: with a sparse file a full disk would
         * surface later as SIGBUS on the first write to a new page. */
        int err = posix_fallocate(fd, (off_t)old, (off_t)(size - old));
        if (err == 0)
            return 0;
        if (err == ENOSPC || err == EFBIG) {
            /* A failed fallocate may leave the file partly extended (ext4
             * raises the size extent by extent): a resize that failed must
             * not have grown the file, so cut it back. */
            if (ftruncate(fd, (off_t)old) != 0) {
                /* fallocate's error is the one worth reporting */
            }
            return os_fail(m, err, "posix_fallocate", NULL);
        }
        /* EOPNOTSUPP/EINVAL: the file system cannot reserve; fall back to
         * ftruncate and a sparse tail. */
    }
    int r;
    do
        r = ftruncate(fd, (off_t)size);
    while (r != 0 && errno == EINTR);
    if (r != 0)
        return os_fail(m, errno, "ftruncate", NULL);
    return 0;
}

/* POSIX cuts a file under any mapping: the pages past the end fault. */
int mmf__os_can_cut_mapped(mmf__handle fd)
{
    (void)fd;
    return 1;
}

int mmf__os_sync_file(mmf_map *m, mmf__handle fd, int durable)
{
    if (fd < 0)
        return 0;
#if defined(__APPLE__) && defined(F_FULLFSYNC)
    /* macOS: fsync hands the data to the drive, which may keep it in its
     * write cache; only F_FULLFSYNC waits for the platter or flash.  Some
     * file systems (network, FAT) refuse it: then fsync is all there is. */
    if (durable && fcntl(fd, F_FULLFSYNC) == 0)
        return 0;
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        return os_fail(m, errno, "fsync", NULL);
    return 0;
#else
    (void)durable;
    /* fdatasync: the data and what is needed to read it back (the size),
     * without waiting for the timestamps as fsync would.  On Linux it also
     * flushes the drive's write cache (the file system issues the cache
     * flush), so SYNC and DURABLE are the same call. */
    if (fdatasync(fd) != 0 && errno != EINVAL && errno != EROFS)
        return os_fail(m, errno, "fdatasync", NULL);
    return 0;
#endif
}

/* --- positioned I/O, for the access policy's descriptor path ------------- */

int mmf__os_fd_io(mmf__handle fd)
{
    (void)fd;
#if defined(__linux__) || defined(__APPLE__) || defined(__FreeBSD__) ||        \
    defined(__NetBSD__)
    /* One page cache behind read/write and mappings: what pwrite writes, a
     * mapping of the file shows at once, and the other way round. */
    return 1;
#else
    /* OpenBSD and unknown systems: the buffer cache and mapped pages may
     * disagree, so every access goes through the mapping. */
    return 0;
#endif
}

int mmf__os_pread(mmf_map *m, mmf__handle fd, void *buf, size_t n,
                  uint64_t file_off, size_t *done)
{
    /* One call reads at most SSIZE_MAX bytes, less on some systems: the
     * caller loops over short reads anyway. */
    size_t want = n > (size_t)1 << 30 ? (size_t)1 << 30 : n;
    ssize_t r;
    do
        r = pread(fd, buf, want, (off_t)file_off);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return os_fail(m, errno, "pread", NULL);
    *done = (size_t)r;
    return 0;
}

int mmf__os_pwrite(mmf_map *m, mmf__handle fd, const void *buf, size_t n,
                   uint64_t file_off, size_t *done)
{
    const char *p = buf;
    *done = 0;
    while (n > 0) {
        size_t want = n > (size_t)1 << 30 ? (size_t)1 << 30 : n;
        ssize_t r = pwrite(fd, p, want, (off_t)file_off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return os_fail(m, r < 0 ? errno : ENOSPC, "pwrite", NULL);
        p += r;
        n -= (size_t)r;
        file_off += (uint64_t)r;
        *done += (size_t)r;
    }
    return 0;
}

static int prot_for(const mmf_map *m)
{
    return m->access == MMF_ACCESS_READ ? PROT_READ : PROT_READ | PROT_WRITE;
}

int mmf__os_map(mmf_map *m, mmf__handle fd, uint64_t file_off, size_t len,
                int populate, mmf__mapping *out)
{
    int flags;
    if (fd < 0)
        flags = MAP_ANONYMOUS | (m->anon_private ? MAP_PRIVATE : MAP_SHARED);
    else
        flags = m->access == MMF_ACCESS_COPY ? MAP_PRIVATE : MAP_SHARED;
#ifdef MAP_POPULATE
    if (populate)
        flags |= MAP_POPULATE;
#else
    (void)populate;
#endif
    if (file_off > (uint64_t)INT64_MAX)
        return mmf__fail(m, MMF_EOVERFLOW, "file offset %llu is too large",
                         (unsigned long long)file_off);
    void *p = mmap(NULL, len, prot_for(m), flags, fd, (off_t)file_off);
    if (p == MAP_FAILED) {
        int err = errno;
        char what[96];
        snprintf(what, sizeof what, "%zu bytes at file offset %llu", len,
                 (unsigned long long)file_off);
        return os_fail(m, err, "mmap", what);
    }
    out->base = p;
    out->len = len;
    out->file_off = file_off;
    out->os_extra = NULL;
    return 0;
}

void mmf__os_unmap(mmf__mapping *mp)
{
    if (mp->base != NULL && mp->len > 0)
        munmap(mp->base, mp->len);
    mp->base = NULL;
    mp->len = 0;
}

int mmf__os_remap(mmf_map *m, mmf__mapping *mp, size_t new_len)
{
#if defined(__linux__) && defined(MREMAP_MAYMOVE)
    void *p = mremap(mp->base, mp->len, new_len, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) {
        /* mremap moves a single VMA: after an advice or a lock on part of
         * the map the kernel has split it, and mremap says EFAULT.  The
         * core then maps anew instead. */
        if (errno == EFAULT)
            return MMF_ENOTSUP;
        /* A length past the address space is EINVAL here (mmap says
         * ENOMEM): report it as what it is. */
        if (errno == EINVAL && new_len > mp->len)
            return mmf__fail(m, MMF_ENOMEM,
                             "mremap: %zu bytes do not fit in "
                             "the address space (errno %d)",
                             new_len, EINVAL);
        int err = errno;
        char what[48];
        snprintf(what, sizeof what, "%zu bytes", new_len);
        return os_fail(m, err, "mremap", what);
    }
    mp->base = p;
    mp->len = new_len;
    return 0;
#else
    (void)m, (void)mp, (void)new_len;
    return MMF_ENOTSUP;
#endif
}

int mmf__os_flush(mmf_map *m, void *addr, size_t len, int async)
{
    if (msync(addr, len, async ? MS_ASYNC : MS_SYNC) != 0)
        return os_fail(m, errno, "msync", NULL);
    return 0;
}

int mmf__os_advise_raw(mmf_map *m, void *addr, size_t len, int os_advice)
{
    if (madvise(addr, len, os_advice) != 0)
        return os_fail(m, errno, "madvise", NULL);
    return 0;
}

int mmf__os_advise(mmf_map *m, void *addr, size_t len, int advice)
{
    int a;
    switch (advice) {
    case MMF_ADVICE_NORMAL:
        a = MADV_NORMAL;
        break;
    case MMF_ADVICE_SEQUENTIAL:
        a = MADV_SEQUENTIAL;
        break;
    case MMF_ADVICE_RANDOM:
        a = MADV_RANDOM;
        break;
    case MMF_ADVICE_WILLNEED:
        a = MADV_WILLNEED;
        break;
    case MMF_ADVICE_DONTNEED:
        /* MADV_DONTNEED throws away the changes of a private mapping; a hint
         * must never lose data, so private maps get no advice at all. */
        if (m->access == MMF_ACCESS_COPY ||
            (m->kind == MMF__KIND_ANON && m->anon_private))
            return 0;
        a = MADV_DONTNEED;
        break;
    case MMF_ADVICE_HUGEPAGE:
#ifdef MADV_HUGEPAGE
        a = MADV_HUGEPAGE;
        break;
#else
        return 0;
#endif
    case MMF_ADVICE_POPULATE:
#if defined(__linux__)
        /* MADV_POPULATE_READ/WRITE (Linux 5.14) fault the range in with one
         * call; older kernels say EINVAL, and then it is only a hint. */
        a = m->access == MMF_ACCESS_READ ? 22 : 23;
        if (madvise(addr, len, a) != 0 && errno != EINVAL)
            return os_fail(m, errno, "madvise(POPULATE)", NULL);
        return 0;
#else
        return 0;
#endif
    default:
        return mmf__fail(m, MMF_EINVAL, "advise: unknown advice %d", advice);
    }
    if (madvise(addr, len, a) != 0) {
        if (errno == EINVAL && advice == MMF_ADVICE_HUGEPAGE)
            return 0; /* kernel without transparent huge pages */
        return os_fail(m, errno, "madvise", NULL);
    }
    return 0;
}

int mmf__os_residency(mmf_map *m, void *addr, size_t len, uint64_t *resident)
{
    /* A fixed vector, so asking about a huge range costs no heap. */
    unsigned char vec[4096];
    size_t page = mmf__os_page_size();
    size_t chunk = sizeof vec * page;
    uint64_t count = 0;
    char *p = addr;
    while (len > 0) {
        size_t n = len < chunk ? len : chunk;
        if (mincore(p, n, (void *)vec) != 0)
            return os_fail(m, errno, "mincore", NULL);
        size_t pages = (n + page - 1) / page;
        for (size_t i = 0; i < pages; i++)
            count += vec[i] & 1;
        p += n;
        len -= n;
    }
    *resident = count;
    return 0;
}

int mmf__os_lock(mmf_map *m, void *addr, size_t len, int lock)
{
    if ((lock ? mlock(addr, len) : munlock(addr, len)) != 0)
        return os_fail(m, errno, lock ? "mlock" : "munlock", NULL);
    return 0;
}

int mmf__os_evict(mmf_map *m, void *addr, size_t len, mmf__handle fd,
                  uint64_t file_off)
{
    int rc = mmf__os_advise(m, addr, len, MMF_ADVICE_DONTNEED);
    if (rc != 0)
        return rc;
#ifdef POSIX_FADV_DONTNEED
    if (fd >= 0)
        (void)posix_fadvise(fd, (off_t)file_off, (off_t)len,
                            POSIX_FADV_DONTNEED);
#else
    (void)fd, (void)file_off;
#endif
    return 0;
}

int mmf__os_advise_file(mmf_map *m, mmf__handle fd, uint64_t file_off,
                        uint64_t len, int advice)
{
#ifdef POSIX_FADV_NORMAL
    int a;
    switch (advice) {
    case MMF_ADVICE_NORMAL:
        a = POSIX_FADV_NORMAL;
        break;
    case MMF_ADVICE_SEQUENTIAL:
        a = POSIX_FADV_SEQUENTIAL;
        break;
    case MMF_ADVICE_RANDOM:
        a = POSIX_FADV_RANDOM;
        break;
    case MMF_ADVICE_WILLNEED:
    case MMF_ADVICE_POPULATE: /* into the page cache: no mapping to fill */
        a = POSIX_FADV_WILLNEED;
        break;
    default:
        /* DONTNEED: no mapping of ours holds these pages, so there is
         * nothing to drop from this process (the page cache keeps them, as
         * it does for a whole map; mmf_evict drops them).  HUGEPAGE is
         * about a mapping: none here. */
        return 0;
    }
    if (fd < 0 || len == 0 || file_off > (uint64_t)INT64_MAX ||
        len > (uint64_t)INT64_MAX)
        return 0;
    int err = posix_fadvise(fd, (off_t)file_off, (off_t)len, a);
    if (err != 0 && err != ESPIPE)
        return os_fail(m, err, "posix_fadvise", NULL);
#else
    (void)m, (void)fd, (void)file_off, (void)len, (void)advice;
#endif
    return 0;
}

int mmf__os_advice_of_raw(int os_advice)
{
    switch (os_advice) {
    case MADV_NORMAL:
        return MMF_ADVICE_NORMAL;
    case MADV_SEQUENTIAL:
        return MMF_ADVICE_SEQUENTIAL;
    case MADV_RANDOM:
        return MMF_ADVICE_RANDOM;
    case MADV_WILLNEED:
        return MMF_ADVICE_WILLNEED;
    case MADV_DONTNEED:
        return MMF_ADVICE_DONTNEED;
    default:
        return -1;
    }
}

int mmf__os_flush_file(mmf_map *m, mmf__handle fd, uint64_t file_off,
                       uint64_t len, int async)
{
    if (fd < 0 || len == 0)
        return 0;
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
    /* Start the write-back of the range's dirty pages and return, as
     * msync(MS_ASYNC) asks for mapped ones. */
    if (async && file_off <= (uint64_t)INT64_MAX &&
        len <= (uint64_t)INT64_MAX) {
        if (sync_file_range(fd, (off_t)file_off, (off_t)len,
                            SYNC_FILE_RANGE_WRITE) == 0 ||
            errno == ESPIPE || errno == EINVAL)
            return 0;
        return os_fail(m, errno, "sync_file_range", NULL);
    }
#else
    (void)file_off, (void)len;
#endif
    /* Waiting, or no way to name a range: the whole file's data. */
    return async ? 0 : mmf__os_sync_file(m, fd, 0);
}

int mmf__os_evict_file(mmf_map *m, mmf__handle fd, uint64_t file_off,
                       uint64_t len)
{
    (void)m;
#ifdef POSIX_FADV_DONTNEED
    if (fd >= 0 && file_off <= (uint64_t)INT64_MAX &&
        len <= (uint64_t)INT64_MAX)
        (void)posix_fadvise(fd, (off_t)file_off, (off_t)len,
                            POSIX_FADV_DONTNEED);
#else
    (void)fd, (void)file_off, (void)len;
#endif
    return 0;
}

/* --- the fault guard ------------------------------------------------------
 *
 * One SIGBUS handler for the process, installed the first time a map is
 * opened.  A fault in a thread that has a guard linked jumps back into the
 * guarded call; any other fault goes to whatever handler was there before
 * us, so a host program's (or Python's faulthandler's) handling is kept.
 */
_Thread_local mmf__guard *mmf__guard_current MMF__TLS_ATTR;

#ifdef MMF__HAVE_PROBES
/* The byte probes are inline (internal.h); their table lies between these
 * two symbols, which the linker defines for the section.  Weak: a program
 * that links no probe has no table. */
extern const mmf__extable_entry __start_mmf_extable[]
    __attribute__((weak, visibility("hidden")));
extern const mmf__extable_entry __stop_mmf_extable[]
    __attribute__((weak, visibility("hidden")));

#if defined(__x86_64__)
/* The copy probe.  Every instruction of it may fault; %rcx always holds
 * the bytes not yet stored (rep movsb is restartable, and the loops count
 * down only after a store), which the fault stub returns.  Small copies
 * move 8 bytes at a time: `rep movsb` has a start-up cost of its own on
 * some CPUs.  It touches no stack, so the stub's `ret` returns to the
 * caller. */
__asm__(".text\n"
        ".p2align 4\n"
        ".globl mmf__probe_copy\n"
        ".hidden mmf__probe_copy\n"
        ".type mmf__probe_copy, @function\n"
        "mmf__probe_copy:\n"
        "    movq %rdx, %rcx\n"
        "    cmpq $64, %rcx\n"
        "    ja 3f\n"
        "1:  cmpq $8, %rcx\n"
        "    jb 2f\n"
        "    movq (%rsi), %rax\n"
        "    movq %rax, (%rdi)\n"
        "    addq $8, %rsi\n"
        "    addq $8, %rdi\n"
        "    subq $8, %rcx\n"
        "    jmp 1b\n"
        "2:  testq %rcx, %rcx\n"
        "    jz 4f\n"
        "    movb (%rsi), %al\n"
        "    movb %al, (%rdi)\n"
        "    incq %rsi\n"
        "    incq %rdi\n"
        "    decq %rcx\n"
        "    jmp 2b\n"
        "3:  rep movsb\n"
        "4:  xorl %eax, %eax\n"
        "    ret\n"
        "mmf__probe_copy_end:\n"
        ".size mmf__probe_copy, .-mmf__probe_copy\n"
        "mmf__probe_copy_fault:\n"
        "    movq %rcx, %rax\n"
        "    ret\n");
extern const char mmf__probe_copy_end[] __attribute__((visibility("hidden")));
extern const char mmf__probe_copy_fault[] __attribute__((visibility("hidden")));
#define MMF__PC(uc) ((ucontext_t *)(uc))->uc_mcontext.gregs[REG_RIP]
#else
#define MMF__PC(uc) ((ucontext_t *)(uc))->uc_mcontext.gregs[REG_EIP]
#endif

/* 1 if the fault is a probe's: then the program resumes in its fix-up. */
static int recover_probe(void *uc)
{
    uintptr_t pc = (uintptr_t)MMF__PC(uc);
#ifdef MMF__HAVE_COPY_PROBE
    if (pc >= (uintptr_t)mmf__probe_copy &&
        pc < (uintptr_t)mmf__probe_copy_end) {
        MMF__PC(uc) = (greg_t)(uintptr_t)mmf__probe_copy_fault;
        return 1;
    }
#endif
    for (const mmf__extable_entry *e = __start_mmf_extable;
         e != NULL && e < __stop_mmf_extable; e++) {
        uintptr_t fault = (uintptr_t)&e->fault + (uintptr_t)(intptr_t)e->fault;
        if (fault == pc) {
            MMF__PC(uc) =
                (greg_t)((uintptr_t)&e->fixup + (uintptr_t)(intptr_t)e->fixup);
            return 1;
        }
    }
    return 0;
}
#endif

static struct sigaction previous_sigbus;

static void chain_to_previous(int sig, siginfo_t *si, void *uc)
{
    const struct sigaction *prev = &previous_sigbus;
    if (prev->sa_flags & SA_SIGINFO) {
        if (prev->sa_sigaction != NULL) {
            prev->sa_sigaction(sig, si, uc);
            return;
        }
    } else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
        return;
    }
    /* Default action (ignoring a hardware fault is not possible: it would
     * fault again forever).  Restore it; a real fault re-executes and
     * kills, a signal sent with kill/raise is sent again. */
    signal(sig, SIG_DFL);
    if (si == NULL || si->si_code <= 0)
        raise(sig);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
#ifdef MMF__HAVE_PROBES
    if (si != NULL && si->si_code > 0 && uc != NULL && recover_probe(uc))
        return;
#endif
    mmf__guard *g = mmf__guard_current;
    if (g != NULL && si != NULL && si->si_code > 0) {
        g->fault_addr = si->si_addr;
        mmf__guard_current = g->prev;
        MMF__LONGJMP(g->env);
    }
    chain_to_previous(sig, si, uc);
}

static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static int guard_installed;

int mmf__guard_install(void)
{
    /* Checked at every open, not once: a host (a test framework, a
     * runtime) may install its own SIGBUS handler after ours and so switch
     * the guard off.  Then ours goes back on top, chaining to theirs. */
    struct sigaction cur;
    if (guard_installed && sigaction(SIGBUS, NULL, &cur) == 0 &&
        (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_sigbus)
        return 0;
    int rc = 0;
    pthread_mutex_lock(&guard_lock);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sigemptyset(&sa.sa_mask);
    /* SA_ONSTACK: a host that runs its handlers on an alternate stack (stack
     * overflow detection) keeps doing so. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    if (sigaction(SIGBUS, NULL, &cur) != 0)
        rc = MMF_EIO;
    else if (!((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_sigbus)) {
        previous_sigbus = cur;
        if (sigaction(SIGBUS, &sa, NULL) != 0)
            rc = MMF_EIO;
    }
    if (rc == 0)
        guard_installed = 1;
    pthread_mutex_unlock(&guard_lock);
    return rc;
}

void mmf__guard_recovered(void)
{
    /* The jump skipped the handler's return, which would have unblocked
     * SIGBUS; do it here, on the (rare) fault path only. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGBUS);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}
