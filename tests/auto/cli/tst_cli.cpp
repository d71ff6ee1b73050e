// The socketipc command-line tool, end to end: the real binary in separate processes, talking
// to itself and to the Node library's peers (tests/interop/node-server.js, node-client.js).

#include "ipctestsupport.h"
#include "testpeer.h"

#include <QtCore/qdir.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qscopeguard.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/quuid.h>
#include <QtTest/qtest.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

// No raw string literal in this file may hold \" : moc 6.4 then misreads the rest of the file,
// finds no Q_OBJECT class and the test fails to link. Such JSON is in plain literals.

namespace {

// Generous for a loaded machine; the tool answers in milliseconds.
constexpr int Timeout = 10000;

const QString ToolProgram = QStringLiteral(SOCKETIPC_TOOL);

// Long enough for the library not to warn of a guessable token.
const QString GoodToken = QStringLiteral("the-right-token-0123456789");
const QString WrongToken = QStringLiteral("a-wrong-token-0123456789ab");

// One run of the socketipc binary: stdout collected as lines, stderr as text, stdin open for
// lines until closeStdin(). Killed when it goes out of scope, so no test leaves one behind.
class Tool : public QObject
{
public:
    Tool()
    {
        setTokenVariable({});  // the test's own environment must not decide
        connect(&m_process, &QProcess::readyReadStandardOutput, this, [this] {
            const QByteArray bytes = m_process.readAllStandardOutput();
            m_stdout += bytes;
            m_lines += m_reader.feed(bytes);
        });
        connect(&m_process, &QProcess::readyReadStandardError, this,
                [this] { m_stderr += m_process.readAllStandardError(); });
    }
    ~Tool() override { kill(); }

    void start(const QStringList &arguments)
    {
        m_arguments = arguments;
        m_process.start(ToolProgram, arguments);
        QVERIFY2(m_process.waitForStarted(Timeout), qPrintable(m_process.errorString()));
    }
    // The tool run by launcher (launcherArguments, the tool, arguments), which execs it.
    void startUnder(const QString &launcher, const QStringList &launcherArguments,
                    const QStringList &arguments)
    {
        m_arguments = arguments;
        m_process.start(launcher, launcherArguments + QStringList{ToolProgram} + arguments);
        QVERIFY2(m_process.waitForStarted(Timeout), qPrintable(m_process.errorString()));
    }
    void setVariable(const QString &name, const QString &value)
    {
        QProcessEnvironment environment = m_process.processEnvironment();
        environment.insert(name, value);
        m_process.setProcessEnvironment(environment);
    }
    // SOCKETIPC_TOKEN for the next start(); unset when token is empty.
    void setTokenVariable(const QString &token)
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(u"SOCKETIPC_TOKEN"_s);
        if (!token.isEmpty())
            environment.insert(u"SOCKETIPC_TOKEN"_s, token);
        m_process.setProcessEnvironment(environment);
    }
    void write(const QByteArray &bytes) { m_process.write(bytes); }
    void writeLine(const QByteArray &line) { m_process.write(line + '\n'); }
    void closeStdin() { m_process.closeWriteChannel(); }
    void sendSignal(int signal) { ::kill(pid_t(m_process.processId()), signal); }
    void kill()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(Timeout);
        }
    }

    QProcess &process() { return m_process; }
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    bool exitedWith(int code) const
    {
        return !isRunning() && m_process.exitStatus() == QProcess::NormalExit
                && m_process.exitCode() == code;
    }

    QByteArray output() const { return m_stdout; }
    QByteArrayList lines() const { return m_lines; }
    QString errorOutput() const { return QString::fromUtf8(m_stderr); }
    bool saidOnStderr(const QString &text) const { return errorOutput().contains(text); }

    // The lines that are messages, not {"event":...} connection changes.
    QByteArrayList messageLines() const
    {
        QByteArrayList messages;
        for (const QByteArray &line : m_lines) {
            if (!line.startsWith(R"({"event":)"))
                messages.append(line);
        }
        return messages;
    }
    // serve: the client ids of its {"event":event,"client":ID} lines, in order.
    QStringList clientsOf(const QString &event) const
    {
        QStringList ids;
        for (const QByteArray &line : m_lines) {
            const QJsonObject object = QJsonDocument::fromJson(line).object();
            if (object.value(u"event").toString() == event)
                ids.append(object.value(u"client").toString());
        }
        return ids;
    }

    // For failure messages: what the process did.
    QString describe() const
    {
        QString exit = u"running"_s;
        if (!isRunning()) {
            exit = m_process.exitStatus() == QProcess::NormalExit
                    ? u"exit code %1"_s.arg(m_process.exitCode())
                    : u"crashed"_s;
        }
        return u"socketipc %1: %2\n--- stdout:\n%3\n--- stderr:\n%4"_s.arg(
                m_arguments.join(u' '), exit, QString::fromUtf8(m_stdout), errorOutput());
    }

private:
    QProcess m_process;
    QStringList m_arguments;
    QByteArray m_stdout;
    IpcTest::LineReader m_reader;
    QByteArrayList m_lines;
    QByteArray m_stderr;
};

// The exact lines the tool prints.
QByteArray messageLine(const QByteArray &topic, const QByteArray &message)
{
    return R"({"topic":")" + topic + R"(","message":)" + message + '}';
}

QByteArray serveMessageLine(const QByteArray &topic, const QByteArray &message,
                            const QString &client)
{
    return R"({"topic":")" + topic + R"(","message":)" + message + R"(,"client":")"
            + client.toUtf8() + R"("})";
}

QByteArray eventLine(const QByteArray &event, const QString &client)
{
    return R"({"event":")" + event + R"(","client":")" + client.toUtf8() + R"("})";
}

// The documents of --pretty output: each ends with a "}" line of its own.
QByteArrayList prettyDocuments(const QByteArray &output)
{
    QByteArrayList documents;
    QByteArray current;
    for (const QByteArray &line : output.split('\n')) {
        current += line + '\n';
        if (line == "}") {
            documents.append(current);
            current.clear();
        }
    }
    return documents;
}

// Message JSON that Node's JSON.stringify and the tool both write exactly so (object keys
// sorted: the tool's objects are QVariantMaps).
void addCanonicalPayloadRows()
{
    QTest::addColumn<QString>("json");
    QTest::newRow("string") << uR"("hello")"_s;
    QTest::newRow("unicode") << uR"("ÆØÅ æøå 日本語 🎉")"_s;
    QTest::newRow("escapes") << u"\"quote \\\" backslash \\\\ newline \\n tab \\t nul \\u0000\""_s;
    QTest::newRow("integer") << u"42"_s;
    QTest::newRow("negative integer") << u"-7"_s;
    QTest::newRow("double") << u"3.141592653589793"_s;
    QTest::newRow("large exponent") << u"1e+21"_s;
    QTest::newRow("smallest denormal") << u"5e-324"_s;
    QTest::newRow("true") << u"true"_s;
    QTest::newRow("null") << u"null"_s;
    QTest::newRow("array") << uR"([1,"two",3.5,true,null,[],{}])"_s;
    QTest::newRow("object")
            << uR"({"age":36,"name":"Ada","nested":{"deep":{"pi":3.14}},"tags":["x","y"]})"_s;
}

}  // namespace

class tst_Cli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    // serve, connect and send
    void serveReportsClientsAndTheirMessages();
    void tcpWithTokenBetweenProcesses();
    void tokenFromFileOrEnvironment_data();
    void tokenFromFileOrEnvironment();
    void tlsBetweenProcesses();
    void tlsClientRefusesUntrustedServer_data();
    void tlsClientRefusesUntrustedServer();
    void serveBroadcastsStdinLines();
    void serveSendsStdinLineToOneClient();
    void messageJsonCrossesBothWays_data();
    void messageJsonCrossesBothWays();
    void sendDeliversJsonArgument_data();
    void sendDeliversJsonArgument();
    void sendReadsJsonFromStdin();

    // Options
    void serveFiltersTopics_data() { addTopicFilterRows(); }
    void serveFiltersTopics();
    void connectFiltersTopics_data() { addTopicFilterRows(); }
    void connectFiltersTopics();
    void prettyPrintsIndentedJson_data();
    void prettyPrintsIndentedJson();

    // serve --relay, --relay-all: a hub
    void relayForwardsToTheOtherClients_data();
    void relayForwardsToTheOtherClients();
    void relayAllReturnsToTheSenderToo();
    void withoutRelayNothingIsRelayed();
    void relayLeavesRequestsAlone();
    void relayJoinsNodeAndCommandLineClients();

    // Standard input and output
    void outputIsFlushedPerLine();
    void stdinEndSendsLastLineAndKeepsRunning_data();
    void stdinEndSendsLastLineAndKeepsRunning();
    void invalidStdinLineIsReportedAndSkipped_data();
    void invalidStdinLineIsReportedAndSkipped();
    void serveReportsUnknownClient_data();
    void serveReportsUnknownClient();
    void closedStandardOutputEndsCleanly_data();
    void closedStandardOutputEndsCleanly();

    // Exit codes
    void givesUpWithoutServer_data();
    void givesUpWithoutServer();
    void zeroTimeoutDoesNotGiveUpOnLiveServer_data();
    void zeroTimeoutDoesNotGiveUpOnLiveServer();
    void wrongArgumentsExitWithUsage_data();
    void wrongArgumentsExitWithUsage();
    void unusableTokenFileIsUsageError_data();
    void unusableTokenFileIsUsageError();
    void refusedTokenFailsAtOnce_data();
    void refusedTokenFailsAtOnce();
    void sendRejectsInvalidJson_data();
    void sendRejectsInvalidJson();
    void serveFailsOnTakenPath_data();
    void serveFailsOnTakenPath();
    void helpPrintsUsage_data();
    void helpPrintsUsage();
    void versionPrintsModuleVersion();

    // Signals, retries and reconnects
    void serveCleansUpOnSignal_data();
    void serveCleansUpOnSignal();
    void connectExitsOnSignal_data();
    void connectExitsOnSignal();
    void connectRetriesUntilServeListens();
    void connectReconnectsAfterServeRestart();
    void monitorPrintsBothDirections();
    void statsPrintsEachClient();
    void monitorAndStatsNeedAllowMonitor();
    void serviceNamesLiveInTheRuntimeDirectory();
    void serveTakesTheSocketItWasStartedWith();

    // Who may connect
    void abstractNameNeedsAllowUid();
    void allowUidAdmitsOnlyThoseUsers_data();
    void allowUidAdmitsOnlyThoseUsers();

    // The Node library on the other end
    void nodeServerTalksToConnect_data() { addCanonicalPayloadRows(); }
    void nodeServerTalksToConnect();
    void nodeClientTalksToServe_data() { addCanonicalPayloadRows(); }
    void nodeClientTalksToServe();
    void serveSendsToOneNodeClient();

private:
    QString socketPath() const { return m_dir.socketPath(); }
    void addTopicFilterRows();
    // A file in this test's directory, holding contents; its path.
    QString writeFile(const QString &name, const QByteArray &contents);
    // The directory of tests/auto/transports/make-certs.sh's certificates, made once.
    QString certificates();

    // Starts serve on socketPath(); returns once the socket is there.
    void startServe(Tool &serve, const QStringList &options = {});
    // Starts connect and returns once serve has accepted it, with the id serve gave it.
    void startConnect(Tool &connect, Tool &serve, QString *id, const QStringList &options = {});
    void startNodeServer(TestPeer &node);
    // Starts a Node client and returns once serve has accepted it, with its id.
    void startNodeClient(TestPeer &node, Tool &serve, QString *id);
    // The same for an ipctestpeer client (the library's IpcClient, which can make requests).
    void startPeerClient(TestPeer &peer, Tool &serve, QString *id);

    IpcTest::SocketDir m_dir{QStringLiteral("ipc.sock")};
    std::unique_ptr<QTemporaryDir> m_certificates;
};

void tst_Cli::initTestCase()
{
    QVERIFY2(QFileInfo(ToolProgram).isExecutable(), qPrintable(ToolProgram + u" is missing"_s));
    IpcTest::verifyNodePeers();
}

void tst_Cli::init()
{
    // A socket path per test, so tests (and test runs) never share one.
    m_dir.renew();
}

void tst_Cli::cleanup()
{
    // Every Tool and TestPeer is a local of its test: they are killed by now.
    m_dir.reset();
}

QString tst_Cli::writeFile(const QString &name, const QByteArray &contents)
{
    QFile file(m_dir.filePath(name));
    if (!file.open(QIODevice::WriteOnly) || file.write(contents) != contents.size())
        qFatal("cannot write %s: %s", qPrintable(file.fileName()), qPrintable(file.errorString()));
    return file.fileName();
}

QString tst_Cli::certificates()
{
    if (!m_certificates) {
        auto dir = std::make_unique<QTemporaryDir>();
        if (!IpcTest::makeCertificates(dir->path()))
            return {};
        m_certificates = std::move(dir);
    }
    return m_certificates->path();
}

void tst_Cli::monitorPrintsBothDirections()
{
    Tool serve;
    CHECKED(startServe(serve, {u"--allow-monitor"_s}));
    Tool monitor;
    CHECKED(monitor.start(
            {u"monitor"_s, socketPath(), u"--topic"_s, u"nothing.*"_s, u"--topic"_s, u"chat.#"_s}));
    QTRY_VERIFY2_WITH_TIMEOUT(monitor.saidOnStderr(u"monitoring"_s), qPrintable(monitor.describe()),
                              Timeout);
    Tool client;
    QString id;
    CHECKED(startConnect(client, serve, &id));
    client.writeLine(messageLine("chat", R"({"n":1})"));
    client.writeLine(messageLine("other", "2"));  // filtered out by --topic
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), 2, Timeout);
    serve.writeLine(R"({"topic":"chat","message":"back","client":")" + id.toUtf8() + R"("})");
    QTRY_VERIFY2_WITH_TIMEOUT(monitor.messageLines().size() >= 2, qPrintable(monitor.describe()),
                              Timeout);
    const QByteArrayList lines = monitor.messageLines();  // without {"event":...} lines
    QCOMPARE(lines.size(), 2);
    QVERIFY2(lines.at(0).startsWith(R"({"direction":"in","client":")"), lines.at(0).constData());
    const QJsonObject in = QJsonDocument::fromJson(lines.at(0)).object();
    QCOMPARE(in.value(u"direction").toString(), u"in"_s);
    QCOMPARE(in.value(u"client").toString(), id);
    QCOMPARE(in.value(u"topic").toString(), u"chat"_s);
    QCOMPARE(in.value(u"message").toObject().value(u"n").toInt(), 1);
    QVERIFY(in.value(u"time").toDouble() > 0);
    const QJsonObject out = QJsonDocument::fromJson(lines.at(1)).object();
    QCOMPARE(out.value(u"direction").toString(), u"out"_s);
    QCOMPARE(out.value(u"client").toString(), id);
    QCOMPARE(out.value(u"message").toString(), u"back"_s);
    // The monitor is no client of serve.
    QCOMPARE(serve.clientsOf(u"connected"_s), QStringList{id});
}

void tst_Cli::statsPrintsEachClient()
{
    Tool serve;
    CHECKED(startServe(serve, {u"--allow-monitor"_s}));
    Tool client;
    QString id;
    CHECKED(startConnect(client, serve, &id));
    client.writeLine(messageLine("a", "1"));
    client.writeLine(messageLine("b", "2"));
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), 2, Timeout);

    Tool stats;
    CHECKED(stats.start({u"stats"_s, socketPath()}));
    QTRY_VERIFY2_WITH_TIMEOUT(stats.exitedWith(0), qPrintable(stats.describe()), Timeout);
    QCOMPARE(stats.lines().size(), 1);
    const QJsonObject all = QJsonDocument::fromJson(stats.lines().first()).object();
    const QJsonArray clients = all.value(u"clients").toArray();
    QCOMPARE(clients.size(), 1);
    const QJsonObject entry = clients.first().toObject();
    QCOMPARE(entry.value(u"client").toString(), id);
    QCOMPARE(entry.value(u"messagesReceived").toInt(), 2);
    QCOMPARE(entry.value(u"messagesSent").toInt(), 0);
    QCOMPARE(all.value(u"total").toObject().value(u"messagesReceived").toInt(), 2);

    // --watch: again and again until stopped.
    Tool watch;
    CHECKED(watch.start({u"stats"_s, socketPath(), u"--watch"_s, u"100"_s}));
    QTRY_VERIFY2_WITH_TIMEOUT(watch.lines().size() >= 3, qPrintable(watch.describe()), Timeout);
    QVERIFY(watch.isRunning());
}

void tst_Cli::monitorAndStatsNeedAllowMonitor()
{
    Tool serve;
    CHECKED(startServe(serve));
    for (const QString &command : {u"monitor"_s, u"stats"_s}) {
        Tool tool;
        CHECKED(tool.start({command, socketPath()}));
        QTRY_VERIFY2_WITH_TIMEOUT(tool.exitedWith(1), qPrintable(tool.describe()), Timeout);
        QVERIFY2(tool.saidOnStderr(u"does not allow monitors"_s), qPrintable(tool.describe()));
        QCOMPARE(tool.lines(), QByteArrayList());
    }
}

void tst_Cli::serviceNamesLiveInTheRuntimeDirectory()
{
    // serve and connect by a name: the socket is in $XDG_RUNTIME_DIR, and serve says where.
    const QString runtime = m_dir.path();
    const QString where = runtime + u"/org.example.bus"_s;
    Tool serve;
    serve.setVariable(u"XDG_RUNTIME_DIR"_s, runtime);
    CHECKED(serve.start({u"serve"_s, u"org.example.bus"_s}));
    QTRY_VERIFY2_WITH_TIMEOUT(QFileInfo::exists(where), qPrintable(serve.describe()), Timeout);
    QTRY_VERIFY2_WITH_TIMEOUT(serve.saidOnStderr(u"listening on "_s + where),
                              qPrintable(serve.describe()), Timeout);
    Tool send;
    send.setVariable(u"XDG_RUNTIME_DIR"_s, runtime);
    CHECKED(send.start({u"send"_s, u"org.example.bus"_s, u"greeting"_s, u"\"hi\""_s}));
    QTRY_VERIFY2_WITH_TIMEOUT(send.exitedWith(0), qPrintable(send.describe()), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), 1, Timeout);
    QVERIFY2(serve.messageLines().first().startsWith(R"({"topic":"greeting","message":"hi")"),
             serve.messageLines().first().constData());
}

void tst_Cli::serveTakesTheSocketItWasStartedWith()
{
    // systemd-socket-activate listens on the name's path and starts serve on the first
    // connection; serve takes that socket, and the first message, sent before serve ran,
    // comes back (--relay-all).
    const QString launcher = QStandardPaths::findExecutable(u"systemd-socket-activate"_s);
    QVERIFY2(!launcher.isEmpty(), "systemd-socket-activate is missing (Debian's systemd package)");
    const QString runtime = m_dir.path();
    const QString where = runtime + u"/org.example.hub"_s;
    Tool serve;
    serve.setVariable(u"XDG_RUNTIME_DIR"_s, runtime);
    CHECKED(serve.startUnder(launcher, {u"--listen="_s + where},
                             {u"serve"_s, u"org.example.hub"_s, u"--relay-all"_s}));
    QTRY_VERIFY2_WITH_TIMEOUT(QFileInfo::exists(where), qPrintable(serve.describe()), Timeout);

    Tool connect;
    connect.setVariable(u"XDG_RUNTIME_DIR"_s, runtime);
    CHECKED(connect.start({u"connect"_s, u"org.example.hub"_s}));
    const QByteArray first = messageLine("first", R"({"n":1})");
    connect.writeLine(first);
    QTRY_COMPARE_WITH_TIMEOUT(connect.lines(), QByteArrayList{first}, Timeout);
    QCOMPARE(serve.messageLines().size(), 1);
    // systemd-socket-activate passes no XDG_RUNTIME_DIR: the socket was found by its name.
    QVERIFY2(serve.saidOnStderr(u"listening on "_s + where), qPrintable(serve.describe()));
}

void tst_Cli::startServe(Tool &serve, const QStringList &options)
{
    CHECKED(serve.start(QStringList{u"serve"_s, socketPath()} + options));
    QTRY_VERIFY2_WITH_TIMEOUT(QFileInfo::exists(socketPath()) || !serve.isRunning(),
                              qPrintable(serve.describe()), Timeout);
    QVERIFY2(serve.isRunning(), qPrintable(serve.describe()));
}

void tst_Cli::startConnect(Tool &connect, Tool &serve, QString *id, const QStringList &options)
{
    const qsizetype before = serve.clientsOf(u"connected"_s).size();
    CHECKED(connect.start(QStringList{u"connect"_s, socketPath()} + options));
    QTRY_VERIFY2_WITH_TIMEOUT(connect.saidOnStderr(u"connected to "_s + socketPath()),
                              qPrintable(connect.describe()), Timeout);
    // Delivery to the client is only certain once the server has accepted it.
    QTRY_VERIFY2_WITH_TIMEOUT(serve.clientsOf(u"connected"_s).size() == before + 1,
                              qPrintable(serve.describe()), Timeout);
    *id = serve.clientsOf(u"connected"_s).last();
    QVERIFY2(!QUuid::fromString(*id).isNull(), qPrintable(*id + u" is not a UUID"_s));
}

void tst_Cli::startNodeServer(TestPeer &node)
{
    node.startNodeServer(socketPath(), {}, Timeout);
}

void tst_Cli::startNodeClient(TestPeer &node, Tool &serve, QString *id)
{
    const qsizetype before = serve.clientsOf(u"connected"_s).size();
    CHECKED(node.startNodeClient(socketPath()));
    QTRY_VERIFY_WITH_TIMEOUT(node.has(u"connected"_s), Timeout);
    QTRY_VERIFY2_WITH_TIMEOUT(serve.clientsOf(u"connected"_s).size() == before + 1,
                              qPrintable(serve.describe()), Timeout);
    *id = serve.clientsOf(u"connected"_s).last();
}

void tst_Cli::startPeerClient(TestPeer &peer, Tool &serve, QString *id)
{
    const qsizetype before = serve.clientsOf(u"connected"_s).size();
    CHECKED(peer.startTestPeer({u"client"_s, socketPath()}));
    QTRY_VERIFY_WITH_TIMEOUT(peer.has(u"connected"_s), Timeout);
    QTRY_VERIFY2_WITH_TIMEOUT(serve.clientsOf(u"connected"_s).size() == before + 1,
                              qPrintable(serve.describe()), Timeout);
    *id = serve.clientsOf(u"connected"_s).last();
}

// --- serve, connect and send ---------------------------------------------------------------

void tst_Cli::serveReportsClientsAndTheirMessages()
{
    Tool serve;
    CHECKED(startServe(serve));
    Tool connect;
    QString id;
    CHECKED(startConnect(connect, serve, &id));
    QCOMPARE(serve.lines(), QByteArrayList{eventLine("connected", id)});

    connect.writeLine(R"({"topic":"greeting","message":{"n":1,"text":"hi"}})");
    QTRY_COMPARE_WITH_TIMEOUT(serve.lines().size(), 2, Timeout);
    QCOMPARE(serve.lines().at(1), serveMessageLine("greeting", R"({"n":1,"text":"hi"})", id));

    connect.process().terminate();
    QTRY_COMPARE_WITH_TIMEOUT(serve.lines().size(), 3, Timeout);
    QCOMPARE(serve.lines().at(2), eventLine("disconnected", id));
    QCOMPARE(serve.errorOutput(), QString());
    QVERIFY(serve.isRunning());
}

void tst_Cli::serveBroadcastsStdinLines()
{
    Tool serve;
    CHECKED(startServe(serve));
    Tool first;
    Tool second;
    QString firstId;
    QString secondId;
    CHECKED(startConnect(first, serve, &firstId));
    CHECKED(startConnect(second, serve, &secondId));
    QVERIFY(firstId != secondId);

    serve.writeLine(R"({"topic":"news","message":["a",1]})");
    serve.writeLine(R"({"topic":"weather","message":"sunny"})");
    const QByteArrayList expected{messageLine("news", R"(["a",1])"),
                                  messageLine("weather", R"("sunny")")};
    QTRY_COMPARE_WITH_TIMEOUT(first.lines(), expected, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(second.lines(), expected, Timeout);
}

void tst_Cli::serveSendsStdinLineToOneClient()
{
    Tool serve;
    CHECKED(startServe(serve));
    Tool first;
    Tool second;
    QString firstId;
    QString secondId;
    CHECKED(startConnect(first, serve, &firstId));
    CHECKED(startConnect(second, serve, &secondId));

    serve.writeLine(R"({"topic":"private","message":"for the second","client":")"
                    + secondId.toUtf8() + R"("})");
    // Lines go out in order: once the broadcast after it has arrived, the first client has
    // had its chance to receive the private one.
    serve.writeLine(R"({"topic":"marker","message":null})");
    QTRY_COMPARE_WITH_TIMEOUT(second.lines(),
                              QByteArrayList({messageLine("private", R"("for the second")"),
                                              messageLine("marker", "null")}),
                              Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(first.lines(), QByteArrayList{messageLine("marker", "null")},
                              Timeout);
    QCOMPARE(serve.errorOutput(), QString());
}

void tst_Cli::messageJsonCrossesBothWays_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("printed");  // JSON.stringify's text for the same value

    QTest::newRow("object") << QByteArray(R"({"a":1,"b":[true,false,null],"c":{"d":"e"}})")
                            << QByteArray(R"({"a":1,"b":[true,false,null],"c":{"d":"e"}})");
    QTest::newRow("spaces") << QByteArray(R"({ "b" : [ 1 , 2 ] ,"c":{ } })")
                            << QByteArray(R"({"b":[1,2],"c":{}})");
    QTest::newRow("unicode") << QByteArray(R"("ÆØÅ 日本語 🎉")") << QByteArray(R"("ÆØÅ 日本語 🎉")");
    QTest::newRow("escapes") << QByteArray("\"q\\\" b\\\\ n\\n t\\t c\\u0001\"")
                             << QByteArray("\"q\\\" b\\\\ n\\n t\\t c\\u0001\"");
    QTest::newRow("unicode escapes")
            << QByteArray(R"("\u00e6\u65E5\ud83c\udf89")") << QByteArray(R"("æ日🎉")");
    QTest::newRow("escaped solidus") << QByteArray(R"("a\/b")") << QByteArray(R"("a/b")");
    QTest::newRow("integer") << QByteArray("42") << QByteArray("42");
    QTest::newRow("negative integer") << QByteArray("-7") << QByteArray("-7");
    QTest::newRow("double") << QByteArray("0.1") << QByteArray("0.1");
    QTest::newRow("trailing zeros") << QByteArray("1.50") << QByteArray("1.5");
    QTest::newRow("integral double") << QByteArray("2.0") << QByteArray("2");
    QTest::newRow("exponent") << QByteArray("1E21") << QByteArray("1e+21");
    QTest::newRow("small exponent") << QByteArray("1e-7") << QByteArray("1e-7");
    QTest::newRow("string") << QByteArray(R"("")") << QByteArray(R"("")");
    QTest::newRow("null") << QByteArray("null") << QByteArray("null");
    QTest::newRow("false") << QByteArray("false") << QByteArray("false");
}

void tst_Cli::messageJsonCrossesBothWays()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, printed);

    Tool serve;
    CHECKED(startServe(serve));
    Tool connect;
    QString id;
    CHECKED(startConnect(connect, serve, &id));

    connect.writeLine(R"({"topic":"up","message":)" + input + '}');
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines(),
                              QByteArrayList{serveMessageLine("up", printed, id)}, Timeout);
    serve.writeLine(R"({"topic":"down","message":)" + input + '}');
    QTRY_COMPARE_WITH_TIMEOUT(connect.lines(), QByteArrayList{messageLine("down", printed)},
                              Timeout);
    QCOMPARE(serve.errorOutput(), QString());
}

void tst_Cli::sendDeliversJsonArgument_data()
{
    QTest::addColumn<QStringList>("arguments");  // after send PATH
    QTest::addColumn<QByteArray>("printed");

    QTest::newRow("object") << QStringList{u"t"_s, uR"({"a":[1,{"b":null}]})"_s}
                            << QByteArray(R"({"a":[1,{"b":null}]})");
    QTest::newRow("array") << QStringList{u"t"_s, u"[1,2,3]"_s} << QByteArray("[1,2,3]");
    QTest::newRow("string") << QStringList{u"t"_s, uR"("æ 🎉")"_s} << QByteArray(R"("æ 🎉")");
    QTest::newRow("number") << QStringList{u"t"_s, u"3.5"_s} << QByteArray("3.5");
    QTest::newRow("true") << QStringList{u"t"_s, u"true"_s} << QByteArray("true");
    QTest::newRow("null") << QStringList{u"t"_s, u"null"_s} << QByteArray("null");
    QTest::newRow("spaces around") << QStringList{u"t"_s, u"  [ 1 ]  "_s} << QByteArray("[1]");
    QTest::newRow("options first")
            << QStringList{u"--timeout"_s, u"3000"_s, u"t"_s, u"1"_s} << QByteArray("1");
    QTest::newRow("negative number") << QStringList{u"t"_s, u"-1"_s} << QByteArray("-1");
    QTest::newRow("negative number after --")
            << QStringList{u"t"_s, u"--"_s, u"-1"_s} << QByteArray("-1");
}

void tst_Cli::sendDeliversJsonArgument()
{
    QFETCH(QStringList, arguments);
    QFETCH(QByteArray, printed);

    Tool serve;
    CHECKED(startServe(serve));
    Tool send;
    CHECKED(send.start(QStringList{u"send"_s, socketPath()} + arguments));
    QTRY_VERIFY_WITH_TIMEOUT(!send.isRunning(), Timeout);
    QVERIFY2(send.exitedWith(0), qPrintable(send.describe()));
    QCOMPARE(send.errorOutput(), QString());
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), 1, Timeout);
    const QString id = serve.clientsOf(u"connected"_s).value(0);
    QCOMPARE(serve.messageLines().at(0), serveMessageLine("t", printed, id));
    QTRY_COMPARE_WITH_TIMEOUT(serve.clientsOf(u"disconnected"_s), QStringList{id}, Timeout);
}

void tst_Cli::sendReadsJsonFromStdin()
{
    Tool serve;
    CHECKED(startServe(serve));
    Tool send;
    CHECKED(send.start({u"send"_s, socketPath(), u"from stdin"_s}));
    // A whole document over several lines and writes, not one line.
    send.write("{\n  \"list\": [1,\n");
    send.write("    2],\n  \"text\": \"æ\"\n}\n");
    send.closeStdin();
    QTRY_VERIFY_WITH_TIMEOUT(!send.isRunning(), Timeout);
    QVERIFY2(send.exitedWith(0), qPrintable(send.describe()));
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), 1, Timeout);
    QCOMPARE(serve.messageLines().at(0),
             serveMessageLine("from stdin", R"({"list":[1,2],"text":"æ"})",
                              serve.clientsOf(u"connected"_s).value(0)));
}

// --- Options -------------------------------------------------------------------------------

void tst_Cli::addTopicFilterRows()
{
    // Sent: a=1, b=2, c=3, a=4. The last one passes every filter, so its arrival means that
    // all the others have been either printed or left out.
    QTest::addColumn<QStringList>("topics");
    QTest::addColumn<QList<int>>("printed");
    QTest::newRow("no filter") << QStringList{} << QList<int>{1, 2, 3, 4};
    QTest::newRow("one topic") << QStringList{u"a"_s} << QList<int>{1, 4};
    QTest::newRow("two topics") << QStringList{u"a"_s, u"c"_s} << QList<int>{1, 3, 4};
    QTest::newRow("repeated topic") << QStringList{u"a"_s, u"a"_s} << QList<int>{1, 4};
}

namespace {

const QList<std::pair<QByteArray, int>> FilterMessages{{"a", 1}, {"b", 2}, {"c", 3}, {"a", 4}};

QByteArray topicOf(int number)
{
    for (const auto &[topic, n] : FilterMessages) {
        if (n == number)
            return topic;
    }
    return {};
}

QStringList topicOptions(const QStringList &topics)
{
    QStringList options;
    for (const QString &topic : topics)
        options << u"--topic"_s << topic;
    return options;
}

}  // namespace

void tst_Cli::serveFiltersTopics()
{
    QFETCH(QStringList, topics);
    QFETCH(QList<int>, printed);

    Tool serve;
    CHECKED(startServe(serve, topicOptions(topics)));
    Tool connect;
    QString id;
    // Connection events are not messages: they are printed whatever the filter.
    CHECKED(startConnect(connect, serve, &id));
    for (const auto &[topic, n] : FilterMessages)
        connect.writeLine(messageLine(topic, QByteArray::number(n)));

    QByteArrayList expected;
    for (int n : printed)
        expected.append(serveMessageLine(topicOf(n), QByteArray::number(n), id));
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), expected.size(), Timeout);
    QCOMPARE(serve.messageLines(), expected);
}

void tst_Cli::connectFiltersTopics()
{
    QFETCH(QStringList, topics);
    QFETCH(QList<int>, printed);

    Tool serve;
    CHECKED(startServe(serve));
    Tool connect;
    QString id;
    CHECKED(startConnect(connect, serve, &id, topicOptions(topics)));
    for (const auto &[topic, n] : FilterMessages)
        serve.writeLine(messageLine(topic, QByteArray::number(n)));

    QByteArrayList expected;
    for (int n : printed)
        expected.append(messageLine(topicOf(n), QByteArray::number(n)));
    QTRY_COMPARE_WITH_TIMEOUT(connect.lines().size(), expected.size(), Timeout);
    QCOMPARE(connect.lines(), expected);
}

void tst_Cli::prettyPrintsIndentedJson_data()
{
    QTest::addColumn<bool>("serveIsPretty");  // else connect is
    QTest::newRow("serve") << true;
    QTest::newRow("connect") << false;
}

void tst_Cli::prettyPrintsIndentedJson()
{
    QFETCH(bool, serveIsPretty);

    // Brackets, commas and colons inside a string stay as they are.
    const QByteArray message = "{\"a\":[1,{\"b\":\"x, y: {z} \\\"[q]\\\"\"}],\"e\":{},\"f\":[]}";
    const QByteArray indentedMessage = "{\n"
                                       "    \"a\": [\n"
                                       "      1,\n"
                                       "      {\n"
                                       "        \"b\": \"x, y: {z} \\\"[q]\\\"\"\n"
                                       "      }\n"
                                       "    ],\n"
                                       "    \"e\": {},\n"
                                       "    \"f\": []\n"
                                       "  }";

    Tool serve;
    Tool connect;
    QByteArray compact;
    QByteArray expected;
    QByteArray output;
    if (serveIsPretty) {
        CHECKED(startServe(serve, {u"--pretty"_s}));
        CHECKED(connect.start({u"connect"_s, socketPath()}));
        QTRY_VERIFY_WITH_TIMEOUT(prettyDocuments(serve.output()).size() == 1, Timeout);
        const QJsonObject event =
                QJsonDocument::fromJson(prettyDocuments(serve.output()).at(0)).object();
        const QString id = event.value(u"client").toString();
        QCOMPARE(prettyDocuments(serve.output()).at(0),
                 "{\n  \"event\": \"connected\",\n  \"client\": \"" + id.toUtf8() + "\"\n}\n");

        connect.writeLine(messageLine("t", message));
        QTRY_COMPARE_WITH_TIMEOUT(prettyDocuments(serve.output()).size(), 2, Timeout);
        output = prettyDocuments(serve.output()).at(1);
        compact = serveMessageLine("t", message, id);
        expected = "{\n  \"topic\": \"t\",\n  \"message\": " + indentedMessage
                + ",\n  \"client\": \"" + id.toUtf8() + "\"\n}\n";
    } else {
        CHECKED(startServe(serve));
        QString id;
        CHECKED(startConnect(connect, serve, &id, {u"--pretty"_s}));
        serve.writeLine(messageLine("t", message));
        QTRY_COMPARE_WITH_TIMEOUT(prettyDocuments(connect.output()).size(), 1, Timeout);
        output = prettyDocuments(connect.output()).at(0);
        compact = messageLine("t", message);
        expected = "{\n  \"topic\": \"t\",\n  \"message\": " + indentedMessage + "\n}\n";
    }
    QCOMPARE(output, expected);
    QJsonParseError error;
    const QJsonDocument parsed = QJsonDocument::fromJson(output, &error);
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    QVERIFY(parsed.isObject());
    QCOMPARE(parsed, QJsonDocument::fromJson(compact));
}

// --- serve --relay, --relay-all: a hub ----------------------------------------------------

// Absence is proved by order, never by waiting: frames reach one client in the order serve
// wrote them, so a message that arrives after X means X would have arrived first, had it
// been sent at all.

void tst_Cli::relayForwardsToTheOtherClients_data()
{
    QTest::addColumn<QStringList>("topics");  // --topic options
    QTest::newRow("every topic printed") << QStringList{};
    // --topic limits what serve prints, not what it relays.
    QTest::newRow("one topic printed") << QStringList{u"chat"_s};
}

void tst_Cli::relayForwardsToTheOtherClients()
{
    QFETCH(QStringList, topics);

    Tool serve;
    CHECKED(startServe(serve, QStringList{u"--relay"_s} + topicOptions(topics)));
    Tool a;
    Tool b;
    Tool c;
    QString aId;
    QString bId;
    QString cId;
    CHECKED(startConnect(a, serve, &aId));
    CHECKED(startConnect(b, serve, &bId));
    CHECKED(startConnect(c, serve, &cId));
    const QByteArray fromA = messageLine("chat", R"({"from":"a","text":"hi"})");
    const QByteArray fromB = messageLine("chat", R"({"from":"b"})");
    const QByteArray fromC = messageLine("other topic", "[3]");

    // Each speaks once the one before has been heard: every relay of the earlier message
    // is then written before the next one.
    a.writeLine(fromA);
    QTRY_COMPARE_WITH_TIMEOUT(b.lines(), QByteArrayList{fromA}, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(c.lines(), QByteArrayList{fromA}, Timeout);
    b.writeLine(fromB);
    QTRY_COMPARE_WITH_TIMEOUT(a.lines(), QByteArrayList{fromB}, Timeout);  // not its own
    QTRY_COMPARE_WITH_TIMEOUT(c.lines(), QByteArrayList({fromA, fromB}), Timeout);
    c.writeLine(fromC);
    QTRY_COMPARE_WITH_TIMEOUT(a.lines(), QByteArrayList({fromB, fromC}), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(b.lines(), QByteArrayList({fromA, fromC}), Timeout);  // not its own
    // A stdin line is still broadcast, and comes after anything relayed before it.
    const QByteArray end = messageLine("end", "null");
    serve.writeLine(end);
    QTRY_COMPARE_WITH_TIMEOUT(a.lines(), QByteArrayList({fromB, fromC, end}), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(b.lines(), QByteArrayList({fromA, fromC, end}), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(c.lines(), QByteArrayList({fromA, fromB, end}), Timeout);

    // serve still prints the messages, with their senders.
    QByteArrayList printed{serveMessageLine("chat", R"({"from":"a","text":"hi"})", aId),
                           serveMessageLine("chat", R"({"from":"b"})", bId)};
    if (topics.isEmpty())
        printed.append(serveMessageLine("other topic", "[3]", cId));
    QCOMPARE(serve.messageLines(), printed);
    QCOMPARE(serve.errorOutput(), QString());
}

void tst_Cli::relayAllReturnsToTheSenderToo()
{
    Tool serve;
    CHECKED(startServe(serve, {u"--relay-all"_s}));
    Tool a;
    Tool b;
    QString aId;
    QString bId;
    CHECKED(startConnect(a, serve, &aId));
    CHECKED(startConnect(b, serve, &bId));
    const QByteArray fromA = messageLine("chat", R"({"from":"a"})");
    const QByteArray fromB = messageLine("chat", R"(["b",2])");

    a.writeLine(fromA);
    QTRY_COMPARE_WITH_TIMEOUT(a.lines(), QByteArrayList{fromA}, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(b.lines(), QByteArrayList{fromA}, Timeout);
    b.writeLine(fromB);
    QTRY_COMPARE_WITH_TIMEOUT(a.lines(), QByteArrayList({fromA, fromB}), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(b.lines(), QByteArrayList({fromA, fromB}), Timeout);
    QCOMPARE(serve.messageLines(),
             QByteArrayList({serveMessageLine("chat", R"({"from":"a"})", aId),
                             serveMessageLine("chat", R"(["b",2])", bId)}));
    QCOMPARE(serve.errorOutput(), QString());
}

void tst_Cli::withoutRelayNothingIsRelayed()
{
    Tool serve;
    CHECKED(startServe(serve));
    Tool a;
    Tool b;
    Tool c;
    QString aId;
    QString bId;
    QString cId;
    CHECKED(startConnect(a, serve, &aId));
    CHECKED(startConnect(b, serve, &bId));
    CHECKED(startConnect(c, serve, &cId));

    a.writeLine(messageLine("chat", R"("from a")"));
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines(),
                              QByteArrayList{serveMessageLine("chat", R"("from a")", aId)},
                              Timeout);
    // serve has handled a's message: a relay of it would reach everyone before this line.
    const QByteArray marker = messageLine("marker", "null");
    serve.writeLine(marker);
    QTRY_COMPARE_WITH_TIMEOUT(a.lines(), QByteArrayList{marker}, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(b.lines(), QByteArrayList{marker}, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(c.lines(), QByteArrayList{marker}, Timeout);
}

void tst_Cli::relayLeavesRequestsAlone()
{
    Tool serve;
    CHECKED(startServe(serve, {u"--relay-all"_s}));
    TestPeer asker;
    QString askerId;
    CHECKED(startPeerClient(asker, serve, &askerId));
    Tool listener;
    QString listenerId;
    CHECKED(startConnect(listener, serve, &listenerId));

    // serve has no handler: the request is answered with an error, and goes no further.
    asker.command({{u"request"_s, u"question"_s}, {u"message"_s, 42}});
    QTRY_VERIFY_WITH_TIMEOUT(asker.has(u"reply"_s), Timeout);
    QVERIFY2(asker.last(u"reply"_s).value(u"error").toString() != u"NoError"_s,
             QJsonDocument(asker.last(u"reply"_s)).toJson().constData());
    asker.command({{u"send"_s, u"after"_s}, {u"message"_s, 1}});
    const QByteArray after = messageLine("after", "1");
    QTRY_COMPARE_WITH_TIMEOUT(listener.lines(), QByteArrayList{after}, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(asker.count(u"message"_s), 1, Timeout);
    QCOMPARE(asker.eventsNamed(u"message"_s).at(0).value(u"topic").toString(), u"after"_s);
    QCOMPARE(serve.messageLines(), QByteArrayList{serveMessageLine("after", "1", askerId)});
}

void tst_Cli::relayJoinsNodeAndCommandLineClients()
{
    const QString json = uR"({"age":36,"name":"Ada","tags":["x","y"]})"_s;

    Tool serve;
    CHECKED(startServe(serve, {u"--relay"_s}));
    TestPeer node;
    QString nodeId;
    CHECKED(startNodeClient(node, serve, &nodeId));
    Tool connect;
    QString connectId;
    CHECKED(startConnect(connect, serve, &connectId));

    node.command({{u"send"_s, u"from node"_s}, {u"json"_s, json}});
    QTRY_COMPARE_WITH_TIMEOUT(connect.lines(),
                              QByteArrayList{messageLine("from node", json.toUtf8())}, Timeout);
    connect.writeLine(messageLine("from cli", json.toUtf8()));
    // Node's first message is this one: its own never came back before it.
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 1, Timeout);
    const QJsonObject received = node.eventsNamed(u"message"_s).at(0);
    QCOMPARE(received.value(u"topic").toString(), u"from cli"_s);
    QCOMPARE(received.value(u"json").toString(), json);  // as JSON.stringify writes it
    QVERIFY(!node.has(u"error"_s));
    QCOMPARE(serve.messageLines(),
             QByteArrayList({serveMessageLine("from node", json.toUtf8(), nodeId),
                             serveMessageLine("from cli", json.toUtf8(), connectId)}));
    QCOMPARE(serve.errorOutput(), QString());
}

// --- Standard input and output -------------------------------------------------------------

void tst_Cli::outputIsFlushedPerLine()
{
    // Each line must reach a pipe at once, while the process runs on with stdin open: a tool
    // that buffers its output until exit is useless in a pipeline.
    Tool serve;
    CHECKED(startServe(serve));
    Tool connect;
    QString id;
    CHECKED(startConnect(connect, serve, &id));

    connect.writeLine(R"({"topic":"up","message":1})");
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), 1, Timeout);
    serve.writeLine(R"({"topic":"down","message":2})");
    QTRY_COMPARE_WITH_TIMEOUT(connect.lines().size(), 1, Timeout);
    connect.writeLine(R"({"topic":"up","message":3})");
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), 2, Timeout);
    QVERIFY(serve.isRunning());
    QVERIFY(connect.isRunning());
    QCOMPARE(serve.messageLines().at(1), serveMessageLine("up", "3", id));
    QCOMPARE(connect.lines().at(0), messageLine("down", "2"));
}

void tst_Cli::stdinEndSendsLastLineAndKeepsRunning_data()
{
    QTest::addColumn<bool>("closeServeStdin");  // else connect's
    QTest::newRow("serve") << true;
    QTest::newRow("connect") << false;
}

void tst_Cli::stdinEndSendsLastLineAndKeepsRunning()
{
    QFETCH(bool, closeServeStdin);

    Tool serve;
    CHECKED(startServe(serve));
    Tool connect;
    QString id;
    CHECKED(startConnect(connect, serve, &id));
    Tool &ending = closeServeStdin ? serve : connect;

    // The last line has no newline: end of input completes it.
    ending.write(R"({"topic":"last","message":"no newline"})");
    ending.closeStdin();
    if (closeServeStdin) {
        QTRY_COMPARE_WITH_TIMEOUT(connect.lines(),
                                  QByteArrayList{messageLine("last", R"("no newline")")}, Timeout);
    } else {
        QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines(),
                                  QByteArrayList{serveMessageLine("last", R"("no newline")", id)},
                                  Timeout);
    }

    // Still on the bus: messages keep flowing both ways.
    if (closeServeStdin) {
        connect.writeLine(R"({"topic":"still","message":"here"})");
        QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines(),
                                  QByteArrayList{serveMessageLine("still", R"("here")", id)},
                                  Timeout);
    } else {
        serve.writeLine(R"({"topic":"still","message":"here"})");
        QTRY_COMPARE_WITH_TIMEOUT(connect.lines(),
                                  QByteArrayList{messageLine("still", R"("here")")}, Timeout);
    }
    const qsizetype before = serve.messageLines().size();
    Tool send;
    CHECKED(send.start({u"send"_s, socketPath(), u"sent"_s, u"1"_s}));
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), before + 1, Timeout);
    QVERIFY(serve.messageLines().last().startsWith(R"({"topic":"sent","message":1,)"));
    QVERIFY(serve.isRunning());
    QVERIFY(connect.isRunning());
    QVERIFY2(!ending.saidOnStderr(u"line "_s), qPrintable(ending.describe()));
}

void tst_Cli::invalidStdinLineIsReportedAndSkipped_data()
{
    // The tool's stdin: a valid line, then badLine, then a valid line.
    QTest::addColumn<bool>("serveReads");  // else connect reads stdin
    QTest::addColumn<QByteArray>("badLine");
    QTest::addColumn<QString>("error");  // a line on stderr starts so

    const QString notJson = u"socketipc: line 2: invalid JSON: "_s;
    const QString notCommand =
            uR"(socketipc: line 2: expected {"topic": string, "message": JSON})"_s;
    const QString clientRule =
            uR"(socketipc: line 2: "client" must be a client id, and only for serve)"_s;
    for (const bool serve : {true, false}) {
        const char *tool = serve ? "serve" : "connect";
        QTest::addRow("%s: not JSON", tool) << serve << QByteArray("not json") << notJson;
        QTest::addRow("%s: truncated", tool) << serve << QByteArray(R"({"topic":"t",)") << notJson;
        QTest::addRow("%s: trailing data", tool)
                << serve << QByteArray(R"({"topic":"t"} x)") << notJson;
        QTest::addRow("%s: invalid UTF-8", tool)
                << serve << QByteArray("{\"topic\":\"\xff\"}") << notJson;
        QTest::addRow("%s: not an object", tool) << serve << QByteArray(R"(["t",1])") << notCommand;
        QTest::addRow("%s: a string", tool) << serve << QByteArray(R"("t")") << notCommand;
        QTest::addRow("%s: no topic", tool)
                << serve << QByteArray(R"({"message":1})") << notCommand;
        QTest::addRow("%s: numeric topic", tool)
                << serve << QByteArray(R"({"topic":5,"message":1})") << notCommand;
        QTest::addRow("%s: null topic", tool)
                << serve << QByteArray(R"({"topic":null,"message":1})") << notCommand;
        // Blank lines count, as an editor counts them.
        QTest::addRow("%s: after a blank line", tool)
                << serve << QByteArray("\nnot json") << u"socketipc: line 3: invalid JSON: "_s;
    }
    QTest::newRow("serve: numeric client")
            << true << QByteArray(R"({"topic":"t","message":1,"client":5})") << clientRule;
    QTest::newRow("connect: client given")
            << false << QByteArray(R"({"topic":"t","message":1,"client":"x"})") << clientRule;
}

void tst_Cli::invalidStdinLineIsReportedAndSkipped()
{
    QFETCH(bool, serveReads);
    QFETCH(QByteArray, badLine);
    QFETCH(QString, error);

    Tool serve;
    CHECKED(startServe(serve));
    Tool connect;
    QString id;
    CHECKED(startConnect(connect, serve, &id));
    Tool &reader = serveReads ? serve : connect;

    reader.writeLine(R"({"topic":"t","message":"before"})");
    reader.writeLine(badLine);
    reader.writeLine(R"({"topic":"t","message":"after"})");
    if (serveReads) {
        QTRY_COMPARE_WITH_TIMEOUT(
                connect.lines(),
                QByteArrayList({messageLine("t", R"("before")"), messageLine("t", R"("after")")}),
                Timeout);
    } else {
        QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines(),
                                  QByteArrayList({serveMessageLine("t", R"("before")", id),
                                                  serveMessageLine("t", R"("after")", id)}),
                                  Timeout);
    }
    QTRY_VERIFY2_WITH_TIMEOUT(reader.errorOutput().contains(u'\n' + error)
                                      || reader.errorOutput().startsWith(error),
                              qPrintable(reader.describe()), Timeout);
    QVERIFY(reader.isRunning());
}

void tst_Cli::serveReportsUnknownClient_data()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("unknown id") << u"unknown"_s;
    QTest::newRow("departed client") << u"departed"_s;
    QTest::newRow("not a uuid") << u"word"_s;
    QTest::newRow("empty id") << u"empty"_s;
}

void tst_Cli::serveReportsUnknownClient()
{
    QFETCH(QString, kind);

    Tool serve;
    CHECKED(startServe(serve));
    Tool first;
    Tool second;
    QString firstId;
    QString secondId;
    CHECKED(startConnect(first, serve, &firstId));
    CHECKED(startConnect(second, serve, &secondId));

    QString target;
    if (kind == u"unknown"_s) {
        target = QUuid::createUuid().toString(QUuid::WithoutBraces);
    } else if (kind == u"departed"_s) {
        Tool leaving;
        CHECKED(startConnect(leaving, serve, &target));
        leaving.process().terminate();
        QTRY_COMPARE_WITH_TIMEOUT(serve.clientsOf(u"disconnected"_s), QStringList{target}, Timeout);
    } else if (kind == u"word"_s) {
        target = u"nobody"_s;
    }

    serve.writeLine(R"({"topic":"private","message":"secret","client":")" + target.toUtf8()
                    + R"("})");
    serve.writeLine(R"({"topic":"public","message":"after"})");
    const QByteArray after = messageLine("public", R"("after")");
    QTRY_VERIFY_WITH_TIMEOUT(first.lines().contains(after), Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(second.lines().contains(after), Timeout);
    QCOMPARE(first.lines(), QByteArrayList{after});
    QCOMPARE(second.lines(), QByteArrayList{after});
    QTRY_VERIFY2_WITH_TIMEOUT(serve.saidOnStderr(u"no client with id \"%1\""_s.arg(target)),
                              qPrintable(serve.describe()), Timeout);
    QVERIFY(serve.isRunning());
}

void tst_Cli::closedStandardOutputEndsCleanly_data()
{
    QTest::addColumn<bool>("serveOutput");  // else connect's output is closed
    QTest::newRow("serve") << true;
    QTest::newRow("connect") << false;
}

void tst_Cli::closedStandardOutputEndsCleanly()
{
    QFETCH(bool, serveOutput);

    // As in `socketipc serve PATH | head -c 10`: the reader takes a little and goes. A FIFO
    // is the pipe, so that this test holds the read end and can close it.
    const QByteArray fifo = QFile::encodeName(m_dir.filePath(u"stdout.fifo"_s));
    QVERIFY2(::mkfifo(fifo.constData(), 0600) == 0, strerror(errno));
    int reader = ::open(fifo.constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    QVERIFY2(reader >= 0, strerror(errno));
    const auto closeReader = qScopeGuard([&reader] {
        if (reader >= 0)
            ::close(std::exchange(reader, -1));
    });
    QByteArray head;
    const auto readHead = [&reader, &head] {
        char buffer[10];
        const ssize_t n = ::read(reader, buffer, sizeof buffer);
        if (n > 0)
            head.append(buffer, n);
        return !head.isEmpty();
    };

    Tool serve;
    Tool connect;
    Tool &tested = serveOutput ? serve : connect;
    tested.process().setStandardOutputFile(QFile::decodeName(fifo));
    CHECKED(startServe(serve));
    CHECKED(connect.start({u"connect"_s, socketPath()}));
    QTRY_VERIFY2_WITH_TIMEOUT(connect.saidOnStderr(u"connected to "_s),
                              qPrintable(connect.describe()), Timeout);
    if (serveOutput) {
        QTRY_VERIFY2_WITH_TIMEOUT(readHead(), qPrintable(serve.describe()), Timeout);
        QVERIFY2(head.startsWith(R"({"event":)"), head.constData());
    } else {
        QTRY_COMPARE_WITH_TIMEOUT(serve.clientsOf(u"connected"_s).size(), 1, Timeout);
        serve.writeLine(messageLine("first", "1"));
        QTRY_VERIFY2_WITH_TIMEOUT(readHead(), qPrintable(connect.describe()), Timeout);
        QVERIFY2(head.startsWith(R"({"topic":)"), head.constData());
    }
    ::close(std::exchange(reader, -1));

    // The next line finds no reader: a clean stop, not death by SIGPIPE.
    if (serveOutput)
        connect.writeLine(messageLine("second", "2"));
    else
        serve.writeLine(messageLine("second", "2"));
    QTRY_VERIFY2_WITH_TIMEOUT(!tested.isRunning(), qPrintable(tested.describe()), Timeout);
    QVERIFY2(tested.exitedWith(1), qPrintable(tested.describe()));
    QVERIFY2(tested.saidOnStderr(u"socketipc: standard output closed\n"_s),
             qPrintable(tested.describe()));
    if (serveOutput) {
        QVERIFY2(!QFileInfo::exists(socketPath()), "serve left its socket file behind");
        QTRY_VERIFY2_WITH_TIMEOUT(connect.saidOnStderr(u"disconnected; reconnecting"_s),
                                  qPrintable(connect.describe()), Timeout);
    } else {
        QTRY_COMPARE_WITH_TIMEOUT(serve.clientsOf(u"disconnected"_s).size(), 1, Timeout);
        QVERIFY(serve.isRunning());
    }
}

// --- Exit codes ----------------------------------------------------------------------------

void tst_Cli::givesUpWithoutServer_data()
{
    QTest::addColumn<QStringList>("arguments");  // after the socket path
    QTest::newRow("send") << QStringList{u"t"_s, u"1"_s, u"--timeout"_s, u"300"_s};
    QTest::newRow("connect") << QStringList{u"--timeout"_s, u"300"_s};
}

void tst_Cli::givesUpWithoutServer()
{
    QFETCH(QStringList, arguments);

    const QString command = QString::fromLatin1(QTest::currentDataTag());
    Tool tool;
    QElapsedTimer timer;
    timer.start();
    CHECKED(tool.start(QStringList{command, socketPath()} + arguments));
    QTRY_VERIFY_WITH_TIMEOUT(!tool.isRunning(), Timeout);
    const qint64 elapsed = timer.elapsed();
    QVERIFY2(tool.exitedWith(2), qPrintable(tool.describe()));
    QVERIFY2(tool.saidOnStderr(u"socketipc: no server at %1 within 300 ms\n"_s.arg(socketPath())),
             qPrintable(tool.describe()));
    QCOMPARE(tool.output(), QByteArray());
    // --timeout, not send's 5 s default.
    QVERIFY2(elapsed >= 300 && elapsed < 4000, qPrintable(u"gave up after %1 ms"_s.arg(elapsed)));
}

void tst_Cli::zeroTimeoutDoesNotGiveUpOnLiveServer_data()
{
    QTest::addColumn<bool>("send");  // else connect
    QTest::newRow("send") << true;
    QTest::newRow("connect") << false;
}

void tst_Cli::zeroTimeoutDoesNotGiveUpOnLiveServer()
{
    QFETCH(bool, send);

    // --timeout 0 means no limit: it never gives up, and with a server listening it connects.
    Tool serve;
    CHECKED(startServe(serve));
    Tool tool;
    if (send) {
        CHECKED(tool.start({u"send"_s, socketPath(), u"t"_s, u"1"_s, u"--timeout"_s, u"0"_s}));
        QTRY_VERIFY_WITH_TIMEOUT(!tool.isRunning(), Timeout);
    } else {
        CHECKED(tool.start({u"connect"_s, socketPath(), u"--timeout"_s, u"0"_s}));
        QTRY_COMPARE_WITH_TIMEOUT(serve.clientsOf(u"connected"_s).size(), 1, Timeout);
        serve.writeLine(R"({"topic":"t","message":1})");
        QTRY_VERIFY_WITH_TIMEOUT(!tool.lines().isEmpty() || !tool.isRunning(), Timeout);
    }
    QVERIFY2(!tool.saidOnStderr(u"no server"_s), qPrintable(tool.describe()));
    if (send) {
        QVERIFY2(tool.exitedWith(0), qPrintable(tool.describe()));
        QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), 1, Timeout);
    } else {
        QVERIFY2(tool.isRunning(), qPrintable(tool.describe()));
        QCOMPARE(tool.lines(), QByteArrayList{messageLine("t", "1")});
    }
}

void tst_Cli::wrongArgumentsExitWithUsage_data()
{
    QTest::addColumn<QStringList>("arguments");  // %1 is the socket path
    QTest::addColumn<QString>("error");

    QTest::newRow("no arguments") << QStringList{} << u"no command given"_s;
    QTest::newRow("only an option") << QStringList{u"--pretty"_s} << u"no command given"_s;
    QTest::newRow("unknown command")
            << QStringList{u"listen"_s, u"%1"_s} << uR"(unknown command "listen")"_s;
    QTest::newRow("unknown command alone")
            << QStringList{u"listen"_s} << uR"(unknown command "listen")"_s;
    QTest::newRow("serve without path") << QStringList{u"serve"_s} << u"serve needs an ADDRESS"_s;
    QTest::newRow("connect without path")
            << QStringList{u"connect"_s} << u"connect needs an ADDRESS"_s;
    QTest::newRow("send without path") << QStringList{u"send"_s} << u"send needs an ADDRESS"_s;
    QTest::newRow("empty path") << QStringList{u"serve"_s, u""_s} << u"serve needs an ADDRESS"_s;
    QTest::newRow("send without topic")
            << QStringList{u"send"_s, u"%1"_s} << u"send takes ADDRESS TOPIC [JSON]"_s;
    QTest::newRow("send with an extra argument")
            << QStringList{u"send"_s, u"%1"_s, u"t"_s, u"1"_s, u"2"_s}
            << u"send takes ADDRESS TOPIC [JSON]"_s;
    QTest::newRow("serve with an extra argument")
            << QStringList{u"serve"_s, u"%1"_s, u"extra"_s} << u"serve takes only an ADDRESS"_s;
    QTest::newRow("connect with an extra argument")
            << QStringList{u"connect"_s, u"%1"_s, u"extra"_s} << u"connect takes only an ADDRESS"_s;
    QTest::newRow("timeout not a number")
            << QStringList{u"connect"_s, u"%1"_s, u"--timeout"_s, u"soon"_s}
            << u"--timeout takes a number of milliseconds"_s;
    QTest::newRow("negative timeout")
            << QStringList{u"send"_s, u"%1"_s, u"t"_s, u"1"_s, u"--timeout"_s, u"-5"_s}
            << u"--timeout takes a number of milliseconds"_s;
    QTest::newRow("timeout without value") << QStringList{u"connect"_s, u"%1"_s, u"--timeout"_s}
                                           << u"Missing value after '--timeout'"_s;
    QTest::newRow("unknown option")
            << QStringList{u"serve"_s, u"%1"_s, u"--verbose"_s} << u"Unknown option 'verbose'"_s;
    QTest::newRow("relay for connect")
            << QStringList{u"connect"_s, u"%1"_s, u"--relay"_s} << u"--relay is for serve only"_s;
    QTest::newRow("relay-all for send")
            << QStringList{u"send"_s, u"%1"_s, u"t"_s, u"1"_s, u"--relay-all"_s}
            << u"--relay-all is for serve only"_s;
    QTest::newRow("relay and relay-all")
            << QStringList{u"serve"_s, u"%1"_s, u"--relay"_s, u"--relay-all"_s}
            << u"--relay and --relay-all exclude each other"_s;
    QTest::newRow("token file without value") << QStringList{u"serve"_s, u"%1"_s, u"--token-file"_s}
                                              << u"Missing value after '--token-file'"_s;
    QTest::newRow("abstract name without allow-uid")
            << QStringList{u"serve"_s, u"@socketipc-tst-cli"_s}
            << u"@socketipc-tst-cli is an abstract socket name: it has no file, so no file "
               u"permissions, and every local user could connect."_s;
    QTest::newRow("unix: abstract name without allow-uid")
            << QStringList{u"serve"_s, u"unix:@socketipc-tst-cli"_s}
            << u"unix:@socketipc-tst-cli is an abstract socket name"_s;
    QTest::newRow("allow-uid for connect")
            << QStringList{u"connect"_s, u"%1"_s, u"--allow-uid"_s, u"0"_s}
            << u"--allow-uid is for serve only"_s;
    QTest::newRow("allow-uid for send")
            << QStringList{u"send"_s, u"%1"_s, u"t"_s, u"1"_s, u"--allow-uid"_s, u"0"_s}
            << u"--allow-uid is for serve only"_s;
    QTest::newRow("allow-uid not a number")
            << QStringList{u"serve"_s, u"%1"_s, u"--allow-uid"_s, u"root"_s}
            << u"--allow-uid takes a numeric user id, not \"root\""_s;
    QTest::newRow("negative allow-uid")
            << QStringList{u"serve"_s, u"%1"_s, u"--allow-uid"_s, u"-1"_s}
            << u"--allow-uid takes a numeric user id, not \"-1\""_s;
    QTest::newRow("allow-uid for TCP")
            << QStringList{u"serve"_s, u"tcp://:0"_s, u"--allow-uid"_s, u"0"_s}
            << u"--allow-uid is for local sockets only: a network peer has no user id"_s;
}

void tst_Cli::wrongArgumentsExitWithUsage()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, error);

    for (QString &argument : arguments)
        argument.replace(u"%1"_s, socketPath());
    Tool tool;
    CHECKED(tool.start(arguments));
    QTRY_VERIFY_WITH_TIMEOUT(!tool.isRunning(), Timeout);
    QVERIFY2(tool.exitedWith(64), qPrintable(tool.describe()));
    QVERIFY2(tool.errorOutput().startsWith(u"socketipc: "_s + error), qPrintable(tool.describe()));
    QVERIFY2(tool.errorOutput().contains(u"\nUsage:\n  socketipc serve ADDRESS"_s),
             qPrintable(tool.describe()));
    QCOMPARE(tool.output(), QByteArray());
    QVERIFY(!QFileInfo::exists(socketPath()));  // nothing was started
}

void tst_Cli::unusableTokenFileIsUsageError_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QString>("file");         // in the test's directory
    QTest::addColumn<QByteArray>("contents");  // null: no such file; "/": a directory
    QTest::addColumn<QString>("error");        // %1: the file's path

    const QString unreadable = u"cannot read the token file %1: "_s;
    const QString noToken = u"the token file %1 holds no token: its first line is empty"_s;
    QTest::newRow("serve: no such file")
            << u"serve"_s << u"missing.token"_s << QByteArray() << unreadable;
    QTest::newRow("send: a directory")
            << u"send"_s << u"dir.token"_s << QByteArray("/") << unreadable;
    QTest::newRow("send: empty") << u"send"_s << u"empty.token"_s << QByteArray("") << noToken;
    QTest::newRow("connect: empty first line")
            << u"connect"_s << u"blank.token"_s << QByteArray("\nthe-second-line-0123456789\n")
            << noToken;
    QTest::newRow("serve: only spaces")
            << u"serve"_s << u"spaces.token"_s << QByteArray(" \t \r\n") << noToken;
}

void tst_Cli::unusableTokenFileIsUsageError()
{
    QFETCH(QString, command);
    QFETCH(QString, file);
    QFETCH(QByteArray, contents);
    QFETCH(QString, error);

    QString path = m_dir.filePath(file);
    if (contents == "/")
        QVERIFY(QDir(m_dir.path()).mkdir(file));
    else if (!contents.isNull())
        path = writeFile(file, contents);
    QStringList arguments{command, socketPath()};
    if (command == u"send"_s)
        arguments << u"t"_s << u"1"_s;
    arguments << u"--token-file"_s << path;
    Tool tool;
    CHECKED(tool.start(arguments));
    QTRY_VERIFY_WITH_TIMEOUT(!tool.isRunning(), Timeout);
    QVERIFY2(tool.exitedWith(64), qPrintable(tool.describe()));
    QVERIFY2(tool.errorOutput().startsWith(u"socketipc: "_s + error.arg(path)),
             qPrintable(tool.describe()));
    QVERIFY2(tool.errorOutput().contains(u"\nUsage:\n"_s), qPrintable(tool.describe()));
    QVERIFY(!QFileInfo::exists(socketPath()));  // nothing was started
}

void tst_Cli::refusedTokenFailsAtOnce_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QString>("token");   // empty: none
    QTest::addColumn<QString>("reason");  // on stderr

    QTest::newRow("send: wrong token") << u"send"_s << WrongToken << u"refused the token"_s;
    QTest::newRow("connect: wrong token") << u"connect"_s << WrongToken << u"refused the token"_s;
    QTest::newRow("connect: no token") << u"connect"_s << QString() << u"requires a token"_s;
}

void tst_Cli::refusedTokenFailsAtOnce()
{
    QFETCH(QString, command);
    QFETCH(QString, token);
    QFETCH(QString, reason);

    Tool serve;
    CHECKED(startServe(serve, {u"--token"_s, GoodToken}));
    QStringList arguments{command, socketPath()};
    if (command == u"send"_s)
        arguments << u"t"_s << u"1"_s;
    if (!token.isEmpty())
        arguments << u"--token"_s << token;
    // Retrying would be refused the same way: it fails at once, long before this timeout.
    arguments << u"--timeout"_s << u"60000"_s;
    Tool tool;
    CHECKED(tool.start(arguments));
    QTRY_VERIFY2_WITH_TIMEOUT(!tool.isRunning(), qPrintable(tool.describe()), Timeout);
    QVERIFY2(tool.exitedWith(1), qPrintable(tool.describe()));
    QVERIFY2(tool.saidOnStderr(reason), qPrintable(tool.describe()));
    QVERIFY2(!tool.saidOnStderr(u"retrying"_s), qPrintable(tool.describe()));
    QCOMPARE(tool.output(), QByteArray());
    QTRY_VERIFY2_WITH_TIMEOUT(serve.saidOnStderr(u"socketipc: refused a connection from "_s),
                              qPrintable(serve.describe()), Timeout);
    QCOMPARE(serve.clientsOf(u"connected"_s).size(), 0);
    QCOMPARE(serve.messageLines(), QByteArrayList());
}

void tst_Cli::sendRejectsInvalidJson_data()
{
    QTest::addColumn<QStringList>("arguments");  // after send PATH TOPIC
    QTest::addColumn<QByteArray>("input");       // on stdin

    QTest::newRow("argument") << QStringList{uR"({"a":)"_s} << QByteArray();
    QTest::newRow("empty argument") << QStringList{u""_s} << QByteArray();
    QTest::newRow("two values") << QStringList{u"1 2"_s} << QByteArray();
    QTest::newRow("single quotes") << QStringList{u"'text'"_s} << QByteArray();
    QTest::newRow("stdin") << QStringList{} << QByteArray("{\"a\":\n");
    QTest::newRow("empty stdin") << QStringList{} << QByteArray();
    QTest::newRow("two lines on stdin") << QStringList{} << QByteArray("1\n2\n");
}

void tst_Cli::sendRejectsInvalidJson()
{
    QFETCH(QStringList, arguments);
    QFETCH(QByteArray, input);

    Tool serve;
    CHECKED(startServe(serve));
    Tool send;
    CHECKED(send.start(QStringList{u"send"_s, socketPath(), u"t"_s} + arguments));
    send.write(input);
    send.closeStdin();
    QTRY_VERIFY_WITH_TIMEOUT(!send.isRunning(), Timeout);
    QVERIFY2(send.exitedWith(65), qPrintable(send.describe()));
    QVERIFY2(send.errorOutput().startsWith(u"socketipc: invalid JSON: "_s),
             qPrintable(send.describe()));

    // It never connected: the next send is the first client serve sees.
    Tool valid;
    CHECKED(valid.start({u"send"_s, socketPath(), u"t"_s, u"1"_s}));
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), 1, Timeout);
    QCOMPARE(serve.clientsOf(u"connected"_s).size(), 1);
}

void tst_Cli::serveFailsOnTakenPath_data()
{
    QTest::addColumn<bool>("liveServer");  // else a regular file
    QTest::newRow("live server") << true;
    QTest::newRow("regular file") << false;
}

void tst_Cli::serveFailsOnTakenPath()
{
    QFETCH(bool, liveServer);

    Tool first;
    if (liveServer) {
        CHECKED(startServe(first));
    } else {
        QFile file(socketPath());
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("data");
    }
    Tool second;
    CHECKED(second.start({u"serve"_s, socketPath()}));
    QTRY_VERIFY_WITH_TIMEOUT(!second.isRunning(), Timeout);
    QVERIFY2(second.exitedWith(1), qPrintable(second.describe()));
    QVERIFY2(second.saidOnStderr(u"socketipc: cannot listen: "_s), qPrintable(second.describe()));
    QVERIFY2(second.saidOnStderr(socketPath()), qPrintable(second.describe()));

    if (liveServer) {
        // The first server is untouched.
        Tool connect;
        QString id;
        CHECKED(startConnect(connect, first, &id));
    } else {
        QFile file(socketPath());
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray("data"));
    }
}

void tst_Cli::helpPrintsUsage_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::newRow("--help") << QStringList{u"--help"_s};
    QTest::newRow("-h") << QStringList{u"-h"_s};
    QTest::newRow("with a command") << QStringList{u"serve"_s, u"%1"_s, u"--help"_s};
}

void tst_Cli::helpPrintsUsage()
{
    QFETCH(QStringList, arguments);

    for (QString &argument : arguments)
        argument.replace(u"%1"_s, socketPath());
    Tool tool;
    CHECKED(tool.start(arguments));
    QTRY_VERIFY_WITH_TIMEOUT(!tool.isRunning(), Timeout);
    QVERIFY2(tool.exitedWith(0), qPrintable(tool.describe()));
    const QString usage = QString::fromUtf8(tool.output());
    QVERIFY2(usage.startsWith(u"Usage:\n"_s), qPrintable(usage));
    for (const QString &part :
         {u"socketipc serve ADDRESS"_s, u"socketipc connect ADDRESS"_s,
          u"socketipc send ADDRESS TOPIC [JSON]"_s, u"--topic NAME"_s, u"--cert FILE"_s,
          u"--token TOKEN"_s, u"--token-file FILE"_s, u"SOCKETIPC_TOKEN"_s,
          u"Other users see TOKEN in ps"_s, u"--allow-uid UID"_s, u"--codec NAME"_s,
          u"--timeout MS"_s, u"--pretty"_s, u"--version"_s, u"--relay "_s, u"--relay-all "_s,
          u"Exit codes: 0 done, 1 failure, 2 no server in time, 64 wrong "
          u"arguments, 65 invalid JSON."_s})
        QVERIFY2(usage.contains(part), qPrintable(part));
    QCOMPARE(tool.errorOutput(), QString());
    QVERIFY(!QFileInfo::exists(socketPath()));
}

void tst_Cli::versionPrintsModuleVersion()
{
    // .qmake.conf is the single home of the version.
    QFile conf(QStringLiteral(SOCKETIPC_SOURCE_DIR "/.qmake.conf"));
    QVERIFY2(conf.open(QIODevice::ReadOnly), qPrintable(conf.errorString()));
    const QRegularExpressionMatch match =
            QRegularExpression(uR"(^MODULE_VERSION *= *([0-9.]+)\s*$)"_s,
                               QRegularExpression::MultilineOption)
                    .match(QString::fromUtf8(conf.readAll()));
    QVERIFY2(match.hasMatch(), "no MODULE_VERSION in .qmake.conf");

    Tool tool;
    CHECKED(tool.start({u"--version"_s}));
    QTRY_VERIFY_WITH_TIMEOUT(!tool.isRunning(), Timeout);
    QVERIFY2(tool.exitedWith(0), qPrintable(tool.describe()));
    QCOMPARE(QString::fromUtf8(tool.output()), u"socketipc %1\n"_s.arg(match.captured(1)));
    QCOMPARE(tool.errorOutput(), QString());
}

// --- Signals, retries and reconnects -------------------------------------------------------

void tst_Cli::serveCleansUpOnSignal_data()
{
    QTest::addColumn<int>("signal");
    QTest::newRow("SIGTERM") << int(SIGTERM);
    QTest::newRow("SIGINT") << int(SIGINT);
}

void tst_Cli::serveCleansUpOnSignal()
{
    QFETCH(int, signal);

    Tool serve;
    CHECKED(startServe(serve));
    Tool connect;
    QString id;
    // Also proves serve is in its event loop, with its signal handlers installed.
    CHECKED(startConnect(connect, serve, &id));

    serve.sendSignal(signal);
    QTRY_VERIFY_WITH_TIMEOUT(!serve.isRunning(), Timeout);
    QVERIFY2(serve.exitedWith(0), qPrintable(serve.describe()));
    QVERIFY2(!QFileInfo::exists(socketPath()), "serve left its socket file behind");
    QCOMPARE(serve.lines().last(), eventLine("disconnected", id));
    // The client saw a server going away, not a crash of its own.
    QTRY_VERIFY2_WITH_TIMEOUT(connect.saidOnStderr(u"socketipc: disconnected; reconnecting\n"_s),
                              qPrintable(connect.describe()), Timeout);
    QVERIFY(connect.isRunning());
}

void tst_Cli::connectExitsOnSignal_data()
{
    QTest::addColumn<int>("signal");
    QTest::addColumn<bool>("connected");  // else still retrying
    QTest::newRow("SIGTERM, connected") << int(SIGTERM) << true;
    QTest::newRow("SIGINT, connected") << int(SIGINT) << true;
    QTest::newRow("SIGTERM, retrying") << int(SIGTERM) << false;
    QTest::newRow("SIGINT, retrying") << int(SIGINT) << false;
}

void tst_Cli::connectExitsOnSignal()
{
    QFETCH(int, signal);
    QFETCH(bool, connected);

    Tool serve;
    Tool connect;
    QString id;
    if (connected) {
        CHECKED(startServe(serve));
        CHECKED(startConnect(connect, serve, &id));
    } else {
        CHECKED(connect.start({u"connect"_s, socketPath()}));
        QTRY_VERIFY2_WITH_TIMEOUT(connect.saidOnStderr(u"; retrying every 250 ms\n"_s),
                                  qPrintable(connect.describe()), Timeout);
    }

    connect.sendSignal(signal);
    QTRY_VERIFY_WITH_TIMEOUT(!connect.isRunning(), Timeout);
    QVERIFY2(connect.exitedWith(0), qPrintable(connect.describe()));
    if (connected) {
        QTRY_COMPARE_WITH_TIMEOUT(serve.clientsOf(u"disconnected"_s), QStringList{id}, Timeout);
        QVERIFY(serve.isRunning());
    }
}

void tst_Cli::connectRetriesUntilServeListens()
{
    Tool connect;
    CHECKED(connect.start({u"connect"_s, socketPath()}));
    // Read while there is no server: sent once there is one.
    connect.writeLine(R"({"topic":"early","message":"queued"})");
    QTRY_VERIFY2_WITH_TIMEOUT(
            connect.saidOnStderr(u"socketipc: no socket at %1 (is the server running?); "
                                 u"retrying every 250 ms\n"_s.arg(socketPath())),
            qPrintable(connect.describe()), Timeout);
    QVERIFY(!connect.saidOnStderr(u"connected to"_s));

    Tool serve;
    CHECKED(startServe(serve));
    QTRY_VERIFY2_WITH_TIMEOUT(
            connect.saidOnStderr(u"socketipc: connected to %1\n"_s.arg(socketPath())),
            qPrintable(connect.describe()), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(serve.clientsOf(u"connected"_s).size(), 1, Timeout);
    const QString id = serve.clientsOf(u"connected"_s).at(0);
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines(),
                              QByteArrayList{serveMessageLine("early", R"("queued")", id)},
                              Timeout);
    // One report of the failed attempts, not one per retry.
    QCOMPARE(connect.errorOutput().count(u"retrying every"_s), 1);
}

void tst_Cli::connectReconnectsAfterServeRestart()
{
    auto serve = std::make_unique<Tool>();
    CHECKED(startServe(*serve));
    Tool connect;
    QString firstId;
    CHECKED(startConnect(connect, *serve, &firstId));

    // Killed outright: no clean close, and a stale socket file left behind.
    serve->kill();
    QTRY_VERIFY2_WITH_TIMEOUT(connect.saidOnStderr(u"socketipc: disconnected; reconnecting\n"_s),
                              qPrintable(connect.describe()), Timeout);
    QVERIFY(connect.isRunning());
    serve = std::make_unique<Tool>();
    CHECKED(startServe(*serve));
    QTRY_VERIFY2_WITH_TIMEOUT(connect.saidOnStderr(u"socketipc: reconnected\n"_s),
                              qPrintable(connect.describe()), Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(serve->clientsOf(u"connected"_s).size(), 1, Timeout);
    const QString secondId = serve->clientsOf(u"connected"_s).at(0);
    QVERIFY(secondId != firstId);

    connect.writeLine(R"({"topic":"back","message":"up"})");
    QTRY_COMPARE_WITH_TIMEOUT(serve->messageLines(),
                              QByteArrayList{serveMessageLine("back", R"("up")", secondId)},
                              Timeout);
    serve->writeLine(R"({"topic":"back","message":"down"})");
    QTRY_COMPARE_WITH_TIMEOUT(connect.lines(), QByteArrayList{messageLine("back", R"("down")")},
                              Timeout);
}

// --- Who may connect ---------------------------------------------------------------------

void tst_Cli::abstractNameNeedsAllowUid()
{
    // No file, so no permissions: serve will not open one to every local user unasked, and
    // says how to allow oneself.
    Tool serve;
    CHECKED(serve.start(
            {u"serve"_s,
             u"@socketipc-tst-cli-%1"_s.arg(QUuid::createUuid().toString(QUuid::WithoutBraces))}));
    QTRY_VERIFY_WITH_TIMEOUT(!serve.isRunning(), Timeout);
    QVERIFY2(serve.exitedWith(64), qPrintable(serve.describe()));
    QVERIFY2(serve.saidOnStderr(u"every local user could connect"_s), qPrintable(serve.describe()));
    QVERIFY2(serve.saidOnStderr(u"--allow-uid %1"_s.arg(::getuid())), qPrintable(serve.describe()));
    QCOMPARE(serve.output(), QByteArray());
}

void tst_Cli::allowUidAdmitsOnlyThoseUsers_data()
{
    QTest::addColumn<bool>("abstract");       // else a socket path
    QTest::addColumn<QList<int>>("offsets");  // --allow-uid getuid() + each
    QTest::addColumn<bool>("admitted");

    QTest::newRow("abstract, own uid") << true << QList<int>{0} << true;
    QTest::newRow("abstract, own among others") << true << QList<int>{1, 0, 2} << true;
    QTest::newRow("abstract, another uid") << true << QList<int>{1} << false;
    QTest::newRow("path, another uid") << false << QList<int>{1} << false;
}

void tst_Cli::allowUidAdmitsOnlyThoseUsers()
{
    QFETCH(bool, abstract);
    QFETCH(QList<int>, offsets);
    QFETCH(bool, admitted);

    const QString address = abstract
            ? u"@socketipc-tst-cli-%1"_s.arg(QUuid::createUuid().toString(QUuid::WithoutBraces))
            : socketPath();
    QStringList options;
    for (int offset : offsets)
        options << u"--allow-uid"_s << QString::number(int(::getuid()) + offset);
    Tool serve;
    CHECKED(serve.start(QStringList{u"serve"_s, address} + options));
    Tool connect;
    CHECKED(connect.start({u"connect"_s, address}));  // retries until serve listens
    if (admitted) {
        QTRY_COMPARE_WITH_TIMEOUT(serve.clientsOf(u"connected"_s).size(), 1, Timeout);
        serve.writeLine(messageLine("t", "1"));
        QTRY_COMPARE_WITH_TIMEOUT(connect.lines(), QByteArrayList{messageLine("t", "1")}, Timeout);
        QCOMPARE(serve.errorOutput(), QString());
    } else {
        // Turned away before a byte is read: the client sees its connection end, again and
        // again; the server says why.
        QTRY_VERIFY2_WITH_TIMEOUT(
                serve.saidOnStderr(u"socketipc: refused a connection from pid %1, uid %2: "_s
                                           .arg(connect.process().processId())
                                           .arg(::getuid())),
                qPrintable(serve.describe()), Timeout);
        QVERIFY2(serve.saidOnStderr(u"allowedUserIds"_s), qPrintable(serve.describe()));
        QCOMPARE(serve.clientsOf(u"connected"_s), QStringList());
        QVERIFY(serve.isRunning());
    }
}

// --- The Node library on the other end -----------------------------------------------------

void tst_Cli::nodeServerTalksToConnect()
{
    QFETCH(QString, json);
    const QByteArray jsonBytes = json.toUtf8();

    TestPeer node;
    CHECKED(startNodeServer(node));
    Tool connect;
    CHECKED(connect.start({u"connect"_s, socketPath()}));
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"clientConnected"_s), 1, Timeout);
    const QString id = node.eventsNamed(u"clientConnected"_s).at(0).value(u"client").toString();

    node.command({{u"broadcast"_s, u"to all"_s}, {u"json"_s, json}});
    node.command({{u"send"_s, u"to one"_s}, {u"json"_s, json}, {u"client"_s, id}});
    QTRY_COMPARE_WITH_TIMEOUT(
            connect.lines(),
            QByteArrayList({messageLine("to all", jsonBytes), messageLine("to one", jsonBytes)}),
            Timeout);

    connect.writeLine(messageLine("from cli", jsonBytes));
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 1, Timeout);
    const QJsonObject received = node.eventsNamed(u"message"_s).at(0);
    QCOMPARE(received.value(u"topic").toString(), u"from cli"_s);
    QCOMPARE(received.value(u"json").toString(), json);  // as JSON.stringify writes it
    QCOMPARE(received.value(u"client").toString(), id);
    QVERIFY(!node.has(u"error"_s));
    QVERIFY2(!connect.saidOnStderr(u"error"_s), qPrintable(connect.describe()));
}

void tst_Cli::nodeClientTalksToServe()
{
    QFETCH(QString, json);
    const QByteArray jsonBytes = json.toUtf8();

    Tool serve;
    CHECKED(startServe(serve));
    TestPeer node;
    QString id;
    CHECKED(startNodeClient(node, serve, &id));

    node.command({{u"send"_s, u"from node"_s}, {u"json"_s, json}});
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines(),
                              QByteArrayList{serveMessageLine("from node", jsonBytes, id)},
                              Timeout);

    serve.writeLine(messageLine("to all", jsonBytes));
    serve.writeLine(R"({"topic":"to one","message":)" + jsonBytes + R"(,"client":")" + id.toUtf8()
                    + R"("})");
    QTRY_COMPARE_WITH_TIMEOUT(node.count(u"message"_s), 2, Timeout);
    const QList<QJsonObject> received = node.eventsNamed(u"message"_s);
    QCOMPARE(received.at(0).value(u"topic").toString(), u"to all"_s);
    QCOMPARE(received.at(0).value(u"json").toString(), json);
    QCOMPARE(received.at(1).value(u"topic").toString(), u"to one"_s);
    QCOMPARE(received.at(1).value(u"json").toString(), json);
    QVERIFY(!node.has(u"error"_s));
    QCOMPARE(serve.errorOutput(), QString());
}

void tst_Cli::serveSendsToOneNodeClient()
{
    Tool serve;
    CHECKED(startServe(serve));
    TestPeer first;
    TestPeer second;
    QString firstId;
    QString secondId;
    CHECKED(startNodeClient(first, serve, &firstId));
    CHECKED(startNodeClient(second, serve, &secondId));
    QVERIFY(firstId != secondId);

    // serve tells the Node clients apart...
    first.command({{u"send"_s, u"hello"_s}, {u"message"_s, u"first"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), 1, Timeout);
    second.command({{u"send"_s, u"hello"_s}, {u"message"_s, u"second"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines(),
                              QByteArrayList({serveMessageLine("hello", R"("first")", firstId),
                                              serveMessageLine("hello", R"("second")", secondId)}),
                              Timeout);

    // ... and sends to one of them only.
    serve.writeLine(R"({"topic":"private","message":"for the second","client":")"
                    + secondId.toUtf8() + R"("})");
    serve.writeLine(R"({"topic":"marker","message":null})");
    QTRY_COMPARE_WITH_TIMEOUT(second.count(u"message"_s), 2, Timeout);
    QTRY_COMPARE_WITH_TIMEOUT(first.count(u"message"_s), 1, Timeout);
    QCOMPARE(second.eventsNamed(u"message"_s).at(0).value(u"topic").toString(), u"private"_s);
    QCOMPARE(second.eventsNamed(u"message"_s).at(0).value(u"json").toString(),
             uR"("for the second")"_s);
    QCOMPARE(second.eventsNamed(u"message"_s).at(1).value(u"topic").toString(), u"marker"_s);
    QCOMPARE(first.eventsNamed(u"message"_s).at(0).value(u"topic").toString(), u"marker"_s);
    QCOMPARE(serve.errorOutput(), QString());
}

namespace {
// The address a "serve ...:0" says it listens on.
QString listeningAddress(const Tool &serve)
{
    const QString err = serve.errorOutput();
    const qsizetype at = err.indexOf(u"listening on "_s);
    return at < 0 ? QString() : err.mid(at + 13).section(u'\n', 0, 0).trimmed();
}
}  // namespace

void tst_Cli::tcpWithTokenBetweenProcesses()
{
    Tool serve;
    CHECKED(serve.start({u"serve"_s, u"tcp://:0"_s, u"--token"_s, u"s3cret"_s}));
    QTRY_VERIFY_WITH_TIMEOUT(!listeningAddress(serve).isEmpty() || !serve.isRunning(), Timeout);
    const QString address = listeningAddress(serve);
    QVERIFY2(address.startsWith(u"tcp://127.0.0.1:"_s), qPrintable(serve.describe()));

    // A client that has no token is challenged for one, and gives up: it never will have one.
    Tool intruder;
    CHECKED(intruder.start({u"connect"_s, address}));
    QTRY_VERIFY2_WITH_TIMEOUT(!intruder.isRunning(), qPrintable(intruder.describe()), Timeout);
    QVERIFY2(intruder.exitedWith(1), qPrintable(intruder.describe()));
    QVERIFY2(intruder.saidOnStderr(u"requires a token"_s), qPrintable(intruder.describe()));
    QTRY_VERIFY2_WITH_TIMEOUT(serve.saidOnStderr(u"no token"_s), qPrintable(serve.describe()),
                              Timeout);
    QCOMPARE(serve.clientsOf(u"connected"_s).size(), 0);

    Tool send;
    CHECKED(send.start(
            {u"send"_s, address, u"t"_s, u"{\"ok\":true}"_s, u"--token"_s, u"s3cret"_s}));
    QTRY_VERIFY_WITH_TIMEOUT(!send.isRunning(), Timeout);
    QVERIFY2(send.exitedWith(0), qPrintable(send.describe()));
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), 1, Timeout);
    QVERIFY2(serve.messageLines().at(0).startsWith(R"({"topic":"t","message":{"ok":true})"),
             serve.messageLines().at(0).constData());
}

void tst_Cli::tlsBetweenProcesses()
{
    const QString certs = certificates();
    QVERIFY2(!certs.isEmpty(), "make-certs.sh failed");
    Tool serve;
    CHECKED(serve.start({u"serve"_s, u"tls://127.0.0.1:0"_s, u"--cert"_s, certs + u"/server.crt"_s,
                         u"--key"_s, certs + u"/server.key"_s, u"--codec"_s, u"cbor"_s}));
    QTRY_VERIFY_WITH_TIMEOUT(!listeningAddress(serve).isEmpty() || !serve.isRunning(), Timeout);
    const QString address = listeningAddress(serve);
    QVERIFY2(address.startsWith(u"tls://127.0.0.1:"_s), qPrintable(serve.describe()));

    Tool connect;
    CHECKED(connect.start(
            {u"connect"_s, address, u"--ca"_s, certs + u"/ca.crt"_s, u"--codec"_s, u"cbor"_s}));
    QTRY_COMPARE_WITH_TIMEOUT(serve.clientsOf(u"connected"_s).size(), 1, Timeout);
    connect.writeLine(R"({"topic":"up","message":[1,"two"]})");
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines().size(), 1, Timeout);
    QVERIFY(serve.messageLines().at(0).startsWith(R"({"topic":"up","message":[1,"two"])"));
    serve.writeLine(R"({"topic":"down","message":"over TLS"})");
    QTRY_COMPARE_WITH_TIMEOUT(connect.messageLines().size(), 1, Timeout);
    QCOMPARE(connect.messageLines().at(0), QByteArray(R"({"topic":"down","message":"over TLS"})"));
}

void tst_Cli::tlsClientRefusesUntrustedServer_data()
{
    QTest::addColumn<QString>("command");      // send or connect
    QTest::addColumn<QString>("certificate");  // the server's, from make-certs.sh
    QTest::addColumn<bool>("trustTestCa");     // --ca ca.crt, else the system's CAs only
    QTest::addColumn<QString>("reason");       // on stderr

    for (const QString &command : {u"send"_s, u"connect"_s}) {
        const QByteArray tag = command.toUtf8();
        QTest::addRow("%s: expired", tag.constData())
                << command << u"expired"_s << true << u"The certificate has expired"_s;
        QTest::addRow("%s: another CA", tag.constData())
                << command << u"untrusted"_s << true << u"No certificates could be verified"_s;
        QTest::addRow("%s: another host name", tag.constData())
                << command << u"wronghost"_s << true
                << u"The host name did not match any of the valid hosts"_s;
        QTest::addRow("%s: not a system CA", tag.constData())
                << command << u"server"_s << false << u"No certificates could be verified"_s;
    }
}

void tst_Cli::tlsClientRefusesUntrustedServer()
{
    QFETCH(QString, command);
    QFETCH(QString, certificate);
    QFETCH(bool, trustTestCa);
    QFETCH(QString, reason);

    const QString certs = certificates();
    QVERIFY2(!certs.isEmpty(), "make-certs.sh failed");
    Tool serve;
    CHECKED(serve.start({u"serve"_s, u"tls://127.0.0.1:0"_s, u"--cert"_s,
                         certs + u'/' + certificate + u".crt"_s, u"--key"_s,
                         certs + u'/' + certificate + u".key"_s}));
    QTRY_VERIFY_WITH_TIMEOUT(!listeningAddress(serve).isEmpty() || !serve.isRunning(), Timeout);
    QStringList arguments{command, listeningAddress(serve)};
    if (command == u"send"_s)
        arguments << u"t"_s << u"1"_s;
    if (trustTestCa)
        arguments << u"--ca"_s << certs + u"/ca.crt"_s;
    // A retry would meet the same certificate: it fails at once, long before this timeout.
    arguments << u"--timeout"_s << u"60000"_s;
    Tool tool;
    CHECKED(tool.start(arguments));
    QTRY_VERIFY2_WITH_TIMEOUT(!tool.isRunning(), qPrintable(tool.describe()), Timeout);
    QVERIFY2(tool.exitedWith(1), qPrintable(tool.describe()));
    QVERIFY2(tool.saidOnStderr(u": TLS: "_s), qPrintable(tool.describe()));
    QVERIFY2(tool.saidOnStderr(reason), qPrintable(tool.describe()));
    QVERIFY2(!tool.saidOnStderr(u"retrying"_s), qPrintable(tool.describe()));
    QCOMPARE(tool.output(), QByteArray());
    QCOMPARE(serve.clientsOf(u"connected"_s).size(), 0);
}

void tst_Cli::tokenFromFileOrEnvironment_data()
{
    // In the options, %good, %crlf and %wrong are token files: GoodToken on a line of its
    // own; GoodToken with trailing spaces, a CRLF and a second line; WrongToken.
    QTest::addColumn<QStringList>("serveOptions");
    QTest::addColumn<QString>("serveVariable");  // SOCKETIPC_TOKEN; empty: unset
    QTest::addColumn<QStringList>("connectOptions");
    QTest::addColumn<QString>("connectVariable");

    const QStringList goodFile{u"--token-file"_s, u"%good"_s};
    QTest::newRow("serve file, connect variable")
            << goodFile << QString() << QStringList{} << GoodToken;
    QTest::newRow("serve variable, connect file")
            << QStringList{} << GoodToken << goodFile << QString();
    QTest::newRow("first line without trailing spaces")
            << QStringList{u"--token-file"_s, u"%crlf"_s} << QString() << QStringList{}
            << GoodToken;
    QTest::newRow("--token before --token-file and variable")
            << goodFile << QString()
            << QStringList{u"--token"_s, GoodToken, u"--token-file"_s, u"%wrong"_s} << WrongToken;
    QTest::newRow("--token-file before variable")
            << QStringList{u"--token"_s, GoodToken} << QString() << goodFile << WrongToken;
}

void tst_Cli::tokenFromFileOrEnvironment()
{
    QFETCH(QStringList, serveOptions);
    QFETCH(QString, serveVariable);
    QFETCH(QStringList, connectOptions);
    QFETCH(QString, connectVariable);

    const QString good = writeFile(u"good.token"_s, GoodToken.toUtf8() + '\n');
    const QString crlf = writeFile(u"crlf.token"_s, GoodToken.toUtf8() + " \t\r\nsecond line\n");
    const QString wrong = writeFile(u"wrong.token"_s, WrongToken.toUtf8() + '\n');
    const auto withFiles = [&](QStringList options) {
        for (QString &option : options) {
            option.replace(u"%good"_s, good);
            option.replace(u"%crlf"_s, crlf);
            option.replace(u"%wrong"_s, wrong);
        }
        return options;
    };

    Tool serve;
    serve.setTokenVariable(serveVariable);
    CHECKED(startServe(serve, withFiles(serveOptions)));
    Tool connect;
    connect.setTokenVariable(connectVariable);
    QString id;
    CHECKED(startConnect(connect, serve, &id, withFiles(connectOptions)));
    connect.writeLine(messageLine("up", "1"));
    QTRY_COMPARE_WITH_TIMEOUT(serve.messageLines(), QByteArrayList{serveMessageLine("up", "1", id)},
                              Timeout);
    serve.writeLine(messageLine("down", "2"));
    QTRY_COMPARE_WITH_TIMEOUT(connect.lines(), QByteArrayList{messageLine("down", "2")}, Timeout);
    QVERIFY2(!serve.saidOnStderr(u"refused"_s), qPrintable(serve.describe()));
}

QTEST_GUILESS_MAIN(tst_Cli)

#include "tst_cli.moc"
