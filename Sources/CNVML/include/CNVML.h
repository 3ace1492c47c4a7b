#ifndef CNVML_H
#define CNVML_H

/*
 * A minimal, hand-written view of the NVIDIA Management Library (NVML): only the calls
 * CarbonTracker makes, reached through dlopen/dlsym so that the package builds, links and runs
 * on machines without an NVIDIA driver. Every wrapper answers CNVML_ERROR_FUNCTION_NOT_FOUND
 * when the loaded library lacks the symbol, so a missing function is a status, never a crash.
 */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes, with NVML's numeric values. */
#define CNVML_SUCCESS 0
#define CNVML_ERROR_UNINITIALIZED 1
#define CNVML_ERROR_INVALID_ARGUMENT 2
#define CNVML_ERROR_NOT_SUPPORTED 3
#define CNVML_ERROR_NO_PERMISSION 4
#define CNVML_ERROR_NOT_FOUND 6
#define CNVML_ERROR_INSUFFICIENT_SIZE 7
#define CNVML_ERROR_DRIVER_NOT_LOADED 9
#define CNVML_ERROR_LIBRARY_NOT_FOUND 12
#define CNVML_ERROR_FUNCTION_NOT_FOUND 13
#define CNVML_ERROR_GPU_IS_LOST 15
#define CNVML_ERROR_UNKNOWN 999

/* Longest name or UUID string NVML writes, terminator included (its documented buffer sizes are 96 and 80). */
#define CNVML_STRING_CAPACITY 128

/* A device (or MIG instance) handle as NVML hands it out; opaque. */
typedef struct cnvml_device_opaque *cnvml_device;

/* A loaded NVML library and the functions found in it. */
typedef struct cnvml_library cnvml_library;

/* Which running-process query a PID list comes from. */
typedef enum { CNVML_COMPUTE_PROCESSES = 0, CNVML_GRAPHICS_PROCESSES = 1 } cnvml_process_kind;

/*
 * Loads the library at `path` (a file name is searched the usual dlopen way) and looks up every
 * function. Returns NULL when the library cannot be loaded, with the loader's reason in `error`.
 */
cnvml_library *cnvml_open(const char *path, char *error, size_t error_capacity);

/* Unloads the library; `library` may be NULL. */
void cnvml_close(cnvml_library *library);

/* The functions not found in the library, comma-separated ("" when all were found). */
const char *cnvml_missing_symbols(const cnvml_library *library);

/* Whether a function named by NVML's exported symbol (e.g. "nvmlDeviceGetPowerUsage") was found. */
int cnvml_has_symbol(const cnvml_library *library, const char *symbol);

/* NVML's description of a status, or NULL when the library has no nvmlErrorString. */
const char *cnvml_error_string(const cnvml_library *library, int status);

int cnvml_init(const cnvml_library *library);
int cnvml_shutdown(const cnvml_library *library);
int cnvml_device_count(const cnvml_library *library, unsigned int *count);
int cnvml_device_by_index(const cnvml_library *library, unsigned int index, cnvml_device *device);
int cnvml_device_by_uuid(const cnvml_library *library, const char *uuid, cnvml_device *device);
int cnvml_device_name(const cnvml_library *library, cnvml_device device, char *name, unsigned int capacity);
int cnvml_device_uuid(const cnvml_library *library, cnvml_device device, char *uuid, unsigned int capacity);

/* The parent GPU of a MIG instance handle. */
int cnvml_parent_of_mig(const cnvml_library *library, cnvml_device mig, cnvml_device *parent);

/* Energy used since the driver was loaded, in millijoules (Volta and newer). */
int cnvml_total_energy_millijoules(const cnvml_library *library, cnvml_device device, unsigned long long *millijoules);

/* Instantaneous board power, in milliwatts. */
int cnvml_power_milliwatts(const cnvml_library *library, cnvml_device device, unsigned int *milliwatts);

/* Field ids and power scopes of nvmlDeviceGetFieldValues, with NVML's values (nvml.h). */
#define CNVML_FI_DEV_POWER_AVERAGE 185
#define CNVML_FI_DEV_POWER_INSTANT 186
#define CNVML_POWER_SCOPE_GPU 0
#define CNVML_POWER_SCOPE_MODULE 1

/*
 * One power field (CNVML_FI_DEV_POWER_INSTANT or _AVERAGE) of `device` at `scope`, in milliwatts,
 * through nvmlDeviceGetFieldValues, whatever value type the driver reports it in. Returns the call's
 * status when it failed, else the field's own status.
 */
int cnvml_power_field_milliwatts(const cnvml_library *library, cnvml_device device, unsigned int field,
                                 unsigned int scope, double *milliwatts);

/*
 * Whether `device` is joined to a CPU by a chip-to-chip link (Grace Hopper, Grace Blackwell), through
 * nvmlDeviceGetC2cModeInfoV.
 */
int cnvml_c2c_enabled(const cnvml_library *library, cnvml_device device, int *enabled);

/*
 * The PIDs of processes running on `device`, from the newest available version of the query
 * (_v3, _v2, then the original), whose entry layouts differ. Writes at most `capacity` PIDs and
 * sets `count` to the number found (which may exceed `capacity`).
 */
int cnvml_running_pids(const cnvml_library *library, cnvml_device device, cnvml_process_kind kind,
                       unsigned int *pids, unsigned int capacity, unsigned int *count);

/* One process's streaming-multiprocessor utilisation sample, from nvmlDeviceGetProcessUtilization. */
typedef struct {
    unsigned int pid;
    /* When the sample was taken, in microseconds (NVML's CPU timestamp). */
    unsigned long long timestamp_microseconds;
    /* Percent of the sampling period during which the process had work on the SMs. */
    unsigned int sm_percent;
} cnvml_process_sample;

/*
 * The per-process utilisation samples of `device` taken after `since_microseconds` (0: all that the
 * driver keeps), through nvmlDeviceGetProcessUtilization. Writes at most `capacity` samples and sets
 * `count` to the number written. NVML answers CNVML_ERROR_NOT_FOUND when no sample is newer.
 */
int cnvml_process_utilization(const cnvml_library *library, cnvml_device device,
                              unsigned long long since_microseconds, cnvml_process_sample *samples,
                              unsigned int capacity, unsigned int *count);

#ifdef __cplusplus
}
#endif

#endif
