#!/bin/sh
# spill eventstudy / placebo / bacon / fit --by on the castle panel: published
# Bacon figures, outputs in every format, figures, usage and data errors.
# usage: sh did.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; SHARED=$2; TMP=$3
[ -f "$SHARED/data/castle.csv" ] || { echo "SKIP: no shared data"; exit 77; }
rm -rf "$TMP" && mkdir -p "$TMP" || exit 1
fail=0
tmp=$TMP
. ./expect.inc
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
C="--data $SHARED/data/castle.csv --id sid --time year --y l_homicide --adopt adopt"

for cmd in eventstudy placebo bacon; do
  expect 0 "example:" -- "$SPILL" $cmd --help
done
expect 0 "--by COL" -- "$SPILL" fit --by x --help

# Bacon: the published summary
"$SPILL" bacon $C --json "$TMP/b.json" --csv "$TMP/b.csv" --latex "$TMP/b.tex" --plot "$TMP/b.png" > "$TMP/b.txt"
check "bacon exits 0" "[ $? -eq 0 ]"
check "bacon TWFE" "grep -q 'TWFE estimate 0.0818116169' $TMP/b.txt"
check "bacon treated vs never" "grep -q 'Treated vs Never treated *0.90834 *0.08796' $TMP/b.txt"
check "bacon earlier vs later" "grep -q 'Earlier vs Later Treated *0.05976 *-0.00554' $TMP/b.txt"
check "bacon later vs earlier" "grep -q 'Later vs Earlier Treated *0.03190 *0.07032' $TMP/b.txt"
check "bacon json" "grep -q '\"comparisons\"' $TMP/b.json && grep -q '\"twfe\": 0.08181161693' $TMP/b.json"
check "bacon csv" "head -1 $TMP/b.csv | grep -q '^type,treated,control,n_treated,n_control,weight,estimate'"
check "bacon latex" "grep -q toprule $TMP/b.tex"
check "bacon png" "[ -s $TMP/b.png ] && head -c 4 $TMP/b.png | grep -q PNG"

# event study
"$SPILL" eventstudy $C --leads 3 --lags 3 --plot "$TMP/es.svg" --format json > "$TMP/es.json"
check "eventstudy exits 0" "[ $? -eq 0 ]"
check "eventstudy json" "grep -q '\"pretrend\"' $TMP/es.json && grep -q '\"rel\": -3' $TMP/es.json"
check "eventstudy svg" "grep -q '<svg' $TMP/es.svg"
expect 2 "outside the window" -- "$SPILL" eventstudy $C --leads 3 --ref -5
expect 2 "needs --w" -- "$SPILL" eventstudy $C --model sdm

# placebo: seeds reproduce across thread counts
"$SPILL" placebo $C --reps 100 --seed 3 --threads 1 --draws-csv "$TMP/p1.csv" --plot "$TMP/p.png" > "$TMP/p.txt"
check "placebo exits 0" "[ $? -eq 0 ]"
"$SPILL" placebo $C --reps 100 --seed 3 --threads 2 --draws-csv "$TMP/p2.csv" > /dev/null
check "same draws on 1 and 2 threads" "cmp -s $TMP/p1.csv $TMP/p2.csv"
check "placebo table" "grep -q 'permutation p' $TMP/p.txt"
expect 0 "fake-date estimate" -- "$SPILL" placebo $C --shift 2
expect 2 "--reps must be" -- "$SPILL" placebo $C --reps 0

# heterogeneity
expect 0 "Fisher permutation" -- "$SPILL" fit --by south $C --model ols --reps 50
awk -F, 'BEGIN{OFS=","} NR==1{print $0,"zone"; next}{print $0,($18==1?"south":"other")}' "$SHARED/data/castle.csv" > "$TMP/zone.csv"
expect 0 "zone = south" -- "$SPILL" fit --by zone --data "$TMP/zone.csv" --id sid --time year --y l_homicide --adopt adopt --reps 20
expect 1 "no column 'nosuch'" -- "$SPILL" fit --by nosuch $C --reps 10

# data errors
printf 'id,year,y,d\n1,2000,1,0\n1,2001,1,1\n1,2002,1,0\n2,2000,1,0\n2,2001,2,0\n2,2002,1,0\n' > "$TMP/off.csv"
expect 1 "switches off" -- "$SPILL" bacon --data "$TMP/off.csv" --id id --time year --y y --treat d
head -1 "$SHARED/data/castle.csv" > "$TMP/unbal.csv"
sed -n 2,30p "$SHARED/data/castle.csv" | grep -v '^Alaska,2,2003' >> "$TMP/unbal.csv"
expect 1 "unbalanced panel" -- "$SPILL" bacon --data "$TMP/unbal.csv" --id sid --time year --y l_homicide --adopt adopt
check "no temporary files left" "[ \$(ls $TMP | grep -c tmp) -eq 0 ]"
exit $fail
