// librlwatch.so: the hooks a .c program compiled with -fsanitize=thread
// calls (GCC and Clang emit a call before every load and store of memory
// that may be shared, and for every atomic operation), linked here in
// place of the ThreadSanitizer runtime.  Each access outside the thread's
// own stack is a scheduling point, so a plain "counter = v + 1" can be
// interleaved between its read and its write.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rlw_lib.h"

#include <stdint.h>

#define PC ((uintptr_t)__builtin_return_address(0))

/* A read of the C library's variable that the program holds (the stdout
 * of fprintf(stdout, ...), optind) is no point: the library sets it
 * (before main, in getopt: no point either), so no order of the read
 * against the other workers' steps changes what it reads, and a step
 * there would be one in code the learner did not write as sharing.  A
 * write of the program's own to one (stdout = f) stays a point; a read
 * after it belongs to the step before it. */
static inline bool
lib_read(enum rlw_op op, uintptr_t a)
{
	return op == RLW_OP_READ && rlw_lib_var(a);
}

static inline void
mem_point_n(void *addr, enum rlw_op op, uintptr_t pc, unsigned size)
{
	uintptr_t a = (uintptr_t)addr;

	if (a >= rlw_stack_lo && a < rlw_stack_hi)
		return;
	if (rlw_active()) {
		if (rlw_reg->nlive > 1 && !lib_read(op, a))
			rlw_point(op, a, 0, size, pc);
	} else if (rlw_reg && rlw_reg->mode == RLW_FREE && !rlw_inside && rlw_me > 0 &&
	           !rlw_exiting && rlw_board_on() && !lib_read(op, a)) {
		rlw_free_point(op, a, 0, 0, pc);
	}
}

#define mem_point(p, op, pc) mem_point_n((p), (op), (pc), 8)

RLW_API void __tsan_init(void);
void __tsan_init(void) { rlw_tsan = true; }
RLW_API void __tsan_func_entry(void *pc);
void __tsan_func_entry(void *pc) { (void)pc; }
RLW_API void __tsan_func_exit(void);
void __tsan_func_exit(void) {}
RLW_API void __tsan_vptr_update(void **p, void *v);
void __tsan_vptr_update(void **p, void *v) { (void)v; mem_point(p, RLW_OP_WRITE, PC); }
RLW_API void __tsan_vptr_read(void **p);
void __tsan_vptr_read(void **p) { mem_point(p, RLW_OP_READ, PC); }
RLW_API void __tsan_read_range(void *p, unsigned long n);
void __tsan_read_range(void *p, unsigned long n) { mem_point_n(p, RLW_OP_READ, PC, (unsigned)n); }
RLW_API void __tsan_write_range(void *p, unsigned long n);
void __tsan_write_range(void *p, unsigned long n) { mem_point_n(p, RLW_OP_WRITE, PC, (unsigned)n); }

#define RW(n)                                                                   \
	RLW_API void __tsan_read##n(void *p);                                  \
	void __tsan_read##n(void *p) { mem_point_n(p, RLW_OP_READ, PC, n); }           \
	RLW_API void __tsan_write##n(void *p);                                 \
	void __tsan_write##n(void *p) { mem_point_n(p, RLW_OP_WRITE, PC, n); }         \
	RLW_API void __tsan_unaligned_read##n(void *p);                        \
	void __tsan_unaligned_read##n(void *p) { mem_point_n(p, RLW_OP_READ, PC, n); } \
	RLW_API void __tsan_unaligned_write##n(void *p);                       \
	void __tsan_unaligned_write##n(void *p) { mem_point_n(p, RLW_OP_WRITE, PC, n); } \
	RLW_API void __tsan_volatile_read##n(void *p);                         \
	void __tsan_volatile_read##n(void *p) { mem_point_n(p, RLW_OP_READ, PC, n); }  \
	RLW_API void __tsan_volatile_write##n(void *p);                        \
	void __tsan_volatile_write##n(void *p) { mem_point_n(p, RLW_OP_WRITE, PC, n); }
RW(1)
RW(2)
RW(4)
RW(8)
RW(16)

/* Atomics: the point, then the operation itself (sequentially
 * consistent whatever was asked: one thread runs at a time anyway). */
#define SC __ATOMIC_SEQ_CST
#define ATOMICS(n, T)                                                           \
	RLW_API T __tsan_atomic##n##_load(const volatile T *a, int mo);        \
	T __tsan_atomic##n##_load(const volatile T *a, int mo)                 \
	{ (void)mo; mem_point_n((void *)a, RLW_OP_ATOMIC, PC, n / 8); return __atomic_load_n(a, SC); } \
	RLW_API void __tsan_atomic##n##_store(volatile T *a, T v, int mo);     \
	void __tsan_atomic##n##_store(volatile T *a, T v, int mo)              \
	{ (void)mo; mem_point_n((void *)a, RLW_OP_ATOMIC, PC, n / 8); __atomic_store_n(a, v, SC); } \
	RLW_API T __tsan_atomic##n##_exchange(volatile T *a, T v, int mo);     \
	T __tsan_atomic##n##_exchange(volatile T *a, T v, int mo)              \
	{ (void)mo; mem_point_n((void *)a, RLW_OP_ATOMIC, PC, n / 8); return __atomic_exchange_n(a, v, SC); } \
	RMW(n, T, fetch_add) RMW(n, T, fetch_sub) RMW(n, T, fetch_and)          \
	RMW(n, T, fetch_or) RMW(n, T, fetch_xor) RMW(n, T, fetch_nand)          \
	RLW_API int __tsan_atomic##n##_compare_exchange_strong(volatile T *a, T *c, T v, int mo, int fmo); \
	int __tsan_atomic##n##_compare_exchange_strong(volatile T *a, T *c, T v, int mo, int fmo) \
	{ (void)mo; (void)fmo; mem_point_n((void *)a, RLW_OP_ATOMIC, PC, n / 8);            \
	  return __atomic_compare_exchange_n(a, c, v, 0, SC, SC); }             \
	RLW_API int __tsan_atomic##n##_compare_exchange_weak(volatile T *a, T *c, T v, int mo, int fmo); \
	int __tsan_atomic##n##_compare_exchange_weak(volatile T *a, T *c, T v, int mo, int fmo) \
	{ (void)mo; (void)fmo; mem_point_n((void *)a, RLW_OP_ATOMIC, PC, n / 8);            \
	  return __atomic_compare_exchange_n(a, c, v, 0, SC, SC); }             \
	RLW_API T __tsan_atomic##n##_compare_exchange_val(volatile T *a, T c, T v, int mo, int fmo); \
	T __tsan_atomic##n##_compare_exchange_val(volatile T *a, T c, T v, int mo, int fmo) \
	{ (void)mo; (void)fmo; mem_point_n((void *)a, RLW_OP_ATOMIC, PC, n / 8);            \
	  __atomic_compare_exchange_n(a, &c, v, 0, SC, SC); return c; }
#define RMW(n, T, op)                                                           \
	RLW_API T __tsan_atomic##n##_##op(volatile T *a, T v, int mo);         \
	T __tsan_atomic##n##_##op(volatile T *a, T v, int mo)                  \
	{ (void)mo; mem_point_n((void *)a, RLW_OP_ATOMIC, PC, n / 8); return __atomic_##op(a, v, SC); }
ATOMICS(8, uint8_t)
ATOMICS(16, uint16_t)
ATOMICS(32, uint32_t)
ATOMICS(64, uint64_t)
ATOMICS(128, unsigned __int128)

RLW_API void __tsan_atomic_thread_fence(int mo);
void __tsan_atomic_thread_fence(int mo) { (void)mo; __atomic_thread_fence(SC); }
RLW_API void __tsan_atomic_signal_fence(int mo);
void __tsan_atomic_signal_fence(int mo) { (void)mo; __atomic_signal_fence(SC); }
