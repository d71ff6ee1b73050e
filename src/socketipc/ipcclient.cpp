#include "ipcclient.h"
#include "ipcclient_p.h"

#include "codec/ipcframe_p.h"
#include "ipcauth_p.h"
#include "ipcproperty_p.h"
#include "transport/ipcaddress_p.h"
#include "transport/ipcconnector_p.h"
#include "transport/ipcsocket_p.h"

#include <QtCore/qpointer.h>
#include <QtCore/qrandom.h>

#include <cmath>

#include <unistd.h>

int IpcClientPrivate::Delay::pick() const
{
    if (max <= min)
        return min;
    return int(QRandomGenerator::global()->bounded(min, max + 1));
}

IpcClient::IpcClient(QObject *parent) : IpcEndpoint(*new IpcClientPrivate, parent)
{
    Q_D(IpcClient);
    d->attemptTimer = new QTimer(this);
    d->attemptTimer->setSingleShot(true);
    connect(d->attemptTimer, &QTimer::timeout, this, [d] { d->attempt(); });
}

IpcClient::~IpcClient()
{
    Q_D(IpcClient);
    // Silently: no signal may reach a half-destroyed object.
    d->attemptTimer->stop();
    delete d->attemptConnector;
    delete d->connection;
    delete d->closingConnection;
}

IpcClient::State IpcClient::state() const
{
    return d_func()->state;
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
    Q_D(const IpcClient);
    return d->retryDelay.min;
}

void IpcClient::setRetryDelay(int msecs)
{
    Q_D(IpcClient);
    setRetryDelay(msecs, d->retryDelay.max);
}

void IpcClient::setRetryDelay(int minMsecs, int maxMsecs)
{
    Q_D(IpcClient);
    if (d->retryDelay.set(minMsecs, maxMsecs))
        emit retryDelayChanged();
}

int IpcClient::retryDelayMax() const
{
    Q_D(const IpcClient);
    return d->retryDelay.max;
}

void IpcClient::setRetryDelayMax(int msecs)
{
    Q_D(IpcClient);
    setRetryDelay(d->retryDelay.min, msecs);
}

int IpcClient::reconnectDelay() const
{
    Q_D(const IpcClient);
    return d->reconnectDelay.min;
}

void IpcClient::setReconnectDelay(int msecs)
{
    Q_D(IpcClient);
    setReconnectDelay(msecs, d->reconnectDelay.max);
}

void IpcClient::setReconnectDelay(int minMsecs, int maxMsecs)
{
    Q_D(IpcClient);
    if (d->reconnectDelay.set(minMsecs, maxMsecs))
        emit reconnectDelayChanged();
}

int IpcClient::reconnectDelayMax() const
{
    Q_D(const IpcClient);
    return d->reconnectDelay.max;
}

void IpcClient::setReconnectDelayMax(int msecs)
{
    Q_D(IpcClient);
    setReconnectDelay(d->reconnectDelay.min, msecs);
}

double IpcClient::backoffFactor() const
{
    return d_func()->backoffFactor;
}

void IpcClient::setBackoffFactor(double factor)
{
    Q_D(IpcClient);
    factor = qMax(1.0, factor);
    if (qFuzzyCompare(d->backoffFactor, factor))
        return;
    d->backoffFactor = factor;
    emit backoffChanged();
}

int IpcClient::maxBackoffDelay() const
{
    return d_func()->maxBackoffDelay;
}

void IpcClient::setMaxBackoffDelay(int msecs)
{
    assignAndNotify(this, d_func()->maxBackoffDelay, qMax(0, msecs), &IpcClient::backoffChanged);
}

int IpcClient::maxQueuedMessages() const
{
    return d_func()->maxQueuedMessages;
}

void IpcClient::setMaxQueuedMessages(int count)
{
    assignAndNotify(this, d_func()->maxQueuedMessages, qMax(0, count),
                    &IpcClient::maxQueuedMessagesChanged);
}

int IpcClient::queuedMessageCount() const
{
    Q_D(const IpcClient);
    return int(d->queue.size());
}

bool IpcClient::isMonitor() const
{
    return d_func()->monitor;
}

void IpcClient::setMonitor(bool monitor)
{
    assignAndNotify(this, d_func()->monitor, monitor, &IpcClient::monitorChanged);
}

IpcStatistics IpcClient::statistics() const
{
    Q_D(const IpcClient);
    const IpcConnection *connection = d->isEstablished() ? d->connection : nullptr;
    IpcCounters counters = connection ? connection->counters() : IpcCounters();
    return IpcStatisticsPrivate::make({}, counters, connection ? connection->pendingBytes() : 0,
                                      connection ? d->requests.inFlight(connection) : 0,
                                      connection ? 1 : 0, d->reconnectCount, int(d->queue.size()));
}

int IpcClient::expectedServerUserId() const
{
    return d_func()->expectedServerUserId;
}

void IpcClient::setExpectedServerUserId(int uid)
{
    assignAndNotify(this, d_func()->expectedServerUserId, qMax(uid, -1),
                    &IpcClient::expectedServerUserIdChanged);
}

void IpcClient::connectToServer(const QString &address)
{
    Q_D(IpcClient);
    if (d->state == State::Connecting || d->state == State::Connected) {
        qWarning("IpcClient::connectToServer: already connecting or connected to %ls",
                 qUtf16Printable(d->address));
        return;
    }
    if (!address.isEmpty())
        setAddress(address);
    d->wasConnected = false;
    d->serverGreets = true;
    d->reconnectCount = 0;
    d->failedAttempts = 0;
    d->outageError = IpcError::NoError;
    d->setState(State::Connecting);
    // From the event loop, so that connected() never comes before this call has returned.
    d->attemptTimer->start(0);
}

void IpcClient::close()
{
    Q_D(IpcClient);
    if (d->state == State::Closed)
        return;
    d->attemptTimer->stop();
    d->dropSocketAttempt();
    d->dropQueue(QStringLiteral("the client closed before the request was sent"));
    d->greeting = IpcClientPrivate::Greeting::None;
    d->setState(State::Closed);
    if (d->connection) {
        // closed() follows once the pending output is written, or closeTimeout has passed.
        d->closingConnection = std::exchange(d->connection, nullptr);
        const QPointer<IpcConnection> closing(d->closingConnection);
        d->closingConnection->close();
        if (closing && d->closingConnection == closing && d->closeTimeout > 0) {
            QTimer::singleShot(d->closeTimeout, closing, [d, closing] {
                if (!closing || d->closingConnection != closing)
                    return;
                d->setError(IpcError::WriteBufferFullError,
                            QStringLiteral("the server did not take what was sent to it within "
                                           "%1 ms of close(); dropped with %2 bytes unsent")
                                    .arg(d->closeTimeout)
                                    .arg(closing->pendingBytes()));
                if (closing)
                    closing->abort();
            });
        }
        return;
    }
    emit closed();
}

bool IpcClient::send(const QString &topic, const QVariant &message)
{
    Q_D(IpcClient);
    if (d->state == State::Closed) {
        d->setError(IpcError::SendAfterCloseError,
                    QStringLiteral("cannot send \"%1\": the client is closed").arg(topic));
        return false;
    }
    IpcCodec::Frame frame;
    frame.topic = topic;
    frame.message = message;
    if (!d->isEstablished()) {
        if (d->maxQueuedMessages > 0)
            return d->enqueue(frame, nullptr);
        // A value that could never be sent says so whether connected or not.
        if (QString why; !d->canEncode(frame, &why)) {
            d->setError(IpcError::EncodeError, why);
            return false;
        }
        d->setError(IpcError::NoServerError,
                    QStringLiteral("cannot send \"%1\": not connected to a server").arg(topic));
        return false;
    }
    QString why;
    return d->reportWrite(d->connection->send(frame, &why), topic, why);
}

bool IpcClientPrivate::reportWrite(IpcConnection::WriteResult result, const QString &topic,
                                   const QString &why)
{
    switch (result) {
    case IpcConnection::WriteResult::Queued: return true;
    case IpcConnection::WriteResult::EncodeError:
        setError(IpcError::EncodeError, why);
        return false;
    case IpcConnection::WriteResult::LimitReached:
        setError(IpcError::WriteBufferFullError,
                 QStringLiteral("cannot send \"%1\": the server is not reading; %2 bytes "
                                "wait for it, the limit is %3")
                         .arg(topic)
                         .arg(connection ? connection->pendingBytes() : 0)
                         .arg(maxPendingBytes));
        return false;
    }
    return false;
}

IpcReply *IpcClient::request(const QString &topic, const QVariant &message, int timeoutMsecs)
{
    Q_D(IpcClient);
    IpcReply *reply =
            d->requests.create(topic, timeoutMsecs < 0 ? d->requestTimeout : timeoutMsecs);
    if (d->state == State::Closed) {
        d->requests.failLater(
                reply, IpcError::SendAfterCloseError,
                QStringLiteral("cannot request \"%1\": the client is closed").arg(topic));
        return reply;
    }
    IpcCodec::Frame frame;
    frame.topic = topic;
    frame.message = message;
    frame.requestId = IpcRequestBroker::idOf(reply);
    if (!d->isEstablished()) {
        if (QString why; d->maxQueuedMessages <= 0 && !d->canEncode(frame, &why)) {
            d->requests.failLater(reply, IpcError::EncodeError, why);
        } else if (d->maxQueuedMessages <= 0) {
            d->requests.failLater(
                    reply, IpcError::NoServerError,
                    QStringLiteral("cannot request \"%1\": not connected to a server").arg(topic));
        } else {
            d->enqueue(frame, reply);
        }
        return reply;
    }
    QString why;
    switch (d->connection->send(frame, &why)) {
    case IpcConnection::WriteResult::Queued: d->requests.sent(reply, d->connection); break;
    case IpcConnection::WriteResult::EncodeError:
        d->requests.failLater(reply, IpcError::EncodeError, why);
        break;
    case IpcConnection::WriteResult::LimitReached:
        d->requests.failLater(
                reply, IpcError::WriteBufferFullError,
                QStringLiteral("cannot request \"%1\": the server is not reading").arg(topic));
        break;
    }
    return reply;
}

bool IpcClientPrivate::canEncode(const IpcCodec::Frame &frame, QString *why) const
{
    QByteArray scratch;
    return IpcFrame::encodeFrame(scratch, *codec, frame, why);
}

bool IpcClientPrivate::enqueue(const IpcCodec::Frame &frame, IpcReply *reply)
{
    Q_Q(IpcClient);
    auto refuse = [&](IpcError::Error code, const QString &why) {
        if (reply)
            requests.failLater(reply, code, why);
        else
            setError(code, why);
        return false;
    };
    if (int(queue.size()) >= maxQueuedMessages) {
        return refuse(IpcError::QueueFullError,
                      QStringLiteral("cannot send \"%1\": %2 messages wait for the server "
                                     "already, as many as maxQueuedMessages allows")
                              .arg(frame.topic)
                              .arg(queue.size()));
    }
    // Encoded now, so that a value the codec cannot hold is refused now, not on reconnect.
    Queued entry{frame, {}, codec, reply, reply != nullptr};
    QString why;
    if (!IpcFrame::encodeFrame(entry.bytes, *codec, frame, &why))
        return refuse(IpcError::EncodeError, why);
    queue.push_back(std::move(entry));
    emit q->queuedMessageCountChanged();
    return true;
}

bool IpcClientPrivate::flushQueue()
{
    Q_Q(IpcClient);
    if (queue.empty())
        return true;
    const QPointer<IpcClient> guard(q);
    std::deque<Queued> waiting = std::exchange(queue, {});
    emit q->queuedMessageCountChanged();
    if (!guard)
        return false;
    for (Queued &entry : waiting) {
        if (!guard || !isEstablished())
            return false;
        // A request whose reply was deleted or timed out meanwhile is not sent at all.
        if (entry.isRequest && (!entry.reply || entry.reply->isFinished()))
            continue;
        QString why;
        // Encoded with the codec of the time; one that changed since is applied now.
        const IpcConnection::WriteResult result = entry.codec == connection->codec()
                ? connection->write(entry.bytes)
                : connection->send(entry.frame, &why);
        if (entry.isRequest) {
            if (result == IpcConnection::WriteResult::Queued)
                requests.sent(entry.reply, connection);
            else
                requests.failLater(entry.reply,
                                   result == IpcConnection::WriteResult::EncodeError
                                           ? IpcError::EncodeError
                                           : IpcError::WriteBufferFullError,
                                   QStringLiteral("cannot send the queued request \"%1\"")
                                           .arg(entry.frame.topic));
        } else {
            reportWrite(result, entry.frame.topic, why);
        }
    }
    return guard;
}

void IpcClientPrivate::dropQueue(const QString &why)
{
    Q_Q(IpcClient);
    if (queue.empty())
        return;
    for (const Queued &entry : std::exchange(queue, {})) {
        if (entry.reply)
            requests.failLater(entry.reply, IpcError::DisconnectedError, why);
    }
    emit q->queuedMessageCountChanged();
}

void IpcClientPrivate::setState(IpcClient::State newState)
{
    Q_Q(IpcClient);
    if (state == newState)
        return;
    state = newState;
    emit q->stateChanged(newState);
}

void IpcClientPrivate::attempt()
{
    Q_Q(IpcClient);
    dropSocketAttempt();
    const IpcAddress where = IpcAddress::parse(address);
    if (!where.isValid()) {
        // Retried all the same: the address may be corrected meanwhile.
        onConnectFailed(nullptr,
                        QStringLiteral("cannot connect to %1: %2").arg(address, where.error),
                        IpcError::SocketError);
        return;
    }
    auto *connector = new IpcConnector(where, tls, q);
    attemptConnector = connector;
    QObject::connect(connector, &IpcConnector::connected, q,
                     [this, connector] { onSocketConnected(connector); });
    QObject::connect(connector, &IpcConnector::failed, q,
                     [this, connector](const QString &description, IpcError::Error error) {
                         onConnectFailed(connector, description, error);
                     });
    connector->start();
}

void IpcClientPrivate::scheduleAttempt(const Delay &delay)
{
    attemptTimer->start(backoff(delay.pick()));
}

int IpcClientPrivate::backoff(int delay)
{
    if (backoffFactor <= 1.0)
        return delay;
    const double grown = delay * std::pow(backoffFactor, qMin(failedAttempts, 64));
    const double capped = qMax(double(delay), qMin(grown, double(maxBackoffDelay)));
    // Equal jitter: at least half the delay, so that the backoff still holds.
    const int upper = int(capped);
    return upper / 2 + int(QRandomGenerator::global()->bounded(upper - upper / 2 + 1));
}

void IpcClientPrivate::onSocketConnected(IpcConnector *connector)
{
    Q_Q(IpcClient);
    if (connector != attemptConnector || !checkServerUser(connector))
        return;
    attemptConnector = nullptr;
    QIODevice *socket = connector->takeSocket();
    connector->deleteLater();
    connection = new IpcConnection(socket, codec, maxFrameSize, this, q);
    connection->setMaxPendingBytes(maxPendingBytes);
    if (!authToken.isEmpty()) {
        // Nothing is sent before the server has challenged us and proved it holds the token.
        auth = Auth{};
        auth.pending = true;
        QTimer::singleShot(AuthTimeout, connection, [this, handshaking = connection] {
            if (auth.pending && connection == handshaking)
                failAuthentication(QStringLiteral("the server did not ask for the token within "
                                                  "%1 ms (a server without authToken, or not "
                                                  "a SocketIpc server)")
                                           .arg(AuthTimeout));
        });
        return;
    }
    establish();
}

bool IpcClientPrivate::checkServerUser(IpcConnector *connector)
{
    // A service name is this user's: by default, only a server of this user may answer on
    // it (another user could otherwise slip a socket into a directory between our check of
    // it and the connect).
    const IpcAddress where = IpcAddress::parse(address);
    const qint64 expected = expectedServerUserId >= 0 ? expectedServerUserId
            : !where.name.isEmpty()                   ? qint64(::getuid())
                                                      : -1;
    if (expected < 0)
        return true;
    const IpcPeerCredentials server = IpcSocket::peerOf(connector->socket());
    if (!server.address().isEmpty())  // a network peer: no uid to check
        return true;
    if (server.uid() == expected)
        return true;
    onConnectFailed(connector,
                    QStringLiteral("refusing the server at %1: it runs as uid %2, not %3 (%4)")
                            .arg(where.toString())
                            .arg(server.uid())
                            .arg(expected)
                            .arg(expectedServerUserId >= 0
                                         ? QStringLiteral("expectedServerUserId")
                                         : QStringLiteral("a service name is its user's")),
                    IpcError::ClientRefusedError);
    return false;
}

void IpcClientPrivate::authenticate(const IpcCodec::Frame &frame)
{
    if (frame.topic == IpcHello::Topic) {
        failAuthentication(QStringLiteral("the server does not use a token (its authToken is "
                                          "empty)"));
        return;
    }
    if (IpcAuth::isRefusal(frame)) {
        failAuthentication(QStringLiteral("the server refused the token"));
        return;
    }
    if (auth.clientNonce.isEmpty()) {
        auth.serverNonce = IpcAuth::field(frame, QLatin1StringView("nonce"));
        if (auth.serverNonce.size() < 16) {
            failAuthentication(QStringLiteral("the server did not ask for the token first"));
            return;
        }
        auth.clientNonce = IpcAuth::newNonce();
        connection->send(IpcAuth::response(auth.clientNonce,
                                           IpcAuth::clientProof(authToken, auth.serverNonce,
                                                                auth.clientNonce)),
                         nullptr, IpcConnection::Kind::Control);
        return;
    }
    const QByteArray expected = IpcAuth::serverProof(authToken, auth.serverNonce, auth.clientNonce);
    if (!IpcAuth::sameBytes(IpcAuth::field(frame, QLatin1StringView("proof")), expected)) {
        failAuthentication(QStringLiteral("the server could not prove that it holds the token"));
        return;
    }
    auth = Auth{};
    establish();
}

void IpcClientPrivate::failAuthentication(const QString &why)
{
    auth.pending = false;
    auth.failure = QStringLiteral("cannot connect to %1: %2")
                           .arg(IpcAddress::parse(address).toString(), why);
    if (connection)
        connection->abort();  // connectionClosed() reports it as a failed attempt
}

void IpcClientPrivate::establish()
{
    Q_Q(IpcClient);
    const QPointer<IpcClient> guard(q);
    // What waited goes first, before anything sent from connected().
    if (!flushQueue() || !guard || !connection)
        return;
    if (!serverGreets && !monitor) {
        announce();
        return;
    }
    greeting = Greeting::AwaitingHello;
    QTimer::singleShot(GreetingTimeout, connection, [this, greeted = connection] {
        if (connection != greeted || greeting == Greeting::None)
            return;
        // Silence: the Node original, or a SocketIpc server too busy to greet in time (its
        // retained messages then follow connected()).
        if (greeting == Greeting::AwaitingHello && monitor) {
            failAttempt(QStringLiteral("the server did not greet within %1 ms: not a SocketIpc "
                                       "server, which monitors need")
                                .arg(GreetingTimeout));
            return;
        }
        if (greeting == Greeting::AwaitingHello)
            serverGreets = false;
        announce();
    });
}

void IpcClientPrivate::announce()
{
    Q_Q(IpcClient);
    greeting = Greeting::None;
    retainedToCome = 0;
    // Connected: the outage, and its failed attempts, are over.
    failedAttempts = 0;
    outageError = IpcError::NoError;
    const bool reconnect = std::exchange(wasConnected, true);
    if (reconnect)
        ++reconnectCount;
    const QPointer<IpcClient> guard(q);
    setState(IpcClient::State::Connected);
    if (guard && state == IpcClient::State::Connected)
        emit q->connected();
    if (guard && reconnect && state == IpcClient::State::Connected)
        emit q->reconnected();
}

void IpcClientPrivate::failAttempt(const QString &why)
{
    greeting = Greeting::None;
    auth.failure = QStringLiteral("cannot connect to %1: %2")
                           .arg(IpcAddress::parse(address).toString(), why);
    if (connection)
        connection->abort();  // connectionClosed() reports it as a failed attempt
}

bool IpcClientPrivate::greet(IpcConnection *source, const IpcCodec::Frame &frame)
{
    Q_Q(IpcClient);
    if (frame.topic == IpcHello::Topic) {
        serverGreets = true;
        if (greeting != Greeting::AwaitingHello)
            return true;  // late, or repeated: nothing to wait for any more
        // A server that allows monitors waits to hear which this is.
        const bool asksRole = frame.message.toMap().value(IpcHello::MonitorsKey).toBool();
        if (monitor && !asksRole) {
            failAttempt(QStringLiteral("the server does not allow monitors (allowMonitors)"));
            return true;
        }
        if (asksRole) {
            IpcCodec::Frame role;
            role.topic = IpcHello::Topic.toString();
            role.message =
                    QVariantMap{{IpcHello::RoleKey,
                                 monitor ? QStringLiteral("monitor") : QStringLiteral("client")}};
            source->send(role, nullptr, IpcConnection::Kind::Control);
        }
        retainedToCome = frame.message.toMap().value(IpcHello::RetainedKey).toInt();
        greeting = Greeting::AwaitingRetained;
        if (retainedToCome <= 0)
            announce();
        return true;
    }
    if (greeting == Greeting::AwaitingHello) {
        if (monitor) {
            failAttempt(QStringLiteral("not a SocketIpc server: monitors need one"));
            return true;
        }
        // Another frame first: a server that does not greet, and has spoken.
        serverGreets = false;
        announce();
        return false;
    }
    if (greeting != Greeting::AwaitingRetained)
        return false;
    // One of the retained messages: delivered, then connected() after the last.
    const QPointer<IpcClient> guard(q);
    dispatch(source, frame, QString());
    if (guard && connection == source && greeting == Greeting::AwaitingRetained
        && --retainedToCome <= 0)
        announce();
    return true;
}

void IpcClientPrivate::onConnectFailed(IpcConnector *connector, const QString &description,
                                       IpcError::Error error)
{
    Q_Q(IpcClient);
    if (connector != attemptConnector)
        return;
    dropSocketAttempt();

    const QPointer<IpcClient> guard(q);
    // Every attempt is a connectError; the first failure of an outage (and a new kind of
    // failure within it) is an error too, so that a mistyped path is heard of once rather
    // than retried in silence or reported every retryDelay.
    if (error != outageError) {
        outageError = error;
        setError(error, description);
    }
    if (guard)
        emit q->connectError(description);
    if (guard && state == IpcClient::State::Connecting) {
        scheduleAttempt(retryDelay);
        ++failedAttempts;
    }
}

void IpcClientPrivate::dropSocketAttempt()
{
    Q_Q(IpcClient);
    if (IpcConnector *connector = std::exchange(attemptConnector, nullptr)) {
        connector->disconnect(q);
        connector->abort();
        connector->deleteLater();  // this may run inside one of its signals
    }
}

void IpcClientPrivate::connectionFrame(IpcConnection *source, const IpcCodec::Frame &frame)
{
    Q_Q(IpcClient);
    if (source != connection) {
        // The connection close() left to finish writing: its messages are still delivered,
        // but the library's frames belong to the connection they came on, not to this one's
        // handshake or greeting.
        if (!frame.topic.startsWith(u"socketipc."))
            dispatch(source, frame, QString());
        return;
    }
    if (auth.pending) {
        authenticate(frame);
        return;
    }
    if (frame.topic == IpcAuth::Topic && authToken.isEmpty()
        && (IpcAuth::isRefusal(frame)
            || !IpcAuth::field(frame, QLatin1StringView("nonce")).isEmpty())) {
        const QString why = QStringLiteral("the server requires a token (authToken)");
        if (std::exchange(greeting, Greeting::None) != Greeting::None) {
            // Never connected: an attempt that failed (connectionClosed() reports it).
            auth.failure = QStringLiteral("cannot connect to %1: %2")
                                   .arg(IpcAddress::parse(address).toString(), why);
        } else {
            setError(IpcError::ClientRefusedError, why);
            ++failedAttempts;  // the reconnects back off like failed connects
        }
        source->close();
        return;
    }
    if (greeting != Greeting::None || frame.topic == IpcHello::Topic) {
        const QPointer<IpcClient> guard(q);
        if (greet(source, frame) || !guard || connection != source)
            return;
    }
    if (frame.topic == IpcRetained::Topic) {
        onRetainedNotice(frame.message);
        return;
    }
    dispatch(source, frame, QString());
}

void IpcClientPrivate::onRetainedNotice(const QVariant &message)
{
    const QVariantMap notice = message.toMap();
    if (const auto cleared = notice.constFind(QStringLiteral("cleared")); cleared != notice.cend())
        topics.forget(cleared->toString());
}

void IpcClientPrivate::connectionError(IpcConnection *, IpcError::Error code,
                                       const QString &description)
{
    setError(code, description);
}

void IpcClientPrivate::connectionClosed(IpcConnection *closedConnection)
{
    Q_Q(IpcClient);
    closedConnection->deleteLater();
    requests.connectionEnded(closedConnection,
                             QStringLiteral("the connection ended before the reply arrived"));
    if (closedConnection == closingConnection) {
        closingConnection = nullptr;
        emit q->closed();
        return;
    }
    if (closedConnection != connection)
        return;
    connection = nullptr;
    if (auth.pending || !auth.failure.isEmpty()) {
        // Never established: a failed attempt, retried after retryDelay, not a lost
        // connection.
        const QString why = auth.failure.isEmpty()
                ? QStringLiteral("cannot connect to %1: the connection ended during "
                                 "authentication")
                          .arg(IpcAddress::parse(address).toString())
                : auth.failure;
        auth = Auth{};
        onConnectFailed(nullptr, why, IpcError::ClientRefusedError);
        return;
    }
    if (std::exchange(greeting, Greeting::None) != Greeting::None) {
        // Never announced: a failed attempt too.
        onConnectFailed(nullptr,
                        QStringLiteral("cannot connect to %1: the server closed the connection "
                                       "before greeting it")
                                .arg(IpcAddress::parse(address).toString()));
        return;
    }

    // Unexpected: the server went away or dropped us.
    const QPointer<IpcClient> guard(q);
    setState(IpcClient::State::Connecting);
    if (guard)
        emit q->disconnected();
    if (guard && state == IpcClient::State::Connecting && !attemptTimer->isActive()
        && !attemptConnector)
        scheduleAttempt(reconnectDelay);
}
