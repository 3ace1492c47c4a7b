/*
 * A command for the signal-forwarding tests, and the Slurm test's "training job": writes its process
 * ID to argv[1] once its handlers are in place, records every forwarded signal it catches (SIGHUP,
 * SIGINT, SIGQUIT, SIGUSR2, SIGALRM, SIGTERM, SIGCONT, SIGPIPE, SIGURG, SIGWINCH and the real-time
 * ones) as "SIGNAL SENDER_PID" lines in argv[2], and on SIGUSR1 writes "checkpoint" to argv[3] (as a
 * training job saves its state when warned its time is up) and exits 0. The stop signals keep their
 * default action, so the tests can see the command stop.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int records = -1;
static volatile sig_atomic_t warned = 0;

/* Appends the decimal digits of `value` (>= 0) to `text` at `length`; async-signal-safe. */
static int digits(char *text, int length, long value) {
    char reversed[24];
    int count = 0;
    do {
        reversed[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0 && count < 24);
    while (count > 0) text[length++] = reversed[--count];
    return length;
}

static void record(int signal, siginfo_t *info, void *context) {
    (void)context;
    char line[64];
    int length = digits(line, 0, signal);
    line[length++] = ' ';
    length = digits(line, length, info->si_pid);
    line[length++] = '\n';
    ssize_t written = write(records, line, (size_t)length);
    (void)written;
}

static void warn(int signal) {
    (void)signal;
    warned = 1;
}

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    records = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (records < 0) return 3;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = record;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    int recorded[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR2, SIGALRM, SIGTERM, SIGCONT, SIGPIPE, SIGURG, SIGWINCH};
    for (unsigned index = 0; index < sizeof recorded / sizeof recorded[0]; index++)
        sigaction(recorded[index], &action, NULL);
#ifdef SIGRTMIN
    for (int signal = SIGRTMIN; signal <= SIGRTMAX; signal++) sigaction(signal, &action, NULL);
#endif
    signal(SIGUSR1, warn);

    sigset_t usr1, waiting;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, &waiting);

    char temporary[4096];
    snprintf(temporary, sizeof temporary, "%s.tmp", argv[1]);
    FILE *file = fopen(temporary, "w");
    if (file == NULL) return 4;
    fprintf(file, "%d\n", (int)getpid());
    fclose(file);
    rename(temporary, argv[1]);

    sigdelset(&waiting, SIGUSR1);
    while (!warned) sigsuspend(&waiting);
    FILE *checkpoint = fopen(argv[3], "w");
    if (checkpoint == NULL) return 5;
    fputs("checkpoint\n", checkpoint);
    fclose(checkpoint);
    return 0;
}
