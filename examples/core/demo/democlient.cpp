#include "democlient.h"
#include "demoprint.h"

#include <SocketIpc/IpcTopic>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>

// A client on its own gives up after this long, so no orphan outlives a crashed demo.
static constexpr int ClientTimeoutMs = 15000;
static constexpr int DelayMs = 200;

DemoClient::DemoClient(const QString &name, const QString &socketPath, const QStringList &topics,
                       QObject *parent)
    : QObject(parent), m_name(name), m_socketPath(socketPath), m_topics(topics)
{
    m_client.setRetryDelay(DelayMs);      // after a failed connect attempt
    m_client.setReconnectDelay(DelayMs);  // after losing the server

    connect(&m_client, &IpcClient::connected, this, [this] {
        if (m_disconnects > 0)
            return;  // a reconnect: reconnected() follows
        printLine(QStringLiteral("connected; saying hello"));
        sendHello(false);
    });
    connect(&m_client, &IpcClient::disconnected, this, [this] {
        ++m_disconnects;
        m_retryReported = false;
        printLine(QStringLiteral("lost the server; reconnecting in %1 ms")
                          .arg(m_client.reconnectDelay()));
    });
    connect(&m_client, &IpcClient::connectError, this, [this] {
        if (std::exchange(m_retryReported, true))
            return;  // once per outage is enough
        printLine(QStringLiteral("cannot reach the server; retrying every %1 ms")
                          .arg(m_client.retryDelay()));
    });
    connect(&m_client, &IpcClient::reconnected, this, [this] {
        ++m_reconnects;
        printLine(QStringLiteral("reconnected; saying hello again"));
        sendHello(true);
    });
    connect(&m_client, &IpcClient::errorOccurred, this,
            [this](IpcError::Error error, const QString &description) {
                // The server restarts mid-demo: not finding it for a moment is expected.
                if (error == IpcError::NoServerError) {
                    printLine(QStringLiteral("waiting: %1").arg(description));
                    return;
                }
                m_problems.append(description);
                printLine(QStringLiteral("error: %1").arg(description));
            });
    connect(&m_client, &IpcClient::closed, this, &DemoClient::finish);

    // One subscription per topic: only that topic's messages reach it.
    for (const QString &topic : topics) {
        connect(m_client.topic(topic), &IpcTopic::messageReceived, this,
                [this, topic](const QVariant &message) {
                    m_receivedTopics.insert(topic);
                    printLine(QStringLiteral("%1: %2").arg(topic, toJson(message)));
                    report(topic, true);
                });
        m_handledTopics.insert(topic);
    }

    // on() is the one-call form of the same thing.
    m_client.on(QStringLiteral("welcome"), this, [this](const QVariant &message) {
        printLine(QStringLiteral("direct message, for me only: %1").arg(toJson(message)));
        if (message.toMap().value(QStringLiteral("name")).toString() != m_name)
            m_problems.append(QStringLiteral("got a welcome meant for another client"));
        ++m_welcomes;
        report(QStringLiteral("welcome"), true);
    });
    m_client.on(QStringLiteral("bye"), this, [this](const QVariant &message) {
        printLine(QStringLiteral("bye: %1; closing").arg(toJson(message)));
        m_receivedTopics.insert(QStringLiteral("bye"));
        m_client.close();
    });
    m_handledTopics.insert(QStringLiteral("welcome"));
    m_handledTopics.insert(QStringLiteral("bye"));

    // Every message, whatever its topic; used here only to show what nobody listens to.
    connect(&m_client, &IpcClient::messageReceived, this, [this](const QString &topic) {
        if (m_handledTopics.contains(topic))
            return;
        printLine(QStringLiteral("ignored a \"%1\" message: not subscribed to it").arg(topic));
        report(topic, false);
    });
}

void DemoClient::start()
{
    printLine(QStringLiteral("connecting to %1; subscribed to: %2")
                      .arg(m_socketPath, m_topics.join(QStringLiteral(", "))));
    m_client.connectToServer(m_socketPath);

    QTimer::singleShot(ClientTimeoutMs, this, [] {
        printLine(QStringLiteral("FAILED: the server did not say bye within %1 s")
                          .arg(ClientTimeoutMs / 1000));
        QCoreApplication::exit(3);
    });
}

void DemoClient::sendHello(bool again)
{
    QVariantMap hello{
            {QStringLiteral("name"), m_name},
            {QStringLiteral("pid"), QCoreApplication::applicationPid()},
            {QStringLiteral("topics"), m_topics},
    };
    if (again)
        hello.insert(QStringLiteral("reconnected"), true);
    m_client.send(QStringLiteral("hello"), hello);
}

// Tells the server what became of a message, so that it can check the scenario.
void DemoClient::report(const QString &topic, bool handled)
{
    m_client.send(QStringLiteral("report"),
                  QVariantMap{
                          {QStringLiteral("name"), m_name},
                          {QStringLiteral("topic"), topic},
                          {QStringLiteral("handled"), handled},
                  });
}

void DemoClient::finish()
{
    if (m_welcomes != 2)
        m_problems.append(QStringLiteral("%1 welcomes instead of 2").arg(m_welcomes));
    if (m_disconnects != 1 || m_reconnects != 1)
        m_problems.append(QStringLiteral("%1 disconnects and %2 reconnects instead of 1 each")
                                  .arg(m_disconnects)
                                  .arg(m_reconnects));
    for (const QString &topic : std::as_const(m_topics)) {
        if (!m_receivedTopics.contains(topic))
            m_problems.append(QStringLiteral("nothing on \"%1\"").arg(topic));
    }
    if (!m_receivedTopics.contains(QStringLiteral("bye")))
        m_problems.append(QStringLiteral("closed before the server said bye"));

    if (m_problems.isEmpty()) {
        printLine(QStringLiteral("closed; all my checks passed"));
        QCoreApplication::exit(0);
    } else {
        printLine(QStringLiteral("closed; FAILED: %1").arg(m_problems.join(QStringLiteral("; "))));
        QCoreApplication::exit(1);
    }
}
