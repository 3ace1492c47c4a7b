#include "CIOReport.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CoreFoundation's types and constants, declared here instead of taken from the framework headers. */
typedef const void *CFTypeRef;
typedef const struct cioreport_cf_string *CFStringRef;
typedef const struct cioreport_cf_dictionary *CFDictionaryRef;
typedef struct cioreport_cf_dictionary *CFMutableDictionaryRef;
typedef const struct cioreport_cf_array *CFArrayRef;
typedef long CFIndex;
typedef uint32_t CFStringEncoding;
#define CIOREPORT_UTF8 ((CFStringEncoding)0x08000100) /* kCFStringEncodingUTF8 */
#define CIOREPORT_FORMAT_SIMPLE 1                     /* kIOReportFormatSimple */

struct cioreport_session {
    void *io_report;
    void *core_foundation;
    CFStringRef (*string_create)(const void *, const char *, CFStringEncoding);
    unsigned char (*string_get)(CFStringRef, char *, CFIndex, CFStringEncoding);
    const void *(*dictionary_get)(CFDictionaryRef, const void *);
    CFIndex (*array_count)(CFArrayRef);
    const void *(*array_get)(CFArrayRef, CFIndex);
    void (*release)(CFTypeRef);
    CFMutableDictionaryRef (*copy_channels_in_group)(CFStringRef, CFStringRef, uint64_t, uint64_t, uint64_t);
    CFTypeRef (*create_subscription)(void *, CFMutableDictionaryRef, CFMutableDictionaryRef *, uint64_t, CFTypeRef);
    CFDictionaryRef (*create_samples)(CFTypeRef, CFMutableDictionaryRef, CFTypeRef);
    CFStringRef (*channel_name)(CFDictionaryRef);
    CFStringRef (*unit_label)(CFDictionaryRef);
    int64_t (*integer_value)(CFDictionaryRef, int32_t);
    int (*format)(CFDictionaryRef); /* optional */
    CFMutableDictionaryRef channels;
    CFMutableDictionaryRef subscribed;
    CFTypeRef subscription;
    CFStringRef channels_key;
};

static void say(char *error, size_t capacity, const char *format, ...) {
    if (error == NULL || capacity == 0) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, capacity, format, arguments);
    va_end(arguments);
}

/* The symbol from the IOReport library, else from CoreFoundation. */
static void *find(cioreport_session *session, const char *name) {
    void *symbol = dlsym(session->io_report, name);
    if (symbol == NULL && session->core_foundation != NULL) symbol = dlsym(session->core_foundation, name);
    return symbol;
}

cioreport_session *cioreport_open(const char *library_path, char *error, size_t error_capacity) {
    cioreport_session *session = calloc(1, sizeof *session);
    if (session == NULL) {
        say(error, error_capacity, "out of memory");
        return NULL;
    }
    if (library_path != NULL) {
        session->io_report = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
        if (session->io_report == NULL) {
            const char *reason = dlerror();
            say(error, error_capacity, "%s could not be loaded: %s", library_path, reason ? reason : "unknown");
            free(session);
            return NULL;
        }
    } else {
#ifdef __APPLE__
        session->io_report = dlopen("/usr/lib/libIOReport.dylib", RTLD_NOW | RTLD_LOCAL);
        if (session->io_report == NULL) {
            const char *reason = dlerror();
            say(error, error_capacity, "/usr/lib/libIOReport.dylib could not be loaded: %s",
                reason ? reason : "unknown");
            free(session);
            return NULL;
        }
        session->core_foundation =
            dlopen("/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation", RTLD_NOW | RTLD_LOCAL);
#else
        say(error, error_capacity, "IOReport exists only on macOS.");
        free(session);
        return NULL;
#endif
    }
    struct {
        void **slot;
        const char *name;
    } wanted[] = {
        {(void **)&session->string_create, "CFStringCreateWithCString"},
        {(void **)&session->string_get, "CFStringGetCString"},
        {(void **)&session->dictionary_get, "CFDictionaryGetValue"},
        {(void **)&session->array_count, "CFArrayGetCount"},
        {(void **)&session->array_get, "CFArrayGetValueAtIndex"},
        {(void **)&session->release, "CFRelease"},
        {(void **)&session->copy_channels_in_group, "IOReportCopyChannelsInGroup"},
        {(void **)&session->create_subscription, "IOReportCreateSubscription"},
        {(void **)&session->create_samples, "IOReportCreateSamples"},
        {(void **)&session->channel_name, "IOReportChannelGetChannelName"},
        {(void **)&session->unit_label, "IOReportChannelGetUnitLabel"},
        {(void **)&session->integer_value, "IOReportSimpleGetIntegerValue"},
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        *wanted[i].slot = find(session, wanted[i].name);
        if (*wanted[i].slot == NULL) {
            say(error, error_capacity, "the IOReport library lacks %s", wanted[i].name);
            cioreport_close(session);
            return NULL;
        }
    }
    session->format = (int (*)(CFDictionaryRef))find(session, "IOReportChannelGetFormat");

    CFStringRef group = session->string_create(NULL, "Energy Model", CIOREPORT_UTF8);
    session->channels_key = session->string_create(NULL, "IOReportChannels", CIOREPORT_UTF8);
    if (group == NULL || session->channels_key == NULL) {
        if (group != NULL) session->release(group);
        say(error, error_capacity, "CoreFoundation could not create a string");
        cioreport_close(session);
        return NULL;
    }
    session->channels = session->copy_channels_in_group(group, NULL, 0, 0, 0);
    session->release(group);
    if (session->channels == NULL) {
        say(error, error_capacity, "IOReport has no \"Energy Model\" channel group on this machine");
        cioreport_close(session);
        return NULL;
    }
    session->subscription = session->create_subscription(NULL, session->channels, &session->subscribed, 0, NULL);
    if (session->subscription == NULL || session->subscribed == NULL) {
        say(error, error_capacity, "IOReport refused a subscription to the \"Energy Model\" channels");
        cioreport_close(session);
        return NULL;
    }
    return session;
}

int cioreport_sample(cioreport_session *session, cioreport_channel *channels, int capacity, char *error,
                     size_t error_capacity) {
    if (session == NULL || channels == NULL || capacity < 0) {
        say(error, error_capacity, "invalid argument");
        return -1;
    }
    CFDictionaryRef samples = session->create_samples(session->subscription, session->subscribed, NULL);
    if (samples == NULL) {
        say(error, error_capacity, "IOReport returned no sample");
        return -1;
    }
    CFArrayRef list = (CFArrayRef)session->dictionary_get(samples, session->channels_key);
    int written = 0;
    CFIndex count = list == NULL ? 0 : session->array_count(list);
    for (CFIndex i = 0; i < count && written < capacity; i++) {
        CFDictionaryRef channel = (CFDictionaryRef)session->array_get(list, i);
        if (channel == NULL) continue;
        if (session->format != NULL && session->format(channel) != CIOREPORT_FORMAT_SIMPLE) continue;
        cioreport_channel *out = &channels[written];
        CFStringRef name = session->channel_name(channel);
        CFStringRef unit = session->unit_label(channel);
        if (name == NULL || !session->string_get(name, out->name, CIOREPORT_NAME_CAPACITY, CIOREPORT_UTF8)) continue;
        if (unit == NULL || !session->string_get(unit, out->unit, CIOREPORT_UNIT_CAPACITY, CIOREPORT_UTF8)) {
            out->unit[0] = 0;
        }
        out->value = session->integer_value(channel, 0);
        written++;
    }
    session->release(samples);
    return written;
}

void cioreport_close(cioreport_session *session) {
    if (session == NULL) return;
    if (session->release != NULL) {
        if (session->subscription != NULL) session->release(session->subscription);
        if (session->subscribed != NULL) session->release(session->subscribed);
        if (session->channels != NULL) session->release(session->channels);
        if (session->channels_key != NULL) session->release(session->channels_key);
    }
    if (session->core_foundation != NULL) dlclose(session->core_foundation);
    if (session->io_report != NULL) dlclose(session->io_report);
    free(session);
}
