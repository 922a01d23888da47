#!/bin/sh
# layers_test: sim/ is folders by concept, each depending only on the ones below it:
#   base < dns < auth < wire < smtp < decode < trace < link < attack < run < export
# Every #include "sim/DIR/..." in sim/ must name the file's own folder or a lower one,
# sim/ must never include ui/ or curses, and no file may sit in sim/ outside a folder.
# Run from the top of the tree:  sh tests/layers_test.sh
order="base dns auth wire smtp decode trace link attack run export"
pass=0
fail=0
rank() {
	i=0
	for d in $order; do
		[ "$d" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo 99
}
for f in sim/*.[ch]; do
	[ -e "$f" ] || continue
	echo "FAIL: $f is outside a folder"
	fail=$((fail + 1))
done
for f in sim/*/*.[ch]; do
	d=$(echo "$f" | cut -d/ -f2)
	rd=$(rank "$d")
	if [ "$rd" -eq 99 ]; then
		echo "FAIL: $f: folder '$d' is not in the layer order"
		fail=$((fail + 1))
		continue
	fi
	ok=1
	for inc in $(grep -o '#include "sim/[a-z]*/' "$f" | cut -d/ -f2 | sort -u); do
		ri=$(rank "$inc")
		if [ "$ri" -gt "$rd" ]; then
			echo "FAIL: $f ($d) includes sim/$inc/, a higher layer"
			ok=0
		fi
	done
	if grep -qE '#include [<"](ui/|n?curses)' "$f"; then
		echo "FAIL: $f includes the interface or curses"
		ok=0
	fi
	if [ $ok -eq 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "layers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
