#!/bin/bash
# End-to-end: `sharebench compare A B`. Two identical tiny sweeps (the same
# tree, the same seeds) compared show no significant difference; a quality
# change injected into B is found, better or worse by its direction; FLOPs
# per token shown beside each change (A's and B's where they differ); two
# sweeps of one database compared with --sweep-a/--sweep-b; the JSON read back
# by Python; bad input exits 2 and writes nothing.
set -u
SB=${1:-build/release/sharebench}
dir=$(mktemp -d /tmp/sb-e2e-compare-XXXXXX)
trap "rm -rf \"$dir\"" EXIT; [ -n "${KEEP:-}" ] && trap - EXIT
NAME=e2e_compare
. "$(dirname "$0")/e2e-lib.sh"

sweep() {   # sweep NAME DB
  cat > "$dir/$1.ini" <<INI
[sweep]
name = $1
[run]
task = copy
knobs = len=4
steps = 20
batch = 8
eval_examples = 16
test_examples = 64
analysis = 0
seed = 1 2 3
[model]
preset = tiny
sharing = none all
INI
  "$SB" sweep "$dir/$1.ini" --db "$2" --jobs 2 >"$dir/sweep.log" 2>&1 ||
    abort "sweep $1: $(tail -3 "$dir/sweep.log")"
}
sweep first "$dir/a.db"
sweep first "$dir/b.db"

"$SB" compare "$dir/a.db" "$dir/b.db" --out "$dir/out" >"$dir/stdout" 2>"$dir/log"; rc=$?
check "identical sweeps: exit 0 (got $rc: $(cat "$dir/log"))" test "$rc" = 0
check "identical sweeps: all three files" test -s "$dir/out/compare.md" -a -s "$dir/out/compare.html" -a -s "$dir/out/compare.json"
check "identical sweeps: no significant difference" grep -q 'no significant difference' "$dir/out/compare.md"
check "identical sweeps: closing line" grep -q ' 0 of [0-9]* changes significant' "$dir/stdout"
check "identical sweeps: paired by seed" grep -qE '^\| copy all \| test \|.*\| paired t \|' "$dir/out/compare.md"
check "identical sweeps: FLOPs per token beside the change" grep -qE '^\| copy all \| test \|.*\| tie \| [0-9.]+ [kMG] \| [0-9.]+ [kMG] \|$' "$dir/out/compare.md"
python3 - "$dir/out/compare.json" >"$dir/py" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["adjustment"] == "benjamini-hochberg" and d["alpha"] == 0.05
assert d["significant"] == 0 and d["tests"] == len([c for c in d["changes"] if c["q"] is not None]) > 0
for c in d["changes"]:
    assert c["verdict"] == "tie" and c["difference"] == 0 and c["n"] == 3, c
    for k in ("flops_train_per_token", "flops_infer_per_token"):
        assert c[k]["a"] == c[k]["b"] > 0, c
    assert 0 <= c["a"]["lo"] <= c["a"]["mean"] <= c["a"]["hi"] <= 1 or c["metric"] == "test_loss", c
PY
check "identical sweeps: JSON read back ($(cat "$dir/py"))" test ! -s "$dir/py"

# B's all gains 0.2 on test in every seed: significant, better; none unchanged
sqlite3 "$dir/b.db" "UPDATE metrics SET value = value + 0.2 WHERE key = 'test' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all')"
"$SB" compare "$dir/a.db" "$dir/b.db" --out "$dir/out" --name changed --quiet >"$dir/stdout2" 2>"$dir/log"; rc=$?
check "changed: exit 0 (got $rc)" test "$rc" = 0
check "changed: nothing on standard output with --quiet" test ! -s "$dir/stdout2"
check "changed: the change found, better" grep -qE '^\| copy all \| test \|.*\| \+0\.2 \[\+0\.2, \+0\.2\] \| paired t \| [0-9.e-]+ \| better \|' "$dir/out/changed.md"
check "changed: none a tie" grep -qE '^\| copy none \| test \|.*\| tie \|' "$dir/out/changed.md"
check "changed: said in the summary" grep -q 'significant differences: 1 (B better 1, B worse 0)' "$dir/out/changed.md"
# B's all computes twice as much per token: both shown
sqlite3 "$dir/b.db" "UPDATE metrics SET value = value * 2 WHERE key = 'flops_train_per_token' AND run_id IN (SELECT id FROM runs WHERE sharing = 'all')"
"$SB" compare "$dir/a.db" "$dir/b.db" --out "$dir/out" --name flops --quiet 2>"$dir/log"
check "changed FLOPs: A's then B's" grep -qE '^\| copy all \| test \|.*\| ([0-9.]+) k -> ([0-9.]+) k \| [0-9.]+ k \|$' "$dir/out/flops.md"
"$SB" compare "$dir/b.db" "$dir/a.db" --out "$dir/out" --name reversed --quiet 2>"$dir/log"
check "reversed: worse" grep -qE '^\| copy all \| test \|.*\| worse \|' "$dir/out/reversed.md"

# two sweeps of one database; a configuration only on one side
sweep second "$dir/a.db"
sqlite3 "$dir/a.db" "DELETE FROM runs WHERE sweep = 'second' AND sharing = 'none'"
"$SB" compare "$dir/a.db" "$dir/a.db" --sweep-a first --sweep-b second --out "$dir/out" --name sweeps --quiet 2>"$dir/log"; rc=$?
check "two sweeps of one database: exit 0 (got $rc: $(cat "$dir/log"))" test "$rc" = 0
check "two sweeps: one configuration matched, one only in A" grep -q 'configurations in both: 1; only in A: 1; only in B: 0' "$dir/out/sweeps.md"
check "two sweeps: the unmatched one named" grep -q 'only in A: copy none' "$dir/out/sweeps.md"
check "HTML well formed" python3 tests/html_check.py "$dir/out/compare.html" "$dir/out/sweeps.html"
check "HTML needs no network" bash -c "! grep -qiE '(src|href)=\"(https?:)?//|<script|<link' '$dir/out/sweeps.html'"

# bad input: 2, nothing written
bad=$dir/bad
for args in "$dir/a.db" "$dir/a.db $dir/none.db" "$dir/a.db $dir/b.db --sweep x --sweep-a y" "$dir/a.db $dir/b.db --sweep nosuch" \
            "$dir/a.db $dir/b.db --name a/b" "$dir/a.db $dir/b.db --frobnicate"; do
  # shellcheck disable=SC2086
  "$SB" compare $args --out "$bad" >/dev/null 2>"$dir/err"; rc=$?
  check "bad input '$args': exit 2 (got $rc)" test "$rc" = 2
  check "bad input '$args': a message" test -s "$dir/err"
done
check "bad input writes nothing" test ! -e "$bad"
# the same runs with another learning rate: no configuration in common
cp "$dir/b.db" "$dir/c.db"
sqlite3 "$dir/c.db" "UPDATE params SET value = '0.5' WHERE key = 'lr'"
"$SB" compare "$dir/a.db" "$dir/c.db" --sweep first --out "$bad" >/dev/null 2>"$dir/err"; rc=$?
check "no configuration in common: exit 2 (got $rc: $(cat "$dir/err"))" test "$rc" = 2 -a ! -e "$bad"

finish
