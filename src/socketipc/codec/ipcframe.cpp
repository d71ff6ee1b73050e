#include "ipcframe_p.h"

#include <QtCore/qassociativeiterable.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qsequentialiterable.h>
#include <QtCore/qstringlist.h>

#include <cmath>
#include <cstring>

namespace IpcFrame {

namespace {

// Deep enough for any real message, shallow enough that recursion cannot exhaust the stack.
constexpr int MaxDepth = 512;

class JsonWriter
{
public:
    explicit JsonWriter(QByteArray &out) : m_out(out) { }

    QString error;

    void writeString(QStringView s)
    {
        static const char hex[] = "0123456789abcdef";
        m_out.append('"');
        const char16_t *p = s.utf16();
        const char16_t *end = p + s.size();
        while (p < end) {
            const char16_t c = *p++;
            if (c < 0x80) {
                if (c >= 0x20 && c != '"' && c != '\\') {
                    m_out.append(char(c));
                    continue;
                }
                m_out.append('\\');
                switch (c) {
                case '"': m_out.append('"'); break;
                case '\\': m_out.append('\\'); break;
                case '\b': m_out.append('b'); break;
                case '\f': m_out.append('f'); break;
                case '\n': m_out.append('n'); break;
                case '\r': m_out.append('r'); break;
                case '\t': m_out.append('t'); break;
                default: {
                    const char esc[] = {'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
                    m_out.append(esc, sizeof esc);
                }
                }
            } else if (c < 0x800) {
                const char u[] = {char(0xc0 | (c >> 6)), char(0x80 | (c & 0x3f))};
                m_out.append(u, sizeof u);
            } else if (QChar::isHighSurrogate(c) && p < end && QChar::isLowSurrogate(*p)) {
                const char32_t cp = QChar::surrogateToUcs4(c, *p++);
                const char u[] = {char(0xf0 | (cp >> 18)), char(0x80 | ((cp >> 12) & 0x3f)),
                                  char(0x80 | ((cp >> 6) & 0x3f)), char(0x80 | (cp & 0x3f))};
                m_out.append(u, sizeof u);
            } else if (QChar::isSurrogate(c)) {
                // A lone surrogate has no UTF-8 form: escape it, as JSON.stringify does.
                const char esc[] = {'\\', 'u', hex[c >> 12], hex[(c >> 8) & 0xf],
                                    hex[(c >> 4) & 0xf], hex[c & 0xf]};
                m_out.append(esc, sizeof esc);
            } else {
                const char u[] = {char(0xe0 | (c >> 12)), char(0x80 | ((c >> 6) & 0x3f)),
                                  char(0x80 | (c & 0x3f))};
                m_out.append(u, sizeof u);
            }
        }
        m_out.append('"');
    }

    bool writeDouble(double d)
    {
        if (!std::isfinite(d))
            return fail(QStringLiteral("%1 is not a JSON number").arg(d));
        m_out.append(QByteArray::number(d, 'g', QLocale::FloatingPointShortest));
        return true;
    }

    bool writeValue(const QVariant &v, int depth)
    {
        if (depth > MaxDepth)
            return fail(QStringLiteral("the value is nested deeper than %1 levels").arg(MaxDepth));

        switch (v.metaType().id()) {
        case QMetaType::UnknownType:
        case QMetaType::Nullptr:
            m_out.append("null");
            return true;
        case QMetaType::Bool:
            m_out.append(v.toBool() ? "true" : "false");
            return true;
        case QMetaType::Int:
        case QMetaType::Short:
        case QMetaType::Long:
        case QMetaType::LongLong:
        case QMetaType::SChar:
            m_out.append(QByteArray::number(v.toLongLong()));
            return true;
        case QMetaType::UInt:
        case QMetaType::UShort:
        case QMetaType::ULong:
        case QMetaType::ULongLong:
        case QMetaType::UChar:
            m_out.append(QByteArray::number(v.toULongLong()));
            return true;
        case QMetaType::Double:
        case QMetaType::Float:
            return writeDouble(v.toDouble());
        case QMetaType::QString:
            writeString(*static_cast<const QString *>(v.constData()));
            return true;
        case QMetaType::QStringList: {
            m_out.append('[');
            bool first = true;
            for (const QString &s : *static_cast<const QStringList *>(v.constData())) {
                if (!std::exchange(first, false))
                    m_out.append(',');
                writeString(s);
            }
            m_out.append(']');
            return true;
        }
        case QMetaType::QVariantList:
            return writeList(*static_cast<const QVariantList *>(v.constData()), depth);
        case QMetaType::QVariantMap:
            return writeMap(*static_cast<const QVariantMap *>(v.constData()), depth);
        case QMetaType::QVariantHash:
            return writeMap(*static_cast<const QVariantHash *>(v.constData()), depth);
        case QMetaType::QJsonValue:
        case QMetaType::QJsonObject:
        case QMetaType::QJsonArray:
        case QMetaType::QJsonDocument:
            // Qt's JSON types hold only JSON-compatible values.
            return writeValue(v.toJsonValue().toVariant(), depth);
        case QMetaType::QByteArray:
            return fail(QStringLiteral("a QByteArray is not a JSON value; send a QString "
                                       "(base64 or UTF-8 text) instead"));
        default:
            break;
        }

        // Other containers (QList<int>, QMap<QString, int>...) through Qt's iterable views.
        if (QMetaType::canView(v.metaType(), QMetaType::fromType<QAssociativeIterable>())) {
            const QAssociativeIterable it = v.value<QAssociativeIterable>();
            m_out.append('{');
            bool first = true;
            for (auto i = it.begin(), end = it.end(); i != end; ++i) {
                if (!std::exchange(first, false))
                    m_out.append(',');
                writeString(i.key().toString());
                m_out.append(':');
                if (!writeValue(i.value(), depth + 1))
                    return false;
            }
            m_out.append('}');
            return true;
        }
        if (QMetaType::canView(v.metaType(), QMetaType::fromType<QSequentialIterable>())) {
            const QSequentialIterable it = v.value<QSequentialIterable>();
            m_out.append('[');
            bool first = true;
            for (const QVariant &item : it) {
                if (!std::exchange(first, false))
                    m_out.append(',');
                if (!writeValue(item, depth + 1))
                    return false;
            }
            m_out.append(']');
            return true;
        }
        return fail(QStringLiteral("a value of type %1 is not a JSON value")
                            .arg(QLatin1StringView(v.typeName())));
    }

private:
    template <typename List>
    bool writeList(const List &list, int depth)
    {
        m_out.append('[');
        bool first = true;
        for (const QVariant &item : list) {
            if (!std::exchange(first, false))
                m_out.append(',');
            if (!writeValue(item, depth + 1))
                return false;
        }
        m_out.append(']');
        return true;
    }

    template <typename Map>
    bool writeMap(const Map &map, int depth)
    {
        m_out.append('{');
        bool first = true;
        for (auto i = map.cbegin(), end = map.cend(); i != end; ++i) {
            if (!std::exchange(first, false))
                m_out.append(',');
            writeString(i.key());
            m_out.append(':');
            if (!writeValue(i.value(), depth + 1))
                return false;
        }
        m_out.append('}');
        return true;
    }

    bool fail(const QString &why)
    {
        error = why;
        return false;
    }

    QByteArray &m_out;
};

} // namespace

bool encode(QByteArray &out, QStringView topic, const QVariant &message, QString *error)
{
    const qsizetype start = out.size();
    JsonWriter writer(out);
    out.append("{\"topic\":");
    writer.writeString(topic.isEmpty() ? QStringView(u"none") : topic);
    out.append(",\"message\":");
    if (!writer.writeValue(message, 0)) {
        out.truncate(start);
        if (error)
            *error = QStringLiteral("cannot encode the message of topic \"%1\": %2")
                             .arg(topic, writer.error);
        return false;
    }
    out.append('}');
    out.append(Delimiter, DelimiterSize);
    return true;
}

bool decode(QByteArrayView json, QString *topic, QVariant *message, QString *error)
{
    auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };

    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(
            QByteArray::fromRawData(json.data(), json.size()), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return fail(QStringLiteral("invalid JSON at byte %1: %2")
                            .arg(parseError.offset)
                            .arg(parseError.errorString()));
    if (!doc.isObject())
        return fail(QStringLiteral("a frame must be a JSON object"));

    const QJsonObject object = doc.object();
    const auto topicIt = object.constFind(QLatin1StringView("topic"));
    if (topicIt == object.constEnd() || !topicIt->isString())
        return fail(QStringLiteral("a frame's \"topic\" must be a string"));
    const auto messageIt = object.constFind(QLatin1StringView("message"));
    if (messageIt == object.constEnd())
        return fail(QStringLiteral("a frame must have a \"message\""));

    *topic = topicIt->toString();
    *message = messageIt->toVariant();
    return true;
}

void Decoder::append(const QByteArray &bytes)
{
    if (m_start > 0 && m_start == m_buffer.size()) {
        m_buffer.clear();
        m_start = m_scan = 0;
    }
    if (m_buffer.isEmpty())
        m_buffer = bytes;   // implicitly shared: no copy in the common case
    else
        m_buffer.append(bytes);
}

Decoder::Status Decoder::next(QByteArrayView *frame)
{
    const char *data = m_buffer.constData();
    const qsizetype size = m_buffer.size();
    qsizetype i = qMax(m_scan, m_start);
    while (i + 1 < size) {
        const void *nul = std::memchr(data + i, '\0', size - i - 1);
        if (!nul)
            break;
        i = static_cast<const char *>(nul) - data;
        if (data[i + 1] == '\0') {
            const qsizetype length = i - m_start;
            if (length > m_maxFrameSize)
                return Status::TooLarge;
            *frame = QByteArrayView(data + m_start, length);
            m_start = m_scan = i + DelimiterSize;
            return Status::Frame;
        }
        ++i;
    }
    // No delimiter yet: the last byte may be the first half of one.
    m_scan = qMax(m_start, size - 1);
    if (size - m_start > m_maxFrameSize + 1)
        return Status::TooLarge;
    if (m_start > 0) {
        m_buffer.remove(0, m_start);
        m_scan -= m_start;
        m_start = 0;
    }
    return Status::NeedMore;
}

void Decoder::clear()
{
    m_buffer.clear();
    m_start = m_scan = 0;
}

} // namespace IpcFrame
