// A program outside the SocketIpc tree: a server and a client exchange one message.
// Usage: consumer SOCKET_PATH INSTALL_PREFIX

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qfile.h>
#include <QtCore/qtimer.h>

#include <cstdio>

// Whether a file whose name contains `library` is mapped from below `prefix`.
static bool loadedFrom(const QByteArray &library, const QByteArray &prefix)
{
    QFile maps(QStringLiteral("/proc/self/maps"));
    if (!maps.open(QIODevice::ReadOnly))
        return false;
    bool found = false;
    for (const QByteArray &line : maps.readAll().split('\n')) {
        const qsizetype path = line.indexOf('/');
        if (path >= 0 && line.contains(library)) {
            if (!line.mid(path).startsWith(prefix + '/'))
                return false;
            found = true;
        }
    }
    return found;
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (argc < 3)
        return 64;
    const QString path = QString::fromLocal8Bit(argv[1]);
    const QByteArray prefix = argv[2];

    // Prove the installed library is the one loaded.
    if (!loadedFrom("libSocketIpc.so", prefix)) {
        std::fprintf(stderr, "libSocketIpc.so was not loaded from %s\n", prefix.constData());
        return 1;
    }

    IpcServer server;
    IpcClient client;
    QObject::connect(&server, &IpcServer::messageReceived, &app,
                     [](const QString &topic, const QVariant &message) {
                         std::printf("server got %s: %s\n", qPrintable(topic),
                                     qPrintable(message.toString()));
                         QCoreApplication::exit(topic == QLatin1String("hello") ? 0 : 2);
                     });
    QObject::connect(&client, &IpcClient::connected, &client,
                     [&client] { client.send(QStringLiteral("hello"), QStringLiteral("world")); });
    if (!server.listen(path)) {
        std::fprintf(stderr, "listen failed: %s\n", qPrintable(server.errorString()));
        return 1;
    }
    client.connectToServer(path);
    QTimer::singleShot(10000, &app, [] { QCoreApplication::exit(3); });
    return app.exec();
}
