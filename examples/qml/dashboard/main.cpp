// socketipc-dashboard: a QML window on the figures socketipc-dashboard-producer publishes.
// Main.qml declares the IpcClient and binds what it shows to IpcTopics and an
// IpcMessageModel; this file only loads it.

#include "dashboarddriver.h"

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qdir.h>
#include <QtCore/qtemporarydir.h>
#include <QtGui/qguiapplication.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQuick/qquickwindow.h>

#include <memory>
#include <optional>

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
            QStringLiteral("Shows the figures of socketipc-dashboard-producer."));
    parser.addHelpOption();
    const QString defaultPath = QDir(qEnvironmentVariable("XDG_RUNTIME_DIR", QDir::tempPath()))
                                        .filePath(QStringLiteral("socketipc-dashboard.sock"));
    parser.addPositionalArgument(
            QStringLiteral("path"),
            QStringLiteral("The producer's socket (default: %1).").arg(defaultPath),
            QStringLiteral("[path]"));
    const QCommandLineOption check(
            QStringLiteral("check"),
            QStringLiteral("Start <producer> on a private socket; exit 0 once the window shows "
                           "the figures it sent, 1 if it does not in time."),
            QStringLiteral("producer"));
    const QCommandLineOption screenshot(
            QStringLiteral("screenshot"),
            QStringLiteral("Once the chart is full, save the window as an image to <file> and "
                           "exit."),
            QStringLiteral("file"));
    const QCommandLineOption checkRetained(
            QStringLiteral("check-retained"),
            QStringLiteral("As --check, with a producer that publishes only when it starts: "
                           "the window shows what the producer retained."),
            QStringLiteral("producer"));
    parser.addOptions({check, checkRetained, screenshot});
    parser.process(app);

    // --check runs its own producer, on a private socket.
    std::optional<QTemporaryDir> privateDir;
    const bool checking = parser.isSet(check) || parser.isSet(checkRetained);
    const QString socketPath = checking
            ? privateDir.emplace().filePath(QStringLiteral("dashboard.sock"))
            : parser.positionalArguments().value(0, defaultPath);

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral(SOCKETIPC_QML_IMPORT_DIR));
    engine.setInitialProperties({{QStringLiteral("address"), socketPath}});
    engine.load(QUrl(QStringLiteral("qrc:/Dashboard/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;  // the engine has said why

    std::unique_ptr<DashboardDriver> driver;
    if (checking || parser.isSet(screenshot)) {
        auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
        driver = std::make_unique<DashboardDriver>(window);
        if (parser.isSet(check))
            driver->check(parser.value(check), socketPath);
        else if (parser.isSet(checkRetained))
            driver->check(parser.value(checkRetained), socketPath, true);
        else
            driver->takeScreenshot(parser.value(screenshot));
    }
    return QGuiApplication::exec();
}
