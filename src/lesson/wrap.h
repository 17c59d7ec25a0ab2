// Text wrapping: a step's styled blocks (lesson.h) laid out in lines of a
// given width, and the display width of UTF-8 text.  Pure logic.
#ifndef RACELAB_LESSON_WRAP_H
#define RACELAB_LESSON_WRAP_H

#include <stddef.h>

#include "lesson/lesson.h"

/* Wrapped text: lines of segments, each segment one attribute. */
struct md_seg {
	unsigned attr;
	char *text;
	size_t len; /* strlen(text) */
};
struct md_line {
	int indent; /* columns before the first segment */
	int run;    /* index of the run block this line shows, or -1 */
	struct md_seg *seg;
	int nseg;
};
struct md_text {
	struct md_line *line;
	int nline;
};
/* Wrap a step's blocks to width columns (>= 8).  No character is lost: a
 * code line wider than the width continues on the next line after the
 * mark MD_WRAP_MARK (attribute MDL_DIM), at the code's own indentation. */
void md_wrap(const struct md_step *s, int width, struct md_text *out);
void md_text_free(struct md_text *t);
#define MD_WRAP_MARK "\xe2\x86\xaa " /* U+21AA and a blank */
#define MD_WRAP_MARK_ASCII "> "

/* Display columns of a UTF-8 string (wide characters count two). */
int md_strwidth(const char *s);
/* The same for s[0..n). */
int md_strnwidth(const char *s, size_t n);
/* Bytes of s that fit in cols columns. */
size_t md_fit(const char *s, int cols);
/* The same, looking at s[0..n) only. */
size_t md_fitn(const char *s, size_t n, int cols);

#endif
