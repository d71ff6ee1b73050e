// Answers each client's "hello" and tells every client when one joins. Runs until Ctrl+C.
// Usage: server [SOCKET_PATH]   (default: $XDG_RUNTIME_DIR/socketipc-quickstart.sock)
#include <SocketIpc/IpcServer>

#include <QtCore/QCoreApplication>
#include <QtCore/QStandardPaths>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    // The socket: argv[1], or a file in the user's runtime directory ($XDG_RUNTIME_DIR).
    QString path = QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation)
            + QStringLiteral("/socketipc-quickstart.sock");
    if (argc > 1)
        path = QString::fromLocal8Bit(argv[1]);

    IpcServer server;
    QObject::connect(&server, &IpcServer::clientConnected, [&server](const QString &clientId) {
        qInfo().noquote() << "client" << clientId << "connected";
        server.broadcast(QStringLiteral("joined"), clientId);  // to every client
    });
    // Messages on the topic "hello": answer the client that sent one, and only that client.
    const auto welcome = [&server](const QVariant &message, const QString &clientId) {
        const QString name = message.toMap().value(QStringLiteral("name")).toString();
        qInfo().noquote() << "client" << clientId << "is" << name;
        server.send(QStringLiteral("welcome"), QStringLiteral("Hello, %1!").arg(name), clientId);
    };
    server.on(QStringLiteral("hello"), &server, welcome);

    if (!server.listen(path)) {
        qCritical().noquote() << "cannot listen:" << server.errorString();
        return 1;
    }
    qInfo().noquote() << "listening on" << path;
    return app.exec();
}
