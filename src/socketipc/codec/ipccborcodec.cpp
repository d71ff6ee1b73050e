#include "ipccborcodec_p.h"

#include "ipcframe_p.h"

#include <QtCore/qassociativeiterable.h>
#include <QtCore/qcborstreamreader.h>
#include <QtCore/qendian.h>
#include <QtCore/qjsonvalue.h>
#include <QtCore/qsequentialiterable.h>
#include <QtCore/qstringlist.h>

#include <cstring>
#include <limits>

namespace {

using IpcFrame::MaxDepth;  // as for JSON

enum Major : quint8 {
    Unsigned = 0,
    Negative = 1,
    Bytes = 2,
    Text = 3,
    Array = 4,
    Map = 5,
};

// Writes CBOR straight into the frame buffer: QCborStreamWriter would need a QIODevice.
class CborWriter
{
public:
    explicit CborWriter(QByteArray &out) : m_out(out) { }

    QString error;

    void writeHead(Major major, quint64 value)
    {
        const char type = char(major << 5);
        if (value < 24) {
            m_out.append(char(type | char(value)));
        } else if (value <= 0xff) {
            m_out.append(char(type | 24));
            m_out.append(char(value));
        } else if (value <= 0xffff) {
            m_out.append(char(type | 25));
            appendBigEndian(quint16(value));
        } else if (value <= 0xffffffffu) {
            m_out.append(char(type | 26));
            appendBigEndian(quint32(value));
        } else {
            m_out.append(char(type | 27));
            appendBigEndian(quint64(value));
        }
    }

    void writeText(QStringView text)
    {
        const QByteArray utf8 = text.toUtf8();
        writeHead(Text, quint64(utf8.size()));
        m_out.append(utf8);
    }

    void writeInteger(qint64 value)
    {
        if (value >= 0)
            writeHead(Unsigned, quint64(value));
        else
            writeHead(Negative, quint64(-1 - value));
    }

    bool writeValue(const QVariant &v, int depth)
    {
        if (depth > MaxDepth)
            return fail(QStringLiteral("the value is nested deeper than %1 levels").arg(MaxDepth));
        switch (v.metaType().id()) {
        case QMetaType::UnknownType: m_out.append(char(0xf7)); return true;  // undefined
        case QMetaType::Nullptr: m_out.append(char(0xf6)); return true;
        case QMetaType::Bool: m_out.append(char(v.toBool() ? 0xf5 : 0xf4)); return true;
        case QMetaType::Int:
        case QMetaType::Short:
        case QMetaType::Long:
        case QMetaType::LongLong:
        case QMetaType::SChar: writeInteger(v.toLongLong()); return true;
        case QMetaType::UInt:
        case QMetaType::UShort:
        case QMetaType::ULong:
        case QMetaType::ULongLong:
        case QMetaType::UChar: writeHead(Unsigned, v.toULongLong()); return true;
        case QMetaType::Double:
        case QMetaType::Float: {
            const double value = v.toDouble();
            quint64 bits;
            std::memcpy(&bits, &value, sizeof bits);
            m_out.append(char(0xfb));
            appendBigEndian(bits);
            return true;
        }
        case QMetaType::QString:
            writeText(*static_cast<const QString *>(v.constData()));
            return true;
        case QMetaType::QByteArray: {
            const auto &bytes = *static_cast<const QByteArray *>(v.constData());
            writeHead(Bytes, quint64(bytes.size()));
            m_out.append(bytes);
            return true;
        }
        case QMetaType::QStringList: {
            const auto &list = *static_cast<const QStringList *>(v.constData());
            writeHead(Array, quint64(list.size()));
            for (const QString &s : list)
                writeText(s);
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
        case QMetaType::QJsonDocument: return writeValue(v.toJsonValue().toVariant(), depth);
        default: break;
        }
        if (QMetaType::canView(v.metaType(), QMetaType::fromType<QAssociativeIterable>())) {
            const QAssociativeIterable it = v.value<QAssociativeIterable>();
            writeHead(Map, quint64(it.size()));
            for (auto i = it.begin(), end = it.end(); i != end; ++i) {
                writeText(i.key().toString());
                if (!writeValue(i.value(), depth + 1))
                    return false;
            }
            return true;
        }
        if (QMetaType::canView(v.metaType(), QMetaType::fromType<QSequentialIterable>())) {
            const QSequentialIterable it = v.value<QSequentialIterable>();
            writeHead(Array, quint64(it.size()));
            for (const QVariant &item : it) {
                if (!writeValue(item, depth + 1))
                    return false;
            }
            return true;
        }
        return fail(QStringLiteral("a value of type %1 has no CBOR form")
                            .arg(QLatin1StringView(v.typeName())));
    }

private:
    template<typename T>
    void appendBigEndian(T value)
    {
        char bytes[sizeof(T)];
        qToBigEndian(value, bytes);
        m_out.append(bytes, sizeof(T));
    }

    template<typename List>
    bool writeList(const List &list, int depth)
    {
        writeHead(Array, quint64(list.size()));
        for (const QVariant &item : list) {
            if (!writeValue(item, depth + 1))
                return false;
        }
        return true;
    }

    template<typename MapType>
    bool writeMap(const MapType &map, int depth)
    {
        writeHead(Map, quint64(map.size()));
        for (auto i = map.cbegin(), end = map.cend(); i != end; ++i) {
            writeText(i.key());
            if (!writeValue(i.value(), depth + 1))
                return false;
        }
        return true;
    }

    bool fail(const QString &why)
    {
        error = why;
        return false;
    }

    QByteArray &m_out;
};

// Reads with QCborStreamReader, which validates the encoding (UTF-8 included), and builds
// QVariants as the JSON reader does; byte strings become QByteArray, undefined an invalid
// QVariant. Tags are read through (their content is the value).
class CborReader
{
public:
    explicit CborReader(QByteArrayView cbor)
        : m_reader(cbor.data(), cbor.size()), m_size(cbor.size())
    { }

    QString error;

    bool readDocument(QVariant *value)
    {
        if (!readValue(*value, 0))
            return false;
        return atEnd();
    }

    bool readFrame(IpcCodec::Frame *frame)
    {
        frame->requestId = frame->replyTo = 0;
        frame->setProgress(false);
        frame->setCancelId(0);
        frame->errorCode.clear();
        frame->errorMessage.clear();
        frame->message = QVariant();
        if (!m_reader.isMap())
            return fail(QStringLiteral("a frame must be a CBOR map"));
        if (!m_reader.enterContainer())
            return readError();
        bool haveTopic = false;
        QString key;
        QVariant value;
        while (m_reader.lastError() == QCborError::NoError && m_reader.hasNext()) {
            if (!m_reader.isString())
                return fail(QStringLiteral("a frame's keys must be text strings"));
            if (!readText(&key))
                return false;
            if (key == QLatin1StringView("topic")) {
                if (!m_reader.isString())
                    return fail(QStringLiteral("a frame's \"topic\" must be a text string"));
                if (!readText(&frame->topic))
                    return false;
                haveTopic = true;
            } else if (key == QLatin1StringView("message")) {
                if (!readValue(frame->message, 0))
                    return false;
            } else {
                if (!readValue(value, 0))
                    return false;
                if (key == QLatin1StringView("id"))
                    frame->requestId = positive(value);
                else if (key == QLatin1StringView("re"))
                    frame->replyTo = positive(value);
                else if (key == QLatin1StringView("error"))
                    readReplyError(value, frame);
                else if (key == QLatin1StringView("progress"))
                    frame->setProgress(value.typeId() == QMetaType::Bool && value.toBool());
                else if (key == QLatin1StringView("cancel"))
                    frame->setCancelId(positive(value));
            }
        }
        if (m_reader.lastError() != QCborError::NoError || !m_reader.leaveContainer())
            return readError();
        if (!haveTopic)
            return fail(QStringLiteral("a frame's \"topic\" must be a text string"));
        return atEnd();
    }

private:
    static qint64 positive(const QVariant &value)
    {
        return value.metaType().id() == QMetaType::LongLong ? qMax<qint64>(value.toLongLong(), 0)
                                                            : 0;
    }

    static void readReplyError(const QVariant &value, IpcCodec::Frame *frame)
    {
        const QVariantMap error = value.toMap();
        frame->errorCode = error.value(QStringLiteral("code")).toString();
        frame->errorMessage = error.value(QStringLiteral("message")).toString();
        if (frame->errorCode.isEmpty() && value.isValid() && !value.isNull())
            frame->errorCode = QStringLiteral("Handler");
    }

    bool atEnd()
    {
        if (m_reader.lastError() != QCborError::NoError)
            return readError();
        // Qt's reader stops after the first top-level item, whatever follows it.
        if (m_reader.currentOffset() != m_size)
            return fail(QStringLiteral("unexpected data after the value"));
        return true;
    }

    bool readText(QString *out)
    {
        out->clear();
        auto chunk = m_reader.readString();
        while (chunk.status == QCborStreamReader::Ok) {
            if (out->isEmpty())
                *out = std::move(chunk.data);  // a definite-length string: its one chunk
            else
                out->append(chunk.data);
            chunk = m_reader.readString();
        }
        return chunk.status == QCborStreamReader::EndOfString || readError();
    }

    bool readBytes(QByteArray *out)
    {
        out->clear();
        auto chunk = m_reader.readByteArray();
        while (chunk.status == QCborStreamReader::Ok) {
            if (out->isEmpty())
                *out = std::move(chunk.data);
            else
                out->append(chunk.data);
            chunk = m_reader.readByteArray();
        }
        return chunk.status == QCborStreamReader::EndOfString || readError();
    }

    bool readValue(QVariant &out, int depth)
    {
        if (depth > MaxDepth)
            return fail(QStringLiteral("the value is nested deeper than %1 levels").arg(MaxDepth));
        switch (m_reader.type()) {
        case QCborStreamReader::UnsignedInteger: {
            const quint64 value = m_reader.toUnsignedInteger();
            if (value <= quint64(std::numeric_limits<qint64>::max()))
                out = qint64(value);
            else
                out = double(value);
            return m_reader.next() || readError();
        }
        case QCborStreamReader::NegativeInteger: {
            // Qt gives the magnitude: the value is -n, and n == 0 stands for -2^64.
            const quint64 n = quint64(m_reader.toNegativeInteger());
            if (n != 0 && n <= quint64(1) << 63)
                out = qint64(0 - n);
            else
                out = n == 0 ? -18446744073709551616.0 : -double(n);
            return m_reader.next() || readError();
        }
        case QCborStreamReader::ByteArray: {
            QByteArray bytes;
            if (!readBytes(&bytes))
                return false;
            out = std::move(bytes);
            return true;
        }
        case QCborStreamReader::String: {
            QString text;
            if (!readText(&text))
                return false;
            out = std::move(text);
            return true;
        }
        case QCborStreamReader::Array: {
            QVariantList list;
            if (!m_reader.enterContainer())
                return readError();
            while (m_reader.lastError() == QCborError::NoError && m_reader.hasNext()) {
                list.append(QVariant());
                if (!readValue(list.last(), depth + 1))
                    return false;
            }
            if (m_reader.lastError() != QCborError::NoError || !m_reader.leaveContainer())
                return readError();
            out = std::move(list);
            return true;
        }
        case QCborStreamReader::Map: {
            QVariantMap map;
            QString key;
            if (!m_reader.enterContainer())
                return readError();
            while (m_reader.lastError() == QCborError::NoError && m_reader.hasNext()) {
                if (!m_reader.isString())
                    return fail(QStringLiteral("map keys must be text strings"));
                if (!readText(&key))
                    return false;
                if (!readValue(map[key], depth + 1))
                    return false;
            }
            if (m_reader.lastError() != QCborError::NoError || !m_reader.leaveContainer())
                return readError();
            out = std::move(map);
            return true;
        }
        case QCborStreamReader::Tag: m_reader.next(); return readValue(out, depth + 1);
        case QCborStreamReader::SimpleType:
            switch (m_reader.toSimpleType()) {
            case QCborSimpleType::False: out = false; break;
            case QCborSimpleType::True: out = true; break;
            case QCborSimpleType::Null: out = QVariant::fromValue(nullptr); break;
            case QCborSimpleType::Undefined: out = QVariant(); break;
            default: return fail(QStringLiteral("an unknown CBOR simple value"));
            }
            return m_reader.next() || readError();
        case QCborStreamReader::Float16:
            out = double(m_reader.toFloat16());
            return m_reader.next() || readError();
        case QCborStreamReader::Float:
            out = double(m_reader.toFloat());
            return m_reader.next() || readError();
        case QCborStreamReader::Double:
            out = m_reader.toDouble();
            return m_reader.next() || readError();
        case QCborStreamReader::Invalid: return readError();
        }
        return fail(QStringLiteral("an unknown CBOR item"));
    }

    bool readError()
    {
        const QCborError cborError = m_reader.lastError();
        return fail(cborError == QCborError::NoError ? QStringLiteral("truncated CBOR")
                                                     : cborError.toString());
    }

    bool fail(const QString &why)
    {
        if (error.isEmpty())
            error = why;
        return false;
    }

    QCborStreamReader m_reader;
    qint64 m_size;
};

}  // namespace

bool IpcCborCodec::encode(QByteArray &out, const Frame &frame, QString *error) const
{
    const qsizetype start = out.size();
    CborWriter writer(out);
    const bool hasError = !frame.errorCode.isEmpty();
    writer.writeHead(Map,
                     2 + (frame.requestId > 0) + (frame.replyTo > 0) + hasError + frame.isProgress()
                             + (frame.cancelId() > 0));
    writer.writeText(u"topic");
    writer.writeText(frame.topic.isEmpty() ? QStringView(u"none") : QStringView(frame.topic));
    writer.writeText(u"message");
    if (!writer.writeValue(frame.message, 0)) {
        out.truncate(start);
        if (error)
            *error = QStringLiteral("cannot encode the message of topic \"%1\": %2")
                             .arg(frame.topic, writer.error);
        return false;
    }
    if (frame.requestId > 0) {
        writer.writeText(u"id");
        writer.writeInteger(frame.requestId);
    }
    if (frame.replyTo > 0) {
        writer.writeText(u"re");
        writer.writeInteger(frame.replyTo);
    }
    if (frame.isProgress()) {
        writer.writeText(u"progress");
        out.append(char(0xf5));  // true
    }
    if (frame.cancelId() > 0) {
        writer.writeText(u"cancel");
        writer.writeInteger(frame.cancelId());
    }
    if (hasError) {
        writer.writeText(u"error");
        writer.writeHead(Map, 2);
        writer.writeText(u"code");
        writer.writeText(frame.errorCode);
        writer.writeText(u"message");
        writer.writeText(frame.errorMessage);
    }
    return true;
}

bool IpcCborCodec::decode(QByteArrayView contents, Frame *frame, QString *error) const
{
    CborReader reader(contents);
    if (reader.readFrame(frame))
        return true;
    if (error)
        *error = reader.error;
    return false;
}

bool IpcCborCodec::encodeValue(QByteArray &out, const QVariant &value, QString *error)
{
    const qsizetype start = out.size();
    CborWriter writer(out);
    if (writer.writeValue(value, 0))
        return true;
    out.truncate(start);
    if (error)
        *error = writer.error;
    return false;
}

bool IpcCborCodec::decodeValue(QByteArrayView cbor, QVariant *value, QString *error)
{
    CborReader reader(cbor);
    if (reader.readDocument(value))
        return true;
    if (error)
        *error = reader.error;
    return false;
}
