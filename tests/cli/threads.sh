#!/bin/sh
# spill fit --threads and --traces: the same JSON and tables on 1 and 2
# threads (Monte Carlo variance traces forced, simulation draws, SAC too),
# and Monte Carlo SEs within their reported error of the exact ones.
# usage: sh threads.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP" || exit 1
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
d="$TMP/demo"
"$SPILL" demo --generated --n 400 --draws 100 --out "$d" >/dev/null 2>&1 || { echo "FAIL: demo"; exit 1; }
F="--data $d/panel.csv --w $d/w_adjacency.gwt --id id --time year --y y --treat did --logdet chol"
"$SPILL" fit --help | grep -q -- "--threads N" || { echo "FAIL: --help lacks --threads"; fail=1; }
for m in sdm sac; do
  for t in 1 2; do
    "$SPILL" fit $F --model $m --traces mc --threads $t --draws 300 --json "$TMP/$m$t.json" > "$TMP/$m$t.txt" 2>&1
    check "$m on $t threads exits 0" "[ $? -eq 0 ]"
  done
  check "$m: the same JSON on 1 and 2 threads" "cmp -s $TMP/${m}1.json $TMP/${m}2.json"
  check "$m: the same table on 1 and 2 threads" "cmp -s $TMP/${m}1.txt $TMP/${m}2.txt"
  check "$m: the table states the Monte Carlo error" "grep -q 'Monte Carlo error of the SEs' $TMP/${m}1.txt"
  "$SPILL" fit $F --model $m --traces exact --no-effects --json "$TMP/${m}x.json" > /dev/null 2>&1
  # se(rho) by Monte Carlo within 5 reported errors (1 sd) of the exact one
  a=$(sed -n 's/^ *"rho": {"estimate": [^,]*, "se": \([^,]*\),.*/\1/p' "$TMP/${m}1.json")
  b=$(sed -n 's/^ *"rho": {"estimate": [^,]*, "se": \([^,]*\),.*/\1/p' "$TMP/${m}x.json")
  e=$(tr ',' '\n' < "$TMP/${m}1.json" | sed -n 's/.*"se_mc_error": *//p' | head -1)
  check "$m: MC se(rho) $a within 5 x its error $e of the exact $b" \
    "awk -v a='$a' -v b='$b' -v e='$e' 'BEGIN { d = a / b - 1; if (d < 0) d = -d; exit !(b > 0 && e > 0 && e <= 0.001 && d <= 5 * e) }'"
done
exit $fail
