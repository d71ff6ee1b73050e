#include "testpeer.h"

#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qjsondocument.h>
#include <QtTest/qtest.h>

namespace IpcTest {

QString testPeerProgram()
{
    return QStringLiteral(SOCKETIPC_TESTPEER);
}

QString nodeProgram()
{
    return QStringLiteral(SOCKETIPC_NODE_EXECUTABLE);
}

QString interopDir()
{
    return QStringLiteral(SOCKETIPC_SOURCE_DIR "/tests/interop");
}

void verifyNodePeers(const QString &expectedVersion)
{
    const QString node = nodeProgram();
    if (node.isEmpty() || !QFileInfo(node).isExecutable())
        QFAIL("node was not found when CMake configured this test: install Node.js and rerun "
              "CMake");

    // Missing packages fail the test: an interop test that quietly skips proves nothing.
    const QString package =
            interopDir() + QStringLiteral("/node_modules/@crussell52/socket-ipc/package.json");
    QFile file(package);
    if (!file.open(QIODevice::ReadOnly)) {
        QFAIL(qPrintable(
                QStringLiteral("%1 is missing: run `npm ci` in %2").arg(package, interopDir())));
    }
    if (expectedVersion.isEmpty())
        return;
    const QString version = QJsonDocument::fromJson(file.readAll())
                                    .object()
                                    .value(QLatin1String("version"))
                                    .toString();
    QVERIFY2(version == expectedVersion,
             qPrintable(QStringLiteral("@crussell52/socket-ipc %1 is installed, the tests want %2: "
                                       "run `npm ci` in %3")
                                .arg(version, expectedVersion, interopDir())));
}

}  // namespace IpcTest

TestPeer::TestPeer(QObject *parent) : QObject(parent)
{
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    connect(&m_process, &QProcess::readyReadStandardOutput, this, [this] {
        for (const QByteArray &line : m_lines.feed(m_process.readAllStandardOutput())) {
            const QJsonDocument doc = QJsonDocument::fromJson(line);
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

TestPeer::~TestPeer()
{
    kill();
}

void TestPeer::startTestPeer(const QStringList &arguments)
{
    start(IpcTest::testPeerProgram(), arguments);
}

void TestPeer::startNode(const QString &script, const QStringList &arguments)
{
    start(IpcTest::nodeProgram(), QStringList{IpcTest::interopDir() + u'/' + script} + arguments);
}

void TestPeer::startNodeServer(const QString &path, const QStringList &extraArguments, int timeout)
{
    startNode(QStringLiteral("node-server.js"), QStringList{path} + extraArguments);
    if (QTest::currentTestFailed())
        return;
    const QString listening = QStringLiteral("listening");
    QTRY_VERIFY_WITH_TIMEOUT(has(listening) || !isRunning(), timeout);
    QVERIFY2(has(listening), "node-server.js exited before listening (see its stderr)");
}

void TestPeer::startNodeClient(const QString &path, const QStringList &extraArguments)
{
    startNode(QStringLiteral("node-client.js"), QStringList{path} + extraArguments);
}

void TestPeer::start(const QString &program, const QStringList &arguments)
{
    m_process.start(program, arguments);
    QVERIFY2(m_process.waitForStarted(10000), qPrintable(m_process.errorString()));
}

void TestPeer::command(const QJsonObject &object)
{
    m_process.write(QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n');
}

void TestPeer::kill()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

bool TestPeer::exitedNormally() const
{
    return m_process.state() == QProcess::NotRunning
            && m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
}

QList<QJsonObject> TestPeer::eventsNamed(const QString &event, const QString &topic) const
{
    QList<QJsonObject> found;
    for (const QJsonObject &e : m_events) {
        if (e.value(QLatin1String("event")).toString() == event
            && (topic.isNull() || e.value(QLatin1String("topic")).toString() == topic))
            found.append(e);
    }
    return found;
}

QJsonObject TestPeer::last(const QString &event) const
{
    for (auto it = m_events.crbegin(); it != m_events.crend(); ++it) {
        if (it->value(QLatin1String("event")).toString() == event)
            return *it;
    }
    return {};
}
