// Snippets of the active property of IpcServer and IpcClient (docs/src/qml-ipcendpoint.qdoc).
import QtQuick
import QtQuick.Controls
import SocketIpc

Column {
    //! [active]
    CheckBox { id: online; text: "Online"; checked: true }
    IpcClient {
        id: bus
        address: "org.example.app"
        active: online.checked        // connects (and keeps retrying) while checked
        retryDelay: 500
        onConnectError: (description) => console.log(description)   // each failed attempt
    }
    //! [active]

    //! [states]
    Text {
        text: bus.state === IpcClient.Connected ? "online"
            : bus.state === IpcClient.Connecting ? "connecting…" : "offline"
    }
    //! [states]

    //! [queue]
    IpcClient {
        id: reporter
        address: "org.example.collector"
        active: true
        maxQueuedMessages: 100    // kept while not connected, sent in order on connecting
        backoffFactor: 2          // each failed attempt in a row doubles the wait...
        maxBackoffDelay: 60000    // ...up to a minute
    }
    Button {
        text: "Report (" + reporter.queuedMessageCount + " waiting)"
        onClicked: reporter.send("report", { at: new Date() })
    }
    //! [queue]

    //! [server]
    IpcServer {
        id: server
        address: "tcp://:0"           // a free port on 127.0.0.1
        active: true
        onListeningChanged: if (listening) console.log("listening on", listeningAddress)
    }
    //! [server]
}
