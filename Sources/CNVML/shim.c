#include "CNVML.h"

#include <stdio.h>
#include <string.h>

#ifdef __linux__

#include <dlfcn.h>
#include <stdlib.h>

/* One logical NVML call and the exported symbols that provide it, newest first. */
enum {
    FN_INIT,
    FN_SHUTDOWN,
    FN_ERROR_STRING,
    FN_COUNT,
    FN_BY_INDEX,
    FN_BY_UUID,
    FN_NAME,
    FN_UUID,
    FN_MIG_PARENT,
    FN_ENERGY,
    FN_POWER,
    FN_COMPUTE_PROCESSES,
    FN_GRAPHICS_PROCESSES,
    FN_FIELD_VALUES,
    FN_C2C_MODE,
    FN_PROCESS_UTILIZATION,
    FN_TOTAL
};

static const char *const candidates[FN_TOTAL][3] = {
    [FN_INIT] = {"nvmlInit_v2", "nvmlInit", NULL},
    [FN_SHUTDOWN] = {"nvmlShutdown", NULL, NULL},
    [FN_ERROR_STRING] = {"nvmlErrorString", NULL, NULL},
    [FN_COUNT] = {"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount", NULL},
    [FN_BY_INDEX] = {"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex", NULL},
    [FN_BY_UUID] = {"nvmlDeviceGetHandleByUUID", NULL, NULL},
    [FN_NAME] = {"nvmlDeviceGetName", NULL, NULL},
    [FN_UUID] = {"nvmlDeviceGetUUID", NULL, NULL},
    [FN_MIG_PARENT] = {"nvmlDeviceGetDeviceHandleFromMigDeviceHandle", NULL, NULL},
    [FN_ENERGY] = {"nvmlDeviceGetTotalEnergyConsumption", NULL, NULL},
    [FN_POWER] = {"nvmlDeviceGetPowerUsage", NULL, NULL},
    [FN_COMPUTE_PROCESSES] = {"nvmlDeviceGetComputeRunningProcesses_v3",
                              "nvmlDeviceGetComputeRunningProcesses_v2",
                              "nvmlDeviceGetComputeRunningProcesses"},
    [FN_GRAPHICS_PROCESSES] = {"nvmlDeviceGetGraphicsRunningProcesses_v3",
                               "nvmlDeviceGetGraphicsRunningProcesses_v2",
                               "nvmlDeviceGetGraphicsRunningProcesses"},
    [FN_FIELD_VALUES] = {"nvmlDeviceGetFieldValues", NULL, NULL},
    [FN_C2C_MODE] = {"nvmlDeviceGetC2cModeInfoV", NULL, NULL},
    [FN_PROCESS_UTILIZATION] = {"nvmlDeviceGetProcessUtilization", NULL, NULL},
};

struct cnvml_library {
    void *handle;
    void *functions[FN_TOTAL];
    /* For the process queries: 3, 2 or 1, the version of the symbol found. */
    int versions[FN_TOTAL];
    char missing[1024];
};

/* The process-entry layouts the three query versions write (the newest grew one field in R535). */
typedef struct {
    unsigned int pid;
    unsigned long long used_memory_bytes;
} process_entry_v1;

typedef struct {
    unsigned int pid;
    unsigned long long used_memory_bytes;
    unsigned int gpu_instance;
    unsigned int compute_instance;
} process_entry_v2;

typedef struct {
    unsigned int pid;
    unsigned long long used_memory_bytes;
    unsigned int gpu_instance;
    unsigned int compute_instance;
    unsigned long long protected_memory_bytes;
} process_entry_v3;

typedef int (*fn_void)(void);
typedef const char *(*fn_error_string)(int);
typedef int (*fn_count)(unsigned int *);
typedef int (*fn_by_index)(unsigned int, cnvml_device *);
typedef int (*fn_by_uuid)(const char *, cnvml_device *);
typedef int (*fn_string)(cnvml_device, char *, unsigned int);
typedef int (*fn_device_device)(cnvml_device, cnvml_device *);
typedef int (*fn_energy)(cnvml_device, unsigned long long *);
typedef int (*fn_power)(cnvml_device, unsigned int *);
typedef int (*fn_processes)(cnvml_device, unsigned int *, void *);

/* nvmlFieldValue_t as NVML documents it: the field, its scope, two timestamps, the value's type,
   the field's own status and the value (a union of 8 bytes). */
typedef struct {
    unsigned int field_id;
    unsigned int scope_id;
    long long timestamp;
    long long latency_usec;
    int value_type;
    int status;
    union {
        double as_double;
        unsigned int as_uint;
        unsigned long as_ulong;
        unsigned long long as_ulonglong;
        long long as_longlong;
        int as_int;
        unsigned short as_ushort;
    } value;
} field_value;

typedef int (*fn_field_values)(cnvml_device, int, field_value *);
/* nvmlProcessUtilizationSample_t as nvml.h declares it. */
typedef struct {
    unsigned int pid;
    unsigned long long time_stamp;
    unsigned int sm_util;
    unsigned int mem_util;
    unsigned int enc_util;
    unsigned int dec_util;
} process_utilization_sample;

typedef int (*fn_process_utilization)(cnvml_device, process_utilization_sample *, unsigned int *,
                                      unsigned long long);

/* nvmlC2cModeInfo_v1_t holds one unsigned int; the buffer is larger in case a driver writes more. */
typedef int (*fn_c2c_mode)(cnvml_device, unsigned int *);

static void append_missing(cnvml_library *library, const char *name) {
    size_t used = strlen(library->missing);
    snprintf(library->missing + used, sizeof(library->missing) - used, "%s%s", used ? ", " : "", name);
}

cnvml_library *cnvml_open(const char *path, char *error, size_t error_capacity) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *reason = dlerror();
        if (error != NULL && error_capacity > 0) {
            snprintf(error, error_capacity, "%s", reason != NULL ? reason : "unknown dlopen failure");
        }
        return NULL;
    }
    cnvml_library *library = calloc(1, sizeof(cnvml_library));
    if (library == NULL) {
        dlclose(handle);
        if (error != NULL && error_capacity > 0) snprintf(error, error_capacity, "out of memory");
        return NULL;
    }
    library->handle = handle;
    for (int function = 0; function < FN_TOTAL; function++) {
        for (int candidate = 0; candidate < 3 && candidates[function][candidate] != NULL; candidate++) {
            void *symbol = dlsym(handle, candidates[function][candidate]);
            if (symbol != NULL) {
                library->functions[function] = symbol;
                library->versions[function] = 3 - candidate;
                break;
            }
        }
        if (library->functions[function] == NULL) append_missing(library, candidates[function][0]);
    }
    return library;
}

void cnvml_close(cnvml_library *library) {
    if (library == NULL) return;
    dlclose(library->handle);
    free(library);
}

const char *cnvml_missing_symbols(const cnvml_library *library) { return library->missing; }

int cnvml_has_symbol(const cnvml_library *library, const char *symbol) {
    return dlsym(library->handle, symbol) != NULL;
}

const char *cnvml_error_string(const cnvml_library *library, int status) {
    fn_error_string function = (fn_error_string)library->functions[FN_ERROR_STRING];
    return function != NULL ? function(status) : NULL;
}

#define CALL(library, index, type, ...)                                                    \
    do {                                                                                   \
        type function_ = (type)(library)->functions[index];                                \
        return function_ != NULL ? function_(__VA_ARGS__) : CNVML_ERROR_FUNCTION_NOT_FOUND; \
    } while (0)

int cnvml_init(const cnvml_library *library) {
    fn_void function = (fn_void)library->functions[FN_INIT];
    return function != NULL ? function() : CNVML_ERROR_FUNCTION_NOT_FOUND;
}

int cnvml_shutdown(const cnvml_library *library) {
    fn_void function = (fn_void)library->functions[FN_SHUTDOWN];
    return function != NULL ? function() : CNVML_ERROR_FUNCTION_NOT_FOUND;
}

int cnvml_device_count(const cnvml_library *library, unsigned int *count) {
    CALL(library, FN_COUNT, fn_count, count);
}

int cnvml_device_by_index(const cnvml_library *library, unsigned int index, cnvml_device *device) {
    CALL(library, FN_BY_INDEX, fn_by_index, index, device);
}

int cnvml_device_by_uuid(const cnvml_library *library, const char *uuid, cnvml_device *device) {
    CALL(library, FN_BY_UUID, fn_by_uuid, uuid, device);
}

int cnvml_device_name(const cnvml_library *library, cnvml_device device, char *name, unsigned int capacity) {
    CALL(library, FN_NAME, fn_string, device, name, capacity);
}

int cnvml_device_uuid(const cnvml_library *library, cnvml_device device, char *uuid, unsigned int capacity) {
    CALL(library, FN_UUID, fn_string, device, uuid, capacity);
}

int cnvml_parent_of_mig(const cnvml_library *library, cnvml_device mig, cnvml_device *parent) {
    CALL(library, FN_MIG_PARENT, fn_device_device, mig, parent);
}

int cnvml_total_energy_millijoules(const cnvml_library *library, cnvml_device device,
                                   unsigned long long *millijoules) {
    CALL(library, FN_ENERGY, fn_energy, device, millijoules);
}

int cnvml_power_milliwatts(const cnvml_library *library, cnvml_device device, unsigned int *milliwatts) {
    CALL(library, FN_POWER, fn_power, device, milliwatts);
}

int cnvml_power_field_milliwatts(const cnvml_library *library, cnvml_device device, unsigned int field,
                                 unsigned int scope, double *milliwatts) {
    fn_field_values function = (fn_field_values)library->functions[FN_FIELD_VALUES];
    if (function == NULL) return CNVML_ERROR_FUNCTION_NOT_FOUND;
    field_value value;
    memset(&value, 0, sizeof value);
    value.field_id = field;
    value.scope_id = scope;
    int status = function(device, 1, &value);
    if (status != CNVML_SUCCESS) return status;
    if (value.status != CNVML_SUCCESS) return value.status;
    switch (value.value_type) {
    case 0: *milliwatts = value.value.as_double; break;
    case 1: *milliwatts = (double)value.value.as_uint; break;
    case 2: *milliwatts = (double)value.value.as_ulong; break;
    case 3: *milliwatts = (double)value.value.as_ulonglong; break;
    case 4: *milliwatts = (double)value.value.as_longlong; break;
    case 5: *milliwatts = (double)value.value.as_int; break;
    case 6: *milliwatts = (double)value.value.as_ushort; break;
    default: return CNVML_ERROR_UNKNOWN;
    }
    return CNVML_SUCCESS;
}

int cnvml_c2c_enabled(const cnvml_library *library, cnvml_device device, int *enabled) {
    fn_c2c_mode function = (fn_c2c_mode)library->functions[FN_C2C_MODE];
    if (function == NULL) return CNVML_ERROR_FUNCTION_NOT_FOUND;
    unsigned int info[16];
    memset(info, 0, sizeof info);
    int status = function(device, info);
    if (status == CNVML_SUCCESS) *enabled = info[0] != 0;
    return status;
}

static unsigned int pid_at(const unsigned char *entries, unsigned int index, size_t stride) {
    unsigned int pid;
    memcpy(&pid, entries + (size_t)index * stride, sizeof(pid));
    return pid;
}

static int all_pids_set(const unsigned char *entries, unsigned int count, size_t stride) {
    for (unsigned int index = 0; index < count; index++) {
        if (pid_at(entries, index, stride) == 0) return 0;
    }
    return 1;
}

int cnvml_running_pids(const cnvml_library *library, cnvml_device device, cnvml_process_kind kind,
                       unsigned int *pids, unsigned int capacity, unsigned int *count) {
    int index = kind == CNVML_GRAPHICS_PROCESSES ? FN_GRAPHICS_PROCESSES : FN_COMPUTE_PROCESSES;
    fn_processes function = (fn_processes)library->functions[index];
    if (function == NULL) return CNVML_ERROR_FUNCTION_NOT_FOUND;
    int version = library->versions[index];
    unsigned int slots = 64;
    for (int attempt = 0; attempt < 4; attempt++) {
        /* Room for the largest layout, so a library that writes bigger entries than its version
           implies cannot write past the buffer. */
        unsigned char *entries = calloc(slots, sizeof(process_entry_v3));
        if (entries == NULL) return CNVML_ERROR_UNKNOWN;
        unsigned int found = slots;
        int status = function(device, &found, entries);
        if (status == CNVML_ERROR_INSUFFICIENT_SIZE) {
            free(entries);
            slots = found + 16;
            continue;
        }
        if (status != CNVML_SUCCESS) {
            free(entries);
            return status;
        }
        if (found > slots) found = slots;
        size_t stride = version == 1 ? sizeof(process_entry_v1) : sizeof(process_entry_v2);
        /* Drivers of the R535 branch wrote the grown layout through the unchanged _v3 symbol. Read
           with the smaller stride, every second entry would then start at the new 64-bit field,
           which is zero, so a PID of zero identifies the larger layout. */
        if (version == 3 && found > 1 && !all_pids_set(entries, found, stride) &&
            all_pids_set(entries, found, sizeof(process_entry_v3))) {
            stride = sizeof(process_entry_v3);
        }
        unsigned int written = 0;
        for (unsigned int entry = 0; entry < found; entry++) {
            unsigned int pid = pid_at(entries, entry, stride);
            if (pid == 0) continue;
            if (written < capacity) pids[written] = pid;
            written++;
        }
        free(entries);
        *count = written;
        return CNVML_SUCCESS;
    }
    return CNVML_ERROR_INSUFFICIENT_SIZE;
}

int cnvml_process_utilization(const cnvml_library *library, cnvml_device device,
                              unsigned long long since_microseconds, cnvml_process_sample *samples,
                              unsigned int capacity, unsigned int *count) {
    fn_process_utilization function = (fn_process_utilization)library->functions[FN_PROCESS_UTILIZATION];
    if (function == NULL) return CNVML_ERROR_FUNCTION_NOT_FOUND;
    *count = 0;
    /* A first call without a buffer asks how many samples there are; the count may grow before the
       second call, so the buffer has room to spare and a short buffer is retried. */
    unsigned int slots = 0;
    int status = function(device, NULL, &slots, since_microseconds);
    if (status != CNVML_SUCCESS && status != CNVML_ERROR_INSUFFICIENT_SIZE) return status;
    for (int attempt = 0; attempt < 3; attempt++) {
        slots += 32;
        process_utilization_sample *buffer = calloc(slots, sizeof(process_utilization_sample));
        if (buffer == NULL) return CNVML_ERROR_UNKNOWN;
        unsigned int found = slots;
        status = function(device, buffer, &found, since_microseconds);
        if (status == CNVML_ERROR_INSUFFICIENT_SIZE) {
            free(buffer);
            slots = found;
            continue;
        }
        if (status == CNVML_SUCCESS) {
            if (found > slots) found = slots;
            unsigned int written = 0;
            for (unsigned int index = 0; index < found && written < capacity; index++) {
                if (buffer[index].pid == 0) continue;
                samples[written].pid = buffer[index].pid;
                samples[written].timestamp_microseconds = buffer[index].time_stamp;
                samples[written].sm_percent = buffer[index].sm_util;
                written++;
            }
            *count = written;
        }
        free(buffer);
        return status;
    }
    return CNVML_ERROR_INSUFFICIENT_SIZE;
}

#else

/* NVML exists only for Linux (and Windows); elsewhere the target compiles to stubs. */

cnvml_library *cnvml_open(const char *path, char *error, size_t error_capacity) {
    (void)path;
    if (error != NULL && error_capacity > 0) {
        snprintf(error, error_capacity, "NVML is only available on Linux");
    }
    return NULL;
}

void cnvml_close(cnvml_library *library) { (void)library; }
const char *cnvml_missing_symbols(const cnvml_library *library) {
    (void)library;
    return "";
}
int cnvml_has_symbol(const cnvml_library *library, const char *symbol) {
    (void)library;
    (void)symbol;
    return 0;
}
const char *cnvml_error_string(const cnvml_library *library, int status) {
    (void)library;
    (void)status;
    return NULL;
}
int cnvml_init(const cnvml_library *library) {
    (void)library;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}
int cnvml_shutdown(const cnvml_library *library) {
    (void)library;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}
int cnvml_device_count(const cnvml_library *library, unsigned int *count) {
    (void)library;
    (void)count;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}
int cnvml_device_by_index(const cnvml_library *library, unsigned int index, cnvml_device *device) {
    (void)library;
    (void)index;
    (void)device;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}
int cnvml_device_by_uuid(const cnvml_library *library, const char *uuid, cnvml_device *device) {
    (void)library;
    (void)uuid;
    (void)device;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}
int cnvml_device_name(const cnvml_library *library, cnvml_device device, char *name, unsigned int capacity) {
    (void)library;
    (void)device;
    (void)name;
    (void)capacity;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}
int cnvml_device_uuid(const cnvml_library *library, cnvml_device device, char *uuid, unsigned int capacity) {
    (void)library;
    (void)device;
    (void)uuid;
    (void)capacity;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}
int cnvml_parent_of_mig(const cnvml_library *library, cnvml_device mig, cnvml_device *parent) {
    (void)library;
    (void)mig;
    (void)parent;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}
int cnvml_total_energy_millijoules(const cnvml_library *library, cnvml_device device,
                                   unsigned long long *millijoules) {
    (void)library;
    (void)device;
    (void)millijoules;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}
int cnvml_power_milliwatts(const cnvml_library *library, cnvml_device device, unsigned int *milliwatts) {
    (void)library;
    (void)device;
    (void)milliwatts;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}
int cnvml_power_field_milliwatts(const cnvml_library *library, cnvml_device device, unsigned int field,
                                 unsigned int scope, double *milliwatts) {
    (void)library;
    (void)device;
    (void)field;
    (void)scope;
    (void)milliwatts;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}
int cnvml_c2c_enabled(const cnvml_library *library, cnvml_device device, int *enabled) {
    (void)library;
    (void)device;
    (void)enabled;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}
int cnvml_running_pids(const cnvml_library *library, cnvml_device device, cnvml_process_kind kind,
                       unsigned int *pids, unsigned int capacity, unsigned int *count) {
    (void)library;
    (void)device;
    (void)kind;
    (void)pids;
    (void)capacity;
    (void)count;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}

int cnvml_process_utilization(const cnvml_library *library, cnvml_device device,
                              unsigned long long since_microseconds, cnvml_process_sample *samples,
                              unsigned int capacity, unsigned int *count) {
    (void)library;
    (void)device;
    (void)since_microseconds;
    (void)samples;
    (void)capacity;
    (void)count;
    return CNVML_ERROR_LIBRARY_NOT_FOUND;
}

#endif
