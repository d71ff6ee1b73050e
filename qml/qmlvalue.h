#ifndef QMLVALUE_H
#define QMLVALUE_H

#include <QtCore/qvariant.h>
#include <QtQml/qjsvalue.h>

class QJSEngine;

// A JavaScript value as the QVariants a codec encodes, the way JSON.stringify reads it:
// objects and arrays become QVariantMap and QVariantList at any depth, toJSON() is honoured
// (a Date becomes its ISO 8601 string), undefined is null inside an array and at the top,
// and is left out of an object; an ArrayBuffer becomes a QByteArray (the cbor codec's
// bytes). What JSON cannot hold (a function, a symbol, a cyclic object, a Map, a RegExp, a
// QObject...) becomes a value every send path refuses with EncodeError, naming the kind of
// value and where it is ("a function is not a JSON value (at message.onDone)").
QVariant plainValue(QJSEngine *engine, const QJSValue &value);

#endif  // QMLVALUE_H
