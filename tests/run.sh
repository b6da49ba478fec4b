#!/bin/bash
# Run every cmocka test binary given, then the PyTorch cross-check when PyTorch
# is installed; print one closing line of totals. Exit non-zero on any failure.
set -u
passed=0 failed=0 skipped=0
for t in "$@"; do
  echo "== $t"
  if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $t"; fi
done
for e in tests/e2e_*.sh; do
  [ -f "$e" ] || continue
  echo "== $e"
  bash "$e" "$BUILD/sharebench"; rc=$?   # 77: skipped (what is missing is said)
  if [ $rc = 0 ]; then passed=$((passed + 1)); elif [ $rc = 77 ]; then skipped=$((skipped + 1)); else failed=$((failed + 1)); echo "FAILED: $e"; fi
done
if [ -f tests/torch_check.py ]; then
  echo "== tests/torch_check.py"
  if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
    echo "skipped: PyTorch is not installed (apt-get install python3-torch to run the cross-check)"
    skipped=$((skipped + 1))
  elif "$PYTHON" tests/torch_check.py "$BUILD/tests/torch_export"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "FAILED: tests/torch_check.py"
  fi
fi
echo "programs: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
