#include "ccurl.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/* The libcurl functions the HTTP client uses, resolved from libcurl.so.4 at first use. */
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
} api;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const char *load_error = "libcurl was not loaded";
static char load_error_text[256];

#define RESOLVE(field, name)                                                                     \
    do {                                                                                         \
        *(void **)(&api.field) = dlsym(library, name);                                           \
        if (!api.field) {                                                                        \
            snprintf(load_error_text, sizeof load_error_text, "libcurl.so.4 has no %s", name);   \
            load_error = load_error_text;                                                        \
            return;                                                                              \
        }                                                                                        \
    } while (0)

static void load(void) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char *reason = dlerror();
        snprintf(load_error_text, sizeof load_error_text,
                 "cannot load libcurl.so.4 (install the libcurl4 package): %s", reason ? reason : "unknown");
        load_error = load_error_text;
        return;
    }
    RESOLVE(global_init, "curl_global_init");
    RESOLVE(easy_init, "curl_easy_init");
    RESOLVE(easy_cleanup, "curl_easy_cleanup");
    RESOLVE(easy_reset, "curl_easy_reset");
    RESOLVE(easy_perform, "curl_easy_perform");
    RESOLVE(easy_strerror, "curl_easy_strerror");
    RESOLVE(slist_append, "curl_slist_append");
    RESOLVE(slist_free_all, "curl_slist_free_all");
    RESOLVE(easy_setopt, "curl_easy_setopt");
    RESOLVE(easy_getinfo, "curl_easy_getinfo");
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        load_error = "curl_global_init failed";
        return;
    }
    load_error = NULL;
}

const char *vg_curl_load(void) {
    pthread_once(&load_once, load);
    return load_error;
}

/* Each function below is called only after vg_curl_load() returned NULL. */
CURL *vg_curl_easy_init(void) { return api.easy_init(); }
void vg_curl_easy_cleanup(CURL *handle) { api.easy_cleanup(handle); }
void vg_curl_easy_reset(CURL *handle) { api.easy_reset(handle); }
CURLcode vg_curl_easy_perform(CURL *handle) { return api.easy_perform(handle); }
const char *vg_curl_easy_strerror(CURLcode code) { return api.easy_strerror(code); }
struct curl_slist *vg_curl_slist_append(struct curl_slist *list, const char *text) { return api.slist_append(list, text); }
void vg_curl_slist_free_all(struct curl_slist *list) { api.slist_free_all(list); }

CURLcode vg_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return api.easy_setopt(handle, option, value);
}

CURLcode vg_curl_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return api.easy_setopt(handle, option, value);
}

CURLcode vg_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return api.easy_setopt(handle, option, value);
}

CURLcode vg_curl_setopt_write_function(CURL *handle, CURLoption option, curl_write_callback callback) {
    return api.easy_setopt(handle, option, callback);
}

long vg_curl_response_code(CURL *handle) {
    long code = 0;
    return api.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK ? code : 0;
}

long vg_curl_connections_opened(CURL *handle) {
    long count = 0;
    return api.easy_getinfo(handle, CURLINFO_NUM_CONNECTS, &count) == CURLE_OK ? count : 0;
}
