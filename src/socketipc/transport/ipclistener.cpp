#include "ipclistener_p.h"

#include "ipcacceptor_p.h"
#include "ipcactivation_p.h"
#include "ipclocalpath_p.h"
#include "ipctls_p.h"

#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qlockfile.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qlocalserver.h>
#include <QtNetwork/qlocalsocket.h>
#include <QtNetwork/qsslserver.h>
#include <QtNetwork/qsslsocket.h>

#include <optional>

#include <unistd.h>

namespace {

// Who holds the lock beside a socket path, for the error that says listen() could not take it.
QString lockHolder(const QLockFile &lock, const QString &path)
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
    return QStringLiteral("%1 holds %2: it is starting a server there").arg(holder, lockPath);
}

// A Unix domain socket, at a path (with a file) or an abstract name ("@name", Linux).
class IpcLocalListener final : public IpcListener
{
public:
    explicit IpcLocalListener(QObject *parent) : IpcListener(parent) { }
    ~IpcLocalListener() override
    {
        delete std::exchange(m_acceptor, nullptr);
        if (m_inherited >= 0)
            ::close(m_inherited);
    }

    bool listen(const IpcAddress &where, IpcServer::SocketAccess access, IpcError::Error *error,
                QString *why);
    void close() override;

private:
    void accept(qintptr listener);

    QLocalServer *m_server = nullptr;
    IpcLocalAcceptor *m_acceptor = nullptr;
    int m_inherited = -1;  // a socket the service manager listens on for us (socket activation)
    IpcLocalPath::FileId m_socketFile;  // the socket file listen() made, to remove only that one
};

bool IpcLocalListener::listen(const IpcAddress &where, IpcServer::SocketAccess access,
                              IpcError::Error *error, QString *why)
{
    const QString &path = where.path;
    // Started by systemd (or systemd-socket-activate) with a socket for this address: it is
    // ours to accept on, as it is (its file and permissions are the service manager's).
    QString boundPath;
    m_inherited = IpcActivation::takeLocal(path, where.name, &boundPath);
    if (m_inherited >= 0) {
        accept(m_inherited);
        m_address.path = boundPath;
        return true;
    }

    const bool abstract = IpcLocalPath::isAbstract(path);
    // Probing and binding are two steps, and QLocalServer with socket options binds
    // elsewhere and renames onto the path, replacing what is there: two processes listening
    // at once could both "win". A lock beside the socket makes the two steps one. It is held
    // for the probe and the bind only, and never waited for: a process holding it is about
    // to listen there, so the address is in use.
    std::optional<QLockFile> lock;
    if (!abstract) {
        lock.emplace(path + QLatin1String(".lock"));
        lock->setStaleLockTime(10000);
        if (!lock->tryLock(0) && lock->error() == QLockFile::LockFailedError) {
            *error = IpcError::AddressInUseError;
            *why = QStringLiteral("cannot listen on %1: %2").arg(path, lockHolder(*lock, path));
            return false;
        }
        // Other failures (a directory that cannot take the lock file) are left to listen().
    }
    QString probeError;
    switch (abstract ? IpcLocalPath::Probe::Absent : IpcLocalPath::probe(path, &probeError)) {
    case IpcLocalPath::Probe::Absent: break;
    case IpcLocalPath::Probe::Live:
        *error = IpcError::AddressInUseError;
        *why = QStringLiteral("cannot listen: a server is already listening on %1").arg(path);
        return false;
    case IpcLocalPath::Probe::Stale:
        // Left behind by a server that died: take it over.
        if (!QFile::remove(path) && QFile::exists(path)) {
            *error = IpcError::SocketError;
            *why = QStringLiteral("cannot remove the stale socket file %1").arg(path);
            return false;
        }
        break;
    case IpcLocalPath::Probe::NotASocket:
        *error = IpcError::AddressInUseError;
        *why = QStringLiteral("cannot listen: %1 exists and is not a socket").arg(path);
        return false;
    case IpcLocalPath::Probe::Failed:
        *error = IpcError::SocketError;
        *why = QStringLiteral("cannot listen on %1: %2").arg(path, probeError);
        return false;
    }

    m_server = new QLocalServer(this);
    using SocketAccess = IpcServer::SocketAccess;
    switch (access) {
    case SocketAccess::OwnerOnly: m_server->setSocketOptions(QLocalServer::UserAccessOption); break;
    case SocketAccess::OwnerAndGroup:
        m_server->setSocketOptions(QLocalServer::UserAccessOption
                                   | QLocalServer::GroupAccessOption);
        break;
    case SocketAccess::Everyone: m_server->setSocketOptions(QLocalServer::WorldAccessOption); break;
    }
    if (abstract)  // no file, so no permissions: only allowedUserIds can restrict who connects
        m_server->setSocketOptions(QLocalServer::AbstractNamespaceOption);
    m_server->setListenBacklogSize(128);
    // It never accepts itself (it would close for good, and unlink the file, when
    // descriptors run out): IpcLocalAcceptor does, below.
    m_server->setMaxPendingConnections(0);
    if (!m_server->listen(abstract ? path.mid(1) : path)) {
        const bool inUse = m_server->serverError() == QAbstractSocket::AddressInUseError;
        *error = inUse ? IpcError::AddressInUseError : IpcError::SocketError;
        *why = QStringLiteral("cannot listen on %1: %2").arg(path, m_server->errorString());
        return false;
    }
    accept(m_server->socketDescriptor());
    m_address.path = path;
    m_socketFile = abstract ? IpcLocalPath::FileId() : IpcLocalPath::fileId(path);
    return true;
}

void IpcLocalListener::accept(qintptr listener)
{
    m_acceptor = new IpcLocalAcceptor(
            listener,
            [this](qintptr descriptor) {
                auto *socket = new QLocalSocket(this);
                socket->setSocketDescriptor(descriptor);
                emit accepted(socket);
            },
            [this](const QString &description) {
                emit acceptFailed(IpcError::SocketError,
                                  QStringLiteral("%1: %2").arg(m_address.toString(), description));
            },
            this);
    m_descriptorBudget = IpcDescriptors::toSpare();
}

void IpcLocalListener::close()
{
    delete std::exchange(m_acceptor, nullptr);
    if (m_inherited >= 0) {
        // The service manager's socket file stays: it listens there again for the next start.
        ::close(std::exchange(m_inherited, -1));
        return;
    }
    if (!m_server)
        return;
    // Only our own socket file goes: one at the path since is another server's.
    QLocalServer *server = m_server;
    IpcLocalPath::closeKeepingOthersFile(m_address.path, m_socketFile,
                                         [server] { server->close(); });
}

// TCP, or TLS on top of it (QSslServer: connections come once their handshake is done).
class IpcTcpListener final : public IpcListener
{
public:
    // TLS handshakes that may be under way at once, and how long one may take.
    static constexpr int MaxTlsHandshakes = 256;
    static constexpr int TlsHandshakeTimeout = 3000;

    explicit IpcTcpListener(QObject *parent) : IpcListener(parent) { }

    bool listen(const IpcAddress &where, const IpcTlsSettings &tls, IpcError::Error *error,
                QString *why);
    void close() override
    {
        if (m_server)
            m_server->close();
    }

private:
    void acceptPending();
    QSslServer *newTlsServer(const QSslConfiguration &configuration);

    QTcpServer *m_server = nullptr;
    IpcSpareDescriptor m_spare;  // for shortages
    bool m_short = false;        // reported, not yet over
};

bool IpcTcpListener::listen(const IpcAddress &where, const IpcTlsSettings &tls,
                            IpcError::Error *error, QString *why)
{
    QHostAddress host;
    if (where.host == QLatin1String("localhost")) {
        host = QHostAddress::LocalHost;
    } else if (!host.setAddress(where.host)) {
        *error = IpcError::SocketError;
        *why = QStringLiteral("cannot listen on %1: the host must be an IP address or localhost")
                       .arg(where.toString());
        return false;
    }
    if (where.kind == IpcAddress::Kind::Tls) {
        QSslConfiguration configuration;
        QString tlsError;
        if (!IpcTls::serverConfiguration(tls, &configuration, &tlsError)) {
            *error = IpcError::TlsError;
            *why = QStringLiteral("cannot listen on %1: %2").arg(where.toString(), tlsError);
            return false;
        }
        m_server = newTlsServer(configuration);
    } else {
        m_server = new QTcpServer(this);
    }
    m_server->setListenBacklogSize(128);
    if (!m_server->listen(host, where.port)) {
        const bool inUse = m_server->serverError() == QAbstractSocket::AddressInUseError;
        *error = inUse ? IpcError::AddressInUseError : IpcError::SocketError;
        *why = QStringLiteral("cannot listen on %1: %2")
                       .arg(where.toString(), m_server->errorString());
        return false;
    }
    // For TLS, once the handshake is done.
    connect(m_server, &QTcpServer::pendingConnectionAvailable, this,
            &IpcTcpListener::acceptPending);
    // Out of descriptors, QTcpServer stops accepting for good: turn away what waits, say so
    // once, and try again in a moment.
    connect(m_server, &QTcpServer::acceptError, this, [this](QAbstractSocket::SocketError) {
        m_spare.turnAway(m_server->socketDescriptor());
        if (!std::exchange(m_short, true))
            emit acceptFailed(IpcError::SocketError,
                              QStringLiteral("%1: cannot accept (%2): connections are turned "
                                             "away until descriptors are free again")
                                      .arg(m_address.toString(), m_server->errorString()));
        QTimer::singleShot(IpcLocalAcceptor::PauseMsecs, m_server,
                           [server = m_server] { server->resumeAccepting(); });
    });
    m_descriptorBudget = IpcDescriptors::toSpare();
    m_address = where;
    m_address.port = m_server->serverPort();
    return true;
}

QSslServer *IpcTcpListener::newTlsServer(const QSslConfiguration &configuration)
{
    auto *ssl = new QSslServer(this);
    ssl->setSslConfiguration(configuration);
    // Connections in the middle of a handshake count as pending: with Qt's default of 30,
    // thirty peers that never finish one stopped all accepting for the 5 s handshake timeout.
    // Room for many, and strangers that stall are dropped sooner.
    ssl->setMaxPendingConnections(MaxTlsHandshakes);
    ssl->setHandshakeTimeout(TlsHandshakeTimeout);
    auto handshakeFailed = [this](QSslSocket *socket, const QString &why) {
        emit acceptFailed(IpcError::TlsError,
                          QStringLiteral("TLS handshake with %1:%2 failed: %3")
                                  .arg(socket->peerAddress().toString())
                                  .arg(socket->peerPort())
                                  .arg(why));
    };
    connect(ssl, &QSslServer::sslErrors, this,
            [handshakeFailed](QSslSocket *socket, const QList<QSslError> &errors) {
                handshakeFailed(socket, IpcTls::describe(errors));
            });
    connect(ssl, &QSslServer::errorOccurred, this,
            [handshakeFailed](QSslSocket *socket, QAbstractSocket::SocketError) {
                handshakeFailed(socket, socket->errorString());
            });
    return ssl;
}

void IpcTcpListener::acceptPending()
{
    const QPointer<IpcListener> guard(this);
    while (m_server && m_server->hasPendingConnections()) {
        QTcpSocket *socket = m_server->nextPendingConnection();
        if (!socket)
            return;
        m_short = false;
        // Frames are coalesced already: no Nagle delay on top.
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        socket->setParent(this);
        emit accepted(socket);
        if (!guard)
            return;
    }
}

}  // namespace

IpcListener::~IpcListener() = default;

IpcListener *IpcListener::listen(const IpcAddress &address, const Options &options, QObject *parent,
                                 IpcError::Error *error, QString *why)
{
    if (address.isNetwork()) {
        auto *tcp = new IpcTcpListener(parent);
        if (tcp->listen(address, options.tls, error, why))
            return tcp;
        delete tcp;
        return nullptr;
    }
    auto *local = new IpcLocalListener(parent);
    if (local->listen(address, options.access, error, why))
        return local;
    delete local;
    return nullptr;
}
