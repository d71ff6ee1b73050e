#ifndef IPCPEERCREDENTIALS_H
#define IPCPEERCREDENTIALS_H

#include "socketipcglobal.h"

#include <QtCore/qobject.h>

// Who is on the other end of a local socket, as the kernel saw it at connect time
// (SO_PEERCRED). Invalid (pid -1) when the platform cannot tell.
class SOCKETIPC_EXPORT IpcPeerCredentials
{
    Q_GADGET
    Q_PROPERTY(qint64 pid READ pid CONSTANT)
    Q_PROPERTY(qint64 uid READ uid CONSTANT)
    Q_PROPERTY(qint64 gid READ gid CONSTANT)
    Q_PROPERTY(bool valid READ isValid CONSTANT)
public:
    IpcPeerCredentials() = default;
    IpcPeerCredentials(qint64 pid, qint64 uid, qint64 gid) : m_pid(pid), m_uid(uid), m_gid(gid) { }

    qint64 pid() const { return m_pid; }
    qint64 uid() const { return m_uid; }
    qint64 gid() const { return m_gid; }
    bool isValid() const { return m_pid >= 0; }

    friend bool operator==(const IpcPeerCredentials &a, const IpcPeerCredentials &b)
    {
        return a.m_pid == b.m_pid && a.m_uid == b.m_uid && a.m_gid == b.m_gid;
    }
    friend bool operator!=(const IpcPeerCredentials &a, const IpcPeerCredentials &b)
    {
        return !(a == b);
    }

private:
    qint64 m_pid = -1;
    qint64 m_uid = -1;
    qint64 m_gid = -1;
};

Q_DECLARE_METATYPE(IpcPeerCredentials)

#endif  // IPCPEERCREDENTIALS_H
