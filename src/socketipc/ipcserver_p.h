#ifndef IPCSERVER_P_H
#define IPCSERVER_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "ipcendpoint_p.h"
#include "ipcserver.h"
#include "transport/ipcconnection_p.h"
#include "transport/ipclistener_p.h"

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qhash.h>
#include <QtCore/qlist.h>
#include <QtCore/qmap.h>

class QIODevice;
class QTimer;

class IpcServerPrivate final : public IpcEndpointPrivate
{
    Q_DECLARE_PUBLIC(IpcServer)
public:
    // How long a refused peer has to take its refusal before the connection is aborted.
    static constexpr int RefusalLingerMsecs = 1000;
    static constexpr qint64 MaxAuthBackoffMsecs = 60000;

    struct AuthFailures
    {
        int count = 0;
        QDeadlineTimer until;
    };

    enum class State { Idle, Listening, Closing, Closed };

    IpcServerPrivate() : IpcEndpointPrivate(IpcServer::DefaultMaxPendingBytes) { }

    QList<IpcConnection *> openConnections() const override { return connections; }

    // A new connection: refused, waiting for its token, or admitted.
    void acceptSocket(QIODevice *socket);
    // A new connection joins the clients (clientConnected()).
    void admit(IpcConnection *connection);
    // Becomes a client: clientConnected().
    void admitClient(IpcConnection *connection);
    // Monitors (allowMonitors): an event to each; a frame as one; the statistics asked for.
    void monitorEvent(QVariantMap event);
    void monitorFrame(QLatin1StringView direction, IpcConnection *connection,
                      const IpcCodec::Frame &frame, qsizetype size);
    void answerStatistics(IpcConnection *monitor, const IpcCodec::Frame &request);
    void tapClients(bool tapped);
    void connectionSent(IpcConnection *connection, const IpcCodec::Frame &frame,
                        qsizetype size) override;
    // Its first frame must be the auth token, when one is required.
    void authenticate(IpcConnection *connection, const IpcCodec::Frame &frame);
    void refuse(IpcConnection *connection, const QString &why);
    // Why a new connection may not stay, or empty if it may.
    QString refusal(const IpcPeerCredentials &credentials) const;
    // Who a peer is, for counting its wrong tokens: its uid, or its address.
    static QString peerKey(const IpcPeerCredentials &peer);
    // "pid 123, uid 1000" or "127.0.0.1:41234", for messages.
    static QString describePeer(const IpcPeerCredentials &peer);
    void noteAuthFailure(const IpcPeerCredentials &peer);
    // Why a peer is refused for its recent wrong tokens, or empty.
    QString authBackoff(const IpcPeerCredentials &peer) const;
    void finishClosingIfDone();
    // close() has waited closeTimeout for slow readers: they are dropped.
    void abortStragglers();
    IpcConnection *openConnection(const QString &clientId) const;
    // Reports an encode error or a client over maxPendingBytes (applying the policy);
    // false: not sent.
    bool handleWrite(IpcConnection *connection, IpcConnection::WriteResult result,
                     const QString &topic, const QString &encodeError);

    void connectionFrame(IpcConnection *connection, const IpcCodec::Frame &frame) override;
    void connectionError(IpcConnection *connection, IpcError::Error error,
                         const QString &description) override;
    void connectionClosed(IpcConnection *connection) override;

    IpcListener *listener = nullptr;  // while listening
    State state = State::Idle;
    IpcServer::SocketAccess socketAccess = IpcServer::SocketAccess::OwnerOnly;
    IpcServer::SlowClientPolicy slowClientPolicy = IpcServer::SlowClientPolicy::DisconnectClient;
    int maxClients = IpcServer::DefaultMaxClients;
    QList<int> allowedUserIds;
    int handshakeTimeout = 0;
    struct Retained
    {
        QVariant message;
        qint64 bytes = 0;  // its frame, encoded with the server's codec when retained
    };
    QMap<QString, Retained> retained;
    qint64 retainedBytes = 0;
    qint64 maxRetainedBytes = IpcServer::DefaultMaxRetainedBytes;
    bool allowMonitors = false;
    QList<IpcConnection *> awaitingRole;  // greeted, not yet a client or a monitor
    QList<IpcConnection *> monitors;
    // How long a connection may stay silent before it is taken for a client (allowMonitors).
    static constexpr int RoleGrace = 200;
    QTimer *closeTimer = nullptr;
    IpcServer::ConnectionFilter connectionFilter;
    QList<IpcConnection *> unauthenticated;         // connected, token not yet presented
    QHash<IpcConnection *, QByteArray> challenges;  // the nonce each of them was sent
    QHash<QString, AuthFailures> authFailures;      // by peerKey()
    // In connection order, and by id.
    QList<IpcConnection *> connections;
    IpcCounters closedCounters;  // of the clients gone since listen()
    qint64 listeningSince = 0;   // ms since the epoch
    QHash<QString, IpcConnection *> connectionsById;
};

#endif  // IPCSERVER_P_H
