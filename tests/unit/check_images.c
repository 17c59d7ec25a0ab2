// Tests of lesson 10 (racelab-images): thumbnails are byte-identical
// whichever way they were made; the pipeline on tiny images has known
// properties (gray stays gray, a flat image blurs to itself, thumbnails
// are 128x128); the temporary directory goes away, even on SIGTERM.
#include <check.h>
#include <math.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define PROG "bin/racelab-images"

static const char *const ways[] = { "serial", "threads", "processes" };

static char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* A PNM file's pixels after its header; checks the header. */
static const unsigned char *
pnm_pixels(const char *file, size_t len, char kind, int w, int h)
{
	char head[64];
	int hl = snprintf(head, sizeof head, "P%c\n%d %d\n255\n", kind, w, h);
	size_t px = (size_t)w * (size_t)h * (kind == '6' ? 3 : 1);

	ck_assert_msg(len == (size_t)hl + px, "size %zu, want %zu", len, hl + px);
	ck_assert(memcmp(file, head, (size_t)hl) == 0);
	return (const unsigned char *)file + hl;
}

static void
rm_rf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(identical_every_way)
{
	char dir[] = "/tmp/check-images.XXXXXX";
	char obj[4096], d1[32], d2[32], d3[32];
	bool same;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	{
		const char *argv[] = { PROG, "--compare", "--json", "--images", "5",
		                       "--width", "333", "--height", "211",
		                       "--workers", "3", "--out", dir, NULL };

		tu_run_json(argv, obj, sizeof obj);
	}
	ck_assert(tu_json_bool(obj, "identical", &same));
	ck_assert(same);
	ck_assert(tu_json_str(obj, "serial_digest", d1, sizeof d1));
	ck_assert(tu_json_str(obj, "threads_digest", d2, sizeof d2));
	ck_assert(tu_json_str(obj, "processes_digest", d3, sizeof d3));
	ck_assert_str_eq(d1, d2);
	ck_assert_str_eq(d1, d3);
	/* And by reading the files ourselves. */
	for (int no = 1; no <= 5; no++) {
		char path[256];
		size_t l0, l;
		char *f0, *f;

		snprintf(path, sizeof path, "%s/serial/processed_%02d.pgm", dir, no);
		f0 = read_all(path, &l0);
		pnm_pixels(f0, l0, '5', 128, 128);
		for (int w = 1; w < 3; w++) {
			snprintf(path, sizeof path, "%s/%s/processed_%02d.pgm", dir,
			         ways[w], no);
			f = read_all(path, &l);
			ck_assert_int_eq(l, l0);
			ck_assert_msg(memcmp(f, f0, l) == 0, "%s differs", path);
			free(f);
		}
		free(f0);
	}
	rm_rf(dir);
}
END_TEST

START_TEST(deterministic_across_runs)
{
	/* Two separate programs, threads vs processes, same digest. */
	const char *a[] = { PROG, "--json", "--mode", "thread", "--images", "3",
	                    "--width", "200", "--height", "150", NULL };
	const char *b[] = { PROG, "--json", "--mode", "process", "--images", "3",
	                    "--width", "200", "--height", "150", "--workers", "2", NULL };
	char oa[4096], ob[4096], da[32], db[32];

	tu_run_json(a, oa, sizeof oa);
	tu_run_json(b, ob, sizeof ob);
	ck_assert(tu_json_str(oa, "threads_digest", da, sizeof da));
	ck_assert(tu_json_str(ob, "processes_digest", db, sizeof db));
	ck_assert_str_eq(da, db);
}
END_TEST

START_TEST(gray_stays_gray)
{
	/* Gray noise: R = G = B, so the grayscale image equals any channel. */
	char dir[] = "/tmp/check-images.XXXXXX";
	char obj[4096], path[256];
	size_t ls, lg;
	char *src, *gray;
	const unsigned char *ps, *pg;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	{
		const char *argv[] = { PROG, "--json", "--images", "1", "--pattern",
		                       "graynoise", "--width", "17", "--height", "9",
		                       "--keep-stages", "--out", dir, NULL };

		tu_run_json(argv, obj, sizeof obj);
	}
	snprintf(path, sizeof path, "%s/serial/source_01.ppm", dir);
	src = read_all(path, &ls);
	snprintf(path, sizeof path, "%s/serial/gray_01.pgm", dir);
	gray = read_all(path, &lg);
	ps = pnm_pixels(src, ls, '6', 17, 9);
	pg = pnm_pixels(gray, lg, '5', 17, 9);
	for (int i = 0; i < 17 * 9; i++) {
		ck_assert_int_eq(ps[3 * i], ps[3 * i + 1]);
		ck_assert_int_eq(ps[3 * i], ps[3 * i + 2]);
		ck_assert_int_eq(pg[i], ps[3 * i]);
	}
	free(src);
	free(gray);
	rm_rf(dir);
}
END_TEST

START_TEST(flat_blurs_to_itself)
{
	/* A flat image: the blur and the thumbnail are that same gray. */
	char dir[] = "/tmp/check-images.XXXXXX";
	char obj[4096], path[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	{
		const char *argv[] = { PROG, "--json", "--images", "3", "--pattern",
		                       "flat", "--width", "40", "--height", "30",
		                       "--sigma", "4", "--keep-stages", "--out", dir, NULL };

		tu_run_json(argv, obj, sizeof obj);
	}
	for (int no = 1; no <= 3; no++) {
		size_t ls, lb, lt;
		char *src, *bl, *th;
		const unsigned char *ps, *pb, *pt;

		snprintf(path, sizeof path, "%s/processes/source_%02d.ppm", dir, no);
		src = read_all(path, &ls);
		snprintf(path, sizeof path, "%s/processes/blur_%02d.pgm", dir, no);
		bl = read_all(path, &lb);
		snprintf(path, sizeof path, "%s/processes/processed_%02d.pgm", dir, no);
		th = read_all(path, &lt);
		ps = pnm_pixels(src, ls, '6', 40, 30);
		pb = pnm_pixels(bl, lb, '5', 40, 30);
		pt = pnm_pixels(th, lt, '5', 128, 128); /* scaled up to 128x128 */
		for (int i = 0; i < 40 * 30; i++)
			ck_assert_int_eq(pb[i], ps[0]);
		for (int i = 0; i < 128 * 128; i++)
			ck_assert_int_eq(pt[i], ps[0]);
		free(src);
		free(bl);
		free(th);
	}
	rm_rf(dir);
}
END_TEST

/* The blur blurs: white noise loses most of its variance (a Gaussian of
 * sigma 2 keeps about 1/(4 pi sigma^2), 2%, of it), and keeps its mean.
 * An identity blur, or one that does nothing much, fails here. */
START_TEST(blur_smooths_noise)
{
	char dir[] = "/tmp/check-images.XXXXXX";
	char obj[4096], path[256];
	size_t lg, lb;
	char *gray, *bl;
	const unsigned char *pg, *pb;
	double mg = 0, mb = 0, vg = 0, vb = 0;
	const int w = 64, h = 48, n = 64 * 48;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	{
		const char *argv[] = { PROG, "--json", "--images", "1", "--pattern",
		                       "graynoise", "--width", "64", "--height", "48",
		                       "--sigma", "2", "--keep-stages", "--out", dir,
		                       "--mode", "thread", NULL };

		tu_run_json(argv, obj, sizeof obj);
	}
	snprintf(path, sizeof path, "%s/serial/gray_01.pgm", dir);
	gray = read_all(path, &lg);
	snprintf(path, sizeof path, "%s/serial/blur_01.pgm", dir);
	bl = read_all(path, &lb);
	pg = pnm_pixels(gray, lg, '5', w, h);
	pb = pnm_pixels(bl, lb, '5', w, h);
	for (int i = 0; i < n; i++) {
		mg += pg[i];
		mb += pb[i];
	}
	mg /= n;
	mb /= n;
	for (int i = 0; i < n; i++) {
		vg += (pg[i] - mg) * (pg[i] - mg);
		vb += (pb[i] - mb) * (pb[i] - mb);
	}
	ck_assert_msg(vg / n > 100, "the noise is not noisy: variance %.1f", vg / n);
	ck_assert_msg(vb < vg / 10, "variance %.1f before the blur, %.1f after",
	              vg / n, vb / n);
	ck_assert_msg(fabs(mb - mg) < 2, "mean %.1f before, %.1f after", mg, mb);
	free(gray);
	free(bl);
	rm_rf(dir);
}
END_TEST

START_TEST(temp_dir_removed)
{
	const char *argv[] = { PROG, "--json", "--images", "2", "--width", "64",
	                       "--height", "48", NULL };
	char obj[4096], dir[512];
	bool kept;
	struct stat st;

	tu_run_json(argv, obj, sizeof obj);
	ck_assert(tu_json_str(obj, "out_dir", dir, sizeof dir));
	ck_assert(tu_json_bool(obj, "kept", &kept));
	ck_assert(!kept);
	ck_assert_int_eq(stat(dir, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tu_count_procs(PROG), 0);
}
END_TEST

static void
nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* SIGTERM in the middle of the work: the program stops, its temporary
 * directory is gone, no worker is left. */
static void
term_midway(const char *mode)
{
	char tmp[] = "/tmp/check-images-term.XXXXXX";
	int st, found = 0;
	pid_t pid;

	ck_assert_ptr_nonnull(mkdtemp(tmp));
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		setenv("TMPDIR", tmp, 1);
		execl(PROG, PROG, "--images", "30", "--width", "1024", "--height",
		      "768", "--mode", mode, NULL);
		_exit(127);
	}
	/* Wait until the first thumbnail exists: the work has begun. */
	for (int i = 0; i < 1000 && !found; i++) {
		char cmd[600];

		/* In process mode, wait for the process workers' first file. */
		snprintf(cmd, sizeof cmd, "ls %s/*/%s/processed_01.pgm >/dev/null 2>&1",
		         tmp, strcmp(mode, "process") ? "serial" : "processes");
		found = system(cmd) == 0;
		if (!found)
			nap_ms(10);
	}
	ck_assert_msg(found, "the program never wrote a thumbnail");
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	ck_assert_int_eq(tu_count_entries(tmp), 0);
	rmdir(tmp);
	/* Process workers die with their parent (PDEATHSIG): give the
	 * kernel a moment to deliver it, then count. */
	for (int i = 0; i < 100 && tu_count_procs(PROG) > 0; i++)
		nap_ms(10);
	ck_assert_int_eq(tu_count_procs(PROG), 0);
}

/* Output cut short (`racelab-images | head -1`): the same orderly stop as
 * for SIGTERM, then death by SIGPIPE; nothing left in TMPDIR. */
START_TEST(closed_pipe_removes_files)
{
	const char *modes[] = { "process", "thread" };

	for (int m = 0; m < 2; m++) {
		const char *argv[] = { PROG, "--images", "4", "--width", "640",
		                       "--height", "480", "--compare", "--mode",
		                       modes[m], NULL };

		tu_tmpdir_setup("images");
		ck_assert_int_eq(tu_run_head(argv), -SIGPIPE);
		tu_tmpdir_teardown(true);
	}
	for (int i = 0; i < 100 && tu_count_procs(PROG) > 0; i++)
		nap_ms(10);
	ck_assert_int_eq(tu_count_procs(PROG), 0);
}
END_TEST

START_TEST(sigterm_threads)
{
	term_midway("thread");
}
END_TEST

START_TEST(sigterm_processes)
{
	term_midway("process");
}
END_TEST

START_TEST(show_ascii)
{
	/* Not a terminal: plain ASCII shades, no escape sequences. */
	const char *argv[] = { PROG, "--images", "2", "--width", "64", "--height",
	                       "48", "--show", "--show-px", "16", NULL };
	char *out = NULL;

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_ptr_null(strchr(out, '\033'));
	ck_assert_ptr_nonnull(strstr(out, "processed_01"));
	ck_assert_ptr_nonnull(strstr(out, "byte-identical"));
	free(out);
}
END_TEST

START_TEST(json_per_run)
{
	const char *argv[] = { PROG, "--json", "--images", "1", "--width", "32",
	                       "--height", "32", "--runs", "3", NULL };
	char *out = NULL;

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_int_eq(tu_json_count(out), 3);
	free(out);
}
END_TEST

START_TEST(bad_options)
{
	static const char *const bad[][2] = {
		{ "--images", "0" },
		{ "--pattern", "stripes" },
		{ "--sigma", "-1" },
		{ "--width", "lots" },
		{ "--out", "" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *argv[] = { PROG, bad[i][0], bad[i][1], NULL };

		tu_assert_usage_error(argv);
	}
}
END_TEST

Suite *
suite_images(void)
{
	Suite *s = suite_create("images");
	TCase *tc = tcase_create("images");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, identical_every_way);
	tcase_add_test(tc, deterministic_across_runs);
	tcase_add_test(tc, gray_stays_gray);
	tcase_add_test(tc, flat_blurs_to_itself);
	tcase_add_test(tc, blur_smooths_noise);
	tcase_add_test(tc, temp_dir_removed);
	tcase_add_test(tc, sigterm_threads);
	tcase_add_test(tc, sigterm_processes);
	tcase_add_test(tc, closed_pipe_removes_files);
	tcase_add_test(tc, show_ascii);
	tcase_add_test(tc, json_per_run);
	tcase_add_test(tc, bad_options);
	suite_add_tcase(s, tc);
	return s;
}
