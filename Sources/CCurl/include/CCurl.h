#ifndef CCURL_H
#define CCURL_H

/*
 * A minimal, hand-written view of libcurl's easy interface: only the calls and constants
 * CarbonTracker uses, taken from libcurl's public documentation and reached through
 * dlopen/dlsym at run time. The executable therefore has no link-time dependency on libcurl:
 * it loads and runs on machines without it, where every request fails with a clear message.
 *
 * One request is one ccurl_perform call on one thread. The response body is buffered up to a
 * cap, past which the transfer is aborted; a transfer can be cancelled from any thread.
 */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libcurl result codes (CURLcode) that CarbonTracker tells apart, with libcurl's numeric values. */
#define CCURL_OK 0
#define CCURL_UNSUPPORTED_PROTOCOL 1
#define CCURL_URL_MALFORMAT 3
#define CCURL_COULDNT_RESOLVE_PROXY 5
#define CCURL_COULDNT_RESOLVE_HOST 6
#define CCURL_COULDNT_CONNECT 7
#define CCURL_WEIRD_SERVER_REPLY 8
#define CCURL_HTTP2 16
#define CCURL_PARTIAL_FILE 18
#define CCURL_WRITE_ERROR 23
#define CCURL_OUT_OF_MEMORY 27
#define CCURL_OPERATION_TIMEDOUT 28
#define CCURL_SSL_CONNECT_ERROR 35
#define CCURL_ABORTED_BY_CALLBACK 42
#define CCURL_GOT_NOTHING 52
#define CCURL_SEND_ERROR 55
#define CCURL_RECV_ERROR 56
#define CCURL_SSL_CERTPROBLEM 58
#define CCURL_SSL_CIPHER 59
#define CCURL_PEER_FAILED_VERIFICATION 60
#define CCURL_BAD_CONTENT_ENCODING 61
#define CCURL_FILESIZE_EXCEEDED 63
#define CCURL_SSL_CACERT_BADFILE 77
#define CCURL_TOO_LARGE 100

/* Codes of this shim, outside libcurl's range: the library lacks a function, or memory ran out. */
#define CCURL_SHIM_UNAVAILABLE -1

/* Why a transfer ended early, as seen by this shim's callbacks. */
#define CCURL_STOP_NONE 0
#define CCURL_STOP_BODY_TOO_LARGE 1
#define CCURL_STOP_HEADERS_TOO_LARGE 2
#define CCURL_STOP_CANCELLED 3
#define CCURL_STOP_DEADLINE 4

/* A loaded libcurl and the functions found in it; lives as long as the process. */
typedef struct ccurl_library ccurl_library;

/* One request's state and answer; create, perform once, read, free. */
typedef struct ccurl_transfer ccurl_transfer;

/* What to send. Strings are NUL-terminated; nothing is kept after ccurl_perform returns. */
typedef struct {
    const char *url;
    /* "GET", "PUT", "POST", "DELETE", ... */
    const char *method;
    /* Header lines, "Name: value". */
    const char *const *headers;
    size_t header_count;
    /* The request body, or NULL. */
    const void *body;
    size_t body_length;
    /* The longest the whole exchange may take, in milliseconds (at least 1). */
    long timeout_ms;
    /* Bytes of response body kept at most; the transfer is aborted past them. */
    size_t max_body_bytes;
    /* Whether plain http is allowed besides https. */
    int allow_plain_http;
    /* Whether proxies named by the environment are ignored (loopback hosts). */
    int bypass_proxy;
} ccurl_request;

/*
 * Loads libcurl from `path` (a file name is searched the usual dlopen way), looks up every
 * function and initialises it once for the process. Returns NULL when it cannot be loaded or
 * lacks a function, with the reason in `error`. The library is never unloaded.
 */
ccurl_library *ccurl_open(const char *path, char *error, size_t error_capacity);

/* libcurl's version ("7.88.1"), or "" when unknown. */
const char *ccurl_version(const ccurl_library *library);

/* Whether the loaded libcurl speaks https. */
int ccurl_supports_https(const ccurl_library *library);

/* libcurl's description of a result code. */
const char *ccurl_strerror(const ccurl_library *library, int code);

/* A fresh transfer, or NULL when out of memory. */
ccurl_transfer *ccurl_transfer_create(void);

/* Frees a transfer after its ccurl_perform returned (or if it never ran); NULL is ignored. */
void ccurl_transfer_free(ccurl_transfer *transfer);

/* Asks a transfer to stop; safe from any thread, before, during or after ccurl_perform. */
void ccurl_transfer_cancel(ccurl_transfer *transfer);

/* Performs the request on the calling thread; returns a libcurl result code or CCURL_SHIM_UNAVAILABLE. */
int ccurl_perform(const ccurl_library *library, ccurl_transfer *transfer, const ccurl_request *request);

/* The HTTP status of the answer (0 when none arrived). */
long ccurl_transfer_status(const ccurl_transfer *transfer);

/* Why the shim stopped the transfer (a CCURL_STOP_ value). */
int ccurl_transfer_stop_reason(const ccurl_transfer *transfer);

/* The body received (at most the cap) and its length. */
const unsigned char *ccurl_transfer_body(const ccurl_transfer *transfer, size_t *length);

/* The header lines of the last answer, as received ("Name: value\r\n"...), and their length. */
const char *ccurl_transfer_headers(const ccurl_transfer *transfer, size_t *length);

/* libcurl's detailed error text for the transfer ("" when none). */
const char *ccurl_transfer_error(const ccurl_transfer *transfer);

#ifdef __cplusplus
}
#endif

#endif
