#include "ipctestsupport.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcReply>
#include <SocketIpc/IpcRequest>
#include <SocketIpc/IpcServer>

#include <QtCore/qendian.h>
#include <QtCore/qfile.h>
#include <QtCore/qprocess.h>
#include <QtNetwork/qlocalserver.h>
#include <QtNetwork/qlocalsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace IpcTest {

// --- Sockets and files ---------------------------------------------------------------------

SocketDir::SocketDir(const QString &socketName) : m_socketName(socketName) { }

SocketDir::~SocketDir() = default;

void SocketDir::renew()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY2(m_dir->isValid(), qPrintable(m_dir->errorString()));
}

void SocketDir::reset()
{
    m_dir.reset();
}

bool SocketDir::isValid() const
{
    return m_dir && m_dir->isValid();
}

QString SocketDir::path() const
{
    Q_ASSERT(m_dir);
    return m_dir->path();
}

QString SocketDir::filePath(const QString &name) const
{
    Q_ASSERT(m_dir);
    return m_dir->filePath(name);
}

bool makeCertificates(const QString &directory)
{
    QProcess make;
    make.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    make.start(QStringLiteral("bash"),
               {QStringLiteral(SOCKETIPC_SOURCE_DIR "/tests/auto/transports/make-certs.sh"),
                directory});
    return make.waitForFinished(60000) && make.exitStatus() == QProcess::NormalExit
            && make.exitCode() == 0;
}

sockaddr_un unixAddress(const QString &path)
{
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    const QByteArray encoded = QFile::encodeName(path);
    std::memcpy(address.sun_path, encoded.constData(),
                qMin(size_t(encoded.size()), sizeof address.sun_path - 1));
    return address;
}

bool makeStaleSocketFile(const QString &path)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_un address = unixAddress(path);
    const bool bound = fd >= 0
            && ::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
    if (fd >= 0)
        ::close(fd);
    return bound;
}

// --- A server and its clients in this process ------------------------------------------------

void connectClient(IpcClient &client, IpcServer &server, QString *clientId, int timeout)
{
    QSignalSpy serverSpy(&server, &IpcServer::clientConnected);
    QSignalSpy clientSpy(&client, &IpcClient::connected);
    client.connectToServer(server.listeningAddress());
    QTRY_COMPARE_WITH_TIMEOUT(clientSpy.count(), 1, timeout);
    QTRY_COMPARE_WITH_TIMEOUT(serverSpy.count(), 1, timeout);
    if (clientId)
        *clientId = serverSpy.at(0).at(0).toString();
}

void connectRawSocket(QLocalSocket &socket, IpcServer &server, QString *clientId)
{
    QSignalSpy accepted(&server, &IpcServer::clientConnected);
    socket.connectToServer(server.listeningAddress());
    QVERIFY(socket.waitForConnected(5000));
    QTRY_COMPARE(accepted.count(), 1);
    if (clientId)
        *clientId = accepted.at(0).at(0).toString();
    // The server's greeting (json servers; what follows it is the test's to read).
    if (server.codecName() != QLatin1String("json"))
        return;
    const QByteArray hello =
            frameBytes(R"({"topic":"socketipc.hello","message":{"retained":)"
                       + QByteArray::number(server.retainedTopics().size()) + "}}");
    QTRY_VERIFY(socket.bytesAvailable() >= hello.size());
    QCOMPARE(socket.read(hello.size()), hello);
}

QLocalSocket *connectToRawServer(IpcClient &client, QLocalServer &raw)
{
    client.setRetryDelay(20);
    QSignalSpy connectedSpy(&client, &IpcClient::connected);
    client.connectToServer(raw.fullServerName());
    QLocalSocket *peer = nullptr;
    [&] {
        QTRY_VERIFY(raw.hasPendingConnections());
        peer = raw.nextPendingConnection();
        QTRY_COMPARE(connectedSpy.count(), 1);
    }();
    return QTest::currentTestFailed() ? nullptr : peer;
}

std::unique_ptr<IpcClient> connectedClient(IpcServer &server, QString *clientId,
                                           const QString &codec)
{
    auto client = std::make_unique<IpcClient>();
    client->setRetryDelay(20);
    client->setReconnectDelay(20);
    if (!codec.isEmpty())
        client->setCodecName(codec);
    connectClient(*client, server, clientId);
    return client;
}

ServerAndClient::ServerAndClient() = default;

ServerAndClient::~ServerAndClient()
{
    reset();
}

void ServerAndClient::start()
{
    dir.renew();
    if (QTest::currentTestFailed())
        return;
    server = std::make_unique<IpcServer>();
    QVERIFY2(server->listen(dir.socketPath()), qPrintable(server->errorString()));
    client = std::make_unique<IpcClient>();
    connectClient(*client, *server, &clientId);
}

void ServerAndClient::reset()
{
    client.reset();
    server.reset();
    clientId.clear();
}

void ServerAndClient::clientSends(const QString &topic, const QVariant &message)
{
    QSignalSpy spy(server.get(), &IpcServer::messageReceived);
    QVERIFY(client->send(topic, message));
    QTRY_COMPARE(spy.count(), 1);
}

void roundTrip(IpcClient &client)
{
    std::unique_ptr<IpcReply> ping(client.request(QStringLiteral("ping"), 1, 10000));
    QTRY_VERIFY(ping->isFinished());
    QCOMPARE(ping->error(), IpcError::NoError);
}

void roundTrip(IpcServer &server, const QString &clientId)
{
    std::unique_ptr<IpcReply> ping(server.request(QStringLiteral("ping"), 1, clientId, 10000));
    QTRY_VERIFY(ping->isFinished());
    QCOMPARE(ping->error(), IpcError::NoError);
}

void handleSumAndFail(IpcServer &server)
{
    server.handle(QStringLiteral("sum"), [](const QVariant &message) { return sumOf(message); });
    server.handle(QStringLiteral("fail"), [](const QVariant &) {
        return IpcRequest::error(QStringLiteral("refused on purpose"));
    });
}

void addHandlerFormRows()
{
    QTest::addColumn<QString>("form");
    QTest::newRow("QVariant (message, clientId)") << QStringLiteral("message, clientId");
    QTest::newRow("QVariant (message)") << QStringLiteral("message");
    QTest::newRow("void (IpcRequest &)") << QStringLiteral("request");
}

bool allFinished(const QList<IpcReply *> &replies)
{
    return std::all_of(replies.cbegin(), replies.cend(),
                       [](const IpcReply *reply) { return reply->isFinished(); });
}

// --- Frames on the wire ------------------------------------------------------------------------

QByteArray frameBytes(const QByteArray &json)
{
    return json + QByteArray(2, '\0');
}

QByteArray lengthPrefixed(const QByteArray &contents)
{
    QByteArray out(4, '\0');
    qToBigEndian(quint32(contents.size()), out.data());
    return out + contents;
}

// --- Values ----------------------------------------------------------------------------------

QVariant null()
{
    return QVariant::fromValue(nullptr);
}

QVariant nestedList(int depth, const QVariant &leaf)
{
    QVariant v = leaf;
    for (int i = 0; i < depth; ++i)
        v = QVariantList{v};
    return v;
}

QVariant nestedMap(int depth, const QVariant &leaf)
{
    QVariant v = leaf;
    for (int i = 0; i < depth; ++i)
        v = QVariantMap{{u"k"_s, v}};
    return v;
}

qint64 sumOf(const QVariant &message)
{
    qint64 sum = 0;
    for (const QVariant &term : message.toList())
        sum += term.toLongLong();
    return sum;
}

const char *typeName(const QVariant &v)
{
    return v.metaType().name() ? v.metaType().name() : "invalid";
}

namespace {
// Around index at, with what a terminal cannot show (lone surrogates, controls) as \uXXXX.
QString excerpt(const QString &s, qsizetype at)
{
    QString out;
    for (const QChar c : QStringView(s).mid(qMax<qsizetype>(0, at - 10), 40)) {
        if (c.isSurrogate() || c.unicode() < 0x20 || c.unicode() == 0x7f)
            out += u"\\u%1"_s.arg(int(c.unicode()), 4, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}
}  // namespace

QString textDifference(const QString &actual, const QString &expected)
{
    if (actual == expected)
        return {};
    qsizetype i = 0;
    while (i < actual.size() && i < expected.size() && actual.at(i) == expected.at(i))
        ++i;
    return u"first difference at UTF-16 index %1 (lengths %2 and %3): got \"%4\", expected \"%5\""_s
            .arg(i)
            .arg(actual.size())
            .arg(expected.size())
            .arg(excerpt(actual, i), excerpt(expected, i));
}

QString valueDifference(const QVariant &actual, const QVariant &expected, const QString &path)
{
    if (actual.metaType() != expected.metaType()) {
        return u"%1: type %2, expected %3"_s.arg(path, QLatin1StringView(typeName(actual)),
                                                 QLatin1StringView(typeName(expected)));
    }
    switch (expected.metaType().id()) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr: return {};
    case QMetaType::Double: {
        const double a = actual.toDouble();
        const double e = expected.toDouble();
        const bool same =
                (std::isnan(a) && std::isnan(e)) || (a == e && std::signbit(a) == std::signbit(e));
        if (!same)
            return u"%1: %2, expected %3"_s.arg(path).arg(a, 0, 'g', 17).arg(e, 0, 'g', 17);
        return {};
    }
    case QMetaType::QVariantList: {
        const QVariantList a = actual.toList();
        const QVariantList e = expected.toList();
        if (a.size() != e.size())
            return u"%1: %2 elements, expected %3"_s.arg(path).arg(a.size()).arg(e.size());
        for (qsizetype i = 0; i < e.size(); ++i) {
            if (QString d = valueDifference(a.at(i), e.at(i), u"%1[%2]"_s.arg(path).arg(i));
                !d.isEmpty())
                return d;
        }
        return {};
    }
    case QMetaType::QVariantMap: {
        const QVariantMap a = actual.toMap();
        const QVariantMap e = expected.toMap();
        if (a.keys() != e.keys()) {
            return u"%1: keys [%2], expected [%3]"_s.arg(path, a.keys().join(u", "),
                                                         e.keys().join(u", "));
        }
        for (auto i = e.cbegin(); i != e.cend(); ++i) {
            if (QString d =
                        valueDifference(a.value(i.key()), i.value(), u"%1.%2"_s.arg(path, i.key()));
                !d.isEmpty())
                return d;
        }
        return {};
    }
    case QMetaType::QString:
        if (QString d = textDifference(actual.toString(), expected.toString()); !d.isEmpty())
            return path + u": "_s + d;
        return {};
    case QMetaType::QByteArray:
        if (actual.toByteArray() != expected.toByteArray()) {
            return u"%1: bytes %2, expected %3"_s.arg(
                    path, QString::fromLatin1(actual.toByteArray().left(40).toHex(' ')),
                    QString::fromLatin1(expected.toByteArray().left(40).toHex(' ')));
        }
        return {};
    default:
        if (actual != expected)
            return u"%1: %2, expected %3"_s.arg(path, actual.toString(), expected.toString());
        return {};
    }
}

}  // namespace IpcTest
