#ifndef TESTSUPPORT_H
#define TESTSUPPORT_H

// QML helpers for tst_qml, in the module SocketIpcTest:
//   TestSupport.socketPath(name)  a fresh socket path in a temporary directory
//   TestSupport.after(ms, fn)     calls fn from the event loop ms later (qmllint here knows no
//                                 Timer: Debian ships no type information for QtQml)
//   PeerProcess                   an ipctestpeer process (client or server) driven by JSON lines
//                                 (read with the tests' one LineReader, tests/shared)

#include "linereader.h"
#include "testpeer.h"

#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qtimer.h>
#include <QtQml/qjsvalue.h>
#include <QtQml/qqml.h>

#include <memory>
#include <vector>

class PeerProcess : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QVariantList events READ events NOTIFY eventsChanged)
    Q_PROPERTY(int pid READ pid NOTIFY eventsChanged)
public:
    explicit PeerProcess(QObject *parent = nullptr) : QObject(parent)
    {
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        connect(&m_process, &QProcess::readyReadStandardOutput, this, [this] {
            for (const QByteArray &line : m_lines.feed(m_process.readAllStandardOutput()))
                m_events.append(QJsonDocument::fromJson(line).toVariant());
            emit eventsChanged();
        });
    }
    ~PeerProcess() override { kill(); }

    QVariantList events() const { return m_events; }
    int pid() const { return int(m_process.processId()); }

    // mode: "client" or "server"; options as ipctestpeer takes them ("--codec", "cbor")
    Q_INVOKABLE void start(const QString &mode, const QString &socketPath,
                           const QStringList &options = {})
    {
        m_process.start(IpcTest::testPeerProgram(), QStringList{mode, socketPath} + options);
        emit eventsChanged();
    }
    Q_INVOKABLE void command(const QVariantMap &command)
    {
        m_process.write(QJsonDocument::fromVariant(command).toJson(QJsonDocument::Compact) + '\n');
    }
    Q_INVOKABLE int count(const QString &event, const QString &topic = {}) const
    {
        int n = 0;
        for (const QVariant &e : m_events) {
            const QVariantMap map = e.toMap();
            if (map.value(QStringLiteral("event")) == event
                && (topic.isEmpty() || map.value(QStringLiteral("topic")) == topic))
                ++n;
        }
        return n;
    }
    Q_INVOKABLE void kill()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

Q_SIGNALS:
    void eventsChanged();

private:
    QProcess m_process;
    IpcTest::LineReader m_lines;
    QVariantList m_events;
};

class TestSupport : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON
public:
    Q_INVOKABLE QString socketPath(const QString &name)
    {
        m_dirs.push_back(std::make_unique<QTemporaryDir>());
        return m_dirs.back()->filePath(name + QStringLiteral(".sock"));
    }
    Q_INVOKABLE void after(int msecs, const QJSValue &function)
    {
        QTimer::singleShot(msecs, this, [function]() mutable { function.call(); });
    }

private:
    std::vector<std::unique_ptr<QTemporaryDir>> m_dirs;
};

#endif  // TESTSUPPORT_H
