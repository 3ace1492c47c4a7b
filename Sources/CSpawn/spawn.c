#define _GNU_SOURCE
#include "CSpawn.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

#ifndef NSIG
#define NSIG 65
#endif

/* The child, between fork and exec. Reports a failure's errno on `report` and exits 127. */
static void run_child(const char *path, char *const argv[], char *const envp[], int new_group, int death_signal,
                      const int stdio[3], int reset_ignored, const int *inherited, int inherited_count,
                      pid_t parent, int report) {
    /* Handlers of the parent (the signal forwarder's among them) must not run here or survive
       into the command; signals stay blocked, as the parent left them, until the exec. */
    for (int signal = 1; signal < NSIG; signal++) {
        struct sigaction current;
        if (signal == SIGKILL || signal == SIGSTOP || sigaction(signal, NULL, &current) != 0) continue;
        int helper_signal = signal == SIGPIPE || signal == SIGTERM || signal == SIGINT || signal == SIGHUP;
        int reset_this = current.sa_handler != SIG_DFL
                         && (current.sa_handler != SIG_IGN || (reset_ignored && helper_signal));
        if (reset_this) {
            struct sigaction reset;
            memset(&reset, 0, sizeof reset);
            reset.sa_handler = SIG_DFL;
            sigemptyset(&reset.sa_mask);
            sigaction(signal, &reset, NULL);
        }
    }
    if (new_group) setpgid(0, 0);
    for (int target = 0; target < 3; target++) {
        /* dup2 clears close-on-exec on the copy; a descriptor already in place keeps its flag. */
        if (stdio[target] < 0) continue;
        if (stdio[target] == target) {
            fcntl(target, F_SETFD, 0);
        } else if (dup2(stdio[target], target) < 0) {
            int failure = errno;
            ssize_t written = write(report, &failure, sizeof failure);
            (void)written;
            _exit(127);
        }
    }
    /* Kept open across the exec under their own numbers; the parent's copies keep their flag. */
    for (int index = 0; index < inherited_count; index++) {
        if (inherited[index] >= 0) fcntl(inherited[index], F_SETFD, 0);
    }
#ifdef __linux__
    if (death_signal != 0) {
        prctl(PR_SET_PDEATHSIG, death_signal);
        /* The parent may have died before the prctl: then nobody would ever send the signal. */
        if (getppid() != parent) _exit(127);
    }
#else
    (void)death_signal;
    (void)parent;
#endif
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    execve(path, argv, envp);
    int failure = errno;
    ssize_t written = write(report, &failure, sizeof failure);
    (void)written;
    _exit(127);
}

int carbontracker_pipe(int descriptors[2]) {
#ifdef __linux__
    if (pipe2(descriptors, O_CLOEXEC) != 0) return errno;
#else
    if (pipe(descriptors) != 0) return errno;
    fcntl(descriptors[0], F_SETFD, FD_CLOEXEC);
    fcntl(descriptors[1], F_SETFD, FD_CLOEXEC);
#endif
    return 0;
}

int carbontracker_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], int new_group,
                        int death_signal, const int stdio[3], int reset_ignored, const int *inherited,
                        int inherited_count) {
    int report[2];
    int pipe_failure = carbontracker_pipe(report);
    if (pipe_failure != 0) return pipe_failure;
    /* Blocked across fork, so no handler of this process runs in the child before it resets them. */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        close(report[0]);
        run_child(path, argv, envp, new_group, death_signal, stdio, reset_ignored, inherited, inherited_count, parent,
                  report[1]);
    }
    int failure = child < 0 ? errno : 0;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(report[1]);
    if (failure != 0) {
        close(report[0]);
        return failure;
    }
    /* Also from this side, so the group exists before the caller signals it (a shell does both). */
    if (new_group) setpgid(child, child);
    int child_failure = 0;
    ssize_t count;
    do {
        count = read(report[0], &child_failure, sizeof child_failure);
    } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count == (ssize_t)sizeof child_failure) {
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
        return child_failure != 0 ? child_failure : ENOEXEC;
    }
    *pid = child;
    return 0;
}
