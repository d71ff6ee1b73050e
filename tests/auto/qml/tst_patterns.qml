import QtQuick
import QtTest
import SocketIpc
import SocketIpcTest

// Topic patterns from QML: "*" stands for one dot-separated segment, "#" for any number of
// them (none included), in IpcTopic.name and IpcMessageModel.topic.
TestCase {
    id: testCase
    name: "Patterns"
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
        id: spyComponent
        SignalSpy { }
    }
    Component {
        id: peerComponent
        PeerProcess { }
    }
    // A dashboard as an application would declare it: one label per pattern.
    Component {
        id: dashboardComponent
        Item {
            property alias client: bus
            property alias cpu: cpu
            property alias anySensor: anySensor
            property alias label: label
            IpcClient {
                id: bus
                retryDelay: 20
            }
            IpcTopic {
                id: cpu
                source: bus
                name: "sensor.*"
            }
            IpcTopic {
                id: anySensor
                source: bus
                name: "sensor.#"
            }
            Text {
                id: label
                text: anySensor.lastMessage !== undefined ? anySensor.lastTopic + "=" + anySensor.lastMessage : "-"
            }
        }
    }

    function spy(target, signalName) {
        return createTemporaryObject(spyComponent, testCase, { target: target, signalName: signalName })
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

    // Broadcasts each topic (its message: the topic), then a marker, and waits for the
    // marker: messages arrive in order, so whatever was to be delivered has been.
    function broadcastAll(pair, topics) {
        const marker = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: "marker" })
        const before = marker.count
        for (const topic of topics)
            pair.server.broadcast(topic, topic)
        pair.server.broadcast("marker", true)
        tryCompare(marker, "count", before + 1)
    }

    // The topics a messageReceived spy or a model saw, without broadcastAll()'s markers
    // (which patterns such as "#" match too).
    function topicsOf(spyOrModel) {
        const topics = spyOrModel.signalArguments !== undefined
                ? spyOrModel.signalArguments.map(a => a[2])
                : Array.from({ length: spyOrModel.count }, (_, i) => spyOrModel.get(i).topic)
        return topics.filter(t => t !== "marker")
    }

    function test_starMatchesOneSegment() {
        const pair = connectedPair("star")
        const topic = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: "sensor.*" })
        const received = spy(topic, "messageReceived")
        broadcastAll(pair, ["sensor.cpu", "sensor.cpu.load", "other", "sensor", "sensors.cpu", "sensor.mem"])
        compare(received.count, 2)
        compare(topic.count, 2)
        // messageReceived(message, clientId, topic)
        compare(received.signalArguments[0][0], "sensor.cpu")
        compare(received.signalArguments[0][1], "")
        compare(received.signalArguments[0][2], "sensor.cpu")
        compare(received.signalArguments[1][2], "sensor.mem")
        compare(topic.lastTopic, "sensor.mem")
        compare(topic.lastMessage, "sensor.mem")
    }

    function test_hashMatchesAnyDepth() {
        const pair = connectedPair("hash")
        const topic = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: "sensor.#" })
        const received = spy(topic, "messageReceived")
        broadcastAll(pair, ["sensor", "other", "sensor.cpu", "sensors", "other.sensor", "sensor.cpu.load"])
        compare(received.count, 3)
        compare(received.signalArguments.map(a => a[2]), ["sensor", "sensor.cpu", "sensor.cpu.load"])
        compare(topic.lastTopic, "sensor.cpu.load")
    }

    // One row per (pattern, topic): whether a message on topic reaches the pattern.
    function test_matching_data() {
        return [
            { tag: "* one segment", pattern: "sensor.*", topic: "sensor.cpu", matches: true },
            { tag: "* not two", pattern: "sensor.*", topic: "sensor.cpu.load", matches: false },
            { tag: "* not none", pattern: "sensor.*", topic: "sensor", matches: false },
            { tag: "* other prefix", pattern: "sensor.*", topic: "other.cpu", matches: false },
            { tag: "* in the middle", pattern: "sensor.*.load", topic: "sensor.cpu.load", matches: true },
            { tag: "* in the middle, not two", pattern: "sensor.*.load", topic: "sensor.a.b.load", matches: false },
            { tag: "* first", pattern: "*.load", topic: "cpu.load", matches: true },
            { tag: "* alone", pattern: "*", topic: "cpu", matches: true },
            { tag: "* alone, not two", pattern: "*", topic: "cpu.load", matches: false },
            { tag: "# none", pattern: "sensor.#", topic: "sensor", matches: true },
            { tag: "# one", pattern: "sensor.#", topic: "sensor.cpu", matches: true },
            { tag: "# two", pattern: "sensor.#", topic: "sensor.cpu.load", matches: true },
            { tag: "# not a prefix of a word", pattern: "sensor.#", topic: "sensors", matches: false },
            { tag: "# other", pattern: "sensor.#", topic: "other", matches: false },
            { tag: "# in the middle", pattern: "sensor.#.load", topic: "sensor.a.b.load", matches: true },
            { tag: "# in the middle, none", pattern: "sensor.#.load", topic: "sensor.load", matches: true },
            { tag: "# in the middle, wrong end", pattern: "sensor.#.load", topic: "sensor.a.b", matches: false },
            { tag: "# alone", pattern: "#", topic: "a.b.c", matches: true },
            { tag: "# first", pattern: "#.load", topic: "a.b.load", matches: true },
            { tag: "*.# at least one", pattern: "sensor.*.#", topic: "sensor", matches: false },
            { tag: "*.# one", pattern: "sensor.*.#", topic: "sensor.cpu", matches: true },
            { tag: "two #", pattern: "#.cpu.#", topic: "a.cpu.b.cpu", matches: true },
            { tag: "not a wildcard inside a segment", pattern: "sensor*", topic: "sensors", matches: false },
            { tag: "literal star segment name", pattern: "sensor*", topic: "sensor*", matches: true },
            { tag: "plain name", pattern: "sensor.cpu", topic: "sensor.cpu", matches: true },
            { tag: "plain name, not a prefix", pattern: "sensor", topic: "sensor.cpu", matches: false },
        ]
    }

    function test_matching(data) {
        const pair = connectedPair("matching")
        const topic = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: data.pattern })
        const received = spy(topic, "messageReceived")
        const model = createTemporaryObject(modelComponent, testCase, { source: pair.client, topic: data.pattern })
        broadcastAll(pair, [data.topic])
        const expected = data.matches ? [data.topic] : []
        compare(topicsOf(received), expected)
        compare(topicsOf(model), expected)
        if (data.matches)
            compare(received.signalArguments[0][2], data.topic)
    }

    function test_exactTopicLastTopicIsItsName() {
        const pair = connectedPair("exact")
        const topic = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: "sensor.cpu" })
        const received = spy(topic, "messageReceived")
        compare(topic.lastTopic, "")
        broadcastAll(pair, ["sensor.cpu"])
        compare(topic.lastTopic, "sensor.cpu")
        compare(received.signalArguments[0][2], "sensor.cpu")
    }

    // An exact subscription, a pattern and an overlapping pattern each get their copy once.
    function test_overlappingSubscriptionsEachReceiveOnce() {
        const pair = connectedPair("overlap")
        const spies = ["sensor.cpu", "sensor.*", "sensor.#", "sensor.*", "#.#", "#.cpu.#", "*.#"].map(name => {
            const topic = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: name })
            return spy(topic, "messageReceived")
        })
        broadcastAll(pair, ["sensor.cpu"])
        for (const s of spies)
            compare(topicsOf(s), ["sensor.cpu"], s.target.name)
    }

    function test_lastMessageChangedNotifiesLastTopic() {
        const pair = connectedPair("notify")
        const topic = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: "sensor.*" })
        const topics = []
        const received = []
        topic.lastMessageChanged.connect(() => topics.push(topic.lastTopic))
        topic.messageReceived.connect((message, clientId, name) => received.push(name))
        broadcastAll(pair, ["sensor.a", "sensor.b", "sensor.c"])
        compare(received, ["sensor.a", "sensor.b", "sensor.c"])  // every message, in order
        // Notified once per read, ending on the newest.
        verify(topics.length >= 1 && topics.length <= 3)
        compare(topics[topics.length - 1], "sensor.c")
    }

    function test_serverPatternKnowsTheSender() {
        const pair = connectedPair("server")
        const topic = createTemporaryObject(topicComponent, testCase, { source: pair.server, name: "sensor.#" })
        const received = spy(topic, "messageReceived")
        pair.client.send("sensor.cpu.load", 0.5)
        pair.client.send("other", 1)
        pair.client.send("sensor", 2)
        tryCompare(received, "count", 2)
        const clientId = pair.server.clientIds[0]
        compare(received.signalArguments[0][0], 0.5)
        compare(received.signalArguments[0][1], clientId)
        compare(received.signalArguments[0][2], "sensor.cpu.load")
        compare(received.signalArguments[1][2], "sensor")
        compare(topic.lastClientId, clientId)
        compare(topic.lastTopic, "sensor")
    }

    function test_renamingMovesTheSubscription() {
        const pair = connectedPair("rename")
        const topic = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: "sensor.*" })
        broadcastAll(pair, ["sensor.cpu", "sensor.cpu.load"])
        compare(topic.count, 1)
        topic.name = "sensor.#"
        const afterHash = topic.count
        broadcastAll(pair, ["sensor.cpu", "sensor.cpu.load"])
        compare(topic.count - afterHash, 2)
        // From a pattern to a plain name, and back.
        topic.name = "sensor.cpu.load"
        const afterPlain = topic.count
        broadcastAll(pair, ["sensor.cpu", "sensor.cpu.load"])
        compare(topic.count - afterPlain, 1)
        compare(topic.lastTopic, "sensor.cpu.load")
        topic.name = "*.cpu"
        const afterStar = topic.count
        broadcastAll(pair, ["sensor.cpu", "sensor.cpu.load", "disk.cpu"])
        compare(topic.count - afterStar, 2)
        // No name: no messages.
        topic.name = ""
        const afterNone = topic.count
        broadcastAll(pair, ["sensor.cpu"])
        compare(topic.count, afterNone)
    }

    function test_clearingSourceOrDeletingUnsubscribes() {
        const pair = connectedPair("unsubscribe")
        const topic = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: "sensor.#" })
        const other = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: "sensor.*" })
        broadcastAll(pair, ["sensor.cpu"])
        compare(topic.count, 1)
        topic.source = null
        broadcastAll(pair, ["sensor.cpu"])
        compare(topic.count, 1)
        compare(other.count, 2)
        other.destroy()
        wait(0)
        // The remaining subscriptions still work, a new pattern too.
        const again = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: "sensor.*" })
        broadcastAll(pair, ["sensor.cpu"])
        compare(again.count, 1)
        topic.source = pair.client
        broadcastAll(pair, ["sensor.cpu"])
        compare(topic.count, 2)
        compare(again.count, 2)
    }

    // Whichever of two matching patterns hears a message first unsubscribes the other, which
    // then must not get it.
    function test_unsubscribingDuringDelivery() {
        const pair = connectedPair("during")
        const first = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: "sensor.*" })
        const second = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: "*.cpu" })
        let deliveries = 0
        first.messageReceived.connect(() => { ++deliveries; second.source = null })
        second.messageReceived.connect(() => { ++deliveries; first.name = "gone" })
        broadcastAll(pair, ["sensor.cpu"])
        compare(deliveries, 1)
    }

    function test_sourceDestroyedLeavesPatternTopicUnsubscribed() {
        const pair = connectedPair("destroyed")
        const topic = createTemporaryObject(topicComponent, testCase, { source: pair.client, name: "sensor.#" })
        broadcastAll(pair, ["sensor.cpu"])
        compare(topic.count, 1)
        pair.client.destroy()
        tryCompare(topic, "source", null)
        compare(topic.name, "sensor.#")
        // The server has seen it go, so that the count below is the new client's.
        tryCompare(pair.server, "clientCount", 0)
        // Subscribed again elsewhere, it works.
        const client = createTemporaryObject(clientComponent, testCase, { address: pair.path, active: true })
        topic.source = client
        const received = spy(topic, "messageReceived")
        tryCompare(pair.server, "clientCount", 1)
        tryCompare(client, "state", IpcClient.Connected)
        pair.server.broadcast("sensor.mem", 1)
        tryCompare(received, "count", 1)
        compare(topic.lastTopic, "sensor.mem")
    }

    function test_ownedPatternTopic() {
        const pair = connectedPair("owned")
        const sensors = pair.client.topic("sensor.*")
        compare(pair.client.topic("sensor.*"), sensors)
        verify(pair.client.topic("sensor.#") !== sensors)
        broadcastAll(pair, ["sensor.cpu", "sensor.cpu.load"])
        compare(sensors.count, 1)
        compare(sensors.lastTopic, "sensor.cpu")
    }

    function test_messageModelKeepsOnlyMatchingMessages() {
        const pair = connectedPair("model")
        const model = createTemporaryObject(modelComponent, testCase, { source: pair.client, topic: "sensor.#" })
        const star = createTemporaryObject(modelComponent, testCase, { source: pair.client, topic: "sensor.*" })
        const all = createTemporaryObject(modelComponent, testCase, { source: pair.client })
        broadcastAll(pair, ["sensor", "other", "sensor.cpu", "sensors", "sensor.cpu.load"])
        compare(model.count, 3)
        compare(model.get(0).topic, "sensor")
        compare(model.get(1).topic, "sensor.cpu")
        compare(model.get(2).topic, "sensor.cpu.load")
        compare(model.get(2).message, "sensor.cpu.load")
        compare(star.count, 1)
        compare(star.get(0).topic, "sensor.cpu")
        compare(all.count, 6)  // the marker too

        // A new pattern applies to what comes next.
        model.topic = "other"
        broadcastAll(pair, ["sensor.cpu", "other"])
        compare(model.count, 4)
        compare(model.get(3).topic, "other")
    }

    function test_messageModelOnServerWithPattern() {
        const pair = connectedPair("servermodel")
        const model = createTemporaryObject(modelComponent, testCase, { source: pair.server, topic: "*.cpu" })
        pair.client.send("host1.cpu", 1)
        pair.client.send("host1.mem", 2)
        pair.client.send("host2.cpu", 3)
        tryCompare(model, "count", 2)
        compare(model.get(0).message, 1)
        compare(model.get(1).message, 3)
        compare(model.get(1).clientId, pair.server.clientIds[0])
    }

    function test_dashboardBindings() {
        const path = TestSupport.socketPath("dashboard")
        const server = createTemporaryObject(serverComponent, testCase, { address: path, active: true })
        const view = createTemporaryObject(dashboardComponent, testCase)
        compare(view.label.text, "-")
        view.client.address = path
        view.client.active = true
        tryCompare(server, "clientCount", 1)
        server.broadcast("sensor.cpu", 40)
        tryCompare(view.label, "text", "sensor.cpu=40")
        server.broadcast("sensor.cpu.load", 7)
        tryCompare(view.label, "text", "sensor.cpu.load=7")
        compare(view.cpu.count, 1)
        compare(view.cpu.lastTopic, "sensor.cpu")
        compare(view.anySensor.count, 2)
    }

    function test_patternsOnMessagesFromPeerServer() {
        const path = TestSupport.socketPath("peer")
        const peer = createTemporaryObject(peerComponent, testCase)
        peer.start("server", path)
        tryVerify(() => peer.count("listening") === 1, 10000)
        const client = createTemporaryObject(clientComponent, testCase, { address: path, active: true })
        const star = createTemporaryObject(topicComponent, testCase, { source: client, name: "sensor.*" })
        const hash = createTemporaryObject(topicComponent, testCase, { source: client, name: "sensor.#" })
        const all = spy(client, "messageReceived")
        tryCompare(client, "state", IpcClient.Connected)
        tryVerify(() => peer.count("clientConnected") === 1)
        for (const t of ["sensor", "sensor.cpu", "other", "sensor.cpu.load"])
            peer.command({ broadcast: t, message: t })
        tryCompare(all, "count", 4)
        compare(star.count, 1)
        compare(star.lastTopic, "sensor.cpu")
        compare(hash.count, 3)
        compare(hash.lastTopic, "sensor.cpu.load")
    }
}
