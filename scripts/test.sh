#!/usr/bin/env bash
# Runs the whole suite; any Netty "LEAK:" report fails the build even when every test passed. Ends
# with the Surefire totals (scripts/TestTotals.java): the skipped tests with their reasons, then
# "Tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
# the reports of an earlier run would be counted again (and a removed test's with them)
rm -rf target/surefire-reports
mvn -B -q test
rc=$?
leak=0
if grep -rl "LEAK:" target/surefire-reports/ 2>/dev/null; then
  echo "FAIL: Netty reported a buffer leak (see the files above)" >&2
  grep -rh -A3 "LEAK:" target/surefire-reports/ | head -40 >&2
  leak=1
fi
java_home="${JAVA_HOME:-}"
[ -n "$java_home" ] || java_home="$(scripts/find-java 2>/dev/null)"
if [ -n "$java_home" ]; then
  "$java_home/bin/java" scripts/TestTotals.java target/surefire-reports
else
  echo "Tests: no JDK found to count the Surefire reports"
fi
[ "$leak" -eq 0 ] || exit 1
exit $rc
