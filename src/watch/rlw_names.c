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
	if (addr && syms() && sym_data(syms(), addr, buf, n)) {
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

void
rlw_names_warm(void)
{
	rlw_inside++;
	syms();
	rlw_inside--;
}
