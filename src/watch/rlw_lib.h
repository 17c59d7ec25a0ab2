// The inside of librlwatch.so: what its parts share (not installed).
#ifndef RACELAB_RLW_LIB_H
#define RACELAB_RLW_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rlw.h"

#define RLW_API __attribute__((visibility("default")))

extern struct rlw_region *rlw_reg;   /* NULL: not watched (run as is) */
extern _Thread_local int rlw_me;     /* this thread's worker number */
extern _Thread_local int rlw_inside; /* in the library: pass through */
extern _Thread_local uintptr_t rlw_stack_lo, rlw_stack_hi;
extern bool rlw_exiting;             /* this process is on its way out */
extern bool rlw_tsan;                /* a .c program: __tsan_init ran */

/* Is the scheduler in charge of this call (a scheduled run, not nested
 * in the library, the thread known)? */
static inline bool
rlw_active(void)
{
	return rlw_reg && rlw_reg->mode != RLW_FREE && !rlw_inside && rlw_me > 0 &&
	       !rlw_exiting;
}

/* A scheduling point: the worker's next operation is op on obj; returns
 * once it has been granted (its effect on the model made). */
void rlw_point(enum rlw_op op, uintptr_t obj, uintptr_t obj2, int64_t arg,
               uintptr_t pc);
/* This worker is gone (its exit op granted): hand the baton on. */
void rlw_leave(void);
/* Run new worker no up to its first point, now (.c programs). */
void rlw_first_stretch(int no);
/* The model's record of an object (made on first sight). */
struct rlw_obj *rlw_obj(uintptr_t addr, enum rlw_obj_kind kind);
/* Wait for this thread's baton (a new thread, a forked child). */
void rlw_wait_baton(void);
/* Set up this thread's stack bounds (a .c program's accesses to its own
 * stack are not scheduling points). */
void rlw_thread_init(void);
/* The region, mapped before main; the fork server, if asked for. */
void rlw_start(void);
/* A name for an address ("big_lock", "forks+16", "0x7f..."), and a
 * source position for a code address ("race.c:12"). */
void rlw_data_name(uintptr_t addr, char *buf, size_t n);
void rlw_code_line(uintptr_t pc, char *buf, size_t n);
void rlw_code_func(uintptr_t pc, char *buf, size_t n);
/* The full path of pc's source file and its line (the board's). */
bool rlw_code_file(uintptr_t pc, char *file, size_t n, unsigned *line);
/* Publication on the shell's board (rlw_board.c); no-ops without one. */
void rlw_board_init(void);
void rlw_board_actor(int no);
void rlw_board_op(int no);
void rlw_board_gate(int no);
void rlw_board_done(int no, int status);
void rlw_board_lock(struct rlw_obj *o, int no, enum rlw_op op, bool acquired);

#endif
