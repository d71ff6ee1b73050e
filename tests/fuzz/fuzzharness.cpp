#include "fuzzharness.h"

#include <QtCore/qendian.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace IpcFuzz {

namespace {

constexpr size_t HeaderSize = 8;
constexpr qint64 MaxFrameSizeLimit = 4096;

// The obvious splitter of delimited frames: the first "\0\0" ends a frame.
Split delimitedReferenceSplit(QByteArrayView stream, qint64 maxFrameSize)
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

// The obvious splitter of length-prefixed frames: a length, then that many bytes.
Split lengthPrefixedReferenceSplit(QByteArrayView stream, qint64 maxFrameSize)
{
    Split result;
    qsizetype at = 0;
    while (stream.size() - at >= IpcFrame::LengthPrefixSize) {
        const quint32 length = qFromBigEndian<quint32>(stream.data() + at);
        if (qint64(length) > maxFrameSize) {
            result.tooLarge = true;
            return result;
        }
        if (stream.size() - at - IpcFrame::LengthPrefixSize < qsizetype(length))
            break;
        result.frames.emplace_back(stream.data() + at + IpcFrame::LengthPrefixSize,
                                   qsizetype(length));
        at += IpcFrame::LengthPrefixSize + length;
    }
    result.pending = stream.size() - at;
    return result;
}

Split referenceSplit(QByteArrayView stream, qint64 maxFrameSize, IpcCodec::Framing framing)
{
    return framing == IpcCodec::Framing::LengthPrefixed
            ? lengthPrefixedReferenceSplit(stream, maxFrameSize)
            : delimitedReferenceSplit(stream, maxFrameSize);
}

IpcFrame::Decoder makeDecoder(qint64 maxFrameSize, IpcCodec::Framing framing)
{
    IpcFrame::Decoder decoder(maxFrameSize);
    if (framing == IpcCodec::Framing::LengthPrefixed)
        decoder.setFraming(IpcCodec::Framing::LengthPrefixed);
    return decoder;
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

// What a decoder may hold between writes without having said TooLarge or handed out a frame.
void checkPending(const IpcFrame::Decoder &decoder, qint64 maxFrameSize, IpcCodec::Framing framing)
{
    if (framing == IpcCodec::Framing::LengthPrefixed) {
        // A partial frame, its prefix included, is less than prefix + maxFrameSize bytes.
        if (decoder.pendingBytes() >= IpcFrame::LengthPrefixSize + maxFrameSize)
            failed("the decoder holds a whole frame's worth without handing it out");
    } else if (decoder.pendingBytes() > maxFrameSize + 1) {
        failed("the decoder holds more than maxFrameSize + 1 bytes without saying TooLarge");
    }
}

Split chunkedSplit(const Input &input, IpcCodec::Framing framing)
{
    static const uint8_t defaultPlan[] = {1};
    const uint8_t *plan = input.plan;
    size_t planSize = input.planSize;
    if (planSize == 0) {
        plan = defaultPlan;
        planSize = 1;
    }
    const QByteArrayView stream = input.stream;
    IpcFrame::Decoder decoder = makeDecoder(input.maxFrameSize, framing);
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
        checkPending(decoder, input.maxFrameSize, framing);
    }
    if (!drain(decoder, split))
        return split;
    split.pending = decoder.pendingBytes();

    // And it starts over cleanly, with an empty frame: it fits any maxFrameSize.
    decoder.clear();
    if (decoder.pendingBytes() != 0)
        failed("clear() left bytes behind");
    if (framing == IpcCodec::Framing::LengthPrefixed)
        decoder.append(QByteArray("\0\0\0\0", 4));
    else
        decoder.append(QByteArray("\0\0", 2));
    QByteArrayView frame;
    if (decoder.next(&frame) != IpcFrame::Decoder::Status::Frame || !frame.isEmpty()
        || decoder.next(&frame) != IpcFrame::Decoder::Status::NeedMore
        || decoder.pendingBytes() != 0)
        failed("the decoder does not work after clear()");
    return split;
}

Split wholeSplit(const Input &input, IpcCodec::Framing framing)
{
    IpcFrame::Decoder decoder = makeDecoder(input.maxFrameSize, framing);
    Split split;
    decoder.append(input.stream.toByteArray());
    if (drain(decoder, split))
        split.pending = decoder.pendingBytes();
    return split;
}

void checkSplitsAgree(const char *what, const Split &expected, const Split &actual)
{
    if (expected.frames.size() != actual.frames.size() || expected.tooLarge != actual.tooLarge
        || expected.pending != actual.pending) {
        std::fprintf(stderr,
                     "%s: %s: reference %zu frames, tooLarge %d, pending %lld; "
                     "decoder %zu frames, tooLarge %d, pending %lld\n",
                     FuzzerName, what, expected.frames.size(), expected.tooLarge,
                     (long long)expected.pending, actual.frames.size(), actual.tooLarge,
                     (long long)actual.pending);
        failed("the decoder splits the stream differently from the reference");
    }
    for (size_t i = 0; i < expected.frames.size(); ++i) {
        if (expected.frames[i] != actual.frames[i])
            failed("a frame differs from the reference's",
                   showFrameBytes(expected.frames[i]) + " vs " + showFrameBytes(actual.frames[i]));
    }
}

}  // namespace

void failed(const char *what, const QByteArray &detail)
{
    std::fprintf(stderr, "%s: %s\n", FuzzerName, what);
    if (!detail.isEmpty())
        std::fprintf(stderr, "  %s\n", printableDetail(detail).constData());
    std::abort();
}

bool allItems(const QVariant &v, bool (*shaped)(const QVariant &))
{
    switch (v.metaType().id()) {
    case QMetaType::QVariantList:
        for (const QVariant &item : *static_cast<const QVariantList *>(v.constData())) {
            if (!shaped(item))
                return false;
        }
        return true;
    case QMetaType::QVariantMap:
        for (const QVariant &item : *static_cast<const QVariantMap *>(v.constData())) {
            if (!shaped(item))
                return false;
        }
        return true;
    default: return true;
    }
}

bool sameItems(const QVariant &a, const QVariant &b,
               bool (*same)(const QVariant &, const QVariant &))
{
    if (a.metaType() != b.metaType())
        return false;
    switch (a.metaType().id()) {
    case QMetaType::QVariantList: {
        const auto &la = *static_cast<const QVariantList *>(a.constData());
        const auto &lb = *static_cast<const QVariantList *>(b.constData());
        if (la.size() != lb.size())
            return false;
        for (qsizetype i = 0; i < la.size(); ++i) {
            if (!same(la.at(i), lb.at(i)))
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
            if (i.key() != j.key() || !same(i.value(), j.value()))
                return false;
        }
        return true;
    }
    default: return true;
    }
}

Input readInput(const uint8_t *data, size_t size)
{
    Input input;
    input.maxFrameSize = MaxFrameSizeLimit;
    input.stream = QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size));
    if (size >= HeaderSize) {
        input.maxFrameSize = (data[0] | data[1] << 8) % (MaxFrameSizeLimit + 1);
        input.plan = data + 2;
        input.planSize = HeaderSize - 2;
        input.stream = input.stream.sliced(HeaderSize);
        input.hasHeader = true;
    }
    return input;
}

Split checkSplitting(const Input &input, IpcCodec::Framing framing)
{
    const Split expected = referenceSplit(input.stream, input.maxFrameSize, framing);
    const Split chunked = chunkedSplit(input, framing);
    checkSplitsAgree("chunked", expected, chunked);
    checkSplitsAgree("whole", expected, wholeSplit(input, framing));
    return chunked;
}

}  // namespace IpcFuzz
