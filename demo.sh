#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds the demo and runs it: a server and three client
# processes exchanging messages, with a server restart in the middle.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

.ci/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=Release -DSOCKETIPC_BUILD_TESTS=OFF \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build build/demo --target socketipc-demo -j "$(nproc)" >/dev/null
exec build/demo/examples/core/demo/socketipc-demo "$@"
