// The code of the Getting Started page (docs/src/socketipc-getting-started.qdoc): what
// "Using it from C++" shows, compiled with the reference's other snippets.
#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcEndpoint>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcTopic>

#include <QtCore/QDebug>

void runServer()
{
    //! [server]
    IpcServer server;
    QObject::connect(&server, &IpcServer::clientConnected, [](const QString &clientId) {
        qDebug() << "client" << clientId << "connected";
    });
    QObject::connect(&server, &IpcServer::messageReceived,
                     [&](const QString &topic, const QVariant &message, const QString &clientId) {
        if (topic == QLatin1String("ping"))
            server.send(QStringLiteral("pong"), message, clientId);   // to that client only
    });
    // Only one topic: a signal of its own, or a functor.
    server.on(QStringLiteral("log"), &server, [](const QVariant &message, const QString &clientId) {
        qInfo() << clientId << message.toMap().value(QStringLiteral("text")).toString();
    });
    if (!server.listen(QStringLiteral("/run/user/1000/myapp.sock")))
        qFatal("%s", qPrintable(server.errorString()));
    server.broadcast(QStringLiteral("news"),
                     QVariantMap{{QStringLiteral("headline"), QStringLiteral("hello, everyone")}});
    //! [server]
}

void runClient()
{
    //! [client]
    IpcClient client;
    client.setRetryDelay(500);              // while no server is there
    client.setReconnectDelay(100, 1000);    // after a lost connection: random in [100, 1000] ms
    QObject::connect(&client, &IpcClient::connected, [&] {
        client.send(QStringLiteral("ping"), QVariantList{1, 2, 3});
    });
    QObject::connect(client.topic(QStringLiteral("news")), &IpcTopic::messageReceived,
                     [](const QVariant &message) { qDebug() << message.toMap(); });
    QObject::connect(&client, &IpcClient::errorOccurred,
                     [](IpcError::Error error, const QString &description) {
        qWarning() << error << description;
    });
    client.connectToServer(QStringLiteral("/run/user/1000/myapp.sock"));
    //! [client]
}

//! [endpoint]
// Sets up a server or a client alike; the caller then listens or connects.
void wire(IpcEndpoint &bus)
{
    bus.setAddress(QStringLiteral("/run/user/1000/myapp.sock"));
    bus.setMaxFrameSize(1024 * 1024);
    bus.handle(QStringLiteral("ping"), [](const QVariant &message) { return message; });
    QObject::connect(&bus, &IpcEndpoint::messageReceived,
                     [](const QString &topic, const QVariant &message, const QString &clientId) {
        qDebug() << topic << message << clientId;   // clientId is empty on a client
    });
    QObject::connect(&bus, &IpcEndpoint::errorOccurred,
                     [](IpcError::Error error, const QString &description) {
        qWarning() << error << description;
    });
}
// wire(server); server.listen();     or     wire(client); client.connectToServer();
//! [endpoint]
