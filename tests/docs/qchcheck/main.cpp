// qchcheck QCH: registers the SocketIpc reference with Qt's help engine (a throwaway
// collection, as Qt Creator and Qt Assistant keep theirs) and looks up what F1 on a class,
// a member and a QML type asks for. Exits 0 when every page is found and has content.

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtemporarydir.h>
#include <QtHelp/qhelpenginecore.h>
#include <QtHelp/qhelplink.h>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: qchcheck FILE.qch\n");
        return 64;
    }
    const QString qch = QString::fromLocal8Bit(argv[1]);
    const QString space = QHelpEngineCore::namespaceName(qch);
    if (!space.startsWith(QLatin1String("org.socketipc."))) {
        std::fprintf(stderr, "%s: not a SocketIpc reference (namespace \"%s\")\n", argv[1],
                     qPrintable(space));
        return 1;
    }

    QTemporaryDir dir;
    QHelpEngineCore engine(dir.filePath(QStringLiteral("collection.qhc")));
    engine.setReadOnly(false);
    if (!engine.setupData() || !engine.registerDocumentation(qch)) {
        std::fprintf(stderr, "cannot register %s: %s\n", argv[1], qPrintable(engine.error()));
        return 1;
    }

    int failures = 0;
    // Identifier (what F1 asks for) -> the page it must open.
    const std::pair<const char *, const char *> lookups[] = {
        { "IpcServer", "ipcserver.html" },
        { "IpcClient", "ipcclient.html" },
        { "IpcServer::listen", "ipcserver.html" },
        { "QML.IpcClient", "qml-socketipc-ipcclient.html" },
        { "QML.IpcTopic", "qml-socketipc-ipctopic.html" },
    };
    for (const auto &[identifier, page] : lookups) {
        const QList<QHelpLink> links = engine.documentsForIdentifier(QLatin1String(identifier));
        const QHelpLink *link = links.isEmpty() ? nullptr : &links.first();
        if (!link || !link->url.path().endsWith(QLatin1String(page))) {
            std::fprintf(stderr, "F1 on %s: %s, not %s\n", identifier,
                         link ? qPrintable(link->url.toString()) : "nothing", page);
            ++failures;
            continue;
        }
        // The page names the class or type: "QML.IpcTopic" -> IpcTopic, "IpcServer::listen"
        // -> IpcServer.
        QByteArray name(identifier);
        name = name.mid(name.lastIndexOf('.') + 1);
        name = name.left(name.indexOf("::") < 0 ? name.size() : name.indexOf("::"));
        const QByteArray html = engine.fileData(link->url);
        if (!html.contains("<title>" + name)) {
            std::fprintf(stderr, "%s: the page is empty or not about %s\n",
                         qPrintable(link->url.toString()), identifier);
            ++failures;
            continue;
        }
        std::printf("F1 on %s: %s (%lld bytes)\n", identifier, qPrintable(link->url.toString()),
                    static_cast<long long>(html.size()));
    }
    return failures == 0 ? 0 : 1;
}
