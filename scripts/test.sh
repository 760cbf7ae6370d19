#!/usr/bin/env bash
# Install what is missing, build with warnings as errors, run every test suite: the unit tests,
# the app tests, the scipy cross-check and the install-and-link check; then the unit and app tests again under
# AddressSanitizer and UndefinedBehaviorSanitizer (skip those with SANITIZE=0).
# Exit status: 0 when everything passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh

ensure_packages
configure_and_build build --buildtype=release -Dwerror=true

status=0
echo "== meson test"
meson test -C build --print-errorlogs --num-processes 2 || status=1
summary=$(grep -E '^(Ok|Fail|Timeout|Skipped|Expected Fail|Unexpected Pass): ' build/meson-logs/testlog.txt || true)

if [ "${SANITIZE:-1}" != 0 ]; then
    configure_and_build build-sanitize --buildtype=debugoptimized -Db_sanitize=address,undefined \
        -Db_lundef=false -Dwerror=true -Dsamples=false
    echo "== meson test (address and undefined-behaviour sanitizers)"
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C build-sanitize --suite unit --suite apps --print-errorlogs --num-processes 2 || status=1
    summary+=$'\n'$(grep -E '^(Ok|Fail|Timeout|Skipped|Expected Fail|Unexpected Pass): ' build-sanitize/meson-logs/testlog.txt || true)
fi

count() { echo "$summary" | awk -v k="$1" -F': *' '$1 == k { n += $2 } END { print n + 0 }'; }
passed=$(count Ok)
failed=$(( $(count Fail) + $(count Timeout) + $(count "Unexpected Pass") ))
skipped=$(count Skipped)
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
