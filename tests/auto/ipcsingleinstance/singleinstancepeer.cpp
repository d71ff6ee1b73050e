// singleinstancepeer NAME [--at MSECS_SINCE_EPOCH] [--activate ARG...]
// Constructs IpcSingleInstance(NAME) (at the given moment, to start several at once) and
// reports on stdout, one JSON line each:
//   {"primary": bool, "address": string}                       after the election
//   {"activated": [arg...], "workingDirectory": string}           the primary, per activation
//   {"activatePrimary": bool, "primary": bool, "error": string}   a secondary with --activate
// The primary stays (answering "echo" requests on its server) until killed; a secondary exits
// after activatePrimary(), unless it became the primary there.

#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcSingleInstance>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qthread.h>

#include <cstdio>

static void report(const QJsonObject &object)
{
    std::printf("%s\n", QJsonDocument(object).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}

static void serve(IpcSingleInstance &instance)
{
    instance.server()->handle(QStringLiteral("echo"), [](const QVariant &m) { return m; });
    QObject::connect(&instance, &IpcSingleInstance::activated,
                     [](const QStringList &arguments, const QString &workingDirectory) {
                         report({{QLatin1String("activated"), QJsonValue::fromVariant(arguments)},
                                 {QLatin1String("workingDirectory"), workingDirectory}});
                     });
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QStringList args = QCoreApplication::arguments().mid(1);
    if (args.isEmpty()) {
        std::fputs("usage: singleinstancepeer NAME [--at MSECS] [--activate ARG...]\n", stderr);
        return 2;
    }
    const QString name = args.takeFirst();
    if (args.size() >= 2 && args.first() == QLatin1String("--at")) {
        const qint64 at = args.at(1).toLongLong();
        args.remove(0, 2);
        const qint64 wait = at - QDateTime::currentMSecsSinceEpoch();
        if (wait > 0)
            QThread::msleep(wait);
    }
    const bool activate = !args.isEmpty() && args.first() == QLatin1String("--activate");
    if (activate)
        args.removeFirst();

    IpcSingleInstance instance(name);
    report({{QLatin1String("primary"), instance.isPrimary()},
            {QLatin1String("address"), instance.address()}});
    if (!instance.isPrimary()) {
        if (!activate)
            return 0;
        const bool taken = instance.activatePrimary(args);
        report({{QLatin1String("activatePrimary"), taken},
                {QLatin1String("primary"), instance.isPrimary()},
                {QLatin1String("error"), instance.errorString()}});
        if (!instance.isPrimary())
            return taken ? 0 : 1;
    }
    serve(instance);
    return QCoreApplication::exec();
}
