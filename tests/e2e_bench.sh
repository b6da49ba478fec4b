#!/bin/bash
# End-to-end: `sharebench bench --db` stores its figures as runs like any
# other (one shape, quick, without the PyTorch peer so it runs everywhere):
# the sweep 'bench', a run per mode with its step time, throughput, GEMM
# ceiling and every step's time as a series; bad options exit 2 and write nothing.
set -u
SB=${1:-build/release/sharebench}
dir=$(mktemp -d /tmp/sb-e2e-XXXXXX)
trap 'rm -rf "$dir"' EXIT
db=$dir/r.db
fail() { echo "e2e_bench: FAIL: $*"; exit 1; }

env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT "$SB" bench --quick --no-torch --shape S1 --db "$db" > "$dir/out" || fail "bench exited $?"
grep -q "not measured: speed-up against PyTorch" "$dir/out" || fail "the missing PyTorch figures are not said"
# the kernels oneDNN and OpenBLAS run, said and judged; the wait policy sharebench set for itself and the
# libraries of the products, recorded with each run
grep -Eq "^kernels: oneDNN's [A-Za-z0-9 .()-]+ kernels, OpenBLAS's [A-Za-z0-9_]+ kernels on this [A-Z0-9.-]+ CPU.*target: this CPU's best kernels: (met|MISSED)" "$dir/out" ||
  fail "the kernels line is missing: $(grep kernels "$dir/out")"
q() { sqlite3 "$db" "$1"; }
[ "$(q "select count(*) from runs where sweep='bench' and task='bench.S1' and status='finished'")" = 2 ] || fail "not two S1 runs"
[ "$(q "select group_concat(sharing) from (select sharing from runs order by sharing)")" = "all,none" ] || fail "modes are not none and all"
for m in train_step_ms train_tokens_per_s train_gflops gemm_ceiling_gflops of_gemm_ceiling ceiling_step_ms; do
  [ "$(q "select count(*) from metrics where key='$m' and value > 0")" = 2 ] || fail "metric $m missing or not positive"
done
# quick S1: 5 timed steps per mode, and their median is the stored step time
[ "$(q "select count(*) from series where metric='step_ms'")" = 10 ] || fail "not 5 step times per mode"
for id in $(q "select id from runs"); do
  [ "$(q "select m.value = (select value from series where run_id=$id and metric='step_ms' order by value limit 1 offset 2)
          from metrics m where m.run_id=$id and m.key='train_step_ms'")" = 1 ] || fail "run $id: step time is not the median"
done
[ "$(q "select count(*) from params where key in ('width','batch','length') and value in ('128','32','64')")" = 6 ] || fail "shape not recorded"
[ "$(q "select count(*) from runs where blas like '%set by sharebench: %OMP_WAIT_POLICY=passive; products: oneDNN %'")" = 2 ] ||
  fail "the wait policy sharebench set is not in the runs' blas column: $(q "select blas from runs limit 1")"
for m in train_forward_ms train_backward_ms train_optimizer_ms; do
  [ "$(q "select count(*) from metrics where key='$m' and value > 0")" = 2 ] || fail "metric $m missing or not positive"
done
"$SB" list --db "$db" --sweep bench | grep -q "bench.S1" || fail "list does not show the bench runs"
"$SB" check --db "$db" --quiet >/dev/null || fail "sharebench check finds problems in the bench runs: $("$SB" check --db "$db")"
# every key stored is one the metric registry lists (check warns of any other)
"$SB" check --db "$db" 2>&1 | grep "not one this sharebench records" && fail "bench stores keys sharebench metrics does not list"

# SHAREBENCH_GEMM picks the products' library, recorded; a name it does not know is refused, naming it
SHAREBENCH_GEMM=openblas "$SB" bench --quick --no-torch --shape S1 --db "$dir/ob.db" > "$dir/ob" || fail "SHAREBENCH_GEMM=openblas: bench exited $?"
grep -q "products: OpenBLAS for all" "$dir/ob" || fail "SHAREBENCH_GEMM=openblas not said: $(head -1 "$dir/ob")"
[ "$(sqlite3 "$dir/ob.db" "select count(*) from runs where blas like '%products: OpenBLAS for all%'")" = 2 ] ||
  fail "SHAREBENCH_GEMM=openblas not recorded"
SHAREBENCH_GEMM=mkl "$SB" bench --shape S1 --db "$dir/bad.db" 2>"$dir/err"; rc=$?
[ $rc = 2 ] || fail "SHAREBENCH_GEMM=mkl exited $rc"
grep -q "SHAREBENCH_GEMM='mkl'" "$dir/err" || fail "SHAREBENCH_GEMM=mkl: the message does not name it: $(cat "$dir/err")"
[ ! -e "$dir/bad.db" ] || fail "SHAREBENCH_GEMM=mkl created the database"

# bad input: exit 2, nothing created
"$SB" bench --shape S9 --db "$dir/bad.db" 2>"$dir/err"; rc=$?
[ $rc = 2 ] || fail "bad --shape exited $rc"
grep -q "S9" "$dir/err" || fail "bad --shape message does not name the value"
[ ! -e "$dir/bad.db" ] || fail "bad --shape created the database"
"$SB" bench --threads 0 2>/dev/null; [ $? = 2 ] || fail "--threads 0 not refused"
echo "e2e_bench: S1 stored as 2 runs with 10 step times; bad input refused"
echo "e2e_bench: 1 passed, 0 failed"
