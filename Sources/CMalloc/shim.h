#include <malloc.h>

/* glibc's malloc tuning: M_ARENA_MAX is a macro, mallopt is not imported by Swift's Glibc
 * module. Caps the number of malloc arenas (glibc's default is 8 per core, one per thread that
 * allocates while another holds an arena). Call before threads start; returns 1 on success. */
static inline int vg_limit_malloc_arenas(int arenas) {
    return mallopt(M_ARENA_MAX, arenas);
}
