# One version, config.mk's: racelab --version, every lesson program's
# --version, the man pages' headers and debian/changelog say the same.
. "$(dirname "$0")/lib.sh"

v=$(sed -n 's/^VERSION *= *//p' "$ROOT/config.mk")
[ -n "$v" ] || fail "no VERSION in config.mk"
[ "$("$ROOT/bin/racelab" --version)" = "racelab $v" ] ||
	fail "racelab --version: $("$ROOT/bin/racelab" --version), config.mk: $v"
n=0
for p in "$ROOT"/bin/racelab-*; do
	[ "$("$p" --version)" = "${p##*/} $v" ] || fail "$p --version: $("$p" --version)"
	[ "${p##*/}" = racelab-watch ] || n=$((n + 1)) # not a lesson's
done
[ "$n" = "$(ls -d "$ROOT"/lessons/*/ | wc -l)" ] || fail "$n programs for $(ls -d "$ROOT"/lessons/*/ | wc -l) lessons"
for m in "$ROOT"/man/*.1; do
	head -n 1 "$m" | grep -q "\"racelab $v\"" || fail "$m: $(head -n 1 "$m")"
done
head -n 1 "$ROOT/debian/changelog" | grep -q "^racelab ($v) " ||
	fail "debian/changelog: $(head -n 1 "$ROOT/debian/changelog")"
echo "ok: racelab $v, $n programs, man pages, debian/changelog"
