"""The embedded parameters' text and XMP (escaping of hostile prompts) and the byte-level
writers for PNG, JPEG and WebP."""

from __future__ import annotations

import io
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from fluxweb.generations import containers
from fluxweb.generations.embedding import parameters_text, with_parameters, xmp_packet
from fluxweb.generations.models import Generation, Prompt

HOSTILE = 'Say "hi" & <b>bye</b> ]]> ?> \x01\x00 — 日本語 ünï\nsecond line: yes, really'
FLUXWEB = "{urn:fluxweb:xmp:1.0:}"


def generation(prompt: str = "a lighthouse", **fields) -> Generation:
    values = {
        "provider": "demo",
        "model": "demo/placeholder",
        "width": 1024,
        "height": 768,
        "num_inference_steps": 4,
        "seed": 42,
    }
    values.update(fields)
    return Generation(pk=3, prompt=Prompt(text=prompt), **values)


def png(mode: str = "RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (8, 6), (10, 20, 30, 40)[: len(mode)]).save(buffer, "PNG", **save)
    return buffer.getvalue()


def test_parameters_text_in_a1111_form_with_guidance_and_negative_prompt():
    text = parameters_text(
        generation(negative_prompt="blurry", guidance_scale=3.5, seed=7, width=512, height=640)
    )
    assert text == (
        "a lighthouse\n"
        "Negative prompt: blurry\n"
        'Steps: 4, CFG scale: 3.5, Seed: 7, Size: 512x640, Model: "Demo (offline) placeholder, '
        'not FLUX", Host: Demo (offline)'
    )


def test_parameters_text_leaves_out_what_is_unset_and_includes_other_features_fields():
    item = generation(num_inference_steps=None, seed=None)
    item.sampler_name = "euler"  # fields other features add to Generation, when present
    item.denoise = 0.75
    assert parameters_text(item).splitlines()[-1] == (
        'Size: 1024x768, Model: "Demo (offline) placeholder, not FLUX", Host: Demo (offline), '
        "Sampler: euler, Denoising strength: 0.75"
    )


def test_hostile_prompt_is_well_formed_xml_and_round_trips_without_control_characters():
    packet = xmp_packet(generation(HOSTILE, negative_prompt="<&>"))
    body = packet[packet.index("<x:xmpmeta") : packet.index("</x:xmpmeta>") + 12]
    tree = ET.fromstring(body)  # raises on anything badly escaped
    expected = HOSTILE.replace("\x01", "").replace("\x00", "")
    assert tree.find(f".//{FLUXWEB}prompt").text == expected
    assert tree.find(f".//{FLUXWEB}negative_prompt").text == "<&>"
    assert "\x00" not in parameters_text(generation(HOSTILE))


def png_text_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks.append((kind, body))
        position += 12 + length
    return chunks


def test_latin1_text_goes_in_text_chunks_other_text_in_itxt_before_the_image_data():
    latin = with_parameters(png(), "image/png", generation("Café crème"))
    kinds = [kind for kind, _ in png_text_chunks(latin)]
    assert kinds.index(b"tEXt") < kinds.index(b"IDAT")
    assert kinds.index(b"iTXt") < kinds.index(b"IDAT")  # the XMP packet
    with Image.open(io.BytesIO(latin)) as picture:
        assert picture.text["parameters"].startswith("Café crème\n")

    other = with_parameters(png(), "image/png", generation(HOSTILE))
    assert b"tEXt" not in [kind for kind, _ in png_text_chunks(other)]
    with Image.open(io.BytesIO(other)) as picture:
        assert picture.text["parameters"].startswith('Say "hi" & <b>bye</b> ]]> ?>  — 日本語')


def test_text_the_provider_put_in_the_png_is_replaced_not_duplicated():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("parameters", "provider says something else")
    info.add_text("Software", "provider")
    data = with_parameters(png("RGBA", pnginfo=info), "image/png", generation())
    parameters = [body for kind, body in png_text_chunks(data) if body.startswith(b"parameters")]
    assert len(parameters) == 1 and b"a lighthouse" in parameters[0]
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.text["Software"] == "provider"
        assert picture.mode == "RGBA"


def test_jpeg_xmp_goes_after_the_jfif_header_and_too_large_a_packet_leaves_the_file_alone():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "JPEG")
    original = buffer.getvalue()
    assert original[2:4] == b"\xff\xe0"  # JFIF APP0
    data = with_parameters(original, "image/jpeg", generation())
    assert data[2:4] == b"\xff\xe0"
    app0_end = 4 + struct.unpack(">H", original[4:6])[0]
    assert data[app0_end : app0_end + 2] == b"\xff\xe1"
    assert data[app0_end + 4 :].startswith(containers.JPEG_XMP_HEADER)
    assert with_parameters(original, "image/jpeg", generation("x" * 70_000)) == original


@pytest.mark.parametrize(
    "data",
    [b"", b"\x89PNG\r\n\x1a\n\x00\x00", b"\xff\xd8\xff\xe0\x00", b"RIFF\x04\x00\x00\x00WEBP"],
)
def test_truncated_files_come_back_unchanged(data):
    for content_type in ("image/png", "image/jpeg", "image/webp", "image/gif"):
        assert with_parameters(data, content_type, generation()) == data


SIGNATURES = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\x40\x00\x00\x00WEBPVP8"]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(SIGNATURES), st.binary(max_size=200), st.sampled_from(["png", "jpeg", "webp"])
)
def test_arbitrary_bytes_never_raise(signature, tail, kind):
    data = signature + tail
    result = with_parameters(data, f"image/{kind}", generation())
    assert isinstance(result, bytes)
