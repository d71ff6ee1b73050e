// socketipc-dashboard-producer: publishes this machine's load average, memory and CPU use by
// retain(), every second, for socketipc-dashboard. Prints each message as a JSON line.

#include <SocketIpc/IpcServer>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

#include <cstdio>

static QByteArray readProcFile(const char *path)
{
    QFile file(QString::fromLatin1(path));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// /proc/loadavg: "0.52 0.40 0.31 2/345 12345" (1, 5, 15 minutes; running/all tasks; last pid)
static QVariantMap readLoad()
{
    const QList<QByteArray> fields = readProcFile("/proc/loadavg").simplified().split(' ');
    const QList<QByteArray> tasks = fields.value(3).split('/');
    return {{QStringLiteral("one"), fields.value(0).toDouble()},
            {QStringLiteral("five"), fields.value(1).toDouble()},
            {QStringLiteral("fifteen"), fields.value(2).toDouble()},
            {QStringLiteral("running"), tasks.value(0).toInt()},
            {QStringLiteral("tasks"), tasks.value(1).toInt()},
            {QStringLiteral("cpus"), QThread::idealThreadCount()}};
}

// /proc/meminfo: "MemTotal:  8048576 kB" and "MemAvailable:  5120000 kB", among others.
static QVariantMap readMemory()
{
    qint64 totalKiB = 0;
    qint64 availableKiB = 0;
    for (const QByteArray &line : readProcFile("/proc/meminfo").split('\n')) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.value(0) == "MemTotal:")
            totalKiB = fields.value(1).toLongLong();
        else if (fields.value(0) == "MemAvailable:")
            availableKiB = fields.value(1).toLongLong();
    }
    const qint64 usedKiB = totalKiB - availableKiB;
    // Rounded as shown, so that the figure on screen is exactly the one sent.
    const double usedPercent = totalKiB > 0 ? qRound(1000.0 * usedKiB / totalKiB) / 10.0 : 0;
    return {{QStringLiteral("totalMiB"), totalKiB / 1024},
            {QStringLiteral("usedMiB"), usedKiB / 1024},
            {QStringLiteral("usedPercent"), usedPercent}};
}

// Time the CPUs spent since boot, in ticks, from the first line of /proc/stat:
// "cpu  user nice system idle iowait irq softirq steal ..."
struct CpuTimes
{
    qint64 busy = 0;
    qint64 total = 0;
};

static CpuTimes readCpuTimes()
{
    const QByteArray stat = readProcFile("/proc/stat");
    const QList<QByteArray> fields = stat.left(stat.indexOf('\n')).simplified().split(' ');
    CpuTimes times;
    for (int i = 1; i <= 8 && i < fields.size(); ++i) {
        const qint64 ticks = fields.at(i).toLongLong();
        times.total += ticks;
        if (i != 4 && i != 5)  // idle and iowait
            times.busy += ticks;
    }
    return times;
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
            QStringLiteral("Publishes system.load, system.memory and system.cpu, retained."));
    parser.addHelpOption();
    const QString defaultPath = QDir(qEnvironmentVariable("XDG_RUNTIME_DIR", QDir::tempPath()))
                                        .filePath(QStringLiteral("socketipc-dashboard.sock"));
    parser.addPositionalArgument(
            QStringLiteral("path"),
            QStringLiteral("The socket to listen on (default: %1).").arg(defaultPath),
            QStringLiteral("[path]"));
    const QCommandLineOption interval(QStringLiteral("interval"),
                                      QStringLiteral("Publish every <ms> (default: 1000)."),
                                      QStringLiteral("ms"), QStringLiteral("1000"));
    parser.addOption(interval);
    parser.process(app);

    IpcServer server;
    if (!server.listen(parser.positionalArguments().value(0, defaultPath))) {
        std::fprintf(stderr, "socketipc-dashboard-producer: %s\n",
                     qPrintable(server.errorString()));
        return 1;
    }

    // Retained, not only broadcast: a dashboard that connects gets the latest figures at
    // once, not at the next tick.
    const auto publish = [&](const QString &topic, const QVariant &message) {
        const QJsonObject line{{QStringLiteral("topic"), topic},
                               {QStringLiteral("message"), QJsonValue::fromVariant(message)}};
        std::printf("%s\n", QJsonDocument(line).toJson(QJsonDocument::Compact).constData());
        std::fflush(stdout);
        server.retain(topic, message);
    };

    CpuTimes previous = readCpuTimes();
    QTimer timer;
    QObject::connect(&timer, &QTimer::timeout, &server, [&] {
        publish(QStringLiteral("system.load"), readLoad());
        publish(QStringLiteral("system.memory"), readMemory());
        const CpuTimes now = readCpuTimes();
        if (now.total > previous.total) {
            const double busy = 100.0 * (now.busy - previous.busy) / (now.total - previous.total);
            publish(QStringLiteral("system.cpu"),
                    QVariantMap{{QStringLiteral("percent"), qRound(busy)}});
        }
        previous = now;
    });
    timer.start(qMax(50, parser.value(interval).toInt()));
    publish(QStringLiteral("system.load"), readLoad());
    publish(QStringLiteral("system.memory"), readMemory());
    return QCoreApplication::exec();
}
