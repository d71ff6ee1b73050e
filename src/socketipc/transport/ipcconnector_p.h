#ifndef IPCCONNECTOR_P_H
#define IPCCONNECTOR_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "../ipcerror.h"
#include "../ipctlssettings.h"
#include "ipcaddress_p.h"

#include <QtCore/qobject.h>

class QIODevice;

// One attempt to connect to an address, for IpcClient: a local socket (a path or an
// abstract name), TCP, or TLS (verified before it counts as connected). start() may report
// either outcome before it returns. Deleting the connector abandons the attempt.
class IpcConnector : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcConnector)
public:
    IpcConnector(const IpcAddress &address, const IpcTlsSettings &tls, QObject *parent = nullptr);
    ~IpcConnector() override;

    void start();
    // Gives up now: the socket is aborted, and nothing more is signalled.
    void abort();
    // The socket, once connected() (to check who the server is), until taken.
    const QIODevice *socket() const { return m_socket; }
    // Hands over the connected socket, parentless; the connector has nothing left to do.
    QIODevice *takeSocket();

Q_SIGNALS:
    void connected();
    // Why, in a sentence that names the address; SocketError, TlsError or NoServerError.
    void failed(const QString &description, IpcError::Error error);

private:
    void watchLocal();
    void watchTcp();
    void watchTls();

    IpcAddress m_address;
    IpcTlsSettings m_tls;
    QIODevice *m_socket = nullptr;
};

#endif  // IPCCONNECTOR_P_H
