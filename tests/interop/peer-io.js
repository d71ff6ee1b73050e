// The line protocol shared by node-server.js and node-client.js, the same as ipctestpeer's
// (tests/shared/ipctestpeer.cpp): one JSON event per stdout line, one JSON command per
// stdin line.

'use strict';

const readline = require('readline');

// stdout is a pipe, which Node writes synchronously on Linux: nothing is lost by exiting
// right after an event.
function emitEvent(event) {
    process.stdout.write(JSON.stringify(event) + '\n');
}

// A received message as an event. "json" is the message exactly as JSON.stringify writes it,
// so the test can check the bytes Node sees, not only what Qt's JSON parser makes of them.
function messageEvent(topic, message, clientId) {
    const event = {event: 'message', topic, message, json: JSON.stringify(message)};
    if (clientId !== undefined)
        event.client = clientId;
    return event;
}

function errorEvent(err, clientId) {
    const event = {
        event: 'error',
        code: err && err.constructor ? err.constructor.name : 'Error',
        description: String(err && err.message !== undefined ? err.message : err),
    };
    if (clientId !== undefined)
        event.client = clientId;
    return event;
}

// With --raw-frames, each frame as it arrives, before the library decodes it, so that the test
// sees keys the library ignores ("id", "re", "error"): {"event":"rawFrame","json":TEXT}
// ({"event":"rawGreeting",...} for a SocketIpc server's greeting).
// The library has set the socket's encoding to utf8 by then, so chunks are strings.
function tapRawFrames(socket, clientId) {
    let buffer = '';
    socket.on('data', chunk => {
        const frames = (buffer += chunk).split('\0\0');
        buffer = frames.pop();
        for (const json of frames) {
            // A SocketIpc server's greeting comes first: set apart, as node-client.js does.
            const greeting = json.startsWith('{"topic":"socketipc.hello"');
            const event = {event: greeting ? 'rawGreeting' : 'rawFrame', json};
            if (clientId !== undefined)
                event.client = clientId;
            emitEvent(event);
        }
    });
}

// A command's message: "json" (text for JSON.parse, exact to the byte) wins over "message".
function commandMessage(command) {
    return typeof command.json === 'string' ? JSON.parse(command.json) : command.message;
}

// Calls handle(command) for each stdin line, onEnd() when stdin closes (the test is gone).
function readCommands(handle, onEnd) {
    const lines = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
    lines.on('line', line => {
        if (!line.trim())
            return;
        let command;
        try {
            command = JSON.parse(line);
        } catch (err) {
            emitEvent({event: 'badCommand', description: err.message});
            return;
        }
        handle(command);
    });
    lines.on('close', onEnd);
}

function socketPathArgument(usage) {
    const socketPath = process.argv[2];
    if (!socketPath) {
        process.stderr.write(`usage: ${usage}\n`);
        process.exit(64);
    }
    return socketPath;
}

function loadSocketIpc() {
    try {
        return require('@crussell52/socket-ipc');
    } catch (err) {
        process.stderr.write(`${err.message}\nRun "npm ci" in ${__dirname}.\n`);
        emitEvent({event: 'missingDependency', description: err.message});
        process.exit(2);
    }
}

// The commands both peers take after their own: {"subscribe":T} (on emitter, the library's
// Server or Client), {"close":true}; anything else is reported as a badCommand.
function handleCommonCommand(command, emitter, close) {
    if ('subscribe' in command) {
        const topic = command.subscribe;
        emitter.on(`message.${topic}`, (message, clientId) => {
            const event = messageEvent(topic, message, clientId);
            event.event = 'topicMessage';
            emitEvent(event);
        });
        emitEvent({event: 'subscribed', topic});
    } else if ('close' in command) {
        close();
    } else {
        emitEvent({event: 'badCommand', description: JSON.stringify(command)});
    }
}

module.exports = {emitEvent, messageEvent, errorEvent, commandMessage, readCommands,
                  handleCommonCommand,
                  socketPathArgument, loadSocketIpc, tapRawFrames};
