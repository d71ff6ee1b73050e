#include "ipcclient.h"
#include "ipcclient_p.h"

#include "codec/ipcframe_p.h"
#include "transport/ipclocalpath_p.h"

#include <QtCore/qpointer.h>
#include <QtCore/qrandom.h>
#include <QtNetwork/qlocalsocket.h>

IpcClientPrivate::IpcClientPrivate(IpcClient *q) : q(q), attemptTimer(new QTimer(q))
{
    attemptTimer->setSingleShot(true);
    QObject::connect(attemptTimer, &QTimer::timeout, q, [this] { attempt(); });
}

int IpcClientPrivate::Delay::pick() const
{
    if (max <= min)
        return min;
    return int(QRandomGenerator::global()->bounded(min, max + 1));
}

IpcClient::IpcClient(QObject *parent) : QObject(parent), d(std::make_unique<IpcClientPrivate>(this))
{ }

IpcClient::~IpcClient()
{
    // Silently: no signal may reach a half-destroyed object.
    d->attemptTimer->stop();
    delete d->attemptSocket;
    delete d->connection;
    delete d->closingConnection;
}

QString IpcClient::socketPath() const
{
    return d->socketPath;
}

void IpcClient::setSocketPath(const QString &path)
{
    if (d->socketPath == path)
        return;
    d->socketPath = path;
    emit socketPathChanged();
}

IpcClient::State IpcClient::state() const
{
    return d->state;
}

bool IpcClientPrivate::Delay::set(int newMin, int newMax)
{
    newMin = qMax(0, newMin);
    newMax = qMax(-1, newMax);
    if (newMin == min && newMax == max)
        return false;
    min = newMin;
    max = newMax;
    return true;
}

int IpcClient::retryDelay() const
{
    return d->retryDelay.min;
}

void IpcClient::setRetryDelay(int msecs)
{
    setRetryDelay(msecs, d->retryDelay.max);
}

void IpcClient::setRetryDelay(int minMsecs, int maxMsecs)
{
    if (d->retryDelay.set(minMsecs, maxMsecs))
        emit retryDelayChanged();
}

int IpcClient::retryDelayMax() const
{
    return d->retryDelay.max;
}

void IpcClient::setRetryDelayMax(int msecs)
{
    setRetryDelay(d->retryDelay.min, msecs);
}

int IpcClient::reconnectDelay() const
{
    return d->reconnectDelay.min;
}

void IpcClient::setReconnectDelay(int msecs)
{
    setReconnectDelay(msecs, d->reconnectDelay.max);
}

void IpcClient::setReconnectDelay(int minMsecs, int maxMsecs)
{
    if (d->reconnectDelay.set(minMsecs, maxMsecs))
        emit reconnectDelayChanged();
}

int IpcClient::reconnectDelayMax() const
{
    return d->reconnectDelay.max;
}

void IpcClient::setReconnectDelayMax(int msecs)
{
    setReconnectDelay(d->reconnectDelay.min, msecs);
}

qint64 IpcClient::maxFrameSize() const
{
    return d->maxFrameSize;
}

void IpcClient::setMaxFrameSize(qint64 bytes)
{
    bytes = qMax<qint64>(bytes, 1);
    if (d->maxFrameSize == bytes)
        return;
    d->maxFrameSize = bytes;
    if (d->connection)
        d->connection->setMaxFrameSize(bytes);
    emit maxFrameSizeChanged();
}

qint64 IpcClient::maxPendingBytes() const
{
    return d->maxPendingBytes;
}

void IpcClient::setMaxPendingBytes(qint64 bytes)
{
    bytes = qMax<qint64>(bytes, 0);
    if (d->maxPendingBytes == bytes)
        return;
    d->maxPendingBytes = bytes;
    if (d->connection)
        d->connection->setMaxPendingBytes(bytes);
    emit maxPendingBytesChanged();
}

IpcError::Error IpcClient::error() const
{
    return d->error;
}

QString IpcClient::errorString() const
{
    return d->errorString;
}

IpcTopic *IpcClient::topic(const QString &name)
{
    return d->topics.owned(name, this);
}

void IpcClient::connectToServer(const QString &socketPath)
{
    if (d->state == State::Connecting || d->state == State::Connected) {
        qWarning("IpcClient::connectToServer: already connecting or connected to %ls",
                 qUtf16Printable(d->socketPath));
        return;
    }
    if (!socketPath.isEmpty())
        setSocketPath(socketPath);
    d->wasConnected = false;
    d->setState(State::Connecting);
    // From the event loop, so that connected() never comes before this call has returned.
    d->attemptTimer->start(0);
}

void IpcClient::close()
{
    if (d->state == State::Closed)
        return;
    d->attemptTimer->stop();
    d->dropSocketAttempt();
    d->setState(State::Closed);
    if (d->connection) {
        // closed() follows once the pending output is written.
        d->closingConnection = std::exchange(d->connection, nullptr);
        d->closingConnection->close();
        return;
    }
    emit closed();
}

bool IpcClient::send(const QString &topic, const QVariant &message)
{
    if (d->state == State::Closed) {
        d->setError(IpcError::SendAfterCloseError,
                    QStringLiteral("cannot send \"%1\": the client is closed").arg(topic));
        return false;
    }
    if (!d->connection || !d->connection->isOpen()) {
        d->setError(IpcError::NoServerError,
                    QStringLiteral("cannot send \"%1\": not connected to a server").arg(topic));
        return false;
    }
    QString why;
    switch (d->connection->send(topic, message, &why)) {
    case IpcConnection::WriteResult::Queued: return true;
    case IpcConnection::WriteResult::EncodeError:
        d->setError(IpcError::EncodeError, why);
        return false;
    case IpcConnection::WriteResult::LimitReached:
        d->setError(IpcError::WriteBufferFullError,
                    QStringLiteral("cannot send \"%1\": the server is not reading; %2 bytes "
                                   "wait for it, the limit is %3")
                            .arg(topic)
                            .arg(d->connection->pendingBytes())
                            .arg(d->maxPendingBytes));
        return false;
    }
    return false;
}

void IpcClientPrivate::setState(IpcClient::State newState)
{
    if (state == newState)
        return;
    state = newState;
    emit q->stateChanged(newState);
}

void IpcClientPrivate::attempt()
{
    dropSocketAttempt();
    const QString path = IpcLocalPath::resolve(socketPath);
    auto *socket = new QLocalSocket(q);
    attemptSocket = socket;
    QObject::connect(socket, &QLocalSocket::connected, q,
                     [this, socket] { onSocketConnected(socket); });
    QObject::connect(socket, &QLocalSocket::errorOccurred, q,
                     [this, socket] { onConnectFailed(socket); });
    if (IpcLocalPath::isAbstract(path))
        socket->setSocketOptions(QLocalSocket::AbstractNamespaceOption);
    // May report success or failure before it returns.
    socket->connectToServer(IpcLocalPath::isAbstract(path) ? path.mid(1) : path);
}

void IpcClientPrivate::scheduleAttempt(const Delay &delay)
{
    attemptTimer->start(delay.pick());
}

void IpcClientPrivate::onSocketConnected(QLocalSocket *socket)
{
    if (socket != attemptSocket)
        return;
    attemptSocket = nullptr;
    socket->disconnect(q);
    connection = new IpcConnection(socket, maxFrameSize, this, q);
    connection->setMaxPendingBytes(maxPendingBytes);
    const bool reconnect = std::exchange(wasConnected, true);

    const QPointer<IpcClient> guard(q);
    setState(IpcClient::State::Connected);
    if (guard && state == IpcClient::State::Connected)
        emit q->connected();
    if (guard && reconnect && state == IpcClient::State::Connected)
        emit q->reconnected();
}

void IpcClientPrivate::onConnectFailed(QLocalSocket *socket)
{
    if (socket != attemptSocket)
        return;
    const QString description =
            QStringLiteral("cannot connect to %1: %2")
                    .arg(IpcLocalPath::resolve(socketPath), socket->errorString());
    dropSocketAttempt();

    const QPointer<IpcClient> guard(q);
    emit q->connectError(description);
    if (guard && state == IpcClient::State::Connecting)
        scheduleAttempt(retryDelay);
}

void IpcClientPrivate::dropSocketAttempt()
{
    if (!attemptSocket)
        return;
    QLocalSocket *socket = std::exchange(attemptSocket, nullptr);
    socket->disconnect(q);
    socket->abort();
    socket->deleteLater();
}

void IpcClientPrivate::setError(IpcError::Error code, const QString &description)
{
    error = code;
    errorString = description;
    emit q->errorOccurred(code, description);
}

void IpcClientPrivate::connectionMessage(IpcConnection *, const QString &topic,
                                         const QVariant &message)
{
    if (topics.isEmpty()) {
        emit q->messageReceived(topic, message);
        return;
    }
    const QPointer<IpcClient> guard(q);  // only worth its cost when there is more to do
    emit q->messageReceived(topic, message);
    if (guard)
        topics.deliver(topic, message, QString());
}

void IpcClientPrivate::connectionError(IpcConnection *, IpcError::Error code,
                                       const QString &description)
{
    setError(code, description);
}

void IpcClientPrivate::connectionClosed(IpcConnection *closedConnection)
{
    closedConnection->deleteLater();
    if (closedConnection == closingConnection) {
        closingConnection = nullptr;
        emit q->closed();
        return;
    }
    if (closedConnection != connection)
        return;
    connection = nullptr;

    // Unexpected: the server went away or dropped us.
    const QPointer<IpcClient> guard(q);
    setState(IpcClient::State::Connecting);
    if (guard)
        emit q->disconnected();
    if (guard && state == IpcClient::State::Connecting && !attemptTimer->isActive()
        && !attemptSocket)
        scheduleAttempt(reconnectDelay);
}
