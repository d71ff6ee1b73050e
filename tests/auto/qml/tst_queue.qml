import QtQuick
import QtTest
import SocketIpc
import SocketIpcTest

// The offline queue (maxQueuedMessages, queuedMessageCount) and the reconnect backoff
// (backoffFactor, maxBackoffDelay) from QML.
TestCase {
    id: testCase
    name: "Queue"
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
        id: spyComponent
        SignalSpy { }
    }
    Component {
        id: peerComponent
        PeerProcess { }
    }
    // A server declared inactive and a client that queues until it listens.
    Component {
        id: offlineComponent
        Item {
            id: view
            property string path
            property alias server: server
            property alias client: client
            IpcServer {
                id: server
                address: view.path
                active: false
            }
            IpcClient {
                id: client
                address: view.path
                maxQueuedMessages: 10
                retryDelay: 20
                active: true
            }
        }
    }

    function spy(target, signalName) {
        return createTemporaryObject(spyComponent, testCase, { target: target, signalName: signalName })
    }

    function offline(name) {
        const view = createTemporaryObject(offlineComponent, testCase, { path: TestSupport.socketPath(name) })
        verify(!view.server.listening)
        compare(view.client.state, IpcClient.Connecting)
        return view
    }

    function test_queuedMessagesArriveInOrderOnceTheServerListens() {
        const view = offline("order")
        const countChanged = spy(view.client, "queuedMessageCountChanged")
        compare(view.client.maxQueuedMessages, 10)
        compare(view.client.queuedMessageCount, 0)
        for (let i = 0; i < 5; ++i) {
            verify(view.client.send("n", { i: i }), view.client.errorString)
            compare(view.client.queuedMessageCount, i + 1)
        }
        compare(countChanged.count, 5)
        // Still nobody there: they wait.
        wait(60)
        compare(view.client.queuedMessageCount, 5)
        compare(view.client.state, IpcClient.Connecting)

        const received = spy(view.server, "messageReceived")
        view.server.active = true
        verify(view.server.listening, view.server.errorString)
        tryCompare(view.client, "state", IpcClient.Connected)
        tryCompare(received, "count", 5)
        for (let i = 0; i < 5; ++i)
            compare(received.signalArguments[i][1].i, i)
        compare(view.client.queuedMessageCount, 0)
        compare(countChanged.count, 6)
        // Sent at once from now on.
        verify(view.client.send("n", { i: 5 }))
        compare(view.client.queuedMessageCount, 0)
        tryCompare(received, "count", 6)
    }

    function test_fullQueueRefusesSend() {
        const view = offline("full")
        view.client.maxQueuedMessages = 3
        const errors = spy(view.client, "errorOccurred")
        for (let i = 0; i < 3; ++i)
            verify(view.client.send("n", i))
        compare(errors.count, 0)
        verify(!view.client.send("n", 3))
        compare(errors.count, 1)
        compare(errors.signalArguments[0][0], IpcError.QueueFullError)
        verify(errors.signalArguments[0][1].length > 0)
        compare(view.client.error, IpcError.QueueFullError)
        compare(view.client.queuedMessageCount, 3)
        verify(!view.client.send("n", 4))
        compare(errors.count, 2)

        // What was queued goes out; what was refused does not.
        const received = spy(view.server, "messageReceived")
        view.server.active = true
        tryCompare(received, "count", 3)
        wait(50)
        compare(received.count, 3)
        compare(received.signalArguments.map(a => a[1]), [0, 1, 2])
        tryCompare(view.client, "queuedMessageCount", 0)
    }

    function test_withoutQueueSendFailsWithNoServer() {
        const view = offline("noqueue")
        view.client.maxQueuedMessages = 0
        const errors = spy(view.client, "errorOccurred")
        verify(!view.client.send("n", 1))
        compare(errors.signalArguments[0][0], IpcError.NoServerError)
        compare(view.client.queuedMessageCount, 0)
    }

    function test_unencodableMessageIsRefusedWhenQueued() {
        const view = offline("encode")
        const errors = spy(view.client, "errorOccurred")
        verify(!view.client.send("n", NaN))
        compare(errors.signalArguments[0][0], IpcError.EncodeError)
        compare(view.client.queuedMessageCount, 0)
        verify(view.client.send("n", 1))
        compare(view.client.queuedMessageCount, 1)
    }

    function test_queuedRequestIsAnsweredOnceConnected() {
        const view = offline("request")
        view.server.handle("sum", (m) => m[0] + m[1])
        let answer
        view.client.send("before", 1)
        view.client.request("sum", [1, 2], (result, error, code) => answer = { result: result, error: error, code: code })
        view.client.send("after", 2)
        compare(view.client.queuedMessageCount, 3)
        wait(60)
        compare(answer, undefined)

        const received = spy(view.server, "messageReceived")
        view.server.active = true
        tryVerify(() => answer !== undefined)
        compare(answer.result, 3)
        compare(answer.error, undefined)
        tryCompare(received, "count", 2)
        compare(received.signalArguments[0][0], "before")
        compare(received.signalArguments[1][0], "after")
        compare(view.client.queuedMessageCount, 0)
    }

    function test_queuedRequestBeyondTheLimitFails() {
        const view = offline("requestfull")
        view.client.maxQueuedMessages = 1
        verify(view.client.send("n", 1))
        let answer
        view.client.request("sum", [1, 2], (result, error, code) => answer = { result: result, error: error, code: code })
        tryVerify(() => answer !== undefined)
        compare(answer.code, IpcError.QueueFullError)
        compare(view.client.queuedMessageCount, 1)
    }

    // A queued request that times out is not sent later.
    function test_queuedRequestTimesOutAndIsNotSent() {
        const view = offline("requesttimeout")
        let handled = 0
        view.server.handle("sum", function (m) { ++handled; return m[0] + m[1] })
        let answer
        view.client.request("sum", [1, 2], (result, error, code) => answer = { result: result, error: error, code: code }, 100)
        view.client.send("after", 1)
        tryVerify(() => answer !== undefined)
        compare(answer.code, IpcError.TimeoutError)

        const received = spy(view.server, "messageReceived")
        view.server.active = true
        tryCompare(received, "count", 1)
        compare(received.signalArguments[0][0], "after")
        compare(handled, 0)
        tryCompare(view.client, "queuedMessageCount", 0)
    }

    // Queued messages go first, before anything sent from connected().
    function test_queuedMessagesGoBeforeThoseSentOnConnect() {
        const view = offline("onconnect")
        view.client.connected.connect(() => view.client.send("n", "from connected"))
        view.client.send("n", "queued 1")
        view.client.send("n", "queued 2")
        const received = spy(view.server, "messageReceived")
        view.server.active = true
        tryCompare(received, "count", 3)
        compare(received.signalArguments.map(a => a[1]), ["queued 1", "queued 2", "from connected"])
    }

    function test_closingDropsTheQueue() {
        const view = offline("close")
        view.server.handle("sum", (m) => m[0] + m[1])
        view.client.send("n", "dropped")
        let answer
        view.client.request("sum", [1, 2], (result, error, code) => answer = { result: result, error: error, code: code })
        compare(view.client.queuedMessageCount, 2)
        view.client.active = false
        compare(view.client.state, IpcClient.Closed)
        compare(view.client.queuedMessageCount, 0)
        tryVerify(() => answer !== undefined)
        verify(answer.code !== undefined && answer.code !== IpcError.NoError, answer.code)
        verify(answer.error.length > 0)

        // Nothing of the old queue comes back with the next connection.
        const received = spy(view.server, "messageReceived")
        view.server.active = true
        view.client.active = true
        tryCompare(view.client, "state", IpcClient.Connected)
        view.client.send("n", "fresh")
        tryCompare(received, "count", 1)
        compare(received.signalArguments[0][1], "fresh")
    }

    function test_queueBridgesAServerRestart() {
        const path = TestSupport.socketPath("restart")
        const server = createTemporaryObject(serverComponent, testCase, { address: path, active: true })
        const client = createTemporaryObject(clientComponent, testCase,
                                             { address: path, maxQueuedMessages: 10, active: true })
        tryCompare(client, "state", IpcClient.Connected)
        tryCompare(server, "clientCount", 1)
        const received = spy(server, "messageReceived")
        client.send("n", 0)
        tryCompare(received, "count", 1)

        server.active = false
        tryCompare(client, "state", IpcClient.Connecting)
        verify(client.send("n", 1))
        verify(client.send("n", 2))
        compare(client.queuedMessageCount, 2)
        server.active = true
        tryCompare(received, "count", 3)
        compare(received.signalArguments.map(a => a[1]), [0, 1, 2])
        compare(client.queuedMessageCount, 0)
    }

    function test_queuedMessagesReachAPeerServerStartedLater() {
        const path = TestSupport.socketPath("peer")
        const client = createTemporaryObject(clientComponent, testCase,
                                             { address: path, maxQueuedMessages: 10, active: true })
        for (let i = 0; i < 4; ++i)
            verify(client.send("n", { i: i }))
        compare(client.queuedMessageCount, 4)
        const peer = createTemporaryObject(peerComponent, testCase)
        peer.start("server", path)
        tryVerify(() => peer.count("message", "n") === 4, 10000)
        const order = peer.events.filter(e => e.event === "message").map(e => e.message.i)
        compare(order, [0, 1, 2, 3])
        compare(client.queuedMessageCount, 0)
        compare(client.state, IpcClient.Connected)
    }

    function test_backoffPropertiesFromQml() {
        const client = createTemporaryObject(clientComponent, testCase)
        compare(client.backoffFactor, 1)
        compare(client.maxBackoffDelay, 30000)
        compare(client.maxQueuedMessages, 0)
        const changed = spy(client, "backoffChanged")
        client.backoffFactor = 2.5
        compare(client.backoffFactor, 2.5)
        compare(changed.count, 1)
        client.maxBackoffDelay = 500
        compare(client.maxBackoffDelay, 500)
        compare(changed.count, 2)
        // The same again: no change.
        client.backoffFactor = 2.5
        client.maxBackoffDelay = 500
        compare(changed.count, 2)
        // Below 1 there is no backoff, and no negative delays.
        client.backoffFactor = 0.5
        compare(client.backoffFactor, 1)
        client.maxBackoffDelay = -5
        compare(client.maxBackoffDelay, 0)
        client.maxQueuedMessages = -3
        compare(client.maxQueuedMessages, 0)

        const declared = createTemporaryObject(clientComponent, testCase,
                                               { backoffFactor: 1.5, maxBackoffDelay: 100, maxQueuedMessages: 7 })
        compare(declared.backoffFactor, 1.5)
        compare(declared.maxBackoffDelay, 100)
        compare(declared.maxQueuedMessages, 7)
    }

    // Each failed attempt in a row doubles the delay (here from 10 ms, up to 80 ms), the
    // delay then picked in its upper half: after a few failures, at least 40 ms apart.
    function test_backoffSpacesOutAttempts() {
        const path = TestSupport.socketPath("spacing")
        const client = createTemporaryObject(clientComponent, testCase,
                                             { address: path, retryDelay: 10, backoffFactor: 2,
                                               maxBackoffDelay: 80, active: true })
        const times = []
        client.connectError.connect(() => times.push(Date.now()))
        tryVerify(() => times.length >= 7, 5000)
        const gap = times[6] - times[5]
        // Lower bounds only, with room for a coarse timer firing early.
        verify(gap >= 30, "gap " + gap + " ms between the 6th and 7th attempts")
    }

    // With backoff, failed attempts space out, yet the client still connects, and queued
    // messages still arrive, once the server listens.
    function test_backoffStillConnects() {
        const path = TestSupport.socketPath("backoff")
        const client = createTemporaryObject(clientComponent, testCase,
                                             { address: path, retryDelay: 10, backoffFactor: 2,
                                               maxBackoffDelay: 80, maxQueuedMessages: 10, active: true })
        const failures = spy(client, "connectError")
        tryVerify(() => failures.count >= 4)
        verify(client.send("n", "waited"))
        const server = createTemporaryObject(serverComponent, testCase, { address: path, active: true })
        const received = spy(server, "messageReceived")
        tryCompare(client, "state", IpcClient.Connected, 2000)
        tryCompare(received, "count", 1)
        compare(received.signalArguments[0][1], "waited")
    }
}
