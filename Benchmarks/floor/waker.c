/* The floor for scenario 2 of scripts/benchmark.py: the CPU share of a thread that does nothing but
 * wake at a given rate (a condition-variable wait with a monotonic deadline, as a sampler does).
 * No sampler can cost less than this on the same machine.
 * Usage: waker HZ SECONDS   prints {"core_share_percent": ..., "hertz": ..., "seconds": ...} */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t condition;
static volatile int stopping;
static long period_ns;

static void *wake_loop(void *unused) {
    (void)unused;
    pthread_mutex_lock(&mutex);
    while (!stopping) {
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_nsec += period_ns;
        while (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec += 1;
            deadline.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&condition, &mutex, &deadline);
    }
    pthread_mutex_unlock(&mutex);
    return NULL;
}

static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
           usage.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
    double hertz = argc > 1 ? atof(argv[1]) : 100;
    double seconds = argc > 2 ? atof(argv[2]) : 30;
    if (hertz <= 0 || seconds <= 0) return 2;
    period_ns = (long)(1e9 / hertz);
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&condition, &attributes);
    pthread_t thread;
    pthread_create(&thread, NULL, wake_loop, NULL);
    double before = cpu_seconds();
    usleep((useconds_t)(seconds * 1e6));
    double used = cpu_seconds() - before;
    stopping = 1;
    pthread_join(thread, NULL);
    printf("{\"core_share_percent\": %f, \"hertz\": %f, \"seconds\": %f, \"scenario\": \"floor\"}\n",
           used / seconds * 100, hertz, seconds);
    return 0;
}
