# bash completion for racelab and its lesson programs (racelab-SLUG).
# Installed as .../bash-completion/completions/racelab, with a link of that
# name for every lesson program.  Nothing is listed here by hand: each
# program prints its own option table with the hidden --complete option
# (src/lab/lab_opts.c; the shell's in src/shell/main.c), one option a line:
# "--json" takes no value, "--iters=" some value, "--sync=none mutex" one of
# these.  Lesson slugs come from `racelab --list`.

# _racelab_opts PROG: PROG's option table, or nothing.
_racelab_opts() {
	"$1" --complete 2>/dev/null </dev/null
}

# _racelab_values PROG OPT: the values OPT takes ("" for any), status 1 when
# OPT takes no value or is not an option of PROG.
_racelab_values() {
	local line
	while IFS= read -r line; do
		case $line in
		"$2="*) printf '%s\n' "${line#*=}"; return 0 ;;
		esac
	done < <(_racelab_opts "$1")
	return 1
}

# The word being completed and the option it is a value of, if any: both
# "--sync mu" and "--sync=mu" (bash splits at '=' by COMP_WORDBREAKS).
_racelab_word() {
	cur=${COMP_WORDS[COMP_CWORD]} opt=
	local prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [[ $cur == --*=* ]]; then
		opt=${cur%%=*} cur=${cur#*=}
	elif [[ $cur == = ]]; then
		opt=$prev cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		opt=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $prev == --* ]]; then
		opt=$prev
	fi
}

_racelab_prog() {
	local cur opt vals line words=
	_racelab_word
	COMPREPLY=()
	if [[ -n $opt ]] && vals=$(_racelab_values "${COMP_WORDS[0]}" "$opt"); then
		# A value: one of the choices, or nothing to offer.
		[[ -n $vals ]] && COMPREPLY=($(compgen -W "$vals" -- "$cur"))
		return 0
	fi
	while IFS= read -r line; do
		words+=" ${line%%=*}"
	done < <(_racelab_opts "${COMP_WORDS[0]}")
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}

_racelab() {
	local cur opt line words= slugs
	_racelab_word
	COMPREPLY=()
	# After --watch, the words are the watched program and its arguments.
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == --watch ]]; then
			COMPREPLY=($(compgen -f -- "$cur"))
			return 0
		fi
	done
	slugs=$("${COMP_WORDS[0]}" --list 2>/dev/null </dev/null | awk '{ print $2 }')
	case $opt in
	--run)
		# The command's first word is a lesson program.
		COMPREPLY=($(compgen -W "$slugs" -- "${cur#[\'\"]}"))
		return 0 ;;
	esac
	if [[ $cur == -* ]]; then
		while IFS= read -r line; do
			words+=" ${line%%=*}"
		done < <(_racelab_opts "${COMP_WORDS[0]}")
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
	else
		COMPREPLY=($(compgen -W "$slugs" -- "$cur"))
	fi
}

complete -F _racelab racelab
# Every lesson program on the PATH (bash-completion loads this file by the
# name of the command being completed, through the links to it).
_racelab_progs=$(compgen -c racelab- | sort -u)
if [[ -n $_racelab_progs ]]; then complete -F _racelab_prog $_racelab_progs; fi
unset _racelab_progs
