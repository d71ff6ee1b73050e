// The JSON writer: QVariants to JSON text, byte for byte as JavaScript's JSON.stringify
// writes it.

#include "ipcasciiscan_p.h"
#include "ipcframe_p.h"

#include <QtCore/qassociativeiterable.h>
#include <QtCore/qendian.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qsequentialiterable.h>
#include <QtCore/qstringlist.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace IpcFrame {

namespace {

using namespace IpcAsciiScan;

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
            // Room for the whole rest as plain ASCII; what is not gets trimmed below.
            const qsizetype at = m_out.size();
            m_out.resize(at + (end - p));
            char *out = m_out.data() + at;
            const char16_t *run = p;
            char *narrowed = out;
            p = plainUtf16End(p, end, narrowed);
            run += narrowed - out;
            for (; run < p; ++run)
                *narrowed++ = char(*run);
            m_out.truncate(narrowed - m_out.constData());
            if (p == end)
                break;
            const char16_t c = *p++;
            if (c < 0x80) {
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
                const char esc[] = {
                        '\\',        'u', hex[c >> 12], hex[(c >> 8) & 0xf], hex[(c >> 4) & 0xf],
                        hex[c & 0xf]};
                m_out.append(esc, sizeof esc);
            } else {
                const char u[] = {char(0xe0 | (c >> 12)), char(0x80 | ((c >> 6) & 0x3f)),
                                  char(0x80 | (c & 0x3f))};
                m_out.append(u, sizeof u);
            }
        }
        m_out.append('"');
    }

    template<typename Integer>
    void writeInteger(Integer value)
    {
        char digits[24];
        const auto result = std::to_chars(digits, digits + sizeof digits, value);
        m_out.append(digits, result.ptr - digits);
    }

    bool writeDouble(double d)
    {
        if (!std::isfinite(d))
            return fail(QStringLiteral("%1 is not a JSON number").arg(d));
        writeJsNumber(d);
        return true;
    }

    // ECMAScript's Number::toString, which JSON.stringify uses: the shortest digits that
    // round-trip, in fixed notation from 1e-6 up to 1e21, else as 1.5e+21 / 1e-7.
    void writeJsNumber(double d)
    {
        if (d == 0) {
            m_out.append('0');  // -0 too, as in JavaScript
            return;
        }
        char buffer[32];
        const auto result =
                std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::scientific);
        const char *p = buffer;
        if (*p == '-') {
            m_out.append('-');
            ++p;
        }
        char digits[24];
        int k = 0;
        for (; p < result.ptr && *p != 'e'; ++p) {
            if (*p != '.')
                digits[k++] = *p;
        }
        int exponent = 0;
        std::from_chars(p + 1 + (p[1] == '+'), result.ptr, exponent);
        const int n = exponent + 1;  // the decimal point's position in digits
        if (k <= n && n <= 21) {
            m_out.append(digits, k);
            m_out.append(QByteArray(n - k, '0'));
        } else if (0 < n && n <= 21) {
            m_out.append(digits, n);
            m_out.append('.');
            m_out.append(digits + n, k - n);
        } else if (-6 < n && n <= 0) {
            m_out.append("0.");
            m_out.append(QByteArray(-n, '0'));
            m_out.append(digits, k);
        } else {
            m_out.append(digits[0]);
            if (k > 1) {
                m_out.append('.');
                m_out.append(digits + 1, k - 1);
            }
            m_out.append(n - 1 >= 0 ? "e+" : "e-");
            m_out.append(QByteArray::number(std::abs(n - 1)));
        }
    }

    bool writeValue(const QVariant &v, int depth)
    {
        if (depth > MaxDepth)
            return fail(QStringLiteral("the value is nested deeper than %1 levels").arg(MaxDepth));

        switch (v.metaType().id()) {
        case QMetaType::UnknownType:
        case QMetaType::Nullptr: m_out.append("null"); return true;
        case QMetaType::Bool: m_out.append(v.toBool() ? "true" : "false"); return true;
        case QMetaType::Int:
        case QMetaType::Short:
        case QMetaType::Long:
        case QMetaType::LongLong:
        case QMetaType::SChar: writeInteger(v.toLongLong()); return true;
        case QMetaType::UInt:
        case QMetaType::UShort:
        case QMetaType::ULong:
        case QMetaType::ULongLong:
        case QMetaType::UChar: writeInteger(v.toULongLong()); return true;
        case QMetaType::Double:
        case QMetaType::Float: return writeDouble(v.toDouble());
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
            return fail(QStringLiteral("a QByteArray is not a JSON value; use the cbor codec, "
                                       "or send a QString (base64 or UTF-8 text)"));
        default: break;
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
    template<typename List>
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

    template<typename Map>
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

}  // namespace

bool encode(QByteArray &out, const IpcCodec::Frame &frame, QString *error)
{
    const qsizetype start = out.size();
    JsonWriter writer(out);
    out.append("{\"topic\":");
    writer.writeString(frame.topic.isEmpty() ? QStringView(u"none") : QStringView(frame.topic));
    out.append(",\"message\":");
    if (!writer.writeValue(frame.message, 0)) {
        out.truncate(start);
        if (error)
            *error = QStringLiteral("cannot encode the message of topic \"%1\": %2")
                             .arg(frame.topic, writer.error);
        return false;
    }
    // The request/reply extension: keys the Node library ignores.
    if (frame.requestId > 0) {
        out.append(",\"id\":");
        writer.writeInteger(frame.requestId);
    }
    if (frame.replyTo > 0) {
        out.append(",\"re\":");
        writer.writeInteger(frame.replyTo);
    }
    if (frame.isProgress())
        out.append(",\"progress\":true");
    if (frame.cancelId() > 0) {
        out.append(",\"cancel\":");
        writer.writeInteger(frame.cancelId());
    }
    if (!frame.errorCode.isEmpty()) {
        out.append(",\"error\":{\"code\":");
        writer.writeString(frame.errorCode);
        out.append(",\"message\":");
        writer.writeString(frame.errorMessage);
        out.append('}');
    }
    out.append('}');
    return true;
}

bool encode(QByteArray &out, QStringView topic, const QVariant &message, QString *error)
{
    IpcCodec::Frame frame;
    frame.topic = topic.toString();
    frame.message = message;
    if (!encode(out, frame, error))
        return false;
    out.append(Delimiter, DelimiterSize);
    return true;
}

bool encodeValue(QByteArray &out, const QVariant &value, QString *error)
{
    const qsizetype start = out.size();
    JsonWriter writer(out);
    if (writer.writeValue(value, 0))
        return true;
    out.truncate(start);
    if (error)
        *error = writer.error;
    return false;
}

}  // namespace IpcFrame
