#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcEndpoint>
#include <SocketIpc/IpcServer>

#include "ipctestsupport.h"

#include "testpeer.h"

#include <QtCore/qdir.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qscopeguard.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <memory>

#include <sys/stat.h>
#include <unistd.h>

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

    // Service names
    void nameLivesInTheRuntimeDirectory();
    void nameInFlatpakLivesInTheAppsRuntimeDirectory();
    void nameWithoutRuntimeDirectoryLivesInAPrivateTempDirectory();
    void foreignOrOpenDirectoryIsRefused_data();
    void foreignOrOpenDirectoryIsRefused();
    void pathsAreNotNames();
    void tooLongNameSaysTheLimit();

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

// Sets the variables a name's location depends on for one test (unset: a null value), and
// puts back what was there.
class Environment
{
public:
    Environment(const QByteArray &runtimeDir, const QByteArray &flatpakId, const QByteArray &tmpDir)
    {
        for (const char *name : {"XDG_RUNTIME_DIR", "FLATPAK_ID", "TMPDIR"})
            m_saved.append({name, qgetenv(name), qEnvironmentVariableIsSet(name)});
        set("XDG_RUNTIME_DIR", runtimeDir);
        set("FLATPAK_ID", flatpakId);
        set("TMPDIR", tmpDir);
    }
    ~Environment()
    {
        for (const Saved &saved : std::as_const(m_saved))
            set(saved.name, saved.isSet ? saved.value : QByteArray());
    }
    Q_DISABLE_COPY_MOVE(Environment)

private:
    static void set(const char *name, const QByteArray &value)
    {
        if (value.isNull())
            qunsetenv(name);
        else
            qputenv(name, value);
    }
    struct Saved
    {
        const char *name;
        QByteArray value;
        bool isSet;
    };
    QList<Saved> m_saved;
};

QString mode(const QString &path)
{
    struct stat status;
    if (::lstat(QFile::encodeName(path).constData(), &status) != 0)
        return QStringLiteral("missing");
    return QString::number(status.st_mode & 07777, 8);
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

void tst_IpcEndpoint::nameLivesInTheRuntimeDirectory()
{
    const QString runtime = m_dir.filePath(QStringLiteral("run"));
    QVERIFY(QDir().mkdir(runtime, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    Environment environment(QFile::encodeName(runtime), {}, {});
    const QString expected = runtime + QStringLiteral("/org.example.editor");

    IpcServer server;
    server.setAddress(QStringLiteral("org.example.editor"));
    QCOMPARE(server.resolvedAddress(), expected);
    QVERIFY2(server.listen(), qPrintable(server.errorString()));
    QCOMPARE(server.listeningAddress(), expected);
    QVERIFY(QFileInfo(expected).exists());

    // Another process of this user and session finds it by the name alone.
    QSignalSpy connected(&server, &IpcServer::clientConnected);
    QSignalSpy messages(&server, &IpcServer::messageReceived);
    TestPeer peer;
    peer.startTestPeer({QStringLiteral("client"), QStringLiteral("org.example.editor"),
                        QStringLiteral("--retry"), QStringLiteral("20")});
    QTRY_COMPARE_WITH_TIMEOUT(connected.count(), 1, 10000);
    peer.command(QJsonObject{{"send", "hi"}, {"message", 1}});
    QTRY_COMPARE(messages.count(), 1);

    // "unix:NAME" is the same name.
    IpcClient client;
    client.setAddress(QStringLiteral("unix:org.example.editor"));
    QCOMPARE(client.resolvedAddress(), expected);
}

void tst_IpcEndpoint::nameInFlatpakLivesInTheAppsRuntimeDirectory()
{
    // Inside Flatpak, the app's directory in the runtime directory is the one the host sees
    // too; it is made (0700) if need be.
    const QString runtime = m_dir.filePath(QStringLiteral("run"));
    QVERIFY(QDir().mkdir(runtime, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    Environment environment(QFile::encodeName(runtime), "org.example.App", {});
    const QString appDir = runtime + QStringLiteral("/app/org.example.App");
    IpcServer server;
    QVERIFY2(server.listen(QStringLiteral("bus")), qPrintable(server.errorString()));
    QCOMPARE(server.listeningAddress(), appDir + QStringLiteral("/bus"));
    QCOMPARE(mode(appDir), QStringLiteral("700"));

    // A client outside the sandbox reaches it by that path.
    IpcClient client;
    QSignalSpy connected(&client, &IpcClient::connected);
    client.connectToServer(appDir + QStringLiteral("/bus"));
    QTRY_COMPARE(connected.count(), 1);
    // One inside, by the name.
    IpcClient inside;
    inside.setAddress(QStringLiteral("bus"));
    QCOMPARE(inside.resolvedAddress(), appDir + QStringLiteral("/bus"));
}

void tst_IpcEndpoint::nameWithoutRuntimeDirectoryLivesInAPrivateTempDirectory()
{
    const QString tmp = m_dir.filePath(QStringLiteral("tmp"));
    QVERIFY(QDir().mkdir(tmp));
    Environment environment({}, {}, QFile::encodeName(tmp));
    const QString dir = tmp + QStringLiteral("/socketipc-%1").arg(::getuid());
    IpcClient client;
    client.setAddress(QStringLiteral("org.example.editor"));
    QCOMPARE(client.resolvedAddress(), dir + QStringLiteral("/org.example.editor"));
    QCOMPARE(mode(dir), QStringLiteral("missing"));  // a client creates nothing

    IpcServer server;
    QVERIFY2(server.listen(QStringLiteral("org.example.editor")), qPrintable(server.errorString()));
    QCOMPARE(server.listeningAddress(), dir + QStringLiteral("/org.example.editor"));
    QCOMPARE(mode(dir), QStringLiteral("700"));
    QSignalSpy connected(&client, &IpcClient::connected);
    client.connectToServer();
    QTRY_COMPARE(connected.count(), 1);
}

void tst_IpcEndpoint::foreignOrOpenDirectoryIsRefused_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected");  // in the error
    QTest::newRow("group and world access") << QStringLiteral("open") << QStringLiteral("0755");
    QTest::newRow("a symbolic link") << QStringLiteral("link") << QStringLiteral("symbolic link");
    QTest::newRow("another user's")
            << QStringLiteral("foreign") << QStringLiteral("belongs to uid 65534");
}

void tst_IpcEndpoint::foreignOrOpenDirectoryIsRefused()
{
    // The private directory in the temp dir may have been made first by someone else, to
    // take the name or read what is sent: neither a server nor a client uses it then.
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    const QString tmp = m_dir.filePath(QStringLiteral("tmp"));
    QVERIFY(QDir().mkdir(tmp));
    Environment environment({}, {}, QFile::encodeName(tmp));
    const QString dir = tmp + QStringLiteral("/socketipc-%1").arg(::getuid());
    const QByteArray encoded = QFile::encodeName(dir);
    if (kind == QLatin1String("open")) {
        QVERIFY(::mkdir(encoded.constData(), 0700) == 0);
        QVERIFY(::chmod(encoded.constData(), 0755) == 0);
    } else if (kind == QLatin1String("link")) {
        const QString target = m_dir.filePath(QStringLiteral("elsewhere"));
        QVERIFY(::mkdir(QFile::encodeName(target).constData(), 0700) == 0);
        QVERIFY(::symlink(QFile::encodeName(target).constData(), encoded.constData()) == 0);
    } else {
        if (::geteuid() != 0)
            QSKIP("giving a directory to another user needs root (CI runs as root)");
        QVERIFY(::mkdir(encoded.constData(), 0700) == 0);
        QVERIFY(::chown(encoded.constData(), 65534, 65534) == 0);  // nobody
    }

    IpcServer server;
    QSignalSpy errors(&server, &IpcServer::errorOccurred);
    QVERIFY(!server.listen(QStringLiteral("org.example.editor")));
    QCOMPARE(server.error(), IpcError::SocketError);
    QVERIFY2(server.errorString().contains(expected), qPrintable(server.errorString()));
    QVERIFY2(server.errorString().contains(dir), qPrintable(server.errorString()));
    QCOMPARE(server.resolvedAddress(), QString());
    QVERIFY(!QFileInfo::exists(dir + QStringLiteral("/org.example.editor")));

    IpcClient client;
    QSignalSpy clientErrors(&client, &IpcClient::errorOccurred);
    client.connectToServer(QStringLiteral("org.example.editor"));
    QTRY_COMPARE(clientErrors.count(), 1);
    QVERIFY2(client.errorString().contains(expected), qPrintable(client.errorString()));
    client.close();
}

void tst_IpcEndpoint::pathsAreNotNames()
{
    // Anything with a '/' is a path as before (relative ones against the working directory),
    // "@name" an abstract socket.
    IpcClient client;
    client.setAddress(QStringLiteral("./app.sock"));
    QCOMPARE(client.resolvedAddress(),
             QDir::current().absoluteFilePath(QStringLiteral("app.sock")));
    client.setAddress(QStringLiteral("/run/app.sock"));
    QCOMPARE(client.resolvedAddress(), QStringLiteral("/run/app.sock"));
    client.setAddress(QStringLiteral("@app"));
    QCOMPARE(client.resolvedAddress(), QStringLiteral("@app"));
    client.setAddress(QStringLiteral("tcp://127.0.0.1:7000"));
    QCOMPARE(client.resolvedAddress(), QStringLiteral("tcp://127.0.0.1:7000"));
    client.setAddress(QString());
    QCOMPARE(client.resolvedAddress(), QString());
}

void tst_IpcEndpoint::tooLongNameSaysTheLimit()
{
    const QString runtime = m_dir.filePath(QStringLiteral("run"));
    QVERIFY(QDir().mkdir(runtime, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    Environment environment(QFile::encodeName(runtime), {}, {});
    IpcServer server;
    QVERIFY(!server.listen(QString(120, QLatin1Char('n'))));
    QVERIFY2(server.errorString().contains(QLatin1String("the limit is 107")),
             qPrintable(server.errorString()));
}
