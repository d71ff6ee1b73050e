#ifndef IPCCLIENT_P_H
#define IPCCLIENT_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "ipcclient.h"
#include "ipctopic_p.h"
#include "transport/ipcconnection_p.h"

#include <QtCore/qtimer.h>

class QLocalSocket;

class IpcClientPrivate final : public IpcConnection::Handler
{
public:
    explicit IpcClientPrivate(IpcClient *q);

    struct Delay
    {
        int min;
        int max = -1;  // -1 (or not above min): fixed at min
        int pick() const;
        bool set(int newMin, int newMax);  // true if it changed
    };

    void setState(IpcClient::State state);
    void attempt();
    void scheduleAttempt(const Delay &delay);
    void onSocketConnected(QLocalSocket *socket);
    void onConnectFailed(QLocalSocket *socket);
    void dropSocketAttempt();
    void setError(IpcError::Error error, const QString &description);

    void connectionMessage(IpcConnection *connection, const QString &topic,
                           const QVariant &message) override;
    void connectionError(IpcConnection *connection, IpcError::Error error,
                         const QString &description) override;
    void connectionClosed(IpcConnection *connection) override;

    IpcClient *const q;
    QString socketPath;
    IpcClient::State state = IpcClient::State::Unconnected;
    Delay retryDelay{IpcClient::DefaultRetryDelay};
    Delay reconnectDelay{IpcClient::DefaultReconnectDelay};
    qint64 maxFrameSize = IpcClient::DefaultMaxFrameSize;
    qint64 maxPendingBytes = IpcClient::DefaultMaxPendingBytes;
    QTimer *attemptTimer;                   // a child of q, so that moveToThread() moves it too
    QLocalSocket *attemptSocket = nullptr;  // a connect attempt under way
    IpcConnection *connection = nullptr;    // the established connection
    IpcConnection *closingConnection = nullptr;  // flushing after close()
    bool wasConnected = false;                   // the next connect is a reconnect
    IpcError::Error error = IpcError::NoError;
    QString errorString;
    IpcTopicRegistry topics;
};

#endif  // IPCCLIENT_P_H
