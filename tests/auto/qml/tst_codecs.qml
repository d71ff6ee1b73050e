import QtQuick
import QtTest
import SocketIpc
import SocketIpcTest

// The wire format chosen from QML by name: codecName "json" (the default) or "cbor".
TestCase {
    id: testCase
    name: "Codecs"
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
    // Both ends declared with the codec, as an application would.
    Component {
        id: cborPairComponent
        Item {
            id: view
            property alias server: server
            property alias client: client
            property string path
            IpcServer {
                id: server
                codecName: "cbor"
                address: view.path
                active: true
            }
            IpcClient {
                id: client
                codecName: "cbor"
                address: view.path
                retryDelay: 20
                active: true
            }
        }
    }

    function spy(target, signalName) {
        return createTemporaryObject(spyComponent, testCase, { target: target, signalName: signalName })
    }

    function connectedPair(name, serverCodec, clientCodec) {
        const path = TestSupport.socketPath(name)
        const server = createTemporaryObject(serverComponent, testCase,
                                             { address: path, codecName: serverCodec, active: true })
        verify(server.listening, server.errorString)
        const client = createTemporaryObject(clientComponent, testCase,
                                             { address: path, codecName: clientCodec, active: true })
        tryCompare(client, "state", IpcClient.Connected)
        tryCompare(server, "clientCount", 1)
        return { server: server, client: client, path: path }
    }

    function test_jsonIsTheDefault() {
        const server = createTemporaryObject(serverComponent, testCase)
        const client = createTemporaryObject(clientComponent, testCase)
        compare(server.codecName, "json")
        compare(client.codecName, "json")
    }

    function test_codecsExchangeMessagesAndRequests_data() {
        return [
            { tag: "json", codec: "json" },
            { tag: "cbor", codec: "cbor" },
        ]
    }

    function test_codecsExchangeMessagesAndRequests(data) {
        const pair = connectedPair("exchange-" + data.codec, data.codec, data.codec)
        compare(pair.server.codecName, data.codec)
        compare(pair.client.codecName, data.codec)
        const serverSpy = spy(pair.server, "messageReceived")
        const clientSpy = spy(pair.client, "messageReceived")

        const sent = { city: "Oslo", list: [1, 2.5, true, null, "é✓"], nested: { n: -7 } }
        verify(pair.client.send("up", sent))
        tryCompare(serverSpy, "count", 1)
        compare(serverSpy.signalArguments[0][0], "up")
        compare(JSON.stringify(serverSpy.signalArguments[0][1]), JSON.stringify(sent))

        verify(pair.server.send("down", [{ a: 1 }, "two"], pair.server.clientIds[0]))
        pair.server.broadcast("all", { headline: "hi" })
        tryCompare(clientSpy, "count", 2)
        compare(JSON.stringify(clientSpy.signalArguments[0][1]), '[{"a":1},"two"]')
        compare(clientSpy.signalArguments[1][1].headline, "hi")

        pair.server.handle("sum", (m) => m[0] + m[1])
        pair.client.handle("status", (m) => ({ ok: true, asked: m }))
        let sum
        let status
        pair.client.request("sum", [1, 2], (result, error) => sum = error === undefined ? result : error)
        pair.server.request("status", { q: [1] }, pair.server.clientIds[0],
                            (result, error) => status = error === undefined ? result : error)
        tryVerify(() => sum !== undefined && status !== undefined)
        compare(sum, 3)
        compare(status.ok, true)
        compare(status.asked.q[0], 1)
    }

    // Numbers come back as sent, whatever the codec: integers of every CBOR size, both signs.
    function test_numbersRoundTrip_data() {
        const rows = []
        const numbers = [0, 1, -1, -7, 23, -24, -25, 255, -256, 65535, -65536, 65537, -65537,
                         2147483647, -2147483648, -2147483649, 9007199254740991, -9007199254740991,
                         0.5, -0.5, -1e300]
        for (const codec of ["json", "cbor"]) {
            for (const n of numbers)
                rows.push({ tag: codec + " " + n, codec: codec, number: n })
        }
        return rows
    }

    function test_numbersRoundTrip(data) {
        const pair = connectedPair("numbers", data.codec, data.codec)
        const serverSpy = spy(pair.server, "messageReceived")
        const clientSpy = spy(pair.client, "messageReceived")
        pair.client.send("n", { n: data.number, list: [data.number] })
        tryCompare(serverSpy, "count", 1)
        compare(serverSpy.signalArguments[0][1].n, data.number)
        compare(serverSpy.signalArguments[0][1].list[0], data.number)
        pair.server.broadcast("n", data.number)
        tryCompare(clientSpy, "count", 1)
        compare(clientSpy.signalArguments[0][1], data.number)
    }

    function test_declaredCborPair() {
        const view = createTemporaryObject(cborPairComponent, testCase, { path: TestSupport.socketPath("declared") })
        verify(view.server.listening, view.server.errorString)
        tryCompare(view.client, "state", IpcClient.Connected)
        tryCompare(view.server, "clientCount", 1)
        compare(view.server.codecName, "cbor")
        compare(view.client.codecName, "cbor")
        const serverSpy = spy(view.server, "messageReceived")
        view.client.send("hello", { big: 1e300, small: -0.5, text: "x".repeat(300) })
        tryCompare(serverSpy, "count", 1)
        compare(serverSpy.signalArguments[0][1].big, 1e300)
        compare(serverSpy.signalArguments[0][1].small, -0.5)
        compare(serverSpy.signalArguments[0][1].text.length, 300)
    }

    function test_unknownCodecNameKeepsJson() {
        const path = TestSupport.socketPath("unknown")
        ignoreWarning('IpcServer::setCodecName: no codec named "nope"')
        const server = createTemporaryObject(serverComponent, testCase,
                                             { address: path, codecName: "nope", active: true })
        compare(server.codecName, "json")
        ignoreWarning('IpcClient::setCodecName: no codec named "nope"')
        const client = createTemporaryObject(clientComponent, testCase,
                                             { address: path, codecName: "nope", active: true })
        compare(client.codecName, "json")
        tryCompare(client, "state", IpcClient.Connected)
        tryCompare(server, "clientCount", 1)
        const serverSpy = spy(server, "messageReceived")
        client.send("still", "json")
        tryCompare(serverSpy, "count", 1)
        compare(serverSpy.signalArguments[0][1], "json")
    }

    function test_unknownCodecNameKeepsTheCurrentOne() {
        const client = createTemporaryObject(clientComponent, testCase, { codecName: "cbor" })
        const changed = spy(client, "codecChanged")
        ignoreWarning('IpcClient::setCodecName: no codec named "CBOR"')
        client.codecName = "CBOR"
        compare(client.codecName, "cbor")
        compare(changed.count, 0)
    }

    function test_codecChangedIsNotified() {
        const server = createTemporaryObject(serverComponent, testCase)
        const client = createTemporaryObject(clientComponent, testCase)
        const serverChanged = spy(server, "codecChanged")
        const clientChanged = spy(client, "codecChanged")
        server.codecName = "cbor"
        client.codecName = "cbor"
        compare(serverChanged.count, 1)
        compare(clientChanged.count, 1)
        // The same again: no change.
        server.codecName = "cbor"
        client.codecName = "cbor"
        compare(serverChanged.count, 1)
        compare(clientChanged.count, 1)
        client.codecName = "json"
        compare(clientChanged.count, 2)
        compare(client.codecName, "json")
    }

    // A server keeps each connection's codec; a broadcast reaches clients of both.
    function test_serverCodecAppliesToNewConnections() {
        const pair = connectedPair("mixed", "json", "json")
        pair.server.codecName = "cbor"
        const cborClient = createTemporaryObject(clientComponent, testCase,
                                                 { address: pair.path, codecName: "cbor", active: true })
        tryCompare(cborClient, "state", IpcClient.Connected)
        tryCompare(pair.server, "clientCount", 2)
        const jsonSpy = spy(pair.client, "messageReceived")
        const cborSpy = spy(cborClient, "messageReceived")
        const serverSpy = spy(pair.server, "messageReceived")
        pair.server.broadcast("news", { n: 1 })
        tryCompare(jsonSpy, "count", 1)
        tryCompare(cborSpy, "count", 1)
        compare(jsonSpy.signalArguments[0][1].n, 1)
        compare(cborSpy.signalArguments[0][1].n, 1)
        pair.client.send("from", "json")
        cborClient.send("from", "cbor")
        tryCompare(serverSpy, "count", 2)
        // From two connections: in either order.
        const first = serverSpy.signalArguments[0][1]
        const second = serverSpy.signalArguments[1][1]
        verify(first === "json" ? second === "cbor" : first === "cbor" && second === "json", first + " " + second)
    }

    // Different codecs at the two ends: the client fails on the server's greeting, says so,
    // never connects and keeps trying; the server delivers nothing.
    function test_mismatchedCodecsAreReported_data() {
        return [
            { tag: "cbor client, json server", server: "json", client: "cbor" },
            { tag: "json client, cbor server", server: "cbor", client: "json" },
        ]
    }

    function test_mismatchedCodecsAreReported(data) {
        const path = TestSupport.socketPath("mismatch")
        const server = createTemporaryObject(serverComponent, testCase,
                                             { address: path, codecName: data.server, active: true })
        const messages = spy(server, "messageReceived")
        const client = createTemporaryObject(clientComponent, testCase,
                                             { address: path, codecName: data.client,
                                               retryDelay: 50, active: true })
        const errors = spy(client, "errorOccurred")
        const connectErrors = spy(client, "connectError")
        tryVerify(() => connectErrors.count >= 2)
        const code = errors.signalArguments[0][0]
        verify(code === IpcError.DecodeError || code === IpcError.FrameTooLargeError, code)
        verify(client.state !== IpcClient.Connected)
        compare(messages.count, 0)
        client.codecName = data.server
        tryCompare(client, "state", IpcClient.Connected)
    }

    function test_cborWithPeerServer() {
        const path = TestSupport.socketPath("peerserver")
        const peer = createTemporaryObject(peerComponent, testCase)
        peer.start("server", path, ["--codec", "cbor"])
        tryVerify(() => peer.count("listening") === 1, 10000)
        peer.command({ handle: "sum", with: "sum" })
        tryVerify(() => peer.count("handling") === 1)

        const client = createTemporaryObject(clientComponent, testCase,
                                             { address: path, codecName: "cbor", active: true })
        const clientSpy = spy(client, "messageReceived")
        tryCompare(client, "state", IpcClient.Connected)
        tryVerify(() => peer.count("clientConnected") === 1)

        client.send("from-qml", { list: [1, { deep: "é✓" }], flag: false })
        tryVerify(() => peer.count("message", "from-qml") === 1)
        const event = peer.events.find(e => e.event === "message")
        compare(JSON.stringify(event.message), JSON.stringify({ flag: false, list: [1, { deep: "é✓" }] }))

        peer.command({ broadcast: "from-peer", message: { temperature: 7 } })
        tryCompare(clientSpy, "count", 1)
        compare(clientSpy.signalArguments[0][1].temperature, 7)

        let sum
        client.request("sum", [20, 22], (result, error) => sum = error === undefined ? result : error)
        tryVerify(() => sum !== undefined)
        compare(sum, 42)
        compare(peer.count("error"), 0)
    }

    function test_cborWithPeerClient() {
        const path = TestSupport.socketPath("peerclient")
        const server = createTemporaryObject(serverComponent, testCase,
                                             { address: path, codecName: "cbor", active: true })
        server.handle("echo", (m) => ({ echoed: m }))
        const serverSpy = spy(server, "messageReceived")
        const errors = spy(server, "errorOccurred")
        const peer = createTemporaryObject(peerComponent, testCase)
        peer.start("client", path, ["--codec", "cbor"])
        tryCompare(server, "clientCount", 1, 10000)
        tryVerify(() => peer.count("connected") === 1)

        peer.command({ send: "from-peer", message: { n: [1, 2, 3] } })
        tryCompare(serverSpy, "count", 1)
        compare(serverSpy.signalArguments[0][0], "from-peer")
        compare(JSON.stringify(serverSpy.signalArguments[0][1]), '{"n":[1,2,3]}')

        peer.command({ request: "echo", message: "x" })
        tryVerify(() => peer.count("reply") === 1)
        const reply = peer.events.find(e => e.event === "reply")
        compare(reply.error, "NoError")
        compare(reply.value.echoed, "x")
        compare(errors.count, 0)
    }
}
