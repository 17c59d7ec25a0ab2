// librlwatch.so: names for addresses, for the trace, a deadlock's
// description and the board.  From the program's debug info (sym.h, on
// libdw: "forks[1]", "race.c:12"), else from the symbol tables the
// dynamic linker has (dladdr), else an address relative to its file.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rlw_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sym.h"

/* One session per process (sym.h starts over in a forked child). */
static struct sym *
syms(void)
{
	static struct sym *s;
	static bool tried;

	if (!tried) {
		tried = true;
		s = sym_open_self();
	}
	return s;
}

static const char *
base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "?";
}

void
rlw_data_name(uintptr_t addr, char *buf, size_t n)
{
	Dl_info d;

	rlw_inside++;
	/* A .c program's output is a write of its stream (rlw_hooks.c):
	 * "write stdout", as the program names it, not the C library's
	 * inside ("_IO_2_1_stdout_.file._flags"). */
	if (addr && (addr == (uintptr_t)stdout || addr == (uintptr_t)stderr ||
	             addr == (uintptr_t)stdin)) {
		snprintf(buf, n, "%s", addr == (uintptr_t)stdout ? "stdout"
		                       : addr == (uintptr_t)stderr ? "stderr" : "stdin");
	} else if (addr && syms() && sym_data(syms(), addr, buf, n)) {
		/* named from the debug info */
	} else if (addr && dladdr((void *)addr, &d) && d.dli_sname && d.dli_saddr) {
		uintptr_t off = addr - (uintptr_t)d.dli_saddr;

		if (off)
			snprintf(buf, n, "%s+%lu", d.dli_sname, (unsigned long)off);
		else
			snprintf(buf, n, "%s", d.dli_sname);
	} else {
		snprintf(buf, n, "%#lx", (unsigned long)addr);
	}
	rlw_inside--;
}

void
rlw_code_func(uintptr_t pc, char *buf, size_t n)
{
	Dl_info d;

	buf[0] = '\0';
	if (!pc)
		return;
	rlw_inside++;
	if (syms() && sym_func(syms(), pc, buf, n)) {
		/* named from the debug info */
	} else if (dladdr((void *)pc, &d) && d.dli_sname)
		snprintf(buf, n, "%s", d.dli_sname);
	rlw_inside--;
}

void
rlw_code_line(uintptr_t pc, char *buf, size_t n)
{
	Dl_info d;

	buf[0] = '\0';
	if (!pc)
		return;
	rlw_inside++;
	{
		char file[512];
		unsigned line;

		if (syms() && sym_line(syms(), pc - 1, file, sizeof file, &line)) {
			snprintf(buf, n, "%s:%u", base(file), line);
			rlw_inside--;
			return;
		}
	}
	if (dladdr((void *)(pc - 1), &d)) {
		if (d.dli_sname)
			snprintf(buf, n, "%s+%#lx", d.dli_sname,
			         (unsigned long)(pc - (uintptr_t)d.dli_saddr));
		else
			snprintf(buf, n, "%s+%#lx", base(d.dli_fname),
			         (unsigned long)(pc - (uintptr_t)d.dli_fbase));
	}
	rlw_inside--;
}

bool
rlw_code_file(uintptr_t pc, char *file, size_t n, unsigned *line)
{
	bool ok;

	if (!pc)
		return false;
	rlw_inside++;
	ok = syms() && sym_line(syms(), pc - 1, file, n, line);
	rlw_inside--;
	return ok;
}

/* The C library's variables that the program holds (stdout, optind:
 * sym_lib_vars), found once per process image: before the runs (a fork
 * server's children inherit them) or at the first question.  The
 * finder's pid marks the search under way: a child forked meanwhile
 * (pid not its own) searches again itself. */
enum { LIBVARS_MAX = 64 };
static uintptr_t libvars[LIBVARS_MAX][2];
static size_t nlibvars;
static _Atomic int libvars_by; /* 0: not yet; a pid: searching; -1: found */

static void
libvars_find(void)
{
	int me = getpid(), by = atomic_load(&libvars_by);

	while (by != -1) {
		if ((by == 0 || by != me) && atomic_compare_exchange_weak(&libvars_by, &by, me)) {
			rlw_inside++;
			nlibvars = sym_lib_vars(libvars, LIBVARS_MAX);
			rlw_inside--;
			atomic_store_explicit(&libvars_by, -1, memory_order_release);
			return;
		}
		by = atomic_load_explicit(&libvars_by, memory_order_acquire);
	}
}

bool
rlw_lib_var(uintptr_t addr)
{
	if (atomic_load_explicit(&libvars_by, memory_order_acquire) != -1)
		libvars_find();
	for (size_t i = 0; i < nlibvars; i++)
		if (addr >= libvars[i][0] && addr < libvars[i][1])
			return true;
	return false;
}

void
rlw_names_warm(void)
{
	rlw_inside++;
	syms();
	libvars_find();
	rlw_inside--;
}
