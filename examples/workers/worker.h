#ifndef WORKER_H
#define WORKER_H

#include <SocketIpc/IpcClient>

#include <QtCore/qobject.h>

// One worker process: connects to the coordinator, says hello under its name, answers "job"
// requests (slowly, as real work would be), and exits 0 on the "shutdown" broadcast.
class Worker : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Worker)
public:
    Worker(const QString &name, const QString &socketPath, QObject *parent = nullptr);

    void start();

private:
    void onJob(IpcRequest &request);

    IpcClient m_client;
    QString m_name;
    QString m_socketPath;
    int m_workMs = 0;  // set by the coordinator's "config"
};

#endif  // WORKER_H
