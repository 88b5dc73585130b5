#!/bin/sh
# spill psm: a generated panel, outputs, and bad input (separation, empty
# common support, missing covariates, unbalanced panel).
# usage: sh psm.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP" || exit 1
fail=0
tmp=$TMP
. ./expect.inc
awk 'BEGIN{srand(3); print "city,year,y,adopt,x1,x2,sep"; for(i=1;i<=200;i++){x1=rand()*2-1; x2=rand(); ps=1/(1+exp(-(-1+1.5*x1+x2))); tr=(rand()<ps); a=rand(); for(s=2010;s<=2017;s++){ d=(tr && s>=2014); c=x1+0.2*rand(); y=a+0.1*(s-2010)+0.5*c+d+rand(); printf "%d,%d,%.10g,%d,%.10g,%.10g,%d\n",i,s,y,(tr?2014:0),c,x2,tr}}}' > "$TMP/psm.csv"
B="--data $TMP/psm.csv --id city --time year --y y --adopt adopt"
expect 0 "usage: spill psm" -- "$SPILL" psm --help
expect 0 "%bias" -- "$SPILL" psm $B --cov x1,x2 --caliper 0.05 --json "$TMP/p.json" --csv "$TMP/p.csv" --latex "$TMP/p.tex" --matches "$TMP/m.csv"
grep -q '"matching"' "$TMP/p.json" && grep -q '"bias_matched"' "$TMP/p.json" && grep -q '"coefficients"' "$TMP/p.json" || { echo "FAIL: json keys"; fail=1; }
head -1 "$TMP/m.csv" | grep -q '^id,treated,pscore,support,weight,matches' || { echo "FAIL: matches csv"; fail=1; }
grep -q 'toprule' "$TMP/p.tex" || { echo "FAIL: latex"; fail=1; }
expect 0 "Two-way FE DID on the matched sample" -- "$SPILL" psm $B --cov x1,x2 --method kernel --bandwidth 0.06 --common
expect 0 "Matched" -- "$SPILL" psm $B --cov x1 --k 2 --no-replace --unit-means
expect 3 "separate" -- "$SPILL" psm $B --cov sep
expect 1 "no treated unit" -- "$SPILL" psm $B --cov x1,x2 --caliper 1e-15
expect 2 "--cov is required" -- "$SPILL" psm $B
expect 2 "unknown --method" -- "$SPILL" psm $B --cov x1 --method xyz
head -100 "$TMP/psm.csv" > "$TMP/short.csv"
expect 1 "unbalanced" -- "$SPILL" psm --data "$TMP/short.csv" --id city --time year --y y --adopt adopt --cov x1
exit $fail
