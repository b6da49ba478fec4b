#!/bin/bash
# End-to-end: `make install` into a temporary DESTDIR with PREFIX=/opt/sb, then
# the installed program used from another directory as a user would: --version
# (naming the installed data), a run, a shipped sweep by name (its suite found
# in the share directory), a report (claims and gnuplot scripts from there), the
# man page, bash completion, the engine through pkg-config; a copy of the
# program with no data beside it says where it looked, and SHAREBENCH_DATA
# points it there; `make uninstall` removes every file.
set -u
SB=${1:-build/release/sharebench}
FROM=$(dirname "$SB")
top=$(pwd)
dest=$(mktemp -d /tmp/sb-e2e-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail() { echo "e2e_install: FAIL: $*"; exit 1; }
root=$dest/opt/sb
work=$dest/work
mkdir -p "$work"
# a make of its own (not the caller's job server), from the build being tested
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$top" "$@" DESTDIR="$dest" PREFIX=/opt/sb \
  INSTALL_FROM="$FROM" NO_DEPS=1; }
mk install >"$dest/install.log" 2>&1 || fail "make install: $(cat "$dest/install.log")"
for f in bin/sharebench share/sharebench/claims.txt share/sharebench/sweeps/smoke.ini share/sharebench/suites/smoke.suite \
         share/sharebench/plots/pareto.gp share/sharebench/peers/torch_train.py share/man/man1/sharebench.1 \
         share/bash-completion/completions/sharebench lib/libsharebench.a lib/pkgconfig/sharebench.pc include/sharebench/core/model.h include/sharebench/io/checkpoint.h; do
  [ -s "$root/$f" ] || fail "make install did not install $f"
done
[ ! -e "$root/include/sharebench/core/model_internal.h" ] || fail "an internal header was installed"

cd "$work" || fail "cd $work"
export OMP_NUM_THREADS=1
bin=$root/bin/sharebench
"$bin" --version >"$work/version" || fail "--version: exit $?"
# the commit (git describe), or "unknown" when built outside a git checkout
# (a tarball), and the hash of the sources compiled in
commit='[0-9a-f]'; git -C "$top" rev-parse --git-dir >/dev/null 2>&1 || commit='unknown'
head -1 "$work/version" | grep -qE "^sharebench $commit.* src:[0-9a-f]{16}\$" || fail "--version's first line: $(head -1 "$work/version")"
grep -q "^BLAS kernels: " "$work/version" && grep -q "^products: oneDNN " "$work/version" && grep -q "^built with: " "$work/version" || fail "--version: $(cat "$work/version")"
grep -qx "data: $(realpath "$root/share/sharebench")" "$work/version" || fail "--version does not name the installed data: $(cat "$work/version")"
[ "$("$bin" -V | head -1)" = "$(head -1 "$work/version")" ] || fail "-V differs from --version"

quick="steps=2 eval_examples=8 test_examples=8 analysis=0"
"$bin" run --task copy:len=4 --preset tiny --db "$work/r.db" $quick >"$work/run.out" 2>"$work/run.err" || fail "run: $(cat "$work/run.err")"
grep -q "stored .*run 1 in $work/r.db" "$work/run.out" || fail "run's headline: $(cat "$work/run.out")"
"$bin" sweep smoke --db "$work/r.db" --jobs 2 seed=1 width=16 ffn=32 heads=2 $quick >"$work/sweep.out" 2>"$work/sweep.err" ||
  fail "the shipped sweep by name: $(cat "$work/sweep.err")"
grep -q "^sweep smoke: .* cells run: .* 0 failed" "$work/sweep.out" || fail "sweep summary: $(cat "$work/sweep.out")"
grep -q "elapsed, ~.* left" "$work/sweep.err" || fail "sweep progress off a terminal has no elapsed time and estimate: $(cat "$work/sweep.err")"
"$bin" report --db "$work/r.db" --sweep smoke --out "$work/rep" >"$work/report.out" 2>"$work/report.err" || fail "report: $(cat "$work/report.err")"
[ -s "$work/rep/report.md" ] && [ -s "$work/rep/report.html" ] || fail "report wrote nothing"
grep -q "$(realpath "$root/share/sharebench")/claims.txt\|share/sharebench/claims.txt" "$work/rep/report.md" || fail "the report's claims are not the installed ones"
ls "$work/rep/report-figures/"*.png >/dev/null 2>&1 || fail "no figures drawn with the installed scripts: $(cat "$work/report.out" "$work/report.err")"

# the man page: by man when it is there (its path follows PATH), else its header
if command -v man >/dev/null; then
  PATH=$root/bin:$PATH MANPAGER=cat MANWIDTH=100 man sharebench 2>/dev/null >"$work/man" || fail "man sharebench: exit $?"
  grep -q "SHAREBENCH_DATA" "$work/man" && grep -q "export-hf" "$work/man" || fail "man sharebench: $(head -20 "$work/man")"
else
  grep -q '^\.TH SHAREBENCH "1"' "$root/share/man/man1/sharebench.1" || fail "sharebench.1 is not a man page"
fi
# bash completion: commands and a command's options, from the help text
comp=$(PATH=$root/bin:$PATH bash -c "source '$root/share/bash-completion/completions/sharebench'
  COMP_WORDS=(sharebench sw); COMP_CWORD=1; _sharebench; echo \${COMPREPLY[*]}
  COMP_WORDS=(sharebench export --lo); COMP_CWORD=2; _sharebench; echo \${COMPREPLY[*]}
  COMP_WORDS=(sharebench sweep claims-c); COMP_CWORD=2; _sharebench; echo \${COMPREPLY[*]}")
[ "$comp" = $'sweep\n--long\nclaims-cla' ] || fail "bash completion: $comp"
# the engine from C, through pkg-config
cat >"$work/prog.c" <<'C'
#include <sharebench/core/model.h>
#include <stdio.h>
int main(void)
{
    sb_config c;
    char err[SB_ERR_LEN];
    sb_config_default(&c);
    c.width = 16; c.heads = 2; c.ffn = 32; c.vocab = 11; c.max_len = 8;
    sb_model *m = sb_model_create(&c, 1, 8, 1, 0, err, sizeof err);
    if (!m) { puts(err); return 1; }
    int tok[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, tgt[8] = { 2, 3, 4, 5, 6, 7, 8, 9 };
    printf("%ld %.3f\n", sb_model_n_params(m), sb_model_forward(m, tok, NULL, tgt, NULL, 1, 8));
    sb_model_free(m);
    return 0;
}
C
san=$(nm "$root/lib/libsharebench.a" 2>/dev/null | grep -q __asan_ && echo "-fsanitize=address,undefined")
flags=$(PKG_CONFIG_PATH=$root/lib/pkgconfig pkg-config --define-variable=prefix="$root" --cflags --libs sharebench) ||
  fail "pkg-config sharebench"
# shellcheck disable=SC2086
cc -std=c11 $san "$work/prog.c" -o "$work/prog" $flags 2>"$work/cc.err" || fail "a program using pkg-config's flags: $(cat "$work/cc.err")"
"$work/prog" | grep -qE '^[0-9]+ 2\.[0-9]{3}$' || fail "the program built on the installed engine: $("$work/prog")"

# a copy with no data beside it: the message says where it looked; SHAREBENCH_DATA finds them
mkdir -p "$work/lonely" && cp "$bin" "$work/lonely/"
"$work/lonely/sharebench" report --db "$work/r.db" --out "$work/rep2" 2>"$work/lonely.err"; rc=$?
[ $rc = 2 ] && grep -q "claims.txt: not found in .*SHAREBENCH_DATA" "$work/lonely.err" || fail "a lonely copy: exit $rc: $(cat "$work/lonely.err")"
SHAREBENCH_DATA=$root/share/sharebench "$work/lonely/sharebench" report --db "$work/r.db" --out "$work/rep2" >/dev/null 2>&1 ||
  fail "SHAREBENCH_DATA did not lead to the data"

cd "$top" || exit 1
mk uninstall >"$dest/uninstall.log" 2>&1 || fail "make uninstall: $(cat "$dest/uninstall.log")"
left=$(find "$root" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "e2e_install: installed under DESTDIR/opt/sb; --version, a run, the smoke sweep by name, a report, man, completion and pkg-config work from $work; uninstalled"
