#!/usr/bin/env bash
# Builds the benchmarks in Release and runs them all: SocketIpc against a raw AF_UNIX program,
# the Node original and ZeroMQ. Prints a markdown table. Options go to report.py
# (--runs N, --workloads W1,W2, --impls socketipc,raw).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

.ci/install-deps.sh
# ZeroMQ for its reference figures only: never a dependency of the library.
dpkg-query -W -f='${Status}' libzmq3-dev 2>/dev/null | grep -q "install ok installed" || {
    sudo=(); ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends libzmq3-dev
}
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DSOCKETIPC_BUILD_QML=OFF \
    -DSOCKETIPC_BUILD_EXAMPLES=OFF -DSOCKETIPC_BUILD_TESTS=OFF -DSOCKETIPC_BUILD_BENCHMARKS=ON \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build build/bench --target ipcbench rawbench zmqbench -j "$(nproc)" >/dev/null
exec python3 tests/benchmarks/report.py --build build/bench "$@"
