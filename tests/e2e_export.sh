#!/bin/bash
# End-to-end: exports and results for programs. `export` in wide and long form
# and --series, as CSV and JSON: typed values (numbers as JSON numbers, words
# as text), every row carrying its run's identity, always valid JSON and UTF-8
# even when the database holds text that is not; `run --json`; results on
# standard output and messages on standard error (check, baseline, list);
# `list` with one number format per column; and the README's snippet reading
# the database with Python's sqlite3 (and pandas, where installed).
set -u
SB=${1:-build/release/sharebench}
PY=${PYTHON:-/usr/bin/python3}
dir=$(mktemp -d /tmp/sb-e2e-export-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "e2e_export: FAIL: $*"; exit 1; }
db=$dir/runs.db
cp tests/fuzz/corpus/database/tiny.db "$db"
runs=$(sqlite3 "$db" "select count(*) from runs")
metrics=$(sqlite3 "$db" "select count(*) from metrics")
params=$(sqlite3 "$db" "select count(*) from params")
points=$(sqlite3 "$db" "select count(*) from series")

# long form: one row per run and metric or param, typed, with the run's identity
"$SB" export --db "$db" --long --format json -o "$dir/long.json" || fail "export --long"
"$SB" export --db "$db" --long -o "$dir/long.csv" || fail "export --long as CSV"
"$PY" - "$dir" "$metrics" "$params" <<'PY' || fail "the long form"
import csv, json, sys
d, metrics, params = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = json.load(open(d + "/long.json", encoding="utf-8"))
assert len(rows) == metrics + params, (len(rows), metrics, params)
assert {r["kind"] for r in rows} == {"metric", "param"}
for r in rows:
    assert isinstance(r["run_id"], int) and isinstance(r["seed"], int) and r["task"] and r["sharing"], r
    assert (r["value"] is None) != (r["text"] is None) or r["kind"] == "metric", r
    if r["kind"] == "metric":
        assert isinstance(r["value"], (int, float)) or r["value"] is None, r
byk = {(r["run_id"], r["key"]): r for r in rows if r["kind"] == "param"}
assert byk[(1, "batch")]["value"] == 2 and byk[(1, "lr")]["value"] == 0.001, byk[(1, "batch")]
assert byk[(1, "task")]["text"] == "copy" and byk[(1, "task")]["value"] is None
assert byk[(1, "sharing")]["text"] == "none"
c = list(csv.DictReader(open(d + "/long.csv", encoding="utf-8", newline="")))
assert len(c) == len(rows) and list(c[0]) == ["run_id", "sweep", "task", "sharing", "seed", "status", "kind", "key", "value", "text"]
PY

# wide form: the same columns as before, numeric keys now numbers
"$SB" export --db "$db" --format json -o "$dir/wide.json" || fail "export"
"$PY" - "$dir/wide.json" "$runs" <<'PY' || fail "the wide form's types"
import json, sys
rows = json.load(open(sys.argv[1], encoding="utf-8"))
assert len(rows) == int(sys.argv[2])
r = rows[0]
assert r["param.batch"] == 2 and r["param.steps"] == 2 and r["param.task"] == "copy" and r["param.knobs"] == "len=4", r
assert isinstance(r["metric.test"], float) and isinstance(r["seed"], int)
PY

# series: each point with its run's identity
"$SB" export --db "$db" --series --format json -o "$dir/series.json" || fail "export --series"
"$PY" - "$dir/series.json" "$points" <<'PY' || fail "the series"
import json, sys
rows = json.load(open(sys.argv[1], encoding="utf-8"))
assert len(rows) == int(sys.argv[2])
assert set(rows[0]) == {"run_id", "sweep", "task", "sharing", "seed", "metric", "step", "layer", "head", "value"}, rows[0]
assert all(r["task"] == "copy" and r["sharing"] in ("none", "all") and isinstance(r["seed"], int) for r in rows)
PY

# text that is not UTF-8 (written before input was checked): still valid JSON and UTF-8 CSV
cp "$db" "$dir/bad.db"
sqlite3 "$dir/bad.db" "UPDATE runs SET error = CAST(X'6f6f707320ff21' AS TEXT) WHERE id = 1;
  UPDATE params SET value = CAST(X'6c656e3dc3' AS TEXT) WHERE run_id = 1 AND key = 'knobs';
  UPDATE metrics SET key = CAST(X'74657374fe' AS TEXT) WHERE run_id = 2 AND key = 'test';"
for form in "" "--long"; do
  "$SB" export --db "$dir/bad.db" $form --format json -o "$dir/bad.json" || fail "export $form of invalid UTF-8: exit $?"
  "$SB" export --db "$dir/bad.db" $form -o "$dir/bad.csv" || fail "export $form as CSV of invalid UTF-8"
  "$PY" - "$dir" "$form" <<'PY' || fail "export $form of invalid UTF-8: not valid JSON or UTF-8"
import json, sys
d, form = sys.argv[1], sys.argv[2]
rows = json.loads(open(d + "/bad.json", "rb").read().decode("utf-8"))
open(d + "/bad.csv", "rb").read().decode("utf-8")
if not form:
    assert rows[0]["error"] == "oops \ufffd!" and rows[0]["param.knobs"] == "len=\ufffd", rows[0]
    assert "metric.test\ufffd" in rows[1]
else:
    assert any(r["key"] == "knobs" and r["text"] == "len=\ufffd" for r in rows)
PY
done

# run --json: the result, typed, on standard output or in a file; the headline otherwise
OMP_NUM_THREADS=1 "$SB" run --task copy:len=4 --preset tiny --steps 3 --batch 2 analysis=0 eval_examples=4 test_examples=4 \
  --db "$dir/new.db" --json - >"$dir/run.json" 2>"$dir/run.err" || fail "run --json -: $(cat "$dir/run.err")"
"$PY" - "$dir/run.json" <<'PY' || fail "run --json: $(cat "$dir/run.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["run_id"] == 1 and r["status"] == "finished" and r["task"] == "copy" and r["seed"] == 1, r
assert r["params"]["steps"] == 3 and r["params"]["sharing"] == "none" and isinstance(r["metrics"]["test"], float), r
PY
OMP_NUM_THREADS=1 "$SB" run --task copy:len=4 --preset tiny --steps 3 --batch 2 analysis=0 eval_examples=4 test_examples=4 \
  --no-store --json "$dir/run2.json" >"$dir/head.out" 2>/dev/null || fail "run --json FILE"
"$PY" -c 'import json,sys; r = json.load(open(sys.argv[1])); assert r["run_id"] is None and "test" in r["metrics"]' "$dir/run2.json" ||
  fail "run --json FILE: $(cat "$dir/run2.json")"
grep -qE '^  test +[0-9.]+ ± [0-9.]+ accuracy$' "$dir/head.out" && grep -q "not stored" "$dir/head.out" ||
  fail "run's headline on standard output: $(cat "$dir/head.out")"
OMP_NUM_THREADS=1 "$SB" run --task copy:len=4 --preset tiny --steps 3 --batch 2 analysis=0 eval_examples=4 test_examples=4 \
  --no-store --quiet >"$dir/q.out" 2>"$dir/q.err" || fail "run --quiet"
[ ! -s "$dir/q.out" ] && [ ! -s "$dir/q.err" ] || fail "run --quiet printed: $(cat "$dir/q.out" "$dir/q.err")"

# summaries are results: on standard output
[ "$("$SB" check --db "$db" 2>/dev/null | grep -c 'problems')" = 1 ] || fail "check's summary is not on standard output"
"$SB" baseline --db "$db" -o "$dir/b.csv" 2>/dev/null | grep -q "^baseline: wrote $dir/b.csv" || fail "baseline's summary is not on standard output"

# list: one format per column (the test column's points line up)
"$SB" list --db "$db" >"$dir/list" || fail "list"
"$PY" - "$dir/list" <<'PY' || fail "list's test column: $(cat "$dir/list")"
import sys
lines = open(sys.argv[1]).read().splitlines()
col = lines[0].index("test") + 4          # right-aligned under its header
decimals = {l[:col].split()[-1].split(".")[1].__len__() for l in lines[1:]}
assert decimals == {4}, decimals
PY

# the README's snippet: the database from Python's sqlite3 (and pandas when installed)
"$PY" - "$db" <<'PY' || fail "the README's sqlite3 snippet"
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = con.execute("""
    SELECT r.task, r.sharing, avg(m.value), count(*)
    FROM runs r JOIN metrics m ON m.run_id = r.id
    WHERE m.key = 'test' AND r.status = 'finished'
    GROUP BY r.task, r.sharing ORDER BY r.task, r.sharing""").fetchall()
assert [(t, s, n) for t, s, _, n in rows] == [("copy", "all", 2), ("copy", "none", 2)], rows
PY
if "$PY" -c 'import pandas' 2>/dev/null; then
  "$PY" - "$db" <<'PY' || fail "the README's pandas snippet"
import sqlite3, sys
import pandas as pd
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
df = pd.read_sql_query("""
    SELECT r.id AS run_id, r.task, r.sharing, r.seed, m.key AS metric, m.value
    FROM runs r JOIN metrics m ON m.run_id = r.id WHERE r.status = 'finished'""", con)
table = df[df.metric == "test"].pivot_table(index="task", columns="sharing", values="value", aggfunc="mean")
assert table.shape == (1, 2), table
PY
fi
echo "e2e_export: long, wide and series forms typed and whole; invalid UTF-8 exported valid; run --json; results on standard output"
