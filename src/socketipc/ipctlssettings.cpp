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

IpcTlsSettings::IpcTlsSettings() : d(defaults()) { }
IpcTlsSettings::IpcTlsSettings(const IpcTlsSettings &other) = default;
IpcTlsSettings::IpcTlsSettings(IpcTlsSettings &&other) noexcept = default;
IpcTlsSettings &IpcTlsSettings::operator=(const IpcTlsSettings &other) = default;
IpcTlsSettings &IpcTlsSettings::operator=(IpcTlsSettings &&other) noexcept = default;
IpcTlsSettings::~IpcTlsSettings() = default;

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

QSslConfiguration IpcTlsSettings::sslConfiguration() const
{
    return d->configuration;
}

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

bool operator==(const IpcTlsSettings &a, const IpcTlsSettings &b)
{
    return a.d == b.d
            || (a.d->certificateFile == b.d->certificateFile
                && a.d->privateKeyFile == b.d->privateKeyFile && a.d->caFile == b.d->caFile
                && a.d->configuration == b.d->configuration);
}
