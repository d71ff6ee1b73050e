#!/usr/bin/env node
// nodebench: the workloads over the real @crussell52/socket-ipc 0.4.0 (the library SocketIpc is
// wire-compatible with), as the reference SocketIpc has to beat.
//
//   node nodebench.js W1|W2|W3|W4 [--count N]
//
// The driver is the server; it re-executes this script as the client(s)
// (`node nodebench.js --role client W SOCKETPATH COUNT`), each of which reports its CPU time,
// peak RSS and timings as one JSON line on its stdout (a pipe to the driver). The driver prints
// exactly one JSON line on stdout; diagnostics go to stderr. Hard timeout: 120 s.
//
// Needs `npm ci` in tests/interop (that is where the library is installed).

'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const libraryPath = path.resolve(__dirname, '..', '..', 'interop', 'node_modules', '@crussell52',
                                 'socket-ipc');
const { Server, Client } = require(libraryPath);

const TIMEOUT_MS = 120000;
const BROADCAST_CLIENTS = 8;
const DEFAULT_COUNTS = { W1: 200000, W2: 20000, W3: 50000, W4: 200 };
const S = 'abcdefghij'.repeat(6);
// NODEBENCH_PLAIN_LOOP=1 (report.py's "node-loop"): W1 and W4 send in a plain loop instead of
// waiting for 'drain'. Inherited by the client processes.
const PLAIN_LOOP = process.env.NODEBENCH_PLAIN_LOOP === '1';
const LARGE = 'x'.repeat(1 << 20);

const now = () => process.hrtime.bigint();   // CLOCK_MONOTONIC, in ns

function usage() {
    process.stderr.write('usage: node nodebench.js W1|W2|W3|W4 [--count N]\n');
    process.exit(2);
}

// Peak resident memory of this process image: VmHWM starts over at exec, unlike maxRSS
// (getrusage), which keeps the spawning parent's peak.
function peakRssKib() {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) : process.resourceUsage().maxRSS;
}

function selfUsage() {
    const u = process.resourceUsage();
    return { cpuUs: u.userCPUTime + u.systemCPUTime, maxRssKib: peakRssKib() };
}

// Nearest-rank percentile of an ascending array.
function percentile(sorted, p) {
    const rank = Math.ceil(p * sorted.length);
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

const round = (x, digits) => Number(x.toFixed(digits));

// -----------------------------------------------------------------------------------------------
// Client side (a separate process)

function runClient(workload, socketFile, count) {
    const fail = (msg) => {
        process.stderr.write(`nodebench client: ${msg}\n`);
        process.exit(1);
    };
    setTimeout(() => fail('hard timeout'), TIMEOUT_MS).unref();

    const client = new Client({ socketFile });
    const extra = {};
    client.on('error', (err) => fail(`error: ${err.message}`));
    // The server listens before it spawns us: failing to connect is an error, not a retry.
    client.on('connectError', (err) => fail(`cannot connect: ${err.message}`));
    client.on('disconnect', () => fail('the server went away'));
    client.on('close', () => {
        const u = selfUsage();
        const line = JSON.stringify({ cpu_us: u.cpuUs, maxrss_kib: u.maxRssKib, ...extra });
        process.stdout.write(line + '\n', () => process.exit(0));
    });

    client.on('connect', (socket) => {
        if ((workload === 'W1' || workload === 'W4') && PLAIN_LOOP) {
            // What most Node programs write: a loop of send(), whatever the buffer holds.
            for (let i = 0; i < count; ++i)
                client.send('t', workload === 'W1' ? { i, s: S } : LARGE);
            client.close();
        } else if (workload === 'W1' || workload === 'W4') {
            // As fast as the socket takes it: write until Node's buffer is above its high-water
            // mark, then wait for 'drain' (client.send() hides write()'s return value).
            let i = 0;
            const pump = () => {
                while (i < count) {
                    client.send('t', workload === 'W1' ? { i, s: S } : LARGE);
                    ++i;
                    if (socket.writableNeedDrain) {
                        socket.once('drain', pump);
                        return;
                    }
                }
                client.close();   // ends the socket once everything is flushed
            };
            pump();
        } else if (workload === 'W2') {
            const rttUs = new Float64Array(count);
            let i = 0;
            let sentAt = 0n;
            const sendNext = () => {
                sentAt = now();
                client.send('t', { i, s: S });
            };
            const start = now();
            client.on('message', () => {
                rttUs[i] = Number(now() - sentAt) / 1e3;
                if (++i < count) {
                    sendNext();
                    return;
                }
                extra.seconds = Number(now() - start) / 1e9;
                rttUs.sort();
                extra.p50_us = percentile(rttUs, 0.50);
                extra.p99_us = percentile(rttUs, 0.99);
                client.close();
            });
            sendNext();
        } else if (workload === 'W3') {
            let got = 0;
            client.on('message', () => {
                if (++got === count) {
                    extra.finish_ns = String(now());   // a bigint, as a decimal string
                    client.close();
                }
            });
        }
    });
    client.connect();
}

// -----------------------------------------------------------------------------------------------
// Driver / server side

function runDriver(workload, count) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodebench-'));
    const socketFile = path.join(dir, 's.sock');
    const children = [];
    const nClients = workload === 'W3' ? BROADCAST_CLIENTS : 1;

    const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
    const fail = (msg) => {
        process.stderr.write(`nodebench: ${msg}\n`);
        for (const c of children)
            c.kill('SIGKILL');
        cleanup();
        process.exit(1);
    };
    setTimeout(() => fail('hard timeout'), TIMEOUT_MS).unref();
    process.on('uncaughtException', (err) => fail(`uncaught: ${err.stack || err}`));

    // Each client's report, once it has exited successfully.
    const reports = [];
    const spawnClient = () => new Promise((resolve) => {
        const child = spawn(process.execPath,
                            [__filename, '--role', 'client', workload, socketFile, String(count)],
                            { stdio: ['ignore', 'pipe', 'inherit'] });
        children.push(child);
        let out = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (d) => { out += d; });
        child.on('error', (err) => fail(`cannot spawn a client: ${err.message}`));
        child.on('close', (code, signal) => {
            if (code !== 0)
                fail(`client ${child.pid} failed (code ${code}, signal ${signal})`);
            let report;
            try {
                report = JSON.parse(out);
            } catch (err) {
                fail(`client ${child.pid} reported nothing usable: '${out}'`);
            }
            reports.push(report);
            resolve();
        });
    });

    const server = new Server({ socketFile });
    server.on('error', (err, clientId) => fail(`server error (${clientId}): ${err.message}`));
    // The library leaves errors of its accepted sockets (EPIPE, ECONNRESET) unhandled, which
    // would crash this process without cleaning up.
    server.on('connection', (clientId, socket) => {
        socket.on('error', (err) => fail(`client connection ${clientId}: ${err.message}`));
    });

    let t0 = 0n;
    let seconds = 0;
    let handled = 0;

    if (workload === 'W1' || workload === 'W4') {
        server.on('connection', () => { t0 = now(); });
        server.on('message', () => {
            if (++handled === count)
                seconds = Number(now() - t0) / 1e9;
        });
    } else if (workload === 'W2') {
        server.on('message', (message, topic, clientId) => {
            server.send(topic, message, clientId);
            ++handled;
        });
    } else {   // W3
        const sockets = [];
        server.on('connection', (clientId, socket) => {
            sockets.push(socket);
            if (sockets.length < nClients)
                return;
            t0 = now();
            // Broadcast as fast as the sockets take it: when any of them is above its high-water
            // mark, wait until all of those have drained.
            let i = 0;
            const pump = () => {
                while (i < count) {
                    server.broadcast('t', { i, s: S });
                    ++i;
                    const blocked = sockets.filter((s) => s.writableNeedDrain);
                    if (blocked.length > 0) {
                        let pending = blocked.length;
                        for (const s of blocked)
                            s.once('drain', () => { if (--pending === 0) pump(); });
                        return;
                    }
                }
                handled = count;
            };
            pump();
        });
    }

    server.on('listening', () => {
        const all = [];
        for (let i = 0; i < nClients; ++i)
            all.push(spawnClient());
        Promise.all(all).then(() => {
            if (handled !== count)
                fail(`the server handled ${handled} messages, expected ${count}`);
            server.close();
            const srv = selfUsage();
            cleanup();

            let clientCpu = 0;
            let clientRss = 0;
            let lastFinish = 0n;
            for (const r of reports) {
                clientCpu = Math.max(clientCpu, r.cpu_us);
                clientRss = Math.max(clientRss, r.maxrss_kib);
                if (workload === 'W3') {
                    const f = BigInt(r.finish_ns);
                    if (f > lastFinish)
                        lastFinish = f;
                }
            }
            if (workload === 'W3')
                seconds = Number(lastFinish - t0) / 1e9;
            if (workload === 'W2')
                seconds = reports[0].seconds;

            const result = {
                impl: 'node',
                workload,
                messages: count,
                seconds: round(seconds, 6),
                rate: round(count * nClients / seconds, 1),
            };
            if (workload === 'W2') {
                result.p50_us = round(reports[0].p50_us, 1);
                result.p99_us = round(reports[0].p99_us, 1);
            }
            if (workload === 'W4') {
                const frameBytes = Buffer.byteLength(JSON.stringify({ topic: 't', message: LARGE }))
                        + 2;
                result.mib_per_s = round(count * frameBytes / 1048576 / seconds, 1);
            }
            result.cpu_us_per_msg = { server: round(srv.cpuUs / count, 4),
                                      client: round(clientCpu / count, 4) };
            result.peak_rss_kib = { server: srv.maxRssKib, client: clientRss };
            process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
        });
    });
    server.listen();
}

// -----------------------------------------------------------------------------------------------

function main(argv) {
    if (argv[0] === '--role') {
        if (argv.length !== 5 || argv[1] !== 'client')
            usage();
        runClient(argv[2], argv[3], Number(argv[4]));
        return;
    }
    const workload = argv[0];
    if (!(workload in DEFAULT_COUNTS))
        usage();
    let count = DEFAULT_COUNTS[workload];
    for (let i = 1; i < argv.length; ++i) {
        if (argv[i] === '--count' && i + 1 < argv.length)
            count = Number(argv[++i]);
        else
            usage();
    }
    if (!Number.isInteger(count) || count <= 0)
        usage();
    runDriver(workload, count);
}

main(process.argv.slice(2));
