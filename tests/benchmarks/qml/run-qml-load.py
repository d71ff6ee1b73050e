#!/usr/bin/env python3
"""QML under load: a dashboard's pacing while the original Node library's spam client floods.

Runs dashboard.qml with the `qml` tool (offscreen) against `socketipc serve --relay` (a
broadcasting IpcServer: every client's message goes to the others), idle and while
@crussell52/socket-ipc's own examples/spam/client.js sends about 60,000 messages a second
(spam.js). The dashboard's 16 ms Timer records its gaps; the Node client counts what it sent
and the dashboard what arrived. Prints a markdown table: timer ticks, gap p50/p99/max, messages
received (per second), and whether any was lost; the ratio of p99 under load to idle p99.

Nothing here asserts a time: machines differ. Compare builds on the same machine, in the same
run (e.g. --build build/bench against a copy of an older build).

usage: run-qml-load.py --build DIR [--seconds 6] [--runs 3] [--qml PATH] [--require-nothing-lost]
"""
import argparse, json, os, re, signal, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
source = os.path.normpath(os.path.join(here, '..', '..', '..'))

parser = argparse.ArgumentParser()
parser.add_argument('--build', required=True, help='a build tree (Release) with the QML module and the socketipc tool')
parser.add_argument('--seconds', type=float, default=6)
parser.add_argument('--runs', type=int, default=3)
parser.add_argument('--qml', default='/usr/lib/qt6/bin/qml')
parser.add_argument('--require-nothing-lost', action='store_true',
                    help='exit 1 if a message sent did not arrive (the ctest smoke run)')
args = parser.parse_args()
build = os.path.abspath(args.build)

env = dict(os.environ, QT_QPA_PLATFORM='offscreen', QML_IMPORT_PATH=os.path.join(build, 'qml'),
           LD_LIBRARY_PATH=os.path.join(build, 'src', 'socketipc'),
           NODE_PATH=os.path.join(source, 'tests', 'interop', 'node_modules'))


def lines_of(process, timeout, want):
    """Reads the process's output until want(line) returns something; returns it."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise RuntimeError('the dashboard exited (%s)' % process.returncode)
            continue
        got = want(line.strip())
        if got is not None:
            return got
    raise RuntimeError('timed out')


def run(load):
    with tempfile.TemporaryDirectory(prefix='qml-load-') as tmp:
        sock = os.path.join(tmp, 'bus.sock')
        server = subprocess.Popen([os.path.join(build, 'src', 'tools', 'socketipc', 'socketipc'),
                                   'serve', sock, '--relay', '--topic', 'nothing'], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        spam = None
        ui = None
        try:
            while not os.path.exists(sock):
                time.sleep(0.01)
            ui = subprocess.Popen([args.qml, os.path.join(here, 'dashboard.qml'), '--', sock,
                                   str(args.seconds)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1)
            lines_of(ui, 30, lambda l: True if l.endswith('ready') else None)
            if load:
                spam = subprocess.Popen(['node', os.path.join(here, 'spam.js'), sock], env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            result = lines_of(ui, args.seconds + 60,
                              lambda l: json.loads(l[l.index('{'):]) if '{' in l else None)
            sent = 0
            if spam:
                spam.send_signal(signal.SIGTERM)
                out, _ = spam.communicate(timeout=10)
                sent = int(re.search(r'sent (\d+)', out).group(1))
            # What is still in flight arrives; then the dashboard's count stands still.
            counts = []
            while len(counts) < 3 or counts[-1] != counts[-3] or counts[-1] < sent:
                counts.append(lines_of(ui, 30, lambda l: int(l.split()[-1]) if 'count ' in l else None))
                if len(counts) > 120:
                    break
            result['sent'] = sent
            result['lost'] = sent - counts[-1] if load else 0
            return result
        finally:
            for p in (spam, ui, server):
                if p and p.poll() is None:
                    p.kill()
                    p.wait()


def median(rows, key):
    return statistics.median(r[key] for r in rows)


results = {}
for load in (False, True):
    rows = [run(load) for _ in range(args.runs)]
    results['load' if load else 'idle'] = rows
    for r in rows:
        print(json.dumps({'mode': 'load' if load else 'idle', **r}), file=sys.stderr)

print('| | timer ticks in %g s | gap p50 | gap p99 | max gap | messages received | lost |' % args.seconds)
print('|---|---|---|---|---|---|---|')
for mode in ('idle', 'load'):
    rows = results[mode]
    rate = median(rows, 'received') / median(rows, 'seconds')
    print('| %s | %d | %g ms | %g ms | %g ms | %d (%.0f/s) | %d |' % (
        'idle' if mode == 'idle' else '~60 k msg/s (Node spam client)',
        median(rows, 'ticks'), median(rows, 'p50'), median(rows, 'p99'), median(rows, 'max'),
        median(rows, 'received'), rate, max(r['lost'] for r in rows)))
print()
print('p99 under load / idle p99: %.2f (medians of %d runs each)' % (
    median(results['load'], 'p99') / median(results['idle'], 'p99'), args.runs))
if args.require_nothing_lost and any(r['lost'] for r in results['load']):
    sys.exit('messages were lost')
