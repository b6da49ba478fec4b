#!/bin/bash
# End-to-end: progressive sharing's merge triggered by a validation-loss
# plateau (merge_on=plateau). With lr=0 the validation loss never changes: the
# first validation sets the best, so with merge_patience=1 the merge comes at
# the second validation's step and with merge_patience=2 at the third; a
# patience longer than the run leaves merge_at (half way) as the latest; the
# default (merge_on=step) merges at merge_at. merge_on=plateau without a
# progressive sharing exits 2 naming the key and writes nothing.
# Item 7's other half, selective untying at measured depths: a model trained
# with all sharing, fine-tuned with all+untie:2 and untie_by=grad or heads,
# records the two depths chosen (distinct, within the depth), the scores of
# every depth and the map applied (those depths' blocks their own); the
# choice does not depend on the seed, and the unique parameters are those of
# untie:2 at the last depths (untie_by=last, which records no depths); the
# run's report shows the map applied. From an unshared checkpoint the depths
# are chosen on its average into all.
set -u
SB=${1:-build/release/sharebench}
dir=$(mktemp -d /tmp/sb-e2e-merge-XXXXXX)
trap 'rm -rf "$dir"' EXIT
db=$dir/r.db
fail() { echo "e2e_merge: FAIL: $*"; exit 1; }
q() { sqlite3 "$db" "$1"; }
common="--task copy:len=4 --steps 40 --batch 4 --db $db --preset tiny layers=2 width=16 ffn=32 eval_every=4 eval_examples=8
        test_examples=8 analysis=0 sharing=progressive:all"
merged() {
  "$SB" run $common "$@" >"$dir/log" 2>&1 || fail "run $*: $(cat "$dir/log")"
  q "select cast(value as int) from metrics where key = 'merged_at_step' and run_id = (select max(id) from runs)"
}
[ "$(merged lr=0 merge_on=plateau merge_patience=1)" = 8 ] || fail "patience 1: merged at $(merged lr=0 merge_on=plateau merge_patience=1)"
[ "$(merged lr=0 merge_on=plateau merge_patience=2)" = 12 ] || fail "patience 2: not at step 12"
[ "$(merged lr=0 merge_on=plateau merge_patience=100)" = 20 ] || fail "patience 100: not at merge_at (half way)"
[ "$(merged lr=0 merge_on=plateau merge_patience=1 merge_at=6)" = 6 ] || fail "merge_at=6 is the latest"
[ "$(merged lr=0)" = 20 ] || fail "merge_on=step: not half way"
runs=$(q "select count(*) from runs")
"$SB" run --task copy:len=4 --steps 8 --db "$db" merge_on=plateau sharing=none >"$dir/err" 2>&1
rc=$?
[ $rc = 2 ] || fail "merge_on=plateau with sharing=none: exit $rc, want 2"
grep -q "merge_on=plateau" "$dir/err" || fail "refusal does not name merge_on=plateau: $(cat "$dir/err")"
[ "$(q "select count(*) from runs")" = "$runs" ] || fail "a refused run was stored"
tiny="--batch 4 --preset tiny layers=4 width=16 ffn=32 eval_examples=8 test_examples=8 analysis=0 --db $db"
"$SB" run --task copy:len=4 --steps 20 $tiny --sharing all --save "$dir/all.safetensors" >"$dir/log" 2>&1 || fail "pretrain: $(cat "$dir/log")"
param() { q "select value from params where key = '$1' and run_id = (select max(id) from runs)"; }
metric() { q "select value from metrics where key = '$1' and run_id = (select max(id) from runs)"; }
untie() {
  "$SB" run --task reverse:len=4 --steps 4 $tiny --init-from "$dir/all.safetensors" --sharing all+untie:2 "$@" >"$dir/log" 2>&1 ||
    fail "fine-tune $*: $(cat "$dir/log")"
}
untie untie_by=last
[ -z "$(param untie_depths)" ] || fail "untie_by=last recorded depths $(param untie_depths)"
last_params=$(metric params_unique)
for by in grad heads; do
  untie untie_by=$by
  depths=$(param untie_depths)
  [[ $depths =~ ^([0-3]),([0-3])$ ]] && [ "${BASH_REMATCH[1]}" -lt "${BASH_REMATCH[2]}" ] || fail "$by: untie_depths '$depths'"
  [ "$(param untie_scores | tr ',' '\n' | wc -l)" = 4 ] || fail "$by: untie_scores '$(param untie_scores)'"
  IFS=, read -ra map <<<"$(param sharing_applied | sed 's/^map://')"
  for l in 0 1 2 3; do
    own=$([ "$l" = "${BASH_REMATCH[1]}" ] || [ "$l" = "${BASH_REMATCH[2]}" ] && echo 1 || echo 0)
    n=$(printf '%s\n' "${map[@]}" | grep -cx "${map[$l]}")
    [ $(( n == 1 )) = "$own" ] || fail "$by: map $(param sharing_applied) against depths $depths at depth $l"
  done
  [ "$(metric params_unique)" = "$last_params" ] || fail "$by: $(metric params_unique) unique parameters, untie:2 has $last_params"
  untie untie_by=$by --seed 2
  [ "$(param untie_depths)" = "$depths" ] || fail "$by: seed 2 chose $(param untie_depths), seed 1 $depths"
done
# from an unshared checkpoint: the depths are chosen on its average into all, then the checkpoint unties them
"$SB" run --task copy:len=4 --steps 20 $tiny --sharing none --save "$dir/none.safetensors" >"$dir/log" 2>&1 || fail "pretrain none: $(cat "$dir/log")"
"$SB" run --task reverse:len=4 --steps 4 $tiny --init-from "$dir/none.safetensors" --sharing all+untie:2 untie_by=grad >"$dir/log" 2>&1 ||
  fail "fine-tune from none: $(cat "$dir/log")"
[[ $(param untie_depths) =~ ^[0-3],[0-3]$ ]] || fail "from none: untie_depths '$(param untie_depths)'"
[ "$(metric params_unique)" = "$last_params" ] || fail "from none: $(metric params_unique) unique parameters, untie:2 has $last_params"
untie untie_by=heads
"$SB" report --db "$db" --run "$(q "select max(id) from runs")" --out "$dir/rep" >"$dir/log" 2>&1 || fail "report --run: $(cat "$dir/log")"
grep -q "with untie_by=heads: depths $(param untie_depths) untied, as 'map:" "$dir/rep"/run-*.md || fail "report --run shows no measured untying"
echo "e2e_merge: plateau-triggered merges at the expected steps; refusal exits 2; untie_by=grad and heads record the depths chosen"
