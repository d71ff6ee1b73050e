#include "ipcframe_p.h"
#include "ipcunencodable_p.h"

#include <QtCore/qassociativeiterable.h>
#include <QtCore/qendian.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qsequentialiterable.h>
#include <QtCore/qstringlist.h>

#if defined(__SSE2__)
#    include <emmintrin.h>
#endif

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace IpcFrame {

namespace {

// Deep enough for any real message, shallow enough that recursion cannot exhaust the stack.
constexpr int MaxDepth = 512;

// Word-at-a-time scans (SWAR): strings are mostly plain ASCII, and finding where that ends
// eight bytes (or four UTF-16 units) at a time is what makes large messages fast.
constexpr quint64 bytes(quint8 b)
{
    return 0x0101010101010101ULL * b;
}

constexpr quint64 hasZeroByte(quint64 v)
{
    return (v - bytes(0x01)) & ~v & bytes(0x80);
}

// The first byte at or after p that ends a plain JSON string run: '"', '\\', a control
// character or a non-ASCII byte.
const char *plainUtf8End(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        // Signed: bytes >= 0x80 are negative, so "less than a space" catches them too.
        const __m128i special =
                _mm_or_si128(_mm_cmplt_epi8(v, space),
                             _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
        if (const int mask = _mm_movemask_epi8(special))
            return p + qCountTrailingZeroBits(uint(mask));
        p += 16;
    }
#endif
    while (end - p >= 8) {
        quint64 v;
        std::memcpy(&v, p, 8);
        const quint64 special = (v & bytes(0x80)) | ((v - bytes(0x20)) & ~v & bytes(0x80))
                | hasZeroByte(v ^ bytes('"')) | hasZeroByte(v ^ bytes('\\'));
        if (special)
            break;
        p += 8;
    }
    while (p < end) {
        const uchar c = uchar(*p);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            break;
        ++p;
    }
    return p;
}

constexpr quint64 units(quint16 u)
{
    return 0x0001000100010001ULL * u;
}

constexpr quint64 hasZeroUnit(quint64 v)
{
    return (v - units(0x0001)) & ~v & units(0x8000);
}

// The same for UTF-16 text being written: the first unit that is not plain ASCII. The plain
// units before it are narrowed to bytes at out on the way, as far as that is cheap: the
// caller copies what is left of the run.
const char16_t *plainUtf16End(const char16_t *p, const char16_t *end, char *&out)
{
#if defined(__SSE2__)
    const __m128i high = _mm_set1_epi16(qint16(0xff80));
    const __m128i quote = _mm_set1_epi16('"');
    const __m128i backslash = _mm_set1_epi16('\\');
    const __m128i space = _mm_set1_epi16(0x20);
    while (end - p >= 16) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 8));
        const __m128i nonAscii = _mm_and_si128(_mm_or_si128(a, b), high);
        // Once all units are below 0x80, signed comparisons are safe.
        const __m128i special = _mm_or_si128(
                _mm_or_si128(_mm_cmplt_epi16(a, space), _mm_cmplt_epi16(b, space)),
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi16(a, quote), _mm_cmpeq_epi16(b, quote)),
                             _mm_or_si128(_mm_cmpeq_epi16(a, backslash),
                                          _mm_cmpeq_epi16(b, backslash))));
        const bool allAscii =
                _mm_movemask_epi8(_mm_cmpeq_epi16(nonAscii, _mm_setzero_si128())) == 0xffff;
        if (!allAscii || _mm_movemask_epi8(special))
            break;
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out), _mm_packus_epi16(a, b));
        out += 16;
        p += 16;
    }
#endif
    while (end - p >= 4) {
        quint64 v;
        std::memcpy(&v, p, 8);
        const quint64 special = (v & units(0xff80)) | ((v - units(0x0020)) & ~v & units(0x8000))
                | hasZeroUnit(v ^ units('"')) | hasZeroUnit(v ^ units('\\'));
        if (special)
            break;
        p += 4;
    }
    while (p < end) {
        const char16_t c = *p;
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            break;
        ++p;
    }
    return p;
}

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

namespace {

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

char *Decoder::reserve(qsizetype size)
{
    if (m_start > 0 && m_start == m_buffer.size()) {
        // All handed out: start over, keeping the allocation unless a huge frame left it big.
        if (m_buffer.capacity() > 4 * 1024 * 1024)
            m_buffer = QByteArray();
        else
            m_buffer.resize(0);
        m_start = m_scan = 0;
    }
    const qsizetype at = m_buffer.size();
    m_buffer.resize(at + size);
    return m_buffer.data() + at;
}

void Decoder::commit(qsizetype reserved, qsizetype arrived)
{
    m_buffer.truncate(m_buffer.size() - (reserved - qBound<qsizetype>(0, arrived, reserved)));
}

void Decoder::append(const QByteArray &bytes)
{
    if (m_start > 0 && m_start == m_buffer.size()) {
        m_buffer.clear();
        m_start = m_scan = 0;
    }
    if (m_buffer.isEmpty())
        m_buffer = bytes;  // implicitly shared: no copy in the common case
    else
        m_buffer.append(bytes);
}

bool encodeFrame(QByteArray &out, const IpcCodec &codec, const IpcCodec::Frame &frame,
                 QString *error)
{
    // Checked here rather than in each codec, so that a codec of the user's refuses it too.
    if (const QString reason = IpcUnencodableValue::reasonOf(frame.message); !reason.isNull()) {
        if (error)
            *error = reason;
        return false;
    }
    const qsizetype start = out.size();
    if (codec.framing() == IpcCodec::Framing::Delimited) {
        if (!codec.encode(out, frame, error)) {
            out.truncate(start);
            return false;
        }
        // JSON never holds two NULs; a codec of the user's might, or end with one, which the
        // delimiter would follow.
        if (&codec != IpcCodec::json().get()
            && (QByteArrayView(out).sliced(start).indexOf(QByteArrayView(Delimiter, DelimiterSize))
                        >= 0
                || (out.size() > start && out.endsWith('\0')))) {
            out.truncate(start);
            if (error)
                *error = QStringLiteral("the %1 codec wrote two NUL bytes in a row (or "
                                        "ended with one), which would end the frame early")
                                 .arg(codec.name());
            return false;
        }
        out.append(Delimiter, DelimiterSize);
        return true;
    }
    out.append(LengthPrefixSize, '\0');
    if (!codec.encode(out, frame, error)) {
        out.truncate(start);
        return false;
    }
    const qint64 length = out.size() - start - LengthPrefixSize;
    if (length > 0xffffffffLL) {
        out.truncate(start);
        if (error)
            *error = QStringLiteral("a frame of %1 bytes does not fit a length prefix").arg(length);
        return false;
    }
    qToBigEndian(quint32(length), out.data() + start);
    return true;
}

Decoder::Status Decoder::nextLengthPrefixed(QByteArrayView *frame)
{
    const qsizetype available = m_buffer.size() - m_start;
    if (available >= LengthPrefixSize) {
        const quint32 length = qFromBigEndian<quint32>(m_buffer.constData() + m_start);
        // Known before the frame arrives: no need to buffer what will be refused.
        if (qint64(length) > m_maxFrameSize)
            return Status::TooLarge;
        if (available - LengthPrefixSize >= qsizetype(length)) {
            *frame = QByteArrayView(m_buffer.constData() + m_start + LengthPrefixSize, length);
            m_start += LengthPrefixSize + length;
            return Status::Frame;
        }
    }
    compact();
    return Status::NeedMore;
}

void Decoder::compact()
{
    if (m_start > 0) {
        m_buffer.remove(0, m_start);
        m_scan = qMax<qsizetype>(0, m_scan - m_start);
        m_start = 0;
    }
}

Decoder::Status Decoder::next(QByteArrayView *frame)
{
    if (m_framing == IpcCodec::Framing::LengthPrefixed)
        return nextLengthPrefixed(frame);
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
    // No delimiter yet: a trailing NUL may be the first half of one.
    m_scan = qMax(m_start, size - 1);
    const bool halfDelimiter = size > m_start && data[size - 1] == '\0';
    if (size - m_start > m_maxFrameSize + (halfDelimiter ? 1 : 0))
        return Status::TooLarge;
    compact();
    return Status::NeedMore;
}

void Decoder::clear()
{
    m_buffer.clear();
    m_start = m_scan = 0;
}

}  // namespace IpcFrame
