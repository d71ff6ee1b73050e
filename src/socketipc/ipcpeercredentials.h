#ifndef IPCPEERCREDENTIALS_H
#define IPCPEERCREDENTIALS_H

#include "socketipcglobal.h"

#include <QtCore/qobject.h>
#include <QtNetwork/qsslcertificate.h>

// Who is on the other end of a connection. On a local socket, the process as the kernel saw
// it at connect time (SO_PEERCRED: pid, uid, gid); over TCP and TLS, the peer's address and
// port, and over TLS the certificate it presented (null if none). Invalid when nothing is
// known.
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
    // The certificate's subject common name, for QML.
    Q_PROPERTY(QString certificateCommonName READ certificateCommonName CONSTANT)
    Q_PROPERTY(bool valid READ isValid CONSTANT)
public:
    IpcPeerCredentials() = default;
    IpcPeerCredentials(qint64 pid, qint64 uid, qint64 gid) : m_pid(pid), m_uid(uid), m_gid(gid) { }
    IpcPeerCredentials(const QString &address, int port, const QSslCertificate &certificate)
        : m_address(address), m_port(port), m_certificate(certificate)
    { }

    qint64 pid() const { return m_pid; }
    qint64 uid() const { return m_uid; }
    qint64 gid() const { return m_gid; }
    QString address() const { return m_address; }
    int port() const { return m_port; }
    QSslCertificate certificate() const { return m_certificate; }
    QString certificateCommonName() const
    {
        return m_certificate.subjectInfo(QSslCertificate::CommonName).join(QLatin1Char(','));
    }
    bool isValid() const { return m_pid >= 0 || !m_address.isEmpty(); }

    friend bool operator==(const IpcPeerCredentials &a, const IpcPeerCredentials &b)
    {
        return a.m_pid == b.m_pid && a.m_uid == b.m_uid && a.m_gid == b.m_gid
                && a.m_address == b.m_address && a.m_port == b.m_port
                && a.m_certificate == b.m_certificate;
    }
    friend bool operator!=(const IpcPeerCredentials &a, const IpcPeerCredentials &b)
    {
        return !(a == b);
    }

private:
    qint64 m_pid = -1;
    qint64 m_uid = -1;
    qint64 m_gid = -1;
    QString m_address;
    int m_port = -1;
    QSslCertificate m_certificate;
};

Q_DECLARE_METATYPE(IpcPeerCredentials)

#endif  // IPCPEERCREDENTIALS_H
