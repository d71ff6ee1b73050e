#ifndef TESTPEER_H
#define TESTPEER_H

// A peer process (ipctestpeer, node with one of tests/interop's scripts, the stress client)
// whose stdout carries one JSON event per line and whose stdin takes one JSON command per
// line. Killed when it goes.

#include "linereader.h"

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qlist.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstringlist.h>
#include <QtCore/qtemporarydir.h>

namespace IpcTest {
// The programs and scripts the peers run.
QString testPeerProgram();  // ipctestpeer
QString nodeProgram();      // node, as CMake found it; empty if it did not
QString interopDir();       // tests/interop: the Node peers and their node_modules
// Fails the test unless node and the Node library the peers use (`npm ci` in interopDir())
// are there, in version expectedVersion if one is given.
void verifyNodePeers(const QString &expectedVersion = {});
}  // namespace IpcTest

class TestPeer : public QObject
{
public:
    explicit TestPeer(QObject *parent = nullptr);
    ~TestPeer() override;

    // The ipctestpeer helper in client or server mode.
    void startTestPeer(const QStringList &arguments);
    // node with tests/interop/SCRIPT and arguments.
    void startNode(const QString &script, const QStringList &arguments);
    // node-server.js listening on path; returns once it listens (or fails if it exits first).
    void startNodeServer(const QString &path, const QStringList &extraArguments = {},
                         int timeout = 20000);
    // node-client.js connecting to path; returns once it runs.
    void startNodeClient(const QString &path, const QStringList &extraArguments = {});
    void start(const QString &program, const QStringList &arguments);

    void command(const QJsonObject &object);
    void kill();

    QProcess &process() { return m_process; }
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    bool exitedNormally() const;
    const QList<QJsonObject> &events() const { return m_events; }

    // Events named event (and, if given, with that topic).
    QList<QJsonObject> eventsNamed(const QString &event, const QString &topic = {}) const;
    int count(const QString &event, const QString &topic = {}) const
    {
        return int(eventsNamed(event, topic).size());
    }
    bool has(const QString &event) const { return count(event) > 0; }
    // The last event of that name, or an empty object.
    QJsonObject last(const QString &event) const;

private:
    QProcess m_process;
    IpcTest::LineReader m_lines;
    QList<QJsonObject> m_events;
};

#endif  // TESTPEER_H
