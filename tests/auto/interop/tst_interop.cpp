// Interoperability with the Node library @crussell52/socket-ipc 0.4.0, in both directions,
// with real processes: the Node peers are tests/interop/node-server.js and node-client.js.

#include "ipctestsupport.h"
#include "testpeer.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcReply>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcTopic>

#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qmap.h>
#include <QtCore/qset.h>
#include <QtCore/quuid.h>
#include <QtTest/qsignalspy.h>

#include <algorithm>
#include <QtTest/qtest.h>

#include <limits>

using namespace Qt::StringLiterals;

using IpcTest::textDifference;
using IpcTest::valueDifference;

namespace {

// Generous: a debug build under load still moves 1 MiB in well under a second.
constexpr int Timeout = 20000;

// A rawFrame event's frame (the JSON text a Node peer received, before its library decoded
// it) as an object.
QJsonObject rawFrameObject(const QJsonObject &event)
{
    return QJsonDocument::fromJson(event.value(u"json").toString().toUtf8()).object();
}

QString mebibyteOf(const QString &pattern)
{
    const qsizetype patternBytes = pattern.toUtf8().size();
    return pattern.repeated(((1 << 20) + patternBytes - 1) / patternBytes);
}

// JSON.stringify of a string that needs no escaping.
QString jsonString(const QString &s)
{
    return u'"' + s + u'"';
}

// Payloads as Qt delivers them (integers as qlonglong, objects as QVariantMap, null as
// nullptr) and as JSON.stringify writes them in Node, both exactly.
void addPayloadRows()
{
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QString>("nodeJson");

    QTest::newRow("string") << QVariant(u"hello"_s) << uR"("hello")"_s;
    QTest::newRow("empty string") << QVariant(QString(u""_s)) << uR"("")"_s;
    QTest::newRow("unicode") << QVariant(u"ÆØÅ æøå 日本語 🎉"_s) << uR"("ÆØÅ æøå 日本語 🎉")"_s;
    QTest::newRow("surrogate pairs") << QVariant(u"𝄞 😀👍🏽 👨‍👩‍👧 🇳🇴"_s)
                                     << uR"("𝄞 😀👍🏽 👨‍👩‍👧 🇳🇴")"_s;
    QTest::newRow("line and paragraph separators")
            << QVariant(u"a\u2028b\u2029c"_s) << u"\"a\u2028b\u2029c\""_s;
    QTest::newRow("escapes") << QVariant(u"quote \" backslash \\ slash / newline \n tab \t"_s)
                             << uR"("quote \" backslash \\ slash / newline \n tab \t")"_s;
    QTest::newRow("control characters")
            << QVariant(QString(u"nul "_s + QChar(0)
                                + u" soh \u0001 bs \b ff \f cr \r us \u001f del \u007f"_s))
            << u"\"nul \\u0000 soh \\u0001 bs \\b ff \\f cr \\r us \\u001f del \u007f\""_s;
    QTest::newRow("lone surrogates")
            << QVariant(QString(u"high "_s + QChar(0xd800) + u" low "_s + QChar(0xdfff)))
            << uR"("high \ud800 low \udfff")"_s;
    QTest::newRow("zero") << QVariant(qlonglong(0)) << u"0"_s;
    QTest::newRow("integer") << QVariant(qlonglong(42)) << u"42"_s;
    QTest::newRow("negative integer") << QVariant(qlonglong(-7)) << u"-7"_s;
    QTest::newRow("max safe integer")
            << QVariant(qlonglong(9007199254740991)) << u"9007199254740991"_s;
    QTest::newRow("min safe integer")
            << QVariant(qlonglong(-9007199254740991)) << u"-9007199254740991"_s;
    QTest::newRow("double") << QVariant(3.141592653589793) << u"3.141592653589793"_s;
    QTest::newRow("negative double") << QVariant(-0.5) << u"-0.5"_s;
    QTest::newRow("one tenth") << QVariant(0.1) << u"0.1"_s;
    QTest::newRow("largest double")
            << QVariant(std::numeric_limits<double>::max()) << u"1.7976931348623157e+308"_s;
    QTest::newRow("smallest denormal")
            << QVariant(std::numeric_limits<double>::denorm_min()) << u"5e-324"_s;
    QTest::newRow("true") << QVariant(true) << u"true"_s;
    QTest::newRow("false") << QVariant(false) << u"false"_s;
    QTest::newRow("null") << QVariant::fromValue(nullptr) << u"null"_s;
    QTest::newRow("empty array") << QVariant(QVariantList{}) << u"[]"_s;
    QTest::newRow("empty object") << QVariant(QVariantMap{}) << u"{}"_s;
    QTest::newRow("array") << QVariant(QVariantList{
            qlonglong(1), u"two"_s, 3.5, true, QVariant::fromValue(nullptr), QVariantList{},
            QVariantMap{}}) << uR"([1,"two",3.5,true,null,[],{}])"_s;
    QTest::newRow("object")
            << QVariant(QVariantMap{
                       {u"name"_s, u"Ada"_s},
                       {u"age"_s, qlonglong(36)},
                       {u"tags"_s, QVariantList{u"x"_s, u"y"_s}},
                       {u"nested"_s,
                        QVariantMap{{u"deep"_s,
                                     QVariantMap{{u"null"_s, QVariant::fromValue(nullptr)},
                                                 {u"pi"_s, 3.14}}}}}})
            << uR"({"age":36,"name":"Ada","nested":{"deep":{"null":null,"pi":3.14}},"tags":["x","y"]})"_s;
    QTest::newRow("unicode keys") << QVariant(
            QVariantMap{{u"日本"_s, u"語"_s}, {u"🎉"_s, qlonglong(1)}, {u""_s, false}})
                                  << uR"({"":false,"日本":"語","🎉":1})"_s;
    QTest::newRow("nested 100 deep") << IpcTest::nestedList(99, QVariantList{})
                                     << QString(u"["_s.repeated(100) + u"]"_s.repeated(100));

    const QString ascii = mebibyteOf(u"0123456789abcdef"_s);
    QTest::newRow("1 MiB ascii string") << QVariant(ascii) << jsonString(ascii);
    const QString unicode = mebibyteOf(u"ÆØÅ 日本語 🎉 "_s);
    QTest::newRow("1 MiB unicode string") << QVariant(unicode) << jsonString(unicode);
}

}  // namespace

class tst_Interop : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    // A Node server, Qt clients.
    void nodeServerSendReachesQtClient_data() { addPayloadRows(); }
    void nodeServerSendReachesQtClient();
    void nodeServerBroadcastReachesEveryQtClient_data() { addPayloadRows(); }
    void nodeServerBroadcastReachesEveryQtClient();
    void qtClientSendReachesNodeServer_data() { addPayloadRows(); }
    void qtClientSendReachesNodeServer();
    void qtValueTypesReachNodeAsJson_data();
    void qtValueTypesReachNodeAsJson();
    void qtClientTopicReachesNodeServer_data();
    void qtClientTopicReachesNodeServer();
    void nodeServerTopicReachesQtClient_data();
    void nodeServerTopicReachesQtClient();
    void burstFromNodeServerArrivesInOrder();
    void burstFromQtClientArrivesInOrder();
    void qtClientRetriesUntilNodeServerListens();
    void qtClientCloseFlushesToNodeServer();
    void qtClientReconnectsAfterNodeServerRestart_data();
    void qtClientReconnectsAfterNodeServerRestart();
    void qtClientRequestIsAnOrdinaryMessageToNodeServer();

    // A Qt server, Node clients.
    void qtServerSendReachesNodeClient_data() { addPayloadRows(); }
    void qtServerSendReachesNodeClient();
    void qtServerBroadcastReachesEveryNodeClient_data() { addPayloadRows(); }
    void qtServerBroadcastReachesEveryNodeClient();
    void nodeClientGetsRetainedMessagesOnConnect();
    void nodeClientOfAServerThatAllowsMonitorsIsAClient();
    void nodeClientSendReachesQtServer_data() { addPayloadRows(); }
    void nodeClientSendReachesQtServer();
    void qtServerTellsNodeClientsApart();
    void qtServerTopicsReceiveNodeMessages();
    void nodeClientTopicSubscriptionReceivesQtMessages();
    void nodeClientSendWithoutMessageIsDelivered();
    void nodeClientRetriesUntilQtServerListens();
    void qtServerCloseFlushesToNodeClient();
    void qtServerNoticesNodeClientClose();
    void nodeClientReconnectsAfterQtServerRestart();
    void qtServerRequestIsAnOrdinaryMessageToNodeClient();
    void qtServerRepliesReachNodeClientAsOrdinaryMessages();

private:
    QString socketPath() const { return m_dir.socketPath(); }

    void startNodeServer(TestPeer &peer, const QStringList &extraArguments = {})
    {
        peer.startNodeServer(socketPath(), extraArguments, Timeout);
    }
    void startNodeClient(TestPeer &peer, const QStringList &extraArguments = {})
    {
        peer.startNodeClient(socketPath(), extraArguments);
    }
    // Connects client to the Node server and returns, in *clientId, the id Node gave it.
    void connectQtClient(IpcClient &client, TestPeer &nodeServer, QString *clientId);
    // Starts Node clients of server; (*ids)[i] is the id server gave peers[i].
    void connectNodeClients(IpcServer &server, const QList<TestPeer *> &peers, QStringList *ids,
                            const QStringList &extraArguments = {});

    IpcTest::SocketDir m_dir{QStringLiteral("ipc.sock")};
};

void tst_Interop::initTestCase()
{
    IpcTest::verifyNodePeers(u"0.4.0"_s);
}

void tst_Interop::init()
{
    // A socket path per test, so tests (and test runs) never share one.
    m_dir.renew();
}

void tst_Interop::cleanup()
{
    m_dir.reset();
}

void tst_Interop::connectQtClient(IpcClient &client, TestPeer &nodeServer, QString *clientId)
{
    const int before = nodeServer.count(u"clientConnected"_s);
    client.setRetryDelay(100);
    client.setReconnectDelay(100);
    client.connectToServer(socketPath());
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Timeout);
    // Delivery to the client is only certain once the server has accepted it.
    QTRY_COMPARE_WITH_TIMEOUT(nodeServer.count(u"clientConnected"_s), before + 1, Timeout);
    *clientId = nodeServer.eventsNamed(u"clientConnected"_s).last().value(u"client").toString();
    QVERIFY(!clientId->isEmpty());
}

void tst_Interop::connectNodeClients(IpcServer &server, const QList<TestPeer *> &peers,
                                     QStringList *ids, const QStringList &extraArguments)
{
    QSignalSpy hellos(&server, &IpcServer::messageReceived);
    const int before = server.clientCount();
    for (TestPeer *peer : peers)
        CHECKED(startNodeClient(*peer, extraArguments));
    for (TestPeer *peer : peers)
        QTRY_VERIFY_WITH_TIMEOUT(peer->has(u"connected"_s), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), before + int(peers.size()), Timeout);

    // Node clients do not know their ids: each says which one it is.
    for (qsizetype i = 0; i < peers.size(); ++i)
        peers.at(i)->command({{u"send"_s, u"hello"_s}, {u"message"_s, int(i)}});
    QTRY_COMPARE_WITH_TIMEOUT(hellos.count(), int(peers.size()), Timeout);
    ids->fill(QString(), peers.size());
    for (const QList<QVariant> &hello : std::as_const(hellos)) {
        QCOMPARE(hello.at(0).toString(), u"hello"_s);
        (*ids)[hello.at(1).toInt()] = hello.at(2).toString();
    }
    for (const QString &id : std::as_const(*ids))
        QVERIFY(!id.isEmpty());
}

// --- A Node server, Qt clients ------------------------------------------------------------

void tst_Interop::nodeServerSendReachesQtClient()
{
    QFETCH(QVariant, value);
    QFETCH(QString, nodeJson);

    TestPeer node;
    CHECKED(startNodeServer(node));
    IpcClient client;
    QSignalSpy messages(&client, &IpcClient::messageReceived);
    QString id;
    CHECKED(connectQtClient(client, node, &id));

    node.command({{u"send"_s, u"payload"_s}, {u"json"_s, nodeJson}, {u"client"_s, id}});
    QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 1, Timeout);
    QCOMPARE(messages.at(0).at(0).toString(), u"payload"_s);
    const QString difference = valueDifference(messages.at(0).at(1), value);
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
    QVERIFY(!node.has(u"error"_s));
}

void tst_Interop::nodeServerBroadcastReachesEveryQtClient()
{
    QFETCH(QVariant, value);
    QFETCH(QString, nodeJson);

    TestPeer node;
    CHECKED(startNodeServer(node));
    IpcClient first;
    IpcClient second;
    QSignalSpy firstMessages(&first, &IpcClient::messageReceived);
    QSignalSpy secondMessages(&second, &IpcClient::messageReceived);
    QString firstId;
    QString secondId;
    CHECKED(connectQtClient(first, node, &firstId));
    CHECKED(connectQtClient(second, node, &secondId));
    QVERIFY(firstId != secondId);

    node.command({{u"broadcast"_s, u"payload"_s}, {u"json"_s, nodeJson}});
    QTRY_COMPARE_WITH_TIMEOUT(firstMessages.count(), 1, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(secondMessages.count(), 1, Timeout);
    for (const QSignalSpy *spy : {&firstMessages, &secondMessages}) {
        QCOMPARE(spy->at(0).at(0).toString(), u"payload"_s);
        const QString difference = valueDifference(spy->at(0).at(1), value);
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
    }
}

void tst_Interop::qtClientSendReachesNodeServer()
{
    QFETCH(QVariant, value);
    QFETCH(QString, nodeJson);

    TestPeer node;
    CHECKED(startNodeServer(node));
    IpcClient client;
    QString id;
    CHECKED(connectQtClient(client, node, &id));

    QVERIFY(client.send(u"payload"_s, value));
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 1, Timeout);
    const QJsonObject received = node.eventsNamed(u"message"_s).first();
    QCOMPARE(received.value(u"topic").toString(), u"payload"_s);
    QCOMPARE(received.value(u"client").toString(), id);
    const QString difference = textDifference(received.value(u"json").toString(), nodeJson);
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
    QVERIFY(!node.has(u"error"_s));
}

void tst_Interop::qtValueTypesReachNodeAsJson_data()
{
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QString>("nodeJson");

    QTest::newRow("invalid QVariant") << QVariant() << u"null"_s;
    QTest::newRow("int") << QVariant(int(-3)) << u"-3"_s;
    QTest::newRow("uint") << QVariant(uint(4000000000u)) << u"4000000000"_s;
    QTest::newRow("float") << QVariant(0.5f) << u"0.5"_s;
    QTest::newRow("float one tenth") << QVariant(0.1f) << u"0.10000000149011612"_s;
    QTest::newRow("integral double") << QVariant(2.0) << u"2"_s;
    QTest::newRow("QStringList") << QVariant(QStringList{u"a"_s, u"ü"_s}) << uR"(["a","ü"])"_s;
    QTest::newRow("QVariantHash") << QVariant(QVariantHash{{u"k"_s, true}}) << uR"({"k":true})"_s;
    QTest::newRow("QList<int>") << QVariant::fromValue(QList<int>{1, 2, 3}) << u"[1,2,3]"_s;
    QTest::newRow("QMap<QString,int>")
            << QVariant::fromValue(QMap<QString, int>{{u"a"_s, 1}, {u"b"_s, 2}})
            << uR"({"a":1,"b":2})"_s;
    QTest::newRow("QJsonObject") << QVariant(
            QJsonObject{{u"x"_s, QJsonArray{1, u"y"_s, QJsonValue::Null}}})
                                 << uR"({"x":[1,"y",null]})"_s;
    QTest::newRow("QJsonValue") << QVariant(QJsonValue(u"v"_s)) << uR"("v")"_s;
}

void tst_Interop::qtValueTypesReachNodeAsJson()
{
    QFETCH(QVariant, value);
    QFETCH(QString, nodeJson);

    TestPeer node;
    CHECKED(startNodeServer(node));
    IpcClient client;
    QString id;
    CHECKED(connectQtClient(client, node, &id));

    QVERIFY(client.send(u"typed"_s, value));
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 1, Timeout);
    QCOMPARE(node.eventsNamed(u"message"_s).first().value(u"json").toString(), nodeJson);
}

void tst_Interop::qtClientTopicReachesNodeServer_data()
{
    QTest::addColumn<QString>("topic");
    QTest::addColumn<QString>("nodeTopic");

    QTest::newRow("plain") << u"news"_s << u"news"_s;
    QTest::newRow("dotted") << u"a.b.c"_s << u"a.b.c"_s;
    QTest::newRow("spaces") << u" padded topic "_s << u" padded topic "_s;
    QTest::newRow("unicode") << u"日本語 🎉"_s << u"日本語 🎉"_s;
    QTest::newRow("quotes") << u"say \"hi\"\\"_s << u"say \"hi\"\\"_s;
    // As the Node library documents (its own 0.4.0 code does not do it).
    QTest::newRow("empty") << QString() << u"none"_s;
}

void tst_Interop::qtClientTopicReachesNodeServer()
{
    QFETCH(QString, topic);
    QFETCH(QString, nodeTopic);

    TestPeer node;
    CHECKED(startNodeServer(node));
    node.command({{u"subscribe"_s, nodeTopic}});
    QTRY_VERIFY_WITH_TIMEOUT(node.has(u"subscribed"_s), Timeout);
    IpcClient client;
    QString id;
    CHECKED(connectQtClient(client, node, &id));

    QVERIFY(client.send(topic, u"m"_s));
    // Node's 'message.<topic>' event fires too: the topic arrived as the same string.
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"topicMessage"_s), 1, Timeout);
    QCOMPARE(node.count(u"message"_s), 1);
    QCOMPARE(node.eventsNamed(u"message"_s).first().value(u"topic").toString(), nodeTopic);
}

void tst_Interop::nodeServerTopicReachesQtClient_data()
{
    QTest::addColumn<QString>("topic");

    QTest::newRow("plain") << u"news"_s;
    QTest::newRow("dotted") << u"a.b.c"_s;
    QTest::newRow("spaces") << u" padded topic "_s;
    QTest::newRow("unicode") << u"日本語 🎉"_s;
    QTest::newRow("quotes") << u"say \"hi\"\\"_s;
    // Node 0.4.0 sends an empty topic as it is, not as the "none" its documentation promises.
    QTest::newRow("empty") << u""_s;
}

void tst_Interop::nodeServerTopicReachesQtClient()
{
    QFETCH(QString, topic);

    TestPeer node;
    CHECKED(startNodeServer(node));
    IpcClient client;
    QSignalSpy messages(&client, &IpcClient::messageReceived);
    // An IpcTopic with an empty name subscribes to nothing.
    IpcTopic *subscription = topic.isEmpty() ? nullptr : client.topic(topic);
    IpcTopic *other = client.topic(topic + u"-other"_s);
    QString id;
    CHECKED(connectQtClient(client, node, &id));

    node.command({{u"send"_s, topic}, {u"message"_s, u"m"_s}, {u"client"_s, id}});
    QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 1, Timeout);
    QCOMPARE(messages.at(0).at(0).toString(), topic);
    if (subscription) {
        QCOMPARE(subscription->count(), 1);
        QCOMPARE(subscription->lastMessage(), QVariant(u"m"_s));
    }
    QCOMPARE(other->count(), 0);
}

void tst_Interop::burstFromNodeServerArrivesInOrder()
{
    constexpr int Messages = 1000;
    TestPeer node;
    CHECKED(startNodeServer(node));
    IpcClient client;
    QSignalSpy messages(&client, &IpcClient::messageReceived);
    QString id;
    CHECKED(connectQtClient(client, node, &id));

    // One stdin write: Node writes the frames back to back, so many share a read.
    QByteArray commands;
    for (int i = 0; i < Messages; ++i) {
        commands += QJsonDocument(
                            QJsonObject{{u"send"_s, u"n"_s},
                                        {u"message"_s, QJsonObject{{u"i"_s, i}, {u"s"_s, u"é🎉"_s}}},
                                        {u"client"_s, id}})
                            .toJson(QJsonDocument::Compact)
                + '\n';
    }
    node.process().write(commands);

    QTRY_COMPARE_WITH_TIMEOUT(messages.count(), Messages, Timeout);
    for (int i = 0; i < Messages; ++i) {
        const QVariantMap message = messages.at(i).at(1).toMap();
        QCOMPARE(message.value(u"i"_s), QVariant(qlonglong(i)));
        QCOMPARE(message.value(u"s"_s), QVariant(u"é🎉"_s));
    }
}

void tst_Interop::burstFromQtClientArrivesInOrder()
{
    constexpr int Messages = 1000;
    TestPeer node;
    CHECKED(startNodeServer(node));
    IpcClient client;
    QString id;
    CHECKED(connectQtClient(client, node, &id));

    for (int i = 0; i < Messages; ++i)
        QVERIFY(client.send(u"n"_s, QVariantMap{{u"i"_s, i}, {u"s"_s, u"é🎉"_s}}));

    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), Messages, Timeout);
    const QList<QJsonObject> received = node.eventsNamed(u"message"_s);
    for (int i = 0; i < Messages; ++i)
        QCOMPARE(received.at(i).value(u"json").toString(), u"{\"i\":%1,\"s\":\"é🎉\"}"_s.arg(i));
}

void tst_Interop::qtClientRetriesUntilNodeServerListens()
{
    IpcClient client;
    client.setRetryDelay(100);
    QSignalSpy connectErrors(&client, &IpcClient::connectError);
    QSignalSpy connected(&client, &IpcClient::connected);
    client.connectToServer(socketPath());
    QTRY_VERIFY_WITH_TIMEOUT(connectErrors.count() >= 2, Timeout);
    QCOMPARE(client.state(), IpcClient::State::Connecting);

    TestPeer node;
    CHECKED(startNodeServer(node));
    QTRY_COMPARE_WITH_TIMEOUT(connected.count(), 1, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"clientConnected"_s), 1, Timeout);
    QVERIFY(client.send(u"t"_s, u"late"_s));
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 1, Timeout);
}

void tst_Interop::qtClientCloseFlushesToNodeServer()
{
    TestPeer node;
    CHECKED(startNodeServer(node));
    IpcClient client;
    QSignalSpy closed(&client, &IpcClient::closed);
    QString id;
    CHECKED(connectQtClient(client, node, &id));

    const QString big = mebibyteOf(u"ÆØÅ 日本語 🎉 "_s);
    QVERIFY(client.send(u"last words"_s, big));
    client.close();
    QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"clientDisconnected"_s), 1, Timeout);
    QCOMPARE(node.count(u"message"_s), 1);
    QCOMPARE(node.eventsNamed(u"message"_s).first().value(u"message").toString(), big);
    QVERIFY(!node.has(u"error"_s));
}

void tst_Interop::qtClientReconnectsAfterNodeServerRestart_data()
{
    QTest::addColumn<bool>("kill");
    QTest::newRow("server killed") << true;  // leaves a stale socket file for Node to remove
    QTest::newRow("server closed") << false;
}

void tst_Interop::qtClientReconnectsAfterNodeServerRestart()
{
    QFETCH(bool, kill);

    auto node = std::make_unique<TestPeer>();
    CHECKED(startNodeServer(*node));
    IpcClient client;
    QSignalSpy disconnected(&client, &IpcClient::disconnected);
    QSignalSpy reconnected(&client, &IpcClient::reconnected);
    QSignalSpy messages(&client, &IpcClient::messageReceived);
    QString id;
    CHECKED(connectQtClient(client, *node, &id));

    if (kill) {
        node->kill();
    } else {
        node->command({{u"close"_s, true}});
        QTRY_VERIFY_WITH_TIMEOUT(node->has(u"closed"_s), Timeout);
    }
    QTRY_COMPARE_WITH_TIMEOUT(disconnected.count(), 1, Timeout);
    QCOMPARE(reconnected.count(), 0);

    node = std::make_unique<TestPeer>();
    CHECKED(startNodeServer(*node));
    QTRY_COMPARE_WITH_TIMEOUT(reconnected.count(), 1, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(node->count(u"clientConnected"_s), 1, Timeout);
    id = node->eventsNamed(u"clientConnected"_s).first().value(u"client").toString();

    QVERIFY(client.send(u"back"_s, u"from Qt"_s));
    node->command({{u"send"_s, u"back"_s}, {u"message"_s, u"from Node"_s}, {u"client"_s, id}});
    QTRY_COMPARE_WITH_TIMEOUT(node->count(u"message"_s), 1, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 1, Timeout);
    QCOMPARE(messages.at(0).at(1), QVariant(u"from Node"_s));
    QCOMPARE(disconnected.count(), 1);
}

void tst_Interop::qtClientRequestIsAnOrdinaryMessageToNodeServer()
{
    TestPeer node;
    CHECKED(startNodeServer(node, {u"--raw-frames"_s}));
    IpcClient client;
    QSignalSpy errors(&client, &IpcClient::errorOccurred);
    QSignalSpy disconnected(&client, &IpcClient::disconnected);
    QString id;
    CHECKED(connectQtClient(client, node, &id));

    // The request goes out with an "id" key, which the Node library ignores: its server sees a
    // message, and never answers.
    IpcReply *reply = client.request(u"ask"_s, QVariantMap{{u"q"_s, u"é"_s}}, 300);
    QSignalSpy finished(reply, &IpcReply::finished);
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 1, Timeout);
    const QJsonObject message = node.eventsNamed(u"message"_s).first();
    QCOMPARE(message.value(u"topic").toString(), u"ask"_s);
    QCOMPARE(message.value(u"json").toString(), uR"({"q":"é"})"_s);
    QCOMPARE(message.value(u"client").toString(), id);
    QCOMPARE(node.count(u"rawFrame"_s), 1);
    const QJsonObject raw = rawFrameObject(node.eventsNamed(u"rawFrame"_s).first());
    QCOMPARE(raw.keys(), (QStringList{u"id"_s, u"message"_s, u"topic"_s}));
    QVERIFY2(raw.value(u"id").toDouble() >= 1, qPrintable(raw.value(u"id").toVariant().toString()));

    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, Timeout);
    QCOMPARE(reply->error(), IpcError::TimeoutError);
    QVERIFY(!reply->value().isValid());
    // The timeout cancels the request: the notice is a message on a topic of its own, which
    // a Node program that routes by topic ignores.
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 2, Timeout);
    QCOMPARE(node.eventsNamed(u"message"_s).last().value(u"topic").toString(),
             u"socketipc.cancel"_s);
    const QJsonObject notice = rawFrameObject(node.eventsNamed(u"rawFrame"_s).last());
    QCOMPARE(notice.keys(), (QStringList{u"cancel"_s, u"message"_s, u"topic"_s}));
    QCOMPARE(notice.value(u"cancel"), raw.value(u"id"));

    // Nothing else went wrong, on either side, and the connection goes on.
    QVERIFY(client.send(u"after"_s, 1));
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 3, Timeout);
    QCOMPARE(node.eventsNamed(u"message"_s).last().value(u"topic").toString(), u"after"_s);
    QCOMPARE(errors.count(), 0);
    QCOMPARE(disconnected.count(), 0);
    QVERIFY(!node.has(u"error"_s));
}

// --- A Qt server, Node clients ------------------------------------------------------------

void tst_Interop::qtServerSendReachesNodeClient()
{
    QFETCH(QVariant, value);
    QFETCH(QString, nodeJson);

    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    TestPeer node;
    QStringList ids;
    CHECKED(connectNodeClients(server, {&node}, &ids));

    QVERIFY(server.send(u"payload"_s, value, ids.at(0)));
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 1, Timeout);
    const QJsonObject received = node.eventsNamed(u"message"_s).first();
    QCOMPARE(received.value(u"topic").toString(), u"payload"_s);
    const QString difference = textDifference(received.value(u"json").toString(), nodeJson);
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
    QVERIFY(!node.has(u"error"_s));
}

void tst_Interop::nodeClientOfAServerThatAllowsMonitorsIsAClient()
{
    // A Node client never says whether it is a client or a monitor: it is a client, once it
    // sends or after a moment of silence, gets broadcasts, and monitors see its messages.
    IpcServer server;
    server.setAllowMonitors(true);
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    IpcClient monitor;
    monitor.setMonitor(true);
    QList<QVariantMap> events;
    connect(&monitor, &IpcClient::messageReceived, this,
            [&](const QString &topic, const QVariant &message) {
                if (topic == u"socketipc.monitor"_s)
                    events.append(message.toMap());
            });
    monitor.connectToServer(socketPath());
    QTRY_COMPARE(server.monitorCount(), 1);

    TestPeer silent;
    TestPeer talker;
    QStringList ids;
    CHECKED(connectNodeClients(server, {&silent, &talker}, &ids));
    QCOMPARE(server.clientCount(), 2);
    talker.command({{u"send"_s, u"from-node"_s}, {u"message"_s, 7}});
    server.broadcast(u"news"_s, true);
    QTRY_COMPARE_WITH_TIMEOUT(silent.count(u"message"_s, u"news"_s), 1, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(talker.count(u"message"_s, u"news"_s), 1, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(events.cbegin(), events.cend(),
                                         [](const QVariantMap &event) {
                                             return event.value(u"topic"_s) == u"from-node"_s;
                                         }),
                             Timeout);
    QVERIFY(!silent.has(u"error"_s));
    QVERIFY(!talker.has(u"error"_s));
    QCOMPARE(server.monitorCount(), 1);
}

void tst_Interop::nodeClientGetsRetainedMessagesOnConnect()
{
    // A Node client that connects after the server retained two topics gets the greeting that
    // counts them and then both, as ordinary messages, first; a cleared value's notice is a
    // message on socketipc.retained, which it may ignore; nothing goes wrong on either side.
    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    QSignalSpy errors(&server, &IpcServer::errorOccurred);
    QVERIFY(server.retain(u"status"_s, QVariantMap{{u"state"_s, u"ready"_s}}));
    QVERIFY(server.retain(u"count"_s, 3));
    connect(&server, &IpcServer::clientConnected, &server,
            [&] { server.broadcast(u"later"_s, true); });
    TestPeer node;
    QStringList ids;
    CHECKED(connectNodeClients(server, {&node}, &ids));
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 3, Timeout);
    QCOMPARE(node.count(u"greeting"_s), 1);
    const QJsonObject greeting = node.eventsNamed(u"greeting"_s).first();
    QCOMPARE(greeting.value(u"topic").toString(), u"socketipc.hello"_s);
    QCOMPARE(greeting.value(u"json").toString(), uR"({"retained":2})"_s);
    QVERIFY(node.events().indexOf(greeting)
            < node.events().indexOf(node.eventsNamed(u"message"_s).first()));
    const QList<QJsonObject> messages = node.eventsNamed(u"message"_s);
    QCOMPARE(messages.at(0).value(u"topic").toString(), u"count"_s);
    QCOMPARE(messages.at(0).value(u"json").toString(), u"3"_s);
    QCOMPARE(messages.at(1).value(u"topic").toString(), u"status"_s);
    QCOMPARE(messages.at(1).value(u"json").toString(), uR"({"state":"ready"})"_s);
    QCOMPARE(messages.at(2).value(u"topic").toString(), u"later"_s);

    server.clearRetained(u"status"_s);
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 4, Timeout);
    const QJsonObject notice = node.eventsNamed(u"message"_s).last();
    QCOMPARE(notice.value(u"topic").toString(), u"socketipc.retained"_s);
    QCOMPARE(notice.value(u"json").toString(), uR"({"cleared":"status"})"_s);
    QVERIFY(!node.has(u"error"_s));
    QCOMPARE(errors.count(), 0);
}

void tst_Interop::qtServerBroadcastReachesEveryNodeClient()
{
    QFETCH(QVariant, value);
    QFETCH(QString, nodeJson);

    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    TestPeer first;
    TestPeer second;
    QStringList ids;
    CHECKED(connectNodeClients(server, {&first, &second}, &ids));

    server.broadcast(u"payload"_s, value);
    for (TestPeer *node : {&first, &second}) {
        QTRY_COMPARE_WITH_TIMEOUT(node->count(u"message"_s), 1, Timeout);
        const QJsonObject received = node->eventsNamed(u"message"_s).first();
        QCOMPARE(received.value(u"topic").toString(), u"payload"_s);
        const QString difference = textDifference(received.value(u"json").toString(), nodeJson);
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
    }
}

void tst_Interop::nodeClientSendReachesQtServer()
{
    QFETCH(QVariant, value);
    QFETCH(QString, nodeJson);

    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    QSignalSpy errors(&server, &IpcServer::errorOccurred);
    TestPeer node;
    QStringList ids;
    CHECKED(connectNodeClients(server, {&node}, &ids));
    QSignalSpy messages(&server, &IpcServer::messageReceived);
    QSignalSpy topicMessages(server.topic(u"payload"_s), &IpcTopic::messageReceived);

    node.command({{u"send"_s, u"payload"_s}, {u"json"_s, nodeJson}});
    QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 1, Timeout);
    QCOMPARE(messages.at(0).at(0).toString(), u"payload"_s);
    QCOMPARE(messages.at(0).at(2).toString(), ids.at(0));
    const QString difference = valueDifference(messages.at(0).at(1), value);
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
    QCOMPARE(topicMessages.count(), 1);
    QCOMPARE(topicMessages.at(0).at(1).toString(), ids.at(0));
    QCOMPARE(errors.count(), 0);
}

void tst_Interop::qtServerTellsNodeClientsApart()
{
    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    TestPeer nodes[3];
    const QList<TestPeer *> peers{&nodes[0], &nodes[1], &nodes[2]};
    QStringList ids;
    CHECKED(connectNodeClients(server, peers, &ids));

    QCOMPARE(QSet<QString>(ids.cbegin(), ids.cend()).size(), 3);
    for (qsizetype i = 0; i < peers.size(); ++i) {
        QCOMPARE(QUuid::fromString(ids.at(i)).version(), QUuid::Random);
        QCOMPARE(server.peerCredentials(ids.at(i)).pid(), peers.at(i)->process().processId());
    }

    // Each client's messages carry its own id.
    QSignalSpy messages(&server, &IpcServer::messageReceived);
    for (qsizetype i = 0; i < peers.size(); ++i)
        peers.at(i)->command({{u"send"_s, u"who"_s}, {u"message"_s, int(i)}});
    QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 3, Timeout);
    for (const QList<QVariant> &message : std::as_const(messages))
        QCOMPARE(message.at(2).toString(), ids.at(message.at(1).toInt()));

    // A send reaches only its client: frames keep their order per connection, so a client
    // that has the broadcast sent afterwards would have had the private message by then.
    QVERIFY(server.send(u"private"_s, u"for the second"_s, ids.at(1)));
    server.broadcast(u"fence"_s, u"everyone"_s);
    for (TestPeer *peer : peers)
        QTRY_COMPARE_WITH_TIMEOUT(peer->count(u"message"_s, u"fence"_s), 1, Timeout);
    QCOMPARE(nodes[0].count(u"message"_s, u"private"_s), 0);
    QCOMPARE(nodes[1].count(u"message"_s, u"private"_s), 1);
    QCOMPARE(nodes[2].count(u"message"_s, u"private"_s), 0);
    QCOMPARE(nodes[1].eventsNamed(u"message"_s, u"private"_s).first().value(u"message").toString(),
             u"for the second"_s);

    // 1 MiB both ways, with the others still served.
    const QString big = mebibyteOf(u"ÆØÅ 日本語 🎉 "_s);
    QVERIFY(server.send(u"big"_s, big, ids.at(2)));
    nodes[0].command({{u"send"_s, u"big"_s}, {u"message"_s, big}});
    QTRY_COMPARE_WITH_TIMEOUT(nodes[2].count(u"message"_s, u"big"_s), 1, Timeout);
    QCOMPARE(nodes[2].eventsNamed(u"message"_s, u"big"_s).first().value(u"message").toString(),
             big);
    QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 4, Timeout);
    QCOMPARE(messages.at(3).at(0).toString(), u"big"_s);
    QCOMPARE(messages.at(3).at(2).toString(), ids.at(0));
    QVERIFY(messages.at(3).at(1).toString() == big);
    for (TestPeer *peer : peers)
        QVERIFY(!peer->has(u"error"_s));
}

void tst_Interop::qtServerTopicsReceiveNodeMessages()
{
    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    IpcTopic *x = server.topic(u"x"_s);
    QSignalSpy xMessages(x, &IpcTopic::messageReceived);
    QList<std::pair<QVariant, QString>> yMessages;
    server.on(u"y"_s, this, [&yMessages](const QVariant &message, const QString &clientId) {
        yMessages.append({message, clientId});
    });
    QSignalSpy all(&server, &IpcServer::messageReceived);

    TestPeer first;
    TestPeer second;
    QStringList ids;
    CHECKED(connectNodeClients(server, {&first, &second}, &ids));
    all.clear();

    first.command({{u"send"_s, u"x"_s}, {u"message"_s, 1}});
    first.command({{u"send"_s, u"y"_s}, {u"message"_s, 2}});
    first.command({{u"send"_s, u"x.y"_s}, {u"message"_s, 3}});
    second.command({{u"send"_s, u"x"_s}, {u"message"_s, 4}});
    second.command({{u"send"_s, u"X"_s}, {u"message"_s, 5}});
    QTRY_COMPARE_WITH_TIMEOUT(all.count(), 5, Timeout);

    QCOMPARE(xMessages.count(), 2);
    QCOMPARE(x->count(), 2);
    QMap<QString, QVariant> xByClient;
    for (const QList<QVariant> &message : std::as_const(xMessages))
        xByClient.insert(message.at(1).toString(), message.at(0));
    QCOMPARE(xByClient.value(ids.at(0)), QVariant(qlonglong(1)));
    QCOMPARE(xByClient.value(ids.at(1)), QVariant(qlonglong(4)));
    QCOMPARE(yMessages.size(), 1);
    QCOMPARE(yMessages.at(0).first, QVariant(qlonglong(2)));
    QCOMPARE(yMessages.at(0).second, ids.at(0));
}

void tst_Interop::nodeClientTopicSubscriptionReceivesQtMessages()
{
    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    TestPeer node;
    QStringList ids;
    CHECKED(connectNodeClients(server, {&node}, &ids));
    node.command({{u"subscribe"_s, u"news"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(node.has(u"subscribed"_s), Timeout);

    QVERIFY(server.send(u"news"_s, u"one"_s, ids.at(0)));
    QVERIFY(server.send(u"weather"_s, u"two"_s, ids.at(0)));
    server.broadcast(u"news"_s, u"three"_s);
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 3, Timeout);
    const QList<QJsonObject> news = node.eventsNamed(u"topicMessage"_s);
    QCOMPARE(news.size(), 2);
    QCOMPARE(news.at(0).value(u"message").toString(), u"one"_s);
    QCOMPARE(news.at(1).value(u"message").toString(), u"three"_s);
}

void tst_Interop::nodeClientSendWithoutMessageIsDelivered()
{
    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    TestPeer node;
    QStringList ids;
    CHECKED(connectNodeClients(server, {&node}, &ids));
    QSignalSpy messages(&server, &IpcServer::messageReceived);
    QSignalSpy errors(&server, &IpcServer::errorOccurred);
    QSignalSpy disconnections(&server, &IpcServer::clientDisconnected);

    // client.send('ping') in Node writes {"topic":"ping"}: JSON.stringify leaves out an
    // undefined message. A Node server delivers it (message undefined) and keeps the client.
    node.command({{u"send"_s, u"ping"_s}});
    node.command({{u"send"_s, u"after"_s}, {u"message"_s, 1}});
    QTRY_VERIFY_WITH_TIMEOUT(messages.count() == 2 || disconnections.count() > 0, Timeout);

    QCOMPARE(disconnections.count(), 0);
    QCOMPARE(errors.count(), 0);
    QCOMPARE(messages.at(0).at(0).toString(), u"ping"_s);
    QVERIFY(!messages.at(0).at(1).isValid());  // undefined
    QCOMPARE(messages.at(1).at(1), QVariant(qlonglong(1)));
}

void tst_Interop::nodeClientRetriesUntilQtServerListens()
{
    TestPeer node;
    CHECKED(startNodeClient(node));
    QTRY_VERIFY_WITH_TIMEOUT(node.count(u"connectError"_s) >= 2, Timeout);
    QVERIFY(!node.has(u"connected"_s));

    IpcServer server;
    QSignalSpy connections(&server, &IpcServer::clientConnected);
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    QTRY_COMPARE_WITH_TIMEOUT(connections.count(), 1, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(node.has(u"connected"_s), Timeout);
    QVERIFY(server.send(u"t"_s, u"welcome"_s, connections.at(0).at(0).toString()));
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 1, Timeout);
}

void tst_Interop::qtServerCloseFlushesToNodeClient()
{
    IpcServer server;
    QSignalSpy closed(&server, &IpcServer::closed);
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    TestPeer node;
    QStringList ids;
    CHECKED(connectNodeClients(server, {&node}, &ids));

    const QString big = mebibyteOf(u"ÆØÅ 日本語 🎉 "_s);
    QVERIFY(server.send(u"last words"_s, big, ids.at(0)));
    server.broadcast(u"goodbye"_s, true);
    server.close();
    QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(node.has(u"disconnected"_s), Timeout);
    QCOMPARE(node.count(u"message"_s), 2);
    QCOMPARE(node.eventsNamed(u"message"_s).at(0).value(u"message").toString(), big);
    QCOMPARE(node.eventsNamed(u"message"_s).at(1).value(u"topic").toString(), u"goodbye"_s);
}

void tst_Interop::qtServerNoticesNodeClientClose()
{
    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    QSignalSpy disconnections(&server, &IpcServer::clientDisconnected);
    QSignalSpy messages(&server, &IpcServer::messageReceived);
    TestPeer leaving;
    TestPeer staying;
    QStringList ids;
    CHECKED(connectNodeClients(server, {&leaving, &staying}, &ids));

    leaving.command({{u"send"_s, u"bye"_s}, {u"message"_s, u"leaving"_s}});
    leaving.command({{u"close"_s, true}});
    QTRY_VERIFY_WITH_TIMEOUT(leaving.has(u"closed"_s), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(disconnections.count(), 1, Timeout);
    QCOMPARE(disconnections.at(0).at(0).toString(), ids.at(0));
    QCOMPARE(server.clientIds(), QStringList{ids.at(1)});
    // Sent before the close: delivered.
    QCOMPARE(messages.last().at(0).toString(), u"bye"_s);
    QCOMPARE(messages.last().at(2).toString(), ids.at(0));

    QSignalSpy errors(&server, &IpcServer::errorOccurred);
    QVERIFY(!server.send(u"t"_s, u"gone"_s, ids.at(0)));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).value<IpcError::Error>(), IpcError::BadClientError);
    QVERIFY(server.send(u"t"_s, u"still here"_s, ids.at(1)));
    QTRY_COMPARE_WITH_TIMEOUT(staying.count(u"message"_s), 1, Timeout);
}

void tst_Interop::nodeClientReconnectsAfterQtServerRestart()
{
    auto server = std::make_unique<IpcServer>();
    QVERIFY2(server->listen(socketPath()), qPrintable(server->errorString()));
    TestPeer node;
    QStringList ids;
    CHECKED(connectNodeClients(*server, {&node}, &ids));

    QSignalSpy closed(server.get(), &IpcServer::closed);
    server->close();
    QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(node.has(u"disconnected"_s), Timeout);
    // The Node client keeps trying; nothing listens yet.
    QTRY_VERIFY_WITH_TIMEOUT(node.has(u"connectError"_s), Timeout);
    server.reset();

    IpcServer restarted;
    QSignalSpy connections(&restarted, &IpcServer::clientConnected);
    QSignalSpy messages(&restarted, &IpcServer::messageReceived);
    QVERIFY2(restarted.listen(socketPath()), qPrintable(restarted.errorString()));
    QTRY_COMPARE_WITH_TIMEOUT(connections.count(), 1, Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(node.has(u"reconnected"_s), Timeout);
    QVERIFY(connections.at(0).at(0).toString() != ids.at(0));

    node.command({{u"send"_s, u"back"_s}, {u"message"_s, u"from Node"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 1, Timeout);
    QCOMPARE(messages.at(0).at(2).toString(), connections.at(0).at(0).toString());
    QVERIFY(restarted.send(u"back"_s, u"from Qt"_s, connections.at(0).at(0).toString()));
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 1, Timeout);
    QCOMPARE(node.count(u"disconnected"_s), 1);
}

void tst_Interop::qtServerRequestIsAnOrdinaryMessageToNodeClient()
{
    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    QSignalSpy errors(&server, &IpcServer::errorOccurred);
    QSignalSpy disconnections(&server, &IpcServer::clientDisconnected);
    TestPeer node;
    QStringList ids;
    CHECKED(connectNodeClients(server, {&node}, &ids, {u"--raw-frames"_s}));

    IpcReply *reply = server.request(u"ask"_s, u"x"_s, ids.at(0), 300);
    QSignalSpy finished(reply, &IpcReply::finished);
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 1, Timeout);
    const QJsonObject message = node.eventsNamed(u"message"_s).first();
    QCOMPARE(message.value(u"topic").toString(), u"ask"_s);
    QCOMPARE(message.value(u"json").toString(), uR"("x")"_s);
    const QJsonObject raw = rawFrameObject(node.eventsNamed(u"rawFrame"_s).first());
    QCOMPARE(raw.keys(), (QStringList{u"id"_s, u"message"_s, u"topic"_s}));

    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, Timeout);
    QCOMPARE(reply->error(), IpcError::TimeoutError);

    QVERIFY(server.send(u"after"_s, 1, ids.at(0)));
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 2, Timeout);
    QCOMPARE(errors.count(), 0);
    QCOMPARE(disconnections.count(), 0);
    QVERIFY(!node.has(u"error"_s));
}

void tst_Interop::qtServerRepliesReachNodeClientAsOrdinaryMessages()
{
    IpcServer server;
    QVERIFY2(server.listen(socketPath()), qPrintable(server.errorString()));
    IpcTest::handleSumAndFail(server);
    QSignalSpy errors(&server, &IpcServer::errorOccurred);
    QSignalSpy disconnections(&server, &IpcServer::clientDisconnected);
    TestPeer node;
    QStringList ids;
    CHECKED(connectNodeClients(server, {&node}, &ids, {u"--raw-frames"_s}));
    QSignalSpy messages(&server, &IpcServer::messageReceived);

    // The Node library cannot send requests: write them as a program of its own would.
    node.command({{u"raw"_s, uR"({"topic":"sum","message":[2,3],"id":5})"_s}});
    node.command({{u"raw"_s, uR"({"topic":"nobody","message":null,"id":6})"_s}});
    node.command({{u"raw"_s, uR"({"topic":"fail","message":0,"id":7})"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 3, Timeout);

    // The replies, with "re" and "error" keys the Node library ignores, are its messages.
    const QList<QJsonObject> received = node.eventsNamed(u"message"_s);
    QCOMPARE(received.at(0).value(u"topic").toString(), u"sum"_s);
    QCOMPARE(received.at(0).value(u"json").toString(), u"5"_s);
    QCOMPARE(received.at(1).value(u"topic").toString(), u"nobody"_s);
    QCOMPARE(received.at(1).value(u"json").toString(), u"null"_s);
    QCOMPARE(received.at(2).value(u"topic").toString(), u"fail"_s);
    QCOMPARE(received.at(2).value(u"json").toString(), u"null"_s);

    const QList<QJsonObject> raw = node.eventsNamed(u"rawFrame"_s);
    QCOMPARE(raw.size(), 3);
    const QJsonObject sum = rawFrameObject(raw.at(0));
    QCOMPARE(sum.keys(), (QStringList{u"message"_s, u"re"_s, u"topic"_s}));
    QCOMPARE(sum.value(u"re").toInt(), 5);
    const QJsonObject nobody = rawFrameObject(raw.at(1));
    QCOMPARE(nobody.keys(), (QStringList{u"error"_s, u"message"_s, u"re"_s, u"topic"_s}));
    QCOMPARE(nobody.value(u"re").toInt(), 6);
    QCOMPARE(nobody.value(u"error").toObject().value(u"code").toString(), u"NoHandler"_s);
    const QJsonObject fail = rawFrameObject(raw.at(2));
    QCOMPARE(fail.value(u"re").toInt(), 7);
    QCOMPARE(fail.value(u"error").toObject().value(u"code").toString(), u"Handler"_s);
    QVERIFY2(fail.value(u"error")
                     .toObject()
                     .value(u"message")
                     .toString()
                     .contains(u"refused on purpose"_s),
             qPrintable(raw.at(2).value(u"json").toString()));

    // Requests are not messages; nothing failed on either side.
    QCOMPARE(messages.count(), 0);
    QCOMPARE(errors.count(), 0);
    QCOMPARE(disconnections.count(), 0);
    QVERIFY(!node.has(u"error"_s));
    QVERIFY(!node.has(u"badCommand"_s));
}

QTEST_GUILESS_MAIN(tst_Interop)

#include "tst_interop.moc"
