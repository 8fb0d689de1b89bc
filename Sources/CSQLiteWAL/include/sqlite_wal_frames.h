#ifndef VITALGATE_SQLITE_WAL_FRAMES_H
#define VITALGATE_SQLITE_WAL_FRAMES_H

/*
 * A VFS shim that writes each write-ahead-log frame in one system call.
 *
 * SQLite writes a WAL frame as two pwrite() calls: its 24-byte header, then the page right
 * after it. With 4 KiB pages that is two system calls per 4 KiB, and since frames are 4120
 * bytes the header lands in the same page-cache page as the end of the previous frame's page,
 * so the kernel's write path runs three times per frame instead of two. This VFS, registered
 * as the process default on top of the previous default ("unix"), holds a 24-byte write to a
 * WAL file and sends it together with the write that continues it (always the frame's page,
 * which SQLite writes next). Any other call on that file (read, sync, size, truncate, lock,
 * shared memory, close) or a non-adjoining write sends a held header first, so nothing SQLite
 * or another connection can observe changes: a frame only counts once the wal-index names it,
 * which SQLite updates after writing all of a transaction's frames. Other files pass through.
 */

/// Registers the shim as the default VFS, once per process (later calls do nothing).
/// Returns SQLITE_OK, or SQLite's error code if there is no default VFS to wrap.
int vg_sqlite_wal_frames_register(void);

/// WAL writes sent as one combined call since the process started (for tests).
unsigned long long vg_sqlite_wal_frames_combined(void);

#endif
