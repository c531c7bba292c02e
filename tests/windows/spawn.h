/*
 * spawn.h - a second process for the Windows unit tests, where the POSIX
 * tests fork.  Windows has no fork: a test runs its own program again
 * with arguments (tw_run_self), and the program's main() hands such a run
 * to the test's child code (tw_child_args) before any test starts:
 *
 *     int main(void)
 *     {
 *     #ifdef _WIN32
 *         int argc;
 *         char **argv = tw_child_args(&argc);
 *         if (argc > 1)
 *             return child_main(argc, argv);
 *     #endif
 *         ...the tests...
 *
 *     DWORD code;
 *     assert_int_equal(tw_run_self(&code, "write-shm %s", name), 0);
 *     assert_int_equal(code, 0);
 *
 * Header-only so that every test program gets it with one include.
 */
#ifndef MMF_TEST_SPAWN_H
#define MMF_TEST_SPAWN_H

#include <windows.h>

#include <shellapi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TW_UNUSED __attribute__((unused))

/* UTF-8 to a malloc'ed UTF-16 string (NULL on failure). */
static TW_UNUSED wchar_t *tw_widen(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
    wchar_t *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
    if (w != NULL)
        MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
    return w;
}

/* Run `app` (NULL: the first word of the command line) with the command
 * line `cmdline`, wait up to a minute, and give its exit code.  Returns 0,
 * or -1 if it could not start or did not end. */
static TW_UNUSED int tw_run(const wchar_t *app, const wchar_t *cmdline,
                            DWORD *exit_code)
{
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    size_t len = wcslen(cmdline) + 1;
    wchar_t *line = malloc(len * sizeof *line); /* CreateProcessW writes it */
    if (line == NULL)
        return -1;
    memcpy(line, cmdline, len * sizeof *line);
    BOOL ok =
        CreateProcessW(app, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi);
    free(line);
    if (!ok) {
        fprintf(stderr, "CreateProcessW: error %lu\n",
                (unsigned long)GetLastError());
        return -1;
    }
    DWORD waited = WaitForSingleObject(pi.hProcess, 60000);
    int rc =
        waited == WAIT_OBJECT_0 && GetExitCodeProcess(pi.hProcess, exit_code)
            ? 0
            : -1;
    if (waited != WAIT_OBJECT_0)
        TerminateProcess(pi.hProcess, 99);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return rc;
}

/* Run this program again with the arguments printf-formatted from fmt
 * (UTF-8; quote arguments that may hold spaces). */
static TW_UNUSED __attribute__((format(gnu_printf, 2, 3))) int
tw_run_self(DWORD *exit_code, const char *fmt, ...)
{
    wchar_t exe[MAX_PATH];
    DWORD n = GetModuleFileNameW(NULL, exe, MAX_PATH);
    if (n == 0 || n >= MAX_PATH)
        return -1;
    char args[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    wchar_t *wargs = tw_widen(args);
    if (wargs == NULL)
        return -1;
    size_t len = wcslen(exe) + wcslen(wargs) + 4;
    wchar_t *line = malloc(len * sizeof *line);
    if (line == NULL) {
        free(wargs);
        return -1;
    }
    swprintf(line, len, L"\"%ls\" %ls", exe, wargs);
    free(wargs);
    int rc = tw_run(exe, line, exit_code);
    free(line);
    return rc;
}

/* This program's arguments in UTF-8 (the CRT's argv is in the ANSI code
 * page).  Never freed: it lives as long as the process. */
static TW_UNUSED char **tw_child_args(int *argc)
{
    int n = 0;
    wchar_t **wargv = CommandLineToArgvW(GetCommandLineW(), &n);
    char **argv = wargv != NULL ? calloc((size_t)n + 1, sizeof *argv) : NULL;
    *argc = argv != NULL ? n : 0;
    for (int i = 0; argv != NULL && i < n; i++) {
        int len =
            WideCharToMultiByte(CP_UTF8, 0, wargv[i], -1, NULL, 0, NULL, NULL);
        argv[i] = malloc(len > 0 ? (size_t)len : 1);
        if (argv[i] == NULL) {
            *argc = 0;
            break;
        }
        argv[i][0] = '\0';
        WideCharToMultiByte(CP_UTF8, 0, wargv[i], -1, argv[i], len, NULL, NULL);
    }
    LocalFree(wargv);
    return argv;
}

/* Under Wine, ntdll exports wine_get_version. */
static TW_UNUSED int tw_under_wine(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

/* The size of the file at path, or -1. */
static TW_UNUSED long long tw_file_size(const char *path)
{
    WIN32_FILE_ATTRIBUTE_DATA info;
    wchar_t *w = tw_widen(path);
    BOOL ok =
        w != NULL && GetFileAttributesExW(w, GetFileExInfoStandard, &info);
    free(w);
    return ok ? (long long)(((uint64_t)info.nFileSizeHigh << 32) |
                            info.nFileSizeLow)
              : -1;
}

/* Wine only: cut the file at `path` to `size` bytes from the Unix side,
 * which Windows itself refuses while a map of it is open.  Wine's
 * CreateProcess starts a Unix program when given one (but hands back no
 * process handle to wait on, so the size is watched instead), and its
 * kernel32 knows each file's Unix name.  Returns 0 or -1. */
static TW_UNUSED int tw_unix_truncate(const char *path, uint64_t size)
{
    typedef char *(CDECL * unix_name_fn)(const wchar_t *);
    HMODULE k32 = GetModuleHandleW(L"kernel32.dll");
    unix_name_fn unix_name = k32 != NULL
                                 ? (unix_name_fn)(void (*)(void))GetProcAddress(
                                       k32, "wine_get_unix_file_name")
                                 : NULL;
    wchar_t *wpath = tw_widen(path);
    char *upath = unix_name != NULL && wpath != NULL ? unix_name(wpath) : NULL;
    free(wpath);
    if (upath == NULL)
        return -1;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "truncate -s %llu \"%s\"",
             (unsigned long long)size, upath);
    HeapFree(GetProcessHeap(), 0, upath);
    wchar_t *wcmd = tw_widen(cmd);
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    memset(&si, 0, sizeof si);
    memset(&pi, 0, sizeof pi);
    si.cb = sizeof si;
    BOOL ok =
        wcmd != NULL && CreateProcessW(L"Z:\\usr\\bin\\truncate", wcmd, NULL,
                                       NULL, FALSE, 0, NULL, NULL, &si, &pi);
    free(wcmd);
    if (!ok)
        return -1;
    if (pi.hThread != NULL)
        CloseHandle(pi.hThread);
    if (pi.hProcess != NULL)
        CloseHandle(pi.hProcess);
    for (int i = 0; i < 1000; i++) {
        if (tw_file_size(path) == (long long)size)
            return 0;
        Sleep(10);
    }
    return -1;
}

#endif /* MMF_TEST_SPAWN_H */
