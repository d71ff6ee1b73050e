#include "ipctestsupport.h"

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
    void insertsTheRowsOfOneReadAtOnce();
    void keepsTheLastMaxCountRowsInOrderAfterABurst();
    void filtersByTopic();
    void filtersByTopicPattern();
    void clearEmptiesIt();
    void sourceMustBeServerOrClient();
    void sourceDestructionClearsSource();

private:
    IpcTest::ServerAndClient m_pair;
};

void tst_IpcMessageModel::init()
{
    m_pair.start();
}

void tst_IpcMessageModel::cleanup()
{
    m_pair.reset();
}

void tst_IpcMessageModel::logsServerMessagesWithSender()
{
    IpcMessageModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy countSpy(&model, &IpcMessageModel::countChanged);
    model.setSource(m_pair.server.get());
    const QDateTime before = QDateTime::currentDateTime();
    m_pair.clientSends(QStringLiteral("greeting"), QVariantMap{{"text", "hi"}});
    m_pair.clientSends(QStringLiteral("number"), 42);

    QCOMPARE(model.count(), 2);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(countSpy.count(), 2);
    const QModelIndex first = model.index(0);
    QCOMPARE(first.data(IpcMessageModel::TopicRole).toString(), QStringLiteral("greeting"));
    QCOMPARE(first.data(IpcMessageModel::MessageRole).toMap().value("text").toString(),
             QStringLiteral("hi"));
    QCOMPARE(first.data(IpcMessageModel::ClientIdRole).toString(),
             m_pair.server->clientIds().first());
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
    model.setSource(m_pair.client.get());
    m_pair.server->broadcast(QStringLiteral("news"), QStringLiteral("one"));
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
    model.setSource(m_pair.server.get());
    for (int i = 0; i < 5; ++i)
        m_pair.clientSends(QStringLiteral("n"), i);
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
        m_pair.clientSends(QStringLiteral("n"), i);
    QCOMPARE(model.count(), 6);
}

void tst_IpcMessageModel::insertsTheRowsOfOneReadAtOnce()
{
    IpcMessageModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMaxCount(4);
    model.setSource(m_pair.server.get());
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy countSpy(&model, &IpcMessageModel::countChanged);

    // Three messages in one write, one read: one insertion of three rows.
    for (int i = 0; i < 3; ++i)
        m_pair.client->send(QStringLiteral("n"), i);
    QTRY_COMPARE(model.count(), 3);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(inserted.at(0).at(2).toInt(), 2);
    QCOMPARE(removed.count(), 0);
    QCOMPARE(countSpy.count(), 1);

    // Three more: over maxCount, so one removal of the two oldest, then one insertion.
    for (int i = 3; i < 6; ++i)
        m_pair.client->send(QStringLiteral("n"), i);
    QTRY_COMPARE(model.get(3).value("message").toInt(), 5);
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 0);
    QCOMPARE(removed.at(0).at(2).toInt(), 1);
    QCOMPARE(model.count(), 4);
    for (int row = 0; row < 4; ++row)
        QCOMPARE(model.get(row).value("message").toInt(), row + 2);

    // Six in one read with maxCount 4: the two oldest are never rows at all.
    for (int i = 6; i < 12; ++i)
        m_pair.client->send(QStringLiteral("n"), i);
    QTRY_COMPARE(model.get(3).value("message").toInt(), 11);
    QCOMPARE(inserted.count(), 3);
    QCOMPARE(inserted.at(2).at(2).toInt() - inserted.at(2).at(1).toInt() + 1, 4);
    for (int row = 0; row < 4; ++row)
        QCOMPARE(model.get(row).value("message").toInt(), row + 8);
}

void tst_IpcMessageModel::keepsTheLastMaxCountRowsInOrderAfterABurst()
{
    constexpr int Messages = 20000;
    IpcMessageModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setSource(m_pair.client.get());  // maxCount 1000, the default
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    for (int i = 0; i < Messages; ++i)
        m_pair.server->send(QStringLiteral("n"), i, m_pair.clientId);
    QTRY_COMPARE_WITH_TIMEOUT(model.get(IpcMessageModel::DefaultMaxCount - 1).value("message").toInt(),
                              Messages - 1, 20000);
    QCOMPARE(model.count(), IpcMessageModel::DefaultMaxCount);
    for (int row = 0; row < model.count(); ++row)
        QCOMPARE(model.get(row).value("message").toInt(),
                 Messages - IpcMessageModel::DefaultMaxCount + row);
    QVERIFY2(inserted.count() < Messages / 10, qPrintable(QString::number(inserted.count())));
}

void tst_IpcMessageModel::filtersByTopic()
{
    IpcMessageModel model;
    model.setSource(m_pair.server.get());
    model.setTopic(QStringLiteral("keep"));
    m_pair.clientSends(QStringLiteral("keep"), 1);
    m_pair.clientSends(QStringLiteral("drop"), 2);
    m_pair.clientSends(QStringLiteral("keep"), 3);
    QCOMPARE(model.count(), 2);
    QCOMPARE(model.get(1).value("message").toInt(), 3);
}

void tst_IpcMessageModel::filtersByTopicPattern()
{
    IpcMessageModel model;
    model.setSource(m_pair.server.get());
    model.setTopic(QStringLiteral("sensor.#"));
    m_pair.clientSends(QStringLiteral("sensor"), 1);
    m_pair.clientSends(QStringLiteral("sensors"), 2);
    m_pair.clientSends(QStringLiteral("sensor.cpu.load"), 3);
    m_pair.clientSends(QStringLiteral("other.sensor"), 4);
    QCOMPARE(model.count(), 2);
    QCOMPARE(model.get(0).value(QStringLiteral("topic")).toString(), QStringLiteral("sensor"));
    QCOMPARE(model.get(1).value(QStringLiteral("message")), QVariant(3));
    model.setTopic(QStringLiteral("*.sensor"));
    m_pair.clientSends(QStringLiteral("other.sensor"), 5);
    m_pair.clientSends(QStringLiteral("sensor.cpu"), 6);
    QCOMPARE(model.count(), 3);
    QCOMPARE(model.get(2).value(QStringLiteral("message")), QVariant(5));
}

void tst_IpcMessageModel::clearEmptiesIt()
{
    IpcMessageModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setSource(m_pair.server.get());
    m_pair.clientSends(QStringLiteral("t"), 1);
    QSignalSpy countSpy(&model, &IpcMessageModel::countChanged);
    model.clear();
    QCOMPARE(model.count(), 0);
    QCOMPARE(countSpy.count(), 1);
    m_pair.clientSends(QStringLiteral("t"), 2);
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
    model.setSource(m_pair.client.get());
    QSignalSpy sourceSpy(&model, &IpcMessageModel::sourceChanged);
    m_pair.client.reset();
    QCOMPARE(model.source(), nullptr);
    QCOMPARE(sourceSpy.count(), 1);
}

QTEST_GUILESS_MAIN(tst_IpcMessageModel)
#include "tst_ipcmessagemodel.moc"
