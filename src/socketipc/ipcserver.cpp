#include "ipcserver.h"
#include "ipcserver_p.h"

#include "codec/ipcframe_p.h"
#include "ipcauth_p.h"
#include "ipcproperty_p.h"
#include "transport/ipcactivation_p.h"
#include "transport/ipclistener_p.h"
#include "transport/ipcsocket_p.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>
#include <QtCore/qvarlengtharray.h>
#include <QtCore/quuid.h>

IpcServer::IpcServer(QObject *parent) : IpcEndpoint(*new IpcServerPrivate, parent)
{
    // Sockets a service manager passed are kept from child processes from now on.
    IpcActivation::prepare();
    connect(this, &IpcServer::errorOccurred, this,
            [this](IpcError::Error error, const QString &description, const QString &clientId) {
                Q_D(IpcServer);
                if (d->monitors.isEmpty())
                    return;
                d->monitorEvent(
                        {{QStringLiteral("event"), QStringLiteral("error")},
                         {QStringLiteral("client"), clientId},
                         {QStringLiteral("code"),
                          QString::fromLatin1(
                                  QMetaEnum::fromType<IpcError::Error>().valueToKey(error))},
                         {QStringLiteral("description"), description}});
            });
}

IpcServer::~IpcServer()
{
    Q_D(IpcServer);
    // Silently: no signal may reach a half-destroyed object.
    const QList<IpcConnection *> connections = std::exchange(d->connections, {});
    d->connectionsById.clear();
    qDeleteAll(connections);
    qDeleteAll(std::exchange(d->unauthenticated, {}));
    delete d->listener;  // closes, and removes the socket file
}

bool IpcServer::isListening() const
{
    Q_D(const IpcServer);
    return d->state == IpcServerPrivate::State::Listening;
}

int IpcServer::clientCount() const
{
    Q_D(const IpcServer);
    return int(d->connections.size());
}

QStringList IpcServer::clientIds() const
{
    Q_D(const IpcServer);
    QStringList ids;
    ids.reserve(d->connections.size());
    for (const IpcConnection *connection : std::as_const(d->connections))
        ids.append(connection->id());
    return ids;
}

IpcServer::SocketAccess IpcServer::socketAccess() const
{
    return d_func()->socketAccess;
}

void IpcServer::setSocketAccess(SocketAccess access)
{
    assignAndNotify(this, d_func()->socketAccess, access, &IpcServer::socketAccessChanged);
}

IpcServer::SlowClientPolicy IpcServer::slowClientPolicy() const
{
    return d_func()->slowClientPolicy;
}

void IpcServer::setSlowClientPolicy(SlowClientPolicy policy)
{
    assignAndNotify(this, d_func()->slowClientPolicy, policy, &IpcServer::slowClientPolicyChanged);
}

int IpcServer::maxClients() const
{
    return d_func()->maxClients;
}

void IpcServer::setMaxClients(int count)
{
    assignAndNotify(this, d_func()->maxClients, qMax(0, count), &IpcServer::maxClientsChanged);
}

bool IpcServer::allowMonitors() const
{
    return d_func()->allowMonitors;
}

void IpcServer::setAllowMonitors(bool allow)
{
    assignAndNotify(this, d_func()->allowMonitors, allow, &IpcServer::allowMonitorsChanged);
}

int IpcServer::monitorCount() const
{
    return int(d_func()->monitors.size());
}

qint64 IpcServer::maxRetainedBytes() const
{
    return d_func()->maxRetainedBytes;
}

void IpcServer::setMaxRetainedBytes(qint64 bytes)
{
    assignAndNotify(this, d_func()->maxRetainedBytes, qMax<qint64>(0, bytes),
                    &IpcServer::maxRetainedBytesChanged);
}

bool IpcServer::retain(const QString &topic, const QVariant &message)
{
    Q_D(IpcServer);
    using State = IpcServerPrivate::State;
    if (d->state == State::Closing || d->state == State::Closed) {
        d->setError(IpcError::SendAfterCloseError,
                    QStringLiteral("cannot retain \"%1\": the server is closed").arg(topic));
        return false;
    }
    IpcCodec::Frame frame;
    frame.topic = topic;
    frame.message = message;
    QByteArray encoded;
    if (QString why; !IpcFrame::encodeFrame(encoded, *d->codec, frame, &why)) {
        d->setError(IpcError::EncodeError, why);
        return false;
    }
    const qint64 before = d->retained.value(topic).bytes;
    const qint64 total = d->retainedBytes - before + encoded.size();
    if (d->maxRetainedBytes > 0 && total > d->maxRetainedBytes) {
        d->setError(IpcError::RetainedLimitError,
                    QStringLiteral("cannot retain \"%1\": retained messages would take %2 "
                                   "bytes, more than maxRetainedBytes (%3); nothing was sent")
                            .arg(topic)
                            .arg(total)
                            .arg(d->maxRetainedBytes));
        return false;
    }
    d->retained.insert(topic, {message, encoded.size()});
    d->retainedBytes = total;
    const QPointer<IpcServer> guard(this);
    emit retainedChanged();
    if (guard)
        broadcast(topic, message);
    return true;
}

void IpcServer::clearRetained(const QString &topic)
{
    Q_D(IpcServer);
    const auto it = d->retained.find(topic);
    if (it == d->retained.end())
        return;
    d->retainedBytes -= it->bytes;
    d->retained.erase(it);
    const QPointer<IpcServer> guard(this);
    emit retainedChanged();
    // Clients forget the value too (IpcTopic::hasValue()).
    if (guard && d->state == IpcServerPrivate::State::Listening)
        broadcast(IpcRetained::Topic.toString(), QVariantMap{{QStringLiteral("cleared"), topic}});
}

QVariant IpcServer::retained(const QString &topic) const
{
    return d_func()->retained.value(topic).message;
}

QStringList IpcServer::retainedTopics() const
{
    return d_func()->retained.keys();
}

qint64 IpcServer::retainedBytes() const
{
    return d_func()->retainedBytes;
}

QList<int> IpcServer::allowedUserIds() const
{
    return d_func()->allowedUserIds;
}

void IpcServer::setAllowedUserIds(const QList<int> &uids)
{
    assignAndNotify(this, d_func()->allowedUserIds, uids, &IpcServer::allowedUserIdsChanged);
}

int IpcServer::handshakeTimeout() const
{
    return d_func()->handshakeTimeout;
}

void IpcServer::setHandshakeTimeout(int msecs)
{
    assignAndNotify(this, d_func()->handshakeTimeout, qMax(0, msecs),
                    &IpcServer::handshakeTimeoutChanged);
}

void IpcServer::setConnectionFilter(ConnectionFilter filter)
{
    Q_D(IpcServer);
    d->connectionFilter = std::move(filter);
}

QString IpcServer::listeningAddress() const
{
    Q_D(const IpcServer);
    return d->listener && isListening() ? d->listener->address().toString() : QString();
}

IpcPeerCredentials IpcServer::peerCredentials(const QString &clientId) const
{
    Q_D(const IpcServer);
    const IpcConnection *connection = d->connectionsById.value(clientId);
    return connection ? connection->peerCredentials() : IpcPeerCredentials();
}

IpcStatistics IpcServer::statistics(const QString &clientId) const
{
    Q_D(const IpcServer);
    const IpcConnection *connection = d->connectionsById.value(clientId);
    if (!connection)
        return {};
    return IpcStatisticsPrivate::make(clientId, connection->counters(), connection->pendingBytes(),
                                      d->requests.inFlight(connection), 1);
}

IpcStatistics IpcServer::statistics() const
{
    Q_D(const IpcServer);
    IpcCounters total = d->closedCounters;
    total.connectedSince = d->listeningSince;
    qint64 pending = 0;
    int inFlight = 0;
    for (const IpcConnection *connection : d->connections) {
        total.add(connection->counters());
        pending += connection->pendingBytes();
        inFlight += d->requests.inFlight(connection);
    }
    return IpcStatisticsPrivate::make({}, total, pending, inFlight, int(d->connections.size()));
}

bool IpcServer::listen(const QString &address)
{
    Q_D(IpcServer);
    if (d->state == IpcServerPrivate::State::Listening) {
        qWarning("IpcServer::listen: already listening on %ls", qUtf16Printable(d->address));
        return false;
    }
    if (!address.isEmpty())
        setAddress(address);

    const IpcAddress where = IpcAddress::parse(d->address, IpcAddress::Use::Listen);
    if (!where.isValid()) {
        d->setError(IpcError::SocketError, QStringLiteral("cannot listen: %1").arg(where.error));
        return false;
    }
    IpcError::Error error = IpcError::NoError;
    QString why;
    d->listener = IpcListener::listen(where, {d->socketAccess, d->tls}, this, &error, &why);
    if (!d->listener) {
        d->setError(error, why);
        return false;
    }
    connect(d->listener, &IpcListener::accepted, this,
            [d](QIODevice *socket) { d->acceptSocket(socket); });
    connect(d->listener, &IpcListener::acceptFailed, this,
            [d](IpcError::Error error, const QString &description) {
                d->setError(error, description);
            });
    d->state = IpcServerPrivate::State::Listening;
    d->closedCounters = {};
    d->listeningSince = QDateTime::currentMSecsSinceEpoch();
    emit listeningChanged(true);
    return true;
}

void IpcServer::close()
{
    Q_D(IpcServer);
    using State = IpcServerPrivate::State;
    if (d->state == State::Closed || d->state == State::Closing)
        return;
    const bool wasListening = d->state == State::Listening;
    d->state = State::Closing;
    if (IpcListener *listener = std::exchange(d->listener, nullptr)) {
        listener->disconnect(this);
        listener->close();
        listener->deleteLater();  // close() may come from one of its signals
    }
    if (wasListening)
        emit listeningChanged(false);

    // Not clients yet: they just go (connectionClosed() takes each off the list).
    const QList<IpcConnection *> strangers = d->unauthenticated + d->awaitingRole + d->monitors;
    for (IpcConnection *connection : strangers)
        connection->abort();
    const QPointer<IpcServer> guard(this);
    const QList<IpcConnection *> connections = d->connections;
    for (IpcConnection *connection : connections) {
        connection->close();
        if (!guard)
            return;
    }
    if (!d->connections.isEmpty() && d->closeTimeout > 0) {
        if (!d->closeTimer) {
            d->closeTimer = new QTimer(this);
            d->closeTimer->setSingleShot(true);
            connect(d->closeTimer, &QTimer::timeout, this, [d] { d->abortStragglers(); });
        }
        d->closeTimer->start(d->closeTimeout);
    }
    d->finishClosingIfDone();
}

void IpcServerPrivate::abortStragglers()
{
    Q_Q(IpcServer);
    if (state != State::Closing)
        return;
    const QPointer<IpcServer> guard(q);
    const QList<IpcConnection *> stragglers = connections;
    for (IpcConnection *connection : stragglers) {
        if (!guard)
            return;
        if (!connections.contains(connection))
            continue;
        setError(IpcError::WriteBufferFullError,
                 QStringLiteral("client %1 did not take what was sent to it within %2 ms of "
                                "close(); dropped with %3 bytes unsent")
                         .arg(connection->id())
                         .arg(closeTimeout)
                         .arg(connection->pendingBytes()),
                 connection->id());
        if (guard && connections.contains(connection))
            connection->abort();
    }
}

bool IpcServer::send(const QString &topic, const QVariant &message, const QString &clientId)
{
    Q_D(IpcServer);
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
    Q_D(IpcServer);
    using State = IpcServerPrivate::State;
    if (d->state == State::Closing || d->state == State::Closed) {
        d->setError(IpcError::SendAfterCloseError,
                    QStringLiteral("cannot broadcast \"%1\": the server is closed").arg(topic));
        return;
    }
    IpcCodec::Frame frame;
    frame.topic = topic;
    frame.message = message;
    if (d->connections.isEmpty()) {
        // Nobody to send to, but a value that could never be sent says so all the same.
        QByteArray scratch;
        if (QString why; !IpcFrame::encodeFrame(scratch, *d->codec, frame, &why))
            d->setError(IpcError::EncodeError, why);
        return;
    }
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
    // To monitors: one event for the broadcast, with the clients it went to.
    if (guard && !d->monitors.isEmpty() && !encoded.isEmpty()) {
        QStringList recipients;
        for (const IpcConnection *connection : connections)
            recipients.append(connection->id());
        d->monitorEvent({{QStringLiteral("direction"), QStringLiteral("out")},
                         {QStringLiteral("clients"), recipients},
                         {QStringLiteral("topic"), topic},
                         {QStringLiteral("message"), message},
                         {QStringLiteral("size"), qint64(encoded.first().second.size())}});
    }
}

IpcReply *IpcServer::request(const QString &topic, const QVariant &message, const QString &clientId,
                             int timeoutMsecs)
{
    Q_D(IpcServer);
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

void IpcServer::disconnectClient(const QString &clientId)
{
    Q_D(IpcServer);
    IpcConnection *connection = d->openConnection(clientId);
    if (!connection) {
        d->setError(IpcError::BadClientError,
                    QStringLiteral("cannot disconnect: no client with id \"%1\"").arg(clientId),
                    clientId);
        return;
    }
    connection->close();
}

void IpcServerPrivate::acceptSocket(QIODevice *socket)
{
    Q_Q(IpcServer);
    const IpcPeerCredentials credentials = IpcSocket::peerOf(socket);
    if (const QString why = refusal(credentials); !why.isEmpty()) {
        // Turned away before a byte is read: the peer just sees the connection end.
        IpcSocket::abort(socket);
        socket->deleteLater();
        setError(IpcError::ClientRefusedError,
                 QStringLiteral("refused a connection from %1: %2")
                         .arg(describePeer(credentials), why));
        return;
    }
    // A stranger's first frame is read under a small limit: only the token is wanted, and a
    // peer that has not shown it must not make the server buffer or decode more.
    auto *connection = new IpcConnection(
            socket, codec,
            authToken.isEmpty() ? maxFrameSize
                                : qMin(maxFrameSize, IpcServer::MaxAuthenticationFrameSize),
            this, q);
    connection->setMaxPendingBytes(maxPendingBytes);
    connection->setId(QUuid::createUuid().toString(QUuid::WithoutBraces));
    const int timeout = handshakeTimeout > 0 ? handshakeTimeout : (authToken.isEmpty() ? 0 : 10000);
    if (timeout > 0) {
        QTimer::singleShot(timeout, connection, [this, connection, timeout] {
            const bool waitingForToken = unauthenticated.contains(connection);
            if ((connection->hasReceived() && !waitingForToken) || !connection->isOpen())
                return;
            if (waitingForToken) {
                refuse(connection, QStringLiteral("no token within %1 ms").arg(timeout));
                return;
            }
            setError(IpcError::ClientRefusedError,
                     QStringLiteral("client %1 sent nothing within %2 ms; dropped")
                             .arg(connection->id())
                             .arg(timeout),
                     connection->id());
            connection->abort();
        });
    }
    if (!authToken.isEmpty()) {
        // A client once it proves it holds the token; it speaks after our challenge.
        unauthenticated.append(connection);
        const QByteArray nonce = IpcAuth::newNonce();
        challenges.insert(connection, nonce);
        connection->send(IpcAuth::challenge(nonce), nullptr, IpcConnection::Kind::Control);
        return;
    }
    admit(connection);
}

void IpcServerPrivate::admit(IpcConnection *connection)
{
    Q_Q(IpcServer);
    // The greeting and the retained state first, before anything else can be sent to the new
    // client (ipcendpoint_p.h).
    IpcCodec::Frame frame;
    frame.topic = IpcHello::Topic.toString();
    QVariantMap hello{{IpcHello::RetainedKey, int(retained.size())}};
    if (allowMonitors)
        hello.insert(IpcHello::MonitorsKey, true);
    frame.message = hello;
    connection->send(frame, nullptr, IpcConnection::Kind::Control);
    for (auto it = retained.cbegin(); it != retained.cend(); ++it) {
        frame.topic = it.key();
        frame.message = it->message;
        if (connection->send(frame, nullptr) != IpcConnection::WriteResult::Queued) {
            // The greeting promised them all: a client that cannot take them is not admitted.
            setError(IpcError::WriteBufferFullError,
                     QStringLiteral("refused a connection from %1: the retained messages do not "
                                    "fit in maxPendingBytes (%2) before it reads")
                             .arg(describePeer(connection->peerCredentials()))
                             .arg(maxPendingBytes));
            connection->abort();
            return;
        }
    }
    if (allowMonitors) {
        // A client or a monitor? It says so; one that does not is a client all the same.
        awaitingRole.append(connection);
        QTimer::singleShot(RoleGrace, connection, [this, connection] {
            if (awaitingRole.removeOne(connection))
                admitClient(connection);
        });
        return;
    }
    admitClient(connection);
}

void IpcServerPrivate::admitClient(IpcConnection *connection)
{
    Q_Q(IpcServer);
    const QString id = connection->id();
    connections.append(connection);
    connectionsById.insert(id, connection);
    connection->setTapped(!monitors.isEmpty());
    const QPointer<IpcServer> guard(q);
    emit q->clientCountChanged();
    if (guard)
        emit q->clientConnected(id);
    if (guard && !monitors.isEmpty())
        monitorEvent({{QStringLiteral("event"), QStringLiteral("connected")},
                      {QStringLiteral("client"), id}});
}

void IpcServerPrivate::monitorEvent(QVariantMap event)
{
    event.insert(QStringLiteral("time"), QDateTime::currentMSecsSinceEpoch());
    IpcCodec::Frame frame;
    frame.topic = IpcMonitor::Topic.toString();
    frame.message = event;
    // A monitor that does not keep up meets the slow-client policy, alone.
    const QList<IpcConnection *> watching = monitors;
    for (IpcConnection *monitor : watching) {
        if (!monitor->isOpen())
            continue;
        if (monitor->send(frame, nullptr, IpcConnection::Kind::Control)
            != IpcConnection::WriteResult::LimitReached)
            continue;
        if (slowClientPolicy == IpcServer::SlowClientPolicy::DisconnectClient)
            monitor->abort();
        else
            monitor->countDropped();
    }
}

void IpcServerPrivate::monitorFrame(QLatin1StringView direction, IpcConnection *connection,
                                    const IpcCodec::Frame &frame, qsizetype size)
{
    QVariantMap event{{QStringLiteral("direction"), QString(direction)},
                      {QStringLiteral("client"), connection->id()},
                      {QStringLiteral("topic"), frame.topic},
                      {QStringLiteral("message"), frame.message},
                      {QStringLiteral("size"), qint64(size)}};
    if (frame.requestId > 0)
        event.insert(QStringLiteral("id"), frame.requestId);
    if (frame.replyTo > 0)
        event.insert(QStringLiteral("re"), frame.replyTo);
    if (frame.isProgress())
        event.insert(QStringLiteral("progress"), true);
    monitorEvent(std::move(event));
}

void IpcServerPrivate::connectionSent(IpcConnection *connection, const IpcCodec::Frame &frame,
                                      qsizetype size)
{
    if (!monitors.isEmpty())
        monitorFrame(QLatin1StringView("out"), connection, frame, size);
}

void IpcServerPrivate::tapClients(bool tapped)
{
    for (IpcConnection *connection : std::as_const(connections))
        connection->setTapped(tapped);
}

void IpcServerPrivate::answerStatistics(IpcConnection *monitor, const IpcCodec::Frame &request)
{
    Q_Q(IpcServer);
    QVariantList clients;
    for (const IpcConnection *connection : std::as_const(connections))
        clients.append(q->statistics(connection->id()).toVariantMap());
    IpcCodec::Frame reply;
    reply.topic = request.topic;
    reply.replyTo = request.requestId;
    reply.message = QVariantMap{{QStringLiteral("total"), q->statistics().toVariantMap()},
                                {QStringLiteral("clients"), clients}};
    monitor->send(reply, nullptr, IpcConnection::Kind::Control);
}

void IpcServerPrivate::authenticate(IpcConnection *connection, const IpcCodec::Frame &frame)
{
    if (!connection->isOpen())
        return;
    unauthenticated.removeOne(connection);
    const QByteArray serverNonce = challenges.take(connection);
    const QByteArray clientNonce = IpcAuth::field(frame, QLatin1StringView("nonce"));
    const QByteArray proof = IpcAuth::field(frame, QLatin1StringView("proof"));
    if (serverNonce.isEmpty() || clientNonce.size() < 16
        || !IpcAuth::sameBytes(proof, IpcAuth::clientProof(authToken, serverNonce, clientNonce))) {
        noteAuthFailure(connection->peerCredentials());
        refuse(connection,
               frame.topic == IpcAuth::Topic ? QStringLiteral("wrong token")
                                             : QStringLiteral("no token"));
        return;
    }
    authFailures.remove(peerKey(connection->peerCredentials()));
    // Counted again now: strangers count towards maxClients too, but several of them may
    // have authenticated since they were let in.
    if (maxClients > 0 && connections.size() >= maxClients) {
        refuse(connection, QStringLiteral("%1 clients are connected, the limit").arg(maxClients));
        return;
    }
    // The client learns that we hold the token too, before anything else reaches it.
    connection->send(
            IpcAuth::confirmation(IpcAuth::serverProof(authToken, serverNonce, clientNonce)),
            nullptr, IpcConnection::Kind::Control);
    connection->setMaxFrameSize(maxFrameSize);
    admit(connection);
}

QString IpcServerPrivate::peerKey(const IpcPeerCredentials &peer)
{
    return peer.address().isEmpty() ? QStringLiteral("uid %1").arg(peer.uid()) : peer.address();
}

void IpcServerPrivate::noteAuthFailure(const IpcPeerCredentials &peer)
{
    // Guesses from one peer (a user, or an address) are refused for longer each time:
    // 100 ms after the first wrong token, doubling up to a minute.
    AuthFailures &failures = authFailures[peerKey(peer)];
    failures.count = qMin(failures.count + 1, 20);
    failures.until =
            QDeadlineTimer(qMin<qint64>(MaxAuthBackoffMsecs, qint64(100) << (failures.count - 1)));
    if (authFailures.size() > 4096) {  // forget those whose time is up
        for (auto it = authFailures.begin(); it != authFailures.end();)
            it = it->until.hasExpired() ? authFailures.erase(it) : std::next(it);
    }
}

QString IpcServerPrivate::authBackoff(const IpcPeerCredentials &peer) const
{
    if (authToken.isEmpty() || authFailures.isEmpty())
        return {};
    const auto it = authFailures.constFind(peerKey(peer));
    if (it == authFailures.cend() || it->until.hasExpired())
        return {};
    return QStringLiteral("%1 wrong tokens from it; refused for %2 ms more")
            .arg(it->count)
            .arg(it->until.remainingTime());
}

QString IpcServerPrivate::describePeer(const IpcPeerCredentials &peer)
{
    return peer.address().isEmpty()
            ? QStringLiteral("pid %1, uid %2").arg(peer.pid()).arg(peer.uid())
            : QStringLiteral("%1:%2").arg(peer.address()).arg(peer.port());
}

void IpcServerPrivate::refuse(IpcConnection *connection, const QString &why)
{
    setError(IpcError::ClientRefusedError,
             QStringLiteral("refused a connection from %1: %2")
                     .arg(describePeer(connection->peerCredentials()), why));
    // Told why, so that it can say so, then dropped; never a client.
    connection->send(IpcAuth::refusal(), nullptr, IpcConnection::Kind::Control);
    if (!unauthenticated.contains(connection))
        unauthenticated.append(connection);
    connection->closeRefused(RefusalLingerMsecs);
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
    if (!disconnect)
        connection->countDropped();
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
    // Every open connection counts, whether it has shown a token yet or not.
    const qint64 open = connections.size() + unauthenticated.size();
    if (maxClients > 0 && open >= maxClients)
        return QStringLiteral("%1 connections are open, the limit (maxClients)").arg(maxClients);
    // Kept under the process's descriptor limit, so that accepting never runs out.
    if (listener && open >= listener->descriptorBudget())
        return QStringLiteral("%1 connections are open, as many as the process's descriptor "
                              "limit (RLIMIT_NOFILE) leaves room for")
                .arg(open);
    if (!allowedUserIds.isEmpty()
        && (!credentials.isValid() || !allowedUserIds.contains(int(credentials.uid()))))
        return QStringLiteral("that user is not in allowedUserIds");
    if (connectionFilter && !connectionFilter(credentials))
        return QStringLiteral("the connection filter said no");
    return authBackoff(credentials);
}

void IpcServerPrivate::finishClosingIfDone()
{
    Q_Q(IpcServer);
    if (state != State::Closing || !connections.isEmpty() || !unauthenticated.isEmpty()
        || !awaitingRole.isEmpty() || !monitors.isEmpty())
        return;
    if (closeTimer)
        closeTimer->stop();
    state = State::Closed;
    emit q->closed();
}

IpcConnection *IpcServerPrivate::openConnection(const QString &clientId) const
{
    IpcConnection *connection = connectionsById.value(clientId);
    return connection && connection->isOpen() ? connection : nullptr;
}

void IpcServerPrivate::connectionFrame(IpcConnection *connection, const IpcCodec::Frame &frame)
{
    Q_Q(IpcServer);
    if (!unauthenticated.isEmpty() && unauthenticated.contains(connection)) {
        authenticate(connection, frame);
        return;
    }
    if (!awaitingRole.isEmpty() && awaitingRole.removeOne(connection)) {
        if (frame.topic == IpcHello::Topic) {
            if (frame.message.toMap().value(IpcHello::RoleKey).toString()
                == QLatin1String("monitor")) {
                monitors.append(connection);
                tapClients(true);
            } else {
                admitClient(connection);
            }
            return;
        }
        // A client that did not say (the Node library): this frame is its first.
        const QPointer<IpcConnection> alive(connection);
        admitClient(connection);
        if (!alive || !connection->isOpen())
            return;
    }
    if (!monitors.isEmpty()) {
        if (monitors.contains(connection)) {
            if (frame.requestId > 0 && frame.topic == IpcMonitor::StatsTopic)
                answerStatistics(connection, frame);
            return;  // a monitor only watches
        }
        monitorFrame(QLatin1StringView("in"), connection, frame, connection->lastFrameSize());
    }
    dispatch(connection, frame, connection->id());
}

void IpcServerPrivate::connectionError(IpcConnection *connection, IpcError::Error code,
                                       const QString &description)
{
    challenges.remove(connection);  // said here: its end is not a second error
    setError(code, QStringLiteral("client %1: %2").arg(connection->id(), description),
             connection->id());
}

void IpcServerPrivate::connectionClosed(IpcConnection *connection)
{
    Q_Q(IpcServer);
    if (unauthenticated.removeOne(connection)) {
        // Challenged, and gone without an answer: a client with no token leaves at once.
        if (challenges.remove(connection) > 0 && state == State::Listening)
            setError(IpcError::ClientRefusedError,
                     QStringLiteral("refused a connection from %1: no token (it left without "
                                    "authenticating)")
                             .arg(describePeer(connection->peerCredentials())));
        connection->deleteLater();
        finishClosingIfDone();
        return;
    }
    if (awaitingRole.removeOne(connection) || monitors.removeOne(connection)) {
        if (monitors.isEmpty())
            tapClients(false);
        connection->deleteLater();
        finishClosingIfDone();
        return;
    }
    const QString id = connection->id();
    if (connections.removeOne(connection))
        closedCounters.add(connection->counters());
    connectionsById.remove(id);
    connection->deleteLater();
    requests.connectionEnded(connection,
                             QStringLiteral("client %1 disconnected before it answered").arg(id));

    const QPointer<IpcServer> guard(q);
    emit q->clientCountChanged();
    if (guard)
        emit q->clientDisconnected(id);
    if (guard && !monitors.isEmpty())
        monitorEvent({{QStringLiteral("event"), QStringLiteral("disconnected")},
                      {QStringLiteral("client"), id}});
    if (guard)
        finishClosingIfDone();
}
