#include "ipcrequest.h"
#include "ipcrequest_p.h"

#include <QtCore/qcoreapplication.h>

#include <exception>

namespace {

// What the wire calls the errors a handler's side reports.
const QString NoHandlerCode = QStringLiteral("NoHandler");
const QString HandlerCode = QStringLiteral("Handler");

// A handler's error, returned in place of an answer (IpcRequest::error()).
struct HandlerFailure
{
    QString description;
};

}  // namespace

IpcRequest::IpcRequest() = default;
IpcRequest::IpcRequest(const IpcRequest &other) = default;
IpcRequest::IpcRequest(IpcRequest &&other) noexcept = default;
IpcRequest &IpcRequest::operator=(const IpcRequest &other) = default;
IpcRequest &IpcRequest::operator=(IpcRequest &&other) noexcept = default;
IpcRequest::~IpcRequest() = default;

bool IpcRequest::isValid() const
{
    return d != nullptr;
}

QString IpcRequest::topic() const
{
    return d ? d->topic : QString();
}

QVariant IpcRequest::message() const
{
    return d ? d->message : QVariant();
}

QString IpcRequest::clientId() const
{
    return d ? d->clientId : QString();
}

bool IpcRequest::isAnswered() const
{
    return d && d->answered;
}

bool IpcRequest::sendProgress(const QVariant &value)
{
    return d && d->sendProgress(value);
}

bool IpcRequest::isCancelled() const
{
    return d && d->cancelled;
}

void IpcRequest::onCancelled(const QObject *context, std::function<void()> functor)
{
    if (!d || !functor || d->answered)
        return;
    if (d->cancelled)
        IpcRequestPrivate::callLater(context, functor);
    else
        d->cancelHandlers.append({context, std::move(functor)});
}

bool IpcRequest::reply(const QVariant &value)
{
    if (isError(value))
        return fail(value.value<HandlerFailure>().description);
    return d && d->answer(value, {}, {});
}

bool IpcRequest::fail(const QString &description)
{
    return d && d->answer(QVariant::fromValue(nullptr), HandlerCode, description);
}

QVariant IpcRequest::error(const QString &description)
{
    return QVariant::fromValue(HandlerFailure{description});
}

bool IpcRequest::isError(const QVariant &value)
{
    return value.metaType() == QMetaType::fromType<HandlerFailure>();
}

IpcRequestPrivate::~IpcRequestPrivate()
{
    if (!answered)
        answer(QVariant::fromValue(nullptr), HandlerCode,
               QStringLiteral("the handler of \"%1\" did not answer").arg(topic));
}

bool IpcRequestPrivate::answer(const QVariant &value, const QString &errorCode,
                               const QString &errorMessage)
{
    if (answered)
        return false;
    answered = true;
    cancelHandlers.clear();
    if (brokerOwner)
        broker->handled(this);
    // Nobody waits for the answer to a cancelled request.
    if (cancelled || !connection || !connection->isOpen())
        return false;
    IpcCodec::Frame frame;
    frame.topic = topic;
    frame.message = value;
    frame.replyTo = id;
    frame.errorCode = errorCode;
    frame.errorMessage = errorMessage;
    QString why;
    switch (connection->send(frame, &why)) {
    case IpcConnection::WriteResult::Queued: return true;
    case IpcConnection::WriteResult::EncodeError:
        // The requester must not wait for a timeout: it learns why instead.
        frame.message = QVariant::fromValue(nullptr);
        frame.errorCode = HandlerCode;
        frame.errorMessage = QStringLiteral("the answer cannot be encoded: %1").arg(why);
        connection->send(frame, nullptr);
        return false;
    case IpcConnection::WriteResult::LimitReached: return false;
    }
    return false;
}

bool IpcRequestPrivate::sendProgress(const QVariant &value)
{
    if (answered || cancelled || !connection || !connection->isOpen())
        return false;
    IpcCodec::Frame frame;
    frame.topic = topic;
    frame.message = value;
    frame.replyTo = id;
    frame.setProgress(true);
    return connection->send(frame, nullptr) == IpcConnection::WriteResult::Queued;
}

void IpcRequestPrivate::cancel()
{
    if (cancelled || answered)
        return;
    cancelled = true;
    const QList<CancelHandler> handlers = std::exchange(cancelHandlers, {});
    for (const CancelHandler &handler : handlers) {
        if (handler.context)
            callLater(handler.context, handler.function);
    }
}

void IpcRequestPrivate::callLater(const QObject *context, const std::function<void()> &function)
{
    QObject *receiver = const_cast<QObject *>(context ? context : QCoreApplication::instance());
    if (receiver)
        QMetaObject::invokeMethod(receiver, function, Qt::QueuedConnection);
}

IpcRequestBroker::~IpcRequestBroker()
{
    // The replies outlive the broker by a moment (they are the owner's children).
    for (IpcReply *reply : std::as_const(m_pending))
        reply->d->broker = nullptr;
}

void IpcRequestBroker::setHandler(const QString &topic, const QObject *context, Handler handler)
{
    if (!handler) {
        removeHandler(topic);
        return;
    }
    m_handlers.insert(topic,
                      HandlerEntry{std::make_shared<Handler>(std::move(handler)), context,
                                   context != nullptr});
}

void IpcRequestBroker::removeHandler(const QString &topic)
{
    m_handlers.remove(topic);
}

bool IpcRequestBroker::hasHandler(const QString &topic) const
{
    const auto it = m_handlers.constFind(topic);
    return it != m_handlers.cend() && (!it->hasContext || it->context);
}

void IpcRequestBroker::dispatch(IpcConnection *connection, const IpcCodec::Frame &frame,
                                const QString &clientId)
{
    IpcRequest request;
    request.d = std::make_shared<IpcRequestPrivate>();
    request.d->connection = connection;
    request.d->topic = frame.topic;
    request.d->message = frame.message;
    request.d->clientId = clientId;
    request.d->id = frame.requestId;

    const auto it = m_handlers.constFind(frame.topic);
    if (it == m_handlers.cend() || (it->hasContext && !it->context)) {
        if (it != m_handlers.cend())
            m_handlers.erase(it);
        request.d->answer(QVariant::fromValue(nullptr), NoHandlerCode,
                          QStringLiteral("no handler for \"%1\"").arg(frame.topic));
        return;
    }
    // Listed while it is handled, so that a cancellation finds it.
    request.d->broker = this;
    request.d->brokerOwner = m_owner;
    m_handling.insert({connection, frame.requestId}, request.d);
    // Held here too: the handler may replace or remove itself.
    const std::shared_ptr<Handler> handler = it->handler;
    try {
        (*handler)(request);
    } catch (const std::exception &e) {
        request.fail(QStringLiteral("the handler of \"%1\" threw: %2")
                             .arg(frame.topic, QString::fromLocal8Bit(e.what())));
    } catch (...) {
        request.fail(QStringLiteral("the handler of \"%1\" threw").arg(frame.topic));
    }
}

void IpcRequestBroker::deliverReply(IpcConnection *connection, const IpcCodec::Frame &frame)
{
    IpcReply *reply = m_pending.value(frame.replyTo);
    if (!reply || reply->d->connection != connection || reply->d->finishing)
        return;
    if (frame.isProgress()) {
        emit reply->progress(frame.message);
        return;
    }
    if (frame.errorCode.isEmpty()) {
        finish(reply, frame.message, IpcError::NoError, {});
        return;
    }
    const IpcError::Error error =
            frame.errorCode == NoHandlerCode ? IpcError::NoHandlerError : IpcError::HandlerError;
    finish(reply, {}, error,
           frame.errorMessage.isEmpty() ? QStringLiteral("the request failed")
                                        : frame.errorMessage);
}

void IpcRequestBroker::cancelHandling(IpcConnection *connection, qint64 id)
{
    const std::weak_ptr<IpcRequestPrivate> request = m_handling.take({connection, id});
    if (const std::shared_ptr<IpcRequestPrivate> d = request.lock())
        d->cancel();
}

void IpcRequestBroker::sendCancel(IpcReply *reply)
{
    IpcConnection *connection = reply->d->connection;
    if (!connection || !connection->isOpen())
        return;
    // On a topic of its own, which a peer of the Node library (that took the request for a
    // message and never answers) may ignore; the key says what it is.
    IpcCodec::Frame frame;
    frame.topic = QStringLiteral("socketipc.cancel");
    frame.message = QVariant::fromValue(nullptr);
    frame.setCancelId(reply->d->id);
    connection->send(frame, nullptr, IpcConnection::Kind::Control);
}

void IpcRequestBroker::handled(const IpcRequestPrivate *request)
{
    const auto it = m_handling.find({request->connection.data(), request->id});
    // Expired: the request is being destroyed (its last copy is gone).
    if (it != m_handling.end() && (it->expired() || it->lock().get() == request))
        m_handling.erase(it);
}

IpcReply *IpcRequestBroker::create(const QString &topic, int timeoutMsecs)
{
    auto *reply = new IpcReply(topic, m_owner);
    reply->d->broker = this;
    reply->d->id = ++m_nextId;
    m_pending.insert(reply->d->id, reply);
    if (timeoutMsecs > 0)
        reply->d->timeout.start(timeoutMsecs, Qt::PreciseTimer, reply);
    return reply;
}

int IpcRequestBroker::inFlight(const IpcConnection *connection) const
{
    int count = 0;
    for (const IpcReply *reply : m_pending) {
        if (reply->d->connection == connection && !reply->d->finished)
            ++count;
    }
    for (auto it = m_handling.cbegin(); it != m_handling.cend(); ++it) {
        if (it.key().first == connection && !it.value().expired())
            ++count;
    }
    return count;
}

void IpcRequestBroker::sent(IpcReply *reply, IpcConnection *connection)
{
    reply->d->connection = connection;
}

void IpcRequestBroker::failLater(IpcReply *reply, IpcError::Error error, const QString &description)
{
    if (reply->d->finished || reply->d->finishing)
        return;
    reply->d->finishing = true;
    reply->d->timeout.stop();
    QMetaObject::invokeMethod(
            reply,
            [reply, error, description] {
                if (reply->d->broker)
                    reply->d->broker->finish(reply, {}, error, description);
            },
            Qt::QueuedConnection);
}

void IpcRequestBroker::connectionEnded(IpcConnection *connection, const QString &description)
{
    const auto pending = m_pending.values();
    for (IpcReply *reply : pending) {
        if (reply->d->connection == connection)
            failLater(reply, IpcError::DisconnectedError, description);
    }
    // Whoever asked is gone: their handlers may stop.
    QList<std::shared_ptr<IpcRequestPrivate>> orphans;
    for (auto it = m_handling.begin(); it != m_handling.end();) {
        if (it.key().first != connection) {
            ++it;
            continue;
        }
        if (std::shared_ptr<IpcRequestPrivate> request = it->lock())
            orphans.append(std::move(request));
        it = m_handling.erase(it);
    }
    for (const std::shared_ptr<IpcRequestPrivate> &request : std::as_const(orphans))
        request->cancel();
}

void IpcRequestBroker::forget(IpcReply *reply)
{
    m_pending.remove(reply->d->id);
    reply->d->broker = nullptr;
}

void IpcRequestBroker::finish(IpcReply *reply, const QVariant &value, IpcError::Error error,
                              const QString &description)
{
    if (reply->d->finished)
        return;
    forget(reply);
    IpcReplyPrivate *d = reply->d.get();
    d->timeout.stop();
    d->finished = true;
    d->value = value;
    d->error = error;
    d->errorString = description;
    emit reply->finished();
}
