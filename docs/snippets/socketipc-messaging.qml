// Snippets of the "Messaging: Topics, Requests and Retained State" page
// (docs/src/socketipc-messaging.qdoc).
import QtQuick
import SocketIpc

Item {
    //! [request]
    IpcServer { id: server; Component.onCompleted: handle("sum", (m, clientId) => m[0] + m[1]) }
    IpcClient { id: bus; active: true
        onConnected: request("sum", [1, 2], function(result, error, code) {
            if (error) console.warn(error); else console.log(result)    // 3
        })
    }
    //! [request]

    //! [progress]
    IpcClient { id: worker; active: true
        property IpcReply job: null
        onConnected: job = request("count", null,
            function (result, error, code) {
                worker.job = null
                if (code === IpcError.CancelledError) console.log("stopped")
            },
            function (percent) { console.log(percent + " %") })
    }
    MouseArea { anchors.fill: parent; onClicked: if (worker.job) worker.job.cancel() }
    //! [progress]

    //! [retain]
    IpcServer { id: hub; Component.onCompleted: retain("status", { state: "ready" }) }
    IpcClient { id: reader; active: true }
    IpcTopic { id: status; source: reader; name: "status" }   // has it as soon as reader connects
    Text { text: status.hasValue ? status.lastMessage.state : "…" }
    //! [retain]

    //! [patterns]
    IpcTopic {
        source: bus
        name: "sensor.*"
        onMessageReceived: (message, clientId, topic) => console.log(topic, message)
    }
    //! [patterns]
}
