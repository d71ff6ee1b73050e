// ipctestpeer client PATH [--retry MS] [--reconnect MS]
// ipctestpeer server PATH
//
// Each event goes to stdout as one JSON line: {"event":"connected"}, {"event":"message",
// "topic":...,"message":...[,"client":...]}, {"event":"error","code":"DecodeError",...}...
// Each stdin line is a command: {"send":TOPIC,"message":VALUE[,"client":ID]},
// {"broadcast":TOPIC,"message":VALUE}, {"disconnect":ID}, {"close":true}.
// The process exits once closed.

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qsocketnotifier.h>

#include <cstdio>
#include <unistd.h>

static void emitEvent(QJsonObject event)
{
    const QByteArray line = QJsonDocument(event).toJson(QJsonDocument::Compact);
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

static QString errorName(IpcError::Error error)
{
    return QString::fromLatin1(QMetaEnum::fromType<IpcError::Error>().valueToKey(error));
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 3) {
        std::fprintf(stderr, "usage: ipctestpeer client|server PATH [options]\n");
        return 64;
    }
    const QString mode = args.at(1);
    const QString path = args.at(2);

    IpcServer server;
    IpcClient client;
    std::function<void(const QJsonObject &)> handle;

    if (mode == QLatin1String("server")) {
        QObject::connect(&server, &IpcServer::clientConnected, [](const QString &id) {
            emitEvent({{"event", "clientConnected"}, {"client", id}});
        });
        QObject::connect(&server, &IpcServer::clientDisconnected, [](const QString &id) {
            emitEvent({{"event", "clientDisconnected"}, {"client", id}});
        });
        QObject::connect(&server, &IpcServer::messageReceived,
                         [](const QString &topic, const QVariant &message, const QString &id) {
                             emitEvent({{"event", "message"},
                                        {"topic", topic},
                                        {"message", QJsonValue::fromVariant(message)},
                                        {"client", id}});
                         });
        QObject::connect(&server, &IpcServer::errorOccurred,
                         [](IpcError::Error error, const QString &description, const QString &id) {
                             emitEvent({{"event", "error"},
                                        {"code", errorName(error)},
                                        {"description", description},
                                        {"client", id}});
                         });
        QObject::connect(&server, &IpcServer::closed, &app, [] {
            emitEvent({{"event", "closed"}});
            QCoreApplication::exit(0);
        });
        handle = [&server](const QJsonObject &command) {
            const QVariant message = command.value("message").toVariant();
            if (command.contains("send"))
                server.send(command.value("send").toString(), message,
                            command.value("client").toString());
            else if (command.contains("broadcast"))
                server.broadcast(command.value("broadcast").toString(), message);
            else if (command.contains("disconnect"))
                server.disconnectClient(command.value("disconnect").toString());
            else if (command.contains("close"))
                server.close();
        };
        if (!server.listen(path)) {
            emitEvent({{"event", "listenFailed"},
                       {"code", errorName(server.error())},
                       {"description", server.errorString()}});
            return 1;
        }
        emitEvent({{"event", "listening"}});
    } else if (mode == QLatin1String("client")) {
        for (int i = 3; i + 1 < args.size(); i += 2) {
            if (args.at(i) == QLatin1String("--retry"))
                client.setRetryDelay(args.at(i + 1).toInt());
            else if (args.at(i) == QLatin1String("--reconnect"))
                client.setReconnectDelay(args.at(i + 1).toInt());
        }
        QObject::connect(&client, &IpcClient::connected, [] {
            emitEvent({{"event", "connected"}});
        });
        QObject::connect(&client, &IpcClient::reconnected, [] {
            emitEvent({{"event", "reconnected"}});
        });
        QObject::connect(&client, &IpcClient::disconnected, [] {
            emitEvent({{"event", "disconnected"}});
        });
        QObject::connect(&client, &IpcClient::connectError, [](const QString &description) {
            emitEvent({{"event", "connectError"}, {"description", description}});
        });
        QObject::connect(&client, &IpcClient::messageReceived,
                         [](const QString &topic, const QVariant &message) {
                             emitEvent({{"event", "message"},
                                        {"topic", topic},
                                        {"message", QJsonValue::fromVariant(message)}});
                         });
        QObject::connect(&client, &IpcClient::errorOccurred,
                         [](IpcError::Error error, const QString &description) {
                             emitEvent({{"event", "error"},
                                        {"code", errorName(error)},
                                        {"description", description}});
                         });
        QObject::connect(&client, &IpcClient::closed, &app, [] {
            emitEvent({{"event", "closed"}});
            QCoreApplication::exit(0);
        });
        handle = [&client](const QJsonObject &command) {
            if (command.contains("send"))
                client.send(command.value("send").toString(), command.value("message").toVariant());
            else if (command.contains("close"))
                client.close();
        };
        client.connectToServer(path);
    } else {
        std::fprintf(stderr, "ipctestpeer: unknown mode\n");
        return 64;
    }

    // stdin, line by line, without blocking the event loop.
    QByteArray pending;
    QSocketNotifier stdinNotifier(STDIN_FILENO, QSocketNotifier::Read);
    QObject::connect(&stdinNotifier, &QSocketNotifier::activated, [&] {
        char buffer[65536];
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n <= 0) {
            stdinNotifier.setEnabled(false);  // stdin closed: keep running until told
            return;
        }
        pending.append(buffer, n);
        qsizetype newline;
        while ((newline = pending.indexOf('\n')) >= 0) {
            const QByteArray line = pending.left(newline);
            pending.remove(0, newline + 1);
            handle(QJsonDocument::fromJson(line).object());
        }
    });
    return app.exec();
}
