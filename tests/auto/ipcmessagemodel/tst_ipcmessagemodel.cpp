#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcMessageModel>
#include <SocketIpc/IpcServer>

#include <QtTest/qabstractitemmodeltester.h>
#include <QtCore/qtemporarydir.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <memory>

// IpcMessageModel fed by a real server and client in this process.
class tst_IpcMessageModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void logsServerMessagesWithSender();
    void logsClientMessages();
    void trimsToMaxCount();
    void filtersByTopic();
    void filtersByTopicPattern();
    void clearEmptiesIt();
    void sourceMustBeServerOrClient();
    void sourceDestructionClearsSource();

private:
    void clientSends(const QString &topic, const QVariant &message);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<IpcServer> m_server;
    std::unique_ptr<IpcClient> m_client;
};

void tst_IpcMessageModel::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_server = std::make_unique<IpcServer>();
    QVERIFY(m_server->listen(m_dir->filePath(QStringLiteral("s.sock"))));
    m_client = std::make_unique<IpcClient>();
    m_client->connectToServer(m_server->socketPath());
    QTRY_VERIFY(m_client->isConnected());
    QTRY_COMPARE(m_server->clientCount(), 1);
}

void tst_IpcMessageModel::cleanup()
{
    m_client.reset();
    m_server.reset();
}

void tst_IpcMessageModel::clientSends(const QString &topic, const QVariant &message)
{
    QSignalSpy spy(m_server.get(), &IpcServer::messageReceived);
    QVERIFY(m_client->send(topic, message));
    QTRY_COMPARE(spy.count(), 1);
}

void tst_IpcMessageModel::logsServerMessagesWithSender()
{
    IpcMessageModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy countSpy(&model, &IpcMessageModel::countChanged);
    model.setSource(m_server.get());
    const QDateTime before = QDateTime::currentDateTime();
    clientSends(QStringLiteral("greeting"), QVariantMap{{"text", "hi"}});
    clientSends(QStringLiteral("number"), 42);

    QCOMPARE(model.count(), 2);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(countSpy.count(), 2);
    const QModelIndex first = model.index(0);
    QCOMPARE(first.data(IpcMessageModel::TopicRole).toString(), QStringLiteral("greeting"));
    QCOMPARE(first.data(IpcMessageModel::MessageRole).toMap().value("text").toString(),
             QStringLiteral("hi"));
    QCOMPARE(first.data(IpcMessageModel::ClientIdRole).toString(), m_server->clientIds().first());
    const QDateTime at = first.data(IpcMessageModel::TimestampRole).toDateTime();
    QVERIFY(at >= before && at <= QDateTime::currentDateTime());
    QCOMPARE(first.data(Qt::DisplayRole).toString(), QStringLiteral("greeting: {\"text\":\"hi\"}"));
    QCOMPARE(model.index(1).data(Qt::DisplayRole).toString(), QStringLiteral("number: 42"));

    const QHash<int, QByteArray> roles = model.roleNames();
    QCOMPARE(roles.value(IpcMessageModel::TopicRole), QByteArray("topic"));
    QCOMPARE(roles.value(IpcMessageModel::MessageRole), QByteArray("message"));
    QCOMPARE(roles.value(IpcMessageModel::ClientIdRole), QByteArray("clientId"));
    QCOMPARE(roles.value(IpcMessageModel::TimestampRole), QByteArray("timestamp"));

    const QVariantMap row = model.get(1);
    QCOMPARE(row.value("topic").toString(), QStringLiteral("number"));
    QCOMPARE(row.value("message").toInt(), 42);
    QVERIFY(model.get(2).isEmpty());
}

void tst_IpcMessageModel::logsClientMessages()
{
    IpcMessageModel model;
    model.setSource(m_client.get());
    m_server->broadcast(QStringLiteral("news"), QStringLiteral("one"));
    QTRY_COMPARE(model.count(), 1);
    QCOMPARE(model.get(0).value("message").toString(), QStringLiteral("one"));
    QVERIFY(model.get(0).value("clientId").toString().isEmpty());
}

void tst_IpcMessageModel::trimsToMaxCount()
{
    IpcMessageModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.maxCount(), IpcMessageModel::DefaultMaxCount);
    model.setMaxCount(3);
    model.setSource(m_server.get());
    for (int i = 0; i < 5; ++i)
        clientSends(QStringLiteral("n"), i);
    QCOMPARE(model.count(), 3);
    QCOMPARE(model.get(0).value("message").toInt(), 2);  // the oldest went first
    QCOMPARE(model.get(2).value("message").toInt(), 4);

    QSignalSpy countSpy(&model, &IpcMessageModel::countChanged);
    model.setMaxCount(1);
    QCOMPARE(model.count(), 1);
    QCOMPARE(countSpy.count(), 1);
    QCOMPARE(model.get(0).value("message").toInt(), 4);

    model.setMaxCount(0);  // no limit
    for (int i = 0; i < 5; ++i)
        clientSends(QStringLiteral("n"), i);
    QCOMPARE(model.count(), 6);
}

void tst_IpcMessageModel::filtersByTopic()
{
    IpcMessageModel model;
    model.setSource(m_server.get());
    model.setTopic(QStringLiteral("keep"));
    clientSends(QStringLiteral("keep"), 1);
    clientSends(QStringLiteral("drop"), 2);
    clientSends(QStringLiteral("keep"), 3);
    QCOMPARE(model.count(), 2);
    QCOMPARE(model.get(1).value("message").toInt(), 3);
}

void tst_IpcMessageModel::filtersByTopicPattern()
{
    IpcMessageModel model;
    model.setSource(m_server.get());
    model.setTopic(QStringLiteral("sensor.#"));
    clientSends(QStringLiteral("sensor"), 1);
    clientSends(QStringLiteral("sensors"), 2);
    clientSends(QStringLiteral("sensor.cpu.load"), 3);
    clientSends(QStringLiteral("other.sensor"), 4);
    QCOMPARE(model.count(), 2);
    QCOMPARE(model.get(0).value(QStringLiteral("topic")).toString(), QStringLiteral("sensor"));
    QCOMPARE(model.get(1).value(QStringLiteral("message")), QVariant(3));
    model.setTopic(QStringLiteral("*.sensor"));
    clientSends(QStringLiteral("other.sensor"), 5);
    clientSends(QStringLiteral("sensor.cpu"), 6);
    QCOMPARE(model.count(), 3);
    QCOMPARE(model.get(2).value(QStringLiteral("message")), QVariant(5));
}

void tst_IpcMessageModel::clearEmptiesIt()
{
    IpcMessageModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setSource(m_server.get());
    clientSends(QStringLiteral("t"), 1);
    QSignalSpy countSpy(&model, &IpcMessageModel::countChanged);
    model.clear();
    QCOMPARE(model.count(), 0);
    QCOMPARE(countSpy.count(), 1);
    clientSends(QStringLiteral("t"), 2);
    QCOMPARE(model.count(), 1);
}

void tst_IpcMessageModel::sourceMustBeServerOrClient()
{
    IpcMessageModel model;
    QObject other;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("must be an IpcServer")));
    model.setSource(&other);
    QCOMPARE(model.source(), nullptr);
}

void tst_IpcMessageModel::sourceDestructionClearsSource()
{
    IpcMessageModel model;
    model.setSource(m_client.get());
    QSignalSpy sourceSpy(&model, &IpcMessageModel::sourceChanged);
    m_client.reset();
    QCOMPARE(model.source(), nullptr);
    QCOMPARE(sourceSpy.count(), 1);
}

QTEST_GUILESS_MAIN(tst_IpcMessageModel)
#include "tst_ipcmessagemodel.moc"
