// The client side of the stress tests, one process per invocation. It reports on stdout,
// one JSON object per line, and takes {"close":true} on stdin.
//
// ipcstressclient soak PATH --name NAME [--connections K] [--messages M] [--window W]
//                 [--pad BYTES] [--retry MIN,MAX] [--reconnect MIN,MAX]
//   K IpcClient connections named NAME.0 ... NAME.K-1. Each says {"name"} on topic "hello"
//   when it (re)connects, then sends "data" {"seq","pad"} for seq 1..M, at most W unanswered,
//   and expects the server to answer each on "echo" with the same message, in order. After a
//   disconnect it sends again what was not answered. It checks that the server's "news"
//   broadcasts {"n"} arrive one after the other within a connection, answers "ping" with
//   "pong" {"name","session"} (session: its count of connects), and once every connection
//   got "end" {"n"} (or on {"close":true}) prints a summary, closes, and prints the
//   descriptors it had open before connecting and after closing. Lines: started, connected,
//   disconnected, disconnectedInsideSend (see pump()), done (every echo of every connection
//   arrived), problem (anything unexpected, at once), summary, closed.
//
// ipcstressclient ordering PATH --small N --large L [--chunk C]
//   One connection sends the Stress::Ordering pattern, C messages per event-loop turn, and
//   checks that the server's copy of the same pattern arrives whole and in order; then prints
//   a summary and closes.
//
// ipcstressclient halfframe PATH --frames N --bytes B
//   A raw socket (no IpcClient): N whole frames, then the first half of a frame of B bytes,
//   then prints "halfway" and waits to be killed.

#include "linereader.h"
#include "stresscommon.h"

#include <SocketIpc/IpcClient>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qtimer.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

void emitLine(const QJsonObject &object)
{
    const QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact);
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

QString errorName(IpcError::Error error)
{
    return QString::fromLatin1(QMetaEnum::fromType<IpcError::Error>().valueToKey(error));
}

struct Options
{
    QString mode;
    QString path;
    QString name = QStringLiteral("c");
    int connections = 1;
    qint64 messages = 0;
    int window = 8;
    int pad = 0;
    int retryMin = 100, retryMax = -1;
    int reconnectMin = 50, reconnectMax = -1;
    qint64 small = 0;
    int large = 0;
    int chunk = 200;
    int frames = 0;
    qint64 bytes = 0;
};

bool parse(const QStringList &args, Options *o)
{
    if (args.size() < 3)
        return false;
    o->mode = args.at(1);
    o->path = args.at(2);
    const auto range = [](const QString &value, int *min, int *max) {
        const QStringList parts = value.split(QLatin1Char(','));
        *min = parts.value(0).toInt();
        *max = parts.size() > 1 ? parts.at(1).toInt() : -1;
    };
    for (int i = 3; i + 1 < args.size(); i += 2) {
        const QString key = args.at(i);
        const QString value = args.at(i + 1);
        if (key == QLatin1String("--name"))
            o->name = value;
        else if (key == QLatin1String("--connections"))
            o->connections = value.toInt();
        else if (key == QLatin1String("--messages"))
            o->messages = value.toLongLong();
        else if (key == QLatin1String("--window"))
            o->window = qMax(1, value.toInt());
        else if (key == QLatin1String("--pad"))
            o->pad = value.toInt();
        else if (key == QLatin1String("--retry"))
            range(value, &o->retryMin, &o->retryMax);
        else if (key == QLatin1String("--reconnect"))
            range(value, &o->reconnectMin, &o->reconnectMax);
        else if (key == QLatin1String("--small"))
            o->small = value.toLongLong();
        else if (key == QLatin1String("--large"))
            o->large = value.toInt();
        else if (key == QLatin1String("--chunk"))
            o->chunk = qMax(1, value.toInt());
        else if (key == QLatin1String("--frames"))
            o->frames = value.toInt();
        else if (key == QLatin1String("--bytes"))
            o->bytes = value.toLongLong();
        else
            return false;
    }
    return true;
}

// Calls onCommand for each JSON line on stdin.
class StdinReader : public QObject
{
public:
    explicit StdinReader(std::function<void(const QJsonObject &)> onCommand)
        : m_notifier(STDIN_FILENO, QSocketNotifier::Read), m_onCommand(std::move(onCommand))
    {
        connect(&m_notifier, &QSocketNotifier::activated, this, [this] {
            char buffer[4096];
            const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
            if (n <= 0) {
                m_notifier.setEnabled(false);
                return;
            }
            for (const QByteArray &line : m_lines.feed(QByteArrayView(buffer, n)))
                m_onCommand(QJsonDocument::fromJson(line).object());
        });
    }

private:
    QSocketNotifier m_notifier;
    IpcTest::LineReader m_lines;
    std::function<void(const QJsonObject &)> m_onCommand;
};

// Runs when every deferred deletion has happened, then counts descriptors.
void whenSettled(std::function<void()> done)
{
    QTimer::singleShot(0, qApp, [done = std::move(done)] {
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        done();
    });
}

// ---- soak ---------------------------------------------------------------------------------

class SoakConnection
{
public:
    SoakConnection(const Options &options, const QString &name, std::function<void()> changed)
        : m_options(options), m_name(name), m_changed(std::move(changed))
    {
        m_client.setRetryDelay(options.retryMin, options.retryMax);
        m_client.setReconnectDelay(options.reconnectMin, options.reconnectMax);
        QObject::connect(&m_client, &IpcClient::connected, [this] { onConnected(); });
        QObject::connect(&m_client, &IpcClient::disconnected, [this] {
            ++m_disconnects;
            m_nextSend = m_nextEcho;  // what was not answered goes again
            emitLine({{"event", "disconnected"}, {"name", m_name}});
        });
        QObject::connect(&m_client, &IpcClient::connectError, [this] { ++m_connectErrors; });
        QObject::connect(
                &m_client, &IpcClient::errorOccurred,
                [this](IpcError::Error error, const QString &description) {
                    // The server restarts on purpose: an outage is expected here
                    // (and counted by connectError).
                    if (error != IpcError::NoServerError)
                        problem(QStringLiteral("%1: %2").arg(errorName(error), description));
                });
        QObject::connect(&m_client, &IpcClient::closed, [this] {
            m_closed = true;
            m_changed();
        });
        QObject::connect(&m_client, &IpcClient::messageReceived,
                         [this](const QString &topic, const QVariant &) {
                             if (topic != QLatin1String("echo") && topic != QLatin1String("news")
                                 && topic != QLatin1String("end") && topic != QLatin1String("ping"))
                                 problem(QStringLiteral("unexpected topic %1").arg(topic));
                         });
        m_client.on(QStringLiteral("echo"), &m_client,
                    [this](const QVariant &message) { onEcho(message.toMap()); });
        m_client.on(QStringLiteral("news"), &m_client, [this](const QVariant &message) {
            const qint64 n = message.toMap().value(QStringLiteral("n")).toLongLong();
            if (m_lastNews >= 0 && n != m_lastNews + 1)
                problem(QStringLiteral("news %1 after %2").arg(n).arg(m_lastNews));
            if (m_firstNews < 0)
                m_firstNews = n;
            m_lastNews = n;
            ++m_newsCount;
        });
        m_client.on(QStringLiteral("end"), &m_client, [this](const QVariant &message) {
            m_end = message.toMap().value(QStringLiteral("n")).toLongLong();
            m_changed();
        });
        m_client.on(QStringLiteral("ping"), &m_client, [this](const QVariant &) {
            m_client.send(QStringLiteral("pong"),
                          QVariantMap{{QStringLiteral("name"), m_name},
                                      {QStringLiteral("session"), m_sessions}});
        });
    }

    void start() { m_client.connectToServer(m_options.path); }
    void close() { m_client.close(); }
    bool isDone() const { return m_nextEcho > m_options.messages; }
    bool hasEnded() const { return m_end >= 0; }
    bool isClosed() const { return m_closed; }
    int problems() const { return int(m_problems.size()); }

    QJsonObject summary() const
    {
        return {{"name", m_name},
                {"sessions", m_sessions},
                {"disconnects", m_disconnects},
                {"disconnectsInsideSend", m_disconnectsInsideSend},
                {"connectErrors", m_connectErrors},
                {"echoed", m_nextEcho - 1},
                {"sent", m_sent},
                {"sessionSent", m_sessionSent},
                {"sessionEchoed", m_sessionEchoed},
                {"firstNews", m_firstNews},
                {"lastNews", m_lastNews},
                {"news", m_newsCount},
                {"end", m_end},
                {"problems", QJsonArray::fromStringList(m_problems)}};
    }

private:
    void onConnected()
    {
        ++m_sessions;
        m_sessionSent = m_sessionEchoed = 0;
        m_firstNews = m_lastNews = -1;
        m_newsCount = 0;
        emitLine({{"event", "connected"}, {"name", m_name}, {"session", m_sessions}});
        m_client.send(QStringLiteral("hello"), QVariantMap{{QStringLiteral("name"), m_name}});
        pump();
    }

    void pump()
    {
        while (m_client.isConnected() && m_nextSend <= m_options.messages
               && m_nextSend - m_nextEcho < m_options.window) {
            const QVariantMap data{
                    {QStringLiteral("seq"), m_nextSend},
                    {QStringLiteral("pad"), Stress::soakPad(m_nextSend, m_options.pad)}};
            const int disconnectsBefore = m_disconnects;
            if (!m_client.send(QStringLiteral("data"), data))
                return;
            if (m_disconnects != disconnectsBefore) {
                // disconnected() came from inside send(): the library reports a loss found
                // by a write from the event loop, so this must never happen.
                ++m_disconnectsInsideSend;
                problem(QStringLiteral("disconnected() was emitted inside send() of seq %1")
                                .arg(m_nextSend));
                return;
            }
            ++m_nextSend;
            ++m_sent;
            ++m_sessionSent;
        }
    }

    void onEcho(const QVariantMap &echo)
    {
        const qint64 seq = echo.value(QStringLiteral("seq")).toLongLong();
        if (seq != m_nextEcho)
            problem(QStringLiteral("echo %1, expected %2").arg(seq).arg(m_nextEcho));
        else if (echo.value(QStringLiteral("pad")).toString()
                 != Stress::soakPad(seq, m_options.pad))
            problem(QStringLiteral("echo %1 arrived altered").arg(seq));
        if (seq >= m_nextEcho)
            m_nextEcho = seq + 1;
        ++m_sessionEchoed;
        if (m_nextSend < m_nextEcho)
            m_nextSend = m_nextEcho;
        pump();
        if (isDone())
            m_changed();
    }

    void problem(const QString &what)
    {
        if (m_problems.size() < 20)
            m_problems.append(what);
        emitLine({{"event", "problem"}, {"name", m_name}, {"what", what}});
    }

    const Options &m_options;
    const QString m_name;
    std::function<void()> m_changed;
    IpcClient m_client;
    qint64 m_nextSend = 1;
    qint64 m_nextEcho = 1;
    qint64 m_sent = 0;
    qint64 m_sessionSent = 0;
    qint64 m_sessionEchoed = 0;
    qint64 m_firstNews = -1;
    qint64 m_lastNews = -1;
    qint64 m_newsCount = 0;
    qint64 m_end = -1;
    int m_sessions = 0;
    int m_disconnects = 0;
    int m_disconnectsInsideSend = 0;
    int m_connectErrors = 0;
    bool m_closed = false;
    QStringList m_problems;
};

int runSoak(const Options &options)
{
    const int fdsBefore = Stress::openFdCount();
    std::vector<std::unique_ptr<SoakConnection>> connections;
    bool doneSaid = false;
    bool closing = false;
    bool settling = false;

    const auto closeAll = [&] {
        if (std::exchange(closing, true))
            return;
        QJsonArray summaries;
        for (const auto &c : connections)
            summaries.append(c->summary());
        emitLine({{"event", "summary"}, {"connections", summaries}});
        for (const auto &c : connections)
            c->close();
    };
    const auto changed = [&] {
        bool done = options.messages > 0, ended = true, closed = true;
        for (const auto &c : connections) {
            done = done && c->isDone();
            ended = ended && c->hasEnded();
            closed = closed && c->isClosed();
        }
        if (done && !std::exchange(doneSaid, true))
            emitLine({{"event", "done"}});
        if (ended && !closing)
            QTimer::singleShot(0, qApp, closeAll);  // not from inside a client's signal
        if (closed && closing && !std::exchange(settling, true)) {
            whenSettled([&] {
                connections.clear();
                whenSettled([&] {
                    emitLine({{"event", "closed"},
                              {"fdsBefore", fdsBefore},
                              {"fdsAfter", Stress::openFdCount()}});
                    QCoreApplication::exit(0);
                });
            });
        }
    };

    for (int i = 0; i < options.connections; ++i) {
        connections.push_back(std::make_unique<SoakConnection>(
                options, QStringLiteral("%1.%2").arg(options.name).arg(i), changed));
    }
    StdinReader stdinReader([&](const QJsonObject &command) {
        if (command.contains(QLatin1String("close")))
            closeAll();
    });
    emitLine({{"event", "started"},
              {"pid", qint64(QCoreApplication::applicationPid())},
              {"fds", fdsBefore}});
    for (const auto &c : connections)
        c->start();
    return QCoreApplication::exec();
}

// ---- ordering -----------------------------------------------------------------------------

int runOrdering(const Options &options)
{
    const Stress::Ordering pattern{options.small, options.large};
    IpcClient client;
    client.setReconnectDelay(50);
    qint64 sent = 0;
    qint64 received = 0;
    QStringList problems;
    bool finished = false;
    bool wasConnected = false;
    QElapsedTimer timer;
    QTimer sendTimer;
    sendTimer.setInterval(0);

    const auto problem = [&](const QString &what) {
        if (problems.size() < 20)
            problems.append(what);
        emitLine({{"event", "problem"}, {"what", what}});
    };
    const auto finishIfDone = [&] {
        if (finished || sent < pattern.total() || received < pattern.total())
            return;
        finished = true;
        emitLine({{"event", "summary"},
                  {"sent", sent},
                  {"received", received},
                  {"msecs", timer.elapsed()},
                  {"problems", QJsonArray::fromStringList(problems)}});
        client.close();  // writes what is pending first
    };
    QObject::connect(&sendTimer, &QTimer::timeout, [&] {
        for (int k = 0; k < options.chunk && sent < pattern.total(); ++k, ++sent) {
            if (!client.send(pattern.topic(sent), pattern.message(sent)))
                break;
        }
        if (sent == pattern.total()) {
            sendTimer.stop();
            finishIfDone();
        }
    });
    QObject::connect(&client, &IpcClient::connected, [&] {
        if (std::exchange(wasConnected, true)) {
            problem(QStringLiteral("reconnected: the stream was cut"));
            return;
        }
        emitLine({{"event", "connected"}});
        timer.start();
        sendTimer.start();
    });
    QObject::connect(&client, &IpcClient::disconnected,
                     [&] { problem(QStringLiteral("disconnected")); });
    QObject::connect(&client, &IpcClient::errorOccurred,
                     [&](IpcError::Error error, const QString &description) {
                         problem(QStringLiteral("%1: %2").arg(errorName(error), description));
                     });
    QObject::connect(&client, &IpcClient::messageReceived,
                     [&](const QString &topic, const QVariant &message) {
                         if (const QString wrong = pattern.check(received, topic, message);
                             !wrong.isEmpty())
                             problem(wrong);
                         ++received;
                         finishIfDone();
                     });
    QObject::connect(&client, &IpcClient::closed, [&] {
        emitLine({{"event", "closed"}});
        QCoreApplication::exit(problems.isEmpty() ? 0 : 1);
    });
    StdinReader stdinReader([&](const QJsonObject &command) {
        if (command.contains(QLatin1String("close")))
            client.close();
    });
    client.connectToServer(options.path);
    return QCoreApplication::exec();
}

// ---- halfframe ----------------------------------------------------------------------------

bool writeAll(int fd, const QByteArray &bytes)
{
    for (qsizetype done = 0; done < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.constData() + done, size_t(bytes.size() - done));
        if (n <= 0)
            return false;
        done += n;
    }
    return true;
}

int runHalfFrame(const Options &options)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    const QByteArray path = QFile::encodeName(options.path);
    qstrncpy(address.sun_path, path.constData(), sizeof address.sun_path);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        std::perror("ipcstressclient halfframe: connect");
        return 1;
    }
    QByteArray whole;
    for (int i = 0; i < options.frames; ++i)
        whole += "{\"topic\":\"whole\",\"message\":" + QByteArray::number(i) + "}"
                + QByteArray(2, '\0');
    QByteArray big = "{\"topic\":\"half\",\"message\":\"";
    big += QByteArray(qMax<qint64>(0, options.bytes - big.size() - 2), 'x');
    big += "\"}";
    if (!writeAll(fd, whole) || !writeAll(fd, big.left(big.size() / 2))) {
        std::perror("ipcstressclient halfframe: write");
        return 1;
    }
    // Everything written is now the kernel's: dying here leaves the server half a frame.
    emitLine({{"event", "halfway"}, {"bytes", qint64(whole.size() + big.size() / 2)}});
    for (;;)
        ::pause();
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    Options options;
    if (!parse(app.arguments(), &options)) {
        std::fprintf(stderr, "usage: ipcstressclient soak|ordering|halfframe PATH [options]\n");
        return 64;
    }
    if (options.mode == QLatin1String("soak"))
        return runSoak(options);
    if (options.mode == QLatin1String("ordering"))
        return runOrdering(options);
    if (options.mode == QLatin1String("halfframe"))
        return runHalfFrame(options);
    std::fprintf(stderr, "ipcstressclient: unknown mode %s\n", qPrintable(options.mode));
    return 64;
}
