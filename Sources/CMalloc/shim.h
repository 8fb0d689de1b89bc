#ifndef VITALGATE_CMALLOC_SHIM_H
#define VITALGATE_CMALLOC_SHIM_H
#include <malloc.h>

/* glibc's malloc_trim is declared in <malloc.h>, which Swift's Glibc module does not import.
 * Returns whole free pages of every malloc arena to the kernel; 1 if memory was released. */
static inline int vg_malloc_trim(void) {
    return malloc_trim(0);
}
#endif
