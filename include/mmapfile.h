/*
 * mmapfile.h - memory-mapped files that behave like a mutable byte string
 * and like a file object (the model is Python's mmap module), made safe.
 *
 * One opaque object, mmf_map, is created with mmf_new(), opened with one of
 * the mmf_open_*() calls, used, closed with mmf_close() and freed with
 * mmf_free().  Every call returns 0 or a negative MMF_E* code; the object
 * keeps a message that names the argument, the limit or the OS call that
 * failed (mmf_errmsg()).
 *
 *     mmf_map *m;
 *     mmf_options opts = MMF_OPTIONS_INIT;
 *     opts.access = MMF_ACCESS_WRITE;
 *     if (mmf_new(&m) != 0) return 1;
 *     if (mmf_open_path(m, "write_test.txt", &opts) != 0 ||
 *         mmf_set_byte(m, 0, 'n') != 0 ||
 *         mmf_flush(m, 0, 0, MMF_FLUSH_SYNC) != 0)
 *         fprintf(stderr, "mmf: %s\n", mmf_errmsg(m));
 *     mmf_free(m);
 *
 * Offsets and lengths into the map are uint64_t everywhere, also in 32-bit
 * builds, so that a windowed map reaches any byte of any file.  Offsets are
 * relative to the start of the map (the `offset` the map was opened at), as in
 * Python's mmap.
 *
 * Whole and windowed maps.  A whole map has the entire range mapped at once;
 * mmf_pointer() gives its address.  A windowed map (MMF_WINDOWED, or the
 * automatic fallback of MMF_WINDOW_FALLBACK when the address space has no
 * room) maps a sliding window of `window_size` bytes; every call below works
 * on it with the same results, and mmf_view() borrows any range that fits in
 * one window.
 *
 * Fault safety.  Every copy into or out of the mapping done by this library
 * runs under a fault guard: if the file shrank under the map (another process
 * truncated it) or the disk is full, the call returns MMF_EFAULT and says at
 * which offset, instead of the process dying of SIGBUS.  Memory reached
 * through a pointer from mmf_pointer()/mmf_view() is not guarded: touching a
 * lost page there raises SIGBUS (POSIX) or EXCEPTION_IN_PAGE_ERROR (Windows)
 * as with any mapping.  The guard installs a SIGBUS handler the first time a
 * map is opened, and claims only real faults on the pages its own call is
 * touching; any other SIGBUS (the caller's buffers, the host's own mappings,
 * kill -BUS) goes on to the handler installed before it, once, or to the
 * default action (SIG_DFL kills with SIGBUS, SIG_IGN ignores a kill).  An
 * open that finds another handler installed over the guard's puts the
 * guard back on top, chaining to it, without ever forming a cycle (Python's
 * faulthandler, crash reporters, a second copy of this library).  After a
 * recovered fault the thread's signal mask and alternate stack are as
 * before the call.  A thread that blocks SIGBUS gets MMF_EFAULT too: each
 * guarded call unblocks SIGBUS around its access when the thread had it
 * blocked at its first guarded call or at its last open (two
 * pthread_sigmask calls per guarded call in such a thread).  Not covered: a
 * thread that blocks SIGBUS after that check and then meets a lost page
 * before its next open; the kernel kills the process as without the
 * library.  docs/reliability.md, "Living with other signal handlers", is the
 * full contract.  On Windows it is a vectored exception handler, removed
 * again when the module holding the library (its DLL, or a DLL with a static
 * copy inside) is unloaded.
 *
 * Threads.  Distinct objects may be used from distinct threads freely.  One
 * object may be shared between threads only for calls that do not move the
 * cursor or the window and do not change the mapping: on a whole map,
 * mmf_get_byte, mmf_copy_out, mmf_find/rfind/count, mmf_set_byte and
 * mmf_copy_in (byte races are the caller's concern), mmf_length, mmf_pointer.
 * Every other call (the cursor calls, resize, close, advise, flush, and every
 * call on a windowed map) needs the caller's own lock.  This holds from the
 * open on, also for a map of a file of up to 64 MiB that is mapped only by
 * its first access that needs the mapping (see MMF_MAP_ALWAYS): that first
 * mapping is made once, under a process-wide lock, and published whole to
 * the threads reading the map meanwhile.  mmf_strerror()
 * is thread-safe; mmf_errmsg() describes the last failed call on that
 * object.
 */
#ifndef MMAPFILE_H
#define MMAPFILE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MMF_VERSION_MAJOR 0
#define MMF_VERSION_MINOR 1
#define MMF_VERSION_PATCH 0
#define MMF_VERSION_STRING "0.1.0"

#if defined(_WIN32) && defined(MMF_SHARED_BUILD)
#define MMF_EXTERN __declspec(dllexport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#define MMF_EXTERN __attribute__((visibility("default")))
#else
#define MMF_EXTERN
#endif

/* ---------------------------------------------------------------------------
 * Error codes.  Every call returns 0 on success or one of these.
 */
typedef enum mmf_status {
    MMF_OK = 0,
    MMF_EINVAL = -1,    /* an argument is out of its range (message names it) */
    MMF_ERANGE = -2,    /* an offset or length is past the end of the map */
    MMF_EOVERFLOW = -3, /* a size or offset computation would overflow */
    MMF_ENOMEM = -4,    /* out of memory or address space */
    MMF_EACCES = -5,    /* the access mode does not allow this (write to a
                           read-only map, file opened read-only, ...) */
    MMF_ECLOSED = -6,   /* the object is closed (or was never opened) */
    MMF_EEMPTY = -7,    /* the file is empty and no length was given */
    MMF_EISDIR = -8,    /* the path or descriptor is a directory */
    MMF_EPIPE = -9,     /* a pipe or FIFO cannot be mapped */
    MMF_ESOCKET = -10,  /* a socket cannot be mapped */
    MMF_EDEVICE = -11,  /* a terminal, or a device whose driver cannot map */
    MMF_ENOTSUP = -12,  /* not supported on this platform or for this kind
                           of map (a zero-copy pointer into a windowed map) */
    MMF_EFAULT = -13,   /* the mapped file shrank, or a page could not be
                           read or written (I/O error, disk full) */
    MMF_EEOF = -14,     /* the cursor is at the end of the map */
    MMF_EBUSY = -15,    /* the object is already open */
    MMF_ENOSPC = -16,   /* the disk is full (resize could not reserve blocks) */
    MMF_ENOENT = -17,   /* no such file, or no such shared-memory name */
    MMF_EBADF = -18,    /* the descriptor is not open */
    MMF_EIO = -19       /* any other error from the operating system
                           (message names the call and errno) */
} mmf_status;

/* A short, static description of an error code ("offset or length past the
 * end of the map").  Never NULL; unknown codes give "unknown error". */
MMF_EXTERN const char *mmf_strerror(int code);

/* The name of an error code ("MMF_ERANGE"). Never NULL. */
MMF_EXTERN const char *mmf_err_name(int code);

/* ---------------------------------------------------------------------------
 * Creation, opening and closing.
 */
typedef struct mmf_map mmf_map;

typedef enum mmf_access {
    MMF_ACCESS_DEFAULT = 0, /* follow how the file or descriptor was opened:
                               writable and shared if it is open for writing,
                               read-only otherwise */
    MMF_ACCESS_READ = 1,    /* read-only */
    MMF_ACCESS_WRITE = 2,   /* read-write; changes reach the file */
    MMF_ACCESS_COPY = 3     /* copy-on-write; changes stay in this process */
} mmf_access;

/* Flags for mmf_options.flags:
 *   MMF_WINDOWED         map through a sliding window (not for
 *                        MMF_ACCESS_COPY: MMF_ENOTSUP)
 *   MMF_WINDOW_FALLBACK  a whole map if possible, else windowed
 *                        (mmf_is_windowed() tells; mmf_errmsg() says why)
 *   MMF_POPULATE         prefault the pages at open (whole maps)
 *   MMF_GROW             writes past the end grow the map
 *   MMF_CREATE           mmf_open_path/mmf_open_shm: create the file
 *                        (mode 0666 & ~umask) if missing
 *   MMF_TRUNCATE         mmf_open_path: set the file's size to
 *                        offset + length
 *   MMF_MAP_ALWAYS       map at open and make every access through the
 *                        mapping (the behaviour of 0.1.0)
 *
 * Without MMF_MAP_ALWAYS the library chooses the path of each access
 * (src/policy.c; the measurements in docs/performance.md).  A whole map of
 * a file of up to 64 MiB (64 GiB in a 64-bit process with no RLIMIT_AS)
 * is mapped by the first access that needs the mapping: mmf_pointer/
 * mmf_view (which always return mapped memory), searches, mmf_move, the
 * page calls, or the 17th copy; until then copies go through the
 * descriptor (pread/pwrite).  Copies out of 256 KiB or more read a map's
 * first pass (until they have read its length) through the descriptor,
 * mapped or not, unless the caller asked for the mapping (MMF_MAP_ALWAYS,
 * MMF_POPULATE, MMF_ADVICE_POPULATE of the whole map) or the map is
 * copy-on-write and mapped.  Writes that grow an MMF_GROW
 * map that is not mapped are one pwrite each, and once a caller has flushed
 * with MMF_FLUSH_SYNC/DURABLE its copies in go through the descriptor (a
 * store through a mapping dirties a whole folio, up to 2 MiB, for the next
 * flush to write).  Results and errors are the same on both paths: a read
 * that meets the end of a file another process truncated shows the zeros a
 * mapping shows up to the end of that page and fails with MMF_EFAULT
 * beyond; a write never extends such a file.  A lazy map that cannot be
 * mapped later (no address space, a file system without mmap) fails that
 * first mapped access with the code mmf_open_path would have returned.
 * Larger maps, maps whose open extended the file (MMF_GROW:
 * a map that cannot be made is refused by the open, the file cut back),
 * maps of devices, windowed, anonymous and shared-memory maps,
 * maps of descriptors opened with O_APPEND or O_DIRECT, and every map on
 * Windows are mapped at open, as before. */
#define MMF_WINDOWED 0x01
#define MMF_WINDOW_FALLBACK 0x02
#define MMF_POPULATE 0x04
#define MMF_GROW 0x08
#define MMF_CREATE 0x10
#define MMF_TRUNCATE 0x20
#define MMF_MAP_ALWAYS 0x40

typedef struct mmf_options {
    int access;           /* one of mmf_access */
    int flags;            /* MMF_WINDOWED | MMF_WINDOW_FALLBACK | ... */
    uint64_t offset;      /* where the map starts in the file; any value, the
                             library aligns the mapping itself */
    uint64_t length;      /* bytes to map; 0 means to the end of the file */
    uint64_t window_size; /* windowed maps: bytes per window, 0 = default
                             (64 MiB), rounded up to the granularity */
    uint64_t reserve;     /* bytes of address space to hold for the map to
                             grow into without moving; 0 = none.  See
                             "Reservations" below */
} mmf_options;

/* clang-format off */
#define MMF_OPTIONS_INIT {MMF_ACCESS_DEFAULT, 0, 0, 0, 0, 0}
/* clang-format on */
#define MMF_DEFAULT_WINDOW ((uint64_t)64 << 20)

/* Reservations.  With opts->reserve > 0 the open holds that many bytes of
 * address space (counted from map byte 0; raised to the map's length if
 * smaller) and maps the file at its start.  The contract, as LMDB's map
 * size:
 *   - while the map's length stays within the reservation, mmf_resize (up
 *     or down) and MMF_GROW writes never move the mapping: mmf_pointer()
 *     returns the same address before and after, also for an empty map
 *     (whose *ptr is that address, with MMF_ERANGE), and a pointer into
 *     the bytes [0, min(old, new length)) stays valid and sees the same
 *     bytes.  Bytes past a shrink are gone: touching them is SIGBUS (or
 *     EXCEPTION_IN_PAGE_ERROR / an access violation on Windows), as for
 *     any unmapped address;
 *   - growth past the reservation moves the map once into a new one, twice
 *     as large where that fits (else just large enough): every pointer
 *     from mmf_pointer()/mmf_view() then dies, as without a reservation;
 *   - a refused resize or write changes nothing: file size, mapping,
 *     address and length stay as they were;
 *   - the file follows as without a reservation: a write map's file ends
 *     at offset + length after every resize (growth inside a longer file
 *     cuts it; on Windows that cut may be refused while our own views of
 *     the longer file stand, MMF_EACCES, nothing changed).
 * Growth inside the reservation needs no new address space (it fits under
 * an address-space limit such as `ulimit -v` if the reservation did).
 * A read-only map with a reservation may mmf_resize() to follow a file
 * that another process grows or cuts: it never changes the file, and
 * asking past the file's end is MMF_ERANGE.
 * Refused at open: with MMF_WINDOWED or MMF_WINDOW_FALLBACK (a window moves
 * by design) and with MMF_ACCESS_COPY (a copy-on-write map of a file
 * cannot be resized), both MMF_EINVAL; offset + reserve past 2^63-1,
 * MMF_EOVERFLOW; a reservation larger than the address space (32-bit
 * processes) or than the OS grants, MMF_ENOMEM.  The whole map's memory
 * is mapped at open (never lazily).  Windows: needs placeholder
 * reservations (VirtualAlloc2/MapViewOfFile3, Windows 10 1803 or later);
 * where they are missing the open is MMF_ENOTSUP. */

/* Allocate a closed object.  *out is set on success.
 * Returns 0, MMF_EINVAL (out is NULL) or MMF_ENOMEM. */
MMF_EXTERN int mmf_new(mmf_map **out);

/* Close (if open) and free the object.  NULL is accepted. */
MMF_EXTERN void mmf_free(mmf_map *m);

/* Open the file at `path` (UTF-8) and map it as `opts` says (NULL means
 * MMF_OPTIONS_INIT).  The file is opened read-only for MMF_ACCESS_READ,
 * MMF_ACCESS_COPY and MMF_ACCESS_DEFAULT (a path has no "how it was opened",
 * so the safe choice is taken), read-write for MMF_ACCESS_WRITE.  The
 * library keeps its own descriptor until mmf_close().  A range past the end
 * of the file is MMF_ERANGE unless the map is writable and opts->flags has
 * MMF_GROW: then the file is extended to offset+length.  A refused open
 * leaves the file as it was (an extension is cut back; a file that
 * MMF_CREATE created is removed) and the object closed.  MMF_TRUNCATE is
 * checked against everything that can be known without the OS before the
 * file is cut (a length of 0 needs offset 0: MMF_ERANGE); what only the OS
 * can refuse after the cut - no address space for the mapping, without
 * MMF_WINDOW_FALLBACK - leaves the file cut, its old bytes gone.
 * Character devices whose driver maps (/dev/zero, uio, DAX, framebuffers)
 * map; they have no size, so the length must be given.
 * Returns 0 or: MMF_EINVAL (bad options; length 0 on a device), MMF_EBUSY
 * (already open), MMF_ENOENT, MMF_EACCES (permission), MMF_EISDIR,
 * MMF_EPIPE, MMF_ESOCKET, MMF_EDEVICE (a terminal, or a device whose driver
 * has no mmap: mmf_os_error() is ENODEV), MMF_EEMPTY (empty file with length 0,
 * unless MMF_ACCESS_WRITE or MMF_GROW: then an empty map that mmf_resize() can
 * grow), MMF_ERANGE (offset at or past the end of the file, or offset+length
 * past it for a map that cannot extend the file), MMF_EOVERFLOW, MMF_ENOMEM (no
 * address space; see MMF_WINDOW_FALLBACK), MMF_ENOTSUP (MMF_WINDOWED with
 * MMF_ACCESS_COPY), MMF_ENOSPC (MMF_GROW could not reserve the blocks),
 * MMF_EIO. */
MMF_EXTERN int mmf_open_path(mmf_map *m, const char *path,
                             const mmf_options *opts);

/* Map the file open on descriptor `fd` (a CRT descriptor on Windows).  The
 * library duplicates the descriptor; the caller keeps and closes its own.
 * MMF_ACCESS_DEFAULT follows the descriptor's open mode (read-write if it
 * is open for reading and writing, read-only otherwise).
 * Returns the codes of mmf_open_path(), and MMF_EBADF. */
MMF_EXTERN int mmf_open_fd(mmf_map *m, int fd, const mmf_options *opts);

/* Map `length` bytes of zeroed anonymous memory.  With MMF_ANON_SHARED the
 * pages are shared with children created by fork() after this call; with
 * MMF_ANON_PRIVATE they are copied on write.  Returns 0, MMF_EINVAL (length
 * 0 or unknown flags), MMF_EBUSY, MMF_ENOMEM. */
#define MMF_ANON_SHARED 0
#define MMF_ANON_PRIVATE 1
MMF_EXTERN int mmf_open_anon(mmf_map *m, uint64_t length, int anon_flags);

/* mmf_open_anon() with a reservation of `reserve` bytes (see "Reservations"
 * below; 0 = none): the map can grow to that length without moving.
 * Growth maps fresh zeroed pages; with MMF_ANON_SHARED those pages are not
 * shared with children forked before the growth (nor are they without a
 * reservation).  Returns the codes of mmf_open_anon(), MMF_EOVERFLOW and
 * MMF_ENOTSUP (reservations unsupported, see below). */
MMF_EXTERN int mmf_open_anon_reserve(mmf_map *m, uint64_t length,
                                     int anon_flags, uint64_t reserve);

/* Map the named shared-memory object `name` (POSIX shm_open names such as
 * "/mmf-demo"; on Windows a named file mapping) so that unrelated processes
 * share one region.  With MMF_CREATE in opts->flags a missing object is
 * created with opts->length bytes; an existing one is mapped with its own
 * size (or opts->length if not 0).  Windows keeps a section's size in whole
 * pages: an object created with length 100 is mapped by a second opener
 * with length 0 as 4096 bytes (POSIX: 100), the bytes past 100 reading as
 * zero; pass opts->length to map the creator's length.  Remove the name
 * with mmf_shm_unlink().
 * A refused open leaves the names as they were: a name this call created
 * is removed again (created with O_EXCL, so a name that existed is never
 * taken away), an empty object it sized is cut back to 0.
 * Returns the codes of mmf_open_path(). */
MMF_EXTERN int mmf_open_shm(mmf_map *m, const char *name,
                            const mmf_options *opts);

/* Remove a shared-memory name created with mmf_open_shm().  Maps already
 * open stay valid.  Returns 0, MMF_ENOENT, MMF_ENOTSUP or MMF_EIO. */
MMF_EXTERN int mmf_shm_unlink(const char *name);

/* Unmap and close.  Idempotent: closing a closed object returns 0.  Nothing
 * is reachable through the object afterwards (every call but mmf_free,
 * mmf_errmsg, mmf_is_open and the mmf_open_* calls returns MMF_ECLOSED);
 * pointers obtained from it are invalid.  Changes of a write map reach the
 * page cache at once and the disk at the OS's pace; call mmf_flush() with
 * MMF_FLUSH_DURABLE first if they must be on disk. */
MMF_EXTERN int mmf_close(mmf_map *m);

/* 1 if the object is open, 0 if not (also for NULL). */
MMF_EXTERN int mmf_is_open(const mmf_map *m);

/* The message of the last failed call on this object, with its context
 * ("copy_out: offset 4096 + length 10 is past the end of the map (4100
 * bytes)").  Messages of mmf_open_path/mmf_open_shm failures that concern
 * the file begin with "PATH: " (the path or name as given), those of
 * mmf_open_fd with "descriptor N: ".
 * Never NULL; "" when nothing failed yet. Valid until the next call. */
MMF_EXTERN const char *mmf_errmsg(const mmf_map *m);

/* The operating system's error number behind the last failure on this
 * object (errno on POSIX, GetLastError() on Windows), or 0 when the last
 * failure was the library's own check.  Lets a binding raise the precise
 * exception (FileNotFoundError, PermissionError, ...). */
MMF_EXTERN int mmf_os_error(const mmf_map *m);

/* ---------------------------------------------------------------------------
 * Facts about the map.
 */

/* The length of the map in bytes (0 when closed). */
MMF_EXTERN uint64_t mmf_length(const mmf_map *m);

/* The current size of the file behind the map, asked of the OS (for
 * anonymous maps, the map length; for a device that maps but has no size,
 * such as /dev/zero, INT64_MAX).  Returns 0, MMF_ECLOSED, MMF_EIO, or
 * MMF_EBADF after mmf_release_fd(). */
MMF_EXTERN int mmf_file_size(mmf_map *m, uint64_t *size);

/* The access mode actually in force (never MMF_ACCESS_DEFAULT once open). */
MMF_EXTERN int mmf_access_mode(const mmf_map *m);

/* 1 if the map is windowed, 0 if whole. */
MMF_EXTERN int mmf_is_windowed(const mmf_map *m);

/* The bytes of address space the map may grow to without moving (see
 * "Reservations"): the reservation asked for at open, raised to the length
 * at open, or the larger one a growth past it took; 0 when the map has no
 * reservation or is closed. */
MMF_EXTERN uint64_t mmf_reservation(const mmf_map *m);

/* The page size and the mapping granularity of the platform (4096 and 4096
 * on Linux, 4096 and 65536 on Windows). */
MMF_EXTERN size_t mmf_page_size(void);
MMF_EXTERN size_t mmf_granularity(void);

/* ---------------------------------------------------------------------------
 * String-like access.  Offsets are map offsets.  A range [offset, offset+n)
 * must lie inside the map: otherwise MMF_ERANGE (or MMF_EOVERFLOW when the
 * sum wraps) and nothing is touched.  Calls that write need a write or
 * copy-on-write map (else MMF_EACCES).  Every copy is guarded: a fault
 * returns MMF_EFAULT with the offset in the message.
 */

/* The address of byte 0 of a whole map and its length.  Valid until the
 * map moves: a resize or an MMF_GROW write moves it unless the map has a
 * reservation and stays within it ("Reservations").  Unguarded memory:
 * see "Fault safety" above.  Returns 0, MMF_ECLOSED, MMF_ENOTSUP (windowed
 * map: use mmf_view), MMF_ERANGE (empty map: *ptr is NULL, or, with a
 * reservation, the address the map will grow from). */
MMF_EXTERN int mmf_pointer(mmf_map *m, void **ptr, uint64_t *length);

/* Borrow [offset, offset+n) as contiguous memory.  On a windowed map this
 * moves the window; the pointer is valid until the next call on the object.
 * Unguarded memory, like mmf_pointer's.  n == 0 borrows nothing (the
 * pointer is only an address).  Returns 0, MMF_ECLOSED, MMF_ERANGE,
 * MMF_EOVERFLOW, MMF_ENOTSUP (n larger than the window), MMF_ENOMEM. */
MMF_EXTERN int mmf_view(mmf_map *m, uint64_t offset, size_t n, void **ptr);

MMF_EXTERN int mmf_get_byte(mmf_map *m, uint64_t offset, uint8_t *out);
MMF_EXTERN int mmf_set_byte(mmf_map *m, uint64_t offset, uint8_t value);

/* Copy n bytes at offset out of the map into dst / from src into the map.
 * After MMF_EFAULT (the file shrank under the map), dst holds the map's
 * bytes for a part of the range before the lost page, and is otherwise
 * untouched; how much was copied is not specified. */
MMF_EXTERN int mmf_copy_out(mmf_map *m, uint64_t offset, void *dst, size_t n);
MMF_EXTERN int mmf_copy_in(mmf_map *m, uint64_t offset, const void *src,
                           size_t n);

/* memmove of n bytes from src to dst inside the map. */
MMF_EXTERN int mmf_move(mmf_map *m, uint64_t dst, uint64_t src, uint64_t n);

/* Searches.  [start, end) is clamped to the map as Python slices are (an
 * end past the map means the end of the map; start > end finds nothing).
 * *pos receives the map offset of the first (find) or last (rfind) match
 * that lies wholly in the range, or MMF_NOT_FOUND.  An empty needle matches
 * at start (find) or at end (rfind).  mmf_count counts non-overlapping
 * matches from the left; an empty needle counts end-start+1.  Returns 0,
 * MMF_ECLOSED, MMF_EINVAL (needle NULL with nlen > 0), MMF_EFAULT. */
#define MMF_NOT_FOUND UINT64_MAX
#define MMF_END UINT64_MAX
MMF_EXTERN int mmf_find(mmf_map *m, const void *needle, size_t nlen,
                        uint64_t start, uint64_t end, uint64_t *pos);
MMF_EXTERN int mmf_rfind(mmf_map *m, const void *needle, size_t nlen,
                         uint64_t start, uint64_t end, uint64_t *pos);
MMF_EXTERN int mmf_count(mmf_map *m, const void *needle, size_t nlen,
                         uint64_t start, uint64_t end, uint64_t *count);

/* ---------------------------------------------------------------------------
 * File-like access through a cursor (starts at 0).
 */
#define MMF_SEEK_SET 0
#define MMF_SEEK_CUR 1
#define MMF_SEEK_END 2

/* Move the cursor; the new position must lie in [0, length].  *newpos (may
 * be NULL) receives it.  Returns 0, MMF_ECLOSED, MMF_EINVAL (whence),
 * MMF_ERANGE (before 0 or past the end: the cursor does not move). */
MMF_EXTERN int mmf_seek(mmf_map *m, int64_t offset, int whence,
                        uint64_t *newpos);
MMF_EXTERN uint64_t mmf_tell(const mmf_map *m);

/* Read up to n bytes at the cursor into buf and advance; *nread (may be
 * NULL) receives the count, 0 at the end.  Returns 0, MMF_ECLOSED,
 * MMF_EFAULT. */
MMF_EXTERN int mmf_read(mmf_map *m, void *buf, size_t n, size_t *nread);

/* Read one byte.  Returns 0, MMF_EEOF (cursor at the end), MMF_ECLOSED,
 * MMF_EFAULT. */
MMF_EXTERN int mmf_read_byte(mmf_map *m, uint8_t *out);

/* Read up to and including the next '\n', the end of the map, or cap
 * bytes, whichever comes first; *nread receives the count (0 at the end).
 * mmf_line_length() gives the length the next readline would have without
 * a cap, so a caller can size its buffer. */
MMF_EXTERN int mmf_readline(mmf_map *m, void *buf, size_t cap, size_t *nread);
MMF_EXTERN int mmf_line_length(mmf_map *m, uint64_t *len);

/* Write n bytes / one byte at the cursor and advance.  Past the end of the
 * map: MMF_ERANGE and nothing written, unless the map was opened with
 * MMF_GROW, which resizes first; a write that grew the map and then failed
 * shrinks it back, so a refused write leaves length, file and cursor as they
 * were.  Returns 0, MMF_ECLOSED, MMF_EACCES, MMF_ERANGE, MMF_EFAULT and the
 * codes of mmf_resize(). */
MMF_EXTERN int mmf_write(mmf_map *m, const void *buf, size_t n);
MMF_EXTERN int mmf_write_byte(mmf_map *m, uint8_t value);

/* ---------------------------------------------------------------------------
 * Size, durability and memory management.
 */

/* Change the length of the map to new_length; for file maps the file is
 * resized with it (to offset+new_length) and the data kept.  Growth reserves
 * the disk blocks first (posix_fallocate where the file system supports it)
 * so a full disk is MMF_ENOSPC here rather than a fault later.  The cursor is
 * clamped to the new length.  Pointers from mmf_pointer()/mmf_view() become
 * invalid, except in a map with a reservation while the length stays in
 * it ("Reservations" above: the map then never moves).
 *
 * A refused resize changes nothing: the file keeps its size and bytes, the
 * map its length, mapping, pointer and cursor, and the map stays usable.
 * Growth makes the new mapping before the old one goes (so it needs room for
 * both for a moment where the OS cannot grow a mapping in place) and cuts
 * the file back if the mapping fails; a shrink cuts the file first (a
 * refusal - a sealed memfd, another view of the file on Windows - then
 * leaves all as it was).  One case is left where the map cannot be kept:
 * on Windows a refused shrink unmaps the map's own view for the attempt
 * and maps it again (Windows does not promise the same address, so
 * mmf_pointer() should be asked again); should that mapping fail (the
 * address space filled in between), the error says so and the map must be
 * closed.
 *
 * Returns 0, MMF_ECLOSED, MMF_EACCES (read-only map without a reservation;
 * copy-on-write maps of files; a file that may not change size: sealed,
 * read-only file system, another map of it open on Windows; anonymous maps may
 * grow or shrink), MMF_ENOSPC, MMF_ENOMEM, MMF_EOVERFLOW, MMF_EIO. Windows:
 * growth moves the end of the file, which allocates the clusters of an ordinary
 * file but none of a sparse one (FILE_ATTRIBUTE_SPARSE_FILE); for a sparse file
 * a full disk shows later, as an mmf_flush error or MMF_EFAULT, not as
 * MMF_ENOSPC here. */
MMF_EXTERN int mmf_resize(mmf_map *m, uint64_t new_length);

#define MMF_FLUSH_SYNC 0    /* wait until written */
#define MMF_FLUSH_ASYNC 1   /* schedule the write-back and return */
#define MMF_FLUSH_DURABLE 2 /* wait until on stable storage */

/* Write changes in [offset, offset+length) back to the file; length 0 means
 * to the end.  The range need not be page-aligned.  A no-op success for
 * read-only, copy-on-write and private anonymous maps.  What each flag
 * does, per platform (bytes written through the descriptor, see
 * MMF_MAP_ALWAYS, are synced with the file; earlier windows of a windowed
 * map too):
 *   Linux    SYNC and DURABLE: msync(MS_SYNC) of the range, which is a data
 *            sync of that file range (vfs_fsync_range, the same durability
 *            as fdatasync, drive cache flush included); fdatasync instead
 *            when bytes went through the descriptor or the map is
 *            windowed (it also writes the mapped pages).  ASYNC: MS_ASYNC.
 *   macOS    SYNC: msync(MS_SYNC) (+ fsync for descriptor writes); the
 *            drive may still hold the data in its cache.  DURABLE: also
 *            fcntl(F_FULLFSYNC), which waits for the drive (fsync if the
 *            file system refuses it).
 *   other POSIX  SYNC: msync(MS_SYNC) (+ fdatasync for descriptor writes);
 *            DURABLE: msync(MS_SYNC) and fdatasync.
 *   Windows  SYNC and ASYNC: FlushViewOfFile (which waits); DURABLE and
 *            descriptor writes: also FlushFileBuffers (data, metadata and
 *            the drive's cache).
 * Windowed maps: pages written through earlier windows are no longer
 * mapped (they wait in the page cache), so the part of the range outside
 * the window is written by file-level calls: MMF_FLUSH_SYNC and _DURABLE
 * write and wait for the whole file's data (fdatasync / FlushFileBuffers),
 * MMF_FLUSH_ASYNC starts the range's write-back (sync_file_range on Linux;
 * elsewhere the OS's own write-back, as for msync(MS_ASYNC); Windows
 * waits, having no asynchronous form).
 * Returns 0, MMF_ECLOSED, MMF_EINVAL (flags), MMF_ERANGE, MMF_EOVERFLOW,
 * MMF_EIO. */
MMF_EXTERN int mmf_flush(mmf_map *m, uint64_t offset, uint64_t length,
                         int flags);

typedef enum mmf_advice {
    MMF_ADVICE_NORMAL = 0,
    MMF_ADVICE_SEQUENTIAL = 1,
    MMF_ADVICE_RANDOM = 2,
    MMF_ADVICE_WILLNEED = 3,
    MMF_ADVICE_DONTNEED = 4,
    MMF_ADVICE_HUGEPAGE = 5,
    MMF_ADVICE_POPULATE = 6 /* fault the pages in now (locks stay) */
} mmf_advice;

/* Give the OS a hint for [offset, offset+length) (length 0: to the end).
 * An advice the platform lacks is a no-op success.
 * Windowed maps: the window moves to `offset` and gets the advice as a
 * whole map's pages would (so a bad advice is refused either way); the rest
 * of the range gets the file-level counterpart, posix_fadvise: NORMAL,
 * SEQUENTIAL, RANDOM and WILLNEED as such, POPULATE as WILLNEED (the pages
 * are read into the page cache; no mapping of them exists to fill).
 * DONTNEED needs nothing there (no mapping of ours holds those pages; the
 * page cache keeps them as it does for a whole map - mmf_evict drops them)
 * and HUGEPAGE has no file-level meaning.  Windows advises only mapped
 * addresses: the part outside the window gets no advice there.
 * Returns 0, MMF_ECLOSED, MMF_EINVAL, MMF_ERANGE, MMF_EOVERFLOW, MMF_EIO. */
MMF_EXTERN int mmf_advise(mmf_map *m, uint64_t offset, uint64_t length,
                          int advice);

/* Call mmf_advise with the platform's own advice number (the MADV_*
 * constants of <sys/mman.h>), for Python's madvise().  On a windowed map
 * MADV_NORMAL, _SEQUENTIAL, _RANDOM, _WILLNEED and _DONTNEED cover any range
 * as mmf_advise does; any other advice has no file-level form, and the range
 * must fit in one window, which moves there (else MMF_ENOTSUP).  Windows:
 * MMF_ENOTSUP. */
MMF_EXTERN int mmf_advise_raw(mmf_map *m, uint64_t offset, uint64_t length,
                              int os_advice);

/* How many pages of [offset, offset+length) (length 0: to the end) are in
 * the page cache, like vmtouch.  Windowed maps answer for the whole range
 * as a whole map does: the window walks over it (and is left at its end).
 * Returns 0, MMF_ECLOSED, MMF_ERANGE,
 * MMF_EOVERFLOW, MMF_ENOTSUP, MMF_EIO. */
MMF_EXTERN int mmf_residency(mmf_map *m, uint64_t offset, uint64_t length,
                             uint64_t *resident_pages, uint64_t *total_pages);

/* Lock [offset, offset+length) in memory / undo it.
 * Windowed maps can pin only what their window holds: mmf_lock moves the
 * window over the range, and refuses with MMF_ENOTSUP a range that does
 * not fit in one window (from the granularity boundary at or below
 * offset).  The lock lasts while the window stays: a call that moves the
 * window elsewhere unmaps, and so unlocks, those pages.  mmf_unlock covers
 * any range (pages outside the window are mapped, so locked, nowhere).
 * Returns 0, MMF_ECLOSED, MMF_ERANGE, MMF_ENOTSUP (windowed, see above),
 * MMF_ENOMEM (over RLIMIT_MEMLOCK), MMF_EIO. */
MMF_EXTERN int mmf_lock(mmf_map *m, uint64_t offset, uint64_t length);
MMF_EXTERN int mmf_unlock(mmf_map *m, uint64_t offset, uint64_t length);

/* Drop the clean pages of [offset, offset+length) from this process and, for
 * file maps, from the page cache where the OS allows it (dirty pages are
 * flushed first).  The data stays in the file.  Windowed maps drop the
 * whole range as a whole map does: the window's pages from the mapping,
 * and the range from the page cache (posix_fadvise DONTNEED; Windows has
 * no per-file way, as for whole maps).  Returns the codes of mmf_flush(). */
MMF_EXTERN int mmf_evict(mmf_map *m, uint64_t offset, uint64_t length);

/* Close the map's own descriptor of its file and keep the mapping, so that
 * a process can hold many maps without holding as many descriptors
 * (Python's mmap(trackfd=False)).  The bytes stay readable and writable,
 * and mmf_flush() still writes them back (msync; MMF_FLUSH_DURABLE can then
 * not add the file sync).  What needs the file afterwards fails with
 * MMF_EBADF: mmf_file_size(), mmf_resize(), and mmf_evict()'s page-cache
 * drop is skipped.  A map with no descriptor (anonymous, or released
 * already) is left as it is.
 * Returns 0, MMF_ECLOSED, or MMF_EINVAL (m is NULL, or a windowed map: it
 * maps each new window from the file; nothing is changed). */
MMF_EXTERN int mmf_release_fd(mmf_map *m);

#ifdef __cplusplus
}
#endif
#endif /* MMAPFILE_H */
