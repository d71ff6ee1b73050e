import QtQuick
import QtTest
import SocketIpc
import SocketIpcTest

// JavaScript values handed to send(), broadcast(), request() and handlers: what JSON can
// hold arrives as JSON.stringify would carry it; anything else (a function, a symbol, a
// cyclic object...) is an EncodeError naming it, never a crash.
TestCase {
    id: testCase
    name: "Values"
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

    // JSON text with sorted keys: objects travel as QVariantMap, whose keys are sorted.
    function canonical(value) {
        return JSON.stringify(value, function (key, v) {
            if (v === null || typeof v !== "object" || Array.isArray(v))
                return v
            const sorted = {}
            for (const k of Object.keys(v).sort())
                sorted[k] = v[k]
            return sorted
        })
    }

    function cyclicObject() { const o = { a: 1 }; o.self = o; return o }
    function cyclicArray() { const a = [1, []]; a[1][0] = a; return a }

    // Values JSON cannot hold, with what the error must name.
    function test_notJsonIsAnEncodeError_data() {
        return [
            { tag: "function", value: function () {}, names: "a function" },
            { tag: "arrow function", value: () => 1, names: "a function" },
            { tag: "function in an object", value: { onDone: function () {} }, names: "message.onDone" },
            { tag: "function in an array", value: [1, [2, () => 3]], names: "message[1][1]" },
            { tag: "symbol", value: Symbol("s"), names: "a symbol" },
            { tag: "symbol in an object", value: { s: Symbol("s") }, names: "a symbol" },
            { tag: "cyclic object", value: cyclicObject(), names: "message.self refers back to message" },
            { tag: "cyclic array", value: cyclicArray(), names: "cyclic" },
            { tag: "Map", value: new Map([[1, 2]]), names: "a Map" },
            { tag: "Set", value: new Set([1]), names: "a Set" },
            { tag: "RegExp", value: /x+/g, names: "a RegExp" },
            { tag: "typed array", value: new Uint8Array([1, 2]), names: "a Uint8Array" },
            { tag: "Error", value: new Error("boom"), names: "an Error" },
            { tag: "Promise", value: Promise.resolve(1), names: "a Promise" },
            { tag: "QObject", value: testCase, names: "a QObject" },
            { tag: "NaN", value: NaN, names: "JSON number" },
            { tag: "Infinity in an object", value: { x: -Infinity }, names: "JSON number" },
            { tag: "ArrayBuffer (bytes need cbor)", value: new ArrayBuffer(4), names: "cbor" },
            { tag: "throwing toJSON", value: { toJSON: function () { throw new Error("no") } }, names: "toJSON" },
        ]
    }

    function test_notJsonIsAnEncodeError(data) {
        // Not connected: the value is refused for what it is, not for the missing server.
        const path = TestSupport.socketPath("unconnected")
        const lonely = createTemporaryObject(clientComponent, testCase, { address: path })
        const lonelyErrors = spy(lonely, "errorOccurred")
        verify(!lonely.send("t", data.value))
        compare(lonely.error, IpcError.EncodeError)
        verify(lonely.errorString.indexOf(data.names) >= 0, lonely.errorString)
        compare(lonelyErrors.count, 1)

        // Connected, from both ends; nothing reaches the other side, and both stay usable.
        const pair = connectedPair("connected")
        const received = spy(pair.server, "messageReceived")
        const clientErrors = spy(pair.client, "errorOccurred")
        verify(!pair.client.send("t", data.value))
        compare(clientErrors.count, 1)
        compare(clientErrors.signalArguments[0][0], IpcError.EncodeError)
        verify(clientErrors.signalArguments[0][1].indexOf(data.names) >= 0, clientErrors.signalArguments[0][1])

        const serverErrors = spy(pair.server, "errorOccurred")
        verify(!pair.server.send("t", data.value, pair.server.clientIds[0]))
        pair.server.broadcast("t", data.value)
        compare(serverErrors.count, 2)
        compare(serverErrors.signalArguments[1][0], IpcError.EncodeError)
        verify(serverErrors.signalArguments[1][1].indexOf(data.names) >= 0, serverErrors.signalArguments[1][1])

        verify(pair.client.send("after", 1))
        tryCompare(received, "count", 1)
        compare(received.signalArguments[0][0], "after")
        compare(pair.client.state, IpcClient.Connected)
    }

    function test_broadcastWithoutClientsStillReportsEncodeError() {
        const server = createTemporaryObject(serverComponent, testCase,
                                             { address: TestSupport.socketPath("alone"), active: true })
        verify(server.listening)
        compare(server.clientCount, 0)
        const errors = spy(server, "errorOccurred")
        server.broadcast("t", { f: function () {} })
        compare(errors.count, 1)
        compare(errors.signalArguments[0][0], IpcError.EncodeError)
        server.broadcast("t", { fine: [1, 2] })
        compare(errors.count, 1)
    }

    function test_requestWithAFunctionFailsWithEncodeError() {
        const pair = connectedPair("request")
        pair.server.handle("echo", (m) => m)
        const calls = []
        pair.client.request("echo", { f: () => 1 }, function (result, error, code) {
            calls.push({ error: error, code: code })
        })
        tryVerify(() => calls.length === 1)
        compare(calls[0].code, IpcError.EncodeError)
        verify(calls[0].error.indexOf("a function") >= 0, calls[0].error)
    }

    function test_handlerAnswerThatIsNotJsonFailsTheRequest_data() {
        return [
            { tag: "returned function", handler: (m) => function () {} },
            { tag: "returned cyclic object", handler: (m) => cyclicObject() },
            { tag: "resolved function", handler: (m) => Promise.resolve({ f: () => 1 }) },
        ]
    }

    function test_handlerAnswerThatIsNotJsonFailsTheRequest(data) {
        const pair = connectedPair("answer")
        pair.server.handle("ask", data.handler)
        const calls = []
        pair.client.request("ask", 1, function (result, error, code) {
            calls.push({ error: error, code: code })
        })
        tryVerify(() => calls.length === 1)
        compare(calls[0].code, IpcError.HandlerError)
        verify(calls[0].error.indexOf("cannot be encoded") >= 0, calls[0].error)
        // The connection is fine afterwards.
        pair.server.handle("ask", (m) => m + 1)
        pair.client.request("ask", 1, function (result) { calls.push({ result: result }) })
        tryVerify(() => calls.length === 2)
        compare(calls[1].result, 2)
    }

    // The decisions README documents: a Date is its ISO 8601 string (JSON.stringify's
    // toJSON()), undefined at the top is null, inside an array null, in an object left out.
    function test_documentedConversions_data() {
        const date = new Date(Date.UTC(2026, 11, 5, 5, 31, 21, 7))
        return [
            { tag: "Date", value: date, expected: "2026-12-05T05:31:21.007Z" },
            { tag: "Date in an object", value: { at: date }, expected: { at: "2026-12-05T05:31:21.007Z" } },
            { tag: "top-level undefined", value: undefined, expected: null },
            { tag: "undefined in an array", value: [1, undefined, 3], expected: [1, null, 3] },
            { tag: "undefined in an object", value: { a: 1, b: undefined }, expected: { a: 1 } },
            { tag: "toJSON", value: { toJSON: () => ({ replaced: true }) }, expected: { replaced: true } },
            { tag: "negative zero", value: -0, expected: 0 },
            { tag: "class instance", value: new (function Point() { this.x = 1; this.y = 2 })(), expected: { x: 1, y: 2 } },
            { tag: "shared, not cyclic", value: (function () { const s = { v: 1 }; return { a: s, b: [s] } })(),
              expected: { a: { v: 1 }, b: [{ v: 1 }] } },
        ]
    }

    function test_documentedConversions(data) {
        const pair = connectedPair("documented")
        const received = spy(pair.server, "messageReceived")
        verify(pair.client.send("t", data.value), pair.client.errorString)
        tryCompare(received, "count", 1)
        compare(canonical(received.signalArguments[0][1]), canonical(data.expected))
    }

    // A few hundred generated values, nested and exotic. Each either arrives as
    // JSON.parse(JSON.stringify(value)) or is refused with a clear EncodeError, and which
    // one it is follows from what the generator put in.
    function test_generatedValues() {
        const pair = connectedPair("generated")
        const received = {}
        pair.server.messageReceived.connect(function (topic, message) { received[topic] = message })

        let seed = 20261205
        function random() {  // a small LCG: the same values on every run
            seed = (seed * 1103515245 + 12345) % 2147483648
            return seed / 2147483648
        }
        function pick(list) { return list[Math.floor(random() * list.length)] }

        // Returns { value, ok }: ok false when the value holds something JSON cannot.
        function generate(depth) {
            const kinds = depth > 3 ? ["scalar", "scalar", "exotic"]
                                    : ["scalar", "array", "object", "sparse", "exotic", "date"]
            switch (pick(kinds)) {
            case "scalar":
                return { value: pick([0, -0, 1, -1, 2.5, 1e21, 1e-7, 123456789012, 2 ** 53, -(2 ** 60),
                                      Number.MAX_VALUE, Number.MIN_VALUE, "", "text", "é✓𝄞", "a\u0000b",
                                      "\"quoted\"\n", true, false, null, undefined]), ok: true }
            case "date":
                return { value: new Date(Date.UTC(2000 + Math.floor(random() * 50), 1, 2, 3, 4, 5, 6)), ok: true }
            case "array": {
                const array = []
                let ok = true
                const n = Math.floor(random() * 4)
                for (let i = 0; i < n; ++i) {
                    const item = generate(depth + 1)
                    array.push(item.value)
                    ok = ok && item.ok
                }
                return { value: array, ok: ok }
            }
            case "sparse": {
                const array = []
                array[Math.floor(random() * 5) + 1] = "end"
                return { value: array, ok: true }
            }
            case "object": {
                const object = {}
                let ok = true
                const n = Math.floor(random() * 4)
                for (let i = 0; i < n; ++i) {
                    const item = generate(depth + 1)
                    object[pick(["a", "b", "key", "ключ", "0", "z z"]) + i] = item.value
                    ok = ok && item.ok
                }
                if (depth < 2 && random() < 0.1) {  // a cycle
                    object.back = object
                    ok = false
                }
                return { value: object, ok: ok }
            }
            default:
                return { value: pick([function () {}, () => 0, Symbol("x"), NaN, Infinity, new Map(),
                                      new Set(), /re/, new Int32Array(2), new Error("e")]), ok: false }
            }
        }

        const expectations = []
        let refused = 0
        for (let i = 0; i < 400; ++i) {
            const generated = generate(0)
            const topic = "v" + i
            const sent = pair.client.send(topic, generated.value)
            compare(sent, generated.ok, topic + ": " + pair.client.errorString)
            if (sent) {
                const text = JSON.stringify(generated.value)
                expectations.push({ topic: topic, expected: text === undefined ? null : JSON.parse(text) })
            } else {
                compare(pair.client.error, IpcError.EncodeError)
                verify(/is not a JSON (value|number)/.test(pair.client.errorString), pair.client.errorString)
                ++refused
            }
        }
        verify(refused > 20 && expectations.length > 200, refused + " refused")
        tryVerify(() => Object.keys(received).length === expectations.length, 10000)
        for (const e of expectations)
            compare(canonical(received[e.topic]), canonical(e.expected), e.topic)
        compare(pair.client.state, IpcClient.Connected)
    }
}
