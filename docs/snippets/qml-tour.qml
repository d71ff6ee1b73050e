// Snippets of "Using SocketIpc from QML" (docs/src/socketipc-qml.qdoc): the first example, a
// whole QML file.
//! [tour]
import QtQuick
import QtQuick.Controls
import SocketIpc

Column {
    // In your runtime directory ($XDG_RUNTIME_DIR), which only you can write to: not /tmp.
    IpcClient { id: bus; address: "/run/user/1000/app.sock"; active: true }
    IpcTopic  { id: weather; source: bus; name: "weather" }
    Text      { text: weather.lastMessage ? weather.lastMessage.temperature + " °C" : "waiting…" }
    Button    { text: "Refresh"; onClicked: bus.send("refresh", { city: "Oslo", units: ["C"] }) }
}
//! [tour]
