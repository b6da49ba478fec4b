# e2e-lib.sh: what the end-to-end scripts that count their checks share,
# sourced once NAME (the script's name in its messages), SB and dir are set:
# check, the tiny sweep, the closing line. (Not named e2e_*.sh: it is no test.)
passed=0 failed=0

# check DESCRIPTION COMMAND...: count the command's success, or say its failure.
check() {
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "$NAME: FAIL: $what"; fi
}

# abort MESSAGE: a failure that leaves nothing further to check; ends the script.
abort() {
  echo "$NAME: FAIL: $*"
  echo "$NAME: $passed passed, $((failed + 1)) failed"
  exit 1
}

# tiny_sweep DB: the tiny sweep ($dir/tiny.ini: copy, 30 steps, seeds 1 to 3,
# sharing none and all) run into DB.
tiny_sweep() {
  cat > "$dir/tiny.ini" <<'INI'
[sweep]
name = tiny
[run]
task = copy
knobs = len=4
steps = 30
batch = 8
eval_examples = 16
test_examples = 64
seed = 1 2 3
[model]
preset = tiny
sharing = none all
INI
  "$SB" sweep "$dir/tiny.ini" --db "$1" --jobs 2 >"$dir/sweep.log" 2>&1 || abort "sweep: $(cat "$dir/sweep.log")"
}

# finish: the closing line; succeeds when no check failed (the script's status as its last command).
finish() {
  echo "$NAME: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}
