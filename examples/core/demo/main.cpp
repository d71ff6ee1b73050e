// socketipc-demo: the SocketIpc tour. With no arguments it runs a server in this process and
// three clients as child processes (this same program, started with --client), walks them
// through a short scenario and checks every step; the exit code says whether all went well.

#include "democlient.h"
#include "demoserver.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>

#include <cstdio>

static const char usage[] =
        "Usage: socketipc-demo                                 run the whole demo\n"
        "       socketipc-demo --client NAME PATH [TOPIC...]   run one client (the demo starts "
        "these)\n";

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments().mid(1);

    if (args.isEmpty()) {
        DemoServer demo;
        QTimer::singleShot(0, &demo, &DemoServer::start);
        return QCoreApplication::exec();
    }
    if (args.size() >= 3 && args.first() == QLatin1String("--client")) {
        DemoClient client(args.at(1), args.at(2), args.mid(3));
        QTimer::singleShot(0, &client, &DemoClient::start);
        return QCoreApplication::exec();
    }
    const bool help =
            args.first() == QLatin1String("--help") || args.first() == QLatin1String("-h");
    std::fputs(usage, help ? stdout : stderr);
    return help ? 0 : 2;
}
