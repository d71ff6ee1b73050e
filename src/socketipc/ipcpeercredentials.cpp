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

IpcPeerCredentials::IpcPeerCredentials() : d(unknown()) { }

IpcPeerCredentials::IpcPeerCredentials(qint64 pid, qint64 uid, qint64 gid)
    : d(new IpcPeerCredentialsPrivate)
{
    d->pid = pid;
    d->uid = uid;
    d->gid = gid;
}

IpcPeerCredentials::IpcPeerCredentials(const QString &address, int port,
                                       const QSslCertificate &certificate)
    : d(new IpcPeerCredentialsPrivate)
{
    d->address = address;
    d->port = port;
    d->certificate = certificate;
}

IpcPeerCredentials::IpcPeerCredentials(const IpcPeerCredentials &other) = default;
IpcPeerCredentials::IpcPeerCredentials(IpcPeerCredentials &&other) noexcept = default;
IpcPeerCredentials &IpcPeerCredentials::operator=(const IpcPeerCredentials &other) = default;
IpcPeerCredentials &IpcPeerCredentials::operator=(IpcPeerCredentials &&other) noexcept = default;
IpcPeerCredentials::~IpcPeerCredentials() = default;

qint64 IpcPeerCredentials::pid() const
{
    return d->pid;
}

qint64 IpcPeerCredentials::uid() const
{
    return d->uid;
}

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

bool operator==(const IpcPeerCredentials &a, const IpcPeerCredentials &b)
{
    return a.d == b.d
            || (a.d->pid == b.d->pid && a.d->uid == b.d->uid && a.d->gid == b.d->gid
                && a.d->address == b.d->address && a.d->port == b.d->port
                && a.d->certificate == b.d->certificate);
}
