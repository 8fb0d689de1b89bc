#include <sqlite3.h>

/* Turns off SQLite's memory statistics (sqlite3_config is variadic, which Swift cannot call).
 * Debian's build keeps them on: every allocation then takes a global mutex to update counters
 * that nothing here reads. Effective only before SQLite initialises (the first open); returns
 * SQLITE_MISUSE after that, which changes nothing. */
static inline int vg_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
