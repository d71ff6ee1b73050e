#!/bin/bash
# The ctest example_node_interop: bash test-node-interop.sh PATH/TO/socketipc-node-interop
# Runs the conversation both ways: Qt server with Node client, Node server with Qt client.
# Exit code 0: both sides of both runs passed their checks; 77: skipped (no node, or no
# "npm ci" in tests/interop).

set -u
bin=$(realpath "${1:?usage: test-node-interop.sh PATH/TO/socketipc-node-interop}")
peer=$(dirname "$(realpath "$0")")/peer.js

if ! command -v node >/dev/null; then
    echo "SKIP: node is not installed"
    exit 77
fi
node "$peer" check || { echo "SKIP: run \"npm ci\" in tests/interop"; exit 77; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

# run NAME SERVER_COMMAND... -- CLIENT_COMMAND...: both at once (the client retries until the
# server listens); both must exit 0.
run() {
    local name=$1 server=() client=()
    shift
    while [ "$1" != -- ]; do server+=("$1"); shift; done
    shift
    client=("$@")
    echo "== $name"
    timeout 30 "${server[@]}" >"$work/server.out" 2>&1 &
    local server_pid=$!
    timeout 30 "${client[@]}" >"$work/client.out" 2>&1
    local client_rc=$?
    wait $server_pid
    local server_rc=$?
    cat "$work/server.out" "$work/client.out"
    if [ $server_rc != 0 ] || [ $client_rc != 0 ]; then
        echo "FAIL: $name: server exited with $server_rc, client with $client_rc"
        exit 1
    fi
}

run "Qt server, Node client" "$bin" server "$work/qt.sock" -- node "$peer" client "$work/qt.sock"
run "Node server, Qt client" node "$peer" server "$work/node.sock" -- "$bin" client "$work/node.sock"
echo "All checks passed in both directions."
