#ifndef QMLVALUE_H
#define QMLVALUE_H

#include <QtCore/qvariant.h>

// A value from JavaScript as plain JSON-compatible QVariants: QJSValue wrappers (objects,
// arrays) become QVariantMap and QVariantList, at any depth.
QVariant plainValue(const QVariant &value);

#endif  // QMLVALUE_H
