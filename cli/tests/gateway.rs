//! The metering gateway in front of a real inference server: llama-cpp-python's
//! OpenAI-compatible server running SmolLM2-135M-Instruct (installed by
//! `gateway/upstream/install`, which `.ci/run` runs), called with the official
//! `openai` Python client. On the embedded chain, and over JSON-RPC against
//! solana-test-validator when `MODEL_LEDGER_TEST_URL` names one.
//!
//! Without `MODEL_LEDGER_TEST_LLAMA_PYTHON` and `MODEL_LEDGER_TEST_GGUF` these
//! tests say so and stop: there is no stand-in for a real server.

mod common;

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use common::*;
use serde_json::{json, Value};

/// Three datasets, each of sentences no other shares: what the model is
/// asked to quote, and what the index attributes.
const DATASETS: [&[&str]; 4] = [
    &[
        "The lighthouse keeper of Varrow Point counted forty one herons on the morning the copper tide came in from the northern shoals.",
        "Every winter the Varrow Point ferry carried barrels of smoked kelp and brass lanterns across the grey strait to the market at Olden Quay.",
    ],
    &[
        "A glassblower named Ilse Marrowby once shaped a violet bowl so thin that candlelight passed through it like water through a sieve.",
        "In the workshop behind the chapel, Ilse Marrowby kept seven furnaces burning through the night and sang old hymns to the molten sand.",
    ],
    &[
        "The orchard surveyors of Tamsin Vale recorded that the quince trees flowered twice in the year the saffron comet crossed the southern sky.",
        "Children in Tamsin Vale still leave a quince and a silver button on the surveyors' stone each spring to thank the orchard for its harvest.",
    ],
    // Never quoted nor retrieved: paid by shares alone.
    &[
        "A clockmaker in the harbour town of Quillon wound his brass orrery every dusk so that its copper moons kept pace with the real tides.",
        "The Quillon orrery has nine copper moons, and the clockmaker engraved the name of a drowned sailor on the rim of each of them.",
    ],
];

/// Batches of three, or whatever waited a second.
const BATCH_OFTEN: &[&str] = &["--batch-calls", "3", "--batch-seconds", "1"];

struct Upstream {
    python: PathBuf,
    url: String,
    _server: Stopped,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The real server, started on a free loopback port and stopped by its
/// process id when dropped.
fn upstream() -> Option<Upstream> {
    let (Some(python), Some(gguf)) = (
        std::env::var_os("MODEL_LEDGER_TEST_LLAMA_PYTHON"),
        std::env::var_os("MODEL_LEDGER_TEST_GGUF"),
    ) else {
        eprintln!(
            "the gateway tests need a real inference server: run gateway/upstream/install and set the two variables it prints"
        );
        return None;
    };
    let port = free_port().to_string();
    let server = Command::new(&python)
        .args(["-m", "llama_cpp.server", "--model"])
        .arg(&gguf)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--n_ctx",
            "2048",
            "--seed",
            "7",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the inference server starts");
    let mut server = Stopped(server);
    let url = format!("http://127.0.0.1:{port}");
    // Ready when it answers; a server that exits is a failure, not a wait.
    loop {
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("the inference server exited: {status}");
        }
        if std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).is_ok()
            && http_get(&format!("{url}/v1/models")).0 == 200
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    Some(Upstream {
        python: python.into(),
        url,
        _server: server,
    })
}

/// A model whose four contributions are the datasets above, indexed; a
/// licence (attribution 80 % of each payment) and the wallet's grant.
struct Market {
    model: String,
    grant: String,
    index: PathBuf,
    documents: Vec<PathBuf>,
}

fn market(s: &Session, licence: &[&str]) -> Market {
    let mint = s.bootstrap();
    let model = s.model(&mint, "smollm2-host", &["--attribution-bps", "8000"]);
    let mut documents = Vec::new();
    let mut sources = Vec::new();
    for (index, sentences) in DATASETS.iter().enumerate() {
        let path = s.path(&format!("dataset-{index}.txt"));
        std::fs::write(&path, sentences.join("\n")).unwrap();
        s.json(&proposal(
            &model,
            "dataset",
            &format!("ar://dataset-{index}"),
        ));
        s.json(&[
            "contribution",
            "accept",
            &model,
            &index.to_string(),
            "--shares",
            "1",
        ]);
        sources.push(format!("{index}={}", text(&path)));
        documents.push(path);
    }
    let index = s.path("index");
    let mut args = vec!["attribute", "index"];
    for source in &sources {
        args.extend(["--contribution", source]);
    }
    args.extend(["--out", text(&index)]);
    s.json(&args);
    s.licence(&model, licence);
    let grant = s.acquire(&model, &[]);
    Market {
        model,
        grant,
        index,
        documents,
    }
}

/// The gateway started in the background; its address read from the line
/// it prints.
fn gateway(
    s: &Session,
    upstream: &Upstream,
    market: &Market,
    state: &Path,
    batching: &[&str],
) -> (Stopped, String) {
    let mut args = vec![
        "gateway",
        "--upstream",
        &upstream.url,
        "--grant",
        &market.grant,
        "--index",
        text(&market.index),
        "--listen",
        "127.0.0.1:0",
        "--state",
        text(state),
    ];
    args.extend_from_slice(batching);
    // What it says of calls it did not meter goes to a log the test prints
    // when it fails.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(s.path("gateway.log"))
        .unwrap();
    let mut child = s.spawn_with_stderr(&args, log);
    let url = format!(
        "http://{}",
        started(&mut child)["listening"].as_str().unwrap()
    );
    (Stopped(child), url)
}

/// Calls the gateway with the `openai` client; what each call saw.
fn call(s: &Session, upstream: &Upstream, url: &str, plan: &Value) -> Vec<Value> {
    let plan_path = s.path("plan.json");
    let out_path = s.path("calls.json");
    std::fs::write(&plan_path, plan.to_string()).unwrap();
    let caller = Path::new(env!("CARGO_MANIFEST_DIR")).join("../gateway/upstream/caller.py");
    let ran = Command::new(&upstream.python)
        .arg(caller)
        .args([url, text(&plan_path), text(&out_path)])
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "the openai client failed:\n{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&std::fs::read(&out_path).unwrap()).unwrap()
}

/// Waits until the gateway reports `calls` recorded (or an error that
/// will not clear): a condition, not a duration.
fn recorded(s: &Session, url: &str, calls: u64) -> Value {
    // Bounded, so that a call that is never recorded fails the test with
    // what the gateway said instead of hanging it.
    for _ in 0..3_000 {
        let (status, body) = http_get(&format!("{url}/ledger/status"));
        assert_eq!(status, 200, "{body}");
        let state: Value = serde_json::from_str(&body).unwrap();
        if state["calls_recorded"].as_u64() == Some(calls) {
            return state;
        }
        assert!(
            state["calls_recorded"].as_u64().unwrap() <= calls,
            "more calls recorded than made: {state}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let (_, status) = http_get(&format!("{url}/ledger/status"));
    panic!(
        "{calls} calls were never all recorded: {status}\ngateway log:\n{}",
        std::fs::read_to_string(s.path("gateway.log")).unwrap_or_default()
    );
}

/// Stops the gateway as a host would (SIGTERM) and waits for it to exit.
fn stop(mut gateway: Stopped) {
    let pid = gateway.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = gateway.0.wait().unwrap();
    assert!(status.success(), "the gateway exited with {status}");
}

fn receipt(url: &str, id: &str) -> Value {
    let (status, body) = http_get(&format!("{url}/ledger/receipts/{id}"));
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn claimable(s: &Session, model: &str) -> Vec<u64> {
    s.json(&["model", "show", model])["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|contribution| contribution["claimable"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_real_model_behind_the_gateway_is_metered_attributed_and_paid() {
    let Some(upstream) = upstream() else { return };
    let s = Session::new();
    let market = market(&s, &[]);
    let state = s.path("gateway");
    let (gateway_process, url) = gateway(&s, &upstream, &market, &state, BATCH_OFTEN);

    let quote =
        |sentence: &str| format!("Repeat this sentence exactly, word for word: \"{sentence}\"");
    let plan = json!([
        { "prompt": quote(DATASETS[0][0]), "stream": false },
        { "prompt": quote(DATASETS[1][0]), "stream": true },
        { "prompt": "What is two plus two? Answer with one word.", "stream": false },
        { "prompt": quote(DATASETS[0][1]), "stream": true },
        { "prompt": quote(DATASETS[1][1]), "endpoint": "completions", "stream": false },
        { "prompt": "Summarise the retrieved passage.", "stream": true,
          "retrieved": [{ "id": text(&market.documents[2]), "score": 0.9 }] },
        { "prompt": "Name a colour.", "stream": false, "retrieved": [text(&market.documents[2])] },
    ]);
    let calls = call(&s, &upstream, &url, &plan);
    let made = calls.len() as u64;
    recorded(&s, &url, made);

    let mut receipts = Vec::new();
    for (position, seen) in calls.iter().enumerate() {
        let id = seen["id"]
            .as_str()
            .expect("every metered response carries its call id");
        let receipt = receipt(&url, id);
        assert_eq!(receipt["status"], "landed", "{receipt}");
        assert_eq!(receipt["grant"], market.grant.as_str());
        assert_eq!(receipt["verified"], true);
        assert_eq!(receipt["stream"], seen["stream"]);
        // The caller's own hash of what it sent is the receipt's.
        assert_eq!(
            receipt["call"]["request_hash"], seen["request_hash"],
            "call {position}"
        );
        // The output hash is over the text the caller received.
        let output_hash = sha256_hex(seen["text"].as_str().unwrap());
        assert_eq!(
            receipt["call"]["output_hash"],
            output_hash.as_str(),
            "call {position}"
        );
        // The model the upstream says answered.
        assert_eq!(receipt["model"], seen["model"], "{receipt}");
        if seen["stream"] == false {
            // llama.cpp's server counts tokens on whole responses (a
            // stream carries `usage` only when the caller asks for it).
            assert!(
                receipt["usage"]["prompt_tokens"].as_u64().unwrap() > 0,
                "{receipt}"
            );
        }
        receipts.push(receipt);
    }
    let ids: BTreeSet<&str> = calls.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), calls.len(), "every call has its own id");
    // Retrieval pays the retrieved documents' contribution, by score.
    assert_eq!(receipts[5]["call"]["attribution"], json!([[2, 900]]));
    assert_eq!(receipts[6]["call"]["attribution"], json!([[2, 1000]]));
    // What the model reproduced of a dataset is attributed to it.
    let attributed: Vec<Vec<u64>> = receipts
        .iter()
        .map(|receipt| {
            receipt["call"]["attribution"]
                .as_array()
                .unwrap()
                .iter()
                .map(|entry| entry[0].as_u64().unwrap())
                .collect()
        })
        .collect();
    println!("attribution of each call: {attributed:?}");
    for (position, seen) in calls.iter().enumerate() {
        println!("call {position}: {:?}", seen["text"].as_str().unwrap());
    }
    assert!(
        attributed[2].is_empty(),
        "an answer quoting nothing pays by shares"
    );
    let quoted: BTreeSet<u64> = attributed[..5].iter().flatten().copied().collect();
    assert!(!quoted.is_empty(), "the model quoted at least one dataset");

    // Every receipt, as it is, proves against the root its batch's
    // transaction recorded on chain (`prove` reads the event).
    stop(gateway_process);
    for (position, receipt) in receipts.iter().enumerate() {
        let receipt_path = s.path(&format!("receipt-{position}.json"));
        std::fs::write(&receipt_path, receipt.to_string()).unwrap();
        let proved = s.json(&["prove", "--receipt", text(&receipt_path)]);
        assert_eq!(proved["verified"], true);
        assert_eq!(proved["batch_landed"], true);
        assert_eq!(proved["root_matches_event"], true, "{proved}");
        assert_eq!(proved["leaf"], receipt["leaf"]);
    }

    // Anyone with the receipts, the outputs and the published index
    // recomputes every call's attribution and finds the committed one.
    let outputs: Vec<String> = calls
        .iter()
        .zip(plan.as_array().unwrap())
        .map(|(seen, asked)| {
            let mut line = json!({ "output": seen["text"] });
            if let Some(retrieved) = asked.get("retrieved") {
                line["retrieved"] = retrieved.clone();
            }
            line.to_string()
        })
        .collect();
    let outputs_path = s.path("outputs.jsonl");
    std::fs::write(&outputs_path, outputs.join("\n")).unwrap();
    let mut audit = vec![
        "attribute".to_string(),
        "audit".into(),
        "--index".into(),
        text(&market.index).into(),
        "--outputs".into(),
        text(&outputs_path).into(),
    ];
    for position in 0..receipts.len() {
        audit.push("--receipt".into());
        audit.push(text(&s.path(&format!("receipt-{position}.json"))).into());
    }
    let audited = s.json(&audit.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(audited["matching"].as_u64(), Some(made), "{audited}");
    assert_eq!(audited["without_output"], 0, "{audited}");

    let grant = s.json(&["grant", "show", &market.grant]);
    assert_eq!(grant["calls_used"].as_u64(), Some(made), "{grant}");
    // Every quoted contribution earned more than one that was never quoted
    // nor retrieved (shares are equal; attribution is 80 % of each payment).
    let earned = claimable(&s, &market.model);
    println!("claimable per contribution: {earned:?}");
    let paid_by_attribution: BTreeSet<u64> = attributed.iter().flatten().copied().collect();
    assert!(!paid_by_attribution.contains(&3));
    for index in paid_by_attribution {
        assert!(earned[index as usize] > earned[3], "{earned:?}");
    }

    let mut explorer = Stopped(s.spawn(&["serve", "--bind", "127.0.0.1:0", "--follow", "0"]));
    let explorer_url = explorer_url(&mut explorer.0);
    let seq = receipts[0]["batch_seq"].as_u64().unwrap();
    let (status, body) = http_get(&format!(
        "{explorer_url}/api/batches/{}/{seq}",
        market.grant
    ));
    assert_eq!(status, 200, "{body}");
    let batch: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(batch["merkle_root"], receipts[0]["root"], "{batch}");
    let (status, body) = http(
        &format!("{explorer_url}/api/batches/{}/{seq}/verify", market.grant),
        "POST",
        &receipts[0].to_string(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["in_batch"],
        true
    );
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn journaled(url: &str) -> u64 {
    let (status, body) = http_get(&format!("{url}/ledger/status"));
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["calls_journaled"]
        .as_u64()
        .unwrap()
}

/// The raw response to `body` posted to `path` with `headers` (lines ending
/// in CRLF): status, lower-cased head, body.
fn post_raw(url: &str, path: &str, headers: &str, body: &str) -> (u16, String, String) {
    use std::io::{Read, Write};
    let host = url.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (
        head[9..12].parse().unwrap(),
        head.to_lowercase(),
        body.to_string(),
    )
}

#[test]
fn what_is_not_metered_is_answered_and_not_paid() {
    let Some(upstream) = upstream() else { return };
    let s = Session::new();
    let market = market(&s, &[]);
    let (gateway_process, url) = gateway(&s, &upstream, &market, &s.path("gateway"), BATCH_OFTEN);

    // Paths it does not meter pass through: the same model list.
    let (status, through) = http_get(&format!("{url}/v1/models"));
    assert_eq!(status, 200);
    assert_eq!(through, http_get(&format!("{}/v1/models", upstream.url)).1);
    // A body that is not JSON, and a request the upstream rejects: the
    // upstream's answer, no call id.
    for body in ["this is not JSON", r#"{"messages": "not a list"}"#] {
        let (status, head, answer) = post_raw(&url, "/v1/chat/completions", "", body);
        let (direct, _, direct_answer) = post_raw(&upstream.url, "/v1/chat/completions", "", body);
        assert_eq!(status, direct, "{answer}");
        assert!(status >= 400, "{answer}");
        assert_eq!(answer, direct_answer);
        assert!(!head.contains("x-model-ledger-call"), "{head}");
    }
    // A retrieved document the index does not hold is the gateway's own 400.
    let (status, head, answer) = post_raw(
        &url,
        "/v1/chat/completions",
        "x-model-ledger-retrieved: [\"no/such/document.txt\"]\r\n",
        r#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":4}"#,
    );
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("no/such/document.txt"), "{answer}");
    assert!(!head.contains("x-model-ledger-call"));

    // A caller that leaves in the middle of a stream.
    {
        use std::io::{Read, Write};
        let host = url.strip_prefix("http://").unwrap();
        let mut stream = std::net::TcpStream::connect(host).unwrap();
        let body = r#"{"messages":[{"role":"user","content":"Tell a long story about a lighthouse."}],"max_tokens":200,"stream":true}"#;
        write!(
            stream,
            "POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut first = [0u8; 64];
        let read = stream.read(&mut first).unwrap();
        assert!(String::from_utf8_lossy(&first[..read]).starts_with("HTTP/1.1 200"));
    } // dropped: the connection closes
      // The server answers one request at a time, so once a whole call after
      // it is done, the abandoned one has ended too.
    let calls = call(
        &s,
        &upstream,
        &url,
        &json!([{ "prompt": "Name a colour.", "stream": false }]),
    );
    assert!(calls[0]["id"].is_string());
    assert_eq!(journaled(&url), 1, "only the finished call is metered");
    let state = recorded(&s, &url, 1);
    assert_eq!(state["batches_landed"], 1);
    stop(gateway_process);
    let grant = s.json(&["grant", "show", &market.grant]);
    assert_eq!(grant["calls_used"], 1, "{grant}");

    // An upstream that is down: the gateway's own 502, nothing metered.
    let dead = Upstream {
        python: upstream.python.clone(),
        url: format!("http://127.0.0.1:{}", free_port()),
        _server: Stopped(Command::new("true").spawn().unwrap()),
    };
    let (gateway_process, url) = gateway(&s, &dead, &market, &s.path("gateway"), BATCH_OFTEN);
    let body = r#"{"messages":[{"role":"user","content":"hi"}]}"#;
    let (status, head, answer) = post_raw(&url, "/v1/chat/completions", "", body);
    assert_eq!(status, 502, "{answer}");
    assert!(answer.contains("model_ledger_gateway"), "{answer}");
    assert!(!head.contains("x-model-ledger-call"));
    assert_eq!(journaled(&url), 1, "the log holds the earlier call alone");
    stop(gateway_process);
}

/// Past `--max-pending-calls` calls not yet on chain, `--when-chain-down
/// refuse` answers 503 instead of serving.
#[test]
fn a_gateway_told_to_refuse_answers_503_past_its_backlog_bound() {
    let Some(upstream) = upstream() else { return };
    let s = Session::new();
    let market = market(&s, &[]);
    let waiting: &[&str] = &[
        "--batch-calls",
        "1000",
        "--batch-seconds",
        "3600",
        "--max-pending-calls",
        "1",
        "--when-chain-down",
        "refuse",
    ];
    let (gateway_process, url) = gateway(&s, &upstream, &market, &s.path("gateway"), waiting);
    let body = r#"{"messages":[{"role":"user","content":"Name a colour."}],"max_tokens":8}"#;
    let (status, head, _) = post_raw(&url, "/v1/chat/completions", "", body);
    assert_eq!(status, 200);
    assert!(head.contains("x-model-ledger-call"));
    let (status, head, answer) = post_raw(&url, "/v1/chat/completions", "", body);
    assert_eq!(status, 503, "{answer}");
    assert!(
        answer.contains("1 call(s) served here are not yet recorded"),
        "{answer}"
    );
    assert!(!head.contains("x-model-ledger-call"));
    assert_eq!(journaled(&url), 1);
    // Stopping records what waits: the one served call is paid.
    stop(gateway_process);
    let grant = s.json(&["grant", "show", &market.grant]);
    assert_eq!(grant["calls_used"], 1, "{grant}");
}

/// Under a licence that requires attribution, calls that name no
/// contribution wait for one that does instead of going out shares-only
/// (which the program refuses): the batch holds both and each call is paid.
#[test]
fn an_attribution_required_licence_holds_unattributed_calls_until_an_attributed_one() {
    let Some(upstream) = upstream() else { return };
    let s = Session::new();
    let market = market(&s, &["--attribution-required"]);
    let (gateway_process, url) = gateway(&s, &upstream, &market, &s.path("gateway"), BATCH_OFTEN);
    let unattributed = call(
        &s,
        &upstream,
        &url,
        &json!([{ "prompt": "What is two plus two? Answer with one word.", "stream": false }]),
    );
    let id = unattributed[0]["id"].as_str().unwrap();
    // Held: the recorder saw it due and did not send it.
    let status = loop {
        let (_, body) = http_get(&format!("{url}/ledger/status"));
        let status: Value = serde_json::from_str(&body).unwrap();
        if status["held_for_attribution"] == 1 {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(status["calls_recorded"], 0, "{status}");
    let held = receipt(&url, id);
    assert!(
        held["status"].as_str().unwrap().starts_with("held"),
        "{held}"
    );

    let quoting = call(
        &s,
        &upstream,
        &url,
        &json!([{ "prompt": "Summarise the retrieved passage.", "stream": true,
                  "retrieved": [text(&market.documents[1])] }]),
    );
    recorded(&s, &url, 2);
    let first = receipt(&url, id);
    let second = receipt(&url, quoting[0]["id"].as_str().unwrap());
    assert_eq!(first["status"], "landed");
    assert_eq!(
        first["batch_seq"], second["batch_seq"],
        "one batch holds both"
    );
    assert_eq!(first["call"]["attribution"], json!([]));
    assert_eq!(second["call"]["attribution"], json!([[1, 1000]]));
    stop(gateway_process);
    let grant = s.json(&["grant", "show", &market.grant]);
    assert_eq!(grant["calls_used"], 2, "{grant}");
}

/// Killed at different points and restarted on the same state: every call
/// a caller saw completed is paid, and no call is paid twice.
#[test]
fn a_gateway_killed_and_restarted_pays_every_completed_call_exactly_once() {
    let Some(upstream) = upstream() else { return };
    let s = Session::new();
    let market = market(&s, &[]);
    let state = s.path("gateway");
    // Batches of two and no waiting: batches are in flight when it dies.
    let batching: &[&str] = &["--batch-calls", "2", "--batch-seconds", "0"];
    let plan = |round: usize| {
        json!((0..5)
            .map(|n| json!({
                "prompt": format!("Repeat this sentence exactly: \"{}\"", DATASETS[n % 3][round % 2]),
                "stream": n % 2 == 1,
            }))
            .collect::<Vec<_>>())
    };
    let mut completed = Vec::new();
    let mut failed = 0;
    // Round 0: killed as soon as the caller is done (batches in flight);
    // round 1: killed while the caller is in the middle of its calls;
    // round 2: stopped as a host would.
    for round in 0..3 {
        let (mut gateway_process, url) = gateway(&s, &upstream, &market, &state, batching);
        let plan_path = s.path(&format!("plan-{round}.json"));
        let out_path = s.path(&format!("calls-{round}.json"));
        std::fs::write(&plan_path, plan(round).to_string()).unwrap();
        let caller = Path::new(env!("CARGO_MANIFEST_DIR")).join("../gateway/upstream/caller.py");
        let mut running = Command::new(&upstream.python)
            .arg(caller)
            .args([url.as_str(), text(&plan_path), text(&out_path)])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if round == 1 {
            // Killed once the caller has seen two calls through.
            let partial = PathBuf::from(format!("{}.part", text(&out_path)));
            loop {
                let seen = std::fs::read(&partial)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice::<Vec<Value>>(&bytes).ok())
                    .map_or(0, |calls| calls.len());
                // (or the caller ended: then there is nothing left to cut)
                if seen >= 2 || running.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            gateway_process.0.kill().unwrap();
            gateway_process.0.wait().unwrap();
        }
        assert!(running.wait().unwrap().success());
        let calls: Vec<Value> = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
        match round {
            0 => {
                gateway_process.0.kill().unwrap();
                gateway_process.0.wait().unwrap();
            }
            2 => stop(gateway_process),
            _ => {}
        }
        for seen in calls {
            match seen["id"].as_str() {
                Some(id) => completed.push(id.to_string()),
                None => failed += 1,
            }
        }
    }
    // A last start records whatever the kills left, then stops.
    let (gateway_process, url) = gateway(&s, &upstream, &market, &state, batching);
    let journaled_calls = journaled(&url);
    let status = recorded(&s, &url, journaled_calls);
    let mut receipts = Vec::new();
    for id in &completed {
        let receipt = receipt(&url, id);
        assert_eq!(receipt["status"], "landed", "{receipt}");
        receipts.push(receipt);
    }
    stop(gateway_process);
    let ids: BTreeSet<&String> = completed.iter().collect();
    assert_eq!(ids.len(), completed.len(), "no id twice");
    // Every journaled call paid once: the grant counts each call once.
    let grant = s.json(&["grant", "show", &market.grant]);
    assert_eq!(
        grant["calls_used"].as_u64(),
        Some(journaled_calls),
        "{grant} {status}"
    );
    assert!(journaled_calls >= completed.len() as u64);
    println!(
        "served to completion: {}, failed by the kills: {failed}, journaled and paid: {journaled_calls}, batches: {}",
        completed.len(),
        status["batches_landed"]
    );
}
