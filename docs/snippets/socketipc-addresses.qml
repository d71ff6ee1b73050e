// Snippets of the "Addresses, Service Names and Transports" page
// (docs/src/socketipc-addresses.qdoc).
import QtQuick
import SocketIpc

Item {
    //! [tls]
    IpcClient {
        address: "tls://build-server.example:7443"
        tls.caFile: "ca.crt"
        tls.certificateFile: "client.crt"
        tls.privateKeyFile: "client.key"
        active: true
    }
    //! [tls]

    //! [service-name]
    IpcClient { address: "org.example.editor"; active: true }   // $XDG_RUNTIME_DIR/org.example.editor
    //! [service-name]
}
