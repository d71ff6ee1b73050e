// Snippets of "Using SocketIpc from QML" and of the IpcServer, IpcMessageModel and IpcError
// QML types (docs/src/socketipc-qml.qdoc, docs/src/qml-*.qdoc).
import QtQuick
import SocketIpc

Item {
    //! [server]
    IpcServer {
        id: server
        address: "/run/user/1000/app.sock"
        active: true
        onMessageReceived: (topic, message, clientId) => {
            if (topic === "refresh")
                send("weather", { temperature: 21, city: message.city }, clientId)
        }
        onErrorOccurred: (error, description, clientId) => {
            if (error === IpcError.DecodeError)
                console.warn("client", clientId, "sent garbage:", description)
        }
    }
    ListView {
        model: IpcMessageModel { source: server; maxCount: 200 }
        delegate: Text {
            required property string topic   // the model's roles
            required property var message
            text: topic + ": " + JSON.stringify(message)
        }
    }
    //! [server]

    //! [clients]
    IpcServer {
        id: hub
        address: "org.example.hub"   // a service name: $XDG_RUNTIME_DIR/org.example.hub
        active: true
        maxClients: 16
        onClientConnected: (clientId) => {
            const who = peerCredentials(clientId)   // an ipcPeerCredentials
            console.log("client", clientId, "is pid", who.pid, "of uid", who.uid)
            send("welcome", { clients: clientCount }, clientId)
        }
        onClientDisconnected: (clientId) => console.log("client", clientId, "left")
    }
    Text { text: hub.listening ? hub.clientCount + " clients" : hub.errorString }
    //! [clients]

    //! [retain]
    IpcServer {
        id: board
        address: "org.example.status"
        active: true
        Component.onCompleted: retain("status", { state: "ready" })
    }
    //! [retain]

    //! [statistics]
    Timer {
        interval: 5000; repeat: true; running: hub.listening
        onTriggered: {
            const total = hub.statistics()   // an ipcStatistics: totals since listen()
            console.log(total.messagesReceived, "in,", total.messagesSent, "out,",
                        total.connectionCount, "connections")
            for (const id of hub.clientIds) {
                const one = hub.statistics(id)
                if (one.pendingBytes > 1024 * 1024)
                    console.warn(id, "is falling behind:", one.pendingBytes, "bytes wait")
            }
        }
    }
    //! [statistics]

    //! [model]
    ListView {
        model: IpcMessageModel { source: hub; topic: "log.#"; maxCount: 500 }
        delegate: Text {
            required property string topic
            required property var message
            required property string clientId
            required property date timestamp
            text: timestamp.toLocaleTimeString() + " " + topic + " " + JSON.stringify(message)
        }
    }
    //! [model]
}
