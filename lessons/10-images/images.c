// Lesson 10: a real image job: thumbnails of photographs.
//
// The tutorials download large photos, convert them to grayscale, blur
// them, scale them down to 128x128 and save them, one image per thread or
// process.  This lesson does the same with real files: it reads photos (a
// Debian package's wallpapers, or the learner's own with --in), decodes
// them with libjpeg-turbo or libpng, makes the thumbnails and encodes them
// as PNG or JPEG files.  The download is a blocking wait of --fetch-ms per
// image, standing in for the network (nothing is sent anywhere).  Each
// stage runs over every image before the next one starts, so each stage
// has its own time and its own speedup: threads gain on the wait; under
// --gil (a model of Python threads running Python code) they gain on
// nothing else, while processes gain on every stage.  The thumbnails are
// byte for byte the same whichever way they were made.
#include "lab/lab.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

#define THUMB 128 /* the tutorials' img.resize((128, 128)) */
#define MAX_IMAGES 64
#define MAX_PIXELS (64L * 1024 * 1024) /* per decoded image */
#define PHOTOS "/usr/share/backgrounds"

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
static int opt_width, opt_height; /* 0: not given */
static int opt_scale = 4, opt_fetch_ms = 20;
static double opt_sigma = 3.0;
static const char *opt_pattern; /* NULL: not given */
static const char *opt_in, *opt_photos = PHOTOS, *opt_format = "png";
static const char *opt_out;
static bool opt_show, opt_keep, opt_compare, opt_gil;
static int opt_show_px = 32;

static const struct lab_option options[] = {
	{ "in", LAB_OPT_STRING, &opt_in, "FILE...",
	  "your own photos (PNG or JPEG), instead of the default ones", 0, 0 },
	{ "photos", LAB_OPT_STRING, &opt_photos, "DIR",
	  "where the default photos are, *.jpg (default " PHOTOS ")", 0, 0 },
	{ "images", LAB_OPT_INT, &opt_images, "N",
	  "how many of the default photos (or generated images) to process "
	  "(default 8)", 1, MAX_IMAGES },
	{ "scale", LAB_OPT_INT, &opt_scale, "N",
	  "decode JPEG photos at 1/N of their size, N 1, 2, 4 or 8, as Pillow's "
	  "draft() does (default 4)", 1, 8 },
	{ "fetch-ms", LAB_OPT_INT, &opt_fetch_ms, "MS",
	  "the download: a blocking wait per image standing in for the network "
	  "(default 20)", 0, 10000 },
	{ "gil", LAB_OPT_FLAG, &opt_gil, NULL,
	  "threads hold one global lock over every CPU stage, as Python threads "
	  "running Python code hold the GIL; the wait lets go of it", 0, 0 },
	{ "width", LAB_OPT_INT, &opt_width, "W",
	  "generate the images (saved as PNG files), W pixels wide", 1, 8192 },
	{ "height", LAB_OPT_INT, &opt_height, "H",
	  "generate the images, H pixels high", 1, 8192 },
	{ "pattern", LAB_OPT_CHOICE, &opt_pattern, "scene|flat|graynoise",
	  "generate the images: a scene, one flat gray, or gray noise", 0, 0 },
	{ "sigma", LAB_OPT_DOUBLE, &opt_sigma, "S",
	  "Gaussian blur radius, the standard deviation in pixels (default 3)",
	  0.1, 50 },
	{ "format", LAB_OPT_CHOICE, &opt_format, "png|jpeg",
	  "file format of the thumbnails (default png)", 0, 0 },
	{ "compare", LAB_OPT_FLAG, &opt_compare, NULL,
	  "process the images serially, with threads and with processes", 0, 0 },
	{ "out", LAB_OPT_STRING, &opt_out, "DIR",
	  "keep the thumbnails in DIR/<way>/ (default: a temporary directory, "
	  "removed at exit)", 0, 0 },
	{ "keep-stages", LAB_OPT_FLAG, &opt_keep, NULL,
	  "also save each image's grayscale and blurred version (PNG)", 0, 0 },
	{ "show", LAB_OPT_FLAG, &opt_show, NULL,
	  "draw the thumbnails in the terminal", 0, 0 },
	{ "show-px", LAB_OPT_INT, &opt_show_px, "P",
	  "drawn size of each thumbnail in pixels (default 32)", 4, 128 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "images",
	.title = "Images: real photos to thumbnails, serially and in parallel",
	.about = "Fetches (a timed wait standing in for the network), decodes (libjpeg-turbo,\n"
	         "libpng), grays, blurs, scales to 128x128 and encodes each photo, one stage\n"
	         "over all images at a time, and times every stage.  --compare does it\n"
	         "serially, with threads and with processes and checks that the thumbnail\n"
	         "files are byte-identical; --gil makes threads take turns on the CPU stages.",
	.workers = 4,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.options = options,
};

enum way { WAY_SERIAL, WAY_THREADS, WAY_PROCESSES, WAY_COUNT };
static const char *const way_name[WAY_COUNT] = { "serial", "threads", "processes" };

/* The stages, in order.  Each runs over every image before the next one
 * starts (a pool.map per stage), so each has a wall time of its own. */
enum stage { ST_FETCH, ST_DECODE, ST_GRAY, ST_BLUR, ST_THUMB, ST_ENCODE, ST_COUNT };
static const char *const stage_name[ST_COUNT] = {
	"fetch", "decode", "grayscale", "blur", "thumbnail", "encode",
};
static const char *const stage_short[ST_COUNT] = {
	"fetch", "decode", "gray", "blur", "thumb", "encode",
};

/* An image: 8-bit channels, row by row. */
struct image {
	int w, h, ch; /* ch 3: RGB, 1: gray */
	uint8_t *px;
};

enum kind { KIND_PNG, KIND_JPEG };

/* One input photo and its buffers, all in shared memory (the stages of a
 * process worker leave their results where the next stage, perhaps in
 * another process, finds them). */
struct item {
	char path[4096];
	char name[64];  /* output name: NN_basename */
	size_t file_len;
	int w, h;       /* as decoded (JPEG: after --scale) */
	uint8_t *file;  /* the fetched bytes */
	struct image rgb, gray, blurred, thumb;
};

struct batch {
	int images;
	struct item *item;
	int max_w, max_h;
	char dir[4096];             /* where this way writes its files */
	bool gil;                   /* threads take the GIL over CPU stages */
	struct lab_lock *gil_lock;
	_Atomic int next[ST_COUNT]; /* the next image nobody has taken yet */
	/* The stage gate: workers wait there until all have finished the
	 * stage; the last one to arrive notes the time. */
	struct lab_lock *gate;
	struct lab_cond *gate_cv;
	int arrived, phase, team_n; /* under gate */
	_Atomic uint64_t t_start;   /* the first worker's start */
	uint64_t t_end[ST_COUNT];   /* under gate: when the stage ended */
	_Atomic int inside, max_inside; /* CPU stages: workers in one now */
	_Atomic uint64_t cpu_ns;    /* CPU time the workers spent in them */
	_Atomic int failed;         /* 1 + the image that failed */
	char error[512];            /* its message (written by that worker) */
	_Atomic int stop;           /* a signal came: finish the stage, quit */
	struct board_counter *done;
};

static bool
cpu_stage(enum stage s)
{
	return s != ST_FETCH;
}

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

/* DOC: make-image: when there are no photos: a colour gradient, a few
 * discs and some noise, all from the image's own seed. */
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

/* --- the codecs: libjpeg-turbo and libpng ------------------------------ */

/* What kind of file the first bytes say it is (not what its name says). */
static int
sniff(const uint8_t *p, size_t len)
{
	static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	if (len >= 8 && memcmp(p, png_sig, 8) == 0)
		return KIND_PNG;
	if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return KIND_JPEG;
	return -1;
}

/* libjpeg reports errors by calling error_exit, which must not return:
 * jump back to the caller with the message.  Warnings (corrupt data, a
 * file cut short) count as errors too: a damaged photo is bad input. */
struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
};

static void
jerr_exit(j_common_ptr c)
{
	struct jerr *e = (struct jerr *)(void *)c->err;

	(*c->err->format_message)(c, e->msg);
	longjmp(e->jb, 1);
}

static void
jerr_emit(j_common_ptr c, int level)
{
	if (level < 0)
		jerr_exit(c);
}

/* Reads a JPEG's header (and with px, its pixels, ch channels) from
 * memory, decoded at 1/scale with the DCT's own scaling: libjpeg then
 * skips most of the work for the pixels it leaves out. */
static int
jpeg_run(const uint8_t *buf, size_t len, int scale, int ch, int *w, int *h,
         uint8_t *px, char *err, size_t errlen)
{
	struct jpeg_decompress_struct d;
	struct jerr e;

	d.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = jerr_exit;
	e.pub.emit_message = jerr_emit;
	if (setjmp(e.jb)) {
		snprintf(err, errlen, "not a readable JPEG file (%s)", e.msg);
		jpeg_destroy_decompress(&d);
		return -1;
	}
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, buf, (unsigned long)len);
	jpeg_read_header(&d, TRUE);
	if (d.jpeg_color_space == JCS_CMYK || d.jpeg_color_space == JCS_YCCK) {
		snprintf(err, errlen, "a CMYK JPEG (only gray and colour ones here)");
		jpeg_destroy_decompress(&d);
		return -1;
	}
	d.scale_num = 1;
	d.scale_denom = (unsigned)scale;
	d.out_color_space = ch == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_calc_output_dimensions(&d);
	*w = (int)d.output_width;
	*h = (int)d.output_height;
	if (px) {
		jpeg_start_decompress(&d);
		while (d.output_scanline < d.output_height) {
			JSAMPROW row = px + (size_t)d.output_scanline * (size_t)*w * (size_t)ch;

			jpeg_read_scanlines(&d, &row, 1);
		}
		jpeg_finish_decompress(&d);
	}
	jpeg_destroy_decompress(&d);
	return 0;
}

/* The same for a PNG, with libpng's simplified API, which turns every
 * PNG (palette, 16-bit, gray, alpha) into 8-bit RGB or gray; transparent
 * parts come out over white. */
static int
png_run(const uint8_t *buf, size_t len, int ch, int *w, int *h, uint8_t *px,
        char *err, size_t errlen)
{
	png_image im;

	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&im, buf, len)) {
		snprintf(err, errlen, "not a readable PNG file (%s)", im.message);
		return -1;
	}
	*w = (int)im.width;
	*h = (int)im.height;
	if (!px) {
		png_image_free(&im);
		return 0;
	}
	im.format = ch == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
	memset(px, 255, (size_t)*w * (size_t)*h * (size_t)ch);
	if (!png_image_finish_read(&im, NULL, px, 0, NULL)) {
		snprintf(err, errlen, "not a readable PNG file (%s)", im.message);
		png_image_free(&im);
		return -1;
	}
	return 0;
}

/* DOC: decode: Image.open(...) and the pixels it loads: the bytes of the
 * file become an RGB (ch 3) or gray (ch 1) image.  With px NULL only the
 * size is read. */
static int
decode(const uint8_t *buf, size_t len, int scale, int ch, int *w, int *h,
       uint8_t *px, char *err, size_t errlen)
{
	switch (sniff(buf, len)) {
	case KIND_JPEG:
		return jpeg_run(buf, len, scale, ch, w, h, px, err, errlen);
	case KIND_PNG:
		return png_run(buf, len, ch, w, h, px, err, errlen);
	default:
		snprintf(err, errlen, "not a PNG or JPEG file");
		return -1;
	}
}

static int
write_png(const char *path, const struct image *im, bool fast)
{
	png_image p;

	memset(&p, 0, sizeof p);
	p.version = PNG_IMAGE_VERSION;
	p.width = (png_uint_32)im->w;
	p.height = (png_uint_32)im->h;
	p.format = im->ch == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
	p.flags = fast ? PNG_IMAGE_FLAG_FAST : 0;
	if (!png_image_write_to_file(&p, path, 0, im->px, 0, NULL)) {
		png_image_free(&p);
		return -1;
	}
	return 0;
}

static int
write_jpeg(const char *path, const struct image *im)
{
	struct jpeg_compress_struct c;
	struct jerr e;
	FILE *volatile f = fopen(path, "wb");

	if (!f)
		return -1;
	c.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = jerr_exit;
	if (setjmp(e.jb)) {
		jpeg_destroy_compress(&c);
		fclose(f);
		return -1;
	}
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = (JDIMENSION)im->w;
	c.image_height = (JDIMENSION)im->h;
	c.input_components = im->ch;
	c.in_color_space = im->ch == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 90, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = im->px + (size_t)c.next_scanline * (size_t)im->w * (size_t)im->ch;

		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return fclose(f) == 0 ? 0 : -1;
}

/* DOC: encode: img.save(path): the thumbnail compressed into a PNG
 * (libpng, zlib) or JPEG (libjpeg-turbo, quality 90) file. */
static int
encode(const char *path, const struct image *im)
{
	return strcmp(opt_format, "jpeg") == 0 ? write_jpeg(path, im)
	                                       : write_png(path, im, false);
}

static const char *
format_ext(void)
{
	return strcmp(opt_format, "jpeg") == 0 ? "jpg" : "png";
}

/* --- the workers ------------------------------------------------------ */

/* A private lock for each process: a static mutex is copied by fork like
 * the rest of the parent's memory, so each process worker has its own,
 * just as each Python process has its own interpreter and its own GIL. */
static pthread_mutex_t process_gil = PTHREAD_MUTEX_INITIALIZER;

/* DOC: gil: the model of Python threads running Python code: a CPU stage
 * runs only while its thread holds the one global lock; the fetch (a
 * blocking wait, as time.sleep and socket reads are) runs without it, as
 * CPython releases the GIL around blocking calls.  The model holds the
 * lock for one stage of one image; CPython would hand it over every 5 ms
 * (sys.getswitchinterval()), which changes the order, not how much work
 * runs at once: one stage at a time. */
static void
gil_take(struct lab_worker *w, struct batch *b)
{
	if (!b->gil)
		return;
	if (w->mode == LAB_THREAD)
		lab_lock(w, b->gil_lock);
	else
		pthread_mutex_lock(&process_gil);
}

static void
gil_drop(struct lab_worker *w, struct batch *b)
{
	if (!b->gil)
		return;
	if (w->mode == LAB_THREAD)
		lab_unlock(w, b->gil_lock);
	else
		pthread_mutex_unlock(&process_gil);
}

/* How many workers run a CPU stage at once: 1 under the GIL. */
static void
count_in(struct batch *b)
{
	int in = atomic_fetch_add(&b->inside, 1) + 1;
	int max = atomic_load(&b->max_inside);

	while (in > max && !atomic_compare_exchange_weak(&b->max_inside, &max, in))
		;
}

/* CPU time of the calling thread: what it computed, not how long it
 * waited for a core or for the GIL. */
static uint64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
fail(struct batch *b, int no, const char *what, const char *why)
{
	int none = 0;

	if (atomic_compare_exchange_strong(&b->failed, &none, no + 1))
		snprintf(b->error, sizeof b->error, "%.300s%.200s", what, why);
	atomic_store(&b->stop, 1);
}

/* DOC: fetch: the download.  The bytes come from the file, and the wait
 * of --fetch-ms stands for the network: a real download spends most of
 * its time blocked like this, on no CPU at all. */
static void
fetch(struct lab_worker *w, struct batch *b, int no)
{
	struct item *it = &b->item[no];
	int fd;
	size_t got = 0;

	/* In slices of at most 50 ms, so that a signal's stop flag is seen
	 * at once even in a wait of --fetch-ms 10000. */
	for (int left = opt_fetch_ms; left > 0 && !atomic_load(&b->stop); left -= 50)
		lab_sleep(w, (left < 50 ? left : 50) / 1000.0);
	fd = open(it->path, O_RDONLY);
	while (fd >= 0 && got < it->file_len) {
		ssize_t n = read(fd, it->file + got, it->file_len - got);

		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
		if (n > 0)
			got += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (got != it->file_len)
		fail(b, no, it->path, ": cannot read all of it");
}

struct scratch {
	uint16_t *tmp;
	uint32_t *acc;
	uint8_t *pad;
};

static void
save_stage(struct batch *b, const char *what, struct item *it,
           const struct image *im, int no)
{
	char path[8400];

	snprintf(path, sizeof path, "%s/%s_%s.png", b->dir, it->name, what);
	if (write_png(path, im, true) < 0)
		fail(b, no, "cannot save ", path);
}

static void
run_stage(struct lab_worker *w, struct batch *b, enum stage s, int no,
          struct scratch *sc)
{
	struct item *it = &b->item[no];
	char err[400], path[8400];
	int dw, dh;

	switch (s) {
	case ST_FETCH:
		lab_step_val(w, "fetch: network wait", no + 1);
		fetch(w, b, no);
		return;
	case ST_DECODE:
		lab_step_val(w, "decode", no + 1);
		if (decode(it->file, it->file_len, opt_scale, 3, &dw, &dh, it->rgb.px,
		           err, sizeof err) < 0 || dw != it->w || dh != it->h) {
			snprintf(path, sizeof path, "%s: %s", it->path, err);
			fail(b, no, path, "");
		}
		return;
	case ST_GRAY:
		lab_step_val(w, "grayscale", no + 1);
		to_gray(&it->rgb, &it->gray);
		return;
	case ST_BLUR:
		lab_step_val(w, "blur", no + 1);
		blur(&it->gray, &it->blurred, sc->tmp, sc->acc, sc->pad, opt_sigma);
		return;
	case ST_THUMB:
		lab_step_val(w, "thumbnail", no + 1);
		scale(&it->blurred, &it->thumb);
		return;
	case ST_ENCODE:
		lab_step_val(w, "encode", no + 1);
		snprintf(path, sizeof path, "%s/%s.%s", b->dir, it->name, format_ext());
		if (encode(path, &it->thumb) < 0)
			fail(b, no, "cannot save ", path);
		if (opt_keep) {
			save_stage(b, "gray", it, &it->gray, no);
			save_stage(b, "blur", it, &it->blurred, no);
		}
		return;
	case ST_COUNT:
		break;
	}
}

/* DOC: stage-gate: every worker waits here until all have finished the
 * stage (a barrier), so the next stage starts at one moment for all and
 * each stage's time is its own.  The last one to arrive notes the time. */
static void
stage_gate(struct lab_worker *w, struct batch *b, enum stage s)
{
	lab_lock(w, b->gate);
	if (++b->arrived == b->team_n) {
		b->arrived = 0;
		b->t_end[s] = board_now_ns();
		b->phase++;
		lab_cond_broadcast(w, b->gate_cv);
	} else {
		int phase = b->phase;

		while (b->phase == phase)
			lab_cond_wait(w, b->gate_cv, b->gate);
	}
	lab_unlock(w, b->gate);
}

/* DOC: one-image-per-task: each stage is a map over the images: a worker
 * takes the next image from the stage's shared counter until none are
 * left, as a Pool's workers take tasks, then waits at the stage gate. */
static int
image_worker(struct lab_worker *w)
{
	struct batch *b = w->arg;
	struct scratch sc = {
		malloc((size_t)b->max_w * (size_t)b->max_h * sizeof *sc.tmp),
		malloc((size_t)b->max_w * sizeof *sc.acc),
		malloc((size_t)b->max_w + 2 * 150),
	};
	uint64_t zero = 0;
	int done = 0;

	if (!sc.tmp || !sc.acc || !sc.pad)
		fail(b, 0, "out of memory", "");
	atomic_compare_exchange_strong(&b->t_start, &zero, board_now_ns());
	for (enum stage s = 0; s < ST_COUNT; s++) {
		int no;

		while (!atomic_load(&b->stop) &&
		       (no = atomic_fetch_add(&b->next[s], 1)) < b->images) {
			uint64_t cpu0 = 0;

			if (cpu_stage(s)) {
				gil_take(w, b);
				count_in(b);
				cpu0 = thread_cpu_ns();
			}
			run_stage(w, b, s, no, &sc);
			if (cpu_stage(s)) {
				atomic_fetch_add(&b->cpu_ns, thread_cpu_ns() - cpu0);
				atomic_fetch_sub(&b->inside, 1);
				gil_drop(w, b);
			}
			if (s == ST_ENCODE) {
				atomic_fetch_add(&b->done->value, 1);
				lab_progress(w, (uint64_t)++done, (uint64_t)b->images);
			}
		}
		stage_gate(w, b, s);
	}
	free(sc.tmp);
	free(sc.acc);
	free(sc.pad);
	return 0;
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

/* --- showing ---------------------------------------------------------- */

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
show(const uint8_t *const *thumbs, const char (*cap)[64], int n)
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
			printf("%-*.*s ", px, px, cap[t]);
		}
		putchar('\n');
	}
}

/* --- the inputs ---------------------------------------------------------- */

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	struct stat st;
	long n;

	if (!f)
		return NULL;
	/* A directory opens, and ftell says it is huge: say what it is. */
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		errno = EISDIR;
		return NULL;
	}
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

/* "--in a.jpg b.png c.jpg" (or "--in=a.jpg b.png c.jpg"): the lab's
 * parser takes one value per option, so the files after the first are
 * taken out of argv here, up to the next option. */
static char **in_files;
static int in_count;

static int
take_in_files(int argc, char **argv)
{
	int out = 1;

	in_files = calloc((size_t)argc, sizeof *in_files);
	if (!in_files)
		return argc;
	for (int i = 1; i < argc; i++) {
		argv[out++] = argv[i];
		if (strncmp(argv[i], "--in=", 5) == 0) {
			in_files[in_count++] = argv[i] + 5;
		} else if (strcmp(argv[i], "--in") == 0 && i + 1 < argc) {
			argv[out++] = argv[++i];
			in_files[in_count++] = argv[i];
		} else {
			continue;
		}
		while (i + 1 < argc && argv[i + 1][0] != '-')
			in_files[in_count++] = argv[++i];
	}
	argv[out] = NULL;
	return out;
}

/* The photos lomiri-wallpapers-16.04 installs are 1.5 to 15.9 megapixels,
 * 12 of the 15 progressive JPEGs (the three baseline ones, free,
 * analogpattern and umang, decode several times faster).  These eight
 * are among the quickest to decode at 1/4 (about 10 to 70 ms each, the
 * least of 8 runs of "--in FILE --mode thread --workers 1 --fetch-ms 0
 * --runs 8" at load 2.7 on 2 cores; greentock and picosdeeuropa are
 * about as quick as the first two) and keep a run of every way under
 * about a second.  They go first, the slowest first, so that no worker is
 * left with a big one at the end of a stage while the others wait
 * (longest task first); the others follow by name (--images 15 takes
 * them all). */
static const char *const first_photos[] = {
	"aitzgorri_by_Aitzol_Berasategi.jpg", "Wine_by_Jakkub_Mede.jpg",
	"Picture_1A_by_freespace.jpg", "Picture_0B_by_freespace.jpg",
	"friends_by_Aitzol_Berasategi.jpg", "umang_by_Abhishek_Mudgal.jpg",
	"free_by_Peter_Nerlich.jpg", "analogpattern_by_Peter_Nerlich.jpg",
};

static void
pick_photos(char **v, int n)
{
	int at = 0;

	for (size_t k = 0; k < sizeof first_photos / sizeof *first_photos; k++)
		for (int i = at; i < n; i++) {
			const char *base = strrchr(v[i], '/');

			if (strcmp(base ? base + 1 : v[i], first_photos[k]) != 0)
				continue;
			/* Move it to place at, keeping the rest in name order. */
			{
				char *p = v[i];

				memmove(v + at + 1, v + at, (size_t)(i - at) * sizeof *v);
				v[at++] = p;
			}
			break;
		}
}

/* Where the images come from, for the first lines and the JSON. */
static const char *source = "photos";

/* The list of input paths: --in, the photos, or none (then generate). */
static int
input_paths(const struct lab *lab, char ***paths, glob_t *g)
{
	char pat[4200];

	if (opt_in) {
		if (in_count > MAX_IMAGES)
			lab_usage_error(lab, "--in: at most %d files", MAX_IMAGES);
		source = "your files";
		*paths = in_files;
		return in_count;
	}
	if (opt_width || opt_height || opt_pattern) {
		source = "generated";
		return 0;
	}
	snprintf(pat, sizeof pat, "%.4000s/*.jpg", opt_photos);
	if (glob(pat, 0, NULL, g) != 0 || g->gl_pathc == 0) {
		lab_say(lab, "No photos in %s (Debian: apt-get install "
		        "lomiri-wallpapers-16.04): using generated images, saved as PNG files\n",
		        opt_photos);
		source = "generated";
		return 0;
	}
	*paths = g->gl_pathv;
	pick_photos(g->gl_pathv, (int)g->gl_pathc);
	return (int)g->gl_pathc < opt_images ? (int)g->gl_pathc : opt_images;
}

/* How many inputs are JPEG files (--scale applies to them only). */
static int jpeg_inputs;

/* Reads each input's size from its header (not timed); a file that is
 * not a PNG or JPEG we can read is bad input: one line, exit 2. */
static void
probe(const struct lab *lab, struct item *it, bool whole)
{
	size_t len = 0;
	uint8_t *buf = read_file(it->path, &len), *px = NULL;
	char err[400];
	int k = buf ? sniff(buf, len) : -1;

	if (!buf)
		lab_usage_error(lab, "%s: cannot read it:", it->path);
	if (k < 0 || decode(buf, len, opt_scale, 3, &it->w, &it->h, NULL, err,
	                    sizeof err) < 0) {
		free(buf);
		lab_usage_error(lab, "%s: %s", it->path,
		                k < 0 ? "not a PNG or JPEG file" : err);
	}
	if (it->w < 1 || it->h < 1 || (long)it->w * it->h > MAX_PIXELS) {
		free(buf);
		lab_usage_error(lab, "%s: %dx%d pixels is too large here (--scale?)",
		                it->path, it->w, it->h);
	}
	/* Your own files are decoded once beforehand, so that a damaged one
	 * stops the program before it prints or makes anything. */
	if (whole && ((px = malloc((size_t)it->w * (size_t)it->h * 3)) == NULL ||
	              decode(buf, len, opt_scale, 3, &it->w, &it->h, px, err,
	                     sizeof err) < 0)) {
		if (!px)
			snprintf(err, sizeof err, "out of memory");
		free(buf);
		free(px);
		lab_usage_error(lab, "%s: %s", it->path, err);
	}
	free(px);
	free(buf);
	it->file_len = len;
	jpeg_inputs += k == KIND_JPEG;
}

static void
name_item(struct item *it, int no)
{
	const char *base = strrchr(it->path, '/');
	const char *dot;
	int n;

	base = base ? base + 1 : it->path;
	dot = strrchr(base, '.');
	n = dot && dot > base ? (int)(dot - base) : (int)strlen(base);
	if (n > 40)
		n = 40;
	snprintf(it->name, sizeof it->name, "%02d_%.*s", no + 1, n, base);
}

/* No photos: make them (the same pixels every time) and save them as real
 * PNG files, which the pipeline then fetches and decodes like any other. */
static void
generate(struct lab *lab, const char *root, struct item *items, int n)
{
	struct image im;
	int w = opt_width ? opt_width : 640, h = opt_height ? opt_height : 480;
	char dir[3100];

	snprintf(dir, sizeof dir, "%s/input", root);
	make_dir(lab, dir);
	im.w = w;
	im.h = h;
	im.ch = 3;
	im.px = malloc((size_t)w * (size_t)h * 3);
	if (!im.px)
		lab_die(lab, "out of memory");
	for (int i = 0; i < n && !caught; i++) {
		snprintf(items[i].path, sizeof items[i].path, "%s/%s_%02d.png", dir,
		         opt_pattern ? opt_pattern : "scene", i + 1);
		make_image(&im, i + 1, opt_pattern ? opt_pattern : "scene");
		if (write_png(items[i].path, &im, true) < 0)
			lab_die(lab, "cannot save %s", items[i].path);
	}
	free(im.px);
}

/* Every buffer of every image, in one shared mapping. */
static void
place_buffers(struct lab *lab, struct batch *b)
{
	size_t total = 0, at = 0;
	uint8_t *p;

	for (int i = 0; i < b->images; i++) {
		struct item *it = &b->item[i];
		size_t px = (size_t)it->w * (size_t)it->h;

		total += it->file_len + 5 * px + THUMB * THUMB + 4 * 64;
		if (it->w > b->max_w)
			b->max_w = it->w;
		if (it->h > b->max_h)
			b->max_h = it->h;
	}
	p = lab_shared_alloc(lab, total);
	for (int i = 0; i < b->images; i++) {
		struct item *it = &b->item[i];
		size_t px = (size_t)it->w * (size_t)it->h;
		struct image *im[4] = { &it->rgb, &it->gray, &it->blurred, &it->thumb };
		int ch[4] = { 3, 1, 1, 1 };

		it->file = p + at;
		at += (it->file_len + 63) & ~(size_t)63;
		for (int k = 0; k < 4; k++) {
			im[k]->w = k == 3 ? THUMB : it->w;
			im[k]->h = k == 3 ? THUMB : it->h;
			im[k]->ch = ch[k];
			im[k]->px = p + at;
			at += (k == 3 ? THUMB * THUMB : px * (size_t)ch[k] + 63) & ~(size_t)63;
		}
	}
}

/* --- main ---------------------------------------------------------------- */

struct way_result {
	bool ran;
	double ms, speedup;
	double stage_ms[ST_COUNT], stage_x[ST_COUNT];
	double cpu_ms, cpu_x; /* the CPU stages together */
	double cpu_cores;     /* CPU time in them / their wall time */
	int max_inside;
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
	uint64_t t0, prev;

	snprintf(b->dir, sizeof b->dir, "%.3000s/%s", root, way_name[way]);
	make_dir(lab, b->dir);
	for (int s = 0; s < ST_COUNT; s++)
		atomic_store(&b->next[s], 0);
	atomic_store(&b->failed, 0);
	atomic_store(&b->t_start, 0);
	atomic_store(&b->inside, 0);
	atomic_store(&b->max_inside, 0);
	atomic_store(&b->cpu_ns, 0);
	b->arrived = 0;
	b->team_n = n;
	atomic_store(&b->done->value, 0);
	t0 = board_now_ns();
	team = lab_spawn_ex(lab, mode, *next_no, n, image_worker, b);
	if (lab_join(team) != LAB_JOIN_OK) {
		die_if_caught();
		lab_die(lab, "a %s worker failed", way_name[way]);
	}
	die_if_caught();
	if (atomic_load(&b->failed)) {
		cleanup();
		lab_usage_error(lab, "%s", b->error);
	}
	r->ms = (double)(board_now_ns() - t0) / 1e6;
	r->ran = true;
	prev = atomic_load(&b->t_start);
	r->cpu_ms = 0;
	for (int s = 0; s < ST_COUNT; s++) {
		r->stage_ms[s] = (double)(b->t_end[s] - prev) / 1e6;
		prev = b->t_end[s];
		if (cpu_stage(s))
			r->cpu_ms += r->stage_ms[s];
	}
	r->max_inside = atomic_load(&b->max_inside);
	r->cpu_cores = r->cpu_ms > 0 ? (double)atomic_load(&b->cpu_ns) / 1e6 / r->cpu_ms : 0;
	*next_no += n;
	lab_team_free(team);
}

/* FNV-1a over every thumbnail of one way, to name its output in a line. */
static uint64_t
fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	return h;
}

/* Reads one way's thumbnails back: digest, count, and (decoded with the
 * same libraries, for --show) the pixels.  Returns false if a file is
 * missing or is not a 128x128 image. */
static bool
read_back(const char *root, enum way way, const struct batch *b,
          struct way_result *r, uint8_t **files, size_t *lens, uint8_t *px)
{
	uint64_t h = 0xcbf29ce484222325u;

	r->files = 0;
	for (int no = 0; no < b->images; no++) {
		char path[8400], err[400];
		int w = 0, hh = 0;

		snprintf(path, sizeof path, "%.3000s/%s/%s.%s", root, way_name[way],
		         b->item[no].name, format_ext());
		files[no] = read_file(path, &lens[no]);
		if (!files[no] ||
		    decode(files[no], lens[no], 1, 1, &w, &hh, NULL, err, sizeof err) < 0 ||
		    w != THUMB || hh != THUMB ||
		    (px && decode(files[no], lens[no], 1, 1, &w, &hh,
		                  px + (size_t)no * THUMB * THUMB, err, sizeof err) < 0))
			return false;
		h = fnv(h, files[no], lens[no]);
		r->files++;
	}
	r->digest = h;
	return true;
}

static void
print_table(const enum way *ways, int nways, const struct way_result *res)
{
	printf("\n%-11s %7s |", "ms", "total");
	for (int s = 0; s < ST_COUNT; s++)
		printf(" %6s", stage_short[s]);
	printf("\n");
	for (int i = 0; i < nways; i++) {
		const struct way_result *r = &res[ways[i]];
		const char *name = ways[i] == WAY_THREADS && opt_gil ? "threads+gil"
		                   : way_name[ways[i]];

		printf("%-11.11s %7.0f |", name, r->ms);
		for (int s = 0; s < ST_COUNT; s++)
			printf(" %6.0f", r->stage_ms[s]);
		printf("\n");
		if (ways[i] == WAY_SERIAL)
			continue;
		printf("%-11s %6.2fx |", "  speedup", r->speedup);
		for (int s = 0; s < ST_COUNT; s++)
			printf(" %5.1fx", r->stage_x[s]);
		printf("\n");
	}
}

/* The inputs, probed (a bad file stops us before anything is made), the
 * output directory, generated images if there are no photos, and the
 * shared buffers.  Returns how many inputs were found (0: generated). */
static int
set_up(struct lab *lab, struct batch **bp, char *root, size_t rootlen)
{
	char **paths = NULL;
	glob_t g = { 0 };
	int n = input_paths(lab, &paths, &g);
	struct batch *b = lab_shared_alloc(lab, sizeof *b);

	b->images = n ? n : opt_images;
	b->item = lab_shared_alloc(lab, (size_t)b->images * sizeof *b->item);
	for (int i = 0; i < n; i++) {
		if (strlen(paths[i]) >= sizeof b->item[i].path)
			lab_usage_error(lab, "%.60s...: the path is too long", paths[i]);
		snprintf(b->item[i].path, sizeof b->item[i].path, "%s", paths[i]);
		probe(lab, &b->item[i], opt_in != NULL);
	}
	globfree(&g);

	if (opt_out) {
		snprintf(root, rootlen, "%s", opt_out);
		make_dir(lab, root);
	} else {
		make_temp_dir(lab, root, rootlen);
	}
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
	if (!n) {
		generate(lab, root, b->item, b->images);
		die_if_caught();
		for (int i = 0; i < b->images; i++)
			probe(lab, &b->item[i], false);
	}
	for (int i = 0; i < b->images; i++)
		name_item(&b->item[i], i);
	place_buffers(lab, b);
	b->gil = opt_gil;
	if (opt_gil) /* no GIL row on the board when there is none */
		b->gil_lock = lab_lock_new(lab, "GIL", BOARD_LOCK_MUTEX);
	b->gate = lab_lock_new(lab, "stage gate", BOARD_LOCK_MUTEX);
	b->gate_cv = lab_cond_new(lab, "next stage");
	*bp = b;
	return n;
}

/* The first lines.  Short: the shell's output panel is about 70 columns. */
static void
say_what(const struct lab *lab, const struct batch *b, int n, const char *root)
{
	/* The smallest and the largest image, by their pixels: the least
	 * width and the least height may come from different images. */
	const struct item *lo = &b->item[0], *hi = lo;

	for (int i = 1; i < b->images; i++) {
		long px = (long)b->item[i].w * b->item[i].h;

		if (px < (long)lo->w * lo->h)
			lo = &b->item[i];
		if (px > (long)hi->w * hi->h)
			hi = &b->item[i];
	}
	lab_say(lab, "%d images: %s%s%s\n", b->images, source,
	        n && !opt_in ? " in " : "", n && !opt_in ? opt_photos : "");
	lab_say(lab, "decoded at %dx%d", lo->w, lo->h);
	if (hi->w != lo->w || hi->h != lo->h)
		lab_say(lab, " to %dx%d", hi->w, hi->h);
	if (opt_scale > 1 && jpeg_inputs)
		lab_say(lab, " (JPEG at 1/%d)", opt_scale);
	lab_say(lab, ", blur sigma %g\n", opt_sigma);
	lab_say(lab, "fetch: a %d ms wait per image, standing in for the network\n",
	        opt_fetch_ms);
	if (opt_gil)
		lab_say(lab, "--gil: threads take turns in the CPU stages; "
		        "each process has its own\n");
	lab_say(lab, "%d workers, %d CPU%s usable; %dx%d %s thumbnails\n",
	        lab->o.workers, lab->ncpu, lab->ncpu == 1 ? "" : "s", THUMB, THUMB,
	        strcmp(opt_format, "jpeg") == 0 ? "JPEG" : "PNG");
	lab_say(lab, "output in %s%s\n", root, opt_out ? "" : " (removed at exit)");
}

/* One run's ways, and what they wrote. */
struct run {
	enum way ways[WAY_COUNT];
	int nways;
	struct way_result res[WAY_COUNT];
	bool identical, readable;
	int differing; /* parallel-way files unlike the serial one */
};

static void
print_json(const struct lab *lab, int no, const struct batch *b,
           const struct run *rn, const char *root)
{
	const struct way_result *s0 = &rn->res[WAY_SERIAL];
	struct lab_json j;
	char key[64], hex[32];
	double cpu = 0;

	lab_json_begin(&j);
	lab_json_int(&j, "run", no);
	lab_json_int(&j, "images", b->images);
	lab_json_str(&j, "source", source);
	lab_json_int(&j, "width", b->item[0].w);
	lab_json_int(&j, "height", b->item[0].h);
	lab_json_int(&j, "scale", opt_scale);
	lab_json_int(&j, "fetch_ms", opt_fetch_ms);
	lab_json_num(&j, "sigma", opt_sigma);
	lab_json_str(&j, "format", opt_format);
	lab_json_bool(&j, "gil", opt_gil);
	lab_json_int(&j, "workers", lab->o.workers);
	lab_json_int(&j, "ncpu", lab->ncpu);
	lab_json_int(&j, "cores", lab->ncpu); /* for expect: lines */
	for (int i = 0; i < rn->nways; i++) {
		const struct way_result *r = &rn->res[rn->ways[i]];
		const char *wn = way_name[rn->ways[i]];

		snprintf(key, sizeof key, "%s_ms", wn);
		lab_json_num(&j, key, r->ms);
		snprintf(key, sizeof key, "%s_speedup", wn);
		lab_json_num(&j, key, r->speedup);
		snprintf(key, sizeof key, "%s_cpu_ms", wn);
		lab_json_num(&j, key, r->cpu_ms);
		snprintf(key, sizeof key, "%s_cpu_speedup", wn);
		lab_json_num(&j, key, r->cpu_x);
		for (int s = 0; s < ST_COUNT; s++) {
			snprintf(key, sizeof key, "%s_%s_ms", wn, stage_name[s]);
			lab_json_num(&j, key, r->stage_ms[s]);
			snprintf(key, sizeof key, "%s_%s_speedup", wn, stage_name[s]);
			lab_json_num(&j, key, r->stage_x[s]);
		}
		snprintf(key, sizeof key, "%s_cpu_cores", wn);
		lab_json_num(&j, key, r->cpu_cores);
		snprintf(key, sizeof key, "%s_max_inside", wn);
		lab_json_int(&j, key, r->max_inside);
		snprintf(key, sizeof key, "%s_files", wn);
		lab_json_int(&j, key, r->files);
		snprintf(key, sizeof key, "%s_digest", wn);
		snprintf(hex, sizeof hex, "%016llx", (unsigned long long)r->digest);
		lab_json_str(&j, key, hex);
	}
	for (int s = 0; s < ST_COUNT; s++)
		if (cpu_stage(s))
			cpu += s0->stage_ms[s];
	lab_json_num(&j, "blur_share", cpu > 0 ? s0->stage_ms[ST_BLUR] / cpu : 0);
	lab_json_num(&j, "decode_share", cpu > 0 ? s0->stage_ms[ST_DECODE] / cpu : 0);
	lab_json_str(&j, "parallel", way_name[rn->ways[rn->nways - 1]]);
	lab_json_bool(&j, "identical", rn->identical);
	lab_json_int(&j, "differing_files", rn->readable ? rn->differing : -1);
	lab_json_str(&j, "out_dir", root);
	lab_json_bool(&j, "kept", opt_out != NULL);
	lab_json_end(&j);
}

static void
print_text(const struct batch *b, const struct run *rn, const uint8_t *thumbs)
{
	print_table(rn->ways, rn->nways, rn->res);
	for (int i = 1; i < rn->nways; i++) {
		const struct way_result *r = &rn->res[rn->ways[i]];

		printf("CPU stages, %s: %.2fx, %.2f cores busy, at most %d at once\n",
		       way_name[rn->ways[i]], r->cpu_x, r->cpu_cores, r->max_inside);
	}
	printf("Thumbnails %s whichever way they were made\n",
	       rn->identical ? "byte-identical" : "DIFFER");
	printf("(%d files each way, FNV-1a of them all %016llx)\n",
	       rn->res[WAY_SERIAL].files,
	       (unsigned long long)rn->res[WAY_SERIAL].digest);
	if (opt_show && rn->readable) {
		const uint8_t *px[MAX_IMAGES];
		char cap[MAX_IMAGES][64];

		for (int no = 0; no < b->images; no++) {
			px[no] = thumbs + (size_t)no * THUMB * THUMB;
			snprintf(cap[no], sizeof cap[no], "%s", b->item[no].name);
		}
		putchar('\n');
		show(px, cap, b->images);
	}
	fflush(stdout);
}

/* Runs every way of one run, the serial one twice. */
static void
run_ways(struct lab *lab, struct batch *b, const char *root, struct run *rn)
{
	const struct way_result *s0 = &rn->res[WAY_SERIAL];
	int next_no = 1;

	for (int i = 0; i < rn->nways; i++) {
		struct way_result *r = &rn->res[rn->ways[i]];

		run_way(lab, rn->ways[i], b, root, &next_no, r);
		if (rn->ways[i] == WAY_SERIAL) {
			/* DOC: yardstick: every speedup divides the serial
			 * time, so one serial run slowed down by another
			 * program would inflate them all (it once showed
			 * 2.10x on 2 cores).  The faster of two counts, as
			 * in lesson 09. */
			struct way_result again = { 0 };

			run_way(lab, WAY_SERIAL, b, root, &next_no, &again);
			if (again.ms < r->ms)
				*r = again;
		}
		r->speedup = s0->ms / r->ms;
		r->cpu_x = r->cpu_ms > 0 ? s0->cpu_ms / r->cpu_ms : 0;
		for (int s = 0; s < ST_COUNT; s++)
			r->stage_x[s] = r->stage_ms[s] > 0 ? s0->stage_ms[s] / r->stage_ms[s] : 0;
	}
}

/* DOC: byte-identical: the parallel ways must write exactly the files
 * the serial way wrote. */
static void
compare_files(const struct batch *b, const char *root, struct run *rn,
              uint8_t **files[WAY_COUNT], size_t *lens[WAY_COUNT], uint8_t *thumbs)
{
	rn->identical = rn->readable = true;
	rn->differing = 0;
	for (int i = 0; i < rn->nways; i++) {
		enum way wy = rn->ways[i];

		for (int no = 0; no < b->images; no++) {
			free(files[wy][no]);
			files[wy][no] = NULL;
		}
		if (!read_back(root, wy, b, &rn->res[wy], files[wy], lens[wy],
		               i == 0 && opt_show ? thumbs : NULL))
			rn->readable = false;
		for (int no = 0; rn->readable && i > 0 && no < b->images; no++)
			if (lens[wy][no] != lens[WAY_SERIAL][no] ||
			    memcmp(files[wy][no], files[WAY_SERIAL][no], lens[wy][no]) != 0) {
				rn->identical = false;
				rn->differing++;
			}
	}
	rn->identical = rn->identical && rn->readable;
}

int
main(int argc, char **argv)
{
	struct lab lab;
	struct batch *b;
	char root[3000];
	uint8_t **files[WAY_COUNT];
	size_t *lens[WAY_COUNT];
	uint8_t *thumbs;
	int status = 0, n;

	argc = take_in_files(argc, argv);
	lab_init(&lab, &lesson, argc, argv);
	if ((lab.o.mode == LAB_PROCESS || opt_compare) && lab.o.workers > 64)
		lab_usage_error(&lab, "--workers: at most 64 process workers here");
	if (opt_out && strlen(opt_out) >= sizeof root - 64)
		lab_usage_error(&lab, "--out: the path is too long");
	if (opt_out && !*opt_out)
		lab_usage_error(&lab, "--out: empty directory name");
	/* libjpeg scales by N/8: 1/N exactly for these. */
	if (opt_scale != 1 && opt_scale != 2 && opt_scale != 4 && opt_scale != 8)
		lab_usage_error(&lab, "--scale: 1, 2, 4 or 8, not %d", opt_scale);
	if (opt_in && (opt_width || opt_height || opt_pattern))
		lab_usage_error(&lab, "--in: your files, or generated images "
		                "(--width, --height, --pattern), not both");

	n = set_up(&lab, &b, root, sizeof root);
	die_if_caught();
	thumbs = malloc((size_t)b->images * THUMB * THUMB);
	for (int wy = 0; wy < WAY_COUNT; wy++) {
		files[wy] = calloc((size_t)b->images, sizeof *files[wy]);
		lens[wy] = calloc((size_t)b->images, sizeof *lens[wy]);
		if (!files[wy] || !lens[wy] || !thumbs)
			lab_die(&lab, "out of memory");
	}
	say_what(&lab, b, n, root);

	for (int run = 1; run <= lab.o.runs; run++) {
		struct run rn = { .nways = 0 };

		rn.ways[rn.nways++] = WAY_SERIAL;
		if (opt_compare) {
			rn.ways[rn.nways++] = WAY_THREADS;
			rn.ways[rn.nways++] = WAY_PROCESSES;
		} else {
			rn.ways[rn.nways++] = lab.o.mode == LAB_THREAD ? WAY_THREADS
			                                               : WAY_PROCESSES;
		}
		lab_run_begin(&lab, run);
		b->done = lab_counter(&lab, "images done", 0);
		lab_counter_expect(b->done, b->images);
		lab_counter_kind(b->done, BOARD_COUNTER_COUNT);
		run_ways(&lab, b, root, &rn);
		lab_run_end(&lab);
		compare_files(b, root, &rn, files, lens, thumbs);
		if (lab.o.json)
			print_json(&lab, run, b, &rn, root);
		if (lab_text(&lab))
			print_text(b, &rn, thumbs);
		if (!rn.identical) {
			status = 1;
			break;
		}
	}
	for (int wy = 0; wy < WAY_COUNT; wy++) {
		for (int no = 0; no < b->images; no++)
			free(files[wy][no]);
		free(files[wy]);
		free(lens[wy]);
	}
	free(thumbs);
	die_if_caught(); /* a signal after the last stage: still die of it */
	return status;
}
