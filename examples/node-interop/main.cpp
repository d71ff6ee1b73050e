// socketipc-node-interop: the Qt half of a conversation with a Node.js process that uses
// @crussell52/socket-ipc (peer.js in this directory). Either side may be the server.
//
// Usage: socketipc-node-interop server SOCKET_PATH   (then: node peer.js client SOCKET_PATH)
//        socketipc-node-interop client SOCKET_PATH   (after: node peer.js server SOCKET_PATH)
//
// Both sides run the same conversation: each sends "ping" and an object; each answers "ping"
// with "pong" and echoes the object on "object-echo"; each checks what it got. Exit code 0:
// every check held.

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qtimer.h>

#include <cstdio>
#include <functional>

static constexpr int TimeoutMs = 15000;

// The object each side sends; peer.js builds the same one. JSON types that could go wrong on
// the way: non-ASCII text, integers up to 2^53 - 1, fractions, null, nesting, empty containers.
static QVariantMap sample(const QString &from)
{
    return {
            {QStringLiteral("from"), from},
            {QStringLiteral("text"), QStringLiteral("héllo, wörld ✓ \"quoted\" \\ tab\t")},
            {QStringLiteral("integer"), 42},
            {QStringLiteral("negative"), -7},
            {QStringLiteral("maxSafe"), Q_INT64_C(9007199254740991)},
            {QStringLiteral("real"), 0.1},
            {QStringLiteral("yes"), true},
            {QStringLiteral("nothing"), QVariant::fromValue(nullptr)},
            {QStringLiteral("list"),
             QVariantList{1, QStringLiteral("two"), QVariantList{3},
                          QVariantMap{{QStringLiteral("four"), 4}}}},
            {QStringLiteral("empty"), QVariantMap{}},
            {QStringLiteral("emptyList"), QVariantList{}},
    };
}

// Compact JSON with sorted keys: equal text means equal values, whatever the key order.
static QByteArray json(const QVariant &value)
{
    return QJsonDocument(QJsonObject::fromVariantMap(value.toMap())).toJson(QJsonDocument::Compact);
}

class Conversation : public QObject
{
public:
    explicit Conversation(const QString &me) : m_me(me) { }

    std::function<void(const QString &topic, const QVariant &message)> send;

    void say(const QString &text) const
    {
        std::printf("[%s] %s\n", qPrintable(m_me), qPrintable(text));
        std::fflush(stdout);
    }

    void start()
    {
        say(QStringLiteral("sending ping and an object"));
        send(QStringLiteral("ping"), QStringLiteral("ping"));
        send(QStringLiteral("object"), sample(QStringLiteral("qt")));
    }

    void received(const QString &topic, const QVariant &message)
    {
        if (topic == QLatin1String("ping")) {
            check(message == QLatin1String("ping"), QStringLiteral("ping says \"ping\""));
            send(QStringLiteral("pong"), QStringLiteral("pong"));
            m_answeredPing = true;
        } else if (topic == QLatin1String("pong")) {
            m_gotPong = check(message == QLatin1String("pong"), QStringLiteral("got pong"));
        } else if (topic == QLatin1String("object")) {
            say(QStringLiteral("object from Node: %1").arg(QString::fromUtf8(json(message))));
            check(json(message) == json(sample(QStringLiteral("node"))),
                  QStringLiteral("Node's object arrived as Node built it"));
            send(QStringLiteral("object-echo"), message);
            m_answeredObject = true;
        } else if (topic == QLatin1String("object-echo")) {
            m_gotEcho = check(json(message) == json(sample(QStringLiteral("qt"))),
                              QStringLiteral("our object came back unchanged from Node"));
        } else {
            check(false,
                  QStringLiteral("a message on the expected topics (got \"%1\")").arg(topic));
        }
    }

    bool isDone() const { return m_gotPong && m_gotEcho && m_answeredPing && m_answeredObject; }

    int exitCode() const
    {
        if (!isDone())
            say(QStringLiteral("FAILED: the conversation is incomplete"));
        else if (m_failed)
            say(QStringLiteral("FAILED: see above"));
        else
            say(QStringLiteral("all checks passed"));
        return isDone() && !m_failed ? 0 : 1;
    }

private:
    bool check(bool ok, const QString &what)
    {
        say(QStringLiteral("%1: %2").arg(ok ? QStringLiteral("ok") : QStringLiteral("FAILED"),
                                         what));
        m_failed |= !ok;
        return ok;
    }

    QString m_me;
    bool m_gotPong = false, m_gotEcho = false, m_answeredPing = false, m_answeredObject = false;
    bool m_failed = false;
};

static int runServer(const QString &path)
{
    IpcServer server;
    Conversation talk(QStringLiteral("qt server"));
    QObject::connect(&server, &IpcServer::clientConnected, &talk, [&](const QString &clientId) {
        talk.say(QStringLiteral("Node client connected"));
        talk.send = [&server, clientId](const QString &topic, const QVariant &message) {
            server.send(topic, message, clientId);  // to that one client
        };
        talk.start();
    });
    QObject::connect(
            &server, &IpcServer::messageReceived, &talk,
            [&](const QString &topic, const QVariant &message) { talk.received(topic, message); });
    // The Node client leaves once it has everything; by then so should we.
    QObject::connect(&server, &IpcServer::clientDisconnected, &server, &IpcServer::close);
    QObject::connect(&server, &IpcServer::closed, &talk,
                     [&] { QCoreApplication::exit(talk.exitCode()); });
    QObject::connect(&server, &IpcServer::errorOccurred, &talk,
                     [&](IpcError::Error, const QString &description) {
                         talk.say(QStringLiteral("error: %1").arg(description));
                     });
    if (!server.listen(path)) {
        talk.say(QStringLiteral("FAILED: %1").arg(server.errorString()));
        return 1;
    }
    talk.say(QStringLiteral("listening on %1").arg(path));
    QTimer::singleShot(TimeoutMs, &server, &IpcServer::close);
    return QCoreApplication::exec();
}

static int runClient(const QString &path)
{
    IpcClient client;
    client.setRetryDelay(100);  // the Node server may not be listening yet
    Conversation talk(QStringLiteral("qt client"));
    talk.send = [&client](const QString &topic, const QVariant &message) {
        client.send(topic, message);
    };
    QObject::connect(&client, &IpcClient::connected, &talk, [&] {
        talk.say(QStringLiteral("connected to the Node server"));
        talk.start();
    });
    QObject::connect(&client, &IpcClient::messageReceived, &talk,
                     [&](const QString &topic, const QVariant &message) {
                         talk.received(topic, message);
                         if (talk.isDone())
                             client.close();  // what we just sent is written first
                     });
    QObject::connect(&client, &IpcClient::closed, &talk,
                     [&] { QCoreApplication::exit(talk.exitCode()); });
    QObject::connect(&client, &IpcClient::errorOccurred, &talk,
                     [&](IpcError::Error, const QString &description) {
                         talk.say(QStringLiteral("error: %1").arg(description));
                     });
    talk.say(QStringLiteral("connecting to %1").arg(path));
    client.connectToServer(path);
    QTimer::singleShot(TimeoutMs, &client, &IpcClient::close);
    return QCoreApplication::exec();
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    if (args.size() == 3 && args.at(1) == QLatin1String("server"))
        return runServer(args.at(2));
    if (args.size() == 3 && args.at(1) == QLatin1String("client"))
        return runClient(args.at(2));
    std::fputs("usage: socketipc-node-interop server|client SOCKET_PATH\n", stderr);
    return 2;
}
