// Snippets of how JavaScript values cross, in "Using SocketIpc from QML"
// (docs/src/socketipc-qml.qdoc).
import QtQuick
import SocketIpc

Item {
    IpcClient { id: bus; address: "org.example.app"; active: true }
    IpcClient { id: blobs; address: "org.example.blobs"; active: true; codecName: "cbor" }

    //! [values]
    function report() {
        // Arrives as {"at":"2026-12-05T05:31:21.007Z","list":[1,null],"tags":{"a":1}}:
        // the Date as its ISO 8601 string, undefined as null in an array and left out of
        // an object.
        bus.send("report", {
            at: new Date(Date.UTC(2026, 11, 5, 5, 31, 21, 7)),
            list: [1, undefined],
            tags: { a: 1, b: undefined }
        })
        // Refused, nothing sent: errorOccurred(IpcError.EncodeError,
        // "a function is not a JSON value (at message.onDone)").
        bus.send("report", { onDone: function () {} })
    }
    //! [values]

    //! [bytes]
    function sendBytes() {
        const bytes = new Uint8Array([0xca, 0xfe]).buffer   // an ArrayBuffer: bytes with cbor
        blobs.send("blob", { name: "cafe.bin", data: bytes })
    }
    //! [bytes]
}
