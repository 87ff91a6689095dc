//! The index takes every string a program ever stored: made-up histories
//! whose model names, URIs and licence terms hold any characters (U+0000,
//! which PostgreSQL's TEXT refuses, control characters, bidi overrides,
//! quotes, markup) index on SQLite and on PostgreSQL (when
//! `MODEL_LEDGER_TEST_POSTGRES` names a server), and read back as the same
//! text (U+0000 shown as U+FFFD, except in licence terms, kept as JSON). Failing cases are kept by proptest in
//! `proptest-regressions/`, and each run prints its seed.

use model_ledger::state::LicenseTerms;
use model_ledger_indexer::{
    db::storable, query, synthetic::SyntheticChain, ChainIdentity, DatabaseUrl, Indexer,
};
use proptest::{prelude::*, strategy::ValueTree};

fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        2 => prop::sample::select(vec![
            '\0', '\u{1}', '\n', '\r', '\t', '\u{7f}', '\u{85}', '\u{202a}', '\u{202e}',
            '\u{2066}', '\u{2069}', '\u{200b}', '\u{feff}', '\u{fffd}', '\u{ffff}',
            '\u{10ffff}', '\'', '"', '\\', '<', '>', '&', '%', '_', ';',
        ]),
        1 => prop::char::range('a', 'z'),
    ]
}

fn hostile_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..max).prop_map(|chars| chars.into_iter().collect())
}

fn identity() -> ChainIdentity {
    ChainIdentity {
        program_id: model_ledger::ID,
        cluster: "synthetic".into(),
    }
}

/// One index per backend for the whole run, each case adding models to it.
fn indexes(dir: &std::path::Path) -> Vec<Indexer> {
    let mut urls = vec![DatabaseUrl::Sqlite(dir.join("hostile.sqlite"))];
    if let Ok(server) = std::env::var("MODEL_LEDGER_TEST_POSTGRES") {
        let name = format!("hostile_strings_{}", std::process::id());
        urls.push(DatabaseUrl::fresh_postgres(&server, &name).expect("a fresh database"));
    }
    let config = SyntheticChain::new();
    urls.iter()
        .map(|url| {
            let mut indexer = Indexer::open(url, &identity()).expect("open");
            for transaction in config.transactions() {
                indexer.apply(transaction, None).expect("the configuration");
            }
            indexer
        })
        .collect()
}

#[test]
fn every_string_a_program_stored_indexes_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    // `run` takes a `Fn`; the cases run one after another.
    let indexes = std::cell::RefCell::new(indexes(dir.path()));
    let seed: u64 = std::env::var("PROPTEST_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(rand_seed);
    println!("hostile strings: seed {seed} (PROPTEST_SEED={seed} replays it)");
    let config = ProptestConfig {
        cases: 64,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        // Every failure found is tried first on each later run.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "proptest-regressions/hostile_strings.txt",
            ),
        )),
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(
        config,
        proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &seed_bytes(seed),
        ),
    );
    let strings = (
        hostile_text(80),
        hostile_text(220),
        hostile_text(220),
        hostile_text(220),
    );
    runner
        .run(
            &strings,
            |(name, model_uri, contribution_uri, terms_uri)| {
                let mut chain = SyntheticChain::continuing();
                let model = chain.register_model(&name, &model_uri, &[]);
                let contributor = solana_sdk::pubkey::Pubkey::new_unique();
                chain.propose(&model, &contributor, &contribution_uri);
                let terms = LicenseTerms {
                    price_per_call: 1,
                    upfront_fee: 0,
                    commercial_use: true,
                    derivatives_allowed: true,
                    attribution_required: false,
                    transferable: false,
                    derivative_royalty_bps: 0,
                    call_limit: 0,
                    duration_seconds: 0,
                    terms_uri: terms_uri.clone(),
                    terms_hash: [1; 32],
                };
                chain.publish_license(&model, terms);
                for indexer in indexes.borrow_mut().iter_mut() {
                    for transaction in chain.transactions() {
                        indexer.apply(transaction, None).map_err(|error| {
                            TestCaseError::fail(format!("{}: {error}", indexer.url()))
                        })?;
                    }
                    let sql = indexer.sql();
                    let detail = query::model(sql, &model.to_string())
                        .unwrap()
                        .expect("the model is indexed");
                    prop_assert_eq!(&detail.summary.name, &storable(&name).into_owned());
                    prop_assert_eq!(&detail.metadata_uri, &storable(&model_uri).into_owned());
                    let page = query::contributions(sql, &model.to_string(), 0, 10, 1).unwrap();
                    prop_assert_eq!(
                        &page.contributions[0].uri,
                        &storable(&contribution_uri).into_owned()
                    );
                    let licences = query::licences(sql, &model.to_string()).unwrap();
                    // Terms are kept as JSON, whose escapes hold U+0000 too.
                    prop_assert_eq!(&licences[0].terms_uri, &terms_uri);
                    // Searching for the text itself answers, whatever it holds.
                    query::search(sql, &name).unwrap();
                }
                Ok(())
            },
        )
        .unwrap_or_else(|failure| panic!("seed {seed}: {failure}"));
}

fn rand_seed() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |elapsed| elapsed.as_nanos() as u64)
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (chunk, value) in bytes
        .chunks_mut(8)
        .zip([seed, !seed, seed.rotate_left(17), 1])
    {
        chunk.copy_from_slice(&value.to_le_bytes());
    }
    bytes
}

/// Rows for the append-only tables go to PostgreSQL by `COPY` in its text
/// format, where a tab, a newline or a backslash would otherwise end or
/// change a field: whatever text a row holds reads back as written (U+0000
/// as U+FFFD), beside the same rows on SQLite.
#[test]
fn text_copied_into_the_event_log_reads_back_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![DatabaseUrl::Sqlite(dir.path().join("copy.sqlite"))];
    if let Ok(server) = std::env::var("MODEL_LEDGER_TEST_POSTGRES") {
        let name = format!("hostile_copy_{}", std::process::id());
        urls.push(DatabaseUrl::fresh_postgres(&server, &name).expect("a fresh database"));
    }
    let mut texts: Vec<String> = [
        "",
        "\\N",
        "\\",
        "\t",
        "\n",
        "\r\n",
        "\\.",
        "a\tb\nc\\d",
        "\0",
        "'); DROP TABLE events; --",
    ]
    .map(String::from)
    .to_vec();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..64 {
        texts.push(hostile_text(120).new_tree(&mut runner).unwrap().current());
    }
    for url in &urls {
        drop(Indexer::open(url, &identity()).expect("the schema"));
        let mut database = model_ledger_indexer::db::Database::open(url).unwrap();
        let read = database
            .transaction(|sql| {
                for (position, text) in texts.iter().enumerate() {
                    sql.write(
                        "INSERT INTO events (signature, ordinal, position, name, slot, body) VALUES ($1, $2, $3, $4, $5, $6)",
                        &[
                            text.as_str().into(),
                            0i64.into(),
                            (position as i64).into(),
                            "Hostile".into(),
                            1i64.into(),
                            text.as_str().into(),
                        ],
                    )?;
                }
                sql.query("SELECT signature, body FROM events ORDER BY position", &[])
            })
            .unwrap_or_else(|error| panic!("{url:?}: {error}"));
        assert_eq!(read.len(), texts.len(), "{url:?}");
        for (row, text) in read.iter().zip(&texts) {
            let stored = storable(text).into_owned();
            assert_eq!(row.text("signature").unwrap(), stored, "{url:?}");
            assert_eq!(row.text("body").unwrap(), stored, "{url:?}");
        }
    }
}
