// Connects (waiting for the server if it is not there yet), says hello, prints what it
// receives, and quits once the server has answered.
// Usage: client [SOCKET_PATH]   (default: $XDG_RUNTIME_DIR/socketipc-quickstart.sock)
#include <SocketIpc/IpcClient>

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

    IpcClient client;
    QObject::connect(&client, &IpcClient::connected, [&client] {
        const QVariantMap hello{{QStringLiteral("name"), QStringLiteral("Ada")}};  // a JSON object
        client.send(QStringLiteral("hello"), hello);
    });
    QObject::connect(&client, &IpcClient::messageReceived,
                     [](const QString &topic, const QVariant &message) {
                         qInfo().noquote() << "received" << topic << message.toString();
                         if (topic == QLatin1String("welcome"))
                             QCoreApplication::quit();
                     });
    QObject::connect(&client, &IpcClient::errorOccurred, [](IpcError::Error, const QString &why) {
        qWarning().noquote() << why;  // e.g. no server yet: the client keeps retrying
    });

    client.connectToServer(path);
    return app.exec();
}
