/*
 * Helper for the real-driver NVML test (CARBONTRACKER_TEST_REAL_NVML=1), independent of the
 * package's own NVML code.
 *   gpu_load energy           prints the summed nvmlDeviceGetTotalEnergyConsumption of all GPUs, in mJ
 *   gpu_load busy SECONDS     keeps GPU 0 busy with memory writes through the CUDA driver API
 * Both load the driver libraries with dlopen, so it builds without the CUDA toolkit.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *symbol(void *library, const char *name) {
    void *found = dlsym(library, name);
    if (found == NULL) {
        fprintf(stderr, "missing symbol %s\n", name);
        exit(3);
    }
    return found;
}

static int energy(void) {
    void *nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW);
    if (nvml == NULL) {
        fprintf(stderr, "%s\n", dlerror());
        return 2;
    }
    int (*init)(void) = (int (*)(void))symbol(nvml, "nvmlInit_v2");
    int (*shutdown)(void) = (int (*)(void))symbol(nvml, "nvmlShutdown");
    int (*count)(unsigned *) = (int (*)(unsigned *))symbol(nvml, "nvmlDeviceGetCount_v2");
    int (*handle)(unsigned, void **) = (int (*)(unsigned, void **))symbol(nvml, "nvmlDeviceGetHandleByIndex_v2");
    int (*total)(void *, unsigned long long *) =
        (int (*)(void *, unsigned long long *))symbol(nvml, "nvmlDeviceGetTotalEnergyConsumption");
    if (init() != 0) return 4;
    unsigned devices = 0;
    count(&devices);
    unsigned long long sum = 0;
    for (unsigned index = 0; index < devices; index++) {
        void *device = NULL;
        unsigned long long millijoules = 0;
        if (handle(index, &device) != 0 || total(device, &millijoules) != 0) return 5;
        sum += millijoules;
    }
    shutdown();
    printf("%llu\n", sum);
    return 0;
}

static double seconds_now(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return time.tv_sec + time.tv_nsec / 1e9;
}

static int busy(double seconds) {
    void *cuda = dlopen("libcuda.so.1", RTLD_NOW);
    if (cuda == NULL) {
        fprintf(stderr, "%s\n", dlerror());
        return 2;
    }
    int (*init)(unsigned) = (int (*)(unsigned))symbol(cuda, "cuInit");
    int (*device_get)(int *, int) = (int (*)(int *, int))symbol(cuda, "cuDeviceGet");
    int (*retain)(void **, int) = (int (*)(void **, int))symbol(cuda, "cuDevicePrimaryCtxRetain");
    int (*release)(int) = (int (*)(int))symbol(cuda, "cuDevicePrimaryCtxRelease_v2");
    int (*set_current)(void *) = (int (*)(void *))symbol(cuda, "cuCtxSetCurrent");
    int (*allocate)(unsigned long long *, size_t) =
        (int (*)(unsigned long long *, size_t))symbol(cuda, "cuMemAlloc_v2");
    int (*deallocate)(unsigned long long) = (int (*)(unsigned long long))symbol(cuda, "cuMemFree_v2");
    int (*fill)(unsigned long long, unsigned, size_t) =
        (int (*)(unsigned long long, unsigned, size_t))symbol(cuda, "cuMemsetD32_v2");
    int (*synchronize)(void) = (int (*)(void))symbol(cuda, "cuCtxSynchronize");
    int device = 0;
    void *context = NULL;
    if (init(0) != 0 || device_get(&device, 0) != 0 || retain(&context, device) != 0 || set_current(context) != 0) {
        return 4;
    }
    const size_t bytes = (size_t)1 << 30;
    unsigned long long buffer = 0;
    if (allocate(&buffer, bytes) != 0) return 5;
    double end = seconds_now() + seconds;
    unsigned value = 0;
    while (seconds_now() < end) {
        for (int repeat = 0; repeat < 16; repeat++) fill(buffer, value++, bytes / 4);
        synchronize();
    }
    deallocate(buffer);
    release(device);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "energy") == 0) return energy();
    if (argc >= 3 && strcmp(argv[1], "busy") == 0) return busy(atof(argv[2]));
    fprintf(stderr, "usage: gpu_load energy | gpu_load busy SECONDS\n");
    return 1;
}
