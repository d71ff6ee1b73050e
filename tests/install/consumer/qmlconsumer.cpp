// A QML program outside the SocketIpc tree: `import SocketIpc` from the installed module.
// Usage: qmlconsumer SOCKET_PATH QML_DIR, QML_DIR being where the SocketIpc module should come
// from (<prefix>/lib/qml on QML_IMPORT_PATH, or Qt's own QML directory for a package).

#include <QtCore/qcoreapplication.h>
#include <QtCore/qfile.h>
#include <QtCore/qtimer.h>
#include <QtQml/qqmlcomponent.h>
#include <QtQml/qqmlcontext.h>
#include <QtQml/qqmlengine.h>

#include <cstdio>
#include <memory>

static const char qml[] = R"(
import QtQml
import SocketIpc

QtObject {
    property IpcServer server: IpcServer {
        address: path
        active: true
        onMessageReceived: (topic, message) => Qt.exit(topic === "hello" && message.n === 1 ? 0 : 2)
    }
    property IpcClient client: IpcClient {
        address: path
        active: true
        onConnected: send("hello", { n: 1 })
    }
}
)";

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (argc < 3)
        return 64;
    QQmlEngine engine;
    QObject::connect(&engine, &QQmlEngine::exit, &app, &QCoreApplication::exit);
    engine.rootContext()->setContextProperty(QStringLiteral("path"),
                                             QString::fromLocal8Bit(argv[1]));
    QQmlComponent component(&engine);
    component.setData(qml, QUrl(QStringLiteral("qmlconsumer.qml")));
    std::unique_ptr<QObject> root(component.create());
    if (!root) {
        std::fprintf(stderr, "%s\n", qPrintable(component.errorString()));
        return 1;
    }
    QTimer::singleShot(10000, &app, [] { QCoreApplication::exit(3); });
    const int result = app.exec();

    // The plugin must be the installed one.
    QFile maps(QStringLiteral("/proc/self/maps"));
    if (!maps.open(QIODevice::ReadOnly)
        || !maps.readAll().contains(QByteArray(argv[2]) + "/SocketIpc/")) {
        std::fprintf(stderr, "the SocketIpc QML plugin was not loaded from %s\n", argv[2]);
        return 1;
    }
    return result;
}
