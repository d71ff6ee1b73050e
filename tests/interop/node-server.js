// node node-server.js SOCKET_PATH [--raw-frames]
//
// A @crussell52/socket-ipc Server driven like ipctestpeer's server mode. Events (stdout):
// {"event":"listening"}, {"event":"clientConnected","client":ID},
// {"event":"clientDisconnected","client":ID},
// {"event":"message","topic":T,"message":V,"json":TEXT,"client":ID},
// {"event":"topicMessage","topic":T,"message":V,"json":TEXT,"client":ID} (for subscribed topics),
// {"event":"subscribed","topic":T}, {"event":"error","code":NAME,"description":TEXT[,"client":ID]},
// {"event":"closed"}; with --raw-frames also {"event":"rawFrame","json":TEXT,"client":ID} for
// each frame as it arrived, before the library decoded it.
// Commands (stdin): {"send":T,"message":V,"client":ID}, {"broadcast":T,"message":V}
// ("json":TEXT may replace "message"), {"subscribe":T}, {"close":true}.
// The process exits once the server is closed, or when stdin ends.

'use strict';

const {emitEvent, messageEvent, errorEvent, commandMessage, readCommands, handleCommonCommand,
       socketPathArgument, loadSocketIpc, tapRawFrames} = require('./peer-io');

const socketFile = socketPathArgument('node node-server.js SOCKET_PATH [--raw-frames]');
const rawFrames = process.argv.slice(3).includes('--raw-frames');
const {Server} = loadSocketIpc();

const server = new Server({socketFile});
let closing = false;

server.on('listening', () => emitEvent({event: 'listening'}));
server.on('connection', (clientId, socket) => {
    emitEvent({event: 'clientConnected', client: clientId});
    if (rawFrames)
        tapRawFrames(socket, clientId);
    socket.on('close', () => emitEvent({event: 'clientDisconnected', client: clientId}));
});
server.on('message', (message, topic, clientId) => emitEvent(messageEvent(topic, message, clientId)));
server.on('error', (err, clientId) => emitEvent(errorEvent(err, clientId)));
server.on('close', () => {
    emitEvent({event: 'closed'});
    process.exit(0);
});

function close() {
    if (closing)
        return;
    closing = true;
    server.close();
}

readCommands(command => {
    if ('send' in command) {
        server.send(command.send, commandMessage(command), command.client);
    } else if ('broadcast' in command) {
        server.broadcast(command.broadcast, commandMessage(command));
    } else {
        handleCommonCommand(command, server, close);
    }
}, close);

server.listen();
