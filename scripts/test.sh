#!/usr/bin/env bash
# Install what is missing, build with warnings as errors, run every test suite: the unit tests,
# the app tests, the scipy cross-check, the Python module's pytest suites, the install-and-link check
# and fftconv-mpi under mpirun with 1 to 4 ranks (OpenMPI is among the packages); then the unit and app tests again under
# AddressSanitizer and UndefinedBehaviorSanitizer (skip those with SANITIZE=0); one run of the tool
# under valgrind when it is installed (skip with VALGRIND=0).
# The concurrency suite runs once more under ThreadSanitizer (skip with TSAN=0).
# Each libFuzzer target runs briefly when clang can build it (skip with FUZZ=0).
# Exit status: 0 when everything passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh

# Each stage's wall time, printed as it ends: what to size when the whole run grows.
took() { echo "($1: $((SECONDS - $2)) s)"; }

t=$SECONDS
ensure_packages
took "packages" $t
t=$SECONDS
configure_and_build build --buildtype=release -Dwerror=true
took "release build" $t

status=0
echo "== meson test"
t=$SECONDS
meson test -C build --print-errorlogs --num-processes 2 || status=1
took "meson test" $t
summary=$(grep -E '^(Ok|Fail|Timeout|Skipped|Expected Fail|Unexpected Pass): ' build/meson-logs/testlog.txt || true)

if [ "${SANITIZE:-1}" != 0 ]; then
    t=$SECONDS
    # -O1 with line tables only (-g1, enough for the sanitizers' stack traces): half the compile
    # time of -O2 -g (53 s against 103 s for test_out_of_core.cpp), which made this build the
    # longest stage of the run (24 min). -fexpensive-optimizations keeps GCC fusing a * b + c into
    # FMA as at -O2, as the AVX2 kernels do: without it the out-of-core tiles were no longer equal
    # to the whole call bit for bit (docs/scale.md).
    configure_and_build build-sanitize -Doptimization=1 -Ddebug=false -Dcpp_args='-g1 -fexpensive-optimizations' \
        -Db_sanitize=address,undefined \
        -Db_lundef=false -Dwerror=true -Dsamples=false -Dpython=disabled -Dmpi=disabled -Dbench=false
    took "sanitizer build" $t
    # Twice the timeouts: instrumented, the tool's end-to-end suites run 3-6x slower (apps_edges
    # took 300 s, its limit, on a busy machine).
    echo "== meson test (address and undefined-behaviour sanitizers)"
    t=$SECONDS
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C build-sanitize --suite unit --suite apps --print-errorlogs --num-processes 2 \
        --timeout-multiplier 2 || status=1
    took "sanitizer tests" $t
    summary+=$'\n'$(grep -E '^(Ok|Fail|Timeout|Skipped|Expected Fail|Unexpected Pass): ' build-sanitize/meson-logs/testlog.txt || true)
fi

# The concurrency suite under ThreadSanitizer (skip with TSAN=0): tests/test_concurrency.cpp's 8
# threads calling the library at once, in a build where all of fftconv and the test is
# instrumented; any report fails the run. Only that program is built. FFTW is not instrumented
# (its planner runs under fftconv's lock, its execution on each call's own buffers) and has given
# no false reports; were one to appear, a commented tests/tsan.supp naming frames inside FFTW,
# never fftconv's, would go in TSAN_OPTIONS here.
if [ "${TSAN:-1}" != 0 ]; then
    tsan_options=(--buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false -Dwerror=true
        -Dsamples=false -Dapps=false -Dpython=disabled -Dbench=false)
    if [ -f build-tsan/build.ninja ]; then
        meson setup --reconfigure build-tsan "${tsan_options[@]}" >/dev/null
    else
        meson setup build-tsan "${tsan_options[@]}" >/dev/null
    fi
    echo "== building test_concurrency and test_parallel in build-tsan"
    t=$SECONDS
    meson compile -C build-tsan test_concurrency test_parallel
    took "thread sanitizer build" $t
    echo "== meson test (thread sanitizer): the concurrency suite"
    tsan_start=$SECONDS
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
        meson test -C build-tsan --no-rebuild --suite concurrency --print-errorlogs || status=1
    echo "(thread sanitizer: $((SECONDS - tsan_start)) s)"
    summary+=$'\n'$(grep -E '^(Ok|Fail|Timeout|Skipped|Expected Fail|Unexpected Pass): ' build-tsan/meson-logs/testlog.txt || true)
fi

# One run of the tool end to end under valgrind (a 64x64 sample, FFT path, then a truncated input):
# no invalid reads or writes and no definite or indirect leaks (skip with VALGRIND=0).
if [ "${VALGRIND:-1}" != 0 ] && command -v valgrind >/dev/null 2>&1; then
    echo "== valgrind: fftconv blur, a good and a truncated input"
    vg_dir=$(mktemp -d)
    head -c 2000 samples/camera_face.png >"$vg_dir/truncated.png"
    vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
    vg_status=0
    "${vg[@]}" build/apps/fftconv blur samples/camera_face.png "$vg_dir/blur.png" --sigma 2 --method fft ||
        vg_status=1
    echo "(one error line expected:)"
    rc=0
    "${vg[@]}" build/apps/fftconv blur "$vg_dir/truncated.png" "$vg_dir/none.png" --sigma 2 || rc=$?
    if [ $rc -ne 1 ]; then
        echo "valgrind: the truncated input gave exit status $rc, not 1 (99: valgrind found errors)" >&2
        vg_status=1
    fi
    rm -rf "$vg_dir"
    if [ $vg_status -eq 0 ]; then summary+=$'\nOk: 1'; else summary+=$'\nFail: 1'; status=1; fi
else
    echo "== valgrind not installed (or VALGRIND=0): the end-to-end memory check is skipped"
fi

# Fuzzing (skip with FUZZ=0): the libFuzzer targets of tests/fuzz, built in build-fuzz with clang
# and AddressSanitizer and UndefinedBehaviorSanitizer, each run for FUZZ_SECONDS (default 20) from
# its seed corpus in tests/fuzz/corpus/. New inputs go to a scratch directory, never into the
# repository; a crash, a sanitizer report or a hang fails the script and leaves the input that
# caused it in build-fuzz/artifacts/. Longer runs: docs/fuzzing.md.
fuzz_probe() {  # clang++ with its fuzzer and sanitizer runtimes
    command -v clang++ >/dev/null 2>&1 || return 1
    local d
    d=$(mktemp -d)
    printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$d/p.cpp"
    clang++ -fsanitize=fuzzer,address,undefined "$d/p.cpp" -o "$d/p" >/dev/null 2>&1
    local rc=$?
    rm -rf "$d"
    return $rc
}
if [ "${FUZZ:-1}" != 0 ] && fuzz_probe; then
    t=$SECONDS
    CC=clang CXX=clang++ configure_and_build build-fuzz --buildtype=debugoptimized -Dfuzz=true \
        -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true -Dapps=false -Dsamples=false -Dpython=disabled \
        -Dcpp_args='-fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp'
    took "fuzz build" $t
    mkdir -p build-fuzz/artifacts
    for target in fuzz_image_input fuzz_kernel_parser fuzz_npy fuzz_api fuzz_nn; do
        echo "== $target, ${FUZZ_SECONDS:-20} s"
        fuzz_dir=$(mktemp -d)
        fuzz_status=0
        build-fuzz/tests/fuzz/$target -max_total_time="${FUZZ_SECONDS:-20}" -timeout=30 -max_len=16384 \
            -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$target-" \
            "$fuzz_dir" "tests/fuzz/corpus/$target" >"$fuzz_dir.log" 2>&1 || fuzz_status=$?
        # libFuzzer's last status line (runs, coverage, exec/s) and its final counts.
        grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$fuzz_dir.log" | tail -n 1 || true
        grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec)' "$fuzz_dir.log" || true
        if [ $fuzz_status -ne 0 ]; then
            tail -n 40 "$fuzz_dir.log"
            echo "$target failed (exit status $fuzz_status); the input is in build-fuzz/artifacts/" >&2
            summary+=$'\nFail: 1'
            status=1
        else
            summary+=$'\nOk: 1'
        fi
        rm -rf "$fuzz_dir" "$fuzz_dir.log"
    done
else
    echo "== clang++ with libFuzzer not available (or FUZZ=0): the fuzz targets are skipped"
fi

echo "(the whole run: $SECONDS s)"
count() { echo "$summary" | awk -v k="$1" -F': *' '$1 == k { n += $2 } END { print n + 0 }'; }
passed=$(count Ok)
failed=$(( $(count Fail) + $(count Timeout) + $(count "Unexpected Pass") ))
skipped=$(count Skipped)
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
