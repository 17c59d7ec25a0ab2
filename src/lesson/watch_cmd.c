// "watch PROGRAM ARGS": where PROGRAM is in the words, and which files a
// lesson's run block may name (see watch_cmd.h).
#include "lesson/watch_cmd.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool
md_watch_is(const char *argv0)
{
	return strcmp(argv0, "watch") == 0 || strcmp(argv0, "racelab-watch") == 0;
}

/* racelab-watch's options that take a value (the common lab options). */
static bool
takes_value(const char *opt)
{
	static const char *const with[] = {
		"--workers", "--mode", "--iters", "--runs", "--sync", "--schedule",
		"--quantum", "--random-schedule", "--preemptions", "--max-runs",
		"--max-steps",
	};

	for (size_t i = 0; i < sizeof with / sizeof with[0]; i++)
		if (strcmp(opt, with[i]) == 0)
			return true;
	return false;
}

int
md_watch_prog(char *const argv[], int argc)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i + 1 < argc ? i + 1 : -1;
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			return i;
		if (takes_value(argv[i]))
			i++;
	}
	return -1;
}

static bool
is_c_file(const char *w)
{
	size_t n = strlen(w);

	return n > 2 && strcmp(w + n - 2, ".c") == 0;
}

int
md_watch_nfiles(char *const argv[], int argc, int prog)
{
	int n = 1;

	if (prog < 0 || prog >= argc)
		return 0;
	if (is_c_file(argv[prog]))
		while (prog + n < argc && is_c_file(argv[prog + n]))
			n++;
	return n;
}

int
md_watch_check_words(char *const argv[], int argc, char *err, size_t n)
{
	int prog = md_watch_prog(argv, argc);
	int nf = md_watch_nfiles(argv, argc, prog);

	if (prog < 0) {
		snprintf(err, n, "watch run line names no program (watch PROGRAM ARGS)");
		return -1;
	}
	for (int i = prog; i < prog + nf; i++) {
		const char *w = argv[i];
		bool dotdot = strcmp(w, "..") == 0 || strncmp(w, "../", 3) == 0 ||
		              strstr(w, "/../") || (strlen(w) >= 3 && strcmp(w + strlen(w) - 3, "/..") == 0);

		if (w[0] == '/' || w[0] == '-' || w[0] == '\0' || dotdot) {
			snprintf(err, n, "watch: '%.40s' is not a file of the lesson's folder "
			         "(a lesson may watch only its own programs: a relative path, no '..')",
			         w);
			return -1;
		}
	}
	return 0;
}

int
md_watch_in_dir(const char *dir, const char *word, char *out, size_t n)
{
	char base[PATH_MAX], joined[2 * PATH_MAX], real[PATH_MAX];
	struct stat st;
	size_t bl;

	if (!realpath(dir, base) ||
	    (size_t)snprintf(joined, sizeof joined, "%s/%s", base, word) >= sizeof joined ||
	    !realpath(joined, real) || stat(real, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	bl = strlen(base);
	/* Inside: base itself is "/" (everything is inside it), or real
	 * starts with base and a '/' (not base2/...). */
	if (!(bl == 1 || (strncmp(real, base, bl) == 0 && real[bl] == '/')))
		return -1;
	if ((size_t)snprintf(out, n, "%s", real) >= n)
		return -1;
	return 0;
}

/* Has the 64-bit ELF file fd a program interpreter (the dynamic loader
 * that LD_PRELOAD needs)?  Another class is not ours to judge: yes. */
static bool
has_interp(int fd)
{
	Elf64_Ehdr eh;

	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return true;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) ==
		            (ssize_t)sizeof ph &&
		    ph.p_type == PT_INTERP)
			return true;
	}
	return false;
}

int
md_watch_check_file(const char *path, char *err, size_t n)
{
	unsigned char magic[4] = {0};
	struct stat st;
	bool interp;
	int fd;

	if (stat(path, &st) < 0) {
		snprintf(err, n, "%.200s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, n, "%.200s: a directory, not a program (an executable, or its .c files)",
		         path);
		return -1;
	}
	if (is_c_file(path)) {
		if (!S_ISREG(st.st_mode) || access(path, R_OK) < 0) {
			snprintf(err, n, "%.200s: %s", path,
			         S_ISREG(st.st_mode) ? strerror(errno) : "not a regular file");
			return -1;
		}
		return 0;
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0) {
		snprintf(err, n, "%.200s: not an executable file (nor a .c file)", path);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, n, "%.200s: %s", path, strerror(errno));
		return -1;
	}
	if (read(fd, magic, sizeof magic) != (ssize_t)sizeof magic ||
	    memcmp(magic, "\177ELF", 4) != 0) {
		close(fd);
		snprintf(err, n, magic[0] == '#' && magic[1] == '!'
		                         ? "%.200s: a script (#!), not a C program (an "
		                           "executable, or its .c files)"
		                         : "%.200s: not an ELF executable (a C program, or its .c files)",
		         path);
		return -1;
	}
	interp = has_interp(fd);
	close(fd);
	if (!interp) {
		snprintf(err, n, "%.200s: statically linked: nothing can be preloaded into it "
		         "(watch its .c files instead)", path);
		return -1;
	}
	return 0;
}
