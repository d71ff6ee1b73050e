// socketipc-singleinstance-widgets: an editor window that runs once per user. The first launch
// shows the window; every later launch hands its arguments and working directory to it (they
// are listed, and the window is raised) and exits.
//
// Usage: socketipc-singleinstance-widgets [ARG...]
//        socketipc-singleinstance-widgets --self-test   (for ctest: see CMakeLists.txt)

#include "editorwindow.h"

#include <SocketIpc/IpcSingleInstance>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qprocess.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qtimer.h>
#include <QtWidgets/qapplication.h>
#include <QtWidgets/qlistwidget.h>
#include <QtWidgets/qmessagebox.h>

#include <cstdio>
#include <cstring>

// Launches the program again as a secondary with arguments, and exits 0 once they are in the
// window's list and the secondary has exited 0; 1 after 20 s.
static void selfTest(EditorWindow &window, const QString &workingDirectory)
{
    auto *secondary = new QProcess(&window);
    secondary->setWorkingDirectory(workingDirectory);
    secondary->setProcessChannelMode(QProcess::ForwardedChannels);
    const QString expected = QStringLiteral("\"open\" \"two words.txt\"");
    const auto check = [&window, secondary, expected] {
        const bool listed = !window.launches()->findItems(expected, Qt::MatchExactly).isEmpty();
        if (listed && secondary->state() == QProcess::NotRunning
            && secondary->exitStatus() == QProcess::NormalExit && secondary->exitCode() == 0) {
            std::puts("self-test: the second launch's arguments reached the window");
            QCoreApplication::exit(0);
        }
    };
    QObject::connect(window.launches()->model(), &QAbstractItemModel::rowsInserted, &window, check);
    QObject::connect(secondary, &QProcess::finished, &window, check);
    QTimer::singleShot(20000, &window, [] {
        std::fputs("self-test: FAIL: the second launch did not reach the window\n", stderr);
        QCoreApplication::exit(1);
    });
    secondary->start(QCoreApplication::applicationFilePath(),
                     {QStringLiteral("open"), QStringLiteral("two words.txt")});
}

int main(int argc, char *argv[])
{
    // The self-test runs in a runtime directory of its own (the secondary inherits it), so
    // that it meets no editor the user has open; set before Qt first looks it up.
    const bool isSelfTest = argc == 2 && std::strcmp(argv[1], "--self-test") == 0;
    QTemporaryDir selfTestDir(QDir::tempPath() + QStringLiteral("/socketipc-editor-XXXXXX"));
    if (isSelfTest)
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(selfTestDir.path()));
    QApplication app(argc, argv);

    // A service name: $XDG_RUNTIME_DIR/org.socketipc.example.editor, the user's own directory.
    IpcSingleInstance instance(QStringLiteral("org.socketipc.example.editor"));
    if (!instance.isPrimary() && instance.activatePrimary(app.arguments().mid(1)))
        return 0;  // the window has our arguments
    if (!instance.isPrimary()) {
        QMessageBox::critical(nullptr, QStringLiteral("socketipc-singleinstance-widgets"),
                              instance.errorString());
        return 1;
    }

    EditorWindow window;
    QObject::connect(&instance, &IpcSingleInstance::activated, &window, &EditorWindow::addLaunch);
    window.show();
    if (isSelfTest)
        selfTest(window, selfTestDir.path());
    return QApplication::exec();
}
