// Snippets of the IpcSingleInstance reference (src/socketipc/ipcsingleinstance.cpp).
#include <SocketIpc/IpcClient>
#include <SocketIpc/IpcServer>
#include <SocketIpc/IpcSingleInstance>

#include <QtCore/QCoreApplication>
#include <QtCore/QDebug>

namespace snippets_ipcsingleinstance {

// What main() would be.
int run(int argc, char *argv[])
{
//! [main]
QCoreApplication app(argc, argv);
IpcSingleInstance instance(QStringLiteral("org.example.editor"));
if (!instance.isPrimary() && instance.activatePrimary())
    return 0;  // the primary has our arguments and working directory
if (!instance.isPrimary())
    qFatal("%s", qPrintable(instance.errorString()));  // no primary could be reached
QObject::connect(&instance, &IpcSingleInstance::activated,
                 [](const QStringList &arguments, const QString &workingDirectory) {
    qInfo() << "launched again in" << workingDirectory << "with" << arguments;
});
return app.exec();
//! [main]
}

void beyond(IpcSingleInstance &instance)
{
//! [beyond]
if (IpcServer *server = instance.server()) {  // the primary
    server->handle(QStringLiteral("editor.openFiles"), [](const QVariant &) -> QVariant {
        return QStringList{QStringLiteral("notes.txt")};
    });
} else {                                      // a secondary
    instance.client()->request(QStringLiteral("editor.openFiles"), QVariant(), &instance,
                               [](const IpcReply &reply) { qInfo() << reply.value(); });
}
//! [beyond]
}

void closing(IpcSingleInstance &instance)
{
//! [close]
// A Quit action: stop being the primary, and quit once the answers given are written.
if (IpcServer *server = instance.server())
    QObject::connect(server, &IpcServer::closed, qApp, &QCoreApplication::quit);
else
    QCoreApplication::quit();
instance.close();
//! [close]
}

}  // namespace snippets_ipcsingleinstance
