#!/bin/bash
# End-to-end, table-driven: every subcommand given missing, repeated,
# out-of-range and malformed options (and configurations that cannot work, or
# do not fit in memory) must exit 2 with a message naming the offending
# option, key or value, and write nothing: no database created, an existing
# database unchanged, no output file.
set -u
SB=${1:-build/release/sharebench}
dir=$(mktemp -d /tmp/sb-e2e-cli-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "e2e_cli: FAIL: $*"; exit 1; }

DB=$dir/runs.db            # an existing database (the fuzz corpus's): must stay as it is
NEW=$dir/new.db            # must never be created
OUT=$dir/out               # output directory: must stay empty
BASE=$dir/base.csv
cp tests/fuzz/corpus/database/tiny.db "$DB"
cp tests/fuzz/corpus/baseline/tiny.csv "$BASE"
mkdir -p "$OUT"
cat > "$dir/ok.ini" <<'INI'
[run]
task = copy:len=4
steps = 2
[model]
preset = tiny
sharing = none all
INI
# the last cells cannot be built: refused before the first runs
printf '[run]\ntask = copy:len=4\n[model]\npreset = tiny\nheads = 2 3\nsharing = none all\n' > "$dir/lastbad.ini"
# cells building the same model as an earlier cell, which keys outside the
# model make impossible: each checked too, before the first runs
printf '[run]\ntask = copy:len=4\nsteps = 2\nteacher = none /nonexistent.safetensors\n[model]\npreset = tiny\n' > "$dir/teacher2.ini"
printf '[run]\ntask = copy:len=4\nsteps = 2\nfactor_init = train svd\n[model]\npreset = tiny\n' > "$dir/factor2.ini"
printf '[run]\ntask = copy:len=4\nsteps = 2\npgd_eps = 0.1 200\n[model]\npreset = tiny\n' > "$dir/eps2.ini"
# 64 x 64 x 64 cells (the widths on continuation lines), and a line too long for the INI reader
{ echo "[run]"; echo "task = copy"; printf 'seed ='; printf ' %d' $(seq 1 64); echo
  printf 'data_seed ='; printf ' %d' $(seq 1 64); echo; echo "[model]"
  printf 'width ='; printf ' %d' $(seq 8 8 256); printf '\n '; printf ' %d' $(seq 264 8 512); echo; } > "$dir/huge.ini"
{ echo "[run]"; echo "task = copy"; printf 'seed ='; printf ' %d' $(seq 1 64); echo; echo "[model]"
  printf 'width ='; printf ' %d' $(seq 8 8 512); echo; } > "$dir/long.ini"
# a cell far too large for this machine's memory (and not for the engine's counts)
printf '[run]\ntask = copy\nbatch = 4096\n[model]\nwidth = 4096\nheads = 32\nffn = 16384\nlayers = 48\n' > "$dir/toobig.ini"
printf '[run]\ntask = copy\nsteps = 3\n[model]\nwidth = 64\n[run]\nsteps = 4\n' > "$dir/twice.ini"
# a NUL byte (steps = 3 would be read for "3<NUL>0"), a name that is not UTF-8
printf '[run]\ntask = copy\nsteps = 3\0000\n' > "$dir/nul.ini"
printf '[sweep]\nname = caf\351\n[run]\ntask = copy\n' > "$dir/latin1.ini"
printf '[claim]\nclaim = x\000y\ncheck = params a=all b=none\n' > "$dir/nul-claims.txt"
printf 'copy len=8\nsort\000 len=4\n' > "$dir/nul.suite"
mkdir -p "$dir/adir"
sum() { md5sum "$DB" | cut -d' ' -f1; }
before=$(sum)

# expected fragment of the message <TAB> arguments (placeholders: DB NEW OUT BASE DIR)
cases=$(cat <<'TABLE'
usage: sharebench COMMAND
unknown command 'frobnicate'	frobnicate
option '--task' needs a value	run --task
option '--task' given twice	run --task copy --task copy --db NEW
unknown option '--frobnicate'	run --frobnicate --db NEW
unknown option '-x'	run -x --db NEW
steps='-1'	run --task copy --steps -1 --db NEW
steps='ten'	run --task copy --steps ten --db NEW
lr='1e99'	run --task copy --lr 1e99 --db NEW
batch='0'	run --task copy --batch 0 --db NEW
seed='99999999999'	run --task copy --seed 99999999999 --db NEW
threads='5000'	run --task copy --threads 5000 --db NEW
key 'steps' given twice	run --task copy steps=5 steps=6 --db NEW
key 'steps' given twice	run --task copy --steps 5 steps=6 --db NEW
'width' is not an option or KEY=VALUE	run --task copy width --db NEW
unknown key 'nokey'	run --task copy nokey=1 --db NEW
no task given	run --db NEW
nosuchtask	run --task nosuchtask --db NEW
len=9999	run --task copy knobs=len=9999 --db NEW
cycle:9	run --task copy --sharing cycle:9 --db NEW
sharing='cycle:2++untie:1': an empty term	run --task copy --sharing cycle:2++untie:1 --db NEW
lowrank is given twice	sweep DIR/ok.ini sharing=lowrank:2+lowrank:4 --db NEW
an empty term	params sharing=all+
nul.ini:3: a NUL byte	sweep DIR/nul.ini --db NEW
nul.ini:3: a NUL byte	run --config DIR/nul.ini --db NEW
latin1.ini:2: name: byte 0xE9	sweep DIR/latin1.ini --db NEW
adir: is a directory	sweep DIR/adir --db NEW
adir: is a directory	run --config DIR/adir --db NEW
nul.suite:2: a NUL byte	sweep DIR/ok.ini suite=DIR/nul.suite --db NEW
save=/dev/full: not a regular file	run --task copy --save /dev/full --db NEW
nosuchdir' does not exist	run --task copy --save DIR/nosuchdir/x.safetensors --db NEW
sequence:5	run --task copy --sharing sequence:5 layers=7 --db NEW
map:0,1,2	run --task copy --sharing map:0,1,2 --db NEW
sharing='cycle:2+': an empty term	run --task copy --sharing cycle:2+ --db NEW
sharing='+': an empty term	run --task copy --sharing + --db NEW
untie is given twice	run --task copy --sharing all+untie:1+untie:2 --db NEW
quant=int8 with sharing modifier lowrank:2	run --task copy --sharing lowrank:2 quant=int8 --db NEW
lowrank:2 with factor=4	run --task copy --sharing cycle:2+lowrank:2 factor=4 --db NEW
sharing_ffn='kv_share:2': a per-sublayer map takes a base map and untie:K only	run --task copy sharing_ffn=kv_share:2 --db NEW
heads=3 does not divide width=128	run --task copy heads=3 --db NEW
kv_heads=3	run --task copy kv_heads=3 --db NEW
max_len=4 is below task copy's longest sequence	run --task copy max_len=4 --db NEW
width='65537'	run --task copy width=65537 --db NEW
causal=0	run --task copy causal=0 --db NEW
nosuchpreset	run --task copy --preset nosuchpreset --db NEW
--mem-budget of 1.0 MiB	run --task copy --mem-budget 1M --db NEW
--mem-budget 'lots'	run --task copy --mem-budget lots --db NEW
--mem-budget '-2G'	run --task copy --mem-budget -2G --db NEW
option '--mem-budget' given twice	run --task copy --mem-budget 1G --mem-budget 2G --db NEW
available (	run --config DIR/toobig.ini --db NEW
/nonexistent.ini	run --config /nonexistent.ini --db NEW
option '--dp' given twice	run --task copy --dp --dp --db NEW
sparsity='2'	run --task copy prune=magnitude sparsity=2 --db NEW
quant='int9'	run --task copy quant=int9 --db NEW
teacher: /nonexistent.safetensors	run --task copy teacher=/nonexistent.safetensors --db NEW
/nonexistent.safetensors	run --task copy --init-from /nonexistent.safetensors --db NEW
lists several values	run --config DIR/ok.ini --db NEW
no sweep file given	sweep --db NEW
option '--jobs' needs a value	sweep DIR/ok.ini --db NEW --jobs
--jobs '0'	sweep DIR/ok.ini --jobs 0 --db NEW
--jobs '2x'	sweep DIR/ok.ini --jobs 2x --db NEW
--jobs '4294967297'	sweep DIR/ok.ini --jobs 4294967297 --db NEW
option '--jobs' given twice	sweep DIR/ok.ini --jobs 2 --jobs 2 --db NEW
--threads '0'	sweep DIR/ok.ini --threads 0 --db NEW
--rank-timeout '0'	sweep DIR/ok.ini --rank-timeout 0 --db NEW
option '--resume' given twice	sweep DIR/ok.ini --resume --resume --db NEW
option '--db' given twice	sweep DIR/ok.ini --db NEW --db NEW
unknown option '--bogus'	sweep DIR/ok.ini --bogus --db NEW
/nonexistent.ini	sweep /nonexistent.ini --db NEW
steps='x'	sweep DIR/ok.ini steps=x --db NEW
key 'steps' given twice	sweep DIR/ok.ini steps=1 steps=2 --db NEW
lastbad.ini: cell 3 (	sweep DIR/lastbad.ini --db NEW
cell 2 (copy sharing=none seed=1 (width=32 layers=2)): teacher: /nonexistent.safetensors	sweep DIR/teacher2.ini --db NEW
cell 2 (copy sharing=none seed=1 (width=32 layers=2)): factor_init=svd	sweep DIR/factor2.ini --db NEW
cell 2 (copy sharing=none seed=1 (width=32 layers=2)): pgd_eps	sweep DIR/eps2.ini --db NEW
more than 100000 cells	sweep DIR/huge.ini --db NEW
long.ini:5: line of 250 characters	sweep DIR/long.ini --db NEW
key 'steps' given twice	sweep DIR/twice.ini --db NEW
--mem-budget of 1.0 KiB	sweep DIR/ok.ini --mem-budget 1K --db NEW
cells may run at once	sweep DIR/ok.ini --jobs 2 --mem-budget 4M --db NEW
available (	sweep DIR/toobig.ini --db NEW
--batch '0'	params --batch 0
--batch 'x'	params --batch x
--length '99999999'	params --length 99999999
option '--preset' needs a value	params --preset
option '--preset' given twice	params --preset tiny --preset small
key 'layers' given twice	params layers=2 layers=3
heads=3 does not divide	params heads=3
length 300 is above the 256 positions	params --length 300
sequence:5	params sharing=sequence:5 layers=7
unknown term 'cycles:2' (did you mean 'cycle:2'?); known: base maps none, all, attn, ffn, sequence:K, cycle:K, cycle_rev:K, map:I,J,..., loop:P,K,C; modifiers untie:K, lowrank:R, hyper:D, basis:R, kv_share:S, v_share:S, attn_reuse:S, yoco:W	params sharing=cycles:2
more than any machine has	params --batch 1048576 --length 1048576 max_len=1048576
unknown model key 'frob'	params frob=1
option '--knobs' given twice	tasks --knobs --knobs
unknown option '--x'	tasks --x
unexpected argument 'extra'	tasks extra
--limit '0'	list --db DB --limit 0
--limit 'abc'	list --db DB --limit abc
--status 'weird'	list --db DB --status weird
option '--db' needs a value	list --db
option '--db' given twice	list --db DB --db DB
unexpected argument 'extra'	list --db DB extra
no such file	list --db NEW
--format 'xml'	export --db DB --format xml
--limit '-5'	export --db DB --limit -5
option '--output' needs a value	export --db DB --output
option '-o' needs a value	export --db DB -o
option '--series' given twice	export --db DB --series --series -o OUT/x.csv
no such file	export --db NEW -o OUT/x.csv
No such file or directory	check --db NEW
option '--db' needs a value	check --db
unexpected argument 'extra'	check --db DB extra
option '--quiet' given twice	check --db DB --quiet --quiet
--format 'xml'	metrics --format xml
option '--format' needs a value	metrics --format
option '--format' given twice	metrics --format csv --format json
unexpected argument 'extra'	metrics extra
no runs match --sweep nosuch	baseline --db DB --sweep nosuch -o OUT/b.csv
expected a results database, not a baseline file	baseline --db BASE -o OUT/b.csv
option '--output' given twice	baseline --db DB -o OUT/b.csv --output OUT/c.csv
'step_mss' is not a series sharebench records	baseline --db DB --series train_loss,step_mss -o OUT/b.csv
no --baseline FILE given	gate --db DB
--tolerance	gate --baseline BASE --db DB --tolerance abc --markdown OUT/g.md
--alpha	gate --baseline BASE --db DB --alpha 2 --markdown OUT/g.md
--min-seeds	gate --baseline BASE --db DB --min-seeds 0 --markdown OUT/g.md
option '--baseline' given twice	gate --baseline BASE --baseline BASE --db DB
name the same file	gate --baseline BASE --db DB --markdown OUT/g --json OUT/g
--budget 'lots'	report --db DB --out OUT --budget lots
--name 'a/b'	report --db DB --out OUT --name a/b
/nonexistent-claims.txt	report --db DB --out OUT --claims /nonexistent-claims.txt
adir: is a directory	report --db DB --out OUT --claims DIR/adir
nul-claims.txt:2: a NUL byte	report --db DB --out OUT --claims DIR/nul-claims.txt
a directory: refusing to write over it	export --db DB -o DIR/adir
a directory: refusing to write over it	baseline --db DB -o DIR/adir
a directory: refusing to write over it	gate --baseline BASE --db DB --markdown DIR/adir
option '--out' needs a value	report --db DB --out
No such file or directory	report --db NEW --out OUT
--threads '0'	bench --threads 0
option '--quick' given twice	bench --quick --quick
unexpected argument 'extra'	bench extra
--shape 'S4'	bench --shape S4
option '--db' needs a value	bench --db
did you mean 'run'?	runn
did you mean 'width'?	run --task copy widht=3 --db NEW
did you mean 'seed'?	sweep DIR/ok.ini seeds=3 --db NEW
did you mean 'copy'?	run --task cpy --db NEW
did you mean 'cycle:2'?	run --task copy --sharing cylce:2 --db NEW
did you mean 'albert-base'?	run --task copy --preset albert-bse --db NEW
did you mean '--steps'?	run --task copy --stesp 3 --db NEW
--quiet and --verbose together	run --task copy --quiet --verbose --db NEW
--quiet and --verbose together	sweep DIR/ok.ini --quiet --verbose --db NEW
--quiet and --verbose together	check --db DB --quiet --verbose
--quiet and --verbose together	report --db DB --out OUT --quiet --verbose
expected two sets of runs	compare DB --out OUT
expected two sets of runs	compare DB DB DB --out OUT
--sweep names both sides	compare DB DB --sweep x --sweep-a y --out OUT
no runs match	compare DB DB --sweep nosuch --out OUT
No such file or directory	compare DB NEW --out OUT
--name 'a/b'	compare DB DB --out OUT --name a/b
option '--out' needs a value	compare DB DB --out
--run 'x'	report --db DB --out OUT --run x
--run 999999: no such run	report --db DB --out OUT --run 999999
--run reports one run	report --db DB --out OUT --run 1 --sweep x
option '--json' needs a value	run --task copy --db NEW --json
init_optim=/nonexistent	run --task copy init_optim=/nonexistent --db NEW
only a looped model (sharing=loop:P,K,C)	run --task copy test_loops=2 --db NEW
convert=svd initialises the low-rank corrections	run --task copy convert=svd --sharing all+lowrank:2 --db NEW
train_loops=sampled: with basis the depths hold tensors	run --task copy --sharing loop:1,1,1+basis:4 ln_shared=1 train_loops=sampled --db NEW
train_loops=sampled with quant	run --task copy --sharing loop:1,1,1 ln_shared=1 train_loops=sampled quant=int8 --db NEW
with ln_shared=0 (LayerNorms per depth)	run --task copy --sharing loop:1,1,1 test_loops=3 --db NEW
with ln_shared=0 (LayerNorms per depth)	run --task copy --sharing loop:1,1,1 test_loops=3 teacher=train:none --db NEW
merge_on=plateau triggers progressive sharing's merge	run --task copy merge_on=plateau --db NEW
merge_on=	run --task copy --sharing progressive merge_on=loss --db NEW
untie_by=grad chooses the depths to untie from the trained model	run --task copy --sharing all+untie:1 untie_by=grad --db NEW
untie_by=heads: sharing='attn+untie:1': attn: the depths of untie:K are chosen on a map of both sublayers	run --task copy --sharing attn+untie:1 untie_by=heads --init-from tests/fuzz/corpus/safetensors/v2-none.safetensors --db NEW
untie_by=grad: sharing='all': has no untie:K	run --task copy --sharing all untie_by=grad --init-from tests/fuzz/corpus/safetensors/v2-none.safetensors --db NEW
unties 3 depths, but only 2 share a block in 'map:0,0,1'	run --task copy layers=3 --sharing map:0,0,1+untie:3 untie_by=grad --init-from tests/fuzz/corpus/safetensors/v2-none.safetensors --db NEW
untie_by=grad with prune	run --task copy --sharing all+untie:1 untie_by=grad prune=magnitude --init-from tests/fuzz/corpus/safetensors/v2-none.safetensors --db NEW
untie_by=	run --task copy --sharing all+untie:1 untie_by=random --db NEW
/nonexistent.optim	run --task copy --init-from tests/fuzz/corpus/safetensors/v2-none.safetensors --init-optim /nonexistent.optim --db NEW
nosuchsweep	sweep nosuchsweep --db NEW
--long and --series together	export --db DB --long --series -o OUT/x.csv
did you mean 'width'?	keys widht
did you mean 'sharing'?	params sharin=all
expected two arguments	export-hf OUT/x.safetensors
/nonexistent.safetensors	export-hf /nonexistent.safetensors OUT/hf
config.json	import-hf /nonexistent OUT/x.safetensors
expected two arguments	import-hf /nonexistent
TABLE
)

n=0
while IFS=$'\t' read -r frag args; do
  [ -n "$frag" ] || continue
  args=${args//DB/$DB}; args=${args//NEW/$NEW}; args=${args//OUT/$OUT}; args=${args//BASE/$BASE}; args=${args//DIR/$dir}
  read -ra argv <<<"$args"
  "$SB" "${argv[@]}" >"$dir/stdout" 2>"$dir/stderr"
  rc=$?
  what="sharebench $args"
  [ $rc = 2 ] || fail "$what: exit $rc, want 2: $(cat "$dir/stderr")"
  grep -qF -- "$frag" "$dir/stderr" || fail "$what: message does not name '$frag': $(cat "$dir/stderr")"
  [ ! -e "$NEW" ] && [ ! -e "$NEW-wal" ] || fail "$what: created $NEW"
  [ "$(sum)" = "$before" ] || fail "$what: changed $DB"
  [ -z "$(ls -A "$OUT")" ] || fail "$what: wrote $(ls -A "$OUT")"
  n=$((n + 1))
done <<<"$cases"

# a file read once: a pipe, /dev/stdin, a process substitution read as the file itself
want=$("$SB" sweep "$dir/ok.ini" --db "$NEW" --dry-run | tail -1)
[ "$want" = "2 cells, 2 to run (without --resume every cell runs)" ] || fail "dry run of ok.ini: $want"
got=$("$SB" sweep <(cat "$dir/ok.ini") --db "$NEW" --dry-run 2>&1 | tail -1)
[ "$got" = "$want" ] || fail "a sweep file from a process substitution: $got"
got=$(cat "$dir/ok.ini" | "$SB" sweep /dev/stdin --db "$NEW" --dry-run 2>&1 | tail -1)
[ "$got" = "$want" ] || fail "a sweep file from a pipe (/dev/stdin): $got"
got=$("$SB" sweep /dev/stdin --db "$NEW" --dry-run < "$dir/ok.ini" 2>&1 | tail -1)
[ "$got" = "$want" ] || fail "a sweep file from /dev/stdin: $got"
printf '[run]\ntask = copy:len=4\nsteps = 1\nanalysis = 0\n[model]\npreset = tiny\n' | "$SB" run --config /dev/stdin --no-store --quiet 2>"$dir/stderr" ||
  fail "a run file from a pipe: $(cat "$dir/stderr")"
[ ! -e "$NEW" ] || fail "a dry run created $NEW"
n=$((n + 4))
# a value that is not UTF-8 on the command line (stored with every run, exported as JSON)
"$SB" sweep "$dir/ok.ini" "sweep=caf"$'\xe9' --db "$NEW" 2>"$dir/stderr"; rc=$?
[ $rc = 2 ] && grep -q "not UTF-8" "$dir/stderr" && [ ! -e "$NEW" ] || fail "a sweep name not UTF-8 on the command line: exit $rc: $(cat "$dir/stderr")"
# a database holding such bytes (made elsewhere): JSON stays UTF-8, and says so
cp "$DB" "$dir/latin1.db"
sqlite3 "$dir/latin1.db" "UPDATE runs SET sweep = CAST(X'636166E9' AS TEXT) WHERE id = 1"
"$SB" export --db "$dir/latin1.db" --format json -o "$dir/latin1.json" 2>"$dir/stderr" || fail "export of a database with Latin-1 text: $(cat "$dir/stderr")"
grep -q "not UTF-8: written with U+FFFD" "$dir/stderr" || fail "export did not say it replaced bytes: $(cat "$dir/stderr")"
/usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$dir/latin1.json" || fail "export wrote invalid JSON"
"$SB" gate --baseline "$dir/latin1.db" --db "$dir/latin1.db" --json "$dir/gate.json" --markdown /dev/null 2>/dev/null
/usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$dir/gate.json" || fail "gate wrote invalid JSON"
n=$((n + 3))
# params --help lists every sharing term, to the last (a buffer too small once cut the list short)
"$SB" params --help | grep -q '^  +yoco:W .*$' && "$SB" params --help | grep -q '^  progressive\[:TARGET\] ' ||
  fail "params --help: the list of sharing terms is cut short"

echo "e2e_cli: $n argument vectors refused with exit 2, each naming its option or value; nothing written"
echo "e2e_cli: $n passed, 0 failed"
