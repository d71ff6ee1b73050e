#ifndef IPCERROR_H
#define IPCERROR_H

#include "socketipcglobal.h"

#include <QtCore/qobject.h>

// The errors IpcServer and IpcClient report through errorOccurred(). The first six are the
// ones the Node original names; the rest are this library's additions.
namespace IpcError {
Q_NAMESPACE_EXPORT(SOCKETIPC_EXPORT)

enum Error {
    NoError = 0,
    EncodeError,           // the codec cannot encode a message (JSON: a QObject*, NaN, bytes...)
    DecodeError,           // a peer sent a frame that is not {"topic": string, "message": value}
    SendAfterCloseError,   // send() or broadcast() after close()
    NoServerError,         // IpcClient::send() while not connected
    BadClientError,        // IpcServer::send() or disconnectClient() with an unknown client id
    AddressInUseError,     // listen(): a live server already owns the socket path
    FrameTooLargeError,    // a peer's frame exceeds maxFrameSize; that connection is dropped
    SocketError,           // the operating system refused (path too long, no permission...)
    WriteBufferFullError,  // a peer does not read: more than maxPendingBytes would wait for it
    ClientRefusedError,    // a connection was turned away: maxClients, allowedUserIds, the
                           // connection filter, or no first message within handshakeTimeout
    // Requests (IpcReply::error()) and the offline queue:
    TimeoutError,       // no reply within the request's timeout
    NoHandlerError,     // the peer has no handler for the request's topic
    HandlerError,       // the peer's handler failed: threw, returned an error or never answered
    DisconnectedError,  // the connection ended before the reply arrived
    QueueFullError,     // IpcClient::send() while disconnected, with the offline queue full
    // TCP and TLS:
    TlsError,  // a TLS handshake failed (untrusted, expired or misnamed certificate, none
               // where one is required) or the TLS files cannot be used
    // Requests, again:
    CancelledError,  // IpcReply::cancel() (the peer was asked to stop)
    // Retained messages:
    RetainedLimitError,  // IpcServer::retain() would keep more than maxRetainedBytes
};
Q_ENUM_NS(Error)

}  // namespace IpcError

#endif  // IPCERROR_H
