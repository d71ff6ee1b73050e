// Snippets of requests from QML: handle() and request() with JavaScript functions
// (docs/src/socketipc-qml.qdoc, docs/src/qml-ipcendpoint.qdoc, docs/src/qml-ipcreply.qdoc).
import QtQuick
import SocketIpc

Item {
    id: root

    //! [sum]
    IpcServer { id: server; address: "org.example.calc"; active: true
        Component.onCompleted: handle("sum", (m, clientId) => m[0] + m[1])
    }
    IpcClient { id: bus; address: "org.example.calc"; active: true
        onConnected: request("sum", [1, 2], function(result, error, code) {
            if (error) console.warn(error); else console.log(result)    // 3
        })
    }
    //! [sum]

    //! [handlers]
    IpcServer {
        id: files
        address: "org.example.files"
        active: true
        Component.onCompleted: {
            // The answer: what the function returns.
            handle("size", (message, clientId) => message.text.length)
            // Throwing fails the request: the requester gets HandlerError and the message.
            handle("open", function (message) {
                if (!message.path)
                    throw new Error("no path given")
                return { opened: message.path }
            })
            // A promise answers once it settles; rejecting fails the request.
            handle("later", (message) => new Promise((resolve) => {
                Qt.callLater(() => resolve({ done: message }))
            }))
        }
    }
    //! [handlers]

    //! [remove]
    function stopAnswering() {
        files.handle("later", null)          // anything not a function removes the handler
        console.log(files.hasHandler("later"))   // false
    }
    //! [remove]

    //! [progress]
    IpcClient { id: worker; address: "org.example.worker"; active: true
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

    //! [timeout]
    function askQuickly() {
        // 500 ms for this request, instead of requestTimeout.
        bus.request("sum", [2, 3], function (result, error, code) {
            if (code === IpcError.TimeoutError)
                console.warn("no answer in time")
        }, 500)
    }
    //! [timeout]

    //! [server-asks]
    IpcClient {
        id: agent
        address: "org.example.files"
        active: true
        Component.onCompleted: handle("status", (message, clientId) => ({ busy: false }))
    }
    function askEveryClient() {
        for (const id of files.clientIds)
            files.request("status", {}, id, function (result, error, code) {
                console.log(id, error ? error : JSON.stringify(result))
            })
    }
    //! [server-asks]
}
