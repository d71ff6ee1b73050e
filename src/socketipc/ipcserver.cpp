#include "ipcserver.h"
#include "ipcserver_p.h"

#include "codec/ipcframe_p.h"
#include "ipcauth_p.h"
#include "ipcproperty_p.h"
#include "transport/ipclocalpath_p.h"
#include "transport/ipcsocket_p.h"
#include "transport/ipctls_p.h"

#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qlockfile.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>
#include <QtCore/qvarlengtharray.h>
#include <QtCore/quuid.h>
#include <QtNetwork/qlocalserver.h>
#include <QtNetwork/qlocalsocket.h>
#include <QtNetwork/qsslserver.h>
#include <QtNetwork/qsslsocket.h>

#include <optional>

#include <unistd.h>

IpcServer::IpcServer(QObject *parent) : IpcEndpoint(*new IpcServerPrivate, parent) { }

IpcServer::~IpcServer()
{
    Q_D(IpcServer);
    // Silently: no signal may reach a half-destroyed object.
    const QList<IpcConnection *> connections = std::exchange(d->connections, {});
    d->connectionsById.clear();
    qDeleteAll(connections);
    qDeleteAll(std::exchange(d->unauthenticated, {}));
    delete d->server;  // closes, and removes the socket file
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
    Q_D(const IpcServer);
    return d->socketAccess;
}

void IpcServer::setSocketAccess(SocketAccess access)
{
    Q_D(IpcServer);
    assignAndNotify(this, d->socketAccess, access, &IpcServer::socketAccessChanged);
}

IpcServer::SlowClientPolicy IpcServer::slowClientPolicy() const
{
    Q_D(const IpcServer);
    return d->slowClientPolicy;
}

void IpcServer::setSlowClientPolicy(SlowClientPolicy policy)
{
    Q_D(IpcServer);
    assignAndNotify(this, d->slowClientPolicy, policy, &IpcServer::slowClientPolicyChanged);
}

int IpcServer::maxClients() const
{
    Q_D(const IpcServer);
    return d->maxClients;
}

void IpcServer::setMaxClients(int count)
{
    Q_D(IpcServer);
    count = qMax(0, count);
    assignAndNotify(this, d->maxClients, count, &IpcServer::maxClientsChanged);
}

QList<int> IpcServer::allowedUserIds() const
{
    Q_D(const IpcServer);
    return d->allowedUserIds;
}

void IpcServer::setAllowedUserIds(const QList<int> &uids)
{
    Q_D(IpcServer);
    if (d->allowedUserIds == uids)
        return;
    d->allowedUserIds = uids;
    emit allowedUserIdsChanged();
}

int IpcServer::handshakeTimeout() const
{
    Q_D(const IpcServer);
    return d->handshakeTimeout;
}

void IpcServer::setHandshakeTimeout(int msecs)
{
    Q_D(IpcServer);
    msecs = qMax(0, msecs);
    assignAndNotify(this, d->handshakeTimeout, msecs, &IpcServer::handshakeTimeoutChanged);
}

void IpcServer::setConnectionFilter(ConnectionFilter filter)
{
    Q_D(IpcServer);
    d->connectionFilter = std::move(filter);
}

QString IpcServer::listeningAddress() const
{
    Q_D(const IpcServer);
    return isListening() ? d->listeningAt.toString() : QString();
}

IpcPeerCredentials IpcServer::peerCredentials(const QString &clientId) const
{
    Q_D(const IpcServer);
    const IpcConnection *connection = d->connectionsById.value(clientId);
    return connection ? connection->peerCredentials() : IpcPeerCredentials();
}

bool IpcServer::listen(const QString &socketPath)
{
    Q_D(IpcServer);
    if (d->state == IpcServerPrivate::State::Listening) {
        qWarning("IpcServer::listen: already listening on %ls", qUtf16Printable(d->address));
        return false;
    }
    if (!socketPath.isEmpty())
        setSocketPath(socketPath);

    const IpcAddress where = IpcAddress::parse(d->address);
    if (!where.isValid()) {
        d->setError(IpcError::SocketError, QStringLiteral("cannot listen: %1").arg(where.error));
        return false;
    }
    if (!(where.isNetwork() ? d->listenNetwork(where) : d->listenLocal(where.path)))
        return false;
    d->state = IpcServerPrivate::State::Listening;
    emit listeningChanged(true);
    return true;
}

// Who holds the lock beside a socket path, for the error that says listen() waited for it.
static QString lockHolder(const QLockFile &lock, const QString &path)
{
    const QString lockPath = path + QLatin1String(".lock");
    qint64 pid = 0;
    QString host;
    QString application;
    QString holder = lock.getLockInfo(&pid, &host, &application)
            ? QStringLiteral("process %1 (%2)")
                      .arg(pid)
                      .arg(application.isEmpty() ? QStringLiteral("unnamed") : application)
            : QStringLiteral("another process");
    const uint owner = QFileInfo(lockPath).ownerId();
    if (owner != uint(-2) && owner != ::getuid()) {
        return QStringLiteral("%1 of user %2 holds %3; in a directory other users can write to, "
                              "they can take the name first: use one of your own, such as "
                              "$XDG_RUNTIME_DIR")
                .arg(holder)
                .arg(owner)
                .arg(lockPath);
    }
    return QStringLiteral("%1 holds %2").arg(holder, lockPath);
}

bool IpcServerPrivate::listenLocal(const QString &path)
{
    Q_Q(IpcServer);
    const bool abstract = IpcLocalPath::isAbstract(path);
    // Probing and binding are two steps, and QLocalServer with socket options binds
    // elsewhere and renames onto the path, replacing what is there: two processes listening
    // at once could both "win". A lock beside the socket makes the two steps one. It is held
    // for the probe and the bind only, so a wait for it is short.
    std::optional<QLockFile> lock;
    if (!abstract) {
        lock.emplace(path + QLatin1String(".lock"));
        lock->setStaleLockTime(10000);
        if (!lock->tryLock(5000) && lock->error() == QLockFile::LockFailedError) {
            setError(IpcError::SocketError,
                     QStringLiteral("cannot listen on %1: %2").arg(path, lockHolder(*lock, path)));
            return false;
        }
        // Other failures (a directory that cannot take the lock file) are left to listen().
    }
    QString why;
    switch (abstract ? IpcLocalPath::Probe::Absent : IpcLocalPath::probe(path, &why)) {
    case IpcLocalPath::Probe::Absent: break;
    case IpcLocalPath::Probe::Live:
        setError(IpcError::AddressInUseError,
                 QStringLiteral("cannot listen: a server is already listening on %1").arg(path));
        return false;
    case IpcLocalPath::Probe::Stale:
        // Left behind by a server that died: take it over.
        if (!QFile::remove(path) && QFile::exists(path)) {
            setError(IpcError::SocketError,
                     QStringLiteral("cannot remove the stale socket file %1").arg(path));
            return false;
        }
        break;
    case IpcLocalPath::Probe::NotASocket:
        setError(IpcError::AddressInUseError,
                 QStringLiteral("cannot listen: %1 exists and is not a socket").arg(path));
        return false;
    case IpcLocalPath::Probe::Failed:
        setError(IpcError::SocketError, QStringLiteral("cannot listen on %1: %2").arg(path, why));
        return false;
    }

    auto *local = new QLocalServer(q);
    using SocketAccess = IpcServer::SocketAccess;
    switch (socketAccess) {
    case SocketAccess::OwnerOnly: local->setSocketOptions(QLocalServer::UserAccessOption); break;
    case SocketAccess::OwnerAndGroup:
        local->setSocketOptions(QLocalServer::UserAccessOption | QLocalServer::GroupAccessOption);
        break;
    case SocketAccess::Everyone: local->setSocketOptions(QLocalServer::WorldAccessOption); break;
    }
    if (abstract)  // no file, so no permissions: only allowedUserIds can restrict who connects
        local->setSocketOptions(QLocalServer::AbstractNamespaceOption);
    local->setListenBacklogSize(128);
    // It never accepts itself (it would close for good, and unlink the file, when
    // descriptors run out): IpcLocalAcceptor does, below.
    local->setMaxPendingConnections(0);
    if (!local->listen(abstract ? path.mid(1) : path)) {
        const bool inUse = local->serverError() == QAbstractSocket::AddressInUseError;
        setError(inUse ? IpcError::AddressInUseError : IpcError::SocketError,
                 QStringLiteral("cannot listen on %1: %2").arg(path, local->errorString()));
        delete local;
        return false;
    }
    localAcceptor = new IpcLocalAcceptor(
            local->socketDescriptor(),
            [this, q](qintptr descriptor) {
                auto *socket = new QLocalSocket(q);
                socket->setSocketDescriptor(descriptor);
                acceptSocket(socket);
            },
            [this](const QString &description) { reportShortage(description); }, local);
    server = local;
    descriptorBudget = IpcDescriptors::toSpare();
    listeningAt = IpcAddress();
    listeningAt.path = path;
    socketFile = abstract ? IpcLocalPath::FileId() : IpcLocalPath::fileId(path);
    return true;
}

bool IpcServerPrivate::listenNetwork(const IpcAddress &where)
{
    Q_Q(IpcServer);
    QHostAddress host;
    if (where.host == QLatin1String("localhost")) {
        host = QHostAddress::LocalHost;
    } else if (!host.setAddress(where.host)) {
        setError(IpcError::SocketError,
                 QStringLiteral("cannot listen on %1: the host must be an IP address or "
                                "localhost")
                         .arg(where.toString()));
        return false;
    }
    QTcpServer *tcp = nullptr;
    if (where.kind == IpcAddress::Kind::Tls) {
        QSslConfiguration configuration;
        QString why;
        if (!IpcTls::serverConfiguration(tls, &configuration, &why)) {
            setError(IpcError::TlsError,
                     QStringLiteral("cannot listen on %1: %2").arg(where.toString(), why));
            return false;
        }
        auto *ssl = new QSslServer(q);
        ssl->setSslConfiguration(configuration);
        // Connections in the middle of a handshake count as pending: with Qt's default of
        // 30, thirty peers that never finish one stopped all accepting for the 5 s handshake
        // timeout. Room for many, and strangers that stall are dropped sooner.
        ssl->setMaxPendingConnections(IpcServerPrivate::MaxTlsHandshakes);
        ssl->setHandshakeTimeout(IpcServerPrivate::TlsHandshakeTimeout);
        auto handshakeFailed = [this](QSslSocket *socket, const QString &why) {
            setError(IpcError::TlsError,
                     QStringLiteral("TLS handshake with %1:%2 failed: %3")
                             .arg(socket->peerAddress().toString())
                             .arg(socket->peerPort())
                             .arg(why));
        };
        QObject::connect(ssl, &QSslServer::sslErrors, q,
                         [handshakeFailed](QSslSocket *socket, const QList<QSslError> &errors) {
                             handshakeFailed(socket, IpcTls::describe(errors));
                         });
        QObject::connect(ssl, &QSslServer::errorOccurred, q,
                         [handshakeFailed](QSslSocket *socket, QAbstractSocket::SocketError) {
                             handshakeFailed(socket, socket->errorString());
                         });
        tcp = ssl;
    } else {
        tcp = new QTcpServer(q);
    }
    tcp->setListenBacklogSize(128);
    if (!tcp->listen(host, where.port)) {
        const bool inUse = tcp->serverError() == QAbstractSocket::AddressInUseError;
        setError(inUse ? IpcError::AddressInUseError : IpcError::SocketError,
                 QStringLiteral("cannot listen on %1: %2")
                         .arg(where.toString(), tcp->errorString()));
        delete tcp;
        return false;
    }
    // For TLS, once the handshake is done.
    QObject::connect(tcp, &QTcpServer::pendingConnectionAvailable, q,
                     [this] { acceptConnections(); });
    // Out of descriptors, QTcpServer stops accepting for good: turn away what waits, say so
    // once, and try again in a moment.
    QObject::connect(tcp, &QTcpServer::acceptError, q, [this, tcp](QAbstractSocket::SocketError) {
        spareDescriptor.turnAway(tcp->socketDescriptor());
        if (!std::exchange(shortOfDescriptors, true))
            reportShortage(QStringLiteral("cannot accept (%1): connections are turned away "
                                          "until descriptors are free again")
                                   .arg(tcp->errorString()));
        QTimer::singleShot(IpcLocalAcceptor::PauseMsecs, tcp, [tcp] { tcp->resumeAccepting(); });
    });
    descriptorBudget = IpcDescriptors::toSpare();
    server = tcp;
    listeningAt = where;
    listeningAt.port = tcp->serverPort();
    return true;
}

QIODevice *IpcServerPrivate::nextPendingConnection()
{
    if (auto *local = qobject_cast<QLocalServer *>(server))
        return local->hasPendingConnections() ? local->nextPendingConnection() : nullptr;
    if (auto *tcp = qobject_cast<QTcpServer *>(server)) {
        QTcpSocket *socket = tcp->hasPendingConnections() ? tcp->nextPendingConnection() : nullptr;
        if (socket)  // frames are coalesced already: no Nagle delay on top
            socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        return socket;
    }
    return nullptr;
}

void IpcServer::close()
{
    Q_D(IpcServer);
    using State = IpcServerPrivate::State;
    if (d->state == State::Closed || d->state == State::Closing)
        return;
    const bool wasListening = d->state == State::Listening;
    d->state = State::Closing;
    if (d->server) {
        d->server->disconnect(this);
        delete std::exchange(d->localAcceptor, nullptr);
        if (auto *local = qobject_cast<QLocalServer *>(d->server)) {
            // Only our own socket file goes: one at the path since is another server's.
            IpcLocalPath::closeKeepingOthersFile(d->listeningAt.path, d->socketFile,
                                                 [local] { local->close(); });
        } else if (auto *tcp = qobject_cast<QTcpServer *>(d->server))
            tcp->close();
        d->server->deleteLater();
        d->server = nullptr;
    }
    d->listeningAt = IpcAddress();
    if (wasListening)
        emit listeningChanged(false);

    // Not clients yet: they just go (connectionClosed() takes each off the list).
    const QList<IpcConnection *> strangers = d->unauthenticated;
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

void IpcServerPrivate::acceptConnections()
{
    Q_Q(IpcServer);
    const QPointer<IpcServer> guard(q);
    while (QIODevice *socket = server ? nextPendingConnection() : nullptr) {
        shortOfDescriptors = false;
        acceptSocket(socket);
        if (!guard)
            return;
    }
}

void IpcServerPrivate::reportShortage(const QString &description)
{
    setError(IpcError::SocketError, QStringLiteral("%1: %2").arg(listeningAt.toString(), description));
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
        connection->send(IpcAuth::challenge(nonce), nullptr);
        return;
    }
    admit(connection);
}

void IpcServerPrivate::admit(IpcConnection *connection)
{
    Q_Q(IpcServer);
    const QString id = connection->id();
    connections.append(connection);
    connectionsById.insert(id, connection);
    const QPointer<IpcServer> guard(q);
    emit q->clientCountChanged();
    if (guard)
        emit q->clientConnected(id);
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
            nullptr);
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
    connection->send(IpcAuth::refusal(), nullptr);
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
    if (open >= descriptorBudget)
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
    if (state != State::Closing || !connections.isEmpty() || !unauthenticated.isEmpty())
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
