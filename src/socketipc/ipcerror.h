#ifndef IPCERROR_H
#define IPCERROR_H

#include "socketipcglobal.h"

#include <QtCore/qobject.h>

namespace IpcError {
Q_NAMESPACE_EXPORT(SOCKETIPC_EXPORT)

// New values go at the end: the numbers are part of the ABI (and of QML code that stores them).
enum Error {
    NoError = 0,
    EncodeError,
    DecodeError,
    SendAfterCloseError,
    NoServerError,
    BadClientError,
    AddressInUseError,
    FrameTooLargeError,
    SocketError,
    WriteBufferFullError,
    ClientRefusedError,
    TimeoutError,
    NoHandlerError,
    HandlerError,
    DisconnectedError,
    QueueFullError,
    TlsError,
    CancelledError,
    RetainedLimitError,
};
Q_ENUM_NS(Error)

}  // namespace IpcError

#endif  // IPCERROR_H
