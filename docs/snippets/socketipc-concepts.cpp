// Snippets of the "Concepts" page (docs/src/socketipc-concepts.qdoc).
#include <SocketIpc/SocketIpc>

#include <QtCore/QDebug>

void serverSide(IpcServer &server)
{
    //! [server]
    QObject::connect(&server, &IpcServer::clientConnected, [](const QString &clientId) {
        qDebug() << "client" << clientId << "connected";  // a version 4 UUID
    });
    // Every message, whatever its topic:
    QObject::connect(&server, &IpcServer::messageReceived,
                     [&server](const QString &topic, const QVariant &message,
                               const QString &clientId) {
                         if (topic == QLatin1String("ping"))
                             server.send(QStringLiteral("pong"), message, clientId);  // to one
                     });
    // One topic only:
    server.on(QStringLiteral("log"), &server, [](const QVariant &message, const QString &clientId) {
        qInfo() << clientId << message.toMap().value(QStringLiteral("text")).toString();
    });
    if (!server.listen(QStringLiteral("/run/user/1000/myapp.sock")))
        qWarning() << server.errorString();
    server.broadcast(QStringLiteral("news"),  // to every client
                     QVariantMap{{QStringLiteral("headline"), QStringLiteral("hello, everyone")}});
    //! [server]
}

void clientSide(IpcClient &client)
{
    //! [client]
    client.setRetryDelay(500);            // while no server is there
    client.setReconnectDelay(100, 1000);  // after a lost connection: random in [100, 1000] ms
    QObject::connect(&client, &IpcClient::connected, [&client] {
        client.send(QStringLiteral("ping"), QVariantList{1, 2, 3});
    });
    QObject::connect(client.topic(QStringLiteral("news")), &IpcTopic::messageReceived,
                     [](const QVariant &message) { qDebug() << message.toMap(); });
    client.connectToServer(QStringLiteral("/run/user/1000/myapp.sock"));
    //! [client]
}
