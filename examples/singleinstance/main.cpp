// socketipc-singleinstance: the first launch becomes the primary and listens on a per-user
// socket; every later launch forwards its arguments and working directory to the primary,
// waits for the primary to acknowledge them, and exits 0. IpcSingleInstance does the work.
//
// Usage: socketipc-singleinstance [--name NAME] [--quit-after N] [--] [ARG...]
//   --name NAME      scope the instance: the socket is <runtime dir>/NAME.sock
//   --quit-after N   as the primary, exit once N later launches have been forwarded
// The primary prints one JSON line per launch on stdout (its own first, with its pid).
// Status lines go to stderr.

#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcSingleInstance>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdir.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>

#include <cstdio>

// A primary may quit while we forward, and the launches waiting then elect a new one among
// themselves: time enough for that.
static constexpr int ActivateTimeoutMs = 8000;

static void status(const QString &line)
{
    std::fprintf(stderr, "socketipc-singleinstance: %s\n", qPrintable(line));
    std::fflush(stderr);
}

static void printLaunch(const QVariantMap &launch)
{
    const QByteArray line =
            QJsonDocument(QJsonObject::fromVariantMap(launch)).toJson(QJsonDocument::Compact);
    std::printf("%s\n", line.constData());
    std::fflush(stdout);  // before the answer: whoever waits on the secondary sees the line
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QString name = QStringLiteral("socketipc-singleinstance");
    int quitAfter = 0;
    QStringList args = QCoreApplication::arguments().mid(1);
    while (args.size() >= 2) {
        if (args.first() == QLatin1String("--name"))
            name = args.at(1);
        else if (args.first() == QLatin1String("--quit-after"))
            quitAfter = args.at(1).toInt();
        else
            break;
        args.remove(0, 2);
    }
    if (!args.isEmpty() && args.first() == QLatin1String("--"))
        args.removeFirst();
    if (name.isEmpty() || name.contains(QLatin1Char('/'))) {
        std::fputs("usage: socketipc-singleinstance [--name NAME] [--quit-after N] [--] "
                   "[ARG...]\n",
                   stderr);
        return 2;
    }

    // A service name: $XDG_RUNTIME_DIR/NAME.sock, or a private /tmp/socketipc-UID (0700, owner
    // checked) without it.
    IpcSingleInstance instance(name + QStringLiteral(".sock"));

    // A secondary hands over and exits; if the primary is gone, activatePrimary() elects
    // again, and this launch may become the primary there.
    if (!instance.isPrimary()) {
        if (instance.activatePrimary(args, ActivateTimeoutMs)) {
            status(QStringLiteral("forwarded to the primary"));
            return 0;
        }
        if (!instance.isPrimary()) {
            status(QStringLiteral("error: %1").arg(instance.errorString()));
            return 1;
        }
    }

    status(QStringLiteral("primary, listening on %1").arg(instance.address()));
    printLaunch({{QStringLiteral("args"), args},
                 {QStringLiteral("cwd"), QDir::currentPath()},
                 {QStringLiteral("pid"), QCoreApplication::applicationPid()}});

    int forwarded = 0;
    QObject::connect(&instance, &IpcSingleInstance::activated,
                     [&](const QStringList &arguments, const QString &workingDirectory) {
                         printLaunch({{QStringLiteral("args"), arguments},
                                      {QStringLiteral("cwd"), workingDirectory}});
                         // close() refuses the launches that come after this one (they elect
                         // a new primary) and closes once this one's answer is written.
                         if (quitAfter > 0 && ++forwarded == quitAfter)
                             instance.close();
                     });
    QObject::connect(instance.server(), &IpcServer::closed, &app, &QCoreApplication::quit);
    return QCoreApplication::exec();
}
