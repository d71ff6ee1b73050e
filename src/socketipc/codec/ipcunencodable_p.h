#ifndef IPCUNENCODABLE_P_H
#define IPCUNENCODABLE_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the SocketIpc API. It may change without notice.
//

#include <QtCore/qmetatype.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

// A message that cannot be encoded, and why. A converter from another value system (the
// QML module, for a JavaScript function or a cyclic object) hands it on in place of the
// value, so that every path that sends a message (send, broadcast, request, a handler's
// answer, the offline queue) fails with EncodeError and this reason, as it does for a value
// the codec itself refuses.
struct IpcUnencodableValue
{
    QString reason;

    static QVariant make(const QString &reason);
    // The reason, if value is one; null otherwise.
    static QString reasonOf(const QVariant &value);
};
Q_DECLARE_METATYPE(IpcUnencodableValue)

inline QVariant IpcUnencodableValue::make(const QString &reason)
{
    return QVariant::fromValue(IpcUnencodableValue{reason});
}

inline QString IpcUnencodableValue::reasonOf(const QVariant &value)
{
    if (Q_LIKELY(value.userType() != qMetaTypeId<IpcUnencodableValue>()))
        return QString();
    return static_cast<const IpcUnencodableValue *>(value.constData())->reason;
}

#endif  // IPCUNENCODABLE_P_H
