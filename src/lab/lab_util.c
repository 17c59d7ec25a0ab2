// Small output helpers shared by lessons.
#include "lab.h"

#include <stdarg.h>
#include <stdio.h>

/* A result line: kept by --quiet (which drops only the chatter of
 * lab_say), left out with --json (the JSON object carries it instead). */
void
lab_result(const struct lab *lab, const char *fmt, ...)
{
	va_list ap;

	if (!lab_text(lab))
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
