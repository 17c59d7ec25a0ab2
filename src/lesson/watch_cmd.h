// "watch PROGRAM ARGS": a run of racelab-watch, as the shell and the lesson
// parser see it.  From the command line PROGRAM is the user's own (a path
// from their working directory); in a lesson's run block it may only be a
// file of that lesson's own folder.
#ifndef RACELAB_WATCH_CMD_H
#define RACELAB_WATCH_CMD_H

#include <stdbool.h>
#include <stddef.h>

/* Is argv[0] the watch command ("watch" or "racelab-watch")? */
bool md_watch_is(const char *argv0);
/* The index of PROGRAM in a watch argv (after racelab-watch's options and
 * their values, or after "--"); -1 when there is none. */
int md_watch_prog(char *const argv[], int argc);
/* How many words from PROGRAM on name files: 1, or for FILE.c every
 * leading word ending in .c (racelab-watch compiles them together). */
int md_watch_nfiles(char *const argv[], int argc, int prog);
/* A run block's watch line, as words: it names a program, a relative path
 * with no ".." (a file of the lesson's folder; md_watch_in_dir checks the
 * file).  0, or -1 with a one-line message in err. */
int md_watch_check_words(char *const argv[], int argc, char *err, size_t n);
/* The file word names under dir, resolved (symbolic links followed) into
 * out: 0 when it is a regular file inside dir itself or below it; -1 when
 * it is missing or resolves outside (a link out, "..").  dir may be
 * relative. */
int md_watch_in_dir(const char *dir, const char *word, char *out, size_t n);
/* Can racelab-watch run the file at path (a word of the command: a .c
 * file it compiles, else an executable it preloads its library into)?
 * 0, or -1 with one line in err ("PATH: why"): missing, a directory, not
 * executable, a script (#!), not ELF, statically linked (no loader to
 * preload into), a .c file that cannot be read.  racelab-watch and the
 * shell both ask it, the shell before its view opens. */
int md_watch_check_file(const char *path, char *err, size_t n);

#endif
