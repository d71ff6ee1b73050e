#include "ipctestsupport.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcRequest>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcStatistics>

#include <QtNetwork/qlocalsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

// IpcStatistics: what IpcServer::statistics() and IpcClient::statistics() count, through real
// sockets, for a scripted exchange whose every message is known.
class tst_IpcStatistics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();

    void defaultIsInvalidAndEmpty();
    void scriptedExchangeIsCountedOnBothEnds();
    void totalsKeepWhatClosedConnectionsCarried();
    void requestsInFlightOnBothEnds();
    void droppedMessagesUnderDropMessages();
    void clientCountsItsQueueAndReconnects();
    void unknownClientIsInvalid();

private:
    QString socketPath() const { return m_dir.socketPath(); }
    IpcTest::SocketDir m_dir;
};

void tst_IpcStatistics::init()
{
    m_dir.renew();
}

void tst_IpcStatistics::defaultIsInvalidAndEmpty()
{
    const IpcStatistics none;
    QVERIFY(!none.isValid());
    QCOMPARE(none.messagesReceived(), 0);
    QCOMPARE(none.bytesSent(), 0);
    QVERIFY(!none.connectedSince().isValid());
    QVERIFY(!none.lastActivity().isValid());
    QCOMPARE(none.toVariantMap().value(QStringLiteral("messagesSent")).toLongLong(), 0);
}

void tst_IpcStatistics::scriptedExchangeIsCountedOnBothEnds()
{
    IpcServer server;
    server.handle(QStringLiteral("double"), [](const QVariant &m) { return m.toInt() * 2; });
    QVERIFY(server.listen(socketPath()));
    const QDateTime before = QDateTime::currentDateTime().addMSecs(-1);
    QString id;
    const auto client = IpcTest::connectedClient(server, &id);
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);
    QSignalSpy clientMessages(client.get(), &IpcClient::messageReceived);

    // Client to server: three messages and a request; server to client: two messages, a
    // broadcast and the reply.
    for (int i = 0; i < 3; ++i)
        QVERIFY(client->send(QStringLiteral("up"), i));
    IpcReply *reply = client->request(QStringLiteral("double"), 21);
    QSignalSpy finished(reply, &IpcReply::finished);
    QTRY_COMPARE(serverMessages.count(), 3);
    QVERIFY(server.send(QStringLiteral("down"), QStringLiteral("a"), id));
    QVERIFY(server.send(QStringLiteral("down"), QStringLiteral("b"), id));
    server.broadcast(QStringLiteral("all"), QVariantMap{{QStringLiteral("k"), 1}});
    QTRY_COMPARE(clientMessages.count(), 3);
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(reply->value().toInt(), 42);

    const IpcStatistics atServer = server.statistics(id);
    const IpcStatistics atClient = client->statistics();
    QVERIFY(atServer.isValid());
    QVERIFY(atClient.isValid());
    QCOMPARE(atServer.clientId(), id);
    QCOMPARE(atClient.clientId(), QString());
    QCOMPARE(atServer.messagesReceived(), 4);
    QCOMPARE(atServer.messagesSent(), 4);
    QCOMPARE(atClient.messagesSent(), 4);
    QCOMPARE(atClient.messagesReceived(), 4);
    // Every byte one end wrote, the other read (the server's greeting included).
    QCOMPARE(atServer.bytesReceived(), atClient.bytesSent());
    QCOMPARE(atClient.bytesReceived(), atServer.bytesSent());
    QVERIFY(atClient.bytesSent() > 3 * IpcTest::frameBytes(R"({"topic":"up","message":0})").size());
    QCOMPARE(atServer.pendingBytes(), 0);
    QCOMPARE(atServer.messagesDropped(), 0);
    QCOMPARE(atServer.requestsInFlight(), 0);
    QCOMPARE(atServer.connectionCount(), 1);
    QVERIFY(atServer.connectedSince() >= before);
    QVERIFY(atServer.lastActivity() >= atServer.connectedSince());
    QVERIFY(atServer.lastActivity() <= QDateTime::currentDateTime());

    const IpcStatistics total = server.statistics();
    QCOMPARE(total.clientId(), QString());
    QCOMPARE(total.messagesReceived(), 4);
    QCOMPARE(total.messagesSent(), 4);
    QCOMPARE(total.connectionCount(), 1);

    const QVariantMap map = atServer.toVariantMap();
    QCOMPARE(map.value(QStringLiteral("client")).toString(), id);
    QCOMPARE(map.value(QStringLiteral("messagesReceived")).toLongLong(), 4);
    QCOMPARE(map.value(QStringLiteral("messagesSent")).toLongLong(), 4);
}

void tst_IpcStatistics::totalsKeepWhatClosedConnectionsCarried()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy messages(&server, &IpcServer::messageReceived);
    QSignalSpy gone(&server, &IpcServer::clientDisconnected);
    for (int round = 1; round <= 2; ++round) {
        QString id;
        auto client = IpcTest::connectedClient(server, &id);
        QVERIFY(client->send(QStringLiteral("t"), round));
        QTRY_COMPARE(messages.count(), round);
        client->close();
        QTRY_COMPARE(gone.count(), round);
        QVERIFY(!server.statistics(id).isValid());
    }
    const IpcStatistics total = server.statistics();
    QCOMPARE(total.messagesReceived(), 2);
    QCOMPARE(total.connectionCount(), 0);
    QVERIFY(total.bytesReceived() > 0);
    QVERIFY(total.connectedSince().isValid());  // since listen()
}

void tst_IpcStatistics::requestsInFlightOnBothEnds()
{
    IpcServer server;
    QList<IpcRequest> held;
    server.setRequestHandler(QStringLiteral("slow"), nullptr,
                             [&](IpcRequest &request) { held.append(request); });
    QVERIFY(server.listen(socketPath()));
    QString id;
    const auto client = IpcTest::connectedClient(server, &id);
    IpcReply *first = client->request(QStringLiteral("slow"), 1);
    IpcReply *second = client->request(QStringLiteral("slow"), 2);
    QTRY_COMPARE(held.size(), 2);
    QCOMPARE(client->statistics().requestsInFlight(), 2);
    QCOMPARE(server.statistics(id).requestsInFlight(), 2);
    QCOMPARE(server.statistics().requestsInFlight(), 2);
    QVERIFY(held.first().reply(true));
    QTRY_VERIFY(first->isFinished());
    QCOMPARE(client->statistics().requestsInFlight(), 1);
    QCOMPARE(server.statistics(id).requestsInFlight(), 1);
    QVERIFY(held.last().reply(true));
    QTRY_VERIFY(second->isFinished());
    QCOMPARE(client->statistics().requestsInFlight(), 0);
    QCOMPARE(server.statistics(id).requestsInFlight(), 0);
}

void tst_IpcStatistics::droppedMessagesUnderDropMessages()
{
    // A client that never reads: once the kernel holds what it can and the limit is reached,
    // each message not sent to it is a drop, and what waits is pendingBytes.
    IpcServer server;
    server.setSlowClientPolicy(IpcServer::SlowClientPolicy::DropMessages);
    server.setMaxPendingBytes(256 * 1024);
    QVERIFY(server.listen(socketPath()));
    QLocalSocket sleeper;
    QString id;
    CHECKED(IpcTest::connectRawSocket(sleeper, server, &id));
    QSignalSpy errors(&server, &IpcServer::errorOccurred);
    const QString chunk(16 * 1024, QLatin1Char('x'));
    int refused = 0;
    int sent = 0;
    for (int i = 0; i < 2000 && refused < 10; ++i) {
        if (server.send(QStringLiteral("flood"), chunk, id))
            ++sent;
        else
            ++refused;
        if (i % 50 == 0)
            QCoreApplication::processEvents();  // let flushes reach the kernel
    }
    QCOMPARE(refused, 10);
    const IpcStatistics stats = server.statistics(id);
    QCOMPARE(stats.messagesDropped(), 10);
    QCOMPARE(stats.messagesSent(), sent);
    QVERIFY(stats.pendingBytes() > 0);
    QVERIFY(stats.pendingBytes() <= 256 * 1024 + chunk.size() + 64);
    QCOMPARE(server.statistics().messagesDropped(), 10);
    QCOMPARE(server.clientCount(), 1);  // kept: DropMessages
}

void tst_IpcStatistics::clientCountsItsQueueAndReconnects()
{
    IpcClient client;
    client.setRetryDelay(20);
    client.setReconnectDelay(20);
    client.setMaxQueuedMessages(5);
    client.connectToServer(socketPath());  // nobody listens yet
    for (int i = 0; i < 3; ++i)
        QVERIFY(client.send(QStringLiteral("later"), i));
    IpcStatistics offline = client.statistics();
    QCOMPARE(offline.queuedMessages(), 3);
    QCOMPARE(offline.connectionCount(), 0);
    QCOMPARE(offline.messagesSent(), 0);

    auto server = std::make_unique<IpcServer>();
    QSignalSpy messages(server.get(), &IpcServer::messageReceived);
    QVERIFY(server->listen(socketPath()));
    QTRY_COMPARE(messages.count(), 3);
    QTRY_VERIFY(client.isConnected());
    IpcStatistics online = client.statistics();
    QCOMPARE(online.queuedMessages(), 0);
    QCOMPARE(online.messagesSent(), 3);
    QCOMPARE(online.connectionCount(), 1);
    QCOMPARE(online.reconnectCount(), 0);

    // The server goes and comes back: one reconnect, and the new connection counts afresh.
    QSignalSpy reconnected(&client, &IpcClient::reconnected);
    server.reset();
    server = std::make_unique<IpcServer>();
    QVERIFY(server->listen(socketPath()));
    QTRY_COMPARE(reconnected.count(), 1);
    const IpcStatistics again = client.statistics();
    QCOMPARE(again.reconnectCount(), 1);
    QCOMPARE(again.messagesSent(), 0);
    QCOMPARE(again.toVariantMap().value(QStringLiteral("reconnects")).toInt(), 1);
}

void tst_IpcStatistics::unknownClientIsInvalid()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QVERIFY(!server.statistics(QStringLiteral("nobody")).isValid());
    QVERIFY(server.statistics().isValid());
    QCOMPARE(server.statistics().connectionCount(), 0);
}

QTEST_GUILESS_MAIN(tst_IpcStatistics)
#include "tst_ipcstatistics.moc"
