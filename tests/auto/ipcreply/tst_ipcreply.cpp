#include "ipctestsupport.h"
#include "testpeer.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcReply>
#include <SocketIpc/IpcRequest>
#include <SocketIpc/IpcServer>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qlocalserver.h>
#include <QtNetwork/qlocalsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

using IpcTest::allFinished;
using IpcTest::connectedClient;
using IpcTest::frameBytes;
using IpcTest::sumOf;

// The request/reply feature from the requesting client's side: IpcClient::request(), the
// IpcReply it returns, and what IpcServer::handle() answers, over real sockets.
// A message larger than the kernel's socket buffer can take at once (up to 4 MiB here).
static constexpr int Backlogging = 8 * 1024 * 1024;

class tst_IpcReply : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();

    void replyCarriesTheHandlersAnswer_data();
    void replyCarriesTheHandlersAnswer();
    void finishedIsEmittedOnceFromTheEventLoop();
    void requestsAreNotMessages();
    void concurrentRepliesMatchTheirRequests();
    void voidHandlerAnswersNull();
    void laterHandlerReplacesEarlierOne();
    void statefulHandlerKeepsItsState();
    void handlerMayRemoveItself();

    void throwingHandlerIsHandlerError_data();
    void throwingHandlerIsHandlerError();
    void returnedErrorIsHandlerError();
    void missingHandlerIsNoHandlerError();
    void removedHandlerIsNoHandlerError();
    void handlerStopsWhenItsContextIsDeleted();

    void requestTimeoutDefaultsAndNotifies();
    void noReplyWithinTimeoutIsTimeoutError_data();
    void noReplyWithinTimeoutIsTimeoutError();
    void zeroTimeoutWaitsForTheAnswer();
    void endedConnectionIsDisconnectedError_data();
    void endedConnectionIsDisconnectedError();
    void notConnectedIsNoServerError_data();
    void notConnectedIsNoServerError();
    void requestAfterCloseIsSendAfterCloseError();
    void unencodableMessageIsEncodeError_data();
    void unencodableMessageIsEncodeError();
    void requestBeyondPendingLimitIsWriteBufferFullError();
    void queuedRequestIsSentOnceConnected();
    void queuedRequestsFailWhenDroppedOrFull();
    void queuedRequestTimingOutIsNeverSent();
    void requestsAfterReconnectGetTheirAnswers();

    void functorIsCalledOnceThenReplyIsDeleted();
    void functorIsNotCalledAfterItsContextIsDeleted();
    void deletedReplyForgetsTheRequest();
    void destroyingClientWithPendingRequestsIsSafe();

    void separateServerProcessAnswers_data();
    void separateServerProcessAnswers();
    void separateServerProcessDyingIsDisconnectedError();

    void clientWritesRequestFrames();
    void clientReadsReplyFrames_data();
    void clientReadsReplyFrames();
    void replyToUnknownRequestIsIgnored();
    void serverAnswersRawRequestFrames_data();
    void serverAnswersRawRequestFrames();
    void framesWithoutAValidIdAreMessages_data();
    void framesWithoutAValidIdAreMessages();

    void cborRequestReplyRoundTripsBytes();

    void progressArrivesInOrderBeforeTheAnswer_data();
    void progressArrivesInOrderBeforeTheAnswer();
    void cancelReachesTheHandlerAndFinishesOnce_data();
    void cancelReachesTheHandlerAndFinishesOnce();
    void cancelRacingTheAnswerFinishesOnce();
    void cancelAfterTheConnectionDroppedChangesNothing();
    void requesterGoingAwayCancelsTheHandler();
    void timeoutCancelsTheHandler();
    void progressAndCancelFramesOnTheWire();
    void progressAndCancelKeysAreReadWithCbor();

private:
    QString socketPath() const { return m_dir.socketPath(); }
    IpcTest::SocketDir m_dir;
};

void tst_IpcReply::init()
{
    m_dir.renew();
}

void tst_IpcReply::replyCarriesTheHandlersAnswer_data()
{
    IpcTest::addHandlerFormRows();
}

void tst_IpcReply::replyCarriesTheHandlersAnswer()
{
    QFETCH(QString, form);
    IpcServer server;
    IpcTest::SeenRequest seen;
    IpcTest::handleSum(server, form, &seen);
    QVERIFY(server.hasHandler(QStringLiteral("sum")));
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId);

    IpcReply *reply = client->request(QStringLiteral("sum"), QVariantList{1, 2, 39});
    QVERIFY(reply);
    QCOMPARE(reply->parent(), client.get());
    QCOMPARE(reply->topic(), QStringLiteral("sum"));
    QVERIFY(!reply->isFinished());
    QVERIFY(!reply->value().isValid());
    QCOMPARE(reply->error(), IpcError::NoError);
    QSignalSpy finishedSpy(reply, &IpcReply::finished);
    QTRY_COMPARE(finishedSpy.count(), 1);

    QVERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::NoError);
    QCOMPARE(reply->errorString(), QString());
    QCOMPARE(reply->value().metaType(), QMetaType::fromType<qlonglong>());
    QCOMPARE(reply->value().toLongLong(), 42);
    if (form == QLatin1String("request"))
        QVERIFY(seen.replied);
    QCOMPARE(seen.message.toList(), (QVariantList{1, 2, 39}));
    if (form != QLatin1String("message"))
        QCOMPARE(seen.clientId, clientId);
}

void tst_IpcReply::finishedIsEmittedOnceFromTheEventLoop()
{
    IpcServer server;
    server.handle(QStringLiteral("echo"), [](const QVariant &message) { return message; });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *reply = client->request(QStringLiteral("echo"), QStringLiteral("hello"));
    QVERIFY(!reply->isFinished());  // not inside request()
    QSignalSpy finishedSpy(reply, &IpcReply::finished);
    QTRY_COMPARE(finishedSpy.count(), 1);
    QVERIFY(reply->isFinished());
    QCOMPARE(reply->value().toString(), QStringLiteral("hello"));
    // Nothing more comes for it, even after more traffic on the connection.
    IpcReply *another = client->request(QStringLiteral("echo"), 2);
    QTRY_VERIFY(another->isFinished());
    QCOMPARE(finishedSpy.count(), 1);
    QCOMPARE(reply->value().toString(), QStringLiteral("hello"));
    QCOMPARE(another->value().toInt(), 2);
}

void tst_IpcReply::requestsAreNotMessages()
{
    IpcServer server;
    int handled = 0;
    server.handle(QStringLiteral("sum"), [&](const QVariant &message) {
        ++handled;
        return sumOf(message);
    });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);
    QSignalSpy serverTopic(server.topic(QStringLiteral("sum")), &IpcTopic::messageReceived);
    QSignalSpy clientMessages(client.get(), &IpcClient::messageReceived);
    QSignalSpy clientTopic(client->topic(QStringLiteral("sum")), &IpcTopic::messageReceived);

    IpcReply *reply = client->request(QStringLiteral("sum"), QVariantList{1, 2});
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->value().toLongLong(), 3);
    QCOMPARE(handled, 1);

    // A plain message on the same topic is a message, and only it.
    QVERIFY(client->send(QStringLiteral("sum"), QVariantList{5}));
    QTRY_COMPARE(serverMessages.count(), 1);
    QCOMPARE(serverMessages.at(0).at(1).toList(), QVariantList{5});
    QCOMPARE(serverTopic.count(), 1);
    QCOMPARE(handled, 1);
    QCOMPARE(clientMessages.count(), 0);
    QCOMPARE(clientTopic.count(), 0);
}

void tst_IpcReply::concurrentRepliesMatchTheirRequests()
{
    IpcServer server;
    QList<IpcRequest> held;
    server.handle(QStringLiteral("later"), [&](IpcRequest &request) { held.append(request); });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    QList<IpcReply *> replies;
    for (int i = 0; i < 5; ++i)
        replies.append(client->request(QStringLiteral("later"), i));
    QTRY_COMPARE(held.size(), 5);
    // Answered last first: each reply still gets the answer to its own request.
    for (qsizetype i = held.size() - 1; i >= 0; --i)
        QVERIFY(held[i].reply(held[i].message().toInt() * 10));
    QTRY_VERIFY(allFinished(replies));
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(replies[i]->error(), IpcError::NoError);
        QCOMPARE(replies[i]->value().toInt(), i * 10);
    }
}

void tst_IpcReply::voidHandlerAnswersNull()
{
    IpcServer server;
    QVariant seen;
    server.handle(QStringLiteral("note"), [&](const QVariant &message) { seen = message; });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *reply = client->request(QStringLiteral("note"), QStringLiteral("remember"));
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(seen.toString(), QStringLiteral("remember"));
    QCOMPARE(reply->error(), IpcError::NoError);
    QVERIFY(reply->value().isValid());
    QVERIFY(reply->value().isNull());
    QCOMPARE(reply->value().metaType(), QMetaType::fromType<std::nullptr_t>());
}

void tst_IpcReply::laterHandlerReplacesEarlierOne()
{
    IpcServer server;
    server.handle(QStringLiteral("who"), [](const QVariant &) { return QStringLiteral("first"); });
    server.handle(QStringLiteral("who"), [](const QVariant &) { return QStringLiteral("second"); });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *reply = client->request(QStringLiteral("who"), {});
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->value().toString(), QStringLiteral("second"));
}

void tst_IpcReply::statefulHandlerKeepsItsState()
{
    // One handler object answers every request, as one functor serves every signal in
    // QObject::connect(): what a mutable lambda keeps, it keeps from one request to the next.
    IpcServer server;
    server.handle(QStringLiteral("count"),
                  [calls = 0](const QVariant &) mutable { return ++calls; });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    QList<int> answers;
    for (int i = 0; i < 3; ++i) {
        IpcReply *reply = client->request(QStringLiteral("count"), {});
        QTRY_VERIFY(reply->isFinished());
        QCOMPARE(reply->error(), IpcError::NoError);
        answers.append(reply->value().toInt());
    }
    QCOMPARE(answers, (QList<int>{1, 2, 3}));
}

void tst_IpcReply::handlerMayRemoveItself()
{
    IpcServer server;
    const QString tag = QStringLiteral("captured state outlives its removal");
    server.handle(QStringLiteral("once"), [&server, tag](const QVariant &) {
        server.removeHandler(QStringLiteral("once"));  // destroys the stored handler
        return tag;                                    // a capture, read after that
    });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *first = client->request(QStringLiteral("once"), {});
    QTRY_VERIFY(first->isFinished());
    QCOMPARE(first->error(), IpcError::NoError);
    QCOMPARE(first->value().toString(), tag);
    QVERIFY(!server.hasHandler(QStringLiteral("once")));
    IpcReply *second = client->request(QStringLiteral("once"), {});
    QTRY_VERIFY(second->isFinished());
    QCOMPARE(second->error(), IpcError::NoHandlerError);
}

void tst_IpcReply::throwingHandlerIsHandlerError_data()
{
    QTest::addColumn<bool>("standardException");
    QTest::addColumn<QString>("expectedError");
    QTest::newRow("std::exception") << true << QStringLiteral("the handler of \"boom\" threw: bad");
    QTest::newRow("anything else") << false << QStringLiteral("the handler of \"boom\" threw");
}

void tst_IpcReply::throwingHandlerIsHandlerError()
{
    QFETCH(bool, standardException);
    QFETCH(QString, expectedError);
    IpcServer server;
    server.handle(QStringLiteral("boom"), [standardException](const QVariant &) -> QVariant {
        if (standardException)
            throw std::runtime_error("bad");
        throw 42;
    });
    server.handle(QStringLiteral("ping"), [](const QVariant &message) { return message; });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *reply = client->request(QStringLiteral("boom"), 1);
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::HandlerError);
    QCOMPARE(reply->errorString(), expectedError);
    QVERIFY(!reply->value().isValid());
    // The server survives its handler's exception and goes on answering.
    QCOMPARE(server.clientCount(), 1);
    ROUND_TRIP(*client);
}

void tst_IpcReply::returnedErrorIsHandlerError()
{
    IpcServer server;
    server.handle(QStringLiteral("refuse"), [](const QVariant &message) {
        return IpcRequest::error(QStringLiteral("no %1 today").arg(message.toString()));
    });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *reply = client->request(QStringLiteral("refuse"), QStringLiteral("cake"));
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::HandlerError);
    QCOMPARE(reply->errorString(), QStringLiteral("no cake today"));
    QVERIFY(!reply->value().isValid());
}

void tst_IpcReply::missingHandlerIsNoHandlerError()
{
    IpcServer server;
    QVERIFY(!server.hasHandler(QStringLiteral("nothing")));
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);

    IpcReply *reply = client->request(QStringLiteral("nothing"), 1);
    QVERIFY(!reply->isFinished());
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::NoHandlerError);
    QCOMPARE(reply->errorString(), QStringLiteral("no handler for \"nothing\""));
    QVERIFY(!reply->value().isValid());
    QCOMPARE(serverMessages.count(), 0);
}

void tst_IpcReply::removedHandlerIsNoHandlerError()
{
    IpcServer server;
    server.handle(QStringLiteral("gone"), [](const QVariant &) { return 1; });
    QVERIFY(server.hasHandler(QStringLiteral("gone")));
    server.removeHandler(QStringLiteral("gone"));
    QVERIFY(!server.hasHandler(QStringLiteral("gone")));
    server.removeHandler(QStringLiteral("never there"));  // harmless
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *reply = client->request(QStringLiteral("gone"), 1);
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::NoHandlerError);
}

void tst_IpcReply::handlerStopsWhenItsContextIsDeleted()
{
    IpcServer server;
    auto context = std::make_unique<QObject>();
    int calls = 0;
    server.handle(QStringLiteral("ctx"), context.get(), [&](const QVariant &) { return ++calls; });
    QVERIFY(server.hasHandler(QStringLiteral("ctx")));
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *first = client->request(QStringLiteral("ctx"), 1);
    QTRY_VERIFY(first->isFinished());
    QCOMPARE(first->error(), IpcError::NoError);
    QCOMPARE(first->value().toInt(), 1);

    context.reset();
    QVERIFY(!server.hasHandler(QStringLiteral("ctx")));
    IpcReply *second = client->request(QStringLiteral("ctx"), 1);
    QTRY_VERIFY(second->isFinished());
    QCOMPARE(second->error(), IpcError::NoHandlerError);
    QCOMPARE(calls, 1);
}

void tst_IpcReply::requestTimeoutDefaultsAndNotifies()
{
    IpcClient client;
    IpcServer server;
    QCOMPARE(client.requestTimeout(), IpcClient::DefaultRequestTimeout);
    QCOMPARE(client.requestTimeout(), 30000);
    QCOMPARE(server.requestTimeout(), 30000);
    QSignalSpy clientSpy(&client, &IpcClient::requestTimeoutChanged);
    QSignalSpy serverSpy(&server, &IpcServer::requestTimeoutChanged);
    client.setRequestTimeout(500);
    client.setRequestTimeout(500);  // no change, no signal
    server.setRequestTimeout(0);
    QCOMPARE(client.requestTimeout(), 500);
    QCOMPARE(server.requestTimeout(), 0);
    QCOMPARE(clientSpy.count(), 1);
    QCOMPARE(serverSpy.count(), 1);
}

void tst_IpcReply::noReplyWithinTimeoutIsTimeoutError_data()
{
    QTest::addColumn<int>("clientTimeout");
    QTest::addColumn<int>("requestTimeout");
    QTest::newRow("the request's own timeout") << 30000 << 150;
    QTest::newRow("the client's requestTimeout") << 150 << -1;
}

void tst_IpcReply::noReplyWithinTimeoutIsTimeoutError()
{
    QFETCH(int, clientTimeout);
    QFETCH(int, requestTimeout);
    IpcServer server;
    QList<IpcRequest> held;
    server.handle(QStringLiteral("slow"), [&](IpcRequest &request) { held.append(request); });
    server.handle(QStringLiteral("ping"), [](const QVariant &message) { return message; });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);
    client->setRequestTimeout(clientTimeout);
    QSignalSpy clientMessages(client.get(), &IpcClient::messageReceived);

    QElapsedTimer clock;
    clock.start();
    IpcReply *reply = client->request(QStringLiteral("slow"), 1, requestTimeout);
    QSignalSpy finishedSpy(reply, &IpcReply::finished);
    QTRY_COMPARE(finishedSpy.count(), 1);
    const qint64 elapsed = clock.elapsed();
    // Timers may fire a little early (coarse timers: up to 5 %), never much.
    QVERIFY2(elapsed >= 140, qPrintable(QString::number(elapsed)));
    QCOMPARE(reply->error(), IpcError::TimeoutError);
    QVERIFY2(reply->errorString().contains(QLatin1String("\"slow\"")),
             qPrintable(reply->errorString()));
    QVERIFY(!reply->value().isValid());

    // The timeout cancelled the request: the handler hears of it, and its answer goes
    // nowhere (one that crossed the notice would be dropped: cancelRacingTheAnswerFinishesOnce).
    QCOMPARE(held.size(), 1);
    QTRY_VERIFY(held.first().isCancelled());
    QVERIFY(!held.first().reply(2));
    ROUND_TRIP(*client);
    QCOMPARE(finishedSpy.count(), 1);
    QCOMPARE(reply->error(), IpcError::TimeoutError);
    QVERIFY(!reply->value().isValid());
    QCOMPARE(clientMessages.count(), 0);
}

void tst_IpcReply::zeroTimeoutWaitsForTheAnswer()
{
    IpcServer server;
    QList<IpcRequest> held;
    server.handle(QStringLiteral("slow"), [&](IpcRequest &request) { held.append(request); });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);
    client->setRequestTimeout(0);

    IpcReply *patient = client->request(QStringLiteral("slow"), 1);
    IpcReply *hasty = client->request(QStringLiteral("slow"), 2, 200);
    QTRY_VERIFY(hasty->isFinished());
    QCOMPARE(hasty->error(), IpcError::TimeoutError);
    // The one without a limit outlived one with a limit, and still takes its answer.
    QVERIFY(!patient->isFinished());
    QCOMPARE(held.size(), 2);
    QVERIFY(held.first().reply(QStringLiteral("at last")));
    QTRY_VERIFY(patient->isFinished());
    QCOMPARE(patient->error(), IpcError::NoError);
    QCOMPARE(patient->value().toString(), QStringLiteral("at last"));
}

void tst_IpcReply::endedConnectionIsDisconnectedError_data()
{
    QTest::addColumn<QString>("how");
    QTest::newRow("server drops the client") << QStringLiteral("disconnectClient");
    QTest::newRow("server closes") << QStringLiteral("server close");
    QTest::newRow("server is deleted") << QStringLiteral("server delete");
    QTest::newRow("client closes") << QStringLiteral("client close");
}

void tst_IpcReply::endedConnectionIsDisconnectedError()
{
    QFETCH(QString, how);
    auto server = std::make_unique<IpcServer>();
    QList<IpcRequest> held;
    server->handle(QStringLiteral("slow"), [&](IpcRequest &request) { held.append(request); });
    QVERIFY(server->listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(*server, &clientId);

    IpcReply *reply = client->request(QStringLiteral("slow"), 1, 0);  // only the end ends it
    QSignalSpy finishedSpy(reply, &IpcReply::finished);
    QTRY_COMPARE(held.size(), 1);
    QVERIFY(!reply->isFinished());
    if (how == QLatin1String("disconnectClient"))
        server->disconnectClient(clientId);
    else if (how == QLatin1String("server close"))
        server->close();
    else if (how == QLatin1String("server delete"))
        server.reset();
    else
        client->close();

    QTRY_COMPARE(finishedSpy.count(), 1);
    QCOMPARE(reply->error(), IpcError::DisconnectedError);
    QVERIFY(!reply->errorString().isEmpty());
    QVERIFY(!reply->value().isValid());
    held.clear();  // dropping the unanswered request now reaches nobody
    QCoreApplication::processEvents();
    QCOMPARE(finishedSpy.count(), 1);
    QCOMPARE(reply->error(), IpcError::DisconnectedError);
}

void tst_IpcReply::notConnectedIsNoServerError_data()
{
    QTest::addColumn<QString>("situation");
    QTest::newRow("never connected") << QStringLiteral("unconnected");
    QTest::newRow("no server yet") << QStringLiteral("connecting");
    QTest::newRow("server gone") << QStringLiteral("lost");
}

void tst_IpcReply::notConnectedIsNoServerError()
{
    QFETCH(QString, situation);
    IpcClient client;
    client.setRetryDelay(20);
    client.setReconnectDelay(20);
    if (situation == QLatin1String("connecting")) {
        QSignalSpy connectErrorSpy(&client, &IpcClient::connectError);
        client.connectToServer(socketPath());
        QTRY_VERIFY(connectErrorSpy.count() >= 1);
        QCOMPARE(client.state(), IpcClient::State::Connecting);
    } else if (situation == QLatin1String("lost")) {
        auto server = std::make_unique<IpcServer>();
        QVERIFY(server->listen(socketPath()));
        QSignalSpy connectedSpy(&client, &IpcClient::connected);
        QSignalSpy disconnectedSpy(&client, &IpcClient::disconnected);
        client.connectToServer(socketPath());
        QTRY_COMPARE(connectedSpy.count(), 1);
        server.reset();
        QTRY_COMPARE(disconnectedSpy.count(), 1);
        QCOMPARE(client.state(), IpcClient::State::Connecting);
    }
    QCOMPARE(client.maxQueuedMessages(), 0);

    IpcReply *reply = client.request(QStringLiteral("sum"), QVariantList{1, 2});
    QVERIFY(!reply->isFinished());  // from the event loop, not inside request()
    QSignalSpy finishedSpy(reply, &IpcReply::finished);
    QTRY_COMPARE(finishedSpy.count(), 1);
    QCOMPARE(reply->error(), IpcError::NoServerError);
    QVERIFY2(reply->errorString().contains(QLatin1String("\"sum\"")),
             qPrintable(reply->errorString()));
    QVERIFY(!reply->value().isValid());
    QCOMPARE(reply->topic(), QStringLiteral("sum"));
}

void tst_IpcReply::requestAfterCloseIsSendAfterCloseError()
{
    IpcServer server;
    server.handle(QStringLiteral("sum"), [](const QVariant &message) { return sumOf(message); });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);
    QSignalSpy closedSpy(client.get(), &IpcClient::closed);
    client->close();
    QTRY_COMPARE(closedSpy.count(), 1);
    QCOMPARE(client->state(), IpcClient::State::Closed);

    IpcReply *reply = client->request(QStringLiteral("sum"), QVariantList{1, 2});
    QVERIFY(!reply->isFinished());
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::SendAfterCloseError);
    QVERIFY(!reply->errorString().isEmpty());
    QVERIFY(!reply->value().isValid());
}

void tst_IpcReply::unencodableMessageIsEncodeError_data()
{
    QTest::addColumn<QVariant>("message");
    QTest::newRow("QObject pointer") << QVariant::fromValue<QObject *>(this);
    QTest::newRow("NaN") << QVariant(qQNaN());
    QTest::newRow("infinity in a list") << QVariant(QVariantList{1, qInf()});
    QTest::newRow("QByteArray (JSON has no bytes)") << QVariant(QByteArray("bytes"));
}

void tst_IpcReply::unencodableMessageIsEncodeError()
{
    QFETCH(QVariant, message);
    IpcServer server;
    int handled = 0;
    server.handle(QStringLiteral("take"), [&](const QVariant &) { return ++handled; });
    server.handle(QStringLiteral("ping"), [](const QVariant &value) { return value; });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);
    QSignalSpy serverErrors(&server, &IpcServer::errorOccurred);

    IpcReply *reply = client->request(QStringLiteral("take"), message);
    QVERIFY(!reply->isFinished());
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::EncodeError);
    QVERIFY(!reply->errorString().isEmpty());
    QVERIFY(!reply->value().isValid());

    // Nothing went out, and the connection is fine.
    ROUND_TRIP(*client);
    QCOMPARE(handled, 0);
    QCOMPARE(serverMessages.count(), 0);
    QCOMPARE(serverErrors.count(), 0);
    QVERIFY(client->isConnected());
}

void tst_IpcReply::requestBeyondPendingLimitIsWriteBufferFullError()
{
    IpcServer server;
    int handled = 0;
    server.handle(QStringLiteral("take"), [&](const QVariant &message) {
        ++handled;
        return message.toString().size();
    });
    server.handle(QStringLiteral("ping"), [](const QVariant &message) { return message; });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);
    client->setMaxPendingBytes(1024);

    // One frame always fits when nothing is backlogged: 8 MiB, more than the kernel takes at
    // once (the server reads only once the event loop turns), so that the rest waits.
    IpcReply *first = client->request(QStringLiteral("take"), QString(Backlogging, QLatin1Char('y')));
    IpcReply *reply = client->request(QStringLiteral("take"), QString(4096, QLatin1Char('x')));
    QVERIFY(!reply->isFinished());
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::WriteBufferFullError);
    QVERIFY(!reply->errorString().isEmpty());
    QTRY_VERIFY(first->isFinished());
    QCOMPARE(first->value().toInt(), Backlogging);
    // Nothing of it went out; a request that fits still does.
    IpcReply *small = client->request(QStringLiteral("take"), QStringLiteral("xyz"));
    QTRY_VERIFY(small->isFinished());
    QCOMPARE(small->value().toInt(), 3);
    QCOMPARE(handled, 2);
}

void tst_IpcReply::queuedRequestIsSentOnceConnected()
{
    IpcClient client;
    client.setRetryDelay(20);
    client.setMaxQueuedMessages(4);
    client.connectToServer(socketPath());  // nobody listens yet
    IpcReply *reply = client.request(QStringLiteral("sum"), QVariantList{4, 5});
    QCOMPARE(client.queuedMessageCount(), 1);
    QSignalSpy finishedSpy(reply, &IpcReply::finished);

    IpcServer server;
    server.handle(QStringLiteral("sum"), [](const QVariant &message) { return sumOf(message); });
    QVERIFY(server.listen(socketPath()));
    QTRY_COMPARE(finishedSpy.count(), 1);
    QCOMPARE(reply->error(), IpcError::NoError);
    QCOMPARE(reply->value().toLongLong(), 9);
    QCOMPARE(client.queuedMessageCount(), 0);
}

void tst_IpcReply::queuedRequestsFailWhenDroppedOrFull()
{
    IpcClient client;
    client.setRetryDelay(20);
    client.setMaxQueuedMessages(1);
    client.connectToServer(socketPath());  // nobody ever listens
    IpcReply *queued = client.request(QStringLiteral("a"), 1);
    IpcReply *overflow = client.request(QStringLiteral("b"), 2);
    QCOMPARE(client.queuedMessageCount(), 1);
    QTRY_VERIFY(overflow->isFinished());
    QCOMPARE(overflow->error(), IpcError::QueueFullError);
    QVERIFY(!queued->isFinished());

    client.close();
    QTRY_VERIFY(queued->isFinished());
    QCOMPARE(queued->error(), IpcError::DisconnectedError);
    QCOMPARE(client.queuedMessageCount(), 0);
}

void tst_IpcReply::queuedRequestTimingOutIsNeverSent()
{
    IpcClient client;
    client.setRetryDelay(20);
    client.setMaxQueuedMessages(4);
    client.connectToServer(socketPath());  // nobody listens yet
    IpcReply *stale = client.request(QStringLiteral("sum"), QVariantList{1}, 100);
    IpcReply *fresh = client.request(QStringLiteral("sum"), QVariantList{2}, 0);
    QCOMPARE(client.queuedMessageCount(), 2);
    QTRY_VERIFY(stale->isFinished());
    QCOMPARE(stale->error(), IpcError::TimeoutError);

    IpcServer server;
    QList<qint64> handled;
    server.handle(QStringLiteral("sum"), [&](const QVariant &message) {
        handled.append(sumOf(message));
        return sumOf(message);
    });
    QVERIFY(server.listen(socketPath()));
    QTRY_VERIFY(fresh->isFinished());
    QCOMPARE(fresh->error(), IpcError::NoError);
    QCOMPARE(fresh->value().toLongLong(), 2);
    QCOMPARE(handled, QList<qint64>{2});  // the one given up on was never sent
    QCOMPARE(stale->error(), IpcError::TimeoutError);
}

void tst_IpcReply::requestsAfterReconnectGetTheirAnswers()
{
    auto server = std::make_unique<IpcServer>();
    QList<IpcRequest> held;
    server->handle(QStringLiteral("slow"), [&](IpcRequest &request) { held.append(request); });
    QVERIFY(server->listen(socketPath()));
    const auto client = connectedClient(*server);
    QSignalSpy reconnectedSpy(client.get(), &IpcClient::reconnected);

    IpcReply *lost = client->request(QStringLiteral("slow"), 1, 0);
    QTRY_COMPARE(held.size(), 1);
    server.reset();  // the server restarts, with lost unanswered
    held.clear();
    server = std::make_unique<IpcServer>();
    server->handle(QStringLiteral("sum"), [](const QVariant &message) { return sumOf(message); });
    QVERIFY(server->listen(socketPath()));
    QTRY_VERIFY(lost->isFinished());
    QCOMPARE(lost->error(), IpcError::DisconnectedError);
    QTRY_COMPARE(reconnectedSpy.count(), 1);

    IpcReply *after = client->request(QStringLiteral("sum"), QVariantList{3, 4});
    QTRY_VERIFY(after->isFinished());
    QCOMPARE(after->error(), IpcError::NoError);
    QCOMPARE(after->value().toLongLong(), 7);
}

void tst_IpcReply::functorIsCalledOnceThenReplyIsDeleted()
{
    IpcServer server;
    server.handle(QStringLiteral("sum"), [](const QVariant &message) { return sumOf(message); });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    QObject context;
    int calls = 0;
    QVariant value;
    IpcError::Error error = IpcError::TimeoutError;
    QPointer<const IpcReply> seen;
    client->request(QStringLiteral("sum"), QVariantList{2, 3}, &context,
                    [&](const IpcReply &reply) {
                        ++calls;
                        value = reply.value();
                        error = reply.error();
                        seen = &reply;
                    });
    QCOMPARE(calls, 0);
    QTRY_COMPARE(calls, 1);
    QCOMPARE(error, IpcError::NoError);
    QCOMPARE(value.toLongLong(), 5);
    QTRY_VERIFY(seen.isNull());
    QCOMPARE(client->findChildren<IpcReply *>().size(), 0);

    // Failures reach the functor too.
    client->request(QStringLiteral("nothing"), 1, &context, [&](const IpcReply &reply) {
        ++calls;
        error = reply.error();
    });
    QTRY_COMPARE(calls, 2);
    QCOMPARE(error, IpcError::NoHandlerError);
    QTRY_COMPARE(client->findChildren<IpcReply *>().size(), 0);
    QCOMPARE(calls, 2);
}

void tst_IpcReply::functorIsNotCalledAfterItsContextIsDeleted()
{
    IpcServer server;
    QList<IpcRequest> held;
    server.handle(QStringLiteral("slow"), [&](IpcRequest &request) { held.append(request); });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    auto context = std::make_unique<QObject>();
    bool called = false;
    client->request(QStringLiteral("slow"), 1, context.get(),
                    [&](const IpcReply &) { called = true; });
    QTRY_COMPARE(held.size(), 1);
    QCOMPARE(client->findChildren<IpcReply *>().size(), 1);
    context.reset();
    QVERIFY(held.first().reply(1));
    // The reply is still cleaned up once finished.
    QTRY_COMPARE(client->findChildren<IpcReply *>().size(), 0);
    QVERIFY(!called);
}

void tst_IpcReply::deletedReplyForgetsTheRequest()
{
    IpcServer server;
    QList<IpcRequest> held;
    server.handle(QStringLiteral("slow"), [&](IpcRequest &request) { held.append(request); });
    server.handle(QStringLiteral("ping"), [](const QVariant &message) { return message; });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);
    QSignalSpy clientMessages(client.get(), &IpcClient::messageReceived);
    QSignalSpy clientErrors(client.get(), &IpcClient::errorOccurred);

    IpcReply *reply = client->request(QStringLiteral("slow"), 1);
    QTRY_COMPARE(held.size(), 1);
    delete reply;
    QVERIFY(held.first().reply(5));  // still sent: the server cannot know
    ROUND_TRIP(*client);
    QCOMPARE(clientMessages.count(), 0);
    QCOMPARE(clientErrors.count(), 0);
    QCOMPARE(client->findChildren<IpcReply *>().size(), 0);
    QVERIFY(client->isConnected());
}

void tst_IpcReply::destroyingClientWithPendingRequestsIsSafe()
{
    IpcServer server;
    QList<IpcRequest> held;
    server.handle(QStringLiteral("slow"), [&](IpcRequest &request) { held.append(request); });
    QVERIFY(server.listen(socketPath()));
    QSignalSpy disconnectedSpy(&server, &IpcServer::clientDisconnected);
    auto client = connectedClient(server);

    const QPointer<IpcReply> sent = client->request(QStringLiteral("slow"), 1);
    QTRY_COMPARE(held.size(), 1);
    // Its failure waits for the event loop when the client goes.
    const QPointer<IpcReply> failing = client->request(QStringLiteral("slow"), QVariant(qQNaN()));
    client.reset();
    QVERIFY(sent.isNull());  // the client's children
    QVERIFY(failing.isNull());
    QTRY_COMPARE(disconnectedSpy.count(), 1);

    // A client that never connected, deleted with a failure waiting for the event loop.
    auto offline = std::make_unique<IpcClient>();
    const QPointer<IpcReply> refused = offline->request(QStringLiteral("x"), 1);
    offline.reset();
    QVERIFY(refused.isNull());
    QCoreApplication::processEvents();

    QVERIFY(!held.first().reply(1));  // the requester is gone
}

void tst_IpcReply::separateServerProcessAnswers_data()
{
    QTest::addColumn<QString>("codec");
    QTest::newRow("json") << QStringLiteral("json");
    QTest::newRow("cbor") << QStringLiteral("cbor");
}

void tst_IpcReply::separateServerProcessAnswers()
{
    QFETCH(QString, codec);
    TestPeer peer;
    peer.startTestPeer({QStringLiteral("server"), socketPath(), QStringLiteral("--codec"), codec});
    QTRY_VERIFY_WITH_TIMEOUT(peer.has(QStringLiteral("listening")), 10000);
    peer.command({{"handle", "sum"}, {"with", "sum"}});
    peer.command({{"handle", "echo"}, {"with", "echo"}});
    peer.command({{"handle", "refuse"}, {"with", "fail"}});
    QTRY_COMPARE_WITH_TIMEOUT(peer.count(QStringLiteral("handling")), 3, 10000);

    IpcClient client;
    client.setCodecName(codec);
    client.setRetryDelay(20);
    QSignalSpy connectedSpy(&client, &IpcClient::connected);
    client.connectToServer(socketPath());
    QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.count(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(peer.count(QStringLiteral("clientConnected")), 1, 10000);
    const QString clientId =
            peer.last(QStringLiteral("clientConnected")).value("client").toString();

    const QByteArray bytes("\x00\x01\xfe\xff", 4);
    IpcReply *sum = client.request(QStringLiteral("sum"), QVariantList{1, 2, 39});
    IpcReply *refused = client.request(QStringLiteral("refuse"), QStringLiteral("not today"));
    IpcReply *missing = client.request(QStringLiteral("missing"), 1);
    IpcReply *echo = client.request(QStringLiteral("echo"), bytes);
    const QList<IpcReply *> replies{sum, refused, missing, echo};
    QTRY_VERIFY_WITH_TIMEOUT(allFinished(replies), 10000);
    QCOMPARE(sum->error(), IpcError::NoError);
    QCOMPARE(sum->value().toLongLong(), 42);
    QCOMPARE(refused->error(), IpcError::HandlerError);
    QCOMPARE(refused->errorString(), QStringLiteral("not today"));
    QCOMPARE(missing->error(), IpcError::NoHandlerError);
    QCOMPARE(missing->errorString(), QStringLiteral("no handler for \"missing\""));
    if (codec == QLatin1String("cbor")) {
        QCOMPARE(echo->error(), IpcError::NoError);
        QCOMPARE(echo->value().metaType(), QMetaType::fromType<QByteArray>());
        QCOMPARE(echo->value().toByteArray(), bytes);
    } else {
        QCOMPARE(echo->error(), IpcError::EncodeError);
    }

    // The peer saw requests, with this client's id, and never a message.
    const int expectedRequests = codec == QLatin1String("cbor") ? 3 : 2;
    QTRY_COMPARE_WITH_TIMEOUT(peer.count(QStringLiteral("request")), expectedRequests, 10000);
    QCOMPARE(peer.eventsNamed(QStringLiteral("request"), QStringLiteral("sum"))
                     .value(0)
                     .value("client")
                     .toString(),
             clientId);
    QCOMPARE(peer.count(QStringLiteral("message")), 0);
    QCOMPARE(peer.count(QStringLiteral("error")), 0);

    peer.command({{"close", true}});
    QTRY_VERIFY_WITH_TIMEOUT(!peer.isRunning(), 10000);
    QVERIFY(peer.exitedNormally());
}

void tst_IpcReply::separateServerProcessDyingIsDisconnectedError()
{
    TestPeer peer;
    peer.startTestPeer({QStringLiteral("server"), socketPath()});
    QTRY_VERIFY_WITH_TIMEOUT(peer.has(QStringLiteral("listening")), 10000);
    peer.command({{"handle", "slow"}, {"with", "hold"}});
    QTRY_COMPARE_WITH_TIMEOUT(peer.count(QStringLiteral("handling")), 1, 10000);

    IpcClient client;
    client.setRetryDelay(20);
    client.setReconnectDelay(20);
    QSignalSpy connectedSpy(&client, &IpcClient::connected);
    client.connectToServer(socketPath());
    QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.count(), 1, 10000);

    // A held request answered later by the other process.
    IpcReply *answered = client.request(QStringLiteral("slow"), QStringLiteral("first"), 0);
    QTRY_COMPARE_WITH_TIMEOUT(peer.count(QStringLiteral("request")), 1, 10000);
    QCOMPARE(peer.last(QStringLiteral("request")).value("message").toString(),
             QStringLiteral("first"));
    QVERIFY(!answered->isFinished());
    peer.command({{"answer", 7}});
    QTRY_VERIFY_WITH_TIMEOUT(answered->isFinished(), 10000);
    QCOMPARE(answered->error(), IpcError::NoError);
    QCOMPARE(answered->value().toInt(), 7);
    QTRY_COMPARE_WITH_TIMEOUT(peer.count(QStringLiteral("answered")), 1, 10000);
    QCOMPARE(peer.last(QStringLiteral("answered")).value("ok").toBool(), true);

    // One that the process never answers: it dies.
    IpcReply *orphan = client.request(QStringLiteral("slow"), QStringLiteral("second"), 0);
    QTRY_COMPARE_WITH_TIMEOUT(peer.count(QStringLiteral("request")), 2, 10000);
    QVERIFY(!orphan->isFinished());
    peer.kill();
    QTRY_VERIFY_WITH_TIMEOUT(orphan->isFinished(), 10000);
    QCOMPARE(orphan->error(), IpcError::DisconnectedError);
    QVERIFY(!orphan->errorString().isEmpty());
    QVERIFY(!orphan->value().isValid());
}

void tst_IpcReply::clientWritesRequestFrames()
{
    QLocalServer raw;
    QVERIFY(raw.listen(socketPath()));
    IpcClient client;
    QLocalSocket *peer = nullptr;
    CHECKED(peer = IpcTest::connectToRawServer(client, raw));

    IpcReply *sum = client.request(QStringLiteral("sum"), QVariantList{1, 2});
    IpcReply *text = client.request(QStringLiteral("name"), QStringLiteral("ü\"x"));
    const QByteArray expected = frameBytes(R"({"topic":"sum","message":[1,2],"id":1})")
            + frameBytes("{\"topic\":\"name\",\"message\":\"\xc3\xbc\\\"x\",\"id\":2}");
    QTRY_COMPARE(peer->bytesAvailable(), qint64(expected.size()));
    QCOMPARE(peer->readAll(), expected);

    // Answered last first, by id.
    peer->write(frameBytes(R"({"topic":"name","message":"ok","re":2})")
                + frameBytes(R"({"topic":"sum","message":3,"re":1})"));
    QTRY_VERIFY(sum->isFinished() && text->isFinished());
    QCOMPARE(sum->value().toLongLong(), 3);
    QCOMPARE(text->value().toString(), QStringLiteral("ok"));
    QCOMPARE(peer->bytesAvailable(), 0);
}

void tst_IpcReply::clientReadsReplyFrames_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<IpcError::Error>("error");
    QTest::addColumn<QString>("errorString");
    QTest::addColumn<QVariant>("value");
    QTest::newRow("answer") << QByteArray(R"({"topic":"sum","message":{"a":[true]},"re":1})")
                            << IpcError::NoError << QString()
                            << QVariant(QVariantMap{{"a", QVariantList{true}}});
    QTest::newRow("no handler") << QByteArray(
            R"({"topic":"sum","message":null,"re":1,)"
            R"("error":{"code":"NoHandler","message":"no handler for \"sum\""}})")
                                << IpcError::NoHandlerError
                                << QStringLiteral("no handler for \"sum\"") << QVariant();
    QTest::newRow("handler failed")
            << QByteArray(R"({"topic":"sum","message":null,"re":1,)"
                          R"("error":{"code":"Handler","message":"why"}})")
            << IpcError::HandlerError << QStringLiteral("why") << QVariant();
    QTest::newRow("keys in another order")
            << QByteArray(R"({"re":1,"error":{"message":"why","code":"Handler"},"topic":"sum"})")
            << IpcError::HandlerError << QStringLiteral("why") << QVariant();
}

void tst_IpcReply::clientReadsReplyFrames()
{
    QFETCH(QByteArray, frame);
    QFETCH(IpcError::Error, error);
    QFETCH(QString, errorString);
    QFETCH(QVariant, value);
    QLocalServer raw;
    QVERIFY(raw.listen(socketPath()));
    IpcClient client;
    QSignalSpy messageSpy(&client, &IpcClient::messageReceived);
    QLocalSocket *peer = nullptr;
    CHECKED(peer = IpcTest::connectToRawServer(client, raw));

    IpcReply *reply = client.request(QStringLiteral("sum"), QVariantList{1, 2});
    const QByteArray request = frameBytes(R"({"topic":"sum","message":[1,2],"id":1})");
    QTRY_COMPARE(peer->bytesAvailable(), qint64(request.size()));
    QCOMPARE(peer->readAll(), request);
    peer->write(frameBytes(frame));
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), error);
    QCOMPARE(reply->errorString(), errorString);
    QCOMPARE(reply->value(), value);
    QCOMPARE(messageSpy.count(), 0);
}

void tst_IpcReply::replyToUnknownRequestIsIgnored()
{
    QLocalServer raw;
    QVERIFY(raw.listen(socketPath()));
    IpcClient client;
    QSignalSpy messageSpy(&client, &IpcClient::messageReceived);
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    QLocalSocket *peer = nullptr;
    CHECKED(peer = IpcTest::connectToRawServer(client, raw));

    IpcReply *reply = client.request(QStringLiteral("sum"), QVariantList{1, 2});
    QTRY_VERIFY(peer->bytesAvailable() > 0);
    // A reply to an id never used, the real one, a repeat of it, then a message.
    peer->write(frameBytes(R"({"topic":"sum","message":99,"re":42})")
                + frameBytes(R"({"topic":"sum","message":3,"re":1})")
                + frameBytes(R"({"topic":"sum","message":4,"re":1})")
                + frameBytes(R"({"topic":"after","message":true})"));
    QTRY_COMPARE(messageSpy.count(), 1);
    QCOMPARE(messageSpy.at(0).at(0).toString(), QStringLiteral("after"));
    QVERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::NoError);
    QCOMPARE(reply->value().toLongLong(), 3);  // the first answer; the repeat was dropped
    QCOMPARE(errorSpy.count(), 0);
    QVERIFY(client.isConnected());
}

void tst_IpcReply::serverAnswersRawRequestFrames_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("reply");
    QTest::newRow("answer") << QByteArray(R"({"topic":"sum","message":[1,2],"id":1})")
                            << QByteArray(R"({"topic":"sum","message":3,"re":1})");
    QTest::newRow("keys in another order, spaces")
            << QByteArray(R"( { "id" : 7 , "message" : [ 5 ] , "topic" : "sum" } )")
            << QByteArray(R"({"topic":"sum","message":5,"re":7})");
    QTest::newRow("largest safe id")
            << QByteArray(R"({"topic":"sum","message":[],"id":9007199254740991})")
            << QByteArray(R"({"topic":"sum","message":0,"re":9007199254740991})");
    QTest::newRow("no handler")
            << QByteArray(R"({"topic":"nothing","message":1,"id":2})")
            << QByteArray(
                       R"({"topic":"nothing","message":null,"re":2,)"
                       R"("error":{"code":"NoHandler","message":"no handler for \"nothing\""}})");
    QTest::newRow("handler failed") << QByteArray(R"({"topic":"refuse","message":"why","id":3})")
                                    << QByteArray(R"({"topic":"refuse","message":null,"re":3,)"
                                                  R"("error":{"code":"Handler","message":"why"}})");
    QTest::newRow("handler answered nothing")
            << QByteArray(R"({"topic":"void","message":1,"id":4})")
            << QByteArray(R"({"topic":"void","message":null,"re":4})");
    QTest::newRow("handler answered an invalid QVariant")
            << QByteArray(R"({"topic":"invalid","message":1,"id":5})")
            << QByteArray(R"({"topic":"invalid","message":null,"re":5})");
}

void tst_IpcReply::serverAnswersRawRequestFrames()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, reply);
    IpcServer server;
    server.handle(QStringLiteral("sum"), [](const QVariant &message) { return sumOf(message); });
    server.handle(QStringLiteral("refuse"),
                  [](const QVariant &message) { return IpcRequest::error(message.toString()); });
    server.handle(QStringLiteral("void"), [](const QVariant &) {});
    server.handle(QStringLiteral("invalid"), [](const QVariant &) { return QVariant(); });
    QVERIFY(server.listen(socketPath()));
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);

    QLocalSocket raw;
    CHECKED(IpcTest::connectRawSocket(raw, server));
    raw.write(frameBytes(request));
    const QByteArray expected = frameBytes(reply);
    QTRY_COMPARE(raw.bytesAvailable(), qint64(expected.size()));
    QCOMPARE(raw.readAll(), expected);
    QCOMPARE(messageSpy.count(), 0);
    QCOMPARE(server.clientCount(), 1);
}

void tst_IpcReply::framesWithoutAValidIdAreMessages_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::newRow("string id") << QByteArray(R"({"topic":"sum","message":[1,2],"id":"1"})");
    QTest::newRow("zero id") << QByteArray(R"({"topic":"sum","message":[1,2],"id":0})");
    QTest::newRow("negative id") << QByteArray(R"({"topic":"sum","message":[1,2],"id":-1})");
    QTest::newRow("fractional id") << QByteArray(R"({"topic":"sum","message":[1,2],"id":1.5})");
    QTest::newRow("null id") << QByteArray(R"({"topic":"sum","message":[1,2],"id":null})");
    QTest::newRow("object id") << QByteArray(R"({"topic":"sum","message":[1,2],"id":{}})");
}

void tst_IpcReply::framesWithoutAValidIdAreMessages()
{
    QFETCH(QByteArray, frame);
    IpcServer server;
    int handled = 0;
    server.handle(QStringLiteral("sum"), [&](const QVariant &message) {
        ++handled;
        return sumOf(message);
    });
    QVERIFY(server.listen(socketPath()));
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);

    QLocalSocket raw;
    CHECKED(IpcTest::connectRawSocket(raw, server));
    raw.write(frameBytes(frame) + frameBytes(R"({"topic":"sum","message":[4],"id":9})"));
    // The only bytes back are the answer to the real request.
    const QByteArray expected = frameBytes(R"({"topic":"sum","message":4,"re":9})");
    QTRY_COMPARE(raw.bytesAvailable(), qint64(expected.size()));
    QCOMPARE(raw.readAll(), expected);
    QCOMPARE(messageSpy.count(), 1);
    QCOMPARE(messageSpy.at(0).at(0).toString(), QStringLiteral("sum"));
    QCOMPARE(messageSpy.at(0).at(1).toList(), (QVariantList{1, 2}));
    QCOMPARE(handled, 1);
}

void tst_IpcReply::cborRequestReplyRoundTripsBytes()
{
    IpcServer server;
    server.setCodecName(QStringLiteral("cbor"));
    QCOMPARE(server.codecName(), QStringLiteral("cbor"));
    QVariant seen;
    server.handle(QStringLiteral("echo"), [&](const QVariant &message) {
        seen = message;
        return message;
    });
    server.handle(QStringLiteral("sum"), [](const QVariant &message) { return sumOf(message); });
    server.handle(QStringLiteral("refuse"),
                  [](const QVariant &) { return IpcRequest::error(QStringLiteral("no")); });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server, nullptr, QStringLiteral("cbor"));
    QCOMPARE(client->codecName(), QStringLiteral("cbor"));

    const QByteArray bytes("\x00\x01\x02\xfe\xff\x00\x00", 7);  // NULs: no frame delimiter here
    IpcReply *echo = client->request(QStringLiteral("echo"), bytes);
    IpcReply *sum = client->request(QStringLiteral("sum"), QVariantList{20, 22});
    IpcReply *refused = client->request(QStringLiteral("refuse"), 1);
    IpcReply *missing = client->request(QStringLiteral("missing"), 1);
    const QList<IpcReply *> replies{echo, sum, refused, missing};
    QTRY_VERIFY(allFinished(replies));
    QCOMPARE(seen.metaType(), QMetaType::fromType<QByteArray>());
    QCOMPARE(seen.toByteArray(), bytes);
    QCOMPARE(echo->error(), IpcError::NoError);
    QCOMPARE(echo->value().metaType(), QMetaType::fromType<QByteArray>());
    QCOMPARE(echo->value().toByteArray(), bytes);
    QCOMPARE(sum->value().toLongLong(), 42);
    QCOMPARE(refused->error(), IpcError::HandlerError);
    QCOMPARE(refused->errorString(), QStringLiteral("no"));
    QCOMPARE(missing->error(), IpcError::NoHandlerError);

    // What CBOR cannot hold either fails alone, part-way through a list, and leaves the
    // connection clean.
    IpcReply *odd = client->request(QStringLiteral("echo"),
                                    QVariantList{1, QVariant::fromValue<QObject *>(this)});
    QTRY_VERIFY(odd->isFinished());
    QCOMPARE(odd->error(), IpcError::EncodeError);
    IpcReply *after = client->request(QStringLiteral("sum"), QVariantList{1, 1});
    QTRY_VERIFY(after->isFinished());
    QCOMPARE(after->error(), IpcError::NoError);
    QCOMPARE(after->value().toLongLong(), 2);
    QCOMPARE(server.clientCount(), 1);
}

QTEST_GUILESS_MAIN(tst_IpcReply)
// Progress and cancellation both ways: a client asking its server, and a server asking a
// client. *handler is the side that handles "work"; the requester is returned.
namespace {

struct Pair
{
    std::unique_ptr<IpcServer> server;
    std::unique_ptr<IpcClient> client;
    QString clientId;
    IpcEndpoint *handler = nullptr;
    IpcReply *request(const QString &topic, const QVariant &message, int timeout = -1)
    {
        if (handler == server.get())
            return client->request(topic, message, timeout);
        return server->request(topic, message, clientId, timeout);
    }
};

std::unique_ptr<Pair> makePair(const QString &path, bool serverHandles)
{
    auto pair = std::make_unique<Pair>();
    pair->server = std::make_unique<IpcServer>();
    if (!pair->server->listen(path))
        return {};
    pair->client = connectedClient(*pair->server, &pair->clientId);
    if (!pair->client)
        return {};
    pair->handler = serverHandles ? static_cast<IpcEndpoint *>(pair->server.get())
                                  : static_cast<IpcEndpoint *>(pair->client.get());
    return pair;
}

void addDirections()
{
    QTest::addColumn<bool>("serverHandles");
    QTest::newRow("client asks the server") << true;
    QTest::newRow("server asks a client") << false;
}

}  // namespace

void tst_IpcReply::progressArrivesInOrderBeforeTheAnswer_data()
{
    addDirections();
}

void tst_IpcReply::progressArrivesInOrderBeforeTheAnswer()
{
    QFETCH(bool, serverHandles);
    const auto pair = makePair(socketPath(), serverHandles);
    QVERIFY(pair);
    // Ten notifications, one per event-loop turn, then the answer.
    QList<IpcRequest> held;
    pair->handler->handle(QStringLiteral("work"), [&](IpcRequest &request) {
        held.append(request);
        auto *step = new QTimer(pair->handler);
        step->setInterval(1);
        connect(step, &QTimer::timeout, step, [request, step, n = 0]() mutable {
            if (n < 10) {
                QVERIFY(request.sendProgress(QVariantMap{{QStringLiteral("done"), ++n}}));
                return;
            }
            QVERIFY(request.reply(QStringLiteral("finished")));
            QVERIFY(!request.sendProgress(11));  // answered: no more
            step->deleteLater();
        });
        step->start();
    });
    IpcReply *reply = pair->request(QStringLiteral("work"), 1);
    QVERIFY(reply);
    QStringList events;
    connect(reply, &IpcReply::progress, this, [&](const QVariant &value) {
        events.append(QString::number(value.toMap().value(QStringLiteral("done")).toInt()));
    });
    connect(reply, &IpcReply::finished, this,
            [&] { events.append(QStringLiteral("finished:") + reply->value().toString()); });
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(events,
             (QStringList{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "finished:finished"}));
    QCOMPARE(reply->error(), IpcError::NoError);
    // Progress notifications are not messages.
    QSignalSpy messages(serverHandles ? static_cast<IpcEndpoint *>(pair->client.get())
                                      : static_cast<IpcEndpoint *>(pair->server.get()),
                        &IpcEndpoint::messageReceived);
    QTest::qWait(20);
    QCOMPARE(messages.count(), 0);
}

void tst_IpcReply::cancelReachesTheHandlerAndFinishesOnce_data()
{
    addDirections();
}

void tst_IpcReply::cancelReachesTheHandlerAndFinishesOnce()
{
    QFETCH(bool, serverHandles);
    const auto pair = makePair(socketPath(), serverHandles);
    QVERIFY(pair);
    QList<IpcRequest> held;
    int cancelledCalls = 0;
    QObject context;
    pair->handler->handle(QStringLiteral("work"), [&](IpcRequest &request) {
        held.append(request);
        request.onCancelled(&context, [&] { ++cancelledCalls; });
    });
    IpcReply *reply = pair->request(QStringLiteral("work"), 1);
    QSignalSpy finished(reply, &IpcReply::finished);
    QTRY_COMPARE(held.size(), 1);
    QVERIFY(!held.first().isCancelled());

    reply->cancel();
    QVERIFY(!reply->isFinished());  // from the event loop, never inside cancel()
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(reply->error(), IpcError::CancelledError);
    QVERIFY(reply->errorString().contains(QLatin1String("cancelled")));

    // The handler hears of it: on every copy, and through onCancelled(), once.
    QTRY_VERIFY(held.first().isCancelled());
    const IpcRequest copy = held.first();
    QVERIFY(copy.isCancelled());
    QTRY_COMPARE(cancelledCalls, 1);
    // Registered after the fact: called too, from the event loop.
    int late = 0;
    held[0].onCancelled(&context, [&] { ++late; });
    QCOMPARE(late, 0);
    QTRY_COMPARE(late, 1);
    // Its answer goes nowhere, and the reply does not finish again.
    QVERIFY(!held[0].reply(QStringLiteral("too late")));
    QVERIFY(!held[0].sendProgress(1));
    reply->cancel();  // again: nothing
    QTest::qWait(50);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(cancelledCalls, 1);
    QCOMPARE(late, 1);
}

void tst_IpcReply::cancelRacingTheAnswerFinishesOnce()
{
    // The answer is already in the client's socket when cancel() runs: the reply finishes
    // once, cancelled, and the answer that is read afterwards is dropped.
    QLocalServer raw;
    QVERIFY(raw.listen(socketPath()));
    IpcClient client;
    QLocalSocket *peer = nullptr;
    CHECKED(peer = IpcTest::connectToRawServer(client, raw));
    IpcReply *reply = client.request(QStringLiteral("echo"), 7);
    QSignalSpy finished(reply, &IpcReply::finished);
    QTRY_VERIFY(peer->bytesAvailable() > 0);
    peer->readAll();
    peer->write(frameBytes(R"({"topic":"echo","message":7,"re":1})"));
    QVERIFY(peer->waitForBytesWritten(1000));
    reply->cancel();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(reply->error(), IpcError::CancelledError);
    QVERIFY(!reply->value().isValid());
    // The cancel notice went out all the same (the peer may not have sent its answer yet).
    const QByteArray cancel =
            frameBytes(R"({"topic":"socketipc.cancel","message":null,"cancel":1})");
    QTRY_COMPARE(peer->bytesAvailable(), qint64(cancel.size()));
    QTest::qWait(50);
    QCOMPARE(finished.count(), 1);

    // And the other way round: answered first, cancel() then changes nothing.
    IpcReply *second = client.request(QStringLiteral("echo"), 8);
    QSignalSpy secondFinished(second, &IpcReply::finished);
    QTRY_VERIFY(peer->bytesAvailable() > qint64(cancel.size()));
    peer->readAll();
    peer->write(frameBytes(R"({"topic":"echo","message":8,"re":2})"));
    QTRY_COMPARE(secondFinished.count(), 1);
    second->cancel();
    QTest::qWait(50);
    QCOMPARE(secondFinished.count(), 1);
    QCOMPARE(second->error(), IpcError::NoError);
    QCOMPARE(second->value().toInt(), 8);
    QCOMPARE(peer->bytesAvailable(), 0);  // no cancel notice for a finished reply
}

void tst_IpcReply::cancelAfterTheConnectionDroppedChangesNothing()
{
    IpcServer server;
    QList<IpcRequest> held;
    server.handle(QStringLiteral("work"), [&](IpcRequest &request) { held.append(request); });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);
    QVERIFY(client);
    IpcReply *reply = client->request(QStringLiteral("work"), 1);
    QSignalSpy finished(reply, &IpcReply::finished);
    QTRY_COMPARE(held.size(), 1);
    server.close();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(reply->error(), IpcError::DisconnectedError);
    reply->cancel();
    QTest::qWait(50);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(reply->error(), IpcError::DisconnectedError);
}

void tst_IpcReply::requesterGoingAwayCancelsTheHandler()
{
    // A handler working for a client that disconnects may stop: the request is cancelled.
    IpcServer server;
    QList<IpcRequest> held;
    int cancelledCalls = 0;
    server.handle(QStringLiteral("work"), [&](IpcRequest &request) {
        held.append(request);
        request.onCancelled(&server, [&] { ++cancelledCalls; });
    });
    QVERIFY(server.listen(socketPath()));
    auto client = connectedClient(server);
    QVERIFY(client);
    client->request(QStringLiteral("work"), 1);
    QTRY_COMPARE(held.size(), 1);
    client.reset();
    QTRY_COMPARE(cancelledCalls, 1);
    QVERIFY(held.first().isCancelled());
    QVERIFY(!held.first().reply(1));
}

void tst_IpcReply::timeoutCancelsTheHandler()
{
    IpcServer server;
    QList<IpcRequest> held;
    server.handle(QStringLiteral("work"), [&](IpcRequest &request) { held.append(request); });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);
    QVERIFY(client);
    IpcReply *reply = client->request(QStringLiteral("work"), 1, 100);
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::TimeoutError);
    QTRY_VERIFY(!held.isEmpty() && held.first().isCancelled());
}

void tst_IpcReply::progressAndCancelFramesOnTheWire()
{
    // The extension keys, as a peer of another language sees them.
    QLocalServer raw;
    QVERIFY(raw.listen(socketPath()));
    IpcClient client;
    QLocalSocket *peer = nullptr;
    CHECKED(peer = IpcTest::connectToRawServer(client, raw));

    IpcReply *reply = client.request(QStringLiteral("work"), 1);
    QList<QVariant> progress;
    connect(reply, &IpcReply::progress, this, [&](const QVariant &v) { progress.append(v); });
    const QByteArray request = frameBytes(R"({"topic":"work","message":1,"id":1})");
    QTRY_COMPARE(peer->bytesAvailable(), qint64(request.size()));
    QCOMPARE(peer->readAll(), request);
    peer->write(frameBytes(R"({"topic":"work","message":0.5,"re":1,"progress":true})")
                + frameBytes(R"({"re":1,"progress":true,"topic":"work","message":"x"})"));
    QTRY_COMPARE(progress.size(), 2);
    QCOMPARE(progress, (QList<QVariant>{0.5, QStringLiteral("x")}));
    QVERIFY(!reply->isFinished());

    reply->cancel();
    const QByteArray cancel =
            frameBytes(R"({"topic":"socketipc.cancel","message":null,"cancel":1})");
    QTRY_COMPARE(peer->bytesAvailable(), qint64(cancel.size()));
    QCOMPARE(peer->readAll(), cancel);
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::CancelledError);

    // A progress value that is not true is no progress notification: that frame answers.
    IpcReply *other = client.request(QStringLiteral("work"), 2);
    QTRY_VERIFY(peer->bytesAvailable() > 0);
    peer->readAll();
    peer->write(frameBytes(R"({"topic":"work","message":"done","re":2,"progress":"yes"})"));
    QTRY_VERIFY(other->isFinished());
    QCOMPARE(other->value().toString(), QStringLiteral("done"));
}

void tst_IpcReply::progressAndCancelKeysAreReadWithCbor()
{
    IpcServer server;
    server.setCodecName(QStringLiteral("cbor"));
    QList<IpcRequest> held;
    server.handle(QStringLiteral("work"), [&](IpcRequest &request) {
        held.append(request);
        request.sendProgress(QByteArray("\x01\x02", 2));
    });
    QVERIFY(server.listen(socketPath()));
    IpcClient client;
    client.setCodecName(QStringLiteral("cbor"));
    QSignalSpy connected(&client, &IpcClient::connected);
    client.connectToServer(socketPath());
    QTRY_COMPARE(connected.count(), 1);
    IpcReply *reply = client.request(QStringLiteral("work"), 1);
    QSignalSpy progress(reply, &IpcReply::progress);
    QTRY_COMPARE(progress.count(), 1);
    QCOMPARE(progress.first().first().toByteArray(), QByteArray("\x01\x02", 2));
    reply->cancel();
    QTRY_VERIFY(!held.isEmpty() && held.first().isCancelled());
    QCOMPARE(reply->error(), IpcError::CancelledError);
}

#include "tst_ipcreply.moc"
