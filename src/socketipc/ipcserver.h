#ifndef IPCSERVER_H
#define IPCSERVER_H

#include "ipccodec.h"
#include "ipcerror.h"
#include "ipcpeercredentials.h"
#include "ipcreply.h"
#include "ipcrequest.h"
#include "ipctopic.h"
#include "socketipcglobal.h"

#include <QtCore/qobject.h>
#include <QtCore/qstringlist.h>
#include <QtCore/qvariant.h>
#include <QtNetwork/qsslconfiguration.h>

#include <functional>
#include <memory>

class IpcServerPrivate;

// Listens on a local (Unix domain) socket, or TCP, or TLS, and exchanges {topic, message}
// frames with any number of clients, each known by a UUID client id. Wire-compatible with
// the servers and clients of the Node library @crussell52/socket-ipc (local sockets).
class SOCKETIPC_EXPORT IpcServer : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcServer)
    // Where to listen: a path (or "unix:PATH") for a local socket, "tcp://HOST:PORT" or
    // "tls://HOST:PORT". An empty HOST is the loopback interface; port 0 picks a free port.
    Q_PROPERTY(QString socketPath READ socketPath WRITE setSocketPath NOTIFY socketPathChanged)
    Q_PROPERTY(bool listening READ isListening NOTIFY listeningChanged)
    // Where it listens, in the same form, with the port a port 0 was given; empty when not.
    Q_PROPERTY(QString listeningAddress READ listeningAddress NOTIFY listeningChanged)
    Q_PROPERTY(int clientCount READ clientCount NOTIFY clientCountChanged)
    Q_PROPERTY(QStringList clientIds READ clientIds NOTIFY clientCountChanged)
    Q_PROPERTY(
            qint64 maxFrameSize READ maxFrameSize WRITE setMaxFrameSize NOTIFY maxFrameSizeChanged)
    Q_PROPERTY(SocketAccess socketAccess READ socketAccess WRITE setSocketAccess NOTIFY
                       socketAccessChanged)
    // Bytes that may wait for one client that does not read; 0 for no limit.
    Q_PROPERTY(qint64 maxPendingBytes READ maxPendingBytes WRITE setMaxPendingBytes NOTIFY
                       maxPendingBytesChanged)
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
    // close() waits this many ms for clients to take what was sent to them, then drops the
    // ones that have not (WriteBufferFullError each); 0 waits as long as it takes.
    Q_PROPERTY(int closeTimeout READ closeTimeout WRITE setCloseTimeout NOTIFY closeTimeoutChanged)
    // The wire format of new connections: "json" (the default, the Node library's), "cbor",
    // or the name of a registered IpcCodec.
    Q_PROPERTY(QString codecName READ codecName WRITE setCodecName NOTIFY codecChanged)
    // For request(): ms until a reply is given up (TimeoutError); 0 for no limit.
    Q_PROPERTY(int requestTimeout READ requestTimeout WRITE setRequestTimeout NOTIFY
                       requestTimeoutChanged)
    // TLS (PEM files, read at listen()): the server's certificate and key, and the CA that
    // signs client certificates when they are required (mutual TLS).
    Q_PROPERTY(QString tlsCertificateFile READ tlsCertificateFile WRITE setTlsCertificateFile NOTIFY
                       tlsChanged)
    Q_PROPERTY(QString tlsPrivateKeyFile READ tlsPrivateKeyFile WRITE setTlsPrivateKeyFile NOTIFY
                       tlsChanged)
    Q_PROPERTY(QString tlsCaFile READ tlsCaFile WRITE setTlsCaFile NOTIFY tlsChanged)
    Q_PROPERTY(bool requireClientCertificate READ requireClientCertificate WRITE
                       setRequireClientCertificate NOTIFY tlsChanged)
    // TCP and TLS: a client must present this token first, or it is refused; empty for none.
    Q_PROPERTY(QString authToken READ authToken WRITE setAuthToken NOTIFY authTokenChanged)
    Q_PROPERTY(IpcError::Error error READ error NOTIFY errorOccurred)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorOccurred)
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
    // still goes to a client with nothing waiting for it.
    static constexpr qint64 DefaultMaxPendingBytes = 32 * 1024 * 1024;
    // Open connections, whether they have authenticated yet or not.
    static constexpr int DefaultMaxClients = 256;

    static constexpr qint64 DefaultMaxFrameSize = 64 * 1024 * 1024;
    // With an authToken, the first frame of a connection (the token) may be no larger: a
    // peer that has not authenticated cannot make the server buffer or decode more.
    static constexpr qint64 MaxAuthenticationFrameSize = 4096;
    static constexpr int DefaultRequestTimeout = 30000;
    static constexpr int DefaultCloseTimeout = 30000;

    explicit IpcServer(QObject *parent = nullptr);
    ~IpcServer() override;

    QString socketPath() const;
    void setSocketPath(const QString &path);  // takes effect at the next listen()
    bool isListening() const;
    QString listeningAddress() const;
    int clientCount() const;
    QStringList clientIds() const;
    qint64 maxFrameSize() const;
    void setMaxFrameSize(qint64 bytes);
    SocketAccess socketAccess() const;
    void setSocketAccess(SocketAccess access);  // takes effect at the next listen()
    qint64 maxPendingBytes() const;
    void setMaxPendingBytes(qint64 bytes);
    SlowClientPolicy slowClientPolicy() const;
    void setSlowClientPolicy(SlowClientPolicy policy);
    int maxClients() const;
    void setMaxClients(int count);
    QList<int> allowedUserIds() const;
    void setAllowedUserIds(const QList<int> &uids);
    int handshakeTimeout() const;
    int closeTimeout() const;
    void setCloseTimeout(int msecs);
    void setHandshakeTimeout(int msecs);
    // Decides, from the kernel's word on who connects, whether a connection is accepted;
    // applied after allowedUserIds. An empty function accepts everyone.
    using ConnectionFilter = std::function<bool(const IpcPeerCredentials &)>;
    void setConnectionFilter(ConnectionFilter filter);

    std::shared_ptr<const IpcCodec> codec() const;
    void setCodec(std::shared_ptr<const IpcCodec> codec);  // for connections accepted later
    QString codecName() const;
    void setCodecName(const QString &name);  // a registered codec's name; else a warning
    int requestTimeout() const;
    void setRequestTimeout(int msecs);

    QString tlsCertificateFile() const;
    void setTlsCertificateFile(const QString &path);
    QString tlsPrivateKeyFile() const;
    void setTlsPrivateKeyFile(const QString &path);
    QString tlsCaFile() const;
    void setTlsCaFile(const QString &path);
    bool requireClientCertificate() const;
    void setRequireClientCertificate(bool require);
    // The base of the TLS settings; the files above are applied on top of it.
    QSslConfiguration sslConfiguration() const;
    void setSslConfiguration(const QSslConfiguration &configuration);
    QString authToken() const;
    void setAuthToken(const QString &token);

    IpcError::Error error() const;
    QString errorString() const;

    // Who the client is: the kernel's view of its process on a local socket, its address,
    // port and (TLS) certificate over the network; invalid for an unknown id.
    Q_INVOKABLE IpcPeerCredentials peerCredentials(const QString &clientId) const;

    // The server-owned subscription to one topic: the same object for the same name, until
    // deleted. Use its messageReceived(message, clientId) signal, or on() below.
    Q_INVOKABLE IpcTopic *topic(const QString &name);

    // Calls functor(message[, clientId]) for each message on topic while context lives.
    // QObject::disconnect() on the returned connection unsubscribes.
    template<typename Functor>
    QMetaObject::Connection on(const QString &topicName, const QObject *context, Functor &&functor)
    {
        return QObject::connect(topic(topicName), &IpcTopic::messageReceived, context,
                                std::forward<Functor>(functor));
    }

    // Answers requests on topic from clients (IpcClient::request()), replacing an earlier
    // handler of topic, while context lives. handler is one of
    //   QVariant (const QVariant &message, const QString &clientId)  returns the answer
    //   QVariant (const QVariant &message)
    //   void (IpcRequest &request)  answers with request.reply() or fail(), now or later
    // A handler fails the request by throwing, or by returning IpcRequest::error(why).
    // Requests are not messages: they reach their handler only.
    template<typename Handler>
    void handle(const QString &topic, const QObject *context, Handler &&handler)
    {
        setRequestHandler(topic, context,
                          IpcPrivate::requestHandler(std::forward<Handler>(handler)));
    }
    template<typename Handler>
    void handle(const QString &topic, Handler &&handler)
    {
        setRequestHandler(topic, nullptr,
                          IpcPrivate::requestHandler(std::forward<Handler>(handler)));
    }
    void setRequestHandler(const QString &topic, const QObject *context,
                           std::function<void(IpcRequest &)> handler);
    Q_INVOKABLE void removeHandler(const QString &topic);
    Q_INVOKABLE bool hasHandler(const QString &topic) const;

    // Asks one client, which answers with IpcClient::handle(). The reply is this server's
    // child; finished() always comes from the event loop. timeoutMsecs -1: requestTimeout.
    IpcReply *request(const QString &topic, const QVariant &message, const QString &clientId,
                      int timeoutMsecs = -1);
    // The same, calling functor(const IpcReply &) once finished while context lives.
    template<typename Functor>
    void request(const QString &topic, const QVariant &message, const QString &clientId,
                 const QObject *context, Functor &&functor, int timeoutMsecs = -1)
    {
        IpcReply *reply = request(topic, message, clientId, timeoutMsecs);
        QObject::connect(
                reply, &IpcReply::finished, context,
                [reply, f = std::decay_t<Functor>(std::forward<Functor>(functor))]() mutable {
                    f(std::as_const(*reply));
                });
        QObject::connect(reply, &IpcReply::finished, reply, &QObject::deleteLater);
    }

public Q_SLOTS:
    // Starts listening on path (or socketPath()). A dead socket file left by a crashed server
    // is removed; a live server there is an AddressInUseError. Returns false on error.
    bool listen(const QString &socketPath = {});
    // Stops listening and ends every connection once its pending output is written;
    // closed() follows when all of them have ended (before close() returns if none is open).
    void close();
    bool send(const QString &topic, const QVariant &message, const QString &clientId);
    void broadcast(const QString &topic, const QVariant &message);
    void disconnectClient(const QString &clientId);

Q_SIGNALS:
    void socketPathChanged();
    void listeningChanged(bool listening);
    void clientCountChanged();
    void maxFrameSizeChanged();
    void socketAccessChanged();
    void maxPendingBytesChanged();
    void slowClientPolicyChanged();
    void maxClientsChanged();
    void allowedUserIdsChanged();
    void handshakeTimeoutChanged();
    void closeTimeoutChanged();
    void codecChanged();
    void requestTimeoutChanged();
    void tlsChanged();
    void authTokenChanged();
    void clientConnected(const QString &clientId);
    void clientDisconnected(const QString &clientId);
    void messageReceived(const QString &topic, const QVariant &message, const QString &clientId);
    // clientId names the connection concerned, empty when the error is the server's own.
    void errorOccurred(IpcError::Error error, const QString &description, const QString &clientId);
    void closed();

private:
    friend class IpcServerPrivate;
    friend class IpcTopicRegistry;
    std::unique_ptr<IpcServerPrivate> d;
};

#endif  // IPCSERVER_H
