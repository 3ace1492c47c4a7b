/*
 * A stand-in for libnvidia-ml.so, built by the tests with `cc -shared -fPIC`. It exports the NVML
 * functions CarbonTracker uses and answers from `fake-nvml.conf`, read on every call from the
 * directory the library was loaded from, so a test scripts counters, powers, names, UUIDs,
 * processes and status codes by rewriting that file. Each call is appended to `fake-nvml.calls`.
 *
 * Build flags: -DOMIT_<symbol> leaves that symbol out; -DWIDE_V3_ENTRIES makes the _v3 process
 * queries write the 32-byte entries of the R535 drivers.
 *
 * Settings (key=value, one per line): init_status, count, fields_status (nvmlDeviceGetFieldValues'
 * own status); per device N: dN.name, dN.uuid, dN.energy_mj, dN.energy_rate_mw (the counter then
 * advances at that power on the monotonic clock, alike in every process), dN.energy_status, dN.power_mw,
 * dN.power_status, dN.compute_pids, dN.graphics_pids (comma-separated); dN.process_sm, the per-process
 * SM utilisation nvmlDeviceGetProcessUtilization reports ("pid:percent,pid:percent", each sample stamped
 * now; absent: "Not Found", no sample), with dN.process_sm_status to fail the query; the power fields
 * dN.instant_mw / dN.average_mw (GPU scope) and dN.module_instant_mw / dN.module_average_mw (module
 * scope), each answering "Not Supported" unless set, with dN.<field>_status to fail it and
 * dN.field_type (nvmlValueType_t, default 1: unsigned int) for the value's type; dN.c2c (0 or 1;
 * absent: nvmlDeviceGetC2cModeInfoV answers "Not Supported", as on discrete GPUs); per MIG instance
 * M: migM.uuid, migM.parent (a device index).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef void *fake_device;

static char directory[4096];

static const char *here(void) {
    if (directory[0] == 0) {
        Dl_info info;
        if (dladdr((void *)here, &info) != 0 && info.dli_fname != NULL) {
            snprintf(directory, sizeof directory, "%s", info.dli_fname);
            char *slash = strrchr(directory, '/');
            if (slash != NULL) *slash = 0; else snprintf(directory, sizeof directory, ".");
        }
    }
    return directory;
}

static void record(const char *call) {
    char path[4200];
    snprintf(path, sizeof path, "%s/fake-nvml.calls", here());
    int descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (descriptor < 0) return;
    char line[256];
    int length = snprintf(line, sizeof line, "%s\n", call);
    if (write(descriptor, line, (size_t)length) < 0) { /* the record is best effort */ }
    close(descriptor);
}

/* Copies the value of `key` into `value`; returns 0 when the key is absent. */
static int setting(const char *key, char *value, size_t capacity) {
    char path[4200];
    snprintf(path, sizeof path, "%s/fake-nvml.conf", here());
    FILE *file = fopen(path, "r");
    if (file == NULL) return 0;
    char line[1024];
    size_t length = strlen(key);
    int found = 0;
    while (fgets(line, sizeof line, file) != NULL) {
        if (strncmp(line, key, length) == 0 && line[length] == '=') {
            char *start = line + length + 1;
            start[strcspn(start, "\r\n")] = 0;
            snprintf(value, capacity, "%s", start);
            found = 1;
        }
    }
    fclose(file);
    return found;
}

static unsigned long long number(const char *key, unsigned long long fallback) {
    char value[64];
    return setting(key, value, sizeof value) ? strtoull(value, NULL, 10) : fallback;
}

static unsigned long long device_number(unsigned index, const char *field, unsigned long long fallback) {
    char key[64];
    snprintf(key, sizeof key, "d%u.%s", index, field);
    return number(key, fallback);
}

static fake_device handle_of(unsigned index) { return (fake_device)(uintptr_t)(0x1000 + index); }
static fake_device mig_handle_of(unsigned index) { return (fake_device)(uintptr_t)(0x2000 + index); }

/* The device index of a handle, or -1. */
static int index_of(fake_device device) {
    uintptr_t raw = (uintptr_t)device;
    if (raw < 0x1000 || raw >= 0x2000) return -1;
    unsigned index = (unsigned)(raw - 0x1000);
    return index < number("count", 0) ? (int)index : -1;
}

static int copy_string(const char *text, char *out, unsigned capacity) {
    if (strlen(text) + 1 > capacity) return 7;
    memcpy(out, text, strlen(text) + 1);
    return 0;
}

static int initialize(const char *name) {
    record(name);
    return (int)number("init_status", 0);
}

#ifndef OMIT_nvmlInit_v2
int nvmlInit_v2(void) { return initialize("nvmlInit_v2"); }
#endif

#ifndef OMIT_nvmlInit
int nvmlInit(void) { return initialize("nvmlInit"); }
#endif

#ifndef OMIT_nvmlShutdown
int nvmlShutdown(void) {
    record("nvmlShutdown");
    return 0;
}
#endif

const char *nvmlErrorString(int status) {
    switch (status) {
    case 0: return "Success";
    case 2: return "Invalid Argument";
    case 3: return "Not Supported";
    case 4: return "Insufficient Permissions";
    case 6: return "Not Found";
    case 9: return "Driver Not Loaded";
    case 15: return "GPU is lost";
    default: return "Unknown Error";
    }
}

#ifndef OMIT_nvmlDeviceGetCount_v2
int nvmlDeviceGetCount_v2(unsigned *count) {
    *count = (unsigned)number("count", 0);
    return 0;
}
#endif

#ifndef OMIT_nvmlDeviceGetHandleByIndex_v2
int nvmlDeviceGetHandleByIndex_v2(unsigned index, fake_device *device) {
    if (index >= number("count", 0)) return 2;
    *device = handle_of(index);
    return 0;
}
#endif

#ifndef OMIT_nvmlDeviceGetHandleByUUID
int nvmlDeviceGetHandleByUUID(const char *uuid, fake_device *device) {
    record("nvmlDeviceGetHandleByUUID");
    char key[64], value[256];
    for (unsigned index = 0; index < number("count", 0); index++) {
        snprintf(key, sizeof key, "d%u.uuid", index);
        if (setting(key, value, sizeof value) && strcmp(value, uuid) == 0) {
            *device = handle_of(index);
            return 0;
        }
    }
    for (unsigned index = 0; index < 16; index++) {
        snprintf(key, sizeof key, "mig%u.uuid", index);
        if (setting(key, value, sizeof value) && strcmp(value, uuid) == 0) {
            *device = mig_handle_of(index);
            return 0;
        }
    }
    return 6;
}
#endif

#ifndef OMIT_nvmlDeviceGetDeviceHandleFromMigDeviceHandle
int nvmlDeviceGetDeviceHandleFromMigDeviceHandle(fake_device mig, fake_device *parent) {
    uintptr_t raw = (uintptr_t)mig;
    if (raw < 0x2000 || raw >= 0x2010) return 2;
    char key[64];
    snprintf(key, sizeof key, "mig%u.parent", (unsigned)(raw - 0x2000));
    *parent = handle_of((unsigned)number(key, 0));
    return 0;
}
#endif

#ifndef OMIT_nvmlDeviceGetName
int nvmlDeviceGetName(fake_device device, char *name, unsigned capacity) {
    int index = index_of(device);
    if (index < 0) return 2;
    char key[64], value[256], fallback[64];
    snprintf(key, sizeof key, "d%d.name", index);
    snprintf(fallback, sizeof fallback, "Fake GPU %d", index);
    return copy_string(setting(key, value, sizeof value) ? value : fallback, name, capacity);
}
#endif

#ifndef OMIT_nvmlDeviceGetUUID
int nvmlDeviceGetUUID(fake_device device, char *uuid, unsigned capacity) {
    int index = index_of(device);
    if (index < 0) return 2;
    char key[64], value[256], fallback[64];
    snprintf(key, sizeof key, "d%d.uuid", index);
    snprintf(fallback, sizeof fallback, "GPU-%08d-0000-0000-0000-000000000000", index);
    return copy_string(setting(key, value, sizeof value) ? value : fallback, uuid, capacity);
}
#endif

/* Seconds on the monotonic clock (since boot), so that every process loading the fake sees one counter. */
static double monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

#ifndef OMIT_nvmlDeviceGetTotalEnergyConsumption
int nvmlDeviceGetTotalEnergyConsumption(fake_device device, unsigned long long *millijoules) {
    record("nvmlDeviceGetTotalEnergyConsumption");
    int index = index_of(device);
    if (index < 0) return 2;
    int status = (int)device_number((unsigned)index, "energy_status", 0);
    if (status == 0) {
        *millijoules = device_number((unsigned)index, "energy_mj", 0);
        /* A counter that advances at energy_rate_mw, the same in every process. */
        unsigned long long rate = device_number((unsigned)index, "energy_rate_mw", 0);
        if (rate > 0) *millijoules += (unsigned long long)((double)rate * monotonic_seconds());
    }
    return status;
}
#endif

#ifndef OMIT_nvmlDeviceGetPowerUsage
int nvmlDeviceGetPowerUsage(fake_device device, unsigned *milliwatts) {
    record("nvmlDeviceGetPowerUsage");
    int index = index_of(device);
    if (index < 0) return 2;
    int status = (int)device_number((unsigned)index, "power_status", 0);
    if (status == 0) *milliwatts = (unsigned)device_number((unsigned)index, "power_mw", 0);
    return status;
}
#endif

/* Writes the processes of one device in entries of `stride` bytes, as the real queries do. */
static int processes(const char *call, const char *field, size_t stride, fake_device device, unsigned *count,
                     void *entries) {
    record(call);
    int index = index_of(device);
    if (index < 0) return 2;
    char key[64], value[512];
    snprintf(key, sizeof key, "d%d.%s", index, field);
    unsigned pids[64];
    unsigned found = 0;
    if (setting(key, value, sizeof value)) {
        for (char *token = strtok(value, ","); token != NULL && found < 64; token = strtok(NULL, ",")) {
            pids[found++] = (unsigned)strtoul(token, NULL, 10);
        }
    }
    if (*count < found) {
        *count = found;
        return 7;
    }
    *count = found;
    unsigned char *bytes = entries;
    memset(bytes, 0, (size_t)found * stride);
    for (unsigned entry = 0; entry < found; entry++) {
        unsigned long long memory = (entry + 1ULL) << 20;
        memcpy(bytes + entry * stride, &pids[entry], sizeof(unsigned));
        memcpy(bytes + entry * stride + 8, &memory, sizeof memory);
        if (stride >= 24) memset(bytes + entry * stride + 16, 0xff, 8);
    }
    return 0;
}

#ifdef WIDE_V3_ENTRIES
#define V3_STRIDE 32
#else
#define V3_STRIDE 24
#endif

#ifndef OMIT_nvmlDeviceGetComputeRunningProcesses_v3
int nvmlDeviceGetComputeRunningProcesses_v3(fake_device device, unsigned *count, void *entries) {
    return processes("nvmlDeviceGetComputeRunningProcesses_v3", "compute_pids", V3_STRIDE, device, count, entries);
}
#endif

#ifndef OMIT_nvmlDeviceGetComputeRunningProcesses_v2
int nvmlDeviceGetComputeRunningProcesses_v2(fake_device device, unsigned *count, void *entries) {
    return processes("nvmlDeviceGetComputeRunningProcesses_v2", "compute_pids", 24, device, count, entries);
}
#endif

#ifndef OMIT_nvmlDeviceGetComputeRunningProcesses
int nvmlDeviceGetComputeRunningProcesses(fake_device device, unsigned *count, void *entries) {
    return processes("nvmlDeviceGetComputeRunningProcesses", "compute_pids", 16, device, count, entries);
}
#endif

#ifndef OMIT_nvmlDeviceGetGraphicsRunningProcesses_v3
int nvmlDeviceGetGraphicsRunningProcesses_v3(fake_device device, unsigned *count, void *entries) {
    return processes("nvmlDeviceGetGraphicsRunningProcesses_v3", "graphics_pids", V3_STRIDE, device, count, entries);
}
#endif

#ifndef OMIT_nvmlDeviceGetGraphicsRunningProcesses_v2
int nvmlDeviceGetGraphicsRunningProcesses_v2(fake_device device, unsigned *count, void *entries) {
    return processes("nvmlDeviceGetGraphicsRunningProcesses_v2", "graphics_pids", 24, device, count, entries);
}
#endif

#ifndef OMIT_nvmlDeviceGetGraphicsRunningProcesses
int nvmlDeviceGetGraphicsRunningProcesses(fake_device device, unsigned *count, void *entries) {
    return processes("nvmlDeviceGetGraphicsRunningProcesses", "graphics_pids", 16, device, count, entries);
}
#endif

/* nvmlFieldValue_t, laid out as nvml.h declares it. */
typedef struct {
    unsigned int fieldId;
    unsigned int scopeId;
    long long timestamp;
    long long latencyUsec;
    int valueType;
    int nvmlReturn;
    union {
        double dVal;
        unsigned int uiVal;
        unsigned long ulVal;
        unsigned long long ullVal;
        long long sllVal;
        int siVal;
        unsigned short usVal;
    } value;
} fake_field_value;

#ifndef OMIT_nvmlDeviceGetFieldValues
int nvmlDeviceGetFieldValues(fake_device device, int count, fake_field_value *values) {
    char call[96];
    int index = index_of(device);
    if (index < 0 || count < 0 || values == NULL) return 2;
    int status = (int)number("fields_status", 0);
    if (status != 0) return status;
    for (int entry = 0; entry < count; entry++) {
        fake_field_value *value = &values[entry];
        snprintf(call, sizeof call, "nvmlDeviceGetFieldValues:%u:%u", value->fieldId, value->scopeId);
        record(call);
        const char *field = NULL;
        if (value->fieldId == 186 && value->scopeId == 0) field = "instant_mw";
        if (value->fieldId == 185 && value->scopeId == 0) field = "average_mw";
        if (value->fieldId == 186 && value->scopeId == 1) field = "module_instant_mw";
        if (value->fieldId == 185 && value->scopeId == 1) field = "module_average_mw";
        char key[64], text[64], status_key[80];
        snprintf(key, sizeof key, "d%d.%s", index, field != NULL ? field : "unknown");
        snprintf(status_key, sizeof status_key, "%s_status", key);
        if (field == NULL || !setting(key, text, sizeof text)) {
            value->nvmlReturn = 3;
            continue;
        }
        value->nvmlReturn = (int)number(status_key, 0);
        value->valueType = (int)device_number((unsigned)index, "field_type", 1);
        double milliwatts = strtod(text, NULL);
        switch (value->valueType) {
        case 0: value->value.dVal = milliwatts; break;
        case 3: value->value.ullVal = (unsigned long long)milliwatts; break;
        case 4: value->value.sllVal = (long long)milliwatts; break;
        case 5: value->value.siVal = (int)milliwatts; break;
        default: value->value.uiVal = (unsigned)milliwatts; break;
        }
    }
    return 0;
}
#endif

#ifndef OMIT_nvmlDeviceGetC2cModeInfoV
int nvmlDeviceGetC2cModeInfoV(fake_device device, unsigned int *info) {
    record("nvmlDeviceGetC2cModeInfoV");
    int index = index_of(device);
    if (index < 0) return 2;
    char key[64], value[16];
    snprintf(key, sizeof key, "d%d.c2c", index);
    if (!setting(key, value, sizeof value)) return 3;
    *info = (unsigned)strtoul(value, NULL, 10);
    return 0;
}
#endif

#ifndef OMIT_nvmlDeviceGetProcessUtilization
/* nvmlProcessUtilizationSample_t as nvml.h declares it. */
typedef struct {
    unsigned int pid;
    unsigned long long timeStamp;
    unsigned int smUtil;
    unsigned int memUtil;
    unsigned int encUtil;
    unsigned int decUtil;
} fake_process_sample;

int nvmlDeviceGetProcessUtilization(fake_device device, fake_process_sample *samples, unsigned *count,
                                    unsigned long long lastSeen) {
    record("nvmlDeviceGetProcessUtilization");
    int index = index_of(device);
    if (index < 0 || count == NULL) return 2;
    int status = (int)device_number((unsigned)index, "process_sm_status", 0);
    if (status != 0) return status;
    char key[64], value[1024];
    snprintf(key, sizeof key, "d%d.process_sm", index);
    if (!setting(key, value, sizeof value)) return 6;
    unsigned long long now = (unsigned long long)(monotonic_seconds() * 1e6);
    if (now <= lastSeen) return 6;
    fake_process_sample parsed[64];
    unsigned found = 0;
    for (char *token = strtok(value, ","); token != NULL && found < 64; token = strtok(NULL, ",")) {
        char *colon = strchr(token, ':');
        if (colon == NULL) continue;
        memset(&parsed[found], 0, sizeof parsed[found]);
        parsed[found].pid = (unsigned)strtoul(token, NULL, 10);
        parsed[found].smUtil = (unsigned)strtoul(colon + 1, NULL, 10);
        parsed[found].timeStamp = now;
        found++;
    }
    if (samples == NULL || *count < found) {
        *count = found;
        return 7;
    }
    memcpy(samples, parsed, found * sizeof(fake_process_sample));
    *count = found;
    return 0;
}
#endif
