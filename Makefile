# racelab - a hands-on terminal lab for concurrency
# See LICENSE-free README.md.  `make run` to start, `make check` to test.
include config.mk

PKGS = ncursesw panelw md4c jansson
TEST_PKGS = check
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
ifneq ($(SAN),)
SANFLAGS = -fsanitize=$(SAN) -fno-omit-frame-pointer
endif
RL_CPPFLAGS = -D_GNU_SOURCE -DVERSION=\"$(VERSION)\" -DDATADIR=\"$(DATADIR)\" -Isrc
RL_CFLAGS = -std=c17 $(WARN) $(WERROR) -MMD -MP -pthread $(SANFLAGS)
RL_LDFLAGS = -pthread $(SANFLAGS)
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)
LESSON_LIBS = -lrt -lm $(shell $(PKG_CONFIG) --libs libcrypto jansson 2>/dev/null)
# Lesson 10 (and its test) read and write real PNG and JPEG files.
IMAGE_PKGS = libpng libjpeg
IMAGE_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(IMAGE_PKGS) 2>/dev/null)
IMAGE_LIBS = $(shell $(PKG_CONFIG) --libs $(IMAGE_PKGS) 2>/dev/null)

ALL_CFLAGS = $(RL_CPPFLAGS) $(CPPFLAGS) $(RL_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)

B = build
BOARD_SRC = $(wildcard src/board/*.c)
# lab_mpi.c is for MPI lessons only (below): no other program links MPI.
LAB_MPI_SRC = src/lab/lab_mpi.c
LAB_SRC = $(filter-out $(LAB_MPI_SRC),$(wildcard src/lab/*.c))
# src/lesson: the lesson model, CommonMark walking, wrapping, expectations
LESSON_SRC = $(wildcard src/lesson/*.c)
SHELL_SRC = $(filter-out src/shell/main.c,$(wildcard src/shell/*.c)) $(LESSON_SRC)
BOARD_LIB = $(B)/libboard.a
LAB_LIB = $(B)/liblab.a
SHELL_LIB = $(B)/libshell.a
# The runtime installed for lessons written outside the tree: lab + board
# in one library, with its headers and src/lab/racelab-lab.pc.in.
RUNTIME_LIB = $(B)/libracelab-lab.a
# src/watch/sym: debug-info names on elfutils' libdw; -fPIC because it is
# linked into racelab-watch's preload library as well.
SYM_LIB = $(B)/libsym.a
DW_CFLAGS = $(shell $(PKG_CONFIG) --cflags libdw 2>/dev/null)
DW_LIBS = $(shell $(PKG_CONFIG) --libs libdw 2>/dev/null || echo -ldw -lelf)

# lessons/NN-slug/ holds slug.c (and maybe more .c) -> bin/racelab-slug
LESSON_DIRS = $(sort $(dir $(wildcard lessons/*/lesson.md lessons/*/*.c)))
slug = $(shell echo $(notdir $(patsubst %/,%,$(1))) | sed 's/^[0-9]*-//')
LESSON_BINS = $(foreach d,$(LESSON_DIRS),bin/racelab-$(call slug,$(d)))

UNIT_SRC = $(wildcard tests/unit/*.c)
UNIT_BIN = $(B)/tests/unit
BENCH_SRC = $(wildcard bench/*.c)
BENCH_BINS = $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))

all: bin/racelab $(LESSON_BINS) $(RUNTIME_LIB) watch

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# Archives are made afresh: "ar rcs" alone keeps the member of a removed
# source file, which would then be linked instead of its replacement.
$(BOARD_LIB): $(BOARD_SRC:%.c=$(B)/%.o)
	rm -f $@ && $(AR) rcs $@ $^
$(LAB_LIB): $(LAB_SRC:%.c=$(B)/%.o)
	rm -f $@ && $(AR) rcs $@ $^
$(SHELL_LIB): $(SHELL_SRC:%.c=$(B)/%.o)
	rm -f $@ && $(AR) rcs $@ $^
$(SYM_LIB): $(B)/src/watch/sym.o
	rm -f $@ && $(AR) rcs $@ $^
$(B)/src/watch/sym.o: ALL_CFLAGS += -fPIC $(DW_CFLAGS)
$(RUNTIME_LIB): $(LAB_SRC:%.c=$(B)/%.o) $(BOARD_SRC:%.c=$(B)/%.o)
	rm -f $@ && $(AR) rcs $@ $^

bin/racelab: $(B)/src/shell/main.o $(SHELL_LIB) $(LAB_LIB) $(BOARD_LIB)
	@mkdir -p bin
	$(CC) $(RL_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lrt -lm

# MPI lessons (a lesson directory holding a file named `mpi`, or
# lessons/2N-mpi-*): compiled with Open MPI's flags (what mpicc adds, from
# pkg-config ompi-c) and linked with src/lab/lab_mpi.c and libmpi.
MPI_PKGS = ompi-c
MPI_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(MPI_PKGS) 2>/dev/null)
MPI_LIBS = $(shell $(PKG_CONFIG) --libs $(MPI_PKGS) 2>/dev/null)
MPI_DIRS = $(sort $(dir $(wildcard lessons/*/mpi)) $(foreach d,$(LESSON_DIRS),$(if $(findstring -mpi-,$(d)),$(d))))
MPI_BINS = $(foreach d,$(MPI_DIRS),bin/racelab-$(call slug,$(d)))
$(MPI_BINS): LESSON_LIBS += $(MPI_LIBS)
$(B)/src/lab/lab_mpi.o $(foreach d,$(MPI_DIRS),$(patsubst %.c,$(B)/%.o,$(wildcard $(d)*.c))): ALL_CFLAGS += $(MPI_CFLAGS)
define lesson_rule
bin/racelab-$(call slug,$(1)): $(patsubst %.c,$(B)/%.o,$(wildcard $(1)*.c)) $(if $(filter $(1),$(MPI_DIRS)),$(B)/src/lab/lab_mpi.o) $(LAB_LIB) $(BOARD_LIB)
	@mkdir -p bin
	$$(CC) $$(RL_LDFLAGS) $$(LDFLAGS) -Wl,-z,now -o $$@ $$^ $$(LESSON_LIBS)
endef
$(foreach d,$(LESSON_DIRS),$(eval $(call lesson_rule,$(d))))
bin/racelab-images $(B)/tsan/racelab-images $(UNIT_BIN): LESSON_LIBS += $(IMAGE_LIBS)
# Lesson 22 reads racelab-ipc's --json records with jansson.
bin/racelab-mpi-collectives: LESSON_LIBS += $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null)
$(B)/lessons/10-images/images.o $(B)/tests/obj/check_images.o: ALL_CFLAGS += $(IMAGE_CFLAGS)

# racelab-watch (src/watch): the program, and the library it preloads
# into a watched program (position-independent, its own symbols hidden
# but the interposed calls and the __tsan_* hooks).
WATCH_LIB = $(B)/librlwatch.so
WATCH_LIB_SRC = $(filter-out src/watch/watch.c,$(wildcard src/watch/*.c))
WATCH_PIC_CFLAGS = $(RL_CPPFLAGS) $(CPPFLAGS) -std=c17 $(WARN) $(WERROR) -MMD -MP \
  -pthread -fPIC -fvisibility=hidden -fno-sanitize=all $(CFLAGS)
$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WATCH_PIC_CFLAGS) $(DW_CFLAGS) -c $< -o $@
$(WATCH_LIB): $(WATCH_LIB_SRC:%.c=$(B)/pic/%.o) $(BOARD_SRC:%.c=$(B)/pic/%.o) $(B)/pic/src/lab/lab_warm.o
	$(CC) -shared -pthread $(LDFLAGS) -Wl,-soname,librlwatch.so -o $@ $^ -ldl -latomic $(DW_LIBS)
$(B)/src/watch/watch.o: ALL_CFLAGS += -DLIBDIR=\"$(LIBDIR)\"
bin/racelab-watch: $(B)/src/watch/watch.o $(B)/src/watch/rlw_kids.o $(B)/src/lesson/watch_cmd.o $(LAB_LIB) $(BOARD_LIB) | $(WATCH_LIB)
	@mkdir -p bin
	$(CC) $(RL_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LESSON_LIBS)
# The watched test programs (tests/watch/*.c), as plain executables.
WATCH_TESTS = $(patsubst tests/watch/%.c,$(B)/watch/%,$(wildcard tests/watch/*.c))
$(B)/watch/%: tests/watch/%.c
	@mkdir -p $(B)/watch
	$(CC) -g -O1 -pthread -o $@ $<
watch: bin/racelab-watch $(WATCH_LIB) $(WATCH_TESTS)

# ThreadSanitizer builds of the lesson programs (tests/e2e/tsan.sh): the
# tool must stay quiet for synchronised modes and speak up for racy ones.
# The lab and the board are compiled once for all of them (one archive), as
# for the normal programs: 19 lessons compiling both again took most of the
# build's time in make check.
# (Not the MPI lessons: their ranks are processes, outside TSan's view.)
TSAN_BINS = $(foreach d,$(filter-out $(MPI_DIRS),$(LESSON_DIRS)),$(B)/tsan/racelab-$(call slug,$(d)))
TSAN_FLAGS = -std=c17 -pthread -fsanitize=thread -O1 -g
TSAN_LIB = $(B)/tsan/liblab.a
$(B)/tsan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(RL_CPPFLAGS) $(TSAN_FLAGS) -MMD -MP -c $< -o $@
$(TSAN_LIB): $(patsubst %.c,$(B)/tsan/obj/%.o,$(LAB_SRC) $(BOARD_SRC))
	rm -f $@ && $(AR) rcs $@ $^
define tsan_rule
$(B)/tsan/racelab-$(call slug,$(1)): $(patsubst %.c,$(B)/tsan/obj/%.o,$(wildcard $(1)*.c)) $(TSAN_LIB)
	$$(CC) $$(TSAN_FLAGS) -o $$@ $$^ $$(LESSON_LIBS)
endef
$(foreach d,$(filter-out $(MPI_DIRS),$(LESSON_DIRS)),$(eval $(call tsan_rule,$(d))))
tsan: $(TSAN_BINS)

# Fuzzing (clang's libFuzzer; not part of check): make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined
$(B)/fuzz/fuzz_md: tests/fuzz/fuzz_md.c $(LESSON_SRC)
	@mkdir -p $(B)/fuzz
	$(FUZZ_CC) $(RL_CPPFLAGS) $(PKG_CFLAGS) -std=c17 $(FUZZ_FLAGS) -o $@ $^ $(PKG_LIBS) -lm
$(B)/fuzz/fuzz_args: tests/fuzz/fuzz_args.c $(LAB_SRC) $(BOARD_SRC)
	@mkdir -p $(B)/fuzz
	$(FUZZ_CC) $(RL_CPPFLAGS) -std=c17 -pthread $(FUZZ_FLAGS) -o $@ $^ -lrt -lm -ljansson
fuzz: deps $(B)/fuzz/fuzz_md $(B)/fuzz/fuzz_args
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

# Unit tests: every tests/unit/check_<m>.c exports Suite *suite_<m>(void);
# the list of suites is generated so a new file needs no Makefile change.
$(B)/tests/suites.h: $(UNIT_SRC)
	@mkdir -p $(dir $@)
	@for f in $(notdir $(filter tests/unit/check_%.c,$(UNIT_SRC))); do \
	  m=$${f#check_}; echo "S($${m%.c})"; done > $@.tmp && mv $@.tmp $@
$(B)/tests/obj/%.o: tests/unit/%.c $(B)/tests/suites.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Wno-missing-prototypes -I$(B)/tests -Itests/unit -c $< -o $@
$(UNIT_BIN): $(UNIT_SRC:tests/unit/%.c=$(B)/tests/obj/%.o) $(SHELL_LIB) $(LAB_LIB) $(BOARD_LIB) $(SYM_LIB)
	$(CC) $(RL_LDFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS) $(LESSON_LIBS) $(DW_LIBS)

$(B)/bench/%: bench/%.c $(SHELL_LIB) $(LAB_LIB) $(BOARD_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(RL_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.a,$^) $(PKG_LIBS) $(LESSON_LIBS)

deps:
	@sh tools/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	./bin/racelab

check: deps
	@$(MAKE) --no-print-directory WERROR=-Werror all $(UNIT_BIN) tsan
	@sh tests/run.sh

bench: deps
	@RACELAB_EXTRA_DEPS="htop" sh tools/deps.sh
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@sh bench/run.sh

screenshots: deps
	@RACELAB_EXTRA_DEPS="chromium fonts-dejavu-core pngquant" sh tools/deps.sh
	@$(MAKE) --no-print-directory all
	@sh tools/screenshots.sh

# Each lesson program's man page is racelab-lesson.1 (the common options;
# --help has the rest); each one's bash completion is tools/completion.bash.
PROGS = $(notdir $(LESSON_BINS))
install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 \
	  $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/racelab/lab \
	  $(DESTDIR)$(INCLUDEDIR)/racelab/board $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 bin/racelab $(LESSON_BINS) bin/racelab-watch $(DESTDIR)$(PREFIX)/bin/
	mkdir -p $(DESTDIR)$(LIBDIR)/racelab
	install -m 644 $(WATCH_LIB) $(DESTDIR)$(LIBDIR)/racelab/
	install -m 644 man/racelab-watch.1 $(DESTDIR)$(MANPREFIX)/man1/
	for d in $(LESSON_DIRS); do mkdir -p $(DESTDIR)$(DATADIR)/$$d; \
	  install -m 644 $$d/lesson.md $$d/*.c $$(ls $$d/*.py 2>/dev/null) $(DESTDIR)$(DATADIR)/$$d/ || exit 1; \
	  if [ -d $$d/exercises ]; then mkdir -p $(DESTDIR)$(DATADIR)/$$d/exercises && \
	    install -m 644 $$d/exercises/*.c $(DESTDIR)$(DATADIR)/$$d/exercises/ || exit 1; fi; done
	install -m 644 man/racelab.1 man/racelab-lesson.1 $(DESTDIR)$(MANPREFIX)/man1/
	install -m 644 tools/completion.bash $(DESTDIR)$(BASHCOMPDIR)/racelab
	for p in $(PROGS); do ln -sf racelab-lesson.1 $(DESTDIR)$(MANPREFIX)/man1/$$p.1; \
	  ln -sf racelab $(DESTDIR)$(BASHCOMPDIR)/$$p; done
	install -m 644 $(RUNTIME_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 644 src/lab/lab.h src/lab/lab_math.h $(DESTDIR)$(INCLUDEDIR)/racelab/lab/
	install -m 644 src/board/board.h $(DESTDIR)$(INCLUDEDIR)/racelab/board/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	  src/lab/racelab-lab.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/racelab-lab.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/racelab $(PROGS:%=$(DESTDIR)$(PREFIX)/bin/%)
	rm -f $(DESTDIR)$(PREFIX)/bin/racelab-watch $(DESTDIR)$(MANPREFIX)/man1/racelab-watch.1
	rm -rf $(DESTDIR)$(LIBDIR)/racelab
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(INCLUDEDIR)/racelab
	rm -f $(DESTDIR)$(MANPREFIX)/man1/racelab.1 $(DESTDIR)$(MANPREFIX)/man1/racelab-lesson.1 \
	  $(PROGS:%=$(DESTDIR)$(MANPREFIX)/man1/%.1)
	rm -f $(DESTDIR)$(BASHCOMPDIR)/racelab $(PROGS:%=$(DESTDIR)$(BASHCOMPDIR)/%)
	rm -f $(DESTDIR)$(LIBDIR)/libracelab-lab.a $(DESTDIR)$(LIBDIR)/pkgconfig/racelab-lab.pc

# The Debian package, built from a copy of the tree (dpkg-buildpackage
# cleans the tree it builds in) into $(B)/deb/racelab_$(VERSION)_*.deb.
deb: deps
	@RACELAB_EXTRA_DEPS="debhelper dpkg-dev lintian fakeroot" sh tools/deps.sh
	@sh tools/deb.sh

clean:
	rm -rf $(B) bin

.PHONY: all watch deps tsan fuzz run check bench screenshots install uninstall deb clean
-include $(shell find $(B) -name '*.d' 2>/dev/null)
