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

// What an IpcServer and an IpcClient have in common: an address, a codec, limits, TLS
// settings and a token; topics and request handlers; messageReceived() and errorOccurred().
// Code that only needs these can take either:
//     void wire(IpcEndpoint &bus)
//     {
//         bus.setAddress(path);
//         bus.handle(QStringLiteral("ping"), [](const QVariant &m) { return m; });
//         QObject::connect(&bus, &IpcEndpoint::messageReceived, ...);
//     }
// Not instantiable: it is either a server or a client.
class SOCKETIPC_EXPORT IpcEndpoint : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcEndpoint)
    // Where to listen or connect: a service name such as "org.example.editor" (no '/': a
    // socket in this user's runtime directory, see resolvedAddress), a path (or "unix:PATH",
    // relative to the working directory: "./app.sock") for a local socket, "@name" (Linux
    // abstract), "tcp://HOST:PORT" or "tls://HOST:PORT". Takes effect at the next listen() or
    // connect attempt.
    Q_PROPERTY(QString address READ address WRITE setAddress NOTIFY addressChanged)
    // Where address leads now: the socket path a name or a relative path resolves to
    // ($XDG_RUNTIME_DIR/NAME; $XDG_RUNTIME_DIR/app/$FLATPAK_ID/NAME in Flatpak; else
    // TMPDIR/socketipc-UID/NAME), or the tcp:// and tls:// address as written; empty if
    // address is not one (errorString says why at listen() or connect).
    Q_PROPERTY(QString resolvedAddress READ resolvedAddress NOTIFY addressChanged)
    // Deprecated: the old name of address.
    Q_PROPERTY(QString socketPath READ address WRITE setAddress NOTIFY addressChanged)
    // The largest frame accepted from a peer; a larger one is a FrameTooLargeError.
    Q_PROPERTY(
            qint64 maxFrameSize READ maxFrameSize WRITE setMaxFrameSize NOTIFY maxFrameSizeChanged)
    // Bytes that may wait for a peer that does not read; 0 for no limit. What happens beyond
    // it is the server's slowClientPolicy, or a WriteBufferFullError from a client's send().
    Q_PROPERTY(qint64 maxPendingBytes READ maxPendingBytes WRITE setMaxPendingBytes NOTIFY
                       maxPendingBytesChanged)
    // close() waits this many ms for peers to take what was sent to them, then drops the
    // connections that have not (WriteBufferFullError each); 0 waits as long as it takes.
    Q_PROPERTY(int closeTimeout READ closeTimeout WRITE setCloseTimeout NOTIFY closeTimeoutChanged)
    // The wire format of new connections: "json" (the default, the Node library's), "cbor",
    // or the name of a registered IpcCodec.
    Q_PROPERTY(QString codecName READ codecName WRITE setCodecName NOTIFY codecChanged)
    // For request(): ms until a reply is given up (TimeoutError); 0 for no limit.
    Q_PROPERTY(int requestTimeout READ requestTimeout WRITE setRequestTimeout NOTIFY
                       requestTimeoutChanged)
    // For tls:// addresses: certificate, key and CA files, and the base configuration.
    Q_PROPERTY(IpcTlsSettings tls READ tls WRITE setTls NOTIFY tlsChanged)
    // A shared secret; empty for none. It never travels: the client answers the server's
    // challenge with a proof, and checks the server's proof in return, before anything else.
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
    // The names before address; they will go in 1.0.
    Q_DECL_DEPRECATED_X("use address()") QString socketPath() const { return address(); }
    Q_DECL_DEPRECATED_X("use setAddress()") void setSocketPath(const QString &path)
    {
        setAddress(path);
    }

    qint64 maxFrameSize() const;
    void setMaxFrameSize(qint64 bytes);  // applies to open connections too
    qint64 maxPendingBytes() const;
    void setMaxPendingBytes(qint64 bytes);  // applies to open connections too
    int closeTimeout() const;
    void setCloseTimeout(int msecs);

    std::shared_ptr<const IpcCodec> codec() const;
    void setCodec(std::shared_ptr<const IpcCodec> codec);  // for connections made later
    QString codecName() const;
    void setCodecName(const QString &name);  // a registered codec's name; else a warning
    int requestTimeout() const;
    void setRequestTimeout(int msecs);

    IpcTlsSettings tls() const;
    void setTls(const IpcTlsSettings &settings);
    QString authToken() const;
    void setAuthToken(const QString &token);

    IpcError::Error error() const;
    QString errorString() const;

    // This endpoint's own subscription to one topic (or pattern): the same object for the
    // same name, until deleted. Use its messageReceived(message, clientId, topic) signal, or
    // on() below.
    Q_INVOKABLE IpcTopic *topic(const QString &name);

    // Calls functor(message[, clientId[, topic]]) for each message on topic while context
    // lives. QObject::disconnect() on the returned connection unsubscribes.
    template<typename Functor>
    QMetaObject::Connection on(const QString &topicName, const QObject *context, Functor &&functor)
    {
        return QObject::connect(topic(topicName), &IpcTopic::messageReceived, context,
                                std::forward<Functor>(functor));
    }

    // Answers the peers' requests on topic (IpcClient::request(), IpcServer::request()),
    // replacing an earlier handler of topic, while context lives. handler is one of
    //   QVariant (const QVariant &message, const QString &clientId)  returns the answer
    //   QVariant (const QVariant &message)
    //   void (IpcRequest &request)  answers with request.reply() or fail(), now or later
    // A handler fails the request by throwing, or by returning IpcRequest::error(why).
    // Requests are not messages: they reach their handler only. clientId is empty on a client.
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
    // Stops listening or connecting, and ends the connections once their pending output is
    // written; closed() follows (before close() returns when no connection is open).
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
    // A message from a peer; clientId names the sending client on a server, and is empty on
    // a client (a slot may take the first two arguments only).
    void messageReceived(const QString &topic, const QVariant &message, const QString &clientId);
    // clientId names the connection concerned on a server, empty when the error is the
    // server's own; always empty on a client.
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
