#!/usr/bin/env bash
# Runs the whole suite; any Netty "LEAK:" report fails the build even when every test passed.
set -uo pipefail
cd "$(dirname "$0")/.."
mvn -B -q test
rc=$?
if grep -rl "LEAK:" target/surefire-reports/ 2>/dev/null; then
  echo "FAIL: Netty reported a buffer leak (see the files above)" >&2
  grep -rh -A3 "LEAK:" target/surefire-reports/ | head -40 >&2
  exit 1
fi
exit $rc
