/* A model of slow storage for benchmarks (scripts/drain-ab.sh with SLOW_SYNC_MS): preloaded
 * into a process, it makes every fsync/fdatasync wait SLOW_SYNC_MS milliseconds (default 5)
 * before syncing, as a flash card's cache flush may. Not for production use. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static void wait_as_slow_storage(void) {
    const char *text = getenv("SLOW_SYNC_MS");
    long ms = text ? atol(text) : 5;
    struct timespec delay = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&delay, 0);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    wait_as_slow_storage();
    return real(fd);
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    wait_as_slow_storage();
    return real(fd);
}
