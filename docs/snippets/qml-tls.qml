// Snippets of the ipcTlsSettings, ipcPeerCredentials value types and of TLS from QML
// (docs/src/qml-valuetypes.qdoc, docs/src/socketipc-qml.qdoc).
import QtQuick
import SocketIpc

Item {
    //! [client]
    IpcClient {
        id: bus
        address: "tls://build-server.example:7443"
        tls.caFile: "ca.crt"                 // trust this CA (else the system's)
        tls.certificateFile: "client.crt"    // for mutual TLS
        tls.privateKeyFile: "client.key"
        active: true
    }
    //! [client]

    //! [server]
    IpcServer {
        id: server
        address: "tls://0.0.0.0:7443"
        tls {
            certificateFile: "server.crt"
            privateKeyFile: "server.key"
            caFile: "clients-ca.crt"         // mutual TLS:
            requireClientCertificate: true   //   clients must present one, signed by it
        }
        active: true
        onClientConnected: (clientId) => {
            const peer = peerCredentials(clientId)
            console.log(peer.certificateCommonName, "connected from", peer.address + ":" + peer.port)
        }
    }
    //! [server]

    //! [change]
    function useNewCa() {
        server.tls.caFile = "clients-ca-2025.crt"   // tlsChanged() once; read at the next listen()
        server.active = false
        server.active = true
    }
    //! [change]
}
