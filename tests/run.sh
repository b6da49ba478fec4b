#!/bin/bash
# Run every cmocka test binary given, then the PyTorch cross-check when PyTorch
# is installed; print one closing line of totals and the time each program
# took (CI must stay under ten minutes). Exit non-zero on any failure.
set -u
passed=0 failed=0 skipped=0 times=""
now() { echo "${EPOCHREALTIME/./}"; }   # microseconds (bash 5)
took() { local d=$(( $(now) - $1 )); times+=$(printf '%5d.%d s  %s' $((d / 1000000)) $((d / 100000 % 10)) "$2")$'\n'; }
for t in "$@"; do
  echo "== $t"
  t0=$(now)
  if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $t"; fi
  took "$t0" "$t"
done
for e in tests/e2e_*.sh; do
  [ -f "$e" ] || continue
  echo "== $e"
  t0=$(now)
  bash "$e" "$BUILD/sharebench"; rc=$?   # 77: skipped (what is missing is said)
  if [ $rc = 0 ]; then passed=$((passed + 1)); elif [ $rc = 77 ]; then skipped=$((skipped + 1)); else failed=$((failed + 1)); echo "FAILED: $e"; fi
  took "$t0" "$e"
done
if [ -f tests/torch_check.py ]; then
  echo "== tests/torch_check.py"
  if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
    echo "skipped: PyTorch is not installed (apt-get install python3-torch to run the cross-check)"
    skipped=$((skipped + 1))
  else
    t0=$(now)
    if "$PYTHON" tests/torch_check.py "$BUILD/tests/torch_export"; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1)); echo "FAILED: tests/torch_check.py"
    fi
    took "$t0" tests/torch_check.py
  fi
fi
echo "time per program:"
printf '%s\n' "$times" | sort -rn | head -12
echo "programs: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
