#ifndef STRESSPEER_H
#define STRESSPEER_H

// One ipcstressclient process, seen from a test: its stdout lines as JSON events, its stdin
// for commands. The process is killed (SIGKILL) when this object goes, whatever happened.

#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtTest/qtest.h>

class StressPeer : public QObject
{
public:
    explicit StressPeer(QObject *parent = nullptr) : QObject(parent)
    {
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        connect(&m_process, &QProcess::readyReadStandardOutput, this, [this] {
            m_buffer.append(m_process.readAllStandardOutput());
            qsizetype newline;
            while ((newline = m_buffer.indexOf('\n')) >= 0) {
                const QByteArray line = m_buffer.left(newline);
                m_buffer.remove(0, newline + 1);
                const QJsonObject event = QJsonDocument::fromJson(line).object();
                if (event.isEmpty()) {
                    qWarning("stress peer printed: %s", line.constData());
                    continue;
                }
                if (event.value(QLatin1String("event")) == QLatin1String("problem"))
                    qWarning("stress peer %lld: %s", qint64(m_process.processId()),
                             line.constData());
                m_events.append(event);
            }
        });
    }
    ~StressPeer() override { kill(); }

    // ipcstressclient MODE PATH options...
    void start(const QStringList &arguments)
    {
        m_process.start(QStringLiteral(SOCKETIPC_STRESSCLIENT), arguments);
        QVERIFY2(m_process.waitForStarted(10000), qPrintable(m_process.errorString()));
        m_pid = m_process.processId();
    }
    void command(const QJsonObject &object)
    {
        m_process.write(QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n');
    }
    // SIGKILL, and wait for it to be reaped.
    void kill()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(10000);
        }
    }

    qint64 pid() const { return m_pid; }
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    bool exitedNormally() const
    {
        return m_process.state() == QProcess::NotRunning
                && m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
    }
    const QList<QJsonObject> &events() const { return m_events; }
    int count(QLatin1String event) const
    {
        int n = 0;
        for (const QJsonObject &e : m_events)
            n += e.value(QLatin1String("event")) == event;
        return n;
    }
    bool has(QLatin1String event) const { return count(event) > 0; }
    // The last such event, or an empty object.
    QJsonObject last(QLatin1String event) const
    {
        for (auto it = m_events.crbegin(); it != m_events.crend(); ++it) {
            if (it->value(QLatin1String("event")) == event)
                return *it;
        }
        return {};
    }

private:
    QProcess m_process;
    QByteArray m_buffer;
    QList<QJsonObject> m_events;
    qint64 m_pid = -1;
};

#endif  // STRESSPEER_H
