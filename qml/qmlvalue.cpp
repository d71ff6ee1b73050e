#include "qmlvalue.h"

#include "codec/ipcunencodable_p.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qurl.h>
#include <QtQml/qjsengine.h>
#include <QtQml/qjsvalueiterator.h>

#include <vector>

namespace {

constexpr int MaxDepth = 512;  // as the codecs

class Converter
{
public:
    explicit Converter(QJSEngine *engine) : m_engine(engine) { }

    QVariant run(const QJSValue &value)
    {
        QVariant out;
        if (!convert(value, QStringLiteral("message"), QJSValue(QString()), false, &out))
            return IpcUnencodableValue::make(m_error);
        return out;
    }

private:
    struct Ancestor
    {
        QJSValue object;
        QString path;
    };

    bool convert(const QJSValue &value, const QString &path, const QJSValue &key, bool viaToJson,
                 QVariant *out)
    {
        if (value.isUndefined() || value.isNull()) {
            *out = QVariant::fromValue(nullptr);
            return true;
        }
        if (value.isBool()) {
            *out = value.toBool();
            return true;
        }
        if (value.isNumber()) {
            *out = value.toNumber();  // NaN and infinities: the codec says what it thinks
            return true;
        }
        if (value.isString()) {
            *out = value.toString();
            return true;
        }
        if (value.isCallable())
            return fail(QStringLiteral("a function"), path);
        if (value.isQObject()) {
            const QObject *object = value.toQObject();
            return fail(QStringLiteral("a QObject (%1)")
                                .arg(QLatin1String(object ? object->metaObject()->className()
                                                          : "null")),
                        path);
        }
        if (value.isUrl()) {
            *out = value.toVariant().toUrl().toString();
            return true;
        }
        if (value.isVariant()) {  // a C++ value (a point, a colour...): the codec decides
            *out = value.toVariant();
            return true;
        }
        if (!value.isObject())
            return fail(article(kindOf(value)), path);  // a symbol

        if (m_ancestors.size() >= MaxDepth)
            return fail(QStringLiteral("a value nested deeper than %1 levels").arg(MaxDepth), path);
        for (const Ancestor &ancestor : m_ancestors) {
            if (ancestor.object.strictlyEquals(value)) {
                m_error = QStringLiteral("a cyclic object is not a JSON value (%1 refers back "
                                         "to %2)")
                                  .arg(path, ancestor.path);
                return false;
            }
        }
        if (!viaToJson) {
            const QJSValue toJson = value.property(QStringLiteral("toJSON"));
            if (toJson.isCallable()) {
                const QJSValue replaced = toJson.callWithInstance(value, {key});
                if (replaced.isError())
                    return fail(QStringLiteral("an object whose toJSON() throws (%1)")
                                        .arg(replaced.toString()),
                                path);
                return convert(replaced, path, key, true, out);
            }
        }

        m_ancestors.push_back({value, path});
        const bool converted = convertObject(value, path, out);
        m_ancestors.pop_back();
        return converted;
    }

    bool convertObject(const QJSValue &value, const QString &path, QVariant *out)
    {
        if (value.isArray()) {
            const quint32 length = value.property(QStringLiteral("length")).toUInt();
            QVariantList list;
            list.reserve(qsizetype(length));
            for (quint32 i = 0; i < length; ++i) {
                QVariant item;
                // Holes and undefined are null, as JSON.stringify writes them.
                if (!convert(value.property(i),
                             path + QLatin1Char('[') + QString::number(i) + QLatin1Char(']'),
                             QJSValue(QString::number(i)), false, &item))
                    return false;
                list.append(std::move(item));
            }
            *out = std::move(list);
            return true;
        }
        if (value.isDate()) {  // a Date whose toJSON() was taken away
            *out = value.toDateTime().toUTC().toString(Qt::ISODateWithMs);
            return true;
        }
        if (!isPlainObject(value)) {
            const QString kind = kindOf(value);
            if (kind == QLatin1String("ArrayBuffer")) {
                *out = value.toVariant();  // a QByteArray: bytes to the cbor codec
                return true;
            }
            if (kind == QLatin1String("Number")) {
                *out = value.toNumber();
                return true;
            }
            if (kind == QLatin1String("String")) {
                *out = value.toString();
                return true;
            }
            if (kind == QLatin1String("Boolean")) {
                *out = value.toBool();
                return true;
            }
            if (kind != QLatin1String("Object") && kind != QLatin1String("Arguments"))
                return fail(article(kind), path);
        }
        QVariantMap map;
        QJSValueIterator it(value);
        while (it.hasNext()) {
            it.next();
            const QJSValue member = it.value();
            if (member.isUndefined())  // left out, as JSON.stringify does
                continue;
            const QString name = it.name();
            QVariant item;
            if (!convert(member, path + QLatin1Char('.') + name, QJSValue(name), false, &item))
                return false;
            map.insert(name, std::move(item));
        }
        *out = std::move(map);
        return true;
    }

    // An object literal, or one made by Object.create(null): what JSON.stringify writes as
    // its own enumerable properties with nothing lost.
    bool isPlainObject(const QJSValue &value)
    {
        if (!m_engine)
            return true;
        const QJSValue prototype = value.prototype();
        if (prototype.isNull())
            return true;
        if (m_objectPrototype.isUndefined())
            m_objectPrototype = m_engine->globalObject()
                                        .property(QStringLiteral("Object"))
                                        .property(QStringLiteral("prototype"));
        return prototype.strictlyEquals(m_objectPrototype);
    }

    // "Map", "Uint8Array", "RegExp", "Error", "symbol"... as JavaScript itself names it.
    QString kindOf(const QJSValue &value)
    {
        if (!m_engine)
            return QStringLiteral("value of an unknown kind");
        const QString name = QStringLiteral("__socketIpcKindOf");
        QJSValue kindOf = m_engine->globalObject().property(name);
        if (!kindOf.isCallable()) {
            kindOf = m_engine->evaluate(QStringLiteral(
                    "(function (v) { return typeof v === 'object' "
                    "? Object.prototype.toString.call(v).slice(8, -1) : typeof v })"));
            m_engine->globalObject().setProperty(name, kindOf);
        }
        return kindOf.call({value}).toString();
    }

    static QString article(const QString &kind)
    {
        const bool vowel = !kind.isEmpty() && QStringLiteral("AEIOaeio").contains(kind.front());
        return (vowel ? QStringLiteral("an ") : QStringLiteral("a ")) + kind;
    }

    bool fail(const QString &what, const QString &path)
    {
        m_error = path == QLatin1String("message")
                ? QStringLiteral("%1 is not a JSON value").arg(what)
                : QStringLiteral("%1 is not a JSON value (at %2)").arg(what, path);
        return false;
    }

    QJSEngine *m_engine;
    std::vector<Ancestor> m_ancestors;
    QJSValue m_objectPrototype;
    QString m_error;
};

}  // namespace

QVariant plainValue(QJSEngine *engine, const QJSValue &value)
{
    return Converter(engine).run(value);
}
