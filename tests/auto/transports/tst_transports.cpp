#include "ipctestsupport.h"
#include "testpeer.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qtimer.h>
#include <QtTest/qsignalspy.h>
#include <csignal>
#include <QtCore/qscopeguard.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtTest/qtest.h>

#include <memory>

// The same behaviour on every transport (a local socket, TCP, TLS), on loopback only, and
// what only TCP and TLS have: certificates made at test time by make-certs.sh, tokens, and
// the peer's address.
class tst_Transports : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void exchangesMessagesBothWays_data() { transports(); }
    void exchangesMessagesBothWays();
    void requestsAreAnswered_data() { transports(); }
    void requestsAreAnswered();
    void reconnectsAfterServerRestart_data() { transports(); }
    void reconnectsAfterServerRestart();
    void burstThenCloseLosesNothing_data() { transports(); }
    void burstThenCloseLosesNothing();
    void floodingPeerDoesNotStarveTheEventLoop_data() { transports(); }
    void floodingPeerDoesNotStarveTheEventLoop();
    void oversizedFrameDropsOnlyThatClient_data() { transports(); }
    void oversizedFrameDropsOnlyThatClient();
    void peerProcessTalksOverIt_data() { transports(); }
    void peerProcessTalksOverIt();
    void peerIdentityFitsTheTransport_data() { transports(); }
    void peerIdentityFitsTheTransport();
    void tokenAdmitsOnlyClientsThatPresentIt_data() { transports(); }
    void tokenAdmitsOnlyClientsThatPresentIt();
    void slowReaderHitsMaxPendingBytes_data() { transports(); }
    void slowReaderHitsMaxPendingBytes();
    void idleTlsHandshakesDoNotStopAccepting();
    void tlsOffersOnlyForwardSecretAeadCiphers_data();
    void tlsOffersOnlyForwardSecretAeadCiphers();

    void tcpListensOnLoopbackUnlessTold();
    void badAddressesAreClearErrors_data();
    void badAddressesAreClearErrors();
    void tlsServerNeedsACertificate();
    void tlsClientRefusesAnUntrustedServer_data();
    void tlsClientRefusesAnUntrustedServer();
    void tlsServerRequiresClientCertificate();
    void tlsMutualAuthenticationExposesTheCertificate();

private:
    void transports();
    QString cert(const QString &name) const { return m_certs.filePath(name); }
    // A listening server for the current transport (the "transport" column).
    std::unique_ptr<IpcServer> startServer(const QString &transport);
    std::unique_ptr<IpcClient> newClient(const QString &transport);
    // A client connected to server, with the server's id for it in *clientId.
    std::unique_ptr<IpcClient> connectedClient(IpcServer &server, const QString &transport,
                                               QString *clientId = nullptr);

    QTemporaryDir m_certs;
    IpcTest::SocketDir m_dir;
};

void tst_Transports::initTestCase()
{
    QVERIFY(m_certs.isValid());
    QVERIFY(IpcTest::makeCertificates(m_certs.path()));
}

void tst_Transports::init()
{
    m_dir.renew();
}

void tst_Transports::transports()
{
    QTest::addColumn<QString>("transport");
    QTest::newRow("local") << QStringLiteral("local");
    QTest::newRow("tcp") << QStringLiteral("tcp");
    QTest::newRow("tls") << QStringLiteral("tls");
}

std::unique_ptr<IpcServer> tst_Transports::startServer(const QString &transport)
{
    auto server = std::make_unique<IpcServer>();
    QString address = m_dir.socketPath();
    if (transport == QLatin1String("tcp")) {
        address = QStringLiteral("tcp://127.0.0.1:0");
    } else if (transport == QLatin1String("tls")) {
        address = QStringLiteral("tls://127.0.0.1:0");
        IpcTlsSettings serverTls = server->tls();
        serverTls.setCertificateFile(cert(QStringLiteral("server.crt")));
        serverTls.setPrivateKeyFile(cert(QStringLiteral("server.key")));
        server->setTls(serverTls);
    }
    if (!server->listen(address))
        qWarning("listen: %s", qPrintable(server->errorString()));
    return server;
}

std::unique_ptr<IpcClient> tst_Transports::newClient(const QString &transport)
{
    auto client = std::make_unique<IpcClient>();
    client->setRetryDelay(20);
    client->setReconnectDelay(20);
    if (transport == QLatin1String("tls")) {
        IpcTlsSettings clientTls = client->tls();
        clientTls.setCaFile(cert(QStringLiteral("ca.crt")));
        client->setTls(clientTls);
    }
    return client;
}

std::unique_ptr<IpcClient>
tst_Transports::connectedClient(IpcServer &server, const QString &transport, QString *clientId)
{
    std::unique_ptr<IpcClient> client = newClient(transport);
    IpcTest::connectClient(*client, server, clientId, 10000);
    return client;
}

void tst_Transports::exchangesMessagesBothWays()
{
    QFETCH(QString, transport);
    std::unique_ptr<IpcServer> server = startServer(transport);
    QVERIFY(server->isListening());
    QVERIFY(server->listeningAddress().startsWith(
            transport == QLatin1String("local") ? m_dir.path() : transport + QLatin1String("://")));
    QString id;
    std::unique_ptr<IpcClient> client = connectedClient(*server, transport, &id);
    QVERIFY(!id.isEmpty());

    QSignalSpy serverSpy(server.get(), &IpcServer::messageReceived);
    QSignalSpy clientSpy(client.get(), &IpcClient::messageReceived);
    const QVariantMap message{{QStringLiteral("text"), QStringLiteral("héllo")},
                              {QStringLiteral("n"), 42}};
    QVERIFY(client->send(QStringLiteral("up"), message));
    QTRY_COMPARE(serverSpy.count(), 1);
    QCOMPARE(serverSpy.at(0).at(1), QVariant(message));
    QCOMPARE(serverSpy.at(0).at(2).toString(), id);
    QVERIFY(server->send(QStringLiteral("down"), 1, id));
    server->broadcast(QStringLiteral("all"), QStringLiteral("everyone"));
    QTRY_COMPARE(clientSpy.count(), 2);
    QCOMPARE(clientSpy.at(0).at(0).toString(), QStringLiteral("down"));
    QCOMPARE(clientSpy.at(1).at(1).toString(), QStringLiteral("everyone"));

    // A large message crosses in pieces and arrives whole.
    const QString large(3 * 1024 * 1024, QLatin1Char('x'));
    QVERIFY(client->send(QStringLiteral("large"), large));
    QTRY_COMPARE_WITH_TIMEOUT(serverSpy.count(), 2, 10000);
    QCOMPARE(serverSpy.at(1).at(1).toString().size(), large.size());
}

void tst_Transports::requestsAreAnswered()
{
    QFETCH(QString, transport);
    std::unique_ptr<IpcServer> server = startServer(transport);
    server->handle(QStringLiteral("sum"), [](const QVariant &message) {
        const QVariantList terms = message.toList();
        return terms.value(0).toInt() + terms.value(1).toInt();
    });
    std::unique_ptr<IpcClient> client = connectedClient(*server, transport);
    IpcReply *reply = client->request(QStringLiteral("sum"), QVariantList{20, 22});
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::NoError);
    QCOMPARE(reply->value(), QVariant(42));
}

void tst_Transports::reconnectsAfterServerRestart()
{
    QFETCH(QString, transport);
    std::unique_ptr<IpcServer> server = startServer(transport);
    const QString address = server->listeningAddress();  // the port it was given, for TCP
    std::unique_ptr<IpcClient> client = connectedClient(*server, transport);
    QSignalSpy reconnectedSpy(client.get(), &IpcClient::reconnected);
    QSignalSpy disconnectedSpy(client.get(), &IpcClient::disconnected);
    server.reset();
    QTRY_COMPARE(disconnectedSpy.count(), 1);

    server = startServer(transport);
    server->close();
    QVERIFY(server->listen(address));
    QTRY_COMPARE_WITH_TIMEOUT(reconnectedSpy.count(), 1, 10000);
    QSignalSpy messageSpy(server.get(), &IpcServer::messageReceived);
    QVERIFY(client->send(QStringLiteral("back"), true));
    QTRY_COMPARE(messageSpy.count(), 1);
}

void tst_Transports::burstThenCloseLosesNothing()
{
    // A client process that sends a burst and closes at once must not lose the tail: over
    // TLS a plain close answered the server's late bytes with a reset, and the server's
    // kernel dropped what it had not yet handed over (the last thousands of 60,000).
    QFETCH(QString, transport);
    std::unique_ptr<IpcServer> server = startServer(transport);
    int received = 0;
    int last = -1;
    connect(server.get(), &IpcServer::messageReceived, this,
            [&](const QString &, const QVariant &message) {
                ++received;
                last = message.toInt();
            });
    QSignalSpy connectedSpy(server.get(), &IpcServer::clientConnected);
    QSignalSpy disconnectedSpy(server.get(), &IpcServer::clientDisconnected);
    constexpr int Burst = 60000;
    TestPeer peer;  // sends from connected(), before it has read what the server sent
    peer.startTestPeer({QStringLiteral("client"), server->listeningAddress(),
                        QStringLiteral("--ca"), cert(QStringLiteral("ca.crt")),
                        QStringLiteral("--burst"), QString::number(Burst)});
    QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.count(), 1, 10000);
    QTRY_VERIFY2_WITH_TIMEOUT(peer.has(QStringLiteral("closed")),
                              qPrintable(QStringLiteral("received %1, peer events %2, running %3")
                                                 .arg(received)
                                                 .arg(peer.events().size())
                                                 .arg(peer.isRunning())),
                              20000);
    QTRY_COMPARE_WITH_TIMEOUT(disconnectedSpy.count(), 1, 20000);
    QCOMPARE(received, Burst);
    QCOMPARE(last, Burst - 1);
}

void tst_Transports::floodingPeerDoesNotStarveTheEventLoop()
{
    // A peer that sends faster than this process decodes: each event-loop turn reads a
    // bounded amount of it (256 KiB), so timers (and input, and painting) keep their turns
    // while the flood goes on, and nothing of it is lost.
    QFETCH(QString, transport);
    std::unique_ptr<IpcServer> server = startServer(transport);
    constexpr int Burst = 300000;  // about 9 MiB of frames
    int received = 0;
    connect(server.get(), &IpcServer::messageReceived, this,
            [&](const QString &, const QVariant &) { ++received; });
    int ticksDuringFlood = 0;
    QTimer ticker;
    ticker.setInterval(0);
    connect(&ticker, &QTimer::timeout, this, [&] {
        if (received > 0 && received < Burst)
            ++ticksDuringFlood;
    });
    ticker.start();
    TestPeer peer;
    peer.startTestPeer({QStringLiteral("client"), server->listeningAddress(),
                        QStringLiteral("--ca"), cert(QStringLiteral("ca.crt")),
                        QStringLiteral("--burst"), QString::number(Burst)});
    QTRY_COMPARE_WITH_TIMEOUT(received, Burst, 60000);
    // A turn per 256 KiB of the stream (frames of about 32 bytes) would be 36; reads that ran
    // on until the socket was empty gave 7 to 14 over TCP and TLS.
    constexpr int MinimumTurns = int(Burst * 32LL / (256 * 1024) / 2);
    qInfo("the timer ran %d times during the flood", ticksDuringFlood);
    QVERIFY2(ticksDuringFlood >= MinimumTurns,
             qPrintable(QStringLiteral("the timer ran %1 times during the flood")
                                .arg(ticksDuringFlood)));
}

void tst_Transports::oversizedFrameDropsOnlyThatClient()
{
    QFETCH(QString, transport);
    std::unique_ptr<IpcServer> server = startServer(transport);
    server->setMaxFrameSize(1024);
    std::unique_ptr<IpcClient> big = connectedClient(*server, transport);
    std::unique_ptr<IpcClient> small = connectedClient(*server, transport);
    QSignalSpy errorSpy(server.get(), &IpcServer::errorOccurred);
    QSignalSpy disconnectedSpy(server.get(), &IpcServer::clientDisconnected);
    QVERIFY(big->send(QStringLiteral("big"), QString(4096, QLatin1Char('b'))));
    QTRY_COMPARE(disconnectedSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::FrameTooLargeError);
    QSignalSpy messageSpy(server.get(), &IpcServer::messageReceived);
    QVERIFY(small->send(QStringLiteral("small"), 1));
    QTRY_COMPARE(messageSpy.count(), 1);
}

void tst_Transports::peerProcessTalksOverIt()
{
    QFETCH(QString, transport);
    if (transport == QLatin1String("tls"))
        QSKIP("ipctestpeer has no TLS options; TLS between processes is in tst_cli");
    std::unique_ptr<IpcServer> server = startServer(transport);
    QSignalSpy connectedSpy(server.get(), &IpcServer::clientConnected);
    QSignalSpy messageSpy(server.get(), &IpcServer::messageReceived);
    TestPeer peer;
    peer.startTestPeer({QStringLiteral("client"), server->listeningAddress(),
                        QStringLiteral("--retry"), QStringLiteral("20")});
    QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.count(), 1, 10000);
    peer.command(QJsonObject{{"send", "from-peer"}, {"message", QJsonArray{1, 2}}});
    QTRY_COMPARE(messageSpy.count(), 1);
    QCOMPARE(messageSpy.at(0).at(1), QVariant(QVariantList{1, 2}));
    server->broadcast(QStringLiteral("to-peer"), QStringLiteral("hi"));
    QTRY_COMPARE(peer.count(QStringLiteral("message"), QStringLiteral("to-peer")), 1);
}

void tst_Transports::peerIdentityFitsTheTransport()
{
    QFETCH(QString, transport);
    std::unique_ptr<IpcServer> server = startServer(transport);
    QString id;
    std::unique_ptr<IpcClient> client = connectedClient(*server, transport, &id);
    const IpcPeerCredentials peer = server->peerCredentials(id);
    QVERIFY(peer.isValid());
    if (transport == QLatin1String("local")) {
        QCOMPARE(peer.pid(), QCoreApplication::applicationPid());
        QVERIFY(peer.address().isEmpty());
    } else {
        QCOMPARE(peer.pid(), -1);
        QCOMPARE(peer.address(), QStringLiteral("127.0.0.1"));
        QVERIFY(peer.port() > 0);
        QVERIFY(peer.certificate().isNull());  // none was asked for
    }
}

void tst_Transports::tokenAdmitsOnlyClientsThatPresentIt()
{
    QFETCH(QString, transport);
    std::unique_ptr<IpcServer> server = startServer(transport);
    server->setAuthToken(QStringLiteral("s3cret"));
    server->setHandshakeTimeout(300);  // how long a client may take to present it
    QSignalSpy connectedSpy(server.get(), &IpcServer::clientConnected);
    QSignalSpy serverErrors(server.get(), &IpcServer::errorOccurred);
    QSignalSpy messageSpy(server.get(), &IpcServer::messageReceived);

    for (const QString &token : {QString(), QStringLiteral("guess")}) {
        std::unique_ptr<IpcClient> intruder = newClient(transport);
        intruder->setAuthToken(token);
        intruder->setReconnectDelay(5000);
        intruder->setRetryDelay(5000);  // a refused attempt is retried after retryDelay
        QSignalSpy clientErrors(intruder.get(), &IpcClient::errorOccurred);
        const qsizetype before = serverErrors.count();
        intruder->connectToServer(server->listeningAddress());
        QTRY_VERIFY_WITH_TIMEOUT(!clientErrors.isEmpty(), 10000);
        QCOMPARE(clientErrors.last().at(0).value<IpcError::Error>(), IpcError::ClientRefusedError);
        // The server's word may come a moment after the client's (the client leaves first).
        QTRY_VERIFY_WITH_TIMEOUT(serverErrors.count() > before, 10000);
        QCOMPARE(serverErrors.at(before).at(0).value<IpcError::Error>(),
                 IpcError::ClientRefusedError);
        QVERIFY2(
                serverErrors.at(before).at(1).toString().contains(
                        token.isEmpty() ? QLatin1String("no token") : QLatin1String("wrong token")),
                qPrintable(serverErrors.at(before).at(1).toString()));
        // Whatever it sent after the token never counts.
        intruder->send(QStringLiteral("sneak"), 1);
        QTest::qWait(50);
    }
    QCOMPARE(connectedSpy.count(), 0);
    QCOMPARE(messageSpy.count(), 0);
    QCOMPARE(server->clientCount(), 0);

    std::unique_ptr<IpcClient> friendly = newClient(transport);
    friendly->setAuthToken(QStringLiteral("s3cret"));
    friendly->connectToServer(server->listeningAddress());
    QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.count(), 1, 10000);
    QTRY_VERIFY(friendly->isConnected());
    QVERIFY(friendly->send(QStringLiteral("hello"), 1));
    QTRY_COMPARE(messageSpy.count(), 1);
    QCOMPARE(messageSpy.at(0).at(0).toString(), QStringLiteral("hello"));  // not the token
}

void tst_Transports::slowReaderHitsMaxPendingBytes()
{
    // A peer process that stops reading (SIGSTOP) must not make the server hold more than
    // maxPendingBytes for it, whatever the transport: on TLS what waits is encrypted, below
    // the socket's own buffer, and is counted too.
    QFETCH(QString, transport);
    std::unique_ptr<IpcServer> server = startServer(transport);
    constexpr qint64 Limit = 4 * 1024 * 1024;
    server->setMaxPendingBytes(Limit);
    QSignalSpy connectedSpy(server.get(), &IpcServer::clientConnected);
    TestPeer peer;
    if (transport == QLatin1String("tls")) {
        const QString hostPort = server->listeningAddress().mid(int(qstrlen("tls://")));
        peer.start(QStringLiteral("openssl"),
                   {QStringLiteral("s_client"), QStringLiteral("-quiet"),
                    QStringLiteral("-connect"), hostPort, QStringLiteral("-CAfile"),
                    cert(QStringLiteral("ca.crt"))});
    } else {
        peer.startTestPeer({QStringLiteral("client"), server->listeningAddress(),
                            QStringLiteral("--retry"), QStringLiteral("20")});
    }
    QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.count(), 1, 10000);
    const qint64 pid = peer.process().processId();
    QVERIFY(pid > 0);
    QCOMPARE(::kill(pid_t(pid), SIGSTOP), 0);
    auto resume = qScopeGuard([pid] { ::kill(pid_t(pid), SIGCONT); });

    QSignalSpy errorSpy(server.get(), &IpcServer::errorOccurred);
    const QString chunk(64 * 1024, QLatin1Char('x'));
    int sent = 0;
    for (; sent < 2000 && errorSpy.isEmpty(); ++sent) {
        server->broadcast(QStringLiteral("flood"), chunk);
        QCoreApplication::processEvents();
    }
    QVERIFY2(!errorSpy.isEmpty(), qPrintable(QStringLiteral("%1 x 64 KiB and no error").arg(sent)));
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::WriteBufferFullError);
    // What the kernel takes (socket buffers) comes on top of the limit, never megabytes more.
    QVERIFY2(sent * chunk.size() < Limit + 16 * 1024 * 1024, qPrintable(QString::number(sent)));
}

void tst_Transports::idleTlsHandshakesDoNotStopAccepting()
{
    // Peers that connect and never start their TLS handshake must not keep a real client
    // out until they time out: it connects while they are all still there.
    std::unique_ptr<IpcServer> server = startServer(QStringLiteral("tls"));
    const quint16 port = quint16(server->listeningAddress().section(QLatin1Char(':'), -1).toUInt());
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    for (int i = 0; i < 40; ++i) {
        idle.push_back(std::make_unique<QTcpSocket>());
        idle.back()->connectToHost(QHostAddress::LocalHost, port);
    }
    for (const auto &socket : idle)
        QVERIFY(socket->waitForConnected(5000));
    QSignalSpy connectedSpy(server.get(), &IpcServer::clientConnected);
    std::unique_ptr<IpcClient> client = newClient(QStringLiteral("tls"));
    client->connectToServer(server->listeningAddress());
    QTRY_VERIFY_WITH_TIMEOUT(client->isConnected() && connectedSpy.count() == 1, 10000);
    for (const auto &socket : idle)
        QCOMPARE(socket->state(), QAbstractSocket::ConnectedState);
}

void tst_Transports::tlsOffersOnlyForwardSecretAeadCiphers_data()
{
    // The test certificates have EC keys: the TLS 1.2 suites are ECDSA ones.
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<bool>("accepted");
    const QString tls12 = QStringLiteral("-tls1_2");
    const QString cipher = QStringLiteral("-cipher");
    QTest::newRow("TLS 1.3") << QStringList{QStringLiteral("-tls1_3")} << true;
    QTest::newRow("ECDHE + GCM") << QStringList{tls12, cipher,
                                                QStringLiteral("ECDHE-ECDSA-AES128-GCM-SHA256")}
                                 << true;
    QTest::newRow("ECDHE + ChaCha20")
            << QStringList{tls12, cipher, QStringLiteral("ECDHE-ECDSA-CHACHA20-POLY1305")} << true;
    QTest::newRow("ECDHE + CBC, SHA-1")
            << QStringList{tls12, cipher, QStringLiteral("ECDHE-ECDSA-AES128-SHA")} << false;
    QTest::newRow("ECDHE + CBC, SHA-256")
            << QStringList{tls12, cipher, QStringLiteral("ECDHE-ECDSA-AES256-SHA384")} << false;
    QTest::newRow("TLS 1.1") << QStringList{QStringLiteral("-tls1_1")} << false;
}

void tst_Transports::tlsOffersOnlyForwardSecretAeadCiphers()
{
    // A real TLS client (openssl s_client) that offers only the cipher named.
    QFETCH(QStringList, options);
    QFETCH(bool, accepted);
    std::unique_ptr<IpcServer> server = startServer(QStringLiteral("tls"));
    QSignalSpy connectedSpy(server.get(), &IpcServer::clientConnected);
    QSignalSpy errorSpy(server.get(), &IpcServer::errorOccurred);
    QProcess client;
    client.setProcessChannelMode(QProcess::MergedChannels);
    client.start(QStringLiteral("openssl"),
                 QStringList{QStringLiteral("s_client"), QStringLiteral("-connect"),
                             server->listeningAddress().mid(int(qstrlen("tls://")))}
                         + options);
    QVERIFY(client.waitForStarted(5000));
    QTRY_VERIFY_WITH_TIMEOUT(!connectedSpy.isEmpty() || !errorSpy.isEmpty()
                                     || client.state() == QProcess::NotRunning,
                             10000);
    QCOMPARE(!connectedSpy.isEmpty(), accepted);
    if (accepted) {
        client.kill();  // its way out (a graceful close) is not what is tested
        client.waitForFinished(10000);
        return;
    }
    client.closeWriteChannel();
    QVERIFY(client.state() == QProcess::NotRunning || client.waitForFinished(10000));
    QVERIFY2(client.exitCode() != 0, client.readAll().constData());
}

void tst_Transports::tcpListensOnLoopbackUnlessTold()
{
    IpcServer server;
    QVERIFY(server.listen(QStringLiteral("tcp://:0")));
    QVERIFY2(server.listeningAddress().startsWith(QLatin1String("tcp://127.0.0.1:")),
             qPrintable(server.listeningAddress()));
    const int port = server.listeningAddress().section(QLatin1Char(':'), -1).toInt();
    QVERIFY(port > 0);
    IpcServer ipv6;
    if (ipv6.listen(QStringLiteral("tcp://[::1]:0")))
        QVERIFY(ipv6.listeningAddress().startsWith(QLatin1String("tcp://[::1]:")));
}

void tst_Transports::badAddressesAreClearErrors_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<QString>("says");
    QTest::newRow("no port") << "tcp://127.0.0.1"
                             << "tcp://HOST:PORT";
    QTest::newRow("a path") << "tcp://127.0.0.1:7000/x"
                            << "tcp://HOST:PORT";
    QTest::newRow("a name") << "tcp://example.org:7000"
                            << "IP address";
    QTest::newRow("port too big") << "tls://127.0.0.1:70000"
                                  << "tls://HOST:PORT";
}

void tst_Transports::badAddressesAreClearErrors()
{
    QFETCH(QString, address);
    QFETCH(QString, says);
    IpcServer server;
    IpcTlsSettings serverTls = server.tls();
    serverTls.setCertificateFile(cert(QStringLiteral("server.crt")));
    serverTls.setPrivateKeyFile(cert(QStringLiteral("server.key")));
    server.setTls(serverTls);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    QVERIFY(!server.listen(address));
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(server.error(), IpcError::SocketError);
    QVERIFY2(server.errorString().contains(says), qPrintable(server.errorString()));

    IpcClient client;
    QSignalSpy connectErrorSpy(&client, &IpcClient::connectError);
    client.setRetryDelay(5000);
    client.connectToServer(address);
    QTRY_COMPARE(connectErrorSpy.count(), 1);
}

void tst_Transports::tlsServerNeedsACertificate()
{
    IpcServer server;
    QVERIFY(!server.listen(QStringLiteral("tls://127.0.0.1:0")));
    QCOMPARE(server.error(), IpcError::TlsError);
    QVERIFY2(server.errorString().contains(QLatin1String("tls.certificateFile")),
             qPrintable(server.errorString()));
    IpcTlsSettings serverTls = server.tls();
    serverTls.setCertificateFile(cert(QStringLiteral("server.crt")));
    serverTls.setPrivateKeyFile(cert(QStringLiteral("missing.key")));
    server.setTls(serverTls);
    QVERIFY(!server.listen(QStringLiteral("tls://127.0.0.1:0")));
    QCOMPARE(server.error(), IpcError::TlsError);
    QVERIFY2(server.errorString().contains(QLatin1String("missing.key")),
             qPrintable(server.errorString()));
}

void tst_Transports::tlsClientRefusesAnUntrustedServer_data()
{
    QTest::addColumn<QString>("serverCert");
    QTest::addColumn<QString>("clientCa");
    QTest::addColumn<QString>("address");
    QTest::addColumn<QString>("says");
    QTest::newRow("expired") << "expired"
                             << "ca.crt"
                             << "tls://127.0.0.1:%1"
                             << "expired";
    QTest::newRow("wrong CA") << "untrusted"
                              << "ca.crt"
                              << "tls://127.0.0.1:%1"
                              << "TLS";
    QTest::newRow("wrong host name") << "wronghost"
                                     << "ca.crt"
                                     << "tls://127.0.0.1:%1"
                                     << "host name";
    QTest::newRow("no CA given: system CAs only") << "server"
                                                  << ""
                                                  << "tls://localhost:%1"
                                                  << "TLS";
}

void tst_Transports::tlsClientRefusesAnUntrustedServer()
{
    QFETCH(QString, serverCert);
    QFETCH(QString, clientCa);
    QFETCH(QString, address);
    QFETCH(QString, says);
    IpcServer server;
    IpcTlsSettings serverTls = server.tls();
    serverTls.setCertificateFile(cert(serverCert + QLatin1String(".crt")));
    serverTls.setPrivateKeyFile(cert(serverCert + QLatin1String(".key")));
    server.setTls(serverTls);
    QVERIFY(server.listen(QStringLiteral("tls://127.0.0.1:0")));
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    const QString port = server.listeningAddress().section(QLatin1Char(':'), -1);

    IpcClient client;
    client.setRetryDelay(5000);
    if (!clientCa.isEmpty()) {
        IpcTlsSettings clientTls = client.tls();
        clientTls.setCaFile(cert(clientCa));
        client.setTls(clientTls);
    }
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    QSignalSpy connectErrorSpy(&client, &IpcClient::connectError);
    client.connectToServer(address.arg(port));
    QTRY_COMPARE_WITH_TIMEOUT(connectErrorSpy.count(), 1, 10000);
    QCOMPARE(errorSpy.count(), 1);
    QCOMPARE(errorSpy.at(0).at(0).value<IpcError::Error>(), IpcError::TlsError);
    QVERIFY2(errorSpy.at(0).at(1).toString().contains(says, Qt::CaseInsensitive),
             qPrintable(errorSpy.at(0).at(1).toString()));
    QCOMPARE(client.state(), IpcClient::State::Connecting);  // retries, never connects
    QTest::qWait(50);
    QCOMPARE(connectedSpy.count(), 0);
}

void tst_Transports::tlsServerRequiresClientCertificate()
{
    IpcServer server;
    IpcTlsSettings serverTls = server.tls();
    serverTls.setCertificateFile(cert(QStringLiteral("server.crt")));
    serverTls.setPrivateKeyFile(cert(QStringLiteral("server.key")));
    serverTls.setRequireClientCertificate(true);
    server.setTls(serverTls);
    QVERIFY(!server.listen(QStringLiteral("tls://127.0.0.1:0")));  // which CA signs them?
    QCOMPARE(server.error(), IpcError::TlsError);
    serverTls.setCaFile(cert(QStringLiteral("ca.crt")));
    server.setTls(serverTls);
    QVERIFY(server.listen(QStringLiteral("tls://127.0.0.1:0")));
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    QSignalSpy serverErrors(&server, &IpcServer::errorOccurred);

    IpcClient client;
    client.setRetryDelay(5000);
    client.setReconnectDelay(5000);  // TLS 1.3 may finish its side before the server says no
    IpcTlsSettings clientTls = client.tls();
    clientTls.setCaFile(cert(QStringLiteral("ca.crt")));
    client.setTls(clientTls);
    QSignalSpy connectErrorSpy(&client, &IpcClient::connectError);
    client.connectToServer(server.listeningAddress());
    QTRY_VERIFY_WITH_TIMEOUT(!serverErrors.isEmpty(), 10000);
    QCOMPARE(serverErrors.at(0).at(0).value<IpcError::Error>(), IpcError::TlsError);
    QVERIFY2(serverErrors.at(0).at(1).toString().contains(QLatin1String("127.0.0.1")),
             qPrintable(serverErrors.at(0).at(1).toString()));
    QTRY_VERIFY_WITH_TIMEOUT(!connectErrorSpy.isEmpty() || !client.isConnected(), 10000);
    QTest::qWait(100);
    QCOMPARE(connectedSpy.count(), 0);
    QVERIFY(!client.isConnected());
}

void tst_Transports::tlsMutualAuthenticationExposesTheCertificate()
{
    IpcServer server;
    IpcTlsSettings serverTls = server.tls();
    serverTls.setCertificateFile(cert(QStringLiteral("server.crt")));
    serverTls.setPrivateKeyFile(cert(QStringLiteral("server.key")));
    serverTls.setCaFile(cert(QStringLiteral("ca.crt")));
    serverTls.setRequireClientCertificate(true);
    server.setTls(serverTls);
    QVERIFY(server.listen(QStringLiteral("tls://127.0.0.1:0")));
    IpcClient client;
    IpcTlsSettings clientTls = client.tls();
    clientTls.setCaFile(cert(QStringLiteral("ca.crt")));
    clientTls.setCertificateFile(cert(QStringLiteral("client.crt")));
    clientTls.setPrivateKeyFile(cert(QStringLiteral("client.key")));
    client.setTls(clientTls);
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    client.connectToServer(server.listeningAddress());
    QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.count(), 1, 10000);
    const IpcPeerCredentials peer = server.peerCredentials(connectedSpy.at(0).at(0).toString());
    QCOMPARE(peer.certificateCommonName(), QStringLiteral("test client"));
    QVERIFY(!peer.certificate().isNull());
    QCOMPARE(peer.address(), QStringLiteral("127.0.0.1"));
    QTRY_VERIFY(client.isConnected());
}

QTEST_GUILESS_MAIN(tst_Transports)
#include "tst_transports.moc"
