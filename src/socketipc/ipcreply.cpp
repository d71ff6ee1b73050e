#include "ipcreply.h"
#include "ipcrequest_p.h"

#include <QtCore/qcoreevent.h>

/*!
    \class IpcReply
    \inmodule SocketIpc
    \inheaderfile SocketIpc/IpcReply
    \brief The \l [CPP] {IpcReply} class is the pending answer to a request.

    \l [CPP] {IpcClient::request()} and \l [CPP] {IpcServer::request()} return one. It finishes
    exactly once: \l finished() is emitted, always from the event loop (never inside \c request()),
    with either value() or error() set:

    \snippet ipcreply.cpp finished

    The overloads of \c request() that take a context and a functor call the functor with the
    finished reply, while the context lives, and then delete the reply:

    \snippet ipcreply.cpp functor

    A request ends with its answer, or with one of these errors:

    \table
    \header \li Error \li When
    \row \li \l [CPP] {IpcError::Error}{TimeoutError}
         \li No answer within the request's timeout: the \c timeoutMsecs given to
             \c request(), or else the endpoint's \l [CPP] {IpcEndpoint::}{requestTimeout} (30
             seconds by default; 0 waits as long as it takes). The peer is asked to stop handling
             the request, as cancel() asks.
    \row \li \l [CPP] {IpcError::Error}{CancelledError}
         \li cancel() was called.
    \row \li \l [CPP] {IpcError::Error}{NoHandlerError}
         \li The peer has no handler for the topic.
    \row \li \l [CPP] {IpcError::Error}{HandlerError}
         \li The peer's handler threw, returned \l [CPP] {IpcRequest::error()}, called
             \l [CPP] {IpcRequest::fail()}, or dropped the request unanswered.
    \row \li \l [CPP] {IpcError::Error}{DisconnectedError}
         \li The connection ended before the answer arrived, or \l [CPP] {IpcClient::}{close()}
             discarded the request from the offline queue.
    \row \li \l [CPP] {IpcError::Error}{NoServerError}
         \li A client's request while it is not connected and has no offline queue.
    \row \li \l [CPP] {IpcError::Error}{QueueFullError}
         \li A client's request while disconnected, with the offline queue full.
    \row \li \l [CPP] {IpcError::Error}{SendAfterCloseError}
         \li The request was made after \l [CPP] {IpcEndpoint::}{close()}.
    \row \li \l [CPP] {IpcError::Error}{BadClientError}
         \li A server's request to a client id it does not know.
    \row \li \l [CPP] {IpcError::Error}{EncodeError}
         \li The message cannot be encoded.
    \row \li \l [CPP] {IpcError::Error}{WriteBufferFullError}
         \li The request would take what waits for the peer past
             \l [CPP] {IpcEndpoint::}{maxPendingBytes}.
    \endtable

    Before the answer, the peer's handler may report progress (\l [CPP]
    {IpcRequest::sendProgress()}):
    progress() is emitted for each notification, in order, before finished(). cancel() asks the
    handler to stop.

    \snippet ipcreply.cpp progress

    A peer of the Node library sees a request as an ordinary message and never answers it: the
    request times out.

    The reply is a child of the client or server that made it, and is deleted with it. Delete it
    when done (\c deleteLater() from a slot connected to finished()); deleting it earlier forgets
    the request, and its answer, when it comes, is dropped.

    In QML the reply is the \l [QML] {IpcReply} type, returned by \c request().

    \b {See also} \l [CPP] {IpcRequest}.
*/

IpcReply::IpcReply(const QString &topic, QObject *parent)
    : QObject(parent), d(std::make_unique<IpcReplyPrivate>())
{
    d->topic = topic;
}

/*!
    \property IpcReply::topic
    \brief the topic of the request.
*/

/*!
    \property IpcReply::finished
    \brief whether the request has ended, with an answer or an error.

    False until finished() is emitted; true from then on.
*/

/*!
    \property IpcReply::value
    \brief the answer to the request.

    Invalid until the reply has finished, and when the request failed.
*/

/*!
    \property IpcReply::error
    \brief how the request ended.

    \l [CPP] {IpcError::Error}{NoError} while it is pending and when it was answered; otherwise one
    of the errors listed in the \l [CPP] {IpcReply}{class description}, with errorString() saying
    why.
*/

/*!
    \property IpcReply::errorString
    \brief why the request failed: a human sentence, empty unless error() is set.

    For a \l [CPP] {IpcError::Error}{HandlerError} it is the description the handler gave
    (\l [CPP] {IpcRequest::fail()}, \l [CPP] {IpcRequest::error()}), or what it threw.
*/

/*!
    \fn void IpcReply::finished()

    Emitted once, from the event loop, when the request has ended: answered (value() holds the
    answer) or failed (error() and errorString() say why).
*/

/*!
    \fn void IpcReply::progress(const QVariant &value)

    Emitted for each progress notification of the peer's handler (\l [CPP]
    {IpcRequest::sendProgress()}), with
    its \a value: in order, and always before finished().
*/

/*!
    Destroys the reply. A request still pending is forgotten: its answer, when it comes, is dropped.
*/
IpcReply::~IpcReply()
{
    if (d->broker)
        d->broker->forget(this);
}

QString IpcReply::topic() const
{
    return d->topic;
}

bool IpcReply::isFinished() const
{
    return d->finished;
}

QVariant IpcReply::value() const
{
    return d->value;
}

IpcError::Error IpcReply::error() const
{
    return d->error;
}

QString IpcReply::errorString() const
{
    return d->errorString;
}

/*!
    Asks the peer to stop handling the request (it sees \l [CPP] {IpcRequest::isCancelled()}) and
    finishes the
    reply with \l [CPP] {IpcError::Error}{CancelledError}, from the event loop, whatever the peer
    still sends. Does nothing once the reply has finished (or is about to).

    A request whose timeout expires is cancelled on the peer's side the same way.
*/
void IpcReply::cancel()
{
    if (d->finished || d->finishing || !d->broker)
        return;
    d->broker->sendCancel(this);
    d->broker->failLater(this, IpcError::CancelledError,
                         QStringLiteral("the request \"%1\" was cancelled").arg(d->topic));
}

/*!
    Handles the request's timeout: on expiry the peer is asked to stop, and the reply finishes with
    \l [CPP] {IpcError::Error}{TimeoutError}. Other timers' \a event goes to QObject.
*/
void IpcReply::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != d->timeout.timerId()) {
        QObject::timerEvent(event);
        return;
    }
    d->timeout.stop();
    if (d->broker && !d->finishing) {
        d->broker->sendCancel(this);  // the peer may stop working on it
        d->broker->finish(this, {}, IpcError::TimeoutError,
                          QStringLiteral("no reply to \"%1\" within the timeout").arg(d->topic));
    }
}
