// Exact arithmetic for the CPU-bound lessons (09 cpu-bound, 11 overhead):
// the tutorials' sum of squares in 128-bit integers, its closed form to
// check it against, a fair split of N terms over W workers, and printing a
// 128-bit number (printf has no conversion for it).
#ifndef RACELAB_LAB_MATH_H
#define RACELAB_LAB_MATH_H

#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 lab_u128;

/* first*first + ... + (first+count-1)^2.  The empty asm tells the compiler
 * that x may have changed in a way it cannot see, so it can neither
 * replace the loop by the closed form (compilers know that trick) nor
 * vectorise it away: the machine really does count multiplications and
 * additions, which is the work the lessons time. */
static inline lab_u128
lab_sum_squares(uint64_t first, uint64_t count)
{
	lab_u128 total = 0;

	for (uint64_t i = 0; i < count; i++) {
		uint64_t x = first + i;

		__asm__("" : "+r"(x));
		total += (lab_u128)x * x;
	}
	return total;
}

/* 1*1 + ... + n*n = n(n+1)(2n+1)/6 exactly: of n and n+1 one is even and
 * one of the three factors is divisible by 3, so divide those out first
 * to stay in range. */
static inline lab_u128
lab_sum_squares_closed(uint64_t n)
{
	lab_u128 a = n, b = (lab_u128)n + 1, c = 2 * (lab_u128)n + 1;

	if (a % 2 == 0)
		a /= 2;
	else
		b /= 2;
	if (a % 3 == 0)
		a /= 3;
	else if (b % 3 == 0)
		b /= 3;
	else
		c /= 3;
	return a * b * c;
}

/* Where share k (0-based) of count terms split over w workers starts:
 * share k is [lab_share_start(count, k, w), lab_share_start(count, k+1, w)),
 * so the shares add up to count exactly, whatever w is (some may be empty
 * when w > count). */
static inline uint64_t
lab_share_start(uint64_t count, int k, int w)
{
	return (uint64_t)((lab_u128)count * (unsigned)k / (unsigned)w);
}

/* v in decimal, into buf (truncated to len - 1 digits); returns buf. */
static inline char *
lab_u128_str(lab_u128 v, char *buf, size_t len)
{
	char tmp[48];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	if ((size_t)n >= len)
		n = (int)len - 1;
	for (int i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return buf;
}

#endif
