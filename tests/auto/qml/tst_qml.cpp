// Runs tests/auto/qml/tst_*.qml offscreen, with the built SocketIpc module and the test helpers
// of testsupport.h (module SocketIpcTest) on the import path.

#include <QtQml/qqmlengine.h>
#include <QtQuickTest/quicktest.h>

class Setup : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral(SOCKETIPC_QML_IMPORT_DIR));
    }
};

QUICK_TEST_MAIN_WITH_SETUP(socketipc, Setup)

#include "tst_qml.moc"
