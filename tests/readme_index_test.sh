#!/bin/sh
# readme_index_test: the README's catalogue and attack indexes are the program's own
# output (smtps-sim list --format markdown), so they cannot drift from the scenario files
# and the attack table; every catalogue scenario cites its sources, and every "pair"
# names a scenario that exists. Run from the top of the tree.
BIN=${SMTPS_BIN:-./smtps-sim}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
check() {
	what=$1
	shift
	if "$@"; then pass=$((pass + 1)); else echo "FAIL: $what"; fail=$((fail + 1)); fi
}
section() { # section MARKER: the README lines between the marker and its end
	sed -n "/^<!-- $1: /,/^<!-- end $1 -->/p" README.md | sed '1d;$d'
}
section catalogue-index > "$T/readme-idx"
"$BIN" list --format markdown scenarios > "$T/idx" 2> "$T/idx.err"
check "list --format markdown exits 0 with nothing on stderr" [ ! -s "$T/idx.err" ]
check "README catalogue index matches 'smtps-sim list --format markdown scenarios' (regenerate it)" \
	cmp -s "$T/readme-idx" "$T/idx"
section attack-index > "$T/readme-att"
"$BIN" list --attacks --format markdown > "$T/att"
check "README attack index matches 'smtps-sim list --attacks --format markdown'" cmp -s "$T/readme-att" "$T/att"
n=$(ls scenarios/*.ini | wc -l)
check "the index has a row per scenario ($n)" [ "$(grep -c '^| `' "$T/idx")" -eq "$n" ]
for f in scenarios/*.ini; do
	name=$(basename "$f" .ini)
	check "$name cites its RFCs or CVEs" grep -q '^references = ..*' "$f"
	pair=$(sed -n 's/^pair = //p' "$f")
	[ -n "$pair" ] && check "$name's pair $pair exists" [ -f "scenarios/$pair.ini" ]
done
"$BIN" list --attacks > "$T/attacks"
check "list --attacks names every attack once" [ "$(cut -d' ' -f1 "$T/attacks" | sort | uniq -d | wc -l)" -eq 0 ]
check "list --attacks: as many as attack_list.h" \
	[ "$(wc -l < "$T/attacks")" -eq "$(grep -c '^ATTACK(' sim/attack/attack_list.h)" ]
# One file per attack: ATTACK(x) in the table, and sim/attack/x.c defines attack_x.
for x in $(sed -n 's/^ATTACK(\(.*\))$/\1/p' sim/attack/attack_list.h); do
	check "attack $x lives in sim/attack/$x.c" grep -q "^const struct attack attack_$x = {" "sim/attack/$x.c"
done
"$BIN" list --format xml scenarios > /dev/null 2>&1
check "list --format xml is a usage error (exit 2)" [ $? -eq 2 ]
echo "readme index: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
