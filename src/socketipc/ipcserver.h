#ifndef IPCSERVER_H
#define IPCSERVER_H

#include "ipcendpoint.h"
#include "ipcstatistics.h"
#include "ipcpeercredentials.h"

#include <QtCore/qstringlist.h>

#include <functional>

class IpcServerPrivate;

// Listens on a local (Unix domain) socket, or TCP, or TLS, and exchanges {topic, message}
// frames with any number of clients, each known by a UUID client id. Wire-compatible with
// the servers and clients of the Node library @crussell52/socket-ipc (local sockets).
// What it shares with IpcClient (address, codec, limits, TLS, token, topics, handlers,
// messageReceived(), errorOccurred()) is IpcEndpoint's; this class adds accepting clients,
// admitting them, and sending to one or all of them.
class SOCKETIPC_EXPORT IpcServer : public IpcEndpoint
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcServer)
    Q_PROPERTY(bool listening READ isListening NOTIFY listeningChanged)
    // Where it listens, in the form of address, with the port a port 0 was given; empty when
    // not listening.
    Q_PROPERTY(QString listeningAddress READ listeningAddress NOTIFY listeningChanged)
    Q_PROPERTY(int clientCount READ clientCount NOTIFY clientCountChanged)
    Q_PROPERTY(QStringList clientIds READ clientIds NOTIFY clientCountChanged)
    Q_PROPERTY(SocketAccess socketAccess READ socketAccess WRITE setSocketAccess NOTIFY
                       socketAccessChanged)
    Q_PROPERTY(SlowClientPolicy slowClientPolicy READ slowClientPolicy WRITE setSlowClientPolicy
                       NOTIFY slowClientPolicyChanged)
    // Connections beyond this many are refused at once (every open connection counts, also
    // one that has not shown its token yet); DefaultMaxClients, 0 for no limit.
    Q_PROPERTY(int maxClients READ maxClients WRITE setMaxClients NOTIFY maxClientsChanged)
    // Only processes of these users may connect (checked with SO_PEERCRED before anything is
    // read); empty for every user the socket file's permissions let in.
    Q_PROPERTY(QList<int> allowedUserIds READ allowedUserIds WRITE setAllowedUserIds NOTIFY
                       allowedUserIdsChanged)
    // A client that has not sent a whole message this many ms after connecting is dropped;
    // 0 (the default) lets idle clients stay.
    Q_PROPERTY(int handshakeTimeout READ handshakeTimeout WRITE setHandshakeTimeout NOTIFY
                       handshakeTimeoutChanged)
    // What retained messages may take, counted as their encoded frames; beyond it retain()
    // fails with RetainedLimitError. DefaultMaxRetainedBytes; 0 for no limit.
    Q_PROPERTY(qint64 maxRetainedBytes READ maxRetainedBytes WRITE setMaxRetainedBytes NOTIFY
                       maxRetainedBytesChanged)
    Q_PROPERTY(QStringList retainedTopics READ retainedTopics NOTIFY retainedChanged)
    // Whether monitors may attach (socketipc monitor, socketipc stats): clients that say so
    // when they connect, under the same token, TLS and uid rules as any client, which get
    // every message the server receives and sends as an event, and the statistics on request.
    // A monitor is never a client: not in clientCount, no clientConnected(), no broadcasts.
    // Off by default. With it on, a new connection is a client once it says so (IpcClient
    // does at once) or sends its first frame, or after 200 ms (a Node client that only
    // listens).
    Q_PROPERTY(bool allowMonitors READ allowMonitors WRITE setAllowMonitors NOTIFY
                       allowMonitorsChanged)
public:
    // Who may connect, as file permissions on the socket file.
    enum class SocketAccess {
        OwnerOnly,      // 0700: the owner of the server process (the default)
        OwnerAndGroup,  // 0770: and its group
        Everyone,       // 0777: every local user
    };
    Q_ENUM(SocketAccess)

    // What happens to a client that has maxPendingBytes waiting and is sent more. Either
    // way errorOccurred(WriteBufferFullError) says so, and other clients are not slowed.
    enum class SlowClientPolicy {
        DisconnectClient,  // drop the connection and what waits for it (the default)
        DropMessages,      // keep it; messages that do not fit are not sent to it
    };
    Q_ENUM(SlowClientPolicy)
    // Per client: with maxClients, what clients that stop reading can cost at most; room for
    // a burst of a few thousand messages sent in a loop. A message larger than the limit
    // still goes to a client with nothing backlogged for it.
    static constexpr qint64 DefaultMaxPendingBytes = 32 * 1024 * 1024;
    // Open connections, whether they have authenticated yet or not.
    static constexpr int DefaultMaxClients = 256;
    // With an authToken, the first frame of a connection (the token) may be no larger: a
    // peer that has not authenticated cannot make the server buffer or decode more.
    static constexpr qint64 MaxAuthenticationFrameSize = 4096;
    static constexpr qint64 DefaultMaxRetainedBytes = 16 * 1024 * 1024;

    explicit IpcServer(QObject *parent = nullptr);
    ~IpcServer() override;

    bool isListening() const;
    QString listeningAddress() const;
    int clientCount() const;
    QStringList clientIds() const;
    SocketAccess socketAccess() const;
    void setSocketAccess(SocketAccess access);  // takes effect at the next listen()
    SlowClientPolicy slowClientPolicy() const;
    void setSlowClientPolicy(SlowClientPolicy policy);
    int maxClients() const;
    void setMaxClients(int count);
    QList<int> allowedUserIds() const;
    void setAllowedUserIds(const QList<int> &uids);
    int handshakeTimeout() const;
    void setHandshakeTimeout(int msecs);
    // Decides, from the kernel's word on who connects, whether a connection is accepted;
    // applied after allowedUserIds. An empty function accepts everyone.
    using ConnectionFilter = std::function<bool(const IpcPeerCredentials &)>;
    void setConnectionFilter(ConnectionFilter filter);
    qint64 maxRetainedBytes() const;
    void setMaxRetainedBytes(qint64 bytes);
    bool allowMonitors() const;
    void setAllowMonitors(bool allow);
    // Monitors attached now.
    int monitorCount() const;

    // Retained messages: the server's current state per topic, for clients that connect
    // later. retain() broadcasts message and keeps it as topic's retained value, replacing
    // the one before; every client that connects afterwards gets each retained message
    // right after it connects, before anything else is sent to it. They are the server's
    // state: a server that restarts has none until it retains them again. False, with
    // errorOccurred (EncodeError, RetainedLimitError, SendAfterCloseError), if the message
    // is neither kept nor sent.
    bool retain(const QString &topic, const QVariant &message);
    // Forgets topic's retained message: clients that connect later no longer get it.
    Q_INVOKABLE void clearRetained(const QString &topic);
    // topic's retained message; invalid if there is none.
    Q_INVOKABLE QVariant retained(const QString &topic) const;
    QStringList retainedTopics() const;  // sorted
    // What the retained messages take, as maxRetainedBytes counts it.
    qint64 retainedBytes() const;

    // Who the client is: the kernel's view of its process on a local socket, its address,
    // port and (TLS) certificate over the network; invalid for an unknown id.
    Q_INVOKABLE IpcPeerCredentials peerCredentials(const QString &clientId) const;
    // What went over one client's connection (invalid for an unknown id), or, without an id,
    // the totals since listen(): every connection's counters, closed ones included, with the
    // pending bytes and requests of those open now (IpcStatistics).
    Q_INVOKABLE IpcStatistics statistics(const QString &clientId) const;
    Q_INVOKABLE IpcStatistics statistics() const;

    // Asks one client, which answers with IpcClient::handle(). The reply is this server's
    // child; finished() always comes from the event loop. timeoutMsecs -1: requestTimeout.
    IpcReply *request(const QString &topic, const QVariant &message, const QString &clientId,
                      int timeoutMsecs = -1);
    // The same, calling functor(const IpcReply &) once finished while context lives.
    template<typename Functor>
    void request(const QString &topic, const QVariant &message, const QString &clientId,
                 const QObject *context, Functor &&functor, int timeoutMsecs = -1)
    {
        IpcPrivate::onFinished(request(topic, message, clientId, timeoutMsecs), context,
                               std::forward<Functor>(functor));
    }

public Q_SLOTS:
    // Starts listening on address (or address()). A dead socket file left by a crashed
    // server is removed; a live server there is an AddressInUseError, and so is another
    // process starting to listen there at this moment: listen() never waits. Returns false
    // on error.
    bool listen(const QString &address = {});
    // Stops listening and ends every connection once its pending output is written;
    // closed() follows when all of them have ended (before close() returns if none is open).
    void close() override;
    bool send(const QString &topic, const QVariant &message, const QString &clientId);
    void broadcast(const QString &topic, const QVariant &message);
    void disconnectClient(const QString &clientId);

Q_SIGNALS:
    void listeningChanged(bool listening);
    void clientCountChanged();
    void socketAccessChanged();
    void slowClientPolicyChanged();
    void maxClientsChanged();
    void allowedUserIdsChanged();
    void handshakeTimeoutChanged();
    void maxRetainedBytesChanged();
    void allowMonitorsChanged();
    void retainedChanged();
    void clientConnected(const QString &clientId);
    void clientDisconnected(const QString &clientId);

private:
    Q_DECLARE_PRIVATE(IpcServer)
};

#endif  // IPCSERVER_H
