#ifndef IPCENDPOINT_H
#define IPCENDPOINT_H

#include "ipccodec.h"
#include "ipcerror.h"
#include "ipcreply.h"
#include "ipcrequest.h"
#include "ipctlssettings.h"
#include "ipctopic.h"
#include "socketipcglobal.h"

#include <QtCore/qobject.h>
#include <QtCore/qvariant.h>

#include <functional>
#include <memory>

class IpcEndpointPrivate;

class SOCKETIPC_EXPORT IpcEndpoint : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcEndpoint)
    Q_PROPERTY(QString address READ address WRITE setAddress NOTIFY addressChanged)
    Q_PROPERTY(QString resolvedAddress READ resolvedAddress NOTIFY addressChanged)
    Q_PROPERTY(QString socketPath READ address WRITE setAddress NOTIFY addressChanged)
    Q_PROPERTY(
            qint64 maxFrameSize READ maxFrameSize WRITE setMaxFrameSize NOTIFY maxFrameSizeChanged)
    Q_PROPERTY(qint64 maxPendingBytes READ maxPendingBytes WRITE setMaxPendingBytes NOTIFY
                       maxPendingBytesChanged)
    Q_PROPERTY(int closeTimeout READ closeTimeout WRITE setCloseTimeout NOTIFY closeTimeoutChanged)
    Q_PROPERTY(QString codecName READ codecName WRITE setCodecName NOTIFY codecChanged)
    Q_PROPERTY(int requestTimeout READ requestTimeout WRITE setRequestTimeout NOTIFY
                       requestTimeoutChanged)
    Q_PROPERTY(IpcTlsSettings tls READ tls WRITE setTls NOTIFY tlsChanged)
    Q_PROPERTY(QString authToken READ authToken WRITE setAuthToken NOTIFY authTokenChanged)
    Q_PROPERTY(IpcError::Error error READ error NOTIFY errorOccurred)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorOccurred)
public:
    static constexpr qint64 DefaultMaxFrameSize = 64 * 1024 * 1024;
    static constexpr int DefaultRequestTimeout = 30000;
    static constexpr int DefaultCloseTimeout = 30000;

    ~IpcEndpoint() override;

    QString address() const;
    void setAddress(const QString &address);
    QString resolvedAddress() const;
    Q_DECL_DEPRECATED_X("use address()") QString socketPath() const { return address(); }
    Q_DECL_DEPRECATED_X("use setAddress()") void setSocketPath(const QString &path)
    {
        setAddress(path);
    }

    qint64 maxFrameSize() const;
    void setMaxFrameSize(qint64 bytes);
    qint64 maxPendingBytes() const;
    void setMaxPendingBytes(qint64 bytes);
    int closeTimeout() const;
    void setCloseTimeout(int msecs);

    std::shared_ptr<const IpcCodec> codec() const;
    void setCodec(std::shared_ptr<const IpcCodec> codec);
    QString codecName() const;
    void setCodecName(const QString &name);
    int requestTimeout() const;
    void setRequestTimeout(int msecs);

    IpcTlsSettings tls() const;
    void setTls(const IpcTlsSettings &settings);
    QString authToken() const;
    void setAuthToken(const QString &token);

    IpcError::Error error() const;
    QString errorString() const;

    Q_INVOKABLE IpcTopic *topic(const QString &name);

    template<typename Functor>
    QMetaObject::Connection on(const QString &topicName, const QObject *context, Functor &&functor)
    {
        return QObject::connect(topic(topicName), &IpcTopic::messageReceived, context,
                                std::forward<Functor>(functor));
    }

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
    virtual void close() = 0;

Q_SIGNALS:
    void addressChanged();
    void maxFrameSizeChanged();
    void maxPendingBytesChanged();
    void closeTimeoutChanged();
    void codecChanged();
    void requestTimeoutChanged();
    void tlsChanged();
    void authTokenChanged();
    void messageReceived(const QString &topic, const QVariant &message, const QString &clientId);
    void errorOccurred(IpcError::Error error, const QString &description, const QString &clientId);
    void closed();

protected:
    // For IpcServer and IpcClient, each handing in its own private, derived from ours.
    IpcEndpoint(IpcEndpointPrivate &dd, QObject *parent);

    std::unique_ptr<IpcEndpointPrivate> d_ptr;

private:
    Q_DECLARE_PRIVATE(IpcEndpoint)
};

#endif  // IPCENDPOINT_H
