// socketipc-workers: a coordinator hands jobs to worker processes and collects the results.
// With no arguments it is the coordinator, and starts the workers itself (this same program,
// started with --worker); the exit code says whether every job was done right.

#include "coordinator.h"
#include "worker.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments().mid(1);

    if (args.isEmpty()) {
        Coordinator coordinator;
        QTimer::singleShot(0, &coordinator, &Coordinator::start);
        return QCoreApplication::exec();
    }
    if (args.size() == 3 && args.first() == QLatin1String("--worker")) {
        Worker worker(args.at(1), args.at(2));
        QTimer::singleShot(0, &worker, &Worker::start);
        return QCoreApplication::exec();
    }
    std::fputs("usage: socketipc-workers                        run the coordinator\n"
               "       socketipc-workers --worker NAME PATH     run one worker (the coordinator "
               "starts these)\n",
               stderr);
    return 2;
}
