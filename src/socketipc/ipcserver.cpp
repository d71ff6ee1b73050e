#include "ipcserver.h"
#include "ipcserver_p.h"

#include "codec/ipcframe_p.h"
#include "transport/ipclocalpath_p.h"

#include <QtCore/qfile.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>
#include <QtCore/qvarlengtharray.h>
#include <QtCore/quuid.h>
#include <QtNetwork/qlocalserver.h>

IpcServer::IpcServer(QObject *parent) : QObject(parent), d(std::make_unique<IpcServerPrivate>(this))
{ }

IpcServer::~IpcServer()
{
    // Silently: no signal may reach a half-destroyed object.
    const QList<IpcConnection *> connections = std::exchange(d->connections, {});
    d->connectionsById.clear();
    qDeleteAll(connections);
    delete d->server;  // closes, and removes the socket file
}

QString IpcServer::socketPath() const
{
    return d->socketPath;
}

void IpcServer::setSocketPath(const QString &path)
{
    if (d->socketPath == path)
        return;
    d->socketPath = path;
    emit socketPathChanged();
}

bool IpcServer::isListening() const
{
    return d->state == IpcServerPrivate::State::Listening;
}

int IpcServer::clientCount() const
{
    return int(d->connections.size());
}

QStringList IpcServer::clientIds() const
{
    QStringList ids;
    ids.reserve(d->connections.size());
    for (const IpcConnection *connection : std::as_const(d->connections))
        ids.append(connection->id());
    return ids;
}

qint64 IpcServer::maxFrameSize() const
{
    return d->maxFrameSize;
}

void IpcServer::setMaxFrameSize(qint64 bytes)
{
    bytes = qMax<qint64>(bytes, 1);
    if (d->maxFrameSize == bytes)
        return;
    d->maxFrameSize = bytes;
    for (IpcConnection *connection : std::as_const(d->connections))
        connection->setMaxFrameSize(bytes);
    emit maxFrameSizeChanged();
}

IpcServer::SocketAccess IpcServer::socketAccess() const
{
    return d->socketAccess;
}

void IpcServer::setSocketAccess(SocketAccess access)
{
    if (d->socketAccess == access)
        return;
    d->socketAccess = access;
    emit socketAccessChanged();
}

qint64 IpcServer::maxPendingBytes() const
{
    return d->maxPendingBytes;
}

void IpcServer::setMaxPendingBytes(qint64 bytes)
{
    bytes = qMax<qint64>(bytes, 0);
    if (d->maxPendingBytes == bytes)
        return;
    d->maxPendingBytes = bytes;
    for (IpcConnection *connection : std::as_const(d->connections))
        connection->setMaxPendingBytes(bytes);
    emit maxPendingBytesChanged();
}

IpcServer::SlowClientPolicy IpcServer::slowClientPolicy() const
{
    return d->slowClientPolicy;
}

void IpcServer::setSlowClientPolicy(SlowClientPolicy policy)
{
    if (d->slowClientPolicy == policy)
        return;
    d->slowClientPolicy = policy;
    emit slowClientPolicyChanged();
}

int IpcServer::maxClients() const
{
    return d->maxClients;
}

void IpcServer::setMaxClients(int count)
{
    count = qMax(0, count);
    if (d->maxClients == count)
        return;
    d->maxClients = count;
    emit maxClientsChanged();
}

QList<int> IpcServer::allowedUserIds() const
{
    return d->allowedUserIds;
}

void IpcServer::setAllowedUserIds(const QList<int> &uids)
{
    if (d->allowedUserIds == uids)
        return;
    d->allowedUserIds = uids;
    emit allowedUserIdsChanged();
}

int IpcServer::handshakeTimeout() const
{
    return d->handshakeTimeout;
}

void IpcServer::setHandshakeTimeout(int msecs)
{
    msecs = qMax(0, msecs);
    if (d->handshakeTimeout == msecs)
        return;
    d->handshakeTimeout = msecs;
    emit handshakeTimeoutChanged();
}

void IpcServer::setConnectionFilter(ConnectionFilter filter)
{
    d->connectionFilter = std::move(filter);
}

IpcError::Error IpcServer::error() const
{
    return d->error;
}

QString IpcServer::errorString() const
{
    return d->errorString;
}

IpcPeerCredentials IpcServer::peerCredentials(const QString &clientId) const
{
    const IpcConnection *connection = d->connectionsById.value(clientId);
    return connection ? connection->peerCredentials() : IpcPeerCredentials();
}

IpcTopic *IpcServer::topic(const QString &name)
{
    return d->topics.owned(name, this);
}

bool IpcServer::listen(const QString &socketPath)
{
    if (d->state == IpcServerPrivate::State::Listening) {
        qWarning("IpcServer::listen: already listening on %ls", qUtf16Printable(d->socketPath));
        return false;
    }
    if (!socketPath.isEmpty())
        setSocketPath(socketPath);

    const QString path = IpcLocalPath::resolve(d->socketPath);
    if (const QString invalid = IpcLocalPath::invalidReason(path); !invalid.isEmpty()) {
        d->setError(IpcError::SocketError, QStringLiteral("cannot listen: %1").arg(invalid));
        return false;
    }

    const bool abstract = IpcLocalPath::isAbstract(path);
    QString why;
    switch (abstract ? IpcLocalPath::Probe::Absent : IpcLocalPath::probe(path, &why)) {
    case IpcLocalPath::Probe::Absent: break;
    case IpcLocalPath::Probe::Live:
        d->setError(IpcError::AddressInUseError,
                    QStringLiteral("cannot listen: a server is already listening on %1").arg(path));
        return false;
    case IpcLocalPath::Probe::Stale:
        // Left behind by a server that died: take it over.
        if (!QFile::remove(path) && QFile::exists(path)) {
            d->setError(IpcError::SocketError,
                        QStringLiteral("cannot remove the stale socket file %1").arg(path));
            return false;
        }
        break;
    case IpcLocalPath::Probe::NotASocket:
        d->setError(IpcError::AddressInUseError,
                    QStringLiteral("cannot listen: %1 exists and is not a socket").arg(path));
        return false;
    case IpcLocalPath::Probe::Failed:
        d->setError(IpcError::SocketError,
                    QStringLiteral("cannot listen on %1: %2").arg(path, why));
        return false;
    }

    auto *server = new QLocalServer(this);
    switch (d->socketAccess) {
    case SocketAccess::OwnerOnly: server->setSocketOptions(QLocalServer::UserAccessOption); break;
    case SocketAccess::OwnerAndGroup:
        server->setSocketOptions(QLocalServer::UserAccessOption | QLocalServer::GroupAccessOption);
        break;
    case SocketAccess::Everyone: server->setSocketOptions(QLocalServer::WorldAccessOption); break;
    }
    if (abstract)  // no file, so no permissions: only allowedUserIds can restrict who connects
        server->setSocketOptions(QLocalServer::AbstractNamespaceOption);
    server->setListenBacklogSize(128);
    if (!server->listen(abstract ? path.mid(1) : path)) {
        const bool inUse = server->serverError() == QAbstractSocket::AddressInUseError;
        d->setError(inUse ? IpcError::AddressInUseError : IpcError::SocketError,
                    QStringLiteral("cannot listen on %1: %2").arg(path, server->errorString()));
        delete server;
        return false;
    }
    QObject::connect(server, &QLocalServer::newConnection, this,
                     [this] { d->acceptConnections(); });
    d->server = server;
    d->state = IpcServerPrivate::State::Listening;
    emit listeningChanged(true);
    return true;
}

void IpcServer::close()
{
    using State = IpcServerPrivate::State;
    if (d->state == State::Closed || d->state == State::Closing)
        return;
    const bool wasListening = d->state == State::Listening;
    d->state = State::Closing;
    if (d->server) {
        d->server->disconnect(this);
        d->server->close();
        d->server->deleteLater();
        d->server = nullptr;
    }
    if (wasListening)
        emit listeningChanged(false);

    const QPointer<IpcServer> guard(this);
    const QList<IpcConnection *> connections = d->connections;
    for (IpcConnection *connection : connections) {
        connection->close();
        if (!guard)
            return;
    }
    d->finishClosingIfDone();
}

bool IpcServer::send(const QString &topic, const QVariant &message, const QString &clientId)
{
    using State = IpcServerPrivate::State;
    if (d->state == State::Closing || d->state == State::Closed) {
        d->setError(IpcError::SendAfterCloseError,
                    QStringLiteral("cannot send \"%1\": the server is closed").arg(topic),
                    clientId);
        return false;
    }
    IpcConnection *connection = d->openConnection(clientId);
    if (!connection) {
        d->setError(
                IpcError::BadClientError,
                QStringLiteral("cannot send \"%1\": no client with id \"%2\"").arg(topic, clientId),
                clientId);
        return false;
    }
    IpcCodec::Frame frame;
    frame.topic = topic;
    frame.message = message;
    QString why;
    return d->handleWrite(connection, connection->send(frame, &why), topic, why);
}

void IpcServer::broadcast(const QString &topic, const QVariant &message)
{
    using State = IpcServerPrivate::State;
    if (d->state == State::Closing || d->state == State::Closed) {
        d->setError(IpcError::SendAfterCloseError,
                    QStringLiteral("cannot broadcast \"%1\": the server is closed").arg(topic));
        return;
    }
    if (d->connections.isEmpty())
        return;
    IpcCodec::Frame frame;
    frame.topic = topic;
    frame.message = message;
    // Encoded once per codec (connections keep the codec they were accepted with); every
    // socket shares the same bytes. A write may fail and drop its connection, so walk a
    // copy.
    QVarLengthArray<std::pair<const IpcCodec *, QByteArray>, 2> encoded;
    const QList<IpcConnection *> connections = d->connections;
    const QPointer<IpcServer> guard(this);
    for (IpcConnection *connection : connections) {
        if (!guard)
            return;
        if (!d->connections.contains(connection))
            continue;
        const IpcCodec *codec = connection->codec().get();
        auto bytes = std::find_if(encoded.begin(), encoded.end(),
                                  [codec](const auto &entry) { return entry.first == codec; });
        if (bytes == encoded.end()) {
            QByteArray out;
            QString why;
            // A codec that cannot hold the value is reported once; the clients of the
            // others still get it, in whatever order they connected.
            if (!IpcFrame::encodeFrame(out, *codec, frame, &why)) {
                out.clear();
                d->setError(IpcError::EncodeError, why);
                if (!guard)
                    return;
            }
            encoded.append({codec, std::move(out)});
            bytes = encoded.end() - 1;
        }
        if (bytes->second.isEmpty())
            continue;
        d->handleWrite(connection, connection->write(bytes->second), topic, QString());
    }
}

IpcReply *IpcServer::request(const QString &topic, const QVariant &message, const QString &clientId,
                             int timeoutMsecs)
{
    IpcReply *reply =
            d->requests.create(topic, timeoutMsecs < 0 ? d->requestTimeout : timeoutMsecs);
    using State = IpcServerPrivate::State;
    if (d->state == State::Closing || d->state == State::Closed) {
        d->requests.failLater(
                reply, IpcError::SendAfterCloseError,
                QStringLiteral("cannot request \"%1\": the server is closed").arg(topic));
        return reply;
    }
    IpcConnection *connection = d->openConnection(clientId);
    if (!connection) {
        d->requests.failLater(reply, IpcError::BadClientError,
                              QStringLiteral("cannot request \"%1\": no client with id \"%2\"")
                                      .arg(topic, clientId));
        return reply;
    }
    IpcCodec::Frame frame;
    frame.topic = topic;
    frame.message = message;
    frame.requestId = IpcRequestBroker::idOf(reply);
    QString why;
    switch (connection->send(frame, &why)) {
    case IpcConnection::WriteResult::Queued: d->requests.sent(reply, connection); break;
    case IpcConnection::WriteResult::EncodeError:
        d->requests.failLater(reply, IpcError::EncodeError, why);
        break;
    case IpcConnection::WriteResult::LimitReached:
        d->requests.failLater(reply, IpcError::WriteBufferFullError,
                              QStringLiteral("cannot request \"%1\": client %2 is not reading")
                                      .arg(topic, clientId));
        break;
    }
    return reply;
}

void IpcServer::setRequestHandler(const QString &topic, const QObject *context,
                                  std::function<void(IpcRequest &)> handler)
{
    d->requests.setHandler(topic, context, std::move(handler));
}

void IpcServer::removeHandler(const QString &topic)
{
    d->requests.removeHandler(topic);
}

bool IpcServer::hasHandler(const QString &topic) const
{
    return d->requests.hasHandler(topic);
}

std::shared_ptr<const IpcCodec> IpcServer::codec() const
{
    return d->codec;
}

void IpcServer::setCodec(std::shared_ptr<const IpcCodec> codec)
{
    if (!codec)
        codec = IpcCodec::json();
    if (d->codec == codec)
        return;
    d->codec = std::move(codec);
    emit codecChanged();
}

QString IpcServer::codecName() const
{
    return d->codec->name();
}

void IpcServer::setCodecName(const QString &name)
{
    auto codec = IpcCodec::byName(name);
    if (!codec) {
        qWarning("IpcServer::setCodecName: no codec named \"%ls\"", qUtf16Printable(name));
        return;
    }
    setCodec(std::move(codec));
}

int IpcServer::requestTimeout() const
{
    return d->requestTimeout;
}

void IpcServer::setRequestTimeout(int msecs)
{
    msecs = qMax(0, msecs);
    if (d->requestTimeout == msecs)
        return;
    d->requestTimeout = msecs;
    emit requestTimeoutChanged();
}

void IpcServer::disconnectClient(const QString &clientId)
{
    IpcConnection *connection = d->openConnection(clientId);
    if (!connection) {
        d->setError(IpcError::BadClientError,
                    QStringLiteral("cannot disconnect: no client with id \"%1\"").arg(clientId),
                    clientId);
        return;
    }
    connection->close();
}

void IpcServerPrivate::acceptConnections()
{
    const QPointer<IpcServer> guard(q);
    while (server && server->hasPendingConnections()) {
        QLocalSocket *socket = server->nextPendingConnection();
        const IpcPeerCredentials credentials = IpcConnection::credentialsOf(socket);
        if (const QString why = refusal(credentials); !why.isEmpty()) {
            // Turned away before a byte is read: the peer just sees the connection end.
            socket->abort();
            socket->deleteLater();
            setError(IpcError::ClientRefusedError,
                     QStringLiteral("refused a connection from pid %1, uid %2: %3")
                             .arg(credentials.pid())
                             .arg(credentials.uid())
                             .arg(why));
            if (!guard)
                return;
            continue;
        }
        auto *connection = new IpcConnection(socket, codec, maxFrameSize, this, q);
        connection->setMaxPendingBytes(maxPendingBytes);
        const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        connection->setId(id);
        connections.append(connection);
        connectionsById.insert(id, connection);
        if (handshakeTimeout > 0) {
            QTimer::singleShot(handshakeTimeout, connection, [this, connection] {
                if (connection->hasReceived() || !connection->isOpen())
                    return;
                setError(IpcError::ClientRefusedError,
                         QStringLiteral("client %1 sent nothing within %2 ms; dropped")
                                 .arg(connection->id())
                                 .arg(handshakeTimeout),
                         connection->id());
                connection->abort();
            });
        }
        emit q->clientCountChanged();
        if (!guard)
            return;
        emit q->clientConnected(id);
        if (!guard)
            return;
    }
}

bool IpcServerPrivate::handleWrite(IpcConnection *connection, IpcConnection::WriteResult result,
                                   const QString &topic, const QString &encodeError)
{
    switch (result) {
    case IpcConnection::WriteResult::Queued: return true;
    case IpcConnection::WriteResult::EncodeError:
        setError(IpcError::EncodeError, encodeError, connection->id());
        return false;
    case IpcConnection::WriteResult::LimitReached: break;
    }
    const bool disconnect = slowClientPolicy == IpcServer::SlowClientPolicy::DisconnectClient;
    const QString id = connection->id();
    const QPointer<IpcConnection> alive(connection);
    setError(IpcError::WriteBufferFullError,
             QStringLiteral("client %1 is not reading: %2 bytes wait for it, the limit is %3; "
                            "\"%4\" %5")
                     .arg(id)
                     .arg(connection->pendingBytes())
                     .arg(maxPendingBytes)
                     .arg(topic,
                          disconnect ? QStringLiteral("not sent, client disconnected")
                                     : QStringLiteral("not sent to it")),
             id);
    if (disconnect && alive)
        connection->abort();
    return false;
}

QString IpcServerPrivate::refusal(const IpcPeerCredentials &credentials) const
{
    if (maxClients > 0 && connections.size() >= maxClients)
        return QStringLiteral("%1 clients are connected, the limit").arg(maxClients);
    if (!allowedUserIds.isEmpty()
        && (!credentials.isValid() || !allowedUserIds.contains(int(credentials.uid()))))
        return QStringLiteral("that user is not in allowedUserIds");
    if (connectionFilter && !connectionFilter(credentials))
        return QStringLiteral("the connection filter said no");
    return {};
}

void IpcServerPrivate::finishClosingIfDone()
{
    if (state != State::Closing || !connections.isEmpty())
        return;
    state = State::Closed;
    emit q->closed();
}

void IpcServerPrivate::setError(IpcError::Error code, const QString &description,
                                const QString &clientId)
{
    error = code;
    errorString = description;
    emit q->errorOccurred(code, description, clientId);
}

IpcConnection *IpcServerPrivate::openConnection(const QString &clientId) const
{
    IpcConnection *connection = connectionsById.value(clientId);
    return connection && connection->isOpen() ? connection : nullptr;
}

void IpcServerPrivate::connectionFrame(IpcConnection *connection, const IpcCodec::Frame &frame)
{
    if (frame.replyTo > 0) {
        requests.deliverReply(connection, frame);
        return;
    }
    if (frame.requestId > 0) {
        requests.dispatch(connection, frame, connection->id());
        return;
    }
    const QString &topic = frame.topic;
    const QVariant &message = frame.message;
    const QString id = connection->id();
    if (topics.isEmpty()) {
        emit q->messageReceived(topic, message, id);
        return;
    }
    const QPointer<IpcServer> guard(q);  // only worth its cost when there is more to do
    emit q->messageReceived(topic, message, id);
    if (guard)
        topics.deliver(topic, message, id);
}

void IpcServerPrivate::connectionError(IpcConnection *connection, IpcError::Error code,
                                       const QString &description)
{
    setError(code, QStringLiteral("client %1: %2").arg(connection->id(), description),
             connection->id());
}

void IpcServerPrivate::connectionClosed(IpcConnection *connection)
{
    const QString id = connection->id();
    connections.removeOne(connection);
    connectionsById.remove(id);
    connection->deleteLater();
    requests.connectionEnded(connection,
                             QStringLiteral("client %1 disconnected before it answered").arg(id));

    const QPointer<IpcServer> guard(q);
    emit q->clientCountChanged();
    if (guard)
        emit q->clientDisconnected(id);
    if (guard)
        finishClosingIfDone();
}
