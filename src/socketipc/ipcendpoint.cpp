#include "ipcendpoint.h"
#include "ipcendpoint_p.h"

#include "ipcproperty_p.h"
#include "transport/ipcaddress_p.h"

#include <QtCore/qpointer.h>

// "IpcServer" or "IpcClient" for warnings, also for a subclass (the QML types, say).
static const char *className(const IpcEndpoint *endpoint)
{
    const QMetaObject *meta = endpoint->metaObject();
    while (meta->superClass() && meta->superClass() != &IpcEndpoint::staticMetaObject)
        meta = meta->superClass();
    return meta->className();
}

IpcEndpointPrivate::IpcEndpointPrivate(qint64 defaultMaxPendingBytes)
    : maxPendingBytes(defaultMaxPendingBytes)
{ }

IpcEndpointPrivate::~IpcEndpointPrivate() = default;

void IpcEndpointPrivate::dispatch(IpcConnection *connection, const IpcCodec::Frame &frame,
                                  const QString &clientId)
{
    if (frame.cancelId() > 0 && frame.replyTo <= 0 && frame.requestId <= 0) {
        requests.cancelHandling(connection, frame.cancelId());  // the library's, not a message
        return;
    }
    connection->countReceived();
    if (frame.replyTo > 0) {
        requests.deliverReply(connection, frame);
        return;
    }
    if (frame.requestId > 0) {
        requests.dispatch(connection, frame, clientId);
        return;
    }
    Q_Q(IpcEndpoint);
    if (topics.isEmpty()) {
        emit q->messageReceived(frame.topic, frame.message, clientId);
        return;
    }
    const QPointer<IpcEndpoint> guard(q);  // only worth its cost when there is more to do
    emit q->messageReceived(frame.topic, frame.message, clientId);
    if (guard)
        topics.deliver(frame.topic, frame.message, clientId);
}

void IpcEndpointPrivate::setError(IpcError::Error code, const QString &description,
                                  const QString &clientId)
{
    Q_Q(IpcEndpoint);
    error = code;
    errorString = description;
    emit q->errorOccurred(code, description, clientId);
}

IpcEndpoint::IpcEndpoint(IpcEndpointPrivate &dd, QObject *parent) : QObject(parent), d_ptr(&dd)
{
    d_ptr->q_ptr = this;
    d_ptr->requests.setOwner(this);
}

IpcEndpoint::~IpcEndpoint()
{
    // Released first, so that the topics, which are children and outlive this, find no
    // registry to reach back into (IpcTopicRegistry::of()).
    delete d_ptr.release();
}

QString IpcEndpoint::address() const
{
    return d_func()->address;
}

QString IpcEndpoint::resolvedAddress() const
{
    const IpcAddress where = IpcAddress::parse(d_func()->address);
    return where.isValid() ? where.toString() : QString();
}

void IpcEndpoint::setAddress(const QString &address)
{
    assignAndNotify(this, d_func()->address, address, &IpcEndpoint::addressChanged);
}

qint64 IpcEndpoint::maxFrameSize() const
{
    return d_func()->maxFrameSize;
}

void IpcEndpoint::setMaxFrameSize(qint64 bytes)
{
    Q_D(IpcEndpoint);
    bytes = qMax<qint64>(bytes, 1);
    if (d->maxFrameSize == bytes)
        return;
    d->maxFrameSize = bytes;
    for (IpcConnection *connection : d->openConnections())
        connection->setMaxFrameSize(bytes);
    emit maxFrameSizeChanged();
}

qint64 IpcEndpoint::maxPendingBytes() const
{
    return d_func()->maxPendingBytes;
}

void IpcEndpoint::setMaxPendingBytes(qint64 bytes)
{
    Q_D(IpcEndpoint);
    bytes = qMax<qint64>(bytes, 0);
    if (d->maxPendingBytes == bytes)
        return;
    d->maxPendingBytes = bytes;
    for (IpcConnection *connection : d->openConnections())
        connection->setMaxPendingBytes(bytes);
    emit maxPendingBytesChanged();
}

int IpcEndpoint::closeTimeout() const
{
    return d_func()->closeTimeout;
}

void IpcEndpoint::setCloseTimeout(int msecs)
{
    assignAndNotify(this, d_func()->closeTimeout, qMax(0, msecs),
                    &IpcEndpoint::closeTimeoutChanged);
}

std::shared_ptr<const IpcCodec> IpcEndpoint::codec() const
{
    return d_func()->codec;
}

void IpcEndpoint::setCodec(std::shared_ptr<const IpcCodec> codec)
{
    Q_D(IpcEndpoint);
    if (!codec)
        codec = IpcCodec::json();
    if (d->codec == codec)
        return;
    d->codec = std::move(codec);
    emit codecChanged();
}

QString IpcEndpoint::codecName() const
{
    Q_D(const IpcEndpoint);
    return d->codec->name();
}

void IpcEndpoint::setCodecName(const QString &name)
{
    auto codec = IpcCodec::byName(name);
    if (!codec) {
        qWarning("%s::setCodecName: no codec named \"%ls\"", className(this),
                 qUtf16Printable(name));
        return;
    }
    setCodec(std::move(codec));
}

int IpcEndpoint::requestTimeout() const
{
    return d_func()->requestTimeout;
}

void IpcEndpoint::setRequestTimeout(int msecs)
{
    assignAndNotify(this, d_func()->requestTimeout, qMax(0, msecs),
                    &IpcEndpoint::requestTimeoutChanged);
}

IpcTlsSettings IpcEndpoint::tls() const
{
    return d_func()->tls;
}

void IpcEndpoint::setTls(const IpcTlsSettings &settings)
{
    assignAndNotify(this, d_func()->tls, settings, &IpcEndpoint::tlsChanged);
}

QString IpcEndpoint::authToken() const
{
    return d_func()->authToken;
}

void IpcEndpoint::setAuthToken(const QString &token)
{
    Q_D(IpcEndpoint);
    if (!token.isEmpty() && token.size() < IpcEndpointPrivate::MinTokenLength)
        qWarning("%s::setAuthToken: a token of %d characters is easy to guess; use at least %d "
                 "random ones",
                 className(this), int(token.size()), IpcEndpointPrivate::MinTokenLength);
    assignAndNotify(this, d->authToken, token, &IpcEndpoint::authTokenChanged);
}

IpcError::Error IpcEndpoint::error() const
{
    return d_func()->error;
}

QString IpcEndpoint::errorString() const
{
    return d_func()->errorString;
}

IpcTopic *IpcEndpoint::topic(const QString &name)
{
    Q_D(IpcEndpoint);
    return d->topics.owned(name, this);
}

void IpcEndpoint::setRequestHandler(const QString &topic, const QObject *context,
                                    std::function<void(IpcRequest &)> handler)
{
    Q_D(IpcEndpoint);
    d->requests.setHandler(topic, context, std::move(handler));
}

void IpcEndpoint::removeHandler(const QString &topic)
{
    Q_D(IpcEndpoint);
    d->requests.removeHandler(topic);
}

bool IpcEndpoint::hasHandler(const QString &topic) const
{
    Q_D(const IpcEndpoint);
    return d->requests.hasHandler(topic);
}
