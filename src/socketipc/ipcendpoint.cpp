#include "ipcendpoint.h"
#include "ipcendpoint_p.h"

#include "ipcproperty_p.h"
#include "transport/ipcaddress_p.h"

#include <QtCore/qpointer.h>

/*!
    \class IpcEndpoint
    \inmodule SocketIpc
    \inheaderfile SocketIpc/IpcEndpoint
    \brief The \l [CPP] {IpcEndpoint} class is the base of \l [CPP] {IpcServer} and IpcClient: what
    both ends of a
    connection have.

    An endpoint is either a server or a client. What the two have in common is declared
    once, here:

    \list
    \li where to listen or connect: \l address, and \l resolvedAddress, where it leads;
    \li the wire format: \l codecName (\l codec() in C++);
    \li limits: \l maxFrameSize, \l maxPendingBytes, \l closeTimeout and \l requestTimeout;
    \li security: \l tls for \c tls:// addresses and the shared secret \l authToken;
    \li receiving: messageReceived(), and per topic or pattern, topic() and on();
    \li answering the peer's requests: handle(), setRequestHandler(), removeHandler() and
        hasHandler();
    \li errors: errorOccurred(), with the last one kept in \l error and \l errorString;
    \li ending: close() and closed().
    \endlist

    \l [CPP] {IpcEndpoint} is abstract: close() is pure virtual and the constructor is protected.
    Code
    that needs no more than the above takes an \c {IpcEndpoint &} and works with a server and
    a client alike:

    \snippet ipcendpoint.cpp wire

    The caller then listens or connects:

    \snippet ipcendpoint.cpp wire-use

    Where the two ends differ (a default, a detail), the member's description says so. In
    QML, the types \l [CPP] {IpcServer} and \l [CPP] {IpcClient} both have everything described
    here.

    \section1 Asynchronous, in one thread

    Everything is asynchronous on the Qt event loop of the endpoint's thread: no call blocks
    and none waits; what happens afterwards (a connection, a message, a reply, an error)
    arrives as a signal. An endpoint and its topics live in one thread, like any QObject
    with sockets; it may be moved to a worker thread before use.

    \section1 Receiving messages

    Every message from a peer is emitted as messageReceived(topic, message, clientId), and
    then reaches the subscriptions of its topic: the \l [CPP] {IpcTopic} objects that topic()
    returns
    (or that were made for this endpoint), and the functors given to on(). A topic name with
    a \c * or \c # segment is a pattern, and receives the messages of every topic it
    matches. Messages between two endpoints arrive whole, and in the order they were sent.

    \snippet ipcendpoint.cpp topic

    \section1 Answering requests

    A peer may ask as well as tell: \l [CPP] {IpcClient::request()} asks the server,
    \l [CPP] {IpcServer::request()} asks one client. The peer answers with a handler set with
    handle(). Requests are not messages: they reach their handler only, never
    messageReceived() or the topics.

    \snippet ipcendpoint.cpp handle

    \section1 Errors

    Every error is emitted as errorOccurred(), with an \l [CPP] {IpcError::Error} value a program
    can switch on and a sentence that says what happened. A peer that sends a malformed
    frame (\c DecodeError) or one over \l maxFrameSize (\c FrameTooLargeError) is dropped,
    alone: the frames it sent before are delivered, and every other connection keeps
    working. A partial frame from a peer that disconnects is discarded.

    \b {See also} \l [CPP] {IpcServer}, \l [CPP] {IpcClient}, \l [CPP] {IpcTopic},
    \l [CPP] {IpcRequest}, \l [CPP] {IpcReply}, \l {Concepts} and
    \l {Messaging: Topics, Requests and Retained State}.
*/

/*!
    \variable IpcEndpoint::DefaultMaxFrameSize

    The default of \l maxFrameSize: 64 MiB (67108864 bytes), on a server and on a client.
*/

/*!
    \variable IpcEndpoint::DefaultRequestTimeout

    The default of \l requestTimeout: 30000 ms.
*/

/*!
    \variable IpcEndpoint::DefaultCloseTimeout

    The default of \l closeTimeout: 30000 ms.
*/

/*!
    \variable IpcEndpoint::d_ptr
    \internal
*/

/*!
    \property IpcEndpoint::address
    \brief the address a server listens on or a client connects to.

    One of:

    \list
    \li A service name, such as \c org.example.editor: no \c / (and none of the forms
        below). Server and client meet at a socket of this user and session, with no path
        to choose; \l resolvedAddress says where it is. A bare \c app.sock is a name too.
    \li A path to a local (Unix domain) socket, such as \c /run/user/1000/app.sock, or
        \c unix:PATH. A relative path (\c ./app.sock) resolves against the working
        directory, as the Node library resolves it (QLocalServer alone would put it in
        \c /tmp).
    \li \c @name, on Linux: a socket in the abstract namespace. It has no file, is gone with
        its process, and has no file permissions: use \l [CPP] {IpcServer::allowedUserIds} to keep
        other users out.
    \li \c tcp://HOST:PORT: TCP. An empty host (\c tcp://:7000) is \c 127.0.0.1: nothing
        is exposed to the network unless an interface is named (\c tcp://0.0.0.0:7000,
        \c {tcp://[::]:7000}). A server's host must be an IP address or \c localhost; a
        client's may be any name. Port 0 has the server pick a free port, which
        \l [CPP] {IpcServer::listeningAddress} then tells.
    \li \c tls://HOST:PORT: TLS over TCP, with the same host rules, and the certificates
        and keys of \l tls.
    \endlist

    Empty by default. A change takes effect at the next \l [CPP] {IpcServer::listen()} or at the
    client's next connect attempt. \l [CPP] {IpcServer::listen()} and
    \l [CPP] {IpcClient::connectToServer()} set
    it when they are given an address.

    \sa resolvedAddress, {Addresses, Service Names and Transports}
*/

/*!
    \property IpcEndpoint::resolvedAddress
    \brief the socket path or network address that \l address leads to now.

    The socket path that a service name or a relative path resolves to; a path or \c @name
    as it is; a \c tcp:// or \c tls:// address as written (an empty host as
    \c 127.0.0.1). Empty when \l address is not a usable address (it is empty, or the
    runtime directory is refused, say): \l [CPP] {IpcServer::listen()} or the client's connect
    attempt then says why, in \l errorString.

    A service name resolves to:

    \table
    \header
        \li Where the process runs
        \li The socket
    \row
        \li \c XDG_RUNTIME_DIR set (every systemd login session)
        \li \c {$XDG_RUNTIME_DIR/NAME} (\c /run/user/1000/org.example.editor)
    \row
        \li inside Flatpak (\c FLATPAK_ID set)
        \li \c {$XDG_RUNTIME_DIR/app/$FLATPAK_ID/NAME}, the application's directory, which
            the host sees at the same path: a client outside the sandbox connects to that
            path
    \row
        \li neither
        \li \c {TMPDIR/socketipc-UID/NAME} (\c /tmp/socketipc-1000/org.example.editor), a
            directory created with mode 0700
    \endtable

    A directory SocketIpc picks itself (the last two) is checked before use, by the server
    and the client alike: one that is a symbolic link, belongs to another user, or is open
    to the group or others is refused with an error saying so, since whoever made it could
    take the name first or read what is sent. A socket path holds at most 107 bytes (the
    system's \c sun_path): a longer one, a service name's resolved path included, is an
    error naming the limit, never a truncated path.

    A server started by systemd with a socket for a service name (socket activation) listens
    on that socket, wherever the unit put it; see \l [CPP] {IpcServer::listen()}.

    The notifier is addressChanged(); a change of the environment is not notified.

    \sa {Addresses, Service Names and Transports}
*/

/*!
    \property IpcEndpoint::socketPath
    \deprecated Use \l address instead.

    The name \l address had before service names and network addresses came; it reads and
    writes \l address. It will be removed in version 1.0.
*/

/*!
    \fn QString IpcEndpoint::socketPath() const
    \deprecated Use address() instead. It will be removed in version 1.0.

    Returns \l address.
*/

/*!
    \fn void IpcEndpoint::setSocketPath(const QString &path)
    \deprecated Use setAddress() instead. It will be removed in version 1.0.

    Sets \l address to \a path.
*/

/*!
    \property IpcEndpoint::maxFrameSize
    \brief the largest frame, in bytes, accepted from a peer.

    A larger frame is a \c FrameTooLargeError, reported as soon as what was read of it
    passes the limit (without waiting for the end of the frame), and that one connection is
    dropped. A peer that never sends a delimiter therefore cannot make this end buffer more
    than this. Decoding a frame costs at most about 32 times its size in memory (a JSON
    array of one-digit numbers; ordinary text costs about twice its size).

    The default is DefaultMaxFrameSize, 64 MiB; a value below 1 is taken as 1. A change
    applies to the open connections too.

    On a server that has an \l authToken, a connection's first frame (the token) may be no
    larger than \l [CPP] {IpcServer::MaxAuthenticationFrameSize}, whatever this says.

    \sa maxPendingBytes, {Security}
*/

/*!
    \property IpcEndpoint::maxPendingBytes
    \brief the number of bytes that may wait for a peer that does not read; 0 for no
    limit.

    A peer that stops reading cannot make this end hold more than this for it (a
    high-water mark, as in ZeroMQ). What happens when a message would take it past the limit
    depends on the end:

    \list
    \li IpcServer: the limit is per client, \l [CPP] {IpcServer::DefaultMaxPendingBytes} (32 MiB) by
        default. Beyond it, \l [CPP] {IpcServer::slowClientPolicy} applies to that client, and
        errorOccurred() reports a \c WriteBufferFullError naming it; the other clients are
        not slowed. A message larger than the limit still goes to a client that keeps up
        (nothing of it left unwritten in the kernel's socket buffer, whatever was sent in
        the same turn of the event loop). Over TLS, what waits encrypted counts too.
    \li IpcClient: \l [CPP] {IpcClient::DefaultMaxPendingBytes} (128 MiB) by default: it has one
    peer,
        and a tight loop of \l [CPP] {IpcClient::send()} is what fills it. Beyond it, that send()
        fails with \c WriteBufferFullError and the connection stays.
    \endlist

    A negative value is taken as 0. A change applies to the open connections too.

    \b {See also} \l [CPP] {IpcServer::slowClientPolicy}, \l [CPP] {IpcStatistics::pendingBytes}
    and \l {Security}.
*/

/*!
    \property IpcEndpoint::closeTimeout
    \brief the time, in milliseconds, that close() waits for peers to take what was sent
    to them.

    close() ends each connection once its pending output is written. A peer that has not
    taken it all within this time is dropped, with a \c WriteBufferFullError for each such
    connection that says how many bytes were left unsent; closed() follows.

    The default is DefaultCloseTimeout, 30000 ms; 0 waits as long as it takes. A negative
    value is taken as 0. A change applies to the next close().
*/

/*!
    \property IpcEndpoint::codecName
    \brief the wire format of the connections made afterwards.

    \c "json" (the default, and the only format the Node library speaks), \c "cbor", or the
    name of a codec registered with \l [CPP] {IpcCodec::registerCodec()}. CBOR carries a QByteArray
    as
    bytes (the JSON codec refuses it rather than inflate it into base64), and NaN and the
    infinities.

    Setting a name that no codec has changes nothing and prints a warning. The codec applies
    to the connections a server accepts afterwards, and to a client's next connection; those
    open keep theirs. Both ends must agree: otherwise the receiver reports a \c DecodeError
    (or \c FrameTooLargeError) and drops the connection. A client of the wrong codec finds
    out on the server's greeting, as a failed connect attempt that it retries: it never
    emits \l [CPP] {IpcClient::}{connected()}.

    The notifier is codecChanged(), whether the codec was set by name or with setCodec().

    \snippet ipcendpoint.cpp codec

    \b {See also} \l {codec()} and \l [CPP] {IpcCodec}.
*/

/*!
    \property IpcEndpoint::requestTimeout
    \brief the time, in milliseconds, that a request waits for its reply.

    A request that has no reply after this time finishes with a \c TimeoutError, and the
    handler's side sees it cancelled (\l [CPP] {IpcRequest::isCancelled()}). It is the timeout of
    \l [CPP] {IpcClient::request()} and \l [CPP] {IpcServer::request()} calls whose \c timeoutMsecs
    is -1 (the
    default); a call may give its own.

    The default is DefaultRequestTimeout, 30000 ms; 0 for no limit. A negative value is taken
    as 0. A change applies to the requests made afterwards.

    \b {See also} \l [CPP] {IpcReply}.
*/

/*!
    \property IpcEndpoint::tls
    \brief the TLS settings, for \c tls:// addresses.

    The certificate, private key and CA files, and the base configuration they are applied
    to, as one value (see \l [CPP] {IpcTlsSettings}). A server needs a certificate and its key; a
    client verifies the server's certificate against the system's CAs, or against
    \l [CPP] {IpcTlsSettings::caFile} when set, and may present a certificate of its own for mutual
    TLS. The files are read when the server listens or the client connects.

    Like any value, tls() returns a copy: change it and set it back with setTls(). Ignored
    for local sockets and \c tcp:// addresses.

    \sa {Security}
*/

/*!
    \property IpcEndpoint::authToken
    \brief the shared secret that both ends must hold; empty (the default) for none.

    A server with a token requires every client to prove that it holds the same token; a
    client with a token proves it, and sends nothing before the server has proved that it
    holds it too. The token itself never travels: the server challenges, the client answers
    with a proof and checks the server's proof in return, before anything else.

    A client without a token that meets a server that requires one, or one with a token
    that the server refuses, gets a \c ClientRefusedError, as a failed connect attempt. A
    client with a token that meets a server without one fails the attempt too. On the
    server, a connection has 10 seconds to authenticate (unless
    \l [CPP] {IpcServer::handshakeTimeout}
    says otherwise), its first frame may be no larger than
    \l [CPP] {IpcServer::MaxAuthenticationFrameSize}, and wrong tokens from one peer (a user, or an
    address) are refused for longer each time: 100 ms after the first, doubling up to a
    minute.

    Setting a token shorter than 16 characters prints a warning: it is easy to guess; use
    at least 16 random ones. A change applies to the connections made afterwards.

    \snippet ipcendpoint.cpp token

    \sa {Security}
*/

/*!
    \property IpcEndpoint::error
    \brief the last error, as errorOccurred() reported it.

    \l [CPP] {IpcError::NoError} until an error occurs. It is not reset by later successes.

    \sa errorString
*/

/*!
    \property IpcEndpoint::errorString
    \brief the sentence that describes the last error, as errorOccurred() reported it.

    Empty until an error occurs.

    \sa error
*/

// QDoc needs each \fn on one line.
// clang-format off
/*!
    \fn template<typename Functor> QMetaObject::Connection IpcEndpoint::on(const QString &topicName, const QObject *context, Functor &&functor)

    Calls \a functor for each message on the topic \a topicName (or each message whose topic
    the pattern \a topicName matches), while \a context lives. \a functor takes
    \c {(const QVariant &message)}, \c {(const QVariant &message, const QString &clientId)}
    or \c {(const QVariant &message, const QString &clientId, const QString &topic)}:
    \c clientId names the sender on a server and is empty on a client; \c topic is the
    message's topic, which a pattern does not say.

    It is a connection to the \l [CPP] {IpcTopic::messageReceived()}{messageReceived()} signal of
    topic(\a topicName): QObject::disconnect() on the returned connection unsubscribes.

    \snippet ipcendpoint.cpp on

    \sa topic(), messageReceived()
*/
// clang-format on

// QDoc needs each \fn on one line.
// clang-format off
/*!
    \fn template<typename Handler> void IpcEndpoint::handle(const QString &topic, const QObject *context, Handler &&handler)

    Answers the peer's requests on \a topic with \a handler, while \a context lives (the
    handler is removed when \a context is destroyed). It replaces an earlier handler of
    \a topic. A server's handler answers its clients' \l [CPP] {IpcClient::request()}; a client's
    answers the server's \l [CPP] {IpcServer::request()}.

    \a handler is one of:

    \list
    \li \c {QVariant (const QVariant &message, const QString &clientId)}: returns the
        answer. \c clientId names the requesting client on a server, and is empty on a
        client.
    \li \c {QVariant (const QVariant &message)}: the same, without the client's id.
    \li \c {void (IpcRequest &request)}: answers with \l [CPP] {IpcRequest::reply()} or
        \l [CPP] {IpcRequest::fail()}, at once or later (keep a copy of \c request, a cheap handle),
        and may report progress with \l [CPP] {IpcRequest::sendProgress()}.
    \endlist

    The first two may return any type a QVariant holds; one that returns \c void answers
    \c null. A handler fails the request (the requester gets a \c HandlerError with the
    description) by throwing an exception, by returning \l [CPP] {IpcRequest::error}(description),
    by
    calling \l [CPP] {IpcRequest::fail()}, or by dropping the last copy of the request unanswered. A
    request on a topic without a handler fails with \c NoHandlerError.

    \snippet ipcendpoint.cpp handle
    \snippet ipcendpoint.cpp handle-later

    \b {See also} \l {setRequestHandler()}, \l {removeHandler()}, \l {hasHandler()} and
    \l [CPP] {IpcRequest}.
*/
// clang-format on

/*!
    \fn template<typename Handler> void IpcEndpoint::handle(const QString &topic, Handler &&handler)
    \overload

    Answers the peer's requests on \a topic with \a handler until it is removed or replaced.
*/

// "IpcServer" or "IpcClient" for warnings, also for a subclass (the QML types, say).
static const char *className(const IpcEndpoint *endpoint)
{
    const QMetaObject *meta = endpoint->metaObject();
    while (meta->superClass() && meta->superClass() != &IpcEndpoint::staticMetaObject)
        meta = meta->superClass();
    return meta->className();
}

IpcEndpointPrivate::IpcEndpointPrivate(qint64 defaultMaxPendingBytes)
    : maxPendingBytes(defaultMaxPendingBytes)
{
    topics.setReadCounter(&reading);
}

IpcEndpointPrivate::~IpcEndpointPrivate() = default;

void IpcEndpointPrivate::dispatch(IpcConnection *connection, const IpcCodec::Frame &frame,
                                  const QString &clientId)
{
    if (frame.cancelId() > 0 && frame.replyTo <= 0 && frame.requestId <= 0) {
        requests.cancelHandling(connection, frame.cancelId());  // the library's, not a message
        return;
    }
    connection->countReceived();
    if (frame.replyTo > 0) {
        requests.deliverReply(connection, frame);
        return;
    }
    if (frame.requestId > 0) {
        requests.dispatch(connection, frame, clientId);
        return;
    }
    Q_Q(IpcEndpoint);
    if (topics.isEmpty()) {
        emit q->messageReceived(frame.topic, frame.message, clientId);
        return;
    }
    const QPointer<IpcEndpoint> guard(q);  // only worth its cost when there is more to do
    emit q->messageReceived(frame.topic, frame.message, clientId);
    if (guard)
        topics.deliver(frame.topic, frame.message, clientId);
}

void IpcEndpointPrivate::connectionReadEnded()
{
    --reading;
    // At the end of every read, nested ones included: a slot that runs a modal dialog's
    // event loop must not hold the outer read's notifications back until it returns.
    flushDeferred();
}

void IpcEndpointPrivate::defer(QObject *owner, IpcDeferredWork *work)
{
    if (reading == 0) {
        work->flushDeferred();
        return;
    }
    deferred.append({ owner, work });
}

void IpcEndpointPrivate::flushDeferred()
{
    const QPointer<IpcEndpoint> guard(q_ptr);  // a slot may delete the endpoint
    topics.flush();
    while (guard && !deferred.isEmpty()) {
        const auto work = std::exchange(deferred, {});
        for (const auto &[owner, what] : work) {
            if (owner)
                what->flushDeferred();
            if (!guard)
                return;
        }
    }
}

void IpcEndpointPrivate::setError(IpcError::Error code, const QString &description,
                                  const QString &clientId)
{
    Q_Q(IpcEndpoint);
    error = code;
    errorString = description;
    emit q->errorOccurred(code, description, clientId);
}

/*!
    Constructs an endpoint with the private part \a dd and the parent \a parent.

    \l [CPP] {IpcEndpoint} is not instantiable on its own: \l [CPP] {IpcServer} and
    \l [CPP] {IpcClient} call this
    constructor, each handing in its own private part, derived from \l [CPP] {IpcEndpoint}'s. The
    endpoint takes ownership of \a dd.
*/
IpcEndpoint::IpcEndpoint(IpcEndpointPrivate &dd, QObject *parent) : QObject(parent), d_ptr(&dd)
{
    d_ptr->q_ptr = this;
    d_ptr->requests.setOwner(this);
}

/*!
    Destroys the endpoint, its connections and its topics, without emitting signals. To have
    what is pending written first, call close() and wait for closed().
*/
IpcEndpoint::~IpcEndpoint()
{
    // Released first, so that the topics, which are children and outlive this, find no
    // registry to reach back into (IpcTopicRegistry::of()).
    delete d_ptr.release();
}

QString IpcEndpoint::address() const
{
    return d_func()->address;
}

QString IpcEndpoint::resolvedAddress() const
{
    const IpcAddress where = IpcAddress::parse(d_func()->address);
    return where.isValid() ? where.toString() : QString();
}

void IpcEndpoint::setAddress(const QString &address)
{
    assignAndNotify(this, d_func()->address, address, &IpcEndpoint::addressChanged);
}

qint64 IpcEndpoint::maxFrameSize() const
{
    return d_func()->maxFrameSize;
}

void IpcEndpoint::setMaxFrameSize(qint64 bytes)
{
    Q_D(IpcEndpoint);
    bytes = qMax<qint64>(bytes, 1);
    if (d->maxFrameSize == bytes)
        return;
    d->maxFrameSize = bytes;
    for (IpcConnection *connection : d->openConnections())
        connection->setMaxFrameSize(bytes);
    emit maxFrameSizeChanged();
}

qint64 IpcEndpoint::maxPendingBytes() const
{
    return d_func()->maxPendingBytes;
}

void IpcEndpoint::setMaxPendingBytes(qint64 bytes)
{
    Q_D(IpcEndpoint);
    bytes = qMax<qint64>(bytes, 0);
    if (d->maxPendingBytes == bytes)
        return;
    d->maxPendingBytes = bytes;
    for (IpcConnection *connection : d->openConnections())
        connection->setMaxPendingBytes(bytes);
    emit maxPendingBytesChanged();
}

int IpcEndpoint::closeTimeout() const
{
    return d_func()->closeTimeout;
}

void IpcEndpoint::setCloseTimeout(int msecs)
{
    assignAndNotify(this, d_func()->closeTimeout, qMax(0, msecs),
                    &IpcEndpoint::closeTimeoutChanged);
}

/*!
    Returns the codec of the connections made afterwards: \l [CPP] {IpcCodec::json()} by default.

    \sa setCodec(), codecName
*/
std::shared_ptr<const IpcCodec> IpcEndpoint::codec() const
{
    return d_func()->codec;
}

/*!
    Sets the codec of the connections made afterwards to \a codec; a null pointer sets
    \l [CPP] {IpcCodec::json()}. Emits codecChanged() when it changes. The connections that are open
    keep their codec.

    \b {See also} \l {codec()}, \l {codecName} and \l [CPP] {IpcCodec::registerCodec()}.
*/
void IpcEndpoint::setCodec(std::shared_ptr<const IpcCodec> codec)
{
    Q_D(IpcEndpoint);
    if (!codec)
        codec = IpcCodec::json();
    if (d->codec == codec)
        return;
    d->codec = std::move(codec);
    emit codecChanged();
}

QString IpcEndpoint::codecName() const
{
    Q_D(const IpcEndpoint);
    return d->codec->name();
}

void IpcEndpoint::setCodecName(const QString &name)
{
    auto codec = IpcCodec::byName(name);
    if (!codec) {
        qWarning("%s::setCodecName: no codec named \"%ls\"", className(this),
                 qUtf16Printable(name));
        return;
    }
    setCodec(std::move(codec));
}

int IpcEndpoint::requestTimeout() const
{
    return d_func()->requestTimeout;
}

void IpcEndpoint::setRequestTimeout(int msecs)
{
    assignAndNotify(this, d_func()->requestTimeout, qMax(0, msecs),
                    &IpcEndpoint::requestTimeoutChanged);
}

IpcTlsSettings IpcEndpoint::tls() const
{
    return d_func()->tls;
}

void IpcEndpoint::setTls(const IpcTlsSettings &settings)
{
    assignAndNotify(this, d_func()->tls, settings, &IpcEndpoint::tlsChanged);
}

QString IpcEndpoint::authToken() const
{
    return d_func()->authToken;
}

void IpcEndpoint::setAuthToken(const QString &token)
{
    Q_D(IpcEndpoint);
    if (!token.isEmpty() && token.size() < IpcEndpointPrivate::MinTokenLength)
        qWarning("%s::setAuthToken: a token of %d characters is easy to guess; use at least %d "
                 "random ones",
                 className(this), int(token.size()), IpcEndpointPrivate::MinTokenLength);
    assignAndNotify(this, d->authToken, token, &IpcEndpoint::authTokenChanged);
}

IpcError::Error IpcEndpoint::error() const
{
    return d_func()->error;
}

QString IpcEndpoint::errorString() const
{
    return d_func()->errorString;
}

/*!
    Returns this endpoint's own subscription to the topic or pattern \a name: an
    \l [CPP] {IpcTopic},
    child of this endpoint, that receives its messages. It is the same object for the same
    name, until it is deleted; deleting it unsubscribes.

    Use its \l [CPP] {IpcTopic::messageReceived()}{messageReceived(message, clientId, topic)}
    signal, its properties (\l [CPP] {IpcTopic::}{lastMessage}, \l [CPP] {IpcTopic::}{count},
    \l [CPP] {IpcTopic::}{hasValue}), or on(). Several \l [CPP] {IpcTopic} objects may share a name:
    create
    more with \c {new IpcTopic(name, endpoint, parent)}.

    \snippet ipcendpoint.cpp topic

    \sa on(), messageReceived()
*/
IpcTopic *IpcEndpoint::topic(const QString &name)
{
    Q_D(IpcEndpoint);
    return d->topics.owned(name, this);
}

/*!
    Answers the peer's requests on \a topic with \a handler while \a context lives (for as
    long as the endpoint does when \a context is null), replacing an earlier handler of
    \a topic. It is handle() without a template: \a handler answers with
    \l [CPP] {IpcRequest::reply()} or \l [CPP] {IpcRequest::fail()}, now or later, and fails the
    request by
    throwing.

    \sa handle(), removeHandler()
*/
void IpcEndpoint::setRequestHandler(const QString &topic, const QObject *context,
                                    std::function<void(IpcRequest &)> handler)
{
    Q_D(IpcEndpoint);
    d->requests.setHandler(topic, context, std::move(handler));
}

/*!
    Removes the handler of \a topic: requests on it fail with \c NoHandlerError from now
    on. Nothing happens if there is none.

    \sa handle(), hasHandler()
*/
void IpcEndpoint::removeHandler(const QString &topic)
{
    Q_D(IpcEndpoint);
    d->requests.removeHandler(topic);
}

/*!
    Returns whether requests on \a topic have a handler.

    \sa handle(), removeHandler()
*/
bool IpcEndpoint::hasHandler(const QString &topic) const
{
    Q_D(const IpcEndpoint);
    return d->requests.hasHandler(topic);
}

/*!
    \fn void IpcEndpoint::close()

    Stops listening or connecting, and ends the connections once their pending output is
    written (or after \l closeTimeout for a peer that does not read); closed() follows. A
    message sent right before close() is still delivered: over TCP and TLS, this end closes
    its direction first, so that the peer reads everything.

    Pure virtual: \l [CPP] {IpcServer::close()} and \l [CPP] {IpcClient::close()} say what each
    does.

    \sa closed()
*/

// QDoc needs each \fn on one line.
// clang-format off
/*!
    \fn void IpcEndpoint::messageReceived(const QString &topic, const QVariant &message, const QString &clientId)

    A peer sent \a message on \a topic. On a server, \a clientId names the sending client;
    on a client it is empty. A slot may take the first two arguments only.

    Every message is emitted here first, then reaches the subscriptions of its topic
    (topic(), on()). Requests and replies are not messages, and neither are the library's
    own frames (its greeting, the token handshake).

    \a message holds a JSON value (with the JSON codec): a QVariantMap for an object, a
    QVariantList for an array, a QString, a \c qlonglong for an integer (a \c double when it
    has a fraction or is beyond 64 bits), a \c bool, \c {QVariant::fromValue(nullptr)} for
    \c null, and an invalid QVariant when a Node peer sent \c undefined (no \c message key).

    \sa {Messaging: Topics, Requests and Retained State}
*/
// clang-format on

// QDoc needs each \fn on one line.
// clang-format off
/*!
    \fn void IpcEndpoint::errorOccurred(IpcError::Error error, const QString &description, const QString &clientId)

    An error occurred: \a error says which, \a description says what happened in a sentence.
    Both are kept in \l error and \l errorString.

    On a server, \a clientId names the connection concerned, and is empty when the error is
    the server's own (it cannot listen, say). On a client it is always empty, and failed
    connect attempts are reported once per outage (the first one: \c NoServerError, or
    \c TlsError, \c SocketError or \c ClientRefusedError; again when the kind of failure
    changes), not at every retry: \l [CPP] {IpcClient::connectError()} reports every attempt.

    \sa {Errors and Behaviour}
*/
// clang-format on

/*!
    \fn void IpcEndpoint::closed()

    close() has finished: on a server once listening has stopped and every connection has
    ended; on a client once its connection has ended. Emitted before close() returns when no
    connection was open.
*/

/*!
    \fn void IpcEndpoint::addressChanged()

    \l address changed; \l resolvedAddress and \l socketPath may have changed with it.
*/

/*!
    \fn void IpcEndpoint::maxFrameSizeChanged()

    \l maxFrameSize changed.
*/

/*!
    \fn void IpcEndpoint::maxPendingBytesChanged()

    \l maxPendingBytes changed.
*/

/*!
    \fn void IpcEndpoint::closeTimeoutChanged()

    \l closeTimeout changed.
*/

/*!
    \fn void IpcEndpoint::codecChanged()

    The codec changed, set by name (\l codecName) or with setCodec().
*/

/*!
    \fn void IpcEndpoint::requestTimeoutChanged()

    \l requestTimeout changed.
*/

/*!
    \fn void IpcEndpoint::tlsChanged()

    \l tls changed: setTls() was given a value that differs from the one before.
*/

/*!
    \fn void IpcEndpoint::authTokenChanged()

    \l authToken changed.
*/
