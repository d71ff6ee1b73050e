#ifndef IPCENDPOINT_P_H
#define IPCENDPOINT_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include "ipcendpoint.h"
#include "ipcrequest_p.h"
#include "ipctopic_p.h"
#include "transport/ipcconnection_p.h"

#include <QtCore/qlist.h>
#include <QtCore/qpointer.h>
#include <QtCore/qvarlengtharray.h>

#include <utility>

// The server's notices about its retained messages, on a topic of their own (as the token
// handshake's): {"cleared":TOPIC} when one is forgotten. Node peers see ordinary messages on
// this topic.
namespace IpcRetained {
inline constexpr QStringView Topic = u"socketipc.retained";
}

// What a SocketIpc server sends first to every client it admits: {"retained":N}, then its N
// retained messages. A client holds back connected() until it has them all, so that code
// run on connected() sees the current state; a server that does not greet (the Node
// original) is known by its silence, or by another frame coming first.
namespace IpcHello {
inline constexpr QStringView Topic = u"socketipc.hello";
inline constexpr QLatin1StringView RetainedKey("retained");
// With IpcServer::allowMonitors: "monitors":true, and the connection says what it is before
// it becomes a client, {"role":"client"|"monitor"} on this topic (a Node client, which never
// does, is a client once it sends a frame or after IpcServerPrivate::RoleGrace ms).
inline constexpr QLatin1StringView MonitorsKey("monitors");
inline constexpr QLatin1StringView RoleKey("role");
}  // namespace IpcHello

// What a monitor receives: one message per event on Topic; statistics on request on StatsTopic.
namespace IpcMonitor {
inline constexpr QStringView Topic = u"socketipc.monitor";
inline constexpr QStringView StatsTopic = u"socketipc.stats";
}  // namespace IpcMonitor

// Work an endpoint defers to the end of a read (IpcConnection::Handler::connectionReadEnded):
// an IpcMessageModel's rows, inserted once per read rather than once per message.
class IpcDeferredWork
{
public:
    virtual void flushDeferred() = 0;

protected:
    ~IpcDeferredWork() = default;
};

// The base of IpcServerPrivate and IpcClientPrivate: the settings both have, the topics and
// request handlers, and what happens to a frame once it is known to come from a peer that
// may speak (IpcServerPrivate and IpcClientPrivate deal with the token handshake first).
class IpcEndpointPrivate : public IpcConnection::Handler
{
    Q_DECLARE_PUBLIC(IpcEndpoint)
public:
    // Shorter tokens are accepted, with a warning.
    static constexpr int MinTokenLength = 16;

    explicit IpcEndpointPrivate(qint64 defaultMaxPendingBytes);
    virtual ~IpcEndpointPrivate();
    Q_DISABLE_COPY_MOVE(IpcEndpointPrivate)

    static IpcEndpointPrivate *get(IpcEndpoint *endpoint) { return endpoint->d_func(); }

    // The connections whose limits follow maxFrameSize and maxPendingBytes.
    virtual QList<IpcConnection *> openConnections() const = 0;

    // A message, request or reply from an admitted peer: a reply finishes its request, a
    // request goes to its handler, anything else is messageReceived() and the topics'.
    void dispatch(IpcConnection *connection, const IpcCodec::Frame &frame, const QString &clientId);
    void setError(IpcError::Error error, const QString &description, const QString &clientId = {});

    // Property notifications and model rows wait for the end of a read: a burst of messages
    // costs a QML binding or a ListView one update, however many messages it holds.
    void connectionReadBegan(IpcConnection *) override { ++reading; }
    void connectionReadEnded() override;
    // Runs work.flushDeferred() at the end of the read under way, at once if none is (owner
    // is the QObject work belongs to: work is skipped if it is deleted meanwhile).
    void defer(QObject *owner, IpcDeferredWork *work);
    // What waits, now: before a signal after which code expects the state to show
    // (IpcClient::connected()), and at the end of each read.
    void flushDeferred();

    IpcEndpoint *q_ptr = nullptr;
    QString address;
    qint64 maxFrameSize = IpcEndpoint::DefaultMaxFrameSize;
    qint64 maxPendingBytes;
    int closeTimeout = IpcEndpoint::DefaultCloseTimeout;
    std::shared_ptr<const IpcCodec> codec = IpcCodec::json();
    int requestTimeout = IpcEndpoint::DefaultRequestTimeout;
    IpcTlsSettings tls;
    QString authToken;
    IpcError::Error error = IpcError::NoError;
    QString errorString;
    IpcTopicRegistry topics;
    IpcRequestBroker requests;
    int reading = 0;  // reads under way (nested when a slot runs an event loop)
    QVarLengthArray<std::pair<QPointer<QObject>, IpcDeferredWork *>, 4> deferred;
};

#endif  // IPCENDPOINT_P_H
