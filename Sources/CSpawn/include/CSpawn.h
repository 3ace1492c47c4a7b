#ifndef CSPAWN_H
#define CSPAWN_H

/*
 * Starts child processes: the command `carbontracker` tracks, and the helpers the library runs
 * (powermetrics, sudo). posix_spawn cannot ask Linux to kill a child when its parent dies
 * (PR_SET_PDEATHSIG is a prctl the child must make itself, between fork and exec), so this is a
 * plain fork and exec in C: after fork, the child runs only async-signal-safe calls (sigaction,
 * sigprocmask, setpgid, dup2, fcntl, prctl, getppid, execve, write, _exit), never Swift code.
 */

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Runs `path` with `argv` and `envp` (NULL-terminated) in a new child process, which starts with an
 * empty signal mask and every caught signal back to its default action (ignored ones stay ignored,
 * as a shell leaves them, unless `reset_ignored`).
 *
 * new_group:     non-zero to give the child a process group of its own (setpgid(0, 0)).
 * death_signal:  on Linux, the signal the child gets when the parent (the thread that called this)
 *                dies (PR_SET_PDEATHSIG); if the parent died before that was set, the child exits
 *                with status 127 without running `path`. 0 for none; ignored on other systems.
 * stdio:         the descriptors that become the child's standard input, output and error; -1
 *                keeps the parent's. They should be close-on-exec (see carbontracker_pipe).
 * reset_ignored: non-zero to also put SIGPIPE, SIGTERM, SIGINT and SIGHUP back to their default
 *                action when this process ignores them (helpers must stop when told to).
 * inherited:     `inherited_count` further descriptors the child keeps open under the same numbers
 *                (their close-on-exec flag is cleared in the child only), e.g. the write end of a
 *                pipe the child reports on; NULL when `inherited_count` is 0.
 *
 * Returns 0 and sets *pid, or the errno of what failed (pipe, fork, or execve in the child, whose
 * exit is then already reaped).
 */
int carbontracker_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], int new_group,
                        int death_signal, const int stdio[3], int reset_ignored, const int *inherited,
                        int inherited_count);

/*
 * Makes a pipe whose two ends are closed on exec, atomically where the system allows it (Linux), so
 * no child started by another thread meanwhile inherits them. Returns 0, or the errno.
 */
int carbontracker_pipe(int descriptors[2]);

#ifdef __cplusplus
}
#endif

#endif
