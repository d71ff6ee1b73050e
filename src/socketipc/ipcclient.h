#ifndef IPCCLIENT_H
#define IPCCLIENT_H

#include "ipcendpoint.h"
#include "ipcstatistics.h"

class IpcClientPrivate;

class SOCKETIPC_EXPORT IpcClient : public IpcEndpoint
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcClient)
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(int retryDelay READ retryDelay WRITE setRetryDelay NOTIFY retryDelayChanged)
    Q_PROPERTY(int retryDelayMax READ retryDelayMax WRITE setRetryDelayMax NOTIFY retryDelayChanged)
    Q_PROPERTY(int reconnectDelay READ reconnectDelay WRITE setReconnectDelay NOTIFY
                       reconnectDelayChanged)
    Q_PROPERTY(int reconnectDelayMax READ reconnectDelayMax WRITE setReconnectDelayMax NOTIFY
                       reconnectDelayChanged)
    Q_PROPERTY(double backoffFactor READ backoffFactor WRITE setBackoffFactor NOTIFY backoffChanged)
    Q_PROPERTY(
            int maxBackoffDelay READ maxBackoffDelay WRITE setMaxBackoffDelay NOTIFY backoffChanged)
    Q_PROPERTY(int maxQueuedMessages READ maxQueuedMessages WRITE setMaxQueuedMessages NOTIFY
                       maxQueuedMessagesChanged)
    Q_PROPERTY(int queuedMessageCount READ queuedMessageCount NOTIFY queuedMessageCountChanged)
    Q_PROPERTY(int expectedServerUserId READ expectedServerUserId WRITE setExpectedServerUserId
                       NOTIFY expectedServerUserIdChanged)
    Q_PROPERTY(bool monitor READ isMonitor WRITE setMonitor NOTIFY monitorChanged)
public:
    enum class State {
        Unconnected,
        Connecting,
        Connected,
        Closed,
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
    Q_INVOKABLE IpcStatistics statistics() const;

    int expectedServerUserId() const;
    void setExpectedServerUserId(int uid);
    bool isMonitor() const;
    void setMonitor(bool monitor);

    IpcReply *request(const QString &topic, const QVariant &message, int timeoutMsecs = -1);
    template<typename Functor>
    void request(const QString &topic, const QVariant &message, const QObject *context,
                 Functor &&functor, int timeoutMsecs = -1)
    {
        IpcPrivate::onFinished(request(topic, message, timeoutMsecs), context,
                               std::forward<Functor>(functor));
    }

public Q_SLOTS:
    void connectToServer(const QString &address = {});
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
    void reconnected();
    void disconnected();
    void connectError(const QString &description);

private:
    Q_DECLARE_PRIVATE(IpcClient)
};

#endif  // IPCCLIENT_H
