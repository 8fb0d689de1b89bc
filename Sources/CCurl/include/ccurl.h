#ifndef VITALGATE_CCURL_H
#define VITALGATE_CCURL_H
/* libcurl, loaded when the first HTTP client is made (dlopen of libcurl.so.4), not linked:
 * Debian's libcurl pulls in GnuTLS (through librtmp), Kerberos, LDAP and p11-kit, whose
 * loading and constructors cost every process about 3 MB of resident memory. An agent without
 * an HTTP sink never pays it. The header gives the types and constants; call only the vg_
 * functions below (curl_easy_setopt and curl_easy_getinfo are variadic, which Swift does not
 * import either). */
#include <curl/curl.h>

/* Loads libcurl once (thread-safe) and initialises it; NULL on success, else why not. */
const char *vg_curl_load(void);

CURL *vg_curl_easy_init(void);
void vg_curl_easy_cleanup(CURL *handle);
void vg_curl_easy_reset(CURL *handle);
CURLcode vg_curl_easy_perform(CURL *handle);
const char *vg_curl_easy_strerror(CURLcode code);
struct curl_slist *vg_curl_slist_append(struct curl_slist *list, const char *text);
void vg_curl_slist_free_all(struct curl_slist *list);

CURLcode vg_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode vg_curl_setopt_pointer(CURL *handle, CURLoption option, const void *value);
CURLcode vg_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode vg_curl_setopt_write_function(CURL *handle, CURLoption option, curl_write_callback callback);
/* The last response's status code (0 if none). */
long vg_curl_response_code(CURL *handle);
/* New connections the last transfer opened. */
long vg_curl_connections_opened(CURL *handle);

#endif
