#!/usr/bin/env bash
# Sets up a Debian 12 machine and runs every test: a Debug build with warnings as errors
# (and the reference, without a QDoc warning), a Release build of what demo.sh builds and of
# the Debian packages (installed, used, then removed again), an AddressSanitizer +
# UndefinedBehaviorSanitizer build, the threaded client test under ThreadSanitizer, then a
# minute of fuzzing. Exits non-zero on any failure.
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

# A Release build (warnings as errors) of what demo.sh builds and of what the Debian packages
# hold, for /usr; the reference (any QDoc warning fails it); the packages; then what a user
# does with them: apt install, and the CMake, qmake, pkg-config and QML consumers against /usr.
echo "=== build/deb: Release for /usr, the reference, the Debian packages"
cmake -S . -B build/deb -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DSOCKETIPC_BUILD_TESTS=OFF -DSOCKETIPC_WERROR=ON -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
cmake --build build/deb --target SocketIpc SocketIpcQml socketipc socketipc-demo docs -j "$jobs"
rm -rf build/deb/packages
(cd build/deb && cpack -G DEB)
tests/packages/test-packages.sh build/deb/packages
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
