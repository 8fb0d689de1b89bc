#ifndef VITALGATE_CCURL_SHIM_H
#define VITALGATE_CCURL_SHIM_H
/* libcurl's curl_easy_setopt and curl_easy_getinfo are variadic, which Swift does not import:
 * these typed one-liners call them. Nothing else lives here. */
#include <curl/curl.h>

static inline CURLcode vg_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode vg_curl_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode vg_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode vg_curl_setopt_write_function(CURL *handle, CURLoption option, curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

static inline long vg_curl_response_code(CURL *handle) {
    long code = 0;
    return curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK ? code : 0;
}

static inline long vg_curl_connections_opened(CURL *handle) {
    long count = 0;
    return curl_easy_getinfo(handle, CURLINFO_NUM_CONNECTS, &count) == CURLE_OK ? count : 0;
}

#endif
