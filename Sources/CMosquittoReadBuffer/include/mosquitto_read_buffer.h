#ifndef VITALGATE_MOSQUITTO_READ_BUFFER_H
#define VITALGATE_MOSQUITTO_READ_BUFFER_H

#include <stddef.h>
#include <stdint.h>

/*
 * A user-space read buffer for libmosquitto's socket.
 *
 * libmosquitto 2.0 reads each packet with separate read() calls: one byte for the command,
 * one per byte of the remaining length, then the rest; 3-4 system calls per message, ~12 % of
 * the agent's CPU under a backlog. This target defines read() for the executable (symbol
 * interposition: libmosquitto's call through its PLT binds to the executable's definition).
 * Calls pass straight to glibc's __read() unless the calling thread is inside
 * mqtt_read_buffer_begin()/mqtt_read_buffer_end() and reads the descriptor given there; those
 * are served from a buffer filled up to its capacity in one read().
 *
 * One buffer per client, used by one thread at a time (the client's owner).
 */

typedef struct mqtt_read_buffer mqtt_read_buffer;

/// A buffer of `capacity` bytes, not yet bound to a descriptor. NULL if out of memory.
mqtt_read_buffer *mqtt_read_buffer_create(size_t capacity);

void mqtt_read_buffer_destroy(mqtt_read_buffer *buffer);

/// Serves this thread's reads of `fd` from `buffer` until mqtt_read_buffer_end(). Bytes held
/// for another descriptor (a closed connection) are dropped first.
void mqtt_read_buffer_begin(mqtt_read_buffer *buffer, int fd);

/// Ends this thread's window opened by mqtt_read_buffer_begin().
void mqtt_read_buffer_end(void);

/// Bytes received from `fd` and not yet handed to a reader (0 for any other descriptor).
size_t mqtt_read_buffer_pending(const mqtt_read_buffer *buffer, int fd);

/// Drops whatever is buffered (call when the connection is dropped or replaced).
void mqtt_read_buffer_reset(mqtt_read_buffer *buffer);

/// read() system calls made to fill the buffer since it was created (for tests and metrics).
uint64_t mqtt_read_buffer_fills(const mqtt_read_buffer *buffer);

#endif
