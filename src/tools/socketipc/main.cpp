// socketipc: tap into a socket-ipc bus from a shell. See usage() and the README.

#include "ipcframe_p.h"
#include "jsonlines.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcCodec>
#include <SocketIpc/IpcServer>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qtimer.h>

#include <csignal>
#include <cstdio>
#include <fcntl.h>
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

ADDRESS is a socket path (or unix:PATH), tcp://HOST:PORT or tls://HOST:PORT; serve with
an empty HOST (tcp://:7000) listens on the loopback interface only.

serve prints each message as {"topic":...,"message":...,"client":ID} and each connection
change as {"event":"connected"|"disconnected","client":ID}; each stdin line
{"topic":...,"message":...} is broadcast, or sent to one client with "client":ID.
connect prints each message as {"topic":...,"message":...} and sends each stdin line
{"topic":...,"message":...}; it retries and reconnects, and says so on stderr.

Options:
  --topic NAME   print only messages on this topic (repeatable)
  --timeout MS   give up connecting after MS milliseconds with exit code 2
                 (send: 5000 by default; connect: wait forever by default; 0: forever)
  --pretty       indent the JSON output
  --codec NAME   the wire format, json (the default) or cbor; both ends must agree
  --token TOKEN  serve: require clients to present TOKEN first; connect, send: present it
  --relay        serve: pass each client's message on to every other client, as a hub
                 (every topic, whatever --topic prints; requests are not relayed)
  --relay-all    serve: the same, and back to its sender too
  --cert FILE    TLS: this end's certificate (PEM): the server's, or a client's
  --key FILE     TLS: the private key of --cert (PEM)
  --ca FILE      TLS: the CA certificates to trust (PEM): connect and send verify the
                 server with them instead of the system's; serve verifies client
                 certificates with them and requires one
  --help         show this help
  --version      show the version

Exit codes: 0 done, 1 failure, 2 no server in time, 64 wrong arguments, 65 invalid JSON.
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
    Relay relay = Relay::Off;

    bool wants(const QString &topic) const { return topics.isEmpty() || topics.contains(topic); }
};

template<typename Endpoint>
void configure(Endpoint &endpoint, const Options &options)
{
    if (!options.codec.isEmpty())
        endpoint.setCodecName(options.codec);
    endpoint.setAuthToken(options.token);
    endpoint.setTlsCertificateFile(options.certificate);
    endpoint.setTlsPrivateKeyFile(options.privateKey);
    endpoint.setTlsCaFile(options.ca);
    if constexpr (std::is_same_v<Endpoint, IpcServer>)
        endpoint.setRequireClientCertificate(!options.ca.isEmpty());
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
    QObject::connect(&server, &IpcServer::clientConnected, [&](const QString &id) {
        JsonLines::print({{"event"_L1, u"connected"_s}, {"client"_L1, id}}, options.pretty);
    });
    QObject::connect(&server, &IpcServer::clientDisconnected, [&](const QString &id) {
        JsonLines::print({{"event"_L1, u"disconnected"_s}, {"client"_L1, id}}, options.pretty);
    });
    QObject::connect(&server, &IpcServer::messageReceived,
                     [&](const QString &topic, const QVariant &message, const QString &id) {
                         if (options.wants(topic))
                             JsonLines::print({{"topic"_L1, topic},
                                               {"message"_L1, message},
                                               {"client"_L1, id}},
                                              options.pretty);
                         relay(server, options.relay, topic, message, id);
                     });
    QObject::connect(&server, &IpcServer::errorOccurred,
                     [](IpcError::Error, const QString &description) { printError(description); });
    QObject::connect(&server, &IpcServer::closed, qApp, [] { QCoreApplication::exit(Success); });

    if (!server.listen(options.path))
        return Failure;  // errorOccurred said why
    if (!server.listeningAddress().startsWith(u'/'))  // TCP, TLS: which port, say
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
    QObject::connect(&termination, &TerminationWatcher::terminationRequested, &server, [&] {
        // close() removes the socket file; give slow clients a moment to take their data.
        server.close();
        QTimer::singleShot(2000, qApp, [] { QCoreApplication::exit(Success); });
    });
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
        printError(
                u"no server at %1 within %2 ms"_s.arg(client.socketPath()).arg(*options.timeout));
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

int connectClient(const Options &options)
{
    IpcClient client;
    configure(client, options);
    client.setRetryDelay(RetryDelay);
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
                         if (options.wants(topic))
                             JsonLines::print({{"topic"_L1, topic}, {"message"_L1, message}},
                                              options.pretty);
                     });
    // A failed attempt is an error once per outage and kind of failure (connectError comes
    // every retry): say it then, and that the client goes on trying.
    QObject::connect(&client, &IpcClient::errorOccurred,
                     [&](IpcError::Error, const QString &description) {
                         if (client.state() == IpcClient::State::Connecting)
                             printError(description + u"; retrying every %1 ms"_s.arg(RetryDelay));
                         else
                             printError(description);
                     });
    QObject::connect(&client, &IpcClient::closed, qApp, [] { QCoreApplication::exit(Success); });

    StdinLines input([&](const QByteArray &line, int number) {
        if (const auto command = parseCommand(line, number, false)) {
            if (client.isConnected())
                client.send(command->topic, command->message);
            else
                queued.append(*command);
        }
    });
    TerminationWatcher termination;
    QObject::connect(&termination, &TerminationWatcher::terminationRequested, &client,
                     [&] { client.close(); });
    QTimer timeout;
    armTimeout(client, options, timeout);
    client.connectToServer(options.path);
    return QCoreApplication::exec();
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
    QObject::connect(&client, &IpcClient::connected, [&] {
        if (client.send(topic, message))
            client.close();  // closed() once the message is written
        else
            QCoreApplication::exit(Failure);
    });
    QObject::connect(&client, &IpcClient::errorOccurred,
                     [](IpcError::Error, const QString &description) { printError(description); });
    // Lost before the message was out: say so rather than claim success.
    QObject::connect(&client, &IpcClient::disconnected, qApp, [] {
        printError(u"the server went away before the message was written"_s);
        QCoreApplication::exit(Failure);
    });
    QObject::connect(&client, &IpcClient::closed, qApp, [] { QCoreApplication::exit(Success); });
    QTimer timeout;
    armTimeout(client, options, timeout);
    client.connectToServer(options.path);
    return QCoreApplication::exec();
}

}  // namespace

int main(int argc, char *argv[])
{
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
    const QCommandLineOption certOption(u"cert"_s, {}, u"FILE"_s);
    const QCommandLineOption keyOption(u"key"_s, {}, u"FILE"_s);
    const QCommandLineOption caOption(u"ca"_s, {}, u"FILE"_s);
    const QCommandLineOption relayOption(u"relay"_s);
    const QCommandLineOption relayAllOption(u"relay-all"_s);
    const QCommandLineOption helpOption(QStringList{u"h"_s, u"help"_s});
    const QCommandLineOption versionOption(u"version"_s);
    parser.addOptions({topicOption, timeoutOption, prettyOption, codecOption, tokenOption,
                       certOption, keyOption, caOption, relayOption, relayAllOption, helpOption,
                       versionOption});
    // A JSON argument such as -1 or -0.5 is not an option: move it behind "--".
    QStringList arguments = QCoreApplication::arguments();
    QStringList negativeNumbers;
    for (qsizetype i = 1; i < arguments.size();) {
        const QString &argument = arguments.at(i);
        if (argument == "--"_L1)
            break;
        static const QStringList valued{u"--timeout"_s, u"--topic"_s, u"--codec"_s, u"--token"_s,
                                        u"--cert"_s,    u"--key"_s,   u"--ca"_s};
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
    options.token = parser.value(tokenOption);
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
    if (command != "serve"_L1 && command != "connect"_L1 && command != "send"_L1)
        return usageError(u"unknown command \"%1\""_s.arg(command));
    if (args.size() < 2 || args.at(1).isEmpty())
        return usageError(u"%1 needs an ADDRESS"_s.arg(command));
    options.path = args.at(1);
    if (options.relay != Relay::Off && command != "serve"_L1) {
        return usageError(u"%1 is for serve only"_s.arg(
                options.relay == Relay::All ? u"--relay-all"_s : u"--relay"_s));
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
