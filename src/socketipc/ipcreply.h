#ifndef IPCREPLY_H
#define IPCREPLY_H

#include "ipcerror.h"
#include "socketipcglobal.h"

#include <QtCore/qobject.h>
#include <QtCore/qvariant.h>

#include <memory>
#include <utility>

class IpcReplyPrivate;
class IpcRequestBroker;

// The pending answer to a request made with IpcClient::request() or IpcServer::request().
// finished() is emitted once, always from the event loop (never inside request()), with
// either value() or error() set. The reply belongs to the client or server that made it:
// delete it (deleteLater() from a slot) when done; deleting it earlier forgets the request.
class SOCKETIPC_EXPORT IpcReply : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcReply)
    Q_PROPERTY(QString topic READ topic CONSTANT)
    Q_PROPERTY(bool finished READ isFinished NOTIFY finished)
    Q_PROPERTY(QVariant value READ value NOTIFY finished)
    Q_PROPERTY(IpcError::Error error READ error NOTIFY finished)
    Q_PROPERTY(QString errorString READ errorString NOTIFY finished)
public:
    ~IpcReply() override;

    QString topic() const;
    bool isFinished() const;
    // The answer; invalid until finished, and when the request failed.
    QVariant value() const;
    // NoError when answered; else TimeoutError, CancelledError, NoHandlerError, HandlerError,
    // DisconnectedError, NoServerError, SendAfterCloseError, BadClientError, EncodeError,
    // WriteBufferFullError or QueueFullError, with errorString() saying why.
    IpcError::Error error() const;
    QString errorString() const;

    // Asks the peer to stop handling the request (IpcRequest::isCancelled() there) and
    // finishes the reply with CancelledError, from the event loop, whatever the peer still
    // sends. Nothing once finished. A timeout cancels too.
    Q_INVOKABLE void cancel();

Q_SIGNALS:
    // A progress notification from the handler (IpcRequest::sendProgress()), in order, always
    // before finished().
    void progress(const QVariant &value);
    void finished();

protected:
    void timerEvent(QTimerEvent *event) override;

private:
    explicit IpcReply(const QString &topic, QObject *parent);
    friend class IpcReplyPrivate;
    friend class IpcRequestBroker;
    std::unique_ptr<IpcReplyPrivate> d;
};

namespace IpcPrivate {

// Calls functor(const IpcReply &) once reply has finished, while context lives, then deletes
// the reply: the body of the request() overloads that take a functor.
template<typename Functor>
void onFinished(IpcReply *reply, const QObject *context, Functor &&functor)
{
    QObject::connect(reply, &IpcReply::finished, context,
                     [reply, f = std::decay_t<Functor>(std::forward<Functor>(functor))]() mutable {
                         f(std::as_const(*reply));
                     });
    QObject::connect(reply, &IpcReply::finished, reply, &QObject::deleteLater);
}

}  // namespace IpcPrivate

#endif  // IPCREPLY_H
