#ifndef QMLIPCSINGLEINSTANCE_H
#define QMLIPCSINGLEINSTANCE_H

#include <SocketIpc/IpcSingleInstance>

#include <QtQml/qqml.h>
#include <QtQml/qqmlparserstatus.h>

// IpcSingleInstance for QML: name is a property, so the election runs once the component is
// complete (primary is false until then).
//     IpcSingleInstance {
//         name: "org.example.viewer"
//         onActivated: (args, cwd) => window.raise()
//     }
class QmlIpcSingleInstance : public IpcSingleInstance, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_NAMED_ELEMENT(IpcSingleInstance)
    // Read once, when the component completes; later changes are ignored with a warning.
    Q_PROPERTY(QString name READ name WRITE setName NOTIFY nameChanged)
public:
    explicit QmlIpcSingleInstance(QObject *parent = nullptr);

    QString name() const { return m_name; }
    void setName(const QString &name);

    void classBegin() override { }
    void componentComplete() override;

Q_SIGNALS:
    void nameChanged();

private:
    QString m_name;
};

#endif  // QMLIPCSINGLEINSTANCE_H
