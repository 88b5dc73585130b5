#!/bin/sh
# SIGINT/SIGTERM during a long run: the command stops at once (exit 128 +
# signal), leaves no temporary file and keeps the outputs of an earlier run.
# usage: sh interrupt.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; tmp=$3
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
fail=0
d=$tmp/d
"$SPILL" demo --generated --n 200 --draws 100 --out "$d" >/dev/null 2>&1 || { echo "FAIL: demo"; exit 1; }
fit() { # exec: the background job must be spill itself, not a subshell
  exec "$SPILL" fit --data "$d/panel.csv" --w "$d/w_adjacency.gwt" --id id --time year --y y --treat did \
    --x x1,x2,x3 --json "$d/fit.json" --effects-out "$d/effects.csv" "$@"
}
(fit --draws 100 >/dev/null 2>&1) || { echo "FAIL: first fit"; exit 1; }
before=$(cat "$d/fit.json" "$d/effects.csv" | cksum)

for sig in INT TERM; do
  (fit --draws 1000000 >"$tmp/out" 2>"$tmp/err") &
  pid=$!
  sleep 2
  kill -s $sig $pid
  start=$(date +%s)
  wait $pid
  rc=$?
  took=$(( $(date +%s) - start ))
  want=130; [ $sig = TERM ] && want=143
  [ $rc -eq $want ] || { echo "FAIL: SIG$sig: exit $rc, expected $want"; sed 's/^/  | /' "$tmp/err"; fail=1; }
  [ $took -le 2 ] || { echo "FAIL: SIG$sig: took ${took}s to stop"; fail=1; }
  grep -q "interrupted" "$tmp/err" || { echo "FAIL: SIG$sig: no message"; fail=1; }
  if ls "$d" | grep -q '\.tmp'; then echo "FAIL: SIG$sig left temporaries: $(ls "$d" | grep tmp)"; fail=1; fi
  [ "$(cat "$d/fit.json" "$d/effects.csv" | cksum)" = "$before" ] ||
    { echo "FAIL: SIG$sig changed the earlier outputs"; fail=1; }
done
exit $fail
