// Snippets of the IpcEndpoint reference (src/socketipc/ipcendpoint.cpp): what a server and a
// client share.
#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcEndpoint>
#include <SocketIpc/IpcServer>

#include <QtCore/QDebug>
#include <QtCore/QTimer>

namespace IpcEndpointSnippets {

//! [wire]
// Sets up a server or a client alike; the caller then listens or connects.
void wire(IpcEndpoint &bus)
{
    bus.setAddress(QStringLiteral("org.example.editor"));
    bus.setMaxFrameSize(1024 * 1024);
    bus.handle(QStringLiteral("ping"), [](const QVariant &message) { return message; });
    QObject::connect(&bus, &IpcEndpoint::messageReceived,
                     [](const QString &topic, const QVariant &message, const QString &clientId) {
                         qDebug() << topic << message << clientId;  // clientId: empty on a client
                     });
    QObject::connect(&bus, &IpcEndpoint::errorOccurred,
                     [](IpcError::Error error, const QString &description) {
                         qWarning() << error << description;
                     });
}
//! [wire]

void useWire()
{
    IpcServer server;
    IpcClient client;
//! [wire-use]
wire(server);
server.listen();

wire(client);
client.connectToServer();
//! [wire-use]
}

void topics(IpcClient &client, QObject *context)
{
//! [topic]
IpcTopic *status = client.topic(QStringLiteral("status"));
QObject::connect(status, &IpcTopic::messageReceived, context, [](const QVariant &message) {
    qDebug() << "status is now" << message.toMap().value(QStringLiteral("state"));
});
// A pattern: every topic under "sensor"; the third argument says which one matched.
QObject::connect(client.topic(QStringLiteral("sensor.#")), &IpcTopic::messageReceived, context,
                 [](const QVariant &message, const QString &, const QString &topic) {
                     qDebug() << topic << message;
                 });
//! [topic]
}

void functors(IpcServer &server, QObject *context)
{
//! [on]
const QMetaObject::Connection logging = server.on(
        QStringLiteral("log"), context, [](const QVariant &message, const QString &clientId) {
            qInfo() << clientId << message.toMap().value(QStringLiteral("text")).toString();
        });
// ... later: no more log messages reach the functor.
QObject::disconnect(logging);
//! [on]
}

void handlers(IpcServer &server, QObject *context)
{
//! [handle]
// The answer is what the handler returns.
server.handle(QStringLiteral("sum"), [](const QVariant &message) -> QVariant {
    const QVariantList terms = message.toList();
    if (terms.size() != 2)
        return IpcRequest::error(QStringLiteral("sum takes two numbers"));  // or throw
    return terms.at(0).toDouble() + terms.at(1).toDouble();
});
// With the client's id, to know who asks (empty when a client handles the server's request).
server.handle(QStringLiteral("whoami"), context,
              [](const QVariant &, const QString &clientId) { return clientId; });
//! [handle]

//! [handle-later]
// Answered later: keep a copy of the request (it is a cheap handle) and reply when ready.
server.handle(QStringLiteral("slow"), context, [context](IpcRequest &request) {
    QTimer::singleShot(1000, context, [request]() mutable {
        if (!request.isCancelled())
            request.reply(QStringLiteral("done"));
    });
});
//! [handle-later]
}

void settings(IpcEndpoint &bus)
{
//! [codec]
bus.setCodecName(QStringLiteral("cbor"));  // the other end must use CBOR too
// The same: bus.setCodec(IpcCodec::cbor());
//! [codec]

//! [token]
// The same token on the server and on its clients; it never travels.
bus.setAuthToken(QString::fromUtf8(qgetenv("MYAPP_TOKEN")));
//! [token]
}

}  // namespace IpcEndpointSnippets
