import QtQuick
import QtTest
import SocketIpc
import SocketIpcTest

// Request/reply from QML: request(topic, message, callback(result, error, code)[, timeout])
// on one side, handle(topic, function(message, clientId)) on the other, through real sockets.
TestCase {
    id: testCase
    name: "Requests"
    when: windowShown

    Component {
        id: serverComponent
        IpcServer { }
    }
    Component {
        id: clientComponent
        IpcClient {
            retryDelay: 20
            reconnectDelay: 20
        }
    }
    Component {
        id: peerComponent
        PeerProcess { }
    }
    Component {
        id: spyComponent
        SignalSpy { }
    }

    function connectedPair(name) {
        const path = TestSupport.socketPath(name)
        const server = createTemporaryObject(serverComponent, testCase, { address: path, active: true })
        verify(server.listening, server.errorString)
        const client = createTemporaryObject(clientComponent, testCase, { address: path, active: true })
        tryCompare(client, "state", IpcClient.Connected)
        tryCompare(server, "clientCount", 1)
        return { server: server, client: client, path: path }
    }

    // A request callback that records each call, with how many arguments it was given.
    function recorder() {
        const calls = []
        return {
            calls: calls,
            callback: function (result, error, code) {
                calls.push({ result: result, error: error, code: code, arity: arguments.length })
            }
        }
    }

    // A promise settled after msecs, from the event loop.
    function later(msecs, settle) {
        return new Promise((resolve, reject) => TestSupport.after(msecs, () => settle(resolve, reject)))
    }

    function test_clientRequestIsAnsweredByServerHandler() {
        const pair = connectedPair("sum")
        const seen = []
        pair.server.handle("sum", function (message, clientId) {
            seen.push(clientId)
            return message[0] + message[1]
        })
        verify(pair.server.hasHandler("sum"))
        const r = recorder()
        pair.client.request("sum", [1, 2], r.callback)
        // Never called from inside request(): always later, from the event loop.
        compare(r.calls.length, 0)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].result, 3)
        compare(r.calls[0].error, undefined)
        compare(r.calls[0].code, undefined)
        compare(seen, [pair.server.clientIds[0]])
    }

    function test_requestsAreNotMessages() {
        const pair = connectedPair("notmessages")
        const messages = createTemporaryObject(spyComponent, testCase,
                                               { target: pair.server, signalName: "messageReceived" })
        pair.server.handle("sum", (m) => m[0] + m[1])
        const r = recorder()
        pair.client.request("sum", [1, 2], r.callback)
        pair.client.send("after", 1)
        tryCompare(messages, "count", 1)
        compare(messages.signalArguments[0][0], "after")
        tryVerify(() => r.calls.length === 1)
    }

    function test_objectsAndArraysRoundTrip() {
        const pair = connectedPair("objects")
        let received
        pair.server.handle("echo", function (message) {
            received = message
            // A JavaScript object built here travels back as one, not as a QJSValue.
            return { echo: message, count: message.list.length, nested: [{ deep: [true, null] }] }
        })
        const r = recorder()
        const sent = { list: [1, 2.5, "x", null, false], map: { a: "é✓", b: [] } }
        pair.client.request("echo", sent, r.callback)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].error, undefined)
        // Keys come back sorted: objects travel as QVariantMap.
        compare(JSON.stringify(received), JSON.stringify({ list: sent.list, map: sent.map }))
        const result = r.calls[0].result
        compare(result.count, 5)
        compare(JSON.stringify(result.echo), JSON.stringify(received))
        compare(result.nested[0].deep[0], true)
        compare(result.nested[0].deep[1], null)
    }

    function test_scalarAnswers_data() {
        return [
            { tag: "string", answer: "text", expected: "text" },
            { tag: "number", answer: 2.5, expected: 2.5 },
            { tag: "zero", answer: 0, expected: 0 },
            { tag: "false", answer: false, expected: false },
            { tag: "null", answer: null, expected: null },
            { tag: "empty array", answer: [], expected: [] },
        ]
    }

    function test_scalarAnswers(data) {
        const pair = connectedPair("scalar")
        pair.server.handle("get", () => data.answer)
        const r = recorder()
        pair.client.request("get", null, r.callback)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].error, undefined)
        compare(JSON.stringify(r.calls[0].result), JSON.stringify(data.expected))
    }

    // A handler that does its work and returns nothing answers, as a void C++ handler does.
    function test_handlerReturningNothingAnswersNull() {
        const pair = connectedPair("void")
        let called = 0
        pair.server.handle("ping", function () { ++called })
        const r = recorder()
        pair.client.request("ping", {}, r.callback)
        tryVerify(() => r.calls.length === 1)
        compare(called, 1)
        compare(r.calls[0].error, undefined, "a handler without a return value failed the request")
        compare(r.calls[0].code, undefined)
        verify(r.calls[0].result === null || r.calls[0].result === undefined)
    }

    function test_throwingHandlerIsHandlerError_data() {
        return [
            { tag: "Error", thrown: () => new Error("bad input"), text: "bad input" },
            { tag: "TypeError", thrown: () => new TypeError("bad type"), text: "bad type" },
            // Not Error objects: still thrown, so still failures, not answers.
            { tag: "string", thrown: () => "bad string", text: "bad string" },
            { tag: "object with message", thrown: () => ({ message: "bad object" }), text: "bad object" },
        ]
    }

    function test_throwingHandlerIsHandlerError(data) {
        const pair = connectedPair("throws")
        pair.server.handle("sum", function () { throw data.thrown() })
        const r = recorder()
        pair.client.request("sum", [1, 2], r.callback)
        tryVerify(() => r.calls.length === 1)
        const call = r.calls[0]
        compare(call.code, IpcError.HandlerError)
        verify(typeof call.error === "string", typeof call.error)
        verify(call.error.indexOf(data.text) >= 0, call.error)
        compare(call.result, undefined)
        compare(call.arity, 3)
        // The server is still fine, and so is the handler for the next request.
        pair.server.handle("sum", (m) => m[0] + m[1])
        pair.client.request("sum", [2, 2], r.callback)
        tryVerify(() => r.calls.length === 2)
        compare(r.calls[1].result, 4)
    }

    function test_noHandlerIsNoHandlerError() {
        const pair = connectedPair("nohandler")
        verify(!pair.server.hasHandler("sum"))
        const r = recorder()
        pair.client.request("sum", [1, 2], r.callback)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].code, IpcError.NoHandlerError)
        verify(r.calls[0].error.length > 0)
        compare(r.calls[0].result, undefined)
    }

    function test_nullRemovesTheHandler() {
        const pair = connectedPair("remove")
        pair.server.handle("sum", (m) => m[0] + m[1])
        const r = recorder()
        pair.client.request("sum", [1, 2], r.callback)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].result, 3)

        pair.server.handle("sum", null)
        verify(!pair.server.hasHandler("sum"))
        pair.client.request("sum", [1, 2], r.callback)
        tryVerify(() => r.calls.length === 2)
        compare(r.calls[1].code, IpcError.NoHandlerError)

        pair.server.handle("sum", (m) => m[0] * m[1])
        pair.server.handle("sum", undefined)
        verify(!pair.server.hasHandler("sum"))
    }

    function test_laterHandlerReplacesEarlierOne() {
        const pair = connectedPair("replace")
        pair.server.handle("op", (m) => m[0] + m[1])
        pair.server.handle("op", (m) => m[0] * m[1])
        const r = recorder()
        pair.client.request("op", [3, 4], r.callback)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].result, 12)
    }

    function test_promiseAnswers_data() {
        return [
            { tag: "resolved", handler: (m) => Promise.resolve(m[0] + m[1]) },
            { tag: "then", handler: (m) => Promise.resolve().then(() => m[0] + m[1]) },
            { tag: "timer", handler: (m) => later(50, (resolve) => resolve(m[0] + m[1])) },
            { tag: "thenable", handler: (m) => ({ then: (resolve) => resolve(m[0] + m[1]) }) },
            { tag: "object", handler: (m) => later(10, (resolve) => resolve({ sum: m[0] + m[1] })), object: true },
        ]
    }

    function test_promiseAnswers(data) {
        const pair = connectedPair("promise")
        pair.server.handle("sum", data.handler)
        const r = recorder()
        pair.client.request("sum", [1, 2], r.callback)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].error, undefined)
        compare(r.calls[0].code, undefined)
        if (data.object)
            compare(r.calls[0].result.sum, 3)
        else
            compare(r.calls[0].result, 3)
    }

    function test_rejectedPromiseIsHandlerError_data() {
        return [
            { tag: "rejected", handler: () => Promise.reject(new Error("bad promise")), text: "bad promise" },
            { tag: "rejected later", handler: () => later(20, (resolve, reject) => reject(new Error("bad later"))), text: "bad later" },
            { tag: "throw in then", handler: () => Promise.resolve().then(() => { throw new Error("bad then") }), text: "bad then" },
            { tag: "rejected with string", handler: () => Promise.reject("bad reason"), text: "bad reason" },
        ]
    }

    function test_rejectedPromiseIsHandlerError(data) {
        const pair = connectedPair("reject")
        pair.server.handle("sum", data.handler)
        const r = recorder()
        pair.client.request("sum", [1, 2], r.callback)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].code, IpcError.HandlerError)
        verify(r.calls[0].error.indexOf(data.text) >= 0, r.calls[0].error)
    }

    function test_pendingPromiseTimesOut() {
        const pair = connectedPair("timeout")
        pair.server.handle("sum", () => new Promise(() => { }))
        const r = recorder()
        const started = Date.now()
        pair.client.request("sum", [1, 2], r.callback, 200)
        tryVerify(() => r.calls.length === 1, 5000)
        compare(r.calls[0].code, IpcError.TimeoutError)
        verify(r.calls[0].error.length > 0)
        // Not before the timeout (with room for a coarse timer).
        verify(Date.now() - started >= 150, Date.now() - started)
        // Called once only.
        wait(100)
        compare(r.calls.length, 1)
    }

    function test_requestTimeoutPropertyIsTheDefault() {
        const pair = connectedPair("defaulttimeout")
        compare(pair.client.requestTimeout, 30000)
        pair.client.requestTimeout = 100
        compare(pair.client.requestTimeout, 100)
        pair.server.handle("slow", () => new Promise(() => { }))
        const r = recorder()
        pair.client.request("slow", null, r.callback)
        tryVerify(() => r.calls.length === 1, 5000)
        compare(r.calls[0].code, IpcError.TimeoutError)
    }

    function test_lateAnswerAfterTimeoutIsIgnored() {
        const pair = connectedPair("late")
        pair.server.handle("sum", (m) => later(300, (resolve) => resolve(m[0] + m[1])))
        const r = recorder()
        pair.client.request("sum", [1, 2], r.callback, 50)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].code, IpcError.TimeoutError)
        // The answer that comes after is dropped; the next request is answered normally.
        wait(400)
        compare(r.calls.length, 1)
        pair.server.handle("sum", (m) => m[0] + m[1])
        pair.client.request("sum", [5, 5], r.callback)
        tryVerify(() => r.calls.length === 2)
        compare(r.calls[1].result, 10)
    }

    function test_concurrentRequestsGetTheirOwnAnswers() {
        const pair = connectedPair("concurrent")
        // Later requests answered sooner: replies are matched by id, not by order.
        pair.server.handle("delay", (m) => later(m * 10, (resolve) => resolve(m)))
        const results = {}
        for (let i = 5; i >= 1; --i)
            pair.client.request("delay", i, function (result, error) { results[i] = error === undefined ? result : error })
        tryVerify(() => Object.keys(results).length === 5)
        for (let i = 1; i <= 5; ++i)
            compare(results[i], i)
    }

    function test_serverRequestIsAnsweredByClientHandler() {
        const pair = connectedPair("status")
        let handlerClientId
        pair.client.handle("status", function (message, clientId) {
            handlerClientId = clientId
            return { ok: true, asked: message }
        })
        verify(pair.client.hasHandler("status"))
        const r = recorder()
        pair.server.request("status", { verbose: true }, pair.server.clientIds[0], r.callback)
        compare(r.calls.length, 0)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].error, undefined)
        compare(r.calls[0].result.ok, true)
        compare(r.calls[0].result.asked.verbose, true)
        // No client id on the client's side.
        compare(handlerClientId, "")
    }

    function test_serverRequestErrors() {
        const pair = connectedPair("servererrors")
        const clientId = pair.server.clientIds[0]
        const r = recorder()
        pair.server.request("status", {}, clientId, r.callback)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].code, IpcError.NoHandlerError)

        pair.client.handle("status", function () { throw new Error("bad status") })
        pair.server.request("status", {}, clientId, r.callback)
        tryVerify(() => r.calls.length === 2)
        compare(r.calls[1].code, IpcError.HandlerError)
        verify(r.calls[1].error.indexOf("bad status") >= 0, r.calls[1].error)

        pair.client.handle("status", () => new Promise(() => { }))
        pair.server.request("status", {}, clientId, r.callback, 100)
        tryVerify(() => r.calls.length === 3)
        compare(r.calls[2].code, IpcError.TimeoutError)

        pair.client.handle("status", null)
        verify(!pair.client.hasHandler("status"))

        pair.server.request("status", {}, "no-such-client", r.callback)
        tryVerify(() => r.calls.length === 4)
        compare(r.calls[3].code, IpcError.BadClientError)
    }

    function test_requestWithoutServerIsNoServerError() {
        const client = createTemporaryObject(clientComponent, testCase)
        const r = recorder()
        client.request("sum", [1, 2], r.callback)
        compare(r.calls.length, 0)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].code, IpcError.NoServerError)
    }

    function test_pendingRequestFailsWhenTheServerGoes() {
        const pair = connectedPair("disconnect")
        pair.server.handle("sum", () => new Promise(() => { }))
        const r = recorder()
        pair.client.request("sum", [1, 2], r.callback)
        // Once the request is in the server's hands.
        wait(50)
        pair.server.active = false
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].code, IpcError.DisconnectedError)
    }

    // An exception in a callback is reported as one in a signal handler would be: a warning,
    // not an exception thrown into whatever JavaScript happens to run next.
    function test_throwingCallbackIsReportedNotRethrown() {
        const pair = connectedPair("throwingcallback")
        pair.server.handle("sum", (m) => m[0] + m[1])
        let thrown = 0
        ignoreWarning(new RegExp("callback failed"))
        pair.client.request("sum", [1, 2], function () { ++thrown; throw new Error("callback failed") })
        let leaked = null
        try {
            tryVerify(() => thrown === 1)
            wait(20)
        } catch (e) {
            leaked = e
        }
        compare(leaked, null, "the callback's exception reached unrelated code: " + leaked)
        compare(thrown, 1)
        const r = recorder()
        pair.client.request("sum", [2, 3], r.callback)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].result, 5)
        compare(r.calls[0].error, undefined)
    }

    function test_peerServerAnswersQmlClient() {
        const path = TestSupport.socketPath("peerserver")
        const peer = createTemporaryObject(peerComponent, testCase)
        peer.start("server", path)
        tryVerify(() => peer.count("listening") === 1, 10000)
        peer.command({ handle: "sum", with: "sum" })
        peer.command({ handle: "fail", with: "fail" })
        tryVerify(() => peer.count("handling") === 2)

        const client = createTemporaryObject(clientComponent, testCase, { address: path, active: true })
        tryCompare(client, "state", IpcClient.Connected)
        tryVerify(() => peer.count("clientConnected") === 1)
        const r = recorder()
        client.request("sum", [1, 2, 39], r.callback)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].result, 42)
        client.request("fail", "bad peer", r.callback)
        tryVerify(() => r.calls.length === 2)
        compare(r.calls[1].code, IpcError.HandlerError)
        verify(r.calls[1].error.indexOf("bad peer") >= 0, r.calls[1].error)
        client.request("unhandled", 1, r.callback)
        tryVerify(() => r.calls.length === 3)
        compare(r.calls[2].code, IpcError.NoHandlerError)
    }

    function test_peerClientRequestsQmlServer() {
        const path = TestSupport.socketPath("peerclient")
        const server = createTemporaryObject(serverComponent, testCase, { address: path, active: true })
        server.handle("sum", (m) => m.reduce((a, b) => a + b, 0))
        server.handle("bad", function () { throw new Error("bad qml") })
        server.handle("later", (m) => later(20, (resolve) => resolve({ got: m })))
        const peer = createTemporaryObject(peerComponent, testCase)
        peer.start("client", path)
        tryCompare(server, "clientCount", 1, 10000)
        tryVerify(() => peer.count("connected") === 1)

        peer.command({ request: "sum", message: [4, 5, 6] })
        peer.command({ request: "bad", message: null })
        peer.command({ request: "later", message: "x" })
        tryVerify(() => peer.count("reply") === 3)
        const replies = peer.events.filter(e => e.event === "reply")
        const byTopic = {}
        replies.forEach(e => byTopic[e.topic] = e)
        compare(byTopic.sum.error, "NoError")
        compare(byTopic.sum.value, 15)
        compare(byTopic.bad.error, "HandlerError")
        verify(byTopic.bad.errorString.indexOf("bad qml") >= 0, byTopic.bad.errorString)
        compare(byTopic.later.error, "NoError")
        compare(byTopic.later.value.got, "x")
    }

    function test_qmlServerRequestsPeerClient() {
        const path = TestSupport.socketPath("serverasks")
        const server = createTemporaryObject(serverComponent, testCase, { address: path, active: true })
        const peer = createTemporaryObject(peerComponent, testCase)
        peer.start("client", path)
        tryCompare(server, "clientCount", 1, 10000)
        peer.command({ handle: "status", with: "echo" })
        tryVerify(() => peer.count("handling") === 1)
        const r = recorder()
        server.request("status", { ok: true, list: [1, "two"] }, server.clientIds[0], r.callback)
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].error, undefined)
        compare(JSON.stringify(r.calls[0].result), JSON.stringify({ list: [1, "two"], ok: true }))
    }

    // Progress from a handler in another process, then the answer; in order.
    function test_progressCallbackSeesEachValueBeforeTheAnswer() {
        const path = TestSupport.socketPath("progress")
        const peer = createTemporaryObject(peerComponent, testCase)
        peer.start("server", path)
        tryVerify(() => peer.count("listening") === 1, 10000)
        peer.command({ handle: "work", with: "progress" })
        tryVerify(() => peer.count("handling") === 1)
        const client = createTemporaryObject(clientComponent, testCase, { address: path, active: true })
        tryCompare(client, "state", IpcClient.Connected)

        const seen = []
        const r = recorder()
        const reply = client.request("work", 10, function (result, error, code) {
            seen.push("answer:" + result)
            r.callback(result, error, code)
        }, function (value) { seen.push(value) })
        verify(reply !== null)
        compare(reply.topic, "work")
        tryVerify(() => r.calls.length === 1)
        compare(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "answer:done"])
        compare(r.calls[0].error, undefined)

        // The fourth argument may still be the timeout, as before.
        const timed = recorder()
        client.request("work", 2, timed.callback, 5000)
        tryVerify(() => timed.calls.length === 1)
        compare(timed.calls[0].result, "done")
    }

    // reply.cancel(): the handler (another process) hears of it, the callback gets
    // CancelledError, once.
    function test_cancelFromQml() {
        const path = TestSupport.socketPath("cancel")
        const peer = createTemporaryObject(peerComponent, testCase)
        peer.start("server", path)
        tryVerify(() => peer.count("listening") === 1, 10000)
        peer.command({ handle: "slow", with: "hold" })
        tryVerify(() => peer.count("handling") === 1)
        const client = createTemporaryObject(clientComponent, testCase, { address: path, active: true })
        tryCompare(client, "state", IpcClient.Connected)

        const r = recorder()
        const reply = client.request("slow", 1, r.callback)
        tryVerify(() => peer.count("request") === 1)
        reply.cancel()
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].code, IpcError.CancelledError)
        tryVerify(() => peer.count("cancelled") === 1)
        // The peer's late answer goes nowhere; the callback is not called again.
        peer.command({ answer: 5 })
        tryVerify(() => peer.count("answered") === 1)
        wait(50)
        compare(r.calls.length, 1)
    }

    // A QML server asks a QML client; the server cancels; the JavaScript handler's promise
    // is then left alone, and its late answer is dropped.
    function test_serverCancelsItsRequestToAClient() {
        const pair = connectedPair("servercancel")
        let settle = null
        pair.client.handle("ask", () => new Promise((resolve) => { settle = resolve }))
        const r = recorder()
        const reply = pair.server.request("ask", 1, pair.server.clientIds[0], r.callback)
        tryVerify(() => settle !== null)
        reply.cancel()
        tryVerify(() => r.calls.length === 1)
        compare(r.calls[0].code, IpcError.CancelledError)
        settle("late")
        wait(50)
        compare(r.calls.length, 1)
    }
}
