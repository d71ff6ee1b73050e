// ipctestpeer client PATH [--retry MS] [--reconnect MS] [--ca FILE]
// ipctestpeer server PATH [--echo TOPIC]   (--echo: answers requests on TOPIC from the start)
//
// Each event goes to stdout as one JSON line: {"event":"connected"}, {"event":"message",
// "topic":...,"message":...[,"client":...]}, {"event":"error","code":"DecodeError",...}...
// Each stdin line is a command: {"send":TOPIC,"message":VALUE[,"client":ID]},
// {"broadcast":TOPIC,"message":VALUE}, {"disconnect":ID}, {"close":true}.
// Server only: {"hog":N} opens up to N descriptors (/dev/null) and reports {"event":"hogged",
// "count":...}, as the rest of a process would use them up; {"unhog":true} closes them.
// The server reports {"event":"listening","address":...} once it listens.
// The process exits once closed.
//
// Requests, in both modes: {"handle":TOPIC,"with":"sum"|"echo"|"fail"|"progress"|"hold"}
// answers requests on TOPIC ({"event":"handling"} once set): with the sum of the integers of
// the message, the message itself, a HandlerError described by the message, the progress
// values 1..message then "done", or not yet ("hold": kept until {"answer":VALUE}, which
// replies to the oldest held one and reports {"event":"answered","ok":BOOL}; a held request
// that is cancelled reports {"event":"cancelled","topic":...}). Every request is reported as
// {"event":"request",...}.
// {"unhandle":TOPIC} removes a handler. {"request":TOPIC,"message":VALUE[,"client":ID]
// [,"timeout":MS]} asks the peer and reports {"event":"reply","topic":...,"value":...,
// "error":"NoError"|...,"errorString":...}. Option --codec NAME sets the wire format.
// Client: --burst N sends the integers 0..N-1 on topic "n" from connected(), then closes at
// once; --ca FILE trusts that CA for tls:// addresses.

#include "linereader.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qsocketnotifier.h>

#include <cstdio>
#include <fcntl.h>
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

// The request handlers both modes install on {"handle":...}.
static std::function<void(IpcRequest &)> requestHandler(const QString &with,
                                                        QList<IpcRequest> *held)
{
    return [with, held](IpcRequest &request) {
        emitEvent({{"event", "request"},
                   {"topic", request.topic()},
                   {"message", QJsonValue::fromVariant(request.message())},
                   {"client", request.clientId()}});
        if (with == QLatin1String("sum")) {
            qint64 sum = 0;
            for (const QVariant &term : request.message().toList())
                sum += term.toLongLong();
            request.reply(sum);
        } else if (with == QLatin1String("echo")) {
            request.reply(request.message());
        } else if (with == QLatin1String("fail")) {
            request.fail(request.message().toString());
        } else if (with == QLatin1String("progress")) {
            // 1..N as progress notifications (N = the message), then "done".
            const int steps = request.message().toInt();
            for (int step = 1; step <= steps; ++step)
                request.sendProgress(step);
            request.reply(QStringLiteral("done"));
        } else {
            held->append(request);
            request.onCancelled(qApp, [topic = request.topic()] {
                emitEvent({{"event", "cancelled"}, {"topic", topic}});
            });
        }
    };
}

// Reports the reply once finished, then deletes it.
static void reportReply(IpcReply *reply)
{
    QObject::connect(reply, &IpcReply::finished, reply, [reply] {
        emitEvent({{"event", "reply"},
                   {"topic", reply->topic()},
                   {"value", QJsonValue::fromVariant(reply->value())},
                   {"error", errorName(reply->error())},
                   {"errorString", reply->errorString()}});
        reply->deleteLater();
    });
}

// The request commands both modes share; false if command is none of them.
template<typename Peer>
static bool requestCommand(Peer &peer, const QJsonObject &command, QList<IpcRequest> &held)
{
    if (command.contains("handle")) {
        const QString topic = command.value("handle").toString();
        peer.setRequestHandler(topic, nullptr,
                               requestHandler(command.value("with").toString(), &held));
        emitEvent({{"event", "handling"}, {"topic", topic}});
    } else if (command.contains("unhandle")) {
        peer.removeHandler(command.value("unhandle").toString());
    } else if (command.contains("answer")) {
        const bool ok =
                !held.isEmpty() && held.takeFirst().reply(command.value("answer").toVariant());
        emitEvent({{"event", "answered"}, {"ok", ok}});
    } else {
        return false;
    }
    return true;
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
    QList<IpcRequest> held;  // requests a "hold" handler has not answered yet
    QList<int> hogged;       // descriptors opened by {"hog":N}
    std::function<void(const QJsonObject &)> handle;
    for (int i = 3; i + 1 < args.size(); i += 2) {
        if (args.at(i) == QLatin1String("--codec")) {
            server.setCodecName(args.at(i + 1));
            client.setCodecName(args.at(i + 1));
        }
    }

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
        handle = [&server, &held, &hogged](const QJsonObject &command) {
            const QVariant message = command.value("message").toVariant();
            if (requestCommand(server, command, held))
                return;
            if (command.contains("request"))
                reportReply(server.request(command.value("request").toString(), message,
                                           command.value("client").toString(),
                                           command.value("timeout").toInt(-1)));
            else if (command.contains("send"))
                server.send(command.value("send").toString(), message,
                            command.value("client").toString());
            else if (command.contains("broadcast"))
                server.broadcast(command.value("broadcast").toString(), message);
            else if (command.contains("disconnect"))
                server.disconnectClient(command.value("disconnect").toString());
            else if (command.contains("close"))
                server.close();
            else if (command.contains("hog")) {
                for (int i = command.value("hog").toInt(); i > 0; --i) {
                    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
                    if (fd < 0)
                        break;
                    hogged.append(fd);
                }
                emitEvent({{"event", "hogged"}, {"count", int(hogged.size())}});
            } else if (command.contains("unhog")) {
                for (int fd : std::exchange(hogged, {}))
                    ::close(fd);
                emitEvent({{"event", "unhogged"}});
            }
        };
        for (int i = 3; i + 1 < args.size(); i += 2) {
            if (args.at(i) == QLatin1String("--echo"))  // before listening: from the start
                server.handle(args.at(i + 1), [](const QVariant &message) { return message; });
        }
        if (!server.listen(path)) {
            emitEvent({{"event", "listenFailed"},
                       {"code", errorName(server.error())},
                       {"description", server.errorString()}});
            return 1;
        }
        // What is left of socket activation's variables: nothing, once listen() took them.
        emitEvent({{"event", "listening"},
                   {"address", server.listeningAddress()},
                   {"listenFds", qEnvironmentVariable("LISTEN_FDS")}});
    } else if (mode == QLatin1String("client")) {
        for (int i = 3; i + 1 < args.size(); i += 2) {
            if (args.at(i) == QLatin1String("--retry"))
                client.setRetryDelay(args.at(i + 1).toInt());
            else if (args.at(i) == QLatin1String("--reconnect"))
                client.setReconnectDelay(args.at(i + 1).toInt());
            else if (args.at(i) == QLatin1String("--ca")) {
                IpcTlsSettings tls = client.tls();
                tls.setCaFile(args.at(i + 1));
                client.setTls(tls);
            }
        }
        int burst = 0;
        for (int i = 3; i + 1 < args.size(); i += 2) {
            if (args.at(i) == QLatin1String("--burst"))
                burst = args.at(i + 1).toInt();
        }
        QObject::connect(&client, &IpcClient::connected, [&client, burst] {
            emitEvent({{"event", "connected"}});
            // At once, before the event loop has read anything the server sent.
            if (burst > 0) {
                for (int i = 0; i < burst; ++i)
                    client.send(QStringLiteral("n"), i);
                client.close();
            }
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
        handle = [&client, &held](const QJsonObject &command) {
            if (requestCommand(client, command, held))
                return;
            if (command.contains("request"))
                reportReply(client.request(command.value("request").toString(),
                                           command.value("message").toVariant(),
                                           command.value("timeout").toInt(-1)));
            else if (command.contains("send"))
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
    IpcTest::LineReader lines;
    QSocketNotifier stdinNotifier(STDIN_FILENO, QSocketNotifier::Read);
    QObject::connect(&stdinNotifier, &QSocketNotifier::activated, [&] {
        char buffer[65536];
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n <= 0) {
            stdinNotifier.setEnabled(false);  // stdin closed: keep running until told
            return;
        }
        for (const QByteArray &line : lines.feed(QByteArrayView(buffer, n)))
            handle(QJsonDocument::fromJson(line).object());
    });
    return app.exec();
}
