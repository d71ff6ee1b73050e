#include "ipcstatistics.h"
#include "ipcstatistics_p.h"

IpcStatistics IpcStatisticsPrivate::make(const QString &clientId, const IpcCounters &counters,
                                         qint64 pendingBytes, int requestsInFlight,
                                         int connectionCount, int reconnectCount,
                                         int queuedMessages)
{
    IpcStatistics statistics;
    IpcStatisticsPrivate *d = statistics.d.data();
    d->clientId = clientId;
    d->counters = counters;
    d->pendingBytes = pendingBytes;
    d->requestsInFlight = requestsInFlight;
    d->connectionCount = connectionCount;
    d->reconnectCount = reconnectCount;
    d->queuedMessages = queuedMessages;
    d->valid = true;
    return statistics;
}

/*!
    \class IpcStatistics
    \inmodule SocketIpc
    \inheaderfile SocketIpc/IpcStatistics
    \brief The \l [CPP] {IpcStatistics} class is a snapshot of what went over a connection, or over
    all of an
    endpoint's.

    Take one with \l [CPP] {IpcServer::statistics}(clientId) for one client's connection (invalid
    for a client id the server does not know), \l [CPP] {IpcServer::statistics()} for the server's
    totals since \l [CPP] {IpcServer::}{listen()} (closed connections included), or
    \l [CPP] {IpcClient::statistics()} for a client's current connection.

    \snippet ipcstatistics.cpp client

    Messages are the frames of the application's topics: messages, requests, replies and progress
    notifications. The library's own frames on \c socketipc. topics (the greeting, the token
    handshake, cancellations) are not counted as messages. Bytes are every byte read or written on
    the connection.

    The counters are kept whatever happens (a few additions per message, one clock read per read and
    per write burst, not per message), and a snapshot is taken only when asked for: nothing runs
    while nobody looks. A snapshot does not change afterwards; take another to see what happened
    since.

    \snippet ipcstatistics.cpp slow

    toVariantMap() gives the numbers as JSON would hold them, which is what \c {socketipc stats}
    prints:

    \snippet ipcstatistics.cpp totals

    \l [CPP] {IpcStatistics} is implicitly shared; copies are cheap. In QML it is the value type
    \l [QML] {ipcStatistics}, whose properties are read-only, and \c statistics() is callable:
    \c {server.statistics(id).messagesReceived}. The 64-bit counters are plain numbers there (\c
    double, exact up to 2^53).

    \sa {Performance}
*/

/*!
    \property IpcStatistics::clientId
    \brief the client's id, for one connection on a server; empty for a server's totals and on a
    client.
*/

/*!
    \property IpcStatistics::messagesReceived
    \brief the messages received: the application's messages, requests, replies and progress
    notifications, not the library's own frames.

    A \c double for QML, which has no 64-bit integer type; messagesReceived() returns a \c qint64.
*/

/*!
    \property IpcStatistics::bytesReceived
    \brief every byte read on the connection.

    A \c double for QML; bytesReceived() returns a \c qint64.
*/

/*!
    \property IpcStatistics::messagesSent
    \brief the messages sent: the application's messages, requests, replies and progress
    notifications, not the library's own frames.

    A \c double for QML; messagesSent() returns a \c qint64.
*/

/*!
    \property IpcStatistics::bytesSent
    \brief every byte written on the connection.

    A \c double for QML; bytesSent() returns a \c qint64.
*/

/*!
    \property IpcStatistics::pendingBytes
    \brief the bytes written but not yet taken by the peer, at the time of the snapshot.

    What \l [CPP] {IpcEndpoint::}{maxPendingBytes} limits. For a server's totals, the sum over the
    connections open now. A \c double for QML; pendingBytes() returns a \c qint64.
*/

/*!
    \property IpcStatistics::messagesDropped
    \brief the messages not sent to the peer because it did not read.

    Counted on a server whose \l [CPP] {IpcServer::}{slowClientPolicy} is \c DropMessages. A
    \c double for QML; messagesDropped() returns a \c qint64.
*/

/*!
    \property IpcStatistics::requestsInFlight
    \brief the requests sent and not yet answered, and the peer's requests being handled here, at
    the time of the snapshot.
*/

/*!
    \property IpcStatistics::connectedSince
    \brief when the connection was made; for a server's totals, when it began listening.

    A client's counters start afresh with each connection. Invalid when there is no connection.
*/

/*!
    \property IpcStatistics::lastActivity
    \brief when something was last read or written; invalid if nothing was.
*/

/*!
    \property IpcStatistics::connectionCount
    \brief for a server's totals, the connections open now; 1 for one connection; on a client, 1
    when connected and 0 otherwise.
*/

/*!
    \property IpcStatistics::reconnectCount
    \brief how often a client reconnected after losing its server; 0 on a server.

    Counted since \l [CPP] {IpcClient::}{connectToServer()}.
*/

/*!
    \property IpcStatistics::queuedMessages
    \brief the messages waiting in a client's offline queue; 0 on a server.

    The queue holds at most \l [CPP] {IpcClient::}{maxQueuedMessages}.
*/

/*!
    \property IpcStatistics::valid
    \brief whether this is a snapshot of something: false for a default-constructed value and for a
    client id the server does not know.
*/

/*!
    Constructs an invalid snapshot: isValid() is false, every counter is 0 and the times are
    invalid.
*/
IpcStatistics::IpcStatistics() : d(new IpcStatisticsPrivate) { }

/*!
    Constructs a copy of \a other.
*/
IpcStatistics::IpcStatistics(const IpcStatistics &other) = default;

/*!
    Move-constructs a snapshot from \a other.
*/
IpcStatistics::IpcStatistics(IpcStatistics &&other) noexcept = default;

/*!
    Assigns \a other to this snapshot and returns a reference to it.
*/
IpcStatistics &IpcStatistics::operator=(const IpcStatistics &other) = default;

/*!
    Move-assigns \a other to this snapshot and returns a reference to it.
*/
IpcStatistics &IpcStatistics::operator=(IpcStatistics &&other) noexcept = default;

/*!
    Destroys the snapshot.
*/
IpcStatistics::~IpcStatistics() = default;

/*!
    \fn void IpcStatistics::swap(IpcStatistics &other)

    Swaps this snapshot with \a other. This operation is very fast and never fails.
*/

QString IpcStatistics::clientId() const
{
    return d->clientId;
}

qint64 IpcStatistics::messagesReceived() const
{
    return d->counters.messagesReceived;
}

qint64 IpcStatistics::bytesReceived() const
{
    return d->counters.bytesReceived;
}

qint64 IpcStatistics::messagesSent() const
{
    return d->counters.messagesSent;
}

qint64 IpcStatistics::bytesSent() const
{
    return d->counters.bytesSent;
}

qint64 IpcStatistics::pendingBytes() const
{
    return d->pendingBytes;
}

qint64 IpcStatistics::messagesDropped() const
{
    return d->counters.messagesDropped;
}

int IpcStatistics::requestsInFlight() const
{
    return d->requestsInFlight;
}

static QDateTime fromMsecs(qint64 msecs)
{
    return msecs > 0 ? QDateTime::fromMSecsSinceEpoch(msecs) : QDateTime();
}

QDateTime IpcStatistics::connectedSince() const
{
    return fromMsecs(d->counters.connectedSince);
}

QDateTime IpcStatistics::lastActivity() const
{
    return fromMsecs(d->counters.lastActivity);
}

int IpcStatistics::connectionCount() const
{
    return d->connectionCount;
}

int IpcStatistics::reconnectCount() const
{
    return d->reconnectCount;
}

int IpcStatistics::queuedMessages() const
{
    return d->queuedMessages;
}

bool IpcStatistics::isValid() const
{
    return d->valid;
}

/*!
    Returns the snapshot as JSON would hold it, with times in milliseconds since the epoch (0 when
    invalid). The keys are \c messagesReceived, \c bytesReceived, \c messagesSent, \c bytesSent,
    \c pendingBytes, \c messagesDropped, \c requestsInFlight, \c connectedSince, \c lastActivity and
    \c connections (connectionCount); \c client (clientId) when there is a client id; \c reconnects
    and \c queuedMessages when either is above 0. This is what \c {socketipc stats} prints. Callable
    from QML.
*/
QVariantMap IpcStatistics::toVariantMap() const
{
    const IpcCounters &c = d->counters;
    QVariantMap map{{QStringLiteral("messagesReceived"), c.messagesReceived},
                    {QStringLiteral("bytesReceived"), c.bytesReceived},
                    {QStringLiteral("messagesSent"), c.messagesSent},
                    {QStringLiteral("bytesSent"), c.bytesSent},
                    {QStringLiteral("pendingBytes"), d->pendingBytes},
                    {QStringLiteral("messagesDropped"), c.messagesDropped},
                    {QStringLiteral("requestsInFlight"), d->requestsInFlight},
                    {QStringLiteral("connectedSince"), c.connectedSince},
                    {QStringLiteral("lastActivity"), c.lastActivity},
                    {QStringLiteral("connections"), d->connectionCount}};
    if (!d->clientId.isEmpty())
        map.insert(QStringLiteral("client"), d->clientId);
    if (d->reconnectCount > 0 || d->queuedMessages > 0) {
        map.insert(QStringLiteral("reconnects"), d->reconnectCount);
        map.insert(QStringLiteral("queuedMessages"), d->queuedMessages);
    }
    return map;
}
