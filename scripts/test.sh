#!/usr/bin/env bash
# Runs the whole suite; any Netty "LEAK:" report fails the build even when every test passed. Ends
# with the Surefire totals (scripts/TestTotals.java): the skipped tests with their reasons, then
# "Tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
# the reports of an earlier run would be counted again (and a removed test's with them)
rm -rf target/surefire-reports
# every Java source is formatted with google-java-format (fix with: mvn spotless:apply); the tests
# run either way, and an unformatted source fails the run at the end
fmt=0
mkdir -p target
if ! mvn -B -q spotless:check >target/spotless.log 2>&1; then
  fmt=1
fi
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
if [ "$fmt" -ne 0 ]; then
  grep -E "ERROR|violations|src/" target/spotless.log | head -20 >&2
  echo "FAIL: sources are not formatted with google-java-format: run 'mvn spotless:apply'" >&2
  exit 1
fi
[ "$leak" -eq 0 ] || exit 1
exit $rc
