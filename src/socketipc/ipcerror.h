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
    EncodeError,           // a message is not a JSON value (a QObject*, NaN, a QByteArray...)
    DecodeError,           // a peer sent a frame that is not {"topic": string, "message": JSON}
    SendAfterCloseError,   // send() or broadcast() after close()
    NoServerError,         // IpcClient::send() while not connected
    BadClientError,        // IpcServer::send() or disconnectClient() with an unknown client id
    AddressInUseError,     // listen(): a live server already owns the socket path
    FrameTooLargeError,    // a peer's frame exceeds maxFrameSize; that connection is dropped
    SocketError,           // the operating system refused (path too long, no permission...)
    WriteBufferFullError,  // a peer does not read: more than maxPendingBytes would wait for it
    ClientRefusedError,    // a connection was turned away: maxClients, allowedUserIds, the
                           // connection filter, or no first message within handshakeTimeout
};
Q_ENUM_NS(Error)

}  // namespace IpcError

#endif  // IPCERROR_H
