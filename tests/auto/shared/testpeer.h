#ifndef TESTPEER_H
#define TESTPEER_H

// A peer process (ipctestpeer, or node with a script) whose stdout carries one JSON event
// per line and whose stdin takes one JSON command per line.

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qtest.h>

class TestPeer : public QObject
{
public:
    explicit TestPeer(QObject *parent = nullptr) : QObject(parent)
    {
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        connect(&m_process, &QProcess::readyReadStandardOutput, this, [this] {
            m_buffer.append(m_process.readAllStandardOutput());
            qsizetype newline;
            while ((newline = m_buffer.indexOf('\n')) >= 0) {
                const QByteArray line = m_buffer.left(newline);
                m_buffer.remove(0, newline + 1);
                QJsonParseError error;
                const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
                if (!doc.isObject()) {
                    qWarning("peer printed a line that is not a JSON object: %s", line.constData());
                    continue;
                }
                if (doc.object().value(QLatin1String("event")) == QLatin1String("problem"))
                    qWarning("peer %lld: %s", qint64(m_process.processId()), line.constData());
                m_events.append(doc.object());
            }
        });
    }

    ~TestPeer() override { kill(); }

    // The ipctestpeer helper in client or server mode.
    void startTestPeer(const QStringList &arguments)
    {
        start(QStringLiteral(SOCKETIPC_TESTPEER), arguments);
    }

    void start(const QString &program, const QStringList &arguments)
    {
        m_process.start(program, arguments);
        QVERIFY2(m_process.waitForStarted(10000), qPrintable(m_process.errorString()));
    }

    void command(const QJsonObject &object)
    {
        m_process.write(QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n');
    }

    void kill()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    QProcess &process() { return m_process; }
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    bool exitedNormally() const
    {
        return m_process.state() == QProcess::NotRunning
                && m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
    }
    const QList<QJsonObject> &events() const { return m_events; }

    // Events named event (and, if given, with that topic).
    QList<QJsonObject> eventsNamed(const QString &event, const QString &topic = {}) const
    {
        QList<QJsonObject> found;
        for (const QJsonObject &e : m_events) {
            if (e.value("event").toString() == event
                && (topic.isNull() || e.value("topic").toString() == topic))
                found.append(e);
        }
        return found;
    }
    int count(const QString &event, const QString &topic = {}) const
    {
        return int(eventsNamed(event, topic).size());
    }
    bool has(const QString &event) const { return count(event) > 0; }
    // The last event of that name, or an empty object.
    QJsonObject last(const QString &event) const
    {
        for (auto it = m_events.crbegin(); it != m_events.crend(); ++it) {
            if (it->value(QLatin1String("event")).toString() == event)
                return *it;
        }
        return {};
    }

private:
    QProcess m_process;
    QByteArray m_buffer;
    QList<QJsonObject> m_events;
};

#endif  // TESTPEER_H
