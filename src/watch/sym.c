// Debug-info names for a running process, on elfutils' libdwfl (see sym.h).
#include "watch/sym.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <errno.h>
#include <link.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	SYM_LINES = 1024,	// cache slots, powers of two
	SYM_FUNCS = 512,
	SYM_DATAS = 256,
	SYM_NAME = 96,		// longest cached variable name
	SYM_MODS = 64,		// modules whose variables are indexed
	SYM_DEPTH = 16,		// struct/array nesting followed by sym_data
	SYM_DIMS = 8,		// array dimensions followed
};

// Cached answers.  The strings of line and func slots are libdwfl's own
// (they live as long as the session); a data name is built, so copied.
struct sym_line_slot {
	uintptr_t pc;
	const char *file;
	unsigned line;
	bool used, ok;
};
struct sym_func_slot {
	uintptr_t pc;
	const char *name;	// NULL: pc has no function
	bool used;
};
struct sym_data_slot {
	uintptr_t addr;
	bool used, ok;
	char name[SYM_NAME];
};

// One module's variables with a fixed address (globals, statics, static
// locals), from its DWARF, sorted by runtime address.
struct sym_var {
	uintptr_t addr, size;
	Dwarf_Off die;
};
struct sym_mod {
	Dwfl_Module *mod;
	Dwarf *dw;		// NULL: the module has no DWARF
	struct sym_var *vars;
	size_t nvars, cap;
};

struct sym {
	// The holder's pid, 0 when free.  A pid rather than a flag so that a
	// child forked while one of its parent's threads held it can tell:
	// that thread does not exist in the child, and never lets go.
	atomic_int lock;
	Dwfl *dwfl;
	struct timespec refreshed;	// the last re-read of the maps
	struct sym_mod mods[SYM_MODS];
	size_t nmods;
	struct sym_line_slot lines[SYM_LINES];
	struct sym_func_slot funcs[SYM_FUNCS];
	struct sym_data_slot datas[SYM_DATAS];
};

// Separate debug files (/usr/lib/debug) are welcome; a debuginfod server is
// not: these lookups run inside the learner's program, which must not
// start fetching from the network because DEBUGINFOD_URLS is set.
static int
sym_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
		   Dwarf_Addr base, const char *file_name, const char *debuglink_file,
		   GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (urls && *urls)
		return -1;
	return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
					    debuglink_file, debuglink_crc,
					    debuginfo_file_name);
}

static const Dwfl_Callbacks sym_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = sym_find_debuginfo,
};

static int
sym_report(Dwfl *d)
{
	dwfl_report_begin(d);
	if (dwfl_linux_proc_report(d, getpid()) != 0) {
		dwfl_report_end(d, NULL, NULL);
		return -1;
	}
	return dwfl_report_end(d, NULL, NULL);
}

static Dwfl *
sym_session(void)
{
	Dwfl *d = dwfl_begin(&sym_callbacks);
	if (!d)
		return NULL;
	if (sym_report(d) != 0) {
		dwfl_end(d);
		return NULL;
	}
	return d;
}

// Forget every cached answer and index (they point into modules that a
// new report may have dropped).
static void
sym_forget(struct sym *s)
{
	for (size_t i = 0; i < s->nmods; i++)
		free(s->mods[i].vars);
	s->nmods = 0;
	memset(s->lines, 0, sizeof s->lines);
	memset(s->funcs, 0, sizeof s->funcs);
	memset(s->datas, 0, sizeof s->datas);
}

static void
sym_lock(struct sym *s)
{
	int me = getpid();
	for (;;) {
		int free_ = 0;
		if (atomic_compare_exchange_weak_explicit(&s->lock, &free_, me,
							  memory_order_acquire,
							  memory_order_relaxed))
			return;
		if (free_ != 0 && free_ != me &&
		    atomic_compare_exchange_strong_explicit(&s->lock, &free_, me,
							    memory_order_acquire,
							    memory_order_relaxed)) {
			// Taken over from the parent's thread that was inside a
			// call when the parent forked: its half-made state is
			// abandoned (leaked in this child), a fresh session starts.
			s->nmods = 0;
			sym_forget(s);
			s->dwfl = sym_session();
			return;
		}
		sched_yield();
	}
}

static void
sym_unlock(struct sym *s)
{
	atomic_store_explicit(&s->lock, 0, memory_order_release);
}

struct sym *
sym_open_self(void)
{
	struct sym *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	atomic_init(&s->lock, 0);
	s->dwfl = sym_session();
	if (!s->dwfl) {
		free(s);
		errno = ENOENT;
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &s->refreshed);
	return s;
}

void
sym_close(struct sym *s)
{
	if (!s)
		return;
	sym_forget(s);
	if (s->dwfl)
		dwfl_end(s->dwfl);
	free(s);
}

static size_t
sym_hash(uintptr_t a, size_t slots)
{
	return (size_t)(((uint64_t)a * 0x9E3779B97F4A7C15u) >> 32) & (slots - 1);
}

// The module holding addr.  A miss re-reads /proc/self/maps (a library
// dlopen()ed since), at most ten times a second: heap and stack addresses
// miss every time and must not each cost a re-read.
static Dwfl_Module *
sym_module(struct sym *s, uintptr_t addr)
{
	if (!s->dwfl)
		return NULL;
	Dwfl_Module *m = dwfl_addrmodule(s->dwfl, addr);
	if (m)
		return m;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (now.tv_sec - s->refreshed.tv_sec) * 1000 +
		  (now.tv_nsec - s->refreshed.tv_nsec) / 1000000;
	if (ms < 100)
		return NULL;
	s->refreshed = now;
	sym_forget(s);
	if (sym_report(s->dwfl) != 0)
		return NULL;
	return dwfl_addrmodule(s->dwfl, addr);
}

static void
sym_copy(char *dst, size_t n, const char *src)
{
	if (n)
		snprintf(dst, n, "%s", src);
}

// An ELF symbol's name as the program's source spells it.  The linker
// writes a symbol bound to a library's version with that version in
// .symtab ("stdout@GLIBC_2.2.5": the library's variable, copied into the
// program; "memcpy@@GLIBC_2.14"); no C name holds an '@'.
static size_t
sym_plain_len(const char *name)
{
	return strcspn(name, "@");
}

bool
sym_line(struct sym *s, uintptr_t pc, char *file, size_t n, unsigned *line)
{
	if (!s)
		return false;
	sym_lock(s);
	struct sym_line_slot *c = &s->lines[sym_hash(pc, SYM_LINES)];
	if (!c->used || c->pc != pc) {
		struct sym_line_slot fresh = { .pc = pc, .used = true };
		Dwfl_Module *m = sym_module(s, pc);	// may clear the cache
		Dwfl_Line *l = m ? dwfl_module_getsrc(m, pc) : NULL;
		int lineno = 0;
		fresh.file = l ? dwfl_lineinfo(l, NULL, &lineno, NULL, NULL, NULL) : NULL;
		fresh.line = lineno > 0 ? (unsigned)lineno : 0;
		fresh.ok = fresh.file && lineno > 0;
		*c = fresh;
	}
	bool ok = c->ok;
	if (ok) {
		sym_copy(file, n, c->file);
		if (line)
			*line = c->line;
	}
	sym_unlock(s);
	return ok;
}

// The DWARF name of the function around pc, for code the symbol table
// does not cover (a stripped .symtab with DWARF in a separate file).
static const char *
sym_dwarf_func(Dwfl_Module *m, uintptr_t pc)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(m, pc, &bias);
	if (!cu)
		return NULL;
	Dwarf_Die *scopes = NULL;
	int n = dwarf_getscopes(cu, pc - bias, &scopes);
	const char *name = NULL;
	for (int i = 0; i < n && !name; i++)
		if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram)
			name = dwarf_diename(&scopes[i]);
	free(scopes);
	return name;
}

bool
sym_func(struct sym *s, uintptr_t pc, char *name, size_t n)
{
	if (!s)
		return false;
	sym_lock(s);
	size_t h = sym_hash(pc, SYM_FUNCS);
	if (!s->funcs[h].used || s->funcs[h].pc != pc) {
		Dwfl_Module *m = sym_module(s, pc);
		const char *f = m ? dwfl_module_addrname(m, pc) : NULL;
		if (m && !f)
			f = sym_dwarf_func(m, pc);
		s->funcs[h] = (struct sym_func_slot){ .pc = pc, .name = f, .used = true };
	}
	const char *f = s->funcs[h].name;
	if (f && n)
		snprintf(name, n, "%.*s", (int)sym_plain_len(f), f);
	sym_unlock(s);
	return f != NULL;
}

// --- variables --------------------------------------------------------------

static Dwarf_Die *
sym_type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;
	if (!dwarf_attr_integrate(die, DW_AT_type, &a))
		return NULL;
	return dwarf_formref_die(&a, out);
}

// The link-time address a DW_AT_location of one DW_OP_addr (or DW_OP_addrx)
// gives: the only kind a variable with a fixed address has.
static bool
sym_fixed_addr(Dwarf_Die *die, Dwarf_Addr *addr)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t nops;
	if (!dwarf_attr(die, DW_AT_location, &a) ||
	    dwarf_getlocation(&a, &ops, &nops) != 0 || nops != 1)
		return false;
	if (ops[0].atom == DW_OP_addr) {
		*addr = ops[0].number;
		return true;
	}
	if (ops[0].atom == DW_OP_addrx || ops[0].atom == DW_OP_GNU_addr_index) {
		Dwarf_Attribute r;
		return dwarf_getlocation_attr(&a, &ops[0], &r) == 0 &&
		       dwarf_formaddr(&r, addr) == 0;
	}
	return false;
}

static void
sym_add_var(struct sym_mod *sm, Dwarf_Die *die, Dwarf_Addr bias)
{
	Dwarf_Addr a;
	Dwarf_Die type;
	Dwarf_Word size = 0;
	if (!sym_fixed_addr(die, &a) || !dwarf_diename(die))
		return;
	if (sym_type_of(die, &type))
		dwarf_aggregate_size(&type, &size);
	if (sm->nvars == sm->cap) {
		size_t cap = sm->cap ? 2 * sm->cap : 64;
		struct sym_var *v = realloc(sm->vars, cap * sizeof *v);
		if (!v)
			return;
		sm->vars = v;
		sm->cap = cap;
	}
	sm->vars[sm->nvars++] = (struct sym_var){ .addr = a + bias, .size = size,
						  .die = dwarf_dieoffset(die) };
}

// Variables among die's children: a unit's globals and statics, and the
// static locals of its functions (nested blocks included).
static void
sym_walk(struct sym_mod *sm, Dwarf_Die *parent, Dwarf_Addr bias, int depth)
{
	Dwarf_Die c;
	if (depth > SYM_DEPTH || dwarf_child(parent, &c) != 0)
		return;
	do {
		switch (dwarf_tag(&c)) {
		case DW_TAG_variable:
			sym_add_var(sm, &c, bias);
			break;
		case DW_TAG_subprogram:
		case DW_TAG_lexical_block:
		case DW_TAG_namespace:
			sym_walk(sm, &c, bias, depth + 1);
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&c, &c) == 0);
}

static int
sym_var_cmp(const void *a, const void *b)
{
	const struct sym_var *x = a, *y = b;
	return (x->addr > y->addr) - (x->addr < y->addr);
}

// The variable index of module m, built on first use.
static struct sym_mod *
sym_mod_index(struct sym *s, Dwfl_Module *m)
{
	for (size_t i = 0; i < s->nmods; i++)
		if (s->mods[i].mod == m)
			return &s->mods[i];
	if (s->nmods == SYM_MODS)
		return NULL;
	struct sym_mod *sm = &s->mods[s->nmods++];
	*sm = (struct sym_mod){ .mod = m };
	Dwarf_Addr bias;
	sm->dw = dwfl_module_getdwarf(m, &bias);
	if (!sm->dw)
		return sm;
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	uint8_t unit_type;
	while (dwarf_get_units(sm->dw, cu, &cu, NULL, &unit_type, &cudie, NULL) == 0)
		if (unit_type == DW_UT_compile || unit_type == DW_UT_partial)
			sym_walk(sm, &cudie, bias, 0);
	qsort(sm->vars, sm->nvars, sizeof *sm->vars, sym_var_cmp);
	return sm;
}

static const struct sym_var *
sym_find_var(const struct sym_mod *sm, uintptr_t addr)
{
	size_t lo = 0, hi = sm->nvars;	// the last var starting at or below addr
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sm->vars[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct sym_var *v = &sm->vars[lo - 1];
	if (addr == v->addr || addr - v->addr < v->size)
		return v;
	return NULL;
}

static Dwarf_Word
sym_count(Dwarf_Die *sub)
{
	Dwarf_Attribute a;
	Dwarf_Word w;
	if (dwarf_attr_integrate(sub, DW_AT_count, &a) && dwarf_formudata(&a, &w) == 0)
		return w;
	Dwarf_Word lo = 0;
	if (dwarf_attr_integrate(sub, DW_AT_lower_bound, &a))
		dwarf_formudata(&a, &lo);
	if (dwarf_attr_integrate(sub, DW_AT_upper_bound, &a) && dwarf_formudata(&a, &w) == 0 &&
	    w >= lo)
		return w - lo + 1;
	return 0;	// unknown: a flexible array
}

static bool
sym_member_offset(Dwarf_Die *m, Dwarf_Word *off)
{
	Dwarf_Attribute a;
	if (!dwarf_attr(m, DW_AT_data_member_location, &a)) {
		*off = 0;
		return true;
	}
	if (dwarf_formudata(&a, off) == 0)
		return true;
	Dwarf_Op *ops;	// DWARF 2's form: DW_OP_plus_uconst N
	size_t nops;
	if (dwarf_getlocation(&a, &ops, &nops) == 0 && nops == 1 &&
	    ops[0].atom == DW_OP_plus_uconst) {
		*off = ops[0].number;
		return true;
	}
	return false;
}

static void sym_append(char *buf, size_t n, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void
sym_append(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
	if (*len >= n)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf + *len, n - *len, fmt, ap);
	va_end(ap);
	if (k > 0)
		*len = *len + (size_t)k < n ? *len + (size_t)k : n;
}

// Append to buf the C path from an object of type *t to the byte at off:
// "[2]", ".lock", "[1][3].x", "+4" inside a scalar or union.
static void
sym_path(Dwarf_Die *t, Dwarf_Word off, char *buf, size_t n, size_t *len)
{
	Dwarf_Die cur = *t, next;
	for (int depth = 0; depth < SYM_DEPTH; depth++) {
		if (dwarf_peel_type(&cur, &cur) != 0)
			break;
		int tag = dwarf_tag(&cur);
		if (tag == DW_TAG_array_type) {
			Dwarf_Word esize = 0, cnt[SYM_DIMS], idx[SYM_DIMS];
			if (!sym_type_of(&cur, &next) ||
			    dwarf_aggregate_size(&next, &esize) != 0 || esize == 0)
				break;
			int nd = 0;
			Dwarf_Die sub;
			if (dwarf_child(&cur, &sub) == 0) {
				do {
					if (dwarf_tag(&sub) == DW_TAG_subrange_type && nd < SYM_DIMS)
						cnt[nd++] = sym_count(&sub);
				} while (dwarf_siblingof(&sub, &sub) == 0);
			}
			if (nd == 0)
				cnt[nd++] = 0;
			Dwarf_Word i = off / esize;
			off %= esize;
			for (int d = nd - 1; d > 0; d--) {
				Dwarf_Word c = cnt[d] ? cnt[d] : 1;
				idx[d] = i % c;
				i /= c;
			}
			idx[0] = i;
			for (int d = 0; d < nd; d++)
				sym_append(buf, n, len, "[%lu]", (unsigned long)idx[d]);
			cur = next;
			continue;
		}
		if (tag != DW_TAG_structure_type && tag != DW_TAG_class_type)
			break;	// a scalar, a pointer, or a union (a lock's inside)
		Dwarf_Die m;
		bool found = false;
		Dwarf_Word moff = 0;
		if (dwarf_child(&cur, &m) == 0) {
			do {
				Dwarf_Word msize = 0;
				if (dwarf_tag(&m) != DW_TAG_member || !sym_member_offset(&m, &moff) ||
				    !sym_type_of(&m, &next) || dwarf_aggregate_size(&next, &msize) != 0)
					continue;
				if (off >= moff && off - moff < (msize ? msize : 1)) {
					found = true;
					break;
				}
			} while (dwarf_siblingof(&m, &m) == 0);
		}
		if (!found)
			break;
		const char *mname = dwarf_diename(&m);
		if (mname)	// an anonymous struct or union adds no name
			sym_append(buf, n, len, ".%s", mname);
		off -= moff;
		cur = next;
	}
	if (off)
		sym_append(buf, n, len, "+%lu", (unsigned long)off);
}

struct sym_seek {
	uintptr_t addr;
	Dwfl_Module *found;
};

static int
sym_seek_segment(Dwfl_Module *m, void **userdata, const char *name, Dwarf_Addr start,
		 void *arg)
{
	struct sym_seek *k = arg;
	GElf_Addr bias;
	Elf *e = dwfl_module_getelf(m, &bias);
	size_t nph;

	(void)userdata, (void)name, (void)start;
	if (!e || elf_getphdrnum(e, &nph) != 0)
		return DWARF_CB_OK;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    k->addr >= ph.p_vaddr + bias && k->addr - (ph.p_vaddr + bias) < ph.p_memsz) {
			k->found = m;
			return DWARF_CB_ABORT;
		}
	}
	return DWARF_CB_OK;
}

// The module whose segments hold a data address.  A module's .bss beyond
// the last page of its file is an anonymous mapping that /proc/self/maps
// does not name, so libdwfl's ranges miss it (a zero-initialised global
// mutex lives there): the program headers tell.
static Dwfl_Module *
sym_data_module(struct sym *s, uintptr_t addr)
{
	Dwfl_Module *m = sym_module(s, addr);
	struct sym_seek k = { .addr = addr };

	if (m || !s->dwfl)
		return m;
	dwfl_getmodules(s->dwfl, sym_seek_segment, &k, 0);
	return k.found;
}

// Name addr from module m into buf: DWARF first, then the symbol table.
static bool
sym_name_data(struct sym *s, Dwfl_Module *m, uintptr_t addr, char *buf, size_t n)
{
	size_t len = 0;
	struct sym_mod *sm = sym_mod_index(s, m);
	const struct sym_var *v = sm && sm->dw ? sym_find_var(sm, addr) : NULL;
	Dwarf_Die die, type;
	if (v && dwarf_offdie(sm->dw, v->die, &die)) {
		sym_append(buf, n, &len, "%s", dwarf_diename(&die));
		if (sym_type_of(&die, &type))
			sym_path(&type, addr - v->addr, buf, n, &len);
		else if (addr != v->addr)
			sym_append(buf, n, &len, "+%lu", (unsigned long)(addr - v->addr));
		return true;
	}
	GElf_Off off;
	GElf_Sym es;
	const char *name = dwfl_module_addrinfo(m, addr, &off, &es, NULL, NULL, NULL);
	if (!name || GELF_ST_TYPE(es.st_info) != STT_OBJECT ||
	    (off && off >= es.st_size))
		return false;
	sym_append(buf, n, &len, "%.*s", (int)sym_plain_len(name), name);
	if (off)
		sym_append(buf, n, &len, "+%lu", (unsigned long)off);
	return true;
}

bool
sym_data(struct sym *s, uintptr_t addr, char *name, size_t n)
{
	if (!s)
		return false;
	sym_lock(s);
	size_t h = sym_hash(addr, SYM_DATAS);
	if (!s->datas[h].used || s->datas[h].addr != addr) {
		struct sym_data_slot fresh = { .addr = addr, .used = true };
		Dwfl_Module *m = sym_data_module(s, addr);
		fresh.ok = m && sym_name_data(s, m, addr, fresh.name, sizeof fresh.name);
		s->datas[h] = fresh;
	}
	bool ok = s->datas[h].ok;
	if (ok)
		sym_copy(name, n, s->datas[h].name);
	sym_unlock(s);
	return ok;
}

// --- a library's variables in the program -----------------------------------

// The copy relocations of the program (the first object dl_iterate_phdr
// reports): each a library variable the linker placed in the program's
// own .bss, found in memory, with no debug info and no file read, so it
// costs a run nothing to ask.
#if defined(__x86_64__)
#define SYM_R_COPY R_X86_64_COPY
#elif defined(__aarch64__)
#define SYM_R_COPY R_AARCH64_COPY
#endif

struct sym_libvars {
	uintptr_t (*out)[2];
	size_t max, n;
};

static int
sym_libvars_of(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct sym_libvars *k = arg;
	const ElfW(Dyn) *dyn = NULL;
	const ElfW(Rela) *rela = NULL;
	const ElfW(Sym) *syms = NULL;
	size_t relasz = 0;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	// The loader may have made the pointers absolute (glibc does) or not.
#define SYM_ABS(p) ((uintptr_t)(p) < info->dlpi_addr ? info->dlpi_addr + (uintptr_t)(p) : (uintptr_t)(p))
	for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_RELA)
			rela = (const ElfW(Rela) *)SYM_ABS(dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_RELASZ)
			relasz = dyn->d_un.d_val;
		else if (dyn->d_tag == DT_SYMTAB)
			syms = (const ElfW(Sym) *)SYM_ABS(dyn->d_un.d_ptr);
	}
#undef SYM_ABS
#ifdef SYM_R_COPY
	for (size_t i = 0; rela && syms && i < relasz / sizeof *rela && k->n < k->max; i++) {
		if (ELF64_R_TYPE(rela[i].r_info) != SYM_R_COPY)
			continue;
		k->out[k->n][0] = info->dlpi_addr + rela[i].r_offset;
		k->out[k->n][1] = k->out[k->n][0] + syms[ELF64_R_SYM(rela[i].r_info)].st_size;
		k->n++;
	}
#endif
	return 1; // the program only
}

size_t
sym_lib_vars(uintptr_t (*out)[2], size_t max)
{
	struct sym_libvars k = { .out = out, .max = max };

	dl_iterate_phdr(sym_libvars_of, &k);
	return k.n;
}
