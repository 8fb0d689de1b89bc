/* Glibc's own headers first, so that their types come from Swift's Glibc module rather
 * than being defined again in this one (fd_set, timeval). */
#include <sys/types.h>
#include <sys/time.h>
#include <sys/select.h>
/* libevent 2.1 (Debian: libevent-dev): the event loop and its HTTP server (evhttp), which the
 * agent's /metrics, /healthz, /readyz and status page run on. libevent has no dependency beyond
 * libc; libmicrohttpd, the other Debian candidate, brings GnuTLS and p11-kit (~3 MB resident
 * memory, docs/DECISIONS.md). */
#include <event2/event.h>
#include <event2/http.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
