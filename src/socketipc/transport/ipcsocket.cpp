#include "ipcsocket_p.h"

#include <QtCore/qtimer.h>
#include <QtNetwork/qlocalsocket.h>
#include <QtNetwork/qsslsocket.h>
#include <QtNetwork/qtcpsocket.h>

#include <memory>

#include <fcntl.h>
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

QString connectFailure(const QIODevice *socket, const IpcAddress &where)
{
    const QString address = where.toString();
    if (const auto *local = qobject_cast<const QLocalSocket *>(socket)) {
        const bool abstract = address.startsWith(QLatin1Char('@'));
        switch (local->error()) {
        case QLocalSocket::ServerNotFoundError:
            return abstract
                    ? QStringLiteral("no server listens on %1 (is the server running?)")
                              .arg(address)
                    : QStringLiteral("no socket at %1 (is the server running?)").arg(address);
        case QLocalSocket::ConnectionRefusedError:
            return abstract
                    ? QStringLiteral("no server listens on %1 (is the server running?)")
                              .arg(address)
                    : QStringLiteral("a socket file exists at %1 but no server is listening "
                                     "(one that crashed leaves it behind)")
                              .arg(address);
        case QLocalSocket::SocketAccessError:
            return QStringLiteral("no permission to connect to %1 (the server allows only its "
                                  "owner, see socketAccess, or a directory on the way is closed)")
                    .arg(address);
        default: break;
        }
    } else if (const auto *tcp = qobject_cast<const QAbstractSocket *>(socket)) {
        switch (tcp->error()) {
        case QAbstractSocket::ConnectionRefusedError:
            return QStringLiteral("no server listens on %1 (is the server running?)").arg(address);
        case QAbstractSocket::HostNotFoundError:
            return QStringLiteral("cannot connect to %1: host %2 not found")
                    .arg(address, where.host);
        default: break;
        }
    }
    return QStringLiteral("cannot connect to %1: %2").arg(address, socket->errorString());
}

void unwatch(QIODevice *socket, QObject *context)
{
    socket->disconnect(context);
}

namespace {

qint64 unwritten(const QAbstractSocket *socket)
{
    const auto *ssl = qobject_cast<const QSslSocket *>(socket);
    return socket->bytesToWrite() + (ssl ? ssl->encryptedBytesToWrite() : 0);
}

// Ends our direction only, as TCP allows: the peer reads everything, sees the end and
// closes its side, which ends ours. Closing at once instead would answer anything the
// peer still sends us (a TLS session ticket, say) with a reset, and a reset makes the
// peer's kernel drop what it has received and not yet handed over: the tail of our
// output (seen over TLS: the last few thousand of 60,000 frames lost).
void halfClose(QAbstractSocket *socket)
{
    ::shutdown(int(socket->socketDescriptor()), SHUT_WR);
    // A peer that never closes its side is not waited for long.
    QTimer::singleShot(PeerCloseTimeout, socket, [socket] {
        if (socket->state() != QAbstractSocket::UnconnectedState)
            socket->abort();
    });
}

}  // namespace

void disconnectGracefully(QIODevice *socket)
{
    if (auto *local = qobject_cast<QLocalSocket *>(socket)) {
        local->disconnectFromServer();
        return;
    }
    auto *tcp = qobject_cast<QAbstractSocket *>(socket);
    if (!tcp)
        return;
    if (tcp->state() != QAbstractSocket::ConnectedState) {
        tcp->disconnectFromHost();
        return;
    }
    if (unwritten(tcp) == 0) {
        halfClose(tcp);
        return;
    }
    // Once every byte (encrypted, for TLS) is with the kernel.
    auto written = std::make_shared<QMetaObject::Connection>();
    auto check = [tcp, written] {
        if (unwritten(tcp) > 0)
            return;
        QObject::disconnect(*written);
        halfClose(tcp);
    };
    if (auto *ssl = qobject_cast<QSslSocket *>(tcp))
        *written = QObject::connect(ssl, &QSslSocket::encryptedBytesWritten, ssl, check);
    else
        *written = QObject::connect(tcp, &QAbstractSocket::bytesWritten, tcp, check);
}

void setReadBufferSize(QIODevice *socket, qint64 bytes)
{
    if (auto *local = qobject_cast<QLocalSocket *>(socket))
        local->setReadBufferSize(bytes);
    else if (auto *tcp = qobject_cast<QAbstractSocket *>(socket))
        tcp->setReadBufferSize(bytes);
}

void stopReading(QIODevice *socket)
{
    setReadBufferSize(socket, 1);
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

int release(QIODevice *socket, QByteArray *buffered)
{
    qintptr descriptor = -1;
    if (auto *local = qobject_cast<QLocalSocket *>(socket)) {
        if (local->state() == QLocalSocket::ConnectedState)
            descriptor = local->socketDescriptor();
    } else if (auto *tcp = qobject_cast<QAbstractSocket *>(socket)) {
        if (tcp->state() == QAbstractSocket::ConnectedState && !qobject_cast<QSslSocket *>(tcp))
            descriptor = tcp->socketDescriptor();
    }
    if (descriptor < 0 || socket->bytesToWrite() > 0)
        return -1;
    const int own = ::fcntl(int(descriptor), F_DUPFD_CLOEXEC, 0);
    if (own < 0)
        return -1;
    *buffered = socket->readAll();
    // Closing the socket closes its descriptor only (no shutdown()): the connection lives
    // on in ours. Nobody hears of it, and the socket may be in the middle of a signal.
    socket->blockSignals(true);
    abort(socket);
    socket->deleteLater();
    return own;
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
