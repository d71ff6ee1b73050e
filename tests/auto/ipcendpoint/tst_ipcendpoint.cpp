#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcEndpoint>
#include <SocketIpc/IpcServer>

#include "ipctestsupport.h"

#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <memory>

// What IpcServer and IpcClient share, used through IpcEndpoint only, on real sockets.
class tst_IpcEndpoint : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();

    void wireWorksWithEitherClass_data();
    void wireWorksWithEitherClass();
    void settingsLiveOnceAndNotify_data();
    void settingsLiveOnceAndNotify();
    void socketPathIsAnAliasOfAddress();
    void closeIsVirtual();
    void oneSignalShapeOnBothSides();
    void errorsCarryTheClientIdOnlyOnAServer();

private:
    IpcTest::SocketDir m_dir;
    QString m_path;
};

namespace {

// What a user writes once for "the bus", whichever end of it this process is.
struct Wiring
{
    QStringList received;  // "topic=message" for each message
};

void wire(IpcEndpoint &bus, const QString &address, Wiring *wiring)
{
    bus.setAddress(address);
    bus.setCodecName(QStringLiteral("cbor"));
    bus.handle(QStringLiteral("double"),
               [](const QVariant &message) { return message.toInt() * 2; });
    QObject::connect(&bus, &IpcEndpoint::messageReceived, &bus,
                     [wiring](const QString &topic, const QVariant &message) {
                         wiring->received << topic + QLatin1Char('=') + message.toString();
                     });
}

}  // namespace

void tst_IpcEndpoint::init()
{
    m_dir.renew();
    QVERIFY(m_dir.isValid());
    m_path = m_dir.socketPath();
}

void tst_IpcEndpoint::wireWorksWithEitherClass_data()
{
    QTest::addColumn<bool>("wireServer");
    QTest::newRow("server wired") << true;
    QTest::newRow("client wired") << false;
}

void tst_IpcEndpoint::wireWorksWithEitherClass()
{
    QFETCH(bool, wireServer);
    IpcServer server;
    IpcClient client;
    client.setRetryDelay(20);
    Wiring wiring;
    // One end is set up through IpcEndpoint alone; the other by hand, to match it.
    IpcEndpoint &wired = wireServer ? static_cast<IpcEndpoint &>(server) : client;
    IpcEndpoint &other = wireServer ? static_cast<IpcEndpoint &>(client) : server;
    wire(wired, m_path, &wiring);
    other.setAddress(m_path);
    other.setCodecName(QStringLiteral("cbor"));
    QCOMPARE(wired.address(), m_path);
    QCOMPARE(wired.codecName(), QStringLiteral("cbor"));
    QVERIFY(wired.hasHandler(QStringLiteral("double")));

    QVERIFY2(server.listen(), qPrintable(server.errorString()));
    QSignalSpy connected(&client, &IpcClient::connected);
    QSignalSpy clientConnected(&server, &IpcServer::clientConnected);
    client.connectToServer();
    QVERIFY(connected.wait());
    QTRY_COMPARE(clientConnected.count(), 1);
    const QString clientId = clientConnected.at(0).at(0).toString();

    // A message to the wired end reaches its messageReceived connection.
    if (wireServer)
        QVERIFY(client.send(QStringLiteral("hello"), QStringLiteral("from client")));
    else
        QVERIFY(server.send(QStringLiteral("hello"), QStringLiteral("from server"), clientId));
    QTRY_COMPARE(wiring.received.size(), 1);
    QCOMPARE(wiring.received.first(),
             wireServer ? QStringLiteral("hello=from client")
                        : QStringLiteral("hello=from server"));

    // A request to the wired end is answered by its handler, over CBOR.
    IpcReply *reply = wireServer ? client.request(QStringLiteral("double"), 21)
                                 : server.request(QStringLiteral("double"), 21, clientId);
    QSignalSpy finished(reply, &IpcReply::finished);
    QVERIFY(finished.wait());
    QCOMPARE(reply->error(), IpcError::NoError);
    QCOMPARE(reply->value().toInt(), 42);
}

void tst_IpcEndpoint::settingsLiveOnceAndNotify_data()
{
    QTest::addColumn<bool>("isServer");
    QTest::newRow("server") << true;
    QTest::newRow("client") << false;
}

void tst_IpcEndpoint::settingsLiveOnceAndNotify()
{
    QFETCH(bool, isServer);
    std::unique_ptr<IpcEndpoint> endpoint;
    if (isServer)
        endpoint = std::make_unique<IpcServer>();
    else
        endpoint = std::make_unique<IpcClient>();
    QCOMPARE(endpoint->maxFrameSize(), IpcEndpoint::DefaultMaxFrameSize);
    QCOMPARE(endpoint->maxPendingBytes(),
             isServer ? IpcServer::DefaultMaxPendingBytes : IpcClient::DefaultMaxPendingBytes);
    QCOMPARE(endpoint->requestTimeout(), IpcEndpoint::DefaultRequestTimeout);
    QCOMPARE(endpoint->closeTimeout(), IpcEndpoint::DefaultCloseTimeout);
    QCOMPARE(endpoint->codecName(), QStringLiteral("json"));
    QCOMPARE(endpoint->error(), IpcError::NoError);

    // Every setting notifies once on change, never on the same value, through the meta-object
    // too (as QML sees it).
    struct Setting
    {
        const char *property;
        QVariant value;
    };
    IpcTlsSettings tls;
    tls.setCaFile(QStringLiteral("ca.crt"));
    const Setting settings[] = {
            {"address", QStringLiteral("tcp://127.0.0.1:7000")},
            {"maxFrameSize", qint64(1000)},
            {"maxPendingBytes", qint64(2000)},
            {"closeTimeout", 123},
            {"codecName", QStringLiteral("cbor")},
            {"requestTimeout", 456},
            {"authToken", QStringLiteral("a-token-long-enough-to-pass")},
            {"tls", QVariant::fromValue(tls)},
    };
    for (const Setting &setting : settings) {
        const QMetaProperty property = endpoint->metaObject()->property(
                endpoint->metaObject()->indexOfProperty(setting.property));
        QVERIFY2(property.isValid() && property.hasNotifySignal(), setting.property);
        QSignalSpy notified(endpoint.get(), property.notifySignal());
        QVERIFY(endpoint->setProperty(setting.property, setting.value));
        QVERIFY(endpoint->setProperty(setting.property, setting.value));
        QCOMPARE(notified.count(), 1);
        QCOMPARE(endpoint->property(setting.property), setting.value);
    }
    QCOMPARE(endpoint->tls().caFile(), QStringLiteral("ca.crt"));
}

void tst_IpcEndpoint::socketPathIsAnAliasOfAddress()
{
    IpcClient client;
    QSignalSpy changed(&client, &IpcEndpoint::addressChanged);
    QVERIFY(client.setProperty("socketPath", m_path));
    QCOMPARE(client.address(), m_path);
    QCOMPARE(client.property("socketPath").toString(), m_path);
    QCOMPARE(changed.count(), 1);
}

void tst_IpcEndpoint::closeIsVirtual()
{
    IpcServer server;
    IpcClient client;
    QVERIFY(server.listen(m_path));
    IpcTest::connectClient(client, server);
    for (IpcEndpoint *endpoint :
         {static_cast<IpcEndpoint *>(&client), static_cast<IpcEndpoint *>(&server)}) {
        QSignalSpy closed(endpoint, &IpcEndpoint::closed);
        endpoint->close();
        QTRY_COMPARE(closed.count(), 1);
    }
    QVERIFY(!server.isListening());
    QCOMPARE(client.state(), IpcClient::State::Closed);
}

void tst_IpcEndpoint::oneSignalShapeOnBothSides()
{
    IpcServer server;
    IpcClient client;
    QVERIFY(server.listen(m_path));
    QString id;
    IpcTest::connectClient(client, server, &id);

    QSignalSpy atServer(&server, &IpcEndpoint::messageReceived);
    QSignalSpy atClient(&client, &IpcEndpoint::messageReceived);
    client.send(QStringLiteral("up"), 1);
    server.send(QStringLiteral("down"), 2, id);
    QTRY_COMPARE(atServer.count(), 1);
    QTRY_COMPARE(atClient.count(), 1);
    QCOMPARE(atServer.at(0), (QVariantList{QStringLiteral("up"), 1, id}));
    QCOMPARE(atClient.at(0), (QVariantList{QStringLiteral("down"), 2, QString()}));
}

void tst_IpcEndpoint::errorsCarryTheClientIdOnlyOnAServer()
{
    IpcServer server;
    IpcClient client;
    QSignalSpy serverErrors(&server, &IpcEndpoint::errorOccurred);
    QSignalSpy clientErrors(&client, &IpcEndpoint::errorOccurred);
    QVERIFY(server.listen(m_path));
    QVERIFY(!server.send(QStringLiteral("t"), 1, QStringLiteral("nobody")));
    QVERIFY(!client.send(QStringLiteral("t"), 1));  // not connected
    QCOMPARE(serverErrors.count(), 1);
    QCOMPARE(serverErrors.at(0).at(0).value<IpcError::Error>(), IpcError::BadClientError);
    QCOMPARE(serverErrors.at(0).at(2).toString(), QStringLiteral("nobody"));
    QCOMPARE(clientErrors.count(), 1);
    QCOMPARE(clientErrors.at(0).at(0).value<IpcError::Error>(), IpcError::NoServerError);
    QCOMPARE(clientErrors.at(0).at(2).toString(), QString());
    QCOMPARE(client.error(), IpcError::NoServerError);
    QVERIFY(!client.errorString().isEmpty());
}

QTEST_MAIN(tst_IpcEndpoint)
#include "tst_ipcendpoint.moc"
