#!/bin/bash
# run.sh BUILD TARGET...: run each libFuzzer target BUILD/fuzz/fuzz_TARGET for
# FUZZ_TIME seconds (default 60), FUZZ_JOBS targets at a time (default 1),
# from its seed corpus (tests/fuzz/corpus/TARGET, read only) and the corpus
# earlier runs grew (BUILD/corpus/TARGET, where new inputs go). Memory is
# bounded (-rss_limit_mb, -malloc_limit_mb) and so is one input's time
# (-timeout); leaks count as crashes. Each target's log is BUILD/logs/TARGET.log
# and its crashing input BUILD/crashes/TARGET/; a summary table closes the
# run: executions, speed, coverage and corpus size. Exit 1 on any crash.
set -u
build=$1
shift
time_each=${FUZZ_TIME:-60}
jobs=${FUZZ_JOBS:-1}
mkdir -p "$build/logs" "$build/crashes" "$build/corpus" "$build/tmp"

run_one() {
  local t=$1 bin=$build/fuzz/fuzz_$1
  mkdir -p "$build/corpus/$t" "$build/crashes/$t"
  # the inputs are written under TMPDIR; a scratch directory per target
  TMPDIR=$build/tmp OMP_NUM_THREADS=1 nice -n 19 "$bin" -max_total_time="$time_each" -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -timeout=30 -close_fd_mask=3 -print_final_stats=1 -detect_leaks=1 \
    -artifact_prefix="$build/crashes/$t/" "$build/corpus/$t" "tests/fuzz/corpus/$t" >"$build/logs/$t.log" 2>&1
  echo $? >"$build/logs/$t.rc"
}

start=$(date +%s)
running=0
for t in "$@"; do
  [ -x "$build/fuzz/fuzz_$t" ] || { echo "fuzz: $build/fuzz/fuzz_$t is not built"; exit 2; }
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait
rm -rf "$build/tmp"

crashed=0 total_execs=0
printf '%-12s %8s %10s %9s %7s %8s  %s\n' target seconds executions "exec/s" cov corpus result
for t in "$@"; do
  log=$build/logs/$t.log
  rc=$(cat "$build/logs/$t.rc" 2>/dev/null || echo 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  files=$(find "$build/corpus/$t" -type f | wc -l)
  result=ok
  if [ "$rc" != 0 ]; then
    crashed=$((crashed + 1))
    input=$(ls -t "$build/crashes/$t/" 2>/dev/null | head -1)
    result="CRASH (exit $rc): input $build/crashes/$t/$input; see $log"
  fi
  total_execs=$((total_execs + ${execs:-0}))
  printf '%-12s %8s %10s %9s %7s %8s  %s\n' "$t" "$time_each" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$files" "$result"
done
echo "fuzz: $# targets, ${time_each} s each, $total_execs executions in $(( $(date +%s) - start )) s: $crashed crashed"
if [ "$crashed" != 0 ]; then
  echo "fuzz: a crash is a bug: fix it, then copy the input to tests/fuzz/regressions/TARGET/ and list it in its EXPECT file"
  exit 1
fi
