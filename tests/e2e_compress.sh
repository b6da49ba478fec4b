#!/bin/bash
# End-to-end: compression in runs and sweeps (issue 10). A sweep of sharing
# (none, all) by quantisation (none, int8) records bytes on disk and in
# memory, the calibration counts (3 unique blocks for all, 12 for none at 4
# layers), the quality before int8, int8 against float decoding; its report
# has the sharing-and-compression section and figure. Single runs exercise
# every other technique: gradual, magnitude (with fine-tuning), movement and
# L1 pruning (their sparsity), SVD and ALS factorisation (ALS never better
# than SVD), distillation from a checkpoint and from a teacher trained first,
# a compressed checkpoint saved, measured and used as a teacher and as a
# start. Bad compression keys exit 2 and write nothing; the smoke sweep's
# cells are the committed baseline's (keys added later leave cells alone).
set -u
SB=${1:-build/release/sharebench}
dir=$(mktemp -d /tmp/sb-e2e-compress-XXXXXX)
trap 'rm -rf "$dir"' EXIT
db=$dir/r.db
fail() { echo "e2e_compress: FAIL: $*"; exit 1; }
q() { sqlite3 "$db" "$1"; }
metric() { q "select value from metrics where run_id = $1 and key = '$2'"; }
common="--task copy:len=6 --steps 24 --batch 8 --db $db --preset tiny layers=4 width=32 ffn=64 eval_examples=8 test_examples=32 analysis=0"
run() { "$SB" run $common "$@" >"$dir/log" 2>&1 || fail "run $*: $(cat "$dir/log")"; q "select max(id) from runs"; }

cat > "$dir/sweep.ini" <<'INI'
[sweep]
name = compress
[run]
task = copy:len=6
steps = 24
batch = 8
eval_examples = 8
test_examples = 32
analysis = 0
quant = none int8
[model]
preset = tiny
layers = 4
width = 32
ffn = 64
sharing = none all
INI
"$SB" sweep "$dir/sweep.ini" --db "$db" >"$dir/log" 2>&1 || fail "sweep: $(cat "$dir/log")"
[ "$(q "select count(*) from runs where status = 'finished'")" = 4 ] || fail "want 4 finished runs: $(q 'select sharing, status, error from runs')"
for id in $(q "select id from runs"); do
  for k in bytes_disk bytes_memory; do [ -n "$(metric "$id" $k)" ] || fail "run $id: no $k"; done
done
cal() { q "select m.value from metrics m join params p on p.run_id = m.run_id and p.key = 'quant' and p.value = 'int8'
           join runs r on r.id = m.run_id and r.sharing = '$1' where m.key = '$2'"; }
[ "$(cal all quant_calibrations)" = 3.0 ] || fail "all: calibrations $(cal all quant_calibrations), want 3"
[ "$(cal none quant_calibrations)" = 12.0 ] || fail "none: calibrations $(cal none quant_calibrations), want 12"
[ "$(cal all quant_calibrations_per_layer)" = 12.0 ] || fail "all: per-layer calibrations $(cal all quant_calibrations_per_layer)"
for k in test_float quant_delta quant_error decode_ms_per_token_int8 decode_ms_per_token_float int8_decode_speedup; do
  [ -n "$(cal all $k)" ] || fail "int8 run: no $k"
done
# int8 stores the block matrices in about a quarter: the checkpoint is smaller than the float one
small=$(q "select m.value < f.value from metrics m join params p on p.run_id = m.run_id and p.key = 'quant' and p.value = 'int8'
           join runs r on r.id = m.run_id and r.sharing = 'none', metrics f join params pf on pf.run_id = f.run_id and pf.key = 'quant'
           and pf.value = 'none' join runs rf on rf.id = f.run_id and rf.sharing = 'none' where m.key = 'bytes_disk' and f.key = 'bytes_disk'")
[ "$small" = 1 ] || fail "int8 checkpoint not smaller than the float one"
"$SB" report --db "$db" --out "$dir/rep" >"$dir/log" 2>&1 || fail "report: $(cat "$dir/log")"
grep -q "sharing and compression, quality per byte" "$dir/rep/report.md" || fail "report has no compression section"
grep -q "Frontier of copy" "$dir/rep/report.md" || fail "report has no frontier"
[ -s "$dir/rep/report-figures/compress-copy.png" ] || command -v gnuplot >/dev/null || true
"$SB" export --db "$db" -o "$dir/x.csv" 2>"$dir/log" || fail "export: $(cat "$dir/log")"
head -1 "$dir/x.csv" | grep -q "param.quant" || fail "export has no param.quant"
head -1 "$dir/x.csv" | grep -q "metric.bytes_disk" || fail "export has no metric.bytes_disk"

# pruning: exact targets, fine-tuning keeps the masks
id=$(run --sharing all prune=gradual sparsity=0.5 prune_every=2)
[ "$(metric "$id" sparsity)" = 0.5 ] || fail "gradual: sparsity $(metric "$id" sparsity)"
[ "$(q "select count(*) from series where run_id = $id and metric = 'sparsity.ffn.w1'")" = 1 ] || fail "gradual: no per-tensor sparsity"
[ "$(q "select count(*) from series where run_id = $id and metric = 'sparsity' and layer = -1")" -ge 3 ] || fail "gradual: no sparsity over steps"
id=$(run --sharing cycle:2 prune=magnitude sparsity=0.3 finetune_steps=6)
awk -v s="$(metric "$id" sparsity)" 'BEGIN { exit !(s > 0.29 && s < 0.31) }' || fail "magnitude: sparsity $(metric "$id" sparsity)"
[ -n "$(metric "$id" test_before_finetune)" ] || fail "magnitude: no test_before_finetune"
id=$(run --sharing none prune=movement sparsity=0.5 prune_every=2)
[ "$(metric "$id" sparsity)" = 0.5 ] || fail "movement: sparsity $(metric "$id" sparsity)"
id=$(run --sharing all prune=l1 l1=0.01 l1_threshold=0.02)
awk -v s="$(metric "$id" sparsity)" 'BEGIN { exit !(s > 0) }' || fail "l1: sparsity $(metric "$id" sparsity)"

# factorisation of the trained dense model: SVD, ALS (never better), fine-tuned
svd=$(run --sharing all factor=4 factor_init=svd finetune_steps=4)
run --sharing all --save "$dir/dense.safetensors" >/dev/null
als=$(run --sharing all factor=4 factor_init=als als_iters=3)
for id in $svd $als; do
  [ "$(q "select value from params where run_id = $id and key = 'factor'")" = 4 ] || fail "run $id: factor param"
  awk -v e="$(metric "$id" factor_error)" 'BEGIN { exit !(e > 0 && e < 1) }' || fail "run $id: factor_error $(metric "$id" factor_error)"
done
awk -v s="$(metric "$svd" factor_error)" -v a="$(metric "$als" factor_error)" 'BEGIN { exit !(a >= s - 1e-6) }' ||
  fail "ALS error $(metric "$als" factor_error) below SVD's $(metric "$svd" factor_error)"
[ "$(metric "$svd" params_unique)" -lt "$(metric "$svd" params_dense | cut -d. -f1)" ] 2>/dev/null ||
  awk -v u="$(metric "$svd" params_unique)" -v d="$(metric "$svd" params_dense)" 'BEGIN { exit !(u < d) }' || fail "factorised not smaller"

# a trained checkpoint, trained on, factorised, fine-tuned
id=$(run --init-from "$dir/dense.safetensors" factor=4 factor_init=svd finetune_steps=4)
[ "$(q "select value from params where run_id = $id and key = 'factor'")" = 4 ] || fail "checkpoint factorised: factor param"
awk -v e="$(metric "$id" factor_error)" 'BEGIN { exit !(e > 0 && e < 1) }' || fail "checkpoint factorised: factor_error"
"$SB" run $common --init-from "$dir/dense.safetensors" factor=4 >"$dir/log" 2>&1
[ $? = 2 ] && grep -q "factor_init" "$dir/log" || fail "a dense checkpoint into factor:R without SVD/ALS: $(cat "$dir/log")"

# distillation: a checkpoint teacher, a compressed checkpoint (measured, loaded as a teacher and as a start)
run --sharing none --save "$dir/teacher.safetensors" >/dev/null
id=$(run --sharing all teacher="$dir/teacher.safetensors" distill_temp=2 distill_alpha=0.7)
[ -n "$(metric "$id" teacher_test)" ] || fail "distillation: no teacher_test"
[ "$(q "select count(*) from series where run_id = $id and metric = 'train_kd'")" -ge 1 ] || fail "distillation: no train_kd"
id=$(run --sharing all teacher=train:none quant=int8 prune=gradual --save "$dir/q.safetensors")
[ "$(stat -c %s "$dir/q.safetensors")" = "$(metric "$id" bytes_disk | cut -d. -f1)" ] || fail "saved checkpoint's size is not bytes_disk"
run --sharing all teacher="$dir/q.safetensors" >/dev/null
run --init-from "$dir/q.safetensors" --sharing all+untie:1 >/dev/null

# every key stored is one the metric registry lists (check warns of any other)
"$SB" check --db "$db" 2>&1 | grep "not one this sharebench records" && fail "compression stores keys sharebench metrics does not list"

# bad input: exit 2, nothing written
before=$(q "select count(*) from runs")
for bad in "quant=int9" "teacher=$dir/missing.safetensors" "factor=99" "finetune_steps=3" "factor_init=als" "prune=gradual prune_start=0.9"; do
  "$SB" run $common --sharing all $bad >"$dir/log" 2>&1
  [ $? = 2 ] || fail "'$bad' did not exit 2: $(cat "$dir/log")"
  grep -q "${bad%%=*}" "$dir/log" || fail "'$bad': message does not name the key: $(cat "$dir/log")"
done
[ "$(q "select count(*) from runs")" = "$before" ] || fail "a refused run wrote something"

# keys added later leave identities alone: the smoke sweep's cells are the committed baseline's
base=$(dirname "$0")/../results/baseline/smoke.csv
if [ -f "$base" ]; then
  grep ',run,cell,' "$base" | cut -d, -f7 | tr -d '\r' | sort >"$dir/base"
  "$SB" sweep "$(dirname "$0")/../bench/sweeps/smoke.ini" --dry-run --db "$dir/none.db" | awk '{ print $2 }' | grep -E '^[0-9a-f]{16}$' | sort >"$dir/now"
  cmp -s "$dir/base" "$dir/now" || fail "the smoke sweep's cells differ from the baseline's"
fi
echo "e2e_compress: ok ($(q "select count(*) from runs") runs)"
