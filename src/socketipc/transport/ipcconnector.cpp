#include "ipcconnector_p.h"

#include "ipclocalpath_p.h"
#include "ipcsocket_p.h"
#include "ipctls_p.h"

#include <QtNetwork/qlocalsocket.h>
#include <QtNetwork/qsslsocket.h>

#include <memory>

IpcConnector::IpcConnector(const IpcAddress &address, const IpcTlsSettings &tls, QObject *parent)
    : QObject(parent), m_address(address), m_tls(tls)
{ }

IpcConnector::~IpcConnector()
{
    abort();
}

void IpcConnector::abort()
{
    if (m_socket) {
        m_socket->disconnect(this);
        IpcSocket::abort(m_socket);
    }
}

QIODevice *IpcConnector::takeSocket()
{
    QIODevice *socket = std::exchange(m_socket, nullptr);
    if (socket) {
        socket->disconnect(this);
        socket->setParent(nullptr);
    }
    return socket;
}

void IpcConnector::start()
{
    switch (m_address.kind) {
    case IpcAddress::Kind::Local: watchLocal(); break;
    case IpcAddress::Kind::Tcp: watchTcp(); break;
    case IpcAddress::Kind::Tls: watchTls(); break;
    }
}

void IpcConnector::watchLocal()
{
    auto *socket = new QLocalSocket(this);
    m_socket = socket;
    connect(socket, &QLocalSocket::connected, this, &IpcConnector::connected);
    connect(socket, &QLocalSocket::errorOccurred, this, [this, socket] {
        emit failed(IpcSocket::connectFailure(socket, m_address), IpcError::NoServerError);
    });
    const bool abstract = IpcLocalPath::isAbstract(m_address.path);
    if (abstract)
        socket->setSocketOptions(QLocalSocket::AbstractNamespaceOption);
    // May report success or failure before it returns.
    socket->connectToServer(abstract ? m_address.path.mid(1) : m_address.path);
}

void IpcConnector::watchTcp()
{
    auto *socket = new QTcpSocket(this);
    m_socket = socket;
    connect(socket, &QTcpSocket::connected, this, [this, socket] {
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);  // frames are coalesced
        emit connected();
    });
    connect(socket, &QTcpSocket::errorOccurred, this, [this, socket] {
        emit failed(IpcSocket::connectFailure(socket, m_address), IpcError::NoServerError);
    });
    socket->connectToHost(m_address.host, m_address.port);
}

void IpcConnector::watchTls()
{
    QSslConfiguration configuration;
    QString why;
    if (!IpcTls::clientConfiguration(m_tls, &configuration, &why)) {
        emit failed(QStringLiteral("cannot connect to %1: %2").arg(m_address.toString(), why),
                    IpcError::TlsError);
        return;
    }
    auto *socket = new QSslSocket(this);
    m_socket = socket;
    socket->setSslConfiguration(configuration);
    // Connected once the server is verified, not before.
    connect(socket, &QSslSocket::encrypted, this, [this, socket] {
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        emit connected();
    });
    auto tlsErrors = std::make_shared<QString>();
    connect(socket, &QSslSocket::sslErrors, this,
            [tlsErrors](const QList<QSslError> &errors) { *tlsErrors = IpcTls::describe(errors); });
    connect(socket, &QSslSocket::errorOccurred, this, [this, socket, tlsErrors] {
        if (tlsErrors->isEmpty())
            emit failed(IpcSocket::connectFailure(socket, m_address), IpcError::NoServerError);
        else
            emit failed(QStringLiteral("cannot connect to %1: TLS: %2")
                                .arg(m_address.toString(), *tlsErrors),
                        IpcError::TlsError);
    });
    socket->connectToHostEncrypted(m_address.host, m_address.port);
}
