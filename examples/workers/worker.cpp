#include "worker.h"
#include "say.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>

// A worker on its own gives up after this long, so no orphan outlives a crashed coordinator.
static constexpr int WorkerTimeoutMs = 30000;

Worker::Worker(const QString &name, const QString &socketPath, QObject *parent)
    : QObject(parent), m_name(name), m_socketPath(socketPath)
{
    m_client.setRetryDelay(100);
    connect(&m_client, &IpcClient::connected, this, [this] {
        m_client.send(QStringLiteral("hello"),
                      QVariantMap{{QStringLiteral("name"), m_name},
                                  {QStringLiteral("pid"), QCoreApplication::applicationPid()}});
    });
    // Losing the coordinator means it died: nothing left to do.
    connect(&m_client, &IpcClient::disconnected, this, [this] {
        say(m_name, QStringLiteral("lost the coordinator; exiting"));
        QCoreApplication::exit(1);
    });
    m_client.on(QStringLiteral("config"), this, [this](const QVariant &message) {
        m_workMs = message.toMap().value(QStringLiteral("workMs")).toInt();
    });
    m_client.on(QStringLiteral("shutdown"), this, [this] {
        say(m_name, QStringLiteral("shutdown received; exiting"));
        m_client.close();
    });
    connect(&m_client, &IpcClient::closed, qApp, [] { QCoreApplication::exit(0); });
    m_client.handle(QStringLiteral("job"), this, [this](IpcRequest &request) { onJob(request); });
}

void Worker::start()
{
    QTimer::singleShot(WorkerTimeoutMs, qApp, [] { QCoreApplication::exit(2); });
    m_client.connectToServer(m_socketPath);
}

void Worker::onJob(IpcRequest &request)
{
    const QVariantMap job = request.message().toMap();
    const int index = job.value(QStringLiteral("index")).toInt();
    const qint64 from = job.value(QStringLiteral("from")).toLongLong();
    const qint64 to = job.value(QStringLiteral("to")).toLongLong();
    say(m_name,
        QStringLiteral("job %1: the sum of the squares of %2..%3").arg(index).arg(from).arg(to));
    m_client.send(QStringLiteral("started"), QVariantMap{{QStringLiteral("job"), index}});

    qint64 sum = 0;
    for (qint64 i = from; i <= to; ++i)
        sum += i * i;
    // Answer later, as a long computation would: keep a copy of the request until then.
    QTimer::singleShot(m_workMs, this, [request, sum]() mutable { request.reply(sum); });
}
