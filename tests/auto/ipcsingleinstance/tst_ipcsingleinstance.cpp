#include "ipctestsupport.h"
#include "testpeer.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcSingleInstance>

#include <QtCore/qdatetime.h>
#include <QtCore/qdir.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qjsonarray.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <memory>

// A launch of singleinstancepeer (see singleinstancepeer.cpp) in workingDirectory, with
// XDG_RUNTIME_DIR there too: a bare name means the same socket whichever way it resolves.
class Launch : public TestPeer
{
public:
    Launch(const QString &workingDirectory, const QStringList &arguments)
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("XDG_RUNTIME_DIR"), workingDirectory);
        process().setProcessEnvironment(environment);
        process().setWorkingDirectory(workingDirectory);
        process().setProcessChannelMode(QProcess::ForwardedErrorChannel);
        start(QStringLiteral(SINGLEINSTANCEPEER), arguments);
    }

    // The first line with key, or an empty object.
    QJsonObject line(const QString &key) const
    {
        for (const QJsonObject &e : events()) {
            if (e.contains(key))
                return e;
        }
        return {};
    }
    bool has(const QString &key) const { return !line(key).isEmpty(); }
};

class tst_IpcSingleInstance : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();

    void firstIsPrimaryAndSecondIsNot();
    void exactlyOneOfSimultaneousLaunchesIsPrimary_data();
    void exactlyOneOfSimultaneousLaunchesIsPrimary();
    void argumentsAndWorkingDirectoryReachThePrimary();
    void activatedSlotsRunBeforeTheAnswer();
    void nextLaunchAfterSigkilledPrimaryIsPrimary();
    void activatePrimaryTakesOverFromAVanishedPrimary();
    void activatePrimaryTakesOverFromAKilledPrimary();
    void closedPrimaryHandsOverToTheNextActivation();
    void serverAndClientTalk();
    void silentPrimaryIsATimeout();
    void unusableAddressIsAnErrorNotAPrimary();

private:
    IpcTest::SocketDir m_dir{QStringLiteral("app.sock")};
};

void tst_IpcSingleInstance::init()
{
    m_dir.renew();
}

void tst_IpcSingleInstance::firstIsPrimaryAndSecondIsNot()
{
    IpcSingleInstance first(m_dir.socketPath());
    QVERIFY(first.isPrimary());
    QCOMPARE(first.name(), m_dir.socketPath());
    QCOMPARE(first.address(), m_dir.socketPath());
    QVERIFY(first.server());
    QVERIFY(first.server()->isListening());
    QCOMPARE(first.client(), nullptr);
    QVERIFY(!first.activatePrimary({}));

    IpcSingleInstance second(m_dir.socketPath());
    QVERIFY(!second.isPrimary());
    QVERIFY(second.errorString().isEmpty());
    QCOMPARE(second.address(), m_dir.socketPath());
    QCOMPARE(second.server(), nullptr);
}

void tst_IpcSingleInstance::exactlyOneOfSimultaneousLaunchesIsPrimary_data()
{
    QTest::addColumn<bool>("staleSocketFile");
    QTest::newRow("no socket file") << false;
    QTest::newRow("a dead primary's socket file") << true;
}

void tst_IpcSingleInstance::exactlyOneOfSimultaneousLaunchesIsPrimary()
{
    QFETCH(bool, staleSocketFile);
    constexpr int Rounds = 20;
    for (int round = 0; round < Rounds; ++round) {
        // A directory per round; the name is bare, resolved there.
        m_dir.renew();
        if (staleSocketFile)
            QVERIFY(IpcTest::makeStaleSocketFile(m_dir.filePath(QStringLiteral("app"))));
        // Both wait for the same moment, then construct IpcSingleInstance.
        const QString at = QString::number(QDateTime::currentMSecsSinceEpoch() + 150);
        Launch a(m_dir.path(), {QStringLiteral("app"), QStringLiteral("--at"), at});
        Launch b(m_dir.path(), {QStringLiteral("app"), QStringLiteral("--at"), at});
        QTRY_VERIFY(a.has(QStringLiteral("primary")) && b.has(QStringLiteral("primary")));
        const bool aIsPrimary = a.line(QStringLiteral("primary"))[u"primary"].toBool();
        const bool bIsPrimary = b.line(QStringLiteral("primary"))[u"primary"].toBool();
        QVERIFY2(aIsPrimary != bIsPrimary,
                 qPrintable(QStringLiteral("round %1: %2 primaries")
                                    .arg(round)
                                    .arg(int(aIsPrimary) + int(bIsPrimary))));
        // The secondary exits; the primary stays until killed.
        Launch &secondary = aIsPrimary ? b : a;
        QTRY_VERIFY(!secondary.isRunning());
        QVERIFY(secondary.exitedNormally());
        QVERIFY((aIsPrimary ? a : b).isRunning());
    }
}

void tst_IpcSingleInstance::argumentsAndWorkingDirectoryReachThePrimary()
{
    IpcSingleInstance primary(m_dir.socketPath());
    QVERIFY(primary.isPrimary());
    QSignalSpy activated(&primary, &IpcSingleInstance::activated);

    const QString someDir = m_dir.filePath(QStringLiteral("some dir"));
    QVERIFY(QDir().mkpath(someDir));
    Launch secondary(someDir,
                     {m_dir.socketPath(), QStringLiteral("--activate"), QStringLiteral("open"),
                      QStringLiteral("two words.txt"), QString()});
    QTRY_VERIFY(!secondary.isRunning());
    QVERIFY(secondary.exitedNormally());
    QCOMPARE(secondary.line(QStringLiteral("activatePrimary"))[u"activatePrimary"], true);

    QCOMPARE(activated.count(), 1);
    const QStringList expected{QStringLiteral("open"), QStringLiteral("two words.txt"), QString()};
    QCOMPARE(activated.at(0).at(0).toStringList(), expected);
    QCOMPARE(activated.at(0).at(1).toString(), QFileInfo(someDir).canonicalFilePath());
}

void tst_IpcSingleInstance::activatedSlotsRunBeforeTheAnswer()
{
    IpcSingleInstance primary(m_dir.socketPath());
    IpcSingleInstance secondary(m_dir.socketPath());
    QVERIFY(!secondary.isPrimary());

    bool slotRan = false;
    QStringList arguments;
    QString workingDirectory;
    connect(&primary, &IpcSingleInstance::activated, this,
            [&](const QStringList &args, const QString &cwd) {
                arguments = args;
                workingDirectory = cwd;
                slotRan = true;
            });
    // In one process too (the primary answers from the secondary's local event loop).
    QVERIFY(secondary.activatePrimary({QStringLiteral("a b"), QStringLiteral("c")}));
    QVERIFY(slotRan);
    QCOMPARE(arguments, QStringList({QStringLiteral("a b"), QStringLiteral("c")}));
    QCOMPARE(workingDirectory, QDir::currentPath());
    QVERIFY(!secondary.isPrimary());
    QVERIFY(secondary.errorString().isEmpty());
}

void tst_IpcSingleInstance::nextLaunchAfterSigkilledPrimaryIsPrimary()
{
    const QString dir = m_dir.path();
    auto first = std::make_unique<Launch>(dir, QStringList{QStringLiteral("app")});
    QTRY_VERIFY(first->has(QStringLiteral("primary")));
    QCOMPARE(first->line(QStringLiteral("primary"))[u"primary"], true);
    first->kill();  // SIGKILL: no clean-up
    first.reset();
    QVERIFY(QFileInfo(m_dir.filePath(QStringLiteral("app"))).exists());

    Launch next(dir, {QStringLiteral("app")});
    QTRY_VERIFY(next.has(QStringLiteral("primary")));
    QCOMPARE(next.line(QStringLiteral("primary"))[u"primary"], true);

    Launch after(dir, {QStringLiteral("app"), QStringLiteral("--activate"), QStringLiteral("x")});
    QTRY_VERIFY(!after.isRunning());
    QVERIFY(after.exitedNormally());
    QCOMPARE(after.line(QStringLiteral("primary"))[u"primary"], false);
    QTRY_VERIFY(next.has(QStringLiteral("activated")));
    QCOMPARE(next.line(QStringLiteral("activated"))[u"activated"],
             QJsonArray({QStringLiteral("x")}));
}

void tst_IpcSingleInstance::activatePrimaryTakesOverFromAVanishedPrimary()
{
    auto primary = std::make_unique<IpcSingleInstance>(m_dir.socketPath());
    IpcSingleInstance secondary(m_dir.socketPath());
    QVERIFY(!secondary.isPrimary());
    QSignalSpy primaryChanged(&secondary, &IpcSingleInstance::primaryChanged);
    primary.reset();  // it quit after the election

    QVERIFY(!secondary.activatePrimary({QStringLiteral("mine")}));
    QVERIFY(secondary.isPrimary());
    QCOMPARE(primaryChanged.count(), 1);
    QVERIFY(secondary.server());
    QVERIFY(secondary.server()->isListening());

    // And it is the primary for the launches after it.
    IpcSingleInstance third(m_dir.socketPath());
    QVERIFY(!third.isPrimary());
    QSignalSpy activated(&secondary, &IpcSingleInstance::activated);
    QVERIFY(third.activatePrimary({QStringLiteral("third")}));
    QCOMPARE(activated.count(), 1);
}

void tst_IpcSingleInstance::activatePrimaryTakesOverFromAKilledPrimary()
{
    Launch primary(m_dir.path(), {m_dir.socketPath()});
    QTRY_VERIFY(primary.has(QStringLiteral("primary")));
    QCOMPARE(primary.line(QStringLiteral("primary"))[u"primary"], true);

    IpcSingleInstance secondary(m_dir.socketPath());
    QVERIFY(!secondary.isPrimary());
    primary.kill();  // SIGKILL: its socket file stays

    QVERIFY(!secondary.activatePrimary({}));
    QVERIFY(secondary.isPrimary());
}

void tst_IpcSingleInstance::closedPrimaryHandsOverToTheNextActivation()
{
    IpcSingleInstance primary(m_dir.socketPath());
    IpcSingleInstance secondary(m_dir.socketPath());
    QSignalSpy activated(&primary, &IpcSingleInstance::activated);
    QSignalSpy primaryChanged(&primary, &IpcSingleInstance::primaryChanged);
    QSignalSpy serverClosed(primary.server(), &IpcServer::closed);

    primary.close();
    QVERIFY(!primary.isPrimary());
    QCOMPARE(primaryChanged.count(), 1);
    // The closing primary refuses, and once it has closed the secondary wins the election.
    QVERIFY(!secondary.activatePrimary({}));
    QVERIFY(secondary.isPrimary());
    QCOMPARE(activated.count(), 0);
    QCOMPARE(serverClosed.count(), 1);
}

void tst_IpcSingleInstance::serverAndClientTalk()
{
    IpcSingleInstance primary(m_dir.socketPath());
    IpcSingleInstance secondary(m_dir.socketPath());
    QCOMPARE(primary.client(), nullptr);
    QCOMPARE(secondary.server(), nullptr);
    primary.server()->handle(QStringLiteral("echo"), [](const QVariant &m) { return m; });

    IpcClient *client = secondary.client();
    QVERIFY(client);
    QCOMPARE(secondary.client(), client);  // one client, made on first use
    QTRY_VERIFY(client->isConnected());
    QTRY_COMPARE(primary.server()->clientCount(), 1);

    IpcReply *reply = client->request(QStringLiteral("echo"), QStringLiteral("hello"));
    QSignalSpy finished(reply, &IpcReply::finished);
    QVERIFY(finished.wait());
    QCOMPARE(reply->value(), QStringLiteral("hello"));

    QSignalSpy received(client, &IpcClient::messageReceived);
    primary.server()->broadcast(QStringLiteral("news"), 42);
    QTRY_COMPARE(received.count(), 1);
}

void tst_IpcSingleInstance::silentPrimaryIsATimeout()
{
    // A "primary" that takes the request and never answers (hung).
    IpcServer hung;
    QVERIFY(hung.listen(m_dir.socketPath()));
    QList<IpcRequest> held;
    hung.handle(IpcSingleInstance::activateTopic(), [&](IpcRequest &r) { held.append(r); });

    IpcSingleInstance secondary(m_dir.socketPath());
    QVERIFY(!secondary.isPrimary());
    QSignalSpy errorStringChanged(&secondary, &IpcSingleInstance::errorStringChanged);
    QElapsedTimer timer;
    timer.start();
    QVERIFY(!secondary.activatePrimary({}, 300));
    QVERIFY(timer.elapsed() >= 290);
    QVERIFY(!secondary.isPrimary());
    QCOMPARE(held.size(), 1);
    QVERIFY2(secondary.errorString().contains(QLatin1String("did not answer")),
             qPrintable(secondary.errorString()));
    QCOMPARE(errorStringChanged.count(), 1);
}

void tst_IpcSingleInstance::unusableAddressIsAnErrorNotAPrimary()
{
    const QString path = m_dir.filePath(QStringLiteral("no such dir/app.sock"));
    IpcSingleInstance instance(path);
    QVERIFY(!instance.isPrimary());
    QVERIFY(!instance.errorString().isEmpty());
    QVERIFY(!instance.activatePrimary({}, 500));
    QVERIFY(!instance.isPrimary());
    QVERIFY(!instance.errorString().isEmpty());
}

QTEST_MAIN(tst_IpcSingleInstance)

#include "tst_ipcsingleinstance.moc"
