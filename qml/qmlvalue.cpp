#include "qmlvalue.h"

#include <QtQml/qjsvalue.h>

QVariant plainValue(const QVariant &value)
{
    switch (value.metaType().id()) {
    case QMetaType::QVariantMap: {
        QVariantMap map = value.toMap();
        for (QVariant &item : map)
            item = plainValue(item);
        return map;
    }
    case QMetaType::QVariantList: {
        QVariantList list = value.toList();
        for (QVariant &item : list)
            item = plainValue(item);
        return list;
    }
    default:
        if (value.metaType() == QMetaType::fromType<QJSValue>()) {
            const QJSValue js = value.value<QJSValue>();
            // Undefined as null, as JSON.stringify writes it inside arrays.
            if (js.isUndefined())
                return QVariant::fromValue(nullptr);
            return plainValue(js.toVariant());
        }
        return value;
    }
}
