// Snippets of the IpcTopic QML type and of topics in "Using SocketIpc from QML"
// (docs/src/qml-ipctopic.qdoc, docs/src/socketipc-qml.qdoc).
import QtQuick
import SocketIpc

Column {
    IpcClient { id: bus; address: "org.example.sensors"; active: true }

    //! [binding]
    IpcTopic { id: cpu; source: bus; name: "sensor.cpu" }
    Text { text: cpu.hasValue ? "CPU " + cpu.lastMessage.load + " %" : "…" }
    //! [binding]

    //! [pattern]
    IpcTopic {
        source: bus
        name: "sensor.*"   // sensor.cpu, sensor.disk; not sensor, nor sensor.cpu.load
        onMessageReceived: (message, clientId, topic) => console.log(topic, JSON.stringify(message))
    }
    //! [pattern]

    //! [owned]
    Connections {
        target: bus.topic("alerts")   // the client's own IpcTopic for "alerts"
        function onMessageReceived(message) { console.warn("alert:", message.text) }
    }
    //! [owned]

    //! [conflate]
    IpcTopic {
        id: load
        source: bus
        name: "cpu.load"
        conflate: true   // the newest reading, at most once per turn
        onMessageReceived: (reading) => gauge.value = reading
    }
    QtObject { id: gauge; property real value }
    //! [conflate]
}
