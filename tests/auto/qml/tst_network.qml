import QtQuick
import QtTest
import SocketIpc
import SocketIpcTest

// socketPath takes network addresses in QML too: tcp://HOST:PORT (tls:// in tst_transports).
TestCase {
    id: testCase
    name: "Network"
    when: windowShown

    Component {
        id: pairComponent
        Item {
            id: view
            property alias server: server
            property alias client: client
            IpcServer {
                id: server
                socketPath: "tcp://:0"
                active: true
            }
            IpcClient {
                id: client
                socketPath: server.listeningAddress
                retryDelay: 20
                active: server.listening
            }
        }
    }
    Component {
        id: spyComponent
        SignalSpy { }
    }

    function test_tcpAddressFromQml() {
        const view = createTemporaryObject(pairComponent, testCase)
        const connected = createTemporaryObject(spyComponent, testCase,
                                                { target: view.server, signalName: "clientConnected" })
        const received = createTemporaryObject(spyComponent, testCase,
                                               { target: view.server, signalName: "messageReceived" })
        tryVerify(() => view.server.listening, 5000)
        verify(view.server.listeningAddress.startsWith("tcp://127.0.0.1:"), view.server.listeningAddress)
        tryCompare(connected, "count", 1, 5000)
        tryVerify(() => view.client.state === IpcClient.Connected, 5000)
        verify(view.client.send("hello", { over: "tcp" }))
        tryCompare(received, "count", 1, 5000)
        compare(received.signalArguments[0][1].over, "tcp")
        const peer = view.server.peerCredentials(connected.signalArguments[0][0])
        compare(peer.address, "127.0.0.1")
        verify(peer.port > 0)
        compare(peer.pid, -1)
    }
}
