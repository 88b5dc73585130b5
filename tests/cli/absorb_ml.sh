#!/bin/sh
# spill fit --absorb with the ML models: the SAR with --absorb prov#year and
# with --absorb prov#c.year equals the SAR with hand-made dummy (trend)
# columns in --x (the SAR has no W terms, so the two are the same model);
# the SDM hides the dummies and keeps them out of the effects.
# usage: sh absorb_ml.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; tmp=$3
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
fail=0
. ./expect.inc
"$SPILL" demo --generated --n 40 --draws 100 --out "$tmp/d" >/dev/null 2>&1 || { echo "FAIL: demo"; exit 1; }
awk -F, 'BEGIN{OFS=","} NR==1{print $0",\"prov\""; next} {id=$1; gsub(/"/,"",id); print $0",p"(id%6)}' "$tmp/d/panel.csv" > "$tmp/pp.csv"
# every province-year dummy and every province trend, by hand
awk -F, 'NR==1{h=$0; for(p=0;p<6;p++) for(y=2011;y<=2022;y++) h=h",py" p "_" y; for(p=0;p<6;p++) h=h",tr" p; print h; next}
  {p=substr($NF,2); l=$0; for(q=0;q<6;q++) for(y=2011;y<=2022;y++) l=l "," ((q==p && y==$2)?1:0);
   for(q=0;q<6;q++) l=l "," ((q==p)?$2-2000:0); print l}' "$tmp/pp.csv" > "$tmp/dum.csv"
PY=$(head -1 "$tmp/dum.csv" | tr ',' '\n' | grep '^py' | paste -sd, -)
TR=$(head -1 "$tmp/dum.csv" | tr ',' '\n' | grep '^tr' | paste -sd, -)
F="--w $tmp/d/w_adjacency.gwt --id id --time year --y y --treat did --model sar --no-effects"
for c in "prov#year:$PY" "prov#c.year:$TR"; do
  term=${c%%:*}; cols=${c#*:}
  a=$("$SPILL" fit --data "$tmp/pp.csv" $F --x x1 --absorb "$term" 2>/dev/null | grep -E '^(did|x1|rho) ')
  b=$("$SPILL" fit --data "$tmp/dum.csv" $F --x "x1,$cols" 2>/dev/null | grep -E '^(did|x1|rho) ')
  [ -n "$a" ] && [ "$a" = "$b" ] || { echo "FAIL: SAR --absorb $term:"; echo "$a"; echo "hand-made:"; echo "$b"; fail=1; }
done
# the SDM: dummies counted, not shown, no W terms, no effects
"$SPILL" fit --data "$tmp/pp.csv" --w "$tmp/d/w_adjacency.gwt" --id id --time year --y y --treat did --x x1 \
  --absorb 'prov#year' --draws 0 --json "$tmp/sdm.json" >"$tmp/out" 2>&1 || { echo "FAIL: sdm --absorb"; fail=1; }
grep -q "absorbed as 55 dummy/trend columns" "$tmp/out" || { echo "FAIL: sdm dummies line"; fail=1; }
grep -q "prov#year\[" "$tmp/out" && { echo "FAIL: a dummy printed"; fail=1; }
grep -q '"absorbed_columns": 55' "$tmp/sdm.json" && grep -q '"absorb": \["prov#year"\]' "$tmp/sdm.json" || { echo "FAIL: sdm json"; fail=1; }
expect 0 "prov: a factor fixed within units is absorbed by the unit effects already" -- "$SPILL" fit --data "$tmp/pp.csv" $F --absorb prov
exit $fail
