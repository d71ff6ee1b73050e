// node node-client.js SOCKET_PATH [--retry MS] [--reconnect MS] [--raw-frames]
//
// A @crussell52/socket-ipc Client driven like ipctestpeer's client mode. Retry and reconnect
// delays default to 100 ms (the library's defaults are 1000 ms) to keep the tests quick.
// Events (stdout): {"event":"connected"}, {"event":"reconnected"}, {"event":"disconnected"},
// {"event":"connectError","description":TEXT},
// {"event":"message","topic":T,"message":V,"json":TEXT},
// {"event":"topicMessage","topic":T,"message":V,"json":TEXT} (for subscribed topics),
// {"event":"greeting","topic":"socketipc.hello","message":V,"json":TEXT} (a SocketIpc server's
// greeting, which the library delivers as an ordinary message: set apart so that tests count
// only their own), {"event":"subscribed","topic":T},
// {"event":"error","code":NAME,"description":TEXT},
// {"event":"closed"}; with --raw-frames also {"event":"rawFrame","json":TEXT} for each frame
// as it arrived, before the library decoded it.
// Commands (stdin): {"send":T,"message":V} ("json":TEXT may replace "message"),
// {"raw":TEXT} (writes TEXT and the delimiter on the socket as they are, bypassing the
// library: frames with keys it cannot send), {"subscribe":T}, {"close":true}.
// The process exits once the client is closed, or when stdin ends.

'use strict';

const {emitEvent, messageEvent, errorEvent, commandMessage, readCommands, handleCommonCommand,
       socketPathArgument, loadSocketIpc, tapRawFrames} = require('./peer-io');

const usage = 'node node-client.js SOCKET_PATH [--retry MS] [--reconnect MS] [--raw-frames]';
const socketFile = socketPathArgument(usage);
const options = {socketFile, retryDelay: 100, reconnectDelay: 100};
let rawFrames = false;
for (let i = 3; i < process.argv.length; ++i) {
    const option = process.argv[i];
    if (option === '--raw-frames') {
        rawFrames = true;
        continue;
    }
    const value = parseInt(process.argv[++i], 10);
    if (option === '--retry')
        options.retryDelay = value;
    else if (option === '--reconnect')
        options.reconnectDelay = value;
}

const {Client} = loadSocketIpc();
const client = new Client(options);
let connected = false;
let closing = false;
let socket = null;  // the current connection's, for the raw command

function finish() {
    emitEvent({event: 'closed'});
    process.exit(0);
}

client.on('connect', connection => {
    connected = true;
    socket = connection;
    if (rawFrames)
        tapRawFrames(connection);
    emitEvent({event: 'connected'});
});
client.on('reconnect', () => emitEvent({event: 'reconnected'}));
client.on('disconnect', () => {
    connected = false;
    socket = null;
    emitEvent({event: 'disconnected'});
});
client.on('connectError', err => emitEvent({event: 'connectError', description: err.message}));
client.on('message', (message, topic) => {
    const event = messageEvent(topic, message);
    if (topic === 'socketipc.hello')
        event.event = 'greeting';
    emitEvent(event);
});
client.on('error', err => emitEvent(errorEvent(err)));
client.on('close', finish);

function close() {
    if (closing)
        return;
    closing = true;
    client.close();
    // The library emits 'close' only when it had a connection to end.
    if (!connected)
        finish();
}

readCommands(command => {
    if ('send' in command) {
        client.send(command.send, commandMessage(command));
    } else if ('raw' in command) {
        if (socket)
            socket.write(command.raw + '\0\0');
        else
            emitEvent({event: 'badCommand', description: 'raw: not connected'});
    } else {
        handleCommonCommand(command, client, close);
    }
}, close);

client.connect();
