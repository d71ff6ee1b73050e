// 50 IpcClient objects in two ipcstressclient processes, with random retry and reconnect
// delays, while the server in this process goes down and comes back. Checked: after each
// restart every client is back, counted once by the server and once by itself, each one
// answers; and neither the server's process nor the clients' leak a descriptor.

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

#include <memory>

namespace {
constexpr int Processes = 2;
constexpr int ClientsPerProcess = 25;
constexpr int Clients = Processes * ClientsPerProcess;
}  // namespace

class tst_ReconnectStorm : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void everyClientReconnectsOnce_data();
    void everyClientReconnectsOnce();

private:
    QString socketPath() const { return m_dir.socketPath(); }
    IpcTest::SocketDir m_dir{QStringLiteral("storm.sock")};
};

void tst_ReconnectStorm::initTestCase()
{
    CHECKED(m_dir.renew());
    // Warm-up: what the first server, connection and child process allocate for good.
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    StressPeer peer;
    peer.start({QStringLiteral("soak"), socketPath(), QStringLiteral("--name"),
                QStringLiteral("warmup"), QStringLiteral("--connections"), QStringLiteral("2")});
    QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 2, 20000);
    peer.command({{"close", true}});
    QTRY_VERIFY_WITH_TIMEOUT(!peer.isRunning(), 20000);
    QVERIFY(peer.exitedNormally());
    QTRY_COMPARE(server.clientCount(), 0);
}

void tst_ReconnectStorm::everyClientReconnectsOnce_data()
{
    QTest::addColumn<QString>("reconnectDelay");  // min,max in ms
    QTest::addColumn<QString>("retryDelay");
    QTest::addColumn<int>("downtime");  // ms without a server at each restart
    QTest::addColumn<int>("restarts");
    QTest::addColumn<int>("flap");  // > 0: up this many ms, then down again, before each restart
    // The clients close while the server is down: in the middle of retrying.
    QTest::addColumn<bool>("closeWhileDown");

    QTest::newRow("thundering herd, no downtime") << "0,0"
                                                  << "0,10" << 0 << 3 << 0 << false;
    QTest::newRow("random delays, 400 ms down") << "0,300"
                                                << "10,200" << 400 << 2 << 0 << true;
    QTest::newRow("server flaps mid-storm") << "0,150"
                                            << "5,100" << 200 << 2 << 60 << false;
}

void tst_ReconnectStorm::everyClientReconnectsOnce()
{
    QFETCH(QString, reconnectDelay);
    QFETCH(QString, retryDelay);
    QFETCH(int, downtime);
    QFETCH(int, restarts);
    QFETCH(int, flap);
    QFETCH(bool, closeWhileDown);

    QTest::qWait(0);  // deferred deletions of the previous row
    const int fdsBefore = Stress::openFdCount();
    QElapsedTimer elapsed;
    elapsed.start();

    auto server = std::make_unique<IpcServer>();
    QList<std::shared_ptr<StressPeer>> peers;
    for (int p = 0; p < Processes; ++p) {
        auto peer = std::make_shared<StressPeer>();
        peer->start({QStringLiteral("soak"), socketPath(), QStringLiteral("--name"),
                     QStringLiteral("s%1").arg(p), QStringLiteral("--connections"),
                     QString::number(ClientsPerProcess), QStringLiteral("--reconnect"),
                     reconnectDelay, QStringLiteral("--retry"), retryDelay});
        peers.append(peer);
        if (QTest::currentTestFailed())
            return;
    }
    // The first connects fail: no server yet.
    for (const auto &peer : peers)
        QTRY_VERIFY_WITH_TIMEOUT(peer->has(QLatin1String("started")), 10000);

    // Pongs answer a broadcast ping: client id -> {name, session}, session being the
    // client's own count of its connects.
    struct Pong
    {
        QString name;
        int session = 0;
    };
    QHash<QString, Pong> pongs;
    server->on(QStringLiteral("pong"), server.get(),
               [&](const QVariant &message, const QString &id) {
                   const QVariantMap map = message.toMap();
                   pongs.insert(id,
                                {map.value(QStringLiteral("name")).toString(),
                                 map.value(QStringLiteral("session")).toInt()});
               });
    QStringList serverErrors;
    connect(server.get(), &IpcServer::errorOccurred, server.get(),
            [&](IpcError::Error, const QString &description) { serverErrors.append(description); });

    const auto stop = [&] {
        QSignalSpy closedSpy(server.get(), &IpcServer::closed);
        server->close();
        QTRY_COMPARE_WITH_TIMEOUT(closedSpy.count(), 1, 20000);
        QCOMPARE(server->clientCount(), 0);
        if (downtime > 0)
            QTest::qWait(downtime);  // real time: their attempts fail and are retried
    };
    QList<qint64> stormMsecs;
    qint64 serverConnects = 0;
    int flapConnects = 0;
    QHash<QString, int> sessions;  // by name, as of the last ping
    // Listens, and checks that every client is back, counted once, and answers.
    const auto startAndCheck = [&](bool afterFlap) {
        QSignalSpy connectedSpy(server.get(), &IpcServer::clientConnected);
        QSignalSpy disconnectedSpy(server.get(), &IpcServer::clientDisconnected);
        QElapsedTimer storm;
        storm.start();
        QVERIFY2(server->listen(socketPath()), qPrintable(server->errorString()));
        QTRY_COMPARE_WITH_TIMEOUT(server->clientCount(), Clients, 30000);
        stormMsecs.append(storm.elapsed());

        // A round trip through every connection: a client that connected twice would
        // have shown up by now.
        pongs.clear();
        server->broadcast(QStringLiteral("ping"), QVariant());
        QTRY_COMPARE_WITH_TIMEOUT(pongs.size(), Clients, 20000);

        QCOMPARE(server->clientCount(), Clients);
        QCOMPARE(connectedSpy.count(), Clients);
        QCOMPARE(disconnectedSpy.count(), 0);
        serverConnects += connectedSpy.count();
        QSet<QString> ids;
        for (const QList<QVariant> &args : std::as_const(connectedSpy))
            ids.insert(args.at(0).toString());
        QCOMPARE(ids.size(), Clients);
        const QStringList current = server->clientIds();
        QCOMPARE(QSet<QString>(current.cbegin(), current.cend()), ids);
        QCOMPARE(QSet<QString>(pongs.keyBegin(), pongs.keyEnd()), ids);
        // The clients' own count: one connect more than at the last ping, or two when the
        // server flapped (up long enough for some to get in, then down again).
        QSet<QString> names;
        for (const Pong &pong : std::as_const(pongs)) {
            names.insert(pong.name);
            const int added = pong.session - sessions.value(pong.name);
            QVERIFY2(added == 1 || (afterFlap && added == 2),
                     qPrintable(QStringLiteral("%1 connected %2 times since the last check")
                                        .arg(pong.name)
                                        .arg(added)));
            flapConnects += added - 1;
            sessions.insert(pong.name, pong.session);
        }
        QCOMPARE(names.size(), Clients);
        // And they are the two processes' 25 each.
        QHash<qint64, int> perProcess;
        for (const QString &id : std::as_const(ids))
            ++perProcess[server->peerCredentials(id).pid()];
        for (const auto &peer : peers)
            QCOMPARE(perProcess.value(peer->pid()), ClientsPerProcess);
    };

    startAndCheck(false);  // the first connect: through the retry path
    if (QTest::currentTestFailed())
        return;
    for (int r = 0; r < restarts; ++r) {
        stop();
        if (QTest::currentTestFailed())
            return;
        if (flap > 0) {
            // Up just long enough for some to get in, then down again under their feet.
            QVERIFY(server->listen(socketPath()));
            QTest::qWait(flap);
            qInfo("flap: %d of %d clients were back when the server went down again",
                  server->clientCount(), Clients);
            stop();
            if (QTest::currentTestFailed())
                return;
        }
        startAndCheck(flap > 0);
        if (QTest::currentTestFailed())
            return;
    }

    // Closing: the clients first (while they retry, if so asked), then the server.
    if (closeWhileDown) {
        stop();
        if (QTest::currentTestFailed())
            return;
    }
    for (const auto &peer : peers)
        peer->command({{"close", true}});
    for (const auto &peer : peers)
        QTRY_VERIFY_WITH_TIMEOUT(!peer->isRunning(), 20000);
    QTRY_COMPARE(server->clientCount(), 0);
    qint64 connectErrors = 0, disconnects = 0;
    for (const auto &peer : peers) {
        QVERIFY(peer->exitedNormally());
        const QJsonObject closed = peer->last(QLatin1String("closed"));
        qInfo("client process %lld: %d fds before connecting, %d after closing", peer->pid(),
              closed.value(QLatin1String("fdsBefore")).toInt(),
              closed.value(QLatin1String("fdsAfter")).toInt());
        QCOMPARE(closed.value(QLatin1String("fdsAfter")).toInt(),
                 closed.value(QLatin1String("fdsBefore")).toInt());
        const QJsonArray summaries =
                peer->last(QLatin1String("summary")).value(QLatin1String("connections")).toArray();
        QCOMPARE(summaries.size(), ClientsPerProcess);
        for (const QJsonValue &c : summaries) {
            QVERIFY2(c[QLatin1String("problems")].toArray().isEmpty(),
                     qPrintable(QJsonDocument(c.toObject()).toJson(QJsonDocument::Compact)));
            connectErrors += c[QLatin1String("connectErrors")].toInt();
            disconnects += c[QLatin1String("disconnects")].toInt();
        }
    }
    QVERIFY2(serverErrors.isEmpty(), qPrintable(serverErrors.join(QLatin1Char('\n'))));
    peers.clear();
    if (server->isListening()) {
        QSignalSpy closedSpy(server.get(), &IpcServer::closed);
        server->close();
        QCOMPARE(closedSpy.count(), 1);
    }
    server.reset();
    QTRY_COMPARE_WITH_TIMEOUT(Stress::openFdCount(), fdsBefore, 10000);

    QStringList msecs;
    for (qint64 ms : std::as_const(stormMsecs))
        msecs.append(QString::number(ms));
    const QString flapped = flap > 0
            ? QStringLiteral(" (each after a %1 ms flap; %2 connects in flaps)")
                      .arg(flap)
                      .arg(flapConnects)
            : QString();
    qInfo("storm: %d clients in %d processes, reconnect delay %s ms, retry delay %s ms; "
          "%d restarts%s, %d ms down each; %lld connections counted by the server after "
          "listen(), %lld failed connect attempts, %lld disconnects; all back %s ms after "
          "each listen()%s",
          Clients, Processes, qPrintable(reconnectDelay), qPrintable(retryDelay), restarts,
          qPrintable(flapped), downtime, serverConnects, connectErrors, disconnects,
          qPrintable(msecs.join(QLatin1String(", "))),
          closeWhileDown ? "; the clients closed while the server was down" : "");
    qInfo("storm: server process fds %d before, %d after; %lld ms", fdsBefore,
          Stress::openFdCount(), qint64(elapsed.elapsed()));
}

QTEST_GUILESS_MAIN(tst_ReconnectStorm)
#include "tst_reconnectstorm.moc"
