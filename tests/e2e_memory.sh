#!/bin/bash
# End-to-end: no leak in a long sweep. A sweep of 300 tiny cells; the sweep
# process's resident memory (VmRSS in /proc) is sampled as cells complete,
# and each cell's own peak (peak_rss_bytes, measured by the run; a cell is a
# fork of the sweep, so it starts from the sweep's memory) is read from the
# database. After a warm-up of 30 cells the sweep's memory may not grow by
# more than 128 KiB: a leak of 1 KiB a cell in the sweep would add 270 KiB
# (tried: it fails), while the growth measured without one is nil. A cell's
# own leaks die with its process, so its peak can grow only with what it
# inherits (the check above) or reads: the database, which the cell queries
# and writes through SQLite's page cache, ends at 1.3 MB, and the cells' peaks
# were seen to move by up to 184 KiB between runs of this test; they may grow
# by 1 MiB, which still catches a cell that loads the sweep's earlier runs
# (300 runs of 170 metrics: megabytes).
set -u
SB=${1:-build/release/sharebench}
dir=$(mktemp -d /tmp/sb-e2e-mem-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "e2e_memory: FAIL: $*"; exit 1; }
bound=131072 cbound=1048576
# Under AddressSanitizer resident memory measures its allocator (shadow
# memory, quarantine, its exit check) more than ours, and LeakSanitizer
# checks that build for leaks anyway: this test is the release build's.
case "$SB" in *sanitize*) echo "skipped: resident memory under AddressSanitizer is its allocator's (LeakSanitizer checks leaks there)"; exit 77;; esac

{ printf '[sweep]\nname = flat\n[run]\ntask = copy:len=4\nsteps = 1\nbatch = 1\neval_examples = 1\ntest_examples = 1\n'
  printf 'analysis = 0\ndata_seed = 1 2 3 4 5\nseed ='; printf ' %d' $(seq 1 60)
  printf '\n[model]\npreset = tiny\nwidth = 8\nheads = 2\nffn = 16\nlayers = 1\n'; } > "$dir/flat.ini"
cells=300

"$SB" sweep "$dir/flat.ini" --db "$dir/r.db" --threads 1 >"$dir/log" 2>&1 &
pid=$!
: > "$dir/samples"
while kill -0 $pid 2>/dev/null; do
  rss=$(awk '/^VmRSS/ {print $2 * 1024}' /proc/$pid/status 2>/dev/null)
  # cells done, from the sweep's own progress lines: a reader of the database
  # would hold back SQLite's checkpoints, and a growing log is memory in every cell
  n=$(grep -c " finished: " "$dir/log")
  [ -n "$rss" ] && [ -n "$n" ] && echo "$n $rss" >> "$dir/samples"
  sleep 0.05
done
wait $pid || fail "sweep: $(tail -3 "$dir/log")"
[ "$(sqlite3 "$dir/r.db" "select count(*) from runs where status = 'finished'")" = $cells ] || fail "not every cell finished"

# the sweep process: samples after the warm-up and before the last cell ends
# (then the process exits, and LeakSanitizer's exit check, in that build,
# takes 8 MiB of its own)
awk -v n=$cells '$1 >= 30 && $1 < n' "$dir/samples" > "$dir/running"
read -r n0 rss0 <<<"$(head -1 "$dir/running")"
read -r n1 rss1 <<<"$(sort -k2 -n "$dir/running" | tail -1)"
[ -n "${rss0:-}" ] && [ "$(wc -l < "$dir/running")" -ge 3 ] || fail "too few samples of the sweep's memory: $(wc -l < "$dir/samples")"
last=$(tail -1 "$dir/running" | cut -d' ' -f1)
[ "$last" -ge $((cells - 60)) ] || fail "the last sample came at cell $last of $cells"
grow=$((rss1 - rss0))
[ $grow -le $bound ] || fail "the sweep's resident memory grew by $grow bytes from cell $n0 to cell $n1 ($rss0 -> $rss1)"

# every cell's peak, in order: the median of cells 31-60 against that of the last 30
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
peaks() { sqlite3 "$dir/r.db" "select cast(m.value as integer) from runs r join metrics m on m.run_id = r.id and m.key = 'peak_rss_bytes' order by r.id limit $1 offset $2"; }
p0=$(peaks 30 30 | median)
p1=$(peaks 30 $((cells - 30)) | median)
[ -n "$p0" ] && [ -n "$p1" ] || fail "no peak_rss_bytes metrics"
cgrow=$((p1 - p0))
[ $cgrow -le $cbound ] || fail "each cell's peak memory grew by $cgrow bytes over the sweep ($p0 -> $p1)"

echo "e2e_memory: $cells cells: the sweep's resident memory $((rss0 / 1024)) KiB at cell $n0, at most $((rss1 / 1024)) KiB up to cell $last ($grow bytes more); a cell's peak $((p0 / 1024)) KiB early, $((p1 / 1024)) KiB late ($cgrow bytes more); bounds $((bound / 1024)) and $((cbound / 1024)) KiB"
echo "e2e_memory: 1 passed, 0 failed"
