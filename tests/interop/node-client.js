// node node-client.js SOCKET_PATH [--retry MS] [--reconnect MS]
//
// A @crussell52/socket-ipc Client driven like ipctestpeer's client mode. Retry and reconnect
// delays default to 100 ms (the library's defaults are 1000 ms) to keep the tests quick.
// Events (stdout): {"event":"connected"}, {"event":"reconnected"}, {"event":"disconnected"},
// {"event":"connectError","description":TEXT},
// {"event":"message","topic":T,"message":V,"json":TEXT},
// {"event":"topicMessage","topic":T,"message":V,"json":TEXT} (for subscribed topics),
// {"event":"subscribed","topic":T}, {"event":"error","code":NAME,"description":TEXT},
// {"event":"closed"}.
// Commands (stdin): {"send":T,"message":V} ("json":TEXT may replace "message"),
// {"subscribe":T}, {"close":true}.
// The process exits once the client is closed, or when stdin ends.

'use strict';

const {emitEvent, messageEvent, errorEvent, commandMessage, readCommands, socketPathArgument,
       loadSocketIpc} = require('./peer-io');

const usage = 'node node-client.js SOCKET_PATH [--retry MS] [--reconnect MS]';
const socketFile = socketPathArgument(usage);
const options = {socketFile, retryDelay: 100, reconnectDelay: 100};
for (let i = 3; i + 1 < process.argv.length; i += 2) {
    const value = parseInt(process.argv[i + 1], 10);
    if (process.argv[i] === '--retry')
        options.retryDelay = value;
    else if (process.argv[i] === '--reconnect')
        options.reconnectDelay = value;
}

const {Client} = loadSocketIpc();
const client = new Client(options);
let connected = false;
let closing = false;

function finish() {
    emitEvent({event: 'closed'});
    process.exit(0);
}

client.on('connect', () => {
    connected = true;
    emitEvent({event: 'connected'});
});
client.on('reconnect', () => emitEvent({event: 'reconnected'}));
client.on('disconnect', () => {
    connected = false;
    emitEvent({event: 'disconnected'});
});
client.on('connectError', err => emitEvent({event: 'connectError', description: err.message}));
client.on('message', (message, topic) => emitEvent(messageEvent(topic, message)));
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
    } else if ('subscribe' in command) {
        const topic = command.subscribe;
        client.on(`message.${topic}`, message => {
            const event = messageEvent(topic, message);
            event.event = 'topicMessage';
            emitEvent(event);
        });
        emitEvent({event: 'subscribed', topic});
    } else if ('close' in command) {
        close();
    } else {
        emitEvent({event: 'badCommand', description: JSON.stringify(command)});
    }
}, close);

client.connect();
