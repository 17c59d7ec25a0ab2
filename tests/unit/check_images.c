// Tests of lesson 10 (racelab-images): real PNG and JPEG files in and out,
// read back here with the same libraries (libpng, libjpeg-turbo): the
// thumbnails are 128x128 and byte-identical whichever way they were made;
// gray stays gray, a flat image blurs to itself, noise loses its variance;
// the fetch is a wait that threads overlap even under --gil, while the
// GIL lets one thread at a time into the CPU stages; bad files are one
// line and exit 2; the temporary directory goes away, even on SIGTERM.
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

#include <jpeglib.h>
#include <png.h>

#include "testutil.h"

#define PROG "bin/racelab-images"
#define JSON_MAX 8192

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

/* A PNG file read with libpng as 8-bit gray (ch 1) or RGB (ch 3); checks
 * it is a real PNG of w x h.  The caller frees the pixels. */
static unsigned char *
png_pixels(const char *path, int ch, int w, int h)
{
	png_image im;
	unsigned char *px;

	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	ck_assert_msg(png_image_begin_read_from_file(&im, path), "%s: %s", path,
	              im.message);
	ck_assert_msg((int)im.width == w && (int)im.height == h, "%s is %ux%u, not %dx%d",
	              path, im.width, im.height, w, h);
	im.format = ch == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
	px = malloc((size_t)w * (size_t)h * (size_t)ch);
	ck_assert_msg(png_image_finish_read(&im, NULL, px, 0, NULL), "%s: %s", path,
	              im.message);
	return px;
}

/* A JPEG file's size, read with libjpeg. */
static void
jpeg_size(const char *path, int *w, int *h)
{
	struct jpeg_decompress_struct d;
	struct jpeg_error_mgr e;
	FILE *f = fopen(path, "rb");

	ck_assert_msg(f != NULL, "cannot open %s", path);
	d.err = jpeg_std_error(&e);
	jpeg_create_decompress(&d);
	jpeg_stdio_src(&d, f);
	ck_assert_int_eq(jpeg_read_header(&d, TRUE), JPEG_HEADER_OK);
	jpeg_start_decompress(&d);
	*w = (int)d.output_width;
	*h = (int)d.output_height;
	jpeg_abort_decompress(&d);
	jpeg_destroy_decompress(&d);
	fclose(f);
}

/* Test inputs of our own: a colour JPEG and a gray PNG with noise. */
static void
write_test_jpeg(const char *path, int w, int h)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	FILE *f = fopen(path, "wb");
	unsigned char *row = malloc((size_t)w * 3);

	ck_assert_ptr_nonnull(f);
	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_start_compress(&c, TRUE);
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			row[3 * x] = (unsigned char)(x * 255 / w);
			row[3 * x + 1] = (unsigned char)(y * 255 / h);
			row[3 * x + 2] = (unsigned char)((x ^ y) & 255);
		}
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	fclose(f);
	free(row);
}

static void
write_test_png(const char *path, int w, int h)
{
	png_image im;
	unsigned char *px = malloc((size_t)w * (size_t)h);

	for (int i = 0; i < w * h; i++)
		px[i] = (unsigned char)(i * 7919 % 251);
	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	im.width = (png_uint_32)w;
	im.height = (png_uint_32)h;
	im.format = PNG_FORMAT_GRAY;
	ck_assert(png_image_write_to_file(&im, path, 0, px, 0, NULL));
	free(px);
}

static void
rm_rf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Every way's thumbnails: real 128x128 files, byte for byte the serial
 * ones; and the JSON digests agree. */
static void
check_identical(const char *dir, const char *obj, int images, const char *pattern,
                const char *ext)
{
	char d1[32], d2[32], d3[32];

	ck_assert(tu_jbool(obj, "identical"));
	ck_assert_int_eq(tu_jint(obj, "differing_files"), 0);
	tu_jstr(obj, "serial_digest", d1, sizeof d1);
	tu_jstr(obj, "threads_digest", d2, sizeof d2);
	tu_jstr(obj, "processes_digest", d3, sizeof d3);
	ck_assert_str_eq(d1, d2);
	ck_assert_str_eq(d1, d3);
	for (int no = 1; no <= images; no++) {
		char path[512];
		size_t l0, l;
		char *f0, *f;
		int w, h;

		snprintf(path, sizeof path, "%s/serial/%02d_%s_%02d.%s", dir, no,
		         pattern, no, ext);
		if (strcmp(ext, "png") == 0) {
			free(png_pixels(path, 1, 128, 128));
		} else {
			jpeg_size(path, &w, &h);
			ck_assert_int_eq(w, 128);
			ck_assert_int_eq(h, 128);
		}
		f0 = read_all(path, &l0);
		for (int wy = 1; wy < 3; wy++) {
			snprintf(path, sizeof path, "%s/%s/%02d_%s_%02d.%s", dir, ways[wy],
			         no, pattern, no, ext);
			f = read_all(path, &l);
			ck_assert_int_eq(l, l0);
			ck_assert_msg(memcmp(f, f0, l) == 0, "%s differs", path);
			free(f);
		}
		free(f0);
	}
}

START_TEST(identical_every_way)
{
	char dir[] = "/tmp/check-images.XXXXXX";
	char obj[JSON_MAX];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	{
		const char *argv[] = { PROG, "--compare", "--json", "--images", "5",
		                       "--width", "333", "--height", "211", "--fetch-ms", "0",
		                       "--workers", "3", "--out", dir, NULL };

		tu_run_json(argv, obj, sizeof obj);
	}
	check_identical(dir, obj, 5, "scene", "png");
	/* The inputs were real PNG files too, kept in DIR/input. */
	{
		char path[512];

		snprintf(path, sizeof path, "%s/input/scene_01.png", dir);
		free(png_pixels(path, 3, 333, 211));
	}
	rm_rf(dir);
}
END_TEST

/* JPEG thumbnails, from JPEG and PNG files of our own given with --in
 * (the PNG named .jpg: a file is what its first bytes say). */
START_TEST(jpeg_out_from_given_files)
{
	char dir[] = "/tmp/check-images.XXXXXX";
	char obj[JSON_MAX], a[512], b[512], out[512], src[32];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(a, sizeof a, "%s/scene_01.jpg", dir);
	snprintf(b, sizeof b, "%s/scene_02.jpg", dir); /* a PNG by its bytes */
	snprintf(out, sizeof out, "%s/out", dir);
	write_test_jpeg(a, 400, 300);
	write_test_png(b, 90, 70);
	{
		const char *argv[] = { PROG, "--json", "--compare", "--in", a, b,
		                       "--format", "jpeg", "--fetch-ms", "0", "--workers", "2",
		                       "--scale", "2", "--out", out, NULL };

		tu_run_json(argv, obj, sizeof obj);
	}
	ck_assert_int_eq(tu_jint(obj, "images"), 2);
	tu_jstr(obj, "source", src, sizeof src);
	ck_assert_str_eq(src, "your files");
	/* --scale 2: libjpeg decoded the JPEG at half size; a PNG is whole. */
	ck_assert_int_eq(tu_jint(obj, "width"), 200);
	ck_assert_int_eq(tu_jint(obj, "height"), 150);
	check_identical(out, obj, 2, "scene", "jpg");
	rm_rf(dir);
}
END_TEST

/* "--in=FILE FILE": the same files as "--in FILE FILE" (getopt takes the
 * first form too; the files must not be dropped for generated images). */
START_TEST(in_with_equals)
{
	char dir[] = "/tmp/check-images.XXXXXX";
	char obj[JSON_MAX], a[512], b[512], arg[600], src[32];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(a, sizeof a, "%s/one.jpg", dir);
	snprintf(b, sizeof b, "%s/two.png", dir);
	write_test_jpeg(a, 400, 300);
	write_test_png(b, 90, 70);
	snprintf(arg, sizeof arg, "--in=%s", a);
	{
		const char *argv[] = { PROG, "--json", arg, b, "--scale", "2",
		                       "--fetch-ms", "0", "--workers", "2", NULL };

		tu_run_json(argv, obj, sizeof obj);
	}
	tu_jstr(obj, "source", src, sizeof src);
	ck_assert_str_eq(src, "your files");
	ck_assert_int_eq(tu_jint(obj, "images"), 2);
	ck_assert_int_eq(tu_jint(obj, "width"), 200); /* one.jpg at 1/2 */
	ck_assert_int_eq(tu_jint(obj, "processes_files"), 2);
	/* The first lines name the smallest and the largest image, not the
	 * least width with the least height of two others: 90x70 to 200x150
	 * here; 60x300 (18000 pixels) and 200x150 (30000) give no 60x150. */
	snprintf(b, sizeof b, "%s/tall.png", dir);
	write_test_png(b, 60, 300);
	{
		const char *argv[] = { PROG, arg, b, "--scale", "2", "--fetch-ms", "0",
		                       "--workers", "2", NULL };
		char *out = NULL;

		ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
		ck_assert_msg(strstr(out, "decoded at 60x300 to 200x150 (JPEG at 1/2)"),
		              "%s", out);
		free(out);
	}
	rm_rf(dir);
}
END_TEST

/* Default photos: the *.jpg of --photos DIR; none there: generated. */
START_TEST(photos_or_generated)
{
	char dir[] = "/tmp/check-images.XXXXXX";
	char obj[JSON_MAX], path[512], src[32];
	char *out = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/photo_%d.jpg", dir, i);
		write_test_jpeg(path, 256, 128);
	}
	{
		const char *argv[] = { PROG, "--json", "--photos", dir, "--images", "2",
		                       "--fetch-ms", "0", NULL };

		tu_run_json(argv, obj, sizeof obj);
	}
	tu_jstr(obj, "source", src, sizeof src);
	ck_assert_str_eq(src, "photos");
	ck_assert_int_eq(tu_jint(obj, "images"), 2);
	ck_assert_int_eq(tu_jint(obj, "width"), 64); /* 256 at 1/4 */
	{
		const char *argv[] = { PROG, "--photos", "/nonexistent", "--images", "2",
		                       "--fetch-ms", "0", NULL };

		ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	}
	ck_assert_ptr_nonnull(strstr(out, "No photos in /nonexistent"));
	ck_assert_ptr_nonnull(strstr(out, "generated"));
	/* PNG files: --scale does nothing to them, and the screen says none. */
	ck_assert_ptr_null(strstr(out, "JPEG at"));
	ck_assert_ptr_nonnull(strstr(out, "byte-identical"));
	free(out);
	rm_rf(dir);
}
END_TEST

/* Bad files: one line naming the file, exit 2, nothing left in TMPDIR
 * or in --out: not a picture, a PNG cut short, a JPEG cut short. */
START_TEST(bad_files)
{
	char dir[] = "/tmp/check-images.XXXXXX";
	char good[512], text[512], png[512], jpg[512], out[512];
	const char *bad[3] = { text, png, jpg };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(good, sizeof good, "%s/good.jpg", dir);
	snprintf(text, sizeof text, "%s/notes.jpg", dir);
	snprintf(png, sizeof png, "%s/cut.png", dir);
	snprintf(jpg, sizeof jpg, "%s/cut.jpg", dir);
	snprintf(out, sizeof out, "%s/out", dir);
	write_test_jpeg(good, 320, 240);
	write_test_png(png, 200, 200);
	{
		FILE *f = fopen(text, "w");

		fputs("not a picture\n", f);
		fclose(f);
	}
	ck_assert_int_eq(truncate(png, 300), 0);
	{
		size_t l;
		char *g = read_all(good, &l);
		FILE *f = fopen(jpg, "wb");

		fwrite(g, 1, l / 2, f);
		fclose(f);
		free(g);
	}
	for (int i = 0; i < 3; i++) {
		const char *argv[] = { PROG, "--in", good, bad[i], "--compare", "--out",
		                       out, NULL };
		char *o = NULL, *e = NULL;

		tu_tmpdir_setup("images");
		ck_assert_int_eq(tu_run(argv, &o, &e), 2);
		ck_assert_str_eq(o, "");
		ck_assert_int_eq(tu_count_lines(e), 1);
		ck_assert_msg(strstr(e, bad[i]) != NULL, "stderr: %s", e);
		tu_tmpdir_teardown(true);
		ck_assert_int_eq(access(out, F_OK), -1); /* --out not even made */
		free(o);
		free(e);
	}
	/* A directory given as a photo: named as one, not "out of memory". */
	{
		const char *argv[] = { PROG, "--in", good, dir, "--out", out, NULL };
		char *o = NULL, *e = NULL;

		ck_assert_int_eq(tu_run(argv, &o, &e), 2);
		ck_assert_int_eq(tu_count_lines(e), 1);
		ck_assert_msg(strstr(e, "Is a directory") != NULL, "stderr: %s", e);
		free(o);
		free(e);
	}
	rm_rf(dir);
}
END_TEST

START_TEST(deterministic_across_runs)
{
	/* Two separate programs, threads vs processes, same digest. */
	const char *a[] = { PROG, "--json", "--mode", "thread", "--images", "3",
	                    "--width", "200", "--height", "150", "--fetch-ms", "0", NULL };
	const char *b[] = { PROG, "--json", "--mode", "process", "--images", "3",
	                    "--width", "200", "--height", "150", "--workers", "2",
	                    "--fetch-ms", "0", NULL };
	char oa[JSON_MAX], ob[JSON_MAX], da[32], db[32];

	tu_run_json(a, oa, sizeof oa);
	tu_run_json(b, ob, sizeof ob);
	tu_jstr(oa, "threads_digest", da, sizeof da);
	tu_jstr(ob, "processes_digest", db, sizeof db);
	ck_assert_str_eq(da, db);
}
END_TEST

START_TEST(gray_stays_gray)
{
	/* Gray noise: R = G = B, so the grayscale image equals any channel. */
	char dir[] = "/tmp/check-images.XXXXXX";
	char obj[JSON_MAX], path[512];
	unsigned char *src, *gray;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	{
		const char *argv[] = { PROG, "--json", "--images", "1", "--pattern",
		                       "graynoise", "--width", "17", "--height", "9",
		                       "--fetch-ms", "0", "--keep-stages", "--out", dir, NULL };

		tu_run_json(argv, obj, sizeof obj);
	}
	snprintf(path, sizeof path, "%s/input/graynoise_01.png", dir);
	src = png_pixels(path, 3, 17, 9);
	snprintf(path, sizeof path, "%s/serial/01_graynoise_01_gray.png", dir);
	gray = png_pixels(path, 1, 17, 9);
	for (int i = 0; i < 17 * 9; i++) {
		ck_assert_int_eq(src[3 * i], src[3 * i + 1]);
		ck_assert_int_eq(src[3 * i], src[3 * i + 2]);
		ck_assert_int_eq(gray[i], src[3 * i]);
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
	char obj[JSON_MAX], path[512];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	{
		const char *argv[] = { PROG, "--json", "--images", "3", "--pattern",
		                       "flat", "--width", "40", "--height", "30",
		                       "--fetch-ms", "0", "--sigma", "4", "--keep-stages",
		                       "--out", dir, NULL };

		tu_run_json(argv, obj, sizeof obj);
	}
	for (int no = 1; no <= 3; no++) {
		unsigned char *src, *bl, *th;

		snprintf(path, sizeof path, "%s/input/flat_%02d.png", dir, no);
		src = png_pixels(path, 3, 40, 30);
		snprintf(path, sizeof path, "%s/processes/%02d_flat_%02d_blur.png", dir, no, no);
		bl = png_pixels(path, 1, 40, 30);
		snprintf(path, sizeof path, "%s/processes/%02d_flat_%02d.png", dir, no, no);
		th = png_pixels(path, 1, 128, 128); /* scaled up to 128x128 */
		for (int i = 0; i < 40 * 30; i++)
			ck_assert_int_eq(bl[i], src[0]);
		for (int i = 0; i < 128 * 128; i++)
			ck_assert_int_eq(th[i], src[0]);
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
	char obj[JSON_MAX], path[512];
	unsigned char *pg, *pb;
	double mg = 0, mb = 0, vg = 0, vb = 0;
	const int w = 64, h = 48, n = 64 * 48;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	{
		const char *argv[] = { PROG, "--json", "--images", "1", "--pattern",
		                       "graynoise", "--width", "64", "--height", "48",
		                       "--sigma", "2", "--keep-stages", "--out", dir,
		                       "--fetch-ms", "0", "--mode", "thread", NULL };

		tu_run_json(argv, obj, sizeof obj);
	}
	snprintf(path, sizeof path, "%s/serial/01_graynoise_01_gray.png", dir);
	pg = png_pixels(path, 1, w, h);
	snprintf(path, sizeof path, "%s/serial/01_graynoise_01_blur.png", dir);
	pb = png_pixels(path, 1, w, h);
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
	free(pg);
	free(pb);
	rm_rf(dir);
}
END_TEST

/* The fetch is a wait of --fetch-ms per image: serially at least images x
 * that; four threads wait at once, under --gil too (a wait lets go of
 * it).  Under --gil one thread at a time computes (exactly: the CPU time
 * spent in the CPU stages is at most their wall time); without it, and in
 * processes (one GIL each), several do. */
START_TEST(fetch_overlaps_gil_serialises)
{
	for (int gil = 0; gil < 2; gil++) {
		const char *argv[] = { PROG, "--json", "--compare", "--images", "4",
		                       "--workers", "4", "--width", "400", "--height", "300",
		                       "--fetch-ms", "60", gil ? "--gil" : NULL, NULL };
		char obj[JSON_MAX];
		double serial;

		tu_run_json(argv, obj, sizeof obj);
		ck_assert(tu_jbool(obj, "gil") == (gil == 1));
		serial = tu_jnum(obj, "serial_fetch_ms");
		ck_assert_double_ge(serial, 4 * 60);
		ck_assert_double_ge(tu_jnum(obj, "threads_fetch_ms"), 60);
		/* At once: about a quarter of the serial wait (a ratio, so that
		 * late wake-ups on a busy machine count on both sides). */
		ck_assert_msg(tu_jnum(obj, "threads_fetch_ms") < 0.6 * serial,
		              "gil %d: threads fetched in %.0f ms, serial %.0f ms", gil,
		              tu_jnum(obj, "threads_fetch_ms"), serial);
		ck_assert_double_lt(tu_jnum(obj, "processes_fetch_ms"), 0.6 * serial);
		ck_assert_int_ge(tu_jint(obj, "processes_max_inside"), 2);
		if (gil) {
			ck_assert_int_eq(tu_jint(obj, "threads_max_inside"), 1);
			ck_assert_double_le(tu_jnum(obj, "threads_cpu_cores"), 1.02);
		} else {
			ck_assert_int_ge(tu_jint(obj, "threads_max_inside"), 2);
		}
	}
}
END_TEST

START_TEST(temp_dir_removed)
{
	const char *argv[] = { PROG, "--json", "--images", "2", "--width", "64",
	                       "--height", "48", "--fetch-ms", "0", NULL };
	char obj[JSON_MAX], dir[512];
	struct stat st;

	tu_run_json(argv, obj, sizeof obj);
	tu_jstr(obj, "out_dir", dir, sizeof dir);
	ck_assert(!tu_jbool(obj, "kept"));
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
 * directory is gone, no worker is left.  With a long wait (the fetch),
 * at once: the workers do not sleep out the rest of it. */
static void
term_midway(const char *mode, const char *fetch_ms)
{
	char tmp[] = "/tmp/check-images-term.XXXXXX";
	int st, found = 0;
	time_t t0, took;
	pid_t pid;

	ck_assert_ptr_nonnull(mkdtemp(tmp));
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		setenv("TMPDIR", tmp, 1);
		execl(PROG, PROG, "--images", "8", "--width", "320", "--height",
		      "240", "--fetch-ms", fetch_ms, "--mode", mode, NULL);
		_exit(127);
	}
	/* Wait until the way's directory exists: its workers have begun
	 * (the fetch stage alone takes 8 x 100 ms serially). */
	for (int i = 0; i < 1000 && !found; i++) {
		char cmd[600];

		snprintf(cmd, sizeof cmd, "ls -d %s/*/serial >/dev/null 2>&1", tmp);
		found = system(cmd) == 0;
		if (!found)
			nap_ms(10);
	}
	ck_assert_msg(found, "the program never wrote a thumbnail");
	t0 = time(NULL);
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	took = time(NULL) - t0;
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	ck_assert_int_eq(tu_count_entries(tmp), 0);
	rmdir(tmp);
	/* 10 s waits: the stop must not wait for the current one to end. */
	ck_assert_msg(took < 5, "SIGTERM took %ld s", (long)took);
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
		const char *argv[] = { PROG, "--images", "4", "--width", "320",
		                       "--height", "240", "--compare", "--mode",
		                       modes[m], "--fetch-ms", "0", NULL };

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
	term_midway("thread", "100");
}
END_TEST

START_TEST(sigterm_processes)
{
	term_midway("process", "100");
}
END_TEST

START_TEST(sigterm_in_long_wait)
{
	term_midway("thread", "10000");
	term_midway("process", "10000");
}
END_TEST

START_TEST(show_ascii)
{
	/* Not a terminal: plain ASCII shades, no escape sequences. */
	const char *argv[] = { PROG, "--images", "2", "--width", "64", "--height",
	                       "48", "--show", "--show-px", "16", "--fetch-ms", "0", NULL };
	char *out = NULL;

	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_ptr_null(strchr(out, '\033'));
	ck_assert_ptr_nonnull(strstr(out, "01_scene_01"));
	ck_assert_ptr_nonnull(strstr(out, "byte-identical"));
	free(out);
}
END_TEST

START_TEST(json_per_run)
{
	const char *argv[] = { PROG, "--json", "--images", "1", "--width", "32",
	                       "--height", "32", "--runs", "3", "--fetch-ms", "0", NULL };
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
		{ "--scale", "16" },
		{ "--scale", "3" },
		{ "--fetch-ms", "-1" },
		{ "--format", "gif" },
		{ "--in", "/nonexistent.jpg" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *argv[] = { PROG, bad[i][0], bad[i][1], NULL };

		tu_assert_usage_error(argv);
	}
	tu_assert_usage_errorv(PROG, "--in", "/etc/hostname", "--width", "64", NULL);
}
END_TEST

Suite *
suite_images(void)
{
	Suite *s = suite_create("images");
	TCase *tc = tcase_create("images");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, identical_every_way);
	tcase_add_test(tc, jpeg_out_from_given_files);
	tcase_add_test(tc, in_with_equals);
	tcase_add_test(tc, photos_or_generated);
	tcase_add_test(tc, bad_files);
	tcase_add_test(tc, deterministic_across_runs);
	tcase_add_test(tc, gray_stays_gray);
	tcase_add_test(tc, flat_blurs_to_itself);
	tcase_add_test(tc, blur_smooths_noise);
	tcase_add_test(tc, fetch_overlaps_gil_serialises);
	tcase_add_test(tc, temp_dir_removed);
	tcase_add_test(tc, sigterm_threads);
	tcase_add_test(tc, sigterm_processes);
	tcase_add_test(tc, sigterm_in_long_wait);
	tcase_add_test(tc, closed_pipe_removes_files);
	tcase_add_test(tc, show_ascii);
	tcase_add_test(tc, json_per_run);
	tcase_add_test(tc, bad_options);
	suite_add_tcase(s, tc);
	return s;
}
