# bash completion (tools/completion.bash): for every lesson program, "--"
# offers exactly the options its --help lists and each choice option
# (--sync, --mode, --demo, ...) the values --help names; for racelab, the
# options of its usage and the slugs of --list.  Sourced in bash -c, the
# functions called with COMP_WORDS as bash would.
. "$(dirname "$0")/lib.sh"

command -v bash >/dev/null || fail "bash is not installed"
comp() { # comp FUNCTION WORD...: the completions, one a line, sorted
	bash -c '. "$1/tools/completion.bash"; f=$2; shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); "$f"
		printf "%s\n" "${COMPREPLY[@]}"' sh "$ROOT" "$@" | sort -u | sed '/^$/d'
}
words() { tr ' ' '\n' | sed '/^$/d' | sort -u; }

n=0
for p in "$ROOT"/bin/racelab-*; do
	"$p" --help > "$RL_TMP/help" || fail "$p --help"
	# Option names: the first word of each option line ("--help, --version").
	sed -n 's/^  \(--[a-z][a-z-]*\)\(, \(--[a-z-]*\)\)\{0,1\}.*/\1 \3/p' "$RL_TMP/help" |
		words > "$RL_TMP/want"
	comp _racelab_prog "$p" -- > "$RL_TMP/got"
	cmp -s "$RL_TMP/want" "$RL_TMP/got" ||
		fail "$p: -- completes to $(echo $(cat "$RL_TMP/got")), --help lists $(echo $(cat "$RL_TMP/want"))"
	# Choices: "--sync none|mutex" or "--mode thread|process" in --help.
	sed -n 's/^  \(--[a-z-]*\) \([a-z0-9_-]*|[a-z0-9_|-]*\).*/\1 \2/p' "$RL_TMP/help" > "$RL_TMP/choices"
	while read -r opt vals; do
		want=$(echo "$vals" | tr '|' ' ' | words)
		got=$(comp _racelab_prog "$p" "$opt" "")
		[ "$got" = "$want" ] || fail "$p $opt: completes to $(echo $got), --help says $vals"
		first=$(echo "$want" | head -n 1)
		got=$(comp _racelab_prog "$p" "$opt" = "$(echo "$first" | cut -c1-1)")
		echo "$got" | grep -qx "$first" || fail "$p $opt=${first%${first#?}}: no $first"
		n=$((n + 1))
	done < "$RL_TMP/choices"
	# (racelab-watch has no --workers: there the word is not an option.)
	! grep -qx -- --workers "$RL_TMP/want" || [ -z "$(comp _racelab_prog "$p" --workers "")" ] ||
		fail "$p --workers offers values"
done
[ "$n" -ge 20 ] || fail "only $n choice options seen"

rl=$ROOT/bin/racelab
"$rl" --help | grep '^  --' | grep -o -- '--[a-z][a-z-]*' | words > "$RL_TMP/want"
comp _racelab "$rl" -- > "$RL_TMP/got"
cmp -s "$RL_TMP/want" "$RL_TMP/got" ||
	fail "racelab: -- completes to $(echo $(cat "$RL_TMP/got")), usage lists $(echo $(cat "$RL_TMP/want"))"
"$rl" --list | awk '{ print $2 }' | words > "$RL_TMP/want"
comp _racelab "$rl" "" > "$RL_TMP/got"
cmp -s "$RL_TMP/want" "$RL_TMP/got" || fail "racelab: slugs $(echo $(cat "$RL_TMP/got"))"
[ "$(comp _racelab "$rl" ra)" = race ] || fail "racelab ra"
[ "$(comp _racelab "$rl" --run "'ra")" = race ] || fail "racelab --run 'ra"
# Registered for the programs on the PATH (bash-completion loads the file
# by the command's name, through its links).
PATH=$ROOT/bin:$PATH bash -c '. "$1/tools/completion.bash"; complete -p racelab-race racelab' sh "$ROOT" |
	grep -c -- "-F _racelab" | grep -qx 2 || fail "not registered for racelab and racelab-race"
echo "ok: completion of $(ls "$ROOT"/bin/racelab-* | wc -l) programs ($n choice options) and racelab"
