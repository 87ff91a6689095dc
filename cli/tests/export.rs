//! `model-ledger export`: a model's provenance read back by tools no one
//! here wrote (`cli/tests/provenance/check.py`: the SPDX project's 3.0.1
//! bindings and huggingface_hub's model card parser, installed by
//! `cli/tests/provenance/install`, which `.ci/run` runs), and compared with
//! what the chain says (`model show`).

mod common;

use std::{collections::BTreeSet, process::Command};

use common::{proposal, Session, HASH};
use serde_json::Value;

/// The checkers' Python, or `None` (with a note) where they are not installed.
fn checker() -> Option<String> {
    match std::env::var("MODEL_LEDGER_TEST_PROVENANCE_PYTHON") {
        Ok(python) => Some(python),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!(
                "CI runs cli/tests/provenance/install and sets MODEL_LEDGER_TEST_PROVENANCE_PYTHON"
            )
        }
        Err(_) => {
            eprintln!("the export tests need cli/tests/provenance/install and MODEL_LEDGER_TEST_PROVENANCE_PYTHON");
            None
        }
    }
}

/// What the tool read from `path`, or its refusal.
fn read_with(python: &str, what: &str, path: &std::path::Path) -> Result<Value, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/provenance/check.py");
    let output = Command::new(python)
        .args([script, what, path.to_str().unwrap()])
        .output()
        .unwrap();
    if output.status.success() {
        Ok(serde_json::from_slice(&output.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn export(s: &Session, model: &str, format: &str) -> std::path::PathBuf {
    let path = s.path(&format!("{model}.{format}"));
    s.json(&[
        "export",
        model,
        "--format",
        format,
        "--out",
        path.to_str().unwrap(),
        "--created",
        "2026-12-06T12:00:00Z",
    ]);
    path
}

/// The exported identifier of `kind` `address`, as the document spells it.
fn id(root: &str, kind: &str, address: &str) -> String {
    let base = root.rsplit_once(":model:").unwrap().0;
    format!("{base}:{kind}:{address}")
}

fn relationship(read: &Value, from: &str, kind: &str) -> BTreeSet<String> {
    read["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["from"] == from && r["type"] == kind)
        .flat_map(|r| r["to"].as_array().unwrap().iter())
        .map(|to| to.as_str().unwrap().to_string())
        .collect()
}

/// The contributions `model show` lists as accepted, of `kinds`.
fn accepted(s: &Session, model: &str, kinds: &[&str]) -> BTreeSet<String> {
    s.json(&["model", "show", model])["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "Accepted" && kinds.contains(&c["kind"].as_str().unwrap()))
        .map(|c| c["address"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn three_generations_export_as_spdx_and_a_model_card_other_tools_read() {
    let Some(python) = checker() else { return };
    let s = Session::embedded();
    let mint = s.bootstrap();
    let base = s.model(&mint, "base", &[]);
    for (kind, uri) in [
        ("dataset", "ar://corpus-1"),
        ("dataset", "ar://corpus-2"),
        ("code", "git://trainer"),
        ("evaluation", "ar://eval"),
        ("dataset", "ar://rejected"),
    ] {
        s.json(&proposal(&base, kind, uri));
    }
    for index in ["0", "1", "2", "3"] {
        s.json(&["contribution", "accept", &base, index, "--shares", "5"]);
    }
    s.json(&["contribution", "reject", &base, "4"]);
    s.licence(&base, &[]);
    let base_grant = s.acquire(&base, &[]);
    let chat = s.model(
        &mint,
        "chat",
        &["--parent", &format!("{base}:{base_grant}")],
    );
    s.json(&proposal(&chat, "dataset", "ar://dialogues"));
    s.json(&["contribution", "accept", &chat, "0", "--shares", "3"]);
    s.licence(&chat, &[]);
    let chat_grant = s.acquire(&chat, &[]);
    let adapter = s.model(
        &mint,
        "adapter",
        &["--parent", &format!("{chat}:{chat_grant}")],
    );
    s.json(&proposal(&adapter, "adapter", "ar://lora"));
    s.json(&["contribution", "accept", &adapter, "0", "--shares", "1"]);
    s.licence(&adapter, &[]);

    let read = read_with(&python, "spdx", &export(&s, &adapter, "spdx")).unwrap();
    let root = read["root"][0].as_str().unwrap().to_string();
    assert!(root.ends_with(&format!(":model:{adapter}")), "{root}");
    let model = |address: &str| id(&root, "model", address);
    let contributions = |addresses: BTreeSet<String>| -> BTreeSet<String> {
        addresses
            .iter()
            .map(|a| id(&root, "contribution", a))
            .collect()
    };
    // The lineage, parent to child.
    assert_eq!(
        relationship(&read, &model(&base), "ancestorOf"),
        BTreeSet::from([model(&chat)])
    );
    assert_eq!(
        relationship(&read, &model(&chat), "ancestorOf"),
        BTreeSet::from([model(&adapter)])
    );
    assert!(relationship(&read, &model(&adapter), "ancestorOf").is_empty());
    // What each model credits, by kind; the rejected proposal nowhere.
    assert_eq!(
        relationship(&read, &model(&base), "trainedOn"),
        contributions(accepted(&s, &base, &["Dataset"]))
    );
    assert_eq!(relationship(&read, &model(&base), "trainedOn").len(), 2);
    assert_eq!(
        relationship(&read, &model(&base), "testedOn"),
        contributions(accepted(&s, &base, &["Evaluation"]))
    );
    assert_eq!(
        relationship(&read, &model(&base), "dependsOn"),
        contributions(accepted(&s, &base, &["Code"]))
    );
    assert_eq!(
        relationship(&read, &model(&chat), "trainedOn"),
        contributions(accepted(&s, &chat, &["Dataset"]))
    );
    assert_eq!(
        relationship(&read, &model(&adapter), "contains"),
        contributions(accepted(&s, &adapter, &["Adapter"]))
    );
    let every_contribution: BTreeSet<String> = read["elements"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|key| key.contains(":contribution:"))
        .cloned()
        .collect();
    assert_eq!(every_contribution.len(), 6, "{every_contribution:?}");
    // Element types by profile, content hashes as registered.
    assert_eq!(read["elements"][model(&base)], "ai_AIPackage");
    for dataset in contributions(accepted(&s, &base, &["Dataset"])) {
        assert_eq!(read["elements"][&dataset], "dataset_DatasetPackage");
    }
    for code in contributions(accepted(&s, &base, &["Code"])) {
        assert_eq!(read["elements"][&code], "software_Package");
    }
    assert_eq!(read["hashes"][model(&adapter)], HASH.to_lowercase());
    // Each model declares its licence.
    for address in [&base, &chat, &adapter] {
        let licence = s.json(&["model", "show", address])["licenses"][0]["address"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            relationship(&read, &model(address), "hasDeclaredLicense"),
            BTreeSet::from([id(&root, "licence", &licence)])
        );
    }

    let card = read_with(&python, "model-card", &export(&s, &adapter, "model-card")).unwrap();
    assert_eq!(card["license"], "other");
    assert_eq!(
        card["base_model"],
        serde_json::json!([format!("model-ledger:{chat}")])
    );
    assert_eq!(card["base_model_relation"], "adapter");
    assert_eq!(card["model_ledger"]["model"], adapter);
    assert_eq!(card["model_ledger"]["parents"][0]["model"], chat);
    assert_eq!(card["model_ledger"]["parents"][0]["grant"], chat_grant);
    let datasets: BTreeSet<&str> = card["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(
        datasets,
        BTreeSet::from(["ar://corpus-1", "ar://corpus-2", "ar://dialogues"])
    );
}

#[test]
fn a_model_under_a_non_commercial_parent_exports_its_terms() {
    let Some(python) = checker() else { return };
    let s = Session::embedded();
    let mint = s.bootstrap();
    let base = s.model(&mint, "research-base", &[]);
    s.json(&[
        "license",
        "publish",
        &base,
        "--price-per-call",
        "0",
        "--upfront-fee",
        "0",
        "--derivatives",
        "--terms-uri",
        "https://terms.example/research-only",
        "--terms-hash",
        HASH,
    ]);
    let grant = s.json(&[
        "grant",
        "acquire",
        &base,
        "1",
        "--max-fee",
        "0",
        "--max-price",
        "0",
    ])["grant"]
        .as_str()
        .unwrap()
        .to_string();
    let child = s.model(
        &mint,
        "research-tune",
        &["--parent", &format!("{base}:{grant}")],
    );
    s.json(&[
        "license",
        "publish",
        &child,
        "--price-per-call",
        "0",
        "--upfront-fee",
        "0",
        "--terms-uri",
        "https://terms.example/research-only-tune",
        "--terms-hash",
        HASH,
    ]);
    let spdx = export(&s, &child, "spdx");
    let read = read_with(&python, "spdx", &spdx).unwrap();
    let root = read["root"][0].as_str().unwrap().to_string();
    assert_eq!(
        relationship(&read, &id(&root, "model", &base), "ancestorOf"),
        BTreeSet::from([root.clone()])
    );
    // The parent's licence, in plain words, on its licence element.
    let document: Value = serde_json::from_str(&std::fs::read_to_string(&spdx).unwrap()).unwrap();
    let statements: Vec<&str> = document["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "Annotation")
        .map(|e| e["statement"].as_str().unwrap())
        .collect();
    let summary = s.json(&["model", "show", &base])["licenses"][0]["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(summary.contains("may not use commercially"), "{summary}");
    assert!(
        statements
            .iter()
            .any(|statement| statement.contains(&summary)),
        "{statements:?}"
    );
    let card = read_with(&python, "model-card", &export(&s, &child, "model-card")).unwrap();
    assert_eq!(
        card["base_model"],
        serde_json::json!([format!("model-ledger:{base}")])
    );
    assert_eq!(
        card["license_link"],
        "https://terms.example/research-only-tune"
    );

    // A document a tool cannot read is refused by name: the checker is real.
    let mut broken = document.clone();
    broken["@graph"][1]["rootElement"] = serde_json::json!(["urn:nowhere"]);
    let path = s.path("broken.json");
    std::fs::write(&path, broken.to_string()).unwrap();
    let refusal = read_with(&python, "spdx", &path).unwrap_err();
    assert!(refusal.contains("urn:nowhere"), "{refusal}");
}

/// The demo's three generations (base model, chat fine-tune, medical
/// adapter): the adapter's document reproduces the lineage and every
/// contribution each model credits, as `model show` lists them.
#[test]
fn the_demos_adapter_exports_its_whole_lineage() {
    let Some(python) = checker() else { return };
    let s = Session::embedded();
    // Saved where the session's own commands read their chain.
    let ledger = s.path("ledger");
    let demo = s.json(&["demo", "--save", ledger.to_str().unwrap()]);
    let models: Vec<String> = demo["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["address"].as_str().unwrap().to_string())
        .collect();
    let [base, chat, adapter] = &models[..] else {
        panic!("three generations: {demo}")
    };
    let on_demo = |args: &[&str]| s.json(args);
    let path = s.path("adapter.spdx.json");
    on_demo(&[
        "export",
        adapter,
        "--format",
        "spdx",
        "--out",
        path.to_str().unwrap(),
    ]);
    let read = read_with(&python, "spdx", &path).unwrap();
    let root = read["root"][0].as_str().unwrap().to_string();
    let model = |address: &str| id(&root, "model", address);
    assert_eq!(root, model(adapter));
    assert_eq!(
        relationship(&read, &model(base), "ancestorOf"),
        BTreeSet::from([model(chat)])
    );
    assert_eq!(
        relationship(&read, &model(chat), "ancestorOf"),
        BTreeSet::from([model(adapter)])
    );
    for address in [base, chat, adapter] {
        let credited: BTreeSet<String> = on_demo(&["model", "show", address])["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "Accepted")
            .map(|c| id(&root, "contribution", c["address"].as_str().unwrap()))
            .collect();
        assert!(!credited.is_empty());
        let exported: BTreeSet<String> =
            ["trainedOn", "testedOn", "contains", "dependsOn", "other"]
                .iter()
                .flat_map(|kind| relationship(&read, &model(address), kind))
                .collect();
        assert_eq!(exported, credited, "model {address}");
    }
}

/// The explorer offers the same two documents per model, read from the
/// chain it follows, and links them from the model's page.
#[test]
fn the_explorer_offers_both_exports_of_a_model() {
    let Some(python) = checker() else { return };
    let s = Session::embedded();
    let ledger = s.path("ledger");
    let demo = s.json(&["demo", "--save", ledger.to_str().unwrap()]);
    let adapter = demo["models"][2]["address"].as_str().unwrap().to_string();
    let cli = export(&s, &adapter, "spdx");
    let mut serve = common::Stopped(s.spawn(&[
        "--database",
        s.path("index.sqlite").to_str().unwrap(),
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--follow",
        "0",
    ]));
    let url = common::explorer_url(&mut serve.0);

    let (status, page) = common::http_get(&format!("{url}/models/{adapter}"));
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("href=\"/models/{adapter}/provenance.spdx.json\"")),
        "{page}"
    );
    assert!(page.contains(&format!("href=\"/models/{adapter}/model-card.md\"")));

    let (status, headers, body) = common::http_response(
        &format!("{url}/models/{adapter}/provenance.spdx.json"),
        "GET",
        "",
        &[],
    );
    assert_eq!(status, 200, "{body}");
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        header("content-type").as_deref(),
        Some("application/ld+json")
    );
    assert_eq!(
        header("content-disposition").as_deref(),
        Some("attachment; filename=\"atlas-med-lora.spdx.json\"")
    );
    // The explorer's document is the CLI's, but for when it was made.
    let without_time = |mut document: Value| {
        document["@graph"][0]["created"] = Value::Null;
        document
    };
    let served: Value = serde_json::from_str(&body).unwrap();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&cli).unwrap()).unwrap();
    assert_eq!(without_time(served), without_time(written));
    let path = s.path("served.spdx.json");
    std::fs::write(&path, &body).unwrap();
    read_with(&python, "spdx", &path).unwrap();

    let (status, card) = common::http_get(&format!("{url}/models/{adapter}/model-card.md"));
    assert_eq!(status, 200);
    let path = s.path("served.md");
    std::fs::write(&path, &card).unwrap();
    assert_eq!(
        read_with(&python, "model-card", &path).unwrap()["model_ledger"]["model"],
        adapter
    );
    let (status, missing) = common::http_get(&format!(
        "{url}/models/{}/model-card.md",
        solana_sdk::pubkey::Pubkey::new_unique()
    ));
    assert_eq!(status, 404, "{missing}");
}

/// AI terms from `license publish`'s flags: on the licence (`license
/// show`), refused by name when they break the lineage, and in both exports.
#[test]
fn ai_terms_from_flags_reach_the_licence_and_the_exports() {
    let Some(python) = checker() else { return };
    let s = Session::embedded();
    let mint = s.bootstrap();
    let base = s.model(&mint, "base", &[]);
    s.licence(
        &base,
        &[
            "--ai-generative-training",
            "constrained",
            "--restrict",
            "military,weapons,code-40",
            "--carry",
            "military",
        ],
    );
    let shown = s.json(&["license", "show", &base, "1"]);
    assert_eq!(
        shown["ai"],
        "data mining allowed; inference allowed; generative training allowed under the terms \
         document's conditions; training allowed; restrictions: no military use, no helping to \
         design weapons of mass destruction, code 40 (see the terms document); carried to \
         derivatives: military"
    );
    assert_eq!(
        shown["restrictions"],
        (1u64 | 1 << 11 | 1 << 40).to_string()
    );
    // A carried restriction the licence does not impose is refused before sending.
    let refusal = s.fails(&[
        "license",
        "publish",
        &base,
        "--terms-uri",
        "https://t",
        "--carry",
        "minors",
    ]);
    assert!(refusal.contains("--carry"), "{refusal}");
    let unknown = s.fails(&[
        "license",
        "publish",
        &base,
        "--terms-uri",
        "https://t",
        "--restrict",
        "code-64",
    ]);
    assert!(unknown.contains("code-64"), "{unknown}");

    let grant = s.acquire(&base, &[]);
    let child = s.model(&mint, "child", &["--parent", &format!("{base}:{grant}")]);
    // Generative training allowed outright, where the parent constrains it.
    let beyond = s.fails(&[
        "license",
        "publish",
        &child,
        "--terms-uri",
        "https://t",
        "--derivatives",
        "--restrict",
        "military",
        "--carry",
        "military",
    ]);
    assert!(beyond.contains("AiUseBeyondLineage"), "{beyond}");
    let dropped = s.fails(&[
        "license",
        "publish",
        &child,
        "--terms-uri",
        "https://t",
        "--derivatives",
        "--ai-generative-training",
        "not-allowed",
    ]);
    assert!(dropped.contains("RestrictionNotCarried"), "{dropped}");
    s.json(&[
        "license",
        "publish",
        &child,
        "--terms-uri",
        "https://t",
        "--derivatives",
        "--ai-generative-training",
        "not-allowed",
        "--restrict",
        "military",
        "--carry",
        "military",
    ]);

    let card = read_with(&python, "model-card", &export(&s, &child, "model-card")).unwrap();
    assert_eq!(
        card["model_ledger"]["licences"][0]["carried_restrictions"],
        serde_json::json!(["military"])
    );
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(export(&s, &child, "spdx")).unwrap())
            .unwrap();
    let annotated = document["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["statement"].as_str())
        .any(|statement| {
            statement.contains(
                "generative training not allowed; training allowed; restrictions: no military use",
            )
        });
    assert!(annotated, "{document}");
}
