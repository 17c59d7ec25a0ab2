// The inside of librlwatch.so: what its parts share (not installed).
#ifndef RACELAB_RLW_LIB_H
#define RACELAB_RLW_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rlw.h"

#define RLW_API __attribute__((visibility("default")))

/* The libc function behind a hook (real_NAME, a pointer the hook
 * declares), looked up on first use with dlsym(RTLD_NEXT).  Each use also
 * leaves an entry in section rlw_real, so that the fork server looks them
 * all up before its first fork (rlw_real_warm): in a forked run each
 * lookup walked the symbol tables of every library loaded (libdw's among
 * them), page faults in each run's fresh page tables, a sixth of a short
 * run. */
struct rlw_real {
	const char *name;
	void **fn;
};
#define REAL(name)                                                             \
	(*({                                                                   \
		static struct rlw_real rlw_real_##name                         \
			__attribute__((section("rlw_real"), used)) =           \
			{ #name, (void **)&real_##name };                      \
		if (!real_##name)                                              \
			real_##name = (__typeof__(real_##name))dlsym(RTLD_NEXT, #name); \
		real_##name;                                                   \
	}))
void rlw_real_warm(void);

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
void rlw_created(int no, bool alone, uintptr_t pc);
/* The model's record of an object (made on first sight). */
struct rlw_obj *rlw_obj(uintptr_t addr, enum rlw_obj_kind kind);
/* pthread_*_init and _destroy of the object at addr, before the real
 * call: the run ends as a misuse if it is held or waited for; true
 * when the model should follow the real object after the call. */
void rlw_obj_check(uintptr_t addr, enum rlw_obj_kind kind, bool destroy, uintptr_t pc);
/* After an init or destroy: the model's record made again from the
 * real object. */
void rlw_obj_renew(uintptr_t addr, enum rlw_obj_kind kind);
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
/* Is addr a variable of the C library's (or another shared library's)
 * that the program holds, stdout or optind?  A .c program's read of one
 * is no scheduling point (rlw_tsan.c). */
bool rlw_lib_var(uintptr_t addr);
/* Open the debug info now (a fork server, before its runs). */
void rlw_names_warm(void);
/* The full path of pc's source file and its line (the board's). */
bool rlw_code_file(uintptr_t pc, char *file, size_t n, unsigned *line);
/* Publication on the shell's board (rlw_board.c); no-ops without one.
 * Lock indexes are the board's (-1: none). */
#include "../board/board.h"
void rlw_board_init(void);
bool rlw_board_on(void);
void rlw_board_actor(int no);
void rlw_board_op(int no, const char *text, uintptr_t pc);
void rlw_board_gate(int no);
void rlw_board_alone(bool alone);
void rlw_board_done(int no, int status);
void rlw_board_parked(int no, bool on);
int rlw_board_lock_index(uintptr_t addr, enum board_lock_kind kind);
void rlw_board_wait(int no, int idx, int mutex_idx, bool timed);
void rlw_board_waited(int no, int idx, bool got);
void rlw_board_taken(int no, int idx);
void rlw_board_released(int no, int idx);
void rlw_board_signal(int idx, bool all);
void rlw_board_woken(int idx);
void rlw_board_sem_value(int idx, uintptr_t addr);
void rlw_board_sem_post(int idx);
void rlw_board_rw_wait(int no, int idx, uint32_t how, bool timed);
void rlw_board_rw_taken(int no, int idx, uint32_t how, bool waited);
void rlw_board_rw_released(int no, int idx);
bool rlw_board_barrier_arrive(int no, int idx, uintptr_t addr);
void rlw_board_barrier_left(int no, int idx, bool last);
void rlw_board_owner_died(int idx);
void rlw_board_reaped(pid_t pid, int wst);
/* Publish worker no's pending operation on the board. */
void rlw_publish(int no);
/* A free run under the shell: the point published, and in the shell's
 * step mode a stop at the worker's gate. */
void rlw_free_born(void);  /* a free run's worker starts */
void rlw_free_ended(void); /* ... and ends */
void rlw_free_point(enum rlw_op op, uintptr_t obj, uintptr_t obj2, int64_t arg,
                    uintptr_t pc);

#endif
