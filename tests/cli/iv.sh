#!/bin/sh
# spill iv: a generated panel, outputs, and bad input (no instrument, an
# instrument collinear with the fixed effects, too few instruments).
# usage: sh iv.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP" || exit 1
fail=0
tmp=$TMP
. ./expect.inc
awk 'BEGIN{srand(5); print "city,year,y,d,z1,z2,c,prov,region"; for(i=1;i<=60;i++){a=rand()*2; for(s=2010;s<=2017;s++){z1=rand()+0.3*a; z2=rand(); v=rand()-0.5; c=rand(); d=a+0.1*(s-2010)+1.2*z1+0.6*z2+0.3*c+v; y=a+1.5*d+0.5*c+rand()+0.8*v; printf "%d,%d,%.10g,%.10g,%.10g,%.10g,%.10g,%d,R%d\n",i,s,y,d,z1,z2,c,i%9,i%4}}}' > "$TMP/iv.csv"
B="--data $TMP/iv.csv --id city --time year --y y --endog d"
expect 0 "usage: spill iv" -- "$SPILL" iv --help
expect 0 "Kleibergen-Paap rk LM" -- "$SPILL" iv $B --instr z1,z2 --x c --json "$TMP/iv.json" --csv "$TMP/iv.csv.out" --latex "$TMP/iv.tex"
grep -q '"kp_rk_wald_f"' "$TMP/iv.json" && grep -q '"hansen_j_p"' "$TMP/iv.json" && grep -q '"first_stage"' "$TMP/iv.json" || { echo "FAIL: json keys"; fail=1; }
grep -q '^statistic,kp_rk_lm' "$TMP/iv.csv.out" || { echo "FAIL: csv statistics"; fail=1; }
grep -q 'toprule' "$TMP/iv.tex" || { echo "FAIL: latex"; fail=1; }
expect 0 "exactly identified" -- "$SPILL" iv $B --instr z1 --cluster prov
expect 0 '"model": "iv2sls"' -- "$SPILL" iv $B --instr z1 --format json
expect 2 "no instrument" -- "$SPILL" iv $B
expect 2 "not identified" -- "$SPILL" iv --data "$TMP/iv.csv" --id city --time year --y y --endog d,c --instr z1
expect 1 "collinear with the fixed effects" -- "$SPILL" iv $B --instr prov
expect 2 "unknown --fe" -- "$SPILL" iv $B --instr z1 --fe xyz
expect 1 "z9" -- "$SPILL" iv $B --instr z9
# absorbed effects, two-way clusters, robust, a time window
expect 0 "absorbed: region#year; SEs clustered two-way by prov#year (9 and 8 clusters)" -- "$SPILL" iv $B --instr z1,z2 --x c --absorb region#year --vce cluster prov#year --json "$TMP/ivab.json"
grep -q '"region#year"' "$TMP/ivab.json" && grep -q '"clusters2": 8' "$TMP/ivab.json" || { echo "FAIL: absorb json"; fail=1; }
expect 0 "absorbed: region#c.year; robust SEs" -- "$SPILL" iv $B --instr z1 --absorb region#c.year --vce robust
expect 0 "Observations 300, units 60, periods 5" -- "$SPILL" iv $B --instr z1 --years 2011-2015
expect 2 "--years '2015-2011'" -- "$SPILL" iv $B --instr z1 --years 2015-2011
exit $fail
