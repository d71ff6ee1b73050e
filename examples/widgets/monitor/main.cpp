// socketipc-monitor: a Qt Widgets window on an IpcServer. It lists the connected clients,
// logs their messages with a topic filter, and sends messages to one client or to all.

#include "monitorclient.h"
#include "monitordriver.h"
#include "monitorwindow.h"

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qdir.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qtimer.h>
#include <QtWidgets/qapplication.h>

#include <cstdio>
#include <memory>
#include <optional>

int main(int argc, char *argv[])
{
    // socketipc-monitor --client PATH NAME [INTERVAL_MS]: a client to watch, without a GUI.
    if (argc >= 4 && qstrcmp(argv[1], "--client") == 0) {
        QCoreApplication app(argc, argv);
        return runClient(QString::fromLocal8Bit(argv[2]), QString::fromLocal8Bit(argv[3]),
                         argc > 4 ? QByteArray(argv[4]).toInt() : 0);
    }

    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
            QStringLiteral("Runs an IpcServer and shows its clients and messages.\n"
                           "Clients to watch: socketipc-monitor --client PATH NAME [INTERVAL_MS]"));
    parser.addHelpOption();
    const QString defaultPath = QDir(qEnvironmentVariable("XDG_RUNTIME_DIR", QDir::tempPath()))
                                        .filePath(QStringLiteral("socketipc-monitor.sock"));
    parser.addPositionalArgument(
            QStringLiteral("path"),
            QStringLiteral("The socket to listen on (default: %1).").arg(defaultPath),
            QStringLiteral("[path]"));
    const QCommandLineOption selfTest(
            QStringLiteral("self-test"),
            QStringLiteral(
                    "Check the window against two client processes, then exit (0: passed)."));
    const QCommandLineOption screenshot(
            QStringLiteral("screenshot"),
            QStringLiteral("Watch three client processes for a while, save the window as an "
                           "image to <file>, then exit."),
            QStringLiteral("file"));
    parser.addOptions({selfTest, screenshot});
    parser.process(app);

    // The self-test and the screenshot bring their own clients: a private socket each.
    const bool scripted = parser.isSet(selfTest) || parser.isSet(screenshot);
    std::optional<QTemporaryDir> privateDir;
    QString socketPath = parser.positionalArguments().value(0, defaultPath);
    if (scripted)
        socketPath = privateDir.emplace().filePath(QStringLiteral("monitor.sock"));

    MonitorWindow window;
    window.resize(1040, 640);
    QString error;
    if (!window.listen(socketPath, &error)) {
        std::fprintf(stderr, "socketipc-monitor: %s\n", qPrintable(error));
        return 1;
    }
    window.show();

    std::unique_ptr<MonitorDriver> driver;
    if (scripted) {
        driver = std::make_unique<MonitorDriver>(&window, socketPath);
        if (parser.isSet(selfTest))
            QTimer::singleShot(0, driver.get(), &MonitorDriver::runSelfTest);
        else
            QTimer::singleShot(0, driver.get(),
                               [&] { driver->takeScreenshot(parser.value(screenshot)); });
    }
    return QApplication::exec();
}
