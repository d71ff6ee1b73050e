#include "coordinator.h"
#include "say.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdir.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtimer.h>

#include <memory>

static constexpr int WorkerCount = 3;
static constexpr int JobCount = 12;
static constexpr qint64 JobSize = 10000;  // numbers per job
static constexpr int WorkMs = 150;        // how long a worker "works" on one job (config)
static constexpr int KillJob = 4;         // the worker that starts this job is killed
static constexpr int CancelJob = 7;       // called off at its first progress, once, then redone
static constexpr int Slices = 4;          // progress 25, 50, 75 %, then the answer
static constexpr int JobTimeoutMs = 10000;
static constexpr int RunTimeoutMs = 30000;

static qint64 sumOfSquaresUpTo(qint64 n)
{
    return n * (n + 1) * (2 * n + 1) / 6;
}

Coordinator::Coordinator(QObject *parent)
    : QObject(parent), m_dir(QDir::tempPath() + QStringLiteral("/socketipc-workers-XXXXXX"))
{
    for (int i = 0; i < JobCount; ++i)
        m_pending.append({i, i * JobSize + 1, (i + 1) * JobSize});
    for (int i = 1; i <= WorkerCount; ++i) {
        const QString name = QStringLiteral("w%1").arg(i);
        m_workers.insert(name, Worker{name});
    }

    m_server.on(QStringLiteral("hello"), this,
                [this](const QVariant &message, const QString &clientId) {
                    onHello(message, clientId);
                });
    m_server.on(QStringLiteral("started"), this,
                [this](const QVariant &message, const QString &clientId) {
                    onStarted(message, clientId);
                });
    connect(&m_server, &IpcServer::clientDisconnected, this, [this](const QString &clientId) {
        if (Worker *worker = workerById(clientId))
            worker->clientId.clear();
    });
    connect(&m_server, &IpcServer::errorOccurred, this,
            [this](IpcError::Error, const QString &description) { fail(description); });
    connect(&m_server, &IpcServer::closed, this, &Coordinator::finish);
}

Coordinator::~Coordinator()
{
    for (Worker &worker : m_workers) {
        if (worker.process)
            worker.process->disconnect(this);  // their exits are no longer news
    }
}

void Coordinator::start()
{
    m_clock.start();
    QTimer::singleShot(RunTimeoutMs, this, [this] { fail(QStringLiteral("timed out")); });
    const QString path = m_dir.filePath(QStringLiteral("workers.sock"));
    if (!m_dir.isValid() || !m_server.listen(path))
        return fail(QStringLiteral("cannot listen: %1").arg(m_server.errorString()));
    say(QStringLiteral("coordinator"),
        QStringLiteral("listening on %1; %2 jobs for %3 workers")
                .arg(path)
                .arg(JobCount)
                .arg(WorkerCount));
    for (Worker &worker : m_workers)
        startWorker(worker);
}

void Coordinator::startWorker(Worker &worker)
{
    if (worker.process)
        worker.process->deleteLater();  // we may be in its finished() signal
    worker.process = new QProcess(this);
    worker.process->setProcessChannelMode(QProcess::ForwardedChannels);
    const QString name = worker.name;
    connect(worker.process, &QProcess::finished, this,
            [this, name](int exitCode, QProcess::ExitStatus status) {
                onWorkerExited(m_workers[name], exitCode, status == QProcess::CrashExit);
            });
    ++worker.starts;
    worker.process->start(QCoreApplication::applicationFilePath(),
                          {QStringLiteral("--worker"), name, m_server.address()});
}

void Coordinator::onHello(const QVariant &message, const QString &clientId)
{
    const QString name = message.toMap().value(QStringLiteral("name")).toString();
    auto worker = m_workers.find(name);
    if (worker == m_workers.end())
        return fail(QStringLiteral("hello from an unknown worker \"%1\"").arg(name));
    worker->clientId = clientId;
    say(QStringLiteral("coordinator"),
        QStringLiteral("%1 connected%2")
                .arg(name, worker->starts > 1 ? QStringLiteral(" again, restarted") : QString()));
    // To this worker only: one that joins late has missed nothing.
    m_server.send(QStringLiteral("config"), QVariantMap{{QStringLiteral("workMs"), WorkMs}},
                  clientId);
    dispatch();
}

void Coordinator::onStarted(const QVariant &message, const QString &clientId)
{
    Worker *worker = workerById(clientId);
    const int job = message.toMap().value(QStringLiteral("job")).toInt();
    if (!worker || job != KillJob || !m_victim.isEmpty())
        return;
    m_victim = worker->name;
    say(QStringLiteral("coordinator"),
        QStringLiteral("killing %1 (SIGKILL) in the middle of job %2").arg(worker->name).arg(job));
    worker->process->kill();
}

// One job per idle, connected worker, while there are jobs.
void Coordinator::dispatch()
{
    for (Worker &worker : m_workers) {
        if (m_pending.isEmpty() || m_failed)
            return;
        if (!worker.clientId.isEmpty() && worker.job < 0)
            assign(worker, m_pending.takeFirst());
    }
}

void Coordinator::assign(Worker &worker, const Job &job)
{
    worker.job = job.index;
    const QVariantMap message{{QStringLiteral("index"), job.index},
                              {QStringLiteral("from"), job.from},
                              {QStringLiteral("to"), job.to}};
    // A request to this one client; the reply reports progress, and says how it went,
    // whatever happens to it.
    IpcReply *reply =
            m_server.request(QStringLiteral("job"), message, worker.clientId, JobTimeoutMs);
    auto progress = std::make_shared<QList<int>>();
    connect(reply, &IpcReply::progress, this,
            [this, reply, name = worker.name, job, progress](const QVariant &percent) {
                progress->append(percent.toInt());
                if (job.index == CancelJob && !std::exchange(m_cancelledOnce, true)) {
                    say(QStringLiteral("coordinator"),
                        QStringLiteral("job %1 on %2 at %3 %: calling it off (cancel)")
                                .arg(job.index)
                                .arg(name)
                                .arg(percent.toInt()));
                    reply->cancel();
                }
            });
    connect(reply, &IpcReply::finished, this, [this, reply, name = worker.name, job, progress] {
        reply->deleteLater();
        // Every answer comes after the progress of all but the last slice, in order.
        QList<int> expected;
        for (int slice = 1; slice < Slices; ++slice)
            expected.append(100 * slice / Slices);
        if (reply->error() == IpcError::NoError && *progress != expected) {
            QStringList seen;
            for (int percent : std::as_const(*progress))
                seen.append(QString::number(percent));
            return fail(QStringLiteral("job %1: progress %2 before the answer")
                                .arg(job.index)
                                .arg(seen.join(QLatin1Char(','))));
        }
        onResult(name, job, *reply);
    });
}

void Coordinator::onResult(const QString &name, const Job &job, const IpcReply &reply)
{
    if (m_failed)
        return;
    Worker &worker = m_workers[name];
    worker.job = -1;
    if (reply.error() == IpcError::CancelledError) {
        // Called off by us: the worker is fine and takes the next job; this one waits.
        m_pending.append(job);
        ++m_cancelled;
        return dispatch();
    }
    if (reply.error() != IpcError::NoError) {
        // Gone (killed: DisconnectedError) or stuck: the job goes first in line for anyone.
        say(QStringLiteral("coordinator"),
            QStringLiteral("job %1 failed on %2: %3; back in the queue")
                    .arg(job.index)
                    .arg(name, reply.errorString()));
        worker.clientId.clear();  // until it says hello again
        m_pending.prepend(job);
        ++m_reassigned;
        return dispatch();
    }
    const qint64 expected = sumOfSquaresUpTo(job.to) - sumOfSquaresUpTo(job.from - 1);
    const qint64 result = reply.value().toLongLong();
    if (result != expected)
        return fail(QStringLiteral("job %1 from %2: %3, expected %4")
                            .arg(job.index)
                            .arg(name)
                            .arg(result)
                            .arg(expected));
    m_results.insert(job.index, result);
    ++worker.jobsDone;
    say(QStringLiteral("coordinator"),
        QStringLiteral("job %1 done by %2: %3 (%4/%5)")
                .arg(job.index)
                .arg(name)
                .arg(result)
                .arg(m_results.size())
                .arg(JobCount));
    if (m_results.size() < JobCount)
        return dispatch();

    say(QStringLiteral("coordinator"), QStringLiteral("all jobs done; broadcasting shutdown"));
    m_shuttingDown = true;
    m_server.broadcast(QStringLiteral("shutdown"), QVariantMap{});
}

void Coordinator::onWorkerExited(Worker &worker, int exitCode, bool crashed)
{
    if (m_failed)
        return;
    if (worker.name == m_victim && worker.starts == 1) {
        say(QStringLiteral("coordinator"),
            QStringLiteral("%1 is dead; restarting it").arg(worker.name));
        return startWorker(worker);
    }
    if (!m_shuttingDown || crashed || exitCode != 0)
        return fail(
                QStringLiteral("%1 exited unexpectedly (code %2)").arg(worker.name).arg(exitCode));
    for (const Worker &other : std::as_const(m_workers)) {
        if (other.process->state() != QProcess::NotRunning)
            return;
    }
    m_server.close();  // closed() calls finish()
}

void Coordinator::finish()
{
    if (m_failed)
        return;
    if (m_victim.isEmpty() || m_reassigned == 0 || m_workers[m_victim].starts != 2)
        return fail(QStringLiteral("no worker was killed, restarted and its job reassigned"));
    if (m_cancelled != 1)
        return fail(QStringLiteral("%1 jobs cancelled, expected 1").arg(m_cancelled));
    QStringList counts;
    for (const Worker &worker : std::as_const(m_workers))
        counts.append(QStringLiteral("%1 %2").arg(worker.name).arg(worker.jobsDone));
    say(QStringLiteral("coordinator"),
        QStringLiteral("all %1 results correct in %2 ms; jobs per worker: %3; %4 job reassigned "
                       "after %5 was killed and restarted; job %6 cancelled and redone")
                .arg(JobCount)
                .arg(m_clock.elapsed())
                .arg(counts.join(QStringLiteral(", ")))
                .arg(m_reassigned)
                .arg(m_victim)
                .arg(CancelJob));
    QCoreApplication::exit(0);
}

void Coordinator::fail(const QString &why)
{
    if (std::exchange(m_failed, true))
        return;
    say(QStringLiteral("coordinator"), QStringLiteral("FAILED: %1").arg(why));
    for (Worker &worker : m_workers) {
        if (worker.process) {
            worker.process->disconnect(this);
            worker.process->kill();
            worker.process->waitForFinished(1000);
        }
    }
    QCoreApplication::exit(1);
}

Coordinator::Worker *Coordinator::workerById(const QString &clientId)
{
    if (clientId.isEmpty())
        return nullptr;
    for (Worker &worker : m_workers) {
        if (worker.clientId == clientId)
            return &worker;
    }
    return nullptr;
}
