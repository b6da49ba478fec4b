#!/bin/bash
# End-to-end faults: what must never lose a stored run or show half of one.
#   1. a run whose loss becomes non-finite is stored as diverged, with its
#      step, and the sweep goes on; --resume does not run it again;
#   2. one job of a sweep killed with SIGKILL: the sweep goes on and says so;
#      --resume runs that cell; every cell is then stored exactly once;
#   3. a power cut during a database write, at every write and sync of a
#      commit (and of a database's creation) in turn (tests/faults/killwrite.c
#      tears the write in half and kills the process): the database is intact,
#      holds the earlier runs and the new one whole or not at all, and takes
#      the next run;
#   4. two sweeps writing to one database at once: both complete, no row lost;
#   5. a full disk (a file size limit, ulimit -f) and a read-only database:
#      a clear message, the sweep stops, the database stays consistent with
#      every earlier run;
# and after each, `sharebench check` finds no problem.
set -u
SB=${1:-build/release/sharebench}
KILLWRITE=${KILLWRITE:-$(dirname "$SB")/tests/libkillwrite.so}
dir=$(mktemp -d /tmp/sb-e2e-faults-XXXXXX)
chmod 755 "$dir"
trap 'rm -rf "$dir"' EXIT
fail() { echo "e2e_faults: FAIL: $*"; exit 1; }
q() { sqlite3 "$1" "$2"; }
checked() { "$SB" check --db "$1" >"$dir/check.out" 2>&1 || fail "$2: sharebench check: $(cat "$dir/check.out")"; }
# a preloaded fault injector next to an AddressSanitizer runtime
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0
# one thread a cell everywhere: tiny models gain nothing from more, and on a
# loaded machine more threads than free cores make OpenMP's barriers crawl
export OMP_NUM_THREADS=1
PYTHON=${PYTHON:-python3}
faults=0 rows=0

tiny() {   # tiny sweep file: $1 name, $2 seeds, $3 extra [run] lines
  printf '[sweep]\nname = %s\n[run]\ntask = copy:len=4\nsteps = %s\nbatch = 2\neval_examples = 4\ntest_examples = 8\nanalysis = 0\nseed = %s\n%s\n[model]\npreset = tiny\nwidth = 8\nheads = 2\nffn = 16\nlayers = 2\nsharing = none all\n' \
    "$1" "${STEPS:-3}" "$2" "$3"
}
count_rows() { q "$1" "select (select count(*) from runs) + (select count(*) from params) + (select count(*) from metrics) + (select count(*) from series)"; }

# ---- 1. divergence: a checkpoint with one absurd (finite) embedding row
"$SB" run --task copy --preset tiny --steps 2 --batch 2 --threads 1 --no-store --quiet analysis=0 knobs=len=4 width=8 heads=2 \
  ffn=16 layers=2 --save "$dir/ok.safetensors" || fail "making a checkpoint"
"$PYTHON" - "$dir/ok.safetensors" "$dir/huge.safetensors" <<'PY' || fail "making the diverging checkpoint"
import json, struct, sys
f = bytearray(open(sys.argv[1], 'rb').read())
n = struct.unpack('<Q', f[:8])[0]
t = json.loads(f[8:8 + n])['embed.tok']
b, C = t['data_offsets'][0], t['shape'][1]
o = 8 + n + b + (t['shape'][0] - 1) * C * 4          # the last token's row
f[o:o + C * 4] = struct.pack('<%df' % C, *([6e37] * C))
open(sys.argv[2], 'wb').write(f)
PY
db=$dir/div.db
STEPS=20 tiny div "1 2" "init_from = $dir/ok.safetensors $dir/huge.safetensors" | sed '/^sharing/d' > "$dir/div.ini"
"$SB" sweep "$dir/div.ini" --db "$db" --threads 1 >"$dir/log" 2>&1 || fail "sweep with a diverging cell: exit $?: $(cat "$dir/log")"
grep -q "2 finished, 2 diverged, 0 failed" "$dir/log" || fail "divergence: $(tail -1 "$dir/log")"
[ "$(q "$db" "select count(*) from runs where status = 'diverged' and diverged_step > 0 and error is null")" = 2 ] ||
  fail "diverged runs: $(q "$db" "select status, diverged_step from runs")"
[ "$(q "$db" "select count(*) from runs r where status = 'diverged' and exists (select 1 from metrics m where m.run_id = r.id and m.key = 'test')")" = 0 ] ||
  fail "a diverged run reports a test result"
"$SB" sweep "$dir/div.ini" --db "$db" --threads 1 --resume >"$dir/log" 2>&1 || fail "resume"
grep -q "0 to run" "$dir/log" || fail "resume ran diverged cells again: $(head -1 "$dir/log")"
checked "$db" divergence
step=$(q "$db" "select min(diverged_step) from runs where status = 'diverged'")
faults=$((faults + 2)); rows=$((rows + $(count_rows "$db")))

# ---- 2. one job of a sweep killed
db=$dir/job.db
STEPS=4000 tiny job "1 2 3" "" > "$dir/job.ini"
"$SB" sweep "$dir/job.ini" --db "$db" --threads 1 --jobs 2 >"$dir/log" 2>&1 &
sweep=$!
victim=
for _ in $(seq 1 600); do
  # the sweep's children from /proc (procps's pgrep is not on a minimal system)
  victim=$(cat /proc/$sweep/task/*/children 2>/dev/null | tr ' ' '\n' | grep . | head -1)
  [ -n "$victim" ] && break
  sleep 0.05
done
[ -n "$victim" ] || fail "no job of the sweep to kill"
sleep 0.1
kill -9 "$victim"
wait $sweep
rc=$?
[ $rc = 1 ] || fail "sweep with a killed job: exit $rc, want 1: $(cat "$dir/log")"
grep -q "killed by a signal" "$dir/log" || fail "the killed job is not reported: $(cat "$dir/log")"
grep -q "5 finished, 0 diverged, 1 failed" "$dir/log" || fail "the sweep did not go on: $(tail -1 "$dir/log")"
"$SB" sweep "$dir/job.ini" --db "$db" --threads 1 --jobs 2 --resume >"$dir/log" 2>&1 || fail "resume after a killed job: $(cat "$dir/log")"
grep -q "1 to run" "$dir/log" || fail "resume: $(head -1 "$dir/log")"
[ "$(q "$db" "select count(*) || ' ' || count(distinct cell) from runs where status = 'finished'")" = "6 6" ] ||
  fail "after resume: $(q "$db" "select count(*), count(distinct cell) from runs")"
checked "$db" "killed job"
faults=$((faults + 1)); rows=$((rows + $(count_rows "$db")))

# ---- 3. a power cut at every write and sync of a commit, and of a creation
[ -f "$KILLWRITE" ] || fail "$KILLWRITE is not built"
run_one() {   # $1 database, $2 seed; the fault injector's settings come from the environment
  # (in a subshell, which keeps bash's "Killed" to itself)
  ( LD_PRELOAD=$KILLWRITE "$SB" run --task copy --preset tiny --steps 2 --batch 2 --threads 1 --quiet analysis=0 knobs=len=4 width=8 \
      heads=2 ffn=16 layers=2 eval_examples=2 test_examples=2 --seed "$2" --db "$1" 2>>"$dir/cut.log"; exit $? ) 2>/dev/null
}
base=$dir/base.db
for s in 1 2; do run_one "$base" $s || fail "making the database"; done
sqlite3 "$base" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
params=$(q "$base" "select count(*) from params where run_id = 1")
for what in commit creation; do
  if [ $what = commit ]; then start=$base; else start=; fi
  rm -f "$dir/cut.db"*
  [ -n "$start" ] && cp "$start" "$dir/cut.db"
  SB_KILL_PATH=$dir/cut.db SB_KILL_AT=0 SB_KILL_COUNT=$dir/count run_one "$dir/cut.db" 3 || fail "$what without faults"
  points=$(cat "$dir/count")
  [ "$points" -ge 3 ] || fail "$what: only $points writes and syncs seen: is the fault injector working?"
  before=$([ -n "$start" ] && q "$start" "select count(*) from runs" || echo 0)
  whole=0
  for k in $(seq 1 "$points"); do
    rm -f "$dir/cut.db"*
    [ -n "$start" ] && cp "$start" "$dir/cut.db"
    SB_KILL_PATH=$dir/cut.db SB_KILL_AT=$k run_one "$dir/cut.db" 3 && fail "$what: not killed at write $k of $points"
    [ -e "$dir/cut.db" ] || { [ $what = creation ] && continue; fail "$what: database gone after a cut at $k"; }
    [ "$(q "$dir/cut.db" "pragma integrity_check")" = ok ] || fail "$what, cut at $k of $points: integrity check"
    n=$(q "$dir/cut.db" "select count(*) from sqlite_master where name = 'runs'")
    if [ "$n" = 1 ]; then
      after=$(q "$dir/cut.db" "select count(*) from runs")
      [ "$after" = "$before" ] || [ "$after" = $((before + 1)) ] || fail "$what, cut at $k: $after runs (had $before)"
      [ "$after" = "$before" ] || whole=$((whole + 1))
      [ "$(q "$dir/cut.db" "select count(*) from runs r where (select count(*) from params p where p.run_id = r.id) != $params
                           or not exists (select 1 from metrics m where m.run_id = r.id and m.key = 'test')")" = 0 ] ||
        fail "$what, cut at $k: a half-written run is visible"
      checked "$dir/cut.db" "$what, cut at $k"
      rows=$((rows + $(count_rows "$dir/cut.db")))
    fi
    run_one "$dir/cut.db" 4 || fail "$what, cut at $k: the next run cannot be stored: $(tail -1 "$dir/cut.log")"
    [ "$(q "$dir/cut.db" "select count(*) from runs where seed = 4")" = 1 ] || fail "$what, cut at $k: the next run is missing"
    faults=$((faults + 1))
  done
  echo "e2e_faults: power cut at each of $points writes and syncs of a $what: database intact every time ($whole cuts came after the commit point)"
done

# ---- 4. two sweeps writing one database at once
db=$dir/two.db
STEPS=30 tiny two "1 2 3 4" "" > "$dir/a.ini"
STEPS=30 tiny two "5 6 7 8" "" > "$dir/b.ini"
# one thread each: two sweeps of cores-many threads each would oversubscribe the cores
"$SB" sweep "$dir/a.ini" --db "$db" --threads 1 >"$dir/loga" 2>&1 &
a=$!
"$SB" sweep "$dir/b.ini" --db "$db" --threads 1 >"$dir/logb" 2>&1 &
b=$!
wait $a || fail "first of two concurrent sweeps: $(cat "$dir/loga")"
wait $b || fail "second of two concurrent sweeps: $(cat "$dir/logb")"
[ "$(q "$db" "select count(*) || ' ' || count(distinct cell) || ' ' || count(distinct seed) from runs where status = 'finished'")" = "16 16 8" ] ||
  fail "two sweeps: $(q "$db" "select count(*), count(distinct cell) from runs")"
checked "$db" "two sweeps"
faults=$((faults + 1)); rows=$((rows + $(count_rows "$db")))

# ---- 5. a full disk, and a read-only database
db=$dir/full.db
STEPS=2 tiny full "1" "" > "$dir/f1.ini"
"$SB" sweep "$dir/f1.ini" --db "$db" --threads 1 >/dev/null 2>&1 || fail "making the database"
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
stored=$(q "$db" "select group_concat(id || status || cell) from runs")
# runs with a long series each: one commit's log is larger than the database
STEPS=2000 tiny full "2 3 4 5" "" > "$dir/f2.ini"
# no file may grow past the database's size and 1 KiB: the next commit's log cannot be written
limit=$(( $(stat -c %s "$db") / 1024 + 1 ))
( trap '' XFSZ; ulimit -f $limit; exec "$SB" sweep "$dir/f2.ini" --db "$db" --threads 1 ) >"$dir/log" 2>&1
rc=$?
[ $rc = 1 ] || fail "full disk: exit $rc, want 1: $(cat "$dir/log")"
grep -q "no room to write: a file reached the size limit" "$dir/log" || fail "full disk: the message does not say so: $(cat "$dir/log")"
grep -q "stopping" "$dir/log" || fail "full disk: the sweep did not stop: $(cat "$dir/log")"
grep -q "not started" "$dir/log" || fail "full disk: $(tail -1 "$dir/log")"
[ "$(q "$db" "pragma integrity_check")" = ok ] || fail "full disk: integrity check"
[ "$(q "$db" "select group_concat(id || status || cell) from runs")" = "$stored" ] || fail "full disk: the stored runs changed"
checked "$db" "full disk"
"$SB" sweep "$dir/f2.ini" --db "$db" --threads 1 --resume >"$dir/log" 2>&1 || fail "resume after the disk was freed: $(cat "$dir/log")"
[ "$(q "$db" "select count(*) from runs where status = 'finished'")" = 10 ] || fail "full disk: resume did not complete the sweep"
checked "$db" "full disk, resumed"
faults=$((faults + 1)); rows=$((rows + $(count_rows "$db")))

# a disk really full: a small tmpfs, where this user may mount one
mnt=$dir/mnt
mkdir -p "$mnt"
if mount -t tmpfs -o size=160k tmpfs "$mnt" 2>/dev/null; then
  trap 'umount "$mnt" 2>/dev/null; rm -rf "$dir"' EXIT
  "$SB" sweep "$dir/f1.ini" --db "$mnt/r.db" --threads 1 >/dev/null 2>&1 || fail "making a database on a small tmpfs"
  stored=$(q "$mnt/r.db" "select group_concat(id || status || cell) from runs")
  "$SB" sweep "$dir/f2.ini" --db "$mnt/r.db" --threads 1 >"$dir/log" 2>&1
  rc=$?
  [ $rc = 1 ] || fail "full tmpfs: exit $rc, want 1: $(cat "$dir/log")"
  grep -q "no room to write: the disk is full" "$dir/log" || fail "full tmpfs: the message does not say so: $(cat "$dir/log")"
  grep -q "stopping" "$dir/log" || fail "full tmpfs: the sweep did not stop: $(cat "$dir/log")"
  [ "$(q "$mnt/r.db" "pragma integrity_check")" = ok ] || fail "full tmpfs: integrity check"
  [ "$(q "$mnt/r.db" "select group_concat(id || status || cell) from runs")" = "$stored" ] || fail "full tmpfs: the stored runs changed"
  checked "$mnt/r.db" "full tmpfs"
  rows=$((rows + $(count_rows "$mnt/r.db")))
  umount "$mnt"
  faults=$((faults + 1))
  disk="a full disk (a file size limit and a full tmpfs)"
else
  echo "e2e_faults: cannot mount a tmpfs here (not root?): a full disk is tested through a file size limit only"
  disk="a full disk (a file size limit)"
fi

# read-only: a file the user cannot write (as root: run as nobody)
ro=$dir/ro.db
cp "$db" "$ro"
chmod 444 "$ro"
as_user=()
[ "$(id -u)" = 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
sum=$(md5sum "$ro")
"${as_user[@]}" "$SB" sweep "$dir/f2.ini" --db "$ro" --threads 1 >"$dir/log" 2>&1
rc=$?
[ $rc = 2 ] || fail "read-only database: exit $rc, want 2: $(cat "$dir/log")"
grep -q "read-only" "$dir/log" || fail "read-only database: $(cat "$dir/log")"
grep -q "finished" "$dir/log" && fail "read-only database: cells ran before the refusal"
[ "$(md5sum "$ro")" = "$sum" ] || fail "read-only database: changed"
checked "$ro" "read-only database"
faults=$((faults + 1))

echo "e2e_faults: $faults faults injected (divergence at step $step, a killed job, power cuts, two writers, $disk, a read-only file) in $SECONDS s; $rows rows checked, none lost or half-written"
echo "e2e_faults: 1 passed, 0 failed"
