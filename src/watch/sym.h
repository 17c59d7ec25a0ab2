// Debug-info names for a running process: pc -> file:line and function,
// address -> global variable ("forks[2]", "acct.lock"), on elfutils' libdwfl.
//
// Made to run inside a watched program (racelab-watch's LD_PRELOAD
// library): all state lives in the handle (nothing global that a fork
// could break), nothing is printed, no pthread function is called (the
// preload library interposes them), and answers are cached so a repeated
// question costs a hash lookup.  The calls may come from any thread; they
// are serialised inside the handle.  A child forked while another thread
// of its parent was inside a call starts over with a fresh libdwfl session
// (the old one is left as it was: its state may be half-updated).
#ifndef SYM_H
#define SYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sym;

// The running process, as /proc/self/maps shows it now (so PIE and shared
// library load biases are right).  Libraries loaded later are picked up
// when an address outside every known module is asked about.  NULL when
// libdwfl cannot read the process (errno set).
struct sym *sym_open_self(void);

// The source position of the instruction at pc: the file's path as the
// compiler recorded it (absolute for gcc's DWARF 5) and its line.  For a
// caller's line, pass its return address minus one (the call, not the
// instruction after it).  false without line info for pc.
bool sym_line(struct sym *s, uintptr_t pc, char *file, size_t n, unsigned *line);

// The function whose code holds pc (its ELF symbol, else its DWARF name).
bool sym_func(struct sym *s, uintptr_t pc, char *name, size_t n);

// The global or static variable holding addr, written as C would name the
// byte there: "big_lock", "forks[2]", "acct.lock", "grid[1][3]"; from
// DWARF when the module has it, else the ELF symbol ("acct+8").  Structs
// and arrays are entered, unions (pthread_mutex_t, sem_t) are not: an
// address inside one is "name+off".  false for heap and stack addresses.
bool sym_data(struct sym *s, uintptr_t addr, char *name, size_t n);

// The variables of shared libraries that live in the program itself (a
// copy relocation: stdout, stderr, optind, ...; the symbol table gives
// them their library's version, "stdout@GLIBC_2.2.5"): up to max ranges
// [start, end) into out; how many.  From the loaded program's dynamic
// section, with no handle (cheap: no debug info is read).  The names
// above are without the version ("stdout"), as the source spells them.
size_t sym_lib_vars(uintptr_t (*out)[2], size_t max);

void sym_close(struct sym *s);

#endif
