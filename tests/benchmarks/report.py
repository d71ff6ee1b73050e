#!/usr/bin/env python3
"""Runs every benchmark implementation on every workload several times and prints a
markdown table of medians, spreads and ratios. See tests/benchmarks/README.md."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

WORKLOADS = {
    "W1": "stream: 200,000 messages, client to server",
    "W1fresh": "W1, each message built afresh by the sender (socketipc only)",
    "W2": "ping-pong: 20,000 round trips",
    "W3": "broadcast: 50,000 messages to 8 clients",
    "W4": "large: 200 messages of 1 MiB",
    "W5": "idle: 1,000 connections, SocketIpc only: memory each, wake-ups while quiet",
}


def commands(build, certs):
    """Each implementation: the command before the workload, and the options after it."""
    ipcbench = os.path.join(build, "tests/benchmarks/ipcbench")
    return {
        "socketipc": ([ipcbench], []),
        "socketipc-cbor": ([ipcbench], ["--codec", "cbor"]),
        "socketipc-tcp": ([ipcbench], ["--transport", "tcp"]),
        "socketipc-tls": ([ipcbench], ["--transport", "tls", "--certs", certs]),
        "raw": ([os.path.join(build, "tests/benchmarks/raw/rawbench")], []),
        "zmq": ([os.path.join(build, "tests/benchmarks/zmq/zmqbench")], []),
        "node": (["node", os.path.join(HERE, "node/nodebench.js")], []),
        # The same, W1/W4 sent in a plain loop, as most Node programs do, not waiting for drain.
        "node-loop": (["env", "NODEBENCH_PLAIN_LOOP=1", "node",
                       os.path.join(HERE, "node/nodebench.js")], []),
    }


def run_once(command, workload, pinned):
    prefix = ["taskset", "-c", "0"] if pinned else []
    before, after = command
    out = subprocess.run(prefix + before + [workload] + after, check=True, capture_output=True,
                         text=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def headline(result, workload):
    """The figure a workload is judged by, and whether larger is better."""
    if workload == "W2":
        return result["p50_us"], False
    if workload == "W4":
        return result["mib_per_s"], True
    return result["rate"], True


def counts(result, key, digits):
    """A count pair of a result line (steady state, per side), or n/a where not measured."""
    pair = result.get(key)
    if not pair:
        return "n/a"
    def one(v):
        return "n/a" if v is None or v < 0 else f"{v:,.{digits}f}"
    return f"{one(pair.get('server'))}, {one(pair.get('client'))}"


def fmt(value, workload):
    if workload == "W2":
        return f"{value:.1f} µs"
    if workload == "W4":
        return f"{value:,.0f} MiB/s"
    if value >= 1e6:
        return f"{value / 1e6:.2f} M/s"
    return f"{value / 1e3:.0f} k/s"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workloads", default="W1,W1fresh,W2,W3,W4")
    parser.add_argument("--impls", default="socketipc,raw,zmq,node,node-loop",
                        help="also: socketipc-cbor, socketipc-tcp, socketipc-tls")
    parser.add_argument("--json", help="also write every run's results to this file")
    args = parser.parse_args()

    impls = [i for i in args.impls.split(",") if i]
    certs = tempfile.mkdtemp(prefix="ipcbench-certs-")
    if "socketipc-tls" in impls:
        subprocess.run(["bash", os.path.join(HERE, "../auto/transports/make-certs.sh"), certs],
                       check=True, capture_output=True)
    cmds = commands(args.build, certs)
    missing = [i for i in impls if not os.path.exists(cmds[i][0][-1])]
    for i in missing:
        print(f"note: {i} is not built ({cmds[i][0][-1]}); skipped", file=sys.stderr)
    impls = [i for i in impls if i not in missing]

    runs = []
    table = {}
    for workload in [w for w in args.workloads.split(",") if w != "W5"]:
        for pinned in ([False, True] if workload == "W2" else [False]):
            key = workload + (" pinned" if pinned else "")
            for impl in impls:
                if workload == "W1fresh" and not impl.startswith("socketipc"):
                    continue  # the references have no messages to build: W1 is theirs
                if impl == "node-loop" and workload not in ("W1", "W4"):
                    continue  # the same program as node
                results = []
                for _ in range(args.runs):
                    print(f"running {impl} {key}...", file=sys.stderr)
                    results.append(run_once(cmds[impl], workload, pinned))
                runs.extend(dict(r, pinned=pinned) for r in results)
                figures = [headline(r, workload)[0] for r in results]
                best = statistics.median(figures)
                spread = (max(figures) - min(figures)) / best * 100 if best else 0
                middle = sorted(results, key=lambda r: headline(r, workload)[0])[len(results) // 2]
                table[(key, impl)] = (best, spread, middle)

    print(f"\n{args.runs} runs each; medians, spread = (max - min) / median.\n")
    print("| workload | implementation | result | spread | vs raw | vs node | vs zmq "
          "| p99 | CPU µs/msg (server, client) | peak RSS MiB (server, client) "
          "| syscalls/msg (server, client) | minor faults/msg (server, client) "
          "| heap-size syscalls (server, client) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (key, impl), (best, spread, r) in table.items():
        workload = key.split()[0]
        larger_better = headline(r, workload)[1]
        ratios = []
        ref_key = "W1" if key == "W1fresh" else key
        for ref in ("raw", "node", "zmq"):
            if (ref_key, ref) in table and ref != impl:
                other = table[(ref_key, ref)][0]
                ratio = best / other if larger_better else other / best
                ratios.append(f"{ratio:.2f}×")
            else:
                ratios.append("")
        p99 = f"{r['p99_us']:.1f} µs" if "p99_us" in r else ""
        cpu = r.get("cpu_us_per_msg", {})
        rss = r.get("peak_rss_kib", {})
        print(f"| {key} | {impl} | {fmt(best, workload)} | ±{spread / 2:.0f} % | "
              + " | ".join(ratios)
              + f" | {p99} | {cpu.get('server', 0):.2f}, {cpu.get('client', 0):.2f} | "
              f"{rss.get('server', 0) / 1024:.0f}, {rss.get('client', 0) / 1024:.0f} | "
              f"{counts(r, 'syscalls_per_msg', 3)} | {counts(r, 'minflt_per_msg', 3)} | "
              f"{counts(r, 'heap_syscalls', 0)} |")
    print("\nRatios: how many times better than the reference (throughput: ours / theirs; "
          "latency: theirs / ours).")
    if "W5" in args.workloads.split(",") or args.workloads == parser.get_default("workloads"):
        idle = run_once(cmds["socketipc"], "W5", False)
        runs.append(idle)
        print(f"\nW5 idle: {idle['messages']} idle connections cost the server "
              f"{idle['kib_per_connection']:.1f} KiB each; in 2 quiet seconds it woke "
              f"{idle['idle_wakeups']} times (nothing polls).")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)


if __name__ == "__main__":
    main()
