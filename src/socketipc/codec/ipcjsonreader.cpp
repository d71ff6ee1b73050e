// The JSON reader: frames and values from JSON text, as strictly as JSON.parse reads it.

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

// Keys and topics repeat from one message to the next: reuse their QStrings (implicitly
// shared) instead of allocating new ones each time.
class StringCache
{
public:
    QString get(const char *data, qsizetype size)
    {
        if (size > MaxLength)
            return QString::fromLatin1(data, size);
        for (Entry &entry : m_entries) {
            if (entry.size == size && std::memcmp(entry.bytes, data, size_t(size)) == 0)
                return entry.string;
        }
        Entry &entry = m_entries[m_next++ % std::size(m_entries)];
        entry.size = size;
        std::memcpy(entry.bytes, data, size_t(size));
        entry.string = QString::fromLatin1(data, size);
        return entry.string;
    }

private:
    static constexpr qsizetype MaxLength = 32;
    struct Entry
    {
        qsizetype size = -1;
        char bytes[MaxLength];
        QString string;
    };
    Entry m_entries[16];
    unsigned m_next = 0;
};

// The request/reply fields, read leniently: what is not ours is no request.
qint64 positiveInteger(const QVariant &value)
{
    if (value.metaType().id() == QMetaType::LongLong)
        return qMax<qint64>(value.toLongLong(), 0);
    return 0;
}

void readError(const QVariant &value, IpcCodec::Frame *frame)
{
    const QVariantMap error = value.toMap();
    frame->errorCode = error.value(QStringLiteral("code")).toString();
    frame->errorMessage = error.value(QStringLiteral("message")).toString();
    if (frame->errorCode.isEmpty() && value.isValid() && !value.isNull())
        frame->errorCode = QStringLiteral("Handler");
}

// A strict JSON reader (RFC 8259, as JSON.parse accepts it) that builds QVariants directly:
// objects become QVariantMap, arrays QVariantList, integers that fit qlonglong, other
// numbers double, null a std::nullptr_t QVariant. Strings must be valid UTF-8.
class JsonReader
{
public:
    JsonReader(const char *begin, const char *end) : m_begin(begin), m_p(begin), m_end(end) { }

    QString error;

    bool readDocument(QVariant *value)
    {
        skipSpace();
        if (!readValue(*value, 0))
            return false;
        skipSpace();
        if (m_p != m_end)
            return fail("unexpected data after the value");
        return true;
    }

    bool readFrame(IpcCodec::Frame *frame)
    {
        skipSpace();
        if (!consume('{'))
            return fail("a frame must be a JSON object");
        bool haveTopic = false;
        bool haveMessage = false;
        frame->requestId = frame->replyTo = 0;
        frame->errorCode.clear();
        frame->errorMessage.clear();
        frame->setProgress(false);
        frame->setCancelId(0);
        QString key;
        QVariant value;
        skipSpace();
        if (!consume('}')) {
            do {
                skipSpace();
                if (!readString(key, true))
                    return false;
                skipSpace();
                if (!consume(':'))
                    return fail("expected ':'");
                skipSpace();
                if (key == QLatin1StringView("topic")) {
                    if (peek() != '"')
                        return fail("a frame's \"topic\" must be a string");
                    if (!readString(frame->topic, true))
                        return false;
                    haveTopic = true;
                } else if (key == QLatin1StringView("message")) {
                    if (!readValue(frame->message, 0))
                        return false;
                    haveMessage = true;
                } else {
                    // Other keys are extensions; those of other programs are skipped, and so
                    // are ours when they are not what this library writes.
                    if (!readValue(value, 0))
                        return false;
                    if (key == QLatin1StringView("id"))
                        frame->requestId = positiveInteger(value);
                    else if (key == QLatin1StringView("re"))
                        frame->replyTo = positiveInteger(value);
                    else if (key == QLatin1StringView("error"))
                        readError(value, frame);
                    else if (key == QLatin1StringView("progress"))
                        frame->setProgress(value.typeId() == QMetaType::Bool && value.toBool());
                    else if (key == QLatin1StringView("cancel"))
                        frame->setCancelId(positiveInteger(value));
                }
                skipSpace();
            } while (consume(','));
            if (!consume('}'))
                return fail("expected ',' or '}'");
        }
        skipSpace();
        if (m_p != m_end)
            return fail("unexpected data after the frame's object");
        if (!haveTopic)
            return fail("a frame's \"topic\" must be a string");
        // The Node library writes no "message" when it sends undefined: deliver that as an
        // invalid QVariant, which QML sees as undefined too.
        if (!haveMessage)
            frame->message = QVariant();
        return true;
    }

private:
    bool readValue(QVariant &out, int depth)
    {
        if (depth > MaxDepth)
            return fail("nested deeper than the limit");
        switch (peek()) {
        case '{': {
            ++m_p;
            QVariantMap map;
            QString key;
            skipSpace();
            if (!consume('}')) {
                do {
                    skipSpace();
                    if (!readString(key, true))
                        return false;
                    skipSpace();
                    if (!consume(':'))
                        return fail("expected ':'");
                    skipSpace();
                    // Keys usually come in order: then the end is the right place, found in
                    // constant time. A repeated key: the last one wins, as in JSON.parse.
                    const auto slot = map.isEmpty() || map.lastKey() < key
                            ? map.insert(map.cend(), key, QVariant())
                            : map.insert(key, QVariant());
                    if (!readValue(*slot, depth + 1))  // parsed in place, never copied
                        return false;
                    skipSpace();
                } while (consume(','));
                if (!consume('}'))
                    return fail("expected ',' or '}'");
            }
            out = std::move(map);
            return true;
        }
        case '[': {
            ++m_p;
            QVariantList list;
            skipSpace();
            if (!consume(']')) {
                do {
                    skipSpace();
                    list.append(QVariant());
                    if (!readValue(list.last(), depth + 1))
                        return false;
                    skipSpace();
                } while (consume(','));
                if (!consume(']'))
                    return fail("expected ',' or ']'");
            }
            out = std::move(list);
            return true;
        }
        case '"': {
            QString string;
            if (!readString(string))
                return false;
            out = std::move(string);
            return true;
        }
        case 't': return readLiteral("true", QVariant(true), out);
        case 'f': return readLiteral("false", QVariant(false), out);
        case 'n': return readLiteral("null", QVariant::fromValue(nullptr), out);
        default: return readNumber(out);
        }
    }

    bool readLiteral(const char *word, QVariant value, QVariant &out)
    {
        const size_t length = std::strlen(word);
        if (size_t(m_end - m_p) < length || std::memcmp(m_p, word, length) != 0)
            return fail("invalid literal");
        m_p += length;
        out = std::move(value);
        return true;
    }

    // The power of ten of a JSON number's first significant digit (valid syntax assumed;
    // the number is not zero), saturating far beyond any double's range.
    static qint64 decimalMagnitude(const char *p, const char *end)
    {
        if (*p == '-')
            ++p;
        qint64 magnitude = 0;
        bool seen = false;  // a nonzero digit
        for (; p < end && *p >= '0' && *p <= '9'; ++p) {
            if (seen)
                ++magnitude;
            else if (*p != '0')
                seen = true;
        }
        if (p < end && *p == '.') {
            for (++p; p < end && *p >= '0' && *p <= '9'; ++p) {
                if (seen)
                    continue;
                --magnitude;
                if (*p != '0')
                    seen = true;
            }
        }
        if (p < end && (*p == 'e' || *p == 'E')) {
            ++p;
            const bool negative = *p == '-';
            if (*p == '-' || *p == '+')
                ++p;
            qint64 exponent = 0;
            for (; p < end; ++p)
                exponent = qMin<qint64>(exponent * 10 + (*p - '0'), qint64(1) << 40);
            magnitude += negative ? -exponent : exponent;
        }
        return magnitude;
    }

    bool readNumber(QVariant &out)
    {
        const char *start = m_p;
        auto digits = [this] {
            const char *from = m_p;
            while (m_p < m_end && *m_p >= '0' && *m_p <= '9')
                ++m_p;
            return m_p - from;
        };
        consume('-');
        if (peek() == '0')
            ++m_p;
        else if (digits() == 0)
            return fail("invalid value");
        bool integral = true;
        if (consume('.')) {
            integral = false;
            if (digits() == 0)
                return fail("invalid number");
        }
        if (peek() == 'e' || peek() == 'E') {
            ++m_p;
            integral = false;
            if (!consume('+'))
                consume('-');
            if (digits() == 0)
                return fail("invalid number");
        }
        if (integral) {
            qlonglong value = 0;
            const auto result = std::from_chars(start, m_p, value);
            if (result.ec == std::errc() && result.ptr == m_p) {
                out = value;
                return true;
            }
            // Too large for qlonglong: a double, as in JavaScript.
        }
        double value = 0;
        const auto result = std::from_chars(start, m_p, value);
        if (result.ec == std::errc::result_out_of_range) {
            // Underflow is zero, as in JSON.parse; overflow would be Infinity, not JSON.
            // Which one it is depends on where the first significant digit stands, not on
            // the exponent's sign: 1000e-2 is large, 0.0001e+1 small.
            if (decimalMagnitude(start, m_p) < 0) {
                out = *start == '-' ? -0.0 : 0.0;
                return true;
            }
            return fail("number out of range");
        }
        if (result.ec != std::errc() || result.ptr != m_p)
            return fail("invalid number");
        out = value;
        return true;
    }

    // cached: a key or a topic, likely seen in the previous frame.
    bool readString(QString &out, bool cached = false)
    {
        if (!consume('"'))
            return fail("expected a string");
        const char *start = m_p;
        m_p = plainUtf8End(m_p, m_end);
        if (m_p < m_end && *m_p == '"') {
            out = cached ? m_cache.get(start, m_p - start)
                         : QString::fromLatin1(start, m_p - start);
            ++m_p;
            return true;
        }
        QString result;
        result.reserve(m_p - start + 16);
        result.append(QLatin1StringView(start, m_p - start));
        while (m_p < m_end) {
            const uchar c = uchar(*m_p);
            if (c == '"') {
                ++m_p;
                out = std::move(result);
                return true;
            }
            if (c < 0x20)
                return fail("a control character inside a string");
            if (c == '\\') {
                if (!readEscape(result))
                    return false;
                continue;
            }
            // A run of plain and multi-byte characters, converted at once.
            const char *run = m_p;
            while (m_p < m_end) {
                m_p = plainUtf8End(m_p, m_end);
                if (m_p == m_end || uchar(*m_p) < 0x80)
                    break;
                if (!skipUtf8())
                    return false;
            }
            result.append(QString::fromUtf8(run, m_p - run));  // validated above
        }
        return fail("unterminated string");
    }

    static StringCache &threadCache()
    {
        thread_local StringCache strings;
        return strings;
    }

    bool readEscape(QString &result)
    {
        ++m_p;  // the backslash
        if (m_p >= m_end)
            return fail("unterminated string");
        const char c = *m_p++;
        switch (c) {
        case '"': result.append(u'"'); return true;
        case '\\': result.append(u'\\'); return true;
        case '/': result.append(u'/'); return true;
        case 'b': result.append(u'\b'); return true;
        case 'f': result.append(u'\f'); return true;
        case 'n': result.append(u'\n'); return true;
        case 'r': result.append(u'\r'); return true;
        case 't': result.append(u'\t'); return true;
        case 'u': {
            if (m_end - m_p < 4)
                return fail("invalid \\u escape");
            char16_t unit = 0;
            for (int i = 0; i < 4; ++i) {
                const char h = m_p[i];
                const int digit = h >= '0' && h <= '9' ? h - '0'
                        : h >= 'a' && h <= 'f'         ? h - 'a' + 10
                        : h >= 'A' && h <= 'F'         ? h - 'A' + 10
                                                       : -1;
                if (digit < 0)
                    return fail("invalid \\u escape");
                unit = char16_t(unit << 4 | digit);
            }
            m_p += 4;
            // Surrogates pass through as UTF-16 units, paired or not, as in JavaScript.
            result.append(QChar(unit));
            return true;
        }
        default: return fail("invalid escape in a string");
        }
    }

    // Checks one multi-byte UTF-8 character as JSON.parse's input must be: no overlong
    // forms, no surrogates, nothing past U+10FFFF.
    bool skipUtf8()
    {
        const uchar *p = reinterpret_cast<const uchar *>(m_p);
        const uchar *end = reinterpret_cast<const uchar *>(m_end);
        const uchar lead = *p;
        int length;
        char32_t cp;
        char32_t min;
        if (lead >= 0xc2 && lead <= 0xdf) {
            length = 2;
            cp = lead & 0x1f;
            min = 0x80;
        } else if (lead >= 0xe0 && lead <= 0xef) {
            length = 3;
            cp = lead & 0x0f;
            min = 0x800;
        } else if (lead >= 0xf0 && lead <= 0xf4) {
            length = 4;
            cp = lead & 0x07;
            min = 0x10000;
        } else {
            return fail("invalid UTF-8 in a string");
        }
        if (end - p < length)
            return fail("invalid UTF-8 in a string");
        for (int i = 1; i < length; ++i) {
            if ((p[i] & 0xc0) != 0x80)
                return fail("invalid UTF-8 in a string");
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return fail("invalid UTF-8 in a string");
        m_p += length;
        return true;
    }

    void skipSpace()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }
    char peek() const { return m_p < m_end ? *m_p : '\0'; }
    bool consume(char c)
    {
        if (m_p < m_end && *m_p == c) {
            ++m_p;
            return true;
        }
        return false;
    }
    bool fail(const char *why)
    {
        if (error.isEmpty())
            error = QStringLiteral("%1 at byte %2").arg(QLatin1StringView(why)).arg(m_p - m_begin);
        return false;
    }

    const char *const m_begin;
    const char *m_p;
    const char *const m_end;
    StringCache &m_cache = threadCache();
};

}  // namespace

bool decodeValue(QByteArrayView json, QVariant *value, QString *error)
{
    JsonReader reader(json.data(), json.data() + json.size());
    if (reader.readDocument(value))
        return true;
    if (error)
        *error = reader.error;
    return false;
}

bool decode(QByteArrayView json, IpcCodec::Frame *frame, QString *error)
{
    JsonReader reader(json.data(), json.data() + json.size());
    if (reader.readFrame(frame))
        return true;
    if (error)
        *error = reader.error;
    return false;
}

bool decode(QByteArrayView json, QString *topic, QVariant *message, QString *error)
{
    IpcCodec::Frame frame;
    if (!decode(json, &frame, error))
        return false;
    *topic = std::move(frame.topic);
    *message = std::move(frame.message);
    return true;
}

}  // namespace IpcFrame
