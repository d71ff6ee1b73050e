#ifndef IPCSINGLEINSTANCE_H
#define IPCSINGLEINSTANCE_H

#include "socketipcglobal.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qobject.h>
#include <QtCore/qstringlist.h>

#include <memory>

class IpcClient;
class IpcServer;
class IpcSingleInstancePrivate;

class SOCKETIPC_EXPORT IpcSingleInstance : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcSingleInstance)
    Q_PROPERTY(QString name READ name CONSTANT)
    Q_PROPERTY(bool primary READ isPrimary NOTIFY primaryChanged)
    Q_PROPERTY(QString address READ address NOTIFY primaryChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)
public:
    static constexpr int DefaultActivateTimeout = 5000;

    explicit IpcSingleInstance(const QString &name, QObject *parent = nullptr);
    ~IpcSingleInstance() override;

    QString name() const;
    QString address() const;
    bool isPrimary() const;
    QString errorString() const;

    IpcServer *server() const;
    IpcClient *client();

    static QString activateTopic();

    Q_INVOKABLE bool activatePrimary(const QStringList &arguments = QCoreApplication::arguments(),
                                     int timeoutMsecs = DefaultActivateTimeout);

public Q_SLOTS:
    void close();

Q_SIGNALS:
    void activated(const QStringList &arguments, const QString &workingDirectory);
    void primaryChanged();
    void errorStringChanged();

protected:
    explicit IpcSingleInstance(QObject *parent);
    bool elect(const QString &name);
    bool hasElected() const;

private:
    std::unique_ptr<IpcSingleInstancePrivate> d;
};

#endif  // IPCSINGLEINSTANCE_H
