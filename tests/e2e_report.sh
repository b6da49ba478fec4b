#!/bin/bash
# End-to-end: `sharebench report` on a tiny sweep (3 seeds, 2 sharing modes):
# Markdown and self-contained HTML (figures embedded, nothing fetched from the
# network), the figures as PNG and SVG, the tables (the compute-matched one
# too), the claims; with synthetic analysis series added by sqlite3, the
# analysis figures too; bad input exits 2 and writes nothing; the published
# claims' sweeps list the cells they say, and each claim compares modes its
# sweep runs.
set -u
SB=${1:-build/release/sharebench}
dir=$(mktemp -d /tmp/sb-e2e-report-XXXXXX)
trap "rm -rf \"$dir\"" EXIT; [ -n "${KEEP:-}" ] && trap - EXIT
NAME=e2e_report
. "$(dirname "$0")/e2e-lib.sh"

db=$dir/r.db
tiny_sweep "$db"

# the analyses' series, when this sharebench records them, are left out first
# (the report must say they were not measured), then replaced by known ones
sqlite3 "$db" "DELETE FROM series WHERE metric NOT IN ('step_ms', 'train_loss', 'valid_loss', 'valid_metric', 'lr', 'grad_norm')"
out=$dir/out
"$SB" report --db "$db" --out "$out" 2>"$dir/log"; rc=$?
check "report exits 0 (got $rc: $(cat "$dir/log"))" test "$rc" = 0
check "Markdown written" test -s "$out/report.md"
check "HTML written" test -s "$out/report.html"
check "table of the task" grep -q '^| sharing | runs | unique params | vs none |' "$out/report.md"
check "a row per sharing configuration" test "$(grep -cE '^\| (none|all) \| 3/3 \|' "$out/report.md")" = 2
check "confidence intervals" grep -qE '^\| all \| 3/3 \|.*\[[0-9.]+, [0-9.]+\]' "$out/report.md"
check "paired change against none, interval, adjusted p, verdict" grep -qE '^\| all \|.*[-+][0-9.]+ \[[-+][0-9.]+, [-+][0-9.]+\] q=[0-9.e-]+ (tie|better|worse)' "$out/report.md"
# every accuracy interval inside [0, 1] (logit intervals)
check "accuracy intervals within [0, 1]" bash -c "! grep -oE ' 0\.[0-9]{3} \[-[0-9.]+,|, 1\.[0-9]*[1-9][0-9]*\]' '$out/report.md' | grep -q ."
check "table of contents" grep -q '^- \[Summary\](#summary)' "$out/report.md"
check "table of contents in HTML" grep -q '<nav>' "$out/report.html"
check "one table across tasks" grep -q '^| configuration | copy' "$out/report.md"
check "validation metric curves drawn from their data" test -s "$out/report-figures/curves-copy-metric.dat"
check "multiplicity control said" grep -q 'Benjamini-Hochberg' "$out/report.md"
check "machine and code" grep -q '## Machine and code' "$out/report.md"
check "memory budget section" grep -q '## Longest sequence within a memory budget' "$out/report.md"
check "claims section with verdicts" grep -qE '^- verdict: \*\*(supported|contradicted|inconclusive)\*\*' "$out/report.md"
check "a claim's figure, the published one and the scale" bash -c "grep -A8 'id=\"claim-encoder-params\"' '$out/report.md' | grep -q '^- published figure: ALBERT' && grep -q '^- scale: ' '$out/report.md'"
check "claims not measured on one line" test "$(grep -c '^Not measured by these runs: ' "$out/report.md")" = 1
check "no internal check syntax in prose" bash -c "! grep -qE 'No data for|metric=[a-z_]+ a=' '$out/report.md'"
check "frontier summary (or not learned)" grep -qE 'on the frontier \(significantly better|not learned at this budget' "$out/report.md"
check "not measured said" grep -q 'Not measured in these runs' "$out/report.md"
# all computes what none does with a quarter of the parameters: matched in compute, not in parameters
check "compute-matched section" grep -qE '^#+ copy: at equal parameters and at equal compute' "$out/report.md"
check "compute-matched row: FLOPs per token, none matched in both computes, not in parameters" \
  grep -qE '^\| all \| [0-9,]+ \| [0-9.]+ [kMG] \| [0-9.]+ [kMG] \| [0-9.]+ \[[0-9.]+, [0-9.]+\] \| - \| none \((tie|better|worse)[^|]*\) \| none \((tie|better|worse)' "$out/report.md"
check "compute-matched pairs counted" grep -qE '^Matched pairs: 1; tested: 1; significantly different after adjustment: [01]\.' "$out/report.md"
for f in curves-copy pareto-copy resources-copy budget-runs budget-encoder matched-copy; do
  check "figure $f.png" test -s "$out/report-figures/$f.png"
  check "figure $f.svg" test -s "$out/report-figures/$f.svg"
done
check "HTML embeds the figures" test "$(grep -o 'src="data:image/png;base64,' "$out/report.html" | wc -l)" -ge 5
check "HTML needs no network" bash -c "! grep -qiE '(src|href)=\"(https?:)?//|<script|<link' '$out/report.html'"

# synthetic analysis series (gradient noise growing with depth): the analysis figures appear
sqlite3 "$db" "
WITH RECURSIVE st(s) AS (SELECT 0 UNION ALL SELECT s + 10 FROM st WHERE s < 20), ly(l) AS (SELECT 0 UNION ALL SELECT 1)
INSERT INTO series(run_id, metric, step, layer, head, value)
  SELECT r.id, 'grad.ffn.' || m.k, st.s, ly.l, -1, (1 + ly.l) * m.f FROM runs r, st, ly, (SELECT 'trace_cov' k, 2.0 f UNION ALL SELECT 'sqnorm', 0.1) m;
WITH RECURSIVE ly(l) AS (SELECT 0 UNION ALL SELECT 1)
INSERT INTO series(run_id, metric, step, layer, head, value) SELECT r.id, 'attn.js', 30, ly.l, -1, 0.3 - 0.1 * ly.l FROM runs r, ly;
WITH RECURSIVE a(i) AS (SELECT -1 UNION ALL SELECT i + 1 FROM a WHERE i < 1)
INSERT INTO series(run_id, metric, step, layer, head, value) SELECT r.id, 'cka.linear', 30, a.i, b.i, CASE WHEN a.i = b.i THEN 1 ELSE 0.5 END FROM runs r, a, a b;
WITH RECURSIVE e(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM e WHERE i < 3)
INSERT INTO series(run_id, metric, step, layer, head, value)
  SELECT r.id, m.k, e.i, -1, -1, CASE m.k WHEN 'pgd.eps' THEN 0.1 * e.i ELSE 0.9 - 0.2 * e.i END FROM runs r, e, (SELECT 'pgd.eps' k UNION ALL SELECT 'pgd.accuracy') m;"
"$SB" report --db "$db" --out "$out" --name analysed 2>"$dir/log"; rc=$?
check "report with analyses exits 0 (got $rc)" test "$rc" = 0
for f in gradnoise-copy heads-copy cka-copy attack-copy; do
  check "analysis figure $f.png" test -s "$out/analysed-figures/$f.png"
done
check "attack curve from size 0" bash -c "head -1 '$out/analysed-figures/attack-copy.dat' | grep -q '^0 '"
check "attack caption defines its accuracy" grep -q 'Per-example accuracy (an example counts when every scored position is right' "$out/analysed.md"
check "depth claim measured" bash -c "grep -A12 'id=\"claim-depth-noise\"' '$out/analysed.md' | grep -q '^- verdict: \*\*supported\*\*'"

# one run in depth
rid=$(sqlite3 "$db" "SELECT id FROM runs WHERE sharing = 'all' ORDER BY id LIMIT 1")
"$SB" report --db "$db" --run "$rid" --out "$out" >"$dir/stdout" 2>"$dir/log"; rc=$?
check "report --run exits 0 (got $rc: $(cat "$dir/log"))" test "$rc" = 0
check "report --run: named run-ID" test -s "$out/run-$rid.md" -a -s "$out/run-$rid.html"
check "report --run: its title" grep -q "^# sharebench run $rid: copy, sharing all, seed" "$out/run-$rid.md"
check "report --run: the sharing map" grep -qE '^- attn \(1 unique\): 0 0' "$out/run-$rid.md"
check "report --run: results with standard errors" grep -qE '^\| test \| [0-9.]+ ± [0-9.]+ \|' "$out/run-$rid.md"
check "report --run: step memory" grep -q '^| AdamW moments | ' "$out/run-$rid.md"
check "report --run: curves and per-depth figures" test -s "$out/run-$rid-figures/curves-copy.png" -a -s "$out/run-$rid-figures/gradnoise-copy.png"
check "report --run: every key" grep -q '^| sharing | all |' "$out/run-$rid.md"
"$SB" report --db "$db" --run 999999 --out "$dir/badrun" 2>"$dir/err"; rc=$?
check "report --run of no such run exits 2 (got $rc)" test "$rc" = 2 -a ! -e "$dir/badrun"
check "report --run of no such run named" grep -q 'run 999999: no such run' "$dir/err"
"$SB" report --db "$db" --run "$rid" --sweep tiny --out "$dir/badrun" 2>"$dir/err"; rc=$?
check "report --run with --sweep exits 2 (got $rc)" test "$rc" = 2 -a ! -e "$dir/badrun"
"$SB" report --db "$db" --run x1 --out "$dir/badrun" 2>"$dir/err"; rc=$?
check "report --run x1 exits 2 (got $rc)" test "$rc" = 2 -a ! -e "$dir/badrun"

check "HTML well formed, links resolve ($(python3 tests/html_check.py "$out/report.html" "$out/run-$rid.html" 2>&1))" \
  python3 tests/html_check.py "$out/report.html" "$out/run-$rid.html"

# the speed pass: each configuration timed again alone, after the sweep's cells;
# its timing runs are no configuration of their own, and the report takes its
# speeds from them
sp=$dir/speed.db
sqlite3 "$db" ".backup '$sp'"
"$SB" sweep "$dir/tiny.ini" --db "$sp" --jobs 2 --resume --speed-pass 2 >"$dir/sp.out" 2>"$dir/sp.err"; rc=$?
check "speed pass exits 0 (got $rc: $(cat "$dir/sp.err"))" test "$rc" = 0
check "speed pass: no cell run again, 4 timing runs" grep -q 'sweep tiny: 0 cells run.*sweep tiny: 4 timing runs run: 4 finished' <(tr '\n' ' ' <"$dir/sp.out")
check "speed pass: each names the first cell of the configuration it times" \
  test "$(sqlite3 "$sp" "SELECT COUNT(*) FROM params p JOIN runs r ON r.cell = p.value WHERE p.key = 'speed_of' AND r.seed = 1")" = 4
"$SB" sweep "$dir/tiny.ini" --db "$sp" --jobs 2 --resume --speed-pass 2 >"$dir/sp.out" 2>"$dir/sp.err"
check "speed pass resumed: nothing run again" grep -q 'sweep tiny: 0 timing runs run' "$dir/sp.out"
check "list marks the 4 timing runs" test "$("$SB" list --db "$sp" | grep -c '(timing run)')" = 4
# which runs the speeds come from, not this machine's load: every run clean
sqlite3 "$sp" "UPDATE metrics SET value = 0 WHERE key IN ('contended', 'infer_contended')"
"$SB" report --db "$sp" --out "$out" --name speed 2>"$dir/log"; rc=$?
check "report with a speed pass exits 0 (got $rc)" test "$rc" = 0
check "report: still 2 configurations of 3 runs" test "$(grep -cE '^\| (none|all) \| 3/3 \|' "$out/speed.md")" = 2
check "report: timing runs counted apart" grep -q 'of 2 configurations, 3 seeds each; and 4 timing runs of its speed pass' "$out/speed.md"
check "report: speeds from the speed pass" grep -q "Speeds .* come from the sweep's speed pass" "$out/speed.md"
check "speed intervals in the table (over the timing runs)" grep -qE '^\| all \| 3/3 \| [0-9,]+ \| [0-9.]+% fewer \| [0-9]+ \[[0-9]+, [0-9]+\]' "$out/speed.md"
tid=$(sqlite3 "$sp" "SELECT run_id FROM params WHERE key = 'speed_of' AND value != '' LIMIT 1")
"$SB" report --db "$sp" --run "$tid" --out "$dir/badrun" 2>"$dir/err"; rc=$?
check "report --run of a timing run exits 2, saying so (got $rc)" grep -q 'a timing run of a speed pass' "$dir/err"
"$SB" sweep "$dir/tiny.ini" --db "$sp" --speed-pass 1 >/dev/null 2>"$dir/err"; rc=$?
check "--speed-pass 1 exits 2 (got $rc)" test "$rc" = 2

# a task at chance: every test result set to the chance level is "not learned", with no frontier
atchance=$dir/atchance.db
sqlite3 "$db" ".backup '$atchance'"
sqlite3 "$atchance" "UPDATE metrics SET value = (SELECT c.value FROM metrics c WHERE c.run_id = metrics.run_id AND c.key = 'chance') WHERE key = 'test'"
"$SB" report --db "$atchance" --out "$out" --name atchance 2>"$dir/log"; rc=$?
check "report at chance exits 0 (got $rc)" test "$rc" = 0
check "task at chance flagged not learned" grep -q 'copy: \*\*not learned at this budget\*\*' "$out/atchance.md"
check "task at chance: no frontier claimed" bash -c "! grep -qE 'on the frontier \(|^\| (none|all) \|.*\| frontier \|$' '$out/atchance.md'"
check "task at chance: empty frontier line" bash -c "! grep -q . '$out/atchance-figures/pareto-copy-front.dat'"

# a task with more configurations than a fixed array of the report once held
# (256, on the stack): 300 copies of one run, each with its own lr
wide=$dir/wide.db
sqlite3 "$db" ".backup '$wide'"
sqlite3 "$wide" "
PRAGMA foreign_keys = ON;
DELETE FROM runs WHERE id != (SELECT MIN(id) FROM runs);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
INSERT INTO runs(id, cell, config_hash, sweep, task, sharing, seed, status, error, diverged_step, started, ended,
                 wall_seconds, code_version, host, cpu, cores, threads, blas)
  SELECT r.id + n.i, r.cell || n.i, config_hash, sweep, task, sharing, seed, status, error, diverged_step, started, ended,
         wall_seconds, code_version, host, cpu, cores, threads, blas FROM runs r, n;
INSERT INTO params(run_id, key, value)
  SELECT r.id, p.key, CASE p.key WHEN 'lr' THEN printf('%d', r.id) ELSE p.value END
  FROM params p, runs r WHERE p.run_id = (SELECT MIN(id) FROM runs) AND r.id != p.run_id;
INSERT INTO metrics(run_id, key, value)
  SELECT r.id, m.key, m.value FROM metrics m, runs r WHERE m.run_id = (SELECT MIN(id) FROM runs) AND r.id != m.run_id;"
"$SB" report --db "$wide" --out "$out" --name wide 2>"$dir/log"; rc=$?
check "300 configurations of a task: report exits 0 (got $rc: $(cat "$dir/log"))" test "$rc" = 0
check "300 configurations of a task: a row each" test "$(grep -cE '^\| [a-z]+ \(lr=[0-9.]+\) \| 1/1 \|' "$out/wide.md")" = 300

# a claim of one's own
cat > "$dir/claims.txt" <<'TXT'
[mine]
claim = Sharing everything loses no more than 0.5 accuracy on copying.
check = compare metric=test a=all b=none better=higher
TXT
"$SB" report --db "$db" --out "$out" --name mine --claims "$dir/claims.txt" 2>"$dir/log"; rc=$?
check "own claims file exits 0 (got $rc)" test "$rc" = 0
check "own claim reported (measured, or not with the reason)" grep -qE '^### mine|^Not measured by these runs: mine \((copy: not learned|it needs)' "$out/mine.md"

# bad input: 2, nothing written
bad=$dir/bad
printf '[x]\nclaim = y\ncheck = compare metric=test a=all frobnicate=1\n' > "$dir/badclaims.txt"
"$SB" report --db "$db" --out "$bad" --claims "$dir/badclaims.txt" 2>"$dir/err"; rc=$?
check "bad claims file exits 2 (got $rc)" test "$rc" = 2
check "bad claims file named with the key" grep -q 'frobnicate' "$dir/err"
"$SB" report --db "$db" --out "$bad" --budget lots 2>"$dir/err"; rc=$?
check "bad budget exits 2 (got $rc)" test "$rc" = 2
"$SB" report --db "$dir/none.db" --out "$bad" 2>"$dir/err"; rc=$?
check "missing database exits 2 (got $rc)" test "$rc" = 2
check "missing database named" grep -q 'none.db' "$dir/err"
check "bad input writes nothing" test ! -e "$bad"

# the published claims' sweeps: each lists the cells its opening comment
# says, and every claim that names one compares modes that sweep runs
root=$(dirname "$0")/..
for f in "$root"/bench/sweeps/claims-*.ini; do
  want=$(grep -oE '^# .*[0-9]+ runs' "$f" | grep -oE '[0-9]+ runs' | cut -d' ' -f1)
  check "$f: $want cells" bash -c "'$SB' sweep '$f' --db '$dir/dry.db' --dry-run | grep -q '$want cells'"
done
python3 - "$root" >"$dir/py" 2>&1 <<'PY'
import fnmatch, re, sys
root = sys.argv[1]
text = open(root + "/bench/claims.txt").read()
claims = {}
for block in re.split(r"(?m)^\[", text)[1:]:
    cid, body = block.split("]", 1)
    claims[cid] = body
found = 0
for cid, body in claims.items():
    m = re.search(r"sweeps/(claims-[a-z]+\.ini)", body)
    if not m:
        continue
    sweep = open(root + "/bench/sweeps/" + m.group(1)).read()
    modes = re.search(r"(?m)^sharing = (.*)$", sweep).group(1).split()
    for check in re.findall(r"(?m)^check = (compare|within) (.*)$", body):
        keys = dict(kv.split("=", 1) for kv in check[1].split())
        a, b = keys["a"], keys.get("b", "none")
        assert b in modes, (cid, b, modes)
        assert any(fnmatch.fnmatchcase(x, a) for x in modes if x != b), (cid, a, modes)
        found += 1
assert found >= 10, found
PY
check "claims name modes their sweeps run ($(cat "$dir/py"))" test ! -s "$dir/py"

finish
