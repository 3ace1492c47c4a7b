#ifndef CSPAWN_H
#define CSPAWN_H

/*
 * Starts the command `carbontracker` tracks. posix_spawn cannot ask Linux to kill a child when its
 * parent dies (PR_SET_PDEATHSIG is a prctl the child must make itself, between fork and exec), so
 * this is a plain fork and exec in C: after fork, the child runs only async-signal-safe calls
 * (sigaction, sigprocmask, setpgid, prctl, getppid, execve, write, _exit), never Swift code.
 */

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Runs `path` with `argv` and `envp` (NULL-terminated) in a new child process, which starts with an
 * empty signal mask, every caught signal back to its default action (ignored ones stay ignored),
 * and the parent's standard streams.
 *
 * new_group:    non-zero to give the child a process group of its own (setpgid(0, 0)).
 * death_signal: on Linux, the signal the child gets when the parent (the thread that called this)
 *               dies (PR_SET_PDEATHSIG); if the parent died before that was set, the child exits
 *               with status 127 without running `path`. 0 for none; ignored on other systems.
 *
 * Returns 0 and sets *pid, or the errno of what failed (pipe, fork, or execve in the child, whose
 * exit is then already reaped).
 */
int carbontracker_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], int new_group,
                        int death_signal);

#ifdef __cplusplus
}
#endif

#endif
