// One IpcServer in this process, 50 client connections from 10 ipcstressclient processes,
// each connection exchanging numbered messages with it; meanwhile five client processes are
// killed (SIGKILL) mid-stream and replaced (one while the server is down), and the server
// restarts twice. Checked: every surviving connection got every echo and every broadcast it
// was owed since its last connect, in order, once; no process saw anything out of order
// before it died; the server's descriptors and memory come back to where they were.

#include "ipctestsupport.h"
#include "stresscommon.h"
#include "stresspeer.h"

#include <SocketIpc/IpcServer>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qhash.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qset.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <functional>
#include <memory>
#include <vector>

namespace {

// Message counts are multiplied by SOCKETIPC_STRESS_SCALE (default 1) for longer soaks.
int scale()
{
    return qMax(1, qEnvironmentVariableIntValue("SOCKETIPC_STRESS_SCALE"));
}

constexpr int Processes = 10;
constexpr int ConnectionsPerProcess = 5;
constexpr int Window = 8;
constexpr int PadBytes = 1024;
constexpr int NewsEvery = 50;  // a broadcast after every this many data messages
constexpr int DowntimeMs = 300;

// The server's side of the soak: echoes each "data" message to its sender, broadcasts a
// numbered "news" now and then, and keeps what each connection is owed.
class SoakServer : public QObject
{
public:
    struct Record
    {
        QString name;          // from "hello"
        qint64 pid = -1;       // the client process, from SO_PEERCRED
        qint64 firstNews = 0;  // the first broadcast sent after it connected
    };

    SoakServer()
    {
        connect(&server, &IpcServer::clientConnected, this, [this](const QString &id) {
            ++connections;
            records.insert(id, {QString(), server.peerCredentials(id).pid(), news + 1});
        });
        server.on(QStringLiteral("hello"), this,
                  [this](const QVariant &message, const QString &id) {
                      const QString name = message.toMap().value(QStringLiteral("name")).toString();
                      records[id].name = name;
                      lastIdByName.insert(name, id);
                  });
        server.on(QStringLiteral("data"), this, [this](const QVariant &message, const QString &id) {
            ++data;
            ++dataByPid[records.value(id).pid];
            if (!server.isListening())
                return;  // closing: nothing may be sent
            if (server.send(QStringLiteral("echo"), message, id))
                ++echoes;
            if (data % NewsEvery == 0) {
                ++news;
                newsDeliveries += server.clientCount();
                server.broadcast(QStringLiteral("news"), QVariantMap{{QStringLiteral("n"), news}});
            }
        });
        connect(&server, &IpcServer::messageReceived, this, [this](const QString &topic) {
            if (topic != QLatin1String("hello") && topic != QLatin1String("data"))
                unexpected.append(QStringLiteral("message on topic %1").arg(topic));
        });
        connect(&server, &IpcServer::errorOccurred, this,
                [this](IpcError::Error error, const QString &description, const QString &id) {
                    // A process killed with unread data in its socket leaves a reset one.
                    if (error == IpcError::SocketError
                        && killedPids.contains(records.value(id).pid)) {
                        ++killedClientErrors;
                        return;
                    }
                    unexpected.append(description);
                });
    }

    IpcServer server;
    QHash<QString, Record> records;        // by client id
    QHash<QString, QString> lastIdByName;  // a connection's latest client id
    QHash<qint64, qint64> dataByPid;
    QSet<qint64> killedPids;
    qint64 connections = 0;
    qint64 data = 0;
    qint64 echoes = 0;
    qint64 news = 0;
    qint64 newsDeliveries = 0;
    int killedClientErrors = 0;
    QStringList unexpected;
};

}  // namespace

class tst_Soak : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void survivesKilledClientsAndServerRestarts();

private:
    QString socketPath() const { return m_dir.socketPath(); }
    std::unique_ptr<StressPeer> startClients(const QString &name, int connections, qint64 messages);
    // Closes, waits for closed(), lets real time pass (doing whileDown meanwhile), listens.
    void restartServer(SoakServer &soak, const std::function<void()> &whileDown = {});

    IpcTest::SocketDir m_dir{QStringLiteral("soak.sock")};
};

void tst_Soak::initTestCase()
{
    CHECKED(m_dir.renew());
}

std::unique_ptr<StressPeer> tst_Soak::startClients(const QString &name, int connections,
                                                   qint64 messages)
{
    auto peer = std::make_unique<StressPeer>();
    peer->start({QStringLiteral("soak"), socketPath(), QStringLiteral("--name"), name,
                 QStringLiteral("--connections"), QString::number(connections),
                 QStringLiteral("--messages"), QString::number(messages),
                 QStringLiteral("--window"), QString::number(Window), QStringLiteral("--pad"),
                 QString::number(PadBytes), QStringLiteral("--retry"), QStringLiteral("20,150"),
                 QStringLiteral("--reconnect"), QStringLiteral("10,100")});
    return peer;
}

void tst_Soak::restartServer(SoakServer &soak, const std::function<void()> &whileDown)
{
    QSignalSpy closedSpy(&soak.server, &IpcServer::closed);
    soak.server.close();
    QTRY_COMPARE_WITH_TIMEOUT(closedSpy.count(), 1, 20000);
    QCOMPARE(soak.server.clientCount(), 0);
    if (whileDown) {
        whileDown();
        if (QTest::currentTestFailed())
            return;
    }
    // Real time without a server: the clients' attempts fail and are retried.
    QTest::qWait(DowntimeMs);
    QVERIFY2(soak.server.listen(socketPath()), qPrintable(soak.server.errorString()));
}

void tst_Soak::survivesKilledClientsAndServerRestarts()
{
    const qint64 messages = 1000 * scale();  // per connection
    QElapsedTimer elapsed;
    elapsed.start();

    SoakServer soak;
    QVERIFY2(soak.server.listen(socketPath()), qPrintable(soak.server.errorString()));

    // Warm-up: the first connections, processes and messages allocate what stays for good.
    {
        std::unique_ptr<StressPeer> warmup = startClients(QStringLiteral("warmup"), 2, 50);
        QTRY_VERIFY_WITH_TIMEOUT(warmup->has(QLatin1String("done")), 20000);
        soak.server.broadcast(QStringLiteral("end"), QVariantMap{{QStringLiteral("n"), soak.news}});
        QTRY_VERIFY_WITH_TIMEOUT(!warmup->isRunning(), 20000);
        QVERIFY(warmup->exitedNormally());
    }
    QTRY_COMPARE(soak.server.clientCount(), 0);
    QVERIFY2(soak.unexpected.isEmpty(), qPrintable(soak.unexpected.join(QLatin1Char('\n'))));
    soak.records.clear();
    soak.lastIdByName.clear();
    soak.records.squeeze();
    soak.lastIdByName.squeeze();
    QTest::qWait(0);  // deferred deletions
    Stress::releaseFreeMemory();
    const int fdsBefore = Stress::openFdCount();
    const qint64 rssBefore = Stress::residentKiB();
    const qint64 heapBefore = Stress::heapInUse();
    const qint64 dataBefore = soak.data;
    const qint64 echoesBefore = soak.echoes;
    const qint64 newsBefore = soak.news;
    const qint64 deliveriesBefore = soak.newsDeliveries;

    struct Slot
    {
        int generation = 0;
        std::unique_ptr<StressPeer> peer;
    };
    std::vector<Slot> procs(Processes);
    std::vector<std::unique_ptr<StressPeer>> killed;
    int processesStarted = 0;
    const auto startSlot = [&](int index) {
        Slot &slot = procs[size_t(index)];
        ++slot.generation;
        slot.peer = startClients(QStringLiteral("p%1g%2").arg(index).arg(slot.generation),
                                 ConnectionsPerProcess, messages);
        ++processesStarted;
    };
    for (int i = 0; i < Processes; ++i) {
        startSlot(i);
        if (QTest::currentTestFailed())
            return;
    }
    const int total = Processes * ConnectionsPerProcess;
    QTRY_COMPARE_WITH_TIMEOUT(soak.server.clientCount(), total, 30000);

    const qint64 perProcess = ConnectionsPerProcess * messages;
    const auto progress = [&] { return double(soak.data - dataBefore) / (total * messages); };
    // SIGKILL while its connections are in the middle of their streams, then a new process.
    const auto killAndRestart = [&](QList<int> indexes) {
        for (int index : indexes) {
            StressPeer &peer = *procs[size_t(index)].peer;
            const qint64 sent = soak.dataByPid.value(peer.pid());
            QVERIFY2(sent > 0 && sent < perProcess && !peer.has(QLatin1String("done")),
                     qPrintable(QStringLiteral("p%1 is not mid-stream: %2 of %3 messages")
                                        .arg(index)
                                        .arg(sent)
                                        .arg(perProcess)));
            soak.killedPids.insert(peer.pid());
            peer.kill();
            qInfo("killed p%d (pid %lld) after %lld of its %lld messages", index, peer.pid(), sent,
                  perProcess);
            killed.push_back(std::move(procs[size_t(index)].peer));
        }
        for (int index : indexes)
            startSlot(index);
    };
    const auto waitForProgress = [&](double fraction) {
        QTRY_VERIFY_WITH_TIMEOUT(progress() >= fraction, 40000);
    };
    // That fraction of one process's messages has reached the server.
    const auto waitForOwnProgress = [&](int index, double fraction) {
        const qint64 pid = procs[size_t(index)].peer->pid();
        QTRY_VERIFY_WITH_TIMEOUT(soak.dataByPid.value(pid) >= fraction * perProcess, 40000);
    };

    // Of the processes the script leaves alone until then, the one furthest behind.
    const auto slowestOfTheRest = [&] {
        int slowest = 4;
        for (int i = 5; i < Processes; ++i) {
            if (soak.dataByPid.value(procs[size_t(i)].peer->pid())
                < soak.dataByPid.value(procs[size_t(slowest)].peer->pid()))
                slowest = i;
        }
        return slowest;
    };

    // The script; each step may fail the test. The kills come early enough in each victim's
    // stream to be in the middle of it even on a slow machine.
    const QList<int> twoAtOnce = {1, 2};
    const std::vector<std::function<void()>> steps = {
            [&] { waitForOwnProgress(0, 0.25); },
            [&] { killAndRestart({0}); },
            [&] { waitForProgress(0.25); },
            [&] { restartServer(soak); },
            [&] { waitForOwnProgress(1, 0.4); },
            [&] { waitForOwnProgress(2, 0.4); },
            [&] { killAndRestart(twoAtOnce); },
            [&] { waitForOwnProgress(3, 0.55); },
            [&] { killAndRestart({3}); },
            [&] { waitForProgress(0.45); },
            // This one dies while the server is down, and its successor starts then.
            [&] { restartServer(soak, [&] { killAndRestart({slowestOfTheRest()}); }); },
    };
    for (const auto &step : steps) {
        step();
        if (QTest::currentTestFailed())
            return;
    }
    const int serverRestarts = 2;
    const int killedProcesses = int(killed.size());
    // What a process saw before it was killed counts too.
    int insideSend = 0;  // see disconnectedInsideSend in ipcstressclient.cpp
    for (const auto &peer : killed) {
        QVERIFY2(!peer->has(QLatin1String("problem")),
                 qPrintable(QStringLiteral("killed process %1 reported a problem first")
                                    .arg(peer->pid())));
        insideSend += peer->count(QLatin1String("disconnectedInsideSend"));
    }
    killed.clear();

    // Every live connection done, and connected: then the last broadcast says how many.
    const auto allDone = [&] {
        for (const Slot &slot : procs) {
            if (!slot.peer->has(QLatin1String("done")))
                return false;
        }
        return true;
    };
    QTRY_VERIFY_WITH_TIMEOUT(allDone(), 40000);
    QTRY_COMPARE_WITH_TIMEOUT(soak.server.clientCount(), total, 20000);
    const qint64 finalNews = soak.news;
    soak.server.broadcast(QStringLiteral("end"), QVariantMap{{QStringLiteral("n"), finalNews}});
    for (const Slot &slot : procs)
        QTRY_VERIFY_WITH_TIMEOUT(!slot.peer->isRunning(), 20000);

    // Every surviving connection: everything since its last connect, in order, once.
    int checked = 0;
    qint64 sessions = 0, disconnects = 0, connectErrors = 0, newsReceived = 0;
    for (const Slot &slot : procs) {
        const StressPeer &peer = *slot.peer;
        QVERIFY2(peer.exitedNormally(), qPrintable(QString::number(peer.pid())));
        insideSend += peer.count(QLatin1String("disconnectedInsideSend"));
        const QJsonObject closed = peer.last(QLatin1String("closed"));
        QCOMPARE(closed.value(QLatin1String("fdsAfter")).toInt(),
                 closed.value(QLatin1String("fdsBefore")).toInt());
        const QJsonArray summaries =
                peer.last(QLatin1String("summary")).value(QLatin1String("connections")).toArray();
        QCOMPARE(summaries.size(), ConnectionsPerProcess);
        for (const QJsonValue &value : summaries) {
            const QJsonObject c = value.toObject();
            const QString name = c.value(QLatin1String("name")).toString();
            const auto number = [&c](const char *key) {
                return qint64(c.value(QLatin1String(key)).toDouble());
            };
            QVERIFY2(c.value(QLatin1String("problems")).toArray().isEmpty(),
                     qPrintable(name + QLatin1String(": ")
                                + QJsonDocument(c.value(QLatin1String("problems")).toArray())
                                          .toJson(QJsonDocument::Compact)));
            QVERIFY2(soak.lastIdByName.contains(name), qPrintable(name));
            const SoakServer::Record record = soak.records.value(soak.lastIdByName.value(name));
            QCOMPARE(record.pid, peer.pid());
            QCOMPARE(number("echoed"), messages);
            QCOMPARE(number("sessionEchoed"), number("sessionSent"));
            QCOMPARE(number("end"), finalNews);
            const qint64 owed = finalNews - record.firstNews + 1;
            QCOMPARE(number("news"), owed);
            if (owed > 0) {
                QCOMPARE(number("firstNews"), record.firstNews);
                QCOMPARE(number("lastNews"), finalNews);
            }
            sessions += number("sessions");
            disconnects += number("disconnects");
            connectErrors += number("connectErrors");
            newsReceived += number("news");
            ++checked;
        }
    }
    QCOMPARE(checked, total);
    QVERIFY2(soak.unexpected.isEmpty(), qPrintable(soak.unexpected.join(QLatin1Char('\n'))));

    procs.clear();
    QTRY_COMPARE(soak.server.clientCount(), 0);
    // The test's own bookkeeping is not the server's memory.
    const qint64 connections = soak.connections;
    soak.records = {};
    soak.lastIdByName = {};
    soak.dataByPid = {};
    soak.killedPids = {};
    // Everything the connections held is gone once their deferred deletions ran.
    QTRY_COMPARE_WITH_TIMEOUT(Stress::openFdCount(), fdsBefore, 10000);
    Stress::releaseFreeMemory();
    const qint64 rssAfter = Stress::residentKiB();
    const qint64 heapAfter = Stress::heapInUse();

    qInfo("soak: %d processes started (%d at first, %d killed with SIGKILL and replaced), "
          "%lld connections, %d checked at the end; %d server restarts",
          processesStarted, Processes, killedProcesses, connections, checked, serverRestarts);
    qInfo("soak: %lld data messages received by the server, %lld echoed, %lld broadcasts "
          "(%lld deliveries); %lld messages per surviving connection",
          soak.data - dataBefore, soak.echoes - echoesBefore, soak.news - newsBefore,
          soak.newsDeliveries - deliveriesBefore, messages);
    qInfo("soak: surviving connections: %lld sessions, %lld disconnects, %lld failed connect "
          "attempts, %lld broadcasts received in their last session; %d socket errors from "
          "killed clients; %d disconnects signalled from inside IpcClient::send()",
          sessions, disconnects, connectErrors, newsReceived, soak.killedClientErrors, insideSend);
    // By design, the "data" topic keeps its last message, pad included (up to 64 KiB).
    const qsizetype lastPad = soak.server.topic(QStringLiteral("data"))
                                      ->lastMessage()
                                      .toMap()
                                      .value(QStringLiteral("pad"))
                                      .toString()
                                      .size();
    qInfo("soak: server fds %d before, %d after; VmRSS %lld KiB before, %lld KiB after "
          "(%+lld KiB); heap in use %lld before, %lld after (%+lld bytes, of which the \"data\" "
          "topic's lastMessage holds a %lld-character pad); %lld ms",
          fdsBefore, Stress::openFdCount(), rssBefore, rssAfter, rssAfter - rssBefore, heapBefore,
          heapAfter, heapAfter - heapBefore, qint64(lastPad), qint64(elapsed.elapsed()));
    if (Stress::ResidentSizeIsMeaningful) {
        QVERIFY2(rssAfter - rssBefore < 5 * 1024,
                 qPrintable(QStringLiteral("VmRSS grew by %1 KiB").arg(rssAfter - rssBefore)));
    } else {
        qInfo("soak: VmRSS not judged under AddressSanitizer (shadow memory, quarantine); "
              "heap in use is its allocator's exact count");
    }
    // Finer than pages: what the allocator has handed out (glibc's per-thread cache of freed
    // blocks counts as handed out, up to some 250 KB).
    QVERIFY2(
            heapAfter - heapBefore < 1024 * 1024,
            qPrintable(QStringLiteral("heap in use grew by %1 bytes").arg(heapAfter - heapBefore)));
}

QTEST_GUILESS_MAIN(tst_Soak)
#include "tst_soak.moc"
