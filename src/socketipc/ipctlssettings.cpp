#include "ipctlssettings.h"

#include <QtNetwork/qsslsocket.h>

class IpcTlsSettingsPrivate : public QSharedData
{
public:
    QString certificateFile;
    QString privateKeyFile;
    QString caFile;
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
};

// One shared default, so that an endpoint without TLS allocates nothing for it.
static QSharedDataPointer<IpcTlsSettingsPrivate> &defaults()
{
    static QSharedDataPointer<IpcTlsSettingsPrivate> shared(new IpcTlsSettingsPrivate);
    return shared;
}

/*!
    \class IpcTlsSettings
    \inmodule SocketIpc
    \inheaderfile SocketIpc/IpcTlsSettings
    \brief The \l [CPP] {IpcTlsSettings} class holds the TLS settings of a server or a client.

    It is the value of an endpoint's \l [CPP] {IpcEndpoint::}{tls} property, used for \c tls://
    addresses: this end's certificate and private key, the CAs to trust, and whether a server
    requires client certificates, as PEM files read when the server listens or the client connects
    (each attempt), applied on top of a base
    \l {https://doc.qt.io/qt-6/qsslconfiguration.html}{QSslConfiguration}.

    It is one value, implicitly shared like QSslConfiguration: \l [CPP] {IpcEndpoint::}{tls()}
    returns a copy, \l [CPP] {IpcEndpoint::}{setTls()} sets one (\c tlsChanged()), and \c ==
    compares. Copy it out, change it, set it back:

    \snippet ipctlssettings.cpp client

    A server needs a certificate and its key; with requireClientCertificate also the CA that signs
    the clients' certificates:

    \snippet ipctlssettings.cpp server

    TLS verifies, always. A client checks the server's certificate against caFile (or the system's
    CAs) and the host name it connected to, whatever the configuration's \c peerVerifyMode: there is
    no switch to turn that off. An untrusted, expired or misnamed certificate ends the attempt with
    a \l [CPP] {IpcError::Error}{TlsError}, and the client retries. So do files that cannot be used
    (unreadable, not PEM, a certificate without its key), and then a server's
    \l [CPP] {IpcServer::}{listen()} fails.

    Unless the base configuration's ciphers were changed from the default, only suites with forward
    secrecy and authenticated encryption are used: TLS 1.3's, and TLS 1.2's with an ephemeral
    elliptic-curve key exchange and GCM or ChaCha20-Poly1305. A base whose ciphers were chosen is
    used as it is.

    \snippet ipctlssettings.cpp base

    In QML it is the value type \l [QML] {ipcTlsSettings}, set through grouped properties (\c
    {tls.caFile: "ca.crt"}); the base configuration is C++ only.

    \b {See also} \l [CPP] {IpcPeerCredentials::certificate()}, \l {Security} and
    \l {Addresses, Service Names and Transports}.
*/

/*!
    \property IpcTlsSettings::certificateFile
    \brief the PEM file of this end's certificate: the server's, or a client's for mutual TLS.

    The file may hold a chain, this end's certificate first. Needs privateKeyFile too. Empty (the
    default) for none: a server then needs a certificate in the base configuration.

    \sa privateKeyFile
*/

/*!
    \property IpcTlsSettings::privateKeyFile
    \brief the PEM file of the private key of certificateFile.

    An RSA or EC key, unencrypted. Needs certificateFile too. Empty by default.
*/

/*!
    \property IpcTlsSettings::caFile
    \brief the PEM file of the certificates to trust, instead of the system's.

    On a client, the CAs the server's certificate must be signed by; on a server that requires
    client certificates, the CAs theirs must be signed by. Empty (the default): the base
    configuration's CA certificates, the system's unless changed.
*/

/*!
    \property IpcTlsSettings::requireClientCertificate
    \brief whether a server requires every client to present a certificate signed by caFile (mutual
    TLS).

    True when sslConfiguration()'s \c peerVerifyMode is \c QSslSocket::VerifyPeer; setting it sets
    that mode (true) or \c QSslSocket::AutoVerifyPeer (false). False by default. A server with it
    set refuses the handshake of a client without such a certificate (\l
    [CPP] {IpcError::Error}{TlsError} on the server, naming the peer's address); it cannot listen
    without a CA to check them against (caFile, or CA certificates set in the base configuration).
    Anything else than \c VerifyPeer asks clients for no certificate.

    A client verifies the server whatever this says. For QML, where QSslSocket's enum is not known.

    \b {See also} \l [CPP] {IpcPeerCredentials::certificate()}.
*/

/*!
    Constructs the default settings: no files, and \c QSslConfiguration::defaultConfiguration() as
    the base. Allocates nothing.
*/
IpcTlsSettings::IpcTlsSettings() : d(defaults()) { }

/*!
    Constructs a copy of \a other.
*/
IpcTlsSettings::IpcTlsSettings(const IpcTlsSettings &other) = default;

/*!
    Move-constructs settings from \a other.
*/
IpcTlsSettings::IpcTlsSettings(IpcTlsSettings &&other) noexcept = default;

/*!
    Assigns \a other to these settings and returns a reference to them.
*/
IpcTlsSettings &IpcTlsSettings::operator=(const IpcTlsSettings &other) = default;

/*!
    Move-assigns \a other to these settings and returns a reference to them.
*/
IpcTlsSettings &IpcTlsSettings::operator=(IpcTlsSettings &&other) noexcept = default;

/*!
    Destroys the settings.
*/
IpcTlsSettings::~IpcTlsSettings() = default;

/*!
    \fn void IpcTlsSettings::swap(IpcTlsSettings &other)

    Swaps these settings with \a other. This operation is very fast and never fails.
*/

QString IpcTlsSettings::certificateFile() const
{
    return d->certificateFile;
}

void IpcTlsSettings::setCertificateFile(const QString &path)
{
    d->certificateFile = path;
}

QString IpcTlsSettings::privateKeyFile() const
{
    return d->privateKeyFile;
}

void IpcTlsSettings::setPrivateKeyFile(const QString &path)
{
    d->privateKeyFile = path;
}

QString IpcTlsSettings::caFile() const
{
    return d->caFile;
}

void IpcTlsSettings::setCaFile(const QString &path)
{
    d->caFile = path;
}

/*!
    Returns the base configuration the files apply to (ciphers, protocols, and so on):
    \c QSslConfiguration::defaultConfiguration() unless set. C++ only.

    \sa setSslConfiguration()
*/
QSslConfiguration IpcTlsSettings::sslConfiguration() const
{
    return d->configuration;
}

/*!
    Sets the base \a configuration the files apply to. Its \c peerVerifyMode is
    requireClientCertificate; a client verifies the server whatever it says.

    \snippet ipctlssettings.cpp base

    \sa sslConfiguration()
*/
void IpcTlsSettings::setSslConfiguration(const QSslConfiguration &configuration)
{
    d->configuration = configuration;
}

bool IpcTlsSettings::requireClientCertificate() const
{
    return d->configuration.peerVerifyMode() == QSslSocket::VerifyPeer;
}

void IpcTlsSettings::setRequireClientCertificate(bool require)
{
    d->configuration.setPeerVerifyMode(require ? QSslSocket::VerifyPeer
                                               : QSslSocket::AutoVerifyPeer);
}

/*!
    \fn bool IpcTlsSettings::operator==(const IpcTlsSettings &a, const IpcTlsSettings &b)

    Returns whether \a a and \a b hold the same settings: the same files and an equal base
    configuration.
*/
bool operator==(const IpcTlsSettings &a, const IpcTlsSettings &b)
{
    return a.d == b.d
            || (a.d->certificateFile == b.d->certificateFile
                && a.d->privateKeyFile == b.d->privateKeyFile && a.d->caFile == b.d->caFile
                && a.d->configuration == b.d->configuration);
}

/*!
    \fn bool IpcTlsSettings::operator!=(const IpcTlsSettings &a, const IpcTlsSettings &b)

    Returns whether \a a and \a b hold different settings.
*/
