#ifndef IPCSERVER_H
#define IPCSERVER_H

#include "ipcendpoint.h"
#include "ipcstatistics.h"
#include "ipcpeercredentials.h"

#include <QtCore/qstringlist.h>

#include <functional>

class IpcServerPrivate;

class SOCKETIPC_EXPORT IpcServer : public IpcEndpoint
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcServer)
    Q_PROPERTY(bool listening READ isListening NOTIFY listeningChanged)
    Q_PROPERTY(QString listeningAddress READ listeningAddress NOTIFY listeningChanged)
    Q_PROPERTY(int clientCount READ clientCount NOTIFY clientCountChanged)
    Q_PROPERTY(QStringList clientIds READ clientIds NOTIFY clientCountChanged)
    Q_PROPERTY(SocketAccess socketAccess READ socketAccess WRITE setSocketAccess NOTIFY
                       socketAccessChanged)
    Q_PROPERTY(SlowClientPolicy slowClientPolicy READ slowClientPolicy WRITE setSlowClientPolicy
                       NOTIFY slowClientPolicyChanged)
    Q_PROPERTY(int maxClients READ maxClients WRITE setMaxClients NOTIFY maxClientsChanged)
    Q_PROPERTY(QList<int> allowedUserIds READ allowedUserIds WRITE setAllowedUserIds NOTIFY
                       allowedUserIdsChanged)
    Q_PROPERTY(int handshakeTimeout READ handshakeTimeout WRITE setHandshakeTimeout NOTIFY
                       handshakeTimeoutChanged)
    Q_PROPERTY(qint64 maxRetainedBytes READ maxRetainedBytes WRITE setMaxRetainedBytes NOTIFY
                       maxRetainedBytesChanged)
    Q_PROPERTY(QStringList retainedTopics READ retainedTopics NOTIFY retainedChanged)
    Q_PROPERTY(bool allowMonitors READ allowMonitors WRITE setAllowMonitors NOTIFY
                       allowMonitorsChanged)
public:
    enum class SocketAccess {
        OwnerOnly,
        OwnerAndGroup,
        Everyone,
    };
    Q_ENUM(SocketAccess)

    enum class SlowClientPolicy {
        DisconnectClient,
        DropMessages,
    };
    Q_ENUM(SlowClientPolicy)

    static constexpr qint64 DefaultMaxPendingBytes = 32 * 1024 * 1024;
    static constexpr int DefaultMaxClients = 256;
    static constexpr qint64 MaxAuthenticationFrameSize = 4096;
    static constexpr qint64 DefaultMaxRetainedBytes = 16 * 1024 * 1024;

    explicit IpcServer(QObject *parent = nullptr);
    ~IpcServer() override;

    bool isListening() const;
    QString listeningAddress() const;
    int clientCount() const;
    QStringList clientIds() const;
    SocketAccess socketAccess() const;
    void setSocketAccess(SocketAccess access);
    SlowClientPolicy slowClientPolicy() const;
    void setSlowClientPolicy(SlowClientPolicy policy);
    int maxClients() const;
    void setMaxClients(int count);
    QList<int> allowedUserIds() const;
    void setAllowedUserIds(const QList<int> &uids);
    int handshakeTimeout() const;
    void setHandshakeTimeout(int msecs);
    using ConnectionFilter = std::function<bool(const IpcPeerCredentials &)>;
    void setConnectionFilter(ConnectionFilter filter);
    qint64 maxRetainedBytes() const;
    void setMaxRetainedBytes(qint64 bytes);
    bool allowMonitors() const;
    void setAllowMonitors(bool allow);
    int monitorCount() const;

    bool retain(const QString &topic, const QVariant &message);
    Q_INVOKABLE void clearRetained(const QString &topic);
    Q_INVOKABLE QVariant retained(const QString &topic) const;
    QStringList retainedTopics() const;
    qint64 retainedBytes() const;

    Q_INVOKABLE IpcPeerCredentials peerCredentials(const QString &clientId) const;
    Q_INVOKABLE IpcStatistics statistics(const QString &clientId) const;
    Q_INVOKABLE IpcStatistics statistics() const;

    IpcReply *request(const QString &topic, const QVariant &message, const QString &clientId,
                      int timeoutMsecs = -1);
    template<typename Functor>
    void request(const QString &topic, const QVariant &message, const QString &clientId,
                 const QObject *context, Functor &&functor, int timeoutMsecs = -1)
    {
        IpcPrivate::onFinished(request(topic, message, clientId, timeoutMsecs), context,
                               std::forward<Functor>(functor));
    }

public Q_SLOTS:
    bool listen(const QString &address = {});
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
