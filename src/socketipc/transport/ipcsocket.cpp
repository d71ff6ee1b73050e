#include "ipcsocket_p.h"

#include <QtNetwork/qlocalsocket.h>
#include <QtNetwork/qsslsocket.h>
#include <QtNetwork/qtcpsocket.h>

#include <sys/socket.h>
#include <sys/types.h>

namespace IpcSocket {

void watch(QIODevice *socket, QObject *context, std::function<void(const QString &, bool)> onError,
           std::function<void()> onDisconnected)
{
    if (auto *local = qobject_cast<QLocalSocket *>(socket)) {
        QObject::connect(local, &QLocalSocket::errorOccurred, context,
                         [local, onError](QLocalSocket::LocalSocketError error) {
                             onError(local->errorString(), error == QLocalSocket::PeerClosedError);
                         });
        QObject::connect(local, &QLocalSocket::disconnected, context, onDisconnected);
    } else if (auto *tcp = qobject_cast<QAbstractSocket *>(socket)) {
        QObject::connect(tcp, &QAbstractSocket::errorOccurred, context,
                         [tcp, onError](QAbstractSocket::SocketError error) {
                             onError(tcp->errorString(),
                                     error == QAbstractSocket::RemoteHostClosedError);
                         });
        QObject::connect(tcp, &QAbstractSocket::disconnected, context, onDisconnected);
    }
}

void unwatch(QIODevice *socket, QObject *context)
{
    socket->disconnect(context);
}

void disconnectGracefully(QIODevice *socket)
{
    if (auto *local = qobject_cast<QLocalSocket *>(socket))
        local->disconnectFromServer();
    else if (auto *tcp = qobject_cast<QAbstractSocket *>(socket))
        tcp->disconnectFromHost();
}

void abort(QIODevice *socket)
{
    if (auto *local = qobject_cast<QLocalSocket *>(socket))
        local->abort();
    else if (auto *tcp = qobject_cast<QAbstractSocket *>(socket))
        tcp->abort();
}

bool isUnconnected(const QIODevice *socket)
{
    if (auto *local = qobject_cast<const QLocalSocket *>(socket))
        return local->state() == QLocalSocket::UnconnectedState;
    if (auto *tcp = qobject_cast<const QAbstractSocket *>(socket))
        return tcp->state() == QAbstractSocket::UnconnectedState;
    return true;
}

void flush(QIODevice *socket)
{
    if (auto *local = qobject_cast<QLocalSocket *>(socket))
        local->flush();
    else if (auto *tcp = qobject_cast<QAbstractSocket *>(socket))
        tcp->flush();
}

IpcPeerCredentials peerOf(const QIODevice *socket)
{
    if (auto *local = qobject_cast<const QLocalSocket *>(socket)) {
#if defined(SO_PEERCRED)
        struct ucred cred = {};
        socklen_t length = sizeof cred;
        const qintptr fd = local->socketDescriptor();
        if (fd >= 0 && ::getsockopt(int(fd), SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0)
            return IpcPeerCredentials(cred.pid, cred.uid, cred.gid);
#endif
        return {};
    }
    if (auto *tcp = qobject_cast<const QAbstractSocket *>(socket)) {
        QSslCertificate certificate;
        if (auto *ssl = qobject_cast<const QSslSocket *>(tcp))
            certificate = ssl->peerCertificate();
        return IpcPeerCredentials(tcp->peerAddress().toString(), tcp->peerPort(), certificate);
    }
    return {};
}

}  // namespace IpcSocket
