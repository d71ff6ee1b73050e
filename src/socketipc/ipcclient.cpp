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

/*!
    \class IpcClient
    \inmodule SocketIpc
    \inheaderfile SocketIpc/IpcClient
    \brief The \l [CPP] {IpcClient} class connects to a server over a local socket, TCP or TLS, and
    retries and reconnects on its own.

    A client connects to one server: an \l [CPP] {IpcServer}, or a server of the Node.js library
    \c @crussell52/socket-ipc 0.4.0 on a local socket. It is resilient: a connect attempt
    that fails is retried after \l retryDelay, and a connection lost unexpectedly is
    followed by a reconnect after \l reconnectDelay, until close().

    What it shares with \l [CPP] {IpcServer} (the address, codec, limits, TLS settings, token,
    topics,
    request handlers, \l [CPP] {IpcEndpoint::}{messageReceived()},
    \l [CPP] {IpcEndpoint::}{errorOccurred()} and \l [CPP] {IpcEndpoint::}{closed()}) is
    \l [CPP] {IpcEndpoint}'s.
    This class adds connecting, reconnecting and the offline queue.

    A client that subscribes to a topic, says hello once connected, and asks the server to
    add two numbers:

    \snippet ipcclient.cpp overview

    \section1 Connecting and reconnecting

    connectToServer() starts connecting, from the event loop: \l state becomes \c Connecting
    at once, and connected() never comes before the call has returned. Each attempt that
    fails emits connectError() with a sentence that says what to do (\c {no socket at PATH
    (is the server running?)}), and the next one follows after \l retryDelay. The first
    failure of an outage is also an \l [CPP] {IpcEndpoint::}{errorOccurred()}, \c NoServerError
    for a server that is not there, so that a mistyped path is heard of once rather than
    retried in silence or reported at every retry.

    Once connected, the client emits connected(), and then reconnected() if it had been
    connected before. A connection lost without close() emits disconnected(); the client
    then tries again after \l reconnectDelay, and as long as attempts fail, after
    \l retryDelay each. A server's close() is, to its clients, a lost connection: they
    keep trying until a server listens there again.

    \snippet ipcclient.cpp states

    \section2 Connected means up to date

    A SocketIpc server greets each new connection with the number of retained messages that
    follow (see \l [CPP] {IpcServer::retain()}), and the client emits connected() once it has them
    all:
    code run on connected(), QML bindings and \l [CPP] {IpcTopic} objects see the server's current
    state at once. A server that does not greet, the Node original, is known by a message
    coming first or by 250 ms of silence, which the client then does not wait for again
    until the next connectToServer(). A client with the wrong codec finds out on the
    greeting, as a failed attempt that it retries: it never emits connected().

    \section2 Delays

    Both delays are fixed by default, and may be ranges: a delay is then picked at random in
    \c {[delay, delayMax]} each time, so that many clients do not come back in step. With
    \l backoffFactor above 1, retries back off exponentially, with jitter:

    \snippet ipcclient.cpp delays

    \section1 Sending and asking

    send() writes a message to the server, and request() asks it, to be answered by the
    server's \l [CPP] {IpcEndpoint::}{handle()}. While not connected, send() fails with
    \c NoServerError, as in the Node library, unless the offline queue is on:
    with \l maxQueuedMessages above 0, what is sent while not connected waits, and goes out
    in order once connected, before connected() is emitted.

    \snippet ipcclient.cpp queue

    \section1 Security

    A client checks the server before it sends anything. Over a local socket, the server's
    process must run as \l expectedServerUserId, which for a service name is this process's
    own user by default. Over TLS, the server's certificate must be valid for its host name
    and signed by a trusted CA (\l [CPP] {IpcEndpoint::}{tls}). With an
    \l [CPP] {IpcEndpoint::}{authToken}, the server must prove that it holds the same token.

    \snippet ipcclient.cpp tls

    \b {See also} \l [CPP] {IpcServer}, \l [CPP] {IpcEndpoint}, \l {Security} and
    \l {Addresses, Service Names and Transports}.
*/

/*!
    \enum IpcClient::State

    Where the client is in its connection's life.

    \value Unconnected  connectToServer() has not been called yet.
    \value Connecting   Trying to connect, or waiting to retry or reconnect.
    \value Connected    Connected, and connected() has been emitted.
    \value Closed       close() was called; connectToServer() starts over.

    \sa state
*/

/*!
    \variable IpcClient::DefaultRetryDelay

    The default of \l retryDelay: 1000 ms, as in the Node library.
*/

/*!
    \variable IpcClient::DefaultReconnectDelay

    The default of \l reconnectDelay: 100 ms.
*/

/*!
    \variable IpcClient::DefaultMaxPendingBytes

    The client's default of \l [CPP] {IpcEndpoint::}{maxPendingBytes}: 128 MiB. A client has one
    peer, and a tight loop of send() is what fills it.
*/

/*!
    \variable IpcClient::DefaultMaxBackoffDelay

    The default of \l maxBackoffDelay: 30000 ms.
*/

/*!
    \property IpcClient::state
    \brief the stage the client's connection is at.

    \c Unconnected until connectToServer(), then \c Connecting; \c Connected once
    connected() is emitted; \c Connecting again while it waits to reconnect or retry;
    \c Closed after close(). The notifier, stateChanged(), carries the new state, and comes
    before connected() and disconnected().

    \sa isConnected(), State
*/

/*!
    \fn bool IpcClient::isConnected() const

    Returns whether \l state is \c Connected.
*/

/*!
    \property IpcClient::retryDelay
    \brief the time, in milliseconds, that the client waits after a failed connect
    attempt.

    With \l retryDelayMax greater than this, each wait is picked at random in
    \c {[retryDelay, retryDelayMax]}; otherwise it is fixed. With \l backoffFactor above 1,
    it grows with each failed attempt in a row.

    The default is DefaultRetryDelay, 1000 ms, as in the Node library. A negative value is
    taken as 0. Setting it leaves \l retryDelayMax as it is; the two may be set in either
    order, as QML does. A change applies to the next wait.

    \sa setRetryDelay(), reconnectDelay
*/

/*!
    \property IpcClient::retryDelayMax
    \brief the upper end of a random \l retryDelay, in milliseconds; -1 (the default) for a
    fixed delay.

    Each wait is picked at random in \c {[retryDelay, retryDelayMax]} when this is greater
    than \l retryDelay, and is \l retryDelay otherwise. A value below -1 is taken as -1. The
    notifier is retryDelayChanged().
*/

/*!
    \property IpcClient::reconnectDelay
    \brief the time, in milliseconds, that the client waits before it reconnects after
    an unexpected disconnect.

    With \l reconnectDelayMax greater than this, the wait is picked at random in
    \c {[reconnectDelay, reconnectDelayMax]}; otherwise it is fixed. If the reconnect fails,
    the next attempts follow \l retryDelay.

    The default is DefaultReconnectDelay, 100 ms. A negative value is taken as 0. Setting
    it leaves \l reconnectDelayMax as it is; the two may be set in either order. A change
    applies to the next wait.

    \sa setReconnectDelay(), retryDelay
*/

/*!
    \property IpcClient::reconnectDelayMax
    \brief the upper end of a random \l reconnectDelay, in milliseconds; -1 (the default)
    for a fixed delay.

    Each wait is picked at random in \c {[reconnectDelay, reconnectDelayMax]} when this is
    greater than \l reconnectDelay, and is \l reconnectDelay otherwise. A value below -1 is
    taken as -1. The notifier is reconnectDelayChanged().
*/

/*!
    \property IpcClient::backoffFactor
    \brief the factor by which each failed attempt in a row multiplies the delay.

    1 (the default): no backoff. Above 1, the wait after the n-th failed attempt in a row
    (counted from 0) is \c {min(delay × backoffFactor^n, maxBackoffDelay)}, never less than
    the delay itself, and then picked at random in its upper half (jitter), so that the
    clients of a restarted server do not come back in step. The count starts again once
    connected. A value below 1 is taken as 1. The notifier is backoffChanged().

    \sa maxBackoffDelay, retryDelay
*/

/*!
    \property IpcClient::maxBackoffDelay
    \brief the longest wait, in milliseconds, that \l backoffFactor grows a delay to.

    The default is DefaultMaxBackoffDelay, 30000 ms. A delay set higher than this is not cut
    down to it. A negative value is taken as 0. The notifier is backoffChanged().

    \sa backoffFactor
*/

/*!
    \property IpcClient::maxQueuedMessages
    \brief the number of messages that may wait while the client is not connected; 0 (the
    default) for no offline queue.

    With a queue, what send() and request() are given while not connected (before the first
    connection, or while reconnecting) waits, up to this many, and goes out in order once
    connected, before connected() is emitted: what connected() sends comes after it. Beyond
    the limit, send() fails with \c QueueFullError, and so does the request. Messages are
    encoded when queued, so an \c EncodeError comes at once. A queued request whose reply
    was deleted, or has timed out, meanwhile is not sent. close() discards the queue: queued
    requests finish with \c DisconnectedError.

    Without a queue, send() while not connected fails with \c NoServerError, as in the Node
    library. A negative value is taken as 0. Lowering it keeps what waits already.

    \sa queuedMessageCount, send()
*/

/*!
    \property IpcClient::queuedMessageCount
    \brief the number of messages and requests waiting in the offline queue.

    \sa maxQueuedMessages
*/

/*!
    \property IpcClient::expectedServerUserId
    \brief the user the server's process must run as, on a local socket; -1 (the default)
    for any.

    Checked with \c SO_PEERCRED as the connection is made, before anything is sent. A server
    of another user fails the attempt with \c ClientRefusedError (\c {refusing the server at
    PATH: it runs as uid N, not M}), and the client retries. With -1, a service name still
    expects this process's own user: another user could otherwise slip a socket into a
    directory between the client's check of it and the connect. Ignored over TCP and TLS. A
    value below -1 is taken as -1. A change applies to the next attempt.
*/

/*!
    \property IpcClient::monitor
    \brief whether the client connects as a monitor of the server.

    A monitor gets each message the server receives or sends, and each client's coming,
    going and errors, as messages on the topic \c socketipc.monitor; a request on the topic
    \c socketipc.stats gets the server's statistics. \l [CPP] {IpcServer::allowMonitors} describes
    the
    events. A monitor is not a client of the server: it gets no broadcasts, and the server
    does not deliver what it sends.

    Only a SocketIpc server that allows monitors accepts one: any other fails the attempt
    (\c ClientRefusedError), and the client retries. False by default. A change takes effect
    at the next connection.

    \snippet ipcclient.cpp monitor
*/

int IpcClientPrivate::Delay::pick() const
{
    if (max <= min)
        return min;
    return int(QRandomGenerator::global()->bounded(min, max + 1));
}

/*!
    Constructs a client with the parent \a parent. It does not connect until
    connectToServer() is called.
*/
IpcClient::IpcClient(QObject *parent) : IpcEndpoint(*new IpcClientPrivate, parent)
{
    Q_D(IpcClient);
    d->attemptTimer = new QTimer(this);
    d->attemptTimer->setSingleShot(true);
    connect(d->attemptTimer, &QTimer::timeout, this, [d] { d->attempt(); });
}

/*!
    Destroys the client. Its connection ends at once, without signals. To have what is
    pending written first, call close() and wait for \l [CPP] {IpcEndpoint::}{closed()}.
*/
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

/*!
    Sets \l retryDelay, the lower end of the delay, to \a msecs, and leaves
    \l retryDelayMax as it is: with its default of -1, the delay is fixed.
*/
void IpcClient::setRetryDelay(int msecs)
{
    Q_D(IpcClient);
    setRetryDelay(msecs, d->retryDelay.max);
}

/*!
    \overload

    Sets \l retryDelay to \a minMsecs and \l retryDelayMax to \a maxMsecs in one call: each
    wait after a failed attempt is then random in \c {[minMsecs, maxMsecs]}. Emits
    retryDelayChanged() once, if either changed.
*/
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

/*!
    Sets \l reconnectDelay, the lower end of the delay, to \a msecs, and leaves
    \l reconnectDelayMax as it is: with its default of -1, the delay is fixed.
*/
void IpcClient::setReconnectDelay(int msecs)
{
    Q_D(IpcClient);
    setReconnectDelay(msecs, d->reconnectDelay.max);
}

/*!
    \overload

    Sets \l reconnectDelay to \a minMsecs and \l reconnectDelayMax to \a maxMsecs in one
    call: each wait before a reconnect is then random in \c {[minMsecs, maxMsecs]}. Emits
    reconnectDelayChanged() once, if either changed.
*/
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

/*!
    Returns what went over the current connection (zero counts when there is none), with
    the reconnects since connectToServer() (\l [CPP] {IpcStatistics::}{reconnectCount}) and the
    length of the offline queue (\l [CPP] {IpcStatistics::}{queuedMessages}). Each connection
    counts afresh.

    \b {See also} \l [CPP] {IpcStatistics} and \l [CPP] {IpcServer::statistics()}.
*/
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

/*!
    Starts connecting to \a address, which it sets as \l [CPP] {IpcEndpoint::}{address}, or to
    \l [CPP] {IpcEndpoint::}{address} when \a address is empty. The attempt starts from the event
    loop: \l state is \c Connecting at once, and connected() never comes before this call
    has returned. The client retries until it succeeds or close() is called, and reconnects
    whenever the connection is lost.

    An address that is not valid is a failed attempt too (\c SocketError), retried: the
    address may be corrected meanwhile.

    Calling it while connecting or connected prints a warning and does nothing. After
    close(), it starts over: the count of reconnects starts again at 0.

    \sa close(), state, connected(), connectError()
*/
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

/*!
    Stops retrying, writes what is pending, and disconnects. \l state becomes \c Closed at
    once, and \l [CPP] {IpcEndpoint::}{closed()} follows once the connection has ended (before
    close() returns when there was none). No reconnect follows.

    A message sent right before close() is still delivered, and what the server sends
    meanwhile still arrives. A server that has not taken what was sent to it within
    \l [CPP] {IpcEndpoint::}{closeTimeout} is dropped, with a \c WriteBufferFullError. The
    offline queue is discarded: queued requests finish with \c DisconnectedError, and the
    requests in flight do when the connection ends. After close(), send() and request()
    fail with \c SendAfterCloseError until connectToServer() is called again. Calling
    close() again does nothing.

    \sa connectToServer()
*/
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

/*!
    Sends \a message on \a topic to the server. Returns \c true once the message is queued
    for writing, or kept in the offline queue; a connection lost afterwards is reported from
    the event loop (disconnected()), not by send().

    Returns \c false, with \l [CPP] {IpcEndpoint::}{errorOccurred()}, on \c NoServerError (not
    connected, and no offline queue), \c QueueFullError (the offline queue is full),
    \c SendAfterCloseError (after close()), \c EncodeError (the codec cannot hold
    \a message; nothing is sent, connected or not) or \c WriteBufferFullError (the server
    does not read: what waits for it would pass \l [CPP] {IpcEndpoint::}{maxPendingBytes}; the
    connection stays).

    \sa request(), maxQueuedMessages
*/
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

/*!
    Asks the server, which answers with its \l [CPP] {IpcEndpoint::}{handle()}: sends \a message
    on \a topic as a request and returns the reply to come. The reply is this client's
    child; delete it when done (deleting it earlier forgets the request).

    The reply finishes exactly once, always from the event loop (never before request()
    returns): with the answer in \l [CPP] {IpcReply::}{value}, or with an error: \c TimeoutError
    after \a timeoutMsecs ms (-1, the default, for \l [CPP] {IpcEndpoint::}{requestTimeout}; 0 for
    no limit), \c NoHandlerError, \c HandlerError, \c DisconnectedError (the connection
    ended first), \c CancelledError (\l [CPP] {IpcReply::cancel()}), \c NoServerError (not
    connected,
    and no offline queue), \c QueueFullError, \c EncodeError, \c WriteBufferFullError or
    \c SendAfterCloseError (after close()). These errors are the reply's: they are not
    emitted by \l [CPP] {IpcEndpoint::}{errorOccurred()}.

    While not connected, a request waits in the offline queue with the messages when
    \l maxQueuedMessages allows. A Node server sees the request as an ordinary message and
    never answers it: the request times out.

    \snippet ipcclient.cpp request

    \b {See also} \l [CPP] {IpcReply} and \l [CPP] {IpcEndpoint::handle()}.
*/
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
    // The retained messages are in the topics already; their notifications too, so that
    // bindings show the state when code on connected() runs. Slots run here: one may close
    // the client, or a nested event loop may see the connection go.
    IpcConnection *const announced = connection;
    flushDeferred();
    if (!guard || connection != announced || state != IpcClient::State::Connecting)
        return;
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

// QDoc needs each \fn on one line.
// clang-format off
/*!
    \fn template<typename Functor> void IpcClient::request(const QString &topic, const QVariant &message, const QObject *context, Functor &&functor, int timeoutMsecs)
    \overload

    Asks the server as the other overload does (\a topic, \a message and \a timeoutMsecs
    alike), and calls \a functor with the finished reply, \c {functor(const IpcReply &reply)},
    while \a context lives. The reply deletes itself afterwards.

    \snippet ipcclient.cpp overview
*/
// clang-format on

/*!
    \fn void IpcClient::stateChanged(IpcClient::State state)

    \l state changed to \a state.
*/

/*!
    \fn void IpcClient::connected()

    The client is connected, each time a connection is established: after the server's
    retained messages have arrived (see \l {Connected means up to date}), and after the
    offline queue has been written. \l state is \c Connected.

    \sa reconnected(), disconnected()
*/

/*!
    \fn void IpcClient::reconnected()

    Emitted right after connected(), when the connection follows an unexpected disconnect
    since connectToServer().

    \b {See also} \l [CPP] {IpcStatistics::reconnectCount}.
*/

/*!
    \fn void IpcClient::disconnected()

    The connection was lost without close(): the server went away, dropped this client, or
    sent something it could not read (\l [CPP] {IpcEndpoint::}{errorOccurred()} says so first). A
    reconnect is scheduled, after \l reconnectDelay; \l state is \c Connecting.

    \sa connected(), reconnected()
*/

/*!
    \fn void IpcClient::connectError(const QString &description)

    A connect attempt failed; a retry is scheduled, after \l retryDelay. \a description
    says what happened and what to do, such as \c {no socket at PATH (is the server
    running?)}, \c {a socket file exists at PATH but no server is listening}, or
    \c {no server listens on tcp://HOST:PORT}.

    Emitted for every failed attempt; \l [CPP] {IpcEndpoint::}{errorOccurred()} reports only the
    first of an outage, and each new kind of failure within it.
*/

/*!
    \fn void IpcClient::retryDelayChanged()

    \l retryDelay or \l retryDelayMax changed.
*/

/*!
    \fn void IpcClient::reconnectDelayChanged()

    \l reconnectDelay or \l reconnectDelayMax changed.
*/

/*!
    \fn void IpcClient::backoffChanged()

    \l backoffFactor or \l maxBackoffDelay changed.
*/

/*!
    \fn void IpcClient::maxQueuedMessagesChanged()

    \l maxQueuedMessages changed.
*/

/*!
    \fn void IpcClient::queuedMessageCountChanged()

    \l queuedMessageCount changed.
*/

/*!
    \fn void IpcClient::expectedServerUserIdChanged()

    \l expectedServerUserId changed.
*/

/*!
    \fn void IpcClient::monitorChanged()

    \l monitor changed.
*/
