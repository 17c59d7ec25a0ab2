// Page tables warmed for a fork server's runs (lab_warm.c): the lessons'
// --explore and racelab-watch's fork server (librlwatch.so) share it.
#ifndef RACELAB_LAB_WARM_H
#define RACELAB_LAB_WARM_H

#include <stddef.h>
#include <stdint.h>

/* Before the first fork: the code mappings holding one of the n
 * addresses in hot keep the entries the process has for them, copied
 * by every fork from then on; of the other code mappings, only the
 * pages of their destructors are kept. */
void lab_warm_code(const uintptr_t *hot, size_t n);

#endif
