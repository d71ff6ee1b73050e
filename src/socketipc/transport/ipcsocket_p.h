#ifndef IPCSOCKET_P_H
#define IPCSOCKET_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "../ipcpeercredentials.h"
#include "ipcaddress_p.h"

#include <QtCore/qiodevice.h>

#include <functional>

// The seam between the protocol and the socket classes: what IpcConnection needs of a
// connected QLocalSocket, QTcpSocket or QSslSocket, whichever it is.
namespace IpcSocket {

// Calls onError(description, peerClosed) on a socket error and onDisconnected() when the
// socket is unconnected, while context lives.
void watch(QIODevice *socket, QObject *context,
           std::function<void(const QString &description, bool peerClosed)> onError,
           std::function<void()> onDisconnected);
void unwatch(QIODevice *socket, QObject *context);

// Ends the connection once the output buffer is written.
void disconnectGracefully(QIODevice *socket);
void abort(QIODevice *socket);
bool isUnconnected(const QIODevice *socket);
// Reads no more: the socket's own buffer stops at a byte, so the kernel's fills and the
// peer's writes block, and nothing it sends costs memory here.
void stopReading(QIODevice *socket);
// How much the socket reads ahead of its reader (0: no limit).
void setReadBufferSize(QIODevice *socket, qint64 bytes);
// Into the kernel now, without waiting.
void flush(QIODevice *socket);
// Why a connect attempt to where failed, in a sentence a user can act on ("no socket at
// PATH (is the server running?)"), rather than the socket class's own wording.
QString connectFailure(const QIODevice *socket, const IpcAddress &where);
// Hands over the descriptor of a connected local or plain TCP socket, for the caller to read
// and write itself, with what the socket had already read in *buffered; the socket is closed
// (the returned descriptor is a duplicate) and deleted later. -1, and the socket untouched,
// for any other socket or one that still holds output.
int release(QIODevice *socket, QByteArray *buffered);
// How long a half-closed TCP connection waits for its peer to close its side.
constexpr int PeerCloseTimeout = 30000;
// Who the peer is: credentials of a local peer, address, port (and certificate) of a
// network one.
IpcPeerCredentials peerOf(const QIODevice *socket);

}  // namespace IpcSocket

#endif  // IPCSOCKET_P_H
