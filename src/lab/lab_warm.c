// A forked run's page tables start empty where fork does not copy them:
// in the mappings of files that no page was ever written to (code), which
// the kernel leaves to be faulted in again (vma_needs_copy in
// mm/memory.c: no anon_vma, no copy).  Each run of a fork server then
// took some thirty faults on code the server had run long before.
// Writing one byte of a code mapping with its own value, through
// /proc/self/mem (as a debugger sets a breakpoint: the mapping stays
// read-only), gives it a private copy of that page and so an anon_vma;
// fork then copies its present entries.  Only the code every run runs
// (the caller names it) keeps what the server mapped, as every present
// entry is one more for each fork to copy; the other libraries' code
// runs at exit alone, their destructors (DT_FINI, DT_FINI_ARRAY): there
// only those pages are left mapped.  On failure (a kernel that refuses
// the write) nothing changes but the speed.
#include "lab_warm.h"

#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct fini_pages {
	uintptr_t fn[64];
	size_t n;
};

void
lab_obj_fini(const struct dl_phdr_info *info, uintptr_t *fini, const uintptr_t **arr,
             size_t *narr)
{
	*fini = 0;
	*arr = NULL;
	*narr = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Dyn) *d;

		if (info->dlpi_phdr[i].p_type != PT_DYNAMIC)
			continue;
		d = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
		for (; d->d_tag != DT_NULL; d++) {
			if (d->d_tag == DT_FINI)
				*fini = info->dlpi_addr + d->d_un.d_ptr;
			if (d->d_tag == DT_FINI_ARRAY)
				*arr = (const uintptr_t *)(info->dlpi_addr + d->d_un.d_ptr);
			if (d->d_tag == DT_FINI_ARRAYSZ)
				*narr = d->d_un.d_val / sizeof(uintptr_t);
		}
	}
	if (!*arr)
		*narr = 0;
}

static int
fini_of(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct fini_pages *fp = arg;
	const uintptr_t *arr;
	uintptr_t fini;
	size_t narr;

	(void)size;
	lab_obj_fini(info, &fini, &arr, &narr);
	if (fini && fp->n < 64)
		fp->fn[fp->n++] = fini;
	for (size_t k = 0; k < narr && fp->n < 64; k++)
		fp->fn[fp->n++] = arr[k];
	return 0;
}

void
lab_warm_code(const uintptr_t *hot, size_t nhot)
{
	struct fini_pages fp = { .n = 0 };
	FILE *f = fopen("/proc/self/maps", "re");
	int mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	char line[512], hot_file[512] = "";

	dl_iterate_phdr(fini_of, &fp);
	while (f && mem >= 0 && fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		char perm[8];
		const char *file = strchr(line, '/');
		unsigned char b;
		bool is_hot = false, fini = false, rodata;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3)
			continue;
		/* The read-only data right after a hot code mapping (its
		 * constants, the unwind tables) is read by every run too: one
		 * fault a library a run (4 of twenty's 40), warmed the same. */
		rodata = file && *hot_file && strcmp(perm, "r--p") == 0 && strcmp(file, hot_file) == 0;
		hot_file[0] = '\0';
		if (rodata) {
			if (pread(mem, &b, 1, (off_t)lo) == 1)
				(void)!pwrite(mem, &b, 1, (off_t)lo);
			continue;
		}
		if (strcmp(perm, "r-xp") != 0)
			continue;
		for (size_t i = 0; i < nhot; i++)
			is_hot |= hot[i] >= lo && hot[i] < hi;
		if (is_hot && file)
			snprintf(hot_file, sizeof hot_file, "%s", file);
		for (size_t i = 0; i < fp.n; i++)
			fini |= fp.fn[i] >= lo && fp.fn[i] < hi;
		if ((!is_hot && !fini) || pread(mem, &b, 1, (off_t)lo) != 1 ||
		    pwrite(mem, &b, 1, (off_t)lo) != 1 || is_hot)
			continue;
		/* Its pages dropped (the private one reverts to the file's,
		 * the same bytes), but those its destructors run in (a read
		 * of an address inside this mapping). */
		madvise((void *)lo, hi - lo, MADV_DONTNEED);
		for (size_t i = 0; i < fp.n; i++)
			if (fp.fn[i] >= lo && fp.fn[i] < hi)
				(void)*(volatile const unsigned char *)fp.fn[i];
	}
	if (f)
		fclose(f);
	if (mem >= 0)
		close(mem);
}

static _Atomic int warm_left;

static void *
warm_thread(void *arg)
{
	atomic_fetch_sub(&warm_left, 1);
	while (atomic_load(&warm_left) > 0) /* all alive at once: one stack each */
		sched_yield();
	return arg;
}

void
lab_warm_stacks(int nsmall, size_t small, int ndefault)
{
	pthread_t t[16];
	pthread_attr_t a;
	int n = 0, want = nsmall + ndefault;

	want = want < 16 ? want : 16;
	pthread_attr_init(&a);
	if (small)
		pthread_attr_setstacksize(&a, small);
	/* Twice: the second round takes the cached stacks, as a run does,
	 * and so binds what only a cached stack calls (libc's lazy
	 * _dl_allocate_tls_init in the dynamic linker): looked up in every
	 * run's child before, reading the symbol tables and writing libc's
	 * GOT (perf record: do_lookup_x, _dl_fixup; LD_DEBUG=bindings). */
	for (int round = 0; round < 2; round++) {
		atomic_store(&warm_left, want);
		for (n = 0; n < want; n++)
			if (pthread_create(&t[n], n < nsmall ? &a : NULL, warm_thread, NULL) != 0)
				break;
		atomic_store(&warm_left, 0); /* all made, or no more can be: let them end */
		while (n-- > 0)
			pthread_join(t[n], NULL);
	}
	pthread_attr_destroy(&a);
}
