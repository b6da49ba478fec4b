#!/bin/bash
# End-to-end: `sharebench metrics`, the data dictionary, in its three formats
# (text, CSV read by Python's csv module, JSON by its json module), and every
# metric and series key a fresh sweep stores is one it lists: the smoke suite's
# tasks with the analyses on, progressive sharing, compression and a teacher,
# each stored key matched against the listed keys and patterns by Python (a
# second implementation of the matching), and by `sharebench check`.
set -u
SB=${1:-build/release/sharebench}
PY=${PYTHON:-python3}
dir=$(mktemp -d /tmp/sb-e2e-metrics-XXXXXX)
trap 'rm -rf "$dir"' EXIT
db=$dir/r.db
fail() { echo "e2e_metrics: FAIL: $*"; exit 1; }

"$SB" metrics >"$dir/m.txt" 2>"$dir/err" || fail "metrics: $(cat "$dir/err")"
grep -qE '^test +task metric +task +quality ' "$dir/m.txt" || fail "text: no row for test"
grep -qE '^grad\.<block>\.trace_cov ' "$dir/m.txt" || fail "text: no pattern grad.<block>.trace_cov"
"$SB" metrics --format csv >"$dir/m.csv" 2>"$dir/err" || fail "metrics --format csv: $(cat "$dir/err")"
"$SB" metrics --format json >"$dir/m.json" 2>"$dir/err" || fail "metrics --format json: $(cat "$dir/err")"
"$PY" - "$dir/m.csv" "$dir/m.json" <<'PY' || fail "the CSV and JSON listings differ or are incomplete"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
js = json.load(open(sys.argv[2]))
assert rows and [dict(r) for r in rows] == js, "csv and json differ"
for r in rows:
    assert r["table"] in ("metric", "series") and all(r[k] for k in r), r
    assert r["kind"] in ("exact", "quality", "timing", "measured"), r
    assert r["better"] in ("higher", "lower", "task", "key", "neither"), r
keys = [(r["table"], r["key"]) for r in rows]
assert len(keys) == len(set(keys)), "a key listed twice"
for k in ("analysis_seconds.grad", "embed_mean_norm", "steps_done", "train_loss_final", "hotflip.clean_accuracy"):
    assert ("metric", k) in keys, k
PY

# a fresh sweep: the smoke suite (every kind of task it holds) with the analyses
cat > "$dir/keys.ini" <<'INI'
[sweep]
name = keys
[run]
suite = smoke
steps = 8
batch = 8
eval_examples = 16
test_examples = 16
grad_samples = 4
grad_points = 2
attn_examples = 4
cka_examples = 4
attack_examples = 8
pgd_steps = 1
hotflip_budget = 1
[model]
preset = tiny
sharing = none progressive:all
INI
"$SB" sweep "$dir/keys.ini" --db "$db" --jobs 2 >"$dir/log" 2>&1 || fail "sweep: $(tail -3 "$dir/log")"
# compression, a teacher trained in the run, int8 (its decoding measured on a causal task)
"$SB" run --task recall:pairs=2 --steps 8 --batch 8 --preset tiny eval_examples=8 test_examples=16 analysis=0 \
  --sharing all teacher=train:none prune=gradual sparsity=0.5 prune_every=2 quant=int8 --db "$db" >"$dir/log" 2>&1 ||
  fail "compressed run: $(cat "$dir/log")"
"$SB" run --task copy:len=4 --steps 8 --batch 8 --preset tiny eval_examples=8 test_examples=16 analysis=0 \
  --sharing all factor=4 factor_init=svd finetune_steps=2 --db "$db" >"$dir/log" 2>&1 || fail "factorised run: $(cat "$dir/log")"
[ "$(sqlite3 "$db" "select count(*) from runs where status != 'finished'")" = 0 ] ||
  fail "runs not finished: $(sqlite3 "$db" "select task, sharing, status, error from runs where status != 'finished'")"

sqlite3 -separator '|' "$db" "select distinct 'metric', key from metrics union select distinct 'series', metric from series" >"$dir/stored"
"$PY" - "$dir/m.csv" "$dir/stored" <<'PY' || fail "stored keys the listing lacks (above)"
import csv, re, sys
def regex(key):
    parts = []
    for p in re.findall(r"<[^>]*>|[^.]+", key):
        if p.startswith("<") and p.endswith("...>"): parts.append(r"[\w-]+(?:\.[\w-]+)*")
        elif p.startswith("<"): parts.append(r"[\w-]+")
        else: parts.append(re.escape(p))
    return re.compile(r"\.".join(parts) + r"\Z")
listed = {}
for r in csv.DictReader(open(sys.argv[1], newline="")):
    listed.setdefault(r["table"], []).append(regex(r["key"]))
stored = [line.rstrip("\n").split("|", 1) for line in open(sys.argv[2])]
missing = [f"{t} {k}" for t, k in stored if not any(x.match(k) for x in listed[t])]
for m in missing: print("e2e_metrics: stored but not listed:", m)
print(f"e2e_metrics: {len(stored)} stored keys, each listed" if not missing else "")
# the sweep covers what it should: analyses, per-split scores, compression, progressive merging
need = ["metric analysis_seconds.grad", "metric embed_mean_norm", "metric steps_done", "metric train_loss_final",
        "metric hotflip.clean_accuracy", "metric test.accuracy", "metric merged_at_step", "metric quant_calibrations",
        "metric teacher_test", "metric factor_error", "series grad.attn.trace_cov.block", "series sparsity.ffn.w1",
        "series cka.linear", "series pgd.accuracy", "series train_kd"]
keys = {f"{t} {k}" for t, k in stored}
absent = [n for n in need if n not in keys]
for a in absent: print("e2e_metrics: the sweep stored no", a)
sys.exit(1 if missing or absent else 0)
PY
"$SB" check --db "$db" >"$dir/check" 2>&1
grep -q "not one this sharebench records" "$dir/check" && fail "sharebench check: $(grep 'not one' "$dir/check")"
echo "e2e_metrics: ok"
