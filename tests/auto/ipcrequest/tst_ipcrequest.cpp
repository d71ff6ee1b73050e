#include "ipctestsupport.h"
#include "testpeer.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcReply>
#include <SocketIpc/IpcRequest>
#include <SocketIpc/IpcServer>

#include <QtCore/qelapsedtimer.h>
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

// IpcRequest, the handler's side of a request: answering now or later, copies, the first
// answer winning, requests dropped unanswered; and requests from a server to one client
// (IpcServer::request(), IpcClient::handle()), over real sockets.
// A message larger than the kernel's socket buffer can take at once (up to 4 MiB here).
static constexpr int Backlogging = 8 * 1024 * 1024;

class tst_IpcRequest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();

    void defaultRequestIsInvalid();
    void errorValueIsRecognisedOnlyForErrors();
    void requestCarriesTopicMessageAndClientId();
    void answerComesLaterFromATimer();
    void copiesShareOneAnswer();
    void movedFromRequestIsInvalid();
    void firstAnswerWins_data();
    void firstAnswerWins();
    void unansweredRequestIsHandlerError();
    void lastCopyDroppedLaterIsHandlerError();
    void unencodableAnswerIsHandlerError_data();
    void unencodableAnswerIsHandlerError();
    void answerAfterRequesterLeftReturnsFalse_data();
    void answerAfterRequesterLeftReturnsFalse();

    void serverRequestIsAnsweredByClientHandler_data();
    void serverRequestIsAnsweredByClientHandler();
    void serverRequestReachesOnlyThatClient();
    void replyFromAnotherClientIsIgnored();
    void statefulClientHandlerKeepsItsState();
    void serverRequestFunctorIsCalledOnce();
    void serverRequestsAreNotClientMessages();
    void serverRequestWithoutClientHandlerIsNoHandlerError();
    void clientHandlerStopsWhenItsContextIsDeleted();
    void serverRequestFailedByClientIsHandlerError_data();
    void serverRequestFailedByClientIsHandlerError();
    void serverRequestToUnknownClientIsBadClientError();
    void serverRequestAfterCloseIsSendAfterCloseError();
    void serverRequestUnansweredIsTimeoutError_data();
    void serverRequestUnansweredIsTimeoutError();
    void serverRequestUnencodableIsEncodeError_data();
    void serverRequestUnencodableIsEncodeError();
    void serverRequestBeyondPendingLimitIsWriteBufferFullError();
    void clientLeavingBeforeAnsweringIsDisconnectedError_data();
    void clientLeavingBeforeAnsweringIsDisconnectedError();
    void clientAnswerAfterServerLeftReturnsFalse_data();
    void clientAnswerAfterServerLeftReturnsFalse();

    void serverWritesRequestFramesAndReadsReplies();
    void clientAnswersRawRequestFrames_data();
    void clientAnswersRawRequestFrames();
    void separateClientProcessAnswersAndAsks();
    void cborServerRequestRoundTripsBytes();

private:
    QString socketPath() const { return m_dir.socketPath(); }
    IpcTest::SocketDir m_dir;
};

void tst_IpcRequest::init()
{
    m_dir.renew();
}

void tst_IpcRequest::defaultRequestIsInvalid()
{
    IpcRequest request;
    QVERIFY(!request.isValid());
    QCOMPARE(request.topic(), QString());
    QVERIFY(!request.message().isValid());
    QCOMPARE(request.clientId(), QString());
    QVERIFY(!request.isAnswered());
    QVERIFY(!request.reply(1));
    QVERIFY(!request.fail(QStringLiteral("no")));
    QVERIFY(!request.isAnswered());

    IpcRequest copy(request);
    QVERIFY(!copy.isValid());
    IpcRequest assigned;
    assigned = copy;
    QVERIFY(!assigned.isValid());
    QVERIFY(!assigned.reply(1));
    // It travels in a QVariant, as Q_DECLARE_METATYPE promises.
    QVERIFY(!QVariant::fromValue(request).value<IpcRequest>().isValid());
}

void tst_IpcRequest::errorValueIsRecognisedOnlyForErrors()
{
    const QVariant error = IpcRequest::error(QStringLiteral("why"));
    QVERIFY(error.isValid());
    QVERIFY(IpcRequest::isError(error));
    QVERIFY(!IpcRequest::isError(QVariant()));
    QVERIFY(!IpcRequest::isError(QVariant(1)));
    QVERIFY(!IpcRequest::isError(QVariant(QStringLiteral("why"))));
    QVERIFY(!IpcRequest::isError(QVariant::fromValue(nullptr)));
    // An error is not a value a default request could send.
    IpcRequest invalid;
    QVERIFY(!invalid.reply(error));
}

void tst_IpcRequest::requestCarriesTopicMessageAndClientId()
{
    IpcServer server;
    IpcRequest kept;
    server.handle(QStringLiteral("look"), [&](IpcRequest &request) { kept = request; });
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId);

    const QVariantMap message{{QStringLiteral("a"), 1}, {QStringLiteral("b"), QStringLiteral("x")}};
    IpcReply *reply = client->request(QStringLiteral("look"), message);
    QTRY_VERIFY(kept.isValid());
    QCOMPARE(kept.topic(), QStringLiteral("look"));
    QCOMPARE(kept.message().toMap(), message);
    QCOMPARE(kept.clientId(), clientId);
    QVERIFY(!kept.isAnswered());
    QVERIFY(!reply->isFinished());

    QVERIFY(kept.reply(QStringLiteral("seen")));
    QVERIFY(kept.isAnswered());
    QVERIFY(kept.isValid());  // answered, still readable
    QCOMPARE(kept.topic(), QStringLiteral("look"));
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::NoError);
    QCOMPARE(reply->value().toString(), QStringLiteral("seen"));
}

void tst_IpcRequest::answerComesLaterFromATimer()
{
    IpcServer server;
    int handlerCalls = 0;
    bool timerReplied = false;
    server.handle(QStringLiteral("later"), [&](IpcRequest &request) {
        ++handlerCalls;
        QTimer::singleShot(50, &server, [&timerReplied, request]() mutable {
            timerReplied = request.reply(request.message().toInt() + 1);
        });
    });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *reply = client->request(QStringLiteral("later"), 41);
    QSignalSpy finishedSpy(reply, &IpcReply::finished);
    QTRY_COMPARE(handlerCalls, 1);
    QVERIFY(!reply->isFinished());  // the handler returned without answering
    QTRY_COMPARE(finishedSpy.count(), 1);
    QVERIFY(timerReplied);
    QCOMPARE(reply->error(), IpcError::NoError);
    QCOMPARE(reply->value().toInt(), 42);
}

void tst_IpcRequest::copiesShareOneAnswer()
{
    IpcServer server;
    IpcRequest a;
    IpcRequest b;
    server.handle(QStringLiteral("copy"), [&](IpcRequest &request) {
        a = request;
        b = IpcRequest(a);
    });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *reply = client->request(QStringLiteral("copy"), 1);
    QSignalSpy finishedSpy(reply, &IpcReply::finished);
    QTRY_VERIFY(b.isValid());
    QCOMPARE(b.topic(), a.topic());
    QCOMPARE(b.message(), a.message());
    QVERIFY(!a.isAnswered());
    QVERIFY(!b.isAnswered());

    QVERIFY(b.reply(QStringLiteral("from b")));
    QVERIFY(a.isAnswered());  // one request, seen through two copies
    QVERIFY(!a.reply(QStringLiteral("from a")));
    QVERIFY(!a.fail(QStringLiteral("a fails")));
    QTRY_COMPARE(finishedSpy.count(), 1);
    QCOMPARE(reply->error(), IpcError::NoError);
    QCOMPARE(reply->value().toString(), QStringLiteral("from b"));

    // Dropping the answered copies sends nothing more.
    a = IpcRequest();
    b = IpcRequest();
    server.handle(QStringLiteral("ping"), [](const QVariant &message) { return message; });
    ROUND_TRIP(*client);
    QCOMPARE(finishedSpy.count(), 1);
    QCOMPARE(reply->value().toString(), QStringLiteral("from b"));
}

void tst_IpcRequest::movedFromRequestIsInvalid()
{
    IpcServer server;
    IpcRequest kept;
    bool movedFromValid = true;
    bool assignedFromValid = true;
    bool originalValid = false;
    server.handle(QStringLiteral("move"), [&](IpcRequest &request) {
        IpcRequest local(request);
        IpcRequest moved(std::move(local));
        movedFromValid = local.isValid();  // NOLINT(bugprone-use-after-move): that is the test
        kept = std::move(moved);
        assignedFromValid = moved.isValid();  // NOLINT(bugprone-use-after-move)
        originalValid = request.isValid();
    });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *reply = client->request(QStringLiteral("move"), 1);
    QTRY_VERIFY(kept.isValid());
    QVERIFY(!movedFromValid);
    QVERIFY(!assignedFromValid);
    QVERIFY(originalValid);
    QVERIFY(!reply->isFinished());  // the moves neither answered nor dropped it
    QVERIFY(kept.reply(QStringLiteral("kept")));
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::NoError);
    QCOMPARE(reply->value().toString(), QStringLiteral("kept"));
}

void tst_IpcRequest::firstAnswerWins_data()
{
    QTest::addColumn<bool>("firstIsReply");
    QTest::addColumn<bool>("secondIsReply");
    QTest::newRow("reply, reply") << true << true;
    QTest::newRow("reply, fail") << true << false;
    QTest::newRow("fail, reply") << false << true;
    QTest::newRow("fail, fail") << false << false;
}

void tst_IpcRequest::firstAnswerWins()
{
    QFETCH(bool, firstIsReply);
    QFETCH(bool, secondIsReply);
    IpcServer server;
    bool firstResult = false;
    bool secondResult = true;
    bool answeredBetween = false;
    server.handle(QStringLiteral("twice"), [&](IpcRequest &request) {
        firstResult = firstIsReply ? request.reply(QStringLiteral("first"))
                                   : request.fail(QStringLiteral("first failed"));
        answeredBetween = request.isAnswered();
        secondResult = secondIsReply ? request.reply(QStringLiteral("second"))
                                     : request.fail(QStringLiteral("second failed"));
    });
    server.handle(QStringLiteral("ping"), [](const QVariant &message) { return message; });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *reply = client->request(QStringLiteral("twice"), 1);
    QSignalSpy finishedSpy(reply, &IpcReply::finished);
    QTRY_COMPARE(finishedSpy.count(), 1);
    QVERIFY(firstResult);
    QVERIFY(answeredBetween);
    QVERIFY(!secondResult);
    if (firstIsReply) {
        QCOMPARE(reply->error(), IpcError::NoError);
        QCOMPARE(reply->value().toString(), QStringLiteral("first"));
    } else {
        QCOMPARE(reply->error(), IpcError::HandlerError);
        QCOMPARE(reply->errorString(), QStringLiteral("first failed"));
        QVERIFY(!reply->value().isValid());
    }
    // The second answer never went out: the connection carries nothing more for it.
    QSignalSpy clientMessages(client.get(), &IpcClient::messageReceived);
    ROUND_TRIP(*client);
    QCOMPARE(finishedSpy.count(), 1);
    QCOMPARE(clientMessages.count(), 0);
}

void tst_IpcRequest::unansweredRequestIsHandlerError()
{
    IpcServer server;
    int calls = 0;
    server.handle(QStringLiteral("ignore"), [&](IpcRequest &) { ++calls; });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *reply = client->request(QStringLiteral("ignore"), 1);
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(calls, 1);
    QCOMPARE(reply->error(), IpcError::HandlerError);
    QCOMPARE(reply->errorString(), QStringLiteral("the handler of \"ignore\" did not answer"));
    QVERIFY(!reply->value().isValid());
}

void tst_IpcRequest::lastCopyDroppedLaterIsHandlerError()
{
    IpcServer server;
    QList<IpcRequest> held;
    server.handle(QStringLiteral("later"), [&](IpcRequest &request) {
        held.append(request);
        held.append(request);
    });
    server.handle(QStringLiteral("ping"), [](const QVariant &message) { return message; });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *reply = client->request(QStringLiteral("later"), 1);
    QTRY_COMPARE(held.size(), 2);
    ROUND_TRIP(*client);  // the handler's own copy is long gone
    QVERIFY(!reply->isFinished());
    held.removeFirst();
    ROUND_TRIP(*client);
    QVERIFY(!reply->isFinished());  // one copy still lives
    QVERIFY(!held.first().isAnswered());
    held.clear();
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::HandlerError);
    QCOMPARE(reply->errorString(), QStringLiteral("the handler of \"later\" did not answer"));
}

void tst_IpcRequest::unencodableAnswerIsHandlerError_data()
{
    QTest::addColumn<QVariant>("answer");
    QTest::newRow("QObject pointer") << QVariant::fromValue<QObject *>(this);
    QTest::newRow("NaN") << QVariant(qQNaN());
    QTest::newRow("QByteArray (JSON has no bytes)") << QVariant(QByteArray("bytes"));
}

void tst_IpcRequest::unencodableAnswerIsHandlerError()
{
    QFETCH(QVariant, answer);
    IpcServer server;
    bool replied = true;
    bool answered = false;
    bool repliedAgain = true;
    server.handle(QStringLiteral("odd"), [&](IpcRequest &request) {
        replied = request.reply(answer);
        answered = request.isAnswered();
        repliedAgain = request.reply(1);
    });
    // The returning form goes the same way.
    server.handle(QStringLiteral("odd-return"), [&](const QVariant &) { return answer; });
    QVERIFY(server.listen(socketPath()));
    const auto client = connectedClient(server);

    IpcReply *reply = client->request(QStringLiteral("odd"), 1);
    IpcReply *returned = client->request(QStringLiteral("odd-return"), 1);
    QTRY_VERIFY(reply->isFinished() && returned->isFinished());
    QVERIFY(!replied);
    QVERIFY(answered);
    QVERIFY(!repliedAgain);
    for (IpcReply *r : {reply, returned}) {
        QCOMPARE(r->error(), IpcError::HandlerError);
        QVERIFY2(r->errorString().contains(QLatin1String("cannot be encoded")),
                 qPrintable(r->errorString()));
        QVERIFY(!r->value().isValid());
    }
    QVERIFY(client->isConnected());
    QCOMPARE(server.clientCount(), 1);
}

void tst_IpcRequest::answerAfterRequesterLeftReturnsFalse_data()
{
    QTest::addColumn<QString>("how");
    QTest::newRow("client closes") << QStringLiteral("client close");
    QTest::newRow("client is deleted") << QStringLiteral("client delete");
    QTest::newRow("server drops the client") << QStringLiteral("disconnectClient");
    QTest::newRow("server closes") << QStringLiteral("server close");
    QTest::newRow("server is deleted") << QStringLiteral("server delete");
}

void tst_IpcRequest::answerAfterRequesterLeftReturnsFalse()
{
    QFETCH(QString, how);
    QList<IpcRequest> held;  // outlives the server in one row
    auto server = std::make_unique<IpcServer>();
    server->handle(QStringLiteral("slow"), [&](IpcRequest &request) { held.append(request); });
    QVERIFY(server->listen(socketPath()));
    QString clientId;
    auto client = connectedClient(*server, &clientId);
    QSignalSpy disconnectedSpy(server.get(), &IpcServer::clientDisconnected);

    client->request(QStringLiteral("slow"), 1, 0);
    client->request(QStringLiteral("slow"), 2, 0);
    QTRY_COMPARE(held.size(), 2);
    if (how == QLatin1String("client close"))
        client->close();
    else if (how == QLatin1String("client delete"))
        client.reset();
    else if (how == QLatin1String("disconnectClient"))
        server->disconnectClient(clientId);
    else if (how == QLatin1String("server close"))
        server->close();
    else
        server.reset();
    if (server)
        QTRY_COMPARE(disconnectedSpy.count(), 1);

    QVERIFY(held[0].isValid());
    QCOMPARE(held[0].clientId(), clientId);
    QVERIFY(!held[0].reply(1));
    QVERIFY(held[0].isAnswered());
    QVERIFY(!held[0].fail(QStringLiteral("too late")));
    QVERIFY(!held[1].fail(QStringLiteral("too late")));
    held.clear();  // and the last copies go without harm
    QCoreApplication::processEvents();
}

void tst_IpcRequest::serverRequestIsAnsweredByClientHandler_data()
{
    IpcTest::addHandlerFormRows();
}

void tst_IpcRequest::serverRequestIsAnsweredByClientHandler()
{
    QFETCH(QString, form);
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId);
    IpcTest::SeenRequest seen;
    IpcTest::handleSum(*client, form, &seen);
    QVERIFY(client->hasHandler(QStringLiteral("sum")));
    QVERIFY(!server.hasHandler(QStringLiteral("sum")));

    IpcReply *reply = server.request(QStringLiteral("sum"), QVariantList{1, 2}, clientId);
    QCOMPARE(reply->parent(), &server);
    QCOMPARE(reply->topic(), QStringLiteral("sum"));
    QVERIFY(!reply->isFinished());
    QSignalSpy finishedSpy(reply, &IpcReply::finished);
    QTRY_COMPARE(finishedSpy.count(), 1);
    QCOMPARE(reply->error(), IpcError::NoError);
    QCOMPARE(reply->value().toLongLong(), 3);
    QCOMPARE(seen.message.toList(), (QVariantList{1, 2}));
    if (form != QLatin1String("message"))
        QCOMPARE(seen.clientId, QString());  // empty on a client
    if (form == QLatin1String("request"))
        QCOMPARE(seen.topic, QStringLiteral("sum"));
}

void tst_IpcRequest::serverRequestReachesOnlyThatClient()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QString idA;
    QString idB;
    const auto a = connectedClient(server, &idA);
    const auto b = connectedClient(server, &idB);
    QVERIFY(idA != idB);
    int callsA = 0;
    int callsB = 0;
    a->handle(QStringLiteral("who"), [&](const QVariant &) {
        ++callsA;
        return QStringLiteral("a");
    });
    b->handle(QStringLiteral("who"), [&](const QVariant &) {
        ++callsB;
        return QStringLiteral("b");
    });

    IpcReply *toB = server.request(QStringLiteral("who"), {}, idB);
    IpcReply *toA = server.request(QStringLiteral("who"), {}, idA);
    QTRY_VERIFY(toA->isFinished() && toB->isFinished());
    QCOMPARE(toA->value().toString(), QStringLiteral("a"));
    QCOMPARE(toB->value().toString(), QStringLiteral("b"));
    QCOMPARE(callsA, 1);
    QCOMPARE(callsB, 1);
}

void tst_IpcRequest::replyFromAnotherClientIsIgnored()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QLocalSocket asked;
    QString askedId;
    CHECKED(IpcTest::connectRawSocket(asked, server, &askedId));
    QLocalSocket intruder;
    CHECKED(IpcTest::connectRawSocket(intruder, server));

    IpcReply *reply = server.request(QStringLiteral("secret"), 1, askedId, 0);
    const QByteArray request = frameBytes(R"({"topic":"secret","message":1,"id":1})");
    QTRY_COMPARE(asked.bytesAvailable(), qint64(request.size()));
    QCOMPARE(asked.readAll(), request);
    QCOMPARE(intruder.bytesAvailable(), 0);

    // Another client guesses the id: its answer does not count.
    intruder.write(frameBytes(R"({"topic":"secret","message":"forged","re":1})"));
    intruder.write(frameBytes(R"({"topic":"barrier","message":1})"));
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    QTRY_COMPARE(messageSpy.count(), 1);
    QVERIFY(!reply->isFinished());
    asked.write(frameBytes(R"({"topic":"secret","message":"genuine","re":1})"));
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::NoError);
    QCOMPARE(reply->value().toString(), QStringLiteral("genuine"));
}

void tst_IpcRequest::statefulClientHandlerKeepsItsState()
{
    // One handler object answers every request: what a mutable lambda keeps, it keeps.
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId);
    client->handle(QStringLiteral("count"),
                   [calls = 0](IpcRequest &request) mutable { request.reply(++calls); });

    QList<int> answers;
    for (int i = 0; i < 3; ++i) {
        IpcReply *reply = server.request(QStringLiteral("count"), {}, clientId);
        QTRY_VERIFY(reply->isFinished());
        QCOMPARE(reply->error(), IpcError::NoError);
        answers.append(reply->value().toInt());
    }
    QCOMPARE(answers, (QList<int>{1, 2, 3}));
}

void tst_IpcRequest::serverRequestFunctorIsCalledOnce()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId);
    client->handle(QStringLiteral("sum"), [](const QVariant &message) { return sumOf(message); });

    QObject context;
    int calls = 0;
    QVariant value;
    IpcError::Error error = IpcError::TimeoutError;
    server.request(QStringLiteral("sum"), QVariantList{2, 2}, clientId, &context,
                   [&](const IpcReply &reply) {
                       ++calls;
                       value = reply.value();
                       error = reply.error();
                   });
    QCOMPARE(calls, 0);
    QTRY_COMPARE(calls, 1);
    QCOMPARE(error, IpcError::NoError);
    QCOMPARE(value.toLongLong(), 4);
    QTRY_COMPARE(server.findChildren<IpcReply *>().size(), 0);

    // A failure (here, at once) reaches the functor too, from the event loop.
    server.request(QStringLiteral("sum"), 1, QStringLiteral("nobody"), &context,
                   [&](const IpcReply &reply) {
                       ++calls;
                       error = reply.error();
                   });
    QCOMPARE(calls, 1);
    QTRY_COMPARE(calls, 2);
    QCOMPARE(error, IpcError::BadClientError);
    QTRY_COMPARE(server.findChildren<IpcReply *>().size(), 0);
}

void tst_IpcRequest::serverRequestsAreNotClientMessages()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId);
    int handled = 0;
    client->handle(QStringLiteral("ask"), [&](const QVariant &) { return ++handled; });
    QSignalSpy clientMessages(client.get(), &IpcClient::messageReceived);
    QSignalSpy clientTopic(client->topic(QStringLiteral("ask")), &IpcTopic::messageReceived);
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);

    IpcReply *reply = server.request(QStringLiteral("ask"), 1, clientId);
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->value().toInt(), 1);

    QVERIFY(server.send(QStringLiteral("ask"), 5, clientId));
    QTRY_COMPARE(clientMessages.count(), 1);
    QCOMPARE(clientMessages.at(0).at(1).toInt(), 5);
    QCOMPARE(clientTopic.count(), 1);
    QCOMPARE(handled, 1);
    QCOMPARE(serverMessages.count(), 0);  // the reply is no message either
}

void tst_IpcRequest::serverRequestWithoutClientHandlerIsNoHandlerError()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId);

    IpcReply *none = server.request(QStringLiteral("nothing"), 1, clientId);
    QTRY_VERIFY(none->isFinished());
    QCOMPARE(none->error(), IpcError::NoHandlerError);
    QCOMPARE(none->errorString(), QStringLiteral("no handler for \"nothing\""));

    client->handle(QStringLiteral("gone"), [](const QVariant &) { return 1; });
    QVERIFY(client->hasHandler(QStringLiteral("gone")));
    client->removeHandler(QStringLiteral("gone"));
    QVERIFY(!client->hasHandler(QStringLiteral("gone")));
    IpcReply *removed = server.request(QStringLiteral("gone"), 1, clientId);
    QTRY_VERIFY(removed->isFinished());
    QCOMPARE(removed->error(), IpcError::NoHandlerError);
}

void tst_IpcRequest::clientHandlerStopsWhenItsContextIsDeleted()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId);
    auto context = std::make_unique<QObject>();
    int calls = 0;
    client->handle(QStringLiteral("ctx"), context.get(), [&](IpcRequest &request) {
        ++calls;
        request.reply(calls);
    });

    IpcReply *first = server.request(QStringLiteral("ctx"), 1, clientId);
    QTRY_VERIFY(first->isFinished());
    QCOMPARE(first->value().toInt(), 1);

    context.reset();
    QVERIFY(!client->hasHandler(QStringLiteral("ctx")));
    IpcReply *second = server.request(QStringLiteral("ctx"), 1, clientId);
    QTRY_VERIFY(second->isFinished());
    QCOMPARE(second->error(), IpcError::NoHandlerError);
    QCOMPARE(calls, 1);
}

void tst_IpcRequest::serverRequestFailedByClientIsHandlerError_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<QString>("errorString");
    QTest::newRow("throws") << QStringLiteral("throw")
                            << QStringLiteral("the handler of \"ask\" threw: bad");
    QTest::newRow("returns IpcRequest::error()")
            << QStringLiteral("error") << QStringLiteral("nope");
    QTest::newRow("fails later") << QStringLiteral("fail later") << QStringLiteral("later nope");
    QTest::newRow("drops it") << QStringLiteral("drop")
                              << QStringLiteral("the handler of \"ask\" did not answer");
}

void tst_IpcRequest::serverRequestFailedByClientIsHandlerError()
{
    QFETCH(QString, how);
    QFETCH(QString, errorString);
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId);
    if (how == QLatin1String("throw")) {
        client->handle(QStringLiteral("ask"),
                       [](const QVariant &) -> QVariant { throw std::runtime_error("bad"); });
    } else if (how == QLatin1String("error")) {
        client->handle(QStringLiteral("ask"),
                       [](const QVariant &) { return IpcRequest::error(QStringLiteral("nope")); });
    } else if (how == QLatin1String("fail later")) {
        client->handle(QStringLiteral("ask"), [&](IpcRequest &request) {
            QTimer::singleShot(20, client.get(),
                               [request]() mutable { request.fail(QStringLiteral("later nope")); });
        });
    } else {
        client->handle(QStringLiteral("ask"), [](IpcRequest &) {});
    }

    IpcReply *reply = server.request(QStringLiteral("ask"), 1, clientId);
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::HandlerError);
    QCOMPARE(reply->errorString(), errorString);
    QVERIFY(!reply->value().isValid());
    QVERIFY(client->isConnected());
}

void tst_IpcRequest::serverRequestToUnknownClientIsBadClientError()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));

    IpcReply *unknown = server.request(QStringLiteral("ask"), 1, QStringLiteral("nobody"));
    IpcReply *empty = server.request(QStringLiteral("ask"), 1, QString());
    QVERIFY(!unknown->isFinished());
    QVERIFY(!empty->isFinished());
    QTRY_VERIFY(unknown->isFinished() && empty->isFinished());
    QCOMPARE(unknown->error(), IpcError::BadClientError);
    QVERIFY2(unknown->errorString().contains(QLatin1String("nobody")),
             qPrintable(unknown->errorString()));
    QCOMPARE(empty->error(), IpcError::BadClientError);

    // A client that has left is unknown too.
    QString clientId;
    auto client = connectedClient(server, &clientId);
    QSignalSpy disconnectedSpy(&server, &IpcServer::clientDisconnected);
    client.reset();
    QTRY_COMPARE(disconnectedSpy.count(), 1);
    IpcReply *gone = server.request(QStringLiteral("ask"), 1, clientId);
    QTRY_VERIFY(gone->isFinished());
    QCOMPARE(gone->error(), IpcError::BadClientError);
}

void tst_IpcRequest::serverRequestAfterCloseIsSendAfterCloseError()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId);
    int handled = 0;
    client->handle(QStringLiteral("ask"), [&](const QVariant &) { return ++handled; });

    server.close();
    IpcReply *closing = server.request(QStringLiteral("ask"), 1, clientId);
    QVERIFY(!closing->isFinished());
    QTRY_VERIFY(closing->isFinished());
    QCOMPARE(closing->error(), IpcError::SendAfterCloseError);
    QVERIFY(!closing->errorString().isEmpty());

    QTRY_COMPARE(server.clientCount(), 0);
    IpcReply *closed = server.request(QStringLiteral("ask"), 1, clientId);
    QTRY_VERIFY(closed->isFinished());
    QCOMPARE(closed->error(), IpcError::SendAfterCloseError);
    QCOMPARE(handled, 0);
}

void tst_IpcRequest::serverRequestUnansweredIsTimeoutError_data()
{
    QTest::addColumn<int>("serverTimeout");
    QTest::addColumn<int>("requestTimeout");
    QTest::newRow("the request's own timeout") << 30000 << 150;
    QTest::newRow("the server's requestTimeout") << 150 << -1;
}

void tst_IpcRequest::serverRequestUnansweredIsTimeoutError()
{
    QFETCH(int, serverTimeout);
    QFETCH(int, requestTimeout);
    IpcServer server;
    server.setRequestTimeout(serverTimeout);
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId);
    QList<IpcRequest> held;
    client->handle(QStringLiteral("slow"), [&](IpcRequest &request) { held.append(request); });
    client->handle(QStringLiteral("ping"), [](const QVariant &message) { return message; });
    QSignalSpy serverMessages(&server, &IpcServer::messageReceived);
    QSignalSpy serverErrors(&server, &IpcServer::errorOccurred);

    QElapsedTimer clock;
    clock.start();
    IpcReply *reply = server.request(QStringLiteral("slow"), 1, clientId, requestTimeout);
    QSignalSpy finishedSpy(reply, &IpcReply::finished);
    QTRY_COMPARE(finishedSpy.count(), 1);
    const qint64 elapsed = clock.elapsed();
    QVERIFY2(elapsed >= 140, qPrintable(QString::number(elapsed)));
    QCOMPARE(reply->error(), IpcError::TimeoutError);
    QVERIFY(!reply->value().isValid());

    // The timeout cancelled the request: the client's handler hears of it, and its answer
    // goes nowhere.
    QCOMPARE(held.size(), 1);
    QTRY_VERIFY(held.first().isCancelled());
    QVERIFY(!held.first().reply(2));
    ROUND_TRIP(server, clientId);
    QCOMPARE(finishedSpy.count(), 1);
    QCOMPARE(reply->error(), IpcError::TimeoutError);
    QCOMPARE(serverMessages.count(), 0);
    QCOMPARE(serverErrors.count(), 0);
}

void tst_IpcRequest::serverRequestUnencodableIsEncodeError_data()
{
    QTest::addColumn<QVariant>("message");
    QTest::newRow("QObject pointer") << QVariant::fromValue<QObject *>(this);
    QTest::newRow("NaN") << QVariant(qQNaN());
}

void tst_IpcRequest::serverRequestUnencodableIsEncodeError()
{
    QFETCH(QVariant, message);
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId);
    int handled = 0;
    client->handle(QStringLiteral("take"), [&](const QVariant &) { return ++handled; });
    client->handle(QStringLiteral("ping"), [](const QVariant &value) { return value; });
    QSignalSpy clientErrors(client.get(), &IpcClient::errorOccurred);

    IpcReply *reply = server.request(QStringLiteral("take"), message, clientId);
    QVERIFY(!reply->isFinished());
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::EncodeError);
    QVERIFY(!reply->errorString().isEmpty());
    ROUND_TRIP(server, clientId);
    QCOMPARE(handled, 0);
    QCOMPARE(clientErrors.count(), 0);
    QCOMPARE(server.clientCount(), 1);
}

void tst_IpcRequest::serverRequestBeyondPendingLimitIsWriteBufferFullError()
{
    IpcServer server;
    server.setMaxPendingBytes(1024);
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId);
    int handled = 0;
    client->handle(QStringLiteral("take"), [&](const QVariant &message) {
        ++handled;
        return message.toString().size();
    });

    // One frame always fits when nothing is backlogged: 8 MiB, more than the kernel takes at
    // once (the client reads only once the event loop turns), so that the rest waits.
    IpcReply *first = server.request(QStringLiteral("take"), QString(Backlogging, QLatin1Char('y')),
                                     clientId);
    IpcReply *reply =
            server.request(QStringLiteral("take"), QString(4096, QLatin1Char('x')), clientId);
    QVERIFY(!reply->isFinished());
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->error(), IpcError::WriteBufferFullError);
    QVERIFY2(reply->errorString().contains(clientId), qPrintable(reply->errorString()));
    QTRY_VERIFY(first->isFinished());
    QCOMPARE(first->value().toInt(), Backlogging);
    // The client keeps its connection, and a request that fits still goes.
    IpcReply *small = server.request(QStringLiteral("take"), QStringLiteral("xyz"), clientId);
    QTRY_VERIFY(small->isFinished());
    QCOMPARE(small->error(), IpcError::NoError);
    QCOMPARE(small->value().toInt(), 3);
    QCOMPARE(handled, 2);
    QCOMPARE(server.clientCount(), 1);
}

void tst_IpcRequest::clientLeavingBeforeAnsweringIsDisconnectedError_data()
{
    QTest::addColumn<QString>("how");
    QTest::newRow("client closes") << QStringLiteral("client close");
    QTest::newRow("client is deleted") << QStringLiteral("client delete");
    QTest::newRow("server drops the client") << QStringLiteral("disconnectClient");
}

void tst_IpcRequest::clientLeavingBeforeAnsweringIsDisconnectedError()
{
    QFETCH(QString, how);
    QList<IpcRequest> held;
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    auto client = connectedClient(server, &clientId);
    client->handle(QStringLiteral("slow"), [&](IpcRequest &request) { held.append(request); });

    IpcReply *reply = server.request(QStringLiteral("slow"), 1, clientId, 0);
    QSignalSpy finishedSpy(reply, &IpcReply::finished);
    QTRY_COMPARE(held.size(), 1);
    QVERIFY(!reply->isFinished());
    if (how == QLatin1String("client close"))
        client->close();
    else if (how == QLatin1String("client delete"))
        client.reset();
    else
        server.disconnectClient(clientId);
    QTRY_COMPARE(finishedSpy.count(), 1);
    QCOMPARE(reply->error(), IpcError::DisconnectedError);
    QVERIFY2(reply->errorString().contains(clientId), qPrintable(reply->errorString()));
    QVERIFY(!reply->value().isValid());
    QVERIFY(!held.first().reply(1));  // the client's answer goes nowhere
}

void tst_IpcRequest::clientAnswerAfterServerLeftReturnsFalse_data()
{
    QTest::addColumn<bool>("deleteServer");
    QTest::newRow("server closes") << false;
    QTest::newRow("server is deleted") << true;
}

void tst_IpcRequest::clientAnswerAfterServerLeftReturnsFalse()
{
    QFETCH(bool, deleteServer);
    auto server = std::make_unique<IpcServer>();
    QVERIFY(server->listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(*server, &clientId);
    QList<IpcRequest> held;
    client->handle(QStringLiteral("slow"), [&](IpcRequest &request) { held.append(request); });
    QSignalSpy disconnectedSpy(client.get(), &IpcClient::disconnected);

    IpcReply *reply = server->request(QStringLiteral("slow"), 1, clientId, 0);
    QSignalSpy finishedSpy(reply, &IpcReply::finished);
    QTRY_COMPARE(held.size(), 1);
    if (deleteServer) {
        server.reset();
    } else {
        server->close();
        QTRY_COMPARE(finishedSpy.count(), 1);
        QCOMPARE(reply->error(), IpcError::DisconnectedError);
    }
    QTRY_COMPARE(disconnectedSpy.count(), 1);
    QCOMPARE(held.first().clientId(), QString());
    QVERIFY(!held.first().reply(1));
    QVERIFY(held.first().isAnswered());
    held.clear();
    client->close();
}

void tst_IpcRequest::serverWritesRequestFramesAndReadsReplies()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    QLocalSocket raw;
    QString rawId;
    CHECKED(IpcTest::connectRawSocket(raw, server, &rawId));

    IpcReply *sum = server.request(QStringLiteral("sum"), QVariantList{1, 2}, rawId);
    IpcReply *other =
            server.request(QStringLiteral("other"),
                           QVariantMap{{QStringLiteral("k"), QStringLiteral("v")}}, rawId);
    IpcReply *third = server.request(QStringLiteral("third"), QVariant::fromValue(nullptr), rawId);
    const QByteArray expected = frameBytes(R"({"topic":"sum","message":[1,2],"id":1})")
            + frameBytes(R"({"topic":"other","message":{"k":"v"},"id":2})")
            + frameBytes(R"({"topic":"third","message":null,"id":3})");
    QTRY_COMPARE(raw.bytesAvailable(), qint64(expected.size()));
    QCOMPARE(raw.readAll(), expected);

    raw.write(frameBytes(R"({"topic":"third","message":null,"re":3,)"
                         R"("error":{"code":"Handler","message":"broke"}})")
              + frameBytes(R"({"topic":"sum","message":3,"re":1})")
              + frameBytes(R"({"topic":"other","message":null,"re":2,)"
                           R"("error":{"code":"NoHandler","message":"none here"}})"));
    QTRY_VERIFY(allFinished({sum, other, third}));
    QCOMPARE(sum->error(), IpcError::NoError);
    QCOMPARE(sum->value().toLongLong(), 3);
    QCOMPARE(other->error(), IpcError::NoHandlerError);
    QCOMPARE(other->errorString(), QStringLiteral("none here"));
    QCOMPARE(third->error(), IpcError::HandlerError);
    QCOMPARE(third->errorString(), QStringLiteral("broke"));
    QCOMPARE(messageSpy.count(), 0);
    QCOMPARE(server.clientCount(), 1);
}

void tst_IpcRequest::clientAnswersRawRequestFrames_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("reply");
    QTest::newRow("answer") << QByteArray(R"({"topic":"sum","message":[1,2],"id":1})")
                            << QByteArray(R"({"topic":"sum","message":3,"re":1})");
    QTest::newRow("no handler")
            << QByteArray(R"({"topic":"nothing","message":1,"id":5})")
            << QByteArray(
                       R"({"topic":"nothing","message":null,"re":5,)"
                       R"("error":{"code":"NoHandler","message":"no handler for \"nothing\""}})");
    QTest::newRow("handler failed") << QByteArray(R"({"topic":"refuse","message":"why","id":6})")
                                    << QByteArray(R"({"topic":"refuse","message":null,"re":6,)"
                                                  R"("error":{"code":"Handler","message":"why"}})");
}

void tst_IpcRequest::clientAnswersRawRequestFrames()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, reply);
    QLocalServer raw;
    QVERIFY(raw.listen(socketPath()));
    IpcClient client;
    client.handle(QStringLiteral("sum"), [](const QVariant &message) { return sumOf(message); });
    client.handle(QStringLiteral("refuse"),
                  [](IpcRequest &request) { request.fail(request.message().toString()); });
    QSignalSpy messageSpy(&client, &IpcClient::messageReceived);
    QLocalSocket *peer = nullptr;
    CHECKED(peer = IpcTest::connectToRawServer(client, raw));

    peer->write(frameBytes(request));
    const QByteArray expected = frameBytes(reply);
    QTRY_COMPARE(peer->bytesAvailable(), qint64(expected.size()));
    QCOMPARE(peer->readAll(), expected);
    QCOMPARE(messageSpy.count(), 0);
}

void tst_IpcRequest::separateClientProcessAnswersAndAsks()
{
    IpcServer server;
    server.handle(QStringLiteral("sum"), [](const QVariant &message) { return sumOf(message); });
    QVERIFY(server.listen(socketPath()));
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    TestPeer peer;
    peer.startTestPeer({QStringLiteral("client"), socketPath(), QStringLiteral("--retry"),
                        QStringLiteral("50")});
    QTRY_VERIFY_WITH_TIMEOUT(peer.has(QStringLiteral("connected")), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(connectedSpy.count(), 1, 10000);
    const QString clientId = connectedSpy.at(0).at(0).toString();
    peer.command({{"handle", "sum"}, {"with", "sum"}});
    peer.command({{"handle", "hold"}, {"with", "hold"}});
    QTRY_COMPARE_WITH_TIMEOUT(peer.count(QStringLiteral("handling")), 2, 10000);

    // The other process answers this server: at once, later, or not at all.
    IpcReply *sum = server.request(QStringLiteral("sum"), QVariantList{1, 2, 3}, clientId);
    IpcReply *held = server.request(QStringLiteral("hold"), QStringLiteral("wait"), clientId, 0);
    IpcReply *missing = server.request(QStringLiteral("missing"), 1, clientId);
    QTRY_VERIFY_WITH_TIMEOUT(sum->isFinished() && missing->isFinished(), 10000);
    QCOMPARE(sum->error(), IpcError::NoError);
    QCOMPARE(sum->value().toLongLong(), 6);
    QCOMPARE(missing->error(), IpcError::NoHandlerError);
    QTRY_COMPARE_WITH_TIMEOUT(peer.count(QStringLiteral("request"), QStringLiteral("hold")), 1,
                              10000);
    QCOMPARE(peer.last(QStringLiteral("request")).value("client").toString(), QString());
    QVERIFY(!held->isFinished());
    peer.command({{"answer", "done"}});
    QTRY_VERIFY_WITH_TIMEOUT(held->isFinished(), 10000);
    QCOMPARE(held->error(), IpcError::NoError);
    QCOMPARE(held->value().toString(), QStringLiteral("done"));

    // And asks this server, whose handler answers.
    peer.command({{"request", "sum"}, {"message", QJsonArray{4, 5}}});
    QTRY_COMPARE_WITH_TIMEOUT(peer.count(QStringLiteral("reply")), 1, 10000);
    const QJsonObject answer = peer.last(QStringLiteral("reply"));
    QCOMPARE(answer.value("error").toString(), QStringLiteral("NoError"));
    QCOMPARE(answer.value("value").toInt(), 9);
    peer.command({{"request", "nothing"}, {"message", 1}});
    QTRY_COMPARE_WITH_TIMEOUT(peer.count(QStringLiteral("reply")), 2, 10000);
    QCOMPARE(peer.last(QStringLiteral("reply")).value("error").toString(),
             QStringLiteral("NoHandlerError"));
    QCOMPARE(peer.count(QStringLiteral("message")), 0);

    // A request the process has not answered when it dies fails.
    IpcReply *orphan = server.request(QStringLiteral("hold"), QStringLiteral("again"), clientId, 0);
    QTRY_COMPARE_WITH_TIMEOUT(peer.count(QStringLiteral("request"), QStringLiteral("hold")), 2,
                              10000);
    peer.kill();
    QTRY_VERIFY_WITH_TIMEOUT(orphan->isFinished(), 10000);
    QCOMPARE(orphan->error(), IpcError::DisconnectedError);
}

void tst_IpcRequest::cborServerRequestRoundTripsBytes()
{
    IpcServer server;
    server.setCodecName(QStringLiteral("cbor"));
    QVERIFY(server.listen(socketPath()));
    QString clientId;
    const auto client = connectedClient(server, &clientId, QStringLiteral("cbor"));
    QVariant seen;
    client->handle(QStringLiteral("echo"), [&](IpcRequest &request) {
        seen = request.message();
        request.reply(request.message());
    });

    const QByteArray bytes("\xff\x00\x00\x01", 4);
    IpcReply *echo = server.request(QStringLiteral("echo"), bytes, clientId);
    IpcReply *missing = server.request(QStringLiteral("missing"), bytes, clientId);
    QTRY_VERIFY(allFinished({echo, missing}));
    QCOMPARE(seen.metaType(), QMetaType::fromType<QByteArray>());
    QCOMPARE(seen.toByteArray(), bytes);
    QCOMPARE(echo->error(), IpcError::NoError);
    QCOMPARE(echo->value().metaType(), QMetaType::fromType<QByteArray>());
    QCOMPARE(echo->value().toByteArray(), bytes);
    QCOMPARE(missing->error(), IpcError::NoHandlerError);
}

QTEST_GUILESS_MAIN(tst_IpcRequest)
#include "tst_ipcrequest.moc"
