// racelab: the terminal shell that steps through the lessons and runs their
// demos live.  main() reads the options, finds the lessons, and hands over
// to the loop (loop.c), which walks the table of screens (screens.c).
#include "shell/shell.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"usage: racelab [--ascii] [--no-mouse] [--projector] [LESSON]\n"
	"       racelab [--ascii] [--no-mouse] [--projector] --run 'SLUG [OPTION...]'\n"
	"       racelab [--ascii] [--no-mouse] [--projector] --watch PROGRAM [ARG...]\n"
	"       racelab --verify [LESSON...]\n"
	"       racelab --replay FILE.json\n"
	"       racelab --exercises [--json] | --hint EXERCISE\n"
	"       racelab --check EXERCISE [FILE] [--json]\n"
	"       racelab --list | --help | --version\n"
	"\n"
	"A hands-on terminal lab for concurrency: lessons that run real\n"
	"processes and threads and show them live.\n"
	"\n"
	"  LESSON        open this lesson (number or slug, e.g. 3 or race)\n"
	"  --run CMD     open the live view of one lesson program, e.g.\n"
	"                --run 'race --workers 4 --sync none'\n"
	"  --watch PROGRAM [ARG...]\n"
	"                open the live view of your own program (an executable\n"
	"                or .c files), run by racelab-watch; the rest of the\n"
	"                line is the program's\n"
	"  --replay FILE play back a run recorded as a trace (w in the shell,\n"
	"                a lesson program's --trace-out FILE.json)\n"
	"  --list        print the catalog of lessons and exit\n"
	"  --verify      run the lessons' run blocks without a terminal and check\n"
	"                their expect: lines; exit 0 only when all hold\n"
	"  --exercises   the exercises (write the fix in C) and how far you are\n"
	"  --check       check your copy of an exercise, or FILE, under every\n"
	"                interleaving: exit 0 PASS, 1 FAIL (with a --schedule\n"
	"                that replays it), 2 bad usage\n"
	"  --hint        the exercise's next hint\n"
	"  --ascii       ASCII lines only, no Unicode box drawing\n"
	"  --no-mouse    do not ask the terminal for mouse events\n"
	"  --projector   the lesson view for a projector: big counters, two or\n"
	"                three panels, high contrast, fits 60x20 (P toggles it)\n"
	"  --help        this text;  --version  the version\n"
	"\n"
	"Keys: ? in the program.  NO_COLOR=1 turns colours off.\n"
	"Lessons: $RACELAB_LESSONS (dirs separated by :), then\n"
	"$XDG_DATA_HOME/racelab/lessons, then the lessons installed with racelab.\n";

/* An argument as one line: control characters (a newline would make the
 * message two lines) and backslashes escaped. */
static void
put_quoted(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else if (*p == '\\')
			fputs("\\\\", f);
		else
			fputc(*p, f);
	}
}

static _Noreturn void
bad_usage(const char *fmt, const char *arg)
{
	const char *at = strstr(fmt, "%s");

	fprintf(stderr, "racelab: ");
	fprintf(stderr, "%.*s", at ? (int)(at - fmt) : (int)strlen(fmt), fmt);
	if (at) {
		put_quoted(stderr, arg);
		fputs(at + 2, stderr);
	}
	fprintf(stderr, " (try racelab --help)\n");
	exit(2);
}

/* --help, --version and --list: their output not written is a failure. */
static int
out_status(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	fprintf(stderr, "racelab: write error on standard output: %s\n",
	        strerror(errno ? errno : EIO));
	return 1;
}

static bool
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The lesson search path, earlier directories winning a slug:
 * $RACELAB_LESSONS (colon-separated), $XDG_DATA_HOME/racelab/lessons, then
 * the lessons that came with this racelab: <root>/lessons when run from the
 * tree (<root>/bin/racelab), <root>/share/racelab/lessons for an installed
 * tree moved or staged under DESTDIR, else DATADIR/lessons. */
static void
find_paths(void)
{
	char exe[PATH_MAX], root[PATH_MAX], base[PATH_MAX], data[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	const char *env = getenv("RACELAB_LESSONS"), *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (n <= 0)
		n = 0;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(shell_cfg.bin_dir, sizeof shell_cfg.bin_dir, "%s", n ? exe : ".");
	snprintf(root, sizeof root, "%s", shell_cfg.bin_dir);
	slash = strrchr(root, '/');
	if (slash)
		*slash = '\0';
	if ((size_t)snprintf(base, sizeof base, "%s/lessons", root) < sizeof base && is_dir(base))
		;
	else if ((size_t)snprintf(base, sizeof base, "%s/share/racelab/lessons", root) <
	                 sizeof base && is_dir(base))
		;
	else
		snprintf(base, sizeof base, "%s/lessons", DATADIR);
	/* XDG: a relative XDG_DATA_HOME is to be ignored. */
	if (!(xdg && xdg[0] == '/' &&
	      (size_t)snprintf(data, sizeof data, "%s/racelab/lessons", xdg) < sizeof data) &&
	    !(home && home[0] == '/' &&
	      (size_t)snprintf(data, sizeof data, "%s/.local/share/racelab/lessons", home) <
	              sizeof data))
		data[0] = '\0';
	if ((size_t)snprintf(shell_cfg.lessons_dir, sizeof shell_cfg.lessons_dir,
	                     "%s%s%s%s%s", env && *env ? env : "", env && *env ? ":" : "",
	                     data, data[0] ? ":" : "", base) >= sizeof shell_cfg.lessons_dir)
		bad_usage("%s", "RACELAB_LESSONS is too long");
}

int
main(int argc, char **argv)
{
	const char *nc = getenv("NO_COLOR"), *why;
	static struct catalog catalog;
	struct shell_ctx ctx = {.cat = &catalog, .cfg = &shell_cfg, .demo = &shell_demo};
	struct shell_action first = {.act = ACT_GO, .to = SCREEN_CATALOG, .lesson = -1,
	                             .step = -1};
	bool list = false;
	char **watch_argv = NULL, werr[512];
	int status, r, watch_argc = 0;

	setlocale(LC_ALL, "");
	if (argc > 1 && strcmp(argv[1], "--replay") == 0) {
		if (argc != 3)
			bad_usage("%s takes one trace file, e.g. --replay run.json", argv[1]);
		return replay_main(argv[2]);
	}
	if (argc > 1 && strcmp(argv[1], "--verify") == 0) {
		find_paths();
		return verify_main(&shell_cfg, argc - 2, argv + 2);
	}
	if (argc > 1 && (strcmp(argv[1], "--exercises") == 0 || strcmp(argv[1], "--check") == 0 ||
	                 strcmp(argv[1], "--hint") == 0)) {
		find_paths();
		return exercise_main(&shell_cfg, argc - 1, argv + 1);
	}
	shell_cfg.mouse = true;
	shell_cfg.color = !(nc && *nc);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return out_status();
		} else if (strcmp(a, "--version") == 0) {
			printf("racelab %s\n", VERSION);
			return out_status();
		} else if (strcmp(a, "--complete") == 0) {
			/* Hidden: the options, for the bash completion
			 * (tools/completion.bash); e2e/complete.sh checks
			 * them against the usage above. */
			fputs("--ascii\n--no-mouse\n--projector\n--run=\n--watch\n--list\n--verify\n"
			      "--replay=\n--exercises\n--check\n--hint\n--help\n--version\n", stdout);
			return out_status();
		} else if (strcmp(a, "--list") == 0) {
			list = true;
		} else if (strcmp(a, "--ascii") == 0) {
			shell_cfg.ascii = true;
		} else if (strcmp(a, "--no-mouse") == 0) {
			shell_cfg.mouse = false;
		} else if (strcmp(a, "--projector") == 0) {
			shell_cfg.projector = true;
		} else if (strcmp(a, "--run") == 0) {
			if (++i == argc)
				bad_usage("%s needs a command, e.g. --run 'race --workers 2'", a);
			shell_cfg.run = argv[i];
		} else if (strncmp(a, "--run=", 6) == 0) {
			shell_cfg.run = a + 6;
		} else if (strcmp(a, "--watch") == 0) {
			/* The rest is the program's: argv[i] becomes "watch". */
			watch_argv = argv + i;
			watch_argc = argc - i;
			break;
		} else if (strcmp(a, "--") == 0 && i + 1 < argc && !shell_cfg.open) {
			shell_cfg.open = argv[++i];
		} else if (a[0] == '-') {
			bad_usage("unknown option %s", a);
		} else if (shell_cfg.open) {
			bad_usage("one lesson at a time (extra argument %s)", a);
		} else {
			shell_cfg.open = a;
		}
	}
	if (watch_argv && (shell_cfg.run || shell_cfg.open))
		bad_usage("%s", "give a LESSON, --run or --watch, not two");
	if (shell_cfg.run && shell_cfg.open)
		bad_usage("%s", "give a LESSON or --run, not both");
	if (list && (shell_cfg.run || shell_cfg.open))
		bad_usage("--list takes no lesson and no --run (extra argument %s)",
		          shell_cfg.run ? shell_cfg.run : shell_cfg.open);

	find_paths();
	shell_demo.bin_dir = shell_cfg.bin_dir;
	/* A watched program's files are the user's: found now, from here. */
	if (watch_argv) {
		watch_argv[0] = "watch";
		if (list)
			bad_usage("%s", "--list takes no --watch");
		if (!(shell_cfg.run = watch_cmdline(watch_argv, watch_argc, shell_cfg.bin_dir,
		                                    werr, sizeof werr)))
			bad_usage("--watch: %s", werr);
	} else if (shell_cfg.run) {
		const char *w = watch_run_cmdline(shell_cfg.run, shell_cfg.bin_dir, werr, sizeof werr);

		if (werr[0])
			bad_usage("--run: %s", werr);
		if (w)
			shell_cfg.run = w;
	}
	if (catalog_load(&catalog, shell_cfg.lessons_dir, shell_cfg.bin_dir) < 0 && list) {
		if (errno == ENOMEM) /* opendir's buffer, under ulimit -v */
			shell_oom();
		fprintf(stderr, "racelab: cannot read any lesson directory of %s: %s\n",
		        shell_cfg.lessons_dir, strerror(errno));
		return 1;
	}
	if (list) {
		catalog_print(&catalog, shell_cfg.lessons_dir, stdout);
		return out_status();
	}
	if (shell_cfg.open && catalog_find(&catalog, shell_cfg.open) < 0)
		bad_usage("no lesson %s (racelab --list shows them)", shell_cfg.open);
	/* One rule with the catalog: a lesson that does not load is not opened. */
	if (shell_cfg.open && !catalog.e[catalog_find(&catalog, shell_cfg.open)].ok) {
		fprintf(stderr, "racelab: %s\n", catalog.e[catalog_find(&catalog, shell_cfg.open)].doc.error);
		return 2;
	}
	if ((why = term_unusable())) {
		fprintf(stderr, "racelab: %s\n", why);
		return 2;
	}
	/* Workers whose lesson died come back to us, to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	child_janitor_start();
	progress_init();
	if (loop_init() < 0) {
		fprintf(stderr, "racelab: cannot make the signal pipe: %s\n", strerror(errno));
		return 1;
	}
	if (term_init() < 0) {
		if (errno == ENOMEM)
			shell_oom();
		fprintf(stderr, "racelab: cannot set up the terminal (TERM=%s): %s\n",
		        getenv("TERM"), errno ? strerror(errno) : "no terminal description");
		return 1;
	}
	if (shell_cfg.run) {
		first.to = SCREEN_LESSON;
		first.run = shell_cfg.run;
	} else if (shell_cfg.open) {
		first.to = SCREEN_LESSON;
		first.lesson = catalog_find(&catalog, shell_cfg.open);
		first.step = 0;
	} else {
		char last[32];
		int step, i;

		/* Reopen where the user left off. */
		if (progress_last(last, sizeof last, &step) &&
		    (i = catalog_find(&catalog, last)) >= 0 && catalog.e[i].ok) {
			first.to = SCREEN_LESSON;
			first.lesson = i;
			first.step = step;
		}
	}
	r = loop_open(&ctx, &first);
	if (r == -1 || r == -2) {
		term_end();
		fprintf(stderr, "racelab: --run: %s\n",
		        r == -1 ? "bad command" : "not a lesson program (racelab --list)");
		return 2;
	}
	status = loop_run(&ctx);
	child_janitor_end();
	term_end();
	progress_save();
	/* Said on screen too; here it stays readable after the exit. */
	if (progress_warning())
		fprintf(stderr, "racelab: %s\n", progress_warning());
	catalog_free(&catalog);
	return status;
}
