#ifndef DEMOSERVER_H
#define DEMOSERVER_H

#include <SocketIpc/IpcServer>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qhash.h>
#include <QtCore/qobject.h>
#include <QtCore/qtemporarydir.h>

#include <vector>

class QProcess;

// The demo's main process: runs the server, starts the client processes, drives the scenario
// one step at a time and checks that every step happened. Exits the event loop with 0 on
// success, 1 on failure.
class DemoServer : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DemoServer)
public:
    explicit DemoServer(QObject *parent = nullptr);
    ~DemoServer() override;

    void start();

private:
    enum class Step { Hello, Broadcast, Restart, Rehello, Bye, Done };

    // One client process, as the server knows it.
    struct Peer
    {
        QString name;
        QStringList topics;
        QProcess *process = nullptr;
        QString clientId = {};              // of its current connection
        QHash<QString, bool> reports = {};  // topic -> handled (or ignored), this step
        bool started = false;
        bool exited = false;
    };

    void startClient(Peer &peer);
    void forwardOutput(Peer &peer);
    void onHello(const QVariant &message, const QString &clientId);
    void onReport(const QVariant &message, const QString &clientId);
    void onClosed();
    void checkStep();
    void beginStep(Step step, const QString &title);
    void stepBroadcast();
    void stepRestart();
    void relisten();
    void stepBye();
    void fail(const QString &reason);

    Peer *peerById(const QString &clientId);
    Peer *peerByName(const QString &name);
    QString who(const QString &clientId);

    QTemporaryDir m_dir;  // declared before m_server: outlives its socket file
    IpcServer m_server;
    std::vector<Peer> m_peers;
    Step m_step = Step::Hello;
    QString m_stepTitle;
    bool m_stepDone = false;
    bool m_failed = false;
    QElapsedTimer m_clock;
};

#endif  // DEMOSERVER_H
