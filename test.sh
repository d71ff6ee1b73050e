#!/usr/bin/env bash
# Sets up a Debian 12 machine and runs every test: a Debug build with warnings as errors,
# then an AddressSanitizer + UndefinedBehaviorSanitizer build. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

.ci/install-deps.sh
# The real Node library, pinned by tests/interop/package-lock.json.
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
jobs=$(nproc)

run_suite() {
    local dir=$1
    shift
    echo "=== $dir: $*"
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSOCKETIPC_WERROR=ON \
        -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "$@"
    cmake --build "$dir" -j "$jobs"
    ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

run_suite build/werror
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build/sanitize -DSOCKETIPC_SANITIZE=address,undefined
