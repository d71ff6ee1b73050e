#include "demoserver.h"
#include "demoprint.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtimer.h>

static constexpr int DemoTimeoutMs = 20000;  // the whole demo, so that it never hangs
static constexpr int PauseMs = 300;          // between steps: lets every line of a step print
static constexpr int DowntimeMs = 500;       // the server stays down this long on restart

static void say(const QString &line)
{
    printLine(QStringLiteral("[server] ") + line);
}

// "alice", "alice and bob", "alice, bob and carol"
static QString listOf(const QStringList &names)
{
    if (names.size() < 2)
        return names.join(QString());
    return names.mid(0, names.size() - 1).join(QStringLiteral(", ")) + QStringLiteral(" and ")
            + names.last();
}

static QString quoted(const QString &topic)
{
    return QLatin1Char('"') + topic + QLatin1Char('"');
}

// What the server broadcasts in step 2; each client listens to some of these topics only.
static const QList<std::pair<QString, QVariantMap>> &broadcasts()
{
    static const QList<std::pair<QString, QVariantMap>> list{
            {QStringLiteral("news"),
             {{QStringLiteral("headline"), QStringLiteral("Qt and Node share a socket")}}},
            {QStringLiteral("weather"),
             {{QStringLiteral("sky"), QStringLiteral("sunny")}, {QStringLiteral("celsius"), 21}}},
    };
    return list;
}

DemoServer::DemoServer(QObject *parent)
    : QObject(parent), m_dir(QDir::tempPath() + QStringLiteral("/socketipc-demo-XXXXXX"))
{
    m_peers = {
            {QStringLiteral("alice"), {QStringLiteral("news"), QStringLiteral("weather")}},
            {QStringLiteral("bob"), {QStringLiteral("news")}},
            {QStringLiteral("carol"), {QStringLiteral("weather")}},
    };

    connect(&m_server, &IpcServer::clientConnected, this, [](const QString &clientId) {
        say(QStringLiteral("a client connected; its id is %1").arg(clientId));
    });
    connect(&m_server, &IpcServer::clientDisconnected, this, [this](const QString &clientId) {
        say(QStringLiteral("%1 disconnected").arg(who(clientId)));
        if (Peer *peer = peerById(clientId))
            peer->clientId.clear();
        checkStep();
    });
    connect(&m_server, &IpcServer::errorOccurred, this,
            [this](IpcError::Error, const QString &description) {
                fail(QStringLiteral("server error: %1").arg(description));
            });
    connect(&m_server, &IpcServer::closed, this, &DemoServer::onClosed);

    // One handler per topic; the client id says who sent the message.
    m_server.on(QStringLiteral("hello"), this,
                [this](const QVariant &message, const QString &clientId) {
                    onHello(message, clientId);
                });
    m_server.on(QStringLiteral("report"), this,
                [this](const QVariant &message, const QString &clientId) {
                    onReport(message, clientId);
                });
}

DemoServer::~DemoServer() = default;

void DemoServer::start()
{
    m_clock.start();
    QTimer::singleShot(DemoTimeoutMs, this, [this] {
        fail(QStringLiteral("timed out after %1 s, in step %2")
                     .arg(QString::number(DemoTimeoutMs / 1000), m_stepTitle));
    });
    if (!m_dir.isValid())
        return fail(
                QStringLiteral("cannot create a temporary directory: %1").arg(m_dir.errorString()));

    printLine(QStringLiteral(
            "SocketIpc demo: one server (this process), three clients (child processes)"));
    beginStep(Step::Hello, QStringLiteral("1/4 Start the server and the clients; each says hello"));
    const QString path = m_dir.filePath(QStringLiteral("demo.sock"));
    if (!m_server.listen(path))
        return;  // errorOccurred() has failed the demo
    say(QStringLiteral("listening on %1").arg(path));

    checkStep();  // starts the first client
}

void DemoServer::startClient(Peer &peer)
{
    auto *process = new QProcess(this);
    peer.process = process;
    process->setProcessChannelMode(QProcess::MergedChannels);
    const QString name = peer.name;
    connect(process, &QProcess::readyReadStandardOutput, this,
            [this, name] { forwardOutput(*peerByName(name)); });
    connect(process, &QProcess::errorOccurred, this, [this, name](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            fail(QStringLiteral("cannot start client %1: %2")
                         .arg(name, peerByName(name)->process->errorString()));
    });
    connect(process, &QProcess::finished, this,
            [this, name](int exitCode, QProcess::ExitStatus status) {
                Peer &peer = *peerByName(name);
                forwardOutput(peer);
                peer.exited = true;
                if (status != QProcess::NormalExit)
                    return fail(QStringLiteral("client %1 crashed").arg(name));
                if (exitCode != 0)
                    return fail(QStringLiteral("client %1 exited with code %2")
                                        .arg(name, QString::number(exitCode)));
                if (m_step != Step::Bye)
                    return fail(QStringLiteral("client %1 exited before the server said bye")
                                        .arg(name));
                say(QStringLiteral("client process %1 exited with code 0").arg(name));
                checkStep();
            });
    const QStringList arguments =
            QStringList{QStringLiteral("--client"), peer.name, m_server.address()} + peer.topics;
    say(QStringLiteral("starting a client process: %1 %2")
                .arg(QCoreApplication::applicationName(), arguments.join(QLatin1Char(' '))));
    process->start(QCoreApplication::applicationFilePath(), arguments);
}

// Client output, line by line, under the client's name.
void DemoServer::forwardOutput(Peer &peer)
{
    const QString prefix = QStringLiteral("[client %1] ").arg(peer.name);
    while (peer.process->canReadLine())
        printLine(prefix + QString::fromLocal8Bit(peer.process->readLine()).trimmed());
    if (peer.process->state() == QProcess::NotRunning && peer.process->bytesAvailable() > 0)
        printLine(prefix + QString::fromLocal8Bit(peer.process->readAll()).trimmed());
}

void DemoServer::onHello(const QVariant &message, const QString &clientId)
{
    if (m_failed)
        return;
    const QVariantMap hello = message.toMap();
    const QString name = hello.value(QStringLiteral("name")).toString();
    say(QStringLiteral("\"hello\" from %1 (%2): %3").arg(name, clientId.left(8), toJson(message)));

    Peer *peer = peerByName(name);
    if (!peer)
        return fail(QStringLiteral("hello from an unknown client \"%1\"").arg(name));
    const bool again = hello.value(QStringLiteral("reconnected")).toBool();
    if (again != (m_step == Step::Rehello))
        return fail(QStringLiteral("%1 said hello at the wrong time").arg(name));
    peer->clientId = clientId;

    // A reply to this one client only: send() by client id.
    const QString text =
            again ? QStringLiteral("Welcome back, %1!") : QStringLiteral("Welcome, %1!");
    m_server.send(QStringLiteral("welcome"),
                  QVariantMap{{QStringLiteral("name"), name},
                              {QStringLiteral("clientId"), clientId},
                              {QStringLiteral("text"), text.arg(name)}},
                  clientId);
    say(QStringLiteral("sent \"welcome\" to %1 only (send() by client id)").arg(name));
}

void DemoServer::onReport(const QVariant &message, const QString &clientId)
{
    if (m_failed)
        return;
    const QVariantMap report = message.toMap();
    Peer *peer = peerById(clientId);
    if (!peer || peer->name != report.value(QStringLiteral("name")).toString())
        return fail(QStringLiteral("a report from an unexpected client: %1").arg(toJson(message)));
    peer->reports.insert(report.value(QStringLiteral("topic")).toString(),
                         report.value(QStringLiteral("handled")).toBool());
    checkStep();
}

// Moves on once every client has done what the current step expects of it.
void DemoServer::checkStep()
{
    if (m_failed || m_stepDone)
        return;
    switch (m_step) {
    case Step::Hello:
    case Step::Rehello:
        for (Peer &peer : m_peers) {
            // One client at a time at first, so that each one's story reads in one piece.
            if (!std::exchange(peer.started, true)) {
                QTimer::singleShot(PauseMs, this,
                                   [this, name = peer.name] { startClient(*peerByName(name)); });
                return;
            }
            if (!peer.reports.contains(QStringLiteral("welcome")))
                return;
        }
        m_stepDone = true;
        say(m_step == Step::Hello
                    ? QStringLiteral("all 3 clients said hello and got their own welcome")
                    : QStringLiteral("all 3 clients are back and got their own welcome"));
        QTimer::singleShot(PauseMs, this,
                           m_step == Step::Hello ? &DemoServer::stepBroadcast
                                                 : &DemoServer::stepBye);
        return;
    case Step::Broadcast: {
        for (const Peer &peer : m_peers) {
            for (const auto &[topic, message] : broadcasts()) {
                if (!peer.reports.contains(topic))
                    return;
            }
        }
        m_stepDone = true;
        for (const auto &[topic, message] : broadcasts()) {
            QStringList handledBy, ignoredBy;
            for (const Peer &peer : m_peers) {
                const bool handled = peer.reports.value(topic);
                if (handled != peer.topics.contains(topic)) {
                    const QString what =
                            handled ? QStringLiteral("handled") : QStringLiteral("ignored");
                    return fail(QStringLiteral("%1 %2 %3, but its topics are: %4")
                                        .arg(peer.name, what, quoted(topic),
                                             peer.topics.join(QStringLiteral(", "))));
                }
                (handled ? handledBy : ignoredBy).append(peer.name);
            }
            QString line = QStringLiteral("%1 reached everyone: handled by %2")
                                   .arg(quoted(topic), listOf(handledBy));
            if (!ignoredBy.isEmpty())
                line += QStringLiteral(", ignored by %1 (not subscribed)").arg(listOf(ignoredBy));
            say(line);
        }
        QTimer::singleShot(PauseMs, this, &DemoServer::stepRestart);
        return;
    }
    case Step::Restart: return;  // onClosed() takes it from here
    case Step::Bye:
        for (const Peer &peer : m_peers) {
            if (!peer.exited || !peer.clientId.isEmpty())
                return;
        }
        m_stepDone = true;
        say(QStringLiteral("every client has left; closing"));
        m_step = Step::Done;
        m_server.close();  // no connection left: closed() follows at once
        return;
    case Step::Done: return;
    }
}

void DemoServer::beginStep(Step step, const QString &title)
{
    m_step = step;
    m_stepDone = false;
    for (Peer &peer : m_peers)
        peer.reports.clear();
    if (!title.isEmpty()) {
        m_stepTitle = title;
        printLine(QStringLiteral("\n== %1").arg(title));
    }
}

void DemoServer::stepBroadcast()
{
    beginStep(Step::Broadcast,
              QStringLiteral("2/4 Broadcast on two topics; each client listens to some"));
    for (const auto &[topic, message] : broadcasts()) {
        say(QStringLiteral("broadcasting %1 to all %2 clients: %3")
                    .arg(quoted(topic), QString::number(m_server.clientCount()), toJson(message)));
        m_server.broadcast(topic, message);
    }
}

void DemoServer::stepRestart()
{
    beginStep(Step::Restart,
              QStringLiteral("3/4 Restart the server; the clients reconnect on their own"));
    say(QStringLiteral("closing: stop listening and end every connection"));
    m_server.close();
}

void DemoServer::onClosed()
{
    if (m_failed)
        return;
    if (m_step == Step::Restart) {
        say(QStringLiteral("closed; listening again in %1 ms").arg(DowntimeMs));
        QTimer::singleShot(DowntimeMs, this, &DemoServer::relisten);
    } else if (m_step == Step::Done) {
        say(QStringLiteral("closed"));
        const QString seconds = QString::number(double(m_clock.elapsed()) / 1000, 'f', 1);
        printLine(QStringLiteral("\nAll checks passed in %1 s: each client got its own welcome, "
                                 "heard only\nits topics, came back after the restart and exited "
                                 "cleanly.")
                          .arg(seconds));
        QCoreApplication::exit(0);
    } else {
        fail(QStringLiteral("the server closed unexpectedly"));
    }
}

void DemoServer::relisten()
{
    beginStep(Step::Rehello, QString());
    if (!m_server.listen())  // the same path as before
        return;
    say(QStringLiteral("listening again on the same path"));
}

void DemoServer::stepBye()
{
    beginStep(Step::Bye, QStringLiteral("4/4 Say goodbye; the clients close and exit"));
    const QVariantMap bye{{QStringLiteral("text"), QStringLiteral("That's all, thanks!")}};
    say(QStringLiteral("broadcasting \"bye\" to all %1 clients: %2")
                .arg(QString::number(m_server.clientCount()), toJson(bye)));
    m_server.broadcast(QStringLiteral("bye"), bye);
}

void DemoServer::fail(const QString &reason)
{
    if (std::exchange(m_failed, true))
        return;
    printLine(QStringLiteral("\nFAILED: %1").arg(reason));
    m_server.disconnect(this);  // nothing more to tell
    for (Peer &peer : m_peers) {
        if (!peer.process)
            continue;
        peer.process->disconnect(this);
        if (peer.process->state() != QProcess::NotRunning) {
            peer.process->kill();
            peer.process->waitForFinished(2000);
        }
        forwardOutput(peer);
    }
    QCoreApplication::exit(1);
}

DemoServer::Peer *DemoServer::peerById(const QString &clientId)
{
    for (Peer &peer : m_peers) {
        if (!clientId.isEmpty() && peer.clientId == clientId)
            return &peer;
    }
    return nullptr;
}

DemoServer::Peer *DemoServer::peerByName(const QString &name)
{
    for (Peer &peer : m_peers) {
        if (peer.name == name)
            return &peer;
    }
    return nullptr;
}

// "alice (5c1f0d0e)", or the bare id of a client that has not said hello yet.
QString DemoServer::who(const QString &clientId)
{
    if (const Peer *peer = peerById(clientId))
        return QStringLiteral("%1 (%2)").arg(peer->name, clientId.left(8));
    return QStringLiteral("client %1").arg(clientId);
}
