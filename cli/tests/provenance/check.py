"""Reads an export of `model-ledger export` with tools no one here wrote.

    python check.py spdx DOCUMENT.json
    python check.py model-card CARD.md

spdx: decodes the document with the SPDX project's 3.0.1 bindings (which
refuse unknown types, wrong value types and values outside an
enumeration), links every reference (an identifier no element defines is an
error) and encodes it again (which refuses a missing required property or
a wrong count). model-card: parses the card with huggingface_hub, metadata
errors fatal. Prints, as JSON, what the tool read, for the test to compare
with the ledger; exits 1 naming the problem otherwise.
"""

import io
import json
import sys


def spdx(path):
    from spdx_python_model import v3_0_1 as model

    objects = model.SHACLObjectSet()
    with open(path, "rb") as document:
        model.JSONLDDeserializer().read(document, objects)
    missing = objects.link()
    if missing:
        raise ValueError(f"references to no element: {sorted(missing)}")
    model.JSONLDSerializer().write(objects, io.BytesIO())
    elements = {}
    relationships = []
    for element in objects.foreach():
        kind = type(element).__name__
        if isinstance(element, model.Relationship):
            relationships.append(
                {
                    "from": element.from_._id,
                    "type": element.relationshipType.rsplit("/", 1)[-1],
                    "to": sorted(target._id for target in element.to),
                }
            )
        elif element._id:
            elements[element._id] = kind
    documents = [e for e in objects.foreach() if isinstance(e, model.SpdxDocument)]
    if len(documents) != 1:
        raise ValueError(f"{len(documents)} SPDX documents")
    hashes = {}
    for element in objects.foreach():
        for verified in getattr(element, "verifiedUsing", []) or []:
            hashes[element._id] = verified.hashValue
    return {
        "root": [root._id for root in documents[0].rootElement],
        "elements": elements,
        "relationships": sorted(
            relationships, key=lambda r: (r["from"], r["type"], r["to"])
        ),
        "hashes": hashes,
    }


def model_card(path):
    from huggingface_hub import ModelCard

    with open(path, encoding="utf-8") as text:
        card = ModelCard(text.read(), ignore_metadata_errors=False)
    return card.data.to_dict()


def main():
    what, path = sys.argv[1], sys.argv[2]
    read = {"spdx": spdx, "model-card": model_card}[what]
    try:
        print(json.dumps(read(path), sort_keys=True))
    except Exception as error:  # noqa: BLE001 - any refusal is the answer
        print(f"{what} {path}: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
