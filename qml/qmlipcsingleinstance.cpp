#include "qmlipcsingleinstance.h"

#include <QtQml/qqmlinfo.h>

QmlIpcSingleInstance::QmlIpcSingleInstance(QObject *parent) : IpcSingleInstance(parent) { }

void QmlIpcSingleInstance::setName(const QString &name)
{
    if (m_name == name)
        return;
    if (hasElected()) {
        qmlWarning(this) << "name cannot change after the election";
        return;
    }
    m_name = name;
    emit nameChanged();
}

void QmlIpcSingleInstance::componentComplete()
{
    if (m_name.isEmpty()) {
        qmlWarning(this) << "no name: no election";
        return;
    }
    elect(m_name);
}
