#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_ipcframe into corpus/ (next to this script).

Each seed is the fuzzer's 8-byte header (maxFrameSize, little endian, then six chunk-plan
bytes: low 6 bits a chunk size, bit 6 take one frame only, bit 7 reserve()/commit() instead
of append(); see fuzz_ipcframe.cpp) followed by the byte stream. Regression seeds (regress-*) are kept as they are; this script rewrites
only the seed-* files.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
D = b"\0\0"


def header(max_frame=4096, plan=(1, 2, 3, 0x85, 7, 63)):
    return struct.pack("<H", max_frame) + bytes(plan)


def frame(text):
    return text.encode() if isinstance(text, str) else text


SEEDS = {
    "simple": frame('{"topic":"hello","message":"world"}') + D,
    "nested": frame('{"topic":"state","message":{"a":[1,2,{"b":[true,false,null]}],'
                    '"c":{},"d":[],"e":{"f":{"g":[[[]]]}}}}') + D,
    "unicode": frame('{"topic":"héllo wörld ✓","message":["ß","日本語","😀","a😀b",'
                     '"' + "x" * 20 + 'é' + "y" * 20 + '"]}') + D,
    "escapes": frame(r'{"topic":"t\"\\\/","message":"\b\f\n\r\t \u0000 \u001f \u00e9 '
                     r'\uD83D\uDE00 \ud800 lone \udc00 \u20AC"}') + D,
    "numbers": frame('{"topic":"n","message":[0,-0,1,-1,1.5,-1.5e-7,1E+21,1e21,1e-6,1e-7,'
                     '2.5E-3,123456789012345678,9007199254740993,9223372036854775807,'
                     '-9223372036854775808,9223372036854775808,-9223372036854775809,'
                     '12345678901234567890123,1e-400,5e-324,1.7976931348623157e308,'
                     '0.1,0.30000000000000004]}') + D,
    "empty-topic": frame('{"topic":"","message":1}') + D,
    "extra-keys": frame('{"id":7,"topic":"t","x":[1,{"y":2}],"message":null,"z":"w"}') + D,
    "missing-message": frame('{"topic":"undefined"}') + D,
    "whitespace": frame(' \t\r\n{ "topic" : "ws" ,\n "message" : [ 1 , { "a" : 2 } ] }\r\n ')
    + D,
    "duplicate-keys": frame('{"topic":"a","message":1,"topic":"b","message":{"k":1,"k":2}}')
    + D,
    "literals": frame('{"topic":"l","message":[true,false,null,"true"]}') + D,
    "long-strings": frame('{"topic":"' + "t" * 40 + '","message":"' + "a" * 100 + '\\n'
                          + "b" * 37 + '"}') + D,
    "several-frames": frame('{"topic":"a","message":1}') + D
    + frame('{"topic":"a","message":[2]}') + D
    + frame('{"topic":"b","message":{"c":"d"}}') + D,
    "split-delimiter": frame('{"topic":"a","message":1}') + D
    + frame('{"topic":"b","message":2}') + b"\0",
    "triple-nul": frame('{"topic":"a","message":1}') + b"\0\0\0"
    + frame('{"topic":"b","message":2}') + D + D,
    "empty-frames": D + D + frame('{"topic":"x"}') + D,
    "deep-valid": frame('{"topic":"deep","message":' + "[" * 500 + "]" * 500 + "}") + D,
    "deep-invalid": frame('{"topic":"deep","message":' + "[" * 600 + "]" * 600 + "}") + D,
    "bad-utf8": frame(b'{"topic":"a","message":"\xc0\x80"}') + D
    + frame(b'{"topic":"a","message":"\xed\xa0\x80"}') + D
    + frame(b'{"topic":"a","message":"\xf5\x80\x80\x80"}') + D
    + frame(b'{"topic":"\xe2\x82","message":1}') + D,
    "truncated": frame('{"topic":"a","message":1}') + D + frame('{"topic":"a","mess'),
    "invalid-shapes": frame("[1,2]") + D + frame('{"topic":1,"message":2}') + D
    + frame('{"message":2}') + D + frame('{"topic":"a","message":tru}') + D
    + frame('{"topic":"a","message":01}') + D + frame('{"topic":"a","message":"\\u12G4"}')
    + D + frame('{"topic":"a","message":"raw\ttab"}') + D
    + frame('{"topic":"a","message":1}x') + D + frame('{"topic":"a",}') + D,
}

# Seeds with their own headers: small limits (TooLarge, the boundary), other splits.
SPECIAL = {
    "too-large": header(16) + frame('{"topic":"much too long","message":1}') + D,
    "at-the-limit": header(len('{"topic":"a","message":1}'), (0x3f,) * 6)
    + frame('{"topic":"a","message":1}') + D + frame('{"topic":"a","message":12}') + D,
    "byte-by-byte-utf8": header(4096, (1, 1, 1, 1, 1, 0))
    + frame('{"topic":"ü","message":"日本😀"}') + D,
    "reserve-commit": header(4096, (0x83, 0x90, 0x81, 0xbf, 0x80, 0x05))
    + frame('{"topic":"r","message":[1,2,3]}') + D + frame('{"topic":"r"}') + D,
    "one-frame-at-a-time": header(4096, (0x7f, 0xff, 0x41, 0x40, 0xc2, 0x3f))
    + (frame('{"topic":"q","message":[1]}') + D) * 6,
    "value-only": header() + frame('[1,"two",{"three":3.0}]'),
    # Numbers whose magnitude is out of double's range only once the exponent is applied:
    # 1e321 written with a negative exponent (JSON.parse: Infinity; the codec's rule for
    # overflow: an error) and 1e-336 written with a positive one (JSON.parse: 0).
    "number-range-by-exponent": header()
    + frame('{"topic":"a","message":1' + "0" * 330 + 'e-10}') + D
    + frame('{"topic":"a","message":0.' + "0" * 340 + '1e+5}') + D,
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.startswith("seed-"):
            os.remove(os.path.join(OUT, name))
    for name, stream in SEEDS.items():
        with open(os.path.join(OUT, "seed-" + name), "wb") as f:
            f.write(header() + stream)
    for name, data in SPECIAL.items():
        with open(os.path.join(OUT, "seed-" + name), "wb") as f:
            f.write(data)
    print(f"{len(SEEDS) + len(SPECIAL)} seeds in {OUT}")


if __name__ == "__main__":
    main()
