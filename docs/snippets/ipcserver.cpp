// Snippets of the IpcServer reference (src/socketipc/ipcserver.cpp).
#include <SocketIpc/IpcServer>

#include <QtCore/QCoreApplication>
#include <QtCore/QDebug>

#include <unistd.h>

namespace IpcServerSnippets {

int overview(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
//! [overview]
IpcServer server;
QObject::connect(&server, &IpcServer::clientConnected, [&server](const QString &clientId) {
    qInfo() << "client" << clientId << "connected";
    server.broadcast(QStringLiteral("joined"), clientId);  // to every client
});
// Messages on the topic "hello": answer the client that sent one, and only that client.
const auto welcome = [&server](const QVariant &message, const QString &clientId) {
    const QString name = message.toMap().value(QStringLiteral("name")).toString();
    server.send(QStringLiteral("welcome"), QStringLiteral("Hello, %1!").arg(name), clientId);
};
server.on(QStringLiteral("hello"), &server, welcome);
// Requests on the topic "sum": what the handler returns is the answer.
server.handle(QStringLiteral("sum"), [](const QVariant &message) {
    const QVariantList terms = message.toList();
    return terms.value(0).toDouble() + terms.value(1).toDouble();
});
if (!server.listen(QStringLiteral("org.example.app"))) {
    qCritical() << "cannot listen:" << server.errorString();
    return 1;
}
qInfo() << "listening on" << server.listeningAddress();
//! [overview]
    return app.exec();
}

void admission(IpcServer &server)
{
//! [admission]
server.setSocketAccess(IpcServer::SocketAccess::OwnerAndGroup);  // the socket file: 0770
server.setAllowedUserIds({int(::getuid()), 1001});                 // and of those, two users
server.setMaxClients(16);
// C++ only: any rule on the kernel's word about the peer, after allowedUserIds.
server.setConnectionFilter([](const IpcPeerCredentials &peer) { return peer.pid() != 1234; });
//! [admission]
}

void limits(IpcServer &server)
{
//! [limits]
// Eight clients, messages up to 1 MiB, 4 MiB waiting for a slow one: under 300 MiB at worst.
server.setMaxClients(8);
server.setMaxFrameSize(1024 * 1024);
server.setMaxPendingBytes(4 * 1024 * 1024);
server.setSlowClientPolicy(IpcServer::SlowClientPolicy::DropMessages);
//! [limits]
}

void retained(IpcServer &server)
{
//! [retain]
// Every client that connects from now on gets it first, before its connected().
const QVariantMap ready{{QStringLiteral("state"), QStringLiteral("ready")}};
server.retain(QStringLiteral("status"), ready);
// ... and once it no longer holds:
server.clearRetained(QStringLiteral("status"));
//! [retain]
}

void asking(IpcServer &server, QObject *context)
{
//! [request]
const auto askVersion = [&server, context](const QString &clientId) {
    // The client answers with its own handle(QStringLiteral("version"), ...).
    server.request(QStringLiteral("version"), QVariant(), clientId, context,
                   [clientId](const IpcReply &reply) {
                       if (reply.error() == IpcError::NoError)
                           qInfo() << clientId << "runs version" << reply.value().toString();
                       else
                           qWarning() << clientId << reply.errorString();
                   });
};
QObject::connect(&server, &IpcServer::clientConnected, context, askVersion);
//! [request]
}

void who(IpcServer &server)
{
//! [peer]
QObject::connect(&server, &IpcServer::clientConnected, [&server](const QString &clientId) {
    const IpcPeerCredentials peer = server.peerCredentials(clientId);
    if (peer.address().isEmpty())  // a local socket
        qInfo() << clientId << "is pid" << peer.pid() << "of uid" << peer.uid();
    else
        qInfo() << clientId << "comes from" << peer.address() << peer.port();
});
//! [peer]
}

void tls(IpcServer &server)
{
//! [tls]
IpcTlsSettings tls;
tls.setCertificateFile(QStringLiteral("server.crt"));  // PEM
tls.setPrivateKeyFile(QStringLiteral("server.key"));
tls.setCaFile(QStringLiteral("clients-ca.crt"));       // mutual TLS: clients must present
tls.setRequireClientCertificate(true);                  // a certificate signed by this CA
server.setTls(tls);
server.listen(QStringLiteral("tls://0.0.0.0:7443"));
//! [tls]
}

void statistics(const IpcServer &server)
{
//! [statistics]
const IpcStatistics total = server.statistics();
qInfo() << total.connectionCount() << "clients," << total.messagesReceived() << "messages in,"
        << total.messagesSent() << "out since listen()";
for (const QString &clientId : server.clientIds())
    qInfo() << clientId << server.statistics(clientId).pendingBytes() << "bytes waiting";
//! [statistics]
}

}  // namespace IpcServerSnippets
