#include "worker.h"
#include "say.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>

// A worker on its own gives up after this long, so no orphan outlives a crashed coordinator.
static constexpr int WorkerTimeoutMs = 30000;
// A job is worked on in this many slices, with a progress notification after each but the last.
static constexpr int Slices = 4;

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

    // In four slices, one per timer tick, as a long computation would go: a progress
    // notification after each of the first three, the answer after the last. A copy of the
    // request lives in the lambda until then.
    auto *slices = new QTimer(this);
    const qint64 count = to - from + 1;
    connect(slices, &QTimer::timeout, this,
            [request, slices, from, count, slice = 0, sum = qint64(0)]() mutable {
                const qint64 begin = from + count * slice / Slices;
                const qint64 end = from + count * (slice + 1) / Slices;
                for (qint64 i = begin; i < end; ++i)
                    sum += i * i;
                if (++slice < Slices) {
                    request.sendProgress(100 * slice / Slices);  // percent
                    return;
                }
                request.reply(sum);
                slices->deleteLater();
            });
    // The coordinator may call the job off: stop working on it.
    request.onCancelled(slices, [this, slices, index] {
        say(m_name, QStringLiteral("job %1 cancelled; stopping").arg(index));
        slices->deleteLater();
    });
    slices->start(m_workMs / Slices);
}
