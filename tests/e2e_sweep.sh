#!/bin/bash
# End-to-end: a tiny sweep with two jobs is killed with SIGKILL part way,
# resumed, and every cell is then in the database exactly once, with nothing
# half-written; bad input exits 2 and writes nothing.
set -u
SB=${1:-build/release/sharebench}
dir=$(mktemp -d /tmp/sb-e2e-XXXXXX)
trap 'rm -rf "$dir"' EXIT
db=$dir/r.db
fail() { echo "e2e_sweep: FAIL: $*"; exit 1; }

cat > "$dir/tiny.ini" <<'INI'
[sweep]
name = tiny
[run]
task = copy
knobs = len=4
steps = 40
batch = 8
eval_examples = 16
test_examples = 32
seed = 1 2 3 4
[model]
preset = tiny
sharing = none all cycle:2
INI
cells=12

"$SB" sweep "$dir/tiny.ini" --db "$db" --dry-run | grep -q "12 cells, 12 to run" || fail "dry run does not list 12 cells"
# a dry run of a sweep too large for the memory lists it anyway, says which cells do not fit, and exits 0
"$SB" sweep "$dir/tiny.ini" --db "$db" --dry-run batch="8 4096" width="128 4096" ffn=16384 layers=48 heads=32 >"$dir/dry" 2>"$dir/err" ||
  fail "dry run of a sweep too large: exit $?: $(cat "$dir/err")"
[ "$(grep -c "pending  .*(does not fit in memory)$" "$dir/dry")" = 36 ] && grep -q "48 cells, 48 to run" "$dir/dry" &&
  grep -q "^the sweep would be refused: cell 2 (.* needs .* available (" "$dir/dry" || fail "dry run of a sweep too large: $(cat "$dir/dry")"
# each cell fits in 3 MiB (1.7 MiB with one thread), two at once do not
"$SB" sweep "$dir/tiny.ini" --db "$db" --dry-run --jobs 2 --threads 1 --mem-budget 3M >"$dir/dry" 2>"$dir/err" || fail "dry run, --jobs: $(cat "$dir/err")"
! grep -q "does not fit" "$dir/dry" && grep -q "^the sweep would be refused: with --jobs 2, 2 cells may run at once" "$dir/dry" ||
  fail "dry run, --jobs: $(cat "$dir/dry")"
[ ! -e "$db" ] || fail "a dry run created the database"

# kill the sweep (not its children: they die with it) once two runs are stored
"$SB" sweep "$dir/tiny.ini" --db "$db" --jobs 2 >"$dir/log1" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  n=$(sqlite3 "$db" "select count(*) from runs" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 2 ] && break
  sleep 0.1
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
sleep 0.5
before=$(sqlite3 "$db" "select count(*) from runs")
[ "$before" -ge 2 ] && [ "$before" -lt $cells ] || fail "expected a partial sweep before the kill, found $before runs"
[ "$(sqlite3 "$db" 'pragma integrity_check')" = ok ] || fail "integrity check after kill -9"
# no half-written run: every run has its params and its final metrics
incomplete=$(sqlite3 "$db" "select count(*) from runs r where (select count(*) from params p where p.run_id = r.id) < 40
                            or (r.status = 'finished' and not exists (select 1 from metrics m where m.run_id = r.id and m.key = 'test'))")
[ "$incomplete" = 0 ] || fail "$incomplete runs are half-written"

"$SB" sweep "$dir/tiny.ini" --db "$db" --jobs 2 --resume >"$dir/log2" 2>&1 || fail "resumed sweep failed: $(cat "$dir/log2")"
grep -q "$((cells - before)) to run" "$dir/log2" || fail "resume did not skip the $before finished cells: $(head -1 "$dir/log2")"
total=$(sqlite3 "$db" "select count(*) from runs")
distinct=$(sqlite3 "$db" "select count(distinct cell) from runs")
[ "$total" = $cells ] && [ "$distinct" = $cells ] || fail "after resume: $total runs, $distinct cells (want $cells each)"
"$SB" sweep "$dir/tiny.ini" --db "$db" --resume >"$dir/log3" 2>&1 || fail "second resume"
[ "$(sqlite3 "$db" "select count(*) from runs")" = $cells ] || fail "a resume of a complete sweep ran cells again"

# bad input: exit 2, nothing written
sed 's/steps = 40/steps = forty/' "$dir/tiny.ini" > "$dir/bad.ini"
"$SB" sweep "$dir/bad.ini" --db "$dir/bad.db" 2>"$dir/err"; rc=$?
[ $rc = 2 ] || fail "bad sweep file: exit $rc, want 2"
grep -q "bad.ini:6:" "$dir/err" || fail "message does not name file and line: $(cat "$dir/err")"
[ ! -e "$dir/bad.db" ] || fail "a bad sweep file created the database"
"$SB" run --task nosuchtask --db "$dir/bad.db" 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q nosuchtask "$dir/err" && [ ! -e "$dir/bad.db" ] || fail "unknown task: exit $rc, $(cat "$dir/err")"
"$SB" run --task copy --sharing cycle:9 --db "$dir/bad.db" 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q "cycle:9" "$dir/err" && [ ! -e "$dir/bad.db" ] || fail "bad sharing: exit $rc, $(cat "$dir/err")"
"$SB" run --task copy --db /nonexistent/dir/r.db 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q "/nonexistent/dir/r.db" "$dir/err" || fail "unwritable db: exit $rc, $(cat "$dir/err")"

# a cell refused when it starts (its checkpoint removed after the sweep checked
# it) stores nothing, and the sweep says so instead of pointing at the database
"$SB" run --task copy knobs=len=4 --preset tiny --steps 2 --threads 1 --db "$dir/ck.db" --save "$dir/ck.safetensors" --quiet 2>"$dir/err" ||
  fail "making a checkpoint: $(cat "$dir/err")"
printf '[run]\ntask = copy\nknobs = len=4\nsteps = 3000 2\nbatch = 8\nanalysis = 0\ninit_from = %s\n' "$dir/ck.safetensors" > "$dir/gone.ini"
"$SB" sweep "$dir/gone.ini" --db "$dir/gone.db" --threads 1 2>"$dir/gone.log" &
pid=$!
until grep -q "cells, 2 to run" "$dir/gone.log" 2>/dev/null; do sleep 0.02; done
rm "$dir/ck.safetensors"   # the first cell (run first: --jobs 1) may have read it, or not, or half
wait $pid; rc=$?
[ $rc = 1 ] || fail "a cell refused when it started: exit $rc, want 1: $(cat "$dir/gone.log")"
grep -q "^sweep: 2/2 FAILED: .* (not stored: the cell was refused before it ran; the message above says why) | [0-9:]* elapsed, ~[0-9:]* left$" "$dir/gone.log" &&
  grep -q "ck.safetensors: cannot open" "$dir/gone.log" || fail "refused cell: $(cat "$dir/gone.log")"
refused=$(grep -c "(not stored: the cell was refused before it ran" "$dir/gone.log")
[ "$(sqlite3 "$dir/gone.db" "select count(*) from runs")" = $((2 - refused)) ] || fail "refused cell: a run was stored for it"

echo "e2e_sweep: killed after $before of $cells runs, resumed to $cells runs, each cell once; bad input refused"
echo "e2e_sweep: 1 passed, 0 failed"
