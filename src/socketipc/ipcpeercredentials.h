#ifndef IPCPEERCREDENTIALS_H
#define IPCPEERCREDENTIALS_H

#include "socketipcglobal.h"

#include <QtCore/qobject.h>
#include <QtCore/qshareddata.h>
#include <QtNetwork/qsslcertificate.h>

class IpcPeerCredentialsPrivate;

class SOCKETIPC_EXPORT IpcPeerCredentials
{
    Q_GADGET
    // double, not qint64, for QML, which has no 64-bit integer type; every pid, uid and gid
    // (32 bits) is exact in it.
    Q_PROPERTY(double pid READ pid CONSTANT)
    Q_PROPERTY(double uid READ uid CONSTANT)
    Q_PROPERTY(double gid READ gid CONSTANT)
    Q_PROPERTY(QString address READ address CONSTANT)
    Q_PROPERTY(int port READ port CONSTANT)
    Q_PROPERTY(QString certificateCommonName READ certificateCommonName CONSTANT)
    Q_PROPERTY(bool valid READ isValid CONSTANT)
public:
    IpcPeerCredentials();
    IpcPeerCredentials(qint64 pid, qint64 uid, qint64 gid);
    IpcPeerCredentials(const QString &address, int port, const QSslCertificate &certificate);
    IpcPeerCredentials(const IpcPeerCredentials &other);
    IpcPeerCredentials(IpcPeerCredentials &&other) noexcept;
    IpcPeerCredentials &operator=(const IpcPeerCredentials &other);
    IpcPeerCredentials &operator=(IpcPeerCredentials &&other) noexcept;
    ~IpcPeerCredentials();

    void swap(IpcPeerCredentials &other) noexcept { d.swap(other.d); }

    qint64 pid() const;
    qint64 uid() const;
    qint64 gid() const;
    QString address() const;
    int port() const;
    QSslCertificate certificate() const;
    QString certificateCommonName() const;
    bool isValid() const;

    friend SOCKETIPC_EXPORT bool operator==(const IpcPeerCredentials &a,
                                            const IpcPeerCredentials &b);
    friend bool operator!=(const IpcPeerCredentials &a, const IpcPeerCredentials &b)
    {
        return !(a == b);
    }

private:
    // Implicitly shared, so that a field can be added without breaking binary compatibility.
    QSharedDataPointer<IpcPeerCredentialsPrivate> d;
};

Q_DECLARE_SHARED(IpcPeerCredentials)
Q_DECLARE_METATYPE(IpcPeerCredentials)

#endif  // IPCPEERCREDENTIALS_H
