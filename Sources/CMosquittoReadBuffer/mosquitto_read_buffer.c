#include "mosquitto_read_buffer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* glibc's public alias of read(); calling it reaches the real system call wrapper whatever
 * read() resolves to in this executable. */
extern ssize_t __read(int fd, void *buf, size_t count);

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
