#ifndef IPCTLSSETTINGS_H
#define IPCTLSSETTINGS_H

#include "socketipcglobal.h"

#include <QtCore/qobject.h>
#include <QtCore/qshareddata.h>
#include <QtNetwork/qsslconfiguration.h>

class IpcTlsSettingsPrivate;

class SOCKETIPC_EXPORT IpcTlsSettings
{
    Q_GADGET
    Q_PROPERTY(QString certificateFile READ certificateFile WRITE setCertificateFile)
    Q_PROPERTY(QString privateKeyFile READ privateKeyFile WRITE setPrivateKeyFile)
    Q_PROPERTY(QString caFile READ caFile WRITE setCaFile)
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
    QSslConfiguration sslConfiguration() const;
    void setSslConfiguration(const QSslConfiguration &configuration);
    bool requireClientCertificate() const;
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
