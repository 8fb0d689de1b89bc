#include "sqlite_wal_frames.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <string.h>

/* The WAL frame header (walWriteOneFrame in SQLite's wal.c): WAL_FRAME_HDRSIZE. */
#define FRAME_HEADER_SIZE 24

typedef struct {
    sqlite3_file base;           /* pMethods: frames_io (or NULL if the open failed) */
    sqlite3_file *real;          /* the wrapped VFS's file, allocated right after this struct */
    int is_wal;
    int held;                    /* a header is waiting in `header` */
    sqlite3_int64 held_offset;
    unsigned char header[FRAME_HEADER_SIZE];
    unsigned char *scratch;      /* header + page, for the combined write */
    int scratch_size;
} FramesFile;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs frames_vfs;
static _Atomic unsigned long long combined_writes;

static sqlite3_file *real_file(sqlite3_file *file) { return ((FramesFile *)file)->real; }

/* Sends a held header on its own. */
static int send_held(FramesFile *file) {
    if (!file->held) return SQLITE_OK;
    file->held = 0;
    return file->real->pMethods->xWrite(file->real, file->header, FRAME_HEADER_SIZE, file->held_offset);
}

static int frames_close(sqlite3_file *f) {
    FramesFile *file = (FramesFile *)f;
    int rc = send_held(file);
    int close_rc = file->real->pMethods->xClose(file->real);
    sqlite3_free(file->scratch);
    file->scratch = NULL;
    return rc != SQLITE_OK ? rc : close_rc;
}

static int frames_write(sqlite3_file *f, const void *data, int amount, sqlite3_int64 offset) {
    FramesFile *file = (FramesFile *)f;
    if (!file->is_wal) return file->real->pMethods->xWrite(file->real, data, amount, offset);
    if (file->held && offset == file->held_offset + FRAME_HEADER_SIZE) {
        int total = FRAME_HEADER_SIZE + amount;
        if (file->scratch_size < total) {
            unsigned char *grown = sqlite3_realloc(file->scratch, total);
            if (grown == NULL) {
                int rc = send_held(file);  /* no memory: two writes, as SQLite would do */
                return rc != SQLITE_OK ? rc : file->real->pMethods->xWrite(file->real, data, amount, offset);
            }
            file->scratch = grown;
            file->scratch_size = total;
        }
        memcpy(file->scratch, file->header, FRAME_HEADER_SIZE);
        memcpy(file->scratch + FRAME_HEADER_SIZE, data, (size_t)amount);
        file->held = 0;
        atomic_fetch_add_explicit(&combined_writes, 1, memory_order_relaxed);
        return file->real->pMethods->xWrite(file->real, file->scratch, total, file->held_offset);
    }
    int rc = send_held(file);
    if (rc != SQLITE_OK) return rc;
    if (amount == FRAME_HEADER_SIZE) {
        memcpy(file->header, data, FRAME_HEADER_SIZE);
        file->held_offset = offset;
        file->held = 1;
        return SQLITE_OK;
    }
    return file->real->pMethods->xWrite(file->real, data, amount, offset);
}

/* Every other method sends a held header first, then forwards. */
#define SEND_HELD_OR_RETURN(f)                                 \
    do {                                                       \
        int held_rc = send_held((FramesFile *)(f));            \
        if (held_rc != SQLITE_OK) return held_rc;              \
    } while (0)

static int frames_read(sqlite3_file *f, void *data, int amount, sqlite3_int64 offset) {
    SEND_HELD_OR_RETURN(f);
    return real_file(f)->pMethods->xRead(real_file(f), data, amount, offset);
}

static int frames_truncate(sqlite3_file *f, sqlite3_int64 size) {
    SEND_HELD_OR_RETURN(f);
    return real_file(f)->pMethods->xTruncate(real_file(f), size);
}

static int frames_sync(sqlite3_file *f, int flags) {
    SEND_HELD_OR_RETURN(f);
    return real_file(f)->pMethods->xSync(real_file(f), flags);
}

static int frames_file_size(sqlite3_file *f, sqlite3_int64 *size) {
    SEND_HELD_OR_RETURN(f);
    return real_file(f)->pMethods->xFileSize(real_file(f), size);
}

static int frames_lock(sqlite3_file *f, int level) {
    SEND_HELD_OR_RETURN(f);
    return real_file(f)->pMethods->xLock(real_file(f), level);
}

static int frames_unlock(sqlite3_file *f, int level) {
    SEND_HELD_OR_RETURN(f);
    return real_file(f)->pMethods->xUnlock(real_file(f), level);
}

static int frames_check_reserved_lock(sqlite3_file *f, int *out) {
    SEND_HELD_OR_RETURN(f);
    return real_file(f)->pMethods->xCheckReservedLock(real_file(f), out);
}

static int frames_file_control(sqlite3_file *f, int op, void *arg) {
    SEND_HELD_OR_RETURN(f);
    return real_file(f)->pMethods->xFileControl(real_file(f), op, arg);
}

static int frames_sector_size(sqlite3_file *f) { return real_file(f)->pMethods->xSectorSize(real_file(f)); }

static int frames_device_characteristics(sqlite3_file *f) {
    return real_file(f)->pMethods->xDeviceCharacteristics(real_file(f));
}

static int frames_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out) {
    SEND_HELD_OR_RETURN(f);
    return real_file(f)->pMethods->xShmMap(real_file(f), region, size, extend, out);
}

static int frames_shm_lock(sqlite3_file *f, int offset, int n, int flags) {
    SEND_HELD_OR_RETURN(f);
    return real_file(f)->pMethods->xShmLock(real_file(f), offset, n, flags);
}

static void frames_shm_barrier(sqlite3_file *f) {
    (void)send_held((FramesFile *)f);  /* cannot report an error; a failed write shows at the next call */
    real_file(f)->pMethods->xShmBarrier(real_file(f));
}

static int frames_shm_unmap(sqlite3_file *f, int delete_flag) {
    SEND_HELD_OR_RETURN(f);
    return real_file(f)->pMethods->xShmUnmap(real_file(f), delete_flag);
}

static int frames_fetch(sqlite3_file *f, sqlite3_int64 offset, int amount, void **out) {
    SEND_HELD_OR_RETURN(f);
    return real_file(f)->pMethods->xFetch(real_file(f), offset, amount, out);
}

static int frames_unfetch(sqlite3_file *f, sqlite3_int64 offset, void *page) {
    SEND_HELD_OR_RETURN(f);
    return real_file(f)->pMethods->xUnfetch(real_file(f), offset, page);
}

static const sqlite3_io_methods frames_io = {
    3,
    frames_close, frames_read, frames_write, frames_truncate, frames_sync, frames_file_size,
    frames_lock, frames_unlock, frames_check_reserved_lock, frames_file_control, frames_sector_size,
    frames_device_characteristics,
    frames_shm_map, frames_shm_lock, frames_shm_barrier, frames_shm_unmap,
    frames_fetch, frames_unfetch,
};

static int frames_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags) {
    (void)vfs;
    FramesFile *file = (FramesFile *)f;
    memset(file, 0, sizeof *file);
    file->real = (sqlite3_file *)(file + 1);
    int rc = real_vfs->xOpen(real_vfs, name, file->real, flags, out_flags);
    if (rc != SQLITE_OK || file->real->pMethods == NULL) {
        file->base.pMethods = NULL;  /* SQLite then does not call xClose */
        return rc;
    }
    /* The shim forwards version-3 file methods (the unix VFS's); a file with older ones is refused. */
    if (file->real->pMethods->iVersion < 3) {
        file->base.pMethods = NULL;
        file->real->pMethods->xClose(file->real);
        return SQLITE_CANTOPEN;
    }
    file->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
    file->base.pMethods = &frames_io;
    return SQLITE_OK;
}

/* The rest of the VFS is the wrapped one's. */
static int frames_delete(sqlite3_vfs *v, const char *name, int sync_dir) {
    (void)v;
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}
static int frames_access(sqlite3_vfs *v, const char *name, int flags, int *out) {
    (void)v;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}
static int frames_full_pathname(sqlite3_vfs *v, const char *name, int size, char *out) {
    (void)v;
    return real_vfs->xFullPathname(real_vfs, name, size, out);
}
static void *frames_dl_open(sqlite3_vfs *v, const char *name) {
    (void)v;
    return real_vfs->xDlOpen(real_vfs, name);
}
static void frames_dl_error(sqlite3_vfs *v, int size, char *out) {
    (void)v;
    real_vfs->xDlError(real_vfs, size, out);
}
static void (*frames_dl_sym(sqlite3_vfs *v, void *handle, const char *symbol))(void) {
    (void)v;
    return real_vfs->xDlSym(real_vfs, handle, symbol);
}
static void frames_dl_close(sqlite3_vfs *v, void *handle) {
    (void)v;
    real_vfs->xDlClose(real_vfs, handle);
}
static int frames_randomness(sqlite3_vfs *v, int size, char *out) {
    (void)v;
    return real_vfs->xRandomness(real_vfs, size, out);
}
static int frames_sleep(sqlite3_vfs *v, int microseconds) {
    (void)v;
    return real_vfs->xSleep(real_vfs, microseconds);
}
static int frames_current_time(sqlite3_vfs *v, double *out) {
    (void)v;
    return real_vfs->xCurrentTime(real_vfs, out);
}
static int frames_get_last_error(sqlite3_vfs *v, int size, char *out) {
    (void)v;
    return real_vfs->xGetLastError(real_vfs, size, out);
}
static int frames_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out) {
    (void)v;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}
static int frames_set_system_call(sqlite3_vfs *v, const char *name, sqlite3_syscall_ptr call) {
    (void)v;
    return real_vfs->xSetSystemCall(real_vfs, name, call);
}
static sqlite3_syscall_ptr frames_get_system_call(sqlite3_vfs *v, const char *name) {
    (void)v;
    return real_vfs->xGetSystemCall(real_vfs, name);
}
static const char *frames_next_system_call(sqlite3_vfs *v, const char *name) {
    (void)v;
    return real_vfs->xNextSystemCall(real_vfs, name);
}

static pthread_once_t register_once = PTHREAD_ONCE_INIT;
static int register_result = SQLITE_ERROR;

static void register_frames_vfs(void) {
    real_vfs = sqlite3_vfs_find(NULL);
    if (real_vfs == NULL || real_vfs->iVersion < 3) {
        register_result = real_vfs == NULL ? SQLITE_ERROR : SQLITE_OK;  /* an old VFS: leave it alone */
        return;
    }
    frames_vfs = (sqlite3_vfs){
        .iVersion = 3,
        .szOsFile = (int)sizeof(FramesFile) + real_vfs->szOsFile,
        .mxPathname = real_vfs->mxPathname,
        .zName = "vitalgate-wal-frames",
        .xOpen = frames_open,
        .xDelete = frames_delete,
        .xAccess = frames_access,
        .xFullPathname = frames_full_pathname,
        .xDlOpen = frames_dl_open,
        .xDlError = frames_dl_error,
        .xDlSym = frames_dl_sym,
        .xDlClose = frames_dl_close,
        .xRandomness = frames_randomness,
        .xSleep = frames_sleep,
        .xCurrentTime = frames_current_time,
        .xGetLastError = frames_get_last_error,
        .xCurrentTimeInt64 = frames_current_time_int64,
        .xSetSystemCall = frames_set_system_call,
        .xGetSystemCall = frames_get_system_call,
        .xNextSystemCall = frames_next_system_call,
    };
    register_result = sqlite3_vfs_register(&frames_vfs, 1);
}

int vg_sqlite_wal_frames_register(void) {
    pthread_once(&register_once, register_frames_vfs);
    return register_result;
}

unsigned long long vg_sqlite_wal_frames_combined(void) {
    return atomic_load_explicit(&combined_writes, memory_order_relaxed);
}
