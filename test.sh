#!/usr/bin/env bash
# Sets up a Debian 12 machine and runs every test: a Debug build with warnings as errors,
# a Release build of what demo.sh builds, an AddressSanitizer + UndefinedBehaviorSanitizer
# build, the threaded client test under ThreadSanitizer, then a minute of fuzzing. Exits
# non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

.ci/install-deps.sh
# The real Node library, pinned by tests/interop/package-lock.json.
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
jobs=$(nproc)

stages=0   # each stage that passed; set -e stops at the first that does not

run_suite() {
    local dir=$1
    shift
    echo "=== $dir: $*"
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSOCKETIPC_WERROR=ON \
        -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "$@"
    cmake --build "$dir" -j "$jobs"
    ctest --test-dir "$dir" --output-on-failure -j "$jobs"
    stages=$((stages + 1))
}

run_suite build/werror

# What demo.sh builds: a Release build (warnings as errors), which the Debug stages do not try.
echo "=== build/release: the library, the QML module and the demo, as demo.sh builds them"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSOCKETIPC_BUILD_TESTS=OFF \
    -DSOCKETIPC_WERROR=ON -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
cmake --build build/release --target socketipc-demo SocketIpcQml socketipc -j "$jobs"
stages=$((stages + 1))
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build/sanitize -DSOCKETIPC_SANITIZE=address,undefined

# A client living in a worker thread, under ThreadSanitizer (tst_ipcclient's
# worksInAWorkerThread; the rest of that test runs too). Qt is not TSan-built: see
# tests/tsan-suppressions.txt.
echo "=== build/tsan: -DSOCKETIPC_SANITIZE=thread"
cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSOCKETIPC_WERROR=ON \
    -DSOCKETIPC_SANITIZE=thread -DSOCKETIPC_BUILD_QML=OFF -DSOCKETIPC_BUILD_EXAMPLES=OFF \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
cmake --build build/tsan --target tst_ipcclient ipctestpeer -j "$jobs"
# die_after_fork=0: QProcess forks (then execs at once) from a process that has threads.
TSAN_OPTIONS="halt_on_error=1 die_after_fork=0 suppressions=$PWD/tests/tsan-suppressions.txt" \
    ctest --test-dir build/tsan -R '^tst_ipcclient$' --output-on-failure
stages=$((stages + 1))

# The frame codec under libFuzzer (clang, ASan, UBSan) for a minute, from the seed corpus.
echo "=== fuzzing the frame codec for 60 s"
tests/fuzz/run-fuzzer.sh 60
stages=$((stages + 1))

echo "stages: $stages passed, 0 failed"
