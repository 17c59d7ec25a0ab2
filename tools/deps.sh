#!/bin/sh
# Install racelab's Debian build dependencies, or say how to.
# As root: apt-get install what is missing.  Otherwise: print the line, fail.
# libpng-dev, libjpeg62-turbo-dev: lesson 10 reads and writes PNG and JPEG;
# lomiri-wallpapers-16.04: its default input, 15 JPEG photographs (16 MB)
# in /usr/share/backgrounds (gnome-backgrounds has only WebP and SVG now).
# libdw-dev: racelab-watch names a program's functions, globals and lines.
# libopenmpi-dev, openmpi-bin: lessons 20-22 run on Open MPI (mpicc flags
# from pkg-config ompi-c; mpirun starts the ranks).
pkgs="gcc make pkg-config libncurses-dev check libsubunit-dev libmd4c-dev libjansson-dev libssl-dev tmux procps libpng-dev libjpeg62-turbo-dev libdw-dev lomiri-wallpapers-16.04 libopenmpi-dev openmpi-bin"
[ -n "$RACELAB_EXTRA_DEPS" ] && pkgs="$pkgs $RACELAB_EXTRA_DEPS"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
	echo "racelab: missing build dependencies:$missing (no apt-get here: install them by hand)" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "racelab: missing build dependencies; as root, run:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "racelab: installing build dependencies:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq </dev/null >&2 || exit 1
apt-get install -y -qq --no-install-recommends $missing </dev/null >&2 || exit 1
