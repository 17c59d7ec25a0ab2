// Lesson 10: a real-world CPU-bound job: thumbnails of large images.
//
// The tutorials download large photos, convert them to grayscale, blur
// them, scale them down to 128x128 and save them, one image per thread or
// process.  Without a network, this lesson makes its own large images
// (deterministic: the same seed always gives the same pixels), then runs
// the same pipeline serially, with threads and with processes, one image
// per task, and checks that the thumbnails are byte for byte the same
// whichever way they were made: running in parallel must not change the
// answer.  C threads are not held back by a GIL, so here threads and
// processes both use every core.
#include "lab/lab.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define THUMB 128 /* the tutorials' img.resize((128, 128)) */

/* The blur's inner loops are plain multiply-adds over arrays; GCC turns
 * them into vector instructions at -O3 but not at -O2.  Asking for it on
 * that one function makes the blur about twice as fast, for every way
 * alike, so the comparison stays fair. */
#if defined(__GNUC__) && !defined(__clang__)
#define HOT_LOOPS __attribute__((optimize("O3")))
#else
#define HOT_LOOPS
#endif

static int opt_images = 8;
static int opt_width = 2048, opt_height = 1536;
static double opt_sigma = 6.0;
static const char *opt_pattern = "scene";
static const char *opt_out;
static bool opt_show, opt_keep, opt_compare;
static int opt_show_px = 32;

static const struct lab_option options[] = {
	{ "images", LAB_OPT_INT, &opt_images, "N",
	  "how many images to make and process (default 8)", 1, 64 },
	{ "width", LAB_OPT_INT, &opt_width, "W",
	  "image width in pixels (default 2048)", 1, 8192 },
	{ "height", LAB_OPT_INT, &opt_height, "H",
	  "image height in pixels (default 1536)", 1, 8192 },
	{ "sigma", LAB_OPT_DOUBLE, &opt_sigma, "S",
	  "Gaussian blur radius, the standard deviation in pixels (default 6)",
	  0.1, 50 },
	{ "pattern", LAB_OPT_CHOICE, &opt_pattern, "scene|flat|graynoise",
	  "what the images show: a scene, one flat gray, or gray noise", 0, 0 },
	{ "compare", LAB_OPT_FLAG, &opt_compare, NULL,
	  "process the images serially, with threads and with processes", 0, 0 },
	{ "out", LAB_OPT_STRING, &opt_out, "DIR",
	  "keep the thumbnails in DIR/<way>/ (default: a temporary directory, "
	  "removed at exit)", 0, 0 },
	{ "keep-stages", LAB_OPT_FLAG, &opt_keep, NULL,
	  "also save each image's source (PPM), grayscale and blurred (PGM)", 0, 0 },
	{ "show", LAB_OPT_FLAG, &opt_show, NULL,
	  "draw the thumbnails in the terminal", 0, 0 },
	{ "show-px", LAB_OPT_INT, &opt_show_px, "P",
	  "drawn size of each thumbnail in pixels (default 32)", 4, 128 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "images",
	.title = "Images: grayscale, blur and thumbnails, serially and in parallel",
	.about = "Makes --images large synthetic images and turns each into a 128x128\n"
	         "grayscale thumbnail (grayscale, Gaussian blur, scale, save as PGM).\n"
	         "--compare does it serially, with threads and with processes, and checks\n"
	         "that the thumbnails are byte-identical whichever way they were made.",
	.workers = 4,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.options = options,
};

enum way { WAY_SERIAL, WAY_THREADS, WAY_PROCESSES, WAY_COUNT };
static const char *const way_name[WAY_COUNT] = { "serial", "threads", "processes" };

enum stage { ST_MAKE, ST_GRAY, ST_BLUR, ST_SCALE, ST_SAVE, ST_COUNT };
static const char *const stage_name[ST_COUNT] = {
	"make", "grayscale", "blur", "scale", "save",
};

/* An image: 8-bit channels, row by row. */
struct image {
	int w, h, ch; /* ch 3: RGB, 1: gray */
	uint8_t *px;
};

/* Shared with the workers (lab_shared_alloc), so that process workers can
 * take tasks from the same queue and report their timings. */
struct batch {
	_Atomic int next;       /* the next image nobody has taken yet */
	int images;
	char dir[4096];         /* where this way writes its files */
	_Atomic uint64_t stage_ns[ST_COUNT]; /* summed over the images */
	_Atomic int failed;     /* an image that could not be saved */
	_Atomic int stop;       /* a signal came: finish the current stage, quit */
	struct board_counter *done;
};

/* --- the pipeline ---------------------------------------------------- */

/* A small, seeded pseudo-random generator (splitmix64): the same seed
 * gives the same image on every run and in every worker. */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint8_t
clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* DOC: make-image: the "download": a colour gradient, a few discs and
 * some noise, all from the image's own seed. */
static void
make_image(struct image *im, int no, const char *pattern_name)
{
	enum { SCENE, FLAT, GRAYNOISE } pattern =
		strcmp(pattern_name, "flat") == 0 ? FLAT :
		strcmp(pattern_name, "graynoise") == 0 ? GRAYNOISE : SCENE;
	uint64_t s = 0x5eed0000u + (uint64_t)no;
	int discs = 3 + (int)(rng_next(&s) % 4);
	struct { int x, y, r2; uint8_t c[3]; } d[8];
	uint8_t flat = (uint8_t)(37 + 50 * no % 200);

	for (int k = 0; k < discs; k++) {
		int r = (int)(rng_next(&s) % (uint64_t)(im->h / 4 + 1)) + im->h / 10 + 1;

		d[k].x = (int)(rng_next(&s) % (uint64_t)im->w);
		d[k].y = (int)(rng_next(&s) % (uint64_t)im->h);
		d[k].r2 = r * r;
		for (int c = 0; c < 3; c++)
			d[k].c[c] = (uint8_t)rng_next(&s);
	}
	for (int y = 0; y < im->h; y++) {
		uint8_t *row = im->px + (size_t)y * (size_t)im->w * 3;

		for (int x = 0; x < im->w; x++) {
			uint8_t *p = row + (size_t)x * 3;

			if (pattern == FLAT) {
				p[0] = p[1] = p[2] = flat;
				continue;
			}
			if (pattern == GRAYNOISE) {
				p[0] = p[1] = p[2] = (uint8_t)rng_next(&s);
				continue;
			}
			int r = 255 * x / (im->w > 1 ? im->w - 1 : 1);
			int g = 255 * y / (im->h > 1 ? im->h - 1 : 1);
			int b = (no * 40) & 255;
			int noise = (int)(rng_next(&s) & 31) - 16;

			for (int k = 0; k < discs; k++) {
				long dx = x - d[k].x, dy = y - d[k].y;

				if (dx * dx + dy * dy < d[k].r2) {
					r = d[k].c[0];
					g = d[k].c[1];
					b = d[k].c[2];
				}
			}
			p[0] = clamp8(r + noise);
			p[1] = clamp8(g + noise);
			p[2] = clamp8(b + noise);
		}
	}
}

/* DOC: grayscale: img.convert("L"), luma of ITU-R 601 in fixed point.
 * The weights add up to exactly 65536, so a gray pixel (c, c, c) stays c. */
static void
to_gray(const struct image *rgb, struct image *gray)
{
	size_t n = (size_t)rgb->w * (size_t)rgb->h;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = rgb->px + 3 * i;

		gray->px[i] = (uint8_t)((19595u * p[0] + 38470u * p[1] +
		                         7471u * p[2] + 32768u) >> 16);
	}
}

/* A Gaussian kernel in fixed point whose weights add up to exactly 65536,
 * so that blurring a flat image gives the same flat image back. */
static int
make_kernel(double sigma, uint32_t *k, int max)
{
	int r = (int)ceil(3 * sigma);
	double w[2 * 150 + 1], total = 0;
	uint32_t sum = 0;

	if (r > max)
		r = max;
	for (int i = -r; i <= r; i++)
		total += w[i + r] = exp(-(double)(i * i) / (2 * sigma * sigma));
	for (int i = -r; i <= r; i++)
		sum += k[i + r] = (uint32_t)lround(w[i + r] / total * 65536);
	k[r] += 65536 - sum; /* the rounding error goes to the centre */
	return r;
}

/* DOC: blur: img.filter(ImageFilter.GaussianBlur(...)).  A 2-D Gaussian is
 * separable: blur every row, then every column, 2(2r+1) multiplications
 * per pixel instead of (2r+1)^2.  Edges repeat the border pixel.  The row
 * pass keeps 8 extra bits in tmp; nothing is rounded twice. */
HOT_LOOPS static void
blur(const struct image *in, struct image *out, uint16_t *tmp, uint32_t *acc,
     uint8_t *pad, double sigma)
{
	uint32_t k[2 * 150 + 1];
	int r = make_kernel(sigma, k, 150), w = in->w, h = in->h;

	for (int y = 0; y < h; y++) {
		const uint8_t *src = in->px + (size_t)y * (size_t)w;
		uint16_t *dst = tmp + (size_t)y * (size_t)w;

		/* The row with r border pixels repeated on each side, so the
		 * inner loop has no edge tests and the compiler vectorises it. */
		for (int j = 0; j < w + 2 * r; j++)
			pad[j] = src[j < r ? 0 : j - r >= w ? w - 1 : j - r];
		memset(acc, 0, (size_t)w * sizeof *acc);
		for (int i = 0; i <= 2 * r; i++) {
			uint32_t kk = k[i];
			const uint8_t *p = pad + i;

			for (int x = 0; x < w; x++)
				acc[x] += kk * p[x];
		}
		for (int x = 0; x < w; x++)
			dst[x] = (uint16_t)((acc[x] + 128) >> 8); /* at most 65280 */
	}
	for (int y = 0; y < h; y++) {
		uint8_t *dst = out->px + (size_t)y * (size_t)w;

		memset(acc, 0, (size_t)w * sizeof *acc);
		for (int i = -r; i <= r; i++) {
			int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
			const uint16_t *row = tmp + (size_t)yy * (size_t)w;
			uint32_t kk = k[i + r];

			/* At most 65536 * 65280 + 2^23 < 2^32: no overflow. */
			for (int x = 0; x < w; x++)
				acc[x] += kk * row[x];
		}
		for (int x = 0; x < w; x++)
			dst[x] = (uint8_t)((acc[x] + (1u << 23)) >> 24);
	}
}

/* DOC: scale: img.resize((128, 128)).  Each thumbnail pixel is the
 * average of the block of source pixels it covers (at least one pixel, so
 * a small image is scaled up too). */
static void
scale(const struct image *in, struct image *out)
{
	for (int ty = 0; ty < out->h; ty++) {
		int y0 = ty * in->h / out->h, y1 = (ty + 1) * in->h / out->h;

		if (y1 <= y0)
			y1 = y0 + 1;
		for (int tx = 0; tx < out->w; tx++) {
			int x0 = tx * in->w / out->w, x1 = (tx + 1) * in->w / out->w;
			uint64_t s = 0, n;

			if (x1 <= x0)
				x1 = x0 + 1;
			for (int y = y0; y < y1; y++)
				for (int x = x0; x < x1; x++)
					s += in->px[(size_t)y * (size_t)in->w + (size_t)x];
			n = (uint64_t)(y1 - y0) * (uint64_t)(x1 - x0);
			out->px[(size_t)ty * (size_t)out->w + (size_t)tx] =
				(uint8_t)((s + n / 2) / n);
		}
	}
}

/* Binary PGM (P5) or PPM (P6): a tiny header and the raw bytes. */
static int
save_pnm(const char *path, const struct image *im)
{
	FILE *f = fopen(path, "wb");
	size_t n = (size_t)im->w * (size_t)im->h * (size_t)im->ch;
	int ok;

	if (!f)
		return -1;
	fprintf(f, "P%c\n%d %d\n255\n", im->ch == 3 ? '6' : '5', im->w, im->h);
	ok = fwrite(im->px, 1, n, f) == n;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static bool
image_alloc(struct image *im, int w, int h, int ch)
{
	im->w = w;
	im->h = h;
	im->ch = ch;
	im->px = malloc((size_t)w * (size_t)h * (size_t)ch);
	return im->px != NULL;
}

/* --- the workers ------------------------------------------------------ */

static void
stage_done(struct batch *b, enum stage s, uint64_t *t)
{
	uint64_t now = board_now_ns();

	atomic_fetch_add_explicit(&b->stage_ns[s], now - *t, memory_order_relaxed);
	*t = now;
}

static int
save_stage(struct batch *b, const char *what, int no, const struct image *im)
{
	char path[4200];

	snprintf(path, sizeof path, "%.4000s/%s_%02d.%s", b->dir, what, no,
	         im->ch == 3 ? "ppm" : "pgm");
	return save_pnm(path, im);
}

/* DOC: one-image-per-task: download_and_process_image(url), here
 * make_and_process_image(no).  Workers take the next image from a shared
 * counter until none are left, as a Pool's workers take tasks. */
static int
image_worker(struct lab_worker *w)
{
	struct batch *b = w->arg;
	struct image rgb, gray, blurred, thumb = { THUMB, THUMB, 1, NULL };
	uint16_t *tmp = malloc((size_t)opt_width * (size_t)opt_height * sizeof *tmp);
	uint32_t *acc = malloc((size_t)opt_width * sizeof *acc);
	uint8_t *pad = malloc((size_t)opt_width + 2 * 150);
	uint8_t thumb_px[THUMB * THUMB];
	int mine = 0, no, rc = 0;

	thumb.px = thumb_px;
	if (!tmp || !acc || !pad || !image_alloc(&rgb, opt_width, opt_height, 3) ||
	    !image_alloc(&gray, opt_width, opt_height, 1) ||
	    !image_alloc(&blurred, opt_width, opt_height, 1))
		return 1;
	while (!atomic_load(&b->stop) &&
	       (no = atomic_fetch_add(&b->next, 1) + 1) <= b->images) {
		uint64_t t = board_now_ns();

		lab_step_val(w, "make image", no);
		make_image(&rgb, no, opt_pattern);
		stage_done(b, ST_MAKE, &t);
		if (atomic_load(&b->stop))
			break;
		lab_step_val(w, "grayscale", no);
		to_gray(&rgb, &gray);
		stage_done(b, ST_GRAY, &t);
		if (atomic_load(&b->stop))
			break;
		lab_step_val(w, "blur", no);
		blur(&gray, &blurred, tmp, acc, pad, opt_sigma);
		stage_done(b, ST_BLUR, &t);
		if (atomic_load(&b->stop))
			break;
		lab_step_val(w, "scale to 128x128", no);
		scale(&blurred, &thumb);
		stage_done(b, ST_SCALE, &t);
		lab_step_val(w, "save", no);
		if (save_stage(b, "processed", no, &thumb) < 0 ||
		    (opt_keep && (save_stage(b, "source", no, &rgb) < 0 ||
		                  save_stage(b, "gray", no, &gray) < 0 ||
		                  save_stage(b, "blur", no, &blurred) < 0))) {
			atomic_store(&b->failed, no);
			rc = 1;
		}
		stage_done(b, ST_SAVE, &t);
		atomic_fetch_add(&b->done->value, 1);
		lab_progress(w, (uint64_t)++mine, (uint64_t)b->images);
	}
	free(rgb.px);
	free(gray.px);
	free(blurred.px);
	free(tmp);
	free(acc);
	free(pad);
	return rc;
}

/* --- the output directory ---------------------------------------------- */

/* The temporary directory comes from lab_tmpdir(): its helper process
 * removes it with everything in it whatever ends the lesson (a SIGKILL,
 * the shell's after its grace, included); the normal end and a caught
 * signal remove it at once. */
static struct lab *temp_lab;
static const char *temp_root;
static struct batch *the_batch;
static volatile sig_atomic_t caught;

static void
cleanup(void)
{
	if (!temp_root)
		return;
	lab_tmpdir_remove(temp_lab, temp_root);
	temp_root = NULL;
}

/* DOC: stop-on-signal: the handler only raises flags (the tmux way: no
 * real work in a handler).  Workers see the shared stop flag at their next
 * stage and return; main joins them, and only then removes the files, so
 * no worker can write a file after the cleanup. */
static void
on_signal(int sig)
{
	caught = sig;
	if (the_batch)
		atomic_store(&the_batch->stop, 1);
}

/* After the workers are joined: if a signal came, clean up and die of it. */
static void
die_if_caught(void)
{
	int sig = caught;

	if (!sig)
		return;
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* A private temporary directory. */
static void
make_temp_dir(struct lab *lab, char *root, size_t len)
{
	lab_tmpdir(lab, "images", root, len);
	temp_lab = lab;
	temp_root = root;
}

static void
make_dir(struct lab *lab, const char *path)
{
	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		lab_die(lab, "cannot make directory %s:", path);
}

/* --- comparing and showing --------------------------------------------- */

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n + 1)) &&
	    fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	if (p)
		*len = (size_t)n;
	fclose(f);
	return p;
}

/* FNV-1a over every thumbnail of one way, to name its output in a line. */
static uint64_t
fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	return h;
}

/* Reads a thumbnail back from its file: the pixels after the header. */
static const uint8_t *
pgm_pixels(const uint8_t *file, size_t len)
{
	static const char head[] = "P5\n128 128\n255\n";

	if (len != sizeof head - 1 + THUMB * THUMB ||
	    memcmp(file, head, sizeof head - 1) != 0)
		return NULL;
	return file + sizeof head - 1;
}

static int
term_columns(void)
{
	struct winsize ws;
	const char *c = getenv("COLUMNS");

	if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (c && atoi(c) > 0)
		return atoi(c);
	return 80;
}

/* DOC: half-blocks: a terminal cell is about twice as tall as wide, so
 * one cell shows two pixels: the upper half block U+2580 in the top
 * pixel's colour over a background of the bottom pixel's.  Without colour
 * (not a terminal, NO_COLOR, TERM=dumb) one character per cell, from a
 * ramp of ASCII shades of the two pixels' average. */
static void
show(const uint8_t *const *thumbs, int n)
{
	const char *term = getenv("TERM"), *ct = getenv("COLORTERM");
	bool colour = isatty(1) && !getenv("NO_COLOR") && term && strcmp(term, "dumb");
	bool truecolor = ct && (strcmp(ct, "truecolor") == 0 || strcmp(ct, "24bit") == 0);
	static const char ramp[] = " .:-=+*#%@";
	int px = opt_show_px, per_row = term_columns() / (px + 1);

	if (per_row < 1)
		per_row = 1;
	for (int first = 0; first < n; first += per_row) {
		int last = first + per_row < n ? first + per_row : n;

		for (int cy = 0; cy < px / 2; cy++) {
			for (int t = first; t < last; t++) {
				for (int cx = 0; cx < px; cx++) {
					int v[2];

					/* Box-average the thumbnail down to px x px. */
					for (int half = 0; half < 2; half++) {
						int y0 = (2 * cy + half) * THUMB / px;
						int y1 = (2 * cy + half + 1) * THUMB / px;
						int x0 = cx * THUMB / px, x1 = (cx + 1) * THUMB / px;
						int s = 0;

						for (int y = y0; y < y1; y++)
							for (int x = x0; x < x1; x++)
								s += thumbs[t][y * THUMB + x];
						v[half] = s / ((y1 - y0) * (x1 - x0));
					}
					if (!colour)
						putchar(ramp[(v[0] + v[1]) / 2 * (int)(sizeof ramp - 2) / 255]);
					else if (truecolor)
						printf("\033[38;2;%d;%d;%dm\033[48;2;%d;%d;%dm\u2580",
						       v[0], v[0], v[0], v[1], v[1], v[1]);
					else /* the 24-step gray ramp of 256 colours, 232..255 */
						printf("\033[38;5;%dm\033[48;5;%dm\u2580",
						       232 + v[0] * 23 / 255, 232 + v[1] * 23 / 255);
				}
				printf(colour ? "\033[0m " : " ");
			}
			putchar('\n');
		}
		for (int t = first; t < last; t++) {
			char cap[32];

			snprintf(cap, sizeof cap, "processed_%02d", t + 1);
			printf("%-*.*s ", px, px, cap);
		}
		putchar('\n');
	}
}

/* --- main ---------------------------------------------------------------- */

struct way_result {
	bool ran;
	double ms, speedup;
	uint64_t stage_ns[ST_COUNT];
	uint64_t digest;
	int files;
};

static void
run_way(struct lab *lab, enum way way, struct batch *b, const char *root,
        int *next_no, struct way_result *r)
{
	enum lab_mode mode = way == WAY_PROCESSES ? LAB_PROCESS : LAB_THREAD;
	int n = way == WAY_SERIAL ? 1 : lab->o.workers;
	struct lab_team *team;
	uint64_t t0;

	snprintf(b->dir, sizeof b->dir, "%.3000s/%s", root, way_name[way]);
	make_dir(lab, b->dir);
	atomic_store(&b->next, 0);
	atomic_store(&b->failed, 0);
	for (int s = 0; s < ST_COUNT; s++)
		atomic_store(&b->stage_ns[s], 0);
	atomic_store(&b->done->value, 0);
	t0 = board_now_ns();
	team = lab_spawn_ex(lab, mode, *next_no, n, image_worker, b);
	if (lab_join(team) != LAB_JOIN_OK) {
		die_if_caught();
		if (atomic_load(&b->failed))
			lab_die(lab, "cannot save image %d in %s", atomic_load(&b->failed),
			        b->dir);
		lab_die(lab, "a %s worker failed (out of memory?)", way_name[way]);
	}
	die_if_caught();
	r->ms = (double)(board_now_ns() - t0) / 1e6;
	r->ran = true;
	for (int s = 0; s < ST_COUNT; s++)
		r->stage_ns[s] = atomic_load(&b->stage_ns[s]);
	*next_no += n;
	lab_team_free(team);
}

/* Reads one way's thumbnails back: digest, count, and (for --show) the
 * pixels.  Returns false if a file is missing or is not a 128x128 PGM. */
static bool
read_back(const char *root, enum way way, int images, struct way_result *r,
          uint8_t **files, size_t *lens)
{
	uint64_t h = 0xcbf29ce484222325u;

	r->files = 0;
	for (int no = 1; no <= images; no++) {
		char path[4200];

		snprintf(path, sizeof path, "%.3000s/%s/processed_%02d.pgm", root,
		         way_name[way], no);
		files[no - 1] = read_file(path, &lens[no - 1]);
		if (!files[no - 1] || !pgm_pixels(files[no - 1], lens[no - 1]))
			return false;
		h = fnv(h, files[no - 1], lens[no - 1]);
		r->files++;
	}
	r->digest = h;
	return true;
}

int
main(int argc, char **argv)
{
	struct lab lab;
	struct batch *b;
	char root[3000];
	uint8_t **files[WAY_COUNT];
	size_t *lens[WAY_COUNT];
	int status = 0;

	lab_init(&lab, &lesson, argc, argv);
	if ((lab.o.mode == LAB_PROCESS || opt_compare) && lab.o.workers > 64)
		lab_usage_error(&lab, "--workers: at most 64 process workers here");
	if (opt_out && strlen(opt_out) >= sizeof root)
		lab_usage_error(&lab, "--out: the path is too long");
	if (opt_out && !*opt_out)
		lab_usage_error(&lab, "--out: empty directory name");
	if (opt_out) {
		snprintf(root, sizeof root, "%s", opt_out);
		make_dir(&lab, root);
	} else {
		make_temp_dir(&lab, root, sizeof root);
	}
	b = lab_shared_alloc(&lab, sizeof *b);
	b->images = opt_images;
	the_batch = b;
	{
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		/* Output into a pipe whose reader has gone (| head): the
		 * same orderly stop, then death by SIGPIPE, as any writer. */
		sigaction(SIGPIPE, &sa, NULL);
	}
	for (int wy = 0; wy < WAY_COUNT; wy++) {
		files[wy] = calloc((size_t)opt_images, sizeof *files[wy]);
		lens[wy] = calloc((size_t)opt_images, sizeof *lens[wy]);
		if (!files[wy] || !lens[wy])
			lab_die(&lab, "out of memory");
	}

	lab_say(&lab, "%d images of %dx%d RGB (%s), blur sigma %g, thumbnails %dx%d\n",
	        opt_images, opt_width, opt_height, opt_pattern, opt_sigma, THUMB, THUMB);
	lab_say(&lab, "%d workers for the parallel ways, %d CPU%s usable; output in %s%s\n",
	        lab.o.workers, lab.ncpu, lab.ncpu == 1 ? "" : "s", root,
	        opt_out ? "" : " (removed at exit)");

	for (int run = 1; run <= lab.o.runs; run++) {
		struct way_result res[WAY_COUNT] = { 0 };
		enum way ways[WAY_COUNT];
		int nways = 0, next_no = 1;
		bool identical = true, readable = true;
		int differing = 0; /* parallel-way files unlike the serial one */
		enum way par;

		ways[nways++] = WAY_SERIAL;
		if (opt_compare) {
			ways[nways++] = WAY_THREADS;
			ways[nways++] = WAY_PROCESSES;
		} else {
			ways[nways++] = lab.o.mode == LAB_THREAD ? WAY_THREADS : WAY_PROCESSES;
		}
		par = ways[nways - 1];

		lab_run_begin(&lab, run);
		b->done = lab_counter(&lab, "images done", 0);
		lab_counter_expect(b->done, opt_images);
		lab_counter_kind(b->done, BOARD_COUNTER_COUNT);
		for (int i = 0; i < nways; i++) {
			struct way_result *r = &res[ways[i]];

			run_way(&lab, ways[i], b, root, &next_no, r);
			if (ways[i] == WAY_SERIAL) {
				/* DOC: yardstick: every speedup divides the serial
				 * time, so one serial run slowed down by another
				 * program would inflate them all (it once showed
				 * 2.10x on 2 cores).  The faster of two counts, as
				 * in lesson 09. */
				struct way_result again = { 0 };

				run_way(&lab, WAY_SERIAL, b, root, &next_no, &again);
				if (again.ms < r->ms)
					*r = again;
			}
			r->speedup = res[WAY_SERIAL].ms / r->ms;
		}
		lab_run_end(&lab);

		/* DOC: byte-identical: the parallel ways must write exactly
		 * the files the serial way wrote. */
		for (int i = 0; i < nways; i++) {
			enum way wy = ways[i];

			for (int no = 0; no < opt_images; no++) {
				free(files[wy][no]);
				files[wy][no] = NULL;
			}
			if (!read_back(root, wy, opt_images, &res[wy], files[wy], lens[wy]))
				readable = false;
			for (int no = 0; readable && i > 0 && no < opt_images; no++)
				if (lens[wy][no] != lens[WAY_SERIAL][no] ||
				    memcmp(files[wy][no], files[WAY_SERIAL][no],
				           lens[wy][no]) != 0) {
					identical = false;
					differing++;
				}
		}
		identical = identical && readable;

		if (lab.o.json) {
			struct lab_json j;
			char key[64], hex[32];

			lab_json_begin(&j);
			lab_json_int(&j, "run", run);
			lab_json_int(&j, "images", opt_images);
			lab_json_int(&j, "width", opt_width);
			lab_json_int(&j, "height", opt_height);
			lab_json_num(&j, "sigma", opt_sigma);
			lab_json_str(&j, "pattern", opt_pattern);
			lab_json_int(&j, "workers", lab.o.workers);
			lab_json_int(&j, "ncpu", lab.ncpu);
			lab_json_int(&j, "cores", lab.ncpu); /* for expect: lines */
			for (int i = 0; i < nways; i++) {
				struct way_result *r = &res[ways[i]];

				snprintf(key, sizeof key, "%s_ms", way_name[ways[i]]);
				lab_json_num(&j, key, r->ms);
				snprintf(key, sizeof key, "%s_speedup", way_name[ways[i]]);
				lab_json_num(&j, key, r->speedup);
				snprintf(key, sizeof key, "%s_files", way_name[ways[i]]);
				lab_json_int(&j, key, r->files);
				snprintf(key, sizeof key, "%s_digest", way_name[ways[i]]);
				snprintf(hex, sizeof hex, "%016llx", (unsigned long long)r->digest);
				lab_json_str(&j, key, hex);
			}
			for (int s = 0; s < ST_COUNT; s++) {
				snprintf(key, sizeof key, "%s_ms", stage_name[s]);
				lab_json_num(&j, key, (double)res[WAY_SERIAL].stage_ns[s] / 1e6);
			}
			{
				double all = 0;

				for (int s2 = 0; s2 < ST_COUNT; s2++)
					all += (double)res[WAY_SERIAL].stage_ns[s2];
				lab_json_num(&j, "blur_share", all > 0 ?
				             (double)res[WAY_SERIAL].stage_ns[ST_BLUR] / all : 0);
			}
			lab_json_str(&j, "parallel", way_name[par]);
			lab_json_bool(&j, "identical", identical);
			lab_json_int(&j, "differing_files", readable ? differing : -1);
			lab_json_str(&j, "out_dir", root);
			lab_json_bool(&j, "kept", opt_out != NULL);
			lab_json_end(&j);
		}
		if (lab_text(&lab)) {
			printf("\n%-10s %7s %10s %8s  %s\n", "way", "workers", "time",
			       "speedup", "thumbnails (FNV-1a of the files)");
			for (int i = 0; i < nways; i++) {
				struct way_result *r = &res[ways[i]];

				printf("%-10s %7d %7.0f ms %7.2fx  %d files, %016llx\n",
				       way_name[ways[i]], ways[i] == WAY_SERIAL ? 1 : lab.o.workers,
				       r->ms, r->speedup, r->files, (unsigned long long)r->digest);
			}
			printf("Time per stage, serial:");
			for (int s = 0; s < ST_COUNT; s++)
				printf(" %s %.0f ms%s", stage_name[s],
				       (double)res[WAY_SERIAL].stage_ns[s] / 1e6,
				       s + 1 < ST_COUNT ? "," : "\n");
			printf("Thumbnails %s whichever way they were made\n",
			       identical ? "byte-identical" : "DIFFER");
			fflush(stdout);
		}
		if (opt_show && lab_text(&lab)) {
			const uint8_t *px[64];

			for (int no = 0; no < opt_images && readable; no++)
				px[no] = pgm_pixels(files[WAY_SERIAL][no], lens[WAY_SERIAL][no]);
			if (readable) {
				putchar('\n');
				show(px, opt_images);
				fflush(stdout);
			}
		}
		if (!identical) {
			status = 1;
			break;
		}
	}
	for (int wy = 0; wy < WAY_COUNT; wy++) {
		for (int no = 0; no < opt_images; no++)
			free(files[wy][no]);
		free(files[wy]);
		free(lens[wy]);
	}
	die_if_caught(); /* a signal after the last stage: still die of it */
	return status;
}
