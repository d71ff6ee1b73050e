#ifndef IPCCLIENT_H
#define IPCCLIENT_H

#include "ipcendpoint.h"
#include "ipcstatistics.h"

class IpcClientPrivate;

// Connects to an IpcServer (or a Node @crussell52/socket-ipc server) over a local socket,
// TCP or TLS.
// Resilient: a failed connect is retried after retryDelay, an unexpected disconnect is
// followed by a reconnect after reconnectDelay, until close(). What it shares with IpcServer
// is IpcEndpoint's; this class adds connecting, reconnecting and the offline queue.
class SOCKETIPC_EXPORT IpcClient : public IpcEndpoint
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcClient)
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    // A delay is random in [delay, delayMax] when delayMax is greater, else fixed (delayMax
    // -1, the default). The two may be set in either order.
    Q_PROPERTY(int retryDelay READ retryDelay WRITE setRetryDelay NOTIFY retryDelayChanged)
    Q_PROPERTY(int retryDelayMax READ retryDelayMax WRITE setRetryDelayMax NOTIFY retryDelayChanged)
    Q_PROPERTY(int reconnectDelay READ reconnectDelay WRITE setReconnectDelay NOTIFY
                       reconnectDelayChanged)
    Q_PROPERTY(int reconnectDelayMax READ reconnectDelayMax WRITE setReconnectDelayMax NOTIFY
                       reconnectDelayChanged)
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
    // Local sockets: connect only to a server running as this user id (SO_PEERCRED), checked
    // before anything is sent; -1 (the default) for any. Ignored over TCP and TLS.
    Q_PROPERTY(int expectedServerUserId READ expectedServerUserId WRITE setExpectedServerUserId
                       NOTIFY expectedServerUserIdChanged)
    // Connect as a monitor of a server that allows them (IpcServer::allowMonitors): each
    // message the server receives or sends, and each client's coming and going, arrives as a
    // message on the topic "socketipc.monitor" ({"direction":"in"|"out","client":ID,
    // "topic":...,"message":...,"size":N,"time":MS} or {"event":...}); request
    // "socketipc.stats" for the server's statistics. A server that does not allow monitors
    // refuses it (ClientRefusedError). Takes effect at the next connection.
    Q_PROPERTY(bool monitor READ isMonitor WRITE setMonitor NOTIFY monitorChanged)
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
    static constexpr qint64 DefaultMaxPendingBytes = 128 * 1024 * 1024;
    static constexpr int DefaultMaxBackoffDelay = 30000;

    explicit IpcClient(QObject *parent = nullptr);
    ~IpcClient() override;

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

    double backoffFactor() const;
    void setBackoffFactor(double factor);
    int maxBackoffDelay() const;
    void setMaxBackoffDelay(int msecs);
    int maxQueuedMessages() const;
    void setMaxQueuedMessages(int count);
    int queuedMessageCount() const;
    // What went over the current connection (none: zero counts), with the reconnects since
    // connectToServer() and the offline queue's length (IpcStatistics).
    Q_INVOKABLE IpcStatistics statistics() const;

    int expectedServerUserId() const;
    void setExpectedServerUserId(int uid);
    bool isMonitor() const;
    void setMonitor(bool monitor);

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
        IpcPrivate::onFinished(request(topic, message, timeoutMsecs), context,
                               std::forward<Functor>(functor));
    }

public Q_SLOTS:
    // Connects to address (or address()), from the event loop.
    void connectToServer(const QString &address = {});
    // Stops retrying, writes what is pending, disconnects; closed() follows (before close()
    // returns when there was no connection).
    void close() override;
    bool send(const QString &topic, const QVariant &message);

Q_SIGNALS:
    void stateChanged(IpcClient::State state);
    void retryDelayChanged();
    void reconnectDelayChanged();
    void backoffChanged();
    void maxQueuedMessagesChanged();
    void queuedMessageCountChanged();
    void expectedServerUserIdChanged();
    void monitorChanged();
    void connected();
    void reconnected();   // after connected(), when it follows a disconnect
    void disconnected();  // unexpected: a reconnect is scheduled
    void connectError(const QString &description);  // an attempt failed: a retry is scheduled

private:
    Q_DECLARE_PRIVATE(IpcClient)
};

#endif  // IPCCLIENT_H
