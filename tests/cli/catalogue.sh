#!/bin/sh
# The catalogue of bad input (docs/errors.md): every entry is run here and
# must give its exit status and message; every entry of the document has a
# case here and every case an entry there.
# usage: sh catalogue.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; tmp=$3
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
fail=0
. ./expect.inc
doc=../../docs/errors.md
seen=""
# E ID STATUS PATTERN -- command...
E() {
  id=$1; shift
  seen="$seen $id"
  grep -q "^| $id |" "$doc" || { echo "FAIL: $id is not in docs/errors.md"; fail=1; }
  expect "$@"
}

# fixtures: a generated network, its W and panel, and broken copies
d=$tmp/d
"$SPILL" demo --generated --n 60 --draws 100 --out "$d" >/dev/null 2>&1 || { echo "FAIL: demo"; exit 1; }
cd "$tmp" || exit 1
printf 'garbage' > bad.shp
cp d/network.shp tr.shp; cp d/network.dbf tr.dbf; head -c 100 d/network.shx > tr.shx
printf '0 3\n1 2\n2\n' > trunc.gal
printf '3\n1 1\n2\n2 1\n1\n' > short.gal
printf '0 3 x id\n1 2 abc\n' > bad.gwt
printf '%%%%MatrixMarket matrix array real general\n3 3\n' > bad.mtx
printf 'id,1,2\n1,0,1\n2,1,0,5\n' > ragged.csv
sed '5s/,[^,]*$/,abc/' d/panel.csv > nonnum.csv
sed '5s/,[^,]*$/,NaN/' d/panel.csv > nan.csv
sed '5d' d/panel.csv > unbal.csv
(cat d/panel.csv; sed -n 5p d/panel.csv) > dup.csv
sed 's/^"1",/"999",/' d/panel.csv > badid.csv
sed '5s/,2014,/,2014.5,/' d/panel.csv > frac.csv
awk -F, 'BEGIN{OFS=","} NR>1{$8=$5} {print}' d/panel.csv | sed '1s/$/,x4/' > coll.csv
printf 'id,v\n1,0.5\n' > vals.csv
# numerical edge cases: a common trend (rho at its bound), a unit-constant
# control, every unit treated in 2015, a 3 x 2 panel
awk -F, 'BEGIN{OFS=","} NR>1{$3=($2-2010)+1e-6*$3} {print}' d/panel.csv > bound.csv
awk -F, 'BEGIN{OFS=","} NR==1{print $0",x4";next} {u=$1; gsub(/"/,"",u); print $0,u*0.5}' d/panel.csv > uconst.csv
awk -F, 'BEGIN{OFS=","} NR>1{$4=($2>=2015)?1:0} {print}' d/panel.csv > allt.csv
printf 'id,year,y,did\n1,1,0.3,0\n1,2,1.1,1\n2,1,0.7,0\n2,2,0.2,0\n3,1,1.4,0\n3,2,0.5,0\n' > tiny.csv
printf '0 3 x id\n1 2 1\n2 1 1\n2 3 1\n3 2 1\n' > tiny.gwt
awk -F, 'BEGIN{OFS=","} NR==FNR{ if(FNR>1 && $4==1 && (!($1 in a) || $2<a[$1])) a[$1]=$2; next} FNR==1{print $0",adopt";next} {print $0,(($1 in a)?a[$1]:0)}' d/panel.csv d/panel.csv > adopt.csv
# PSM: a covariate equal to the treatment group (perfect separation); a file
# that already has a column named like a product term
awk -F, 'BEGIN{OFS=","} NR==1{print $0",sep";next} {print $0,($NF>0)}' adopt.csv > sep.csv
awk -F, 'BEGIN{OFS=","} NR==1{print $0",x1:x2";next} {print $0,1}' d/panel.csv > shadow.csv
cd - >/dev/null || exit 1
T=$tmp
F="--w $T/d/w_adjacency.gwt --id id --time year --y y"

# maps
E E01 1 "no such file" -- "$SPILL" weights queen "$T/nofile.shp" -o "$T/x.gal"
E E02 1 "a shapefile needs its .shp, .shx and .dbf" -- "$SPILL" weights queen "$T/bad.shp" -o "$T/x.gal"
E E03 1 "not a readable shapefile" -- "$SPILL" weights queen "$T/tr.shp" -o "$T/x.gal"
E E04 1 "has no field 'nosuch'; its fields are" -- "$SPILL" weights queen "$T/d/network.shp" --id nosuch -o "$T/x.gal"
E E05 1 "has no field 'nosuch'" -- "$SPILL" info "$T/d/network.shp" --id nosuch
# weights
E E06 2 "--k must be at least 1" -- "$SPILL" weights knn "$T/d/network.shp" --k 0 -o "$T/x.gal"
E E07 1 "k must be at least 1 and below the 60 units" -- "$SPILL" weights knn "$T/d/network.shp" --k 100 -o "$T/x.gal"
E E08 2 "--threshold must be a positive distance" -- "$SPILL" weights band "$T/d/network.shp" --threshold -5 -o "$T/x.gal"
E E09 2 "unknown weights type 'nosuch'" -- "$SPILL" weights nosuch
E E10 2 "--style expects one of" -- "$SPILL" weights queen "$T/d/network.shp" --style Q -o "$T/x.gal"
E E11 1 "ends inside the neighbour list of unit '1'" -- "$SPILL" weights info "$T/trunc.gal"
E E12 1 "ends after 2 of the 3 units its header announces" -- "$SPILL" weights info "$T/short.gal"
E E13 1 "with a numeric weight" -- "$SPILL" weights info "$T/bad.gwt"
E E14 1 "only \"matrix coordinate" -- "$SPILL" weights info "$T/bad.mtx"
E E15 1 "4 fields where the header has 3" -- "$SPILL" weights info "$T/ragged.csv"
E E16 2 "cannot tell the format of" -- "$SPILL" weights convert "$T/d/w_adjacency.gwt" "$T/out.xyz"
E E17 1 "cannot open" -- "$SPILL" weights info "$T/nofile.gal"
# fit: usage
E E18 2 "--data, --id, --time and --y are required" -- "$SPILL" fit $F --treat did
E E19 2 "unknown option '--bogus'" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --bogus
E E20 2 "unknown --model 'nosuch'" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --model nosuch
E E21 2 "unknown --fe 'nosuch'" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --fe nosuch
E E22 2 "--draws must be between 0 and 1000000" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --draws -1
E E23 2 "give --treat or --adopt, not both" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --adopt year
E E24 2 "--lee-yu and --lee-yu-bc need --fe unit or twoways" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --fe time --lee-yu
E E25 2 "unknown --logdet 'nosuch'" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --logdet nosuch
# fit: data
E E26 1 "has no column 'nosuch'" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat nosuch
E E27 1 "line 5, column 'x3': 'abc' is not a number" -- "$SPILL" fit --data "$T/nonnum.csv" $F --treat did --x x1,x2,x3
E E28 1 "1 row with a missing value left out (the first: line 5, column 'x3')" -- "$SPILL" fit --data "$T/nan.csv" $F --treat did --x x1,x2,x3
E E29 1 "unbalanced panel: 1 unit-periods missing" -- "$SPILL" fit --data "$T/unbal.csv" $F --treat did
E E30 1 "unit '1' appears twice in period 2014" -- "$SPILL" fit --data "$T/dup.csv" $F --treat did
E E31 1 "1 panel unit is not in W (999): W has no row for it" -- "$SPILL" fit --data "$T/badid.csv" $F --treat did
E E32 1 "period '2014.5' is not a whole number" -- "$SPILL" fit --data "$T/frac.csv" $F --treat did
E E33 0 "x4 omitted because of collinearity" -- "$SPILL" fit --data "$T/coll.csv" $F --treat did --x x1,x4 --no-effects
E E34 1 "period 1900 is not in the panel" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --at 1900 --city-effects "$T/ce.csv"
E E35 1 "cannot open" -- "$SPILL" fit --data "$T/nofile.csv" $F --treat did
# output
E E36 1 "cannot write" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --no-effects --json "$T/nodir/f.json"
E E37 1 "cannot" -- "$SPILL" weights queen "$T/d/network.shp" -o "$T/nodir/x.gal"
# demo and the command itself
E E38 2 "--draws must be at least 100" -- "$SPILL" demo --draws 50
E E39 2 "unknown command 'nonsense'" -- "$SPILL" nonsense
E E40 2 "unknown option" -- "$SPILL" weights queen "$T/d/network.shp" --nonsense -o "$T/x.gal"
# numerical edge cases
E E41 0 "is at the upper bound of its interval" -- "$SPILL" fit --data "$T/bound.csv" $F --treat did --model sar --fe unit --no-effects
E E42 0 "W has 2 connected components" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --model sar --no-effects
E E43 0 "x4 omitted: no variation left after the unit fixed effects" -- "$SPILL" fit --data "$T/uconst.csv" $F --treat did --x x1,x4 --fe unit --no-effects
E E44 1 "it is collinear with the time fixed effects, so the DID is not identified" -- "$SPILL" fit --data "$T/allt.csv" $F --treat did --no-effects
E E45 1 "too few observations for the sar model: 3 units x 2 periods" -- "$SPILL" fit --data "$T/tiny.csv" --w "$T/tiny.gwt" --id id --time year --y y --treat did --model sar
expect 0 "did  " -- "$SPILL" fit --data "$T/tiny.csv" --w "$T/tiny.gwt" --id id --time year --y y --treat did --model ols
E E46 0 "W is not row-stochastic (row sums 1 to 8): the rho interval (-0.365131, 0.181134)" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --model sar --style B --draws 0
E E47 0 "I - rho W is nearly singular" -- "$SPILL" fit --data "$T/bound.csv" $F --treat did --model sar --fe unit --draws 0
E E48 0 "z and P>|z| are undefined where the SE is zero" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --model sem --draws 0
# resource limits: refused up front with the estimate (SPILL_MEM_LIMIT caps the memory seen)
E E49 1 "the simulation draws of the effects would need about" -- env SPILL_MEM_LIMIT=10M "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --model sar --draws 1000000
E E50 1 "use fewer draws (--boot)" -- env SPILL_MEM_LIMIT=10M "$SPILL" did --data "$T/adopt.csv" --id id --time year --y y --adopt adopt --boot 1000000
E E51 1 "use --logdet chol (symmetric W) or lu" -- env SPILL_MEM_LIMIT=100K "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --model sar --logdet eigen --no-effects
# PSM-DID
PS="--data $T/adopt.csv --id id --time year --y y --adopt adopt"
E E52 1 "no treated unit is on the common support or has a control within the caliper/bandwidth" -- "$SPILL" psm $PS --cov x1,x2 --caliper 1e-12
E E53 1 "no treated unit is on the common support or has a control within the caliper/bandwidth" -- "$SPILL" psm $PS --cov x1,x2 --method kernel --bandwidth 1e-9 --common
E E54 1 "adopt.csv has no column 'nosuch' (columns: id, year, y, did, x1, x2, x3, adopt)" -- "$SPILL" psm $PS --cov x1,nosuch
E E55 1 "PSM needs treated and control units (0 treated, 60 never treated)" -- "$SPILL" psm $PS --cov x1 --years 2011-2012
E E56 3 "perfectly separate treated from control units" -- "$SPILL" psm --data "$T/sep.csv" --id id --time year --y y --adopt adopt --cov sep,x1
# interaction terms in --x (and --cov)
E E57 1 "--x x1*nosuch: no column 'nosuch' in" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --x 'x1*nosuch'
expect 1 "--cov x1*nosuch: no column 'nosuch' in" -- "$SPILL" psm $PS --cov 'x1*nosuch'
E E58 1 "--x x1**x2: an empty factor" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --x 'x1**x2'
expect 1 "--x x1*: an empty factor" -- "$SPILL" eventstudy --data "$T/adopt.csv" --id id --time year --y y --adopt adopt --x 'x1*'
expect 1 "--x x1*x2*x3*did: at most three factors in a term" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --x 'x1*x2*x3*did'
expect 1 "--x x1:x1: 'x1' appears twice in the term" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --x 'x1:x1'
expect 1 "--x x1*x2:x3: write a term with '*'" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --x 'x1*x2:x3'
E E59 1 "already has a column named 'x1:x2', the name of a product term" -- "$SPILL" fit --data "$T/shadow.csv" $F --treat did --x 'x1*x2'
# spill iv: bad instruments, absorbed effects and clusters
awk 'BEGIN{srand(5); print "city,year,y,d,z1,z2,c,prov,pc"; for(i=1;i<=40;i++){a=rand()*2; pz=rand(); for(s=2010;s<=2015;s++){z1=rand()+0.3*a; v=rand()-0.5; c=rand(); d=a+1.2*z1+0.3*c+v; y=a+1.5*d+0.5*c+rand()+0.8*v; printf "%d,%d,%.10g,%.10g,%.10g,%.10g,%.10g,P%d,%.6g\n",i,s,y,d,z1,rand(),c,i%7,pz}}}' > "$tmp/iv.csv"
IV="--data $tmp/iv.csv --id city --time year --y y --endog d"
E E60 2 "'z1' is both an excluded instrument (--instr) and a regressor (--x)" -- "$SPILL" iv $IV --instr z1 --x z1
E E61 2 "the equation is not identified" -- "$SPILL" iv --data "$tmp/iv.csv" --id city --time year --y y --endog d,c --instr z1
E E62 1 "instrument pc is collinear with the fixed effects" -- "$SPILL" iv $IV --instr pc
E E63 1 "iv.csv has no column 'region'" -- "$SPILL" iv $IV --instr z1 --absorb region
E E64 1 "--absorb c: absorb/vce: unit '1' changes its 'c' over time" -- "$SPILL" iv $IV --instr z1 --absorb c
E E65 1 "--vce 'cluster a#b#c': expected cluster COL or cluster COL1#COL2" -- "$SPILL" iv $IV --instr z1 --vce cluster a#b#c
E E66 2 "give --vce or --cluster, not both" -- "$SPILL" iv $IV --instr z1 --vce cluster prov --cluster city
E E67 2 "--vce is for --model ols" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --model sdm --vce robust
# corrupt polygon records, read from the raw .shp bytes by `spill weights`:
# record 2's offset from the .shx (big-endian 16-bit words), then a field patched
rec2=$(( $(od -An -tu1 -j108 -N4 "$T/d/network.shx" | awk '{print (($1*256+$2)*256+$3)*256+$4}') * 2 ))
for b in pts part len; do for x in shp shx dbf; do cp "$T/d/network.$x" "$T/$b.$x"; done; done
printf '\350\003\000\000' | dd of="$T/pts.shp" bs=1 seek=$((rec2 + 48)) conv=notrunc 2>/dev/null
printf '\210\023\000\000' | dd of="$T/part.shp" bs=1 seek=$((rec2 + 52)) conv=notrunc 2>/dev/null
printf '\000\000\000\001' | dd of="$T/len.shx" bs=1 seek=112 conv=notrunc 2>/dev/null
E E68 1 "pts.shp: record 2 is corrupt: 1000 points in 1 parts need 16056 bytes" -- "$SPILL" weights queen "$T/pts.shp" -o "$T/x.gal"
E E69 1 "part.shp: record 2 is corrupt: part 1 starts at point 5000, outside the record's points" -- "$SPILL" weights rook "$T/part.shp" -o "$T/x.gal"
E E70 1 "10 bytes by the .shx) cannot be read: shorter than a record header" -- "$SPILL" weights queen "$T/len.shp" -o "$T/x.gal"
# threads and variance traces (issue 10)
E E72 2 "--threads must be 0 (all processors) to 256, got -1" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --threads -1
E E73 2 "unknown --traces 'fast'" -- "$SPILL" fit --data "$T/d/panel.csv" $F --treat did --traces fast
# no edge case leaves a NaN in a table
for a in "--data $T/d/panel.csv --model sem" "--data $T/d/panel.csv --model sar --style B" "--data $T/bound.csv --model sar --fe unit" "--data $T/tiny.csv --model ols"; do
  case "$a" in *tiny*) ww="--w $T/tiny.gwt --id id --time year --y y" ;; *) ww=$F ;; esac
  "$SPILL" fit $a $ww --treat did >"$tmp/out" 2>&1
  if grep -qi "nan" "$tmp/out"; then echo "FAIL: NaN in the table of fit $a"; fail=1; fi
done

# every documented entry has a case
for id in $(sed -n 's/^| \(E[0-9][0-9]*\) |.*/\1/p' "$doc"); do
  case " $seen " in *" $id "*) ;; *) echo "FAIL: docs/errors.md lists $id but no case checks it"; fail=1 ;; esac
done
exit $fail
