#include "ipctestsupport.h"

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
    void notificationsComeOncePerRead();
    void burstEndsOnTheNewestValueWithEveryMessageCounted();
    void conflateDeliversTheNewestOncePerRead();
    void severalTopicsOnOneNameAllReceive();
    void renamingMovesTheSubscription();
    void changingSourceMovesTheSubscription();
    void deletingTopicUnsubscribes();
    void deletingTopicInsideItsOwnSignalIsSafe();
    void sourceDestructionClearsSource();
    void sourceMustBeServerOrClient();
    void manyUnrelatedTopicsDoNotInterfere();
    void patternMatching_data();
    void patternMatching();
    void patternTopicReceivesMatchingMessages();
    void patternAndExactTopicsBothReceive();
    void patternWithTwoHashesDeliversOnce();
    void renamingPatternMovesTheSubscription();
    void deletingPatternTopicsPrunesThem();
    void functorOnPatternGetsTheTopic();
    void patternsOnTheClientSide();

private:
    IpcTest::ServerAndClient m_pair;
};

void tst_IpcTopic::init()
{
    m_pair.start();
}

void tst_IpcTopic::cleanup()
{
    m_pair.reset();
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
    topic.setSource(m_pair.server.get());
    QSignalSpy spy(&topic, &IpcTopic::messageReceived);

    m_pair.clientSends(QStringLiteral("weather"), QVariantMap{{"temperature", 21}});
    m_pair.clientSends(QStringLiteral("other"), 1);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toMap().value("temperature").toInt(), 21);
    QCOMPARE(spy.at(0).at(1).toString(), m_pair.clientId);
    QCOMPARE(topic.lastClientId(), m_pair.clientId);

    // And on the client side.
    IpcTopic clientTopic(QStringLiteral("weather"), m_pair.client.get());
    QSignalSpy clientSpy(&clientTopic, &IpcTopic::messageReceived);
    m_pair.server->broadcast(QStringLiteral("weather"), QVariantMap{{"temperature", -3}});
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
    topic.setSource(m_pair.server.get());
    topic.setSource(m_pair.server.get());
    topic.setName(QStringLiteral("t"));
    topic.setName(QStringLiteral("t"));
    QCOMPARE(sourceSpy.count(), 1);
    QCOMPARE(nameSpy.count(), 1);

    m_pair.clientSends(QStringLiteral("t"), 1);
    m_pair.clientSends(QStringLiteral("t"), 2);
    QCOMPARE(lastSpy.count(), 2);
    QCOMPARE(countSpy.count(), 2);
    QCOMPARE(topic.count(), 2);
    QCOMPARE(topic.lastMessage().toInt(), 2);
}

void tst_IpcTopic::notificationsComeOncePerRead()
{
    // Three messages in one write arrive in one read: messageReceived() for each, with the
    // properties already holding that message; the notifications once, after them, on the
    // newest values.
    IpcTopic topic(QStringLiteral("t"), m_pair.server.get());
    QStringList order;
    QVariantList seenByHandler;
    QList<int> countsSeenByHandler;
    connect(&topic, &IpcTopic::lastMessageChanged, this, [&] {
        order << QStringLiteral("lastMessageChanged %1").arg(topic.lastMessage().toInt());
    });
    connect(&topic, &IpcTopic::countChanged, this,
            [&] { order << QStringLiteral("countChanged %1").arg(topic.count()); });
    connect(&topic, &IpcTopic::hasValueChanged, this,
            [&] { order << QStringLiteral("hasValueChanged"); });
    connect(&topic, &IpcTopic::messageReceived, this, [&](const QVariant &message) {
        order << QStringLiteral("messageReceived %1").arg(message.toInt());
        seenByHandler << topic.lastMessage();
        countsSeenByHandler << topic.count();
    });
    for (int i = 1; i <= 3; ++i)
        m_pair.client->send(QStringLiteral("t"), i);  // one write, at the end of this turn
    QTRY_COMPARE(topic.count(), 3);
    QCOMPARE(order,
             (QStringList{QStringLiteral("messageReceived 1"), QStringLiteral("messageReceived 2"),
                          QStringLiteral("messageReceived 3"),
                          QStringLiteral("lastMessageChanged 3"), QStringLiteral("countChanged 3"),
                          QStringLiteral("hasValueChanged")}));
    QCOMPARE(seenByHandler, (QVariantList{1, 2, 3}));
    QCOMPARE(countsSeenByHandler, (QList<int>{1, 2, 3}));
    QCOMPARE(topic.skippedCount(), 0);

    // A message on its own: one of each again.
    order.clear();
    m_pair.clientSends(QStringLiteral("t"), 4);
    QCOMPARE(order,
             (QStringList{QStringLiteral("messageReceived 4"),
                          QStringLiteral("lastMessageChanged 4"),
                          QStringLiteral("countChanged 4")}));
}

void tst_IpcTopic::burstEndsOnTheNewestValueWithEveryMessageCounted()
{
    // Thousands of messages, read over many turns: every one counted and received, far
    // fewer notifications than messages, and the last one notified is the newest.
    constexpr int Messages = 20000;
    IpcTopic topic(QStringLiteral("burst"), m_pair.client.get());
    int received = 0;
    int notifications = 0;
    QVariant notified;
    connect(&topic, &IpcTopic::messageReceived, this, [&] { ++received; });
    connect(&topic, &IpcTopic::lastMessageChanged, this, [&] {
        ++notifications;
        notified = topic.lastMessage();
    });
    for (int i = 1; i <= Messages; ++i)
        m_pair.server->send(QStringLiteral("burst"), i, m_pair.clientId);
    QTRY_COMPARE_WITH_TIMEOUT(topic.count(), Messages, 20000);
    QCOMPARE(received, Messages);
    QCOMPARE(notified, QVariant(Messages));
    QCOMPARE(topic.lastMessage(), QVariant(Messages));
    QVERIFY2(notifications < Messages / 10, qPrintable(QString::number(notifications)));
}

void tst_IpcTopic::conflateDeliversTheNewestOncePerRead()
{
    IpcTopic topic(QStringLiteral("t"), m_pair.server.get());
    QVERIFY(!topic.conflate());
    QSignalSpy conflateSpy(&topic, &IpcTopic::conflateChanged);
    topic.setConflate(true);
    QCOMPARE(conflateSpy.count(), 1);
    QSignalSpy received(&topic, &IpcTopic::messageReceived);
    QSignalSpy skippedSpy(&topic, &IpcTopic::skippedCountChanged);
    for (int i = 1; i <= 3; ++i)
        m_pair.client->send(QStringLiteral("t"), i);  // one write, one read
    QTRY_COMPARE(received.count(), 1);
    QCOMPARE(received.at(0).at(0), QVariant(3));
    QCOMPARE(received.at(0).at(1).toString(), m_pair.clientId);
    QCOMPARE(received.at(0).at(2).toString(), QStringLiteral("t"));
    QCOMPARE(topic.count(), 3);  // every message counts
    QCOMPARE(topic.skippedCount(), 2);
    QCOMPARE(skippedSpy.count(), 1);

    // Alone in its read, a message is not skipped.
    m_pair.clientSends(QStringLiteral("t"), 4);
    QCOMPARE(received.count(), 2);
    QCOMPARE(received.at(1).at(0), QVariant(4));
    QCOMPARE(topic.skippedCount(), 2);

    // A burst over many reads: one delivery per read at most, the newest last, and the
    // deliveries and the skipped add up to the messages.
    constexpr int Messages = 20000;
    received.clear();
    const qint64 skippedBefore = topic.skippedCount();
    for (int i = 1; i <= Messages; ++i)
        m_pair.client->send(QStringLiteral("t"), i);
    QTRY_COMPARE_WITH_TIMEOUT(topic.count(), 4 + Messages, 20000);
    QVERIFY(received.count() < Messages / 10);
    QCOMPARE(received.last().at(0), QVariant(Messages));
    QCOMPARE(received.count() + (topic.skippedCount() - skippedBefore), qint64(Messages));
}

void tst_IpcTopic::severalTopicsOnOneNameAllReceive()
{
    IpcTopic a(QStringLiteral("t"), m_pair.server.get());
    IpcTopic b(QStringLiteral("t"), m_pair.server.get());
    IpcTopic *owned = m_pair.server->topic(QStringLiteral("t"));
    QSignalSpy aSpy(&a, &IpcTopic::messageReceived);
    QSignalSpy bSpy(&b, &IpcTopic::messageReceived);
    QSignalSpy ownedSpy(owned, &IpcTopic::messageReceived);
    m_pair.clientSends(QStringLiteral("t"), "x");
    QCOMPARE(aSpy.count(), 1);
    QCOMPARE(bSpy.count(), 1);
    QCOMPARE(ownedSpy.count(), 1);
}

void tst_IpcTopic::renamingMovesTheSubscription()
{
    IpcTopic topic(QStringLiteral("old"), m_pair.server.get());
    QSignalSpy spy(&topic, &IpcTopic::messageReceived);
    topic.setName(QStringLiteral("new"));
    m_pair.clientSends(QStringLiteral("old"), 1);
    QCOMPARE(spy.count(), 0);
    m_pair.clientSends(QStringLiteral("new"), 2);
    QCOMPARE(spy.count(), 1);
    topic.setName(QString());  // no name: no subscription
    m_pair.clientSends(QStringLiteral("new"), 3);
    QCOMPARE(spy.count(), 1);
}

void tst_IpcTopic::changingSourceMovesTheSubscription()
{
    IpcTopic topic(QStringLiteral("t"), m_pair.server.get());
    QSignalSpy spy(&topic, &IpcTopic::messageReceived);
    topic.setSource(m_pair.client.get());
    m_pair.clientSends(QStringLiteral("t"), 1);  // reaches the server, which topic left
    QCOMPARE(spy.count(), 0);
    m_pair.server->broadcast(QStringLiteral("t"), 2);
    QTRY_COMPARE(spy.count(), 1);
    topic.setSource(nullptr);
    QCOMPARE(topic.source(), nullptr);
    QSignalSpy clientSpy(m_pair.client.get(), &IpcClient::messageReceived);
    m_pair.server->broadcast(QStringLiteral("t"), 3);
    QTRY_COMPARE(clientSpy.count(), 1);
    QCOMPARE(spy.count(), 1);
}

void tst_IpcTopic::deletingTopicUnsubscribes()
{
    auto *topic = new IpcTopic(QStringLiteral("t"), m_pair.server.get());
    int calls = 0;
    connect(topic, &IpcTopic::messageReceived, this, [&] { ++calls; });
    m_pair.clientSends(QStringLiteral("t"), 1);
    QCOMPARE(calls, 1);
    delete topic;
    m_pair.clientSends(QStringLiteral("t"), 2);  // must not touch the deleted topic
    QCOMPARE(calls, 1);
}

void tst_IpcTopic::deletingTopicInsideItsOwnSignalIsSafe()
{
    QPointer<IpcTopic> first = new IpcTopic(QStringLiteral("t"), m_pair.server.get());
    QPointer<IpcTopic> second = new IpcTopic(QStringLiteral("t"), m_pair.server.get());
    // Whichever receives first deletes both: the other must simply not be called.
    int deliveries = 0;
    auto deleteBoth = [&] {
        ++deliveries;
        delete first;
        delete second;
    };
    connect(first, &IpcTopic::messageReceived, this, deleteBoth);
    connect(second, &IpcTopic::messageReceived, this, deleteBoth);
    m_pair.clientSends(QStringLiteral("t"), 1);
    QCOMPARE(deliveries, 1);
    QVERIFY(first.isNull() && second.isNull());
    m_pair.clientSends(QStringLiteral("t"), 2);
    QCOMPARE(deliveries, 1);
}

void tst_IpcTopic::sourceDestructionClearsSource()
{
    IpcTopic topic(QStringLiteral("t"), m_pair.client.get());
    QSignalSpy sourceSpy(&topic, &IpcTopic::sourceChanged);
    IpcTopic *owned = m_pair.client->topic(QStringLiteral("t"));
    QPointer<IpcTopic> ownedGuard(owned);
    m_pair.client.reset();
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
                std::make_unique<IpcTopic>(QStringLiteral("topic-%1").arg(i), m_pair.server.get()));
    IpcTopic wanted(QStringLiteral("wanted"), m_pair.server.get());
    QSignalSpy spy(&wanted, &IpcTopic::messageReceived);
    m_pair.clientSends(QStringLiteral("wanted"), 1);
    QCOMPARE(spy.count(), 1);
    for (const auto &topic : unrelated)
        QCOMPARE(topic->count(), 0);
}

void tst_IpcTopic::patternMatching_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("topic");
    QTest::addColumn<bool>("matches");
    QTest::newRow("exact") << "a.b"
                           << "a.b" << true;
    QTest::newRow("exact differs") << "a.b"
                                   << "a.c" << false;
    QTest::newRow("star one") << "sensor.*"
                              << "sensor.cpu" << true;
    QTest::newRow("star not two") << "sensor.*"
                                  << "sensor.cpu.load" << false;
    QTest::newRow("star not none") << "sensor.*"
                                   << "sensor" << false;
    QTest::newRow("star empty segment") << "sensor.*"
                                        << "sensor." << true;
    QTest::newRow("star middle") << "a.*.c"
                                 << "a.b.c" << true;
    QTest::newRow("star middle wrong end") << "a.*.c"
                                           << "a.b.d" << false;
    QTest::newRow("hash none") << "sensor.#"
                               << "sensor" << true;
    QTest::newRow("hash one") << "sensor.#"
                              << "sensor.cpu" << true;
    QTest::newRow("hash many") << "sensor.#"
                               << "sensor.cpu.load.1m" << true;
    QTest::newRow("hash other prefix") << "sensor.#"
                                       << "sensors.cpu" << false;
    QTest::newRow("hash alone") << "#"
                                << "anything.at.all" << true;
    QTest::newRow("hash alone empty") << "#"
                                      << "" << true;
    QTest::newRow("hash front") << "#.load"
                                << "sensor.cpu.load" << true;
    QTest::newRow("hash front no") << "#.load"
                                   << "sensor.cpu.loads" << false;
    QTest::newRow("hash middle") << "a.#.z"
                                 << "a.z" << true;
    QTest::newRow("hash middle many") << "a.#.z"
                                      << "a.b.c.z" << true;
    QTest::newRow("hash middle no") << "a.#.z"
                                    << "a.b.c" << false;
    QTest::newRow("two hashes") << "#.x.#"
                                << "a.x.b.x.c" << true;
    QTest::newRow("star and hash") << "*.#"
                                   << "" << true;  // "" is one empty segment
    QTest::newRow("star inside a segment is literal") << "sen*"
                                                      << "sensor" << false;
    QTest::newRow("literal star segment") << "sen*"
                                          << "sen*" << true;
}

void tst_IpcTopic::patternMatching()
{
    QFETCH(QString, pattern);
    QFETCH(QString, topic);
    QFETCH(bool, matches);
    QCOMPARE(IpcTopic::matches(pattern, topic), matches);

    // The registry's walk must agree with the direct matcher.
    IpcTopic subscription(pattern, m_pair.server.get());
    m_pair.clientSends(topic, 1);
    QCOMPARE(subscription.count(), matches ? 1 : 0);
}

void tst_IpcTopic::patternTopicReceivesMatchingMessages()
{
    IpcTopic sensors(QStringLiteral("sensor.*"), m_pair.server.get());
    QVERIFY(IpcTopic::isPattern(sensors.name()));
    QSignalSpy spy(&sensors, &IpcTopic::messageReceived);
    m_pair.clientSends(QStringLiteral("sensor.cpu"), 1);
    m_pair.clientSends(QStringLiteral("sensor.cpu.load"), 2);
    m_pair.clientSends(QStringLiteral("other"), 3);
    m_pair.clientSends(QStringLiteral("sensor.memory"), 4);
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(0).at(0), QVariant(1));
    QCOMPARE(spy.at(0).at(1).toString(), m_pair.clientId);
    QCOMPARE(spy.at(0).at(2).toString(), QStringLiteral("sensor.cpu"));
    QCOMPARE(spy.at(1).at(2).toString(), QStringLiteral("sensor.memory"));
    QCOMPARE(sensors.lastTopic(), QStringLiteral("sensor.memory"));
    QCOMPARE(sensors.lastMessage(), QVariant(4));
    QCOMPARE(sensors.count(), 2);
}

void tst_IpcTopic::patternAndExactTopicsBothReceive()
{
    IpcTopic exact(QStringLiteral("sensor.cpu"), m_pair.server.get());
    IpcTopic one(QStringLiteral("sensor.*"), m_pair.server.get());
    IpcTopic any(QStringLiteral("sensor.#"), m_pair.server.get());
    IpcTopic everything(QStringLiteral("#"), m_pair.server.get());
    m_pair.clientSends(QStringLiteral("sensor.cpu"), 1);
    QCOMPARE(exact.count(), 1);
    QCOMPARE(one.count(), 1);
    QCOMPARE(any.count(), 1);
    QCOMPARE(everything.count(), 1);
    m_pair.clientSends(QStringLiteral("sensor"), 2);
    QCOMPARE(exact.count(), 1);
    QCOMPARE(one.count(), 1);
    QCOMPARE(any.count(), 2);
    QCOMPARE(everything.count(), 2);
    QCOMPARE(exact.lastTopic(), QStringLiteral("sensor.cpu"));
}

void tst_IpcTopic::patternWithTwoHashesDeliversOnce()
{
    // "a.x.b.x.c" matches "#.x.#" in two ways; the topic must still hear it once.
    IpcTopic twice(QStringLiteral("#.x.#"), m_pair.server.get());
    QSignalSpy spy(&twice, &IpcTopic::messageReceived);
    m_pair.clientSends(QStringLiteral("a.x.b.x.c"), 1);
    QCOMPARE(spy.count(), 1);
}

void tst_IpcTopic::renamingPatternMovesTheSubscription()
{
    IpcTopic topic(QStringLiteral("a.*"), m_pair.server.get());
    m_pair.clientSends(QStringLiteral("a.1"), 1);
    QCOMPARE(topic.count(), 1);
    topic.setName(QStringLiteral("b.#"));
    m_pair.clientSends(QStringLiteral("a.2"), 2);
    m_pair.clientSends(QStringLiteral("b.2.3"), 3);
    QCOMPARE(topic.count(), 2);
    QCOMPARE(topic.lastMessage(), QVariant(3));
    topic.setName(QStringLiteral("exact"));
    m_pair.clientSends(QStringLiteral("b.4"), 4);
    m_pair.clientSends(QStringLiteral("exact"), 5);
    QCOMPARE(topic.count(), 3);
    QCOMPARE(topic.lastMessage(), QVariant(5));
}

void tst_IpcTopic::deletingPatternTopicsPrunesThem()
{
    auto first = std::make_unique<IpcTopic>(QStringLiteral("a.*.c"), m_pair.server.get());
    auto second = std::make_unique<IpcTopic>(QStringLiteral("a.*.c"), m_pair.server.get());
    IpcTopic survivor(QStringLiteral("a.#"), m_pair.server.get());
    first.reset();
    m_pair.clientSends(QStringLiteral("a.b.c"), 1);
    QCOMPARE(second->count(), 1);
    QCOMPARE(survivor.count(), 1);
    second.reset();
    m_pair.clientSends(QStringLiteral("a.b.c"), 2);
    QCOMPARE(survivor.count(), 2);
    // A topic deleted while its message is delivered to a pattern beside it.
    auto victim = std::make_unique<IpcTopic>(QStringLiteral("a.*.c"), m_pair.server.get());
    connect(&survivor, &IpcTopic::messageReceived, this, [&] { victim.reset(); });
    m_pair.clientSends(QStringLiteral("a.b.c"), 3);
    QVERIFY(!victim);
    QCOMPARE(survivor.count(), 3);
}

void tst_IpcTopic::functorOnPatternGetsTheTopic()
{
    QStringList seen;
    m_pair.server->on(QStringLiteral("log.#"), this,
                      [&](const QVariant &message, const QString &clientId, const QString &topic) {
                          QCOMPARE(clientId, m_pair.clientId);
                          seen << topic + QLatin1Char('=') + message.toString();
                      });
    m_pair.clientSends(QStringLiteral("log.warning"), QStringLiteral("w"));
    m_pair.clientSends(QStringLiteral("metrics"), QStringLiteral("m"));
    m_pair.clientSends(QStringLiteral("log"), QStringLiteral("l"));
    QCOMPARE(seen, (QStringList{QStringLiteral("log.warning=w"), QStringLiteral("log=l")}));
}

void tst_IpcTopic::patternsOnTheClientSide()
{
    IpcTopic news(QStringLiteral("news.*"), m_pair.client.get());
    QSignalSpy spy(&news, &IpcTopic::messageReceived);
    m_pair.server->broadcast(QStringLiteral("news.sport"), QStringLiteral("goal"));
    m_pair.server->broadcast(QStringLiteral("weather"), QStringLiteral("rain"));
    m_pair.server->broadcast(QStringLiteral("news.local"), QStringLiteral("fair"));
    QTRY_COMPARE(spy.count(), 2);
    QCOMPARE(spy.at(0).at(2).toString(), QStringLiteral("news.sport"));
    QCOMPARE(spy.at(1).at(0).toString(), QStringLiteral("fair"));
    QVERIFY(spy.at(1).at(1).toString().isEmpty());
}

QTEST_GUILESS_MAIN(tst_IpcTopic)
#include "tst_ipctopic.moc"
