"""The OpenAPI 3.1 description of fluxweb's images API, served at ``/v1/openapi.json``.

Request and response shapes follow OpenAI's Images API (``POST /v1/images/generations``,
``GET /v1/models``); fluxweb's extensions are marked as such.
"""

from __future__ import annotations

from typing import Any

from fluxweb.providers.options import SAMPLER_NAME, SCHEDULER

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        },
        "generation_id": {
            "type": "integer",
            "description": "fluxweb: the generation, when one was created",
        },
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def openapi_document(server_url: str, model_ids: list[str]) -> dict[str, Any]:
    """The OpenAPI document; ``server_url`` is this server's ``/v1`` base URL and
    ``model_ids`` the enabled models."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fluxweb images API",
            "version": "1",
            "description": (
                "OpenAI-compatible image generation through fluxweb's providers, budgets and "
                "shared gallery. "
                "Authenticate with `Authorization: Bearer <token>` (create tokens at /tokens/). "
                "Over budget answers 429 with code `insufficient_quota`, as OpenAI does."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": {
            "/images/generations": {
                "post": {
                    "operationId": "createImage",
                    "summary": "Generate images from a prompt; waits for the result.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/CreateImageRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The images.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ImagesResponse"}
                                }
                            },
                        },
                        "400": _error("Invalid parameters (the same checks as the web form)."),
                        "401": _error("Missing, unknown or revoked token."),
                        "404": _error("The model is unknown or not enabled (`model_not_found`)."),
                        "409": _error(
                            "The generation was deleted or cancelled while the call "
                            "waited (`generation_deleted`, `generation_cancelled`)."
                        ),
                        "429": _error("Over budget (`insufficient_quota`)."),
                        "502": _error("The provider failed; the generation is marked failed."),
                        "504": _error(
                            "Still running after the wait limit; `generation_id` names it."
                        ),
                    },
                }
            },
            "/models": {
                "get": {
                    "operationId": "listModels",
                    "summary": "The enabled models.",
                    "responses": {
                        "200": {
                            "description": "Model list.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ModelList"}
                                }
                            },
                        },
                        "401": _error("Missing, unknown or revoked token."),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": ERROR,
                "CreateImageRequest": {
                    "type": "object",
                    "required": ["model", "prompt"],
                    "properties": {
                        "model": {
                            "type": "string",
                            "enum": model_ids,
                            "description": "A fluxweb model id from GET /models, "
                            "e.g. deepinfra/flux-1-schnell.",
                        },
                        "prompt": {"type": "string", "maxLength": 4000},
                        "n": {"type": "integer", "minimum": 1, "maximum": 4, "default": 1},
                        "size": {
                            "type": "string",
                            "pattern": "^[0-9]{2,4}x[0-9]{2,4}$",
                            "default": "1024x1024",
                        },
                        "response_format": {
                            "type": "string",
                            "enum": ["url", "b64_json"],
                            "default": "url",
                        },
                        "user": {"type": "string"},
                        "num_inference_steps": {
                            "type": "integer",
                            "description": "fluxweb extension",
                        },
                        "seed": {
                            "type": "integer",
                            "description": "fluxweb extension; omitted = random, recorded",
                        },
                        "guidance_scale": {
                            "type": "number",
                            "description": "fluxweb extension (models that take it)",
                        },
                        "negative_prompt": {
                            "type": "string",
                            "description": "fluxweb extension (models that take it)",
                        },
                        "team": {
                            "type": "string",
                            "description": "fluxweb extension: "
                            "charge this team's budget (its name); without it, the "
                            "team the token is bound to, if any",
                        },
                        "enable_safety_checker": {
                            "type": "boolean",
                            "default": True,
                            "description": "fluxweb extension (AIML models): the provider's "
                            "safety checker; false is refused while an admin forces it on",
                        },
                        "sampler_name": {
                            "type": "string",
                            "enum": list(SAMPLER_NAME.choices),
                            "description": "fluxweb extension (Segmind)",
                        },
                        "scheduler": {
                            "type": "string",
                            "enum": list(SCHEDULER.choices),
                            "description": "fluxweb extension (Segmind)",
                        },
                        "denoise": {
                            "type": "number",
                            "minimum": 0,
                            "maximum": 1,
                            "description": "fluxweb extension (Segmind)",
                        },
                    },
                },
                "ImagesResponse": {
                    "type": "object",
                    "required": ["created", "data"],
                    "properties": {
                        "created": {"type": "integer"},
                        "data": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "url": {
                                        "type": "string",
                                        "description": "Short-lived link to the image.",
                                    },
                                    "b64_json": {"type": "string"},
                                    "revised_prompt": {"type": "string"},
                                    "nsfw_content_detected": {
                                        "type": "boolean",
                                        "description": "fluxweb extension: the provider's "
                                        "safety checker flagged this image",
                                    },
                                },
                            },
                        },
                    },
                },
                "ModelList": {
                    "type": "object",
                    "required": ["object", "data"],
                    "properties": {
                        "object": {"const": "list"},
                        "data": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "object", "owned_by"],
                                "properties": {
                                    "id": {"type": "string"},
                                    "object": {"const": "model"},
                                    "created": {"type": "integer"},
                                    "owned_by": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
    }
