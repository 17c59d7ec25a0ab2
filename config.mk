# racelab version and install paths
VERSION = 0.1.0

PREFIX = /usr/local
MANPREFIX = $(PREFIX)/share/man
DATADIR = $(PREFIX)/share/racelab
LIBDIR = $(PREFIX)/lib
INCLUDEDIR = $(PREFIX)/include
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions

CC ?= cc
PKG_CONFIG ?= pkg-config
