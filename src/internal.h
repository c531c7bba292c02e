/*
 * internal.h - the object's layout, the platform seam and shared helpers.
 *
 * The core (map.c, access.c, io.c, search.c, window.c, error.c) never calls
 * the operating system directly: everything it needs from the OS goes
 * through the mmf__os_* functions below, implemented once per platform in
 * posix.c and win32.c.  Only this header and the backends may test _WIN32.
 */
#ifndef MMF_INTERNAL_H
#define MMF_INTERNAL_H

/* mingw: the C99 printf family of mingw-w64 rather than msvcrt's, which
 * knows neither %zu nor (before Vista) %llu.  Before any header. */
#if defined(__MINGW32__) && !defined(__USE_MINGW_ANSI_STDIO)
#define __USE_MINGW_ANSI_STDIO 1
#endif

#include "mmapfile.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
typedef void *mmf__handle; /* HANDLE */
#define MMF__NO_HANDLE ((void *)0)
#else
typedef int mmf__handle;
#define MMF__NO_HANDLE (-1)
#endif

#if defined(__GNUC__)
#define MMF__LIKELY(x) __builtin_expect(!!(x), 1)
#define MMF__UNLIKELY(x) __builtin_expect(!!(x), 0)
#if defined(__MINGW32__) /* "printf" would check msvcrt's formats */
#define MMF__PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))
#else
#define MMF__PRINTF(a, b) __attribute__((format(printf, a, b)))
#endif
#else
#define MMF__LIKELY(x) (x)
#define MMF__UNLIKELY(x) (x)
#define MMF__PRINTF(a, b)
#endif

enum mmf__kind { MMF__KIND_FILE = 1, MMF__KIND_ANON = 2, MMF__KIND_SHM = 3 };

/* One OS mapping: what mmf__os_map returns and mmf__os_unmap takes. */
typedef struct mmf__mapping {
    char *base;        /* address the OS gave (granularity-aligned) */
    size_t len;        /* bytes mapped from base */
    uint64_t file_off; /* file offset of base (0 for anonymous maps) */
    void *os_extra;    /* backend's own (the Windows section handle) */
} mmf__mapping;

struct mmf_map {
    int is_open;
    int kind;     /* enum mmf__kind */
    int access;   /* MMF_ACCESS_READ / WRITE / COPY once open */
    int flags;    /* mmf_options.flags */
    int windowed; /* 1: only [win_start, win_start + win_len) is mapped */
    int anon_private;
    mmf__handle fd; /* MMF__NO_HANDLE for anonymous maps */

    uint64_t offset; /* file offset of map byte 0 */
    uint64_t length; /* map length in bytes */
    uint64_t pos;    /* cursor, in [0, length] */
    uint64_t window_size;

    /* The current mapping.  `data` is the address of map byte `win_start`;
     * bytes [win_start, win_start + win_len) of the map are reachable from
     * it.  For a whole map win_start is 0 and win_len is length. */
    mmf__mapping mapping;
    char *data;
    uint64_t win_start;
    uint64_t win_len;
    uint64_t window_moves; /* windows mapped so far (the tests bound it) */

    /* The file's size as the open's kind check saw it (the backend sets
     * it), or UINT64_MAX: saves open_mapped an fstat. */
    uint64_t size_at_open;
    /* Set by the backend when the descriptor's own flags rule out
     * positioned I/O (a caller's O_APPEND descriptor, where Linux pwrite
     * appends whatever the offset; O_DIRECT, which wants aligned buffers):
     * then the map always goes through its mapping. */
    int no_fd_io;

    /* What the access policy (policy.c) keeps: */
    int fd_io;          /* the descriptor can be read and written at offsets */
    int fd_offset_ours; /* fd's file offset is ours alone (mmf_open_path) */
    unsigned fd_calls;  /* accesses served through the descriptor so far */
    size_t fd_pass_bytes; /* bytes of large copies read through the
                             descriptor (policy.c, large_copy_by_fd) */
    int fd_dirty;    /* written through the descriptor since the last sync */
    int sync_writer; /* the caller has flushed with SYNC or DURABLE */
    uint64_t append_len;  /* the map's length after the last append ... */
    uint64_t append_size; /* ... and the file's size, or UINT64_MAX */

    /* mmf_options.reserve (reserve.c): with resv_len > 0 the map lives at
     * the front of resv_len bytes of address space held from open to close:
     * `mapping` begins at the reservation's start and maps the file (or
     * anonymous memory) for mapping.len bytes; the rest is held
     * inaccessible, for the map to grow into without moving. */
    uint64_t reserve; /* bytes asked for, counted from map byte 0 */
    size_t resv_len;  /* bytes held from mapping.base; 0: no reservation */

    char errmsg[320];
    int os_error; /* errno / GetLastError() behind the last failure, or 0 */
};

/* win_len is how a mapping is published.  A lazy whole map (policy.c) gets
 * its mapping inside a call that other threads may be making on the same
 * object at the same moment (the read-only calls the header lets threads
 * share): the mapping's fields are written first and win_len last, with
 * release order, and every reader loads win_len first, with acquire order,
 * so a reader that sees a length also sees the data pointer it belongs to.
 * On x86 both are plain moves; elsewhere the cheapest ordered forms. */
#if defined(__GNUC__)
#define MMF__WIN_LEN(m) __atomic_load_n(&(m)->win_len, __ATOMIC_ACQUIRE)
#define MMF__PUBLISH_WIN_LEN(m, v)                                             \
    __atomic_store_n(&(m)->win_len, (v), __ATOMIC_RELEASE)
#else
#define MMF__WIN_LEN(m) ((m)->win_len)
#define MMF__PUBLISH_WIN_LEN(m, v) ((m)->win_len = (v))
#endif

/* --- errors (error.c) --------------------------------------------------- */

/* Record a message on the object and return code (so `return
 * mmf__fail(m, MMF_ERANGE, "...")` reads as one step). */
int mmf__fail(mmf_map *m, int code, const char *fmt, ...) MMF__PRINTF(3, 4);

/* The first error of a call, kept while an undo step (cutting a file back,
 * mapping the old range again) runs and may write its own message:
 * mmf__save_error before the undo, mmf__restore_error after it, which
 * returns rc with the saved message and OS error back on the object. */
typedef struct mmf__saved_error {
    char msg[sizeof(((mmf_map *)0)->errmsg)];
    int os_error;
} mmf__saved_error;
void mmf__save_error(const mmf_map *m, mmf__saved_error *s);
int mmf__restore_error(mmf_map *m, const mmf__saved_error *s, int rc);

/* The usual range check: [off, off+n) inside [0, limit).  Names `what` in
 * the message.  Returns 0, MMF_EOVERFLOW or MMF_ERANGE. */
int mmf__check_range(mmf_map *m, const char *what, uint64_t off, uint64_t n,
                     uint64_t limit);

/* 0 if open, else MMF_ECLOSED with a message. */
int mmf__check_open(mmf_map *m);
int mmf__check_writable(mmf_map *m, const char *op);

/* Overflow-checked arithmetic; return 0 on success, 1 on overflow. */
static inline int mmf__add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a > UINT64_MAX - b)
        return 1;
    *out = a + b;
    return 0;
}

/* A uint64_t that must fit in size_t (32-bit builds). */
static inline int mmf__to_size(uint64_t v, size_t *out)
{
    if (v > (uint64_t)SIZE_MAX)
        return 1;
    *out = (size_t)v;
    return 0;
}

/* --- the platform seam (posix.c / win32.c) ------------------------------ */

size_t mmf__os_page_size(void);
size_t mmf__os_granularity(void);
/* 1 if the process has a 64-bit address space with no limit set on it
 * (RLIMIT_AS): there a map of many GiB finds room as surely as one of a
 * few MiB (policy.c, LAZY_MAX_WIDE). */
int mmf__os_address_space_is_wide(void);

/* Open `path` for reading, or for reading and writing.  With create
 * non-NULL and *create set, a missing file is created, and *create says
 * on return whether this call created it.  Refuses anything but a regular
 * file (or a block device, which can be mapped) with the matching code. */
int mmf__os_open_path(mmf_map *m, const char *path, int writable, int *create,
                      mmf__handle *fd);
/* Remove a file this library created, after a failed open. */
void mmf__os_remove(const char *path);

/* Duplicate a caller's descriptor after checking its kind; *writable
 * receives 1 if it is open for reading and writing, *readable 1 if it is
 * open for reading. */
int mmf__os_dup_fd(mmf_map *m, int fd, mmf__handle *out, int *readable,
                   int *writable);

/* Open or create a named shared-memory object (shm_open / named section). */
int mmf__os_shm_open(mmf_map *m, const char *name, int writable, int create,
                     mmf__handle *fd);
/* Open the named object for reading and writing, creating it if missing;
 * *created says whether this call created it (and so may remove the name
 * again if the open fails later). */
int mmf__os_shm_create(mmf_map *m, const char *name, mmf__handle *fd,
                       int *created);
int mmf__os_shm_unlink(const char *name);

void mmf__os_close(mmf__handle fd);

/* One process-wide lock, held while a lazy map gets its first mapping
 * (policy.c): two threads sharing the map must not both make one. */
void mmf__os_lazy_lock(void);
void mmf__os_lazy_unlock(void);
int mmf__os_file_size(mmf_map *m, mmf__handle fd, uint64_t *size);
/* The size of the regular file open on fd, asked as cheaply as the
 * descriptor allows: offset_ours says that no one else reads its file
 * offset (mmf_open_path's own descriptor), which may then move. */
int mmf__os_regular_file_size(mmf_map *m, mmf__handle fd, int offset_ours,
                              uint64_t *size);
/* What mmf__os_file_size says of a device that maps but has no size
 * (/dev/zero, uio, DAX): any length reaches mmap(2), "to the end" is
 * refused at open. */
#define MMF__DEVICE_SIZE ((uint64_t)INT64_MAX)

/* Set the file's size.  When growing with reserve=1 the blocks are
 * allocated (posix_fallocate) so that a full disk is an error here. */
int mmf__os_set_file_size(mmf_map *m, mmf__handle fd, uint64_t size,
                          int reserve);
/* Wait until the file's data (and the size, what is needed to read it
 * back) are written.  durable=1: also through the drive's write cache where
 * the platform's plain sync stops short of it (macOS F_FULLFSYNC). */
int mmf__os_sync_file(mmf_map *m, mmf__handle fd, int durable);

/* Positioned I/O on the descriptor, for the policy's descriptor path.
 * mmf__os_pread returns the bytes read in *done (short only at the end of
 * the file); mmf__os_pwrite writes all n bytes or fails, *done saying how
 * many it wrote before it failed.  Neither moves a
 * file pointer another descriptor shares.  mmf__os_fd_io says whether fd
 * supports them (Windows: not for shared memory, nor for a duplicated
 * handle, whose file pointer ReadFile would move under the caller). */
int mmf__os_fd_io(mmf__handle fd);
int mmf__os_pread(mmf_map *m, mmf__handle fd, void *buf, size_t n,
                  uint64_t file_off, size_t *done);
int mmf__os_pwrite(mmf_map *m, mmf__handle fd, const void *buf, size_t n,
                   uint64_t file_off, size_t *done);

/* What the platform's sync calls guarantee, for the flush policy:
 *   MMF__MSYNC_SYNCS_FILE   msync(MS_SYNC) of a shared file mapping is a
 *                           data sync of its file range, as durable as
 *                           fdatasync (Linux: mm/msync.c calls
 *                           vfs_fsync_range(file, start, end, 1));
 *   MMF__FSYNC_SEES_MAPPED  a file sync also writes the pages changed
 *                           through a mapping (Linux: a write fault marks
 *                           the folio dirty in the page cache). */
/* MMF__LAZY_MAPS: whole maps may wait for their first mapped access.  Not
 * on Windows, where an open view keeps every other process from shrinking
 * the file (ERROR_USER_MAPPED_FILE), a guarantee that a map without a view
 * would silently give up. */
#ifdef _WIN32
#define MMF__LAZY_MAPS 0
#else
#define MMF__LAZY_MAPS 1
#endif
#if defined(__linux__)
#define MMF__MSYNC_SYNCS_FILE 1
#define MMF__FSYNC_SEES_MAPPED 1
#else
#define MMF__MSYNC_SYNCS_FILE 0
#define MMF__FSYNC_SEES_MAPPED 0
#endif

/* 1 if the OS lets the file behind fd be cut while this process has a view
 * of it mapped (POSIX); 0 where it refuses (a Windows file:
 * ERROR_USER_MAPPED_FILE), and the core must unmap its own view first. */
int mmf__os_can_cut_mapped(mmf__handle fd);

/* Map len bytes of fd at the granularity-aligned file offset `file_off`
 * with the map's access mode, or anonymous memory when fd is
 * MMF__NO_HANDLE.  MMF_ENOMEM when the address space has no room. */
int mmf__os_map(mmf_map *m, mmf__handle fd, uint64_t file_off, size_t len,
                int populate, mmf__mapping *out);
void mmf__os_unmap(mmf__mapping *mp);

/* Change the size of a mapping in place or by moving it (Linux mremap).
 * MMF_ENOTSUP when the platform cannot: the core then unmaps and maps. */
int mmf__os_remap(mmf_map *m, mmf__mapping *mp, size_t new_len);

/* Reservations (reserve.c uses them).  mmf__os_reserve holds len bytes
 * (a multiple of the granularity) of inaccessible address space; out->base
 * is its start, out->len (the bytes mapped from the front) 0.
 * mmf__os_reserve_map maps [mp->len, new_len) of the reservation in place,
 * from fd at file offset mp->file_off + mp->len (anonymous memory when fd
 * is MMF__NO_HANDLE), and sets mp->len = new_len; the bytes before mp->len
 * are not touched.  mmf__os_reserve_trim gives [new_len, mp->len) back to
 * the reservation (the mapped front stays where it is), leaving nothing of
 * ours that would keep the file from being cut to file_end afterwards
 * (Windows refuses to cut a file under a longer section of it).  Lengths are
 * page multiples, at most resv_len.  On failure neither changes mp, nor any
 * mapped byte; the reservation stays whole.  mmf__os_reserve_release
 * unmaps all of it.  Where the platform cannot hold a reservation (Windows
 * before 10 1803), mmf__os_reserve is MMF_ENOTSUP with a message. */
int mmf__os_reserve(mmf_map *m, size_t len, mmf__mapping *out);
/* MMF__MAP_PAST_EOF: a mapping may reach past the end of its file, the
 * pages there faulting only when touched (POSIX).  Windows cannot map a
 * view past its section, nor make a section longer than a file without
 * growing the file. */
#ifdef _WIN32
#define MMF__MAP_PAST_EOF 0
#else
#define MMF__MAP_PAST_EOF 1
#endif
/* Grow the file from old_size (what the caller just saw) to new_size, with
 * the blocks reserved as mmf__os_set_file_size(reserve=1) does, by the
 * cheapest means for the amount (writing the zeros of a small growth). */
int mmf__os_extend_file(mmf_map *m, mmf__handle fd, uint64_t old_size,
                        uint64_t new_size);
int mmf__os_reserve_map(mmf_map *m, mmf__mapping *mp, mmf__handle fd,
                        size_t new_len);
int mmf__os_reserve_trim(mmf_map *m, mmf__mapping *mp, size_t new_len,
                         uint64_t file_end);
void mmf__os_reserve_release(mmf__mapping *mp, size_t resv_len);

/* Write back [addr, addr+len) (addr page-aligned) and wait unless async. */
int mmf__os_flush(mmf_map *m, void *addr, size_t len, int async);

/* addr page-aligned.  advice is an mmf_advice. */
int mmf__os_advise(mmf_map *m, void *addr, size_t len, int advice);
int mmf__os_advise_raw(mmf_map *m, void *addr, size_t len, int os_advice);
int mmf__os_residency(mmf_map *m, void *addr, size_t len, uint64_t *resident);
int mmf__os_lock(mmf_map *m, void *addr, size_t len, int lock);
/* Drop the pages from this process and, for files, from the page cache. */
int mmf__os_evict(mmf_map *m, void *addr, size_t len, mmf__handle fd,
                  uint64_t file_off);

/* The same calls for file bytes [file_off, file_off+len) that no mapping of
 * ours holds now (the parts of a windowed map outside its window): advice
 * to the page cache (posix_fadvise), write-back of pages dirtied through
 * earlier windows, and dropping clean pages from the page cache.  Where the
 * OS has no such call they succeed doing nothing; the header says which. */
int mmf__os_advise_file(mmf_map *m, mmf__handle fd, uint64_t file_off,
                        uint64_t len, int advice);
int mmf__os_flush_file(mmf_map *m, mmf__handle fd, uint64_t file_off,
                       uint64_t len, int async);
int mmf__os_evict_file(mmf_map *m, mmf__handle fd, uint64_t file_off,
                       uint64_t len);
/* The mmf_advice that a platform advice number means, or -1 if it has
 * none (then it has no file-level form either). */
int mmf__os_advice_of_raw(int os_advice);

/* --- the fault guard (posix.c / win32.c install it; access.c uses it) ---
 *
 * A guarded operation saves a jump point (without the signal mask: a
 * syscall per call would cost more than the copy it protects), links a
 * mmf__guard into the thread's chain and runs.  A fault (SIGBUS, or
 * EXCEPTION_IN_PAGE_ERROR) in the thread, on an address inside the span the
 * innermost guard touches, jumps back there; MMF__GUARD_RECOVERED(g) then
 * undoes what the jump skipped (the signal mask and alternate stack that
 * the handler's return would have restored).  Any other fault goes on to
 * whoever would get it without mmapfile.  docs/reliability.md, "Living with
 * other signal handlers", is the contract with the host process.
 */
#ifdef _WIN32
#define MMF__SETJMP(env) __builtin_setjmp(env)
#define MMF__LONGJMP(env) __builtin_longjmp(env, 1)
typedef void *mmf__jmp_buf[5];
#else
#include <signal.h>
#define MMF__SETJMP(env) sigsetjmp(env, 0)
#define MMF__LONGJMP(env) siglongjmp(env, 1)
typedef sigjmp_buf mmf__jmp_buf;
#endif

typedef struct mmf__guard {
    mmf__jmp_buf env;
    struct mmf__guard *prev;
    /* The mapped bytes this call touches, [touch_lo, touch_hi): the handler
     * claims a fault only if its address lies there.  A fault anywhere else
     * (the caller's own buffer, the host's own mapping touched by a signal
     * handler that interrupted us) belongs to whoever would get it without
     * mmapfile, and goes on to them. */
    const char *touch_lo;
    const char *touch_hi;
    const void *volatile fault_addr; /* set by the handler */
#ifndef _WIN32
    /* Set by the handler from the signal frame: the mask and alternate
     * stack at the fault, which a return from the handler would have put
     * back and the jump does not. */
    sigset_t fault_mask;
    stack_t fault_stack;
    /* 1 when this call found SIGBUS blocked in the thread and unblocked it
     * for its own duration (the kernel kills a thread that faults with
     * SIGBUS blocked); caller_mask is the mask to put back. */
    int unblocked;
    sigset_t caller_mask;
#endif
} mmf__guard;

/* Install the process-wide handler (thread-safe; called at every open, see
 * posix.c for what it does when another handler took over). */
int mmf__guard_install(void);

/* The current thread's innermost guard (defined by the backend).  Hidden.
 * Its TLS model must be one that every libc accepts in a dlopen()ed object:
 * musl refuses initial-exec TLS there ("initial-exec TLS resolves to
 * dynamic definition") and glibc grants it only from a small surplus, and
 * the library is linked into Python extension modules.  So code that may
 * end up in a shared object (-fPIC, which the CMake static library is too)
 * gets local-dynamic, overriding a -ftls-model=initial-exec on the command
 * line.  With -mtls-dialect=gnu2 (CMake adds it for GCC on x86-64) that is
 * a TLS descriptor: one indirect call that clobbers no other register in a
 * shared object, relaxed by the linker to a constant offset when the code
 * is linked into an executable (measured: get_byte +5 instructions against
 * +3 for initial-exec and +12 for the classic __tls_get_addr call).
 * Signal safety does not depend on the model: the SIGBUS handler never
 * reads these variables (glibc allocates a dynamic TLS block lazily, with
 * malloc, at a thread's first access, and the handler may run in a thread
 * that never called the library); it reaches the guard through a pthread
 * key set in normal context (posix.c). */
#if defined(__ELF__) && defined(__GNUC__) && defined(__PIC__) &&               \
    !defined(__PIE__)
#define MMF__TLS_ATTR                                                          \
    __attribute__((visibility("hidden"), tls_model("local-dynamic")))
#elif defined(__ELF__) && defined(__GNUC__)
#define MMF__TLS_ATTR __attribute__((visibility("hidden")))
#else
#define MMF__TLS_ATTR
#endif
extern _Thread_local mmf__guard *mmf__guard_current MMF__TLS_ATTR;

#ifdef _WIN32
#define MMF__GUARD_ENTER(g) ((void)0)
#define MMF__GUARD_LEAVE(g) ((void)0)
#define MMF__GUARD_RECOVERED(g) mmf__guard_recovered()
/* After a jump back: restore the exception state. */
void mmf__guard_recovered(void);
#else
/* 1 once this thread is registered with the handler and was seen with
 * SIGBUS unblocked (at its first guarded call and at every open in it);
 * until then every guarded call takes the slow path below. */
extern _Thread_local int mmf__guard_ready MMF__TLS_ATTR;
/* The slow path of a guarded call in a thread that is not ready: register
 * the thread, and read its mask while unblocking SIGBUS (one syscall).
 * Returns 1 when SIGBUS was blocked: *caller_mask then holds the mask to
 * restore with mmf__guard_leave() after the access. */
#if defined(__GNUC__)
__attribute__((cold))
#endif
int mmf__guard_prepare(sigset_t *caller_mask);
#if defined(__GNUC__)
__attribute__((cold))
#endif
void mmf__guard_leave(const sigset_t *caller_mask);
#define MMF__GUARD_ENTER(g)                                                    \
    ((g)->unblocked = MMF__UNLIKELY(!mmf__guard_ready)                         \
                          ? mmf__guard_prepare(&(g)->caller_mask)              \
                          : 0)
#define MMF__GUARD_LEAVE(g)                                                    \
    do {                                                                       \
        if (MMF__UNLIKELY((g)->unblocked))                                     \
            mmf__guard_leave(&(g)->caller_mask);                               \
    } while (0)
#define MMF__GUARD_RECOVERED(g) mmf__guard_restore(g)
/* After a jump back: the mask and alternate stack as before the call. */
void mmf__guard_restore(const mmf__guard *g);
#endif

/* Probes: single-byte loads and stores that cost nothing when they do not
 * fault.  Each is one instruction of inline assembly with an entry in an
 * exception table (section mmf_extable: where it may fault, where to
 * resume); on a fault the SIGBUS handler finds the entry and moves the
 * program counter to the fix-up, which sets the result to -1 and rejoins
 * the code, the way the Linux kernel recovers from faults in
 * copy_from_user.  No jump point is saved beforehand, which is what makes
 * them free: a byte get with a sigsetjmp guard costs about 50 instructions
 * more than the load.  Where the backend has no probes, access.c uses the
 * jump-point guard. */
#if defined(__linux__) && defined(__GNUC__) &&                                 \
    (defined(__x86_64__) || defined(__i386__)) && !defined(MMF_NO_PROBES)
#define MMF__HAVE_PROBES 1

/* One entry: both addresses relative to the entry itself, so the table
 * needs no relocation in a shared object. */
typedef struct mmf__extable_entry {
    int32_t fault;
    int32_t fixup;
} mmf__extable_entry;

/* The fix-ups live in a section of their own: never in the section of the
 * function they are expanded in (a cold function is itself in
 * .text.unlikely, where a fix-up would fall straight into its `jmp 2b`). */
#define MMF__PROBE_FIXUP(result)                                               \
    "2:\n\t"                                                                   \
    ".pushsection .text.mmf_fixup, \"ax\"\n\t"                                 \
    "3: movl $-1, " result "\n\t"                                              \
    "jmp 2b\n\t"                                                               \
    ".popsection\n\t"                                                          \
    ".pushsection mmf_extable, \"a\"\n\t"                                      \
    ".balign 4\n\t"                                                            \
    ".long 1b - .\n\t"                                                         \
    ".long 3b - .\n\t"                                                         \
    ".popsection\n\t"

/* *out = *src; 0, or -1 if the page is lost. */
static inline int mmf__probe_load_byte(const void *src, uint8_t *out)
{
    int err = 0;
    uint8_t v = 0;
    __asm__ volatile("1: movb (%2), %0\n\t" MMF__PROBE_FIXUP("%1")
                     : "+q"(v), "+r"(err)
                     : "r"(src)
                     : "memory");
    *out = v;
    return err;
}

/* *dst = value; 0, or -1 if the page is lost. */
static inline int mmf__probe_store_byte(void *dst, uint8_t value)
{
    int err = 0;
    __asm__ volatile("1: movb %2, (%1)\n\t" MMF__PROBE_FIXUP("%0")
                     : "+r"(err)
                     : "r"(dst), "q"(value)
                     : "memory");
    return err;
}
#if defined(__x86_64__)
/* A copy of n bytes, recoverable the same way (a small assembly function
 * in posix.c whose every instruction may fault): returns the number of
 * bytes NOT copied (0 when all were).  For small copies, where a jump
 * point would cost more than the copy itself. */
#define MMF__HAVE_COPY_PROBE 1
size_t mmf__probe_copy(void *dst, const void *src, size_t n);
#endif
#endif

/* --- windows of a map (window.c) ---------------------------------------- */

/* Make [off, off+need) reachable (need >= 1, the range inside the map) and
 * return in *ptr the address of byte `off` and in *avail how many bytes
 * from there are reachable (>= need, at most want).  Whole maps answer at
 * once; windowed maps move the window when the range is not in it. */
int mmf__span(mmf_map *m, uint64_t off, uint64_t need, uint64_t want,
              char **ptr, uint64_t *avail);

/* 1 if map bytes [off, off+len) fit in one window of window_size bytes
 * placed as mmf__span places it. */
int mmf__fits_window(const mmf_map *m, uint64_t off, uint64_t len);

/* mmf__span for a caller walking backwards: make [end-need, end) reachable
 * (need >= 1, the range inside the map) and return in *avail how many bytes
 * ending at `end` are reachable (>= need, at most want) and in *ptr the
 * address of the first of them, byte end - *avail. */
int mmf__span_back(mmf_map *m, uint64_t end, uint64_t need, uint64_t want,
                   char **ptr, uint64_t *avail);

/* Map the file bytes behind map range [start, start+len) (len >= 1) and make
 * it the current mapping; the mapping begins at the granularity boundary at
 * or below offset+start, a detail the caller never sees.  The current
 * mapping is neither unmapped nor changed, also on failure: the caller
 * decides when the old one goes. */
int mmf__mapping_map(mmf_map *m, uint64_t start, uint64_t len);

/* --- reservations (reserve.c) ------------------------------------------ */

/* Open: reserve m->reserve bytes (and the offset's lead) and map the first
 * m->length of them.  Called by mmf__mapping_create for a reserved map. */
int mmf__reserve_create(mmf_map *m);
/* At open, before anything changes the file: 0 if `reserve` bytes from
 * file offset `offset` can be reserved now (they are given back at once),
 * else MMF_ENOMEM or MMF_ENOTSUP with a message naming the option. */
int mmf__reserve_try(mmf_map *m, uint64_t offset, uint64_t reserve);
/* Close: unmap the mapping and give back the reservation. */
void mmf__reserve_release(mmf_map *m);
/* mmf_resize of a reserved map once its arguments are checked: the file
 * (if any) and the mapping take new_length (the file ends at new_end).  A
 * refusal changes nothing. */
int mmf__reserve_resize(mmf_map *m, uint64_t new_length, uint64_t new_end);
/* A reserved map whose file already reaches offset + new_length (the
 * policy's append wrote it) maps its new pages in place and takes that
 * length; new_length lies within the reservation.  On failure nothing
 * changed. */
int mmf__reserve_follow(mmf_map *m, uint64_t new_length);

/* Map the whole range, or for windowed maps nothing yet. */
int mmf__mapping_create(mmf_map *m);
void mmf__mapping_release(mmf_map *m);

/* --- the access policy (policy.c) ---------------------------------------
 * Which path an access takes: the mapping or the descriptor.  Every
 * decision of that kind is made there, nowhere else. */

/* 1: whole file map whose mapping has not been made yet (a whole map's
 * mapping covers its whole length, so a published length says mapped). */
/* Copies of at least this many bytes skip the access functions' fast path
 * and ask the policy (policy.c, large_copy_by_fd). */
#define MMF__LARGE_COPY ((size_t)256 << 10)
static inline int mmf__unmapped(const mmf_map *m)
{
    return m->kind == MMF__KIND_FILE && !m->windowed && m->resv_len == 0 &&
           MMF__WIN_LEN(m) == 0;
}
/* At open: map now (1) or on the first access that needs the mapping.
 * grew_file: the open extended the file (MMF_GROW). */
int mmf__policy_map_at_open(const mmf_map *m, int grew_file);
/* Make the mapping of a lazy whole map now (no-op otherwise). */
int mmf__policy_map_now(mmf_map *m);
/* The whole map was faulted in (MMF_ADVICE_POPULATE): large copies take
 * the mapping from now on. */
void mmf__policy_mapping_warm(mmf_map *m);
/* Copy [off, off+n) of the map out / in, or one byte, through the
 * descriptor if the policy says so.  Return 1 when the policy declines
 * (the caller then goes through the mapping), else 0 or an error code.
 * The range is checked by the caller. */
int mmf__policy_copy_out(mmf_map *m, uint64_t off, void *dst, size_t n);
int mmf__policy_copy_in(mmf_map *m, uint64_t off, const void *src, size_t n);
/* mmf_write past the end of an MMF_GROW map: write n bytes at the cursor
 * and extend the map, through the descriptor.  1 when the policy declines
 * (the caller then resizes and copies in), else 0 or an error code. */
int mmf__policy_append(mmf_map *m, const void *src, size_t n);
/* mmf_flush's work once its arguments are checked: [addr, addr+alen) is
 * the mapped part of the range (alen 0: none). */
int mmf__policy_flush(mmf_map *m, void *addr, size_t alen, int flags);

/* --- guarded access (access.c) ------------------------------------------
 * The only functions that read or write mapped memory on the caller's
 * behalf.  `map_off` is the map offset of `src`/`dst`, for the message. */
int mmf__guarded_copy(mmf_map *m, void *dst, const void *src, size_t n,
                      uint64_t map_off);
/* The one MMF_EFAULT message: "the mapped file shrank ... at offset N". */
int mmf__fault_at(mmf_map *m, uint64_t map_off);
int mmf__guarded_move(mmf_map *m, void *dst, const void *src, size_t n,
                      uint64_t map_off);
/* Search hay[0, hlen) for needle; *found receives the offset in hay or
 * SIZE_MAX.  reverse=1 finds the last match. */
int mmf__guarded_search(mmf_map *m, const char *hay, size_t hlen,
                        const void *needle, size_t nlen, int reverse,
                        uint64_t map_off, size_t *found);
/* Count non-overlapping matches of needle (non-empty) in hay; *tail
 * receives the offset just past the last match (0 if none), so a caller
 * going window by window knows where the next search may start. */
int mmf__guarded_count(mmf_map *m, const char *hay, size_t hlen,
                       const void *needle, size_t nlen, uint64_t map_off,
                       uint64_t *count, size_t *tail);
#ifdef MMF__HAVE_PROBES
/* In a thread that is not ready (SIGBUS blocked, or never checked): the
 * probes with SIGBUS unblocked around them (access.c). */
#define MMF__COLD __attribute__((noinline, cold))
MMF__COLD int mmf__guarded_get_slow(mmf_map *m, const char *src, uint8_t *out,
                                    uint64_t map_off);
MMF__COLD int mmf__guarded_set_slow(mmf_map *m, char *dst, uint8_t value,
                                    uint64_t map_off);
/* Inline, so that a byte access costs no call at all: one thread-local
 * load (local-exec in an executable) and the probe. */
static inline int mmf__guarded_get(mmf_map *m, const char *src, uint8_t *out,
                                   uint64_t map_off)
{
    if (MMF__UNLIKELY(!mmf__guard_ready))
        return mmf__guarded_get_slow(m, src, out, map_off);
    if (MMF__LIKELY(mmf__probe_load_byte(src, out) == 0))
        return 0;
    return mmf__fault_at(m, map_off);
}
static inline int mmf__guarded_set(mmf_map *m, char *dst, uint8_t value,
                                   uint64_t map_off)
{
    if (MMF__UNLIKELY(!mmf__guard_ready))
        return mmf__guarded_set_slow(m, dst, value, map_off);
    if (MMF__LIKELY(mmf__probe_store_byte(dst, value) == 0))
        return 0;
    return mmf__fault_at(m, map_off);
}
#else
int mmf__guarded_get(mmf_map *m, const char *src, uint8_t *out,
                     uint64_t map_off);
int mmf__guarded_set(mmf_map *m, char *dst, uint8_t value, uint64_t map_off);
#endif

/* The address of map bytes [off, off+n) if they are in the current
 * mapping, else NULL: the fast path of every access, inlined. */
static inline char *mmf__in_window(const mmf_map *m, uint64_t off, uint64_t n)
{
    uint64_t len = MMF__WIN_LEN(m);
    uint64_t rel = off - m->win_start;
    if (MMF__LIKELY(off >= m->win_start && rel < len && len - rel >= n))
        return m->data + rel;
    return NULL;
}

/* --- search kernels (search.c): pure functions, no guard, no OS -------- */

/* First / last occurrence of needle (nlen >= 1) in hay, or NULL. */
const char *mmf__memmem(const char *hay, size_t hlen, const char *needle,
                        size_t nlen);
const char *mmf__memrmem(const char *hay, size_t hlen, const char *needle,
                         size_t nlen);
/* How many bytes of hay equal byte. */
uint64_t mmf__count_byte(const char *hay, size_t hlen, unsigned char byte);

#endif /* MMF_INTERNAL_H */
