/*
 * A stand-in for macOS powermetrics, built by the tests. It streams samples shaped like
 * `powermetrics --samplers cpu_power,gpu_power` text output on Apple silicon, one every `-i`
 * milliseconds, each reporting the real elapsed time of its window.
 *
 * Environment:
 *   FAKE_PM_POWER   file holding "cpu gpu ane" in mW, read at the start of each window (default 5000 1200 300)
 *   FAKE_PM_LOG     file to append "window_end_ns elapsed_ns cpu gpu ane pid" per sample (wall clock)
 *   FAKE_PM_ARGS    file to write the arguments to, one per line
 *   FAKE_PM_SAMPLES stop after this many samples (default: never)
 *   FAKE_PM_EXIT    exit status when stopping (default 0)
 *   FAKE_PM_STDERR  text written to standard error before stopping
 *   FAKE_PM_IGNORE_TERM  set to ignore SIGTERM, like a child that will not stop politely
 *   FAKE_PM_STYLE   m1 (default), watts (values in W), malformed (junk lines, unreadable values,
 *                   headers without elapsed time), truncated (ends inside a sample, mid-line)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec time;
    clock_gettime(CLOCK_REALTIME, &time);
    return (long long)time.tv_sec * 1000000000LL + time.tv_nsec;
}

static void read_power(long *cpu, long *gpu, long *ane) {
    *cpu = 5000;
    *gpu = 1200;
    *ane = 300;
    const char *path = getenv("FAKE_PM_POWER");
    if (path == NULL) return;
    FILE *file = fopen(path, "r");
    if (file == NULL) return;
    long values[3];
    if (fscanf(file, "%ld %ld %ld", &values[0], &values[1], &values[2]) == 3) {
        *cpu = values[0];
        *gpu = values[1];
        *ane = values[2];
    }
    fclose(file);
}

static void rail(const char *style, const char *name, long milliwatts) {
    if (strcmp(style, "watts") == 0) {
        printf("%s Power: %.3fW\n", name, milliwatts / 1000.0);
    } else {
        printf("%s Power: %ld mW\n", name, milliwatts);
    }
}

int main(int argc, char **argv) {
    if (getenv("FAKE_PM_IGNORE_TERM") != NULL) signal(SIGTERM, SIG_IGN);
    long interval_ms = 1000;
    const char *args_path = getenv("FAKE_PM_ARGS");
    FILE *args = args_path != NULL ? fopen(args_path, "w") : NULL;
    for (int index = 1; index < argc; index++) {
        if (args != NULL) fprintf(args, "%s\n", argv[index]);
        if (strcmp(argv[index], "-i") == 0 && index + 1 < argc) interval_ms = atol(argv[index + 1]);
    }
    if (args != NULL) fclose(args);
    const char *style = getenv("FAKE_PM_STYLE") != NULL ? getenv("FAKE_PM_STYLE") : "m1";
    long limit = getenv("FAKE_PM_SAMPLES") != NULL ? atol(getenv("FAKE_PM_SAMPLES")) : -1;
    int status = getenv("FAKE_PM_EXIT") != NULL ? atoi(getenv("FAKE_PM_EXIT")) : 0;
    const char *log_path = getenv("FAKE_PM_LOG");

    printf("Machine model: Mac14,2\nOS version: 23A344\nBoot arguments:\nBoot time: Mon Nov 18 08:00:00 2024\n\n\n\n");
    fflush(stdout);
    long long start = now_ns();
    for (long sample = 0; limit < 0 || sample < limit; sample++) {
        long cpu, gpu, ane;
        read_power(&cpu, &gpu, &ane);
        struct timespec pause = {interval_ms / 1000, (interval_ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
        long long end = now_ns();
        double elapsed_ms = (end - start) / 1e6;
        int malformed = strcmp(style, "malformed") == 0;
        if (malformed && sample % 3 == 2) {
            printf("*** Sampled system activity (Mon Nov 18 10:00:00 2024 +0100) ***\n\n");
        } else {
            printf("*** Sampled system activity (Mon Nov 18 10:00:00 2024 +0100) (%.2fms elapsed) ***\n\n", elapsed_ms);
        }
        printf("**** Processor usage ****\n\n");
        printf("E-Cluster HW active frequency: 1248 MHz\n");
        printf("E-Cluster HW active residency:  77.43%% (600 MHz:   0%% 912 MHz:  54%% 2424 MHz: 8.7%%)\n");
        printf("E-Cluster idle residency:  22.57%%\nCPU 0 frequency: 1359 MHz\nCPU 0 idle residency:  30.12%%\n\n");
        printf("P-Cluster HW active frequency: 1145 MHz\n");
        printf("P-Cluster HW active residency:  56.23%% (660 MHz:  36%% 3504 MHz:   0%%)\n");
        printf("P-Cluster idle residency:  43.77%%\nCPU 4 frequency: 2039 MHz\n\n");
        if (malformed) printf("CPU Power: lots mW\n\x01\x02 %%%% not a power line\n");
        rail(style, "CPU", cpu);
        rail(style, "GPU", gpu);
        rail(style, "ANE", ane);
        printf("Combined Power (CPU + GPU + ANE): %ld mW\n\n", cpu + gpu + ane);
        printf("**** GPU usage ****\n\nGPU HW active frequency: 389 MHz\n");
        printf("GPU HW active residency:   3.21%% (389 MHz: 3.2%% 486 MHz:   0%%)\nGPU idle residency:  96.79%%\n");
        rail(style, "GPU", gpu);
        if (malformed) printf("GPU Power: n/a\n");
        printf("\n");
        fflush(stdout);
        if (log_path != NULL) {
            FILE *log = fopen(log_path, "a");
            if (log != NULL) {
                fprintf(log, "%lld %lld %ld %ld %ld %d\n", end, end - start, cpu, gpu, ane, (int)getpid());
                fclose(log);
            }
        }
        start = end;
    }
    if (strcmp(style, "truncated") == 0) {
        printf("*** Sampled system activity (Mon Nov 18 10:00:01 2024 +0100) (1000.00ms elapsed) ***\n\nCPU Pow");
        fflush(stdout);
    }
    if (getenv("FAKE_PM_STDERR") != NULL) fprintf(stderr, "%s\n", getenv("FAKE_PM_STDERR"));
    return status;
}
