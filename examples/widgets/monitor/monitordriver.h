#ifndef MONITORDRIVER_H
#define MONITORDRIVER_H

#include <QtCore/qlist.h>
#include <QtCore/qobject.h>
#include <QtCore/qtimer.h>

#include <functional>

QT_BEGIN_NAMESPACE
class QAbstractItemView;
class QLineEdit;
class QProcess;
class QPushButton;
QT_END_NAMESPACE
class MonitorWindow;

// Drives a monitor window through its real widgets, found by object name, as a user would,
// with client processes (this program in --client mode) on the other end. A script is a list
// of steps; each acts, then waits for what it expects to show on screen, re-checked whenever
// a view's model changes. It ends the application: exit code 0 once every step happened,
// 1 when one did not in time.
class MonitorDriver : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MonitorDriver)
public:
    MonitorDriver(MonitorWindow *window, const QString &socketPath, QObject *parent = nullptr);
    ~MonitorDriver() override;

    void runSelfTest();
    void takeScreenshot(const QString &fileName);

private:
    struct Step
    {
        QString what;
        std::function<void()> act;
        std::function<bool()> done;
    };
    void run(const QList<Step> &steps, std::function<void()> finished);
    void startStep();
    void check();
    void fail(const QString &why);
    QProcess *startClient(const QString &name, int intervalMs);
    // The log rows (as filtered on screen) whose topic is topic.
    QList<QVariant> loggedMessages(const QString &topic) const;
    // The clients' echoes ({from, topic, message}) of the messages on topic they received.
    QList<QVariantMap> echoes(const QString &topic) const;
    // The row of the client list that shows process's pid, or -1.
    int rowOfPid(const QProcess *process) const;

    MonitorWindow *m_window;
    QString m_socketPath;
    QAbstractItemView *m_clients;
    QAbstractItemView *m_log;
    QLineEdit *m_filter;
    QLineEdit *m_topic;
    QLineEdit *m_message;
    QPushButton *m_sendButton;
    QPushButton *m_broadcastButton;
    QProcess *m_alpha = nullptr;  // the self-test's clients
    QProcess *m_beta = nullptr;
    QList<Step> m_steps;
    std::function<void()> m_finished;
    int m_current = -1;
    QTimer m_stepTimeout;
};

#endif  // MONITORDRIVER_H
