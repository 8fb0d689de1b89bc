#ifndef VITALGATE_MOSQUITTO_BUFFERS_H
#define VITALGATE_MOSQUITTO_BUFFERS_H

#include <stddef.h>
#include <stdint.h>

/*
 * User-space read and write buffers for libmosquitto's socket.
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

/*
 * The same for writes. libmosquitto writes every queued packet (each PUBACK: 4 bytes) with its
 * own write(). Between mqtt_write_buffer_begin() and mqtt_write_buffer_end() on one thread,
 * write()s of the given descriptor are copied into a buffer and reported as complete; the end
 * writes the buffer out in as few write() calls as the socket takes, waiting for it to become
 * writable if it must.
 */

typedef struct mqtt_write_buffer mqtt_write_buffer;

/// An empty buffer (it grows as needed). NULL if out of memory.
mqtt_write_buffer *mqtt_write_buffer_create(void);

void mqtt_write_buffer_destroy(mqtt_write_buffer *buffer);

/// Collects this thread's writes of `fd` until mqtt_write_buffer_end().
void mqtt_write_buffer_begin(mqtt_write_buffer *buffer, int fd);

/// Ends the window and writes out everything collected, waiting at most `timeout_ms` in all for
/// the socket to accept it. 0 on success; -1 with errno set if the socket failed or the time ran
/// out (the connection must then be dropped: part of the data may have been sent).
int mqtt_write_buffer_end(mqtt_write_buffer *buffer, int timeout_ms);

/// write() system calls made to send collected data since the buffer was created.
uint64_t mqtt_write_buffer_sends(const mqtt_write_buffer *buffer);

/*
 * libmosquitto's wake-up bytes. For every packet it queues, libmosquitto writes one byte to an
 * internal socket pair so that mosquitto_loop() wakes from select(). That loop is never used
 * here (the owner drives the client), nobody reads the pair, and under a backlog each PUBACK
 * costs a write() that fails because the pair is full. The write ends of socket pairs created
 * on a thread between mqtt_wakeup_capture_begin() and mqtt_wakeup_capture_end() (around
 * mosquitto_new()) are remembered, and one-byte writes to them return at once. close()
 * forgets a descriptor.
 */

/// Remembers the socket pairs this thread creates until mqtt_wakeup_capture_end().
void mqtt_wakeup_capture_begin(void);

void mqtt_wakeup_capture_end(void);

/// Wake-up bytes not written since the process started (all clients; for tests and metrics).
uint64_t mqtt_wakeup_writes_skipped(void);

#endif
