#ifndef IPCCLIENT_P_H
#define IPCCLIENT_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "ipcclient.h"
#include "ipcendpoint_p.h"

#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>

#include <deque>

class IpcConnector;

class IpcClientPrivate final : public IpcEndpointPrivate
{
    Q_DECLARE_PUBLIC(IpcClient)
public:
    IpcClientPrivate() : IpcEndpointPrivate(IpcClient::DefaultMaxPendingBytes) { }

    QList<IpcConnection *> openConnections() const override
    {
        return connection ? QList<IpcConnection *>{connection} : QList<IpcConnection *>{};
    }

    struct Queued
    {
        IpcCodec::Frame frame;
        QByteArray bytes;  // the whole frame, encoded when it was sent, by codec
        std::shared_ptr<const IpcCodec> codec;
        QPointer<IpcReply> reply;  // a request's
        bool isRequest = false;
    };

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
    int backoff(int delay);
    void onSocketConnected(IpcConnector *connector);
    // Whether the server runs as expectedServerUserId (local sockets); if not, the attempt
    // has failed.
    bool checkServerUser(IpcConnector *connector);
    void authenticate(const IpcCodec::Frame &frame);
    void failAuthentication(const QString &why);
    // The connection is ready: the queue goes out, then the server's greeting is awaited.
    void establish();
    // The greeting and the retained messages are in (or will not come): connected().
    void announce();
    // Whether frame (from connection) was part of the greeting, consumed or dispatched here.
    bool greet(IpcConnection *connection, const IpcCodec::Frame &frame);
    bool isEstablished() const { return connection && connection->isOpen() && !auth.pending; }
    void onConnectFailed(IpcConnector *connector, const QString &description,
                         IpcError::Error error = IpcError::NoServerError);
    void dropSocketAttempt();

    // Queues frame while disconnected, if the queue allows; false and the error if not.
    bool enqueue(const IpcCodec::Frame &frame, IpcReply *reply);
    bool canEncode(const IpcCodec::Frame &frame, QString *why) const;
    bool flushQueue();
    void dropQueue(const QString &why);
    bool reportWrite(IpcConnection::WriteResult result, const QString &topic, const QString &why);

    // The server's notices about its retained messages (IpcRetained::Topic).
    void onRetainedNotice(const QVariant &message);
    void connectionFrame(IpcConnection *connection, const IpcCodec::Frame &frame) override;
    void connectionError(IpcConnection *connection, IpcError::Error error,
                         const QString &description) override;
    void connectionClosed(IpcConnection *connection) override;

    // How long a server may take to challenge a client that has a token.
    static constexpr int AuthTimeout = 10000;
    // How long a server may take to greet a new connection before it is taken for one that
    // does not (the Node original); not waited for again until a greeting is seen.
    static constexpr int GreetingTimeout = 250;

    enum class Greeting { None, AwaitingHello, AwaitingRetained };

    // The token handshake of the connection under way (ipcauth_p.h).
    struct Auth
    {
        bool pending = false;  // connected, not yet authenticated: nothing may be sent
        QByteArray serverNonce;
        QByteArray clientNonce;  // set once our proof is sent
        QString failure;         // why it failed, for the failed attempt it becomes
    };

    IpcClient::State state = IpcClient::State::Unconnected;
    Delay retryDelay{IpcClient::DefaultRetryDelay};
    Delay reconnectDelay{IpcClient::DefaultReconnectDelay};
    QTimer *attemptTimer = nullptr;            // a child of q, so that moveToThread() moves it too
    IpcConnector *attemptConnector = nullptr;  // a connect attempt under way
    IpcConnection *connection = nullptr;       // the established connection
    IpcConnection *closingConnection = nullptr;  // flushing after close()
    bool wasConnected = false;                   // the next connect is a reconnect
    double backoffFactor = 1.0;
    int maxBackoffDelay = IpcClient::DefaultMaxBackoffDelay;
    int failedAttempts = 0;                           // in a row, since the last connection
    IpcError::Error outageError = IpcError::NoError;  // reported since the last connection
    int maxQueuedMessages = 0;
    std::deque<Queued> queue;
    int expectedServerUserId = -1;
    Auth auth;
    Greeting greeting = Greeting::None;
    int retainedToCome = 0;    // after the greeting, before connected()
    bool serverGreets = true;  // false once a server did not greet in time
    int reconnectCount = 0;    // since connectToServer()
    bool monitor = false;
    // Ends the attempt under way as a failed one (connectionClosed() reports why).
    void failAttempt(const QString &why);
};

#endif  // IPCCLIENT_P_H
