// Snippets of the IpcClient reference (src/socketipc/ipcclient.cpp).
#include <SocketIpc/IpcClient>

#include <QtCore/QCoreApplication>
#include <QtCore/QDebug>

namespace IpcClientSnippets {

int overview(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
//! [overview]
IpcClient client;
// Subscribe: the messages of one topic, as a signal of their own.
QObject::connect(client.topic(QStringLiteral("news")), &IpcTopic::messageReceived,
                 [](const QVariant &message) { qInfo() << "news:" << message.toMap(); });
QObject::connect(&client, &IpcClient::connected, [&client] {
    const QVariantMap hello{{QStringLiteral("name"), QStringLiteral("Ada")}};  // a JSON object
    client.send(QStringLiteral("hello"), hello);
    // Ask: the functor gets the reply once it has finished.
    client.request(QStringLiteral("sum"), QVariantList{1, 2}, &client, [](const IpcReply &reply) {
        if (reply.error() == IpcError::NoError)
            qInfo() << "sum:" << reply.value().toDouble();  // 3
        else
            qWarning() << reply.errorString();
    });
});
QObject::connect(&client, &IpcClient::errorOccurred,
                 [](IpcError::Error error, const QString &description) {
                     qWarning() << error << description;  // no server yet, say: it keeps trying
                 });
client.connectToServer(QStringLiteral("org.example.app"));
//! [overview]
    return app.exec();
}

void delays(IpcClient &client)
{
//! [delays]
client.setRetryDelay(500);            // while no server is there: every 500 ms
client.setReconnectDelay(100, 1000);  // after a lost connection: random in [100, 1000] ms
// Or back off: 500 ms, then about 1 s, 2 s, 4 s ... up to 30 s, each with jitter.
client.setBackoffFactor(2.0);
client.setMaxBackoffDelay(30000);
//! [delays]
}

void queue(IpcClient &client)
{
//! [queue]
client.setMaxQueuedMessages(1000);
client.send(QStringLiteral("log"), QStringLiteral("starting"));  // kept until connected
client.connectToServer(QStringLiteral("org.example.app"));
//! [queue]
}

void ask(IpcClient &client, QObject *context)
{
//! [request]
IpcReply *reply = client.request(QStringLiteral("sum"), QVariantList{1, 2}, 5000 /* ms */);
QObject::connect(reply, &IpcReply::finished, context, [reply] {
    if (reply->error() == IpcError::NoError)
        qInfo() << reply->value();  // 3
    else
        qWarning() << reply->errorString();  // TimeoutError, NoHandlerError, ...
    reply->deleteLater();
});
//! [request]
}

void states(IpcClient &client)
{
//! [states]
QObject::connect(&client, &IpcClient::disconnected, [] { qInfo() << "lost the server"; });
QObject::connect(&client, &IpcClient::reconnected, [] { qInfo() << "back"; });
QObject::connect(&client, &IpcClient::connectError, [](const QString &description) {
    qInfo() << description;  // "no socket at ... (is the server running?)": retrying
});
//! [states]
}

void monitor()
{
//! [monitor]
IpcClient watcher;
watcher.setMonitor(true);
QObject::connect(&watcher, &IpcClient::messageReceived, [](const QString &, const QVariant &event) {
    const QVariantMap e = event.toMap();
    qInfo() << e.value(QStringLiteral("direction")) << e.value(QStringLiteral("topic"))
            << e.value(QStringLiteral("event"));
});
watcher.connectToServer(QStringLiteral("org.example.app"));
//! [monitor]
}

void tls(IpcClient &client)
{
//! [tls]
IpcTlsSettings tls;
tls.setCaFile(QStringLiteral("ca.crt"));               // trust this CA (else the system's)
tls.setCertificateFile(QStringLiteral("client.crt"));  // for mutual TLS
tls.setPrivateKeyFile(QStringLiteral("client.key"));
client.setTls(tls);
client.connectToServer(QStringLiteral("tls://build-server.example:7443"));
//! [tls]
}

}  // namespace IpcClientSnippets
