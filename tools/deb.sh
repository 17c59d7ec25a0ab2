#!/bin/sh
# Builds the Debian package from a copy of the tree (dpkg-buildpackage runs
# `make clean` in the tree it builds) and checks it with lintian.
# Out: build/deb/racelab_<version>_<arch>.deb, lintian's report in
# build/deb/lintian.txt; exit 1 when the build fails or lintian reports an
# error.  DEB_BUILD_OPTIONS passes through (nocheck: skip the unit tests).
cd "$(dirname "$0")/.." || exit 1
v=$(sed -n 's/^VERSION *= *//p' config.mk)
out=build/deb
src=$out/racelab-$v
rm -rf "$out" && mkdir -p "$src" || exit 1
tar -cf - --exclude=./build --exclude=./bin --exclude=./.git . | tar -xf - -C "$src" || exit 1
(cd "$src" && dpkg-buildpackage -us -uc -b -j"$(nproc)") > "$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log"
	echo "racelab: dpkg-buildpackage failed (build/deb/build.log)" >&2
	exit 1
}
deb=$(ls "$out"/racelab_"$v"_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "racelab: no .deb was made" >&2; exit 1; }
rm -rf "$src"
lintian --info "$deb" > "$out/lintian.txt" 2>&1
cat "$out/lintian.txt"
echo "$deb"
! grep -q '^E: ' "$out/lintian.txt"
