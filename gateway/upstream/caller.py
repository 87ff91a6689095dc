"""Calls a gateway the way an application does: with the official `openai`
client, streamed and not, and writes what each call saw as JSON.

    python caller.py BASE_URL PLAN.json OUT.json

PLAN is a list of calls: {"prompt", "stream", "endpoint" ("chat" or
"completions"), "retrieved" (optional: documents for the
x-model-ledger-retrieved header)}. OUT gets, per call (OUT.part after each, for a caller that is itself
stopped), the id the gateway
returned, the text received, the model the response named, and the request hash the caller computes
itself from the body it sent (the gateway's canonical form).
"""

import hashlib
import json
import sys

import openai


def canonical_hash(body: dict) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def call(client: openai.OpenAI, planned: dict) -> dict:
    headers = {}
    if "retrieved" in planned:
        headers["x-model-ledger-retrieved"] = json.dumps(planned["retrieved"])
    stream = bool(planned.get("stream"))
    common = {"model": "smollm2", "max_tokens": 48, "temperature": 0, "seed": 7}
    if planned.get("endpoint") == "completions":
        body = {**common, "prompt": planned["prompt"]}
        create = client.completions.with_raw_response.create
    else:
        body = {**common, "messages": [{"role": "user", "content": planned["prompt"]}]}
        create = client.chat.completions.with_raw_response.create
    if stream:
        body["stream"] = True
    raw = create(**body, extra_headers=headers)
    parsed = raw.parse()
    model = None
    if stream:
        pieces = []
        for chunk in parsed:
            model = chunk.model or model
            for choice in chunk.choices:
                delta = getattr(choice, "delta", None)
                text = delta.content if delta is not None else choice.text
                pieces.append(text or "")
        text = "".join(pieces)
    else:
        model = parsed.model
        choice = parsed.choices[0]
        text = choice.message.content if hasattr(choice, "message") else choice.text
    return {
        "id": raw.headers.get("x-model-ledger-call"),
        "text": text,
        "request_hash": canonical_hash(body),
        "stream": stream,
        "model": model,
    }


def main() -> None:
    base_url, plan_path, out_path = sys.argv[1:4]
    client = openai.OpenAI(base_url=base_url + "/v1", api_key="not-needed", max_retries=0)
    with open(plan_path, encoding="utf-8") as plan_file:
        plan = json.load(plan_file)
    results = []
    for planned in plan:
        # A gateway killed mid-run (the restart tests) fails the calls it
        # was serving; each failure is kept and the run goes on.
        try:
            results.append(call(client, planned))
        except openai.OpenAIError as error:
            results.append({"id": None, "error": f"{type(error).__name__}: {error}"})
        with open(out_path + ".part", "w", encoding="utf-8") as partial:
            json.dump(results, partial)
    with open(out_path, "w", encoding="utf-8") as out_file:
        json.dump(results, out_file)


if __name__ == "__main__":
    main()
