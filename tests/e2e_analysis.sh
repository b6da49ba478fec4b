#!/bin/bash
# End-to-end: a tiny sweep over none, all and cycle:2 on one task stores every
# analysis of issue 5 for each run (gradient noise per depth and block at the
# start, middle and end; head diversity; CKA; PGD, HotFlip, random
# substitution), `sharebench export --series` shows them, and bad analysis
# keys are refused. Then one short run at the default size and default
# analysis settings, whose analysis times are printed as fractions of the
# training time of a default 300-step run.
set -u
SB=${1:-build/release/sharebench}
dir=$(mktemp -d /tmp/sb-e2e-analysis-XXXXXX)
trap 'rm -rf "$dir"' EXIT
db=$dir/r.db
fail() { echo "e2e_analysis: FAIL: $*"; exit 1; }
q() { sqlite3 "$db" "$1"; }

cat > "$dir/tiny.ini" <<'INI'
[sweep]
name = analysis
[run]
task = wellformed
knobs = len=6
steps = 30
batch = 8
eval_examples = 16
test_examples = 32
grad_samples = 6
attn_examples = 8
cka_examples = 8
attack_examples = 16
pgd_steps = 2
hotflip_budget = 2
[model]
preset = tiny
layers = 4
sharing = none all cycle:2
INI

"$SB" sweep "$dir/tiny.ini" --db "$db" >"$dir/log" 2>&1 || fail "sweep failed: $(cat "$dir/log")"
[ "$(q "select count(*) from runs where status = 'finished'")" = 3 ] || fail "want 3 finished runs: $(q 'select sharing, status, error from runs')"
[ "$(q "select count(*) from params where key = 'analysis_error'")" = 0 ] || fail "analysis errors: $(q "select value from params where key = 'analysis_error'")"

for id in $(q "select id from runs order by id"); do
  sharing=$(q "select sharing from runs where id = $id")
  # gradient statistics: every depth at steps 0, 15, 30, each block, the model
  for k in attn kv ffn; do
    for m in sqnorm trace_cov gsnr; do
      n=$(q "select count(*) from series where run_id = $id and metric = 'grad.$k.$m' and head = -1 and layer between 0 and 3 and step in (0, 15, 30)")
      [ "$n" = 12 ] || fail "$sharing: grad.$k.$m has $n points, want 4 depths x 3 steps"
      nb=$(q "select count(distinct layer) from series where run_id = $id and metric = 'grad.$k.$m.block'")
      want=$(case "$sharing" in none) echo 4;; all) echo 1;; *) echo 2;; esac)
      [ "$nb" = "$want" ] || fail "$sharing: grad.$k.$m.block covers $nb blocks, want $want"
    done
  done
  for m in grad.bsimple grad.sqnorm grad.trace_cov; do
    [ "$(q "select count(*) from series where run_id = $id and metric = '$m' and layer = -1")" -ge 1 ] || fail "$sharing: no $m"
  done
  [ "$(q "select count(*) from series where run_id = $id and metric like 'grad.%.bsimple%'")" -ge 1 ] || fail "$sharing: no per-depth B_simple"
  # heads, CKA, attacks
  [ "$(q "select count(*) from series where run_id = $id and metric = 'attn.js' and head = -1")" = 4 ] || fail "$sharing: attn.js"
  for m in attn.entropy attn.importance; do
    [ "$(q "select count(*) from series where run_id = $id and metric = '$m'")" = 8 ] || fail "$sharing: $m, want 4 layers x 2 heads"
  done
  for m in cka.linear cka.unbiased; do
    [ "$(q "select count(*) from series where run_id = $id and metric = '$m' and layer between -1 and 3 and head between -1 and 3")" = 25 ] || fail "$sharing: $m, want a 5x5 matrix"
    [ "$(q "select count(*) from series where run_id = $id and metric = 'cka.update.${m#cka.}'")" = 16 ] || fail "$sharing: cka.update.${m#cka.}, want 4x4"
  done
  [ "$(q "select round(value, 9) from series where run_id = $id and metric = 'cka.linear' and layer = 2 and head = 2")" = 1.0 ] || fail "$sharing: CKA of a layer with itself is not 1"
  for m in pgd.eps pgd.accuracy pgd.kl; do
    [ "$(q "select count(*) from series where run_id = $id and metric = '$m'")" = 3 ] || fail "$sharing: $m, want 3 radii"
  done
  for m in randsub.rate randsub.accuracy; do
    [ "$(q "select count(*) from series where run_id = $id and metric = '$m'")" = 3 ] || fail "$sharing: $m, want 3 rates"
  done
  for m in grad_noise_scale head_diversity cka_adjacent embed_mean_norm hotflip.success_rate hotflip.accuracy_under_attack \
           hotflip.perturbed_fraction hotflip.queries hotflip.skipped hotflip.clean_accuracy; do
    [ "$(q "select count(*) from metrics where run_id = $id and key = '$m'")" = 1 ] || fail "$sharing: no metric $m"
  done
  # TextAttack's identities: accuracy under attack <= clean accuracy; success rate = 1 - under/clean
  ok=$(q "select abs((select value from metrics where run_id = $id and key = 'hotflip.success_rate') -
                     (1 - (select value from metrics where run_id = $id and key = 'hotflip.accuracy_under_attack') /
                          (select value from metrics where run_id = $id and key = 'hotflip.clean_accuracy'))) < 1e-9")
  [ "$ok" = 1 ] || fail "$sharing: HotFlip success rate, accuracy under attack and clean accuracy disagree"
done

# export shows the series
"$SB" export --db "$db" --series -o "$dir/series.csv" || fail "export --series"
for m in grad.attn.trace_cov grad.ffn.gsnr.block grad.bsimple attn.js attn.importance cka.unbiased cka.update.linear pgd.kl randsub.accuracy; do
  grep -q ",$m," "$dir/series.csv" || fail "export --series lacks $m"
done
"$SB" export --db "$db" -o "$dir/runs.csv" || fail "export"
for m in metric.grad_noise_scale metric.head_diversity metric.cka_adjacent metric.hotflip.success_rate param.pgd_eps; do
  head -1 "$dir/runs.csv" | grep -q "$m" || fail "export lacks column $m"
done

# bad analysis keys: exit 2, nothing written
"$SB" run --task copy pgd_eps=0.1,x --db "$dir/bad.db" 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q pgd_eps "$dir/err" && [ ! -e "$dir/bad.db" ] || fail "bad pgd_eps: exit $rc, $(cat "$dir/err")"
"$SB" run --task copy randsub_rates=1.5 --db "$dir/bad.db" 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q randsub_rates "$dir/err" || fail "bad randsub_rates: exit $rc, $(cat "$dir/err")"
"$SB" run --task copy pgd_ball=sphere --db "$dir/bad.db" 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q pgd_ball "$dir/err" && [ ! -e "$dir/bad.db" ] || fail "bad pgd_ball: exit $rc, $(cat "$dir/err")"
# PGD at epsilon 0 is the clean model: its accuracy is HotFlip's clean accuracy on the same examples,
# in either ball; the ball is recorded
for ball in example position; do
  "$SB" run --task copy --preset tiny --steps 12 --batch 4 knobs=len=4 test_examples=8 eval_examples=8 grad_points=0 \
    attn_examples=0 cka_examples=0 attack_examples=8 pgd_eps=0,0.1 pgd_ball=$ball --db "$dir/ball.db" --quiet 2>"$dir/err" || fail "pgd_ball=$ball run: $(cat "$dir/err")"
  id=$(sqlite3 "$dir/ball.db" "select max(id) from runs")
  [ "$(sqlite3 "$dir/ball.db" "select value from params where run_id = $id and key = 'pgd_ball'")" = $ball ] || fail "pgd_ball=$ball not recorded"
  ok=$(sqlite3 "$dir/ball.db" "select abs((select value from series where run_id = $id and metric = 'pgd.accuracy' and step = 0) -
                                          (select value from metrics where run_id = $id and key = 'hotflip.clean_accuracy')) < 1e-12")
  [ "$ok" = 1 ] || fail "pgd_ball=$ball: PGD accuracy at epsilon 0 is not the clean accuracy"
done
# analysis=0 analyses nothing; the analyses change neither the training nor the results, nor the cell
for a in 0 1; do
  "$SB" run --task copy --preset tiny --steps 12 --batch 4 analysis=$a knobs=len=4 test_examples=8 eval_examples=8 \
    grad_samples=4 attn_examples=4 cka_examples=4 attack_examples=4 --db "$dir/a$a.db" --quiet 2>"$dir/err" || fail "analysis=$a run: $(cat "$dir/err")"
done
[ "$(sqlite3 "$dir/a0.db" "select count(*) from series where metric like 'grad.%' or metric like 'attn.%' or metric like 'cka.%' or metric like 'pgd.%'")" = 0 ] || fail "analysis=0 still analysed"
res="select group_concat(value, ' ') from (select value from series where metric = 'train_loss' union all select value from metrics where key in ('test', 'test_loss', 'train_loss_final') order by 1)"
[ "$(sqlite3 "$dir/a0.db" "$res")" = "$(sqlite3 "$dir/a1.db" "$res")" ] || fail "the analyses changed the training or the results"
[ "$(sqlite3 "$dir/a0.db" "select cell from runs")" = "$(sqlite3 "$dir/a1.db" "select cell from runs")" ] || fail "the analysis keys changed the cell"

# every key stored is one the metric registry lists (check warns of any other)
"$SB" check --db "$db" 2>&1 | grep "not one this sharebench records" && fail "the analyses store keys sharebench metrics does not list"

echo "e2e_analysis: 3 runs (none, all, cycle:2) store gradient noise per depth and block, head diversity, CKA, PGD, HotFlip and random substitution; export shows them"

# cost at the default settings: the default model and analysis keys on copy, a
# short run; training time scaled to the default 300 steps (not under the
# sanitizers, whose timings mean nothing)
case "$SB" in *sanitize*) echo "e2e_analysis: 1 passed, 0 failed"; exit 0;; esac
"$SB" run --task copy --steps 30 eval_examples=16 test_examples=16 --db "$dir/cost.db" --quiet 2>"$dir/err" || fail "default-size run: $(cat "$dir/err")"
sqlite3 "$dir/cost.db" "select key, value from metrics where key like 'analysis_seconds.%' or key = 'train_step_ms'" | awk -F'|' '
  $1 == "train_step_ms" { train = $2 * 300 / 1000; next }
  { sec[$1] = $2; n++ }
  END {
    printf "e2e_analysis: analysis cost at the default settings, as a fraction of a default 300-step training run (%.1f s):\n", train
    for (k in sec) { printf "  %-28s %6.2f s  %5.1f%%\n", k, sec[k], 100 * sec[k] / train; total += sec[k] }
    printf "  %-28s %6.2f s  %5.1f%%\n", "total", total, 100 * total / train
  }'
echo "e2e_analysis: 1 passed, 0 failed"
