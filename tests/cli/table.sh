#!/bin/sh
# spill table: fits from a generated panel side by side; the did estimate and
# its SE in the CSV equal the JSON values rounded; every format; bad input.
# usage: sh table.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; tmp=$3
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
fail=0
. ./expect.inc
# run0 command...: must exit 0 (the output goes to a file: nothing to match)
run0() { "$@" >"$tmp/out" 2>&1 || { echo "FAIL: $* exited $?"; sed 's/^/  | /' "$tmp/out"; fail=1; }; }
"$SPILL" demo --generated --n 40 --draws 100 --out "$tmp/d" >/dev/null 2>&1 || { echo "FAIL: demo"; exit 1; }
B="--data $tmp/d/panel.csv --w $tmp/d/w_adjacency.gwt --id id --time year --y y --treat did"
"$SPILL" fit $B --model ols --json "$tmp/a.json" >/dev/null 2>&1 || { echo "FAIL: fit ols"; fail=1; }
"$SPILL" fit $B --x x1,x2 --json "$tmp/b.json" >/dev/null 2>&1 || { echo "FAIL: fit sdm"; fail=1; }
"$SPILL" fit $B --model sar --x x1 --fe unit --json "$tmp/c.json" >/dev/null 2>&1 || { echo "FAIL: fit sar"; fail=1; }
run0 "$SPILL" table "$tmp/a.json" "$tmp/b.json" "$tmp/c.json" --controls x1,x2 --nostar -o "$tmp/t.csv"
# the did estimate and SE of the SDM fit, rounded to 3 decimals, are in column 3
want=$(tr -d ' \n' < "$tmp/b.json" | sed 's/.*{"name":"did","estimate":\([^,]*\),"se":\([^,]*\),.*/\1 \2/')
b=$(printf '%.3f' "${want% *}"); s=$(printf '(%.3f)' "${want#* }")
row=$(grep -n '^did,' "$tmp/t.csv" | cut -d: -f1)
got_b=$(sed -n "${row}p" "$tmp/t.csv" | cut -d, -f3)
got_s=$(sed -n "$((row + 1))p" "$tmp/t.csv" | cut -d, -f3)
[ "$got_b" = "$b" ] && [ "$got_s" = "$s" ] || { echo "FAIL: did in table '$got_b' '$got_s', JSON '$b' '$s'"; fail=1; }
grep -q '^Controls,NO,YES,YES$' "$tmp/t.csv" || { echo "FAIL: controls row"; cat "$tmp/t.csv"; fail=1; }
grep -q '^Time FE,YES,YES,NO$' "$tmp/t.csv" || { echo "FAIL: time FE row"; fail=1; }
for e in txt tex html rtf; do
  run0 "$SPILL" table "$tmp/a.json" "$tmp/b.json" -o "$tmp/t.$e"
  grep -qF "$b" "$tmp/t.$e" || { echo "FAIL: $e lacks $b"; fail=1; }
done
expect 0 "Observations" -- "$SPILL" table "$tmp/a.json" --t --title "Main"
expect 0 "spill table" -- "$SPILL" table --help
expect 2 "give one or more" -- "$SPILL" table
expect 2 "unknown extension" -- "$SPILL" table "$tmp/a.json" -o "$tmp/t.doc"
expect 2 "--mtitles has 1 titles for 2 fits" -- "$SPILL" table "$tmp/a.json" "$tmp/b.json" --mtitles A
expect 1 "cannot open" -- "$SPILL" table "$tmp/nothere.json"
printf '{"x": 1' > "$tmp/bad.json"
expect 1 "not JSON" -- "$SPILL" table "$tmp/bad.json"
# --years: the same fit as on the panel cut to the window by hand
awk -F, 'NR == 1 || ($2 >= 2013 && $2 <= 2018)' "$tmp/d/panel.csv" > "$tmp/win.csv"
a=$("$SPILL" fit $B --model ols --years 2013-2018 2>/dev/null | grep '^did')
b=$("$SPILL" fit --data "$tmp/win.csv" --id id --time year --y y --treat did --model ols 2>/dev/null | grep '^did')
[ -n "$a" ] && [ "$a" = "$b" ] || { echo "FAIL: --years '$a' vs cut panel '$b'"; fail=1; }
a=$("$SPILL" eventstudy --data "$tmp/d/panel.csv" --id id --time year --y y --treat did --years 2013-2018 2>/dev/null)
b=$("$SPILL" eventstudy --data "$tmp/win.csv" --id id --time year --y y --treat did 2>/dev/null)
[ -n "$a" ] && [ "$a" = "$b" ] || { echo "FAIL: eventstudy --years differs from the cut panel"; fail=1; }
expect 1 "no period of the panel" -- "$SPILL" fit $B --years 2030-2040
expect 2 "expected FROM-TO" -- "$SPILL" fit $B --years 2018-2013
# --absorb prov#year gives the coefficients of the regression with explicit
# province-by-year dummies as controls (collinear ones dropped)
awk -F, 'BEGIN{OFS=","} NR==1{print $0",\"prov\""; next} {id=$1; gsub(/"/,"",id); print $0",p"(id%6)}' "$tmp/d/panel.csv" > "$tmp/pp.csv"
awk -F, 'NR==1{h=$0; for(p=0;p<6;p++) for(y=2011;y<=2022;y++) h=h",\"py" p "_" y "\""; print h; next}
  {p=substr($NF,2); line=$0; for(q=0;q<6;q++) for(y=2011;y<=2022;y++) line=line "," ((q==p && y==$2)?1:0); print line}' "$tmp/pp.csv" > "$tmp/dum.csv"
X=$(head -1 "$tmp/dum.csv" | tr ',' '\n' | grep py | tr -d '"' | paste -sd, -)
a=$("$SPILL" fit --data "$tmp/dum.csv" --id id --time year --y y --treat did --x "x1,$X" --model ols 2>/dev/null | grep '^did' | awk '{print $2}')
b=$("$SPILL" fit --data "$tmp/pp.csv" --id id --time year --y y --treat did --x x1 --model ols --absorb 'prov#year' \
    --vce cluster 'prov#year' --json "$tmp/ab.json" 2>/dev/null | grep '^did' | awk '{print $2}')
[ -n "$a" ] && [ "$a" = "$b" ] || { echo "FAIL: --absorb prov#year did '$b', dummies '$a'"; fail=1; }
grep -q '"absorb": \["prov#year"\]' "$tmp/ab.json" || { echo "FAIL: absorb in JSON"; fail=1; }
expect 0 "prov#year FE" -- "$SPILL" table "$tmp/a.json" "$tmp/ab.json"
expect 0 "prov#year: 55 dummy/trend columns added to X without W terms" -- "$SPILL" fit --data "$tmp/pp.csv" --w "$tmp/d/w_adjacency.gwt" --id id --time year --y y --treat did --absorb 'prov#year' --no-effects
expect 2 "--vce is for --model ols" -- "$SPILL" fit $B --vce robust
expect 0 "absorbed by the unit effects already" -- "$SPILL" fit --data "$tmp/pp.csv" --w "$tmp/d/w_adjacency.gwt" --id id --time year --y y --treat did --absorb prov
expect 1 "changes its" -- "$SPILL" fit --data "$tmp/pp.csv" --id id --time year --y y --treat did --model ols --absorb x1
expect 2 "expected robust or cluster" -- "$SPILL" fit $B --model ols --vce hc3
# castle (../shared): region-by-year effects (region from the four region
# dummies) against 44 explicit region-year dummies as controls
C=$2/data/castle.csv
if [ -f "$C" ]; then
  awk -F, 'NR==1{print $0",region"; next} {print $0"," (($16==1)?"ne":($17==1)?"mw":($18==1)?"s":"w")}' "$C" > "$tmp/cr.csv"
  awk -F, 'NR==1{h=$0; for(r=1;r<=4;r++) for(y=2000;y<=2010;y++) h=h",ry" r "_" y; print h; next}
    {rr=($16==1)?1:($17==1)?2:($18==1)?3:4; l=$0; for(r=1;r<=4;r++) for(y=2000;y<=2010;y++) l=l "," ((r==rr && y==$3)?1:0); print l}' \
    "$tmp/cr.csv" > "$tmp/crd.csv"
  X=$(head -1 "$tmp/crd.csv" | tr ',' '\n' | grep '^ry' | paste -sd, -)
  a=$("$SPILL" fit --data "$tmp/crd.csv" --id sid --time year --y l_homicide --treat post --x "l_police,l_income,$X" \
      --model ols 2>/dev/null | grep '^post' | awk '{print $2}')
  b=$("$SPILL" fit --data "$tmp/cr.csv" --id sid --time year --y l_homicide --treat post --x l_police,l_income \
      --model ols --absorb 'region#year' 2>/dev/null | grep '^post' | awk '{print $2}')
  [ -n "$a" ] && [ "$a" = "$b" ] || { echo "FAIL: castle region#year post '$b', dummies '$a'"; fail=1; }
else
  echo "note: $C absent: castle region-by-year check skipped"
fi
[ ! -e "$tmp/t.doc" ] || { echo "FAIL: output left behind"; fail=1; }
exit $fail
