#ifndef IPCREQUEST_P_H
#define IPCREQUEST_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "ipcreply.h"
#include "ipcrequest.h"
#include "transport/ipcconnection_p.h"

#include <QtCore/qbasictimer.h>
#include <QtCore/qhash.h>
#include <QtCore/qpointer.h>

#include <functional>
#include <memory>

class IpcRequestPrivate
{
public:
    ~IpcRequestPrivate();
    bool answer(const QVariant &value, const QString &errorCode, const QString &errorMessage);
    bool sendProgress(const QVariant &value);
    // The requester asked to stop (or is gone): every onCancelled() functor runs, from the
    // event loop.
    void cancel();
    static void callLater(const QObject *context, const std::function<void()> &function);

    QPointer<IpcConnection> connection;
    QString topic;
    QVariant message;
    QString clientId;
    qint64 id = 0;
    bool answered = false;
    bool cancelled = false;
    struct CancelHandler
    {
        QPointer<const QObject> context;
        std::function<void()> function;
    };
    QList<CancelHandler> cancelHandlers;
    // Where the request is listed while it is handled; its owner guards the broker's life.
    IpcRequestBroker *broker = nullptr;
    QPointer<QObject> brokerOwner;
};

class IpcReplyPrivate
{
public:
    IpcRequestBroker *broker = nullptr;   // null once finished or when the owner is gone
    IpcConnection *connection = nullptr;  // where the request went; null while queued
    QString topic;
    qint64 id = 0;
    QBasicTimer timeout;
    bool finished = false;
    bool finishing = false;  // a failure waits for the event loop
    QVariant value;
    IpcError::Error error = IpcError::NoError;
    QString errorString;
};

// Requests and replies for one IpcServer or IpcClient, whatever the connection: the
// handlers by topic, and the replies still waiting, by request id.
class IpcRequestBroker
{
public:
    using Handler = std::function<void(IpcRequest &)>;

    IpcRequestBroker() = default;
    ~IpcRequestBroker();
    Q_DISABLE_COPY_MOVE(IpcRequestBroker)

    // The parent of the replies it creates.
    void setOwner(QObject *owner) { m_owner = owner; }

    void setHandler(const QString &topic, const QObject *context, Handler handler);
    void removeHandler(const QString &topic);
    bool hasHandler(const QString &topic) const;

    // A request arrived: its handler runs, or the requester learns there is none.
    void dispatch(IpcConnection *connection, const IpcCodec::Frame &frame, const QString &clientId);
    // A reply arrived: it finishes its IpcReply (a late or unknown one is dropped); a
    // progress notification is passed on.
    void deliverReply(IpcConnection *connection, const IpcCodec::Frame &frame);
    // The peer on connection asked to stop handling its request id.
    void cancelHandling(IpcConnection *connection, qint64 id);
    // Asks the peer to stop handling reply's request, if it went out (IpcReply::cancel(), a
    // timeout).
    void sendCancel(IpcReply *reply);
    void handled(const IpcRequestPrivate *request);

    // A new reply, its timer running, not yet sent.
    IpcReply *create(const QString &topic, int timeoutMsecs);
    static qint64 idOf(const IpcReply *reply) { return reply->d->id; }
    // The request went out on connection.
    void sent(IpcReply *reply, IpcConnection *connection);
    // Finishes reply with error from the event loop, never inside the call.
    void failLater(IpcReply *reply, IpcError::Error error, const QString &description);
    // Every request sent on connection, or still queued (connection null), fails; every
    // request of its peer that is still being handled is cancelled.
    void connectionEnded(IpcConnection *connection, const QString &description);
    // Requests sent on connection and not yet answered, and the peer's being handled here.
    int inFlight(const IpcConnection *connection) const;
    void forget(IpcReply *reply);
    void finish(IpcReply *reply, const QVariant &value, IpcError::Error error,
                const QString &description);

private:
    struct HandlerEntry
    {
        // Shared, not copied per call: a handler's state (a mutable lambda's captures) lasts.
        std::shared_ptr<Handler> handler;
        QPointer<const QObject> context;
        bool hasContext = false;
    };

    QObject *m_owner = nullptr;
    QHash<QString, HandlerEntry> m_handlers;
    QHash<qint64, IpcReply *> m_pending;
    // Requests of peers being handled here, by connection and the peer's request id.
    QHash<QPair<const IpcConnection *, qint64>, std::weak_ptr<IpcRequestPrivate>> m_handling;
    qint64 m_nextId = 0;
};

#endif  // IPCREQUEST_P_H
