// librlwatch.so: names for addresses, for the trace, a deadlock's
// description and the board.  From the symbol tables the dynamic linker
// has (dladdr): a .c program is linked with -rdynamic, so its globals
// and functions are there; an executable's may not be, then it is an
// address relative to its file.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rlw_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

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
	if (addr && dladdr((void *)addr, &d) && d.dli_sname && d.dli_saddr) {
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
	if (dladdr((void *)pc, &d) && d.dli_sname)
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
