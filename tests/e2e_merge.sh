#!/bin/bash
# End-to-end: progressive sharing's merge triggered by a validation-loss
# plateau (merge_on=plateau). With lr=0 the validation loss never changes: the
# first validation sets the best, so with merge_patience=1 the merge comes at
# the second validation's step and with merge_patience=2 at the third; a
# patience longer than the run leaves merge_at (half way) as the latest; the
# default (merge_on=step) merges at merge_at. merge_on=plateau without a
# progressive sharing exits 2 naming the key and writes nothing.
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
echo "e2e_merge: plateau-triggered merges at the expected steps; refusal exits 2"
