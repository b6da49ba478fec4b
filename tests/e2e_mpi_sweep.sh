#!/bin/bash
# End-to-end, under mpirun (skipped, exit 77, without Open MPI or the MPI build):
# a distributed sweep over two ranks stores the same runs as a local sweep
# (same cells, and the same metrics and curves: the engine is deterministic for
# a thread count) with cells on both ranks; --resume runs nothing more; a rank
# killed with SIGKILL ends the job by default and leaves only whole runs,
# which a resumed distributed sweep completes; under --enable-recovery the
# sweep reports the killed rank's one cell missing and finishes the rest, and
# --resume then runs that cell; a run rank 0 cannot store (a full disk) stops
# the sweep, keeping what was stored; bad input exits 2 and writes nothing.
set -u
SB=${1:-build/release/sharebench}
source "$(dirname "$0")/mpi_env.sh"
dir=$(mktemp -d /tmp/sb-mpi-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "e2e_mpi_sweep: FAIL: $*"; exit 1; }
checks=0
pass() { checks=$((checks + 1)); }

cat > "$dir/tiny.ini" <<'INI'
[sweep]
name = tiny
[run]
task = copy
knobs = len=4
steps = 30
batch = 8
eval_examples = 16
test_examples = 32
analysis = 0
seed = 1 2 3 4
[model]
preset = tiny
sharing = none all
INI
cells=8

# ---- the same runs as a local sweep ----
"$SB" sweep "$dir/tiny.ini" --db "$dir/local.db" --threads 1 2>"$dir/local.log" || fail "local sweep: $(cat "$dir/local.log")"
mpi_run 2 "$SB_MPI" sweep "$dir/tiny.ini" --db "$dir/mpi.db" --threads 1 2>"$dir/mpi.log" || fail "distributed sweep failed: $(cat "$dir/mpi.log")"
grep -q "8 cells, 8 to run, on 2 ranks" "$dir/mpi.log" || fail "no header line: $(head -3 "$dir/mpi.log")"
# what does not depend on timing: every quality figure and the parameter accounting, and the loss curve
q="select r.cell || ' ' || r.status || ' ' || r.sweep || ' ' || r.task || ' ' || r.sharing || ' ' || r.seed || ' ' ||
     (select group_concat(key || '=' || quote(value), ' ') from (select * from metrics m where m.run_id = r.id and
        (key in ('valid', 'test', 'test_long', 'train_loss_final', 'valid_loss', 'test_loss', 'steps_done') or
         key like 'params_%' or key like 'bytes_%') order by key)) || ' ' ||
     (select group_concat(step || ':' || quote(value), ' ') from (select * from series s where s.run_id = r.id and
        s.metric = 'train_loss' order by step))
   from runs r order by r.cell"
sqlite3 "$dir/local.db" "$q" > "$dir/local.txt"
sqlite3 "$dir/mpi.db" "$q" > "$dir/mpi.txt"
[ "$(wc -l < "$dir/mpi.txt")" = $cells ] || fail "distributed sweep stored $(wc -l < "$dir/mpi.txt") runs, want $cells"
diff "$dir/local.txt" "$dir/mpi.txt" > "$dir/diff" || fail "distributed runs differ from local ones: $(head -5 "$dir/diff")"
pass
on0=$(grep -c "on rank 0 " "$dir/mpi.log"); on1=$(grep -c "on rank 1 " "$dir/mpi.log")
[ "$on0" -ge 1 ] && [ "$on1" -ge 1 ] && [ $((on0 + on1)) = $cells ] || fail "cells per rank: $on0 and $on1 (want both, $cells in all)"
pass
[ "$(sqlite3 "$dir/mpi.db" "select count(*) from params") " = "$(sqlite3 "$dir/local.db" "select count(*) from params") " ] ||
  fail "params rows differ"
mpi_run 2 "$SB_MPI" sweep "$dir/tiny.ini" --db "$dir/mpi.db" --threads 1 --resume 2>"$dir/resume.log" || fail "resume: $(cat "$dir/resume.log")"
grep -q "8 cells, 0 to run" "$dir/resume.log" && [ "$(sqlite3 "$dir/mpi.db" "select count(*) from runs")" = $cells ] ||
  fail "a resumed complete sweep ran cells again: $(head -2 "$dir/resume.log")"
pass
# without mpirun the MPI build behaves as the default one
"$SB_MPI" sweep "$dir/tiny.ini" --db "$dir/plain.db" --threads 1 2>"$dir/plain.log" || fail "MPI build without mpirun: $(cat "$dir/plain.log")"
sqlite3 "$dir/plain.db" "$q" | diff -q - "$dir/local.txt" >/dev/null || fail "MPI build without mpirun stores other runs"
grep -q "^sweep tiny: 8 cells, 8 to run, 1 job of 1 thread" "$dir/plain.log" || fail "MPI build without mpirun: $(head -1 "$dir/plain.log")"
pass

# ---- a rank killed ----
sed 's/steps = 30/steps = 400/; s/seed = 1 2 3 4/seed = 1 2 3 4 5 6/' "$dir/tiny.ini" > "$dir/long.ini"
long=12
children() { cat /proc/"$1"/task/*/children 2>/dev/null; }
rank_pid() {   # the process of rank $2 under mpirun $1
  [ $# = 2 ] || return
  for p in $(children "$1"); do
    tr '\0' '\n' < /proc/"$p"/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$p"; return; }
  done
}
running_cell() { for c in $(children "$1"); do tr '\0' ' ' < /proc/"$c"/cmdline 2>/dev/null | grep -q -- --cell-child && return 0; done; return 1; }
# start mpirun in the background (args: db log extra-mpirun-options), kill rank $KILL once it runs a cell
# and one run is stored; leaves mpirun's exit status in $status
kill_rank_during() {
  local db=$1 log=$2; shift 2
  # a hung job fails the test (timeout's status 124) rather than hanging it
  timeout -k 10 300 mpirun "${MPI_OPTS[@]}" "$@" "$SB_MPI" sweep "$dir/long.ini" --db "$db" --threads 1 --rank-timeout 10 >"$log" 2>&1 &
  local mp=$! r="" n=0
  for _ in $(seq 1 600); do
    n=$(sqlite3 "$db" "select count(*) from runs" 2>/dev/null || echo 0)
    r=$(rank_pid $(children $mp) "$KILL")
    [ "${n:-0}" -ge 1 ] && [ -n "$r" ] && running_cell "$r" && break
    sleep 0.05
  done
  [ -n "$r" ] || fail "rank $KILL never ran a cell"
  kill -9 "$r"
  wait $mp
  status=$?
  [ $status != 124 ] || fail "mpirun did not end by itself after rank $KILL was killed: $(tail -3 "$log")"
  killed_after=$n
}
whole_runs() {   # every run has its params and, when finished, its test metric
  sqlite3 "$1" "select count(*) from runs r where (select count(*) from params p where p.run_id = r.id) < 40
                or (r.status = 'finished' and not exists (select 1 from metrics m where m.run_id = r.id and m.key = 'test'))"
}

# by default Open MPI ends the whole job
KILL=1 kill_rank_during "$dir/kill.db" "$dir/kill.log" -np 2
[ "$status" != 0 ] || fail "mpirun exited 0 after a rank was killed"
before=$(sqlite3 "$dir/kill.db" "select count(*) from runs")
[ "$before" -ge 1 ] && [ "$before" -lt $long ] || fail "expected a partial sweep after the kill, found $before runs"
[ "$(sqlite3 "$dir/kill.db" 'pragma integrity_check')" = ok ] && [ "$(whole_runs "$dir/kill.db")" = 0 ] || fail "half-written runs after the kill"
mpi_run 2 "$SB_MPI" sweep "$dir/long.ini" --db "$dir/kill.db" --threads 1 --resume 2>"$dir/kill2.log" || fail "resume after the kill: $(cat "$dir/kill2.log")"
grep -q "$long cells, $((long - before)) to run" "$dir/kill2.log" || fail "resume did not skip the $before stored runs: $(head -1 "$dir/kill2.log")"
[ "$(sqlite3 "$dir/kill.db" "select count(*) || ' ' || count(distinct cell) from runs")" = "$long $long" ] || fail "after resume: not every cell once"
pass

# with --enable-recovery the others go on, and the lost rank's cell is reported
KILL=2 kill_rank_during "$dir/rec.db" "$dir/rec.log" --enable-recovery -np 3
grep -q "LOST rank 2 " "$dir/rec.log" && grep -q "missing (rank 2 " "$dir/rec.log" || fail "the lost rank is not reported: $(tail -5 "$dir/rec.log")"
grep -q "1 rank lost" "$dir/rec.log" || fail "summary: $(tail -1 "$dir/rec.log")"
got=$(sqlite3 "$dir/rec.db" "select count(*) from runs")
[ "$got" = $((long - 1)) ] || fail "after losing rank 2 (killed after $killed_after runs): $got runs stored, want $((long - 1)) (only its cell missing)"
[ "$(whole_runs "$dir/rec.db")" = 0 ] || fail "half-written runs after the lost rank"
mpi_run 2 "$SB_MPI" sweep "$dir/long.ini" --db "$dir/rec.db" --threads 1 --resume 2>"$dir/rec2.log" || fail "resume: $(cat "$dir/rec2.log")"
grep -q "$long cells, 1 to run" "$dir/rec2.log" || fail "resume after a lost rank: $(head -1 "$dir/rec2.log")"
[ "$(sqlite3 "$dir/rec.db" "select count(*) || ' ' || count(distinct cell) from runs")" = "$long $long" ] || fail "after resume: not every cell once"
pass

# ---- a full disk on rank 0 (a small tmpfs, where this user may mount one): the sweep stops ----
mnt=$dir/mnt
mkdir -p "$mnt"
if mount -t tmpfs -o size=160k tmpfs "$mnt" 2>/dev/null; then
  trap 'umount "$mnt" 2>/dev/null; rm -rf "$dir"' EXIT
  sed 's/seed = 1 2 3 4/seed = 1/; s/sharing = none all/sharing = none/' "$dir/tiny.ini" > "$dir/one.ini"
  "$SB" sweep "$dir/one.ini" --db "$mnt/r.db" --threads 1 2>/dev/null || fail "making a database on a small tmpfs"
  stored=$(sqlite3 "$mnt/r.db" "select group_concat(id || status || cell) from runs")
  # runs with a long series each: no commit fits in what is left
  sed 's/steps = 30/steps = 2000/; s/seed = 1 2 3 4/seed = 2 3 4 5 6 7/' "$dir/tiny.ini" > "$dir/full.ini"
  mpi_run 2 "$SB_MPI" sweep "$dir/full.ini" --db "$mnt/r.db" --threads 1 >"$dir/full.log" 2>&1; rc=$?
  [ $rc = 1 ] || fail "full disk under mpirun: exit $rc, want 1: $(cat "$dir/full.log")"
  grep -q "NOT STORED: .*the disk is full" "$dir/full.log" && grep -q "^sweep: stopping: runs cannot be stored in $mnt/r.db" "$dir/full.log" ||
    fail "full disk under mpirun: the sweep did not stop saying why: $(cat "$dir/full.log")"
  started=$(grep -c "^sweep: [0-9]*/12 " "$dir/full.log")
  [ "$started" -le 3 ] && grep -q "$started cells run: .*; $((12 - started)) not started" "$dir/full.log" ||
    fail "full disk under mpirun: cells kept starting: $(cat "$dir/full.log")"
  [ "$(sqlite3 "$mnt/r.db" "pragma integrity_check")" = ok ] || fail "full disk under mpirun: integrity check"
  [ "$(sqlite3 "$mnt/r.db" "select group_concat(id || status || cell) from runs")" = "$stored" ] || fail "full disk under mpirun: the stored runs changed"
  umount "$mnt"
  full="a full disk stops it;"
else
  echo "e2e_mpi_sweep: cannot mount a tmpfs here (not root?): a full disk under mpirun is not tested"
  full=""
fi
pass

# ---- bad input: exit 2, nothing written ----
sed 's/steps = 30/steps = thirty/' "$dir/tiny.ini" > "$dir/bad.ini"
mpi_run 2 "$SB_MPI" sweep "$dir/bad.ini" --db "$dir/bad.db" >/dev/null 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q "bad.ini:6:" "$dir/err" && [ ! -e "$dir/bad.db" ] || fail "bad sweep file under mpirun: exit $rc, $(head -2 "$dir/err")"
mpi_run 2 "$SB_MPI" sweep "$dir/tiny.ini" --db "$dir/bad.db" --jobs 2 >/dev/null 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q "start more ranks" "$dir/err" && [ ! -e "$dir/bad.db" ] || fail "--jobs under mpirun: exit $rc, $(head -2 "$dir/err")"
mpi_run 2 "$SB_MPI" sweep "$dir/tiny.ini" --db /nonexistent/dir/r.db >/dev/null 2>"$dir/err"; rc=$?
[ $rc = 2 ] && [ "$(grep -c /nonexistent/dir/r.db "$dir/err")" = 1 ] || fail "unusable database: exit $rc (want 2, said once), $(cat "$dir/err")"
mpi_run 2 "$SB" sweep "$dir/tiny.ini" --db "$dir/bad.db" >/dev/null 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q "built without MPI" "$dir/err" && [ ! -e "$dir/bad.db" ] || fail "build without MPI under mpirun: exit $rc, $(head -2 "$dir/err")"
pass

echo "e2e_mpi_sweep: distributed = local ($cells runs, $on0 on rank 0, $on1 on rank 1); killed rank: job ended after $before runs, resumed to $long;" \
     "lost rank under --enable-recovery: $((long - 1)) stored, 1 reported missing, resumed to $long; $full bad input refused"
echo "e2e_mpi_sweep: $checks passed, 0 failed"
