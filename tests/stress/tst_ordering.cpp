// Order and wholeness: 100,000 small messages interleaved with 1 MiB ones, both ways at once
// through one connection to an ipcstressclient process; and peers that die in the middle of a
// frame, on either side, never get half of it delivered.

#include "ipctestsupport.h"
#include "stresscommon.h"
#include "stresspeer.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qlocalserver.h>
#include <QtNetwork/qlocalsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <cerrno>
#include <memory>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

using IpcTest::frameBytes;

QByteArray wholeFrame(int i)
{
    return frameBytes("{\"topic\":\"whole\",\"message\":{\"i\":" + QByteArray::number(i) + "}}");
}

// A raw client socket that owns its descriptor: no library, no Qt buffering.
class RawSocket
{
public:
    explicit RawSocket(const QString &path) : m_fd(::socket(AF_UNIX, SOCK_STREAM, 0))
    {
        sockaddr_un address = {};
        address.sun_family = AF_UNIX;
        qstrncpy(address.sun_path, QFile::encodeName(path).constData(), sizeof address.sun_path);
        if (m_fd >= 0
            && ::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
            close();
    }
    ~RawSocket() { close(); }
    Q_DISABLE_COPY_MOVE(RawSocket)

    bool isValid() const { return m_fd >= 0; }
    // All of bytes, letting this thread's event loop (the server's) read meanwhile.
    bool write(const QByteArray &bytes)
    {
        QDeadlineTimer deadline(20000);
        for (qsizetype done = 0; done < bytes.size();) {
            const ssize_t n = ::send(m_fd, bytes.constData() + done, size_t(bytes.size() - done),
                                     MSG_DONTWAIT);
            if (n > 0) {
                done += n;
            } else if (n < 0 && errno == EAGAIN && !deadline.hasExpired()) {
                QTest::qWait(1);
            } else {
                return false;
            }
        }
        return true;
    }
    void close()
    {
        if (m_fd >= 0)
            ::close(std::exchange(m_fd, -1));
    }

private:
    int m_fd;
};

}  // namespace

class tst_Ordering : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void manyMessagesArriveWholeAndInOrderBothWays();
    void partialFrameFromDyingClientIsNeverDelivered_data();
    void partialFrameFromDyingClientIsNeverDelivered();
    void partialFrameFromKilledClientProcessIsNeverDelivered();
    void partialFrameFromDyingServerIsNeverDelivered_data();
    void partialFrameFromDyingServerIsNeverDelivered();

private:
    QString socketPath() const { return m_dir.socketPath(); }
    IpcTest::SocketDir m_dir{QStringLiteral("o.sock")};
};

void tst_Ordering::init()
{
    m_dir.renew();
}

void tst_Ordering::manyMessagesArriveWholeAndInOrderBothWays()
{
    const Stress::Ordering pattern{100000, 16};
    constexpr int Chunk = 200;  // messages per event-loop turn, on each side

    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QStringList problems;
    qint64 received = 0;
    qint64 sent = 0;
    QString clientId;
    QElapsedTimer timer;
    qint64 receivedMsecs = 0;
    connect(&server, &IpcServer::messageReceived, &server,
            [&](const QString &topic, const QVariant &message) {
                if (const QString wrong = pattern.check(received, topic, message);
                    !wrong.isEmpty() && problems.size() < 20)
                    problems.append(wrong);
                if (++received == pattern.total())
                    receivedMsecs = timer.elapsed();
            });
    connect(&server, &IpcServer::errorOccurred, &server,
            [&](IpcError::Error, const QString &description) { problems.append(description); });
    QTimer sendTimer;
    sendTimer.setInterval(0);
    connect(&sendTimer, &QTimer::timeout, &server, [&] {
        for (int k = 0; k < Chunk && sent < pattern.total(); ++k, ++sent) {
            // Both ways out of the server, interleaved: send() encodes into the connection's
            // buffer, broadcast() hands it an encoded frame (a large one straight to the
            // socket).
            if (sent % 3 == 0) {
                server.broadcast(pattern.topic(sent), pattern.message(sent));
            } else if (!server.send(pattern.topic(sent), pattern.message(sent), clientId)) {
                break;
            }
        }
        if (sent == pattern.total())
            sendTimer.stop();
    });
    connect(&server, &IpcServer::clientConnected, &server, [&](const QString &id) {
        clientId = id;
        timer.start();
        sendTimer.start();
    });

    StressPeer peer;
    peer.start({QStringLiteral("ordering"), socketPath(), QStringLiteral("--small"),
                QString::number(pattern.small), QStringLiteral("--large"),
                QString::number(pattern.large), QStringLiteral("--chunk"), QString::number(Chunk)});
    QTRY_VERIFY_WITH_TIMEOUT(!clientId.isEmpty(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(received, pattern.total(), 50000);
    // The server may still be sending when it has received everything.
    QTRY_COMPARE_WITH_TIMEOUT(sent, pattern.total(), 50000);
    QTRY_VERIFY_WITH_TIMEOUT(!peer.isRunning(), 50000);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    const QJsonObject summary = peer.last(QLatin1String("summary"));
    QVERIFY2(summary.value(QLatin1String("problems")).toArray().isEmpty(),
             QJsonDocument(summary).toJson(QJsonDocument::Compact).constData());
    QCOMPARE(qint64(summary.value(QLatin1String("received")).toDouble()), pattern.total());
    QVERIFY(peer.exitedNormally());
    QTRY_COMPARE(server.clientCount(), 0);

    const double megabytes = (pattern.small * 40.0 + pattern.large * 1048576.0) / 1048576.0;
    qInfo("ordering: %lld small + %d x 1 MiB messages (about %.0f MiB) each way, at once "
          "(the server's a third by broadcast()): server got all in %lld ms, client in %lld ms",
          pattern.small, pattern.large, megabytes, receivedMsecs,
          qint64(summary.value(QLatin1String("msecs")).toDouble()));
}

void tst_Ordering::partialFrameFromDyingClientIsNeverDelivered_data()
{
    QTest::addColumn<int>("wholeFrames");
    QTest::addColumn<QByteArray>("partial");

    const QByteArray json = "{\"topic\":\"partial\",\"message\":\"caf\xc3\xa9 \xe2\x82\xac\"}";
    const qsizetype euro = json.indexOf("\xe2\x82\xac");
    QTest::newRow("first byte") << 0 << json.left(1);
    QTest::newRow("inside the JSON") << 2 << json.left(json.size() / 2);
    QTest::newRow("inside a 3-byte UTF-8 character") << 2 << json.left(euro + 2);
    QTest::newRow("whole JSON, no delimiter") << 3 << json;
    QTest::newRow("between the two NULs") << 3 << json + '\0';
    QTest::newRow("half of 1 MiB")
            << 1 << "{\"topic\":\"partial\",\"message\":\"" + QByteArray(512 * 1024, 'x');
}

void tst_Ordering::partialFrameFromDyingClientIsNeverDelivered()
{
    QFETCH(int, wholeFrames);
    QFETCH(QByteArray, partial);

    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy connectedSpy(&server, &IpcServer::clientConnected);
    QSignalSpy disconnectedSpy(&server, &IpcServer::clientDisconnected);
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    {
        RawSocket raw(socketPath());
        QVERIFY(raw.isValid());
        QTRY_COMPARE(connectedSpy.count(), 1);
        QByteArray bytes;
        for (int i = 0; i < wholeFrames; ++i)
            bytes += wholeFrame(i);
        QVERIFY(raw.write(bytes + partial));
        // Let the server hold the partial frame for a while before the end.
        QTRY_COMPARE(messageSpy.count(), wholeFrames);
        QTest::qWait(50);
    }
    QTRY_COMPARE(disconnectedSpy.count(), 1);

    // The server goes on; a new connection starts from a clean buffer.
    {
        RawSocket raw(socketPath());
        QVERIFY(raw.isValid());
        QVERIFY(raw.write(frameBytes("{\"topic\":\"after\",\"message\":true}")));
        QTRY_COMPARE(messageSpy.count(), wholeFrames + 1);
    }
    QTRY_COMPARE(disconnectedSpy.count(), 2);
    for (int i = 0; i < wholeFrames; ++i) {
        QCOMPARE(messageSpy.at(i).at(0).toString(), QStringLiteral("whole"));
        QCOMPARE(messageSpy.at(i).at(1).toMap().value(QStringLiteral("i")).toInt(), i);
    }
    QCOMPARE(messageSpy.at(wholeFrames).at(0).toString(), QStringLiteral("after"));
    QCOMPARE(messageSpy.count(), wholeFrames + 1);
    QCOMPARE(errorSpy.count(), 0);
}

void tst_Ordering::partialFrameFromKilledClientProcessIsNeverDelivered()
{
    IpcServer server;
    QVERIFY(server.listen(socketPath()));
    QSignalSpy disconnectedSpy(&server, &IpcServer::clientDisconnected);
    QSignalSpy messageSpy(&server, &IpcServer::messageReceived);
    QSignalSpy errorSpy(&server, &IpcServer::errorOccurred);
    StressPeer peer;
    peer.start({QStringLiteral("halfframe"), socketPath(), QStringLiteral("--frames"),
                QStringLiteral("5"), QStringLiteral("--bytes"), QString::number(8 * 1024 * 1024)});
    QTRY_VERIFY_WITH_TIMEOUT(peer.has(QLatin1String("halfway")), 20000);
    QTRY_COMPARE(messageSpy.count(), 5);
    peer.kill();  // SIGKILL, 4 MiB into an 8 MiB frame
    QTRY_COMPARE(disconnectedSpy.count(), 1);
    QCOMPARE(messageSpy.count(), 5);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(messageSpy.at(i).at(1).toInt(), i);
    QCOMPARE(errorSpy.count(), 0);
    QCOMPARE(server.clientCount(), 0);
}

void tst_Ordering::partialFrameFromDyingServerIsNeverDelivered_data()
{
    partialFrameFromDyingClientIsNeverDelivered_data();
}

void tst_Ordering::partialFrameFromDyingServerIsNeverDelivered()
{
    QFETCH(int, wholeFrames);
    QFETCH(QByteArray, partial);

    // A server that is not an IpcServer: it writes whole frames, half a frame, and hangs up.
    QLocalServer raw;
    QVERIFY(raw.listen(socketPath()));
    IpcClient client;
    client.setReconnectDelay(0);
    QSignalSpy messageSpy(&client, &IpcClient::messageReceived);
    QSignalSpy disconnectedSpy(&client, &IpcClient::disconnected);
    QSignalSpy connectedSpy(&client, &IpcClient::connected);
    QSignalSpy errorSpy(&client, &IpcClient::errorOccurred);
    client.connectToServer(socketPath());

    QTRY_VERIFY(raw.hasPendingConnections());
    {
        std::unique_ptr<QLocalSocket> socket(raw.nextPendingConnection());
        QByteArray bytes;
        for (int i = 0; i < wholeFrames; ++i)
            bytes += wholeFrame(i);
        socket->write(bytes + partial);
        QTRY_COMPARE(messageSpy.count(), wholeFrames);
        QTRY_COMPARE(socket->bytesToWrite(), 0);
        // Connected: after the first frame, or (none) once the server's silence says that it
        // does not greet.
        QTRY_COMPARE(connectedSpy.count(), 1);
        QTest::qWait(50);
        socket->abort();
    }
    QTRY_COMPARE(disconnectedSpy.count(), 1);

    // It reconnects on its own; the new connection starts from a clean buffer.
    QTRY_VERIFY(raw.hasPendingConnections());
    std::unique_ptr<QLocalSocket> socket(raw.nextPendingConnection());
    socket->write(frameBytes("{\"topic\":\"after\",\"message\":true}"));
    QTRY_COMPARE(messageSpy.count(), wholeFrames + 1);
    QCOMPARE(connectedSpy.count(), 2);
    for (int i = 0; i < wholeFrames; ++i) {
        QCOMPARE(messageSpy.at(i).at(0).toString(), QStringLiteral("whole"));
        QCOMPARE(messageSpy.at(i).at(1).toMap().value(QStringLiteral("i")).toInt(), i);
    }
    QCOMPARE(messageSpy.at(wholeFrames).at(0).toString(), QStringLiteral("after"));
    QCOMPARE(errorSpy.count(), 0);
    client.close();
}

QTEST_GUILESS_MAIN(tst_Ordering)
#include "tst_ordering.moc"
