# ansi2html.awk: a terminal capture (tmux capture-pane -e -p) to one HTML
# page that looks like the terminal: dark background, DejaVu Sans Mono, one
# <span> per run of text in one style.
#
#   LC_ALL=C awk -v title=catalog -v cols=120 -f tools/ansi2html.awk capture > page.html
#
# Only SGR sequences (ESC [ ... m) matter in a capture; any other escape is
# dropped.  Unlike aha, reverse video swaps the real colours (default ones
# included), dim mixes the colour into the background, and 256-colour and
# direct-colour codes are kept.  Bytes pass through: run it with LC_ALL=C.
BEGIN {
	ESC = sprintf("%c", 27)
	# The 16 colours (Tango), then the xterm 6x6x6 cube and grey ramp.
	n = split("2e3436 cc0000 4e9a06 c4a000 3465a4 75507b 06989a d3d7cf " \
	          "555753 ef2929 8ae234 fce94f 729fcf ad7fa8 34e2e2 eeeeec", hex, " ")
	for (i = 0; i < n; i++)
		pal[i] = "#" hex[i + 1]
	split("0 95 135 175 215 255", lv, " ")
	for (i = 16; i < 232; i++) {
		c = i - 16
		pal[i] = sprintf("#%02x%02x%02x", lv[int(c / 36) + 1],
		                 lv[int(c / 6) % 6 + 1], lv[c % 6 + 1])
	}
	for (i = 232; i < 256; i++)
		pal[i] = sprintf("#%02x%02x%02x", 8 + (i - 232) * 10,
		                 8 + (i - 232) * 10, 8 + (i - 232) * 10)
	FG = "#d3d7cf"
	BG = "#1c1e20"
	if (fontpx == "")
		fontpx = 14
	if (pad == "")
		pad = 10
	reset()
	print "<!DOCTYPE html>"
	print "<html><head><meta charset=\"utf-8\"><title>racelab: " title "</title>"
	print "<style>"
	print "html, body { margin: 0; background: " BG "; }"
	print "pre { margin: 0; padding: " pad "px; color: " FG ";"
	print "  font-family: \"DejaVu Sans Mono\", monospace; font-size: " fontpx "px;"
	print "  line-height: normal; font-variant-ligatures: none; }"
	print "</style></head><body><pre>"
}

function reset() {
	fg = ""; bg = ""; bold = 0; dim = 0; ital = 0; uline = 0; rev = 0
	hide = 0; strike = 0
}

# A colour code at p[k]: 5;N or 2;R;G;B.  Sets col, returns the next index.
function ext(p, k, np) {
	if (p[k + 1] == 5 && k + 2 <= np) {
		col = pal[p[k + 2] % 256]
		return k + 3
	}
	if (p[k + 1] == 2 && k + 4 <= np) {
		col = sprintf("#%02x%02x%02x", p[k + 2] % 256, p[k + 3] % 256,
		              p[k + 4] % 256)
		return k + 5
	}
	col = ""
	return np + 1
}

function sgr(s,    p, np, k, v) {
	np = split(s, p, ";")
	if (np == 0) {
		np = 1
		p[1] = 0
	}
	k = 1
	while (k <= np) {
		v = p[k] + 0
		if (v == 0) reset()
		else if (v == 1) bold = 1
		else if (v == 2) dim = 1
		else if (v == 3) ital = 1
		else if (v == 4) uline = 1
		else if (v == 7) rev = 1
		else if (v == 8) hide = 1
		else if (v == 9) strike = 1
		else if (v == 21 || v == 22) { bold = 0; dim = 0 }
		else if (v == 23) ital = 0
		else if (v == 24) uline = 0
		else if (v == 27) rev = 0
		else if (v == 28) hide = 0
		else if (v == 29) strike = 0
		else if (v >= 30 && v <= 37) fg = pal[v - 30]
		else if (v == 39) fg = ""
		else if (v >= 40 && v <= 47) bg = pal[v - 40]
		else if (v == 49) bg = ""
		else if (v >= 90 && v <= 97) fg = pal[v - 90 + 8]
		else if (v >= 100 && v <= 107) bg = pal[v - 100 + 8]
		if (v == 38 || v == 48) {
			k = ext(p, k, np)
			if (v == 38) fg = col
			else bg = col
			continue
		}
		k++
	}
}

function style(    f, b, t, s) {
	f = fg == "" ? FG : fg
	b = bg == "" ? BG : bg
	if (rev) {
		t = f; f = b; b = t
	}
	if (dim)
		f = "color-mix(in srgb, " f " 55%, " b ")"
	if (hide)
		f = b
	s = ""
	if (f != FG)
		s = s "color:" f ";"
	if (b != BG)
		s = s "background:" b ";"
	if (bold)
		s = s "font-weight:bold;"
	if (ital)
		s = s "font-style:italic;"
	if (uline || strike)
		s = s "text-decoration:" (uline ? "underline" : "") \
		    (strike ? " line-through" : "") ";"
	return s
}

# Columns of UTF-8 text: count every byte but continuation bytes.
function width(t) {
	gsub(/[\200-\277]/, "", t)
	return length(t)
}

# Text in the current style; a run of full blocks (U+2588: the sparklines'
# top level, the projector's big digits) as spaces on its colour, so that
# the browser draws one solid area, without the seams of glyphs that do not
# quite fill their cells.
function emit(t,    blk, i, k) {
	blk = "\342\226\210"
	while ((i = index(t, blk)) > 0) {
		emit_text(substr(t, 1, i - 1))
		for (k = 0; substr(t, i + 3 * k, 3) == blk; k++)
			;
		rev = !rev
		emit_text(sprintf("%" k "s", ""))
		rev = !rev
		t = substr(t, i + 3 * k)
	}
	emit_text(t)
}

function emit_text(t,    st) {
	if (t == "")
		return
	plain = plain t
	gsub(/&/, "\\&amp;", t)
	gsub(/</, "\\&lt;", t)
	gsub(/>/, "\\&gt;", t)
	st = style()
	out = out (st == "" ? t : "<span style=\"" st "\">" t "</span>")
}

{
	line = $0
	out = ""
	plain = ""
	while ((i = index(line, ESC)) > 0) {
		emit(substr(line, 1, i - 1))
		rest = substr(line, i + 1)
		if (substr(rest, 1, 1) != "[") { # not CSI: drop ESC and one byte
			line = substr(rest, 2)
			continue
		}
		rest = substr(rest, 2)
		if (!match(rest, /[@-~]/)) {
			line = ""
			break
		}
		if (substr(rest, RSTART, 1) == "m")
			sgr(substr(rest, 1, RSTART - 1))
		line = substr(rest, RSTART + 1)
	}
	emit(line)
	# tmux leaves out cells cleared with a colour (a status bar drawn with
	# back-colour-erase): fill the line in the style it ended with.
	if (cols > 0 && (w = width(plain)) < cols)
		emit(sprintf("%" (cols - w) "s", ""))
	print out
}

END {
	print "</pre></body></html>"
}
