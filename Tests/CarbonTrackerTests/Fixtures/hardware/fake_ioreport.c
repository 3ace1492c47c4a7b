/*
 * A stand-in for libIOReport and the few CoreFoundation calls CIOReport makes, built by the tests with
 * `cc -shared -fPIC` and loaded through CARBONTRACKER_IOREPORT_LIBRARY. Its "CoreFoundation" objects
 * are small structs of its own (strings, arrays, dictionaries, channels), enough for the shim's walk.
 *
 * It answers from `fake-ioreport.conf`, read on every sample from the directory the library was loaded
 * from, so a test scripts the counters by rewriting that file. One channel per line:
 *     NAME|UNIT|V0,V1,V2,...
 * The Nth sample of a subscription reports VN (the last value once the list is used up). The line
 * `no_group` makes IOReportCopyChannelsInGroup find nothing; `no_subscription` makes the subscription fail.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { STRING, ARRAY, DICTIONARY, CHANNEL, SUBSCRIPTION };

typedef struct object {
    enum kind kind;
    char text[128];
    struct object *name;
    struct object *unit;
    int64_t value;
    struct object **items;
    long count;
    struct object *array;
    long samples;
} object;

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

static object *make(enum kind kind, const char *text) {
    object *made = calloc(1, sizeof *made);
    made->kind = kind;
    if (text != NULL) snprintf(made->text, sizeof made->text, "%s", text);
    return made;
}

static int has_line(const char *wanted) {
    char path[4200];
    snprintf(path, sizeof path, "%s/fake-ioreport.conf", here());
    FILE *file = fopen(path, "r");
    if (file == NULL) return 0;
    char line[1024];
    int found = 0;
    while (fgets(line, sizeof line, file) != NULL) {
        line[strcspn(line, "\r\n")] = 0;
        if (strcmp(line, wanted) == 0) found = 1;
    }
    fclose(file);
    return found;
}

const void *CFStringCreateWithCString(const void *allocator, const char *text, uint32_t encoding) {
    (void)allocator;
    (void)encoding;
    return make(STRING, text);
}

unsigned char CFStringGetCString(const object *string, char *buffer, long capacity, uint32_t encoding) {
    (void)encoding;
    if (string == NULL || string->kind != STRING || (long)strlen(string->text) + 1 > capacity) return 0;
    memcpy(buffer, string->text, strlen(string->text) + 1);
    return 1;
}

const void *CFDictionaryGetValue(const object *dictionary, const object *key) {
    if (dictionary == NULL || dictionary->kind != DICTIONARY || key == NULL) return NULL;
    return strcmp(key->text, "IOReportChannels") == 0 ? dictionary->array : NULL;
}

long CFArrayGetCount(const object *array) { return array == NULL ? 0 : array->count; }

const void *CFArrayGetValueAtIndex(const object *array, long index) {
    return array == NULL || index < 0 || index >= array->count ? NULL : array->items[index];
}

void CFRelease(object *released) {
    if (released == NULL) return;
    if (released->array != NULL) CFRelease(released->array);
    for (long i = 0; i < released->count; i++) CFRelease(released->items[i]);
    free(released->items);
    if (released->name != NULL) CFRelease(released->name);
    if (released->unit != NULL) CFRelease(released->unit);
    free(released);
}

object *IOReportCopyChannelsInGroup(const object *group, const object *subgroup, uint64_t a, uint64_t b, uint64_t c) {
    (void)subgroup;
    (void)a;
    (void)b;
    (void)c;
    if (group == NULL || strcmp(group->text, "Energy Model") != 0 || has_line("no_group")) return NULL;
    return make(DICTIONARY, "channels");
}

object *IOReportCreateSubscription(void *unused, object *desired, object **subscribed, uint64_t id, const void *options) {
    (void)unused;
    (void)id;
    (void)options;
    if (desired == NULL || has_line("no_subscription")) return NULL;
    *subscribed = make(DICTIONARY, "subscribed");
    return make(SUBSCRIPTION, "subscription");
}

object *IOReportCreateSamples(object *subscription, object *subscribed, const void *options) {
    (void)subscribed;
    (void)options;
    char path[4200];
    snprintf(path, sizeof path, "%s/fake-ioreport.conf", here());
    FILE *file = fopen(path, "r");
    if (file == NULL) return NULL;
    object *samples = make(DICTIONARY, "samples");
    samples->array = make(ARRAY, NULL);
    samples->array->items = calloc(64, sizeof(object *));
    char line[1024];
    long index = subscription->samples++;
    while (fgets(line, sizeof line, file) != NULL && samples->array->count < 64) {
        line[strcspn(line, "\r\n")] = 0;
        char *unit = strchr(line, '|');
        if (unit == NULL) continue;
        *unit++ = 0;
        char *values = strchr(unit, '|');
        if (values == NULL) continue;
        *values++ = 0;
        int64_t value = 0;
        long position = 0;
        for (char *field = strtok(values, ","); field != NULL; field = strtok(NULL, ","), position++) {
            value = strtoll(field, NULL, 10);
            if (position == index) break;
        }
        object *channel = make(CHANNEL, NULL);
        channel->name = make(STRING, line);
        channel->unit = make(STRING, unit);
        channel->value = value;
        samples->array->items[samples->array->count++] = channel;
    }
    fclose(file);
    return samples;
}

const object *IOReportChannelGetChannelName(const object *channel) { return channel ? channel->name : NULL; }

const object *IOReportChannelGetUnitLabel(const object *channel) { return channel ? channel->unit : NULL; }

int64_t IOReportSimpleGetIntegerValue(const object *channel, int32_t index) {
    (void)index;
    return channel ? channel->value : 0;
}
