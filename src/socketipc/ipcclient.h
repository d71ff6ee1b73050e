#ifndef IPCCLIENT_H
#define IPCCLIENT_H

#include "ipccodec.h"
#include "ipcerror.h"
#include "ipcreply.h"
#include "ipcrequest.h"
#include "ipctopic.h"
#include "socketipcglobal.h"

#include <QtCore/qobject.h>
#include <QtCore/qvariant.h>
#include <QtNetwork/qsslconfiguration.h>

#include <memory>

class IpcClientPrivate;

// Connects to an IpcServer (or a Node @crussell52/socket-ipc server) over a local socket,
// TCP or TLS.
// Resilient: a failed connect is retried after retryDelay, an unexpected disconnect is
// followed by a reconnect after reconnectDelay, until close().
class SOCKETIPC_EXPORT IpcClient : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcClient)
    // The server's address: a path (or "unix:PATH"), "tcp://HOST:PORT" or "tls://HOST:PORT".
    Q_PROPERTY(QString socketPath READ socketPath WRITE setSocketPath NOTIFY socketPathChanged)
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    // A delay is random in [delay, delayMax] when delayMax is greater, else fixed (delayMax
    // -1, the default). The two may be set in either order.
    Q_PROPERTY(int retryDelay READ retryDelay WRITE setRetryDelay NOTIFY retryDelayChanged)
    Q_PROPERTY(int retryDelayMax READ retryDelayMax WRITE setRetryDelayMax NOTIFY retryDelayChanged)
    Q_PROPERTY(int reconnectDelay READ reconnectDelay WRITE setReconnectDelay NOTIFY
                       reconnectDelayChanged)
    Q_PROPERTY(int reconnectDelayMax READ reconnectDelayMax WRITE setReconnectDelayMax NOTIFY
                       reconnectDelayChanged)
    Q_PROPERTY(
            qint64 maxFrameSize READ maxFrameSize WRITE setMaxFrameSize NOTIFY maxFrameSizeChanged)
    // Bytes that may wait for a server that does not read; beyond it send() fails with
    // WriteBufferFullError. 0 for no limit.
    Q_PROPERTY(qint64 maxPendingBytes READ maxPendingBytes WRITE setMaxPendingBytes NOTIFY
                       maxPendingBytesChanged)
    // Exponential backoff: each failed attempt in a row multiplies the delay by
    // backoffFactor (1, the default: no backoff), up to maxBackoffDelay ms, and the delay is
    // then picked at random in its upper half (jitter), so that many clients spread out.
    Q_PROPERTY(double backoffFactor READ backoffFactor WRITE setBackoffFactor NOTIFY backoffChanged)
    Q_PROPERTY(
            int maxBackoffDelay READ maxBackoffDelay WRITE setMaxBackoffDelay NOTIFY backoffChanged)
    // Messages sent while not connected wait, up to this many, and go out in order once
    // connected, before connected() is emitted; beyond it send() fails with QueueFullError.
    // 0 (the default): no queue, send() fails with NoServerError as in the Node library.
    Q_PROPERTY(int maxQueuedMessages READ maxQueuedMessages WRITE setMaxQueuedMessages NOTIFY
                       maxQueuedMessagesChanged)
    Q_PROPERTY(int queuedMessageCount READ queuedMessageCount NOTIFY queuedMessageCountChanged)
    // close() waits this many ms for the server to take what was sent, then drops it
    // (WriteBufferFullError) and emits closed(); 0 waits as long as it takes.
    Q_PROPERTY(int closeTimeout READ closeTimeout WRITE setCloseTimeout NOTIFY closeTimeoutChanged)
    // The wire format: "json" (the default, the Node library's), "cbor", or the name of a
    // registered IpcCodec. Takes effect at the next connection.
    Q_PROPERTY(QString codecName READ codecName WRITE setCodecName NOTIFY codecChanged)
    // For request(): ms until a reply is given up (TimeoutError); 0 for no limit.
    Q_PROPERTY(int requestTimeout READ requestTimeout WRITE setRequestTimeout NOTIFY
                       requestTimeoutChanged)
    // TLS (PEM files, read at each connect): the CA to trust instead of the system's, and a
    // client certificate and key for servers that require one. The server is always
    // verified, its host name included.
    Q_PROPERTY(QString tlsCaFile READ tlsCaFile WRITE setTlsCaFile NOTIFY tlsChanged)
    Q_PROPERTY(QString tlsCertificateFile READ tlsCertificateFile WRITE setTlsCertificateFile NOTIFY
                       tlsChanged)
    Q_PROPERTY(QString tlsPrivateKeyFile READ tlsPrivateKeyFile WRITE setTlsPrivateKeyFile NOTIFY
                       tlsChanged)
    // For servers that require a token. It never travels: the client answers the server's
    // challenge with a proof, checks the server's proof in return, and sends nothing before.
    // A server that does not challenge it within 10 s is not talked to.
    Q_PROPERTY(QString authToken READ authToken WRITE setAuthToken NOTIFY authTokenChanged)
    // Local sockets: connect only to a server running as this user id (SO_PEERCRED), checked
    // before anything is sent; -1 (the default) for any. Ignored over TCP and TLS.
    Q_PROPERTY(int expectedServerUserId READ expectedServerUserId WRITE setExpectedServerUserId
                       NOTIFY expectedServerUserIdChanged)
    Q_PROPERTY(IpcError::Error error READ error NOTIFY errorOccurred)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorOccurred)
public:
    enum class State {
        Unconnected,  // connectToServer() not called yet
        Connecting,   // trying, or waiting to retry or reconnect
        Connected,
        Closed,  // close() was called; connectToServer() starts over
    };
    Q_ENUM(State)

    static constexpr int DefaultRetryDelay = 1000;
    static constexpr int DefaultReconnectDelay = 100;
    static constexpr qint64 DefaultMaxFrameSize = 64 * 1024 * 1024;
    static constexpr qint64 DefaultMaxPendingBytes = 128 * 1024 * 1024;
    static constexpr int DefaultMaxBackoffDelay = 30000;
    static constexpr int DefaultRequestTimeout = 30000;
    static constexpr int DefaultCloseTimeout = 30000;

    explicit IpcClient(QObject *parent = nullptr);
    ~IpcClient() override;

    QString socketPath() const;
    void setSocketPath(const QString &path);  // takes effect at the next connect attempt
    State state() const;
    bool isConnected() const { return state() == State::Connected; }

    int retryDelay() const;
    void setRetryDelay(int msecs);
    void setRetryDelay(int minMsecs, int maxMsecs);
    int retryDelayMax() const;
    void setRetryDelayMax(int msecs);
    int reconnectDelay() const;
    void setReconnectDelay(int msecs);
    void setReconnectDelay(int minMsecs, int maxMsecs);
    int reconnectDelayMax() const;
    void setReconnectDelayMax(int msecs);

    qint64 maxFrameSize() const;
    void setMaxFrameSize(qint64 bytes);
    qint64 maxPendingBytes() const;
    void setMaxPendingBytes(qint64 bytes);

    double backoffFactor() const;
    void setBackoffFactor(double factor);
    int maxBackoffDelay() const;
    void setMaxBackoffDelay(int msecs);
    int maxQueuedMessages() const;
    void setMaxQueuedMessages(int count);
    int queuedMessageCount() const;
    int closeTimeout() const;
    void setCloseTimeout(int msecs);

    std::shared_ptr<const IpcCodec> codec() const;
    void setCodec(std::shared_ptr<const IpcCodec> codec);
    QString codecName() const;
    void setCodecName(const QString &name);  // a registered codec's name; else a warning
    int requestTimeout() const;
    void setRequestTimeout(int msecs);

    QString tlsCaFile() const;
    void setTlsCaFile(const QString &path);
    QString tlsCertificateFile() const;
    void setTlsCertificateFile(const QString &path);
    QString tlsPrivateKeyFile() const;
    void setTlsPrivateKeyFile(const QString &path);
    // The base of the TLS settings; the files above are applied on top of it.
    QSslConfiguration sslConfiguration() const;
    void setSslConfiguration(const QSslConfiguration &configuration);
    QString authToken() const;
    void setAuthToken(const QString &token);
    int expectedServerUserId() const;
    void setExpectedServerUserId(int uid);

    IpcError::Error error() const;
    QString errorString() const;

    // The client-owned subscription to one topic: the same object for the same name.
    Q_INVOKABLE IpcTopic *topic(const QString &name);

    // Calls functor(message) for each message on topic while context lives.
    template<typename Functor>
    QMetaObject::Connection on(const QString &topicName, const QObject *context, Functor &&functor)
    {
        return QObject::connect(topic(topicName), &IpcTopic::messageReceived, context,
                                std::forward<Functor>(functor));
    }

    // Asks the server, which answers with IpcServer::handle(). The reply is this client's
    // child; finished() always comes from the event loop. Not connected: NoServerError, or
    // queued with the messages when maxQueuedMessages allows. timeoutMsecs -1:
    // requestTimeout. A Node server sees an ordinary message and never answers.
    IpcReply *request(const QString &topic, const QVariant &message, int timeoutMsecs = -1);
    // The same, calling functor(const IpcReply &) once finished while context lives.
    template<typename Functor>
    void request(const QString &topic, const QVariant &message, const QObject *context,
                 Functor &&functor, int timeoutMsecs = -1)
    {
        IpcReply *reply = request(topic, message, timeoutMsecs);
        QObject::connect(
                reply, &IpcReply::finished, context,
                [reply, f = std::decay_t<Functor>(std::forward<Functor>(functor))]() mutable {
                    f(std::as_const(*reply));
                });
        QObject::connect(reply, &IpcReply::finished, reply, &QObject::deleteLater);
    }

    // Answers the server's requests (IpcServer::request()) on topic; the handler forms are
    // those of IpcServer::handle() (clientId is empty here).
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

public Q_SLOTS:
    void connectToServer(const QString &socketPath = {});
    // Stops retrying, writes what is pending, disconnects; closed() follows (before close()
    // returns when there was no connection).
    void close();
    bool send(const QString &topic, const QVariant &message);

Q_SIGNALS:
    void socketPathChanged();
    void stateChanged(IpcClient::State state);
    void retryDelayChanged();
    void reconnectDelayChanged();
    void maxFrameSizeChanged();
    void maxPendingBytesChanged();
    void backoffChanged();
    void maxQueuedMessagesChanged();
    void queuedMessageCountChanged();
    void closeTimeoutChanged();
    void codecChanged();
    void requestTimeoutChanged();
    void tlsChanged();
    void authTokenChanged();
    void expectedServerUserIdChanged();
    void connected();
    void reconnected();   // after connected(), when it follows a disconnect
    void disconnected();  // unexpected: a reconnect is scheduled
    void connectError(const QString &description);  // an attempt failed: a retry is scheduled
    void messageReceived(const QString &topic, const QVariant &message);
    void errorOccurred(IpcError::Error error, const QString &description);
    void closed();

private:
    friend class IpcClientPrivate;
    friend class IpcTopicRegistry;
    std::unique_ptr<IpcClientPrivate> d;
};

#endif  // IPCCLIENT_H
