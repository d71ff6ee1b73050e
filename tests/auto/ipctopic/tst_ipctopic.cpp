#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcTopic>

#include <QtCore/qtemporarydir.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <memory>

// IpcTopic on a real server and client pair in this process.
class tst_IpcTopic : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void unattachedTopicIsInert();
    void declaredTopicReceivesItsMessages();
    void propertiesNotifyTheirChanges();
    void severalTopicsOnOneNameAllReceive();
    void renamingMovesTheSubscription();
    void changingSourceMovesTheSubscription();
    void deletingTopicUnsubscribes();
    void deletingTopicInsideItsOwnSignalIsSafe();
    void sourceDestructionClearsSource();
    void sourceMustBeServerOrClient();
    void manyUnrelatedTopicsDoNotInterfere();

private:
    // Sends topic/message from the client and waits until the server has it.
    void clientSends(const QString &topic, const QVariant &message);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<IpcServer> m_server;
    std::unique_ptr<IpcClient> m_client;
    QString m_clientId;
};

void tst_IpcTopic::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_server = std::make_unique<IpcServer>();
    QVERIFY(m_server->listen(m_dir->filePath(QStringLiteral("s.sock"))));
    QSignalSpy connectedSpy(m_server.get(), &IpcServer::clientConnected);
    m_client = std::make_unique<IpcClient>();
    m_client->connectToServer(m_server->socketPath());
    QTRY_COMPARE(connectedSpy.count(), 1);
    QTRY_VERIFY(m_client->isConnected());
    m_clientId = connectedSpy.at(0).at(0).toString();
}

void tst_IpcTopic::cleanup()
{
    m_client.reset();
    m_server.reset();
}

void tst_IpcTopic::clientSends(const QString &topic, const QVariant &message)
{
    QSignalSpy spy(m_server.get(), &IpcServer::messageReceived);
    QVERIFY(m_client->send(topic, message));
    QTRY_COMPARE(spy.count(), 1);
}

void tst_IpcTopic::unattachedTopicIsInert()
{
    IpcTopic topic;
    QCOMPARE(topic.source(), nullptr);
    QVERIFY(topic.name().isEmpty());
    QVERIFY(!topic.lastMessage().isValid());
    QCOMPARE(topic.count(), 0);
}

void tst_IpcTopic::declaredTopicReceivesItsMessages()
{
    // As QML declares it: construct, then set properties in any order.
    IpcTopic topic;
    topic.setName(QStringLiteral("weather"));
    topic.setSource(m_server.get());
    QSignalSpy spy(&topic, &IpcTopic::messageReceived);

    clientSends(QStringLiteral("weather"), QVariantMap{{"temperature", 21}});
    clientSends(QStringLiteral("other"), 1);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toMap().value("temperature").toInt(), 21);
    QCOMPARE(spy.at(0).at(1).toString(), m_clientId);
    QCOMPARE(topic.lastClientId(), m_clientId);

    // And on the client side.
    IpcTopic clientTopic(QStringLiteral("weather"), m_client.get());
    QSignalSpy clientSpy(&clientTopic, &IpcTopic::messageReceived);
    m_server->broadcast(QStringLiteral("weather"), QVariantMap{{"temperature", -3}});
    QTRY_COMPARE(clientSpy.count(), 1);
    QCOMPARE(clientTopic.lastMessage().toMap().value("temperature").toInt(), -3);
    QVERIFY(clientTopic.lastClientId().isEmpty());
}

void tst_IpcTopic::propertiesNotifyTheirChanges()
{
    IpcTopic topic;
    QSignalSpy sourceSpy(&topic, &IpcTopic::sourceChanged);
    QSignalSpy nameSpy(&topic, &IpcTopic::nameChanged);
    QSignalSpy lastSpy(&topic, &IpcTopic::lastMessageChanged);
    QSignalSpy countSpy(&topic, &IpcTopic::countChanged);
    topic.setSource(m_server.get());
    topic.setSource(m_server.get());
    topic.setName(QStringLiteral("t"));
    topic.setName(QStringLiteral("t"));
    QCOMPARE(sourceSpy.count(), 1);
    QCOMPARE(nameSpy.count(), 1);

    clientSends(QStringLiteral("t"), 1);
    clientSends(QStringLiteral("t"), 2);
    QCOMPARE(lastSpy.count(), 2);
    QCOMPARE(countSpy.count(), 2);
    QCOMPARE(topic.count(), 2);
    QCOMPARE(topic.lastMessage().toInt(), 2);
}

void tst_IpcTopic::severalTopicsOnOneNameAllReceive()
{
    IpcTopic a(QStringLiteral("t"), m_server.get());
    IpcTopic b(QStringLiteral("t"), m_server.get());
    IpcTopic *owned = m_server->topic(QStringLiteral("t"));
    QSignalSpy aSpy(&a, &IpcTopic::messageReceived);
    QSignalSpy bSpy(&b, &IpcTopic::messageReceived);
    QSignalSpy ownedSpy(owned, &IpcTopic::messageReceived);
    clientSends(QStringLiteral("t"), "x");
    QCOMPARE(aSpy.count(), 1);
    QCOMPARE(bSpy.count(), 1);
    QCOMPARE(ownedSpy.count(), 1);
}

void tst_IpcTopic::renamingMovesTheSubscription()
{
    IpcTopic topic(QStringLiteral("old"), m_server.get());
    QSignalSpy spy(&topic, &IpcTopic::messageReceived);
    topic.setName(QStringLiteral("new"));
    clientSends(QStringLiteral("old"), 1);
    QCOMPARE(spy.count(), 0);
    clientSends(QStringLiteral("new"), 2);
    QCOMPARE(spy.count(), 1);
    topic.setName(QString());  // no name: no subscription
    clientSends(QStringLiteral("new"), 3);
    QCOMPARE(spy.count(), 1);
}

void tst_IpcTopic::changingSourceMovesTheSubscription()
{
    IpcTopic topic(QStringLiteral("t"), m_server.get());
    QSignalSpy spy(&topic, &IpcTopic::messageReceived);
    topic.setSource(m_client.get());
    clientSends(QStringLiteral("t"), 1);  // reaches the server, which topic left
    QCOMPARE(spy.count(), 0);
    m_server->broadcast(QStringLiteral("t"), 2);
    QTRY_COMPARE(spy.count(), 1);
    topic.setSource(nullptr);
    QCOMPARE(topic.source(), nullptr);
    QSignalSpy clientSpy(m_client.get(), &IpcClient::messageReceived);
    m_server->broadcast(QStringLiteral("t"), 3);
    QTRY_COMPARE(clientSpy.count(), 1);
    QCOMPARE(spy.count(), 1);
}

void tst_IpcTopic::deletingTopicUnsubscribes()
{
    auto *topic = new IpcTopic(QStringLiteral("t"), m_server.get());
    int calls = 0;
    connect(topic, &IpcTopic::messageReceived, this, [&] { ++calls; });
    clientSends(QStringLiteral("t"), 1);
    QCOMPARE(calls, 1);
    delete topic;
    clientSends(QStringLiteral("t"), 2);  // must not touch the deleted topic
    QCOMPARE(calls, 1);
}

void tst_IpcTopic::deletingTopicInsideItsOwnSignalIsSafe()
{
    QPointer<IpcTopic> first = new IpcTopic(QStringLiteral("t"), m_server.get());
    QPointer<IpcTopic> second = new IpcTopic(QStringLiteral("t"), m_server.get());
    // Whichever receives first deletes both: the other must simply not be called.
    int deliveries = 0;
    auto deleteBoth = [&] {
        ++deliveries;
        delete first;
        delete second;
    };
    connect(first, &IpcTopic::messageReceived, this, deleteBoth);
    connect(second, &IpcTopic::messageReceived, this, deleteBoth);
    clientSends(QStringLiteral("t"), 1);
    QCOMPARE(deliveries, 1);
    QVERIFY(first.isNull() && second.isNull());
    clientSends(QStringLiteral("t"), 2);
    QCOMPARE(deliveries, 1);
}

void tst_IpcTopic::sourceDestructionClearsSource()
{
    IpcTopic topic(QStringLiteral("t"), m_client.get());
    QSignalSpy sourceSpy(&topic, &IpcTopic::sourceChanged);
    IpcTopic *owned = m_client->topic(QStringLiteral("t"));
    QPointer<IpcTopic> ownedGuard(owned);
    m_client.reset();
    QCOMPARE(topic.source(), nullptr);
    QVERIFY(sourceSpy.count() >= 1);
    QVERIFY(ownedGuard.isNull());        // the owner's own topics die with it
    topic.setName(QStringLiteral("u"));  // and the orphan stays usable
}

void tst_IpcTopic::sourceMustBeServerOrClient()
{
    IpcTopic topic;
    QObject notASource;
    QTest::ignoreMessage(
            QtWarningMsg,
            QRegularExpression(QStringLiteral("must be an IpcServer or an IpcClient")));
    topic.setSource(&notASource);
    QCOMPARE(topic.source(), nullptr);
}

void tst_IpcTopic::manyUnrelatedTopicsDoNotInterfere()
{
    std::vector<std::unique_ptr<IpcTopic>> unrelated;
    for (int i = 0; i < 1000; ++i)
        unrelated.push_back(
                std::make_unique<IpcTopic>(QStringLiteral("topic-%1").arg(i), m_server.get()));
    IpcTopic wanted(QStringLiteral("wanted"), m_server.get());
    QSignalSpy spy(&wanted, &IpcTopic::messageReceived);
    clientSends(QStringLiteral("wanted"), 1);
    QCOMPARE(spy.count(), 1);
    for (const auto &topic : unrelated)
        QCOMPARE(topic->count(), 0);
}

QTEST_GUILESS_MAIN(tst_IpcTopic)
#include "tst_ipctopic.moc"
