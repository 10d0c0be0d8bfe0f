"""Putting text metadata into PNG, JPEG and WebP files at the byte level: the compressed
pixel data is copied unchanged, never decoded or re-encoded, so a download is the stored
image bit for bit plus its metadata (and no JPEG/WebP quality is lost).

Formats: PNG chunks (PNG 1.2 / ISO 15948: ``tEXt`` Latin-1, ``iTXt`` UTF-8; XMP in an
``iTXt`` chunk keyed ``XML:com.adobe.xmp``, XMP Specification Part 3 §1.1.5); JPEG APP1
segment ``http://ns.adobe.com/xap/1.0/\\0`` + packet (XMP Part 3 §1.1.3); WebP ``XMP ``
chunk in an extended (``VP8X``) container, flag bit 0x04 (Google's WebP container
specification). Metadata of the same keys already in the file (from the provider) is
replaced, never duplicated.

Every function raises :class:`ValueError` for bytes that are not a well-formed file of
its format.
"""

from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_XMP_KEY = "XML:com.adobe.xmp"
JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
JPEG_SEGMENT_MAX = 0xFFFF - 2  # bytes of payload after the 2-byte length
WEBP_XMP_FLAG = 0x04
WEBP_ALPHA_FLAG = 0x10


def png_with_text(data: bytes, texts: dict[str, str]) -> bytes:
    """``data`` (a PNG) with one text chunk per ``texts`` item (keyword → text), before
    the first ``IDAT``: ``tEXt`` when the text is Latin-1, ``iTXt`` (UTF-8) otherwise or
    for the XMP key. Existing text chunks with those keywords are dropped."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    keys = {key.encode("latin-1") for key in texts}
    out = [PNG_SIGNATURE]
    inserted = False
    for kind, body in _png_chunks(data):
        if kind in (b"tEXt", b"iTXt", b"zTXt") and body.split(b"\x00", 1)[0] in keys:
            continue
        if kind == b"IDAT" and not inserted:
            out.extend(_png_text_chunk(key, text) for key, text in texts.items())
            inserted = True
        out.append(_png_chunk(kind, body))
    if not inserted:
        raise ValueError("PNG without image data")
    return b"".join(out)


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks = []
    position = len(PNG_SIGNATURE)
    while position < len(data):
        if position + 12 > len(data):
            raise ValueError("truncated PNG chunk")
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            raise ValueError("truncated PNG chunk")
        chunks.append((kind, data[position + 8 : position + 8 + length]))
        position = end
        if kind == b"IEND":
            break
    return chunks


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_text_chunk(key: str, text: str) -> bytes:
    keyword = key.encode("latin-1")
    if key != PNG_XMP_KEY:
        try:
            return _png_chunk(b"tEXt", keyword + b"\x00" + text.encode("latin-1"))
        except UnicodeEncodeError:
            pass
    # iTXt: keyword, NUL, compression flag 0, method 0, empty language, NUL, empty
    # translated keyword, NUL, UTF-8 text.
    return _png_chunk(b"iTXt", keyword + b"\x00\x00\x00\x00\x00" + text.encode("utf-8"))


def jpeg_with_xmp(data: bytes, packet: str) -> bytes:
    """``data`` (a JPEG) with an APP1 XMP segment holding ``packet`` after the leading
    APP0 (JFIF) / APP1 (Exif) segments; existing XMP segments are dropped. Raises
    :class:`ValueError` also when the packet does not fit one segment (64 KiB)."""
    payload = JPEG_XMP_HEADER + packet.encode("utf-8")
    if len(payload) > JPEG_SEGMENT_MAX:
        raise ValueError("XMP packet too large for one JPEG segment")
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    out = [b"\xff\xd8"]
    inserted = False
    position = 2
    while True:
        while data[position : position + 2] == b"\xff\xff":  # fill bytes
            position += 1
        if position + 4 > len(data) or data[position] != 0xFF:
            raise ValueError("malformed JPEG segment")
        marker = data[position + 1]
        if marker == 0xDA:  # start of scan: the entropy-coded data follows, kept verbatim
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        end = position + 2 + length
        if length < 2 or end > len(data):
            raise ValueError("truncated JPEG segment")
        body = data[position + 4 : end]
        is_xmp = marker == 0xE1 and body.startswith(JPEG_XMP_HEADER)
        leading = marker == 0xE0 or (marker == 0xE1 and not is_xmp)
        if not inserted and not leading:
            out.append(_jpeg_segment(payload))
            inserted = True
        if not is_xmp:
            out.append(data[position:end])
        position = end
    if not inserted:
        out.append(_jpeg_segment(payload))
    out.append(data[position:])
    return b"".join(out)


def _jpeg_segment(payload: bytes) -> bytes:
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def webp_with_xmp(data: bytes, packet: str) -> bytes:
    """``data`` (a WebP) with an ``XMP `` chunk holding ``packet``; a simple (``VP8 `` /
    ``VP8L``) file becomes an extended one with a ``VP8X`` header, its canvas size read
    from the bitstream header. An existing ``XMP `` chunk is replaced."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP")
    chunks = [chunk for chunk in _riff_chunks(data) if chunk[0] != b"XMP "]
    if not chunks:
        raise ValueError("empty WebP")
    kind, body = chunks[0]
    if kind == b"VP8X":
        if len(body) < 10:
            raise ValueError("short VP8X chunk")
        chunks[0] = (kind, bytes([body[0] | WEBP_XMP_FLAG]) + body[1:])
    elif kind in (b"VP8 ", b"VP8L"):
        width, height, alpha = _webp_canvas(kind, body)
        flags = WEBP_XMP_FLAG | (WEBP_ALPHA_FLAG if alpha else 0)
        header = bytes([flags, 0, 0, 0]) + _uint24(width - 1) + _uint24(height - 1)
        chunks.insert(0, (b"VP8X", header))
    else:
        raise ValueError("unknown WebP layout")
    chunks.append((b"XMP ", packet.encode("utf-8")))
    body_bytes = b"WEBP" + b"".join(_riff_chunk(kind, body) for kind, body in chunks)
    return b"RIFF" + struct.pack("<I", len(body_bytes)) + body_bytes


def _riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks = []
    (riff_size,) = struct.unpack("<I", data[4:8])
    limit = min(len(data), 8 + riff_size)
    position = 12
    while position + 8 <= limit:
        kind = data[position : position + 4]
        (length,) = struct.unpack("<I", data[position + 4 : position + 8])
        end = position + 8 + length
        if end > limit:
            raise ValueError("truncated WebP chunk")
        chunks.append((kind, data[position + 8 : end]))
        position = end + (length & 1)
    return chunks


def _riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")


def _webp_canvas(kind: bytes, body: bytes) -> tuple[int, int, bool]:
    """(width, height, has alpha) from a VP8 key frame header (RFC 6386 §9.1) or a VP8L
    header (WebP lossless bitstream specification §3)."""
    if kind == b"VP8 ":
        if len(body) < 10 or body[3:6] != b"\x9d\x01\x2a":
            raise ValueError("not a VP8 key frame")
        width, height = struct.unpack("<HH", body[6:10])
        return width & 0x3FFF, height & 0x3FFF, False
    if len(body) < 5 or body[0] != 0x2F:
        raise ValueError("not a VP8L bitstream")
    (bits,) = struct.unpack("<I", body[1:5])
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool((bits >> 28) & 1)


def _uint24(value: int) -> bytes:
    return struct.pack("<I", value)[:3]
