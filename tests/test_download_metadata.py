"""Downloads carry their generation's parameters: PNG text chunk + XMP, JPEG/WebP XMP,
read back by Pillow through the real download URL; the pixels are the stored ones."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageChops

from fluxweb.generations.models import GeneratedImage
from tests.factories import make_finished_generation, make_generation

pytestmark = pytest.mark.django_db

DC = "{http://purl.org/dc/elements/1.1/}"
FLUXWEB = "{urn:fluxweb:xmp:1.0:}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"


def download(client, image: GeneratedImage) -> bytes:
    response = client.get(f"/images/{image.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == image.content_type
    assert response["Content-Disposition"].startswith("attachment;")
    return response.content


def stored_bytes(image: GeneratedImage) -> bytes:
    with default_storage.open(image.file.name) as file:
        return file.read()


def xmp_tree(xmp: str | bytes) -> ET.Element:
    text = xmp.decode() if isinstance(xmp, bytes) else xmp
    start, end = text.index("<x:xmpmeta"), text.index("</x:xmpmeta>") + len("</x:xmpmeta>")
    return ET.fromstring(text[start:end])


def same_pixels(first: bytes, second: bytes) -> bool:
    with Image.open(io.BytesIO(first)) as a, Image.open(io.BytesIO(second)) as b:
        a.load()
        b.load()
        if a.mode != b.mode or a.size != b.size:
            return False
        return ImageChops.difference(a.convert("RGBA"), b.convert("RGBA")).getbbox() is None


def test_a_flux_png_download_shows_prompt_and_seed(member, member_client, deepinfra):
    generation = make_finished_generation(
        member,
        "A lighthouse at dusk",
        provider="deepinfra",
        model="deepinfra/flux-1-schnell",
        width=1024,
        height=768,
        num_inference_steps=4,
        seed=42,
    )
    assert generation.status == "succeeded", generation.error
    image = generation.images.get()
    data = download(member_client, image)

    with Image.open(io.BytesIO(data)) as picture:
        parameters = picture.text["parameters"]
        xmp = picture.info["XML:com.adobe.xmp"]
    assert parameters == (
        "A lighthouse at dusk\n"
        "Steps: 4, Seed: 42, Size: 1024x768, Model: FLUX.1 [schnell], Host: DeepInfra"
    )
    tree = xmp_tree(xmp)
    assert tree.find(f".//{DC}description/{RDF}Alt/{RDF}li").text == "A lighthouse at dusk"
    assert tree.find(f".//{FLUXWEB}seed").text == "42"
    assert tree.find(f".//{FLUXWEB}host").text == "DeepInfra"
    assert "trainedAlgorithmicMedia" in xmp
    # Lossless: the pixels are the stored file's, and the stored file is left as it was.
    assert same_pixels(data, stored_bytes(image))
    assert b"parameters" not in stored_bytes(image)


def test_demo_placeholders_say_demo_and_negative_prompt_and_non_latin_text(member, member_client):
    prompt = 'Ein "Café" <am> Fluss & 川の灯台\nzweite Zeile'
    generation = make_finished_generation(
        member, prompt, negative_prompt="blur, <noise>", seed=9, num_images=2
    )
    image = generation.images.get(index=1)
    data = download(member_client, image)
    with Image.open(io.BytesIO(data)) as picture:
        parameters = picture.text["parameters"]
        xmp = picture.info["XML:com.adobe.xmp"]
    lines = parameters.split("\n")
    assert lines[:3] == [
        'Ein "Café" <am> Fluss & 川の灯台',
        "zweite Zeile",
        "Negative prompt: blur, <noise>",
    ]
    # A value with a comma is JSON-quoted, as A1111 does.
    assert lines[3] == (
        'Steps: 4, Seed: 9, Size: 64x64, Model: "Demo (offline) placeholder, not FLUX", '
        "Host: Demo (offline)"
    )
    tree = xmp_tree(xmp)
    assert tree.find(f".//{DC}description/{RDF}Alt/{RDF}li").text == prompt
    assert tree.find(f".//{FLUXWEB}negative_prompt").text == "blur, <noise>"
    assert "digitalsourcetype/algorithmicMedia" in xmp
    assert same_pixels(data, stored_bytes(image))


def _stored_image(generation, content_type: str, picture: Image.Image, **save) -> GeneratedImage:
    buffer = io.BytesIO()
    picture.save(buffer, **save)
    record = GeneratedImage(
        generation=generation,
        index=0,
        content_type=content_type,
        width=picture.width,
        height=picture.height,
        size_bytes=len(buffer.getvalue()),
    )
    extension = {"image/jpeg": "jpg", "image/webp": "webp", "image/png": "png"}[content_type]
    record.file.save(f"image.{extension}", ContentFile(buffer.getvalue()), save=True)
    return record


@pytest.mark.parametrize(
    ("content_type", "mode", "save"),
    [
        ("image/jpeg", "RGB", {"format": "JPEG", "quality": 80}),
        ("image/jpeg", "RGB", {"format": "JPEG", "exif": Image.Exif()}),
        ("image/webp", "RGB", {"format": "WEBP", "quality": 80}),
        ("image/webp", "RGBA", {"format": "WEBP", "lossless": True}),
        ("image/webp", "RGB", {"format": "WEBP", "quality": 80, "xmp": b"<old provider xmp/>"}),
    ],
)
def test_jpeg_and_webp_downloads_carry_xmp_without_re_encoding(
    member, member_client, content_type, mode, save
):
    generation = make_generation(member, "A fox & a <hare>", status="succeeded", seed=5)
    picture = Image.new(mode, (48, 32), (200, 30, 60, 128)[: len(mode)])
    picture.putpixel((3, 4), (1, 2, 3, 4)[: len(mode)])
    image = _stored_image(generation, content_type, picture, **save)
    data = download(member_client, image)
    with Image.open(io.BytesIO(data)) as opened:
        assert opened.size == (48, 32)
        xmp = opened.info["xmp"]
    tree = xmp_tree(xmp)
    assert tree.find(f".//{DC}description/{RDF}Alt/{RDF}li").text == "A fox & a <hare>"
    assert tree.find(f".//{FLUXWEB}seed").text == "5"
    assert b"old provider" not in data
    assert same_pixels(data, stored_bytes(image))


def test_a_file_the_writer_cannot_parse_is_downloaded_unchanged(member, member_client):
    generation = make_generation(member, "odd", status="succeeded")
    record = GeneratedImage(
        generation=generation, index=0, content_type="image/png", width=1, height=1, size_bytes=9
    )
    record.file.save("image.png", ContentFile(b"not a png"), save=True)
    assert download(member_client, record) == b"not a png"


@pytest.mark.django_db(transaction=True)
def test_downloads_from_s3_carry_the_parameters(s3, member, member_client):
    generation = make_finished_generation(member, "A fox in the snow", seed=11)
    image = generation.images.get()
    assert s3.client.get_object(Bucket=s3.bucket, Key=image.file.name)
    data = download(member_client, image)
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.text["parameters"].startswith("A fox in the snow\nSteps: 4, Seed: 11,")
    assert same_pixels(data, stored_bytes(image))
