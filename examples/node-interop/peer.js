// node peer.js server|client SOCKET_PATH
// node peer.js check                        (is @crussell52/socket-ipc installed? exit 0, or 77)
//
// The Node half of the conversation with socketipc-node-interop (main.cpp), using the pinned
// @crussell52/socket-ipc 0.4.0. Each side sends "ping" and an object; each answers "ping" with
// "pong" and echoes the object on "object-echo"; each checks what it got. Exit code 0: every
// check held.

'use strict';

const path = require('path');
const {isDeepStrictEqual} = require('util');

const TimeoutMs = 15000;

// The library as tests/interop installs it ("npm ci" there), so this example needs no install
// of its own; a copy on NODE_PATH or in a node_modules above this directory is found first.
function loadSocketIpc() {
    const installed = path.join(__dirname, '..', '..', 'tests', 'interop', 'node_modules',
                                '@crussell52', 'socket-ipc');
    for (const name of ['@crussell52/socket-ipc', installed]) {
        try {
            return require(name);
        } catch (err) {
            if (err.code !== 'MODULE_NOT_FOUND')
                throw err;
        }
    }
    console.error('@crussell52/socket-ipc is not installed: run "npm ci" in tests/interop');
    process.exit(77);
}

// The object each side sends; main.cpp builds the same one.
function sample(from) {
    return {
        from,
        text: 'héllo, wörld ✓ "quoted" \\ tab\t',
        integer: 42,
        negative: -7,
        maxSafe: 9007199254740991,
        real: 0.1,
        yes: true,
        nothing: null,
        list: [1, 'two', [3], {four: 4}],
        empty: {},
        emptyList: [],
    };
}

const [role, socketFile] = process.argv.slice(2);
const {Server, Client} = loadSocketIpc();
if (role === 'check')
    process.exit(0);
if (!['server', 'client'].includes(role) || !socketFile) {
    console.error('usage: node peer.js server|client SOCKET_PATH');
    process.exit(2);
}

const me = `node ${role}`;
const say = text => console.log(`[${me}] ${text}`);
let send = null;  // (topic, message), once connected
let failed = false;
const done = {pong: false, echo: false, ping: false, object: false};
const isDone = () => Object.values(done).every(Boolean);

function check(ok, what) {
    say(`${ok ? 'ok' : 'FAILED'}: ${what}`);
    failed = failed || !ok;
    return ok;
}

function start() {
    say('sending ping and an object');
    send('ping', 'ping');
    send('object', sample('node'));
}

function received(message, topic) {
    switch (topic) {
    case 'ping':
        check(message === 'ping', 'ping says "ping"');
        send('pong', 'pong');
        done.ping = true;
        break;
    case 'pong':
        done.pong = check(message === 'pong', 'got pong');
        break;
    case 'object':
        say(`object from Qt: ${JSON.stringify(message)}`);
        check(isDeepStrictEqual(message, sample('qt')), "Qt's object arrived as Qt built it");
        send('object-echo', message);
        done.object = true;
        break;
    case 'object-echo':
        done.echo = check(isDeepStrictEqual(message, sample('node')),
                          'our object came back unchanged from Qt');
        break;
    default:
        // SocketIpc's own topics (a Qt server greets each client on "socketipc.hello"):
        // a Node program that routes by topic passes over them.
        if (topic.startsWith('socketipc.'))
            break;
        check(false, `a message on the expected topics (got "${topic}")`);
    }
}

function finish() {
    if (!isDone())
        say('FAILED: the conversation is incomplete');
    else if (failed)
        say('FAILED: see above');
    else
        say('all checks passed');
    process.exit(isDone() && !failed ? 0 : 1);
}

setTimeout(finish, TimeoutMs);

if (role === 'server') {
    const server = new Server({socketFile});
    server.on('listening', () => say(`listening on ${socketFile}`));
    server.on('connection', (clientId, socket) => {
        say('Qt client connected');
        send = (topic, message) => server.send(topic, message, clientId);  // to that one client
        // The Qt client leaves once it has everything; by then so should we.
        socket.on('close', () => server.close());
        start();
    });
    server.on('message', received);
    server.on('error', err => say(`error: ${err.message}`));
    server.on('close', finish);
    server.listen();
} else {
    const client = new Client({socketFile, retryDelay: 100});  // the Qt server may not be up yet
    send = (topic, message) => client.send(topic, message);
    client.on('connect', () => {
        say('connected to the Qt server');
        start();
    });
    client.on('message', (message, topic) => {
        received(message, topic);
        if (isDone())
            client.close();  // what we just sent is written first
    });
    client.on('error', err => say(`error: ${err.message}`));
    client.on('close', finish);
    say(`connecting to ${socketFile}`);
    client.connect();
}
