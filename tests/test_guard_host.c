/* test_guard_host.c - the fault guard as a guest in a host process: other
 * SIGBUS handlers installed before and after ours (calling, re-raising and
 * re-executing chainers), SIG_IGN, a second copy of the library (this
 * program links the static library and dlopen()s the shared one), the
 * signal mask and alternate stack after a recovery, faults of the host's
 * own raised while a guarded call runs, threads that block SIGBUS.
 *
 * Each scenario runs in a fresh process (this program run again with the
 * scenario's name), so that neither cmocka's handlers nor an earlier
 * test's installs are in the way, under alarm(): a chain that loops shows
 * as SIGALRM, one that recurses as SIGSEGV.  A host handler writes one
 * byte per call to a pipe the parent reads, so "ran exactly once" is
 * checked even when the scenario ends with the process killed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#ifdef _WIN32
/* POSIX signal dispositions only.  The Windows guard's life among other
 * exception handlers is tested by tests/windows/test_win_guest.c. */
static void posix_signal_handlers_only(void **state)
{
    (void)state;
    skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(posix_signal_handlers_only),
    };
    return cmocka_run_group_tests_name("guard_host", tests, NULL, NULL);
}
#else
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "mmapfile.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

#define PAGE 4096
#define PAGES 16
#define SIZE (PAGES * PAGE)

/* --- the child side --------------------------------------------------------
 */

static int report_fd = -1; /* the pipe to the parent */

static void report(char c)
{
    if (report_fd >= 0 && write(report_fd, &c, 1) != 1)
        _exit(90);
}

/* Another process truncates the file to one page. */
static void truncate_elsewhere(const char *path)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(truncate(path, PAGE) == 0 ? 0 : 1);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        _exit(91);
}

static void write_pattern(const char *path, size_t size)
{
    char *d = malloc(size);
    memset(d, 'q', size);
    if (th_write_file(path, d, size) != 0)
        _exit(92);
    free(d);
}

/* The library's calls, from this program's static copy or from the shared
 * library dlopen()ed as a second copy. */
typedef struct lib {
    int (*new_)(mmf_map **);
    int (*open_path)(mmf_map *, const char *, const mmf_options *);
    int (*get_byte)(mmf_map *, uint64_t, uint8_t *);
    int (*copy_out)(mmf_map *, uint64_t, void *, size_t);
    int (*find)(mmf_map *, const void *, size_t, uint64_t, uint64_t,
                uint64_t *);
    int (*pointer)(mmf_map *, void **, uint64_t *);
} lib;

static const lib static_copy = {mmf_new,      mmf_open_path, mmf_get_byte,
                                mmf_copy_out, mmf_find,      mmf_pointer};

static lib load_shared_copy(void)
{
    void *h = dlopen(MMF_TEST_SHARED_LIB, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        _exit(93);
    }
    lib l;
    *(void **)&l.new_ = dlsym(h, "mmf_new");
    *(void **)&l.open_path = dlsym(h, "mmf_open_path");
    *(void **)&l.get_byte = dlsym(h, "mmf_get_byte");
    *(void **)&l.copy_out = dlsym(h, "mmf_copy_out");
    *(void **)&l.find = dlsym(h, "mmf_find");
    *(void **)&l.pointer = dlsym(h, "mmf_pointer");
    if (l.new_ == NULL || l.open_path == NULL || l.get_byte == NULL ||
        l.copy_out == NULL || l.find == NULL || l.pointer == NULL ||
        (void *)l.new_ == (void *)mmf_new)
        _exit(94); /* not a second copy */
    return l;
}

/* A map of a fresh SIZE-byte file (under `name` in dir), via copy l. */
static mmf_map *open_map(const lib *l, const char *dir, const char *name,
                         int truncated)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_pattern(path, SIZE);
    mmf_map *m = NULL;
    mmf_options o = MMF_OPTIONS_INIT;
    if (l->new_(&m) != 0 || l->open_path(m, path, &o) != 0)
        _exit(95);
    if (truncated)
        truncate_elsewhere(path);
    return m;
}

/* Guarded accesses to lost pages are MMF_EFAULT, through copy l: a byte
 * probe, a jump-point copy and a search. */
static int guarded_faults_recover(const lib *l, mmf_map *m)
{
    uint8_t b;
    static char buf[3 * PAGE];
    uint64_t pos;
    return l->get_byte(m, SIZE - 1, &b) == MMF_EFAULT &&
           l->copy_out(m, 2 * PAGE, buf, sizeof buf) == MMF_EFAULT &&
           l->find(m, "zz", 2, 0, MMF_END, &pos) == MMF_EFAULT &&
           l->get_byte(m, 10, &b) == 0 && b == 'q';
}

/* The raw pointer: an unguarded access to a lost page. */
static void touch_lost_page(const lib *l, mmf_map *m)
{
    void *p;
    if (l->pointer(m, &p, NULL) != 0)
        _exit(96);
    volatile char c = ((volatile char *)p)[SIZE - 1];
    (void)c;
}

/* Host handlers, one per way of chaining.  Each reports 'h' per call. */
static struct sigaction host_saved;

/* Calls the saved handler, as the JVM, sanitizers and this library do. */
static void host_calls_saved(int sig, siginfo_t *si, void *uc)
{
    report('h');
    if (host_saved.sa_flags & SA_SIGINFO) {
        if ((void *)host_saved.sa_sigaction != (void *)SIG_DFL &&
            (void *)host_saved.sa_sigaction != (void *)SIG_IGN) {
            host_saved.sa_sigaction(sig, si, uc);
            return;
        }
    } else if (host_saved.sa_handler != SIG_DFL &&
               host_saved.sa_handler != SIG_IGN) {
        host_saved.sa_handler(sig);
        return;
    }
    signal(sig, SIG_DFL); /* the fault repeats and kills */
}

/* Restores the saved disposition and raises again: faulthandler. */
static void host_reraises(int sig)
{
    report('h');
    sigaction(sig, &host_saved, NULL);
    raise(sig);
}

/* Restores the saved disposition and returns, so that the fault repeats
 * into it: Breakpad and Crashpad for a fault they do not handle. */
static void host_restores(int sig, siginfo_t *si, void *uc)
{
    (void)si, (void)uc;
    report('h');
    sigaction(sig, &host_saved, NULL);
}

static void install_host(const char *how)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (strcmp(how, "calls") == 0) {
        sa.sa_sigaction = host_calls_saved;
        sa.sa_flags = SA_SIGINFO;
    } else if (strcmp(how, "reraises") == 0) {
        sa.sa_handler = host_reraises; /* as faulthandler.enable() */
        sa.sa_flags = SA_NODEFER | SA_ONSTACK;
    } else {
        sa.sa_sigaction = host_restores;
        sa.sa_flags = SA_SIGINFO;
    }
    if (sigaction(SIGBUS, &sa, &host_saved) != 0)
        _exit(97);
}

/* Open, a host handler chaining to ours, open again (ours back on top),
 * then a guarded fault (ours alone) and an unguarded one (the host's once,
 * then the default action). */
static int scenario_host_between_opens(const char *dir, const char *how)
{
    mmf_map *a = open_map(&static_copy, dir, "a", 1);
    install_host(how);
    mmf_map *b = open_map(&static_copy, dir, "b", 1);
    if (!guarded_faults_recover(&static_copy, a) ||
        !guarded_faults_recover(&static_copy, b))
        return 10;
    report('g'); /* the guarded faults did not reach the host */
    touch_lost_page(&static_copy, b);
    return 11; /* must not survive */
}

/* A host handler installed first and one installed after every open: the
 * unguarded fault meets each once. */
static int scenario_host_first(const char *dir, const char *how)
{
    install_host(how);
    mmf_map *a = open_map(&static_copy, dir, "a", 1);
    mmf_map *b = open_map(&static_copy, dir, "b", 1);
    if (!guarded_faults_recover(&static_copy, a) ||
        !guarded_faults_recover(&static_copy, b))
        return 10;
    report('g');
    touch_lost_page(&static_copy, a);
    return 11;
}

/* Two copies of the library, each opening twice so that each re-installs
 * over the other; a host handler under both. */
static int scenario_two_copies(const char *dir)
{
    install_host("calls");
    lib shared = load_shared_copy();
    mmf_map *s1 = open_map(&static_copy, dir, "s1", 1);
    mmf_map *d1 = open_map(&shared, dir, "d1", 1);
    mmf_map *s2 = open_map(&static_copy, dir, "s2", 1);
    mmf_map *d2 = open_map(&shared, dir, "d2", 1);
    if (!guarded_faults_recover(&static_copy, s1) ||
        !guarded_faults_recover(&shared, d1) ||
        !guarded_faults_recover(&static_copy, s2) ||
        !guarded_faults_recover(&shared, d2))
        return 10;
    report('g');
    touch_lost_page(&shared, d1);
    return 11;
}

/* SIG_IGN (plain, or with SA_SIGINFO) before the first open: a kill -BUS
 * stays ignored. */
static int scenario_ignored(const char *dir, int siginfo)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    if (siginfo)
        sa.sa_flags = SA_SIGINFO; /* sa_sigaction is then (void *)1 */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
    mmf_map *a = open_map(&static_copy, dir, "a", 1);
    if (!guarded_faults_recover(&static_copy, a))
        return 10;
    raise(SIGBUS);
    kill(getpid(), SIGBUS);
    mmf_free(a);
    return 0;
}

/* SIG_DFL: a kill -BUS kills with SIGBUS. */
static int scenario_default_kill(const char *dir)
{
    signal(SIGBUS, SIG_DFL);
    mmf_map *a = open_map(&static_copy, dir, "a", 1);
    if (!guarded_faults_recover(&static_copy, a))
        return 10;
    kill(getpid(), SIGBUS);
    return 11;
}

/* --- the mask and the alternate stack after a recovery ------------------ */

static void host_masking(int sig, siginfo_t *si, void *uc)
{
    host_calls_saved(sig, si, uc);
}

static int same_mask(const sigset_t *a, const sigset_t *b)
{
    for (int s = 1; s < 65; s++)
        if (sigismember(a, s) != sigismember(b, s))
            return 0;
    return 1;
}

static int scenario_mask_and_altstack(const char *dir)
{
    mmf_map *a = open_map(&static_copy, dir, "a", 1);
    /* A host handler with sa_mask {SEGV, USR1} on an SS_AUTODISARM stack,
     * installed after the open, chaining to ours. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = host_masking;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGSEGV);
    sigaddset(&sa.sa_mask, SIGUSR1);
    sigaction(SIGBUS, &sa, &host_saved);
    static char altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack,
                  .ss_size = sizeof altstack,
                  .ss_flags = (int)SS_AUTODISARM};
    if (sigaltstack(&ss, NULL) != 0)
        ss.ss_flags = 0; /* kernel before 4.7: a plain alternate stack */
    if (ss.ss_flags == 0 && sigaltstack(&ss, NULL) != 0)
        return 20;
    sigset_t before, after, block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    pthread_sigmask(SIG_SETMASK, NULL, &before);
    stack_t st_before, st_after;
    sigaltstack(NULL, &st_before);

    static char buf[3 * PAGE];
    uint64_t pos;
    int rcs[2] = {mmf_copy_out(a, 2 * PAGE, buf, sizeof buf),
                  mmf_find(a, "zz", 2, 0, MMF_END, &pos)};
    for (int i = 0; i < 2; i++) {
        if (rcs[i] != MMF_EFAULT)
            return 21 + i;
    }
    pthread_sigmask(SIG_SETMASK, NULL, &after);
    sigaltstack(NULL, &st_after);
    if (!same_mask(&before, &after)) {
        fprintf(stderr, "mask changed: SEGV %d USR1 %d BUS %d USR2 %d\n",
                sigismember(&after, SIGSEGV), sigismember(&after, SIGUSR1),
                sigismember(&after, SIGBUS), sigismember(&after, SIGUSR2));
        return 23;
    }
    if (st_after.ss_sp != st_before.ss_sp ||
        st_after.ss_size != st_before.ss_size ||
        st_after.ss_flags != st_before.ss_flags) {
        fprintf(stderr, "altstack changed: flags %#x -> %#x\n",
                (unsigned)st_before.ss_flags, (unsigned)st_after.ss_flags);
        return 24;
    }
    mmf_free(a);
    return 0;
}

/* --- faults of the host's own during a guarded call ---------------------- */

static volatile char *host_lost; /* the host's own truncated mapping */
static sigjmp_buf host_env;
static volatile sig_atomic_t in_usr1, in_count, recovered_in_count;

static void host_own_bus(int sig)
{
    (void)sig;
    if (!in_usr1)
        _exit(30); /* a fault the host did not expect */
    report('h');
    siglongjmp(host_env, 1);
}

static void on_usr1(int sig)
{
    (void)sig;
    in_usr1 = 1;
    if (sigsetjmp(host_env, 1) == 0) {
        volatile char c = host_lost[5 * PAGE]; /* lost: SIGBUS */
        (void)c;
        _exit(31);
    }
    if (in_count)
        recovered_in_count++;
    in_usr1 = 0;
}

static void *pester(void *arg)
{
    pthread_t main_thread = *(pthread_t *)arg;
    while (recovered_in_count < 30) {
        pthread_kill(main_thread, SIGUSR1);
        usleep(300);
    }
    return NULL;
}

static int scenario_host_fault_during_count(const char *dir)
{
    /* The host's own mapping of a file another process truncated. */
    char path[600];
    snprintf(path, sizeof path, "%s/host", dir);
    write_pattern(path, 8 * PAGE);
    int fd = open(path, O_RDONLY);
    host_lost = mmap(NULL, 8 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (host_lost == MAP_FAILED)
        return 40;
    truncate_elsewhere(path);
    signal(SIGBUS, host_own_bus);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);

    /* An intact 8 MiB file with a known count. */
    size_t big = 8u << 20;
    snprintf(path, sizeof path, "%s/intact", dir);
    char *d = malloc(big);
    memset(d, '.', big);
    uint64_t expect = 0;
    for (size_t i = 0; i + 2 <= big; i += 4093, expect++)
        memcpy(d + i, "xy", 2);
    if (th_write_file(path, d, big) != 0)
        return 41;
    free(d);
    mmf_map *m = NULL;
    mmf_options o = MMF_OPTIONS_INIT;
    if (mmf_new(&m) != 0 || mmf_open_path(m, path, &o) != 0)
        return 42;

    pthread_t self = pthread_self(), t;
    pthread_create(&t, NULL, pester, &self);
    int bad = 0;
    for (int i = 0; i < 100000 && recovered_in_count < 30; i++) {
        uint64_t n = 0;
        in_count = 1;
        int rc = mmf_count(m, "xy", 2, 0, MMF_END, &n);
        in_count = 0;
        if (rc != 0 || n != expect) {
            fprintf(stderr, "count: rc %d (%s), %llu of %llu\n", rc,
                    mmf_errmsg(m), (unsigned long long)n,
                    (unsigned long long)expect);
            bad = 1;
            break;
        }
    }
    recovered_in_count = 1000; /* stop the pester thread */
    pthread_join(t, NULL);
    mmf_free(m);
    munmap((void *)host_lost, 8 * PAGE);
    return bad ? 43 : 0;
}

/* --- a thread that blocks SIGBUS ------------------------------------------ */

static void *blocked_thread(void *arg)
{
    const char *dir = arg;
    sigset_t bus, after;
    sigemptyset(&bus);
    sigaddset(&bus, SIGBUS);
    pthread_sigmask(SIG_BLOCK, &bus, NULL);
    /* A map opened in another thread (this one never called the library)
     * and one opened here. */
    extern mmf_map *blocked_shared_map;
    mmf_map *mine = open_map(&static_copy, dir, "mine", 1);
    mmf_map *maps[2] = {blocked_shared_map, mine};
    for (int i = 0; i < 2; i++) {
        uint8_t b;
        char small[16];
        if (mmf_get_byte(maps[i], SIZE - 1, &b) != MMF_EFAULT ||
            mmf_copy_out(maps[i], 5 * PAGE, small, sizeof small) !=
                MMF_EFAULT ||
            !guarded_faults_recover(&static_copy, maps[i]))
            return (void *)(uintptr_t)(50 + i);
        pthread_sigmask(SIG_SETMASK, NULL, &after);
        if (!sigismember(&after, SIGBUS))
            return (void *)(uintptr_t)52; /* the caller's mask is kept */
    }
    mmf_free(mine);
    return NULL;
}

mmf_map *blocked_shared_map;

static int scenario_blocked_thread(const char *dir)
{
    blocked_shared_map = open_map(&static_copy, dir, "shared", 1);
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, blocked_thread, (void *)dir);
    pthread_join(t, &r);
    mmf_free(blocked_shared_map);
    return (int)(uintptr_t)r;
}

static int run_scenario(const char *name, const char *dir)
{
    alarm(10);
    if (strcmp(name, "calls-between") == 0)
        return scenario_host_between_opens(dir, "calls");
    if (strcmp(name, "reraises-between") == 0)
        return scenario_host_between_opens(dir, "reraises");
    if (strcmp(name, "restores-between") == 0)
        return scenario_host_between_opens(dir, "restores");
    if (strcmp(name, "calls-first") == 0)
        return scenario_host_first(dir, "calls");
    if (strcmp(name, "reraises-first") == 0)
        return scenario_host_first(dir, "reraises");
    if (strcmp(name, "restores-first") == 0)
        return scenario_host_first(dir, "restores");
    if (strcmp(name, "two-copies") == 0)
        return scenario_two_copies(dir);
    if (strcmp(name, "ignored") == 0)
        return scenario_ignored(dir, 0);
    if (strcmp(name, "ignored-siginfo") == 0)
        return scenario_ignored(dir, 1);
    if (strcmp(name, "default-kill") == 0)
        return scenario_default_kill(dir);
    if (strcmp(name, "mask") == 0)
        return scenario_mask_and_altstack(dir);
    if (strcmp(name, "host-fault-during-count") == 0)
        return scenario_host_fault_during_count(dir);
    if (strcmp(name, "blocked-thread") == 0)
        return scenario_blocked_thread(dir);
    return 99;
}

/* --- the parent side ------------------------------------------------------ */

typedef struct outcome {
    int status;      /* waitpid's */
    char events[64]; /* what the child reported, in order */
} outcome;

static outcome run(const char *scenario)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = '\0';
    /* This process's directory (helpers.c makes it at start and removes it
     * at exit): the scenario works there, and may end killed. */
    const char *dir = th_tmpdir();
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        char fd[16];
        snprintf(fd, sizeof fd, "%d", p[1]);
        execl(self, self, "--scenario", scenario, dir, fd, (char *)NULL);
        _exit(98);
    }
    close(p[1]);
    outcome o;
    memset(&o, 0, sizeof o);
    size_t got = 0;
    ssize_t r;
    while ((r = read(p[0], o.events + got, sizeof o.events - 1 - got)) > 0)
        got += (size_t)r;
    close(p[0]);
    assert_int_equal(waitpid(pid, &o.status, 0), pid);
    if (WIFSIGNALED(o.status))
        print_message("%s: killed by signal %d, events '%s'\n", scenario,
                      WTERMSIG(o.status), o.events);
    else
        print_message("%s: exit %d, events '%s'\n", scenario,
                      WEXITSTATUS(o.status), o.events);
    return o;
}

static void expect_killed_by_sigbus(const char *scenario, const char *events)
{
    outcome o = run(scenario);
    assert_true(WIFSIGNALED(o.status));
    assert_int_equal(WTERMSIG(o.status), SIGBUS);
    assert_string_equal(o.events, events);
}

static void expect_exit_0(const char *scenario)
{
    outcome o = run(scenario);
    assert_true(WIFEXITED(o.status));
    assert_int_equal(WEXITSTATUS(o.status), 0);
}

/* The loop: open, a host handler that chains to ours, open again
 * (ours back on top, chaining to the host's), unguarded fault. */
static void host_handler_between_opens_runs_once_then_sigbus_kills(void **s)
{
    (void)s;
    expect_killed_by_sigbus("calls-between", "gh");
    expect_killed_by_sigbus("reraises-between", "gh");
    expect_killed_by_sigbus("restores-between", "gh");
}

static void host_handler_before_first_open_runs_once_then_sigbus_kills(void **s)
{
    (void)s;
    expect_killed_by_sigbus("calls-first", "gh");
    expect_killed_by_sigbus("reraises-first", "gh");
    expect_killed_by_sigbus("restores-first", "gh");
}

/* A static and a shared copy of the library in one process, each on top of
 * the other: each recovers its own faults; an unguarded fault reaches the
 * host's handler once and kills with SIGBUS. */
static void two_copies_recover_their_own_and_pass_the_rest_once(void **s)
{
    (void)s;
    expect_killed_by_sigbus("two-copies", "gh");
}

static void sig_ign_before_open_keeps_kill_bus_ignored(void **s)
{
    (void)s;
    expect_exit_0("ignored");
    expect_exit_0("ignored-siginfo");
}

static void sig_dfl_kill_bus_kills_with_sigbus(void **s)
{
    (void)s;
    expect_killed_by_sigbus("default-kill", "");
}

/* A host handler whose sa_mask blocks SEGV and USR1 chains to ours, on an
 * SS_AUTODISARM alternate stack: after MMF_EFAULT the mask and the
 * alternate stack are as before the call. */
static void recovery_restores_signal_mask_and_altstack(void **s)
{
    (void)s;
    expect_exit_0("mask");
}

/* A SIGUSR1 handler touches the host's own truncated mapping while
 * mmf_count runs on an intact file: the host's SIGBUS handler gets it, and
 * mmf_count still returns the right count. */
static void host_fault_during_a_guarded_call_is_the_hosts(void **s)
{
    (void)s;
    outcome o = run("host-fault-during-count");
    assert_true(WIFEXITED(o.status));
    assert_int_equal(WEXITSTATUS(o.status), 0);
    assert_true(strlen(o.events) >= 30);
}

/* A thread that blocks SIGBUS: MMF_EFAULT like any other, mask kept. */
static void thread_blocking_sigbus_gets_efault(void **s)
{
    (void)s;
    expect_exit_0("blocked-thread");
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--scenario") == 0) {
        report_fd = atoi(argv[4]);
        return run_scenario(argv[2], argv[3]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            host_handler_between_opens_runs_once_then_sigbus_kills),
        cmocka_unit_test(
            host_handler_before_first_open_runs_once_then_sigbus_kills),
        cmocka_unit_test(two_copies_recover_their_own_and_pass_the_rest_once),
        cmocka_unit_test(sig_ign_before_open_keeps_kill_bus_ignored),
        cmocka_unit_test(sig_dfl_kill_bus_kills_with_sigbus),
        cmocka_unit_test(recovery_restores_signal_mask_and_altstack),
        cmocka_unit_test(host_fault_during_a_guarded_call_is_the_hosts),
        cmocka_unit_test(thread_blocking_sigbus_gets_efault),
    };
    return cmocka_run_group_tests_name("guard_host", tests, NULL, NULL);
}
#endif /* _WIN32 */
