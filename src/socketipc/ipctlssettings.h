#ifndef IPCTLSSETTINGS_H
#define IPCTLSSETTINGS_H

#include "socketipcglobal.h"

#include <QtCore/qobject.h>
#include <QtCore/qshareddata.h>
#include <QtNetwork/qsslconfiguration.h>

class IpcTlsSettingsPrivate;

// The TLS settings of an IpcServer or IpcClient (for "tls://" addresses), as one value:
// PEM files read when the server listens or the client connects, applied on top of a base
// QSslConfiguration. Whether a server requires client certificates (mutual TLS) follows the
// configuration's peerVerifyMode: QSslSocket::VerifyPeer requires one, signed by the CA, and
// anything else asks for none. A client always verifies the server, its host name included,
// whatever the mode. Implicitly shared; in QML a value type (ipcTlsSettings), so that
// "tls.caFile: ..." works as grouped properties do.
class SOCKETIPC_EXPORT IpcTlsSettings
{
    Q_GADGET
    // This end's certificate: the server's, or a client's for mutual TLS.
    Q_PROPERTY(QString certificateFile READ certificateFile WRITE setCertificateFile)
    Q_PROPERTY(QString privateKeyFile READ privateKeyFile WRITE setPrivateKeyFile)
    // The certificates to trust, instead of the system's.
    Q_PROPERTY(QString caFile READ caFile WRITE setCaFile)
    // Servers: peerVerifyMode is VerifyPeer. For QML, where QSslSocket's enum is not known.
    Q_PROPERTY(bool requireClientCertificate READ requireClientCertificate WRITE
                       setRequireClientCertificate)
public:
    IpcTlsSettings();
    IpcTlsSettings(const IpcTlsSettings &other);
    IpcTlsSettings(IpcTlsSettings &&other) noexcept;
    IpcTlsSettings &operator=(const IpcTlsSettings &other);
    IpcTlsSettings &operator=(IpcTlsSettings &&other) noexcept;
    ~IpcTlsSettings();

    void swap(IpcTlsSettings &other) noexcept { d.swap(other.d); }

    QString certificateFile() const;
    void setCertificateFile(const QString &path);
    QString privateKeyFile() const;
    void setPrivateKeyFile(const QString &path);
    QString caFile() const;
    void setCaFile(const QString &path);
    // The base the files are applied to; QSslConfiguration::defaultConfiguration() unless set.
    QSslConfiguration sslConfiguration() const;
    void setSslConfiguration(const QSslConfiguration &configuration);
    bool requireClientCertificate() const;
    // Sets the configuration's peerVerifyMode: VerifyPeer, or back to AutoVerifyPeer.
    void setRequireClientCertificate(bool require);

    friend SOCKETIPC_EXPORT bool operator==(const IpcTlsSettings &a, const IpcTlsSettings &b);
    friend bool operator!=(const IpcTlsSettings &a, const IpcTlsSettings &b) { return !(a == b); }

private:
    // Implicitly shared, so that a field can be added without breaking binary compatibility.
    QSharedDataPointer<IpcTlsSettingsPrivate> d;
};

Q_DECLARE_SHARED(IpcTlsSettings)
Q_DECLARE_METATYPE(IpcTlsSettings)

#endif  // IPCTLSSETTINGS_H
