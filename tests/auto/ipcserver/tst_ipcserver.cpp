#include "ipctestsupport.h"
#include "testpeer.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcTopic>

#include <QtCore/qdir.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qlockfile.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qscopeguard.h>
#include <QtCore/qsemaphore.h>
#include <QtCore/quuid.h>
#include <QtNetwork/qlocalserver.h>
#include <QtNetwork/qlocalsocket.h>
#include <QtCore/qpoint.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <thread>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using IpcTest::frameBytes;
using IpcTest::makeStaleSocketFile;
using IpcTest::unixAddress;

class tst_IpcServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();

    void listenCreatesSocketWithRequestedAccess_data();
    void listenCreatesSocketWithRequestedAccess();
    void listenTwiceIsRefused();
    void liveServerIsAddressInUse();
    void staleSocketFileIsTakenOver();
    void closeLeavesAnotherServersSocketFile();
    void heldLockNamesItsHolder();
    void otherFileIsNeverRemoved();
    void tooLongPathIsSocketError();
    void relativePathResolvesAgainstWorkingDirectory();

    void clientIdsAreDistinctUuidV4();
    void peerCredentialsNameTheClientProcess();
    void messagesCarryTheSendersClientId();
    void sendReachesOnlyThatClient_data();
    void sendReachesOnlyThatClient();
    void broadcastReachesEveryClient_data();
    void broadcastReachesEveryClient();
    void broadcastWithoutClientsDoesNothing();
    void broadcastWithoutClientsStillReportsEncodeError();
    void topicReceivesOnlyItsMessages();
    void functorSubscriptionCanBeDisconnected();

    void unknownClientIsBadClientError();
    void unencodableMessageIsEncodeError();
    void sendAfterCloseIsError();
    void closeDeliversPendingOutputThenEmitsClosed();
    void closeWithoutClientsEmitsClosed();
    void disconnectClientEndsOnlyThatConnection();
    void serverCanListenAgainAfterClose();
    void closeDropsClientsThatDoNotReadAfterCloseTimeout();
    void simultaneousListensElectExactlyOneServer_data();
    void simultaneousListensElectExactlyOneServer();

    void malformedFrameDropsOnlyThatClient_data();
    void malformedFrameDropsOnlyThatClient();
    void oversizedFrameDropsOnlyThatClient_data();
    void oversizedFrameDropsOnlyThatClient();
    void frameSplitAcrossWritesArrivesWhole();
    void partialFrameFromDeadPeerIsDiscarded();
    void hundredMebibytesWithoutDelimiterStopAtTheLimit();
    void thousandsOfTinyFramesInOneWriteAllArrive();
    void clientThatDoesNotReadMeetsThePolicy_data();
    void clientThatDoesNotReadMeetsThePolicy();

    void extraClientsBeyondMaxClientsAreRefused();
    void connectionsWithoutTokenCountTowardsMaxClients();
    void defaultLimitsBoundEveryClient();
    void runningOutOfDescriptorsNeverStopsTheServer_data();
    void runningOutOfDescriptorsNeverStopsTheServer();
    void messageLargerThanThePendingLimitStillGoesThrough();
    void tokenHoldersBeyondMaxClientsAreRefused();
    void strangersFirstFrameIsReadUnderASmallLimit();
    void wrongTokensBackOffPerPeer();
    void shortTokenIsWarnedAbout();
    void refusedPeerIsNotReadAndIsDroppedSoon();
    void usersNotAllowedAreRefused();
    void otherUserIsRefusedBeforeAnythingIsRead();
    void connectionFilterDecides();
    void handshakeTimeoutDropsSilentClients();
    void symlinkAtSocketPathIsNeverRemoved_data();
    void symlinkAtSocketPathIsNeverRemoved();
    void abstractNamespaceNameNeedsNoFile();

    void monitorSeesBothDirectionsInOrder();
    void monitorIsNeverAClient();
    void slowMonitorIsDroppedAndClientsKeepTheirRate();
    void monitorIsRefusedWithoutOptIn();
    void monitorMeetsTheTokenAndUidRules();
    void monitorAsksForStatistics();
    void socketActivatedServerAnswersTheFirstMessage();
    void inheritedSocketForAnotherAddressIsLeftAlone();
    void lateClientProcessGetsRetainedMessagesFirst();
    void retainedFramesComeBeforeAnythingElse();
    void clearedRetainedMessageIsNoLongerSent();
    void retainedMessagesCountAgainstTheirLimit();
    void retainAfterCloseOrUnencodableFails();
    void retainedStateArrivesFirst();
    void retainedStateIsGoneAfterAServerRestart();

private:
    QString socketPath() const { return m_dir.socketPath(); }
    // Starts n ipctestpeer clients and waits until the server has seen them all.
    QList<TestPeer *> startClients(IpcServer &server, int n, QStringList *ids = nullptr);
    IpcTest::SocketDir m_dir;
};

void tst_IpcServer::init()
{
    m_dir.renew();
}

QList<TestPeer *> tst_IpcServer::startClients(IpcServer &server, int n, QStringList *ids)
{
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    QList<TestPeer *> peers;
    for (int i = 0; i < n; ++i) {
        auto *peer = new TestPeer(this);
        peer->startTestPeer({QStringLiteral("client"), socketPath(), QStringLiteral("--retry"),
                             QStringLiteral("50")});
        peers.append(peer);
    }
    for (TestPeer *peer : peers)
        [&] { QTRY_VERIFY_WITH_TIMEOUT(peer->has(QStringLiteral("connected")), 10000); }();
    [&] { QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.count(), n, 10000); }();
    if (ids) {
        for (const QList<QVariant> &args : connectedSpy)
            ids->append(args.at(0).toString());
    }
    return peers;
}

void tst_IpcServer::listenCreatesSocketWithRequestedAccess_data()
{
    QTest::addColumn<IpcServer::SocketAccess>("access");
    QTest::addColumn<int>("expectedMode");
    QTest::newRow("owner only (default)") << IpcServer::SocketAccess::OwnerOnly << 0700;
    QTest::newRow("owner and group") << IpcServer::SocketAccess::OwnerAndGroup << 0770;
    QTest::newRow("everyone") << IpcServer::SocketAccess::Everyone << 0777;
}

void tst_IpcServer::listenCreatesSocketWithRequestedAccess()
{
    QFETCH(IpcServer::SocketAccess, access);
    QFETCH(int, expectedMode);

    IpcServer server;
    QCOMPARE(server.socketAccess(), IpcServer::SocketAccess::OwnerOnly);
    server.setSocketAccess(access);
    QSignalSpy listeningSpy(&server, &IpcServer::listeningChanged);
    QVERIFY(server.listen(socketPath()));
    QVERIFY(server.isListening());
    QCOMPARE(listeningSpy.count(), 1);
    QCOMPARE(server.address(), socketPath());

    struct stat status;
    QCOMPARE(::stat(QFile::encodeName(socketPath()).constData(), &status), 0);
    QVERIFY(S_ISSOCK(status.st_mode));
    QCOMPARE(int(status.st_mode & 0777), expectedMode);
}

void tst_IpcServer::listenTwiceIsRefused()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("already listening")));
    QVERIFY(!server.listen(socketPath()));
    QVERIFY(server.isListening());
}

void tst_IpcServer::liveServerIsAddressInUse()
{
    IpcServer first;
    QVERIFY(first.listen(socketPath()));
    QSignalSpy probeConnected(&first, &IpcServer::clientConnected);
    QSignalSpy probeDisconnected(&first, &IpcServer::clientDisconnected);

    IpcServer second;
    QSignalSpy errorSpy(&second, &IpcServer::errorOccurred);
    QVERIFY(!second.listen(socketPath()));
    QVERIFY(!second.isListening());
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::AddressInUseError);
    QCOMPARE(second.error(), IpcError::AddressInUseError);
    QVERIFY(second.errorString().contains(socketPath()));

    // The probe that found the live server was a connection the first server saw come and
    // go (the Node library probes the same way); nothing else disturbed it.
    QTRY_COMPARE(probeDisconnected.count(), 1);
    QCOMPARE(probeConnected.count(), 1);
    QCOMPARE(first.clientCount(), 0);
    QStringList ids;
    const QList<TestPeer *> peers = startClients(first, 1, &ids);
    QCOMPARE(ids.size(), 1);
    qDeleteAll(peers);
}

void tst_IpcServer::heldLockNamesItsHolder()
{
    // A lock beside the path held by someone (here, this process, as a squatter would):
    // listen() does not wait for it (a GUI thread must not freeze); the address is in use,
    // and the error says who holds it, and, when that is another user, that the directory is
    // the problem.
    QLockFile squatter(socketPath() + QStringLiteral(".lock"));
    QVERIFY(squatter.tryLock());
    const bool root = ::geteuid() == 0;
    if (root)  // as if another user had taken it, in a shared directory
        QCOMPARE(::chown(QFile::encodeName(socketPath() + QStringLiteral(".lock")).constData(),
                         65534, 65534),
                 0);
    IpcServer server;
    QElapsedTimer timer;
    timer.start();
    QVERIFY(!server.listen(socketPath()));
    QVERIFY2(timer.elapsed() < 1000, "listen() waited for the lock");
    QCOMPARE(server.error(), IpcError::AddressInUseError);
    const QString why = server.errorString();
    QVERIFY2(why.contains(QStringLiteral("process %1").arg(QCoreApplication::applicationPid())),
             qPrintable(why));
    if (root) {
        QVERIFY2(why.contains(QLatin1String("user 65534")), qPrintable(why));
        QVERIFY2(why.contains(QLatin1String("XDG_RUNTIME_DIR")), qPrintable(why));
    }
}

void tst_IpcServer::closeLeavesAnotherServersSocketFile()
{
    // Our socket file was removed and a newer server listens at the path: our close()
    // must not unlink that server's file.
    IpcServer first;
    QVERIFY(first.listen(socketPath()));
    QVERIFY(QFile::remove(socketPath()));
    IpcServer second;
    QVERIFY(second.listen(socketPath()));
    first.close();
    QVERIFY(QFileInfo::exists(socketPath()));
    IpcClient client;
    QSignalSpy connectedSpy(&second, &IpcServer::clientConnected);
    client.connectToServer(socketPath());
    QTRY_COMPARE(connectedSpy.count(), 1);
    // Nothing left beside it.
    QCOMPARE(QDir(QFileInfo(socketPath()).path()).entryList(QDir::System | QDir::Files).size(), 1);
    // Its own file, a server removes.
    second.close();
    QVERIFY(!QFileInfo::exists(socketPath()));
}

void tst_IpcServer::staleSocketFileIsTakenOver()
{
    // A socket file whose server died without removing it.
    QVERIFY(makeStaleSocketFile(socketPath()));
    QVERIFY(QFile::exists(socketPath()));

    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    const QList<TestPeer *> peers = startClients(server, 1);
    QCOMPARE(server.clientCount(), 1);
    qDeleteAll(peers);
}

void tst_IpcServer::otherFileIsNeverRemoved()
{
    QFile file(socketPath());
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("precious");
    file.close();

    IpcServer server;
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QVERIFY(!server.listen(socketPath()));
    QCOMPARE(errorSpy.count(), 1);
    QVERIFY(server.errorString().contains(QLatin1String("not a socket")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("precious"));
}

void tst_IpcServer::tooLongPathIsSocketError()
{
    IpcServer server;
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    const QString path = m_dir.filePath(QString(120, QLatin1Char('x')));
    QVERIFY(!server.listen(path));
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(server.error(), IpcError::SocketError);
    QVERIFY(server.errorString().contains(QLatin1String("limit")));
}

void tst_IpcServer::relativePathResolvesAgainstWorkingDirectory()
{
    const QString previous = QDir::currentPath();
    QVERIFY(QDir::setCurrent(m_dir.path()));
    IpcServer server;
    // With a '/': a path (a bare "relative.sock" is a service name, tst_IpcEndpoint).
    const bool listening = server.listen(QStringLiteral("./relative.sock"));
    QDir::setCurrent(previous);
    QVERIFY(listening);
    QVERIFY(QFile::exists(m_dir.filePath(QStringLiteral("relative.sock"))));
}

void tst_IpcServer::clientIdsAreDistinctUuidV4()
{
    IpcServer server;
    QSignalSpy countSpy(&server, &IpcServer::clientCountChanged);
    QVERIFY(server.listen(socketPath()));
    QStringList ids;
    const QList<TestPeer *> peers = startClients(server, 4, &ids);
    QCOMPARE(server.clientCount(), 4);
    QCOMPARE(countSpy.count(), 4);
    for (const QString &id : ids) {
        const QUuid uuid(id);
        QVERIFY2(!uuid.isNull(), qPrintable(id));
        QCOMPARE(uuid.version(), QUuid::Random);
        QCOMPARE(uuid.variant(), QUuid::DCE);
        QCOMPARE(id.size(), 36);  // no braces, as in the Node library
    }
    QCOMPARE(QSet<QString>(ids.begin(), ids.end()).size(), 4);
    QStringList reported = server.clientIds();
    QCOMPARE(reported, ids);  // in connection order
    qDeleteAll(peers);
}

void tst_IpcServer::peerCredentialsNameTheClientProcess()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QStringList ids;
    const QList<TestPeer *> peers = startClients(server, 1, &ids);
    const IpcPeerCredentials credentials = server.peerCredentials(ids.first());
    QVERIFY(credentials.isValid());
    QCOMPARE(credentials.pid(), peers.first()->process().processId());
    QCOMPARE(credentials.uid(), qint64(::getuid()));
    QCOMPARE(credentials.gid(), qint64(::getgid()));
    QVERIFY(!server.peerCredentials(QStringLiteral("no-such-client")).isValid());
    qDeleteAll(peers);
}

void tst_IpcServer::messagesCarryTheSendersClientId()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QStringList ids;
    const QList<TestPeer *> peers = startClients(server, 3, &ids);
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    for (int i = 0; i < peers.size(); ++i)
        peers[i]->command({{"send", "hello"}, {"message", QJsonObject{{"peer", i}}}});
    QTRY_COMPARE(messageSpy.count(), 3);

    QHash<QString, int> peerOfClient;
    for (const QList<QVariant> &args : messageSpy) {
        QCOMPARE(args.at(0).toString(), QStringLiteral("hello"));
        peerOfClient.insert(args.at(2).toString(), args.at(1).toMap().value("peer").toInt());
    }
    QCOMPARE(peerOfClient.size(), 3);
    // Each id is the one that connection was given, and the pids agree.
    for (auto it = peerOfClient.cbegin(); it != peerOfClient.cend(); ++it) {
        QVERIFY(ids.contains(it.key()));
        QCOMPARE(server.peerCredentials(it.key()).pid(), peers[it.value()]->process().processId());
    }
    qDeleteAll(peers);
}

void tst_IpcServer::sendReachesOnlyThatClient_data()
{
    QTest::addColumn<int>("clients");
    QTest::newRow("one") << 1;
    QTest::newRow("many") << 8;
}

void tst_IpcServer::sendReachesOnlyThatClient()
{
    QFETCH(int, clients);
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    const QList<TestPeer *> peers = startClients(server, clients);

    // Learn which id belongs to which peer from what each one sends.
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    for (int i = 0; i < clients; ++i)
        peers[i]->command({{"send", "whoami"}, {"message", i}});
    QTRY_COMPARE(messageSpy.count(), clients);
    QHash<int, QString> idOf;
    for (const QList<QVariant> &args : messageSpy)
        idOf.insert(args.at(1).toInt(), args.at(2).toString());

    const int target = clients - 1;
    const QVariantMap message{{"to", target}, {"list", QVariantList{1, "two", 3.5, true}}};
    QVERIFY(server.send(QStringLiteral("direct"), message, idOf.value(target)));
    QTRY_COMPARE(peers[target]->count("message", "direct"), 1);
    QCOMPARE(peers[target]->eventsNamed("message", "direct").first().value("message").toVariant(),
             QVariant(message));
    // Give a stray delivery the chance to show up, then check nobody else got it.
    QVERIFY(server.send(QStringLiteral("sync"), 0, idOf.value(target)));
    QTRY_COMPARE(peers[target]->count("message", "sync"), 1);
    for (int i = 0; i < clients - 1; ++i)
        QCOMPARE(peers[i]->count("message", "direct"), 0);
    qDeleteAll(peers);
}

void tst_IpcServer::broadcastReachesEveryClient_data()
{
    QTest::addColumn<int>("clients");
    QTest::newRow("one") << 1;
    QTest::newRow("many") << 16;
}

void tst_IpcServer::broadcastReachesEveryClient()
{
    QFETCH(int, clients);
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    const QList<TestPeer *> peers = startClients(server, clients);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);

    for (int i = 0; i < 10; ++i)
        server.broadcast(QStringLiteral("news"), QVariantMap{{"seq", i}, {"text", "ünïcødé ✓"}});
    for (TestPeer *peer : peers) {
        QTRY_COMPARE(peer->count("message", "news"), 10);
        const QList<QJsonObject> got = peer->eventsNamed("message", "news");
        for (int i = 0; i < 10; ++i) {
            QCOMPARE(got[i].value("message").toObject().value("seq").toInt(), i);  // in order
            QCOMPARE(got[i].value("message").toObject().value("text").toString(),
                     QStringLiteral("ünïcødé ✓"));
        }
    }
    QCOMPARE(errorSpy.count(), 0);
    qDeleteAll(peers);
}

void tst_IpcServer::broadcastWithoutClientsDoesNothing()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    server.broadcast(QStringLiteral("nobody"), 1);
    QCOMPARE(errorSpy.count(), 0);
}

void tst_IpcServer::broadcastWithoutClientsStillReportsEncodeError()
{
    // The same EncodeError whether anyone listens or not: a bug shows on the first run.
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    server.broadcast(QStringLiteral("nobody"), QPoint(1, 2));
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::EncodeError);
    QVERIFY2(errorSpy.at(0).at(1).toString().contains(QLatin1String("QPoint")),
             qPrintable(errorSpy.at(0).at(1).toString()));
    QCOMPARE(server.error(), IpcError::EncodeError);
}

void tst_IpcServer::topicReceivesOnlyItsMessages()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QStringList ids;
    const QList<TestPeer *> peers = startClients(server, 1, &ids);

    IpcTopic *alpha = server.topic(QStringLiteral("alpha"));
    QCOMPARE(server.topic(QStringLiteral("alpha")), alpha);  // one per name
    QCOMPARE(alpha->name(), QStringLiteral("alpha"));
    QCOMPARE(alpha->source(), &server);
    QSignalSpy alphaSpy(alpha, &IpcTopic::messageReceived);
    QSignalSpy allSpy(&server, &IpcServer::messageReceived);

    peers[0]->command({{"send", "beta"}, {"message", 1}});
    peers[0]->command({{"send", "alpha"}, {"message", 2}});
    peers[0]->command({{"send", "alphabet"}, {"message", 3}});
    peers[0]->command({{"send", "alpha"}, {"message", 4}});
    QTRY_COMPARE(allSpy.count(), 4);
    QCOMPARE(alphaSpy.count(), 2);
    QCOMPARE(alphaSpy.at(0).at(0).toInt(), 2);
    QCOMPARE(alphaSpy.at(1).at(0).toInt(), 4);
    QCOMPARE(alphaSpy.at(1).at(1).toString(), ids.first());
    QCOMPARE(alpha->lastMessage().toInt(), 4);
    QCOMPARE(alpha->lastClientId(), ids.first());
    QCOMPARE(alpha->count(), 2);

    // Deleting the topic unsubscribes; topic() makes a fresh one afterwards.
    delete alpha;
    peers[0]->command({{"send", "alpha"}, {"message", 5}});
    QTRY_COMPARE(allSpy.count(), 5);
    IpcTopic *again = server.topic(QStringLiteral("alpha"));
    QCOMPARE(again->count(), 0);
    qDeleteAll(peers);
}

void tst_IpcServer::functorSubscriptionCanBeDisconnected()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QStringList ids;
    const QList<TestPeer *> peers = startClients(server, 1, &ids);

    QVariantList seen;
    QStringList senders;
    const QMetaObject::Connection connection =
            server.on(QStringLiteral("sum"), this, [&](const QVariant &message, const QString &id) {
                seen.append(message);
                senders.append(id);
            });
    int otherCalls = 0;
    server.on(QStringLiteral("other"), this, [&](const QVariant &) { ++otherCalls; });
    QSignalSpy allSpy(&server, &IpcServer::messageReceived);

    peers[0]->command({{"send", "sum"}, {"message", QJsonArray{1, 2}}});
    peers[0]->command({{"send", "other"}, {"message", "x"}});
    QTRY_COMPARE(allSpy.count(), 2);
    QCOMPARE(seen, QVariantList{QVariant(QVariantList{1, 2})});
    QCOMPARE(senders, ids);
    QCOMPARE(otherCalls, 1);

    QVERIFY(QObject::disconnect(connection));
    peers[0]->command({{"send", "sum"}, {"message", 3}});
    peers[0]->command({{"send", "other"}, {"message", "y"}});
    QTRY_COMPARE(allSpy.count(), 4);
    QCOMPARE(seen.size(), 1);
    QCOMPARE(otherCalls, 2);
    qDeleteAll(peers);
}

void tst_IpcServer::unknownClientIsBadClientError()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QVERIFY(!server.send(QStringLiteral("t"), 1, QStringLiteral("no-such-client")));
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::BadClientError);
    QCOMPARE(errorSpy.at(0).at(2).toString(), QStringLiteral("no-such-client"));
    QVERIFY(!errorSpy.at(0).at(1).toString().isEmpty());

    server.disconnectClient(QStringLiteral("no-such-client"));
    QCOMPARE(errorSpy.count(), 2);
    QCOMPARE(errorSpy.at(1).at(0).value<IpcError::Error>(), IpcError::BadClientError);
}

void tst_IpcServer::unencodableMessageIsEncodeError()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QStringList ids;
    const QList<TestPeer *> peers = startClients(server, 1, &ids);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);

    QVERIFY(!server.send(QStringLiteral("bad"), std::nan(""), ids.first()));
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::EncodeError);
    server.broadcast(QStringLiteral("bad"), QVariant::fromValue<QObject *>(this));
    QCOMPARE(errorSpy.count(), 2);
    QCOMPARE(server.error(), IpcError::EncodeError);

    // Nothing was sent, and the connection is fine.
    QVERIFY(server.send(QStringLiteral("good"), 1, ids.first()));
    QTRY_COMPARE(peers[0]->count("message", "good"), 1);
    QCOMPARE(peers[0]->count("message", "bad"), 0);
    qDeleteAll(peers);
}

void tst_IpcServer::sendAfterCloseIsError()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QStringList ids;
    const QList<TestPeer *> peers = startClients(server, 1, &ids);
    QSignalSpy closedSpy(&server, &IpcServer::closed);
    server.close();
    QTRY_COMPARE(closedSpy.count(), 1);

    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QVERIFY(!server.send(QStringLiteral("t"), 1, ids.first()));
    server.broadcast(QStringLiteral("t"), 1);
    QCOMPARE(errorSpy.count(), 2);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::SendAfterCloseError);
    QCOMPARE(errorSpy.at(1).at(0).value<IpcError::Error>(), IpcError::SendAfterCloseError);
    qDeleteAll(peers);
}

void tst_IpcServer::closeDeliversPendingOutputThenEmitsClosed()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QStringList ids;
    const QList<TestPeer *> peers = startClients(server, 2, &ids);
    QSignalSpy disconnectedSpy(&server, &IpcServer::clientDisconnected);
    QSignalSpy closedSpy(&server, &IpcServer::closed);
    QSignalSpy listeningSpy(&server, &IpcServer::listeningChanged);

    // A large message right before close() still arrives whole.
    const QString big(4 * 1024 * 1024, QLatin1Char('z'));
    server.broadcast(QStringLiteral("last"), big);
    server.close();
    QVERIFY(!server.isListening());
    QCOMPARE(listeningSpy.count(), 1);
    QVERIFY(!QFile::exists(socketPath()));

    QTRY_COMPARE(closedSpy.count(), 1);
    QCOMPARE(disconnectedSpy.count(), 2);
    QCOMPARE(server.clientCount(), 0);
    for (TestPeer *peer : peers) {
        QTRY_COMPARE(peer->count("message", "last"), 1);
        QCOMPARE(peer->eventsNamed("message", "last").first().value("message").toString().size(),
                 big.size());
        // The clients see an unexpected disconnect and start reconnecting.
        QTRY_VERIFY(peer->has("disconnected"));
    }
    QTest::qWait(50);
    QCOMPARE(closedSpy.count(), 1);
    qDeleteAll(peers);
}

void tst_IpcServer::closeWithoutClientsEmitsClosed()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy closedSpy(&server, &IpcServer::closed);
    server.close();
    QCOMPARE(closedSpy.count(), 1);
    server.close();
    QCOMPARE(closedSpy.count(), 1);
}

void tst_IpcServer::disconnectClientEndsOnlyThatConnection()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QStringList ids;
    const QList<TestPeer *> peers = startClients(server, 2, &ids);
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    peers[0]->command({{"send", "me"}, {"message", 0}});
    QTRY_COMPARE(messageSpy.count(), 1);
    const QString first = messageSpy.at(0).at(2).toString();
    const QString second = ids.at(0) == first ? ids.at(1) : ids.at(0);

    QSignalSpy disconnectedSpy(&server, &IpcServer::clientDisconnected);
    QVERIFY(server.send(QStringLiteral("goodbye"), "you", first));
    server.disconnectClient(first);
    QTRY_COMPARE(disconnectedSpy.count(), 1);
    QCOMPARE(disconnectedSpy.at(0).at(0).toString(), first);
    QTRY_VERIFY(peers[0]->has("disconnected"));
    QCOMPARE(peers[0]->count("message", "goodbye"), 1);  // flushed before the end
    QVERIFY(!server.clientIds().contains(first));

    // The other client is untouched.
    QVERIFY(server.send(QStringLiteral("still"), "here", second));
    QTRY_COMPARE(peers[1]->count("message", "still"), 1);
    QVERIFY(!peers[1]->has("disconnected"));
    qDeleteAll(peers);
}

void tst_IpcServer::serverCanListenAgainAfterClose()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    const QList<TestPeer *> peers = startClients(server, 1);
    QSignalSpy closedSpy(&server, &IpcServer::closed);
    server.close();
    QTRY_COMPARE(closedSpy.count(), 1);

    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    QVERIFY(server.listen());
    QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.count(), 1, 10000);  // the client reconnects
    QTRY_VERIFY(peers[0]->has("reconnected"));
    server.broadcast(QStringLiteral("again"), true);
    QTRY_COMPARE(peers[0]->count("message", "again"), 1);
    qDeleteAll(peers);
}

void tst_IpcServer::malformedFrameDropsOnlyThatClient_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::newRow("not JSON") << QByteArray("this is not json");
    QTest::newRow("truncated JSON") << QByteArray("{\"topic\":\"t\",\"message\":");
    QTest::newRow("array") << QByteArray("[1,2,3]");
    QTest::newRow("string") << QByteArray("\"topic\"");
    QTest::newRow("missing topic") << QByteArray("{\"message\":1}");
    QTest::newRow("number topic") << QByteArray("{\"topic\":5,\"message\":1}");
    QTest::newRow("invalid UTF-8") << QByteArray("{\"topic\":\"\xff\xfe\",\"message\":1}");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("deep nesting") << QByteArray(100000, '[');
}

void tst_IpcServer::malformedFrameDropsOnlyThatClient()
{
    QFETCH(QByteArray, frame);
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QStringList goodIds;
    const QList<TestPeer *> good = startClients(server, 1, &goodIds);
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QSignalSpy disconnectedSpy(&server, &IpcServer::clientDisconnected);

    QLocalSocket raw;
    QString rawId;
    CHECKED(IpcTest::connectRawSocket(raw, server, &rawId));

    good[0]->command({{"send", "before"}, {"message", 1}});
    QTRY_COMPARE(messageSpy.count(), 1);
    // A valid frame first (delivered), then the bad one, then one that must never count.
    raw.write(frameBytes("{\"topic\":\"valid\",\"message\":true}"));
    raw.write(frameBytes(frame));
    raw.write(frameBytes("{\"topic\":\"after\",\"message\":true}"));
    QTRY_COMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::DecodeError);
    QCOMPARE(errorSpy.at(0).at(2).toString(), rawId);
    QTRY_COMPARE(disconnectedSpy.count(), 1);
    QCOMPARE(disconnectedSpy.at(0).at(0).toString(), rawId);
    QTRY_COMPARE(raw.state(), QLocalSocket::UnconnectedState);

    good[0]->command({{"send", "after-good"}, {"message", 2}});
    QTRY_COMPARE(messageSpy.count(), 3);
    QStringList topics;
    for (const QList<QVariant> &args : messageSpy)
        topics.append(args.at(0).toString());
    QCOMPARE(topics, (QStringList{"before", "valid", "after-good"}));
    QCOMPARE(server.clientIds(), goodIds);
    server.broadcast(QStringLiteral("still"), 1);
    QTRY_COMPARE(good[0]->count("message", "still"), 1);
    QCOMPARE(errorSpy.count(), 1);
    qDeleteAll(good);
}

void tst_IpcServer::oversizedFrameDropsOnlyThatClient_data()
{
    QTest::addColumn<bool>("delimited");
    QTest::newRow("whole frame too large") << true;
    QTest::newRow("no delimiter ever") << false;
}

void tst_IpcServer::oversizedFrameDropsOnlyThatClient()
{
    QFETCH(bool, delimited);
    IpcServer server;
    server.setMaxFrameSize(64 * 1024);
    QCOMPARE(server.maxFrameSize(), 64 * 1024);
    QVERIFY(server.listen(socketPath()));
    const QList<TestPeer *> good = startClients(server, 1);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);

    QLocalSocket raw;
    CHECKED(IpcTest::connectRawSocket(raw, server));

    // A frame just under the limit is fine.
    QByteArray fits = "{\"topic\":\"fits\",\"message\":\"" + QByteArray(60 * 1024, 'a') + "\"}";
    raw.write(frameBytes(fits));
    QTRY_COMPARE(messageSpy.count(), 1);

    QByteArray huge = "{\"topic\":\"huge\",\"message\":\"" + QByteArray(1024 * 1024, 'a');
    if (delimited)
        huge = frameBytes(huge + "\"}");
    raw.write(huge);
    QTRY_COMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::FrameTooLargeError);
    QCOMPARE(errorSpy.at(0).at(2).toString(), connectedSpy.at(0).at(0).toString());
    QTRY_COMPARE(raw.state(), QLocalSocket::UnconnectedState);
    QCOMPARE(server.clientCount(), 1);

    good[0]->command({{"send", "fine"}, {"message", 1}});
    QTRY_COMPARE(messageSpy.count(), 2);
    QCOMPARE(messageSpy.at(1).at(0).toString(), QStringLiteral("fine"));
    qDeleteAll(good);
}

void tst_IpcServer::frameSplitAcrossWritesArrivesWhole()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    QLocalSocket raw;
    CHECKED(IpcTest::connectRawSocket(raw, server));

    const QByteArray frames =
            frameBytes(QStringLiteral("{\"topic\":\"ünï\",\"message\":\"日本🎉\"}").toUtf8())
            + frameBytes("{\"topic\":\"b\",\"message\":[1]}");
    for (char byte : frames) {
        raw.write(&byte, 1);
        QVERIFY(raw.waitForBytesWritten(1000));
        QCoreApplication::processEvents();
    }
    QTRY_COMPARE(messageSpy.count(), 2);
    QCOMPARE(messageSpy.at(0).at(0).toString(), QStringLiteral("ünï"));
    QCOMPARE(messageSpy.at(0).at(1).toString(), QStringLiteral("日本🎉"));
    QCOMPARE(messageSpy.at(1).at(1).toList(), QVariantList{1});
}

void tst_IpcServer::partialFrameFromDeadPeerIsDiscarded()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy disconnectedSpy(&server, &IpcServer::clientDisconnected);
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    {
        QLocalSocket raw;
        CHECKED(IpcTest::connectRawSocket(raw, server));
        raw.write(frameBytes("{\"topic\":\"whole\",\"message\":1}") + "{\"topic\":\"half\",\"mess");
        QVERIFY(raw.waitForBytesWritten(1000));
        raw.abort();
    }
    QTRY_COMPARE(disconnectedSpy.count(), 1);
    QCOMPARE(messageSpy.count(), 1);
    QCOMPARE(messageSpy.at(0).at(0).toString(), QStringLiteral("whole"));
    QCOMPARE(errorSpy.count(), 0);
    QCOMPARE(server.clientCount(), 0);
}

void tst_IpcServer::clientThatDoesNotReadMeetsThePolicy_data()
{
    QTest::addColumn<IpcServer::SlowClientPolicy>("policy");
    QTest::newRow("disconnect (default)") << IpcServer::SlowClientPolicy::DisconnectClient;
    QTest::newRow("drop messages") << IpcServer::SlowClientPolicy::DropMessages;
}

void tst_IpcServer::clientThatDoesNotReadMeetsThePolicy()
{
    QFETCH(IpcServer::SlowClientPolicy, policy);
    IpcServer server;
    QCOMPARE(server.maxPendingBytes(), IpcServer::DefaultMaxPendingBytes);
    QCOMPARE(server.slowClientPolicy(), IpcServer::SlowClientPolicy::DisconnectClient);
    server.setMaxPendingBytes(1024 * 1024);
    server.setSlowClientPolicy(policy);
    QVERIFY(server.listen(socketPath()));
    const QList<TestPeer *> good = startClients(server, 1);
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);

    // A peer that connects and never reads: a bare socket, so nothing drains the kernel's
    // buffer and what the server sends piles up on its side.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    QVERIFY(fd >= 0);
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });
    const sockaddr_un address = unixAddress(socketPath());
    QCOMPARE(::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address), 0);
    QTRY_COMPARE(connectedSpy.count(), 1);
    const QString slowId = connectedSpy.at(0).at(0).toString();

    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QSignalSpy disconnectedSpy(&server, &IpcServer::clientDisconnected);
    const QString padding(64 * 1024, QLatin1Char('x'));
    const int messages = 64;  // 4 MiB for each client, four times the limit
    for (int i = 0; i < messages; ++i) {
        server.broadcast(QStringLiteral("flood"), QVariantMap{{"i", i}, {"pad", padding}});
        // The reader keeps up, message by message; only the other one falls behind.
        QTRY_COMPARE_WITH_TIMEOUT(good[0]->count("message", "flood"), i + 1, 10000);
    }

    // The reader got everything, in order.
    const QList<QJsonObject> got = good[0]->eventsNamed("message", "flood");
    for (int i = 0; i < messages; ++i)
        QCOMPARE(got[i].value("message").toObject().value("i").toInt(), i);

    QVERIFY(errorSpy.count() >= 1);
    for (const QList<QVariant> &args : errorSpy) {
        QCOMPARE(args.at(0).value<IpcError::Error>(), IpcError::WriteBufferFullError);
        QCOMPARE(args.at(2).toString(), slowId);
    }
    if (policy == IpcServer::SlowClientPolicy::DisconnectClient) {
        QCOMPARE(errorSpy.count(), 1);  // then it is gone
        QTRY_COMPARE(disconnectedSpy.count(), 1);
        QCOMPARE(disconnectedSpy.at(0).at(0).toString(), slowId);
        QCOMPARE(server.clientCount(), 1);
    } else {
        QVERIFY(errorSpy.count() > 1);  // each message that did not fit
        QCOMPARE(disconnectedSpy.count(), 0);
        QCOMPARE(server.clientCount(), 2);
        // Once it reads, what was kept reaches it: whole frames, then new ones.
        QVERIFY(::fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
        QByteArray received;
        char buffer[65536];
        QTRY_VERIFY_WITH_TIMEOUT(
                [&] {
                    ssize_t n;
                    while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
                        received.append(buffer, n);
                    return received.endsWith(QByteArray(2, '\0'));
                }(),
                10000);
        QVERIFY(received.size() <= 2 * 1024 * 1024);  // the limit, and the kernel's share
        server.broadcast(QStringLiteral("after"), 1);
        QTRY_VERIFY_WITH_TIMEOUT(
                [&] {
                    ssize_t n;
                    while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
                        received.append(buffer, n);
                    return received.endsWith(QByteArray("{\"topic\":\"after\",\"message\":1}")
                                             + QByteArray(2, '\0'));
                }(),
                10000);
    }
    qDeleteAll(good);
}

void tst_IpcServer::extraClientsBeyondMaxClientsAreRefused()
{
    IpcServer server;
    server.setMaxClients(2);
    QCOMPARE(server.maxClients(), 2);
    QVERIFY(server.listen(socketPath()));
    QStringList ids;
    const QList<TestPeer *> peers = startClients(server, 2, &ids);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);

    QLocalSocket extra;
    extra.connectToServer(socketPath());
    QTRY_COMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::ClientRefusedError);
    QVERIFY(errorSpy.at(0).at(1).toString().contains(QLatin1String("limit")));
    QTRY_COMPARE(extra.state(), QLocalSocket::UnconnectedState);
    QCOMPARE(connectedSpy.count(), 0);
    QCOMPARE(server.clientCount(), 2);

    // A place freed is a place taken.
    server.disconnectClient(ids.first());
    QTRY_COMPARE(server.clientCount(), 1);
    QLocalSocket next;
    next.connectToServer(socketPath());
    QTRY_COMPARE(connectedSpy.count(), 1);
    QCOMPARE(errorSpy.count(), 1);
    qDeleteAll(peers);
}

void tst_IpcServer::connectionsWithoutTokenCountTowardsMaxClients()
{
    // Strangers that never show a token must not hold more than maxClients connections.
    IpcServer server;
    server.setMaxClients(2);
    server.setAuthToken(QStringLiteral("s3cret"));
    QVERIFY(server.listen(socketPath()));
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    std::vector<std::unique_ptr<QLocalSocket>> idle;
    for (int i = 0; i < 5; ++i) {
        idle.push_back(std::make_unique<QLocalSocket>());
        idle.back()->connectToServer(socketPath());
    }
    QTRY_COMPARE(errorSpy.count(), 3);
    for (const QList<QVariant> &error : std::as_const(errorSpy)) {
        QCOMPARE(error.at(0).value<IpcError::Error>(), IpcError::ClientRefusedError);
        QVERIFY2(error.at(1).toString().contains(QLatin1String("maxClients")),
                 qPrintable(error.at(1).toString()));
    }
    QTRY_COMPARE(std::count_if(idle.begin(), idle.end(),
                               [](const auto &socket) {
                                   return socket->state() == QLocalSocket::ConnectedState;
                               }),
                 2);
}

void tst_IpcServer::defaultLimitsBoundEveryClient()
{
    // The defaults bound what a server holds: maxClients x (maxPendingBytes + maxFrameSize).
    IpcServer server;
    QCOMPARE(server.maxClients(), 256);
    QCOMPARE(server.maxPendingBytes(), 32 * 1024 * 1024);
    QCOMPARE(server.maxFrameSize(), 64 * 1024 * 1024);
    QCOMPARE(IpcServer::MaxAuthenticationFrameSize, 4096);
    QVERIFY(server.listen(socketPath()));
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    std::vector<std::unique_ptr<QLocalSocket>> sockets;
    for (int i = 0; i < 260; ++i) {
        sockets.push_back(std::make_unique<QLocalSocket>());
        sockets.back()->connectToServer(socketPath());
    }
    QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.count() + errorSpy.count(), 260, 20000);
    QCOMPARE(connectedSpy.count(), 256);
    QCOMPARE(server.clientCount(), 256);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::ClientRefusedError);
}

void tst_IpcServer::runningOutOfDescriptorsNeverStopsTheServer_data()
{
    QTest::addColumn<bool>("tcp");
    QTest::addColumn<bool>("hog");  // the rest of the process uses every descriptor up
    QTest::newRow("local, limit kept") << false << false;
    QTest::newRow("local, descriptors gone") << false << true;
    QTest::newRow("tcp, limit kept") << true << false;
    QTest::newRow("tcp, descriptors gone") << true << true;
}

void tst_IpcServer::runningOutOfDescriptorsNeverStopsTheServer()
{
    // A server process with 64 descriptors and 80 peers connecting: it refuses what it has
    // no room for, says so, keeps its socket file and listens on; once the peers are gone, a
    // client gets through. (QLocalServer alone closed and unlinked its file; QTcpServer
    // stopped accepting for good.)
    QFETCH(bool, tcp);
    QFETCH(bool, hog);
#ifdef SOCKETIPC_SANITIZED
    if (hog)
        QSKIP("the sanitizers need descriptors of their own (UBSan probes memory through a "
              "pipe): with none left in the process they report errors that are not there");
#endif
    TestPeer server;
    server.start(QStringLiteral("prlimit"),
                 {QStringLiteral("--nofile=64:64"), IpcTest::testPeerProgram(),
                  QStringLiteral("server"),
                  tcp ? QStringLiteral("tcp://127.0.0.1:0") : socketPath()});
    QTRY_VERIFY_WITH_TIMEOUT(server.has(QStringLiteral("listening")), 10000);
    const QString address = server.last(QStringLiteral("listening")).value("address").toString();
    if (hog) {
        server.command(QJsonObject{{"hog", 100}});
        QTRY_VERIFY(server.has(QStringLiteral("hogged")));
    }

    std::vector<std::unique_ptr<QIODevice>> peers;
    for (int i = 0; i < 80; ++i) {
        if (tcp) {
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost,
                                  quint16(address.section(QLatin1Char(':'), -1).toUInt()));
            peers.push_back(std::move(socket));
        } else {
            auto socket = std::make_unique<QLocalSocket>();
            socket->connectToServer(address);
            peers.push_back(std::move(socket));
        }
    }
    const QString expected = hog ? QStringLiteral("descriptors") : QStringLiteral("RLIMIT_NOFILE");
    QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const QJsonObject &error : server.eventsNamed(QStringLiteral("error"))) {
                    if (error.value("description").toString().contains(expected))
                        return true;
                }
                return false;
            }(),
            10000);
    if (!tcp)
        QVERIFY(QFileInfo::exists(address));

    peers.clear();
    if (hog)
        server.command(QJsonObject{{"unhog", true}});
    // Once the server has seen every admitted peer go.
    QTRY_COMPARE_WITH_TIMEOUT(server.count(QStringLiteral("clientDisconnected")),
                              server.count(QStringLiteral("clientConnected")), 10000);
    IpcClient client;
    client.setRetryDelay(50);
    client.connectToServer(address);
    // A connection the server had to turn away while still short looks connected at first:
    // say it again until it is heard.
    QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                if (client.isConnected())
                    client.send(QStringLiteral("still"), QStringLiteral("here"));
                return server.count(QStringLiteral("message"), QStringLiteral("still")) > 0;
            }(),
            10000);
    QVERIFY(server.isRunning());
}

void tst_IpcServer::messageLargerThanThePendingLimitStillGoesThrough()
{
    // The pending limit bounds a backlog, not a message: one frame larger than it goes to a
    // client that keeps up, as a Node peer would send it, even right after another frame (the
    // greeting, or one sent in the same turn of the event loop).
    IpcServer server;
    server.setMaxPendingBytes(64 * 1024);
    QVERIFY(server.listen(socketPath()));
    IpcClient client;
    QSignalSpy received(&client, &IpcClient::messageReceived);
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    client.connectToServer(socketPath());
    QTRY_COMPARE(connectedSpy.count(), 1);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    const QString large(1024 * 1024, QLatin1Char('x'));
    QVERIFY(server.send(QStringLiteral("small"), 1, connectedSpy.at(0).at(0).toString()));
    QVERIFY(server.send(QStringLiteral("large"), large, connectedSpy.at(0).at(0).toString()));
    QTRY_COMPARE(received.count(), 2);
    QCOMPARE(received.at(1).at(1).toString().size(), large.size());
    QCOMPARE(errorSpy.count(), 0);
}

void tst_IpcServer::tokenHoldersBeyondMaxClientsAreRefused()
{
    // Admission checks the limit again: clients let in while strangers, then all showing
    // the token, are not all admitted.
    IpcServer server;
    server.setMaxClients(2);
    server.setAuthToken(QStringLiteral("s3cret"));
    QVERIFY(server.listen(socketPath()));
    std::vector<std::unique_ptr<IpcClient>> clients;
    for (int i = 0; i < 6; ++i) {
        clients.push_back(std::make_unique<IpcClient>());
        clients.back()->setAuthToken(QStringLiteral("s3cret"));
        clients.back()->setRetryDelay(5000);
        clients.back()->setReconnectDelay(5000);
        clients.back()->connectToServer(socketPath());
    }
    QTest::qWait(300);
    QCOMPARE(server.clientCount(), 2);
    QCOMPARE(server.clientIds().size(), 2);
}

void tst_IpcServer::wrongTokensBackOffPerPeer()
{
    // Guesses are not free: after a wrong token, the same peer (here, this user) is refused
    // at once for a while, longer after each.
    IpcServer server;
    server.setAuthToken(QStringLiteral("a long and random shared token"));
    QVERIFY(server.listen(socketPath()));
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    IpcClient guesser;
    guesser.setAuthToken(QStringLiteral("a wrong guess of the token"));
    guesser.setRetryDelay(5);
    guesser.setReconnectDelay(5);
    guesser.connectToServer(socketPath());
    // Without a backoff it would guess every few ms: over 100 times in this time. With
    // one, 100 + 200 + 400 + 800 ms of refusals leave room for five guesses at most.
    QTest::qWait(1500);
    guesser.close();
    int wrong = 0;
    int backedOff = 0;
    for (const QList<QVariant> &error : std::as_const(errorSpy)) {
        const QString text = error.at(1).toString();
        wrong += text.endsWith(QLatin1String(": wrong token"));
        backedOff += text.contains(QLatin1String("refused for"));
    }
    QVERIFY(wrong >= 1);
    QVERIFY(backedOff >= 1);
    QVERIFY2(wrong <= 6, qPrintable(QString::number(wrong)));
}

void tst_IpcServer::shortTokenIsWarnedAbout()
{
    IpcServer server;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("easy to guess")));
    server.setAuthToken(QStringLiteral("short"));
    server.setAuthToken(QStringLiteral("a token of thirty or more random characters"));  // quiet
}

void tst_IpcServer::strangersFirstFrameIsReadUnderASmallLimit()
{
    // Before it has shown the token, a peer's frame may not exceed
    // MaxAuthenticationFrameSize: a huge first frame is refused long before its end.
    IpcServer server;
    server.setAuthToken(QStringLiteral("s3cret"));
    QVERIFY(server.listen(socketPath()));
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QLocalSocket stranger;
    stranger.connectToServer(socketPath());
    QVERIFY(stranger.waitForConnected(5000));
    const QByteArray zeros = QByteArray("[") + QByteArray(256 * 1024, '0').replace('0', "0,");
    stranger.write(zeros);
    QTRY_COMPARE(stranger.state(), QLocalSocket::UnconnectedState);
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::FrameTooLargeError);
    QVERIFY2(errorSpy.at(0).at(1).toString().contains(
                     QString::number(IpcServer::MaxAuthenticationFrameSize)),
             qPrintable(errorSpy.at(0).at(1).toString()));
    QCOMPARE(server.clientCount(), 0);

    // Once admitted, a client's frames may be as large as maxFrameSize again.
    IpcClient client;
    client.setAuthToken(QStringLiteral("s3cret"));
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    client.connectToServer(socketPath());
    QTRY_VERIFY(client.isConnected());
    QVERIFY(client.send(QStringLiteral("large"), QString(1024 * 1024, QLatin1Char('x'))));
    QTRY_COMPARE(messageSpy.count(), 1);
}

void tst_IpcServer::refusedPeerIsNotReadAndIsDroppedSoon()
{
    // What a peer sends after a wrong token is not decoded any more (it could be a huge
    // frame), and the peer is not kept for the 30 s a graceful close may take.
    IpcServer server;
    server.setAuthToken(QStringLiteral("s3cret"));
    QVERIFY(server.listen(QStringLiteral("tcp://127.0.0.1:0")));
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QTcpSocket peer;
    peer.connectToHost(QHostAddress::LocalHost,
                       quint16(server.listeningAddress().section(QLatin1Char(':'), -1).toUInt()));
    QVERIFY(peer.waitForConnected(5000));
    // In one write, so that the server reads them together: a wrong token, then frames it
    // would decode if it still read (the malformed one would be a DecodeError).
    const QByteArray delimiter(2, '\0');
    peer.write(QByteArray(R"({"topic":"socketipc.auth","message":"guess"})") + delimiter
               + QByteArray("this is not JSON") + delimiter
               + QByteArray(R"({"topic":"more","message":1})") + delimiter);
    QElapsedTimer clock;
    clock.start();
    QTRY_COMPARE_WITH_TIMEOUT(peer.state(), QAbstractSocket::UnconnectedState, 10000);
    QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
    QTest::qWait(50);
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::ClientRefusedError);
    QCOMPARE(server.clientCount(), 0);
}

void tst_IpcServer::usersNotAllowedAreRefused()
{
    IpcServer server;
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    server.setAllowedUserIds({int(::getuid()) + 4242});
    QVERIFY(server.listen(socketPath()));
    QLocalSocket refused;
    refused.connectToServer(socketPath());
    QTRY_COMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::ClientRefusedError);
    QVERIFY(errorSpy.at(0).at(1).toString().contains(QString::number(::getuid())));
    QTRY_COMPARE(refused.state(), QLocalSocket::UnconnectedState);
    QCOMPARE(connectedSpy.count(), 0);

    server.setAllowedUserIds({int(::getuid())});
    QLocalSocket accepted;
    accepted.connectToServer(socketPath());
    QTRY_COMPARE(connectedSpy.count(), 1);
    QCOMPARE(errorSpy.count(), 1);
}

void tst_IpcServer::otherUserIsRefusedBeforeAnythingIsRead()
{
    if (::getuid() != 0)
        QSKIP("needs root, to run a peer as the user nobody with setpriv");
    const QString setpriv = QStandardPaths::findExecutable(QStringLiteral("setpriv"));
    if (setpriv.isEmpty())
        QSKIP("setpriv (util-linux) is not installed");
    // nobody must be able to reach the socket: a directory it can enter, a socket for all.
    QVERIFY(QFile::setPermissions(m_dir.path(),
                                  QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner
                                          | QFile::ExeGroup | QFile::ExeOther));
    const QStringList asNobody{QStringLiteral("--reuid=65534"),  QStringLiteral("--regid=65534"),
                               QStringLiteral("--clear-groups"), IpcTest::testPeerProgram(),
                               QStringLiteral("client"),         socketPath()};

    IpcServer server;
    server.setSocketAccess(IpcServer::SocketAccess::Everyone);
    server.setAllowedUserIds({0});
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    QVERIFY(server.listen(socketPath()));
    {
        TestPeer nobody;
        nobody.start(setpriv, asNobody);
        nobody.command({{"send", "sneaky"}, {"message", 1}});
        QTRY_VERIFY_WITH_TIMEOUT(errorSpy.count() >= 1, 10000);
        QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::ClientRefusedError);
        QVERIFY2(errorSpy.at(0).at(1).toString().contains(QLatin1String("uid 65534")),
                 qPrintable(errorSpy.at(0).at(1).toString()));
        QTest::qWait(200);  // what it sent, had anything been read, would show by now
        QCOMPARE(connectedSpy.count(), 0);
        QCOMPARE(messageSpy.count(), 0);
    }

    // Allowed, the same peer gets in, and the kernel vouches for who it is.
    server.setAllowedUserIds({0, 65534});
    TestPeer nobody;
    nobody.start(setpriv, asNobody);
    // A retry of the killed peer may still sit in the listen backlog and be accepted now,
    // then end at once: look at the connection that stays.
    QTRY_VERIFY_WITH_TIMEOUT(nobody.has(QStringLiteral("connected")), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 10000);
    const IpcPeerCredentials credentials = server.peerCredentials(server.clientIds().first());
    QCOMPARE(credentials.uid(), 65534);
    QCOMPARE(credentials.gid(), 65534);
}

void tst_IpcServer::connectionFilterDecides()
{
    IpcServer server;
    QList<IpcPeerCredentials> asked;
    bool accept = true;
    server.setConnectionFilter([&](const IpcPeerCredentials &credentials) {
        asked.append(credentials);
        return accept;
    });
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QVERIFY(server.listen(socketPath()));

    QLocalSocket first;
    first.connectToServer(socketPath());
    QTRY_COMPARE(connectedSpy.count(), 1);
    QCOMPARE(asked.size(), 1);
    QCOMPARE(asked.first().pid(), QCoreApplication::applicationPid());

    accept = false;
    QLocalSocket second;
    second.connectToServer(socketPath());
    QTRY_COMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::ClientRefusedError);
    QTRY_COMPARE(second.state(), QLocalSocket::UnconnectedState);
    QCOMPARE(connectedSpy.count(), 1);
}

void tst_IpcServer::handshakeTimeoutDropsSilentClients()
{
    IpcServer server;
    QCOMPARE(server.handshakeTimeout(), 0);  // idle clients are welcome by default
    server.setHandshakeTimeout(300);
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    QSignalSpy disconnectedSpy(&server, &IpcServer::clientDisconnected);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QVERIFY(server.listen(socketPath()));

    QLocalSocket silent;
    silent.connectToServer(socketPath());
    QTRY_COMPARE(connectedSpy.count(), 1);
    const QString silentId = connectedSpy.at(0).at(0).toString();
    QLocalSocket talker;
    talker.connectToServer(socketPath());
    QTRY_COMPARE(connectedSpy.count(), 2);
    talker.write(frameBytes("{\"topic\":\"hello\",\"message\":1}"));

    QTRY_COMPARE(disconnectedSpy.count(), 1);
    QCOMPARE(disconnectedSpy.at(0).at(0).toString(), silentId);
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::ClientRefusedError);
    QCOMPARE(errorSpy.at(0).at(2).toString(), silentId);
    QTest::qWait(400);
    QCOMPARE(server.clientCount(), 1);  // the one that spoke stays
}

void tst_IpcServer::symlinkAtSocketPathIsNeverRemoved_data()
{
    QTest::addColumn<QString>("target");
    QTest::newRow("to a stale socket") << QStringLiteral("stale.sock");
    QTest::newRow("to a regular file") << QStringLiteral("precious.txt");
    QTest::newRow("dangling") << QStringLiteral("nothing-here");
}

void tst_IpcServer::symlinkAtSocketPathIsNeverRemoved()
{
    QFETCH(QString, target);
    const QString targetPath = m_dir.filePath(target);
    if (target.endsWith(QLatin1String(".sock"))) {
        QVERIFY(makeStaleSocketFile(targetPath));
    } else if (target.endsWith(QLatin1String(".txt"))) {
        QFile file(targetPath);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("keep me");
    }
    QVERIFY(QFile::link(targetPath, socketPath()));

    IpcServer server;
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QVERIFY(!server.listen(socketPath()));
    QCOMPARE(server.error(), IpcError::AddressInUseError);
    QVERIFY(server.errorString().contains(QLatin1String("not a socket")));
    // Neither the link nor what it points to was touched.
    QCOMPARE(QFileInfo(socketPath()).symLinkTarget(), targetPath);
    QCOMPARE(QFileInfo::exists(targetPath), target != QLatin1String("nothing-here"));
}

void tst_IpcServer::abstractNamespaceNameNeedsNoFile()
{
#if !defined(Q_OS_LINUX)
    QSKIP("abstract socket names are a Linux feature");
#endif
    const QString name = QStringLiteral("@socketipc-test-%1")
                                 .arg(QUuid::createUuid().toString(QUuid::WithoutBraces));
    IpcServer server;
    QVERIFY2(server.listen(name), qPrintable(server.errorString()));
    QVERIFY(QDir(m_dir.path()).isEmpty());
    // The kernel lists it among the abstract sockets under exactly that name (shown with the
    // "@"), so other tools reach it as the abstract address "\0socketipc-test-...".
    QFile table(QStringLiteral("/proc/net/unix"));
    QVERIFY(table.open(QIODevice::ReadOnly));
    QVERIFY(table.readAll().contains(' ' + name.toUtf8() + '\n'));

    // Taken while its server lives...
    IpcServer second;
    QVERIFY(!second.listen(name));
    QCOMPARE(second.error(), IpcError::AddressInUseError);

    // ...and reached like any other path, by a client in another process.
    QStringList ids;
    TestPeer peer;
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    peer.startTestPeer({QStringLiteral("client"), name});
    QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.count(), 1, 10000);
    server.broadcast(QStringLiteral("hi"), 1);
    QTRY_COMPARE(peer.count("message", "hi"), 1);
}

void tst_IpcServer::hundredMebibytesWithoutDelimiterStopAtTheLimit()
{
    IpcServer server;  // the default limit, 64 MiB
    QVERIFY(server.listen(socketPath()));
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QLocalSocket raw;
    CHECKED(IpcTest::connectRawSocket(raw, server));

    // 100 MiB that never end a frame, written in 1 MiB pieces as the server takes them.
    const QByteArray chunk(1024 * 1024, 'a');
    qint64 written = 0;
    QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                while (raw.state() == QLocalSocket::ConnectedState
                       && raw.bytesToWrite() < 4 * chunk.size() && written < 100 * chunk.size()) {
                    raw.write(chunk);
                    written += chunk.size();
                }
                return !errorSpy.isEmpty() || written >= 100 * chunk.size();
            }(),
            60000);
    QTRY_COMPARE_WITH_TIMEOUT(errorSpy.count(), 1, 30000);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::FrameTooLargeError);
    QCOMPARE(errorSpy.at(0).at(2).toString(), connectedSpy.at(0).at(0).toString());
    // Stopped at the limit, not at the end of what was sent.
    QVERIFY(written < 100 * chunk.size());
    QTRY_COMPARE(server.clientCount(), 0);
}

void tst_IpcServer::thousandsOfTinyFramesInOneWriteAllArrive()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    int received = 0;
    int outOfOrder = 0;
    connect(&server, &IpcServer::messageReceived, this,
            [&](const QString &, const QVariant &message) {
                if (message.toInt() != received)
                    ++outOfOrder;
                ++received;
            });
    QLocalSocket raw;
    CHECKED(IpcTest::connectRawSocket(raw, server));

    const int frames = 20000;
    QByteArray all;
    for (int i = 0; i < frames; ++i)
        all += frameBytes("{\"topic\":\"\",\"message\":" + QByteArray::number(i) + "}");
    QCOMPARE(raw.write(all), all.size());  // one write
    QTRY_COMPARE_WITH_TIMEOUT(received, frames, 20000);
    QCOMPARE(outOfOrder, 0);
    QCOMPARE(errorSpy.count(), 0);
}

void tst_IpcServer::closeDropsClientsThatDoNotReadAfterCloseTimeout()
{
    IpcServer server;
    QCOMPARE(server.closeTimeout(), IpcServer::DefaultCloseTimeout);
    server.setCloseTimeout(300);
    server.setMaxPendingBytes(0);  // everything waits for it: close() is what must give up
    QVERIFY(server.listen(socketPath()));
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    // A bare socket that connects and never reads (a QLocalSocket here would read for us).
    const int sleeper = ::socket(AF_UNIX, SOCK_STREAM, 0);
    const auto closeSleeper = qScopeGuard([sleeper] { ::close(sleeper); });
    const sockaddr_un address = unixAddress(socketPath());
    QCOMPARE(::connect(sleeper, reinterpret_cast<const sockaddr *>(&address), sizeof address), 0);
    QTRY_COMPARE(connectedSpy.count(), 1);
    const QString id = connectedSpy.at(0).at(0).toString();
    // Far more than the socket buffers hold: most of it waits in the server.
    const QString chunk(1024 * 1024, QLatin1Char('z'));
    for (int i = 0; i < 16; ++i)
        QVERIFY(server.send(QStringLiteral("bulk"), chunk, id));
    QSignalSpy closedSpy(&server, &IpcServer::closed);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QElapsedTimer clock;
    clock.start();
    server.close();
    QTest::qWait(150);
    QCOMPARE(closedSpy.count(), 0);  // it does wait for the client first
    QTRY_COMPARE_WITH_TIMEOUT(closedSpy.count(), 1, 5000);
    QVERIFY2(clock.elapsed() >= 280, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::WriteBufferFullError);
    QVERIFY(errorSpy.at(0).at(1).toString().contains(QLatin1String("within 300 ms of close()")));
    QCOMPARE(errorSpy.at(0).at(2).toString(), id);
}

void tst_IpcServer::simultaneousListensElectExactlyOneServer_data()
{
    QTest::addColumn<bool>("staleFileFirst");
    QTest::newRow("nothing there") << false;
    QTest::newRow("a stale socket file there") << true;
}

void tst_IpcServer::simultaneousListensElectExactlyOneServer()
{
    // Probing and binding are two steps; without the library's lock two servers that listen
    // at once could both succeed, the first then deaf on an unlinked socket. Threads released
    // together make "at once" likely; the lock works between processes the same way.
    QFETCH(bool, staleFileFirst);
    constexpr int Contenders = 3;
    for (int round = 0; round < 3; ++round) {  // without the lock, the first round fails
        const QString path = m_dir.filePath(QStringLiteral("race-%1.sock").arg(round));
        if (staleFileFirst) {
            const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un address = {};
            address.sun_family = AF_UNIX;
            qstrncpy(address.sun_path, QFile::encodeName(path).constData(),
                     sizeof address.sun_path);
            QCOMPARE(::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
            ::close(fd);  // the file stays, nobody listens: stale
        }
        std::atomic<int> ready{0};
        std::atomic<bool> go{false};
        std::atomic<int> winners{0};
        QSemaphore done;
        QSemaphore release;
        std::vector<std::thread> threads;
        for (int i = 0; i < Contenders; ++i) {
            threads.emplace_back([&] {
                IpcServer server;
                ++ready;
                while (!go)
                    std::this_thread::yield();
                if (server.listen(path))
                    ++winners;
                done.release();
                release.acquire();  // keep listening until every contender has tried
            });
        }
        while (ready < Contenders)
            std::this_thread::yield();
        go = true;
        done.acquire(Contenders);
        const int won = winners;
        QLocalSocket probe;
        probe.connectToServer(path);
        const bool reachable = probe.waitForConnected(5000);
        release.release(Contenders);
        for (std::thread &thread : threads)
            thread.join();
        QCOMPARE(won, 1);
        QVERIFY(reachable);  // and the winner is the one a client reaches
    }
}

QTEST_GUILESS_MAIN(tst_IpcServer)
namespace {

// An IpcClient connected as a monitor; the events it received, in order.
struct Monitor
{
    IpcClient client;
    QList<QVariantMap> events;

    explicit Monitor(const QString &address, const QString &token = {})
    {
        client.setMonitor(true);
        client.setAuthToken(token);
        client.setRetryDelay(20);
        QObject::connect(&client, &IpcClient::messageReceived, &client,
                         [this](const QString &topic, const QVariant &message) {
                             if (topic == QLatin1String("socketipc.monitor"))
                                 events.append(message.toMap());
                             else
                                 others.append(topic);
                         });
        client.connectToServer(address);
    }
    QList<QVariantMap> messages() const  // the message events, without connects
    {
        QList<QVariantMap> result;
        for (const QVariantMap &event : events) {
            if (event.contains(QStringLiteral("direction")))
                result.append(event);
        }
        return result;
    }
    QStringList others;  // what it got that was not an event
};

QString field(const QVariantMap &event, const char *key)
{
    return event.value(QLatin1String(key)).toString();
}

}  // namespace

void tst_IpcServer::monitorSeesBothDirectionsInOrder()
{
    IpcServer server;
    server.setAllowMonitors(true);
    server.handle(QStringLiteral("double"), [](const QVariant &m) { return m.toInt() * 2; });
    QVERIFY(server.listen(socketPath()));
    Monitor monitor(socketPath());
    QTRY_COMPARE(server.monitorCount(), 1);
    QString a;
    QString b;
    const auto clientA = IpcTest::connectedClient(server, &a);
    const auto clientB = IpcTest::connectedClient(server, &b);
    QSignalSpy received(clientB.get(), &IpcClient::messageReceived);

    QVERIFY(clientA->send(QStringLiteral("x"), 1));
    QTRY_COMPARE(monitor.messages().size(), 1);
    QVERIFY(server.send(QStringLiteral("y"), QStringLiteral("to b"), b));
    IpcReply *reply = clientB->request(QStringLiteral("double"), 21);
    QSignalSpy finished(reply, &IpcReply::finished);
    QTRY_COMPARE(finished.count(), 1);
    server.broadcast(QStringLiteral("z"), true);
    QTRY_COMPARE(monitor.messages().size(), 5);

    const QList<QVariantMap> seen = monitor.messages();
    QCOMPARE(field(seen[0], "direction"), QStringLiteral("in"));
    QCOMPARE(field(seen[0], "client"), a);
    QCOMPARE(field(seen[0], "topic"), QStringLiteral("x"));
    QCOMPARE(seen[0].value(QStringLiteral("message")).toInt(), 1);
    QVERIFY(seen[0].value(QStringLiteral("size")).toInt() > 0);
    QVERIFY(seen[0].value(QStringLiteral("time")).toLongLong() > 0);
    QCOMPARE(field(seen[1], "direction"), QStringLiteral("out"));
    QCOMPARE(field(seen[1], "client"), b);
    QCOMPARE(field(seen[1], "topic"), QStringLiteral("y"));
    QCOMPARE(field(seen[2], "direction"), QStringLiteral("in"));  // the request
    QCOMPARE(field(seen[2], "client"), b);
    QVERIFY(seen[2].value(QStringLiteral("id")).toLongLong() > 0);
    QCOMPARE(field(seen[3], "direction"), QStringLiteral("out"));  // its reply
    QCOMPARE(seen[3].value(QStringLiteral("re")), seen[2].value(QStringLiteral("id")));
    QCOMPARE(seen[3].value(QStringLiteral("message")).toInt(), 42);
    QCOMPARE(field(seen[4], "topic"), QStringLiteral("z"));  // one event per broadcast
    QStringList recipients = seen[4].value(QStringLiteral("clients")).toStringList();
    recipients.sort();
    QStringList both{a, b};
    both.sort();
    QCOMPARE(recipients, both);

    // Connects and disconnects, with ids.
    QCOMPARE(field(monitor.events.first(), "event"), QStringLiteral("connected"));
    QCOMPARE(field(monitor.events.first(), "client"), a);
    QSignalSpy gone(&server, &IpcServer::clientDisconnected);
    clientA->close();
    QTRY_COMPARE(gone.count(), 1);
    QTRY_COMPARE(field(monitor.events.last(), "event"), QStringLiteral("disconnected"));
    QCOMPARE(field(monitor.events.last(), "client"), a);
}

void tst_IpcServer::monitorIsNeverAClient()
{
    IpcServer server;
    server.setAllowMonitors(true);
    QVERIFY(server.listen(socketPath()));
    QSignalSpy connected(&server, &IpcServer::clientConnected);
    Monitor monitor(socketPath());
    QTRY_COMPARE(server.monitorCount(), 1);
    QTRY_VERIFY(monitor.client.isConnected());
    QCOMPARE(server.clientCount(), 0);
    QCOMPARE(connected.count(), 0);
    QCOMPARE(server.statistics().connectionCount(), 0);
    // A broadcast reaches clients; the monitor sees it as an event, never as a message.
    const auto client = IpcTest::connectedClient(server);
    QSignalSpy received(client.get(), &IpcClient::messageReceived);
    server.broadcast(QStringLiteral("news"), 1);
    QTRY_COMPARE(received.count(), 1);
    QTRY_COMPARE(monitor.messages().size(), 1);
    QCOMPARE(monitor.others, QStringList());
    QCOMPARE(server.clientCount(), 1);
    QCOMPARE(connected.count(), 1);
    // What a monitor sends is not a message.
    QSignalSpy messages(&server, &IpcServer::messageReceived);
    monitor.client.send(QStringLiteral("sneak"), 1);
    QVERIFY(client->send(QStringLiteral("after"), 2));
    QTRY_COMPARE(messages.count(), 1);
    QCOMPARE(messages.at(0).at(0).toString(), QStringLiteral("after"));
}

void tst_IpcServer::slowMonitorIsDroppedAndClientsKeepTheirRate()
{
    // A monitor that never reads (a bare socket that says it is one) is dropped by the
    // slow-client policy; the client's messages all arrive.
    IpcServer server;
    server.setAllowMonitors(true);
    server.setMaxPendingBytes(64 * 1024);
    QVERIFY(server.listen(socketPath()));
    QLocalSocket sleeper;
    sleeper.connectToServer(socketPath());
    QVERIFY(sleeper.waitForConnected(5000));
    QTRY_VERIFY(sleeper.bytesAvailable() > 0);
    QVERIFY(sleeper.readAll().contains(R"("monitors":true)"));
    sleeper.write(
            IpcTest::frameBytes(R"({"topic":"socketipc.hello","message":{"role":"monitor"}})"));
    QTRY_COMPARE(server.monitorCount(), 1);
    // From here on it reads nothing.
    sleeper.setReadBufferSize(1);

    QString id;
    const auto client = IpcTest::connectedClient(server, &id);
    QSignalSpy messages(&server, &IpcServer::messageReceived);
    const QString payload(1024, QLatin1Char('p'));
    constexpr int Count = 3000;
    for (int i = 0; i < Count; ++i)
        QVERIFY(client->send(QStringLiteral("work"), payload));
    QTRY_COMPARE_WITH_TIMEOUT(messages.count(), Count, 20000);
    QTRY_COMPARE(server.monitorCount(), 0);
    QCOMPARE(server.clientCount(), 1);
    QCOMPARE(server.statistics(id).messagesReceived(), Count);
}

void tst_IpcServer::monitorIsRefusedWithoutOptIn()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    Monitor monitor(socketPath());
    QSignalSpy errors(&monitor.client, &IpcClient::errorOccurred);
    QSignalSpy connected(&monitor.client, &IpcClient::connected);
    QTRY_VERIFY(!errors.isEmpty());
    QCOMPARE(errors.at(0).at(0).value<IpcError::Error>(), IpcError::ClientRefusedError);
    QVERIFY2(errors.at(0).at(1).toString().contains(QLatin1String("allowMonitors")),
             qPrintable(errors.at(0).at(1).toString()));
    QTest::qWait(100);
    QCOMPARE(connected.count(), 0);
    QCOMPARE(server.monitorCount(), 0);
    monitor.client.close();
}

void tst_IpcServer::monitorMeetsTheTokenAndUidRules()
{
    IpcServer server;
    server.setAllowMonitors(true);
    server.setAuthToken(QStringLiteral("a-token-of-sixteen-or-more"));
    QVERIFY(server.listen(socketPath()));
    {
        Monitor without(socketPath());
        QSignalSpy errors(&without.client, &IpcClient::errorOccurred);
        QTRY_VERIFY(!errors.isEmpty());
        QCOMPARE(errors.at(0).at(0).value<IpcError::Error>(), IpcError::ClientRefusedError);
        QCOMPARE(server.monitorCount(), 0);
        without.client.close();
    }
    Monitor with(socketPath(), QStringLiteral("a-token-of-sixteen-or-more"));
    QTRY_COMPARE(server.monitorCount(), 1);
    with.client.close();
    QTRY_COMPARE(server.monitorCount(), 0);

    // Of a user the server does not allow: refused before it is anything.
    server.setAllowedUserIds({int(::getuid()) + 1});
    Monitor stranger(socketPath(), QStringLiteral("a-token-of-sixteen-or-more"));
    QSignalSpy connected(&stranger.client, &IpcClient::connected);
    QTest::qWait(300);
    QCOMPARE(connected.count(), 0);
    QCOMPARE(server.monitorCount(), 0);
    stranger.client.close();
}

void tst_IpcServer::monitorAsksForStatistics()
{
    IpcServer server;
    server.setAllowMonitors(true);
    QVERIFY(server.listen(socketPath()));
    QString id;
    const auto client = IpcTest::connectedClient(server, &id);
    QSignalSpy messages(&server, &IpcServer::messageReceived);
    QVERIFY(client->send(QStringLiteral("t"), 1));
    QTRY_COMPARE(messages.count(), 1);
    Monitor monitor(socketPath());
    QTRY_VERIFY(monitor.client.isConnected());
    IpcReply *reply = monitor.client.request(QStringLiteral("socketipc.stats"), QVariant());
    QSignalSpy finished(reply, &IpcReply::finished);
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(reply->error(), IpcError::NoError);
    const QVariantMap answer = reply->value().toMap();
    const QVariantList clients = answer.value(QStringLiteral("clients")).toList();
    QCOMPARE(clients.size(), 1);
    QCOMPARE(field(clients.first().toMap(), "client"), id);
    QCOMPARE(clients.first().toMap().value(QStringLiteral("messagesReceived")).toInt(), 1);
    QCOMPARE(answer.value(QStringLiteral("total"))
                     .toMap()
                     .value(QStringLiteral("connections"))
                     .toInt(),
             1);
    // A client asking the same is an ordinary request (no handler here).
    IpcReply *asClient = client->request(QStringLiteral("socketipc.stats"), QVariant());
    QSignalSpy clientFinished(asClient, &IpcReply::finished);
    QTRY_COMPARE(clientFinished.count(), 1);
    QCOMPARE(asClient->error(), IpcError::NoHandlerError);
}

void tst_IpcServer::socketActivatedServerAnswersTheFirstMessage()
{
    // systemd's way, with its own tool: systemd-socket-activate listens, a client connects and
    // asks at once; only then the server process starts, with the listening socket, adopts it
    // (listen() on the same path would otherwise find it in use) and answers. Nothing lost.
    const QString tool = QStandardPaths::findExecutable(QStringLiteral("systemd-socket-activate"));
    QVERIFY2(!tool.isEmpty(), "systemd-socket-activate is missing (Debian's systemd package)");
    TestPeer server;
    server.start(tool,
                 {QStringLiteral("--listen=") + socketPath(), IpcTest::testPeerProgram(),
                  QStringLiteral("server"), socketPath(), QStringLiteral("--echo"),
                  QStringLiteral("ping")});
    QTRY_VERIFY(QFileInfo(socketPath()).exists());
    QTest::qWait(100);
    QVERIFY(!server.has(QStringLiteral("listening")));  // started on the first connection

    IpcClient client;
    client.setMaxQueuedMessages(10);  // asked before connected(): sent once connected
    IpcReply *reply = client.request(QStringLiteral("ping"), QStringLiteral("first"));
    QSignalSpy finished(reply, &IpcReply::finished);
    client.connectToServer(socketPath());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
    QCOMPARE(reply->error(), IpcError::NoError);
    QCOMPARE(reply->value().toString(), QStringLiteral("first"));
    QTRY_VERIFY(client.isConnected());

    const QJsonObject listening = server.last(QStringLiteral("listening"));
    QCOMPARE(listening.value(QLatin1String("address")).toString(), socketPath());
    QCOMPARE(listening.value(QLatin1String("listenFds")).toString(), QString());  // cleared
    QVERIFY(!server.has(QStringLiteral("listenFailed")));

    // Closing leaves the service manager's socket file in place.
    server.command({{"close", true}});
    QTRY_VERIFY(!server.isRunning());
    QVERIFY(QFileInfo(socketPath()).exists());
}

void tst_IpcServer::inheritedSocketForAnotherAddressIsLeftAlone()
{
    // Activated for one path, a process that listens on another listens there as usual.
    const QString tool = QStandardPaths::findExecutable(QStringLiteral("systemd-socket-activate"));
    QVERIFY2(!tool.isEmpty(), "systemd-socket-activate is missing (Debian's systemd package)");
    const QString other = m_dir.filePath(QStringLiteral("other.sock"));
    TestPeer server;
    server.start(tool,
                 {QStringLiteral("--listen=") + socketPath(), IpcTest::testPeerProgram(),
                  QStringLiteral("server"), other});
    QTRY_VERIFY(QFileInfo(socketPath()).exists());
    IpcClient trigger;  // starts the server process
    trigger.connectToServer(socketPath());
    QTRY_VERIFY_WITH_TIMEOUT(server.has(QStringLiteral("listening")), 10000);
    QCOMPARE(server.last(QStringLiteral("listening")).value(QLatin1String("address")).toString(),
             other);
    IpcClient client;
    QSignalSpy clientConnected(&client, &IpcClient::connected);
    client.connectToServer(other);
    QTRY_COMPARE(clientConnected.count(), 1);
}

void tst_IpcServer::lateClientProcessGetsRetainedMessagesFirst()
{
    // A client process that connects after three topics were retained (one of them twice)
    // gets the three current values before its connected(), and before anything newer.
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy retainedSpy(&server, &IpcServer::retainedChanged);
    QVERIFY(server.retain(QStringLiteral("status"), QStringLiteral("starting")));
    QVERIFY(server.retain(QStringLiteral("config"), QVariantMap{{QStringLiteral("rate"), 2}}));
    QVERIFY(server.retain(QStringLiteral("status"), QStringLiteral("ready")));
    QVERIFY(server.retain(QStringLiteral("users"), QVariantList{QStringLiteral("ann")}));
    QCOMPARE(retainedSpy.count(), 4);
    QCOMPARE(server.retainedTopics(),
             (QStringList{QStringLiteral("config"), QStringLiteral("status"),
                          QStringLiteral("users")}));
    QCOMPARE(server.retained(QStringLiteral("status")).toString(), QStringLiteral("ready"));
    QVERIFY(!server.retained(QStringLiteral("none")).isValid());

    const QList<TestPeer *> peers = startClients(server, 1);
    TestPeer *peer = peers.first();
    server.broadcast(QStringLiteral("status"), QStringLiteral("busy"));
    QTRY_COMPARE(peer->count(QStringLiteral("message")), 4);
    const QList<QJsonObject> messages = peer->eventsNamed(QStringLiteral("message"));
    QCOMPARE(messages.at(0).value(QLatin1String("topic")).toString(), QStringLiteral("config"));
    QCOMPARE(messages.at(0).value(QLatin1String("message")).toObject().value(QLatin1String("rate")),
             QJsonValue(2));
    QCOMPARE(messages.at(1).value(QLatin1String("topic")).toString(), QStringLiteral("status"));
    QCOMPARE(messages.at(1).value(QLatin1String("message")).toString(), QStringLiteral("ready"));
    QCOMPARE(messages.at(2).value(QLatin1String("topic")).toString(), QStringLiteral("users"));
    QCOMPARE(messages.at(3).value(QLatin1String("message")).toString(), QStringLiteral("busy"));
    QStringList order;
    for (const QJsonObject &event : peer->events()) {
        const QString name = event.value(QLatin1String("event")).toString();
        if (name == QLatin1String("message") || name == QLatin1String("connected"))
            order.append(name);
    }
    QCOMPARE(order,
             (QStringList{QStringLiteral("message"), QStringLiteral("message"),
                          QStringLiteral("message"), QStringLiteral("connected"),
                          QStringLiteral("message")}));
}

void tst_IpcServer::retainedFramesComeBeforeAnythingElse()
{
    // On the wire, as any peer (the Node library's included) sees them: the greeting that
    // counts them, then ordinary frames, before what the server sends from clientConnected().
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QVERIFY(server.retain(QStringLiteral("a"), 1));
    QVERIFY(server.retain(QStringLiteral("b"), QStringLiteral("x")));
    connect(&server, &IpcServer::clientConnected, &server,
            [&](const QString &id) { server.send(QStringLiteral("welcome"), true, id); });
    QLocalSocket raw;
    raw.connectToServer(socketPath());
    const QByteArray expected =
            frameBytes(R"({"topic":"socketipc.hello","message":{"retained":2}})")
            + frameBytes(R"({"topic":"a","message":1})")
            + frameBytes(R"({"topic":"b","message":"x"})")
            + frameBytes(R"({"topic":"welcome","message":true})");
    QTRY_COMPARE(raw.bytesAvailable(), qint64(expected.size()));
    QCOMPARE(raw.readAll(), expected);
}

void tst_IpcServer::clearedRetainedMessageIsNoLongerSent()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QVERIFY(server.retain(QStringLiteral("a"), 1));
    QVERIFY(server.retain(QStringLiteral("b"), 2));
    const qint64 both = server.retainedBytes();
    QSignalSpy retainedSpy(&server, &IpcServer::retainedChanged);
    server.clearRetained(QStringLiteral("a"));
    server.clearRetained(QStringLiteral("never retained"));  // nothing
    QCOMPARE(retainedSpy.count(), 1);
    QCOMPARE(server.retainedTopics(), QStringList{QStringLiteral("b")});
    QVERIFY(!server.retained(QStringLiteral("a")).isValid());
    QVERIFY(server.retainedBytes() < both);

    QLocalSocket raw;
    raw.connectToServer(socketPath());
    QTRY_COMPARE(server.clientCount(), 1);
    const QByteArray expected =
            frameBytes(R"({"topic":"socketipc.hello","message":{"retained":1}})")
            + frameBytes(R"({"topic":"b","message":2})");
    QTRY_COMPARE(raw.bytesAvailable(), qint64(expected.size()));
    QCOMPARE(raw.readAll(), expected);

    // Connected clients are told when one is cleared.
    server.clearRetained(QStringLiteral("b"));
    const QByteArray cleared =
            frameBytes(R"({"topic":"socketipc.retained","message":{"cleared":"b"}})");
    QTRY_COMPARE(raw.bytesAvailable(), qint64(cleared.size()));
    QCOMPARE(raw.readAll(), cleared);
}

void tst_IpcServer::retainedMessagesCountAgainstTheirLimit()
{
    IpcServer server;
    QCOMPARE(server.maxRetainedBytes(), IpcServer::DefaultMaxRetainedBytes);
    server.handle(QStringLiteral("ping"), [](const QVariant &message) { return message; });
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = IpcTest::connectedClient(server, &clientId);
    QSignalSpy received(client.get(), &IpcClient::messageReceived);
    QSignalSpy errors(&server, &IpcServer::errorOccurred);
    // {"topic":"t","message":"xxxxxxxxxx"} and the delimiter: 38 bytes.
    server.setMaxRetainedBytes(80);
    QVERIFY(server.retain(QStringLiteral("t"), QString(10, QLatin1Char('x'))));
    QCOMPARE(server.retainedBytes(), 38);
    QVERIFY(server.retain(QStringLiteral("u"), QString(10, QLatin1Char('y'))));
    QCOMPARE(server.retainedBytes(), 76);
    // Replacing counts the difference: one byte more for "t" fits...
    QVERIFY(server.retain(QStringLiteral("t"), QString(11, QLatin1Char('x'))));
    QCOMPARE(server.retainedBytes(), 77);
    // ...a third topic does not: nothing is kept, nothing sent, and the error says why.
    QVERIFY(!server.retain(QStringLiteral("v"), QString(10, QLatin1Char('z'))));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.first().at(0).value<IpcError::Error>(), IpcError::RetainedLimitError);
    QVERIFY2(errors.first().at(1).toString().contains(QLatin1String("maxRetainedBytes (80)")),
             qPrintable(errors.first().at(1).toString()));
    QCOMPARE(server.retainedTopics(), (QStringList{QStringLiteral("t"), QStringLiteral("u")}));
    QCOMPARE(server.retainedBytes(), 77);
    ROUND_TRIP(*client);
    QCOMPARE(received.count(), 3);  // t, u, t again; never v
    // 0: no limit.
    server.setMaxRetainedBytes(0);
    QVERIFY(server.retain(QStringLiteral("v"), QString(1000, QLatin1Char('z'))));
}

void tst_IpcServer::retainAfterCloseOrUnencodableFails()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy errors(&server, &IpcServer::errorOccurred);
    QVERIFY(!server.retain(QStringLiteral("bytes"), QByteArray("no JSON")));
    QCOMPARE(errors.last().at(0).value<IpcError::Error>(), IpcError::EncodeError);
    QVERIFY(server.retainedTopics().isEmpty());
    server.close();
    QVERIFY(!server.retain(QStringLiteral("late"), 1));
    QCOMPARE(errors.last().at(0).value<IpcError::Error>(), IpcError::SendAfterCloseError);
    QVERIFY(server.retainedTopics().isEmpty());
}

void tst_IpcServer::retainedStateArrivesFirst()
{
    // In a client: every retained message is delivered (messageReceived, IpcTopic) before
    // connected(), so that code run on connected() sees the current state; anything newer
    // follows.
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    for (const char *topic : {"a", "b", "c"})
        QVERIFY(server.retain(QString::fromLatin1(topic), QString::fromLatin1(topic).toUpper()));
    IpcClient client;
    IpcTopic b(QStringLiteral("b"), &client);
    IpcTopic other(QStringLiteral("other"), &client);
    QVERIFY(!b.hasValue());
    QSignalSpy hasValueSpy(&b, &IpcTopic::hasValueChanged);
    QStringList received;
    connect(&client, &IpcClient::messageReceived, this,
            [&](const QString &topic, const QVariant &message) {
                received.append(topic + QLatin1Char('=') + message.toString());
            });
    connect(&client, &IpcClient::connected, this, [&] {
        received.append(QStringLiteral("connected: b %1 %2")
                                .arg(b.hasValue() ? "has" : "lacks", b.lastMessage().toString()));
    });
    connect(&server, &IpcServer::clientConnected, this,
            [&] { server.broadcast(QStringLiteral("b"), QStringLiteral("newer")); });
    client.connectToServer(socketPath());
    QTRY_COMPARE(received.size(), 5);
    QCOMPARE(received, (QStringList{"a=A", "b=B", "c=C", "connected: b has B", "b=newer"}));
    QVERIFY(b.hasValue());
    QCOMPARE(hasValueSpy.count(), 1);
    QVERIFY(!other.hasValue());

    // Cleared on the server: the topic holds no value any more.
    server.clearRetained(QStringLiteral("b"));
    QTRY_VERIFY(!b.hasValue());
    QCOMPARE(hasValueSpy.count(), 2);
    QVERIFY(!b.lastMessage().isValid());
    QCOMPARE(received.size(), 5);  // the notice is no message
    // A new message on it: a value again.
    server.broadcast(QStringLiteral("b"), QStringLiteral("B2"));
    QTRY_VERIFY(b.hasValue());
    QCOMPARE(b.lastMessage().toString(), QStringLiteral("B2"));
}

void tst_IpcServer::retainedStateIsGoneAfterAServerRestart()
{
    // Retained values are the server's state in memory: a restarted server has none until it
    // retains them again, and its clients, reconnecting, get only what it retains anew.
    auto server = std::make_unique<IpcServer>();
    QVERIFY(server->listen(socketPath()));
    QVERIFY(server->retain(QStringLiteral("old"), 1));
    IpcClient client;
    client.setReconnectDelay(20);
    IpcTopic old(QStringLiteral("old"), &client);
    IpcTopic fresh(QStringLiteral("fresh"), &client);
    client.connectToServer(socketPath());
    QTRY_VERIFY(old.hasValue());
    server.reset();
    QTRY_COMPARE(client.state(), IpcClient::State::Connecting);

    server = std::make_unique<IpcServer>();
    QVERIFY(server->retainedTopics().isEmpty());
    QVERIFY(server->retain(QStringLiteral("fresh"), 2));
    QVERIFY(server->listen(socketPath()));
    QTRY_COMPARE(client.state(), IpcClient::State::Connected);
    QTRY_VERIFY(fresh.hasValue());
    QCOMPARE(fresh.lastMessage().toInt(), 2);
    QCOMPARE(old.count(), 1);  // nothing new on "old"
    QCOMPARE(server->retainedTopics(), QStringList{QStringLiteral("fresh")});
}

#include "tst_ipcserver.moc"
