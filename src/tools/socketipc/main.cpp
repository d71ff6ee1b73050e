// socketipc: tap into a socket-ipc bus from a shell. See usage() and docs/src/socketipc-cli.qdoc.

#include "ipcframe_p.h"
#include "jsonlines.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcCodec>
#include <SocketIpc/IpcReply>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcTopic>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qfile.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qtimer.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <functional>
#include <limits>
#include <optional>
#include <type_traits>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {

enum ExitCode {
    Success = 0,
    Failure = 1,      // could not listen, or the connection failed for good
    NoServer = 2,     // no server within --timeout
    UsageError = 64,  // EX_USAGE
    DataError = 65,   // EX_DATAERR: send was given invalid JSON
};

constexpr int DefaultSendTimeout = 5000;
constexpr int RetryDelay = 250;

const char usageText[] = R"(Usage:
  socketipc serve ADDRESS             run a server at ADDRESS
  socketipc connect ADDRESS           run a client of the server at ADDRESS
  socketipc send ADDRESS TOPIC [JSON] send one message (JSON, or a JSON document on stdin);
                                      a negative number is JSON too: send ADDRESS t -1
  socketipc monitor ADDRESS           watch a server that allows it (serve --allow-monitor):
                                      one JSON line per message in or out, connect,
                                      disconnect and error; --topic takes patterns
                                      (sensor.*, sensor.#)
  socketipc stats ADDRESS             print that server's statistics as one JSON object

ADDRESS is a service name (org.example.bus: a socket in your runtime directory,
$XDG_RUNTIME_DIR/org.example.bus), a socket path (./app.sock, /run/app.sock, unix:PATH),
tcp://HOST:PORT or tls://HOST:PORT; serve with an empty HOST (tcp://:7000) listens on the
loopback interface only. Started by systemd socket activation (LISTEN_FDS), serve takes
the socket it was given for ADDRESS.

serve prints each message as {"topic":...,"message":...,"client":ID} and each connection
change as {"event":"connected"|"disconnected","client":ID}; each stdin line
{"topic":...,"message":...} is broadcast, or sent to one client with "client":ID.
connect prints each message as {"topic":...,"message":...} and sends each stdin line
{"topic":...,"message":...}; it retries and reconnects, and says so on stderr.

Options:
  --topic NAME       print only messages on this topic (repeatable)
  --timeout MS       give up connecting after MS milliseconds with exit code 2
                     (send: 5000 by default; connect: wait forever by default; 0: forever)
  --pretty           indent the JSON output
  --codec NAME       the wire format, json (the default) or cbor; both ends must agree
  --token TOKEN      serve: require clients to prove they hold TOKEN (it never travels);
                     connect, send: prove it. Other users see TOKEN in ps: prefer
                     --token-file or SOCKETIPC_TOKEN
  --token-file FILE  the token is the first line of FILE (trailing spaces dropped)
  SOCKETIPC_TOKEN    (environment variable) the token, when neither option is given;
                     --token comes first, then --token-file, then SOCKETIPC_TOKEN
  --allow-uid UID    serve on a local socket: only processes of user UID may connect, as
                     the kernel reports them (repeatable). An abstract name (@NAME) has no
                     file and so no permissions: every local user could connect, so serve
                     @NAME refuses to start without --allow-uid
  --relay            serve: pass each client's message on to every other client, as a hub
                     (every topic, whatever --topic prints; requests are not relayed)
  --relay-all        serve: the same, and back to its sender too
  --allow-monitor    serve: let monitor and stats attach (same token, TLS and uid rules)
  --watch MS         stats: print them again every MS milliseconds
  --cert FILE        TLS: this end's certificate (PEM): the server's, or a client's
  --key FILE         TLS: the private key of --cert (PEM)
  --ca FILE          TLS: the CA certificates to trust (PEM): connect and send verify the
                     server with them instead of the system's; serve verifies client
                     certificates with them and requires one
  --help             show this help
  --version          show the version

Exit codes: 0 done, 1 failure, 2 no server in time, 64 wrong arguments, 65 invalid JSON.
connect and send retry while there is no server, but a refusal (a wrong or missing token)
or a TLS failure (an untrusted, expired or misnamed certificate) is a failure at once: a
retry would fail the same way. serve and connect stop with a failure when their standard
output is closed (serve ... | head).
)";

void printError(const QString &text)
{
    std::fprintf(stderr, "socketipc: %s\n", qUtf8Printable(text));
    std::fflush(stderr);
}

int usageError(const QString &why)
{
    printError(why);
    std::fputs(usageText, stderr);
    return UsageError;
}

enum class Relay {
    Off,
    Others,  // --relay
    All,     // --relay-all
};

struct Options
{
    QString path;
    QStringList topics;
    std::optional<int> timeout;
    bool pretty = false;
    QString codec;
    QString token;
    QString certificate;
    QString privateKey;
    QString ca;
    QList<int> allowedUserIds;
    Relay relay = Relay::Off;
    bool allowMonitors = false;
    int watch = 0;  // stats: ms between prints; 0: once

    bool wants(const QString &topic) const { return topics.isEmpty() || topics.contains(topic); }
    // monitor: --topic may be a pattern (sensor.*, sensor.#), as IpcTopic's names.
    bool wantsMatching(const QString &topic) const
    {
        return topics.isEmpty()
                || std::any_of(topics.cbegin(), topics.cend(), [&topic](const QString &pattern) {
                       return IpcTopic::matches(pattern, topic);
                   });
    }
};

void configure(IpcEndpoint &endpoint, const Options &options)
{
    if (!options.codec.isEmpty())
        endpoint.setCodecName(options.codec);
    endpoint.setAuthToken(options.token);
    auto *server = qobject_cast<IpcServer *>(&endpoint);
    if (server) {
        server->setAllowedUserIds(options.allowedUserIds);
        server->setAllowMonitors(options.allowMonitors);
    }
    IpcTlsSettings tls;
    tls.setCertificateFile(options.certificate);
    tls.setPrivateKeyFile(options.privateKey);
    tls.setCaFile(options.ca);
    // A server given a CA requires client certificates it signs.
    tls.setRequireClientCertificate(server && !options.ca.isEmpty());
    endpoint.setTls(tls);
}

// A refusal (a wrong or missing token) or a failed TLS handshake (an untrusted, expired or
// misnamed certificate) fails the same way on every retry: connect and send give up.
bool isFinal(IpcError::Error error)
{
    return error == IpcError::ClientRefusedError || error == IpcError::TlsError;
}

// --token-file: the file's first line, without its line end and trailing spaces.
std::optional<QString> readTokenFile(const QString &path, QString *why)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        *why = u"cannot read the token file %1: %2"_s.arg(path, file.errorString());
        return {};
    }
    QString token = QString::fromUtf8(file.readLine());
    while (!token.isEmpty() && token.back().isSpace())
        token.chop(1);
    if (token.isEmpty()) {
        *why = u"the token file %1 holds no token: its first line is empty"_s.arg(path);
        return {};
    }
    return token;
}

// "@name" (or "unix:@name"): a Linux abstract socket name, which has no file.
bool isAbstractName(const QString &address)
{
    const QStringView path =
            address.startsWith("unix:"_L1) ? QStringView(address).mid(5) : QStringView(address);
    return path.startsWith(u'@');
}

bool isNetworkAddress(const QString &address)
{
    return address.startsWith("tcp://"_L1) || address.startsWith("tls://"_L1);
}

// SIGINT and SIGTERM as a Qt signal, through a self-pipe.
class TerminationWatcher : public QObject
{
    Q_OBJECT
public:
    TerminationWatcher()
    {
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s_fds) != 0)
            return;
        m_notifier = new QSocketNotifier(s_fds[1], QSocketNotifier::Read, this);
        connect(m_notifier, &QSocketNotifier::activated, this, [this] {
            char byte;
            if (::read(s_fds[1], &byte, 1) == 1)
                emit terminationRequested();
        });
        struct sigaction action = {};
        action.sa_handler = [](int) {
            const char byte = 1;
            [[maybe_unused]] const ssize_t n = ::write(s_fds[0], &byte, 1);
        };
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        ::sigaction(SIGINT, &action, nullptr);
        ::sigaction(SIGTERM, &action, nullptr);
    }

Q_SIGNALS:
    void terminationRequested();

private:
    static inline int s_fds[2] = {-1, -1};
    QSocketNotifier *m_notifier = nullptr;
};

// Standard input, line by line, without blocking the event loop.
class StdinLines : public QObject
{
    Q_OBJECT
public:
    explicit StdinLines(std::function<void(const QByteArray &, int)> handler)
        : m_reader(std::move(handler)), m_notifier(STDIN_FILENO, QSocketNotifier::Read)
    {
        connect(&m_notifier, &QSocketNotifier::activated, this, [this] {
            char buffer[64 * 1024];
            const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
            if (n > 0) {
                m_reader.feed(QByteArray(buffer, n));
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                m_notifier.setEnabled(false);  // end of input: keep running on the socket
                m_reader.finish();
            }
        });
    }

private:
    JsonLines::Reader m_reader;
    QSocketNotifier m_notifier;
};

// A stdin line's {"topic": string, "message": any[, "client": string]}.
struct Command
{
    QString topic;
    QVariant message;
    std::optional<QString> client;  // for one client only, even an empty (unknown) id
};

std::optional<Command> parseCommand(const QByteArray &line, int number, bool allowClient)
{
    QVariant value;
    QString why;
    if (!IpcFrame::decodeValue(line, &value, &why)) {
        printError(u"line %1: invalid JSON: %2"_s.arg(number).arg(why));
        return {};
    }
    const QVariantMap object = value.toMap();
    if (value.typeId() != QMetaType::QVariantMap
        || object.value(u"topic"_s).typeId() != QMetaType::QString) {
        printError(u"line %1: expected {\"topic\": string, \"message\": JSON}"_s.arg(number));
        return {};
    }
    Command command{object.value(u"topic"_s).toString(), object.value(u"message"_s), {}};
    if (object.contains(u"client"_s)) {
        if (!allowClient || object.value(u"client"_s).typeId() != QMetaType::QString) {
            printError(
                    u"line %1: \"client\" must be a client id, and only for serve"_s.arg(number));
            return {};
        }
        command.client = object.value(u"client"_s).toString();
    }
    return command;
}

// --relay, --relay-all: a client's message on to the others (and to itself).
void relay(IpcServer &server, Relay mode, const QString &topic, const QVariant &message,
           const QString &sender)
{
    if (mode == Relay::Off || !server.isListening())  // closing: nothing new goes out
        return;
    if (mode == Relay::All) {
        server.broadcast(topic, message);  // encoded once for all
        return;
    }
    for (const QString &id : server.clientIds()) {
        if (id != sender)
            server.send(topic, message, id);
    }
}

int serve(const Options &options)
{
    IpcServer server;
    configure(server, options);
    int exitCode = Success;
    const auto shutDown = [&server, &exitCode](int code) {
        if (!server.isListening())
            return;  // closing already
        exitCode = code;
        // close() removes the socket file; give slow clients a moment to take their data.
        server.close();
        QTimer::singleShot(2000, qApp, [&exitCode] { QCoreApplication::exit(exitCode); });
    };
    // Nobody reads what serve prints (serve ... | head): a server that goes on unheard is
    // of no use, and must not die of SIGPIPE leaving its socket file behind.
    bool outputClosed = false;
    const auto print = [&](const JsonLines::Members &members) {
        if (outputClosed || JsonLines::print(members, options.pretty))
            return;
        outputClosed = true;
        printError(u"standard output closed"_s);
        shutDown(Failure);
    };
    QObject::connect(&server, &IpcServer::clientConnected, [&](const QString &id) {
        print({{"event"_L1, u"connected"_s}, {"client"_L1, id}});
    });
    QObject::connect(&server, &IpcServer::clientDisconnected, [&](const QString &id) {
        print({{"event"_L1, u"disconnected"_s}, {"client"_L1, id}});
    });
    QObject::connect(
            &server, &IpcServer::messageReceived,
            [&](const QString &topic, const QVariant &message, const QString &id) {
                if (options.wants(topic))
                    print({{"topic"_L1, topic}, {"message"_L1, message}, {"client"_L1, id}});
                relay(server, options.relay, topic, message, id);
            });
    QObject::connect(&server, &IpcServer::errorOccurred,
                     [](IpcError::Error, const QString &description) { printError(description); });
    QObject::connect(&server, &IpcServer::closed, qApp,
                     [&exitCode] { QCoreApplication::exit(exitCode); });

    if (!server.listen(options.path))
        return Failure;  // errorOccurred said why
    // Which port, or where a name or relative path led.
    if (server.listeningAddress() != server.address())
        printError(u"listening on %1"_s.arg(server.listeningAddress()));

    StdinLines input([&](const QByteArray &line, int number) {
        if (const auto command = parseCommand(line, number, true)) {
            if (command->client)
                server.send(command->topic, command->message, *command->client);
            else
                server.broadcast(command->topic, command->message);
        }
    });
    TerminationWatcher termination;
    QObject::connect(&termination, &TerminationWatcher::terminationRequested, &server,
                     [&] { shutDown(exitCode); });
    return QCoreApplication::exec();
}

// Exits with NoServer when the client stays unconnected for longer than the timeout.
void armTimeout(IpcClient &client, const Options &options, QTimer &timer)
{
    if (!options.timeout || *options.timeout == 0)
        return;
    timer.setSingleShot(true);
    timer.setInterval(*options.timeout);
    QObject::connect(&timer, &QTimer::timeout, qApp, [&client, &options] {
        printError(u"no server at %1 within %2 ms"_s.arg(client.address()).arg(*options.timeout));
        client.disconnect();  // nothing it does from now on may change the exit code
        client.close();
        QCoreApplication::exit(NoServer);
    });
    QObject::connect(&client, &IpcClient::stateChanged, &timer, [&timer](IpcClient::State state) {
        if (state == IpcClient::State::Connecting && !timer.isActive())
            timer.start();
        else if (state != IpcClient::State::Connecting)
            timer.stop();
    });
}

// What connect, monitor and stats share: a client that retries, an exit code that the first
// failure fixes, output that stops the tool once standard output is gone, and the ending
// (closed() exits; SIGTERM and SIGINT close; --timeout while unconnected exits).
class ClientSession
{
public:
    explicit ClientSession(const Options &options) : m_options(options)
    {
        configure(m_client, options);
        m_client.setRetryDelay(RetryDelay);
    }
    Q_DISABLE_COPY_MOVE(ClientSession)

    IpcClient &client() { return m_client; }
    bool failed() const { return m_exitCode != Success; }
    // Ends with code: closed() exits.
    void stop(int code)
    {
        m_exitCode = code;
        m_client.close();
    }
    // Whether printed; stops the tool when standard output is closed.
    bool printed(bool printed)
    {
        if (!printed) {
            printError(u"standard output closed"_s);
            stop(Failure);
        }
        return printed;
    }
    int run()
    {
        QObject::connect(&m_client, &IpcClient::closed, qApp,
                         [this] { QCoreApplication::exit(m_exitCode); });
        QObject::connect(&m_termination, &TerminationWatcher::terminationRequested, &m_client,
                         [this] { m_client.close(); });
        armTimeout(m_client, m_options, m_timeout);
        m_client.connectToServer(m_options.path);
        return QCoreApplication::exec();
    }

private:
    const Options &m_options;
    IpcClient m_client;
    int m_exitCode = Success;
    TerminationWatcher m_termination;
    QTimer m_timeout;
};

int connectClient(const Options &options)
{
    ClientSession session(options);
    IpcClient &client = session.client();
    QList<Command> queued;  // read before the connection was up

    QObject::connect(&client, &IpcClient::connected, [&] {
        printError(u"connected to %1"_s.arg(options.path));
        for (const Command &command : std::exchange(queued, {}))
            client.send(command.topic, command.message);
    });
    QObject::connect(&client, &IpcClient::reconnected, [] { printError(u"reconnected"_s); });
    QObject::connect(&client, &IpcClient::disconnected,
                     [] { printError(u"disconnected; reconnecting"_s); });
    QObject::connect(&client, &IpcClient::messageReceived,
                     [&](const QString &topic, const QVariant &message) {
                         if (session.failed() || !options.wants(topic))
                             return;
                         session.printed(JsonLines::print(
                                 {{"topic"_L1, topic}, {"message"_L1, message}}, options.pretty));
                     });
    // A failed attempt is an error once per outage and kind of failure (connectError comes
    // every retry): say it then, and that the client goes on trying, unless it is no use.
    QObject::connect(&client, &IpcClient::errorOccurred,
                     [&](IpcError::Error error, const QString &description) {
                         if (session.failed())
                             return;
                         if (isFinal(error)) {
                             printError(description);
                             session.stop(Failure);
                         } else if (client.state() == IpcClient::State::Connecting) {
                             printError(description + u"; retrying every %1 ms"_s.arg(RetryDelay));
                         } else {
                             printError(description);
                         }
                     });

    StdinLines input([&](const QByteArray &line, int number) {
        if (const auto command = parseCommand(line, number, false)) {
            if (client.isConnected())
                client.send(command->topic, command->message);
            else
                queued.append(*command);
        }
    });
    return session.run();
}

// monitor (events) and stats (a request, once or every --watch ms): a monitor client.
int watchServer(const Options &options, bool statistics)
{
    ClientSession session(options);
    IpcClient &client = session.client();
    client.setMonitor(true);
    std::function<void()> ask = [&] {
        IpcReply *reply = client.request(u"socketipc.stats"_s, QVariant(), DefaultSendTimeout);
        QObject::connect(reply, &IpcReply::finished, &client, [&, reply] {
            reply->deleteLater();
            if (session.failed())
                return;
            if (reply->error() != IpcError::NoError) {
                printError(reply->errorString());
                return session.stop(Failure);
            }
            session.printed(JsonLines::printValue(reply->value(), options.pretty));
            if (options.watch <= 0)
                return session.stop(Success);
            QTimer::singleShot(options.watch, &client, ask);
        });
    };
    QObject::connect(&client, &IpcClient::connected, [&] {
        printError(u"monitoring %1"_s.arg(options.path));
        if (statistics)
            ask();
    });
    QObject::connect(&client, &IpcClient::messageReceived,
                     [&](const QString &topic, const QVariant &message) {
                         if (statistics || session.failed() || topic != "socketipc.monitor"_L1)
                             return;
                         const QVariantMap event = message.toMap();
                         const auto about = event.constFind(u"topic"_s);
                         if (about != event.cend() && !options.wantsMatching(about->toString()))
                             return;
                         // Keys in the order one reads them: what, who, about what, when.
                         static const QLatin1StringView order[] = {
                                 "event"_L1,   "direction"_L1, "client"_L1, "clients"_L1,
                                 "topic"_L1,   "id"_L1,        "re"_L1,     "progress"_L1,
                                 "message"_L1, "size"_L1,      "code"_L1,   "description"_L1,
                                 "time"_L1};
                         JsonLines::Members members;
                         for (QLatin1StringView key : order) {
                             const auto value = event.constFind(key);
                             if (value != event.cend())
                                 members.append({key, *value});
                         }
                         session.printed(JsonLines::print(members, options.pretty));
                     });
    QObject::connect(&client, &IpcClient::errorOccurred,
                     [&](IpcError::Error error, const QString &description) {
                         if (session.failed())
                             return;
                         printError(description);
                         if (isFinal(error))
                             session.stop(Failure);
                     });
    return session.run();
}

int sendOne(Options options, const QString &topic, std::optional<QByteArray> json)
{
    if (!json) {
        json.emplace();
        char buffer[64 * 1024];
        size_t n;
        while ((n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0)
            json->append(buffer, qsizetype(n));
    }
    QVariant message;
    QString why;
    if (!IpcFrame::decodeValue(*json, &message, &why)) {
        printError(u"invalid JSON: %1"_s.arg(why));
        return DataError;
    }
    if (!options.timeout)
        options.timeout = DefaultSendTimeout;

    IpcClient client;
    configure(client, options);
    client.setRetryDelay(RetryDelay / 2);
    int exitCode = Success;
    QObject::connect(&client, &IpcClient::connected, [&] {
        if (client.send(topic, message))
            client.close();  // closed() once the message is written
        else
            QCoreApplication::exit(Failure);
    });
    QObject::connect(&client, &IpcClient::errorOccurred,
                     [&](IpcError::Error error, const QString &description) {
                         if (exitCode != Success)
                             return;
                         printError(description);
                         if (isFinal(error)) {
                             exitCode = Failure;
                             client.close();  // closed() exits
                         }
                     });
    // Lost before the message was out: say so rather than claim success.
    QObject::connect(&client, &IpcClient::disconnected, qApp, [] {
        printError(u"the server went away before the message was written"_s);
        QCoreApplication::exit(Failure);
    });
    QObject::connect(&client, &IpcClient::closed, qApp,
                     [&exitCode] { QCoreApplication::exit(exitCode); });
    QTimer timeout;
    armTimeout(client, options, timeout);
    client.connectToServer(options.path);
    return QCoreApplication::exec();
}

}  // namespace

int main(int argc, char *argv[])
{
    // A closed standard output (serve ... | head) is a failed write to handle, not a death.
    std::signal(SIGPIPE, SIG_IGN);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"socketipc"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(SOCKETIPC_VERSION));

    QCommandLineParser parser;
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsOptions);
    const QCommandLineOption topicOption(u"topic"_s, {}, u"NAME"_s);
    const QCommandLineOption timeoutOption(u"timeout"_s, {}, u"MS"_s);
    const QCommandLineOption prettyOption(u"pretty"_s);
    const QCommandLineOption codecOption(u"codec"_s, {}, u"NAME"_s);
    const QCommandLineOption tokenOption(u"token"_s, {}, u"TOKEN"_s);
    const QCommandLineOption tokenFileOption(u"token-file"_s, {}, u"FILE"_s);
    const QCommandLineOption allowUidOption(u"allow-uid"_s, {}, u"UID"_s);
    const QCommandLineOption certOption(u"cert"_s, {}, u"FILE"_s);
    const QCommandLineOption keyOption(u"key"_s, {}, u"FILE"_s);
    const QCommandLineOption caOption(u"ca"_s, {}, u"FILE"_s);
    const QCommandLineOption relayOption(u"relay"_s);
    const QCommandLineOption relayAllOption(u"relay-all"_s);
    const QCommandLineOption allowMonitorOption(u"allow-monitor"_s);
    const QCommandLineOption watchOption(u"watch"_s, {}, u"MS"_s);
    const QCommandLineOption helpOption(QStringList{u"h"_s, u"help"_s});
    const QCommandLineOption versionOption(u"version"_s);
    parser.addOptions({topicOption, timeoutOption, prettyOption, codecOption, tokenOption,
                       tokenFileOption, allowUidOption, certOption, keyOption, caOption,
                       relayOption, relayAllOption, allowMonitorOption, watchOption, helpOption,
                       versionOption});
    // A JSON argument such as -1 or -0.5 is not an option: move it behind "--".
    QStringList arguments = QCoreApplication::arguments();
    QStringList negativeNumbers;
    for (qsizetype i = 1; i < arguments.size();) {
        const QString &argument = arguments.at(i);
        if (argument == "--"_L1)
            break;
        static const QStringList valued{
                u"--timeout"_s,   u"--topic"_s, u"--codec"_s, u"--token"_s, u"--token-file"_s,
                u"--allow-uid"_s, u"--cert"_s,  u"--key"_s,   u"--ca"_s,    u"--watch"_s};
        const bool optionValue = valued.contains(arguments.at(i - 1));
        if (!optionValue && argument.size() > 1 && argument.startsWith(u'-')
            && (argument.at(1).isDigit() || argument.at(1) == u'.'))
            negativeNumbers.append(arguments.takeAt(i));
        else
            ++i;
    }
    if (!negativeNumbers.isEmpty()) {
        if (!arguments.contains("--"_L1))
            arguments.append(u"--"_s);
        arguments.append(negativeNumbers);
    }
    if (!parser.parse(arguments))
        return usageError(parser.errorText());
    if (parser.isSet(helpOption)) {
        std::fputs(usageText, stdout);
        return Success;
    }
    if (parser.isSet(versionOption)) {
        std::printf("socketipc %s\n", SOCKETIPC_VERSION);
        return Success;
    }

    Options options;
    options.topics = parser.values(topicOption);
    options.pretty = parser.isSet(prettyOption);
    options.codec = parser.value(codecOption);
    if (!options.codec.isEmpty() && !IpcCodec::byName(options.codec))
        return usageError(u"no codec named \"%1\" (json, cbor)"_s.arg(options.codec));
    // --token is in ps for every user to read; the file or the environment is not.
    if (parser.isSet(tokenOption)) {
        options.token = parser.value(tokenOption);
    } else if (parser.isSet(tokenFileOption)) {
        QString why;
        const std::optional<QString> token = readTokenFile(parser.value(tokenFileOption), &why);
        if (!token)
            return usageError(why);
        options.token = *token;
    } else {
        options.token = qEnvironmentVariable("SOCKETIPC_TOKEN");
    }
    for (const QString &value : parser.values(allowUidOption)) {
        bool ok = false;
        const uint uid = value.toUInt(&ok);
        if (!ok || uid > uint(std::numeric_limits<int>::max()))
            return usageError(u"--allow-uid takes a numeric user id, not \"%1\""_s.arg(value));
        options.allowedUserIds.append(int(uid));
    }
    options.certificate = parser.value(certOption);
    options.privateKey = parser.value(keyOption);
    options.ca = parser.value(caOption);
    if (parser.isSet(relayOption) && parser.isSet(relayAllOption))
        return usageError(u"--relay and --relay-all exclude each other"_s);
    if (parser.isSet(relayOption))
        options.relay = Relay::Others;
    else if (parser.isSet(relayAllOption))
        options.relay = Relay::All;
    if (parser.isSet(timeoutOption)) {
        bool ok = false;
        const int timeout = parser.value(timeoutOption).toInt(&ok);
        if (!ok || timeout < 0)
            return usageError(u"--timeout takes a number of milliseconds"_s);
        options.timeout = timeout;  // 0: no limit
    }

    const QStringList args = parser.positionalArguments();
    if (args.isEmpty())
        return usageError(u"no command given"_s);
    const QString command = args.first();
    if (command != "serve"_L1 && command != "connect"_L1 && command != "send"_L1
        && command != "monitor"_L1 && command != "stats"_L1)
        return usageError(u"unknown command \"%1\""_s.arg(command));
    if (args.size() < 2 || args.at(1).isEmpty())
        return usageError(u"%1 needs an ADDRESS"_s.arg(command));
    options.path = args.at(1);
    if (options.relay != Relay::Off && command != "serve"_L1) {
        return usageError(u"%1 is for serve only"_s.arg(
                options.relay == Relay::All ? u"--relay-all"_s : u"--relay"_s));
    }
    if (!options.allowedUserIds.isEmpty()) {
        if (command != "serve"_L1)
            return usageError(u"--allow-uid is for serve only"_s);
        if (isNetworkAddress(options.path))
            return usageError(u"--allow-uid is for local sockets only: a network peer has no "
                              u"user id"_s);
    }
    if (command == "serve"_L1 && isAbstractName(options.path) && options.allowedUserIds.isEmpty()) {
        // The decision is made for the user here, not in the library: a shell one-liner
        // must not open a bus to every local user by accident.
        return usageError(u"%1 is an abstract socket name: it has no file, so no file "
                          u"permissions, and every local user could connect. Say who may "
                          u"with --allow-uid UID (repeatable), for yourself: --allow-uid %2"_s
                                  .arg(options.path)
                                  .arg(::getuid()));
    }

    options.allowMonitors = parser.isSet(allowMonitorOption);
    if (options.allowMonitors && command != "serve"_L1)
        return usageError(u"--allow-monitor is for serve only"_s);
    if (parser.isSet(watchOption)) {
        bool ok = false;
        options.watch = parser.value(watchOption).toInt(&ok);
        if (command != "stats"_L1)
            return usageError(u"--watch is for stats only"_s);
        if (!ok || options.watch <= 0)
            return usageError(u"--watch takes a number of milliseconds"_s);
    }
    if (command == "monitor"_L1 || command == "stats"_L1) {
        if (args.size() > 2)
            return usageError(u"%1 takes only an ADDRESS"_s.arg(command));
        return watchServer(options, command == "stats"_L1);
    }
    if (command == "serve"_L1 || command == "connect"_L1) {
        if (args.size() > 2)
            return usageError(u"%1 takes only an ADDRESS"_s.arg(command));
        return command == "serve"_L1 ? serve(options) : connectClient(options);
    }
    if (command == "send"_L1) {
        if (args.size() < 3 || args.size() > 4)
            return usageError(u"send takes ADDRESS TOPIC [JSON]"_s);
        std::optional<QByteArray> json;
        if (args.size() == 4)
            json = args.at(3).toUtf8();
        return sendOne(options, args.at(2), json);
    }
    return UsageError;  // unreachable: the command was checked above
}

#include "main.moc"
