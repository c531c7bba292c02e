/* test_win_guest.c - the Windows library as a guest in someone else's
 * process (issue 17): its exception handler leaves with the module that
 * holds it, claims only faults in the span its own call touches, populate
 * advice leaves the caller's locks alone, first opens in two threads at
 * once see the whole system information; and what the Windows notes of
 * mmapfile.h say about named shared memory and sparse files holds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <winioctl.h>

#include "helpers.h"
#include "mmapfile.h"
#include "spawn.h"

#define SIZE (16 * 4096)

/* A file of SIZE bytes of 'a'..'z' mapped for writing. */
static mmf_map *open_file(const char *name, int flags)
{
    char data[SIZE];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)('a' + i % 26);
    const char *p = th_path(name);
    assert_int_equal(th_write_file(p, data, sizeof data), 0);
    mmf_map *m = NULL;
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.flags = flags;
    assert_int_equal(mmf_new(&m), 0);
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    return m;
}

/* --- 1. the handler leaves with its module ------------------------------ */

/* The program's own handling of an exception of its own: a vectored
 * handler added last, which resumes after RaiseException. */
#define OWN_EXCEPTION 0xE0001717u
static volatile LONG own_handled;

static LONG CALLBACK own_handler(EXCEPTION_POINTERS *ep)
{
    if (ep->ExceptionRecord->ExceptionCode != OWN_EXCEPTION)
        return EXCEPTION_CONTINUE_SEARCH;
    InterlockedIncrement(&own_handled);
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* After the module is gone, raise and handle an exception.  A handler the
 * module left registered would be called first, in unmapped memory.
 * Returns UNLOAD_OK: a process that dies in the exception dispatcher may
 * end with any code, 0 included (it does under Wine). */
#define UNLOAD_OK 77
static int raise_own_exception(void)
{
    void *h = AddVectoredExceptionHandler(0, own_handler);
    if (h == NULL)
        return 30;
    RaiseException(OWN_EXCEPTION, 0, 0, NULL);
    RemoveVectoredExceptionHandler(h);
    return own_handled == 1 ? UNLOAD_OK : 31;
}

typedef int (*new_fn)(mmf_map **);
typedef int (*open_anon_fn)(mmf_map *, uint64_t, int);
typedef int (*copy_fn)(mmf_map *, uint64_t, const void *, size_t);
typedef void (*free_fn)(mmf_map *);

#define GET(mod, name) ((void (*)(void))(void *)GetProcAddress((mod), (name)))

/* Child: load libmmapfile.dll, open a map through it (which adds the
 * handler), free it, unload the DLL, then raise. */
static int child_dll_unload(void)
{
    HMODULE dll = LoadLibraryW(L"libmmapfile.dll");
    if (dll == NULL)
        return 20;
    new_fn mnew = (new_fn)GET(dll, "mmf_new");
    open_anon_fn mopen = (open_anon_fn)GET(dll, "mmf_open_anon");
    copy_fn mcopy = (copy_fn)GET(dll, "mmf_copy_in");
    free_fn mfree = (free_fn)GET(dll, "mmf_free");
    if (mnew == NULL || mopen == NULL || mcopy == NULL || mfree == NULL)
        return 21;
    mmf_map *m = NULL;
    if (mnew(&m) != 0 || mopen(m, 100000, MMF_ANON_SHARED) != 0 ||
        mcopy(m, 70000, "x", 1) != 0)
        return 22;
    mfree(m);
    if (!FreeLibrary(dll))
        return 23;
    if (GetModuleHandleW(L"libmmapfile.dll") != NULL)
        return 24; /* still loaded: the test would prove nothing */
    return raise_own_exception();
}

/* Child: the same with guest_dll.dll, someone else's DLL that links the
 * static library (a copy of mmapfile inside it, with no DllMain of ours). */
static int child_static_unload(void)
{
    HMODULE dll = LoadLibraryW(L"guest_dll.dll");
    if (dll == NULL)
        return 20;
    int (*use)(void) = (int (*)(void))GET(dll, "guest_use_a_map");
    if (use == NULL)
        return 21;
    if (use() != 0)
        return 22;
    if (!FreeLibrary(dll))
        return 23;
    if (GetModuleHandleW(L"guest_dll.dll") != NULL)
        return 24;
    return raise_own_exception();
}

static void unloaded_dll_leaves_no_handler_behind(void **state)
{
    (void)state;
    DWORD code = 99;
    assert_int_equal(tw_run_self(&code, "dll-unload"), 0);
    assert_int_equal(code, UNLOAD_OK);
}

static void unloaded_static_copy_in_a_dll_leaves_no_handler_behind(void **state)
{
    (void)state;
    DWORD code = 99;
    assert_int_equal(tw_run_self(&code, "static-unload"), 0);
    assert_int_equal(code, UNLOAD_OK);
}

/* --- 2. only faults in the call's own span ------------------------------ */

/* The host's memory: a view of its own section, which it makes
 * accessible page by page when touched (a demand-faulting pattern:
 * guard pages, garbage-collector barriers, user-space paging). */
static char *host_view;
static size_t host_len;
static DWORD host_make; /* the protection a touched page gets */
static volatile LONG host_faults;

static LONG CALLBACK host_handler(EXCEPTION_POINTERS *ep)
{
    const EXCEPTION_RECORD *rec = ep->ExceptionRecord;
    if (rec->ExceptionCode != EXCEPTION_ACCESS_VIOLATION ||
        rec->NumberParameters < 2)
        return EXCEPTION_CONTINUE_SEARCH;
    char *addr = (char *)rec->ExceptionInformation[1];
    if (addr < host_view || addr >= host_view + host_len)
        return EXCEPTION_CONTINUE_SEARCH;
    DWORD old;
    char *page = addr - (uintptr_t)addr % 4096;
    if (!VirtualProtect(page, 4096, host_make, &old))
        return EXCEPTION_CONTINUE_SEARCH;
    InterlockedIncrement(&host_faults);
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* Map the host's view (a page-file section: MEM_MAPPED, like ours) with
 * `protect` on every page, and add the host's handler last in line, after
 * the guard (which the map opened before this has added). */
static void *host_setup(size_t len, DWORD protect)
{
    HANDLE s = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0,
                                  (DWORD)len, NULL);
    assert_non_null(s);
    host_view = MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, len);
    CloseHandle(s);
    assert_non_null(host_view);
    host_len = len;
    host_make = PAGE_READWRITE;
    host_faults = 0;
    DWORD old;
    assert_true(VirtualProtect(host_view, len, protect, &old));
    void *h = AddVectoredExceptionHandler(0, host_handler);
    assert_non_null(h);
    return h;
}

static void host_teardown(void *h)
{
    RemoveVectoredExceptionHandler(h);
    UnmapViewOfFile(host_view);
    host_view = NULL;
}

static void
copy_out_into_host_demand_faulted_view_reaches_its_handler(void **state)
{
    (void)state;
    mmf_map *m = open_file("demand", 0);
    void *h = host_setup(SIZE, PAGE_NOACCESS);
    /* Four pages' worth from map offset 1000 into the middle of the
     * host's view: every destination page faults once. */
    int rc = mmf_copy_out(m, 1000, host_view + 4096 + 100, 4 * 4096);
    LONG faults = host_faults;
    int same = 1;
    for (size_t i = 0; rc == 0 && i < 4 * 4096; i++)
        same &= host_view[4096 + 100 + i] == (char)('a' + (1000 + i) % 26);
    host_teardown(h);
    assert_int_equal(rc, 0);
    assert_true(faults >= 5); /* 5 pages: 100 bytes in, 4 pages long */
    assert_true(same);
    mmf_free(m);
}

static void
copy_out_into_callers_read_only_view_is_not_a_shrunk_file(void **state)
{
    (void)state;
    mmf_map *m = open_file("rodest", 0);
    void *h = host_setup(SIZE, PAGE_READONLY);
    int rc = mmf_copy_out(m, 26, host_view, 3 * 4096);
    LONG faults = host_faults;
    int same = 1;
    for (size_t i = 0; rc == 0 && i < 3 * 4096; i++)
        same &= host_view[i] == (char)('a' + i % 26);
    host_teardown(h);
    assert_int_equal(rc, 0); /* not MMF_EFAULT "the mapped file shrank" */
    assert_int_equal(faults, 3);
    assert_true(same);
    /* The guard still claims faults in its own span. */
    void *ptr;
    DWORD old;
    assert_int_equal(mmf_pointer(m, &ptr, NULL), 0);
    assert_true(VirtualProtect((char *)ptr + 8192, 4096, PAGE_NOACCESS, &old));
    char buf[3 * 4096];
    assert_int_equal(mmf_copy_out(m, 0, buf, sizeof buf), MMF_EFAULT);
    assert_non_null(strstr(mmf_errmsg(m), "offset 8192"));
    mmf_free(m);
}

/* Child: a copy into a view mapped read-only, with no handler of the
 * program's: it must crash as without mmapfile, not return MMF_EFAULT. */
static LONG WINAPI end_quietly(EXCEPTION_POINTERS *ep)
{
    (void)ep;
    return EXCEPTION_EXECUTE_HANDLER;
}

static int child_read_only_destination(void)
{
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
    SetUnhandledExceptionFilter(end_quietly);
    mmf_map *m = NULL;
    if (mmf_new(&m) != 0 || mmf_open_anon(m, SIZE, MMF_ANON_SHARED) != 0)
        return 20;
    HANDLE s = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0,
                                  SIZE, NULL);
    char *view = s != NULL ? MapViewOfFile(s, FILE_MAP_READ, 0, 0, SIZE) : NULL;
    if (view == NULL)
        return 21;
    int rc = mmf_copy_out(m, 0, view, 4096);
    return rc == MMF_EFAULT ? 22 : 23; /* either way it did not crash */
}

static void
copy_out_into_read_only_view_crashes_as_without_mmapfile(void **state)
{
    (void)state;
    DWORD code = 0;
    assert_int_equal(tw_run_self(&code, "ro-destination"), 0);
    assert_int_equal(code, EXCEPTION_ACCESS_VIOLATION);
}

/* --- 3. populate leaves locks alone ------------------------------------- */

/* Under Wine, run a shell script (Wine starts Unix programs) and wait for
 * the file it writes: Wine hands back no process handle to wait on. */
static int wine_shell(const char *script, const char *out)
{
    typedef char *(CDECL * unix_name_fn)(const wchar_t *);
    HMODULE k32 = GetModuleHandleW(L"kernel32.dll");
    unix_name_fn unix_name = (unix_name_fn)GET(k32, "wine_get_unix_file_name");
    const char *sp = th_path("script.sh");
    if (unix_name == NULL || th_write_file(sp, script, strlen(script)) != 0)
        return -1;
    wchar_t *w = tw_widen(sp);
    char *usp = w != NULL ? unix_name(w) : NULL;
    free(w);
    if (usp == NULL)
        return -1;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "sh \"%s\"", usp);
    HeapFree(GetProcessHeap(), 0, usp);
    w = tw_widen(cmd);
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    memset(&si, 0, sizeof si);
    memset(&pi, 0, sizeof pi);
    si.cb = sizeof si;
    BOOL ok = w != NULL && CreateProcessW(L"Z:\\bin\\sh", w, NULL, NULL, FALSE,
                                          0, NULL, NULL, &si, &pi);
    free(w);
    if (!ok)
        return -1;
    if (pi.hThread != NULL)
        CloseHandle(pi.hThread);
    if (pi.hProcess != NULL)
        CloseHandle(pi.hProcess);
    for (int i = 0; i < 1000; i++) {
        if (th_file_size(out) > 0)
            return 0;
        Sleep(10);
    }
    return -1;
}

/* KiB of the file at `path` that this process has locked.  Windows: the
 * Locked bit of QueryWorkingSetEx for each page of [p, p+len).  Wine does
 * not report that bit; its VirtualLock is mlock(), so the count is the
 * "Locked:" of the file's mappings in /proc/PID/smaps of the process that
 * maps the file (ours: the name is unique to this test run). */
static long locked_kib(const char *path, const char *p, size_t len)
{
    if (!tw_under_wine()) {
        typedef BOOL(WINAPI * query_fn)(HANDLE, void *, DWORD);
        query_fn query = (query_fn)GET(GetModuleHandleW(L"kernel32.dll"),
                                       "K32QueryWorkingSetEx");
        struct {
            void *address;
            ULONG_PTR attributes;
        } info[64];
        size_t pages = len / 4096;
        assert_non_null(query);
        assert_true(pages <= 64);
        for (size_t i = 0; i < pages; i++) {
            info[i].address = (char *)p + i * 4096;
            info[i].attributes = 0;
        }
        assert_true(
            query(GetCurrentProcess(), info, (DWORD)(pages * sizeof info[0])));
        long kib = 0;
        for (size_t i = 0; i < pages; i++)
            kib += (info[i].attributes >> 22 & 1) ? 4 : 0; /* Locked */
        return kib;
    }
    typedef char *(CDECL * unix_name_fn)(const wchar_t *);
    unix_name_fn unix_name = (unix_name_fn)GET(
        GetModuleHandleW(L"kernel32.dll"), "wine_get_unix_file_name");
    const char *out = th_path("locked.txt");
    wchar_t *w = tw_widen(path), *wo = tw_widen(out);
    char *upath = unix_name(w), *uout = unix_name(wo);
    free(w);
    free(wo);
    assert_non_null(upath);
    assert_non_null(uout);
    DeleteFileA(out);
    char script[4096];
    snprintf(script, sizeof script,
             "f=$(readlink -f '%s')\n"
             "for d in /proc/[0-9]*; do\n"
             "  grep -qF \"$f\" $d/maps 2>/dev/null || continue\n"
             "  awk -v f=\"$f\" 'index($0, f) { on = 1; next }\n"
             "    /^[0-9a-f]+-[0-9a-f]+ / { on = 0 }\n"
             "    on && /^Locked:/ { s += $2 } END { print s + 0 }' "
             "$d/smaps\n"
             "done > '%s.tmp'\n"
             "echo end >> '%s.tmp'\n"
             "mv '%s.tmp' '%s'\n",
             upath, uout, uout, uout, uout);
    HeapFree(GetProcessHeap(), 0, upath);
    HeapFree(GetProcessHeap(), 0, uout);
    assert_int_equal(wine_shell(script, out), 0);
    char buf[64] = {0};
    assert_true(th_read_file(out, buf, sizeof buf - 1) > 0);
    return strtol(buf, NULL, 10);
}

static void populate_advice_keeps_locked_pages_locked(void **state)
{
    (void)state;
    char p[512]; /* th_path's buffers rotate */
    snprintf(p, sizeof p, "%s", th_path("locked"));
    mmf_map *m = open_file("locked", 0);
    void *ptr;
    assert_int_equal(mmf_pointer(m, &ptr, NULL), 0);
    assert_int_equal(mmf_lock(m, 0, 8 * 4096), 0);
    assert_int_equal(locked_kib(p, ptr, SIZE), 32);
    assert_int_equal(mmf_advise(m, 0, 0, MMF_ADVICE_POPULATE), 0);
    assert_int_equal(locked_kib(p, ptr, SIZE), 32);
    uint64_t resident = 0, total = 0;
    assert_int_equal(mmf_residency(m, 0, 0, &resident, &total), 0);
    assert_int_equal(total, 16);
    assert_int_equal(resident, 16); /* and it did populate */
    assert_int_equal(mmf_unlock(m, 0, 8 * 4096), 0);
    assert_int_equal(locked_kib(p, ptr, SIZE), 0);
    mmf_free(m);
}

static void populate_stops_quietly_at_a_lost_page(void **state)
{
    (void)state;
    mmf_map *m = open_file("poplost", 0);
    void *ptr;
    DWORD old;
    assert_int_equal(mmf_pointer(m, &ptr, NULL), 0);
    assert_true(VirtualProtect((char *)ptr + 4096, 4096, PAGE_NOACCESS, &old));
    assert_int_equal(mmf_advise(m, 0, 0, MMF_ADVICE_POPULATE), 0);
    uint8_t b;
    assert_int_equal(mmf_get_byte(m, 0, &b), 0);
    assert_int_equal(b, 'a');
    assert_int_equal(mmf_get_byte(m, 4096, &b), MMF_EFAULT);
    mmf_free(m);
}

/* --- 4. first opens in two threads at once ------------------------------ */

/* The race: thread A's first open reads the system information while
 * thread B's first open uses it.  A preemption of A inside GetSystemInfo,
 * between two of its stores, is rare but legal; the test makes it happen
 * every time by pointing this program's import of GetSystemInfo (the
 * static library inside calls it through the import address table, like
 * any code of the EXE) at a version that stops between the page size and
 * the granularity until B has run or 300 ms have passed. */
typedef void(WINAPI *get_system_info_fn)(SYSTEM_INFO *);
static get_system_info_fn real_get_system_info;
static HANDLE a_is_inside, b_is_done;

static void WINAPI slow_get_system_info(SYSTEM_INFO *out)
{
    SYSTEM_INFO si;
    real_get_system_info(&si);
    DWORD granularity = si.dwAllocationGranularity;
    si.dwAllocationGranularity = 0;
    *out = si; /* everything but the granularity */
    SetEvent(a_is_inside);
    WaitForSingleObject(b_is_done, 300);
    out->dwAllocationGranularity = granularity;
}

/* Point this EXE's import of kernel32!GetSystemInfo at `fn`. */
static int patch_import(void *fn)
{
    char *base = (char *)GetModuleHandleW(NULL);
    IMAGE_NT_HEADERS *nt =
        (IMAGE_NT_HEADERS *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
    IMAGE_DATA_DIRECTORY dir =
        nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
    IMAGE_IMPORT_DESCRIPTOR *d =
        (IMAGE_IMPORT_DESCRIPTOR *)(base + dir.VirtualAddress);
    for (; d->Name != 0; d++) {
        if (_stricmp(base + d->Name, "kernel32.dll") != 0)
            continue;
        IMAGE_THUNK_DATA *names =
            (IMAGE_THUNK_DATA *)(base + d->OriginalFirstThunk);
        IMAGE_THUNK_DATA *iat = (IMAGE_THUNK_DATA *)(base + d->FirstThunk);
        for (; names->u1.AddressOfData != 0; names++, iat++) {
            if (IMAGE_SNAP_BY_ORDINAL(names->u1.Ordinal))
                continue;
            IMAGE_IMPORT_BY_NAME *ibn =
                (IMAGE_IMPORT_BY_NAME *)(base + names->u1.AddressOfData);
            if (strcmp((char *)ibn->Name, "GetSystemInfo") != 0)
                continue;
            DWORD old;
            if (!VirtualProtect(&iat->u1.Function, sizeof iat->u1.Function,
                                PAGE_READWRITE, &old))
                return -1;
            real_get_system_info = (get_system_info_fn)(void *)iat->u1.Function;
            iat->u1.Function = (ULONG_PTR)fn;
            VirtualProtect(&iat->u1.Function, sizeof iat->u1.Function, old,
                           &old);
            return 0;
        }
    }
    return -1;
}

/* A first open: an anonymous map of more than one granule, and a copy
 * across a granule boundary.  0, or which step failed. */
static DWORD WINAPI first_open(void *arg)
{
    int is_b = arg != NULL;
    if (is_b)
        WaitForSingleObject(a_is_inside, INFINITE);
    mmf_map *m = NULL;
    char got[3] = {0};
    DWORD rc = 0;
    if (mmf_new(&m) != 0 || mmf_open_anon(m, 3 * 65536 + 5, 0) != 0)
        rc = 1;
    else if (mmf_copy_in(m, 65535, "ok", 2) != 0 ||
             mmf_copy_out(m, 65535, got, 2) != 0 || strcmp(got, "ok") != 0)
        rc = 2;
    else if (mmf_granularity() != 65536 || mmf_page_size() != 4096)
        rc = 3;
    mmf_free(m);
    if (is_b)
        SetEvent(b_is_done);
    return rc;
}

#define FIRST_OPENS_OK 55 /* a crash may end with any code, 0 included */

/* Child: thread A opens the first map of the process and is held inside
 * GetSystemInfo while thread B opens its own first map. */
static int child_first_opens(void)
{
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
    SetUnhandledExceptionFilter(end_quietly);
    a_is_inside = CreateEventW(NULL, TRUE, FALSE, NULL);
    b_is_done = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (a_is_inside == NULL || b_is_done == NULL ||
        patch_import((void *)slow_get_system_info) != 0)
        return 20;
    HANDLE a = CreateThread(NULL, 0, first_open, NULL, 0, NULL);
    HANDLE b = CreateThread(NULL, 0, first_open, (void *)1, 0, NULL);
    if (a == NULL || b == NULL)
        return 21;
    DWORD ca = 9, cb = 9;
    WaitForSingleObject(a, INFINITE);
    WaitForSingleObject(b, INFINITE);
    GetExitCodeThread(a, &ca);
    GetExitCodeThread(b, &cb);
    return ca == 0 && cb == 0 ? FIRST_OPENS_OK : (int)(ca * 10 + cb);
}

static void first_opens_in_two_threads_see_the_whole_system_info(void **state)
{
    (void)state;
    DWORD code = 99;
    assert_int_equal(tw_run_self(&code, "first-opens"), 0);
    assert_int_equal(code, FIRST_OPENS_OK);
}

/* --- 5. named shared memory: what a second opener sees ------------------ */

static void second_opener_of_named_memory_sees_whole_pages(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "/mmf-guest-%lu",
             (unsigned long)GetCurrentProcessId());
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.flags = MMF_CREATE;
    o.length = 100;
    mmf_map *creator = NULL, *other = NULL, *exact = NULL;
    assert_int_equal(mmf_new(&creator), 0);
    assert_int_equal(mmf_open_shm(creator, name, &o), 0);
    assert_int_equal(mmf_length(creator), 100);
    char data[100];
    memset(data, 'z', sizeof data);
    assert_int_equal(mmf_copy_in(creator, 0, data, sizeof data), 0);
    /* Length 0: the section's size, which Windows keeps in whole pages. */
    o.flags = 0;
    o.length = 0;
    assert_int_equal(mmf_new(&other), 0);
    assert_int_equal(mmf_open_shm(other, name, &o), 0);
    assert_int_equal(mmf_length(other), 4096);
    char got[4096];
    assert_int_equal(mmf_copy_out(other, 0, got, sizeof got), 0);
    assert_memory_equal(got, data, 100);
    for (size_t i = 100; i < sizeof got; i++)
        assert_int_equal(got[i], 0);
    /* The creator's length, passed by the opener. */
    o.length = 100;
    assert_int_equal(mmf_new(&exact), 0);
    assert_int_equal(mmf_open_shm(exact, name, &o), 0);
    assert_int_equal(mmf_length(exact), 100);
    mmf_free(exact);
    mmf_free(other);
    mmf_free(creator);
}

/* --- 6. growth of a sparse file reserves nothing ------------------------ */

static long long allocated(HANDLE h)
{
    FILE_STANDARD_INFO si;
    assert_true(
        GetFileInformationByHandleEx(h, FileStandardInfo, &si, sizeof si));
    return si.AllocationSize.QuadPart;
}

static void grown_sparse_file_has_no_clusters_reserved(void **state)
{
    (void)state;
    const uint64_t grown = 16u << 20;
    const char *p = th_path("sparse");
    assert_int_equal(th_write_file(p, "s", 1), 0);
    wchar_t *w = tw_widen(p);
    HANDLE h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, 0, NULL);
    free(w);
    assert_true(h != INVALID_HANDLE_VALUE);
    DWORD n;
    assert_true(
        DeviceIoControl(h, FSCTL_SET_SPARSE, NULL, 0, NULL, 0, &n, NULL));
    mmf_map *m = NULL;
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = MMF_ACCESS_WRITE;
    o.flags = MMF_GROW;
    o.length = grown;
    assert_int_equal(mmf_new(&m), 0);
    assert_int_equal(mmf_open_path(m, p, &o), 0);
    assert_int_equal(mmf_length(m), grown);
    assert_int_equal(th_file_size(p), (long long)grown);
    assert_true(allocated(h) < (long long)grown / 2);
    mmf_free(m);
    CloseHandle(h);

    /* An ordinary file: moving its end allocates the clusters on Windows.
     * Wine extends every file with ftruncate(), sparse on Linux file
     * systems, so there the reservation does not hold either. */
    const char *q = th_path("dense");
    assert_int_equal(th_write_file(q, "d", 1), 0);
    assert_int_equal(mmf_new(&m), 0);
    assert_int_equal(mmf_open_path(m, q, &o), 0);
    w = tw_widen(q);
    h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                    OPEN_EXISTING, 0, NULL);
    free(w);
    assert_true(h != INVALID_HANDLE_VALUE);
    long long a = allocated(h);
    CloseHandle(h);
    mmf_free(m);
    if (tw_under_wine())
        assert_true(a < (long long)grown / 2);
    else
        assert_true(a >= (long long)grown);
}

int main(void)
{
    int argc;
    char **argv = tw_child_args(&argc);
    if (argc > 1) {
        if (strcmp(argv[1], "dll-unload") == 0)
            return child_dll_unload();
        if (strcmp(argv[1], "static-unload") == 0)
            return child_static_unload();
        if (strcmp(argv[1], "ro-destination") == 0)
            return child_read_only_destination();
        if (strcmp(argv[1], "first-opens") == 0)
            return child_first_opens();
        return 98;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unloaded_dll_leaves_no_handler_behind),
        cmocka_unit_test(
            unloaded_static_copy_in_a_dll_leaves_no_handler_behind),
        cmocka_unit_test(
            copy_out_into_host_demand_faulted_view_reaches_its_handler),
        cmocka_unit_test(
            copy_out_into_callers_read_only_view_is_not_a_shrunk_file),
        cmocka_unit_test(
            copy_out_into_read_only_view_crashes_as_without_mmapfile),
        cmocka_unit_test(populate_advice_keeps_locked_pages_locked),
        cmocka_unit_test(populate_stops_quietly_at_a_lost_page),
        cmocka_unit_test(first_opens_in_two_threads_see_the_whole_system_info),
        cmocka_unit_test(second_opener_of_named_memory_sees_whole_pages),
        cmocka_unit_test(grown_sparse_file_has_no_clusters_reserved),
    };
    return cmocka_run_group_tests_name("win_guest", tests, NULL, NULL);
}
