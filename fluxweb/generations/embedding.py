"""The generation's parameters inside a downloaded image file, so other tools can read them.

What a download carries:

* PNG: a ``parameters`` text chunk in the form AUTOMATIC1111's web UI writes and most image
  tools read (:func:`parameters_text`), plus the XMP packet (:func:`xmp_packet`) in an
  ``XML:com.adobe.xmp`` ``iTXt`` chunk.
* JPEG and WebP: the XMP packet (APP1 segment / ``XMP `` chunk).

Written at download time, not when the file is stored: images stored before this existed
and files in S3 get it too, and the stored file stays exactly what the provider sent. The
metadata is inserted at the byte level (:mod:`.containers`), never by re-encoding with
Pillow: the pixels of every format stay bit-identical and JPEG/WebP lose no quality, at the
cost of holding one image (at most ``FLUXWEB_MAX_IMAGE_BYTES``) in memory per download.
"""

from __future__ import annotations

import json
import logging
import re
from xml.sax.saxutils import escape

from fluxweb.providers.registry import get_registry

from . import containers
from .models import Generation

logger = logging.getLogger("fluxweb.generations.embedding")

PARAMETERS_KEY = "parameters"
FLUXWEB_NS = "urn:fluxweb:xmp:1.0:"
# IPTC Digital Source Type vocabulary (cv.iptc.org/newscodes/digitalsourcetype).
TRAINED_ALGORITHMIC = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
ALGORITHMIC = "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
# XML 1.0 forbids these control characters even escaped; PNG tEXt forbids NUL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Parameters other features may add to Generation: (field, A1111 name), shown when set.
OPTIONAL_FIELDS = (
    ("sampler_name", "Sampler"),
    ("scheduler", "Schedule type"),
    ("denoise", "Denoising strength"),
)


def model_name(generation: Generation) -> str:
    """The model without its host: "FLUX.1 [schnell]" from "FLUX.1 [schnell] · DeepInfra"
    (the demo's whole label, which says it is not FLUX; the id for a disabled model)."""
    spec = get_registry().models.get(generation.model)
    if spec is None:
        return generation.model
    return spec.label.rsplit(" · ", 1)[0] if " · " in spec.label else spec.label


def is_demo(generation: Generation) -> bool:
    """Made by the offline demo provider's placeholder (not FLUX, not a trained model)."""
    spec = get_registry().models.get(generation.model)
    return spec.is_demo if spec else generation.provider == "demo"


def parameter_items(generation: Generation) -> list[tuple[str, str]]:
    """(name, value) pairs of the settings line, in A1111's names: Steps, CFG scale, Seed,
    Size (``WxH`` pixels), Model, Host, then optional fields that are set."""
    items: list[tuple[str, str]] = []
    if generation.num_inference_steps is not None:
        items.append(("Steps", str(generation.num_inference_steps)))
    if generation.guidance_scale is not None:
        items.append(("CFG scale", f"{generation.guidance_scale:g}"))
    if generation.seed is not None:
        items.append(("Seed", str(generation.seed)))
    items.append(("Size", f"{generation.width}x{generation.height}"))
    items.append(("Model", model_name(generation)))
    items.append(("Host", generation.provider_label))
    for field, name in OPTIONAL_FIELDS:
        value = getattr(generation, field, None)
        if value not in (None, ""):
            items.append((name, f"{value:g}" if isinstance(value, float) else str(value)))
    return items


def parameters_text(generation: Generation) -> str:
    """The A1111 "parameters" text: the prompt, then ``Negative prompt: …`` if there is
    one, then ``Steps: 4, Seed: 42, Size: 1024x768, Model: FLUX.1 [schnell], Host:
    DeepInfra``. Values with a comma, colon or newline are JSON-quoted as A1111 does;
    control characters other than tab and newline are removed."""
    lines = [clean(generation.prompt.text)]
    if generation.negative_prompt:
        lines.append(f"Negative prompt: {clean(generation.negative_prompt)}")
    lines.append(
        ", ".join(f"{name}: {_quote(clean(value))}" for name, value in parameter_items(generation))
    )
    return "\n".join(lines)


def xmp_packet(generation: Generation) -> str:
    """An XMP packet (XMP Specification Part 1): ``dc:description`` = the prompt,
    ``xmp:CreatorTool`` fluxweb, ``Iptc4xmpExt:DigitalSourceType`` (trained algorithmic
    media; algorithmic for the demo placeholder), and every parameter in the
    ``urn:fluxweb:xmp:1.0:`` namespace (prompt, negative_prompt, model, host, width, height,
    num_inference_steps, guidance_scale, seed, parameters). All text is XML-escaped."""
    fields = {
        "prompt": generation.prompt.text,
        "negative_prompt": generation.negative_prompt,
        "model": model_name(generation),
        "model_id": generation.model,
        "host": generation.provider_label,
        "width": generation.width,
        "height": generation.height,
        "num_inference_steps": generation.num_inference_steps,
        "guidance_scale": generation.guidance_scale,
        "seed": generation.seed,
        "parameters": parameters_text(generation),
    }
    for field, _name in OPTIONAL_FIELDS:
        fields[field] = getattr(generation, field, None)
    properties = "".join(
        f"\n   <fluxweb:{name}>{_xml(value)}</fluxweb:{name}>"
        for name, value in fields.items()
        if value not in (None, "")
    )
    source = ALGORITHMIC if is_demo(generation) else TRAINED_ALGORITHMIC
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        '    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"\n'
        f'    xmlns:fluxweb="{FLUXWEB_NS}">\n'
        "   <dc:description><rdf:Alt>"
        f'<rdf:li xml:lang="x-default">{_xml(generation.prompt.text)}</rdf:li>'
        "</rdf:Alt></dc:description>\n"
        "   <xmp:CreatorTool>fluxweb</xmp:CreatorTool>\n"
        f"   <Iptc4xmpExt:DigitalSourceType>{source}</Iptc4xmpExt:DigitalSourceType>"
        f"{properties}\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


def with_parameters(data: bytes, content_type: str, generation: Generation) -> bytes:
    """``data`` (an image of ``content_type``: image/png, image/jpeg or image/webp) with
    ``generation``'s parameters embedded (see the module docstring). Unknown types, and
    files the byte-level writer cannot parse, come back unchanged (logged), never an
    error: the download still works, only without the metadata."""
    try:
        if content_type == "image/png":
            texts = {
                PARAMETERS_KEY: parameters_text(generation),
                containers.PNG_XMP_KEY: xmp_packet(generation),
            }
            return containers.png_with_text(data, texts)
        if content_type == "image/jpeg":
            return containers.jpeg_with_xmp(data, xmp_packet(generation))
        if content_type == "image/webp":
            return containers.webp_with_xmp(data, xmp_packet(generation))
    except ValueError as error:
        logger.warning("generation %s: metadata not embedded: %s", generation.pk, error)
    return data


def clean(text: str) -> str:
    """``text`` without control characters (tab, newline and carriage return kept)."""
    return _CONTROL.sub("", text)


def _xml(value: object) -> str:
    return escape(clean(str(value)), {'"': "&quot;"})


def _quote(value: str) -> str:
    """A1111's ``quote``: JSON-quote a value holding a comma, colon or newline."""
    if "," in value or ":" in value or "\n" in value:
        return json.dumps(value, ensure_ascii=False)
    return value
