// Snippets of the IpcSingleInstance QML type (docs/src/qml-ipcsingleinstance.qdoc).
import QtQuick
import QtQuick.Window
import SocketIpc

Window {
    id: window
    visible: single.primary

    //! [single]
    IpcSingleInstance {
        id: single
        name: "org.example.viewer"   // or a socket path: "/run/user/1000/org.example.viewer.sock"
        onActivated: (args, cwd) => {
            console.log("launched again in", cwd, "with", args)
            window.raise()
        }
        Component.onCompleted: {
            // The election has run: hand over to the primary, or carry on as it.
            if (!primary && activatePrimary())
                Qt.quit()
            else if (!primary)
                console.warn("no primary could be reached:", errorString)
        }
    }
    //! [single]
}
