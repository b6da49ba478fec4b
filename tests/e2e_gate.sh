#!/bin/bash
# End-to-end: the regression gate on a tiny sweep (3 seeds, 2 sharing modes).
# `sharebench baseline` writes the baseline file; candidates are copies of the
# database edited with sqlite3: identical (exit 0), a quality drop (exit 1), a
# slowdown (exit 1), a run that diverges (exit 1), a missing run (exit 2), too
# few seeds for the tests (exit 2), a different configuration (exit 2); bad
# input exits 2 and writes nothing.
set -u
SB=${1:-build/release/sharebench}
dir=$(mktemp -d /tmp/sb-e2e-gate-XXXXXX)
trap 'rm -rf "$dir"' EXIT
passed=0 failed=0
check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "e2e_gate: FAIL: $what"; fi
}

cat > "$dir/tiny.ini" <<'INI'
[sweep]
name = tiny
[run]
task = copy
knobs = len=4
steps = 30
batch = 8
eval_examples = 16
test_examples = 64
seed = 1 2 3
[model]
preset = tiny
sharing = none all
INI
db=$dir/base.db
"$SB" sweep "$dir/tiny.ini" --db "$db" --jobs 2 >"$dir/sweep.log" 2>&1 || { echo "e2e_gate: FAIL: sweep: $(cat "$dir/sweep.log")"; echo "e2e_gate: 0 passed, 1 failed"; exit 1; }

# the baseline, as text
"$SB" baseline --db "$db" -o "$dir/baseline.csv" >"$dir/b.log" 2>&1
check "baseline written" test -s "$dir/baseline.csv"
check "baseline header" grep -q '^run,kind,key,step,layer,head,value' "$dir/baseline.csv"
check "baseline keeps step times" grep -q ',series,step_ms,' "$dir/baseline.csv"
check "baseline says what it wrote" grep -q "6 runs of 2 configurations (3 seeds each)" "$dir/b.log"

gate() { # candidate db, extra options...; sets rc, writes $dir/out.md and $dir/out.json
  local cand=$1; shift
  rm -f "$dir/out.md" "$dir/out.json"
  "$SB" gate --baseline "$dir/baseline.csv" --db "$cand" --markdown "$dir/out.md" --json "$dir/out.json" "$@" >"$dir/gate.log" 2>&1
  rc=$?
}
edited() { # name, SQL: a copy of the database edited
  cp "$db" "$dir/$1.db"
  sqlite3 "$dir/$1.db" "PRAGMA foreign_keys = ON; $2"
  echo "$dir/$1.db"
}
json_ok() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["exit_status"] == int(sys.argv[2]) else 1)' "$1" "$2"; }

# identical: 0, every mark unchanged, the normalisation said
gate "$db"
check "identical candidate exits 0 (got $rc)" test "$rc" = 0
check "identical: verdict in the table" grep -q '# sharebench gate: passed (exit 0)' "$dir/out.md"
check "identical: normalisation named" grep -q 'normalised by calib_gflops' "$dir/out.md"
check "identical: no mark but unchanged" bash -c "! grep -E '\\| (worse|better|not significant|newly failing|missing|too few repetitions) \\|' '$dir/out.md'"
check "identical: JSON with the same verdict" json_ok "$dir/out.json" 0

# a quality drop of 0.2 on every seed of 'all': 1, worse
cand=$(edited drop "UPDATE metrics SET value = value - 0.2 WHERE key = 'test' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all')")
gate "$cand"
check "quality drop exits 1 (got $rc)" test "$rc" = 1
check "quality drop marked worse" grep -qE '\| copy all \| test \(accuracy\) \|.*\*\*worse\*\*' "$dir/out.md"
check "quality drop: JSON" json_ok "$dir/out.json" 1

# four times slower steps in 'all': 1, worse on train_step_ms
cand=$(edited slow "UPDATE series SET value = value * 4 WHERE metric = 'step_ms' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all')")
gate "$cand"
check "slowdown exits 1 (got $rc)" test "$rc" = 1
check "slowdown marked worse" grep -qE '\| copy all \| train_step_ms \|.*\*\*worse\*\*' "$dir/out.md"
check "slowdown: 'none' unchanged" grep -qE '\| copy none \| train_step_ms \|.*\| unchanged \|' "$dir/out.md"
# the same slowdown on a machine four times faster (calibration x4): unchanged
cand=$(edited slowfast "UPDATE series SET value = value * 4 WHERE metric = 'step_ms' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all');
                        UPDATE metrics SET value = value / 4 WHERE key = 'calib_gflops' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all')")
gate "$cand" --metrics train_step_ms
check "slowdown explained by the calibration exits 0 (got $rc)" test "$rc" = 0

# a run that diverges now: 1, newly failing
cand=$(edited diverged "UPDATE runs SET status = 'diverged', diverged_step = 7 WHERE sharing = 'all' AND seed = 2;
                        DELETE FROM metrics WHERE key = 'test' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all' AND seed = 2)")
gate "$cand"
check "newly failing exits 1 (got $rc)" test "$rc" = 1
check "newly failing marked" grep -q 'newly failing' "$dir/out.md"

# a missing run: 2
cand=$(edited missing "DELETE FROM runs WHERE sharing = 'all' AND seed = 3")
gate "$cand"
check "missing run exits 2 (got $rc)" test "$rc" = 2
check "missing run named" grep -q 'seed 3 missing in the candidate' "$dir/out.md"
check "missing run: JSON" json_ok "$dir/out.json" 2

# a different configuration: 2, naming the key
cand=$(edited config "UPDATE params SET value = '31' WHERE key = 'steps' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all')")
gate "$cand"
check "different configuration exits 2 (got $rc)" test "$rc" = 2
check "different configuration named" grep -q 'steps 30 -> 31' "$dir/out.md"

# too few seeds for the paired test: 2, said plainly
gate "$db" --min-seeds 4
check "too few seeds exits 2 (got $rc)" test "$rc" = 2
check "too few repetitions said" grep -q 'too few repetitions' "$dir/out.md"

# bad input: 2 and nothing written
rm -f "$dir/out.md" "$dir/out.json"
"$SB" gate --baseline "$dir/nonexistent.csv" --db "$db" --markdown "$dir/out.md" --json "$dir/out.json" 2>"$dir/err"; rc=$?
check "missing baseline exits 2 (got $rc)" test "$rc" = 2
check "missing baseline named" grep -q nonexistent.csv "$dir/err"
check "missing baseline writes nothing" test ! -e "$dir/out.md" -a ! -e "$dir/out.json"
"$SB" gate --baseline "$dir/baseline.csv" --db "$db" --speed-factor 0.5 --markdown "$dir/out.md" 2>"$dir/err"; rc=$?
check "bad option exits 2 (got $rc)" test "$rc" = 2
check "bad option named" grep -q 'speed-factor' "$dir/err"
check "bad option writes nothing" test ! -e "$dir/out.md"
printf 'run,kind\n' > "$dir/bad.csv"
"$SB" gate --baseline "$dir/bad.csv" --db "$db" 2>"$dir/err" >/dev/null; rc=$?
check "malformed baseline exits 2 (got $rc)" test "$rc" = 2
check "malformed baseline named" grep -q 'bad.csv' "$dir/err"
"$SB" baseline --db "$dir/nonexistent.db" -o "$dir/b2.csv" 2>"$dir/err"; rc=$?
check "baseline of a missing database exits 2 (got $rc)" test "$rc" = 2 -a ! -e "$dir/b2.csv"

echo "e2e_gate: $passed passed, $failed failed"
[ "$failed" = 0 ]
