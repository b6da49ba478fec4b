#!/bin/bash
# End-to-end: the regression gate on a tiny sweep (3 seeds, 2 sharing modes).
# `sharebench baseline` writes the baseline file; candidates are copies of the
# database edited with sqlite3: identical (exit 0), a quality drop (exit 1), a
# slowdown (exit 1), the same in contended runs (exit 2, not measurable here),
# two seeds (exact figures 0, the rest 2), a run that diverges (exit 1), a
# missing run (exit 2), too few seeds for the tests (exit 2), a different
# configuration (exit 2); a
# broken baseline or candidate (quality NaN, infinite or deleted, a negative
# step time, a NUL byte) exit 2 naming the rows; bad input exits 2 and writes
# nothing.
set -u
SB=${1:-build/release/sharebench}
dir=$(mktemp -d /tmp/sb-e2e-gate-XXXXXX)
trap 'rm -rf "$dir"' EXIT
NAME=e2e_gate
. "$(dirname "$0")/e2e-lib.sh"

db=$dir/base.db
tiny_sweep "$db"
# the run records its contention; the machine running the tests may be loaded
# or not, and these tests are about the gate's logic, not this machine's
# speed, so every run is declared quiet, with a step time and calibration
# that do not depend on the load (contention and slowdowns are set by hand below)
check "runs record their contention" test "$(sqlite3 "$db" "SELECT count(*) FROM metrics WHERE key IN ('contended', 'cpu_seconds', 'run_queue_max', 'infer_contended')")" = 24
sqlite3 "$db" "UPDATE metrics SET value = 0 WHERE key IN ('contended', 'infer_contended');
               UPDATE metrics SET value = 100 WHERE key = 'calib_gflops';
               INSERT OR REPLACE INTO metrics SELECT id, 'train_step_ms_quiet', 10 + 0.3 * seed FROM runs"

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
# (unchanged or within tolerance: whether 3 runs show equivalence within x1.25 depends on the machine's noise)
check "identical: no mark but unchanged or within tolerance" bash -c "! grep -E '\\| (worse|better|not significant|newly failing|not measurable here|missing|too few repetitions) \\|' '$dir/out.md'"
check "identical: both sides' versions shown" grep -q 'code ' "$dir/out.md"
check "identical: JSON with the same verdict" json_ok "$dir/out.json" 0

# provenance: every run records the commit and the sources' hash; a baseline
# from a dirty tree is compared, with a warning in the table and on stderr
check "runs record the sources' hash" test "$(sqlite3 "$db" "SELECT count(*) FROM runs WHERE code_version GLOB '* src:[0-9a-f]*'")" = 6
cand=$(edited dirty "UPDATE runs SET code_version = '1234567-dirty src:0123456789abcdef'")
"$SB" baseline --db "$cand" -o "$dir/dirty.csv" >/dev/null 2>&1
"$SB" gate --baseline "$dir/dirty.csv" --db "$db" --metrics test --markdown "$dir/out.md" 2>"$dir/err"; rc=$?
check "dirty baseline compared (exit $rc)" test "$rc" = 0
check "dirty baseline: warning on stderr" grep -q 'warning: the baseline .* 6 runs from a tree with uncommitted changes' "$dir/err"
check "dirty baseline: warning in the table" grep -q 'warning.*6 baseline runs came from a tree with uncommitted changes' "$dir/out.md"
check "dirty baseline: both versions shown" grep -q 'code 1234567-dirty src:0123456789abcdef' "$dir/out.md"

# CI outputs: JUnit XML (a test case per configuration and metric, failures
# for worse rows), GitHub annotations and the step summary
junit_ok() { # file, tests, failures: well-formed, with those counts, a failure per worse row
  /usr/bin/python3 - "$@" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall('.//testcase')
fails = [c for c in cases if c.find('failure') is not None]
ok = root.get('tests') == sys.argv[2] and len(cases) == int(sys.argv[2]) and len(fails) == int(sys.argv[3])
ok = ok and all(c.get('classname') and c.get('name') for c in cases)
ok = ok and all(f.get('name').startswith('test') and f.get('classname') == 'copy all' for f in fails)
sys.exit(0 if ok else 1)
PY
}
cand=$(edited drop "UPDATE metrics SET value = value - 0.2 WHERE key = 'test' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all')")
rm -f "$dir/summary.md"
GITHUB_STEP_SUMMARY=$dir/summary.md "$SB" gate --baseline "$dir/baseline.csv" --db "$cand" --junit "$dir/gate.xml" --github \
  --markdown "$dir/out.md" >"$dir/gh.log" 2>&1; rc=$?
check "CI outputs: exit 1 (got $rc)" test "$rc" = 1
rows=$(grep -c '^| copy ' "$dir/out.md")
check "JUnit: a test case per row, one failure (the quality drop)" junit_ok "$dir/gate.xml" "$rows" 1
check "GitHub: an error annotation for the worse row" grep -qE '^::error title=sharebench gate%3A copy all%2C test \(accuracy\)::worse: ' "$dir/gh.log"
check "GitHub: only one error annotation" test "$(grep -c '^::error' "$dir/gh.log")" = 1
check "GitHub: the verdict as a notice" grep -q '^::notice title=sharebench gate::regressed (exit 1)' "$dir/gh.log"
check "GitHub: the table appended to the step summary" grep -q '# sharebench gate: regressed (exit 1)' "$dir/summary.md"
"$SB" gate --baseline "$dir/baseline.csv" --db "$db" --junit "$dir/gate.xml" --markdown "$dir/out.md" >/dev/null 2>&1; rc=$?
rows=$(grep -c '^| copy ' "$dir/out.md")
check "JUnit of an identical candidate: no failure (exit $rc)" junit_ok "$dir/gate.xml" "$rows" 0
"$SB" gate --baseline "$dir/baseline.csv" --db "$db" --junit "$dir/out.md" --markdown "$dir/out.md" 2>"$dir/err"; rc=$?
check "--junit and --markdown the same file: exit 2 (got $rc)" test "$rc" = 2

# a quality drop of 0.2 on every seed of 'all': 1, worse
cand=$(edited drop "UPDATE metrics SET value = value - 0.2 WHERE key = 'test' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all')")
gate "$cand"
check "quality drop exits 1 (got $rc)" test "$rc" = 1
check "quality drop marked worse" grep -qE '\| copy all \| test \(accuracy\) \|.*\*\*worse\*\*' "$dir/out.md"
check "quality drop: JSON" json_ok "$dir/out.json" 1

# four times slower steps in 'all': 1, worse on train_step_ms
cand=$(edited slow "UPDATE metrics SET value = value * 4 WHERE key = 'train_step_ms_quiet' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all')")
gate "$cand"
check "slowdown exits 1 (got $rc)" test "$rc" = 1
check "slowdown marked worse" grep -qE '\| copy all \| train_step_ms \|.*\*\*worse\*\*' "$dir/out.md"
check "slowdown: 'none' unchanged" grep -qE '\| copy none \| train_step_ms \|.*\| (unchanged|within tolerance) \|' "$dir/out.md"
check "slowdown: normalised values labelled" grep -qE '\| copy all \| train_step_ms \| GEMM-GFLOP a step \(normalised\) \|' "$dir/out.md"
# the same slowdown in runs other processes slowed: not measurable here (2), never worse
cand=$(edited contended "UPDATE metrics SET value = value * 4 WHERE key = 'train_step_ms_quiet' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all');
                         UPDATE metrics SET value = 1 WHERE key = 'contended' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all')")
gate "$cand"
check "contended slowdown exits 2 (got $rc)" test "$rc" = 2
check "contended slowdown marked not measurable" grep -qE '\| copy all \| train_step_ms \|.*\*\*not measurable here\*\*' "$dir/out.md"
check "contended slowdown: no worse" bash -c "! grep -q '\*\*worse\*\*' '$dir/out.md'"
# two seeds: deterministic figures still compare (0), quality is too few (2)
cand=$(edited twoseeds "DELETE FROM runs WHERE seed = 3")
"$SB" baseline --db "$cand" -o "$dir/two.csv" >/dev/null 2>&1
"$SB" gate --baseline "$dir/two.csv" --db "$cand" --metrics train_bytes,params_unique --markdown "$dir/out.md" 2>"$dir/err"; rc=$?
check "two seeds, exact figures: exit 0 (got $rc)" test "$rc" = 0
"$SB" gate --baseline "$dir/two.csv" --db "$cand" --markdown "$dir/out.md" 2>"$dir/err"; rc=$?
check "two seeds, every metric: exit 2 (got $rc)" test "$rc" = 2
# the same slowdown on a machine four times faster (calibration x4): unchanged
cand=$(edited slowfast "UPDATE metrics SET value = value * 4 WHERE key = 'train_step_ms_quiet' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all');
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

# a broken baseline never passes: test values NaN or infinite, quality rows
# deleted, a candidate's finished run without its test: 2, naming the rows
broken() { # name, sed script: a copy of the baseline edited
  sed "$2" "$dir/baseline.csv" > "$dir/$1.csv"
  echo "$dir/$1.csv"
}
# (checked through the command line: the exit status, and the metric, seed and
# value named, whatever words a later gate uses around them)
for edit in "nan|s/^\([0-9]*\),metric,test,,,,.*/\1,metric,test,,,,nan/|test|nan" \
            "inf|s/^\([0-9]*\),metric,test,,,,.*/\1,metric,test,,,,inf/|test|inf" \
            "neginf|s/^\([0-9]*\),metric,test_long,,,,.*/\1,metric,test_long,,,,-inf/|test_long|-inf" \
            "deleted|/,metric,test,/d|test|" \
            "all-quality-deleted|/,metric,test/d|test|" \
            "one-nan|0,/,metric,test,,,,/s/\(,metric,test,,,,\).*/\1nan/|test|nan"; do
  IFS='|' read -r name script metric value <<<"$edit"
  base=$(broken "$name" "$script")
  rm -f "$dir/out.md" "$dir/out.json"
  "$SB" gate --baseline "$base" --db "$db" --markdown "$dir/out.md" --json "$dir/out.json" 2>"$dir/gate.log"
  rc=$?
  check "broken baseline ($name) exits 2 (got $rc)" test "$rc" = 2
  check "broken baseline ($name): metric and seed named on stderr" grep -q "$metric.*seed 1" "$dir/gate.log"
  [ -n "$value" ] && check "broken baseline ($name): value named on stderr" grep -q -- "seed 1.*$value" "$dir/gate.log"
  check "broken baseline ($name): JSON" json_ok "$dir/out.json" 2
done
cand=$(edited nulltest "UPDATE metrics SET value = NULL WHERE key = 'test' AND run_id = (SELECT id FROM runs WHERE sharing = 'all' AND seed = 1)")
gate "$cand"
check "a candidate's finished run without a test value exits 2 (got $rc)" test "$rc" = 2
check "candidate's broken row named" grep -q "test.*seed 1.*nan" "$dir/out.md"
# a step time that cannot be: negative in the baseline (refused on loading, naming the row), or in the candidate (2)
awk -F, 'BEGIN { OFS = "," } $2 == "series" && $3 == "step_ms" && !done { $7 = "-" $7; done = 1 } { print }' "$dir/baseline.csv" > "$dir/neg.csv"
"$SB" gate --baseline "$dir/neg.csv" --db "$db" --markdown "$dir/out.md" 2>"$dir/err"; rc=$?
check "negative step_ms in a baseline exits 2 (got $rc)" test "$rc" = 2
check "negative step_ms named with its row" grep -qE "neg.csv: row [0-9]+: step_ms: value '-[0-9.e-]+': a time, throughput or size is a finite number >= 0" "$dir/err"
cand=$(edited negstep "UPDATE metrics SET value = -value WHERE key = 'train_step_ms_quiet' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all' AND seed = 2)")
gate "$cand" --metrics train_step_ms
check "negative step time in the candidate exits 2 (got $rc)" test "$rc" = 2
check "negative step time in the candidate named" grep -q "seed 2: train_step_ms_quiet -" "$dir/out.md"
# an older record without train_step_ms_quiet: the median of its steps, a negative one named
cand=$(edited negseries "DELETE FROM metrics WHERE key = 'train_step_ms_quiet';
                         UPDATE series SET value = -value WHERE metric = 'step_ms' AND step = 10 AND run_id IN (SELECT id FROM runs WHERE sharing = 'all' AND seed = 2)")
gate "$cand" --metrics train_step_ms
check "negative step_ms in an older candidate exits 2 (got $rc)" test "$rc" = 2
check "negative step_ms in an older candidate named" grep -q "seed 2 step 10" "$dir/out.md"
# a baseline database whose runs belong to two sweeps (the candidate's runs
# are then not selected by sweep): compared, not a crash
cand=$(edited twosweeps "UPDATE runs SET sweep = 'other' WHERE seed = 3")
"$SB" gate --baseline "$cand" --db "$cand" --metrics test --markdown "$dir/out.md" 2>"$dir/err"; rc=$?
check "a baseline of two sweeps is compared (exit $rc, want 0)" test "$rc" = 0
# an exact figure (the engine's accounting) not finite in the candidate: 2, naming the seed
cand=$(edited nanbytes "UPDATE metrics SET value = NULL WHERE key = 'bytes_acts' AND run_id = (SELECT id FROM runs WHERE sharing = 'none' AND seed = 3)")
gate "$cand" --metrics train_bytes
check "a candidate's non-finite accounting exits 2 (got $rc)" test "$rc" = 2
check "a candidate's non-finite accounting named" grep -q "candidate: train_bytes.*seed 3" "$dir/out.md"
# a NUL byte in a baseline would end its field there
printf '0,meta,note,,,,a\000b\r\n' | cat "$dir/baseline.csv" - > "$dir/nul.csv"
"$SB" gate --baseline "$dir/nul.csv" --db "$db" --markdown "$dir/out.md" 2>"$dir/err"; rc=$?
check "a NUL byte in a baseline exits 2 (got $rc)" test "$rc" = 2
check "a NUL byte in a baseline named" grep -q "nul.csv: row [0-9]*: a NUL byte in a field" "$dir/err"

# --remeasure: the training step measured again by this binary, loop by loop
# (whether the loops were contended depends on the machine: only that it ran)
"$SB" gate --baseline "$dir/baseline.csv" --db "$db" --remeasure 3 --metrics train_step_ms --markdown "$dir/out.md" 2>"$dir/err"; rc=$?
check "--remeasure ran (exit $rc)" test "$rc" -le 2
check "--remeasure: each configuration's loops said" test "$(grep -c 'candidate remeasured: 3 loops' "$dir/out.md")" = 2
check "--remeasure: progress on stderr" grep -q 'remeasuring copy all: loop 3 of 3' "$dir/err"
"$SB" gate --baseline "$dir/baseline.csv" --db "$db" --remeasure 1 2>"$dir/err"; rc=$?
check "--remeasure 1 refused (got $rc)" test "$rc" = 2
check "--remeasure 1 named" grep -q -- "--remeasure '1'" "$dir/err"

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

finish
