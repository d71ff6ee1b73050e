import QtQuick
import QtTest
import SocketIpc
import SocketIpcTest

// The QML module used as a Qt Quick developer would: declared servers, clients, topics and
// a message model, bound to from ordinary items.
TestCase {
    id: testCase
    name: "SocketIpc"
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
        id: topicComponent
        IpcTopic { }
    }
    Component {
        id: modelComponent
        IpcMessageModel { }
    }
    Component {
        id: peerComponent
        PeerProcess { }
    }
    Component {
        id: spyComponent
        SignalSpy { }
    }
    // The QML tour's snippet (docs/snippets/qml-tour.qml): a label bound to a topic's last message.
    Component {
        id: weatherViewComponent
        Item {
            property alias client: bus
            property alias topic: weather
            property alias label: label
            property string shownOnConnected: ""  // the label's text when connected() came
            IpcClient {
                id: bus
                retryDelay: 20
                onConnected: shownOnConnected = label.text
            }
            IpcTopic {
                id: weather
                source: bus
                name: "weather"
            }
            Text {
                id: label
                text: weather.lastMessage ? weather.lastMessage.temperature + " °C" : "waiting…"
            }
        }
    }

    function spy(target, signalName) {
        return createTemporaryObject(spyComponent, testCase, { target: target, signalName: signalName })
    }

    // A listening server and a client connected to it, both active.
    function connectedPair(name) {
        const path = TestSupport.socketPath(name)
        const server = createTemporaryObject(serverComponent, testCase, { address: path, active: true })
        verify(server.listening, server.errorString)
        const client = createTemporaryObject(clientComponent, testCase, { address: path, active: true })
        tryCompare(client, "state", IpcClient.Connected)
        tryCompare(server, "clientCount", 1)
        return { server: server, client: client, path: path }
    }

    function test_activeDeclaredObjectsConnect() {
        const pair = connectedPair("active")
        compare(pair.server.clientIds.length, 1)
        compare(pair.server.clientIds[0].length, 36)
    }

    function test_qmlServerAndClientExchangeMessages() {
        const pair = connectedPair("exchange")
        const serverSpy = spy(pair.server, "messageReceived")
        const clientSpy = spy(pair.client, "messageReceived")

        // Keys in alphabetical order: objects travel as QVariantMap, which sorts them.
        const sent = { city: "Oslo", nested: { list: [1, 2.5, true, null, "x"] }, units: ["C"] }
        verify(pair.client.send("refresh", sent))
        tryCompare(serverSpy, "count", 1)
        compare(serverSpy.signalArguments[0][0], "refresh")
        const received = serverSpy.signalArguments[0][1]
        // A plain JavaScript object again, the same JSON.
        compare(JSON.stringify(received), JSON.stringify(sent))
        compare(received.units[0], "C")
        compare(received.nested.list[3], null)
        const clientId = serverSpy.signalArguments[0][2]
        compare(clientId, pair.server.clientIds[0])

        verify(pair.server.send("reply", [{ a: 1 }, "two"], clientId))
        pair.server.broadcast("news", { headline: "hi" })
        tryCompare(clientSpy, "count", 2)
        compare(clientSpy.signalArguments[0][0], "reply")
        compare(JSON.stringify(clientSpy.signalArguments[0][1]), '[{"a":1},"two"]')
        compare(clientSpy.signalArguments[1][1].headline, "hi")
    }

    function test_topicBindingUpdates() {
        const path = TestSupport.socketPath("binding")
        const server = createTemporaryObject(serverComponent, testCase, { address: path, active: true })
        const view = createTemporaryObject(weatherViewComponent, testCase)
        compare(view.label.text, "waiting…")
        view.client.address = path
        view.client.active = true
        tryCompare(server, "clientCount", 1)

        server.broadcast("weather", { temperature: 21 })
        tryCompare(view.label, "text", "21 °C")
        compare(view.topic.count, 1)
        server.broadcast("other", { temperature: 99 })
        server.broadcast("weather", { temperature: -4 })
        tryCompare(view.label, "text", "-4 °C")
        compare(view.topic.count, 2)
        compare(view.topic.lastMessage.temperature, -4)
    }

    function test_serverTopicKnowsTheSender() {
        const pair = connectedPair("sender")
        const topic = createTemporaryObject(topicComponent, testCase, { source: pair.server, name: "hello" })
        const topicSpy = spy(topic, "messageReceived")
        pair.client.send("hello", "world")
        pair.client.send("other", "ignored")
        tryCompare(topicSpy, "count", 1)
        compare(topicSpy.signalArguments[0][0], "world")
        compare(topicSpy.signalArguments[0][1], pair.server.clientIds[0])
        compare(topic.lastClientId, pair.server.clientIds[0])
    }

    function test_ownedTopicFromQml() {
        const pair = connectedPair("owned")
        const news = pair.client.topic("news")
        compare(pair.client.topic("news"), news)
        compare(news.source, pair.client)
        const newsSpy = spy(news, "messageReceived")
        pair.server.broadcast("news", { n: 1 })
        pair.server.broadcast("sports", { n: 2 })
        tryCompare(newsSpy, "count", 1)
        compare(news.lastMessage.n, 1)
    }

    function test_messageModelFillsAndTrims() {
        const pair = connectedPair("model")
        const model = createTemporaryObject(modelComponent, testCase, { source: pair.server, maxCount: 3 })
        const filtered = createTemporaryObject(modelComponent, testCase, { source: pair.server, topic: "b" })
        for (let i = 0; i < 5; ++i)
            pair.client.send(i % 2 ? "b" : "a", { i: i })
        tryCompare(model, "count", 3)
        tryCompare(filtered, "count", 2)
        // Oldest first, the two oldest dropped.
        compare(model.get(0).message.i, 2)
        compare(model.get(2).message.i, 4)
        compare(model.get(2).topic, "a")
        compare(model.get(2).clientId, pair.server.clientIds[0])
        verify(model.get(2).timestamp instanceof Date)
        compare(filtered.get(0).message.i, 1)
        compare(filtered.get(1).message.i, 3)
        model.maxCount = 1
        compare(model.count, 1)
        compare(model.get(0).message.i, 4)
        model.clear()
        compare(model.count, 0)
    }

    function test_inactiveClientDisconnects() {
        const pair = connectedPair("inactive")
        const closedSpy = spy(pair.client, "closed")
        pair.client.active = false
        tryCompare(closedSpy, "count", 1)
        compare(pair.client.state, IpcClient.Closed)
        tryCompare(pair.server, "clientCount", 0)

        pair.client.active = true
        tryCompare(pair.client, "state", IpcClient.Connected)
        tryCompare(pair.server, "clientCount", 1)

        pair.server.active = false
        compare(pair.server.listening, false)
        tryCompare(pair.server, "clientCount", 0)
        // The client, still active, waits for a server to come back.
        tryCompare(pair.client, "state", IpcClient.Connecting)
        pair.server.active = true
        tryCompare(pair.client, "state", IpcClient.Connected)
    }

    function test_activeServerMovesToANewPath() {
        const first = TestSupport.socketPath("first")
        const second = TestSupport.socketPath("second")
        const server = createTemporaryObject(serverComponent, testCase, { address: first, active: true })
        verify(server.listening)
        server.address = second
        verify(server.listening)
        const client = createTemporaryObject(clientComponent, testCase, { address: second, active: true })
        tryCompare(client, "state", IpcClient.Connected)
        tryCompare(server, "clientCount", 1)
        // Nothing listens on the old path any more.
        const stray = createTemporaryObject(clientComponent, testCase, { address: first, active: true })
        const strayErrors = spy(stray, "connectError")
        tryVerify(() => strayErrors.count > 0)
        compare(stray.state, IpcClient.Connecting)
    }

    function test_errorsReachQmlAsEnumValues() {
        const client = createTemporaryObject(clientComponent, testCase)
        const errorSpy = spy(client, "errorOccurred")
        verify(!client.send("nowhere", 1))
        compare(errorSpy.count, 1)
        compare(errorSpy.signalArguments[0][0], IpcError.NoServerError)
        compare(client.error, IpcError.NoServerError)
        verify(client.errorString.length > 0)

        const pair = connectedPair("errors")
        const serverErrors = spy(pair.server, "errorOccurred")
        verify(!pair.server.send("t", 1, "no-such-client"))
        compare(serverErrors.signalArguments[0][0], IpcError.BadClientError)
        compare(serverErrors.signalArguments[0][2], "no-such-client")
        verify(!pair.client.send("t", NaN))
        compare(pair.client.error, IpcError.EncodeError)
        verify(!pair.client.send("t", pair.client))   // a QObject is not JSON
        compare(pair.client.error, IpcError.EncodeError)
    }

    function test_enumsAndCredentialsAreReadable() {
        const path = TestSupport.socketPath("credentials")
        const server = createTemporaryObject(serverComponent, testCase, { address: path, active: true })
        compare(server.socketAccess, IpcServer.OwnerOnly)
        const peer = createTemporaryObject(peerComponent, testCase)
        peer.start("client", path)
        tryCompare(server, "clientCount", 1, 10000)
        const credentials = server.peerCredentials(server.clientIds[0])
        verify(credentials.valid)
        compare(credentials.pid, peer.pid)
        verify(!server.peerCredentials("no-such-client").valid)
    }

    function test_peerProcessTalksToQmlClient() {
        const path = TestSupport.socketPath("peer")
        const peer = createTemporaryObject(peerComponent, testCase)
        peer.start("server", path)
        tryVerify(() => peer.count("listening") === 1, 10000)

        const client = createTemporaryObject(clientComponent, testCase, { address: path, active: true })
        const clientSpy = spy(client, "messageReceived")
        tryCompare(client, "state", IpcClient.Connected)
        tryVerify(() => peer.count("clientConnected") === 1)

        client.send("from-qml", { list: [1, { deep: "é✓" }], flag: false })
        tryVerify(() => peer.count("message", "from-qml") === 1)
        const event = peer.events.find(e => e.event === "message")
        compare(JSON.stringify(event.message), JSON.stringify({ flag: false, list: [1, { deep: "é✓" }] }))

        peer.command({ broadcast: "from-peer", message: { temperature: 7, tags: ["a"] } })
        tryCompare(clientSpy, "count", 1)
        compare(clientSpy.signalArguments[0][0], "from-peer")
        compare(clientSpy.signalArguments[0][1].temperature, 7)
        compare(clientSpy.signalArguments[0][1].tags[0], "a")
    }

    // Inside onMessageReceived, a binding on lastMessage already shows this message.
    Component {
        id: boundTopicComponent
        IpcTopic {
            property var shown: lastMessage
            property int shownChanges: 0
            property var seenWhenReceived: []
            onShownChanged: ++shownChanges
            onMessageReceived: (message) => seenWhenReceived.push([message, lastMessage, count])
        }
    }

    // Inside onMessageReceived the properties read are this message's; bindings on them are
    // updated once per read, after its messages, on the newest value.
    function test_bindingsFollowOncePerRead() {
        const pair = connectedPair("bindings")
        const topic = createTemporaryObject(boundTopicComponent, testCase, { source: pair.server, name: "t" })
        const changesBefore = topic.shownChanges  // the binding's first evaluation
        pair.client.send("t", 1)
        pair.client.send("t", { n: 2 })  // the same write: one read
        tryCompare(topic, "count", 2)
        compare(topic.seenWhenReceived.length, 2)
        compare(topic.seenWhenReceived[0], [1, 1, 1])
        compare(JSON.stringify(topic.seenWhenReceived[1]), JSON.stringify([{ n: 2 }, { n: 2 }, 2]))
        compare(JSON.stringify(topic.shown), JSON.stringify({ n: 2 }))
        compare(topic.shownChanges - changesBefore, 1)
    }

    Component {
        id: conflatingTopicComponent
        IpcTopic {
            conflate: true
            property var received: []
            onMessageReceived: (message) => received.push(message)
        }
    }

    function test_conflateDeliversTheNewestOncePerRead() {
        const pair = connectedPair("conflate")
        const topic = createTemporaryObject(conflatingTopicComponent, testCase, { source: pair.server, name: "t" })
        for (let i = 1; i <= 5; ++i)
            pair.client.send("t", i)  // one write: one read
        tryCompare(topic, "count", 5)
        compare(topic.received, [5])
        compare(topic.skippedCount, 4)
    }

    // The credentials' numbers are plain QML numbers.
    function test_credentialsAreNumbers() {
        const path = TestSupport.socketPath("numbers")
        const server = createTemporaryObject(serverComponent, testCase, { address: path, active: true })
        const peer = createTemporaryObject(peerComponent, testCase)
        peer.start("client", path)
        tryCompare(server, "clientCount", 1, 10000)
        const credentials = server.peerCredentials(server.clientIds[0])
        compare(typeof credentials.pid, "number")
        compare(typeof credentials.uid, "number")
        compare(typeof credentials.gid, "number")
        verify(credentials.uid >= 0)
    }

    // A view that starts after the server retained the weather shows it with no message sent
    // by hand, already when its client says it is connected.
    function test_retainedStateIsThereForAViewThatStartsLater() {
        const path = TestSupport.socketPath("retained")
        const server = createTemporaryObject(serverComponent, testCase, { address: path, active: true })
        verify(server.retain("weather", { temperature: 17 }))
        verify(server.retain("weather", { temperature: 18 }))
        compare(server.retainedTopics, ["weather"])
        compare(server.retained("weather").temperature, 18)
        const view = createTemporaryObject(weatherViewComponent, testCase)
        view.client.address = path
        view.client.active = true
        tryCompare(view.label, "text", "18 °C")
        compare(view.shownOnConnected, "18 °C")
        compare(view.topic.count, 1)
        verify(view.topic.hasValue)
        server.clearRetained("weather")
        compare(server.retainedTopics, [])
        verify(server.retained("weather") === undefined)
    }

    // Statistics read from QML: plain numbers, per client and in total.
    function test_statisticsFromQml() {
        const pair = connectedPair("statistics")
        const received = spy(pair.server, "messageReceived")
        pair.client.send("a", 1)
        pair.client.send("b", { n: 2 })
        tryCompare(received, "count", 2)
        const id = pair.server.clientIds[0]
        const perClient = pair.server.statistics(id)
        verify(perClient.valid)
        compare(perClient.clientId, id)
        compare(perClient.messagesReceived, 2)
        compare(typeof perClient.bytesReceived, "number")
        verify(perClient.bytesReceived > 0)
        compare(pair.server.statistics().messagesReceived, 2)
        compare(pair.server.statistics().connectionCount, 1)
        const atClient = pair.client.statistics()
        compare(atClient.messagesSent, 2)
        compare(atClient.reconnectCount, 0)
        verify(!pair.server.statistics("nobody").valid)
    }
}
