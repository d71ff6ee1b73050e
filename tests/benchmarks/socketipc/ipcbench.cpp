// The SocketIpc side of the benchmarks (see tests/benchmarks/README.md for the protocol):
//   ipcbench W1|W1fresh|W2|W3|W4 [--count N]  the server; starts its clients; prints one line
//   ipcbench W1 --transport tcp|tls [--certs DIR]  over TCP or TLS (certificates of
//                                           tests/auto/transports/make-certs.sh)
//   ipcbench W4bin --codec json|cbor        1 MiB of bytes: base64 text in JSON, bytes in CBOR
//   ipcbench topics                         delivery beside 0, 1000, 100000 other subscriptions
//   ipcbench floor                          QVariantMap + signal cost alone, no socket
//   ipcbench floor4                         W4's 1 MiB string: JSON encode and decode alone
//   ipcbench --role client W1 PATH COUNT    a client (started by the server)

#include "benchcommon.h"

#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcCodec>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcTopic>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qtimer.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>
#include <cstdio>
#include <ctime>
#include <sys/mman.h>
#include <sys/resource.h>

namespace {

constexpr int Clients3 = 8;  // W3's client processes

// Clocks and resource usage, as the reference drivers measure them.
using bench::monotonicNs;
using bench::selfUsage;
using bench::Usage;

// A number from /proc/self/status, e.g. "VmRSS: %ld kB" (resident memory now, unlike the
// peak) or "voluntary_ctxt_switches: %ld" (how often the process went to sleep and woke).
qint64 statusField(const char *format)
{
    long value = 0;
    if (FILE *status = std::fopen("/proc/self/status", "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, status)) {
            if (std::sscanf(line, format, &value) == 1)
                break;
        }
        std::fclose(status);
    }
    return value;
}

qint64 currentRssKib()
{
    return statusField("VmRSS: %ld kB");
}

// W1, and W1fresh: W1 with each message built afresh, as user code builds it.
bool isStream(const QString &workload)
{
    return workload == QLatin1String("W1") || workload == QLatin1String("W1fresh");
}

int defaultCount(const QString &workload)
{
    if (workload == QLatin1String("W5"))
        return 1000;
    if (isStream(workload) || workload == QLatin1String("floor")
        || workload == QLatin1String("topics"))
        return 200000;
    if (workload == QLatin1String("W2"))
        return 20000;
    if (workload == QLatin1String("W3"))
        return 50000;
    if (workload == QLatin1String("floor4"))
        return 50;
    return 200;
}

// W4's message size; --size changes it (to check that cost stays linear in it).
qsizetype largeSize = 1024 * 1024;
// --codec json|cbor, on both ends.
QString codecName = QStringLiteral("json");
// --transport local|tcp|tls; TLS takes the certificates of make-certs.sh from --certs DIR.
QString transport = QStringLiteral("local");
QString certsDir;

// The server's address for the transport (TCP and TLS on a free loopback port).
QString listenAddress(const QTemporaryDir &dir)
{
    if (transport == QLatin1String("tcp"))
        return QStringLiteral("tcp://127.0.0.1:0");
    if (transport == QLatin1String("tls"))
        return QStringLiteral("tls://127.0.0.1:0");
    return dir.filePath(QStringLiteral("bench.sock"));
}

void configure(IpcServer &server)
{
    server.setCodecName(codecName);
    if (transport == QLatin1String("tls")) {
        IpcTlsSettings serverTls = server.tls();
        serverTls.setCertificateFile(certsDir + QLatin1String("/server.crt"));
        serverTls.setPrivateKeyFile(certsDir + QLatin1String("/server.key"));
        server.setTls(serverTls);
    }
}

void configure(IpcClient &client)
{
    client.setCodecName(codecName);
    if (transport == QLatin1String("tls")) {
        IpcTlsSettings tls = client.tls();
        tls.setCaFile(certsDir + QLatin1String("/ca.crt"));
        client.setTls(tls);
    }
}

bool isLarge(const QString &workload)
{
    return workload == QLatin1String("W4") || workload == QLatin1String("W4bin");
}

QVariant payload(const QString &workload, int i)
{
    static const QString s = QStringLiteral("abcdefghij").repeated(6);
    static const QString large(largeSize, QLatin1Char('x'));
    if (workload == QLatin1String("W4"))
        return large;
    if (workload == QLatin1String("W4bin")) {
        // Bytes (an image, say): as they are with CBOR; JSON needs them as base64 text.
        static const QByteArray bytes = [] {
            QByteArray b(largeSize, Qt::Uninitialized);
            for (qsizetype k = 0; k < b.size(); ++k)
                b[k] = char((k * 7919) >> 3);
            return b;
        }();
        static const QString base64 = QString::fromLatin1(bytes.toBase64());
        return codecName == QLatin1String("json") ? QVariant(base64) : QVariant(bytes);
    }
    if (workload == QLatin1String("W1fresh"))
        return QVariantMap{{QStringLiteral("i"), i}, {QStringLiteral("s"), QString(60, u'x')}};
    return QVariantMap{{QStringLiteral("i"), i}, {QStringLiteral("s"), s}};
}

void printLine(const QJsonObject &object)
{
    const QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fflush(stdout);
}

[[noreturn]] void fail(const char *why)
{
    std::fprintf(stderr, "ipcbench: %s\n", why);
    std::exit(1);
}

// A client process: W1/W4 stream, W2 ping-pong, W3 receive broadcasts.
int runClient(const QString &workload, const QString &path, int count)
{
    IpcClient client;
    client.setRetryDelay(10);
    configure(client);
    // A large-message sender outruns its reader (it sends all 200 MiB without returning to
    // the event loop): let everything wait rather than lose messages to the limit.
    if (isLarge(workload))
        client.setMaxPendingBytes(0);
    QList<qint64> rtts;
    qint64 sentAt = 0;
    int received = 0;
    qint64 finishedAt = 0;

    auto finish = [&] {
        const Usage usage = selfUsage();
        QJsonObject result{{"cpu_us", usage.cpuUs},
                           {"rss_kib", qint64(usage.maxRssKib)},
                           {"syscalls", double(usage.counts.syscalls)},
                           {"heap_syscalls", double(usage.counts.heapSyscalls)},
                           {"minflt", double(usage.counts.minorFaults)},
                           {"finish_ns", double(finishedAt)}};
        if (!rtts.isEmpty()) {
            std::sort(rtts.begin(), rtts.end());
            result.insert("p50_us", rtts.at(rtts.size() / 2) / 1000.0);
            result.insert("p99_us", rtts.at(rtts.size() * 99 / 100) / 1000.0);
        }
        printLine(result);
        QCoreApplication::exit(0);
    };
    QObject::connect(&client, &IpcClient::closed, qApp, finish);

    QObject::connect(&client, &IpcClient::connected, &client, [&] {
        bench::startCounting();  // the steady state, without start-up
        if (isStream(workload) || isLarge(workload)) {
            for (int i = 0; i < count; ++i) {
                if (!client.send(QStringLiteral("t"), payload(workload, i)))
                    fail("a message was not sent");
            }
            finishedAt = monotonicNs();
            client.close();  // closed() once everything is written
        } else if (workload == QLatin1String("W2")) {
            sentAt = monotonicNs();
            client.send(QStringLiteral("t"), payload(workload, 0));
        }
    });
    QObject::connect(&client, &IpcClient::messageReceived, &client,
                     [&](const QString &, const QVariant &) {
                         ++received;
                         if (workload == QLatin1String("W2")) {
                             rtts.append(monotonicNs() - sentAt);
                             if (received == count) {
                                 finishedAt = monotonicNs();
                                 client.close();
                                 return;
                             }
                             sentAt = monotonicNs();
                             client.send(QStringLiteral("t"), payload(workload, received));
                         } else if (received == count) {
                             finishedAt = monotonicNs();
                             client.close();
                         }
                     });
    client.connectToServer(path);
    return QCoreApplication::exec();
}

// W5: what idle connections cost the server: memory each, and CPU (none: nothing polls).
int runIdle(int count)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bench.sock"));
    IpcServer server;
    server.setMaxClients(0);  // the default (256) would turn most of them away
    if (!server.listen(path))
        fail("cannot listen");
    QProcess process;
    process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    const qint64 before = currentRssKib();
    QObject::connect(&server, &IpcServer::clientCountChanged, &server, [&] {
        if (server.clientCount() != count)
            return;
        const qint64 after = currentRssKib();
        // Let the last connections settle, then watch two quiet seconds.
        QTimer::singleShot(500, &server, [&, after] {
            const Usage idleStart = selfUsage();
            const qint64 wakeupsStart = statusField("voluntary_ctxt_switches: %ld");
            QTimer::singleShot(2000, &server, [&, after, idleStart, wakeupsStart] {
                const Usage idleEnd = selfUsage();
                // The timer that ends the window is one; anything more would be polling.
                const qint64 wakeups =
                        statusField("voluntary_ctxt_switches: %ld") - wakeupsStart - 1;
                printLine({{"impl", "socketipc"},
                           {"workload", "W5"},
                           {"messages", count},
                           {"kib_per_connection", double(after - before) / count},
                           {"idle_cpu_us_per_s", (idleEnd.cpuUs - idleStart.cpuUs) / 2},
                           {"idle_wakeups", wakeups}});
                process.kill();
                process.waitForFinished();
                QCoreApplication::exit(0);
            });
        });
    });
    process.start(QCoreApplication::applicationFilePath(),
                  {QStringLiteral("--role"), QStringLiteral("client"), QStringLiteral("W5"), path,
                   QString::number(count)});
    QTimer::singleShot(120000, qApp, [] { fail("timed out"); });
    return QCoreApplication::exec();
}

// W5's other side: count connections that stay open and quiet.
int runIdleClients(const QString &path, int count)
{
    std::vector<std::unique_ptr<IpcClient>> clients;
    for (int i = 0; i < count; ++i) {
        clients.push_back(std::make_unique<IpcClient>());
        clients.back()->setRetryDelay(10);
        clients.back()->connectToServer(path);
    }
    // The server kills this process when it is done; if it failed instead, do not linger.
    QTimer::singleShot(180000, qApp, [] { QCoreApplication::exit(1); });
    return QCoreApplication::exec();
}

int runServer(const QString &workload, int count)
{
    QTemporaryDir dir;
    IpcServer server;
    configure(server);
    if (!server.listen(listenAddress(dir)))
        fail(qPrintable(server.errorString()));
    const QString path = server.listeningAddress();

    const int clients = workload == QLatin1String("W3") ? Clients3 : 1;
    QList<QProcess *> processes;
    QList<QJsonObject> clientResults;
    int received = 0;
    qint64 startedAt = 0;
    qint64 finishedAt = 0;
    Usage serverUsage{};
    int exited = 0;

    auto report = [&] {
        QJsonObject line{{"impl", "socketipc"},
                         {"workload", workload},
                         {"messages", count},
                         {"codec", codecName},
                         {"transport", transport}};
        double seconds = (finishedAt - startedAt) / 1e9;
        double clientCpu = 0;
        qint64 clientRss = 0;
        bench::Counts clientCounts;  // the busiest client's
        for (const QJsonObject &r : clientResults) {
            clientCounts.syscalls =
                    std::max<qint64>(clientCounts.syscalls, qint64(r.value("syscalls").toDouble()));
            clientCounts.heapSyscalls = std::max<qint64>(
                    clientCounts.heapSyscalls, qint64(r.value("heap_syscalls").toDouble()));
            clientCounts.minorFaults = std::max<qint64>(clientCounts.minorFaults,
                                                        qint64(r.value("minflt").toDouble()));
            clientCpu = std::max(clientCpu, r.value("cpu_us").toDouble());
            clientRss = std::max(clientRss, qint64(r.value("rss_kib").toDouble()));
            if (workload == QLatin1String("W3"))
                seconds = std::max(seconds, (r.value("finish_ns").toDouble() - startedAt) / 1e9);
        }
        const double handled = workload == QLatin1String("W3") ? double(count) * clients : count;
        if (workload == QLatin1String("W2")) {
            const QJsonObject &r = clientResults.first();
            line.insert("p50_us", r.value("p50_us"));
            line.insert("p99_us", r.value("p99_us"));
        }
        line.insert("seconds", seconds);
        line.insert("rate", handled / seconds);
        if (workload == QLatin1String("W4")) {
            const double frameBytes = double(largeSize) + 28;  // {"topic":"t","message":"..."}\0\0
            line.insert("mib_per_s", count * frameBytes / (1024 * 1024) / seconds);
        } else if (workload == QLatin1String("W4bin")) {
            // The bytes the application moved, whatever the wire needed for them.
            line.insert("mib_per_s", count * double(largeSize) / (1024 * 1024) / seconds);
        }
        line.insert("cpu_us_per_msg",
                    QJsonObject{{"server", serverUsage.cpuUs / handled},
                                {"client",
                                 clientCpu / (workload == QLatin1String("W3") ? count : handled)}});
        line.insert("peak_rss_kib",
                    QJsonObject{{"server", qint64(serverUsage.maxRssKib)}, {"client", clientRss}});
        // Per message each side (per delivery for W3's server), -1 where not counted.
        const std::string counts =
                bench::countsJson(serverUsage.counts, clientCounts,
                                  workload == QLatin1String("W3") ? count : handled);
        const QJsonObject countFields =
                QJsonDocument::fromJson(QByteArray('{' + QByteArray(counts.c_str() + 1) + '}'))
                        .object();
        for (auto it = countFields.begin(); it != countFields.end(); ++it)
            line.insert(it.key(), it.value());
        printLine(line);
        QCoreApplication::exit(0);
    };

    QObject::connect(&server, &IpcServer::clientConnected, &server, [&] {
        if (isStream(workload) || isLarge(workload)) {
            bench::startCounting();
            startedAt = monotonicNs();
        } else if (workload == QLatin1String("W2")) {
            bench::startCounting();
            startedAt = monotonicNs();
        } else if (server.clientCount() == clients) {
            bench::startCounting();
            startedAt = monotonicNs();
            for (int i = 0; i < count; ++i)
                server.broadcast(QStringLiteral("t"), payload(workload, i));
            finishedAt = monotonicNs();
            serverUsage = selfUsage();
        }
    });
    QObject::connect(&server, &IpcServer::messageReceived, &server,
                     [&](const QString &topic, const QVariant &message, const QString &clientId) {
                         ++received;
                         if (workload == QLatin1String("W4bin")) {
                             // What a receiver does to get the bytes back.
                             const QByteArray bytes = message.metaType().id() == QMetaType::QString
                                     ? QByteArray::fromBase64(message.toString().toLatin1())
                                     : message.toByteArray();
                             if (bytes.size() != largeSize)
                                 fail("W4bin: wrong size");
                         }
                         if (workload == QLatin1String("W2")) {
                             server.send(topic, message, clientId);
                             if (received == count) {
                                 finishedAt = monotonicNs();
                                 serverUsage = selfUsage();
                             }
                         } else if (received == count) {
                             finishedAt = monotonicNs();
                             serverUsage = selfUsage();
                             // A client may be done writing (and gone) before all is read.
                             if (exited == clients)
                                 report();
                         }
                     });

    for (int i = 0; i < clients; ++i) {
        auto *process = new QProcess(&server);
        process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QObject::connect(process, &QProcess::finished, &server, [&, process](int code) {
            if (code != 0)
                fail("a client failed");
            const QJsonObject result =
                    QJsonDocument::fromJson(process->readAllStandardOutput().trimmed()).object();
            clientResults.append(result);
            if (++exited == clients && finishedAt != 0)
                report();
        });
        process->start(QCoreApplication::applicationFilePath(),
                       {QStringLiteral("--role"), QStringLiteral("client"), workload, path,
                        QString::number(count), QStringLiteral("--size"),
                        QString::number(largeSize), QStringLiteral("--codec"), codecName,
                        QStringLiteral("--transport"), transport, QStringLiteral("--certs"),
                        certsDir});
        processes.append(process);
    }
    QTimer::singleShot(qEnvironmentVariableIntValue("IPCBENCH_TIMEOUT_MS") > 0
                               ? qEnvironmentVariableIntValue("IPCBENCH_TIMEOUT_MS")
                               : 120000,
                       qApp, [&] {
                           std::fprintf(stderr, "ipcbench: %d of %d received, %d clients exited\n",
                                        received, count, exited);
                           fail("timed out");
                       });
    return QCoreApplication::exec();
}

// floor: what any API that hands each message to Qt code as a QVariant pays, with no socket
// and no JSON: build W1's message as a QVariantMap from UTF-8 and emit it through a signal
// (IpcServer::messageReceived, one connected functor). Prints ns per message and the rate
// that cost alone allows, the ceiling for W1 on the receiving side.
int runFloor(int count)
{
    IpcServer emitter;
    qint64 seen = 0;
    QObject::connect(&emitter, &IpcServer::messageReceived, &emitter,
                     [&](const QString &, const QVariant &message, const QString &) {
                         seen += message.userType();
                     });
    const QByteArray text = QByteArrayLiteral("abcdefghij").repeated(6);
    const QString keyI = QStringLiteral("i"), keyS = QStringLiteral("s");
    const QString topic = QStringLiteral("t"), clientId = QStringLiteral("c");
    std::vector<double> perMessage;
    for (int run = 0; run < 5; ++run) {
        const qint64 start = monotonicNs();
        for (int i = 0; i < count; ++i) {
            QVariantMap map;
            map.insert(keyI, double(i));
            map.insert(keyS, QString::fromUtf8(text));
            emit emitter.messageReceived(topic, QVariant(std::move(map)), clientId);
        }
        perMessage.push_back(double(monotonicNs() - start) / count);
    }
    std::sort(perMessage.begin(), perMessage.end());
    const double median = perMessage.at(perMessage.size() / 2);
    printLine(QJsonObject{{"impl", "socketipc"},
                          {"workload", "floor"},
                          {"messages", count},
                          {"ns_per_msg", median},
                          {"rate", 1e9 / median},
                          {"delivered", seen > 0}});
    return 0;
}

// floor4: what W4's message costs with no socket: its frame encoded by the JSON codec into
// fresh memory (as a sender that gets ahead of its reader must) and into a buffer used
// again, decoded into a QString, and a plain copy of its bytes (what the kernel does once per
// side), and what memory the process has not touched before costs: page faults, which a
// buffer used again does not take. µs per MiB, median of 5 runs; the ceilings are what
// encoding or decoding plus one copy allow a sender or receiver, whatever the transport.
int runFloorLarge(int count)
{
    const std::shared_ptr<const IpcCodec> codec = IpcCodec::json();
    IpcCodec::Frame frame;
    frame.topic = QStringLiteral("t");
    frame.message = QString(largeSize, QLatin1Char('x'));
    QByteArray reused;
    QByteArray copy(largeSize + 64, Qt::Uninitialized);
    QString error;
    std::vector<double> fresh, kept, decoded, copied, faulted;
    qint64 seen = 0;
    double mib = 0;
    for (int run = 0; run < 5; ++run) {
        qint64 start = monotonicNs();
        for (int i = 0; i < count; ++i) {
            QByteArray out;
            if (!codec->encode(out, frame, &error))
                fail("floor4: cannot encode");
            seen += out.size();
        }
        fresh.push_back(double(monotonicNs() - start) / count);
        start = monotonicNs();
        for (int i = 0; i < count; ++i) {
            reused.resize(0);
            codec->encode(reused, frame, &error);
        }
        kept.push_back(double(monotonicNs() - start) / count);
        mib = double(reused.size()) / (1024 * 1024);
        start = monotonicNs();
        for (int i = 0; i < count; ++i) {
            IpcCodec::Frame in;
            if (!codec->decode(reused, &in, &error))
                fail("floor4: cannot decode");
            seen += in.message.userType();
        }
        decoded.push_back(double(monotonicNs() - start) / count);
        start = monotonicNs();
        for (int i = 0; i < count; ++i) {
            std::memcpy(copy.data(), reused.constData(), size_t(reused.size()));
            seen += copy.at(i % copy.size());
        }
        copied.push_back(double(monotonicNs() - start) / count);
        // 64 MiB of fresh memory, one byte written per 4 KiB page: a page fault each.
        constexpr size_t FreshBytes = 64 * 1024 * 1024;
        void *map = ::mmap(nullptr, FreshBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
        if (map == MAP_FAILED)
            fail("floor4: mmap");
        start = monotonicNs();
        for (size_t at = 0; at < FreshBytes; at += 4096)
            static_cast<volatile char *>(map)[at] = 1;
        // Per MiB of memory; usPerMib() divides by the frame size, so scaled by it first.
        faulted.push_back(double(monotonicNs() - start) * (1024 * 1024) / FreshBytes * mib);
        ::munmap(map, FreshBytes);
    }
    auto usPerMib = [mib](std::vector<double> &ns) {
        std::sort(ns.begin(), ns.end());
        return ns.at(ns.size() / 2) / 1000.0 / mib;
    };
    const double encodeFresh = usPerMib(fresh), encodeKept = usPerMib(kept),
                 decode = usPerMib(decoded), memcopy = usPerMib(copied), faults = usPerMib(faulted);
    printLine(QJsonObject{{"impl", "socketipc"},
                          {"workload", "floor4"},
                          {"messages", count},
                          {"encode_fresh_us_per_mib", encodeFresh},
                          {"encode_kept_us_per_mib", encodeKept},
                          {"decode_us_per_mib", decode},
                          {"copy_us_per_mib", memcopy},
                          {"fresh_memory_us_per_mib", faults},
                          {"sender_ceiling_mib_per_s", 1e6 / (encodeFresh + memcopy)},
                          {"receiver_ceiling_mib_per_s", 1e6 / (decode + memcopy)},
                          {"checked", seen > 0}});
    return 0;
}

// topics: what subscriptions cost delivery. In one process, a client sends count messages
// on "sensor.cpu.load", which one pattern subscription ("sensor.#") on the server wants,
// beside N unrelated exact names and patterns; messages per second for each N.
int runTopics(int count)
{
    QTemporaryDir dir;
    for (const int unrelated : {0, 1000, 100000}) {
        IpcServer server;
        if (!server.listen(dir.filePath(QStringLiteral("topics-%1.sock").arg(unrelated))))
            fail("cannot listen");
        std::vector<std::unique_ptr<IpcTopic>> others;
        for (int i = 0; i < unrelated; ++i) {
            // A third each: exact names, "*" patterns and "#" patterns, none matching.
            const QString name = i % 3 == 0 ? QStringLiteral("topic-%1").arg(i)
                    : i % 3 == 1            ? QStringLiteral("sensor.*.%1").arg(i)
                                            : QStringLiteral("other-%1.#").arg(i);
            others.push_back(std::make_unique<IpcTopic>(name, &server));
        }
        IpcTopic wanted(QStringLiteral("sensor.#"), &server);
        IpcClient client;
        client.connectToServer(server.address());
        QEventLoop loop;
        qint64 startedAt = 0;
        QObject::connect(&client, &IpcClient::connected, &client, [&] {
            startedAt = monotonicNs();
            for (int i = 0; i < count; ++i)
                client.send(QStringLiteral("sensor.cpu.load"), i);
        });
        QObject::connect(&wanted, &IpcTopic::countChanged, &loop, [&] {
            if (wanted.count() == count)
                loop.quit();
        });
        QTimer::singleShot(120000, qApp, [] { fail("timed out"); });
        loop.exec();
        const double seconds = (monotonicNs() - startedAt) / 1e9;
        printLine(QJsonObject{{"impl", "socketipc"},
                              {"workload", "topics"},
                              {"unrelated_subscriptions", unrelated},
                              {"messages", count},
                              {"rate", count / seconds},
                              {"ns_per_msg", seconds * 1e9 / count}});
    }
    return 0;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const qsizetype sizeAt = args.indexOf(QLatin1String("--size"));
    if (sizeAt > 0 && sizeAt + 1 < args.size())
        largeSize = args.at(sizeAt + 1).toLongLong();
    auto option = [&](const char *name, QString *value) {
        const qsizetype at = args.indexOf(QLatin1String(name));
        if (at > 0 && at + 1 < args.size())
            *value = args.at(at + 1);
    };
    option("--codec", &codecName);
    option("--transport", &transport);
    option("--certs", &certsDir);
    // W5 holds a thousand sockets on each side.
    rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    if (args.size() >= 6 && args.at(1) == QLatin1String("--role")) {
        if (args.at(3) == QLatin1String("W5"))
            return runIdleClients(args.at(4), args.at(5).toInt());
        return runClient(args.at(3), args.at(4), args.at(5).toInt());
    }
    if (args.size() < 2)
        fail("usage: ipcbench W1|W1fresh|W2|W3|W4 [--count N]");
    const QString workload = args.at(1);
    int count = defaultCount(workload);
    const qsizetype countAt = args.indexOf(QLatin1String("--count"));
    if (countAt > 0 && countAt + 1 < args.size())
        count = args.at(countAt + 1).toInt();
    if (workload == QLatin1String("W5"))
        return runIdle(count);
    if (workload == QLatin1String("floor"))
        return runFloor(count);
    if (workload == QLatin1String("floor4"))
        return runFloorLarge(count);
    if (workload == QLatin1String("topics"))
        return runTopics(count);
    return runServer(workload, count);
}
