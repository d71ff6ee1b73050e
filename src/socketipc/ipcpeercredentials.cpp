#include "ipcpeercredentials.h"

class IpcPeerCredentialsPrivate : public QSharedData
{
public:
    qint64 pid = -1;
    qint64 uid = -1;
    qint64 gid = -1;
    QString address;
    int port = -1;
    QSslCertificate certificate;
};

// One shared "nothing known", so that an invalid value allocates nothing.
static QSharedDataPointer<IpcPeerCredentialsPrivate> &unknown()
{
    static QSharedDataPointer<IpcPeerCredentialsPrivate> shared(new IpcPeerCredentialsPrivate);
    return shared;
}

/*!
    \class IpcPeerCredentials
    \inmodule SocketIpc
    \inheaderfile SocketIpc/IpcPeerCredentials
    \brief The \l [CPP] {IpcPeerCredentials} class says who is on the other end of a connection.

    A server gives them for each client, with \l [CPP] {IpcServer::peerCredentials()}, and hands
    them to its connection filter (\l [CPP] {IpcServer::}{setConnectionFilter()}) before it accepts
    a connection. What they hold depends on the transport:

    \list
    \li On a local socket, the client process as the kernel saw it at connect time
        (\c SO_PEERCRED): pid(), uid() and gid(). address() is empty and port() is -1.
    \li Over TCP and TLS, the peer's address() and port(); over TLS also the certificate()
        it presented, null if none (with mutual TLS, see
        \l [CPP] {IpcTlsSettings::requireClientCertificate}).
        pid(), uid() and gid() are -1: the network does not say.
    \endlist

    When nothing is known (a default-constructed value, a client id the server does not know) the
    credentials are invalid: isValid() is false.

    \snippet ipcpeercredentials.cpp clientConnected
    \snippet ipcpeercredentials.cpp filter

    \l [CPP] {IpcPeerCredentials} is implicitly shared; copies are cheap. In QML it is the value
    type
    \l [QML] {ipcPeerCredentials}, whose properties are read-only; there the numbers are plain
    numbers (\c double, which holds every 32-bit pid, uid and gid exactly) and the certificate is
    known by its certificateCommonName.

    \sa {Security}
*/

/*!
    \property IpcPeerCredentials::pid
    \brief the peer's process id, on a local socket; -1 otherwise.

    A \c double for QML, which has no 64-bit integer type; pid() returns a \c qint64.
*/

/*!
    \property IpcPeerCredentials::uid
    \brief the peer process's user id, on a local socket; -1 otherwise.

    A \c double for QML; uid() returns a \c qint64.
*/

/*!
    \property IpcPeerCredentials::gid
    \brief the peer process's group id, on a local socket; -1 otherwise.

    A \c double for QML; gid() returns a \c qint64.
*/

/*!
    \property IpcPeerCredentials::address
    \brief the peer's network address, over TCP and TLS (\c "127.0.0.1"); empty on a local socket.
*/

/*!
    \property IpcPeerCredentials::port
    \brief the peer's port, over TCP and TLS; -1 on a local socket.
*/

/*!
    \property IpcPeerCredentials::certificateCommonName
    \brief the subject common name of the certificate the peer presented over TLS; empty if it
    presented none.

    Several common names are joined with commas. For QML, which cannot use the certificate itself;
    C++ has certificate().
*/

/*!
    \property IpcPeerCredentials::valid
    \brief whether anything is known about the peer: a process id or a network address.
*/

/*!
    Constructs invalid credentials: nothing is known. pid(), uid(), gid() and port() are -1,
    address() is empty and certificate() is null. Allocates nothing.
*/
IpcPeerCredentials::IpcPeerCredentials() : d(unknown()) { }

/*!
    Constructs the credentials of a process on a local socket: its \a pid, \a uid and \a gid.
*/
IpcPeerCredentials::IpcPeerCredentials(qint64 pid, qint64 uid, qint64 gid)
    : d(new IpcPeerCredentialsPrivate)
{
    d->pid = pid;
    d->uid = uid;
    d->gid = gid;
}

/*!
    Constructs the credentials of a network peer: its \a address and \a port, and the \a certificate
    it presented over TLS (null if none).
*/
IpcPeerCredentials::IpcPeerCredentials(const QString &address, int port,
                                       const QSslCertificate &certificate)
    : d(new IpcPeerCredentialsPrivate)
{
    d->address = address;
    d->port = port;
    d->certificate = certificate;
}

/*!
    Constructs a copy of \a other.
*/
IpcPeerCredentials::IpcPeerCredentials(const IpcPeerCredentials &other) = default;

/*!
    Move-constructs credentials from \a other.
*/
IpcPeerCredentials::IpcPeerCredentials(IpcPeerCredentials &&other) noexcept = default;

/*!
    Assigns \a other to these credentials and returns a reference to them.
*/
IpcPeerCredentials &IpcPeerCredentials::operator=(const IpcPeerCredentials &other) = default;

/*!
    Move-assigns \a other to these credentials and returns a reference to them.
*/
IpcPeerCredentials &IpcPeerCredentials::operator=(IpcPeerCredentials &&other) noexcept = default;

/*!
    Destroys the credentials.
*/
IpcPeerCredentials::~IpcPeerCredentials() = default;

/*!
    \fn void IpcPeerCredentials::swap(IpcPeerCredentials &other)

    Swaps these credentials with \a other. This operation is very fast and never fails.
*/

/*!
    Returns the peer's process id on a local socket, as the kernel saw it at connect time; -1 over
    TCP and TLS, and when nothing is known.
*/
qint64 IpcPeerCredentials::pid() const
{
    return d->pid;
}

/*!
    Returns the peer process's user id on a local socket, as the kernel saw it at connect time; -1
    over TCP and TLS, and when nothing is known.
*/
qint64 IpcPeerCredentials::uid() const
{
    return d->uid;
}

/*!
    Returns the peer process's group id on a local socket, as the kernel saw it at connect time; -1
    over TCP and TLS, and when nothing is known.
*/
qint64 IpcPeerCredentials::gid() const
{
    return d->gid;
}

QString IpcPeerCredentials::address() const
{
    return d->address;
}

int IpcPeerCredentials::port() const
{
    return d->port;
}

/*!
    Returns the certificate the peer presented over TLS; null if it presented none, and on other
    transports. A client presents one for mutual TLS (\l [CPP]
    {IpcTlsSettings::requireClientCertificate}).

    \sa certificateCommonName()
*/
QSslCertificate IpcPeerCredentials::certificate() const
{
    return d->certificate;
}

QString IpcPeerCredentials::certificateCommonName() const
{
    return d->certificate.subjectInfo(QSslCertificate::CommonName).join(QLatin1Char(','));
}

bool IpcPeerCredentials::isValid() const
{
    return d->pid >= 0 || !d->address.isEmpty();
}

// QDoc needs each \fn on one line.
// clang-format off
/*!
    \fn bool IpcPeerCredentials::operator==(const IpcPeerCredentials &a, const IpcPeerCredentials &b)

    Returns whether \a a and \a b hold the same credentials: the same process ids, address, port and
    certificate.
*/
// clang-format on
bool operator==(const IpcPeerCredentials &a, const IpcPeerCredentials &b)
{
    return a.d == b.d
            || (a.d->pid == b.d->pid && a.d->uid == b.d->uid && a.d->gid == b.d->gid
                && a.d->address == b.d->address && a.d->port == b.d->port
                && a.d->certificate == b.d->certificate);
}

// QDoc needs each \fn on one line.
// clang-format off
/*!
    \fn bool IpcPeerCredentials::operator!=(const IpcPeerCredentials &a, const IpcPeerCredentials &b)

    Returns whether \a a and \a b hold different credentials.
*/
// clang-format on
