#include "mosquitto_buffers.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* glibc's public aliases of read(), write() and close(): calling them reaches the real system
 * call wrappers whatever those names resolve to in this executable. */
extern ssize_t __read(int fd, void *buf, size_t count);
extern ssize_t __write(int fd, const void *buf, size_t count);
extern int __close(int fd);

struct mqtt_read_buffer {
    int fd;
    size_t start;
    size_t end;
    size_t capacity;
    uint64_t fills;
    unsigned char *data;
};

/* The buffer in use by this thread, if any (set only around libmosquitto's reads). */
static __thread mqtt_read_buffer *active_buffer;

mqtt_read_buffer *mqtt_read_buffer_create(size_t capacity) {
    mqtt_read_buffer *buffer = calloc(1, sizeof *buffer);
    if (buffer == NULL) return NULL;
    buffer->data = malloc(capacity);
    if (buffer->data == NULL) {
        free(buffer);
        return NULL;
    }
    buffer->fd = -1;
    buffer->capacity = capacity;
    return buffer;
}

void mqtt_read_buffer_destroy(mqtt_read_buffer *buffer) {
    if (buffer == NULL) return;
    if (active_buffer == buffer) active_buffer = NULL;
    free(buffer->data);
    free(buffer);
}

void mqtt_read_buffer_begin(mqtt_read_buffer *buffer, int fd) {
    if (buffer->fd != fd) {
        buffer->fd = fd;
        buffer->start = buffer->end = 0;
    }
    active_buffer = buffer;
}

void mqtt_read_buffer_end(void) { active_buffer = NULL; }

size_t mqtt_read_buffer_pending(const mqtt_read_buffer *buffer, int fd) {
    return buffer->fd == fd ? buffer->end - buffer->start : 0;
}

void mqtt_read_buffer_reset(mqtt_read_buffer *buffer) {
    buffer->fd = -1;
    buffer->start = buffer->end = 0;
}

uint64_t mqtt_read_buffer_fills(const mqtt_read_buffer *buffer) { return buffer->fills; }

ssize_t read(int fd, void *out, size_t count) {
    mqtt_read_buffer *buffer = active_buffer;
    if (buffer == NULL || fd != buffer->fd || count == 0) return __read(fd, out, count);
    if (buffer->start == buffer->end) {
        /* Nothing held: one read of up to the whole capacity. A short read of a stream socket
         * is always allowed, so callers see no difference but fewer system calls. */
        if (count >= buffer->capacity) return __read(fd, out, count);
        ssize_t received = __read(fd, buffer->data, buffer->capacity);
        buffer->fills++;
        if (received <= 0) return received; /* EOF, or -1 with errno (EAGAIN...) as set */
        buffer->start = 0;
        buffer->end = (size_t)received;
    }
    size_t available = buffer->end - buffer->start;
    size_t n = available < count ? available : count;
    memcpy(out, buffer->data + buffer->start, n);
    buffer->start += n;
    return (ssize_t)n;
}

/* ---- Writes ---- */

struct mqtt_write_buffer {
    int fd;
    size_t used;
    size_t capacity;
    uint64_t sends;
    unsigned char *data;
};

static __thread mqtt_write_buffer *active_writer;

/* Kept between windows; a buffer that grew past this is shrunk back after its flush. */
static const size_t write_buffer_initial = 16 * 1024;
static const size_t write_buffer_keep = 1024 * 1024;

mqtt_write_buffer *mqtt_write_buffer_create(void) {
    mqtt_write_buffer *buffer = calloc(1, sizeof *buffer);
    if (buffer == NULL) return NULL;
    buffer->data = malloc(write_buffer_initial);
    if (buffer->data == NULL) {
        free(buffer);
        return NULL;
    }
    buffer->fd = -1;
    buffer->capacity = write_buffer_initial;
    return buffer;
}

void mqtt_write_buffer_destroy(mqtt_write_buffer *buffer) {
    if (buffer == NULL) return;
    if (active_writer == buffer) active_writer = NULL;
    free(buffer->data);
    free(buffer);
}

void mqtt_write_buffer_begin(mqtt_write_buffer *buffer, int fd) {
    buffer->fd = fd;
    buffer->used = 0;
    active_writer = buffer;
}

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Writes out what was collected; 0, or -1 with errno. */
static int flush_collected(mqtt_write_buffer *buffer, int timeout_ms) {
    if (buffer->fd < 0) { /* closed inside the window: flushed then (close() below) */
        buffer->used = 0;
        return 0;
    }
    size_t offset = 0;
    int rc = 0;
    long long deadline = now_ms() + timeout_ms;
    while (offset < buffer->used) {
        ssize_t n = __write(buffer->fd, buffer->data + offset, buffer->used - offset);
        buffer->sends++;
        if (n > 0) {
            offset += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            long long left = deadline - now_ms();
            if (left <= 0) {
                errno = ETIMEDOUT;
                rc = -1;
                break;
            }
            struct pollfd p = {.fd = buffer->fd, .events = POLLOUT, .revents = 0};
            if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
                rc = -1;
                break;
            }
            continue;
        }
        if (n == 0) errno = EPIPE;
        rc = -1;
        break;
    }
    buffer->used = 0;
    return rc;
}

int mqtt_write_buffer_end(mqtt_write_buffer *buffer, int timeout_ms) {
    active_writer = NULL;
    int rc = flush_collected(buffer, timeout_ms);
    if (buffer->capacity > write_buffer_keep) {
        unsigned char *smaller = realloc(buffer->data, write_buffer_initial);
        if (smaller != NULL) {
            buffer->data = smaller;
            buffer->capacity = write_buffer_initial;
        }
    }
    return rc;
}

uint64_t mqtt_write_buffer_sends(const mqtt_write_buffer *buffer) { return buffer->sends; }

/* ---- libmosquitto's wake-up socket pair ---- */

/* Write ends of the socket pairs created by mosquitto_new(), one bit per descriptor. */
#define WAKEUP_FD_LIMIT 65536
static _Atomic uint64_t wakeup_fds[WAKEUP_FD_LIMIT / 64];
static _Atomic uint64_t wakeup_skipped;
static __thread int capturing_wakeup_pair;

static int is_wakeup_fd(int fd) {
    if (fd < 0 || fd >= WAKEUP_FD_LIMIT) return 0;
    return (int)((atomic_load_explicit(&wakeup_fds[fd / 64], memory_order_relaxed) >> (fd % 64)) & 1);
}

static void mark_wakeup_fd(int fd, int marked) {
    if (fd < 0 || fd >= WAKEUP_FD_LIMIT) return;
    uint64_t bit = (uint64_t)1 << (fd % 64);
    if (marked) {
        atomic_fetch_or_explicit(&wakeup_fds[fd / 64], bit, memory_order_relaxed);
    } else {
        atomic_fetch_and_explicit(&wakeup_fds[fd / 64], ~bit, memory_order_relaxed);
    }
}

void mqtt_wakeup_capture_begin(void) { capturing_wakeup_pair = 1; }

void mqtt_wakeup_capture_end(void) { capturing_wakeup_pair = 0; }

uint64_t mqtt_wakeup_writes_skipped(void) { return atomic_load_explicit(&wakeup_skipped, memory_order_relaxed); }

/* glibc exports no alias of socketpair(); the system call is the same on every Linux target. */
int socketpair(int domain, int type, int protocol, int sv[2]) {
    int rc = (int)syscall(SYS_socketpair, domain, type, protocol, sv);
    /* libmosquitto keeps sv[0] as the read end and writes its wake-up bytes to sv[1]. */
    if (rc == 0 && capturing_wakeup_pair && domain == AF_UNIX) mark_wakeup_fd(sv[1], 1);
    return rc;
}

ssize_t write(int fd, const void *in, size_t count) {
    if (count == 1 && is_wakeup_fd(fd)) {
        /* Only mosquitto_loop() reads the pair, and it is never called: the byte would wake
         * nobody, and once the pair is full each write fails anyway. */
        atomic_fetch_add_explicit(&wakeup_skipped, 1, memory_order_relaxed);
        return 1;
    }
    mqtt_write_buffer *buffer = active_writer;
    if (buffer == NULL || fd != buffer->fd) return __write(fd, in, count);
    if (count > buffer->capacity - buffer->used) {
        size_t capacity = buffer->capacity;
        while (count > capacity - buffer->used) capacity *= 2;
        unsigned char *larger = realloc(buffer->data, capacity);
        if (larger == NULL) {
            errno = ENOMEM; /* libmosquitto reports an error and the connection is dropped */
            return -1;
        }
        buffer->data = larger;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->used, in, count);
    buffer->used += count;
    return (ssize_t)count;
}

/* libmosquitto closes its socket itself, inside the windows: right after "writing" a DISCONNECT
 * (which must therefore leave first), or on an error. Whatever was collected for the
 * descriptor is sent before it is closed, and neither buffer touches the number again: once
 * closed it may be reused by any open() in the process. */
int close(int fd) {
    if (is_wakeup_fd(fd)) mark_wakeup_fd(fd, 0);
    mqtt_write_buffer *writer = active_writer;
    if (writer != NULL && fd == writer->fd) {
        (void)flush_collected(writer, 1000);
        writer->fd = -1;
    }
    mqtt_read_buffer *reader = active_buffer;
    if (reader != NULL && fd == reader->fd) mqtt_read_buffer_reset(reader);
    return __close(fd);
}
