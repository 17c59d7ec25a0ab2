// Allocation and growing strings shared by the lesson modules (lesson.c
// defines them).  Out of memory is md_out_of_memory(): one line, exit 1.
#ifndef RACELAB_LESSON_UTIL_H
#define RACELAB_LESSON_UTIL_H

#include <stddef.h>

_Noreturn void md_out_of_memory(void); /* one line, exit 1 */
void *md_xrealloc(void *p, size_t n);
char *md_xstrndup(const char *s, size_t n);
/* Room for element n of an array of n elements of size bytes: the array
 * doubles when n is a power of two, so appending n elements costs O(n). */
void *md_grow(void *p, int n, size_t size);
/* A block's line without its blanks: s past leading ' '/'\t', trailing
 * ' ', '\t' and '\r' cut in place. */
char *md_trim(char *s);

/* A growing string. */
struct md_buf {
	char *s;
	size_t len, cap;
};
void md_buf_add(struct md_buf *b, const char *s, size_t n);

#endif
