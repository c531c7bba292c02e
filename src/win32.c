/*
 * win32.c - the platform seam on Windows (Vista and later; what newer
 * Windows added is looked up at run time), and the fault guard built on a
 * vectored exception handler.
 *
 * Where Windows differs from posix.c, and what this file does about it:
 * - A descriptor is a small struct of ours (struct win_fd) rather than a
 *   bare HANDLE: named shared memory is a section, not a file, and Windows
 *   fixes a section's size when it is created, so a name opened with
 *   MMF_CREATE is only created when the core sets its size.
 * - Each mapping gets its own section, closed as soon as the view exists
 *   (the view keeps the section alive).  An open section handle, like a
 *   mapped view, makes Windows refuse to shrink the file
 *   (ERROR_USER_MAPPED_FILE); the core shrinks a file only while none of it
 *   is mapped, so nothing of ours is left in the way.
 * - File offsets of views are multiples of the allocation granularity
 *   (64 KiB), which mmf__os_granularity() reports; the core hides it.
 * - A fault on a lost page is EXCEPTION_IN_PAGE_ERROR (a network file gone,
 *   a disk error) or, under Wine, EXCEPTION_ACCESS_VIOLATION (Wine turns the
 *   SIGBUS of a truncated file into an access violation).
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include "internal.h"

#include <windows.h>

#include <io.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#ifndef ERROR_DISK_QUOTA_EXCEEDED /* older mingw headers */
#define ERROR_DISK_QUOTA_EXCEEDED 1295L
#endif

#define HI32(v) ((DWORD)((uint64_t)(v) >> 32))
#define LO32(v) ((DWORD)((uint64_t)(v)&0xffffffffu))

/* What an mmf__handle points to. */
struct win_fd {
    HANDLE file;    /* the file; INVALID_HANDLE_VALUE for shared memory */
    HANDLE section; /* shared memory: the named section, NULL until made */
    uint64_t size;  /* shared memory: the section's size */
    int dup;        /* duplicated from a caller's descriptor */
    wchar_t name[]; /* shared memory: "Local\\name", to create it late */
};

static struct win_fd *win_fd_of(mmf__handle h)
{
    return (struct win_fd *)h;
}

/* --- errors -------------------------------------------------------------- */

static int code_for(DWORD err)
{
    switch (err) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_DRIVE:
    case ERROR_INVALID_NAME:
    case ERROR_BAD_NETPATH:
    case ERROR_BAD_NET_NAME:
        return MMF_ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
    case ERROR_WRITE_PROTECT:
    case ERROR_USER_MAPPED_FILE:
    case ERROR_PRIVILEGE_NOT_HELD:
    case ERROR_NETWORK_ACCESS_DENIED:
        return MMF_EACCES;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_COMMITMENT_LIMIT:
    case ERROR_WORKING_SET_QUOTA:
    case ERROR_NO_SYSTEM_RESOURCES:
    case ERROR_NOT_ENOUGH_QUOTA:
    case ERROR_PAGEFILE_QUOTA:
        return MMF_ENOMEM;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
    case ERROR_DISK_QUOTA_EXCEEDED:
        return MMF_ENOSPC;
    case ERROR_INVALID_HANDLE:
        return MMF_EBADF;
    case ERROR_FILE_TOO_LARGE:
    case ERROR_ARITHMETIC_OVERFLOW:
        return MMF_EOVERFLOW;
    case ERROR_NOT_SUPPORTED:
    case ERROR_CALL_NOT_IMPLEMENTED:
    case ERROR_INVALID_FUNCTION:
        return MMF_ENOTSUP;
    case ERROR_BROKEN_PIPE:
    case ERROR_BAD_PIPE:
    case ERROR_PIPE_BUSY:
        return MMF_EPIPE;
    default:
        return MMF_EIO;
    }
}

/* The system's text for err in UTF-8 (our messages are UTF-8 throughout),
 * without the trailing ".\r\n"; "Windows error" when there is none. */
static void describe(DWORD err, char *out, size_t cap)
{
    wchar_t wide[256];
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM |
                                 FORMAT_MESSAGE_IGNORE_INSERTS |
                                 FORMAT_MESSAGE_MAX_WIDTH_MASK,
                             NULL, err, 0, wide, 256, NULL);
    while (n > 0 && (wide[n - 1] == L' ' || wide[n - 1] == L'.' ||
                     wide[n - 1] == L'\r' || wide[n - 1] == L'\n'))
        n--;
    int len = n > 0 ? WideCharToMultiByte(CP_UTF8, 0, wide, (int)n, out,
                                          (int)cap - 1, NULL, NULL)
                    : 0;
    if (len <= 0)
        snprintf(out, cap, "Windows error");
    else
        out[len] = '\0';
}

/* Keep the Windows error behind a failure for mmf_os_error(). */
static int with_os_error(mmf_map *m, int code, DWORD err)
{
    if (m != NULL)
        m->os_error = (int)err;
    return code;
}

/* The message holds 320 bytes: a long path or name must not push out the
 * call and the reason, so only its tail (which names the file) is kept. */
static const char *tail_of(const char *what, const char **cut)
{
    size_t len = strlen(what);
    *cut = len > 160 ? "..." : "";
    return len > 160 ? what + len - 160 : what;
}

/* Map a failed call's GetLastError() to our code, naming the call. */
static int os_fail(mmf_map *m, DWORD err, const char *call, const char *what)
{
    char text[200];
    const char *cut;
    const char *w = tail_of(what ? what : "", &cut);
    describe(err, text, sizeof text);
    int rc = mmf__fail(m, code_for(err), "%s%s%s%s: %s (error %lu)", cut, w,
                       what ? ": " : "", call, text, (unsigned long)err);
    return with_os_error(m, rc, err);
}

/* --- sizes --------------------------------------------------------------- */

/* Read once for the process.  Two threads' first opens may ask at the same
 * time: InitOnceExecuteOnce makes the second wait until the first has
 * filled the whole struct (a plain "is dwPageSize set yet" test could see
 * the page size written and the granularity still 0, and divide by it). */
static SYSTEM_INFO sys_info;
static INIT_ONCE sys_info_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK read_system_info(INIT_ONCE *once, void *param, void **ctx)
{
    (void)once, (void)param, (void)ctx;
    GetSystemInfo(&sys_info);
    return TRUE;
}

static const SYSTEM_INFO *system_info(void)
{
    /* Cannot fail: the callback always succeeds. */
    (void)InitOnceExecuteOnce(&sys_info_once, read_system_info, NULL, NULL);
    return &sys_info;
}

size_t mmf__os_page_size(void)
{
    return system_info()->dwPageSize;
}

/* Views start at multiples of this (64 KiB everywhere so far), not of the
 * page size: the core aligns file offsets down to it. */
size_t mmf__os_granularity(void)
{
    return system_info()->dwAllocationGranularity;
}

int mmf__os_address_space_is_wide(void)
{
    return 0; /* maps are made at open on Windows (MMF__LAZY_MAPS) */
}

/* --- functions Windows gained later, looked up once ---------------------- */

typedef void (*any_fn)(void);

static any_fn lookup(const wchar_t *dll, const char *name)
{
    HMODULE mod = GetModuleHandleW(dll);
    /* The double cast says "any function": GCC warns on a direct cast
     * between unrelated function types. */
    return mod != NULL ? (any_fn)(void *)GetProcAddress(mod, name) : NULL;
}

/* --- names --------------------------------------------------------------- */

/* UTF-8 to a malloc'ed UTF-16 string. */
static int widen(mmf_map *m, const char *s, const char *what, wchar_t **out)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0)
        return mmf__fail(m, MMF_EINVAL, "%s: '%s' is not valid UTF-8", what, s);
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (w == NULL)
        return mmf__fail(m, MMF_ENOMEM, "%s: out of memory", what);
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
    *out = w;
    return 0;
}

/* A path for CreateFileW.  A path whose full form has MAX_PATH characters
 * or more (a long name, or a relative one under a deep directory) only
 * opens in the \\?\ form, which must be absolute and use backslashes, so
 * it goes through GetFullPathNameW first. */
static int win_path(mmf_map *m, const char *path, wchar_t **out)
{
    wchar_t *w;
    int rc = widen(m, path, "open", &w);
    if (rc != 0)
        return rc;
    /* \\?\ and \\.\ (devices, pipes) are taken as they are. */
    int literal = w[0] == L'\\' && w[1] == L'\\' &&
                  (w[2] == L'?' || w[2] == L'.') && w[3] == L'\\';
    DWORD need = literal ? 0 : GetFullPathNameW(w, 0, NULL, NULL);
    if (need < MAX_PATH - 12) { /* 0: let CreateFileW say what is wrong */
        *out = w;
        return 0;
    }
    wchar_t *abs = malloc((size_t)need * sizeof *abs);
    if (abs == NULL) {
        free(w);
        return mmf__fail(m, MMF_ENOMEM, "open: out of memory");
    }
    DWORD got = GetFullPathNameW(w, need, abs, NULL);
    DWORD err = GetLastError();
    free(w);
    if (got == 0 || got >= need) {
        free(abs);
        return os_fail(m, err, "GetFullPathNameW", path);
    }
    /* \\server\share\x becomes \\?\UNC\server\share\x. */
    int unc = abs[0] == L'\\' && abs[1] == L'\\';
    size_t len = wcslen(abs) + 8;
    wchar_t *full = malloc(len * sizeof *full);
    if (full != NULL)
        swprintf(full, len, unc ? L"\\\\?\\UNC%ls" : L"\\\\?\\%ls",
                 unc ? abs + 1 : abs);
    free(abs);
    if (full == NULL)
        return mmf__fail(m, MMF_ENOMEM, "open: out of memory");
    *out = full;
    return 0;
}

/* POSIX-style shared-memory names ("/mmf-demo") become "Local\mmf-demo":
 * the session's namespace, which needs no privilege.  A name that already
 * says where it lives ("Global\x", "Local\x") is kept as it is. */
static int shm_name(mmf_map *m, const char *name, wchar_t **out)
{
    const char *bare = name[0] == '/' ? name + 1 : name;
    const char *cut;
    const char *shown = tail_of(name, &cut);
    if (bare[0] == '\0' || strlen(bare) >= MAX_PATH - 8)
        return mmf__fail(m, MMF_EINVAL, "open_shm: name '%s%s' is %s", cut,
                         shown, bare[0] == '\0' ? "empty" : "too long");
    wchar_t *w;
    int rc = widen(m, bare, "open_shm", &w);
    if (rc != 0)
        return rc;
    int scoped = wcschr(w, L'\\') != NULL;
    if (!scoped && wcschr(w, L'/') != NULL) {
        free(w);
        return mmf__fail(m, MMF_EINVAL,
                         "open_shm: name '%s%s' may only start with '/'", cut,
                         shown);
    }
    size_t len = wcslen(w) + 7;
    wchar_t *full = malloc(len * sizeof *full);
    if (full == NULL) {
        free(w);
        return mmf__fail(m, MMF_ENOMEM, "open_shm: out of memory");
    }
    swprintf(full, len, L"%ls%ls", scoped ? L"" : L"Local\\", w);
    free(w);
    *out = full;
    return 0;
}

static int new_fd(mmf_map *m, HANDLE file, HANDLE section, uint64_t size,
                  const wchar_t *name, mmf__handle *out)
{
    size_t nlen = name != NULL ? wcslen(name) + 1 : 1;
    struct win_fd *w = malloc(sizeof *w + nlen * sizeof(wchar_t));
    if (w == NULL)
        return mmf__fail(m, MMF_ENOMEM, "open: out of memory");
    w->file = file;
    w->section = section;
    w->size = size;
    w->dup = 0;
    if (name != NULL)
        memcpy(w->name, name, nlen * sizeof(wchar_t));
    else
        w->name[0] = L'\0';
    *out = w;
    return 0;
}

/* --- opening ------------------------------------------------------------- */

/* Refuse what cannot be mapped, each with its own code: CreateFileMapping
 * on a pipe or a console fails with an error that does not say why. */
static int check_kind(mmf_map *m, HANDLE h, const char *what)
{
    SetLastError(NO_ERROR);
    DWORD type = GetFileType(h);
    DWORD mode, err = GetLastError();
    switch (type) {
    case FILE_TYPE_DISK: {
        BY_HANDLE_FILE_INFORMATION info;
        if (!GetFileInformationByHandle(h, &info))
            return os_fail(m, GetLastError(), "GetFileInformationByHandle",
                           what);
        if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
            return mmf__fail(m, MMF_EISDIR, "%s: is a directory", what);
        return 0;
    }
    case FILE_TYPE_PIPE:
        /* A socket is a pipe to GetFileType; only a real pipe (anonymous
         * pipes are named pipes inside) answers GetNamedPipeInfo. */
        if (GetNamedPipeInfo(h, NULL, NULL, NULL, NULL))
            return mmf__fail(m, MMF_EPIPE,
                             "%s: is a pipe or FIFO, which "
                             "cannot be mapped",
                             what);
        return mmf__fail(m, MMF_ESOCKET,
                         "%s: is a socket, which cannot be "
                         "mapped",
                         what);
    case FILE_TYPE_CHAR:
        return mmf__fail(m, MMF_EDEVICE, "%s: is a %s, which cannot be mapped",
                         what,
                         GetConsoleMode(h, &mode) ? "terminal (console)"
                                                  : "character device");
    default:
        if (err != NO_ERROR)
            return os_fail(m, err, "GetFileType", what);
        return mmf__fail(m, MMF_ENOTSUP, "%s: not a regular file", what);
    }
}

void mmf__os_remove(const char *path)
{
    wchar_t *wpath = NULL;
    if (win_path(NULL, path, &wpath) != 0)
        return;
    (void)DeleteFileW(wpath);
    free(wpath);
}

int mmf__os_open_path(mmf_map *m, const char *path, int writable, int *create,
                      mmf__handle *fd)
{
    wchar_t *wpath = NULL;
    int rc = win_path(m, path, &wpath);
    if (rc != 0)
        return rc;
    /* Share everything: on POSIX others may read, write, rename and delete
     * a mapped file, and a map should lock nobody out here either.  The
     * handle is not inherited (the O_CLOEXEC of posix.c). */
    HANDLE h = CreateFileW(
        wpath, GENERIC_READ | (writable ? GENERIC_WRITE : 0),
        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
        create != NULL && *create ? OPEN_ALWAYS : OPEN_EXISTING,
        FILE_ATTRIBUTE_NORMAL, NULL);
    /* OPEN_ALWAYS says ERROR_ALREADY_EXISTS when it opened an existing
     * file: only a file this call created is ours to remove later. */
    if (create != NULL && *create)
        *create =
            h != INVALID_HANDLE_VALUE && GetLastError() != ERROR_ALREADY_EXISTS;
    if (h == INVALID_HANDLE_VALUE) {
        DWORD err = GetLastError();
        /* CreateFileW refuses a directory (it would need
         * FILE_FLAG_BACKUP_SEMANTICS) with "access denied", which hides
         * the real reason. */
        DWORD attr = err == ERROR_ACCESS_DENIED ? GetFileAttributesW(wpath)
                                                : INVALID_FILE_ATTRIBUTES;
        free(wpath);
        if (attr != INVALID_FILE_ATTRIBUTES &&
            (attr & FILE_ATTRIBUTE_DIRECTORY))
            return mmf__fail(m, MMF_EISDIR, "%s: is a directory", path);
        /* A named pipe whose instances are all taken: still a pipe. */
        if (err == ERROR_PIPE_BUSY)
            return with_os_error(
                m,
                mmf__fail(m, MMF_EPIPE,
                          "%s: is a pipe or FIFO, which cannot "
                          "be mapped (error %lu)",
                          path, (unsigned long)err),
                err);
        return os_fail(m, err, "CreateFileW", path);
    }
    free(wpath);
    rc = check_kind(m, h, path);
    if (rc == 0)
        rc = new_fd(m, h, NULL, 0, NULL, fd);
    if (rc != 0)
        CloseHandle(h);
    return rc;
}

#if defined(_UCRT) || defined(_MSC_VER)
/* The UCRT ends the process when _get_osfhandle gets a closed descriptor
 * unless a handler says otherwise; a bad descriptor is MMF_EBADF here. */
static void ignore_bad_parameter(const wchar_t *e, const wchar_t *f,
                                 const wchar_t *file, unsigned line,
                                 uintptr_t reserved)
{
    (void)e, (void)f, (void)file, (void)line, (void)reserved;
}
#endif

static HANDLE crt_handle(int fd)
{
#if defined(_UCRT) || defined(_MSC_VER)
    _invalid_parameter_handler prev =
        _set_thread_local_invalid_parameter_handler(ignore_bad_parameter);
    intptr_t v = _get_osfhandle(fd);
    _set_thread_local_invalid_parameter_handler(prev);
#else
    intptr_t v = _get_osfhandle(fd);
#endif
    return (HANDLE)v;
}

/* How the caller's handle was opened.  The handle itself is asked, through
 * NtQueryObject's GrantedAccess: a zero-length ReadFile/WriteFile probe
 * would also see the access check, but a "null write" is documented as
 * file-system dependent (it may touch the modification time) and needs an
 * OVERLAPPED on asynchronous handles; ReOpenFile answers whether the file's
 * ACL allows an access, not whether this descriptor has it.  NtQueryObject
 * has been in ntdll since NT 3.1 and Wine implements it. */
typedef LONG(NTAPI *nt_query_object_fn)(HANDLE, int, void *, ULONG, ULONG *);

/* PUBLIC_OBJECT_BASIC_INFORMATION of <winternl.h>, spelled out so that no
 * ntdll import library is needed. */
struct object_basic_info {
    ULONG attributes;
    ACCESS_MASK granted_access;
    ULONG handle_count;
    ULONG pointer_count;
    ULONG reserved[10];
};

static int handle_access(mmf_map *m, HANDLE h, const char *what,
                         ACCESS_MASK *granted)
{
    nt_query_object_fn query =
        (nt_query_object_fn)lookup(L"ntdll.dll", "NtQueryObject");
    struct object_basic_info info;
    if (query == NULL)
        return mmf__fail(m, MMF_ENOTSUP, "%s: NtQueryObject is missing", what);
    LONG status =
        query(h, 0 /* ObjectBasicInformation */, &info, sizeof info, NULL);
    if (status < 0)
        return mmf__fail(m, MMF_EIO,
                         "%s: NtQueryObject failed (status "
                         "0x%08lx)",
                         what, (unsigned long)status);
    *granted = info.granted_access;
    return 0;
}

int mmf__os_dup_fd(mmf_map *m, int fd, mmf__handle *out, int *readable,
                   int *writable)
{
    char what[32];
    snprintf(what, sizeof what, "descriptor %d", fd);
    if (fd < 0)
        return mmf__fail(m, MMF_EBADF, "%s: not a descriptor", what);
    HANDLE h = crt_handle(fd);
    if (h == INVALID_HANDLE_VALUE || h == NULL || h == (HANDLE)(intptr_t)-2)
        return mmf__fail(m, MMF_EBADF, "%s: not an open descriptor", what);
    int rc = check_kind(m, h, what);
    ACCESS_MASK granted = 0;
    if (rc == 0)
        rc = handle_access(m, h, what, &granted);
    if (rc != 0)
        return rc;
    HANDLE d;
    if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d, 0,
                         FALSE, DUPLICATE_SAME_ACCESS))
        return os_fail(m, GetLastError(), "DuplicateHandle", what);
    rc = new_fd(m, d, NULL, 0, NULL, out);
    if (rc != 0) {
        CloseHandle(d);
        return rc;
    }
    win_fd_of(*out)->dup = 1;
    *readable = (granted & FILE_READ_DATA) != 0;
    *writable = (granted & FILE_WRITE_DATA) != 0;
    return 0;
}

/* --- named shared memory ------------------------------------------------- */

typedef LONG(NTAPI *nt_query_section_fn)(HANDLE, int, void *, SIZE_T, SIZE_T *);

/* SECTION_BASIC_INFORMATION of the native API. */
struct section_basic_info {
    void *base;
    ULONG attributes;
    LARGE_INTEGER size;
};

/* Windows has no stat for a section: the native API tells its size. */
static int section_size(mmf_map *m, HANDLE s, const char *what, uint64_t *size)
{
    nt_query_section_fn query =
        (nt_query_section_fn)lookup(L"ntdll.dll", "NtQuerySection");
    struct section_basic_info info;
    if (query == NULL)
        return mmf__fail(m, MMF_ENOTSUP, "%s: NtQuerySection is missing", what);
    LONG status =
        query(s, 0 /* SectionBasicInformation */, &info, sizeof info, NULL);
    if (status < 0)
        return mmf__fail(m, MMF_EIO,
                         "%s: NtQuerySection failed (status "
                         "0x%08lx)",
                         what, (unsigned long)status);
    *size = info.size.QuadPart < 0 ? 0 : (uint64_t)info.size.QuadPart;
    return 0;
}

int mmf__os_shm_open(mmf_map *m, const char *name, int writable, int create,
                     mmf__handle *fd)
{
    wchar_t *wname;
    int rc = shm_name(m, name, &wname);
    if (rc != 0)
        return rc;
    HANDLE s = OpenFileMappingW(FILE_MAP_READ | SECTION_QUERY |
                                    (writable ? FILE_MAP_WRITE : 0),
                                FALSE, wname);
    uint64_t size = 0;
    if (s == NULL) {
        DWORD err = GetLastError();
        /* A section's size is fixed when it is made: a missing one is
         * created by mmf__os_set_file_size, which learns the length. */
        if (err != ERROR_FILE_NOT_FOUND || !create) {
            free(wname);
            return os_fail(m, err, "OpenFileMappingW", name);
        }
    } else if ((rc = section_size(m, s, name, &size)) != 0) {
        CloseHandle(s);
        free(wname);
        return rc;
    }
    rc = new_fd(m, INVALID_HANDLE_VALUE, s, size, wname, fd);
    free(wname);
    if (rc != 0 && s != NULL)
        CloseHandle(s);
    return rc;
}

/* A name goes with the last handle to its section: a refused open that
 * made it closes that handle, and the name is gone.  So there is never a
 * name to unlink, and *created stays 0. */
int mmf__os_shm_create(mmf_map *m, const char *name, mmf__handle *fd,
                       int *created)
{
    *created = 0;
    return mmf__os_shm_open(m, name, 1, 1, fd);
}

/* A name lives exactly as long as some handle to its section: Windows has
 * no way to take it away earlier.  So an existing name is MMF_ENOTSUP (it
 * goes when the last map of it closes) and a missing one MMF_ENOENT. */
int mmf__os_shm_unlink(const char *name)
{
    wchar_t *wname;
    if (shm_name(NULL, name, &wname) != 0)
        return MMF_EINVAL;
    HANDLE s = OpenFileMappingW(FILE_MAP_READ, FALSE, wname);
    DWORD err = GetLastError();
    free(wname);
    if (s == NULL)
        return err == ERROR_FILE_NOT_FOUND ? MMF_ENOENT : code_for(err);
    CloseHandle(s);
    return MMF_ENOTSUP;
}

static int shm_set_size(mmf_map *m, struct win_fd *w, uint64_t size)
{
    if (w->section == NULL) {
        HANDLE s =
            CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE,
                               HI32(size), LO32(size), w->name);
        if (s == NULL)
            return os_fail(m, GetLastError(), "CreateFileMappingW", NULL);
        uint64_t real = size;
        /* Someone created the name between our open and now: theirs is
         * the size. */
        if (GetLastError() == ERROR_ALREADY_EXISTS) {
            int rc = section_size(m, s, "open_shm", &real);
            if (rc != 0) {
                CloseHandle(s);
                return rc;
            }
        }
        w->section = s;
        w->size = real;
        return 0;
    }
    if (size <= w->size)
        return 0; /* a shorter map of a section that keeps its size */
    return mmf__fail(m, MMF_ENOTSUP,
                     "resize: a named shared-memory section cannot grow on "
                     "Windows (%llu bytes)",
                     (unsigned long long)w->size);
}

/* --- files --------------------------------------------------------------- */

static SRWLOCK lazy_srw = SRWLOCK_INIT;

void mmf__os_lazy_lock(void)
{
    AcquireSRWLockExclusive(&lazy_srw);
}

void mmf__os_lazy_unlock(void)
{
    ReleaseSRWLockExclusive(&lazy_srw);
}

void mmf__os_close(mmf__handle fd)
{
    struct win_fd *w = win_fd_of(fd);
    if (w == NULL)
        return;
    if (w->file != INVALID_HANDLE_VALUE)
        CloseHandle(w->file);
    if (w->section != NULL)
        CloseHandle(w->section);
    free(w);
}

int mmf__os_file_size(mmf_map *m, mmf__handle fd, uint64_t *size)
{
    struct win_fd *w = win_fd_of(fd);
    if (w->file == INVALID_HANDLE_VALUE) {
        *size = w->size;
        return 0;
    }
    LARGE_INTEGER li;
    if (!GetFileSizeEx(w->file, &li))
        return os_fail(m, GetLastError(), "GetFileSizeEx", NULL);
    *size = li.QuadPart < 0 ? 0 : (uint64_t)li.QuadPart;
    return 0;
}

int mmf__os_regular_file_size(mmf_map *m, mmf__handle fd, int offset_ours,
                              uint64_t *size)
{
    (void)offset_ours; /* GetFileSizeEx moves nothing */
    return mmf__os_file_size(m, fd, size);
}

/* SetFileInformationByHandle rather than SetFilePointerEx + SetEndOfFile:
 * a handle from mmf_open_fd shares its file pointer with the caller's
 * descriptor, which must not move.  `reserve` needs nothing more: moving
 * the end of a non-sparse file allocates its clusters, so a full disk is
 * ERROR_DISK_FULL here and not a fault later. */
int mmf__os_set_file_size(mmf_map *m, mmf__handle fd, uint64_t size,
                          int reserve)
{
    struct win_fd *w = win_fd_of(fd);
    (void)reserve;
    if (size > (uint64_t)INT64_MAX)
        return mmf__fail(m, MMF_EOVERFLOW, "file size %llu is too large",
                         (unsigned long long)size);
    if (w->file == INVALID_HANDLE_VALUE)
        return shm_set_size(m, w, size);
    FILE_END_OF_FILE_INFO eof;
    eof.EndOfFile.QuadPart = (LONGLONG)size;
    if (SetFileInformationByHandle(w->file, FileEndOfFileInfo, &eof,
                                   sizeof eof))
        return 0;
    DWORD err = GetLastError();
    /* Past what the file system allows: NTFS says "invalid parameter",
     * Wine turns EFBIG into "not enough memory". */
    if (err == ERROR_INVALID_PARAMETER || err == ERROR_FILE_TOO_LARGE ||
        err == ERROR_NOT_ENOUGH_MEMORY) {
        char text[200];
        describe(err, text, sizeof text);
        return with_os_error(
            m,
            mmf__fail(m, MMF_EOVERFLOW,
                      "SetFileInformationByHandle: a file of %llu bytes is "
                      "more than the file system allows: %s (error %lu)",
                      (unsigned long long)size, text, (unsigned long)err),
            err);
    }
    if (err == ERROR_USER_MAPPED_FILE)
        return with_os_error(
            m,
            mmf__fail(m, MMF_EACCES,
                      "SetFileInformationByHandle: cannot make the file %llu "
                      "bytes long while another map of it is open (Windows "
                      "cannot shrink a mapped file; error %lu)",
                      (unsigned long long)size, (unsigned long)err),
            err);
    return os_fail(m, err, "SetFileInformationByHandle(EndOfFile)", NULL);
}

/* Windows refuses to cut a file while any view of it is mapped, ours
 * included (ERROR_USER_MAPPED_FILE).  A named section never changes size
 * (shm_set_size), so its views may stay. */
int mmf__os_can_cut_mapped(mmf__handle fd)
{
    struct win_fd *w = win_fd_of(fd);
    return w == NULL || w->file == INVALID_HANDLE_VALUE;
}

int mmf__os_sync_file(mmf_map *m, mmf__handle fd, int durable)
{
    struct win_fd *w = win_fd_of(fd);
    /* FlushFileBuffers writes the data and the metadata and flushes the
     * drive's cache: it is already as durable as Windows gets. */
    (void)durable;
    if (w == NULL || w->file == INVALID_HANDLE_VALUE)
        return 0;
    if (!FlushFileBuffers(w->file))
        return os_fail(m, GetLastError(), "FlushFileBuffers", NULL);
    return 0;
}

/* --- positioned I/O, for the access policy's descriptor path ------------- */

/* ReadFile/WriteFile with an OVERLAPPED offset on a synchronous handle read
 * at that offset, and the cache manager keeps them coherent with mapped
 * views of a local file.  Not for shared memory (no file), nor for a handle
 * duplicated from a caller's descriptor: there the call moves the file
 * pointer the caller shares.  Nor coherent for files on a network
 * redirector with opportunistic locks broken, where a view may see stale
 * pages: such maps should be opened with MMF_MAP_ALWAYS. */
int mmf__os_fd_io(mmf__handle fd)
{
    struct win_fd *w = win_fd_of(fd);
    return w != NULL && w->file != INVALID_HANDLE_VALUE && !w->dup;
}

static OVERLAPPED at_offset(uint64_t file_off)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.Offset = LO32(file_off);
    ov.OffsetHigh = (DWORD)(file_off >> 32);
    return ov;
}

int mmf__os_pread(mmf_map *m, mmf__handle fd, void *buf, size_t n,
                  uint64_t file_off, size_t *done)
{
    struct win_fd *w = win_fd_of(fd);
    DWORD want = n > (DWORD)1 << 30 ? (DWORD)1 << 30 : (DWORD)n;
    DWORD got = 0;
    OVERLAPPED ov = at_offset(file_off);
    if (!ReadFile(w->file, buf, want, &got, &ov)) {
        DWORD err = GetLastError();
        if (err != ERROR_HANDLE_EOF)
            return os_fail(m, err, "ReadFile", NULL);
        got = 0;
    }
    *done = got;
    return 0;
}

int mmf__os_pwrite(mmf_map *m, mmf__handle fd, const void *buf, size_t n,
                   uint64_t file_off, size_t *done)
{
    struct win_fd *w = win_fd_of(fd);
    const char *p = buf;
    *done = 0;
    while (n > 0) {
        DWORD want = n > (DWORD)1 << 30 ? (DWORD)1 << 30 : (DWORD)n;
        DWORD put = 0;
        OVERLAPPED ov = at_offset(file_off);
        if (!WriteFile(w->file, p, want, &put, &ov))
            return os_fail(m, GetLastError(), "WriteFile", NULL);
        if (put == 0)
            return os_fail(m, ERROR_DISK_FULL, "WriteFile", NULL);
        p += put;
        n -= put;
        file_off += put;
        *done += put;
    }
    return 0;
}

/* --- mappings ------------------------------------------------------------ */

/* WIN32_MEMORY_RANGE_ENTRY, which older headers lack. */
struct memory_range {
    void *address;
    SIZE_T bytes;
};
typedef BOOL(WINAPI *prefetch_fn)(HANDLE, ULONG_PTR, struct memory_range *,
                                  ULONG);

/* PrefetchVirtualMemory (Windows 8) starts reading [p, p+len) in large
 * requests; before Windows 8 there is nothing to ask.  A hint either way. */
static void prefetch(void *p, size_t len)
{
    prefetch_fn fn =
        (prefetch_fn)lookup(L"kernel32.dll", "PrefetchVirtualMemory");
    struct memory_range r = {p, len};
    if (fn != NULL)
        (void)fn(GetCurrentProcess(), 1, &r, 0);
}

/* Read one byte of every page of [p, p+len) under the fault guard, so that
 * a lost page ends the walk instead of the process.  Reads, not writes: a
 * write would dirty every page of a writable map.  Returns 0, or -1 at the
 * first lost page. */
static int touch_pages(const char *p, size_t len)
{
    const size_t page = mmf__os_page_size();
    mmf__guard g;
    g.prev = mmf__guard_current;
    g.touch_lo = p;
    g.touch_hi = p + len;
    g.fault_addr = NULL;
    if (MMF__SETJMP(g.env) != 0) {
        mmf__guard_recovered(); /* the handler unlinked the guard */
        return -1;
    }
    mmf__guard_current = &g;
    atomic_signal_fence(memory_order_seq_cst);
    for (size_t off = 0; off < len; off += page)
        (void)((const volatile char *)p)[off];
    atomic_signal_fence(memory_order_seq_cst);
    mmf__guard_current = g.prev;
    return 0;
}

/* Fault [p, p+len) into the working set now (MMF_ADVICE_POPULATE,
 * MMF_POPULATE): prefetch to read it in large requests, then touch each
 * page, which maps it into this process.  Not VirtualLock + VirtualUnlock,
 * which did the same but also unlocked pages the caller had locked with
 * mmf_lock (VirtualUnlock does not count locks).  A hint: it stops at the
 * first page that cannot be read. */
static void populate(char *p, size_t len)
{
    prefetch(p, len);
    (void)touch_pages(p, len);
}

int mmf__os_map(mmf_map *m, mmf__handle fd, uint64_t file_off, size_t len,
                int populate_now, mmf__mapping *out)
{
    struct win_fd *w = win_fd_of(fd);
    DWORD protect = PAGE_READWRITE, view = FILE_MAP_WRITE;
    if (w != NULL && m->access == MMF_ACCESS_READ) {
        protect = PAGE_READONLY;
        view = FILE_MAP_READ;
    } else if (w != NULL && m->access == MMF_ACCESS_COPY) {
        protect = PAGE_WRITECOPY;
        view = FILE_MAP_COPY;
    }
    uint64_t end;
    if (mmf__add_u64(file_off, len, &end) || end > (uint64_t)INT64_MAX)
        return mmf__fail(m, MMF_EOVERFLOW, "file offset %llu is too large",
                         (unsigned long long)file_off);
    char what[96];
    if (w == NULL)
        snprintf(what, sizeof what, "%zu bytes of anonymous memory", len);
    else
        snprintf(what, sizeof what, "%zu bytes at file offset %llu", len,
                 (unsigned long long)file_off);
    HANDLE section;
    int own = 1;
    if (w == NULL) { /* anonymous: backed by the page file */
        section = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE,
                                     HI32(len), LO32(len), NULL);
    } else if (w->file == INVALID_HANDLE_VALUE) {
        section = w->section;
        own = 0;
    } else {
        /* A section longer than its file would silently extend a writable
         * file (and fail for a read-only one).  It can only happen when the
         * file shrank while a windowed map had nothing mapped. */
        uint64_t size;
        int rc = mmf__os_file_size(m, fd, &size);
        if (rc != 0)
            return rc;
        if (end > size)
            return mmf__fail(m, MMF_EFAULT,
                             "the mapped file shrank to %llu bytes: %s cannot "
                             "be mapped",
                             (unsigned long long)size, what);
        section = CreateFileMappingW(w->file, NULL, protect, HI32(end),
                                     LO32(end), NULL);
    }
    if (section == NULL) {
        DWORD err = GetLastError();
        /* A page-file section larger than Windows can ever back is
         * "invalid parameter" to Wine; what it means is no memory. */
        int rc = os_fail(m, err, "CreateFileMappingW", what);
        return w == NULL && err == ERROR_INVALID_PARAMETER ? MMF_ENOMEM : rc;
    }
    void *p = MapViewOfFile(section, view, HI32(file_off), LO32(file_off), len);
    DWORD err = GetLastError();
    /* The view keeps the section alive; a handle left open would only
     * keep the file from being shrunk later. */
    if (own)
        CloseHandle(section);
    if (p == NULL)
        return os_fail(m, err, "MapViewOfFile", what);
    if (populate_now)
        populate(p, len);
    out->base = p;
    out->len = len;
    out->file_off = file_off;
    out->os_extra = NULL;
    return 0;
}

void mmf__os_unmap(mmf__mapping *mp)
{
    if (mp->base != NULL)
        UnmapViewOfFile(mp->base);
    mp->base = NULL;
    mp->len = 0;
}

/* Windows cannot resize a view in place: the core unmaps and maps. */
int mmf__os_remap(mmf_map *m, mmf__mapping *mp, size_t new_len)
{
    (void)m, (void)mp, (void)new_len;
    return MMF_ENOTSUP;
}

/* --- reservations (mmf_options.reserve) -------------------------------------
 * Placeholders (Windows 10 1803): VirtualAlloc2 reserves a placeholder, a
 * range of address space that only a view may replace.  A placeholder is
 * split with VirtualFree(MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER), a view
 * takes exactly one placeholder's place (MapViewOfFile3 with
 * MEM_REPLACE_PLACEHOLDER), and UnmapViewOfFile2(MEM_PRESERVE_PLACEHOLDER)
 * turns it back into one.  So nothing but our own views ever lands in the
 * range.  The four calls are looked up at run time: where they are missing
 * a reservation is MMF_ENOTSUP.
 *
 * A view cannot be cut, so the map is a list of views, one per growth,
 * that cover [0, mp->len); the tail [mp->len, resv_len) is one
 * placeholder.  A shrink unmaps the views past the new end and maps the
 * part of the last one that stays again (anonymous memory from the same
 * page-file section, which keeps the bytes; a file from a new section, so
 * that no section of ours is longer than the file that is about to be
 * cut, which Windows would refuse: ERROR_USER_MAPPED_FILE). */
#ifndef MEM_COALESCE_PLACEHOLDERS
#define MEM_COALESCE_PLACEHOLDERS 0x00000001
#endif
#ifndef MEM_PRESERVE_PLACEHOLDER
#define MEM_PRESERVE_PLACEHOLDER 0x00000002
#endif
#ifndef MEM_REPLACE_PLACEHOLDER
#define MEM_REPLACE_PLACEHOLDER 0x00004000
#endif
#ifndef MEM_RESERVE_PLACEHOLDER
#define MEM_RESERVE_PLACEHOLDER 0x00040000
#endif

typedef void *(WINAPI *virtual_alloc2_fn)(HANDLE, void *, SIZE_T, ULONG, ULONG,
                                          void *, ULONG);
typedef void *(WINAPI *map_view3_fn)(HANDLE, HANDLE, void *, ULONG64, SIZE_T,
                                     ULONG, ULONG, void *, ULONG);
typedef BOOL(WINAPI *unmap_view2_fn)(HANDLE, void *, ULONG);

static struct {
    virtual_alloc2_fn virtual_alloc2;
    map_view3_fn map_view3;
    unmap_view2_fn unmap_view2;
} ph;
static INIT_ONCE ph_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK find_placeholder_calls(INIT_ONCE *once, void *p, void **c)
{
    (void)once, (void)p, (void)c;
    /* kernelbase.dll exports them; kernel32.dll forwards them only on some
     * releases (and Wine's does not). */
    static const wchar_t *const dlls[] = {L"kernelbase.dll", L"kernel32.dll"};
    for (int i = 0; i < 2 && ph.unmap_view2 == NULL; i++) {
        ph.virtual_alloc2 = (virtual_alloc2_fn)lookup(dlls[i], "VirtualAlloc2");
        ph.map_view3 = (map_view3_fn)lookup(dlls[i], "MapViewOfFile3");
        ph.unmap_view2 = (unmap_view2_fn)lookup(dlls[i], "UnmapViewOfFile2");
        if (!ph.virtual_alloc2 || !ph.map_view3 || !ph.unmap_view2)
            ph.virtual_alloc2 = NULL, ph.map_view3 = NULL,
            ph.unmap_view2 = NULL;
    }
    /* Exported is not enough: Wine 8 has VirtualAlloc2 but refuses
     * MEM_RESERVE_PLACEHOLDER (ERROR_INVALID_PARAMETER).  One small
     * placeholder tells, once, so that a later failure means what it says
     * (no room) and not "unsupported". */
    if (ph.virtual_alloc2 != NULL) {
        void *probe = ph.virtual_alloc2(NULL, NULL, mmf__os_granularity(),
                                        MEM_RESERVE | MEM_RESERVE_PLACEHOLDER,
                                        PAGE_NOACCESS, NULL, 0);
        if (probe == NULL)
            ph.virtual_alloc2 = NULL;
        else
            VirtualFree(probe, 0, MEM_RELEASE);
    }
    return TRUE;
}

static int can_reserve(mmf_map *m)
{
    InitOnceExecuteOnce(&ph_once, find_placeholder_calls, NULL, NULL);
    if (ph.virtual_alloc2 != NULL)
        return 0;
    return mmf__fail(m, MMF_ENOTSUP,
                     "open: mmf_options.reserve needs placeholder "
                     "reservations (VirtualAlloc2 with "
                     "MEM_RESERVE_PLACEHOLDER, MapViewOfFile3, "
                     "UnmapViewOfFile2: Windows 10 1803 or later), which "
                     "this system lacks");
}

struct win_view {
    size_t at, len;
    HANDLE section; /* anonymous memory: its page-file section; else NULL */
};

struct win_resv {
    size_t resv_len;
    size_t count, cap;
    struct win_view views[];
};

/* Moving the end of the file allocates its clusters (the header says where
 * not): nothing cheaper to pick from. */
int mmf__os_extend_file(mmf_map *m, mmf__handle fd, uint64_t old_size,
                        uint64_t new_size)
{
    (void)old_size;
    return mmf__os_set_file_size(m, fd, new_size, 1);
}

int mmf__os_reserve(mmf_map *m, size_t len, mmf__mapping *out)
{
    int rc = can_reserve(m);
    if (rc != 0)
        return rc;
    struct win_resv *r = malloc(sizeof *r + 8 * sizeof r->views[0]);
    if (r == NULL)
        return mmf__fail(m, MMF_ENOMEM, "open: out of memory");
    r->resv_len = len;
    r->count = 0;
    r->cap = 8;
    void *p = ph.virtual_alloc2(NULL, NULL, len,
                                MEM_RESERVE | MEM_RESERVE_PLACEHOLDER,
                                PAGE_NOACCESS, NULL, 0);
    if (p == NULL) {
        DWORD err = GetLastError();
        free(r);
        char what[64];
        snprintf(what, sizeof what, "reserve %zu bytes", len);
        rc = os_fail(m, err, "VirtualAlloc2", what);
        /* Placeholders work here (the probe said so): a refused size is a
         * lack of room, whatever the error says. */
        return err == ERROR_INVALID_PARAMETER ? MMF_ENOMEM : rc;
    }
    out->base = p;
    out->len = 0;
    out->os_extra = r;
    return 0;
}

/* A section for [file_off, file_off + len) of fd, or of fresh page-file
 * memory when fd is none.  A file's section ends at `limit` or at the
 * file's end where that comes first (inside the last page): a longer
 * section would extend a writable file, or keep it from being cut.  *view
 * receives the bytes a view of it may span: len, or less where the section
 * ends inside the last page (a view may not reach past its section; it
 * still occupies the whole page, as MapViewOfFile's views do). */
static int resv_section(mmf_map *m, mmf__handle fd, uint64_t file_off,
                        size_t len, uint64_t limit, HANDLE *out, size_t *view)
{
    *view = len;
    struct win_fd *w = win_fd_of(fd);
    DWORD protect = m->access == MMF_ACCESS_READ && w != NULL ? PAGE_READONLY
                                                              : PAGE_READWRITE;
    HANDLE s;
    if (w == NULL) {
        s = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE,
                               HI32(len), LO32(len), NULL);
    } else if (w->file == INVALID_HANDLE_VALUE) {
        HANDLE self = GetCurrentProcess();
        if (!DuplicateHandle(self, w->section, self, &s, 0, FALSE,
                             DUPLICATE_SAME_ACCESS))
            s = NULL;
    } else {
        uint64_t size, end = file_off + len;
        int rc = mmf__os_file_size(m, fd, &size);
        if (rc != 0)
            return rc;
        if (end > size)
            end = size;
        if (end > limit)
            end = limit;
        if (end <= file_off)
            return mmf__fail(m, MMF_EFAULT,
                             "the mapped file shrank to %llu bytes: offset "
                             "%llu cannot be mapped",
                             (unsigned long long)size,
                             (unsigned long long)file_off);
        *view = (size_t)(end - file_off);
        s = CreateFileMappingW(w->file, NULL, protect, HI32(end), LO32(end),
                               NULL);
    }
    if (s == NULL)
        return os_fail(m, GetLastError(), "CreateFileMappingW",
                       "a piece of the reservation");
    *out = s;
    return 0;
}

/* Map a view of [at, at+len) of the reservation, which must be exactly one
 * placeholder, from `section` at offset `sec_off`. */
static int resv_view(mmf_map *m, char *base, size_t at, size_t len,
                     HANDLE section, uint64_t sec_off)
{
    ULONG protect = m->access == MMF_ACCESS_READ && m->fd != MMF__NO_HANDLE
                        ? PAGE_READONLY
                        : PAGE_READWRITE;
    void *p = ph.map_view3(section, GetCurrentProcess(), base + at, sec_off,
                           len, MEM_REPLACE_PLACEHOLDER, protect, NULL, 0);
    if (p == NULL) {
        char what[96];
        snprintf(what, sizeof what, "%zu bytes at offset %llu in place", len,
                 (unsigned long long)sec_off);
        return os_fail(m, GetLastError(), "MapViewOfFile3", what);
    }
    return 0;
}

/* Make [at, at+len) one placeholder, splitting it off the tail placeholder
 * [at, resv_len) when it is shorter.  Idempotent in effect. */
static void resv_split(char *base, size_t at, size_t len, size_t resv_len)
{
    if (at + len < resv_len)
        (void)VirtualFree(base + at, len,
                          MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER);
}

/* Join the placeholders from `at` to the end again into one. */
static void resv_coalesce(char *base, size_t at, size_t resv_len)
{
    if (at < resv_len)
        (void)VirtualFree(base + at, resv_len - at,
                          MEM_RELEASE | MEM_COALESCE_PLACEHOLDERS);
}

static int resv_push(mmf_map *m, mmf__mapping *mp, struct win_view v)
{
    struct win_resv *r = mp->os_extra;
    if (r->count == r->cap) {
        struct win_resv *n =
            realloc(r, sizeof *r + 2 * r->cap * sizeof r->views[0]);
        if (n == NULL)
            return mmf__fail(m, MMF_ENOMEM, "out of memory");
        n->cap *= 2;
        mp->os_extra = r = n;
    }
    r->views[r->count++] = v;
    return 0;
}

int mmf__os_reserve_map(mmf_map *m, mmf__mapping *mp, mmf__handle fd,
                        size_t new_len)
{
    struct win_resv *r = mp->os_extra;
    size_t at = mp->len, len = new_len - at;
    struct win_fd *w = win_fd_of(fd);
    /* Room in the list first: a view mapped and then forgotten would
     * outlive the map. */
    int rc = resv_push(m, mp, (struct win_view){0, 0, NULL});
    if (rc != 0)
        return rc;
    r = mp->os_extra;
    r->count--;
    uint64_t file_off = mp->file_off + at;
    HANDLE s;
    size_t view;
    if ((rc = resv_section(m, fd, file_off, len, UINT64_MAX, &s, &view)) != 0)
        return rc;
    uint64_t sec_off = w == NULL ? 0 : file_off;
    resv_split(mp->base, at, len, r->resv_len);
    rc = resv_view(m, mp->base, at, view, s, sec_off);
    if (rc != 0) {
        CloseHandle(s);
        resv_coalesce(mp->base, at, r->resv_len);
        return rc;
    }
    /* A file's view keeps its section alive; only page-file memory needs
     * the handle again (to map a shrunk piece with its bytes). */
    if (w != NULL) {
        CloseHandle(s);
        s = NULL;
    }
    r->views[r->count++] = (struct win_view){at, len, s};
    mp->len = new_len;
    return 0;
}

int mmf__os_reserve_trim(mmf_map *m, mmf__mapping *mp, size_t new_len,
                         uint64_t file_end)
{
    struct win_resv *r = mp->os_extra;
    if (r == NULL || new_len >= mp->len)
        return 0;
    HANDLE self = GetCurrentProcess();
    while (r->count > 0 && r->views[r->count - 1].at >= new_len) {
        struct win_view *v = &r->views[r->count - 1];
        ph.unmap_view2(self, mp->base + v->at, MEM_PRESERVE_PLACEHOLDER);
        if (v->section != NULL)
            CloseHandle(v->section);
        r->count--;
        mp->len = v->at;
    }
    if (r->count > 0 && mp->len > new_len) {
        /* The last view reaches past the new end: map its front again. */
        struct win_view *v = &r->views[r->count - 1];
        HANDLE s = v->section;
        uint64_t sec_off = v->section != NULL ? 0 : mp->file_off + v->at;
        int rc;
        size_t view = new_len - v->at;
        if (s == NULL &&
            (rc = resv_section(m, m->fd, mp->file_off + v->at, new_len - v->at,
                               file_end, &s, &view)) != 0) {
            resv_coalesce(mp->base, mp->len, r->resv_len);
            return rc; /* the view stays, longer than needed */
        }
        ph.unmap_view2(self, mp->base + v->at, MEM_PRESERVE_PLACEHOLDER);
        resv_split(mp->base, v->at, new_len - v->at, v->at + v->len);
        rc = resv_view(m, mp->base, v->at, view, s, sec_off);
        if (v->section == NULL)
            CloseHandle(s);
        if (rc != 0) {
            /* Nothing of the piece is mapped now: the map ends before it. */
            if (v->section != NULL)
                CloseHandle(v->section);
            r->count--;
            mp->len = v->at;
            resv_coalesce(mp->base, mp->len, r->resv_len);
            return rc;
        }
        v->len = new_len - v->at;
        mp->len = new_len;
    }
    resv_coalesce(mp->base, mp->len, r->resv_len);
    return 0;
}

void mmf__os_reserve_release(mmf__mapping *mp, size_t resv_len)
{
    struct win_resv *r = mp->os_extra;
    if (mp->base != NULL && r != NULL) {
        HANDLE self = GetCurrentProcess();
        for (size_t i = r->count; i-- > 0;) {
            ph.unmap_view2(self, mp->base + r->views[i].at,
                           MEM_PRESERVE_PLACEHOLDER);
            if (r->views[i].section != NULL)
                CloseHandle(r->views[i].section);
        }
        resv_coalesce(mp->base, 0, resv_len);
        VirtualFree(mp->base, 0, MEM_RELEASE);
    }
    free(r);
    mp->base = NULL;
    mp->len = 0;
    mp->os_extra = NULL;
}

/* FlushViewOfFile writes the dirty pages and has no asynchronous form, so
 * MMF_FLUSH_ASYNC waits too. */
int mmf__os_flush(mmf_map *m, void *addr, size_t len, int async)
{
    (void)async;
    for (int tries = 0;; tries++) {
        if (FlushViewOfFile(addr, len))
            return 0;
        DWORD err = GetLastError();
        /* ERROR_LOCK_VIOLATION: the memory manager is writing the same
         * pages just now; documented as transient, so try again. */
        if (err != ERROR_LOCK_VIOLATION || tries == 20)
            return os_fail(m, err, "FlushViewOfFile", NULL);
        Sleep(1);
    }
}

int mmf__os_advise(mmf_map *m, void *addr, size_t len, int advice)
{
    switch (advice) {
    case MMF_ADVICE_NORMAL:
    case MMF_ADVICE_SEQUENTIAL:
    case MMF_ADVICE_RANDOM:
    case MMF_ADVICE_HUGEPAGE:
        /* No per-range access-pattern hint exists, and large pages need
         * SEC_LARGE_PAGES when the section is made (and a privilege). */
        return 0;
    case MMF_ADVICE_WILLNEED:
        /* Read in the background, without waiting. */
        prefetch(addr, len);
        return 0;
    case MMF_ADVICE_POPULATE:
        populate(addr, len);
        return 0;
    case MMF_ADVICE_DONTNEED:
        /* VirtualUnlock on pages that are not locked takes them out of the
         * working set (and says ERROR_NOT_LOCKED).  DiscardVirtualMemory
         * and OfferVirtualMemory would drop the contents, which a hint must
         * never do, and work on private memory only. */
        (void)VirtualUnlock(addr, len);
        return 0;
    default:
        return mmf__fail(m, MMF_EINVAL, "advise: unknown advice %d", advice);
    }
}

int mmf__os_advise_raw(mmf_map *m, void *addr, size_t len, int os_advice)
{
    (void)addr, (void)len;
    return mmf__fail(m, MMF_ENOTSUP,
                     "madvise: Windows has no madvise (advice %d); use "
                     "mmf_advise",
                     os_advice);
}

/* PSAPI_WORKING_SET_EX_INFORMATION; bit 0 of the attributes is Valid. */
struct working_set_ex {
    void *address;
    ULONG_PTR attributes;
};
typedef BOOL(WINAPI *query_ws_fn)(HANDLE, void *, DWORD);

/* Residency is "in this process's working set", from QueryWorkingSetEx:
 * Windows does not say which pages of a file are in the system cache. */
int mmf__os_residency(mmf_map *m, void *addr, size_t len, uint64_t *resident)
{
    query_ws_fn query =
        (query_ws_fn)lookup(L"kernel32.dll", "K32QueryWorkingSetEx");
    if (query == NULL)
        return mmf__fail(m, MMF_ENOTSUP,
                         "residency: QueryWorkingSetEx is "
                         "missing (Windows 7 or later)");
    struct working_set_ex info[512];
    size_t page = mmf__os_page_size();
    size_t pages = (len + page - 1) / page;
    uint64_t count = 0;
    char *p = addr;
    for (size_t i = 0; i < pages;) {
        size_t n = pages - i < 512 ? pages - i : 512;
        for (size_t k = 0; k < n; k++) {
            info[k].address = p + (i + k) * page;
            info[k].attributes = 0;
        }
        if (!query(GetCurrentProcess(), info, (DWORD)(n * sizeof info[0])))
            return os_fail(m, GetLastError(), "QueryWorkingSetEx", NULL);
        for (size_t k = 0; k < n; k++)
            count += info[k].attributes & 1;
        i += n;
    }
    *resident = count;
    return 0;
}

int mmf__os_lock(mmf_map *m, void *addr, size_t len, int lock)
{
    if (lock ? VirtualLock(addr, len) : VirtualUnlock(addr, len))
        return 0;
    DWORD err = GetLastError();
    if (!lock && err == ERROR_NOT_LOCKED)
        return 0; /* as munlock: unlocking what is not locked is fine */
    if (err == ERROR_WORKING_SET_QUOTA)
        return mmf__fail(m, MMF_ENOMEM,
                         "VirtualLock: %zu bytes are more than the working "
                         "set may lock (raise it with "
                         "SetProcessWorkingSetSize; error %lu)",
                         len, (unsigned long)err);
    return os_fail(m, err, lock ? "VirtualLock" : "VirtualUnlock", NULL);
}

/* Windows offers no per-file way to drop the system cache from user mode:
 * the pages leave this process's working set, which is what can be had. */
int mmf__os_evict(mmf_map *m, void *addr, size_t len, mmf__handle fd,
                  uint64_t file_off)
{
    (void)fd, (void)file_off;
    return mmf__os_advise(m, addr, len, MMF_ADVICE_DONTNEED);
}

/* Windows advises, flushes and trims only mapped addresses
 * (PrefetchVirtualMemory, FlushViewOfFile, VirtualUnlock): for file bytes
 * outside every view of ours there is no advice to give and nothing in our
 * working set to drop; dirty pages written through earlier views are in the
 * system cache, which FlushFileBuffers writes (it has no range). */
int mmf__os_advise_file(mmf_map *m, mmf__handle fd, uint64_t file_off,
                        uint64_t len, int advice)
{
    (void)m, (void)fd, (void)file_off, (void)len, (void)advice;
    return 0;
}

int mmf__os_flush_file(mmf_map *m, mmf__handle fd, uint64_t file_off,
                       uint64_t len, int async)
{
    (void)file_off, (void)len, (void)async;
    return mmf__os_sync_file(m, fd, 0);
}

/* mmf_advise_raw is MMF_ENOTSUP here: no number means anything. */
int mmf__os_advice_of_raw(int os_advice)
{
    (void)os_advice;
    return -1;
}

int mmf__os_evict_file(mmf_map *m, mmf__handle fd, uint64_t file_off,
                       uint64_t len)
{
    (void)m, (void)fd, (void)file_off, (void)len;
    return 0;
}

/* --- the fault guard --------------------------------------------------------
 *
 * One vectored exception handler for the process (one per copy of the
 * library), added the first time a map is opened, called before any
 * frame-based handler, and removed when the module holding it is unloaded
 * (on_module_event below).  A fault inside the span of the map that the
 * thread's current guarded call touches resumes in guard_resume(), which
 * jumps back into the guarded call; any other exception goes on to
 * whatever handles it (EXCEPTION_CONTINUE_SEARCH).
 *
 * The handler does not jump itself: it runs on top of the system's
 * exception dispatcher, and leaving those frames by a jump would skip the
 * dispatcher's own bookkeeping (Wine's, for one, keeps a reference count on
 * the handler it is calling).  It rewrites the faulting thread's context
 * instead and returns EXCEPTION_CONTINUE_EXECUTION, so the dispatcher ends
 * normally (NtContinue) and the thread continues in guard_resume(), on the
 * stack below the faulting frame, from where __builtin_longjmp restores the
 * guarded call's frame.  The jump is __builtin_longjmp, not longjmp: the
 * mingw longjmp unwinds with RtlUnwindEx, which has nothing to unwind here.
 */
_Thread_local mmf__guard *mmf__guard_current;

#if defined(__i386__)
/* fastcall: the argument travels in ECX, so the handler need not write it
 * to a stack the dispatcher is still using. */
#define MMF__RESUME_CC __attribute__((fastcall))
#else
#define MMF__RESUME_CC
#endif

static void MMF__RESUME_CC guard_resume(mmf__guard *g)
    __attribute__((noreturn, noinline, used));

static void MMF__RESUME_CC guard_resume(mmf__guard *g)
{
    MMF__LONGJMP(g->env);
}

static LONG CALLBACK on_exception(EXCEPTION_POINTERS *ep)
{
    const EXCEPTION_RECORD *rec = ep->ExceptionRecord;
    if ((rec->ExceptionCode != EXCEPTION_IN_PAGE_ERROR &&
         rec->ExceptionCode != EXCEPTION_ACCESS_VIOLATION) ||
        rec->NumberParameters < 2)
        return EXCEPTION_CONTINUE_SEARCH;
    /* Only faults on mapped views can be ours.  Asked before the
     * thread-local, whose first use in a thread allocates (mingw's emulated
     * TLS) and so must not run for a fault in the heap. */
    const char *addr = (const char *)rec->ExceptionInformation[1];
    MEMORY_BASIC_INFORMATION mbi;
    if (VirtualQuery(addr, &mbi, sizeof mbi) == 0 || mbi.Type != MEM_MAPPED)
        return EXCEPTION_CONTINUE_SEARCH;
    /* And of those only the ones in the span the guarded call is touching:
     * a fault on the caller's own buffer (its own view that it demand-
     * faults from PAGE_NOACCESS, or a read-only one it passed as the
     * destination) belongs to whoever would get it without mmapfile, and
     * goes on to them. */
    mmf__guard *g = mmf__guard_current;
    if (g == NULL || addr < g->touch_lo || addr >= g->touch_hi)
        return EXCEPTION_CONTINUE_SEARCH;
    g->fault_addr = addr;
    mmf__guard_current = g->prev;

    CONTEXT *c = ep->ContextRecord;
#if defined(__x86_64__) || defined(_M_X64)
    /* Enter guard_resume(g) as if called: RSP = 8 mod 16 at entry, the
     * argument in RCX, well below the faulting frame.  Nothing is written
     * to the stack: the dispatcher is still using it. */
    c->Rcx = (DWORD64)(uintptr_t)g;
    c->Rsp = ((c->Rsp - 256) & ~(DWORD64)15) - 8;
    c->Rip = (DWORD64)(uintptr_t)guard_resume;
#elif defined(__i386__)
    c->Ecx = (DWORD)(uintptr_t)g;
    c->Esp = ((c->Esp - 256) & ~(DWORD)15) - 4;
    c->Eip = (DWORD)(uintptr_t)guard_resume;
#else
#error "win32.c: the fault guard needs this CPU's CONTEXT registers"
#endif
    return EXCEPTION_CONTINUE_EXECUTION;
}

static INIT_ONCE guard_once = INIT_ONCE_STATIC_INIT;
static void *guard_handler; /* AddVectoredExceptionHandler's handle */

static BOOL CALLBACK install_once(INIT_ONCE *once, void *param, void **ctx)
{
    (void)once, (void)param, (void)ctx;
    /* First in line: a host's handler for faults that are not ours still
     * sees them, since ours passes them on. */
    guard_handler = AddVectoredExceptionHandler(1, on_exception);
    return guard_handler != NULL;
}

/* The handler must leave with the code it points into.  Windows keeps a
 * vectored handler registered after the module that added it is unloaded
 * (Microsoft's page for AddVectoredExceptionHandler warns of it): after a
 * FreeLibrary of a DLL holding this library, the next exception of any
 * kind anywhere in the process would call into unmapped memory.
 *
 * A TLS callback rather than DllMain: the loader calls the callbacks of
 * every module (EXE or DLL) that has them, with DllMain's arguments (PE
 * format, "TLS Callback Functions"), and a static library can contribute
 * one, while DllMain belongs to the module's author.  So the same code
 * covers libmmapfile.dll and a static copy linked into someone else's
 * DLL.  mingw-w64's CRT lays out the callback array: entries in sections
 * .CRT$XLB to .CRT$XLY, sorted, between its own .CRT$XLA and .CRT$XLZ. */
static void NTAPI on_module_event(void *module, DWORD reason, void *reserved)
{
    (void)module;
    /* reserved != NULL: the process is ending, not the module being
     * unloaded.  Do nothing then, as Microsoft asks of DllMain: other
     * threads were stopped wherever they were, perhaps holding the lock
     * of the handler list. */
    if (reason == DLL_PROCESS_DETACH && reserved == NULL &&
        guard_handler != NULL) {
        RemoveVectoredExceptionHandler(guard_handler);
        guard_handler = NULL;
    }
}

__attribute__((section(".CRT$XLM"),
               used)) static PIMAGE_TLS_CALLBACK mmf__module_event =
    on_module_event;

int mmf__guard_install(void)
{
    return InitOnceExecuteOnce(&guard_once, install_once, NULL, NULL) ? 0
                                                                      : MMF_EIO;
}

/* The dispatcher returned normally (see above): nothing to undo. */
void mmf__guard_recovered(void)
{
}
