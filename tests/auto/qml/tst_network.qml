import QtQuick
import QtTest
import SocketIpc
import SocketIpcTest

// address takes network addresses in QML too: tcp://HOST:PORT (tls:// in tst_transports).
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
                address: "tcp://:0"
                active: true
            }
            IpcClient {
                id: client
                address: server.listeningAddress
                retryDelay: 20
                active: server.listening
            }
        }
    }
    Component {
        id: spyComponent
        SignalSpy { }
    }
    Component {
        id: tlsComponent
        IpcServer {
            tls.certificateFile: "server.crt"
            tls.privateKeyFile: "server.key"
            tls.caFile: "clients-ca.crt"
            tls.requireClientCertificate: true
        }
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

    // tls is a value type: grouped properties in a declaration, and a copy to change from
    // JavaScript (it notifies once, and a listen() reads the files then).
    function test_tlsSettingsAreAValueType() {
        const server = createTemporaryObject(tlsComponent, testCase)
        compare(server.tls.certificateFile, "server.crt")
        compare(server.tls.privateKeyFile, "server.key")
        compare(server.tls.caFile, "clients-ca.crt")
        verify(server.tls.requireClientCertificate)
        const changed = createTemporaryObject(spyComponent, testCase,
                                              { target: server, signalName: "tlsChanged" })
        server.tls.caFile = "other-ca.crt"
        compare(server.tls.caFile, "other-ca.crt")
        compare(changed.count, 1)
        compare(server.tls.certificateFile, "server.crt")
        // The files are read at listen(): a missing one is a TlsError that names it.
        verify(!server.listen("tls://127.0.0.1:0"))
        compare(server.error, IpcError.TlsError)
        verify(server.errorString.indexOf("server.crt") >= 0, server.errorString)
    }
}
