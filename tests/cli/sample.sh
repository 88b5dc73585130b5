#!/bin/sh
# Samples and W: W follows the sample (cut, --w-strict, --drop-unmatched),
# --if, the unbalanced FE OLS DID without --w, the variation checks, W terms
# that live only on islands, the T <= 3 note, weights subset, the default
# distance band warning. Every bad input: its message and exit code.
# usage: sh sample.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; SHARED=$2; tmp=$3
[ -f "$SHARED/data/produc.csv" ] || { echo "SKIP: no shared data"; exit 77; }
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
fail=0
. ./expect.inc
W="$SHARED/data/usaww.csv"

# Produc with a staggered pilot (A-I 1980, J-N 1984), a region (fixed), a
# trend, a constant and a varying region
awk -F, 'NR==1{print "state,year,lgsp,lpcap,lpc,lemp,unemp,pilot,area,trend,zero,drift"; next}
  {a=""; if ($1 ~ /^"[A-I]/) a=1980; else if ($1 ~ /^"[J-N]/) a=1984;
   area = ($1 ~ /^"[A-M]/) ? "east" : "west"; drift = ($2 >= 1980 && $1 ~ /^"C/) ? "west" : area;
   printf "%s,%s,%.17g,%.17g,%.17g,%.17g,%s,%s,%s,%s,0,%s\n",$1,$2,log($9),log($4),log($8),log($10),$11,a,area,$2-1970,drift}' \
  "$SHARED/data/produc.csv" > "$tmp/p.csv"
base="--id state --time year --y lgsp --x lpc,lemp --no-effects"

# W follows the sample: three states missing from the panel are cut from W
grep -v -e '^"ALABAMA"' -e '^"MAINE"' -e '^"OHIO"' "$tmp/p.csv" > "$tmp/p45.csv"
expect 0 "W follows the sample: 3 of 48 W units are not in the panel and were cut from W (ALABAMA, MAINE, OHIO)" -- \
  "$SPILL" fit --data "$tmp/p45.csv" --w "$W" $base --adopt pilot
expect 0 "W row-standardised again on the 45 units kept" -- "$SPILL" fit --data "$tmp/p45.csv" --w "$W" $base --adopt pilot
expect 0 "Sample: 765 observations = 45 units x 17 periods (1970-1986), balanced" -- \
  "$SPILL" fit --data "$tmp/p45.csv" --w "$W" $base --adopt pilot
expect 0 "cohorts by first treated period: 1980 (" -- "$SPILL" fit --data "$tmp/p45.csv" --w "$W" $base --adopt pilot
expect 0 "765 observations of 45 units over 17 periods" -- "$SPILL" fit --data "$tmp/p45.csv" --w "$W" $base --adopt pilot
expect 1 "W units are not in the panel (ALABAMA, MAINE, OHIO) and --w-strict" -- \
  "$SPILL" fit --data "$tmp/p45.csv" --w "$W" $base --adopt pilot --w-strict
# the same cut as a command
printf 'ALABAMA\nMAINE\nOHIO\n' > "$tmp/drop.txt"
expect 0 "Cut: 45 of 48 units kept, 3 dropped (ALABAMA, MAINE, OHIO)" -- \
  "$SPILL" weights subset "$W" "$tmp/w45.csv" --drop "$tmp/drop.txt" --style W
expect 0 "Cut: 45 of 48 units kept" -- "$SPILL" weights subset "$W" "$tmp/w45b.csv" --ids-from "$tmp/p45.csv" --id state
expect 0 "Cut: 3 of 48 units kept" -- "$SPILL" weights subset "$W" "$tmp/w3.gwt" --keep "$tmp/drop.txt"
printf 'ALABAMA\nATLANTIS\n' > "$tmp/bad.txt"
expect 1 "1 listed id is not in W (ATLANTIS)" -- "$SPILL" weights subset "$W" "$tmp/x.csv" --keep "$tmp/bad.txt"
expect 2 "give exactly one of --keep FILE, --drop FILE, --ids-from" -- "$SPILL" weights subset "$W" "$tmp/x.csv"
expect 2 "--ids-from needs --id COL" -- "$SPILL" weights subset "$W" "$tmp/x.csv" --ids-from "$tmp/p.csv"
expect 0 "usage: spill weights subset" -- "$SPILL" weights subset --help

# a panel unit that W lacks: an error, or dropped with --drop-unmatched
sed 's/^"OHIO"/"ATLANTIS"/' "$tmp/p.csv" > "$tmp/atl.csv"
expect 1 "1 panel unit is not in W (ATLANTIS)" -- "$SPILL" fit --data "$tmp/atl.csv" --w "$W" $base --adopt pilot
expect 1 "(--drop-unmatched)" -- "$SPILL" fit --data "$tmp/atl.csv" --w "$W" $base --adopt pilot
expect 0 "1 panel unit not in W dropped from the sample (--drop-unmatched): ATLANTIS" -- \
  "$SPILL" fit --data "$tmp/atl.csv" --w "$W" $base --adopt pilot --drop-unmatched

# --drop-incomplete: the dropped units leave the panel and W together
awk -F, '!($1=="\"TEXAS\"" && $2>=1985)' "$tmp/p.csv" > "$tmp/inc.csv"
expect 0 "W follows the sample: 1 of 48 W units are not in the panel and were cut from W (TEXAS)" -- \
  "$SPILL" fit --data "$tmp/inc.csv" --w "$W" $base --adopt pilot --drop-incomplete
# the ML models need a balanced panel; the OLS DID takes it as it is, without W
expect 1 "--model ols fits the two-way FE DID on the unbalanced panel" -- \
  "$SPILL" fit --data "$tmp/inc.csv" --w "$W" $base --adopt pilot
expect 0 "814 observations of 48 units over 17 periods (unbalanced)" -- \
  "$SPILL" fit --data "$tmp/inc.csv" $base --adopt pilot --model ols
expect 0 "R-squared: within" -- "$SPILL" fit --data "$tmp/inc.csv" $base --adopt pilot --model ols
expect 0 "2 unit-periods missing" -- "$SPILL" fit --data "$tmp/inc.csv" $base --adopt pilot --model ols
expect 2 "--w is required (only --model ols runs without W)" -- "$SPILL" fit --data "$tmp/p.csv" $base --adopt pilot

# --if: subsamples without editing files
expect 0 "--if area=east: 24 of 48 units kept" -- "$SPILL" fit --data "$tmp/p.csv" --w "$W" $base --adopt pilot --if area=east
expect 0 "W follows the sample: 24 of 48 W units" -- "$SPILL" fit --data "$tmp/p.csv" --w "$W" $base --adopt pilot --if area=east
expect 0 "--if area!=east: 24 of 48 units kept" -- "$SPILL" fit --data "$tmp/p.csv" --w "$W" $base --adopt pilot --if 'area!=east'
expect 1 "unit 'CALIFORNIA' changes its 'drift' over time" -- \
  "$SPILL" fit --data "$tmp/p.csv" --w "$W" $base --adopt pilot --if drift=east
expect 1 "no unit of" -- "$SPILL" fit --data "$tmp/p.csv" --w "$W" $base --adopt pilot --if area=north
expect 1 "nosuch" -- "$SPILL" fit --data "$tmp/p.csv" --w "$W" $base --adopt pilot --if nosuch=1
expect 2 "expected COL=VALUE" -- "$SPILL" fit --data "$tmp/p.csv" --w "$W" $base --adopt pilot --if area

# the treatment and the outcome must move
expect 1 "the treatment 'unemp' must be 0 or 1" -- "$SPILL" fit --data "$tmp/p.csv" --w "$W" $base --treat unemp
expect 1 "the treatment 'zero' does not move: it is 0 for every unit and period" -- \
  "$SPILL" fit --data "$tmp/p.csv" --w "$W" $base --treat zero
expect 1 "the outcome 'zero' has no variation" -- \
  "$SPILL" fit --data "$tmp/p.csv" --w "$W" --id state --time year --y zero --x lpc --adopt pilot --no-effects

awk -F, 'NR==1{print $0",uconst"; next}{print $0","length($1)}' "$tmp/p.csv" > "$tmp/uc.csv"
expect 1 "the outcome 'uconst' has no variation left after the twoways fixed effects" -- \
  "$SPILL" fit --data "$tmp/uc.csv" --id state --time year --y uconst --x lpc --adopt pilot --model ols --no-effects

# a W term that lives only on the islands' zero rows (W times a trend)
awk -F, 'NR>1 && !seen[$1]++ {print $1}' "$tmp/p.csv" > "$tmp/ids.txt"
awk 'BEGIN{print "id_i,id_j,w"} {id[NR]=$0} END{for (i=1;i<=45;i++){j=i%45+1; print id[i]","id[j]",1"; print id[j]","id[i]",1"}
  for (i=46;i<=48;i++) print id[i]","id[i]",0"}' "$tmp/ids.txt" > "$tmp/wisl.csv"
expect 0 "W*trend omitted because of collinearity: it varies only through the 3 islands' zero rows of W" -- \
  "$SPILL" fit --data "$tmp/p.csv" --w "$tmp/wisl.csv" --id state --time year --y lgsp --x lpc,trend --adopt pilot --no-effects
expect 0 "W: 4 connected components; 3 islands (units without neighbours)" -- \
  "$SPILL" fit --data "$tmp/p.csv" --w "$tmp/wisl.csv" --id state --time year --y lgsp --x lpc --adopt pilot --no-effects --model ols

# T <= 3 with unit effects: the Lee-Yu note
awk -F, 'NR==1 || $2<=1972' "$tmp/p.csv" | sed 's/,1980,/,1971,/; s/,1984,/,1972,/' > "$tmp/t3.csv"
expect 0 "T = 3 periods with unit fixed effects" -- "$SPILL" fit --data "$tmp/t3.csv" --w "$W" $base --adopt pilot
expect 0 "(--lee-yu)" -- "$SPILL" fit --data "$tmp/t3.csv" --w "$W" $base --adopt pilot

# the default distance band: warn when it gives a unit a quarter of the map
if [ -f "$SHARED/data/china_prefectures.shp" ]; then
  expect 0 "more than a quarter of the 333 units" -- \
    "$SPILL" weights band "$SHARED/data/china_prefectures.shp" --id adcode -o "$tmp/band.gwt"
  grep -qF "consider k nearest neighbours" "$tmp/out" || { echo "FAIL: band warning lacks the k-NN hint"; fail=1; }
fi
exit $fail
