#ifndef COORDINATOR_H
#define COORDINATOR_H

#include <SocketIpc/IpcReply>
#include <SocketIpc/IpcServer>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qlist.h>
#include <QtCore/qmap.h>
#include <QtCore/qobject.h>
#include <QtCore/qtemporarydir.h>

class QProcess;

// Hands jobs to worker processes it starts itself, one job per worker at a time, and checks
// the results. Midway it kills one worker, restarts it, and gives the lost job to another.
// Exits the event loop with 0 when every job is done right and the workers have shut down.
class Coordinator : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Coordinator)
public:
    explicit Coordinator(QObject *parent = nullptr);
    ~Coordinator() override;

    void start();

private:
    // Sum of the squares of from..to: cheap to check, the worker's answer must match.
    struct Job
    {
        int index;
        qint64 from;
        qint64 to;
    };

    struct Worker
    {
        QString name;
        QProcess *process = nullptr;
        QString clientId = {};  // empty while not connected (or given up on)
        int job = -1;           // the job it works on, -1 when idle
        int jobsDone = 0;
        int starts = 0;
    };

    void startWorker(Worker &worker);
    void onHello(const QVariant &message, const QString &clientId);
    void onStarted(const QVariant &message, const QString &clientId);
    void dispatch();
    void assign(Worker &worker, const Job &job);
    void onResult(const QString &name, const Job &job, const IpcReply &reply);
    void onWorkerExited(Worker &worker, int exitCode, bool crashed);
    void finish();
    void fail(const QString &why);

    Worker *workerById(const QString &clientId);

    QTemporaryDir m_dir;  // declared before m_server: outlives its socket file
    IpcServer m_server;
    QMap<QString, Worker> m_workers;  // by name
    QList<Job> m_pending;             // the next job to hand out first
    QMap<int, qint64> m_results;      // by job index
    QString m_victim;                 // the worker killed mid-job, once
    int m_reassigned = 0;
    int m_cancelled = 0;
    bool m_cancelledOnce = false;
    bool m_shuttingDown = false;
    bool m_failed = false;
    QElapsedTimer m_clock;
};

#endif  // COORDINATOR_H
