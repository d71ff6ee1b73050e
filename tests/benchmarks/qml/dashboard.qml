// The dashboard the QML-under-load benchmark measures (run-qml-load.py): an IpcClient, an
// IpcTopic whose lastMessage a Text shows, and an IpcMessageModel (maxCount 1000) in a
// ListView, as a user would write them; a 16 ms Timer records the UI's pacing. Arguments
// (after "--"): ADDRESS SECONDS. Prints "ready" once connected, then, after SECONDS of
// measuring, one JSON line of results; then "count N" every 250 ms until it is killed.
import QtQuick
import SocketIpc

Rectangle {
    id: root
    width: 640
    height: 480

    readonly property var args: Qt.application.arguments.slice(
        Qt.application.arguments.indexOf("--") + 1)
    property var gaps: []
    property real last: 0
    property real started: 0
    property int firstCount: 0

    IpcClient {
        id: client
        address: root.args[0]
        active: true
        onConnected: {
            console.log("ready")
            root.firstCount = hello.count
            root.started = Date.now()
            root.last = root.started
            ticker.running = true
            stop.start()
        }
    }
    IpcTopic {
        id: hello
        source: client
        name: "hello"
    }
    IpcMessageModel {
        id: log
        source: client
        topic: "hello"
        maxCount: 1000
    }

    Column {
        anchors.fill: parent
        Text { text: "last: " + hello.lastMessage + " (" + hello.count + ")" }
        ListView {
            width: parent.width
            height: 440
            model: log
            delegate: Text { text: model.message }
            onCountChanged: positionViewAtEnd()
        }
    }

    Timer {
        id: ticker
        interval: 16
        repeat: true
        onTriggered: {
            const now = Date.now()
            root.gaps.push(now - root.last)
            root.last = now
        }
    }
    Timer {
        id: stop
        interval: Number(root.args[1]) * 1000
        onTriggered: {
            ticker.running = false
            const sorted = root.gaps.slice().sort((a, b) => a - b)
            const at = q => sorted.length ? sorted[Math.min(sorted.length - 1,
                                                          Math.floor(q * sorted.length))] : 0
            console.log(JSON.stringify({
                ticks: root.gaps.length,
                p50: at(0.5), p99: at(0.99), max: sorted.length ? sorted[sorted.length - 1] : 0,
                received: hello.count - root.firstCount,
                seconds: (Date.now() - root.started) / 1000
            }))
            counter.start()
        }
    }
    Timer {
        id: counter
        interval: 250
        repeat: true
        onTriggered: console.log("count " + hello.count)
    }
}
