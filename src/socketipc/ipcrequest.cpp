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

/*!
    \class IpcRequest
    \inmodule SocketIpc
    \inheaderfile SocketIpc/IpcRequest
    \brief The \l [CPP] {IpcRequest} class is a request received by a handler, to be answered.

    A peer asks with \l [CPP] {IpcClient::}{request()} or \l [CPP] {IpcServer::}{request()}; this
    end answers with a handler installed by \l [CPP] {IpcEndpoint::}{handle()} on the request's
    topic. A handler takes one of three forms:

    \list
    \li \c {QVariant (const QVariant &message)}, or
    \li \c {QVariant (const QVariant &message, const QString &clientId)}: the returned value
        is the answer (a handler returning \c void answers \c null). Returning error() fails the
        request, and so does throwing an exception.
    \li \c {void (IpcRequest &request)}: the handler answers with reply() or fail(), at once
        or later.
    \endlist

    \snippet ipcrequest.cpp return

    To answer later, keep a copy of the request: copies are cheap and share one state, and any of
    them may answer.

    \snippet ipcrequest.cpp later

    The first answer counts; later ones return false and send nothing. When the last copy goes away
    unanswered, the requester gets a \l [CPP] {IpcError::Error}{HandlerError} ("the handler of
    "render" did not answer"), so that it does not wait for its timeout.

    Before its answer a handler may report how far it has come, any number of times, with
    sendProgress(); the requester's \l [CPP] {IpcReply} emits \l [CPP] {IpcReply::}{progress()} for
    each, in order, before \l [CPP] {IpcReply::}{finished()}. The requester may ask the handler to
    stop: with \l [CPP] {IpcReply::cancel()}, when its timeout expires, or by disconnecting. The
    request is then cancelled on every copy (isCancelled()), its onCancelled() functors are called,
    and its answer goes nowhere. Cancelling is a request to stop, not a guarantee: work in progress
    stops only where the handler checks.

    \snippet ipcrequest.cpp progress

    Requests go to handlers only, never to \l [CPP] {IpcEndpoint::}{messageReceived()}. A request on
    a topic without a handler is answered with a \l [CPP] {IpcError::Error}{NoHandlerError}.

    Use a request in the thread of the server or client it came from.
*/

/*!
    Constructs an invalid request, which answers nothing: isValid() is false and reply(), fail() and
    sendProgress() return false.
*/
IpcRequest::IpcRequest() = default;

/*!
    Constructs a copy of \a other, which shares its state: an answer given through either is the
    request's answer.
*/
IpcRequest::IpcRequest(const IpcRequest &other) = default;

/*!
    Move-constructs a request from \a other, which becomes invalid.
*/
IpcRequest::IpcRequest(IpcRequest &&other) noexcept = default;

/*!
    Makes this a copy of \a other, sharing its state, and returns a reference to it. If this was the
    last copy of an unanswered request, that request fails with a
    \l [CPP] {IpcError::Error}{HandlerError}.
*/
IpcRequest &IpcRequest::operator=(const IpcRequest &other) = default;

/*!
    Move-assigns \a other to this request and returns a reference to it. If this was the last copy
    of an unanswered request, that request fails with a \l [CPP] {IpcError::Error}{HandlerError}.
*/
IpcRequest &IpcRequest::operator=(IpcRequest &&other) noexcept = default;

/*!
    Destroys this copy of the request. When it is the last copy and the request is unanswered, the
    requester gets a \l [CPP] {IpcError::Error}{HandlerError} saying that the handler did not
    answer.
*/
IpcRequest::~IpcRequest() = default;

/*!
    Returns whether this is a request received by a handler; false for a default-constructed one.
*/
bool IpcRequest::isValid() const
{
    return d != nullptr;
}

/*!
    Returns the request's topic: the one its handler was installed for.
*/
QString IpcRequest::topic() const
{
    return d ? d->topic : QString();
}

/*!
    Returns the request's message.
*/
QVariant IpcRequest::message() const
{
    return d ? d->message : QVariant();
}

/*!
    Returns the id of the requesting client on a server (the id of
    \l [CPP] {IpcServer::}{clientConnected()}); empty on a client, where the server asks.
*/
QString IpcRequest::clientId() const
{
    return d ? d->clientId : QString();
}

/*!
    Returns whether the request has been answered: reply() or fail() was called on one of its copies
    (successfully or not). After that, neither sends anything.
*/
bool IpcRequest::isAnswered() const
{
    return d && d->answered;
}

/*!
    Tells the requester how far the work has come: its \l [CPP] {IpcReply} emits
    \l [CPP] {IpcReply::}{progress()} with \a value, in order, before \l [CPP]
    {IpcReply::}{finished()}. May be called any number of times before the answer.

    Returns false, sending nothing, once the request is answered or cancelled, when the connection
    has ended, when \a value cannot be encoded, or when it would take what waits for the peer past
    \l [CPP] {IpcEndpoint::}{maxPendingBytes}.
*/
bool IpcRequest::sendProgress(const QVariant &value)
{
    return d && d->sendProgress(value);
}

/*!
    Returns whether the requester has asked to stop (\l [CPP] {IpcReply::cancel()}, or the request's
    timeout) or is gone (its connection ended). True on every copy once the notice arrived. The
    requester then no longer waits for an answer, and reply() sends none.

    \sa onCancelled()
*/
bool IpcRequest::isCancelled() const
{
    return d && d->cancelled;
}

/*!
    Calls \a functor once, from the event loop, when the request is cancelled, or soon after this
    call if it is cancelled already; not if \a context is destroyed first, and not once the request
    has been answered (an answer drops the functors still waiting).

    \a context must not be null: the functor runs in its thread. Nothing happens when \a functor is
    empty or the request is answered already.

    \sa isCancelled()
*/
void IpcRequest::onCancelled(const QObject *context, std::function<void()> functor)
{
    if (!d || !functor || d->answered)
        return;
    if (d->cancelled)
        IpcRequestPrivate::callLater(context, functor);
    else
        d->cancelHandlers.append({context, std::move(functor)});
}

/*!
    Sends \a value as the answer; the requester's \l [CPP] {IpcReply} finishes with it as its
    \l [CPP] {IpcReply::value}{value()}. A \a value made by error() fails the request instead, as
    fail() does.

    Returns false, sending nothing, if the request was answered already, if it was cancelled, if the
    connection has ended, or if the answer would take what waits for the peer past
    \l [CPP] {IpcEndpoint::}{maxPendingBytes}. Also false if \a value cannot be encoded: the
    requester then gets a \l [CPP] {IpcError::Error}{HandlerError} saying so, rather than waiting
    for its timeout. Either way the request counts as answered.
*/
bool IpcRequest::reply(const QVariant &value)
{
    if (isError(value))
        return fail(value.value<HandlerFailure>().description);
    return d && d->answer(value, {}, {});
}

/*!
    Ends the request with a \l [CPP] {IpcError::Error}{HandlerError}: the requester's \l [CPP]
    {IpcReply} finishes with \a description as its \l [CPP] {IpcReply::}{errorString}.

    Returns false, as reply() does, when nothing could be sent.
*/
bool IpcRequest::fail(const QString &description)
{
    return d && d->answer(QVariant::fromValue(nullptr), HandlerCode, description);
}

/*!
    Returns a value that, returned by a handler (or given to reply()), fails the request with a
    \l [CPP] {IpcError::Error}{HandlerError} and \a description, as fail() does.

    \snippet ipcrequest.cpp return

    \sa isError()
*/
QVariant IpcRequest::error(const QString &description)
{
    return QVariant::fromValue(HandlerFailure{description});
}

/*!
    Returns whether \a value was made by error().
*/
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
