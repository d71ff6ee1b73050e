#ifndef DEMOCLIENT_H
#define DEMOCLIENT_H

#include <SocketIpc/IpcClient>

#include <QtCore/qobject.h>
#include <QtCore/qset.h>
#include <QtCore/qstringlist.h>

// One client process of the demo: connects, says hello, prints what it receives, reports
// back to the server, rides out a server restart and leaves when the server says "bye".
// Its exit code says whether everything it expected happened.
class DemoClient : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DemoClient)
public:
    DemoClient(const QString &name, const QString &socketPath, const QStringList &topics,
               QObject *parent = nullptr);

    void start();

private:
    void sendHello(bool again);
    void report(const QString &topic, bool handled);
    void finish();

    IpcClient m_client;
    QString m_name;
    QString m_socketPath;
    QStringList m_topics;           // listened to with client.topic(name)
    QSet<QString> m_handledTopics;  // every topic some handler takes care of
    QSet<QString> m_receivedTopics;
    int m_welcomes = 0;
    int m_disconnects = 0;
    int m_reconnects = 0;
    bool m_retryReported = false;
    QStringList m_problems;
};

#endif  // DEMOCLIENT_H
