#ifndef DEMOPRINT_H
#define DEMOPRINT_H

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qstring.h>
#include <QtCore/qtextstream.h>
#include <QtCore/qvariant.h>

// One line on stdout, flushed at once: the demo's processes share a terminal, and a client's
// line must be out before the message that follows it reaches the server.
inline void printLine(const QString &line)
{
    static QTextStream out(stdout);
    out << line << Qt::endl;
}

// A message as compact JSON, the way it travels on the wire.
inline QString toJson(const QVariant &message)
{
    const QJsonValue value = QJsonValue::fromVariant(message);
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    const QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(wrapped.mid(1, wrapped.size() - 2));
}

#endif  // DEMOPRINT_H
