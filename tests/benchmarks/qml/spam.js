// The original library's own spam client (examples/spam/client.js of @crussell52/socket-ipc,
// 300 messages every 5 ms on topic "hello": about 60,000 a second), run unchanged but for its
// SOCKET_FILE constant, which the example leaves for the user to fill in. Counts what it sends
// and prints "sent N" when told to stop (SIGTERM), once that has left.
// Usage: node spam.js SOCKET_PATH (NODE_PATH or cwd must find @crussell52/socket-ipc)
'use strict';
const fs = require('fs');
const path = require('path');
const Module = require('module');

const socketFile = process.argv[2];
const lib = require('@crussell52/socket-ipc');
let sent = 0;
const send = lib.Client.prototype.send;
lib.Client.prototype.send = function (...args) {
    ++sent;
    return send.apply(this, args);
};

const file = require.resolve('@crussell52/socket-ipc/examples/spam/client.js');
const source = fs.readFileSync(file, 'utf8')
    .replace('const SOCKET_FILE = undefined;', 'const SOCKET_FILE = ' + JSON.stringify(socketFile) + ';');
if (!source.includes(JSON.stringify(socketFile)))
    throw new Error('the example no longer has its SOCKET_FILE line');
const example = new Module(file, module);
example.filename = file;
example.paths = Module._nodeModulePaths(path.dirname(file));
// Told to stop: no more bursts, then a second for what the socket still holds to go out,
// so that "sent" counts only messages that left (exiting at once would drop the last burst).
const intervals = [];
const setIntervalOfNode = global.setInterval;
global.setInterval = (...args) => {
    const interval = setIntervalOfNode(...args);
    intervals.push(interval);
    return interval;
};
process.on('SIGTERM', () => {
    intervals.forEach(clearInterval);
    setTimeout(() => {
        process.stdout.write('sent ' + sent + '\n');
        process.exit(0);
    }, 1000);
});
example._compile(source, file);
