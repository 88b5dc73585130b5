#!/bin/sh
# Whole-process timing of `spill weights queen MAP -o OUT.gal`: the median of
# REPS runs (wall s, user s, system s, peak MB; /usr/bin/time), for one or
# two builds run in turn (so both see the same machine), and whether their
# outputs are identical. Prints figures only.
# usage: sh bench/contiguity_cli.sh MAP.shp REPS SPILL [OTHER_SPILL]
map=$1; reps=${2:-5}; shift 2
tmp=${TMPDIR:-/tmp}/spill_contig_cli.$$
mkdir -p "$tmp" || exit 1
i=0
while [ "$i" -lt "$reps" ]; do
  k=0
  for exe in "$@"; do
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" "$exe" weights queen "$map" -o "$tmp/out$k.gal" >/dev/null 2>&1
    cat "$tmp/t" >> "$tmp/times$k"
    k=$((k + 1))
  done
  i=$((i + 1))
done
k=0
for exe in "$@"; do
  med() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
  printf '%-40s wall %s s  user %s s  sys %s s  peak %s MB  (median of %s)\n' "$exe" \
    "$(cut -d' ' -f1 "$tmp/times$k" | med)" "$(cut -d' ' -f2 "$tmp/times$k" | med)" \
    "$(cut -d' ' -f3 "$tmp/times$k" | med)" "$(cut -d' ' -f4 "$tmp/times$k" | med | awk '{printf "%.0f", $1/1024}')" "$reps"
  k=$((k + 1))
done
[ $# -eq 2 ] && { cmp -s "$tmp/out0.gal" "$tmp/out1.gal" && echo "outputs identical" || echo "OUTPUTS DIFFER"; }
rm -rf "$tmp"
