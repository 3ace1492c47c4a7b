#include "CCurl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__) || defined(__APPLE__)

#include <dlfcn.h>
#include <pthread.h>
#include <time.h>

/* Option numbers (CURLoption) as libcurl documents them: a type base plus the option's number. */
#define TYPE_LONG 0
#define TYPE_POINTER 10000
#define TYPE_FUNCTION 20000
#define TYPE_OFF_T 30000

enum {
    OPT_WRITEDATA = TYPE_POINTER + 1,
    OPT_URL = TYPE_POINTER + 2,
    OPT_ERRORBUFFER = TYPE_POINTER + 10,
    OPT_WRITEFUNCTION = TYPE_FUNCTION + 11,
    OPT_POSTFIELDS = TYPE_POINTER + 15,
    OPT_HTTPHEADER = TYPE_POINTER + 23,
    OPT_HEADERDATA = TYPE_POINTER + 29,
    OPT_CUSTOMREQUEST = TYPE_POINTER + 36,
    OPT_NOPROGRESS = TYPE_LONG + 43,
    OPT_FOLLOWLOCATION = TYPE_LONG + 52,
    OPT_XFERINFODATA = TYPE_POINTER + 57,
    OPT_HEADERFUNCTION = TYPE_FUNCTION + 79,
    OPT_HTTPGET = TYPE_LONG + 80,
    OPT_NOSIGNAL = TYPE_LONG + 99,
    OPT_MAXFILESIZE_LARGE = TYPE_OFF_T + 117,
    OPT_POSTFIELDSIZE_LARGE = TYPE_OFF_T + 120,
    OPT_TIMEOUT_MS = TYPE_LONG + 155,
    OPT_CONNECTTIMEOUT_MS = TYPE_LONG + 156,
    OPT_NOPROXY = TYPE_POINTER + 177,
    OPT_PROTOCOLS = TYPE_LONG + 181,
    OPT_REDIR_PROTOCOLS = TYPE_LONG + 182,
    OPT_XFERINFOFUNCTION = TYPE_FUNCTION + 219,
    OPT_PROTOCOLS_STR = TYPE_POINTER + 318,
    OPT_REDIR_PROTOCOLS_STR = TYPE_POINTER + 319,
};

/* CURLINFO_RESPONSE_CODE: a long, number 2. */
#define INFO_RESPONSE_CODE (0x200000 + 2)
/* The deprecated protocol bit masks, for libcurl older than 7.85 (no *_PROTOCOLS_STR). */
#define PROTO_HTTP 1L
#define PROTO_HTTPS 2L
/* CURL_GLOBAL_DEFAULT */
#define GLOBAL_DEFAULT 3L
/* CURL_ERROR_SIZE */
#define ERROR_SIZE 256
/* Header lines of one answer kept at most. */
#define MAX_HEADER_BYTES (64 * 1024)

typedef long long offset_type;

/* The leading fields of curl_version_info_data, which every version of the struct starts with. */
typedef struct {
    int age;
    const char *version;
    unsigned int version_num;
    const char *host;
    int features;
    const char *ssl_version;
    long ssl_version_num;
    const char *libz_version;
    const char *const *protocols;
} version_info_prefix;

struct slist;

typedef int (*fn_global_init)(long);
typedef void *(*fn_easy_init)(void);
typedef int (*fn_easy_setopt)(void *, int, ...);
typedef int (*fn_easy_perform)(void *);
typedef void (*fn_easy_cleanup)(void *);
typedef int (*fn_easy_getinfo)(void *, int, ...);
typedef const char *(*fn_easy_strerror)(int);
typedef struct slist *(*fn_slist_append)(struct slist *, const char *);
typedef void (*fn_slist_free_all)(struct slist *);
typedef const version_info_prefix *(*fn_version_info)(int);

struct ccurl_library {
    void *handle;
    fn_global_init global_init;
    fn_easy_init easy_init;
    fn_easy_setopt easy_setopt;
    fn_easy_perform easy_perform;
    fn_easy_cleanup easy_cleanup;
    fn_easy_getinfo easy_getinfo;
    fn_easy_strerror easy_strerror;
    fn_slist_append slist_append;
    fn_slist_free_all slist_free_all;
    fn_version_info version_info;
    char version[64];
    int https;
};

struct ccurl_transfer {
    /* Written by ccurl_transfer_cancel from any thread, read by the progress callback. */
    int cancelled;
    int stop_reason;
    long status;
    struct timespec deadline;
    size_t max_body_bytes;
    unsigned char *body;
    size_t body_length;
    size_t body_capacity;
    char headers[MAX_HEADER_BYTES];
    size_t headers_length;
    char error[ERROR_SIZE];
};

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

static void *symbol(void *handle, const char *name, char *missing, size_t capacity) {
    void *found = dlsym(handle, name);
    if (found == NULL && missing[0] == 0) snprintf(missing, capacity, "%s", name);
    return found;
}

ccurl_library *ccurl_open(const char *path, char *error, size_t error_capacity) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *reason = dlerror();
        if (error != NULL && error_capacity > 0) {
            snprintf(error, error_capacity, "%s", reason != NULL ? reason : "unknown dlopen failure");
        }
        return NULL;
    }
    ccurl_library *library = calloc(1, sizeof(ccurl_library));
    if (library == NULL) {
        dlclose(handle);
        if (error != NULL && error_capacity > 0) snprintf(error, error_capacity, "out of memory");
        return NULL;
    }
    char missing[128] = {0};
    library->handle = handle;
    library->global_init = (fn_global_init)symbol(handle, "curl_global_init", missing, sizeof missing);
    library->easy_init = (fn_easy_init)symbol(handle, "curl_easy_init", missing, sizeof missing);
    library->easy_setopt = (fn_easy_setopt)symbol(handle, "curl_easy_setopt", missing, sizeof missing);
    library->easy_perform = (fn_easy_perform)symbol(handle, "curl_easy_perform", missing, sizeof missing);
    library->easy_cleanup = (fn_easy_cleanup)symbol(handle, "curl_easy_cleanup", missing, sizeof missing);
    library->easy_getinfo = (fn_easy_getinfo)symbol(handle, "curl_easy_getinfo", missing, sizeof missing);
    library->easy_strerror = (fn_easy_strerror)symbol(handle, "curl_easy_strerror", missing, sizeof missing);
    library->slist_append = (fn_slist_append)symbol(handle, "curl_slist_append", missing, sizeof missing);
    library->slist_free_all = (fn_slist_free_all)symbol(handle, "curl_slist_free_all", missing, sizeof missing);
    library->version_info = (fn_version_info)symbol(handle, "curl_version_info", missing, sizeof missing);
    if (missing[0] != 0) {
        if (error != NULL && error_capacity > 0) {
            snprintf(error, error_capacity, "%s does not export %s, so it is not libcurl", path, missing);
        }
        dlclose(handle);
        free(library);
        return NULL;
    }
    /* curl_global_init is not thread-safe in older libcurl: one call at a time, before any transfer. */
    pthread_mutex_lock(&open_lock);
    int status = library->global_init(GLOBAL_DEFAULT);
    pthread_mutex_unlock(&open_lock);
    if (status != CCURL_OK) {
        if (error != NULL && error_capacity > 0) {
            snprintf(error, error_capacity, "curl_global_init failed with libcurl error %d", status);
        }
        dlclose(handle);
        free(library);
        return NULL;
    }
    const version_info_prefix *info = library->version_info(0);
    if (info != NULL) {
        snprintf(library->version, sizeof library->version, "%s", info->version != NULL ? info->version : "");
        for (const char *const *protocol = info->protocols; protocol != NULL && *protocol != NULL; protocol++) {
            if (strcmp(*protocol, "https") == 0) library->https = 1;
        }
    }
    return library;
}

const char *ccurl_version(const ccurl_library *library) { return library->version; }

int ccurl_supports_https(const ccurl_library *library) { return library->https; }

const char *ccurl_strerror(const ccurl_library *library, int code) {
    const char *text = library->easy_strerror(code);
    return text != NULL ? text : "";
}

ccurl_transfer *ccurl_transfer_create(void) { return calloc(1, sizeof(ccurl_transfer)); }

void ccurl_transfer_free(ccurl_transfer *transfer) {
    if (transfer == NULL) return;
    free(transfer->body);
    free(transfer);
}

void ccurl_transfer_cancel(ccurl_transfer *transfer) {
    if (transfer != NULL) __atomic_store_n(&transfer->cancelled, 1, __ATOMIC_SEQ_CST);
}

static size_t on_body(char *data, size_t size, size_t count, void *context) {
    ccurl_transfer *transfer = context;
    size_t bytes = size * count;
    if (bytes > transfer->max_body_bytes - transfer->body_length) {
        transfer->stop_reason = CCURL_STOP_BODY_TOO_LARGE;
        return 0;
    }
    size_t needed = transfer->body_length + bytes;
    if (needed > transfer->body_capacity) {
        size_t capacity = transfer->body_capacity < 16384 ? 16384 : transfer->body_capacity;
        while (capacity < needed) capacity *= 2;
        if (capacity > transfer->max_body_bytes) capacity = transfer->max_body_bytes;
        unsigned char *grown = realloc(transfer->body, capacity);
        if (grown == NULL) return 0;
        transfer->body = grown;
        transfer->body_capacity = capacity;
    }
    memcpy(transfer->body + transfer->body_length, data, bytes);
    transfer->body_length = needed;
    return bytes;
}

static size_t on_header(char *data, size_t size, size_t count, void *context) {
    ccurl_transfer *transfer = context;
    size_t bytes = size * count;
    /* A status line starts the headers of a new answer (after a 1xx, or a proxy's CONNECT reply). */
    if (bytes >= 5 && memcmp(data, "HTTP/", 5) == 0) transfer->headers_length = 0;
    if (bytes > sizeof transfer->headers - transfer->headers_length) {
        transfer->stop_reason = CCURL_STOP_HEADERS_TOO_LARGE;
        return 0;
    }
    memcpy(transfer->headers + transfer->headers_length, data, bytes);
    transfer->headers_length += bytes;
    return bytes;
}

static int past(const struct timespec *deadline) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > deadline->tv_sec || (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static int on_progress(void *context, offset_type download_total, offset_type downloaded,
                       offset_type upload_total, offset_type uploaded) {
    (void)download_total;
    (void)downloaded;
    (void)upload_total;
    (void)uploaded;
    ccurl_transfer *transfer = context;
    if (__atomic_load_n(&transfer->cancelled, __ATOMIC_SEQ_CST)) {
        transfer->stop_reason = CCURL_STOP_CANCELLED;
        return 1;
    }
    if (past(&transfer->deadline)) {
        transfer->stop_reason = CCURL_STOP_DEADLINE;
        return 1;
    }
    return 0;
}

/* Restricts the protocols to https (and http when allowed); fails rather than allow more. */
static int restrict_protocols(const ccurl_library *library, void *easy, int allow_plain_http) {
    const char *names = allow_plain_http ? "http,https" : "https";
    long mask = allow_plain_http ? (PROTO_HTTP | PROTO_HTTPS) : PROTO_HTTPS;
    int status = library->easy_setopt(easy, OPT_PROTOCOLS_STR, names);
    if (status != CCURL_OK) status = library->easy_setopt(easy, OPT_PROTOCOLS, mask);
    if (status != CCURL_OK) return status;
    status = library->easy_setopt(easy, OPT_REDIR_PROTOCOLS_STR, names);
    if (status != CCURL_OK) status = library->easy_setopt(easy, OPT_REDIR_PROTOCOLS, mask);
    return status;
}

int ccurl_perform(const ccurl_library *library, ccurl_transfer *transfer, const ccurl_request *request) {
    transfer->stop_reason = CCURL_STOP_NONE;
    transfer->status = 0;
    transfer->body_length = 0;
    transfer->headers_length = 0;
    transfer->error[0] = 0;
    transfer->max_body_bytes = request->max_body_bytes;
    long timeout_ms = request->timeout_ms < 1 ? 1 : request->timeout_ms;
    clock_gettime(CLOCK_MONOTONIC, &transfer->deadline);
    transfer->deadline.tv_sec += timeout_ms / 1000;
    transfer->deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (transfer->deadline.tv_nsec >= 1000000000L) {
        transfer->deadline.tv_sec += 1;
        transfer->deadline.tv_nsec -= 1000000000L;
    }
    if (__atomic_load_n(&transfer->cancelled, __ATOMIC_SEQ_CST)) {
        transfer->stop_reason = CCURL_STOP_CANCELLED;
        return CCURL_ABORTED_BY_CALLBACK;
    }

    void *easy = library->easy_init();
    if (easy == NULL) return CCURL_SHIM_UNAVAILABLE;
    struct slist *headers = NULL;
    int status = restrict_protocols(library, easy, request->allow_plain_http);
    /* Each option is checked: a request that cannot be bounded is not made. */
#define SET(option, value)                                           \
    if (status == CCURL_OK) status = library->easy_setopt(easy, option, value)
    SET(OPT_URL, request->url);
    SET(OPT_NOSIGNAL, 1L);
    SET(OPT_FOLLOWLOCATION, 0L);
    SET(OPT_TIMEOUT_MS, timeout_ms);
    SET(OPT_CONNECTTIMEOUT_MS, timeout_ms);
    SET(OPT_MAXFILESIZE_LARGE, (offset_type)request->max_body_bytes);
    SET(OPT_WRITEFUNCTION, on_body);
    SET(OPT_WRITEDATA, (void *)transfer);
    SET(OPT_HEADERFUNCTION, on_header);
    SET(OPT_HEADERDATA, (void *)transfer);
    SET(OPT_NOPROGRESS, 0L);
    SET(OPT_XFERINFOFUNCTION, on_progress);
    SET(OPT_XFERINFODATA, (void *)transfer);
    SET(OPT_ERRORBUFFER, transfer->error);
    if (request->bypass_proxy) SET(OPT_NOPROXY, "*");
    for (size_t index = 0; status == CCURL_OK && index < request->header_count; index++) {
        struct slist *grown = library->slist_append(headers, request->headers[index]);
        if (grown == NULL) status = CCURL_OUT_OF_MEMORY;
        else headers = grown;
    }
    int is_get = strcmp(request->method, "GET") == 0 && request->body == NULL;
    if (status == CCURL_OK && !is_get) {
        /* An empty "Expect:" stops libcurl from waiting for "100 Continue" before sending a body. */
        struct slist *grown = library->slist_append(headers, "Expect:");
        if (grown == NULL) status = CCURL_OUT_OF_MEMORY;
        else headers = grown;
    }
    if (headers != NULL) SET(OPT_HTTPHEADER, (void *)headers);
    if (is_get) {
        SET(OPT_HTTPGET, 1L);
    } else {
        SET(OPT_CUSTOMREQUEST, request->method);
        if (request->body != NULL || strcmp(request->method, "PUT") == 0 || strcmp(request->method, "POST") == 0) {
            SET(OPT_POSTFIELDSIZE_LARGE, (offset_type)request->body_length);
            SET(OPT_POSTFIELDS, request->body != NULL ? request->body : (const void *)"");
        }
    }
#undef SET
    if (status == CCURL_OK) {
        status = library->easy_perform(easy);
        long code = 0;
        if (library->easy_getinfo(easy, INFO_RESPONSE_CODE, &code) == CCURL_OK) transfer->status = code;
    }
    library->easy_cleanup(easy);
    if (headers != NULL) library->slist_free_all(headers);
    return status;
}

#else

/* Elsewhere the target compiles to stubs: every request fails with a reason. */

ccurl_library *ccurl_open(const char *path, char *error, size_t error_capacity) {
    (void)path;
    if (error != NULL && error_capacity > 0) {
        snprintf(error, error_capacity, "loading libcurl at run time is only implemented for Linux and macOS");
    }
    return NULL;
}

const char *ccurl_version(const ccurl_library *library) {
    (void)library;
    return "";
}

int ccurl_supports_https(const ccurl_library *library) {
    (void)library;
    return 0;
}

const char *ccurl_strerror(const ccurl_library *library, int code) {
    (void)library;
    (void)code;
    return "";
}

struct ccurl_transfer {
    int unused;
};

ccurl_transfer *ccurl_transfer_create(void) { return calloc(1, sizeof(ccurl_transfer)); }
void ccurl_transfer_free(ccurl_transfer *transfer) { free(transfer); }
void ccurl_transfer_cancel(ccurl_transfer *transfer) { (void)transfer; }

int ccurl_perform(const ccurl_library *library, ccurl_transfer *transfer, const ccurl_request *request) {
    (void)library;
    (void)transfer;
    (void)request;
    return CCURL_SHIM_UNAVAILABLE;
}

#endif

#if defined(__linux__) || defined(__APPLE__)

long ccurl_transfer_status(const ccurl_transfer *transfer) { return transfer->status; }
int ccurl_transfer_stop_reason(const ccurl_transfer *transfer) { return transfer->stop_reason; }

const unsigned char *ccurl_transfer_body(const ccurl_transfer *transfer, size_t *length) {
    *length = transfer->body_length;
    return transfer->body;
}

const char *ccurl_transfer_headers(const ccurl_transfer *transfer, size_t *length) {
    *length = transfer->headers_length;
    return transfer->headers;
}

const char *ccurl_transfer_error(const ccurl_transfer *transfer) { return transfer->error; }

#else

long ccurl_transfer_status(const ccurl_transfer *transfer) {
    (void)transfer;
    return 0;
}
int ccurl_transfer_stop_reason(const ccurl_transfer *transfer) {
    (void)transfer;
    return CCURL_STOP_NONE;
}
const unsigned char *ccurl_transfer_body(const ccurl_transfer *transfer, size_t *length) {
    (void)transfer;
    *length = 0;
    return NULL;
}
const char *ccurl_transfer_headers(const ccurl_transfer *transfer, size_t *length) {
    (void)transfer;
    *length = 0;
    return "";
}
const char *ccurl_transfer_error(const ccurl_transfer *transfer) {
    (void)transfer;
    return "";
}

#endif
