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
#      every earlier run; a database created on a full disk says so;
#   6. two `sweep --resume` of one file at once: they share the cells (each
#      runs once); a sweep killed with SIGKILL leaves its cell's lease, which
#      the next --resume takes over;
#   7. a damaged database (a table missing, rows of runs that do not exist)
#      and a checkpoint missing a tensor: refused before any cell runs,
#      nothing written;
#   8. read-only storage (a directory this user cannot write, a read-only
#      mount): every command that only reads works;
#   9. configurations whose runs all diverged: the report says so, with the
#      steps, and compares them with nothing;
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
# the power cuts of 3.: every write and sync in the release build; under the
# sanitizers (make test SANITIZE=1, which checks memory, not durability) every
# fourth, so that CI stays within its time
case "$SB" in *sanitize*) cut_every=${CUT_EVERY:-4};; *) cut_every=${CUT_EVERY:-1};; esac

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
# the report: the configuration whose runs all diverged is said to have, with its steps, and compared with nothing
"$SB" report --db "$db" --out "$dir/divrep" 2>"$dir/log" || fail "report of a sweep with diverged runs: $(cat "$dir/log")"
grep -q "Not compared (no finished run): none (init_from=$dir/huge.safetensors) (diverged at step" "$dir/divrep/report.md" ||
  fail "report: the diverged configuration is not said to be: $(grep -n 'frontier' "$dir/divrep/report.md")"
grep -qE '\| diverged at steps? [0-9]' "$dir/divrep/report.md" || fail "report: no 'diverged at step' in the table"
grep -qiE -- '-9,223|nan|Dominated' "$dir/divrep/report.md" && fail "report: a diverged configuration ranked or shown as a number: $(grep -niE -- '-9,223|nan|Dominated' "$dir/divrep/report.md" | head -3)"
grep -q NaN "$dir/divrep/report-figures/pareto-copy.dat" || fail "report: the diverged configuration has a point in the quality figure"
faults=$((faults + 1))

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
  for k in $(seq 1 "$cut_every" "$points"); do
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
  echo "e2e_faults: power cut at $([ "$cut_every" = 1 ] && echo each || echo "every ${cut_every}th") of $points writes and syncs of a $what: database intact every time ($whole cuts came after the commit point)"
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
  mnt_ok=1
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

# a database created on a full disk: said so, not "disk I/O error"
if [ -n "${mnt_ok:-}" ] && mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null; then
  dd if=/dev/zero of="$mnt/fill" bs=4k 2>/dev/null
  "$SB" sweep "$dir/f1.ini" --db "$mnt/new.db" --threads 1 2>"$dir/log"
  rc=$?
  umount "$mnt"
  [ $rc = 2 ] || fail "creating a database on a full disk: exit $rc, want 2: $(cat "$dir/log")"
  grep -q "no room to write: the disk is full" "$dir/log" || fail "creating a database on a full disk: $(cat "$dir/log")"
  grep -q "disk I/O error" "$dir/log" && fail "creating a database on a full disk: $(cat "$dir/log")"
  faults=$((faults + 1))
fi

# ---- 6. two `sweep --resume` of one file at once, and a killed sweep's lease
db=$dir/share.db
STEPS=30 tiny share "1 2 3" "" | sed 's/^task = copy:len=4$/task = copy:len=4 reverse:len=4 sort:len=4/' > "$dir/share.ini"
"$SB" sweep "$dir/share.ini" --db "$db" --threads 1 --resume >"$dir/loga" 2>&1 &
a=$!
"$SB" sweep "$dir/share.ini" --db "$db" --threads 1 --resume >"$dir/logb" 2>&1 &
b=$!
wait $a || fail "first of two resumed sweeps: $(cat "$dir/loga")"
wait $b || fail "second of two resumed sweeps: $(cat "$dir/logb")"
[ "$(q "$db" "select count(*) || ' ' || count(distinct cell) from runs")" = "18 18" ] ||
  fail "two resumed sweeps of 18 cells stored $(q "$db" "select count(*) || ' runs of ' || count(distinct cell) || ' cells' from runs")"
ran=$(( $(sed -n 's/^sweep share: \([0-9]*\) cells run.*/\1/p' "$dir/loga") + $(sed -n 's/^sweep share: \([0-9]*\) cells run.*/\1/p' "$dir/logb") ))
[ "$ran" = 18 ] || fail "two resumed sweeps ran $ran cells between them: $(tail -1 "$dir/loga"); $(tail -1 "$dir/logb")"
[ "$(q "$db" "select count(*) from leases")" = 0 ] || fail "two resumed sweeps left leases: $(q "$db" "select * from leases")"
checked "$db" "two resumed sweeps"
echo "e2e_faults: two resumed sweeps of 18 cells: $(sed -n 's/^sweep share: \([0-9]*\) cells run.*/\1/p' "$dir/loga") and $(sed -n 's/^sweep share: \([0-9]*\) cells run.*/\1/p' "$dir/logb") run, each cell once"
faults=$((faults + 1)); rows=$((rows + $(count_rows "$db")))
# a sweep killed while its cell runs: the lease stays, its process is gone, the next sweep takes it over
db=$dir/lease.db
STEPS=100000 tiny lease "1" "" | sed '/^sharing/d' > "$dir/lease.ini"
"$SB" sweep "$dir/lease.ini" --db "$db" --threads 1 2>/dev/null &
sweep=$!
for _ in $(seq 1 600); do
  [ -f "$db" ] && [ "$(q "$db" "select count(*) from leases" 2>/dev/null)" = 1 ] && break
  sleep 0.05
done
[ "$(q "$db" "select count(*) from leases")" = 1 ] || fail "no lease taken by a running sweep"
kill -9 $sweep
wait $sweep 2>/dev/null
pid=$(q "$db" "select pid from leases")
for _ in $(seq 1 200); do   # its cell dies with it (PR_SET_PDEATHSIG)
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
# the same sweep, shorter: its one cell given the lease left behind
STEPS=3 tiny lease "1" "" | sed '/^sharing/d' > "$dir/lease3.ini"
cell=$("$SB" sweep "$dir/lease3.ini" --db "$db" --dry-run | awk 'NR == 1 { print $2 }')
sqlite3 "$db" "UPDATE leases SET cell = '$cell'"
"$SB" sweep "$dir/lease3.ini" --db "$db" --resume --dry-run >"$dir/out"
grep -q "running: pid" "$dir/out" && fail "a dead sweep's lease is shown as running: $(cat "$dir/out")"
"$SB" sweep "$dir/lease3.ini" --db "$db" --threads 1 --resume 2>"$dir/log" || fail "resume after a killed sweep: $(cat "$dir/log")"
grep -q "taking over its cell from pid $pid" "$dir/log" || fail "the dead sweep's lease was not taken over: $(cat "$dir/log")"
[ "$(q "$db" "select count(*) from runs")" = 1 ] || fail "resume after a killed sweep: $(q "$db" "select count(*) from runs") runs"
[ "$(q "$db" "select count(*) from leases")" = 0 ] || fail "resume after a killed sweep left a lease"
checked "$db" "a killed sweep's lease"
faults=$((faults + 1))

# ---- 7. a damaged database, a checkpoint missing a tensor: refused before any cell runs
cp "$dir/two.db" "$dir/dmg.db"
sqlite3 "$dir/dmg.db" "PRAGMA wal_checkpoint(TRUNCATE); DROP TABLE params" >/dev/null
sum=$(md5sum < "$dir/dmg.db")
"$SB" sweep "$dir/f1.ini" --db "$dir/dmg.db" --threads 1 2>"$dir/log"
rc=$?
[ $rc = 2 ] && grep -q "damaged: table 'params' is missing" "$dir/log" || fail "a database without params: exit $rc: $(cat "$dir/log")"
grep -q "finished" "$dir/log" && fail "a database without params: a cell ran before the refusal"
[ "$(md5sum < "$dir/dmg.db")" = "$sum" ] || fail "a database without params was changed"
cp "$dir/two.db" "$dir/dmg.db"
sqlite3 "$dir/dmg.db" "PRAGMA foreign_keys = OFF; INSERT INTO metrics VALUES(9999, 'test', 0.5); PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
sum=$(md5sum < "$dir/dmg.db")
"$SB" sweep "$dir/b.ini" --db "$dir/dmg.db" --threads 1 --resume 2>"$dir/log"
rc=$?
[ $rc = 2 ] && grep -q "is damaged (1 problem: metrics row (run_id 9999" "$dir/log" || fail "resume into a damaged database: exit $rc: $(cat "$dir/log")"
[ "$(md5sum < "$dir/dmg.db")" = "$sum" ] || fail "resume into a damaged database changed it"
"$PYTHON" - "$dir/ok.safetensors" "$dir/lacking.safetensors" <<'PY' || fail "making a checkpoint without a tensor"
import json, struct, sys
f = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', f[:8])[0]
h = json.loads(f[8:8 + n])
del h['attn.0.wq']
t = json.dumps(h).encode()
t += b' ' * ((8 - len(t) % 8) % 8)
open(sys.argv[2], 'wb').write(struct.pack('<Q', len(t)) + t + f[8 + n:])
PY
for key in init_from teacher; do
  STEPS=2 tiny lack "1" "$key = $dir/lacking.safetensors" | sed '/^sharing/d' > "$dir/lack.ini"
  "$SB" sweep "$dir/lack.ini" --db "$dir/lack.db" --threads 1 2>"$dir/log"
  rc=$?
  [ $rc = 2 ] && grep -q "lacking.safetensors: tensor 'attn.0.wq' is missing" "$dir/log" ||
    fail "$key: a checkpoint missing a tensor: exit $rc: $(cat "$dir/log")"
  [ ! -e "$dir/lack.db" ] || fail "$key: a checkpoint missing a tensor: a database was created"
done
faults=$((faults + 4))

# ---- 8. read-only storage: the readers read
db=$dir/two.db
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
mkdir -p "$dir/ro"
"$SB" baseline --db "$db" -o "$dir/ro/base.csv" 2>/dev/null || fail "baseline of two.db"
cp "$db" "$dir/ro/r.db"
mkdir -p "$dir/rw"
chmod 777 "$dir/rw"
chmod 444 "$dir/ro/r.db"
readers() { # $1: the read-only directory; the commands as the user of as_user
  local d=$1 what=$2 c
  for c in "list --db $d/r.db" "export --db $d/r.db --format json" "check --db $d/r.db" "baseline --db $d/r.db -o $dir/rw/b.csv" \
           "gate --baseline $d/base.csv --db $d/r.db --metrics test --markdown $dir/rw/g.md" \
           "report --db $d/r.db --out $dir/rw/rep" "sweep $dir/a.ini --db $d/r.db --resume --dry-run"; do
    read -ra argv <<<"$c"
    "${as_user[@]}" "$SB" "${argv[@]}" >"$dir/rw/out" 2>"$dir/rw/err" || fail "$what: sharebench $c: exit $?: $(cat "$dir/rw/err")"
    faults=$((faults + 1))
  done
  [ -z "$(ls "$d" | grep -v -e '^r.db$' -e '^base.csv$')" ] || fail "$what: files created: $(ls "$d")"
}
chmod 555 "$dir/ro"
if [ "$(id -u)" = 0 ]; then readers "$dir/ro" "a directory nobody may write"; fi
chmod 755 "$dir/ro"
if [ -n "${mnt_ok:-}" ] && mount -t tmpfs -o size=4m tmpfs "$mnt" 2>/dev/null; then
  cp "$dir/ro/r.db" "$dir/ro/base.csv" "$mnt/"
  mount -o remount,ro "$mnt"
  as_user=()
  readers "$mnt" "a read-only mount"
  "$SB" sweep "$dir/f1.ini" --db "$mnt/r.db" --threads 1 2>"$dir/log"
  rc=$?
  umount "$mnt"
  [ $rc = 2 ] && grep -q "read-only file system" "$dir/log" || fail "sweep into a read-only mount: exit $rc: $(cat "$dir/log")"
fi

echo "e2e_faults: $faults faults injected (divergence at step $step, a killed job, power cuts, two writers, $disk, a read-only file, shared and taken-over cells, damaged databases and checkpoints, read-only storage) in $SECONDS s; $rows rows checked, none lost or half-written"
echo "e2e_faults: 1 passed, 0 failed"
