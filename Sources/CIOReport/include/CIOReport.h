#ifndef CIOREPORT_H
#define CIOREPORT_H

/*
 * Apple silicon's energy counters without root: the "Energy Model" group of IOReport, the private
 * library powermetrics reads. Both libIOReport and CoreFoundation are loaded with dlopen at run time
 * and the few calls used are declared here, so the package builds without Apple's framework headers
 * and runs where the library is missing. On other systems only a library named explicitly (a test's
 * stand-in that provides the same IOReport and CoreFoundation symbols) can be loaded.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest channel name and unit label kept, terminator included. */
#define CIOREPORT_NAME_CAPACITY 64
#define CIOREPORT_UNIT_CAPACITY 16

/* One channel's value in one sample: an energy counter in `unit` ("mJ", "uJ", "nJ"). */
typedef struct {
    char name[CIOREPORT_NAME_CAPACITY];
    char unit[CIOREPORT_UNIT_CAPACITY];
    int64_t value;
} cioreport_channel;

/* A subscription to the "Energy Model" channels. */
typedef struct cioreport_session cioreport_session;

/*
 * Loads the libraries and subscribes to the "Energy Model" group. `library_path` NULL loads
 * /usr/lib/libIOReport.dylib and CoreFoundation (macOS only); otherwise the one library at that path
 * must provide every function. Returns NULL with the reason in `error` when that fails.
 */
cioreport_session *cioreport_open(const char *library_path, char *error, size_t error_capacity);

/*
 * Takes one sample of every subscribed channel with a simple (integer) value, writing at most
 * `capacity` of them to `channels`. Returns the number written, or -1 with the reason in `error`.
 */
int cioreport_sample(cioreport_session *session, cioreport_channel *channels, int capacity, char *error,
                     size_t error_capacity);

/* Releases the subscription and unloads the libraries; `session` may be NULL. */
void cioreport_close(cioreport_session *session);

#ifdef __cplusplus
}
#endif

#endif
