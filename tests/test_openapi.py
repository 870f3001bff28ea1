"""The OpenAPI document is valid and covers every API route."""

from __future__ import annotations

import re

from openapi_spec_validator import validate


def test_document_is_valid_openapi_3(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    validate(document)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "ErrorResponse" in document["components"]["schemas"]


def test_document_covers_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)


def test_errors_are_documented_with_the_error_shape(client):
    document = client.get("/api/v1/openapi.json").json
    login = document["paths"]["/api/v1/auth/login"]["post"]
    assert login["responses"]["429"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ErrorResponse"
    )
    assert login["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("LoginIn")


def test_docs_page_uses_local_assets(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "http" not in page
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert client.get(asset).status_code == 200, asset
