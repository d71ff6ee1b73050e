#include "ipctestsupport.h"
#include "testpeer.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcMessageModel>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcTopic>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qpoint.h>
#include <QtCore/qpointer.h>
#include <QtCore/qscopeguard.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qlocalserver.h>
#include <QtNetwork/qlocalsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <thread>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using IpcTest::connectedClient;
using IpcTest::frameBytes;

class tst_IpcClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();

    void defaults();
    void delaysAreFixedOrRanges();
    void randomDelaysStayInTheirRange();
    void retriesUntilServerAppears();
    void retryWaitsAtLeastRetryDelay();
    void statesFollowTheConnection();
    void reconnectsAfterServerProcessIsKilled();
    void reconnectsAfterServerRestartsInProcess();
    void connectToServerTwiceIsRefused();
    void connectedComesFromTheEventLoop();
    void firstFailedConnectOfAnOutageIsAnError();
    void tokenNeverReachesAServerThatDoesNotHoldIt_data();
    void tokenNeverReachesAServerThatDoesNotHoldIt();
    void serverOfAnotherUserIsRefused();
    void connectFailuresSayWhatToDo_data();
    void connectFailuresSayWhatToDo();

    void sendsAndReceivesThroughARealServer();
    void topicAndFunctorSubscriptions();
    void sendWhileNotConnectedIsNoServerError();
    void sendAfterCloseIsSendAfterCloseError();
    void unencodableMessageIsEncodeError();
    void unencodableMessageIsEncodeErrorWhileNotConnected();

    void closeWhileUnconnectedEmitsClosedAtOnce();
    void closeStopsRetrying();
    void messageSentRightBeforeCloseIsDelivered();
    void noReconnectAfterClose();
    void canConnectAgainAfterClose();

    void malformedFrameFromServerIsDecodeErrorThenReconnect();
    void oversizedFrameFromServerIsFrameTooLargeError();
    void greetingHoldsConnectedUntilTheRetainedMessages();
    void serverThatSpeaksFirstIsConnectedAtOnce();
    void silentServerIsConnectedAfterItsSilence();
    void serverThatLeavesBeforeGreetingIsAFailedAttempt();
    void clientDeletedFromReconnectedConnectedIsSafe();
    void worksInAWorkerThread();
    void serverThatDoesNotReadFailsSendsNotMemory();
    void lostServerIsReportedFromTheEventLoopNotFromSend_data();
    void lostServerIsReportedFromTheEventLoopNotFromSend();

    void queuedMessagesGoOutInOrderBeforeConnected();
    void queueOverflowIsQueueFullError();
    void queueCarriesMessagesAcrossAReconnect();
    void closeDiscardsTheQueue();
    void unencodableMessageIsRefusedWhenQueued();
    void backoffGrowsWithJitterUpToItsCap();
    void backoffPropertiesAreClampedAndNotify();
    void closeGivesUpOnAServerThatDoesNotReadAfterCloseTimeout();
    void timersKeepFiringWhileAPeerFloods();
    void everythingAPeerSentBeforeLeavingArrives();
    void closingOnRetainedStateBeforeConnectedStaysClosed();

private:
    QString socketPath() const { return m_dir.socketPath(); }
    IpcTest::SocketDir m_dir;
};

void tst_IpcClient::init()
{
    m_dir.renew();
}

void tst_IpcClient::defaults()
{
    IpcClient client;
    QCOMPARE(client.state(), IpcClient::State::Unconnected);
    QCOMPARE(client.retryDelay(), 1000);  // as in the Node library
    QCOMPARE(client.reconnectDelay(), 100);
    QCOMPARE(client.retryDelayMax(), -1);
    QCOMPARE(client.maxFrameSize(), 64 * 1024 * 1024);
    QCOMPARE(client.error(), IpcError::NoError);
}

void tst_IpcClient::delaysAreFixedOrRanges()
{
    IpcClient client;
    QSignalSpy retrySpy(&client, &IpcClient::retryDelayChanged);
    client.setRetryDelay(300);
    QCOMPARE(client.retryDelay(), 300);
    QCOMPARE(client.retryDelayMax(), -1);  // fixed
    client.setRetryDelay(200, 500);
    QCOMPARE(client.retryDelay(), 200);
    QCOMPARE(client.retryDelayMax(), 500);
    client.setRetryDelay(200, 500);
    QCOMPARE(retrySpy.count(), 2);  // no change, no signal

    // Either order gives the same range, as QML assigns properties in no fixed order.
    IpcClient minFirst;
    minFirst.setRetryDelay(100);
    minFirst.setRetryDelayMax(900);
    IpcClient maxFirst;
    maxFirst.setRetryDelayMax(900);
    maxFirst.setRetryDelay(100);
    for (const IpcClient *c : {&minFirst, &maxFirst}) {
        QCOMPARE(c->retryDelay(), 100);
        QCOMPARE(c->retryDelayMax(), 900);
    }

    QSignalSpy reconnectSpy(&client, &IpcClient::reconnectDelayChanged);
    client.setReconnectDelay(10, 20);
    QCOMPARE(client.reconnectDelay(), 10);
    QCOMPARE(client.reconnectDelayMax(), 20);
    client.setReconnectDelay(15);  // the range stays: [15, 20]
    QCOMPARE(client.reconnectDelayMax(), 20);
    client.setReconnectDelayMax(-1);
    QCOMPARE(client.reconnectDelayMax(), -1);
    QCOMPARE(reconnectSpy.count(), 3);
}

void tst_IpcClient::randomDelaysStayInTheirRange()
{
    IpcClient client;
    client.setRetryDelayMax(120);  // set before the minimum, as QML may
    client.setRetryDelay(60);
    QList<qint64> at;
    QElapsedTimer clock;
    clock.start();
    connect(&client, &IpcClient::connectError, this, [&] { at.append(clock.elapsed()); });
    client.connectToServer(socketPath());
    QTRY_VERIFY_WITH_TIMEOUT(at.size() >= 9, 5000);
    client.close();
    // Coarse timers may fire up to 5 % early. Drawn from [60, 120], eight waits all under
    // 75 ms would happen once in 65,000 runs; a fixed 60 ms delay would do it every time.
    qint64 longest = 0;
    for (int i = 1; i < at.size(); ++i) {
        QVERIFY2(at[i] - at[i - 1] >= 57, qPrintable(QString::number(at[i] - at[i - 1])));
        longest = qMax(longest, at[i] - at[i - 1]);
    }
    QVERIFY2(longest >= 75, qPrintable(QString::number(longest)));
}

void tst_IpcClient::retriesUntilServerAppears()
{
    IpcClient client;
    client.setRetryDelay(20, 40);
    QSignalSpy connectErrorSpy(&client, &IpcClient::connectError);
    QSignalSpy connectedSpy(&client, &IpcClient::connected);
    QSignalSpy reconnectedSpy(&client, &IpcClient::reconnected);
    client.connectToServer(socketPath());
    QCOMPARE(client.state(), IpcClient::State::Connecting);
    QTRY_VERIFY(connectErrorSpy.count() >= 3);
    QVERIFY(connectErrorSpy.at(0).at(0).toString().contains(socketPath()));
    QCOMPARE(client.state(), IpcClient::State::Connecting);
    QCOMPARE(connectedSpy.count(), 0);

    IpcServer server;
    QSignalSpy serverSpy(&server, &IpcServer::clientConnected);
    QVERIFY(server.listen(socketPath()));
    QTRY_COMPARE(connectedSpy.count(), 1);
    QCOMPARE(client.state(), IpcClient::State::Connected);
    QCOMPARE(reconnectedSpy.count(), 0);  // a first connection is not a reconnect
    QTRY_COMPARE(serverSpy.count(), 1);
}

void tst_IpcClient::retryWaitsAtLeastRetryDelay()
{
    IpcClient client;
    client.setRetryDelay(150);
    QList<qint64> at;
    QElapsedTimer clock;
    clock.start();
    connect(&client, &IpcClient::connectError, this, [&] { at.append(clock.elapsed()); });
    client.connectToServer(socketPath());
    QTRY_VERIFY_WITH_TIMEOUT(at.size() >= 3, 5000);
    client.close();
    // Timers may fire a little early (coarse timers: up to 5 %), never much.
    for (int i = 1; i < at.size(); ++i)
        QVERIFY2(at[i] - at[i - 1] >= 140, qPrintable(QString::number(at[i] - at[i - 1])));
}

void tst_IpcClient::statesFollowTheConnection()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    IpcClient client;
    client.setReconnectDelay(20);
    client.setRetryDelay(20);
    QSignalSpy stateSpy(&client, &IpcClient::stateChanged);
    QSignalSpy serverSpy(&server, &IpcServer::clientConnected);
    client.connectToServer(socketPath());
    QTRY_COMPARE(client.state(), IpcClient::State::Connected);
    QTRY_COMPARE(serverSpy.count(), 1);

    server.disconnectClient(serverSpy.at(0).at(0).toString());
    QTRY_COMPARE(serverSpy.count(), 2);  // it came back
    QTRY_COMPARE(client.state(), IpcClient::State::Connected);
    QSignalSpy closedSpy(&client, &IpcClient::closed);
    client.close();
    QCOMPARE(client.state(), IpcClient::State::Closed);
    QTRY_COMPARE(closedSpy.count(), 1);

    QList<IpcClient::State> states;
    for (const QList<QVariant> &args : stateSpy)
        states.append(args.at(0).value<IpcClient::State>());
    using S = IpcClient::State;
    QCOMPARE(states,
             (QList<S>{S::Connecting, S::Connected, S::Connecting, S::Connected, S::Closed}));
}

void tst_IpcClient::reconnectsAfterServerProcessIsKilled()
{
    auto server = std::make_unique<TestPeer>();
    server->startTestPeer({QStringLiteral("server"), socketPath()});
    QTRY_VERIFY(server->has("listening"));

    IpcClient client;
    client.setRetryDelay(50);
    client.setReconnectDelay(50);
    QSignalSpy connectedSpy(&client, &IpcClient::connected);
    QSignalSpy disconnectedSpy(&client, &IpcClient::disconnected);
    QSignalSpy reconnectedSpy(&client, &IpcClient::reconnected);
    QSignalSpy messageSpy(&client, &IpcClient::messageReceived);
    client.connectToServer(socketPath());
    QTRY_COMPARE(connectedSpy.count(), 1);
    QTRY_COMPARE(server->count("clientConnected"), 1);

    // SIGKILL: the server leaves its socket file behind.
    server->kill();
    QTRY_COMPARE(disconnectedSpy.count(), 1);
    QCOMPARE(client.state(), IpcClient::State::Connecting);
    QVERIFY(QFile::exists(socketPath()));

    server = std::make_unique<TestPeer>();
    server->startTestPeer({QStringLiteral("server"), socketPath()});
    QTRY_VERIFY(server->has("listening"));  // it took over the stale socket file
    QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.count(), 2, 10000);
    QCOMPARE(reconnectedSpy.count(), 1);
    QTRY_COMPARE(server->count("clientConnected"), 1);

    QVERIFY(client.send(QStringLiteral("back"), QVariantMap{{"again", true}}));
    QTRY_COMPARE(server->count("message", "back"), 1);
    server->command({{"broadcast", "welcome"}, {"message", "back"}});
    QTRY_COMPARE(messageSpy.count(), 1);
    QCOMPARE(messageSpy.at(0).at(0).toString(), QStringLiteral("welcome"));
}

void tst_IpcClient::reconnectsAfterServerRestartsInProcess()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    std::unique_ptr<IpcClient> client = connectedClient(server);
    QSignalSpy disconnectedSpy(client.get(), &IpcClient::disconnected);
    QSignalSpy reconnectedSpy(client.get(), &IpcClient::reconnected);
    QSignalSpy connectErrorSpy(client.get(), &IpcClient::connectError);

    QSignalSpy closedSpy(&server, &IpcServer::closed);
    server.close();
    QTRY_COMPARE(closedSpy.count(), 1);
    QTRY_COMPARE(disconnectedSpy.count(), 1);
    QTRY_VERIFY(connectErrorSpy.count() >= 1);  // nobody listens for a while
    QCOMPARE(client->state(), IpcClient::State::Connecting);

    QSignalSpy serverSpy(&server, &IpcServer::clientConnected);
    QVERIFY(server.listen());
    QTRY_COMPARE(reconnectedSpy.count(), 1);
    QTRY_COMPARE(serverSpy.count(), 1);
    QCOMPARE(server.clientCount(), 1);
}

void tst_IpcClient::connectToServerTwiceIsRefused()
{
    IpcClient client;
    client.setRetryDelay(1000);
    client.connectToServer(socketPath());
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("already connecting")));
    client.connectToServer(socketPath());
    QCOMPARE(client.state(), IpcClient::State::Connecting);
}

void tst_IpcClient::connectedComesFromTheEventLoop()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    IpcClient client;
    bool returned = false;
    bool connectedBeforeReturn = false;
    connect(&client, &IpcClient::connected, this, [&] { connectedBeforeReturn = !returned; });
    // A local connect can succeed at once; the signal must still wait for the event loop,
    // or code that connects to it right after this call would miss it.
    client.connectToServer(socketPath());
    returned = true;
    QSignalSpy connectedSpy(&client, &IpcClient::connected);
    QTRY_COMPARE(connectedSpy.count(), 1);
    QVERIFY(!connectedBeforeReturn);
}

void tst_IpcClient::firstFailedConnectOfAnOutageIsAnError()
{
    // A mistyped path must not retry in silence: the first failure is errorOccurred, and
    // error() says so; the retries that follow are connectError only.
    IpcClient client;
    client.setRetryDelay(10);
    client.setReconnectDelay(10);
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    QSignalSpy connectErrorSpy(&client, &IpcClient::connectError);
    client.connectToServer(socketPath());
    QTRY_VERIFY(connectErrorSpy.count() >= 5);
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::NoServerError);
    QCOMPARE(errorSpy.at(0).at(1).toString(), connectErrorSpy.at(0).at(0).toString());
    QCOMPARE(client.error(), IpcError::NoServerError);
    QCOMPARE(client.errorString(), connectErrorSpy.at(0).at(0).toString());

    // Connected, then the server goes: a new outage, reported once again.
    auto server = std::make_unique<IpcServer>();
    QSignalSpy connectedSpy(&client, &IpcClient::connected);
    QVERIFY(server->listen(socketPath()));
    QTRY_COMPARE(connectedSpy.count(), 1);
    QCOMPARE(errorSpy.count(), 1);
    server.reset();
    const int before = connectErrorSpy.count();
    QTRY_VERIFY(connectErrorSpy.count() >= before + 5);
    QCOMPARE(errorSpy.count(), 2);
    QCOMPARE(errorSpy.at(1).at(0).value<IpcError::Error>(), IpcError::NoServerError);

    // connectToServer() again after close() starts a new outage too.
    client.close();
    client.connectToServer(socketPath() + QStringLiteral(".other"));
    QTRY_COMPARE(errorSpy.count(), 3);
    QVERIFY(errorSpy.at(2).at(1).toString().contains(QStringLiteral(".other")));
}

void tst_IpcClient::tokenNeverReachesAServerThatDoesNotHoldIt_data()
{
    QTest::addColumn<bool>("challenges");
    QTest::newRow("impostor says nothing") << false;
    QTest::newRow("impostor challenges, cannot prove") << true;
}

void tst_IpcClient::tokenNeverReachesAServerThatDoesNotHoldIt()
{
    // Someone listening first on the path (or port) must learn neither the token nor what
    // the client sends: the client speaks only after a challenge, answers it with a proof,
    // and sends nothing more until the server has proved it holds the token too.
    QFETCH(bool, challenges);
    const QByteArray token = "correct horse battery staple";
    const QByteArray payload = "the payload nobody else may read";
    QLocalServer impostor;
    QVERIFY(impostor.listen(socketPath()));
    QByteArray heard;
    QLocalSocket *victim = nullptr;
    connect(&impostor, &QLocalServer::newConnection, this, [&] {
        victim = impostor.nextPendingConnection();
        connect(victim, &QLocalSocket::readyRead, this, [&] {
            heard += victim->readAll();
            if (challenges && heard.endsWith(QByteArray(2, '\0'))) {  // its answer: a fake proof
                victim->write(QByteArray(R"({"topic":"socketipc.auth","message":{"proof":")")
                              + QByteArray(32, 'p').toBase64() + "\"}}" + QByteArray(2, '\0'));
            }
        });
        if (challenges) {
            victim->write(QByteArray(R"({"topic":"socketipc.auth","message":{"nonce":")")
                          + QByteArray(32, 'n').toBase64() + "\"}}" + QByteArray(2, '\0'));
        }
    });

    IpcClient client;
    client.setAuthToken(QString::fromLatin1(token));
    client.setMaxQueuedMessages(10);
    client.setRetryDelay(5000);
    QSignalSpy connectedSpy(&client, &IpcClient::connected);
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    client.connectToServer(socketPath());
    QVERIFY(client.send(QStringLiteral("t"), QString::fromLatin1(payload)));  // queued
    QTRY_VERIFY(victim);
    if (challenges) {
        QTRY_COMPARE(errorSpy.count(), 1);
        QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::ClientRefusedError);
        QVERIFY2(errorSpy.at(0).at(1).toString().contains(QLatin1String("could not prove")),
                 qPrintable(errorSpy.at(0).at(1).toString()));
        QVERIFY(heard.contains("proof"));  // it did answer the challenge
    } else {
        QTest::qWait(300);
    }
    QCOMPARE(connectedSpy.count(), 0);
    QVERIFY2(!heard.contains(token) && !heard.contains(token.toBase64()), heard.constData());
    QVERIFY2(!heard.contains(payload), heard.constData());
    QCOMPARE(client.queuedMessageCount(), 1);  // still waiting for a real server
}

void tst_IpcClient::serverOfAnotherUserIsRefused()
{
    // expectedServerUserId: a server running as someone else is not talked to at all.
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);
    IpcClient client;
    client.setRetryDelay(5000);
    client.setMaxQueuedMessages(10);
    QCOMPARE(client.expectedServerUserId(), -1);
    client.setExpectedServerUserId(int(::getuid()) + 1);
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    client.connectToServer(socketPath());
    QVERIFY(client.send(QStringLiteral("t"), 1));
    QTRY_COMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::ClientRefusedError);
    QVERIFY2(errorSpy.at(0).at(1).toString().contains(QString::number(::getuid())),
             qPrintable(errorSpy.at(0).at(1).toString()));
    QVERIFY(!client.isConnected());

    IpcClient mine;
    mine.setExpectedServerUserId(int(::getuid()));
    mine.connectToServer(socketPath());
    QTRY_VERIFY(mine.isConnected());
    QVERIFY(mine.send(QStringLiteral("t"), 2));
    QTRY_COMPARE(serverMessages.count(), 1);
    QCOMPARE(serverMessages.at(0).at(1), QVariant(2));  // never the other client's
}

void tst_IpcClient::connectFailuresSayWhatToDo_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("no file") << QStringLiteral("missing")
                             << QStringLiteral("no socket at %1 (is the server running?)");
    QTest::newRow("stale file") << QStringLiteral("stale")
                                << QStringLiteral("a socket file exists at %1 but no server is "
                                                  "listening");
    QTest::newRow("no server on TCP") << QStringLiteral("tcp")
                                      << QStringLiteral("no server listens on %1 (is the server "
                                                        "running?)");
}

void tst_IpcClient::connectFailuresSayWhatToDo()
{
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    QString address = socketPath();
    if (kind == QLatin1String("stale")) {
        // What a crashed server leaves: a socket file nobody listens on.
        QVERIFY(IpcTest::makeStaleSocketFile(address));
        QVERIFY(QFileInfo::exists(address));
    } else if (kind == QLatin1String("tcp")) {
        // A port that was free a moment ago: listen on port 0, note it, stop.
        IpcServer probe;
        QVERIFY(probe.listen(QStringLiteral("tcp://127.0.0.1:0")));
        address = probe.listeningAddress();
        probe.close();
    }
    IpcClient client;
    client.setRetryDelay(1000);
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    client.connectToServer(address);
    QTRY_COMPARE(errorSpy.count(), 1);
    QCOMPARE(client.errorString().left(expected.arg(address).size()), expected.arg(address));
    QVERIFY2(!client.errorString().contains(QLatin1String("QLocalSocket")),
             qPrintable(client.errorString()));
}

void tst_IpcClient::sendsAndReceivesThroughARealServer()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    std::unique_ptr<IpcClient> client = connectedClient(server);
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);
    QSignalSpy clientMessages(client.get(), &IpcClient::messageReceived);

    const QVariantMap message{{"text", "héllo ✓ 🎉"},
                              {"nested", QVariantMap{{"list", QVariantList{1, 2.5, "x", true}}}},
                              {"nothing", QVariant::fromValue(nullptr)}};
    QVERIFY(client->send(QStringLiteral("up"), message));
    QVERIFY(client->send(QString(), 1));  // an empty topic travels as "none"
    QTRY_COMPARE(serverMessages.count(), 2);
    QCOMPARE(serverMessages.at(0).at(0).toString(), QStringLiteral("up"));
    QCOMPARE(serverMessages.at(0).at(1), QVariant(message));
    QCOMPARE(serverMessages.at(1).at(0).toString(), QStringLiteral("none"));
    const QString id = serverMessages.at(0).at(2).toString();

    QVERIFY(server.send(QStringLiteral("down"), QVariantList{"a", QVariantMap{{"b", 2}}}, id));
    QTRY_COMPARE(clientMessages.count(), 1);
    QCOMPARE(clientMessages.at(0).at(0).toString(), QStringLiteral("down"));
    QCOMPARE(clientMessages.at(0).at(1), QVariant(QVariantList{"a", QVariantMap{{"b", 2}}}));
}

void tst_IpcClient::topicAndFunctorSubscriptions()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    std::unique_ptr<IpcClient> client = connectedClient(server);
    const QString id = server.clientIds().first();

    IpcTopic *weather = client->topic(QStringLiteral("weather"));
    QCOMPARE(client->topic(QStringLiteral("weather")), weather);
    QSignalSpy weatherSpy(weather, &IpcTopic::messageReceived);
    QVariantList news;
    const auto connection = client->on(QStringLiteral("news"), this,
                                       [&](const QVariant &message) { news.append(message); });
    QSignalSpy allSpy(client.get(), &IpcClient::messageReceived);

    server.send(QStringLiteral("weather"), QVariantMap{{"temperature", 21}}, id);
    server.broadcast(QStringLiteral("news"), "first");
    server.broadcast(QStringLiteral("sports"), "ignored");
    QTRY_COMPARE(allSpy.count(), 3);
    QCOMPARE(weatherSpy.count(), 1);
    QCOMPARE(weather->lastMessage().toMap().value("temperature").toInt(), 21);
    QVERIFY(weather->lastClientId().isEmpty());  // clients have one peer: the server
    QCOMPARE(news, QVariantList{"first"});

    QObject::disconnect(connection);
    server.broadcast(QStringLiteral("news"), "second");
    QTRY_COMPARE(allSpy.count(), 4);
    QCOMPARE(news.size(), 1);
}

void tst_IpcClient::sendWhileNotConnectedIsNoServerError()
{
    IpcClient client;
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    QVERIFY(!client.send(QStringLiteral("t"), 1));
    client.setRetryDelay(1000);
    client.connectToServer(socketPath());  // nobody there
    QVERIFY(!client.send(QStringLiteral("t"), 1));
    QCOMPARE(errorSpy.count(), 2);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::NoServerError);
    QCOMPARE(errorSpy.at(1).at(0).value<IpcError::Error>(), IpcError::NoServerError);
    QCOMPARE(client.error(), IpcError::NoServerError);
    QVERIFY(!client.errorString().isEmpty());
}

void tst_IpcClient::sendAfterCloseIsSendAfterCloseError()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    std::unique_ptr<IpcClient> client = connectedClient(server);
    client->close();
    QSignalSpy errorSpy(client.get(), &IpcClient::errorOccurred);
    QVERIFY(!client->send(QStringLiteral("t"), 1));
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::SendAfterCloseError);
}

void tst_IpcClient::unencodableMessageIsEncodeError()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    std::unique_ptr<IpcClient> client = connectedClient(server);
    QSignalSpy errorSpy(client.get(), &IpcClient::errorOccurred);
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);
    QVERIFY(!client->send(QStringLiteral("bad"), std::numeric_limits<double>::infinity()));
    QVERIFY(!client->send(QStringLiteral("bad"), QByteArray("raw bytes")));
    QCOMPARE(errorSpy.count(), 2);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::EncodeError);
    QCOMPARE(errorSpy.at(1).at(0).value<IpcError::Error>(), IpcError::EncodeError);
    QVERIFY(client->send(QStringLiteral("good"), 1));
    QTRY_COMPARE(serverMessages.count(), 1);
    QCOMPARE(serverMessages.at(0).at(0).toString(), QStringLiteral("good"));
    QCOMPARE(client->state(), IpcClient::State::Connected);
}

void tst_IpcClient::unencodableMessageIsEncodeErrorWhileNotConnected()
{
    // What could never be sent says so whether a server is there or not.
    IpcClient client;
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    QVERIFY(!client.send(QStringLiteral("bad"), QByteArray("raw bytes")));
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(client.error(), IpcError::EncodeError);
    QVERIFY(!client.send(QStringLiteral("fine"), 1));
    QCOMPARE(client.error(), IpcError::NoServerError);

    IpcReply *reply = client.request(QStringLiteral("bad"), QPoint(1, 2));
    QSignalSpy finished(reply, &IpcReply::finished);
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(reply->error(), IpcError::EncodeError);
    QVERIFY2(reply->errorString().contains(QLatin1String("QPoint")),
             qPrintable(reply->errorString()));
}

void tst_IpcClient::closeWhileUnconnectedEmitsClosedAtOnce()
{
    IpcClient client;
    QSignalSpy closedSpy(&client, &IpcClient::closed);
    client.close();
    QCOMPARE(closedSpy.count(), 1);
    QCOMPARE(client.state(), IpcClient::State::Closed);
    client.close();
    QCOMPARE(closedSpy.count(), 1);
}

void tst_IpcClient::closeStopsRetrying()
{
    IpcClient client;
    client.setRetryDelay(20);
    QSignalSpy connectErrorSpy(&client, &IpcClient::connectError);
    QSignalSpy closedSpy(&client, &IpcClient::closed);
    client.connectToServer(socketPath());
    QTRY_VERIFY(connectErrorSpy.count() >= 2);
    client.close();
    QCOMPARE(closedSpy.count(), 1);
    const int errors = connectErrorSpy.count();

    // A server appears: a closed client must not connect to it.
    IpcServer server;
    QSignalSpy serverSpy(&server, &IpcServer::clientConnected);
    QVERIFY(server.listen(socketPath()));
    QTest::qWait(200);
    QCOMPARE(connectErrorSpy.count(), errors);
    QCOMPARE(serverSpy.count(), 0);
}

void tst_IpcClient::messageSentRightBeforeCloseIsDelivered()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    std::unique_ptr<IpcClient> client = connectedClient(server);
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);
    QSignalSpy serverDisconnects(&server, &IpcServer::clientDisconnected);
    QSignalSpy closedSpy(client.get(), &IpcClient::closed);

    const QString big(8 * 1024 * 1024, QLatin1Char('q'));  // more than one socket buffer
    QVERIFY(client->send(QStringLiteral("small"), 1));
    QVERIFY(client->send(QStringLiteral("big"), big));
    client->close();
    QCOMPARE(client->state(), IpcClient::State::Closed);
    QTRY_COMPARE(closedSpy.count(), 1);
    QTRY_COMPARE(serverDisconnects.count(), 1);
    QCOMPARE(serverMessages.count(), 2);
    QCOMPARE(serverMessages.at(1).at(1).toString().size(), big.size());
}

void tst_IpcClient::noReconnectAfterClose()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    std::unique_ptr<IpcClient> client = connectedClient(server);
    QSignalSpy serverConnects(&server, &IpcServer::clientConnected);
    QSignalSpy serverDisconnects(&server, &IpcServer::clientDisconnected);
    QSignalSpy disconnectedSpy(client.get(), &IpcClient::disconnected);
    client->close();
    QTRY_COMPARE(serverDisconnects.count(), 1);
    QTest::qWait(200);  // several reconnect delays
    QCOMPARE(serverConnects.count(), 0);
    QCOMPARE(disconnectedSpy.count(), 0);  // closing is not an unexpected disconnect
    QCOMPARE(server.clientCount(), 0);
}

void tst_IpcClient::canConnectAgainAfterClose()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    std::unique_ptr<IpcClient> client = connectedClient(server);
    QSignalSpy closedSpy(client.get(), &IpcClient::closed);
    client->close();
    QTRY_COMPARE(closedSpy.count(), 1);

    QSignalSpy connectedSpy(client.get(), &IpcClient::connected);
    QSignalSpy reconnectedSpy(client.get(), &IpcClient::reconnected);
    client->connectToServer();
    QTRY_COMPARE(connectedSpy.count(), 1);
    QCOMPARE(reconnectedSpy.count(), 0);
    QTRY_COMPARE(server.clientCount(), 1);
}

void tst_IpcClient::malformedFrameFromServerIsDecodeErrorThenReconnect()
{
    // A raw server that answers each connection with garbage.
    QLocalServer raw;
    QVERIFY(raw.listen(socketPath()));
    QList<QLocalSocket *> accepted;
    connect(&raw, &QLocalServer::newConnection, this, [&] {
        QLocalSocket *socket = raw.nextPendingConnection();
        accepted.append(socket);
        if (accepted.size() == 1)
            socket->write(QByteArray("{\"topic\":\"ok\",\"message\":1}") + QByteArray(2, '\0')
                          + QByteArray("{not json") + QByteArray(2, '\0'));
    });

    IpcClient client;
    client.setReconnectDelay(20);
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    QSignalSpy messageSpy(&client, &IpcClient::messageReceived);
    QSignalSpy disconnectedSpy(&client, &IpcClient::disconnected);
    QSignalSpy reconnectedSpy(&client, &IpcClient::reconnected);
    client.connectToServer(socketPath());
    QTRY_COMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::DecodeError);
    QCOMPARE(messageSpy.count(), 1);  // the good frame before it was delivered
    QTRY_COMPARE(disconnectedSpy.count(), 1);
    QTRY_COMPARE(reconnectedSpy.count(), 1);
    QCOMPARE(accepted.size(), 2);
}

void tst_IpcClient::oversizedFrameFromServerIsFrameTooLargeError()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    std::unique_ptr<IpcClient> client = connectedClient(server);
    client->setMaxFrameSize(1024);
    QSignalSpy errorSpy(client.get(), &IpcClient::errorOccurred);
    QSignalSpy messageSpy(client.get(), &IpcClient::messageReceived);
    server.broadcast(QStringLiteral("small"), QString(100, QLatin1Char('s')));
    server.broadcast(QStringLiteral("large"), QString(4096, QLatin1Char('l')));
    QTRY_COMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::FrameTooLargeError);
    QCOMPARE(messageSpy.count(), 1);
    QCOMPARE(messageSpy.at(0).at(0).toString(), QStringLiteral("small"));
}

// Appends each message's topic, and "connected", to *order as they come.
static void recordOrder(IpcClient &client, QStringList *order)
{
    QObject::connect(&client, &IpcClient::messageReceived, &client,
                     [order](const QString &topic) { order->append(topic); });
    QObject::connect(&client, &IpcClient::connected, &client,
                     [order] { order->append(QStringLiteral("connected")); });
}

void tst_IpcClient::greetingHoldsConnectedUntilTheRetainedMessages()
{
    // What an IpcServer sends first, written by hand: the greeting says two retained messages
    // follow; connected() comes after both, and what follows them after it.
    QLocalServer raw;
    QVERIFY(raw.listen(socketPath()));
    connect(&raw, &QLocalServer::newConnection, this, [&] {
        QLocalSocket *socket = raw.nextPendingConnection();
        socket->write(frameBytes(R"({"topic":"socketipc.hello","message":{"retained":2}})")
                      + frameBytes(R"({"topic":"a","message":1})")
                      + frameBytes(R"({"topic":"b","message":2})")
                      + frameBytes(R"({"topic":"later","message":3})"));
    });
    IpcClient client;
    QStringList order;
    recordOrder(client, &order);
    client.connectToServer(socketPath());
    QTRY_COMPARE(order.size(), 4);
    QCOMPARE(order, (QStringList{"a", "b", "connected", "later"}));
}

void tst_IpcClient::serverThatSpeaksFirstIsConnectedAtOnce()
{
    // A server that does not greet but sends a message first (the Node original's examples
    // say hello on 'connection'): connected(), then the message, with no wait.
    QLocalServer raw;
    QVERIFY(raw.listen(socketPath()));
    connect(&raw, &QLocalServer::newConnection, this, [&] {
        raw.nextPendingConnection()->write(frameBytes(R"({"topic":"hello","message":"hi"})"));
    });
    IpcClient client;
    QStringList order;
    recordOrder(client, &order);
    client.connectToServer(socketPath());
    QTRY_COMPARE(order.size(), 2);
    QCOMPARE(order, (QStringList{"connected", "hello"}));
}

void tst_IpcClient::silentServerIsConnectedAfterItsSilence()
{
    // A server that says nothing (the Node original): the client waits a moment for a
    // greeting, then is connected all the same, and can talk.
    QLocalServer raw;
    QVERIFY(raw.listen(socketPath()));
    IpcClient client;
    client.setReconnectDelay(20);
    QSignalSpy connectedSpy(&client, &IpcClient::connected);
    QSignalSpy reconnectedSpy(&client, &IpcClient::reconnected);
    QElapsedTimer timer;
    timer.start();
    std::unique_ptr<QLocalSocket> peer(IpcTest::connectToRawServer(client, raw));
    QVERIFY(peer);
    QVERIFY(timer.elapsed() >= 200);  // it did wait for a greeting
    QVERIFY(client.send(QStringLiteral("t"), 1));
    const QByteArray sent = frameBytes(R"({"topic":"t","message":1})");
    QTRY_COMPARE(peer->bytesAvailable(), qint64(sent.size()));
    QCOMPARE(peer->readAll(), sent);

    // It reconnects after the server dropped it: connected again.
    peer->abort();
    QTRY_VERIFY(raw.hasPendingConnections());
    peer.reset(raw.nextPendingConnection());
    QTRY_COMPARE(reconnectedSpy.count(), 1);
    QCOMPARE(connectedSpy.count(), 2);
}

void tst_IpcClient::serverThatLeavesBeforeGreetingIsAFailedAttempt()
{
    // Accepted, then closed before any greeting: never connected, so no disconnected() either,
    // but a failed attempt, retried.
    QLocalServer raw;
    QVERIFY(raw.listen(socketPath()));
    int accepted = 0;
    connect(&raw, &QLocalServer::newConnection, this, [&] {
        ++accepted;
        raw.nextPendingConnection()->abort();
    });
    IpcClient client;
    client.setRetryDelay(20);
    QSignalSpy connectErrorSpy(&client, &IpcClient::connectError);
    QSignalSpy connectedSpy(&client, &IpcClient::connected);
    QSignalSpy disconnectedSpy(&client, &IpcClient::disconnected);
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    client.connectToServer(socketPath());
    QTRY_VERIFY(connectErrorSpy.count() >= 3);
    QCOMPARE(errorSpy.count(), 1);  // once per outage, as any failed connect
    QVERIFY(accepted >= 2);
    QVERIFY(connectErrorSpy.at(0).at(0).toString().contains(QLatin1String("before greeting")));
    QCOMPARE(connectedSpy.count(), 0);
    QCOMPARE(disconnectedSpy.count(), 0);
    QCOMPARE(client.state(), IpcClient::State::Connecting);
}

void tst_IpcClient::clientDeletedFromReconnectedConnectedIsSafe()
{
    // A slot on connected() may delete the client, on a reconnect too (ASan watches).
    auto server = std::make_unique<IpcServer>();
    QVERIFY(server->listen(socketPath()));
    auto *client = new IpcClient;
    client->setReconnectDelay(20);
    QPointer<IpcClient> watch(client);
    int connections = 0;
    connect(client, &IpcClient::connected, this, [&] {
        if (++connections == 2)
            delete client;
    });
    client->connectToServer(socketPath());
    QTRY_COMPARE(connections, 1);
    server.reset();
    server = std::make_unique<IpcServer>();
    QVERIFY(server->listen(socketPath()));
    QTRY_VERIFY(!watch);
    QCOMPARE(connections, 2);
}

void tst_IpcClient::worksInAWorkerThread()
{
    IpcServer server;
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);

    QThread thread;
    auto *client = new IpcClient;
    client->setRetryDelay(20);
    client->moveToThread(&thread);
    connect(&thread, &QThread::finished, client, &QObject::deleteLater);
    // Echo every message back, from the worker thread.
    connect(client, &IpcClient::messageReceived, client,
            [client](const QString &topic, const QVariant &message) {
                QVERIFY(QThread::currentThread() != QCoreApplication::instance()->thread());
                client->send(topic + QLatin1String("-echo"), message);
            });
    QSignalSpy connectedSpy(client, &IpcClient::connected);
    QSignalSpy connectErrorSpy(client, &IpcClient::connectError);
    thread.start();
    QMetaObject::invokeMethod(client,
                              [client, path = socketPath()] { client->connectToServer(path); });
    // Retries run on the worker thread's timers.
    QTRY_VERIFY(connectErrorSpy.count() >= 2);
    QVERIFY(server.listen(socketPath()));
    QTRY_COMPARE(connectedSpy.count(), 1);
    QTRY_COMPARE(server.clientCount(), 1);

    server.broadcast(QStringLiteral("work"), QVariantMap{{"n", 7}});
    QTRY_COMPARE(serverMessages.count(), 1);
    QCOMPARE(serverMessages.at(0).at(0).toString(), QStringLiteral("work-echo"));
    QCOMPARE(serverMessages.at(0).at(1).toMap().value("n").toInt(), 7);

    // A model in this thread logs the worker's client: its rows are this thread's (the
    // worker's reads are not waited for here).
    IpcMessageModel model;
    model.setSource(client);
    model.setTopic(QStringLiteral("log"));
    for (int i = 0; i < 50; ++i)
        server.broadcast(QStringLiteral("log"), i);
    QTRY_COMPARE(model.count(), 50);
    QCOMPARE(model.get(49).value(QStringLiteral("message")).toInt(), 49);

    QMetaObject::invokeMethod(client, &IpcClient::close);
    QTRY_COMPARE(server.clientCount(), 0);
    thread.quit();
    QVERIFY(thread.wait(5000));
}

void tst_IpcClient::serverThatDoesNotReadFailsSendsNotMemory()
{
    // A server that accepts and never reads.
    QLocalServer raw;
    QVERIFY(raw.listen(socketPath()));
    QList<QLocalSocket *> accepted;
    connect(&raw, &QLocalServer::newConnection, this, [&] {
        QLocalSocket *socket = raw.nextPendingConnection();
        socket->setReadBufferSize(1);  // Qt stops reading from the kernel: nothing drains
        accepted.append(socket);
    });

    IpcClient client;
    QCOMPARE(client.maxPendingBytes(), IpcClient::DefaultMaxPendingBytes);
    client.setMaxPendingBytes(1024 * 1024);
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    client.connectToServer(socketPath());
    QTRY_VERIFY(client.isConnected());
    QTRY_COMPARE(accepted.size(), 1);

    const QString padding(64 * 1024, QLatin1Char('x'));
    int sent = 0;
    for (int i = 0; i < 64 && errorSpy.isEmpty(); ++i) {
        if (client.send(QStringLiteral("flood"), padding))
            ++sent;
        QCoreApplication::processEvents();
    }
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::WriteBufferFullError);
    QVERIFY(sent >= 8);  // the limit's worth got out first
    QVERIFY(sent < 64);
    QCOMPARE(client.state(), IpcClient::State::Connected);  // only the message failed
}

void tst_IpcClient::lostServerIsReportedFromTheEventLoopNotFromSend_data()
{
    QTest::addColumn<int>("size");
    QTest::newRow("small") << 100;
    QTest::newRow("large (written at once)") << 70000;
}

void tst_IpcClient::lostServerIsReportedFromTheEventLoopNotFromSend()
{
    QFETCH(int, size);
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    std::unique_ptr<IpcClient> client = connectedClient(server);
    QSignalSpy disconnectedSpy(client.get(), &IpcClient::disconnected);
    server.disconnectClient(server.clientIds().first());  // gone at once: nothing pending
    // Whatever the size, send() returns before the client says anything about the loss.
    QVERIFY(client->send(QStringLiteral("late"), QString(size, QLatin1Char('x'))));
    QCOMPARE(disconnectedSpy.count(), 0);
    QTRY_COMPARE(disconnectedSpy.count(), 1);
}

void tst_IpcClient::queuedMessagesGoOutInOrderBeforeConnected()
{
    IpcClient client;
    client.setRetryDelay(20);
    client.setMaxQueuedMessages(100);
    QSignalSpy countSpy(&client, &IpcClient::queuedMessageCountChanged);
    client.connectToServer(socketPath());
    for (int i = 0; i < 50; ++i)
        QVERIFY(client.send(QStringLiteral("n"), i));
    IpcReply *reply = client.request(QStringLiteral("double"), 21);
    QCOMPARE(client.queuedMessageCount(), 51);
    QVERIFY(countSpy.count() >= 51);
    QCOMPARE(client.error(), IpcError::NoError);
    // Sent from connected(): after what waited.
    connect(&client, &IpcClient::connected, this,
            [&] { client.send(QStringLiteral("n"), QStringLiteral("from connected()")); });

    IpcServer server;
    server.handle(QStringLiteral("double"), [](const QVariant &m) { return m.toInt() * 2; });
    QVariantList received;
    connect(&server, &IpcServer::messageReceived, this,
            [&](const QString &, const QVariant &message) { received.append(message); });
    QVERIFY(server.listen(socketPath()));
    QTRY_COMPARE(received.size(), 51);
    for (int i = 0; i < 50; ++i)
        QCOMPARE(received.at(i), QVariant(i));
    QCOMPARE(received.last().toString(), QStringLiteral("from connected()"));
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::NoError);
    QCOMPARE(reply->value(), QVariant(42));
    QCOMPARE(client.queuedMessageCount(), 0);
}

void tst_IpcClient::queueOverflowIsQueueFullError()
{
    IpcClient client;
    client.setRetryDelay(1000);
    client.setMaxQueuedMessages(3);
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    QVERIFY(client.send(QStringLiteral("a"), 1));  // Unconnected also queues
    client.connectToServer(socketPath());
    QVERIFY(client.send(QStringLiteral("a"), 2));
    QVERIFY(client.send(QStringLiteral("a"), 3));
    QVERIFY(!client.send(QStringLiteral("a"), 4));
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::QueueFullError);
    QVERIFY(client.errorString().contains(QStringLiteral("maxQueuedMessages")));
    QCOMPARE(client.queuedMessageCount(), 3);
    // A request does not fit either, and learns it from its reply.
    IpcReply *reply = client.request(QStringLiteral("a"), 5);
    QVERIFY(!reply->isFinished());  // from the event loop, not inside request()
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::QueueFullError);
}

void tst_IpcClient::queueCarriesMessagesAcrossAReconnect()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    std::unique_ptr<IpcClient> client = connectedClient(server);
    client->setMaxQueuedMessages(10);
    client->setRetryDelay(50);
    QSignalSpy disconnectedSpy(client.get(), &IpcClient::disconnected);
    QSignalSpy closedSpy(&server, &IpcServer::closed);
    server.close();
    QTRY_COMPARE(closedSpy.count(), 1);
    QTRY_COMPARE(disconnectedSpy.count(), 1);
    QVERIFY(client->send(QStringLiteral("while-away"), 1));
    QVERIFY(client->send(QStringLiteral("while-away"), 2));
    QCOMPARE(client->queuedMessageCount(), 2);

    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    QVERIFY(server.listen());
    QTRY_COMPARE(messageSpy.count(), 2);
    QCOMPARE(messageSpy.at(0).at(1), QVariant(1));
    QCOMPARE(messageSpy.at(1).at(1), QVariant(2));
    QCOMPARE(client->queuedMessageCount(), 0);
}

void tst_IpcClient::closeDiscardsTheQueue()
{
    IpcClient client;
    client.setRetryDelay(1000);
    client.setMaxQueuedMessages(10);
    client.connectToServer(socketPath());
    QVERIFY(client.send(QStringLiteral("a"), 1));
    IpcReply *reply = client.request(QStringLiteral("b"), 2);
    QCOMPARE(client.queuedMessageCount(), 2);
    client.close();
    QCOMPARE(client.queuedMessageCount(), 0);
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::DisconnectedError);

    // Nothing of it reaches a server that appears later.
    IpcServer server;
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    QVERIFY(server.listen(socketPath()));
    QTest::qWait(100);
    QCOMPARE(connectedSpy.count(), 0);
    QCOMPARE(messageSpy.count(), 0);
}

void tst_IpcClient::unencodableMessageIsRefusedWhenQueued()
{
    IpcClient client;
    client.setMaxQueuedMessages(10);
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    QVERIFY(!client.send(QStringLiteral("nan"), qQNaN()));
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::EncodeError);
    QCOMPARE(client.queuedMessageCount(), 0);
}

void tst_IpcClient::backoffGrowsWithJitterUpToItsCap()
{
    IpcClient client;
    client.setRetryDelay(20);
    client.setBackoffFactor(2.0);
    client.setMaxBackoffDelay(200);
    QList<qint64> at;
    QElapsedTimer clock;
    clock.start();
    connect(&client, &IpcClient::connectError, this, [&] { at.append(clock.elapsed()); });
    client.connectToServer(socketPath());
    QTRY_VERIFY_WITH_TIMEOUT(at.size() >= 8, 10000);
    client.close();
    // Attempt n waits a random time in [d/2, d], d = min(20 * 2^n, 200): 10-20, 20-40,
    // 40-80, 80-160, then 100-200 ms. Timers may fire a little early, and late on a busy
    // machine: only the lower bounds and the cap (with slack) are asserted.
    QList<qint64> waits;
    for (int i = 1; i < at.size(); ++i)
        waits.append(at[i] - at[i - 1]);
    for (int n = 0; n < waits.size(); ++n) {
        const qint64 full = qMin<qint64>(20 << n, 200);
        QVERIFY2(waits[n] >= full / 2 - 5,
                 qPrintable(QStringLiteral("wait %1: %2 ms, expected at least %3")
                                    .arg(n)
                                    .arg(waits[n])
                                    .arg(full / 2)));
    }
    QVERIFY2(*std::max_element(waits.begin(), waits.end()) <= 200 + 150, "the cap was not applied");
    // It grew: the last waits are well above the first.
    QVERIFY(waits.last() >= 95 && waits.at(waits.size() - 2) >= 95);
}

void tst_IpcClient::backoffPropertiesAreClampedAndNotify()
{
    IpcClient client;
    QCOMPARE(client.backoffFactor(), 1.0);
    QCOMPARE(client.maxBackoffDelay(), IpcClient::DefaultMaxBackoffDelay);
    QCOMPARE(client.maxQueuedMessages(), 0);
    QSignalSpy spy(&client, &IpcClient::backoffChanged);
    client.setBackoffFactor(0.5);  // no shrinking delays: stays 1
    QCOMPARE(client.backoffFactor(), 1.0);
    QCOMPARE(spy.count(), 0);
    client.setBackoffFactor(1.5);
    client.setBackoffFactor(1.5);
    client.setMaxBackoffDelay(-3);
    QCOMPARE(client.backoffFactor(), 1.5);
    QCOMPARE(client.maxBackoffDelay(), 0);
    QCOMPARE(spy.count(), 2);
    QSignalSpy queueSpy(&client, &IpcClient::maxQueuedMessagesChanged);
    client.setMaxQueuedMessages(-1);
    QCOMPARE(client.maxQueuedMessages(), 0);
    client.setMaxQueuedMessages(5);
    QCOMPARE(queueSpy.count(), 1);
    QCOMPARE(client.property("maxQueuedMessages").toInt(), 5);
}

void tst_IpcClient::closeGivesUpOnAServerThatDoesNotReadAfterCloseTimeout()
{
    // A bare listening socket whose connections are never accepted nor read (a QLocalServer
    // would read them for us).
    const int sleeper = ::socket(AF_UNIX, SOCK_STREAM, 0);
    const auto closeSleeper = qScopeGuard([sleeper] { ::close(sleeper); });
    const sockaddr_un address = IpcTest::unixAddress(socketPath());
    QCOMPARE(::bind(sleeper, reinterpret_cast<const sockaddr *>(&address), sizeof address), 0);
    QCOMPARE(::listen(sleeper, 4), 0);
    IpcClient client;
    client.setCloseTimeout(300);
    client.setMaxPendingBytes(0);
    client.connectToServer(socketPath());
    QTRY_VERIFY(client.isConnected());
    const QString chunk(1024 * 1024, QLatin1Char('z'));
    for (int i = 0; i < 16; ++i)
        QVERIFY(client.send(QStringLiteral("bulk"), chunk));
    QSignalSpy closedSpy(&client, &IpcClient::closed);
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    client.close();
    QTest::qWait(150);
    QCOMPARE(closedSpy.count(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(closedSpy.count(), 1, 5000);
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::WriteBufferFullError);
    QCOMPARE(client.state(), IpcClient::State::Closed);
}

void tst_IpcClient::timersKeepFiringWhileAPeerFloods()
{
    // A peer that writes frames as fast as the kernel takes them, from a thread of its own:
    // the client always has more to read. It decodes at most a turn's worth (the read
    // budget) before the event loop runs again, so a 1 ms timer keeps firing while the
    // messages keep coming.
    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_un address = IpcTest::unixAddress(socketPath());
    QCOMPARE(::bind(listener, reinterpret_cast<const sockaddr *>(&address), sizeof address), 0);
    QCOMPARE(::listen(listener, 1), 0);
    QByteArray burst;
    for (int i = 0; i < 1000; ++i)
        burst += IpcTest::frameBytes(
                R"({"topic":"flood","message":{"i":1,"s":"abcdefghijklmnopqrstuvwxyz0123456789"}})");
    std::atomic<bool> stop{false};
    std::atomic<qint64> written{0};
    std::thread flooder([&] {
        const int peer = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        while (peer >= 0 && !stop) {
            const ssize_t sent = ::send(peer, burst.constData(), size_t(burst.size()), MSG_NOSIGNAL);
            if (sent <= 0)
                break;
            written += sent;
        }
        if (peer >= 0)
            ::close(peer);
    });
    const auto cleanup = qScopeGuard([&] {
        stop = true;
        ::shutdown(listener, SHUT_RDWR);  // an accept() still waiting returns
        flooder.join();
        ::close(listener);
    });

    IpcClient client;
    qint64 received = 0;
    connect(&client, &IpcClient::messageReceived, this, [&received] { ++received; });
    client.connectToServer(socketPath());
    QTRY_VERIFY(received > 0);

    int ticks = 0;
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    connect(&timer, &QTimer::timeout, this, [&ticks] { ++ticks; });
    timer.start(1);
    const qint64 receivedBefore = received;
    const qint64 writtenBefore = written;
    QTest::qWait(2000);
    timer.stop();
    const qint64 flood = received - receivedBefore;
    QVERIFY2(written - writtenBefore > 0, "the peer stopped writing");
    QVERIFY2(flood > 1000, qPrintable(QString::number(flood)));
    // Idle, the timer fires about 2000 times in 2 s; a client that read and decoded for as
    // long as the peer writes would starve it. Ten a second is the floor under any sanitizer.
    QVERIFY2(ticks >= 20,
             qPrintable(QStringLiteral("%1 ticks while %2 messages arrived").arg(ticks).arg(flood)));
    qInfo("%d timer ticks in 2 s while %lld messages arrived", ticks, static_cast<long long>(flood));
    client.close();
}

void tst_IpcClient::everythingAPeerSentBeforeLeavingArrives()
{
    // Many turns' worth of frames, then the peer closes: the frames a turn's budget left in
    // the decoder are all delivered, in order, before the connection ends.
    constexpr int Frames = 20000;
    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_un address = IpcTest::unixAddress(socketPath());
    QCOMPARE(::bind(listener, reinterpret_cast<const sockaddr *>(&address), sizeof address), 0);
    QCOMPARE(::listen(listener, 1), 0);
    QByteArray all;
    for (int i = 0; i < Frames; ++i)
        all += IpcTest::frameBytes(QByteArrayLiteral(R"({"topic":"n","message":)")
                                   + QByteArray::number(i) + '}');
    std::thread peer([&] {
        const int connection = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        qsizetype at = 0;
        while (connection >= 0 && at < all.size()) {
            const ssize_t sent = ::send(connection, all.constData() + at, size_t(all.size() - at),
                                        MSG_NOSIGNAL);
            if (sent <= 0)
                break;
            at += sent;
        }
        if (connection >= 0)
            ::close(connection);
    });
    const auto cleanup = qScopeGuard([&] {
        ::shutdown(listener, SHUT_RDWR);
        peer.join();
        ::close(listener);
    });
    IpcClient client;
    client.setReconnectDelay(60000);  // one connection: what it delivered is the test
    QList<int> received;
    connect(&client, &IpcClient::messageReceived, this,
            [&received](const QString &, const QVariant &message) { received << message.toInt(); });
    QSignalSpy disconnectedSpy(&client, &IpcClient::disconnected);
    client.connectToServer(socketPath());
    QTRY_COMPARE_WITH_TIMEOUT(disconnectedSpy.count(), 1, 20000);
    QCOMPARE(received.size(), Frames);
    for (int i = 0; i < Frames; ++i)
        QCOMPARE(received.at(i), i);
}

void tst_IpcClient::closingOnRetainedStateBeforeConnectedStaysClosed()
{
    // The retained state's notifications run user code before connected(): code that closes
    // the client there gets a closed client, not a connected() after all.
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QVERIFY(server.retain(QStringLiteral("config"), QVariantMap{{"ok", false}}));
    IpcClient client;
    IpcTopic config(QStringLiteral("config"), &client);
    connect(&config, &IpcTopic::hasValueChanged, &client, [&] {
        if (config.hasValue() && !config.lastMessage().toMap().value(QStringLiteral("ok")).toBool())
            client.close();
    });
    QSignalSpy connectedSpy(&client, &IpcClient::connected);
    QSignalSpy closedSpy(&client, &IpcClient::closed);
    client.connectToServer(socketPath());
    QTRY_COMPARE(closedSpy.count(), 1);
    QCOMPARE(connectedSpy.count(), 0);
    QCOMPARE(client.state(), IpcClient::State::Closed);
    QVERIFY(config.hasValue());
}

QTEST_GUILESS_MAIN(tst_IpcClient)
#include "tst_ipcclient.moc"
