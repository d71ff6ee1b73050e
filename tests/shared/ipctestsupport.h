#ifndef IPCTESTSUPPORT_H
#define IPCTESTSUPPORT_H

// What the tests share (library SocketIpcTestSupport, namespace IpcTest): a temporary
// directory for each test's sockets, a server and connected client, round trips, frames as
// bytes on the wire, generated values and how two values differ, bare Unix sockets.
// The peer processes are in testpeer.h, the line reader they all use in linereader.h.
//
// The helpers check with QVERIFY/QCOMPARE, which return from the helper only: call them
// through CHECKED() where the test must stop too.

#include <SocketIpc/IpcRequest>

#include <QtCore/qbytearray.h>
#include <QtCore/qstring.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qvariant.h>

#include <memory>

#include <sys/un.h>

class IpcClient;
class IpcReply;
class IpcServer;
class QLocalServer;
class QLocalSocket;

// Runs call (a helper that checks), and returns from the test if it failed.
#define CHECKED(call)                                                                              \
    do {                                                                                           \
        call;                                                                                      \
        if (QTest::currentTestFailed())                                                            \
            return;                                                                                \
    } while (false)

// IpcTest::roundTrip(), and return from the test if it failed.
#define ROUND_TRIP(...) CHECKED(IpcTest::roundTrip(__VA_ARGS__))

namespace IpcTest {

// The default wait of QTRY_*, for the helpers that wait.
inline constexpr int DefaultTimeout = 5000;

// --- Sockets and files ---------------------------------------------------------------------

// A temporary directory for a test's sockets and files. renew() it in init() (or
// initTestCase()) so that no two test functions, nor two runs, share a socket path.
class SocketDir
{
public:
    explicit SocketDir(const QString &socketName = QStringLiteral("s.sock"));
    ~SocketDir();

    // A new, empty directory in place of the last one (which is removed); checks it exists.
    void renew();
    void reset();  // removes it
    bool isValid() const;

    QString path() const;
    QString filePath(const QString &name) const;
    // The socket path of the test: socketName in the directory.
    QString socketPath() const { return filePath(m_socketName); }

private:
    QString m_socketName;
    std::unique_ptr<QTemporaryDir> m_dir;
};

// Makes the TLS tests' certificates (tests/auto/transports/make-certs.sh, with openssl) in
// directory; false if that failed (its stderr says why).
bool makeCertificates(const QString &directory);

// The address of a socket file, for bare sockets.
sockaddr_un unixAddress(const QString &path);
// A socket file nobody listens on, as a server that died leaves behind; false if it failed.
bool makeStaleSocketFile(const QString &path);

// --- A server and its clients in this process ------------------------------------------------

// Connects client to server (which listens) and waits, up to timeout ms, until both ends
// have seen the connection; *clientId: the server's id for the client.
void connectClient(IpcClient &client, IpcServer &server, QString *clientId = nullptr,
                   int timeout = DefaultTimeout);
// Connects a bare local socket to server (which listens on a path) and waits until the server
// has accepted it and its greeting (json) is read; *clientId: the server's id for it. For tests
// that write frames by hand.
void connectRawSocket(QLocalSocket &socket, IpcServer &server, QString *clientId = nullptr);
// Connects client (with quick retries) to raw, a bare server that listens, and waits until
// both ends are connected; returns raw's socket for the client, null if that failed. For
// tests that play the server by hand.
QLocalSocket *connectToRawServer(IpcClient &client, QLocalServer &raw);
// A new client with quick retries and reconnects (20 ms), connected to server as
// connectClient() does; codec: the name of the client's codec, empty for the default.
std::unique_ptr<IpcClient> connectedClient(IpcServer &server, QString *clientId = nullptr,
                                           const QString &codec = {});

// A server and one client (default settings) connected to it, in a directory of their own.
struct ServerAndClient
{
    SocketDir dir;
    std::unique_ptr<IpcServer> server;
    std::unique_ptr<IpcClient> client;
    QString clientId;  // the server's id for client

    ServerAndClient();
    ~ServerAndClient();
    // Listens on a new socket path and connects the client; returns once both ends are
    // connected. Call it from init().
    void start();
    // The client first, then the server.
    void reset();
    // Sends topic/message from the client and waits until the server has received it.
    void clientSends(const QString &topic, const QVariant &message);
};

// Returns once a "ping" request, which the other side answers (an echo), has come back:
// whatever either side wrote before it on that connection has been handled by then.
void roundTrip(IpcClient &client);
// The same from the server's side, to the client clientId.
void roundTrip(IpcServer &server, const QString &clientId);

// Whether every reply has finished.
bool allFinished(const QList<IpcReply *> &replies);

// --- Frames on the wire ------------------------------------------------------------------------

// A frame of the json codec: its JSON text followed by the two-NUL delimiter.
QByteArray frameBytes(const QByteArray &json);
// A length-prefixed frame (the cbor codec's framing): a 4-byte big-endian length, contents.
QByteArray lengthPrefixed(const QByteArray &contents);

// --- Values ----------------------------------------------------------------------------------

// null as the codecs deliver it.
QVariant null();
// leaf inside depth lists ([[[leaf]]]), or depth maps ({"k":{"k":leaf}}).
QVariant nestedList(int depth, const QVariant &leaf);
QVariant nestedMap(int depth, const QVariant &leaf);
// The sum of the integers of a list message.
qint64 sumOf(const QVariant &message);
// The name of v's type, "invalid" for none.
const char *typeName(const QVariant &v);

// Where two texts differ, without printing megabytes; empty when they are equal.
QString textDifference(const QString &actual, const QString &expected);
// Where a received value differs from the expected one, types included (an integer is a
// qlonglong, never a double; NaN equals NaN; -0.0 is not 0.0); empty when they are the same.
QString valueDifference(const QVariant &actual, const QVariant &expected,
                        const QString &path = QStringLiteral("message"));

// --- Request handlers --------------------------------------------------------------------------

// Answers requests on "sum" with the sum of the integers of the message (sumOf()), and on
// "fail" with a handler error, "refused on purpose".
void handleSumAndFail(IpcServer &server);

// The three forms of a request handler, as rows of a QString column "form": "message,
// clientId" (QVariant f(const QVariant &, const QString &)), "message" (QVariant f(const
// QVariant &)) and "request" (void f(IpcRequest &)).
void addHandlerFormRows();

// What the handler handleSum() installs saw of its last request.
struct SeenRequest
{
    QString clientId = QStringLiteral("unset");  // not seen by the "message" form
    QString topic;                               // seen by the "request" form only
    QVariant message;
    bool replied = false;  // the "request" form: what IpcRequest::reply() returned
};

// Installs on handler (an IpcServer or an IpcClient) a handler of that form (a row of
// addHandlerFormRows()) for "sum", which answers with sumOf() the message and notes in *seen
// what it saw.
template<typename Handler>
void handleSum(Handler &handler, const QString &form, SeenRequest *seen)
{
    const QString topic = QStringLiteral("sum");
    if (form == QLatin1String("message, clientId")) {
        handler.handle(topic, [seen](const QVariant &message, const QString &id) {
            seen->message = message;
            seen->clientId = id;
            return sumOf(message);
        });
    } else if (form == QLatin1String("message")) {
        handler.handle(topic, [seen](const QVariant &message) {
            seen->message = message;
            return sumOf(message);
        });
    } else {
        handler.handle(topic, [seen](IpcRequest &request) {
            seen->message = request.message();
            seen->clientId = request.clientId();
            seen->topic = request.topic();
            seen->replied = request.reply(sumOf(request.message()));
        });
    }
}

}  // namespace IpcTest

#endif  // IPCTESTSUPPORT_H
