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

/*!
    \class IpcServer
    \inmodule SocketIpc
    \inheaderfile SocketIpc/IpcServer
    \brief The \l [CPP] {IpcServer} class listens on a local socket, TCP or TLS, and exchanges
    messages
    with any number of clients.

    A server listens at an \l [CPP] {IpcEndpoint::}{address}: a service name, a local (Unix
    domain) socket path, \c tcp://HOST:PORT or \c tls://HOST:PORT. It exchanges messages,
    each a topic and a JSON value, with any number of clients, each known by a client id.
    Its clients are \l [CPP] {IpcClient} objects, or processes that use the Node.js library
    \c @crussell52/socket-ipc 0.4.0, whose wire format this is, byte for byte.

    What it shares with \l [CPP] {IpcClient} (the address, codec, limits, TLS settings, token,
    topics,
    request handlers, \l [CPP] {IpcEndpoint::}{messageReceived()},
    \l [CPP] {IpcEndpoint::}{errorOccurred()} and \l [CPP] {IpcEndpoint::}{closed()}) is
    \l [CPP] {IpcEndpoint}'s.
    This class adds accepting clients, admitting them, and sending to one or all of them.

    A server that greets each client who joins, answers its \c hello, and adds numbers on
    request:

    \snippet ipcserver.cpp overview

    \section1 Clients

    Each connection the server admits is a client. It gets a client id, a random (version 4)
    UUID that is never sent over the wire, and clientConnected() says so; \l clientIds and
    \l clientCount list them. Each message a client sends arrives as
    \l [CPP] {IpcEndpoint::}{messageReceived()} with its id. send() writes to one client,
    broadcast() to every client, and disconnectClient() ends one connection.
    clientDisconnected() follows when a client is gone, whatever the reason.
    peerCredentials() says who a client is; statistics() what went over its connection.

    \section1 Who may connect

    A connection is checked before a byte of it is read, in this order: \l maxClients (and
    the process's file descriptor limit), \l allowedUserIds, the connection filter
    (setConnectionFilter()), and the back-off of a peer that sent wrong tokens. Then, with an
    \l [CPP] {IpcEndpoint::}{authToken}, it must prove that it holds the token. A connection turned
    away is a \c ClientRefusedError, whose description names the peer (its pid and uid, or
    its address and port); it never becomes a client. On a local socket the socket file's
    permissions (\l socketAccess) come first, and the directory it is in matters as much: a
    directory only the intended users can write to, such as \c $XDG_RUNTIME_DIR, where a
    service name puts it.

    \snippet ipcserver.cpp admission

    \section1 Limits

    What clients can make a server hold is bounded by about
    \c {maxClients × (maxPendingBytes + maxFrameSize × 33)}; strangers, with an
    \l [CPP] {IpcEndpoint::}{authToken}, by \c {maxClients × MaxAuthenticationFrameSize × 33}
    (33: what decoding a JSON array of one-digit numbers costs per byte; ordinary messages
    cost 2 to 4). With the defaults that bound is large, 256 × (32 + 64 × 33) MiB: set
    \l maxClients, \l [CPP] {IpcEndpoint::}{maxFrameSize} and
    \l [CPP] {IpcEndpoint::}{maxPendingBytes} to what your clients need.

    \snippet ipcserver.cpp limits

    Connections are also kept under the process's \c RLIMIT_NOFILE, less a reserve measured
    at listen(), and refused beyond it as beyond \l maxClients. If the process runs out of
    file descriptors all the same, a connection that cannot get one is accepted on a spare
    descriptor and closed at once; the server says so once (\c SocketError) and keeps
    listening, and accepting resumes as descriptors come free.

    \section1 Retained state

    retain() broadcasts a message and keeps it as its topic's current value: every client
    that connects afterwards gets each retained message first, before anything newer and
    before its \l [CPP] {IpcClient::}{connected()}. So code run on \c connected(), QML bindings and
    \l [CPP] {IpcTopic} objects see the current state at once. Retaining again replaces the value,
    clearRetained() forgets it, retained() reads it and \l retainedTopics lists the topics.
    Retained values are the server's state in memory: a server process that restarts has
    none until it retains them again.

    \snippet ipcserver.cpp retain

    A Node client gets the greeting (a message on the topic \c socketipc.hello) and the
    retained messages as ordinary messages when it connects, and the notice that a value was
    cleared as a message on the topic \c socketipc.retained. Topics under \c socketipc. are
    the library's own.

    \section1 Monitoring

    With \l allowMonitors set, monitors may attach: \l [CPP] {IpcClient} objects with
    \l [CPP] {IpcClient::}{monitor} set, which is what \c {socketipc monitor} and
    \c {socketipc stats} are. A monitor gets every message the server receives and sends,
    and each client's coming, going and errors, as events, and the server's statistics on
    request. It is never a client.

    \section1 Closing

    close() stops listening and ends every connection once its pending output is written:
    a message sent right before close() is still delivered. \l [CPP] {IpcEndpoint::}{closed()}
    follows when every connection has ended. To its clients, a server's close() is a lost
    connection: they keep trying until a server listens there again. listen() may be called
    again after close().

    \b {See also} \l [CPP] {IpcClient}, \l [CPP] {IpcEndpoint}, \l {Security},
    \l {Addresses, Service Names and Transports} and
    \l {Messaging: Topics, Requests and Retained State}.
*/

/*!
    \enum IpcServer::SocketAccess

    Who may connect to a local socket, as the permissions of its socket file. They are set
    atomically as the socket is created, so that there is no moment when the file is open to
    more users.

    \value OwnerOnly      Mode 0700: only the user the server runs as. The default.
    \value OwnerAndGroup  Mode 0770: and the users of its group.
    \value Everyone       Mode 0777: every local user.

    An \c @name socket (the abstract namespace, Linux) has no file and so no permissions:
    use \l allowedUserIds. TCP and TLS have no socket file either.

    \sa socketAccess, allowedUserIds
*/

/*!
    \enum IpcServer::SlowClientPolicy

    What happens to a client that stops reading, when a message would take what waits for it
    past \l [CPP] {IpcEndpoint::}{maxPendingBytes}. Either way
    \l [CPP] {IpcEndpoint::}{errorOccurred()} reports a \c WriteBufferFullError with the client's
    id, and the other clients are not slowed.

    \value DisconnectClient  The connection is dropped, with what waits for it. The default.
    \value DropMessages      The connection stays; the messages that do not fit are not sent
                             to it (\l [CPP] {IpcStatistics::messagesDropped} counts them).

    \sa slowClientPolicy
*/

/*!
    \variable IpcServer::DefaultMaxPendingBytes

    The server's default of \l [CPP] {IpcEndpoint::}{maxPendingBytes}: 32 MiB per client. With
    \l maxClients, it bounds what clients that stop reading can cost at most, and leaves
    room for a burst of a few thousand messages sent in a loop. A message larger than the
    limit still goes to a client that has nothing backlogged.
*/

/*!
    \variable IpcServer::DefaultMaxClients

    The default of \l maxClients: 256 open connections, whether they have authenticated yet
    or not.
*/

/*!
    \variable IpcServer::MaxAuthenticationFrameSize

    With an \l [CPP] {IpcEndpoint::}{authToken}, the largest first frame (the token's) a connection
    may send: 4096 bytes, whatever \l [CPP] {IpcEndpoint::}{maxFrameSize} says. A peer that has
    not authenticated cannot make the server buffer or decode more.
*/

/*!
    \variable IpcServer::DefaultMaxRetainedBytes

    The default of \l maxRetainedBytes: 16 MiB.
*/

/*!
    \typealias IpcServer::ConnectionFilter

    A function that decides, from the kernel's word on who connects, whether a connection
    is accepted: \c {std::function<bool(const IpcPeerCredentials &)>}, returning \c true
    to accept.

    \sa setConnectionFilter()
*/

/*!
    \property IpcServer::listening
    \brief whether the server is listening.

    True from a successful listen() until close(). The notifier, listeningChanged(), carries
    the new value.

    \sa listen(), listeningAddress
*/

/*!
    \property IpcServer::listeningAddress
    \brief the address the server listens on, in the form of \l [CPP] {IpcEndpoint::}{address};
    empty when
    it is not listening.

    For a local socket, the socket's path (a service name's resolved path, say). For TCP and
    TLS, the address with its host and the port a port 0 was given, such as
    \c tcp://127.0.0.1:41234. It changes with \l listening.
*/

/*!
    \property IpcServer::clientCount
    \brief the number of connected clients.

    Monitors, and connections that have not been admitted yet (while they authenticate),
    are not clients.

    \sa clientIds, clientConnected()
*/

/*!
    \property IpcServer::clientIds
    \brief the ids of the connected clients, in the order they connected.

    The notifier is clientCountChanged().

    \sa clientCount, clientConnected(), clientDisconnected()
*/

/*!
    \property IpcServer::socketAccess
    \brief the users who may connect to a local socket, as the permissions of its socket
    file.

    OwnerOnly (mode 0700) by default; OwnerAndGroup (0770) or Everyone (0777) widen it. A
    change takes effect at the next listen(). Ignored for \c @name sockets, TCP and TLS.

    \sa SocketAccess, allowedUserIds
*/

/*!
    \property IpcServer::slowClientPolicy
    \brief the policy for a client when a message would take it past
    \l [CPP] {IpcEndpoint::}{maxPendingBytes}.

    DisconnectClient (the default) drops the connection and what waits for it;
    DropMessages keeps the connection and does not send it what does not fit. Either way
    \l [CPP] {IpcEndpoint::}{errorOccurred()} reports a \c WriteBufferFullError with the client's
    id, and the other clients are not slowed. A monitor that does not read meets the same
    policy, alone. A change applies to the next message that does not fit.

    \sa SlowClientPolicy
*/

/*!
    \property IpcServer::maxClients
    \brief the largest number of open connections; 0 for no limit.

    A connection beyond this many is refused at once, before a byte of it is read
    (\c ClientRefusedError). Every open connection counts, also one that has not shown its
    token yet; the limit is checked again when a connection shows its token. Monitors do
    not count.

    The default is DefaultMaxClients, 256. A negative value is taken as 0. A change applies
    to the connections made afterwards: lowering it drops no one.
*/

/*!
    \property IpcServer::allowedUserIds
    \brief the users whose processes may connect; empty for everyone the socket file's
    permissions let in.

    Checked with \c SO_PEERCRED, the kernel's word, before a byte of the connection is read;
    a process of another user is refused (\c ClientRefusedError, naming its pid and uid).
    Empty by default. A change applies to the connections made afterwards.

    A network peer has no user id: with this list set, every TCP and TLS connection is
    refused. For an \c @name socket, which has no file permissions, this is what keeps other
    users out.

    \sa setConnectionFilter(), peerCredentials(), socketAccess
*/

/*!
    \property IpcServer::handshakeTimeout
    \brief the time, in milliseconds, that a new connection may stay silent.

    A client that has not sent a whole message this long after connecting is dropped
    (\c ClientRefusedError); with an \l [CPP] {IpcEndpoint::}{authToken}, a connection that has not
    authenticated by then is refused.

    0 (the default) lets idle clients stay, so that a client that only listens, as Node
    clients often do, is not dropped; with an \l [CPP] {IpcEndpoint::}{authToken}, a connection
    still has 10 seconds to authenticate. A negative value is taken as 0. A change applies to
    the connections made afterwards.
*/

/*!
    \property IpcServer::maxRetainedBytes
    \brief the number of bytes the retained messages may take; 0 for no limit.

    Counted as their encoded frames (retainedBytes() says how many they take now). A
    retain() that would take them past the limit fails with \c RetainedLimitError, and
    nothing is kept or sent.

    The default is DefaultMaxRetainedBytes, 16 MiB. A negative value is taken as 0. A change
    applies to the next retain(): retained messages are never dropped for it.

    \sa retain()
*/

/*!
    \property IpcServer::retainedTopics
    \brief the topics that have a retained message, sorted.

    The notifier is retainedChanged().

    \sa retain(), retained(), clearRetained()
*/

// The monitor event below is one \c argument, longer than a line.
// clang-format off
/*!
    \property IpcServer::allowMonitors
    \brief whether monitors may attach.

    A monitor is an \l [CPP] {IpcClient} with \l [CPP] {IpcClient::}{monitor} set (\c {socketipc
    monitor}
    and \c {socketipc stats} are such clients). It meets the same token, TLS and
    \l allowedUserIds rules as any client, and then gets, as messages on the topic
    \c socketipc.monitor:

    \list
    \li each message the server receives or sends, as
        \c {{"direction": "in"|"out", "client": ID, "topic": ..., "message": ..., "size": BYTES, "time": MS}},
        with \c id and \c re for requests and replies and \c progress for progress reports;
        a broadcast is one event, with \c {"clients": [ID, ...]} instead of \c client;
    \li each client's coming and going, and each error, as
        \c {{"event": "connected"|"disconnected"|"error", "client": ID, "time": MS}}, an
        error with its \c code and \c description.
    \endlist

    A request on the topic \c socketipc.stats is answered with the server's statistics,
    \c {{"total": {...}, "clients": [{...}, ...]}} (\l [CPP] {IpcStatistics::toVariantMap()}).

    A monitor is never a client: it is not in \l clientCount, causes no clientConnected(),
    gets no broadcasts, and what it sends is not delivered. One that does not read meets the
    \l slowClientPolicy alone. Without a monitor attached, nothing is copied.

    Off by default. With it on, the server learns what a new connection is before it becomes
    a client: \l [CPP] {IpcClient} says so at once, in its answer to the server's greeting; a Node
    client, which does not, becomes a client when it sends its first message or after
    200 ms. A server that does not allow monitors refuses them: the monitor's attempt fails
    with \c ClientRefusedError. A change applies to the connections made afterwards;
    monitorCount() says how many are attached.
*/
// clang-format on

/*!
    Constructs a server with the parent \a parent. It does not listen until listen() is
    called.

    In a process that systemd started with listening sockets (\c LISTEN_PID is its pid), the
    first server constructed takes them over: it removes \c LISTEN_PID, \c LISTEN_FDS and
    \c LISTEN_FDNAMES from the environment, as \c sd_listen_fds() does, and keeps the
    sockets from child processes. listen() then uses the one bound to its address.
*/
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

/*!
    Destroys the server. Its connections end at once, without signals, and it stops
    listening (the socket file is removed, as by close()). To have what is pending written
    first, call close() and wait for \l [CPP] {IpcEndpoint::}{closed()}.
*/
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

/*!
    Returns the number of monitors attached now.

    \sa allowMonitors
*/
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

/*!
    Broadcasts \a message on \a topic to every client, and keeps it as \a topic's retained
    value, replacing the one before. Every client that connects afterwards gets each
    retained message right after it connects, before anything else is sent to it and before
    its \l [CPP] {IpcClient::}{connected()}.

    Returns \c false, with \l [CPP] {IpcEndpoint::}{errorOccurred()}, if the message is neither
    kept nor sent: \c EncodeError (the codec cannot hold it), \c RetainedLimitError (it
    would take the retained messages past \l maxRetainedBytes) or \c SendAfterCloseError
    (after close()). Emits retainedChanged() otherwise.

    A server may retain before it listens. Retained messages are the server's state in
    memory: they outlive close() and a later listen(), not the process.

    \snippet ipcserver.cpp retain

    \sa clearRetained(), retained(), retainedTopics
*/
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

/*!
    Forgets \a topic's retained message: clients that connect later no longer get it. While
    listening, the connected clients are told (a message on the topic
    \c socketipc.retained), and their \l [CPP] {IpcTopic} on \a topic loses its value
    (\l [CPP] {IpcTopic::}{hasValue}). Emits retainedChanged(). Nothing happens if \a topic has
    no retained message.

    \sa retain()
*/
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

/*!
    Returns \a topic's retained message; an invalid QVariant if there is none.

    \sa retain(), retainedTopics
*/
QVariant IpcServer::retained(const QString &topic) const
{
    return d_func()->retained.value(topic).message;
}

QStringList IpcServer::retainedTopics() const
{
    return d_func()->retained.keys();
}

/*!
    Returns what the retained messages take, in bytes, as \l maxRetainedBytes counts them:
    their encoded frames.
*/
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

/*!
    Sets \a filter to decide, from the kernel's word on who connects, whether a connection
    is accepted. It is called for each new connection, after \l allowedUserIds and before a
    byte of the connection is read, with the peer's credentials (pid, uid and gid on a local
    socket; address and port over TCP and TLS): \c true accepts, \c false refuses
    (\c ClientRefusedError, "the connection filter said no"). An empty function, the
    default, accepts everyone. C++ only.

    \snippet ipcserver.cpp admission

    \sa ConnectionFilter, allowedUserIds, peerCredentials()
*/
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

/*!
    Returns who the client \a clientId is. On a local socket: the pid, uid and gid of its
    process, as the kernel saw them when it connected (\c SO_PEERCRED). Over TCP and TLS:
    its address and port, and with mutual TLS its certificate. Invalid for an unknown id.

    \snippet ipcserver.cpp peer

    \b {See also} \l [CPP] {IpcPeerCredentials} and \l {setConnectionFilter()}.
*/
IpcPeerCredentials IpcServer::peerCredentials(const QString &clientId) const
{
    Q_D(const IpcServer);
    const IpcConnection *connection = d->connectionsById.value(clientId);
    return connection ? connection->peerCredentials() : IpcPeerCredentials();
}

/*!
    Returns what went over the connection of the client \a clientId: messages and bytes
    each way, what waits for it now, messages dropped for it, requests in flight, when it
    connected and when it was last active. Invalid for an unknown id.

    The counters are kept whatever happens; a snapshot is taken only when asked for.

    \snippet ipcserver.cpp statistics

    \b {See also} \l [CPP] {IpcStatistics}.
*/
IpcStatistics IpcServer::statistics(const QString &clientId) const
{
    Q_D(const IpcServer);
    const IpcConnection *connection = d->connectionsById.value(clientId);
    if (!connection)
        return {};
    return IpcStatisticsPrivate::make(clientId, connection->counters(), connection->pendingBytes(),
                                      d->requests.inFlight(connection), 1);
}

/*!
    \overload

    Returns the server's totals since listen(): every connection's counters, those closed
    since included, with the pending bytes and requests in flight of the connections open
    now. Its \l [CPP] {IpcStatistics::}{connectionCount} is the number of connections open now,
    and \l [CPP] {IpcStatistics::}{connectedSince} the time of listen().
*/
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

/*!
    Starts listening on \a address, which it sets as \l [CPP] {IpcEndpoint::}{address}, or on
    \l [CPP] {IpcEndpoint::}{address} when \a address is empty. Returns \c true on success;
    \c false on error, which \l [CPP] {IpcEndpoint::}{errorOccurred()} reports.

    For a local socket:

    \list
    \li A dead socket file left by a crashed server is removed. A live server there is an
        \c AddressInUseError (that server sees a client connect and leave at once, as with
        the Node library), and so is a file that is not a socket: it is never removed, and
        neither is a symbolic link, which is never followed either.
    \li Processes that listen at one path at the same moment elect exactly one server: the
        probe and the bind happen under a lock file beside the socket (\c PATH.lock, there
        only during listen()), and the others fail at once with \c AddressInUseError,
        naming the holder. listen() never waits.
    \li The socket file gets the permissions of \l socketAccess as it is created.
    \li A path longer than 107 bytes, a service name's resolved path included, is a
        \c SocketError that names the limit.
    \li In a process started by systemd with a listening socket (socket activation), the
        inherited socket bound to the path (for a service name: a socket of that name, or
        one named so in \c LISTEN_FDNAMES, from \c FileDescriptorName=) is taken as it is.
        The connection that started the service, and what its client sent before the
        server ran, are not lost; close() leaves that socket file to systemd.
    \endlist

    For TCP and TLS, the host must be an IP address or \c localhost, and port 0 picks a free
    port (\l listeningAddress tells which). A \c tls:// server needs a certificate and key
    in \l [CPP] {IpcEndpoint::}{tls}; files that cannot be used are a \c TlsError.

    Calling listen() while listening prints a warning and returns \c false. It may be called
    again after close(). The totals of statistics() start afresh.

    \sa close(), listening, listeningAddress, {Addresses, Service Names and Transports}
*/
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

/*!
    Stops listening and ends every connection once its pending output is written;
    \l [CPP] {IpcEndpoint::}{closed()} follows when all of them have ended (before close() returns
    if none is open).

    Listening stops at once (listeningChanged()), and the socket file is removed: only the one
    listen() made (its device and inode are remembered), so that a newer server's file at the
    same path is left alone; a socket that systemd passed is left to it. Connections that are
    not clients yet (authenticating, or monitors) are dropped at once. A client that has not
    taken what was sent to it within \l [CPP] {IpcEndpoint::}{closeTimeout} is dropped, with a
    \c WriteBufferFullError. Each client that goes causes clientDisconnected().

    After close(), send(), broadcast(), retain() and request() fail with
    \c SendAfterCloseError until listen() is called again. The retained messages are kept.
    Calling close() again does nothing.

    \b {See also} \l {listen()} and \l [CPP] {IpcEndpoint::closeTimeout}.
*/
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

/*!
    Sends \a message on \a topic to the client \a clientId only. Returns \c true once the
    message is queued for writing.

    Returns \c false, with \l [CPP] {IpcEndpoint::}{errorOccurred()}, on \c BadClientError (no
    client with that id, or one whose connection is ending), \c EncodeError (the codec
    cannot hold \a message; nothing is sent), \c SendAfterCloseError (after close()), or
    \c WriteBufferFullError (the client does not read: \l slowClientPolicy applies).

    \b {See also} \l {broadcast()} and \l [CPP] {IpcEndpoint::messageReceived()}.
*/
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

/*!
    Sends \a message on \a topic to every client (not to monitors). It is encoded once, and
    every connection shares the bytes.

    Nothing is sent when there are no clients, but a message that cannot be encoded is an
    \c EncodeError all the same. A client that does not read meets the
    \l slowClientPolicy (\c WriteBufferFullError with its id); the others still get the
    message. After close(), it is a \c SendAfterCloseError.

    \sa send(), retain()
*/
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

/*!
    Asks the client \a clientId, which answers with its \l [CPP] {IpcEndpoint::}{handle()}: sends
    \a message on \a topic as a request and returns the reply to come. The reply is this
    server's child; delete it when done (deleting it earlier forgets the request).

    The reply finishes exactly once, always from the event loop (never before request()
    returns): with the answer in \l [CPP] {IpcReply::}{value}, or with an error: \c TimeoutError
    after \a timeoutMsecs ms (-1, the default, for \l [CPP] {IpcEndpoint::}{requestTimeout}; 0 for
    no limit), \c NoHandlerError, \c HandlerError, \c DisconnectedError (the client went
    first), \c CancelledError (\l [CPP] {IpcReply::cancel()}), \c BadClientError (no client with
    that
    id), \c EncodeError, \c WriteBufferFullError (the client does not read) or
    \c SendAfterCloseError (after close()).
    These errors are the reply's: they are not emitted by
    \l [CPP] {IpcEndpoint::}{errorOccurred()}.

    A Node client sees the request as an ordinary message and never answers it: the request
    times out.

    \b {See also} \l [CPP] {IpcReply} and \l [CPP] {IpcEndpoint::handle()}.
*/
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

/*!
    Ends the connection of the client \a clientId once its pending output is written;
    clientDisconnected() follows. An unknown id is a \c BadClientError. The client sees a
    lost connection, and reconnects after its \l [CPP] {IpcClient::}{reconnectDelay}.

    \sa send()
*/
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

// QDoc needs each \fn on one line.
// clang-format off
/*!
    \fn template<typename Functor> void IpcServer::request(const QString &topic, const QVariant &message, const QString &clientId, const QObject *context, Functor &&functor, int timeoutMsecs)
    \overload

    Asks the client \a clientId as the other overload does (\a topic, \a message and
    \a timeoutMsecs alike), and calls \a functor with the finished reply,
    \c {functor(const IpcReply &reply)}, while \a context lives. The reply deletes itself
    afterwards.

    \snippet ipcserver.cpp request
*/
// clang-format on

/*!
    \fn void IpcServer::listeningChanged(bool listening)

    The server started (\a listening is \c true) or stopped listening.

    \sa listening
*/

/*!
    \fn void IpcServer::clientCountChanged()

    A client connected or disconnected: \l clientCount and \l clientIds changed. Emitted
    right before clientConnected() and clientDisconnected().
*/

/*!
    \fn void IpcServer::clientConnected(const QString &clientId)

    The client \a clientId connected: it was admitted (it proved that it holds the token,
    if there is one), and the retained messages are on their way to it, ahead of anything
    sent from here on. Its id is a random (version 4)
    UUID, never sent over the wire.

    \sa clientDisconnected(), clientIds, peerCredentials()
*/

/*!
    \fn void IpcServer::clientDisconnected(const QString &clientId)

    The client \a clientId is gone, whatever the reason: it disconnected, was dropped, or
    the server closed. The requests it had not answered finish with \c DisconnectedError.

    \sa clientConnected()
*/

/*!
    \fn void IpcServer::socketAccessChanged()

    \l socketAccess changed.
*/

/*!
    \fn void IpcServer::slowClientPolicyChanged()

    \l slowClientPolicy changed.
*/

/*!
    \fn void IpcServer::maxClientsChanged()

    \l maxClients changed.
*/

/*!
    \fn void IpcServer::allowedUserIdsChanged()

    \l allowedUserIds changed.
*/

/*!
    \fn void IpcServer::handshakeTimeoutChanged()

    \l handshakeTimeout changed.
*/

/*!
    \fn void IpcServer::maxRetainedBytesChanged()

    \l maxRetainedBytes changed.
*/

/*!
    \fn void IpcServer::allowMonitorsChanged()

    \l allowMonitors changed.
*/

/*!
    \fn void IpcServer::retainedChanged()

    A retained message was set, replaced or cleared: \l retainedTopics, retained() and
    retainedBytes() may have changed.
*/
