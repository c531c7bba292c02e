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
#include <sys/resource.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS MAP_ANON
#endif
#ifndef MAP_NORESERVE /* a hint: where missing, PROT_NONE commits nothing */
#define MAP_NORESERVE 0
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

int mmf__os_address_space_is_wide(void)
{
    if (sizeof(void *) < 8)
        return 0;
    struct rlimit rl;
    return getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY;
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

/* The kind and size of fd's file, without its timestamps.  Linux 6.13+
 * (multigrain timestamps) marks a file's ctime as queried when a stat
 * returns it, and the next write then takes a fine-grained timestamp that
 * dirties the inode: on ext4 the following fdatasync must commit the
 * journal too.  An fstat between the writes of a pwrite+fdatasync loop
 * made each round about 40 us (50%) slower here; statx asking for the
 * type and size only leaves the timestamps unqueried. */
static int stat_size(int fd, mode_t *mode, off_t *size)
{
#if defined(__linux__) && defined(STATX_SIZE) && defined(AT_EMPTY_PATH)
    struct statx sx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, &sx) == 0) {
        *mode = sx.stx_mode;
        *size = (off_t)sx.stx_size;
        return 0;
    }
    if (errno != ENOSYS && errno != EINVAL)
        return -1;
#endif
    struct stat st; /* older kernels and libcs */
    if (fstat(fd, &st) != 0)
        return -1;
    *mode = st.st_mode;
    *size = st.st_size;
    return 0;
}

static int check_kind(mmf_map *m, int fd, const char *what)
{
    mode_t mode;
    off_t bytes;
    if (stat_size(fd, &mode, &bytes) != 0)
        return os_fail(m, errno, "fstat", what);
    /* The size comes with the kind: the open uses it rather than asking
     * again (an fstat is ~0.6 us, a sixth of opening a small file). */
    if (m != NULL && S_ISREG(mode) && bytes >= 0)
        m->size_at_open = (uint64_t)bytes;
    /* Only regular files are read and written at offsets by the access
     * policy: a device maps what its driver maps (/dev/zero's pwrite
     * discards, its mapping keeps), and whether it maps at all is for the
     * open to say. */
    if (m != NULL && !S_ISREG(mode))
        m->no_fd_io = 1;
    return refuse_kind(m, mode, fd, what);
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
    mode_t mode;
    off_t bytes;
    if (stat_size(fd, &mode, &bytes) != 0)
        return os_fail(m, errno, "fstat", NULL);
    if (S_ISCHR(mode)) {
        /* A mappable device (check_kind let it through) has no size: it
         * is as long as its driver lets it be mapped, and mmap(2) says
         * where that ends.  MMF__DEVICE_SIZE lets any length the caller
         * gives reach mmap. */
        *size = MMF__DEVICE_SIZE;
        return 0;
    }
    if (S_ISBLK(mode)) {
        off_t end = lseek(fd, 0, SEEK_END);
        if (end < 0)
            return os_fail(m, errno, "lseek", NULL);
        *size = (uint64_t)end;
        return 0;
    }
    *size = bytes < 0 ? 0 : (uint64_t)bytes;
    return 0;
}

/* lseek(SEEK_END) answers in 0.12 us where statx takes 0.33 us here, a
 * twentieth of a 64-byte pwrite that must not extend the file (policy.c,
 * fd_write), but it moves the file offset: only where the offset is ours. */
int mmf__os_regular_file_size(mmf_map *m, mmf__handle fd, int offset_ours,
                              uint64_t *size)
{
    if (offset_ours) {
        off_t end = lseek(fd, 0, SEEK_END);
        if (end >= 0) {
            *size = (uint64_t)end;
            return 0;
        }
    }
    return mmf__os_file_size(m, fd, size);
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

/* --- reservations (mmf_options.reserve) -------------------------------------
 * Address space held for a map to grow into without moving.  The
 * reservation is an inaccessible private anonymous mapping that commits
 * nothing (PROT_NONE + MAP_NORESERVE); the file is then mapped over the
 * front of it with MAP_FIXED, and the tail given back by mapping PROT_NONE
 * over it again.  MAP_FIXED only ever lands inside the reservation, which
 * this object alone owns: MAP_FIXED over memory we do not own would
 * silently replace someone else's mapping.  Neither step adds address
 * space (Linux counts only the pages a MAP_FIXED mapping adds beyond those
 * it replaces against RLIMIT_AS), so growth inside the reservation cannot
 * run out of it. */

/* Small growths write the zeros (one pwrite, whose block reservation says
 * ENOSPC now as posix_fallocate would): posix_fallocate of a few hundred
 * bytes costs twice a pwrite of them on ext4, and a log grows by a record
 * at a time.  Large ones reserve blocks without writing them. */
#define EXTEND_BY_WRITE 65536

int mmf__os_extend_file(mmf_map *m, mmf__handle fd, uint64_t old_size,
                        uint64_t new_size)
{
    static const char zeros[EXTEND_BY_WRITE];
    if (new_size - old_size > sizeof zeros || old_size > (uint64_t)INT64_MAX ||
        new_size > (uint64_t)INT64_MAX)
        return mmf__os_set_file_size(m, fd, new_size, 1);
    size_t n = (size_t)(new_size - old_size), done = 0;
    while (done < n) {
        ssize_t w = pwrite(fd, zeros, n - done, (off_t)(old_size + done));
        if (w > 0) {
            done += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        int err = w < 0 ? errno : ENOSPC;
        /* A part may have been written (a file-size limit met half-way):
         * the file goes back to where it was. */
        if (done > 0 && ftruncate(fd, (off_t)old_size) != 0) {
            /* pwrite's error is the one worth reporting */
        }
        return os_fail(m, err, "pwrite", "extending the file");
    }
    return 0;
}

int mmf__os_reserve(mmf_map *m, size_t len, mmf__mapping *out)
{
    void *p = mmap(NULL, len, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        int err = errno;
        char what[64];
        snprintf(what, sizeof what, "reserve %zu bytes", len);
        int rc = os_fail(m, err, "mmap", what);
        /* Every other argument is fixed and valid: EINVAL (valgrind's
         * answer to a length larger than any address space) means no room,
         * as the kernel's ENOMEM does. */
        return err == EINVAL ? MMF_ENOMEM : rc;
    }
    out->base = p;
    out->len = 0;
    out->os_extra = NULL;
    return 0;
}

/* Put [at, at+len) of the reservation back to reserved: inaccessible, no
 * pages, no file behind it.  Replacing the range keeps the reservation
 * whole, where munmap would leave a hole for the next mmap to fill. */
static int unreserve_to_none(char *addr, size_t len)
{
    void *p =
        mmap(addr, len, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    return p == MAP_FAILED ? -1 : 0;
}

int mmf__os_reserve_map(mmf_map *m, mmf__mapping *mp, mmf__handle fd,
                        size_t new_len)
{
    size_t at = mp->len; /* page-aligned, as is new_len */
    size_t len = new_len - at;
    uint64_t file_off = mp->file_off + at;
    int flags = MAP_FIXED;
    if (fd < 0)
        flags |= MAP_ANONYMOUS | (m->anon_private ? MAP_PRIVATE : MAP_SHARED);
    else
        flags |= MAP_SHARED;
    if (file_off > (uint64_t)INT64_MAX)
        return mmf__fail(m, MMF_EOVERFLOW, "file offset %llu is too large",
                         (unsigned long long)file_off);
    void *p = mmap(mp->base + at, len, prot_for(m), flags, fd,
                   fd < 0 ? 0 : (off_t)file_off);
    if (p == MAP_FAILED) {
        int err = errno;
        /* A failed MAP_FIXED may already have unmapped the range it was to
         * replace (mm/mmap.c did so before Linux 6.12): reserve it again,
         * so that the reservation has no hole another mmap could fill. */
        (void)unreserve_to_none(mp->base + at, len);
        char what[96];
        snprintf(what, sizeof what,
                 "%zu bytes at file offset %llu inside the reservation", len,
                 (unsigned long long)file_off);
        return os_fail(m, err, "mmap", what);
    }
    mp->len = new_len;
    return 0;
}

int mmf__os_reserve_trim(mmf_map *m, mmf__mapping *mp, size_t new_len,
                         uint64_t file_end)
{
    (void)file_end; /* POSIX cuts a file under any mapping */
    if (new_len >= mp->len)
        return 0;
    if (unreserve_to_none(mp->base + new_len, mp->len - new_len) != 0) {
        int err = errno;
        return os_fail(m, err, "mmap", "give back the reservation's tail");
    }
    mp->len = new_len;
    return 0;
}

void mmf__os_reserve_release(mmf__mapping *mp, size_t resv_len)
{
    if (mp->base != NULL)
        munmap(mp->base, resv_len);
    mp->base = NULL;
    mp->len = 0;
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
 * The SIGBUS handler and how it lives with the host's (the whole contract:
 * docs/reliability.md, "Living with other signal handlers").
 *
 * Claiming.  A fault is ours only if it is a real fault (si_code > 0, not a
 * kill) and either its program counter is one of our probes (PC-exact
 * exception table) or its address lies in the span the thread's innermost
 * guarded call touches.  Everything else - a fault on the caller's buffer,
 * on the host's own mapping touched from a signal handler that interrupted
 * us, a `kill -BUS` - goes on down the chain as if we were not there.
 *
 * Finding the thread's guard.  The handler does not read the thread-local
 * variables: in a shared object they are dynamic TLS, which glibc allocates
 * with malloc in a thread's first access, and the handler may run in a
 * thread that never called the library (a host thread's own fault) and at
 * any point of it (inside malloc).  Each thread instead registers the
 * address of its mmf__guard_current under a pthread key, in normal context,
 * before its first guarded access (mmf__guard_prepare); the handler asks
 * pthread_getspecific, which in glibc and musl is a plain load from the
 * thread descriptor (NULL for a thread that never registered).
 */
_Thread_local mmf__guard *mmf__guard_current MMF__TLS_ATTR;
_Thread_local int mmf__guard_ready MMF__TLS_ATTR;

static pthread_key_t guard_key;
static pthread_once_t guard_key_once = PTHREAD_ONCE_INIT;
static volatile sig_atomic_t guard_key_made;

static void make_guard_key(void)
{
    if (pthread_key_create(&guard_key, NULL) == 0)
        guard_key_made = 1;
}

int mmf__guard_prepare(sigset_t *caller_mask)
{
    /* Registered once per thread (the key exists: an open made it). */
    if (guard_key_made && pthread_getspecific(guard_key) != &mmf__guard_current)
        pthread_setspecific(guard_key, (void *)&mmf__guard_current);
    /* Unblock SIGBUS and learn the old mask in one call.  Where it was
     * blocked, Linux would not run our handler on a fault: it resets the
     * disposition to SIG_DFL and kills the process (force_sig_info). */
    sigset_t bus;
    sigemptyset(&bus);
    sigaddset(&bus, SIGBUS);
    if (pthread_sigmask(SIG_UNBLOCK, &bus, caller_mask) != 0)
        return 0;
    if (sigismember(caller_mask, SIGBUS))
        return 1;
    mmf__guard_ready = guard_key_made;
    return 0;
}

void mmf__guard_leave(const sigset_t *caller_mask)
{
    pthread_sigmask(SIG_SETMASK, caller_mask, NULL);
}

#ifdef MMF__HAVE_PROBES
/* The byte probes are inline (internal.h); their table lies between these
 * two symbols, which the linker defines for the section.  Weak: a program
 * that links no probe has no table. */
extern const mmf__extable_entry __start_mmf_extable[]
    __attribute__((weak, visibility("hidden")));
extern const mmf__extable_entry __stop_mmf_extable[]
    __attribute__((weak, visibility("hidden")));

#if defined(__x86_64__)
/* The copy probe.  Its two inner labels are global (hidden) symbols: the
 * handler refers to them from C, and under -flto (the Python module's
 * build) the handler and this top-level asm may land in different
 * partitions, where a file-local label is not found.  Every instruction
 * of it may fault; %rcx always holds
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
        ".globl mmf__probe_copy_end\n"
        ".hidden mmf__probe_copy_end\n"
        "mmf__probe_copy_end:\n"
        ".size mmf__probe_copy, .-mmf__probe_copy\n"
        ".globl mmf__probe_copy_fault\n"
        ".hidden mmf__probe_copy_fault\n"
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

/* --- chaining --------------------------------------------------------------
 *
 * Why levels.  A host may install its own SIGBUS handler after ours, and
 * most chain to the handler they found (faulthandler, crash reporters, the
 * JVM, another copy of this library): they saved ours.  Faults in our
 * guarded calls must still reach us first (faulthandler would print a fatal
 * error for a fault we recover from), so an open that finds a foreign
 * handler on top puts ours back on top, chaining to it.  Done with one
 * handler and one saved disposition, that is a cycle: ours -> theirs ->
 * ours -> theirs ...  (the saved disposition was overwritten by theirs).
 *
 * So each position we take in the chain is its own entry point, a level,
 * with its own saved disposition, fixed when the level is installed:
 * level 0 chains to what was there at our first install (the original),
 * level k to the foreign handler we found on top at the k-th re-install.
 * A host handler that saved our level j and chains to it - by calling it,
 * by restoring it and raising the signal again (faulthandler), or by
 * restoring it and returning so that the fault repeats (Breakpad, Crashpad)
 * - lands in level j, which continues with level j's disposition: down the
 * chain, never up.  Every handler in the chain runs once and the chain
 * ends as the original disposition would.
 *
 * Limits.  A foreign handler that is exactly the saved disposition of a
 * level we have (the same function and SA_SIGINFO: a test framework such
 * as cmocka swaps its handler in and out around every test) gets that level
 * back on top instead of a new one.  After MMF__LEVELS levels we stop
 * re-installing: the foreign handler stays on top and sees our faults
 * first, which is what a library that installs once (libsigsegv) always
 * does.  Two copies of this library in one process each take levels over
 * the other's; each passes on what is not its own, so either order works.
 * A chain that still comes back to a level it has passed through (a
 * foreign handler installed twice, the second time above a later level of
 * ours) is cut by the marks below and ends in the default action.
 */
#define MMF__LEVELS 8

typedef void (*mmf__sa_fn)(int, siginfo_t *, void *);

static struct sigaction level_prev[MMF__LEVELS];
/* The level's disposition had SA_RESETHAND and ran once: now SIG_DFL. */
static volatile sig_atomic_t level_reset[MMF__LEVELS];
static int levels_used; /* under guard_lock */
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;

/* A signal-frame mark: while a level passes a signal on, its frame's
 * uc_link (which the kernel sets to NULL in every frame it builds and never
 * reads back) points to a mark on the handler's stack, so that a chained
 * handler that calls us with the same frame is seen to be inside that
 * level.  Read only where it must lie: between our frame and the frame. */
typedef struct mmf__chain_mark {
    uint64_t magic;
    const void *copy; /* which copy of the library */
    int level;
    void *saved_link;
} mmf__chain_mark;
#define MMF__MARK_MAGIC 0x6d6d66636861696eULL /* "mmfchain" */

/* 1 if a level at or below `level` of this copy is already passing this
 * same signal on: we came back up the chain. */
static int chain_came_back(const ucontext_t *uc, int level, const char *here)
{
    const mmf__chain_mark *p = (const mmf__chain_mark *)uc->uc_link;
    for (int i = 0; i < 2 * MMF__LEVELS + 2 && p != NULL; i++) {
        if ((const char *)p <= here || (const char *)p >= (const char *)uc ||
            p->magic != MMF__MARK_MAGIC)
            return 0;
        if (p->copy == (const void *)level_prev && p->level <= level)
            return 1;
        p = (const mmf__chain_mark *)p->saved_link;
    }
    return 0;
}

/* What the kernel does when the disposition is SIG_DFL.  A real fault: the
 * disposition goes back to SIG_DFL and the handler returns, the access
 * runs again and the kernel kills the process with SIGBUS (and its core
 * dump), as it would have without us.  A signal sent with kill(): sent
 * again, to this thread; blocked while we run, it kills when delivered. */
static void default_action(int sig, int fault)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    if (!fault)
        raise(sig);
}

/* Hand the signal to level's saved disposition, as the kernel would have:
 * SIG_IGN ignores what was sent with kill() (a real fault cannot be
 * ignored: the kernel kills, as default_action does), a handler runs with
 * its own sa_mask and SA_NODEFER, SA_RESETHAND makes it a one-shot. */
static void pass_on(int level, int sig, siginfo_t *si, void *uc, int fault)
{
    const struct sigaction *p = &level_prev[level];
    /* sa_handler and sa_sigaction share storage: SIG_DFL and SIG_IGN are
     * told by value whatever SA_SIGINFO says (SIG_IGN with SA_SIGINFO must
     * not become a call to address 1). */
    void (*h)(int) = level_reset[level] ? SIG_DFL : p->sa_handler;
    if (h == SIG_IGN) {
        if (fault)
            default_action(sig, fault);
        return;
    }
    if (h == SIG_DFL) {
        default_action(sig, fault);
        return;
    }
    if (((unsigned int)p->sa_flags & (unsigned int)SA_RESETHAND) != 0)
        level_reset[level] = 1;
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &p->sa_mask, &old);
    if (p->sa_flags & SA_NODEFER) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, sig);
        pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    }
    if (p->sa_flags & SA_SIGINFO)
        p->sa_sigaction(sig, si, uc);
    else
        h(sig);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static uintptr_t guard_page_size; /* set at install */

/* The guard of this thread whose span holds addr, or NULL; *slot receives
 * the thread's mmf__guard_current, to unlink it.  The span is taken in
 * whole pages: the string kernels load aligned blocks that begin before
 * the first byte they were given or end after the last (glibc's memchr
 * does), always within the same pages, and a file loses whole pages. */
static mmf__guard *claiming_guard(const void *addr, mmf__guard ***slot)
{
    if (!guard_key_made)
        return NULL;
    mmf__guard **s = pthread_getspecific(guard_key);
    mmf__guard *g = s != NULL ? *s : NULL;
    if (g == NULL || g->touch_hi <= g->touch_lo)
        return NULL;
    uintptr_t a = (uintptr_t)addr, page = guard_page_size;
    uintptr_t lo = (uintptr_t)g->touch_lo & ~(page - 1);
    uintptr_t hi = ((uintptr_t)g->touch_hi - 1) | (page - 1);
    if (a < lo || a > hi)
        return NULL;
    *slot = s;
    return g;
}

/* The kernel's sigset in the frame may be shorter than sigset_t (Linux: 8
 * bytes, then the siginfo): copy only what it holds. */
#if defined(__linux__) && defined(_NSIG)
#define MMF__KERNEL_SIGSET_BYTES ((_NSIG - 1 + 7) / 8)
#else
#define MMF__KERNEL_SIGSET_BYTES sizeof(sigset_t)
#endif

__attribute__((noinline)) static void on_sigbus_at(int level, int sig,
                                                   siginfo_t *si, void *uc)
{
    int saved_errno = errno;
    /* si_code > 0: raised by the kernel for this access, not sent. */
    int fault = si != NULL && si->si_code > 0;
    if (fault && uc != NULL) {
#ifdef MMF__HAVE_PROBES
        if (recover_probe(uc)) {
            errno = saved_errno;
            return;
        }
#endif
        mmf__guard **slot = NULL;
        mmf__guard *g = claiming_guard(si->si_addr, &slot);
        if (g != NULL) {
            const ucontext_t *ucp = uc;
            g->fault_addr = si->si_addr;
            sigemptyset(&g->fault_mask);
            memcpy(&g->fault_mask, &ucp->uc_sigmask,
                   MMF__KERNEL_SIGSET_BYTES < sizeof(sigset_t)
                       ? MMF__KERNEL_SIGSET_BYTES
                       : sizeof(sigset_t));
            g->fault_stack = ucp->uc_stack;
            *slot = g->prev;
            errno = saved_errno;
            MMF__LONGJMP(g->env);
        }
    }
    if (uc != NULL) {
        ucontext_t *ucp = uc;
        char here;
        if (chain_came_back(ucp, level, &here)) {
            default_action(sig, fault);
        } else {
            mmf__chain_mark mark = {MMF__MARK_MAGIC, (const void *)level_prev,
                                    level, (void *)ucp->uc_link};
            ucp->uc_link = (ucontext_t *)(void *)&mark;
            pass_on(level, sig, si, uc, fault);
            ucp->uc_link = (ucontext_t *)mark.saved_link;
        }
    } else {
        pass_on(level, sig, si, uc, fault);
    }
    errno = saved_errno;
}

#define MMF__LEVEL_ENTRY(k)                                                    \
    static void on_sigbus_##k(int sig, siginfo_t *si, void *uc)                \
    {                                                                          \
        on_sigbus_at(k, sig, si, uc);                                          \
    }
MMF__LEVEL_ENTRY(0)
MMF__LEVEL_ENTRY(1)
MMF__LEVEL_ENTRY(2)
MMF__LEVEL_ENTRY(3)
MMF__LEVEL_ENTRY(4)
MMF__LEVEL_ENTRY(5)
MMF__LEVEL_ENTRY(6)
MMF__LEVEL_ENTRY(7)
static const mmf__sa_fn level_entry[MMF__LEVELS] = {
    on_sigbus_0, on_sigbus_1, on_sigbus_2, on_sigbus_3,
    on_sigbus_4, on_sigbus_5, on_sigbus_6, on_sigbus_7};

/* Our level whose entry point `sa` is (whatever its flags), or -1. */
static int level_of(const struct sigaction *sa)
{
    for (int k = 0; k < MMF__LEVELS; k++)
        if ((void (*)(void))sa->sa_sigaction == (void (*)(void))level_entry[k])
            return k;
    return -1;
}

static int same_disposition(const struct sigaction *a,
                            const struct sigaction *b)
{
    return a->sa_handler == b->sa_handler &&
           (a->sa_flags & SA_SIGINFO) == (b->sa_flags & SA_SIGINFO);
}

static int install_level(int k)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = level_entry[k];
    sigemptyset(&sa.sa_mask);
    /* SA_ONSTACK: a host that runs its handlers on an alternate stack (stack
     * overflow detection) keeps doing so. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    if (sigaction(SIGBUS, &sa, NULL) != 0)
        return MMF_EIO;
    levels_used = k + 1;
    return 0;
}

int mmf__guard_install(void)
{
    pthread_once(&guard_key_once, make_guard_key);
    if (guard_page_size == 0)
        guard_page_size = (uintptr_t)mmf__os_page_size();
    if (!guard_key_made)
        return MMF_EIO;
    int rc = 0;
    pthread_mutex_lock(&guard_lock);
    struct sigaction cur;
    if (sigaction(SIGBUS, NULL, &cur) != 0) {
        rc = MMF_EIO;
    } else {
        int k = level_of(&cur);
        if (k >= 0) {
            /* Ours.  Put back with our flags if someone restored it without
             * them (signal() drops SA_SIGINFO); levels above it are gone. */
            if ((cur.sa_flags & (SA_SIGINFO | SA_ONSTACK)) !=
                (SA_SIGINFO | SA_ONSTACK))
                rc = install_level(k);
            else
                levels_used = k + 1;
        } else {
            /* Foreign on top (or nothing yet): a level that already chains
             * to exactly this, else a new one on top of it. */
            for (k = 0; k < levels_used; k++)
                if (same_disposition(&level_prev[k], &cur))
                    break;
            if (k == levels_used && k < MMF__LEVELS) {
                level_prev[k] = cur;
                level_reset[k] = 0;
            }
            if (k < MMF__LEVELS)
                rc = install_level(k);
        }
    }
    pthread_mutex_unlock(&guard_lock);
    /* Validate this thread at every open: registered with the handler, and
     * whether SIGBUS is blocked here. */
    mmf__guard_ready = 0;
    sigset_t caller_mask;
    if (mmf__guard_prepare(&caller_mask))
        mmf__guard_leave(&caller_mask);
    return rc;
}

void mmf__guard_restore(const mmf__guard *g)
{
    /* The jump skipped the handler's return, which would have put back the
     * mask at the fault (whatever the handlers on the way blocked) and the
     * alternate stack (disarmed on delivery with SS_AUTODISARM).  Here, on
     * the (rare) fault path only. */
    pthread_sigmask(SIG_SETMASK,
                    g->unblocked ? &g->caller_mask : &g->fault_mask, NULL);
    stack_t now;
    if (sigaltstack(NULL, &now) == 0 &&
        (now.ss_sp != g->fault_stack.ss_sp ||
         now.ss_size != g->fault_stack.ss_size ||
         (now.ss_flags & SS_DISABLE) !=
             (g->fault_stack.ss_flags & SS_DISABLE))) {
        stack_t s = g->fault_stack;
        s.ss_flags &= ~SS_ONSTACK;
        (void)sigaltstack(&s, NULL); /* as sigreturn: errors ignored */
    }
}
