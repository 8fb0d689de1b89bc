#ifndef VITALGATE_CMALLOC_SHIM_H
#define VITALGATE_CMALLOC_SHIM_H
#include <malloc.h>

/* glibc's malloc_trim and mallopt are declared in <malloc.h>, which Swift's Glibc module does
 * not import. */

/* Returns whole free pages of every malloc arena to the kernel; 1 if memory was released. */
static inline int vg_malloc_trim(void) {
    return malloc_trim(0);
}

/* Fixes glibc's mmap and trim thresholds (bytes), which turns off their dynamic adjustment.
 * Returns 1 when both were set. */
static inline int vg_malloc_fix_thresholds(int mmap_threshold, int trim_threshold) {
    return mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, trim_threshold) == 1;
}
#endif
