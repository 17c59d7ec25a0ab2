// Page tables warmed for a fork server's runs (lab_warm.c): the lessons'
// --explore and racelab-watch's fork server (librlwatch.so) share it.
#ifndef RACELAB_LAB_WARM_H
#define RACELAB_LAB_WARM_H

#include <link.h>
#include <stddef.h>
#include <stdint.h>

/* Before the first fork: the code mappings holding one of the n
 * addresses in hot keep the entries the process has for them, copied
 * by every fork from then on; of the other code mappings, only the
 * pages of their destructors are kept. */
void lab_warm_code(const uintptr_t *hot, size_t n);

/* Before the first fork: nsmall threads on stacks of small bytes and
 * ndefault on default ones, made at once and joined, leave their stacks
 * in glibc's cache, which every forked run starts with: a run's
 * pthread_create takes one (no mmap and mprotect of a new stack, no
 * mapping to undo at its exit).  At most 16 in all. */
void lab_warm_stacks(int nsmall, size_t small, int ndefault);

/* The destructors of one loaded object, from its dynamic section: its
 * DT_FINI (0 if none) and its DT_FINI_ARRAY (*narr entries, NULL if
 * none).  For dl_iterate_phdr callbacks. */
void lab_obj_fini(const struct dl_phdr_info *info, uintptr_t *fini,
                  const uintptr_t **arr, size_t *narr);

#endif
