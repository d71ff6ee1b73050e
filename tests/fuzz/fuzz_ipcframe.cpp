// libFuzzer target for the frame codec (src/socketipc/codec: the JSON writer and reader, the
// framing).
//
// Input layout:
//   byte 0..1  maxFrameSize, little endian, modulo 4097 (0..4096)
//   byte 2..7  chunk plan, cycled: low 6 bits = chunk size (0 = an empty write); bit 6 =
//              after this write take at most one frame (frames pile up in the decoder, as
//              when a caller stops early) instead of all; bit 7 = write through
//              reserve()/commit() (with spare room) instead of append()
//   byte 8..   the byte stream a peer sends
// An input shorter than the header is a stream with the default plan (4096, 1-byte chunks).
//
// Checks, each an abort() on failure:
//  - the Decoder, fed in those chunks, yields exactly the frames (and TooLarge, and pending
//    bytes) of a naive reference splitter, and so does one fed the whole stream at once;
//    after clear() it holds nothing and splits again;
//  - every frame that decode() accepts has only JSON-shaped values, re-encodes with encode(),
//    and decode(encode(x)) == x (QVariant == and a stricter structural comparison), with an
//    empty topic coming back as "none" and a missing message as null; encoding is a fixed
//    point (encode(decode(encode(x))) == encode(x)) and puts no NUL before the delimiter;
//  - decodeValue() of a frame agrees with decode();
//  - decodeValue() of the whole input and of the stream round-trips through encodeValue().

#include "ipcframe_p.h"

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qmap.h>
#include <QtCore/qstring.h>
#include <QtCore/qvariant.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr size_t HeaderSize = 8;
constexpr qint64 MaxFrameSizeLimit = 4096;

[[noreturn]] void failed(const char *what, const QByteArray &detail = QByteArray())
{
    std::fprintf(stderr, "fuzz_ipcframe: %s\n", what);
    if (!detail.isEmpty())
        std::fprintf(stderr, "  %s\n", detail.toPercentEncoding(" {}[]\":,").constData());
    std::abort();
}

QByteArray describe(const QVariant &v)
{
    QByteArray out;
    QString error;
    if (!IpcFrame::encodeValue(out, v, &error))
        return "<unencodable: " + error.toUtf8() + '>';
    return QByteArray(v.typeName() ? v.typeName() : "invalid") + ' ' + out;
}

// What the decoder may produce: null, bool, qlonglong, double, QString, QVariantList,
// QVariantMap, and only those.
bool isJsonShaped(const QVariant &v)
{
    switch (v.metaType().id()) {
    case QMetaType::Nullptr:
    case QMetaType::Bool:
    case QMetaType::LongLong:
    case QMetaType::QString: return true;
    case QMetaType::Double: return std::isfinite(v.toDouble());
    case QMetaType::QVariantList:
        for (const QVariant &item : *static_cast<const QVariantList *>(v.constData())) {
            if (!isJsonShaped(item))
                return false;
        }
        return true;
    case QMetaType::QVariantMap:
        for (const QVariant &item : *static_cast<const QVariantMap *>(v.constData())) {
            if (!isJsonShaped(item))
                return false;
        }
        return true;
    default: return false;
    }
}

bool isNumber(int id)
{
    return id == QMetaType::LongLong || id == QMetaType::Double;
}

// Stricter than QVariant == (which calls true equal to 1): the same JSON types, and numbers
// equal, whichever of qlonglong/double holds them.
bool sameJson(const QVariant &a, const QVariant &b)
{
    const int ta = a.metaType().id();
    const int tb = b.metaType().id();
    if (ta == QMetaType::LongLong && tb == QMetaType::LongLong)
        return a.toLongLong() == b.toLongLong();
    if (isNumber(ta) && isNumber(tb)) {
        // Equal as doubles, as in JavaScript: a double of 2^53 or more is written with the
        // shortest digits that round back to it (JSON.stringify's rule), and those digits
        // then parse as the qlonglong they spell exactly, e.g. 2.2200222202220022e17 ->
        // "222002222022200220" -> qlonglong 222002222022200220, while the double was
        // 222002222022200224. By design: it rounds back to the same double.
        return a.toDouble() == b.toDouble();
    }
    if (ta != tb)
        return false;
    switch (ta) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr: return true;
    case QMetaType::Bool: return a.toBool() == b.toBool();
    case QMetaType::QString:
        return *static_cast<const QString *>(a.constData())
                == *static_cast<const QString *>(b.constData());
    case QMetaType::QVariantList: {
        const auto &la = *static_cast<const QVariantList *>(a.constData());
        const auto &lb = *static_cast<const QVariantList *>(b.constData());
        if (la.size() != lb.size())
            return false;
        for (qsizetype i = 0; i < la.size(); ++i) {
            if (!sameJson(la.at(i), lb.at(i)))
                return false;
        }
        return true;
    }
    case QMetaType::QVariantMap: {
        const auto &ma = *static_cast<const QVariantMap *>(a.constData());
        const auto &mb = *static_cast<const QVariantMap *>(b.constData());
        if (ma.size() != mb.size())
            return false;
        for (auto i = ma.cbegin(), j = mb.cbegin(); i != ma.cend(); ++i, ++j) {
            if (i.key() != j.key() || !sameJson(i.value(), j.value()))
                return false;
        }
        return true;
    }
    default: return false;
    }
}

void checkSame(const char *what, const QVariant &expected, const QVariant &actual)
{
    if (!(expected == actual))
        failed(what, "QVariant == says different: " + describe(expected) + " vs "
                       + describe(actual));
    if (!sameJson(expected, actual))
        failed(what, "structurally different: " + describe(expected) + " vs " + describe(actual));
}

// decodeValue -> encodeValue -> decodeValue -> encodeValue.
void checkValueRoundTrip(QByteArrayView json)
{
    QVariant value;
    QString error;
    if (!IpcFrame::decodeValue(json, &value, &error))
        return;
    if (!isJsonShaped(value))
        failed("decodeValue produced a non-JSON value", describe(value));
    QByteArray encoded;
    if (!IpcFrame::encodeValue(encoded, value, &error))
        failed("encodeValue refused a decoded value", error.toUtf8());
    if (encoded.contains('\0'))
        failed("encodeValue wrote a NUL byte", encoded);
    QVariant again;
    if (!IpcFrame::decodeValue(encoded, &again, &error))
        failed("decodeValue refused what encodeValue wrote", encoded + " : " + error.toUtf8());
    checkSame("decodeValue(encodeValue(x)) != x", value, again);
    QByteArray encodedAgain;
    if (!IpcFrame::encodeValue(encodedAgain, again, &error) || encodedAgain != encoded)
        failed("encodeValue is not a fixed point", encoded + " then " + encodedAgain);
}

void checkFrame(QByteArrayView json)
{
    QString topic;
    QVariant message;
    QString error;
    if (!IpcFrame::decode(json, &topic, &message, &error)) {
        if (error.isEmpty())
            failed("decode failed without saying why");
        return;
    }
    if (message.isValid() && !isJsonShaped(message))
        failed("decode produced a non-JSON message", describe(message));

    // The same text as any JSON value: an object whose "topic" and "message" agree.
    QVariant value;
    if (!IpcFrame::decodeValue(json, &value, &error))
        failed("decodeValue refused a frame that decode accepted", error.toUtf8());
    if (value.metaType().id() != QMetaType::QVariantMap)
        failed("a frame decoded as a non-object", describe(value));
    const QVariantMap object = value.toMap();
    if (object.value(QStringLiteral("topic")) != QVariant(topic)
        || !sameJson(object.value(QStringLiteral("topic")), QVariant(topic)))
        failed("decode and decodeValue disagree on the topic");
    if (object.contains(QStringLiteral("message")) != message.isValid())
        failed("decode and decodeValue disagree on whether there is a message");
    if (message.isValid())
        checkSame("decode and decodeValue disagree on the message",
                  object.value(QStringLiteral("message")), message);

    // Round trip through encode.
    QByteArray encoded("prefix");  // encode appends: what is there must stay
    if (!IpcFrame::encode(encoded, topic, message, &error))
        failed("encode refused a decoded frame", error.toUtf8());
    if (!encoded.startsWith("prefix"))
        failed("encode changed what was already in the buffer", encoded);
    encoded.remove(0, 6);
    if (!encoded.endsWith(QByteArray(IpcFrame::Delimiter, IpcFrame::DelimiterSize)))
        failed("encode wrote no delimiter", encoded);
    encoded.chop(IpcFrame::DelimiterSize);
    if (encoded.contains('\0'))
        failed("encode wrote a NUL byte inside the frame", encoded);

    QString topic2;
    QVariant message2;
    if (!IpcFrame::decode(encoded, &topic2, &message2, &error))
        failed("decode refused what encode wrote", encoded + " : " + error.toUtf8());
    const QString expectedTopic = topic.isEmpty() ? QStringLiteral("none") : topic;
    if (topic2 != expectedTopic)
        failed("topic changed in the round trip", topic.toUtf8() + " -> " + topic2.toUtf8());
    // encode writes an invalid QVariant (no "message") as null.
    const QVariant expectedMessage = message.isValid() ? message : QVariant::fromValue(nullptr);
    checkSame("decode(encode(x)) != x", expectedMessage, message2);

    QByteArray encodedAgain;
    if (!IpcFrame::encode(encodedAgain, topic2, message2, &error))
        failed("encode refused a re-decoded frame", error.toUtf8());
    encodedAgain.chop(IpcFrame::DelimiterSize);
    if (encodedAgain != encoded)
        failed("encode is not a fixed point", encoded + " then " + encodedAgain);
}

struct Split
{
    std::vector<QByteArray> frames;
    bool tooLarge = false;
    qsizetype pending = 0;
};

// The obvious splitter: the first "\0\0" ends a frame.
Split referenceSplit(QByteArrayView stream, qint64 maxFrameSize)
{
    Split result;
    qsizetype start = 0;
    for (;;) {
        qsizetype i = start;
        while (i + 1 < stream.size() && !(stream[i] == '\0' && stream[i + 1] == '\0'))
            ++i;
        if (i + 1 >= stream.size())
            break;
        if (i - start > maxFrameSize) {
            result.tooLarge = true;
            return result;
        }
        result.frames.emplace_back(stream.data() + start, i - start);
        start = i + IpcFrame::DelimiterSize;
    }
    const qsizetype pending = stream.size() - start;
    const bool halfDelimiter = pending > 0 && stream[stream.size() - 1] == '\0';
    if (pending > maxFrameSize + (halfDelimiter ? 1 : 0))
        result.tooLarge = true;
    else
        result.pending = pending;
    return result;
}

// Takes every frame the decoder has; false on TooLarge.
bool drain(IpcFrame::Decoder &decoder, Split &split)
{
    for (;;) {
        QByteArrayView frame;
        switch (decoder.next(&frame)) {
        case IpcFrame::Decoder::Status::Frame:
            split.frames.emplace_back(frame.data(), frame.size());  // copy: the view is brief
            break;
        case IpcFrame::Decoder::Status::NeedMore: return true;
        case IpcFrame::Decoder::Status::TooLarge: split.tooLarge = true; return false;
        }
    }
}

Split chunkedSplit(QByteArrayView stream, qint64 maxFrameSize, const uint8_t *plan,
                   size_t planSize)
{
    static const uint8_t defaultPlan[] = {1};
    if (planSize == 0) {
        plan = defaultPlan;
        planSize = 1;
    }
    IpcFrame::Decoder decoder(maxFrameSize);
    Split split;
    qsizetype at = 0;
    size_t step = 0;
    size_t emptyInARow = 0;
    while (at < stream.size()) {
        const uint8_t b = plan[step++ % planSize];
        qsizetype size = b & 0x3f;
        if (size == 0 && ++emptyInARow >= planSize)
            size = 1;  // a plan of only empty writes would never end
        if (size != 0)
            emptyInARow = 0;
        size = qMin(size, stream.size() - at);
        if (b & 0x80) {
            const qsizetype reserved = size + (b & 0x0f);
            char *room = decoder.reserve(reserved);
            if (size)
                std::memcpy(room, stream.data() + at, size_t(size));
            decoder.commit(reserved, size);
        } else {
            decoder.append(QByteArray(stream.data() + at, size));
        }
        at += size;
        if (b & 0x40) {
            QByteArrayView frame;
            switch (decoder.next(&frame)) {
            case IpcFrame::Decoder::Status::Frame:
                split.frames.emplace_back(frame.data(), frame.size());
                break;
            case IpcFrame::Decoder::Status::NeedMore: break;
            case IpcFrame::Decoder::Status::TooLarge: split.tooLarge = true; return split;
            }
            continue;
        }
        if (!drain(decoder, split))
            return split;
        if (decoder.pendingBytes() > maxFrameSize + 1)
            failed("the decoder holds more than maxFrameSize + 1 bytes without saying TooLarge");
    }
    if (!drain(decoder, split))
        return split;
    split.pending = decoder.pendingBytes();

    // And it starts over cleanly.
    decoder.clear();
    if (decoder.pendingBytes() != 0)
        failed("clear() left bytes behind");
    decoder.append(QByteArray("\0\0", 2));  // an empty frame: fits any maxFrameSize
    QByteArrayView frame;
    if (decoder.next(&frame) != IpcFrame::Decoder::Status::Frame || !frame.isEmpty()
        || decoder.next(&frame) != IpcFrame::Decoder::Status::NeedMore
        || decoder.pendingBytes() != 0)
        failed("the decoder does not work after clear()");
    return split;
}

Split wholeSplit(QByteArrayView stream, qint64 maxFrameSize)
{
    IpcFrame::Decoder decoder(maxFrameSize);
    Split split;
    decoder.append(stream.toByteArray());
    if (drain(decoder, split))
        split.pending = decoder.pendingBytes();
    return split;
}

void checkSplitsAgree(const char *what, const Split &expected, const Split &actual)
{
    if (expected.frames.size() != actual.frames.size() || expected.tooLarge != actual.tooLarge
        || expected.pending != actual.pending) {
        std::fprintf(stderr,
                     "fuzz_ipcframe: %s: reference %zu frames, tooLarge %d, pending %lld; "
                     "decoder %zu frames, tooLarge %d, pending %lld\n",
                     what, expected.frames.size(), expected.tooLarge,
                     (long long)expected.pending, actual.frames.size(), actual.tooLarge,
                     (long long)actual.pending);
        failed("the decoder splits the stream differently from the reference");
    }
    for (size_t i = 0; i < expected.frames.size(); ++i) {
        if (expected.frames[i] != actual.frames[i])
            failed("a frame differs from the reference's", expected.frames[i] + " vs "
                           + actual.frames[i]);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qint64 maxFrameSize = MaxFrameSizeLimit;
    const uint8_t *plan = nullptr;
    size_t planSize = 0;
    QByteArrayView stream(reinterpret_cast<const char *>(data), qsizetype(size));
    if (size >= HeaderSize) {
        maxFrameSize = (data[0] | data[1] << 8) % (MaxFrameSizeLimit + 1);
        plan = data + 2;
        planSize = HeaderSize - 2;
        stream = stream.sliced(HeaderSize);
    }

    const Split expected = referenceSplit(stream, maxFrameSize);
    const Split chunked = chunkedSplit(stream, maxFrameSize, plan, planSize);
    checkSplitsAgree("chunked", expected, chunked);
    checkSplitsAgree("whole", expected, wholeSplit(stream, maxFrameSize));

    for (const QByteArray &frame : chunked.frames)
        checkFrame(frame);
    // A peer's stream is often one frame without the delimiter: decode it as is too.
    if (expected.frames.empty())
        checkFrame(stream);

    checkValueRoundTrip(QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (size >= HeaderSize)
        checkValueRoundTrip(stream);
    return 0;
}
