pragma ComponentBehavior: Bound
import QtQuick
import QtQml.Models
import SocketIpc

// Everything on screen is a binding to an IpcTopic or an IpcMessageModel: when a message
// arrives, the figures, the bars and the log follow on their own.
Window {
    id: root

    required property string address  // where the producer publishes
    readonly property int historyLength: 40

    width: 960
    height: 620
    visible: true
    title: qsTr("SocketIpc dashboard")
    color: "#f4f5f7"

    IpcClient {
        id: bus
        address: root.address
        retryDelay: 250  // until the producer is there
        active: true
    }
    IpcTopic {
        id: load
        source: bus
        name: "system.load"
    }
    IpcTopic {
        id: memory
        source: bus
        name: "system.memory"
    }
    IpcTopic {
        id: cpu
        source: bus
        name: "system.cpu"
        onMessageReceived: message => {
            cpuHistory.append({ percent: message.percent });
            if (cpuHistory.count > root.historyLength)
                cpuHistory.remove(0);
        }
    }
    ListModel {
        id: cpuHistory  // the last historyLength CPU figures, oldest first
    }
    IpcTopic {
        id: everything
        source: bus
        name: "system.#"
    }

    // A figure: a title, a big value, a line of detail and a bar for a fraction (0 to 1).
    component Figure: Rectangle {
        id: figure
        property string title
        property string value: "–"
        property string detail
        property real fraction
        property string labelName

        radius: 8
        color: "white"
        border.color: "#dde1e6"
        Column {
            anchors.fill: parent
            anchors.margins: 16
            spacing: 6
            Text {
                text: figure.title
                color: "#5f6b7a"
                font.pixelSize: 14
            }
            Text {
                objectName: figure.labelName
                text: figure.value
                color: "#1d2733"
                font.pixelSize: 34
                font.bold: true
            }
            Rectangle {
                width: parent.width
                height: 8
                radius: 4
                color: "#e8ebef"
                Rectangle {
                    width: parent.width * Math.min(1, Math.max(0, figure.fraction))
                    height: parent.height
                    radius: 4
                    color: figure.fraction > 0.85 ? "#d64545" : "#2f80ed"
                    Behavior on width {
                        NumberAnimation {
                            duration: 300
                        }
                    }
                }
            }
            Text {
                text: figure.detail
                color: "#5f6b7a"
                font.pixelSize: 13
            }
        }
    }

    Column {
        id: top
        anchors {
            left: parent.left
            right: parent.right
            top: parent.top
            margins: 20
        }
        spacing: 16

        Row {
            spacing: 16
            Text {
                id: heading
                text: qsTr("System dashboard")
                color: "#1d2733"
                font.pixelSize: 24
                font.bold: true
            }
            Text {
                objectName: "status"
                anchors.baseline: heading.baseline
                text: bus.state === IpcClient.Connected
                      ? qsTr("● connected to %1").arg(root.address)
                      : qsTr("○ waiting for the producer on %1").arg(root.address)
                color: bus.state === IpcClient.Connected ? "#1e8e3e" : "#b06000"
                font.pixelSize: 14
            }
        }

        Row {
            id: figures
            readonly property real figureWidth: (width - 2 * spacing) / 3
            width: parent.width
            spacing: 16

            Figure {
                width: figures.figureWidth
                height: 140
                title: qsTr("Load average (1 min)")
                labelName: "loadLabel"
                value: load.lastMessage ? load.lastMessage.one.toFixed(2) : "–"
                fraction: load.lastMessage ? load.lastMessage.one / load.lastMessage.cpus : 0
                detail: load.lastMessage
                        ? qsTr("5 min %1 · 15 min %2 · %3 CPUs").arg(
                              load.lastMessage.five.toFixed(2)).arg(
                              load.lastMessage.fifteen.toFixed(2)).arg(load.lastMessage.cpus)
                        : ""
            }
            Figure {
                width: figures.figureWidth
                height: 140
                title: qsTr("Memory used")
                labelName: "memoryLabel"
                value: memory.lastMessage ? memory.lastMessage.usedPercent.toFixed(1) + " %" : "–"
                fraction: memory.lastMessage ? memory.lastMessage.usedPercent / 100 : 0
                detail: memory.lastMessage
                        ? qsTr("%1 of %2 GiB").arg(
                              (memory.lastMessage.usedMiB / 1024).toFixed(1)).arg(
                              (memory.lastMessage.totalMiB / 1024).toFixed(1))
                        : ""
            }
            Figure {
                width: figures.figureWidth
                height: 140
                title: qsTr("CPU busy")
                labelName: "cpuLabel"
                value: cpu.lastMessage ? cpu.lastMessage.percent.toFixed(0) + " %" : "–"
                fraction: cpu.lastMessage ? cpu.lastMessage.percent / 100 : 0
                detail: qsTr("%1 messages received").arg(cpu.count)
            }
        }

        // The CPU history as bars, newest on the right.
        Rectangle {
            width: parent.width
            height: 150
            radius: 8
            color: "white"
            border.color: "#dde1e6"
            Text {
                x: 16
                y: 10
                text: qsTr("CPU busy, last %1 figures").arg(root.historyLength)
                color: "#5f6b7a"
                font.pixelSize: 14
            }
            // Anchored on the right, so that the bars grow leftwards until the history is full.
            Row {
                id: chart
                readonly property real barWidth: (parent.width - 32 - (root.historyLength - 1)
                                                  * spacing) / root.historyLength
                anchors {
                    right: parent.right
                    bottom: parent.bottom
                    margins: 16
                }
                height: 96
                spacing: 3
                Repeater {
                    objectName: "cpuBars"
                    model: cpuHistory
                    delegate: Rectangle {
                        required property real percent
                        y: chart.height - height
                        width: chart.barWidth
                        height: Math.max(2, chart.height * percent / 100)
                        radius: 2
                        color: percent > 85 ? "#d64545" : "#2f80ed"
                    }
                }
            }
        }
    }

    // Every message on a topic under "system.", newest at the bottom.
    Rectangle {
        anchors {
            left: parent.left
            right: parent.right
            top: top.bottom
            bottom: parent.bottom
            margins: 20
        }
        radius: 8
        color: "white"
        border.color: "#dde1e6"
        Text {
            id: logTitle
            x: 16
            y: 10
            text: qsTr("%1: %2 messages, the last on %3").arg(everything.name).arg(
                      everything.count).arg(everything.lastTopic || "–")
            color: "#5f6b7a"
            font.pixelSize: 14
        }
        ListView {
            objectName: "log"
            anchors {
                left: parent.left
                right: parent.right
                top: logTitle.bottom
                bottom: parent.bottom
                margins: 16
                topMargin: 8
            }
            clip: true
            model: IpcMessageModel {
                source: bus
                topic: "system.#"
                maxCount: 200
            }
            onCountChanged: positionViewAtEnd()
            delegate: Text {
                required property string topic
                required property var message
                required property date timestamp
                text: Qt.formatTime(timestamp, "hh:mm:ss.zzz") + "  " + topic.padEnd(14) + "  "
                      + JSON.stringify(message)
                color: "#1d2733"
                font.family: "monospace"
                font.pixelSize: 13
            }
        }
    }
}
