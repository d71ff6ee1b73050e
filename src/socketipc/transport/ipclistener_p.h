#ifndef IPCLISTENER_P_H
#define IPCLISTENER_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "../ipcerror.h"
#include "../ipcserver.h"
#include "../ipctlssettings.h"
#include "ipcaddress_p.h"

#include <QtCore/qobject.h>

class QIODevice;

// Accepts connections on one address, for IpcServer: a local socket (the lock beside it,
// the probe for a stale socket file, its permissions, abstract names) or TCP and TLS. One
// implementation per address kind, chosen by listen(); the server never asks which.
class IpcListener : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcListener)
public:
    struct Options
    {
        IpcServer::SocketAccess access = IpcServer::SocketAccess::OwnerOnly;  // local sockets
        IpcTlsSettings tls;                                                   // tls://
    };

    // Listens on address, never waiting; null, and why, if it cannot.
    static IpcListener *listen(const IpcAddress &address, const Options &options, QObject *parent,
                               IpcError::Error *error, QString *why);
    ~IpcListener() override;

    // Where it listens, with the port that port 0 was given.
    IpcAddress address() const { return m_address; }
    // How many connections may be open at once: what the process's descriptor limit leaves
    // room for, so that accepting never runs out.
    qint64 descriptorBudget() const { return m_descriptorBudget; }
    // Stops listening. A local listener removes its socket file, unless another server's
    // file has replaced it meanwhile.
    virtual void close() = 0;

Q_SIGNALS:
    // A connected socket (over TLS, once the handshake is done). It is the listener's child
    // until the receiver takes it (setParent()), and is deleted with the listener otherwise.
    void accepted(QIODevice *socket);
    // Not a connection: descriptors ran out (SocketError), or a TLS handshake failed.
    void acceptFailed(IpcError::Error error, const QString &description);

protected:
    explicit IpcListener(QObject *parent) : QObject(parent) { }

    IpcAddress m_address;
    qint64 m_descriptorBudget = 0;
};

#endif  // IPCLISTENER_P_H
