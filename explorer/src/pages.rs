//! The pages, rendered on the server. Everything from the chain (names,
//! URIs) is escaped by the templates.

use std::collections::BTreeMap;

use maud::{html, Markup, PreEscaped, DOCTYPE};
use model_ledger_indexer::query::{
    Amount, BatchView, ContributionView, Found, Lineage, ModelSummary, Status, WalletView,
    MODELS_PER_PAGE, WALLET_TOTAL_MODELS,
};

use crate::{overlap, proof, Failure, ModelPage, PER_PAGE};

/// Basis points as a percentage with two decimals, exactly.
fn percent(bps: u64) -> String {
    format!("{}.{:02} %", bps / 100, bps % 100)
}

const STYLE: &str = "
body{font-family:system-ui,sans-serif;margin:0;color:#1d2430;background:#f7f8fa}
header{background:#1d2430;color:#fff;padding:.8rem 1.5rem;display:flex;gap:1.5rem;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}
header form{margin-left:auto}
header input{padding:.35rem .5rem;width:22rem;border-radius:4px;border:0}
main{padding:1rem 1.5rem;max-width:80rem}
h1{font-size:1.5rem;margin:.5rem 0}
h2{font-size:1.15rem;margin-top:1.8rem;border-bottom:1px solid #dde1e7;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;background:#fff}
th,td{padding:.35rem .5rem;border-bottom:1px solid #e8ebef;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,monospace;font-size:.82rem;word-break:break-all}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;font-size:.9rem}
.facts dt{color:#5a6473}
.badge{display:inline-block;padding:0 .4rem;border-radius:3px;font-size:.78rem;background:#e8ebef}
.badge.accepted{background:#d7f0dc}.badge.revoked,.badge.rejected{background:#f6d9d9}.badge.retired{background:#f6e7c6}
.note{color:#5a6473;font-size:.85rem}
svg text{font-family:system-ui,sans-serif}
.ok{color:#17692b;font-weight:600}.bad{color:#a11;font-weight:600}
textarea{width:100%;min-height:10rem;font-family:ui-monospace,monospace;font-size:.8rem}
#claim button,button.claim-one{padding:.35rem .8rem;border-radius:4px;border:1px solid #14213d;background:#14213d;color:#fff;cursor:pointer}
#claim-status{font-size:.9rem}
";

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Model Ledger explorer" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a href="/" { "Model Ledger" }
                    span.note style="color:#c9d1dc" { "provenance, licences and royalties of AI models" }
                    form action="/search" method="get" {
                        input type="search" name="q" placeholder="model id, name or address" aria-label="search";
                    }
                }
                main { (body) }
            }
        }
    }
}

fn short(address: &str) -> String {
    if address.len() > 12 {
        format!("{}…{}", &address[..6], &address[address.len() - 4..])
    } else {
        address.to_string()
    }
}

fn amount(value: &Amount) -> Markup {
    html! { span title=(format!("{} base units", value.base_units)) { (value.tokens) } }
}

fn wallet_link(address: &str) -> Markup {
    html! { a.mono href=(format!("/wallets/{address}")) title=(address) { (short(address)) } }
}

fn model_link(address: &str, name: &str) -> Markup {
    html! { a href=(format!("/models/{address}")) title=(address) { (name) } }
}

pub fn home(models: &[ModelSummary], status: &Status, page: u64) -> Markup {
    let pages = status.models.div_ceil(MODELS_PER_PAGE).max(1);
    layout(
        "Models",
        html! {
            h1 { "Models" }
            p.note {
                (status.models) " models, " (status.contributions) " contributions, "
                (status.batches) " inference batches, from " (status.transactions) " transactions"
                @if let Some(slot) = status.last_slot { " up to slot " (slot) }
                "."
            }
            table {
                thead { tr {
                    th { "model" } th { "address" } th.num { "contributions" } th.num { "accepted" }
                    th.num { "parents" } th.num { "derived models" } th.num { "batches" } th.num { "calls" } th.num { "received" }
                } }
                tbody {
                    @for model in models {
                        tr {
                            td { (model_link(&model.address, &model.name)) }
                            td.mono { (short(&model.address)) }
                            td.num { (model.contributions) }
                            td.num { (model.accepted) }
                            td.num { (model.parents) }
                            td.num { (model.children) }
                            td.num { (model.batches) }
                            td.num { (model.calls) }
                            td.num { (amount(&model.received)) }
                        }
                    }
                }
            }
            @if pages > 1 {
                p {
                    "Page " (page + 1) " of " (pages) ". "
                    @if page > 0 { a href=(format!("/?page={}", page - 1)) { "← previous" } " " }
                    @if page + 1 < pages { a href=(format!("/?page={}", page + 1)) { "next →" } }
                }
            }
        },
    )
}

pub fn search_results(asked: &str, found: &Found) -> Markup {
    layout(
        "Search",
        html! {
            h1 { "Search: " (asked) }
            @match found {
                Found::Models { addresses } => {
                    p { (addresses.len()) " models match:" }
                    ul { @for (address, name) in addresses { li { (model_link(address, name)) " " span.mono { (address) } } } }
                }
                _ => { p { "Nothing in the index matches " code { (asked) } ": try a model id, a name or an address." } }
            }
        },
    )
}

const NODE_WIDTH: i32 = 190;
const NODE_HEIGHT: i32 = 46;
const ROW_GAP: i32 = 96;
const COLUMN_GAP: i32 = 40;
/// Height of one edge label, for stacking the labels of a child's parents.
const EDGE_LABEL_LINE: i32 = 14;
/// Characters of a name that fit a box at 13 px bold (about 8 px a character).
const NAME_FITS: usize = 19;

/// A model's name cut to fit its box, its middle replaced by an ellipsis
/// (versions and variants end names: `…-v2`, `…-number-3`); the box's title
/// keeps the whole name.
fn fitted(name: &str) -> String {
    let count = name.chars().count();
    if count <= NAME_FITS {
        return name.to_string();
    }
    let head = (NAME_FITS - 1) / 2;
    let tail = NAME_FITS - 1 - head;
    let start: String = name.chars().take(head).collect();
    let end: String = name.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}

/// The lineage as an SVG graph: one row per generation, ancestors above,
/// descendants below, each edge labelled with the parent's royalty and the
/// licence it was derived under.
fn lineage_svg(lineage: &Lineage, current: &str) -> Markup {
    let first = lineage
        .nodes
        .iter()
        .map(|node| node.generation)
        .min()
        .unwrap_or(0);
    let last = lineage
        .nodes
        .iter()
        .map(|node| node.generation)
        .max()
        .unwrap_or(0);
    let rows: Vec<Vec<&model_ledger_indexer::query::LineageNode>> = (first..=last)
        .map(|generation| {
            lineage
                .nodes
                .iter()
                .filter(|node| node.generation == generation)
                .collect()
        })
        .collect();
    let widest = rows.iter().map(Vec::len).max().unwrap_or(1) as i32;
    // Room for the edge labels beside a single column of models.
    let width = (widest * (NODE_WIDTH + COLUMN_GAP) + COLUMN_GAP).max(3 * NODE_WIDTH);
    let height = rows.len() as i32 * (NODE_HEIGHT + ROW_GAP) - ROW_GAP + 40;
    let mut places = std::collections::HashMap::new();
    for (row, nodes) in rows.iter().enumerate() {
        let used = nodes.len() as i32 * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP;
        let left = (width - used) / 2;
        for (column, node) in nodes.iter().enumerate() {
            let x = left + column as i32 * (NODE_WIDTH + COLUMN_GAP);
            let y = 20 + row as i32 * (NODE_HEIGHT + ROW_GAP);
            places.insert(node.address.as_str(), (x, y));
        }
    }
    // Each edge's place among the edges into the same child.
    let stacks: Vec<i32> = lineage
        .edges
        .iter()
        .enumerate()
        .map(|(at, edge)| {
            lineage.edges[..at]
                .iter()
                .filter(|earlier| earlier.child == edge.child)
                .count() as i32
        })
        .collect();
    html! {
        svg #lineage xmlns="http://www.w3.org/2000/svg" width=(width) height=(height)
            viewBox=(format!("0 0 {width} {height}")) role="img"
            aria-label=(format!("lineage over {} generations", rows.len())) {
            @for (edge, stack) in lineage.edges.iter().zip(&stacks) {
                @if let (Some((px, py)), Some((cx, cy))) = (places.get(edge.parent.as_str()), places.get(edge.child.as_str())) {
                    @let (x1, y1, x2, y2) = (px + NODE_WIDTH / 2, py + NODE_HEIGHT, cx + NODE_WIDTH / 2, *cy);
                    g.edge data-parent=(edge.parent) data-child=(edge.child) {
                        title { "derived under grant " (edge.grant) " of licence " (edge.licence) }
                        line x1=(x1) y1=(y1) x2=(x2) y2=(y2) stroke="#8a94a3" stroke-width="1.5" {}
                        // Above its own child, one line per parent of that
                        // child: siblings' labels sit apart as their boxes do.
                        text x=(x2) y=(y2 - 6 - stack * EDGE_LABEL_LINE) font-size="11" fill="#37404d"
                            text-anchor="middle" paint-order="stroke" stroke="#f7f8fa" stroke-width="3" {
                            (percent(u64::from(edge.derivative_bps))) " royalty"
                            @if let Some(version) = edge.licence_version { " · licence v" (version) }
                        }
                    }
                }
            }
            @for (row, nodes) in rows.iter().enumerate() {
                g.generation data-generation=(first + row as i32) {
                    @for node in nodes {
                        @let (x, y) = places[node.address.as_str()];
                        a href=(format!("/models/{}", node.address)) {
                            rect x=(x) y=(y) width=(NODE_WIDTH) height=(NODE_HEIGHT) rx="6"
                                fill=(if node.address == current { "#1d2430" } else { "#fff" })
                                stroke="#1d2430" {}
                            title { (node.name) }
                            text.model-name x=(x + 10) y=(y + 19) font-size="13" font-weight="600"
                                fill=(if node.address == current { "#fff" } else { "#1d2430" }) { (fitted(&node.name)) }
                            text x=(x + 10) y=(y + 36) font-size="10"
                                fill=(if node.address == current { "#c9d1dc" } else { "#5a6473" }) {
                                (short(&node.address))
                                " · generation " (node.generation)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The models derived from a model, a page at a time.
pub fn children(
    parent: &ModelSummary,
    total: u64,
    page: u64,
    per_page: u64,
    models: &[ModelSummary],
) -> Markup {
    let pages = total.div_ceil(per_page).max(1);
    layout(
        &format!("Derived from {}", parent.name),
        html! {
            h1 { "Models derived from " (model_link(&parent.address, &parent.name)) }
            p.note { (total) " derived models; page " (page + 1) " of " (pages) "." }
            ul { @for model in models { li { (model_link(&model.address, &model.name)) " " span.mono { (model.address) } } } }
            p {
                @if page > 0 { a href=(format!("/models/{}/children?page={}", parent.address, page - 1)) { "← previous" } " " }
                @if page + 1 < pages { a href=(format!("/models/{}/children?page={}", parent.address, page + 1)) { "next →" } }
            }
        },
    )
}

fn status_badge(status: &str) -> Markup {
    html! { span class=(format!("badge {status}")) { (status) } }
}

/// `claim_for`: the wallet whose page this is; its contributions with
/// something to claim get a claim button (shown by the page's script).
/// `overlaps`: overlap reports by content hash, shown under the status.
fn contributions_table(
    rows: &[ContributionView],
    show_model: bool,
    claim_for: Option<&str>,
    overlaps: &BTreeMap<String, overlap::Shown>,
) -> Markup {
    html! {
        table.contributions {
            thead { tr {
                @if show_model { th { "model" } }
                th.num { "#" } th { "kind" } th { "contributor" } th { "status" } th.num { "shares" }
                th.num { "earned" } th.num { "claimed" } th.num { "claimable" }
                th.num { "by attribution" } th.num { "batches naming it" }
                @if claim_for.is_some() { th {} }
            } }
            tbody {
                @for row in rows {
                    tr id=(format!("contribution-{}", row.index)) data-contribution=(row.address) {
                        @if show_model { td { (model_link(&row.model, &row.model_name)) } }
                        td.num { (row.index) }
                        td { (row.kind) }
                        td { (wallet_link(&row.contributor)) }
                        td {
                            (status_badge(&row.status)) @if row.closed { " (closed)" }
                            @if let Some(shown) = overlaps.get(&row.content_hash) {
                                br;
                                span.overlap title=(format!("{} of {} tokens, measured against the attribution index {} (report {})", shown.held.iter().map(|(_, tokens, _)| tokens).sum::<u64>(), shown.tokens, shown.index, shown.report)) {
                                    (percent(shown.held_bps)) " already held"
                                    @for (contribution, _, share) in &shown.held { " · #" (contribution) " " (percent(*share)) }
                                }
                            }
                        }
                        td.num { (row.shares) }
                        td.num.earned { (amount(&row.earned)) }
                        td.num.claimed { (amount(&row.claimed)) }
                        td.num.claimable { (amount(&row.claimable)) }
                        td.num { (amount(&row.earned_by_attribution)) }
                        td.num { (row.attributed_batches) }
                        @if let Some(wallet) = claim_for {
                            td {
                                @if row.payout_wallet == wallet && row.claimable.base_units != "0" {
                                    button.claim-one type="button" hidden data-model=(row.model) data-index=(row.index) { "Claim" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn model(page: &ModelPage, overlaps: &BTreeMap<String, overlap::Shown>) -> Markup {
    let model = &page.model;
    let summary = &model.summary;
    let contributions = &page.contributions;
    let pages = contributions.total.div_ceil(PER_PAGE).max(1);
    layout(
        &summary.name,
        html! {
            h1 { (summary.name) }
            dl.facts {
                dt { "address" } dd.mono { (summary.address) }
                dt { "model id" } dd.mono { (summary.model_id) }
                dt { "authority" } dd { (wallet_link(&summary.authority)) @if let Some(pending) = &model.pending_authority { " (handing over to " (wallet_link(pending)) ")" } }
                dt { "creator" } dd { (wallet_link(&model.creator)) }
                dt { "artifact hash" } dd.mono { (model.content_hash) }
                dt { "metadata" } dd { (model.metadata_uri) }
                dt { "payment mint" } dd.mono { (summary.payment_mint) " (" (summary.decimals) " decimals)" }
                dt { "attribution" } dd { (percent(u64::from(model.attribution_bps))) " of what contributors earn follows each batch's attribution; the rest follows shares" }
                dt { "received" } dd { (amount(&summary.received)) " tokens over " (summary.batches) " batches of " (summary.calls) " calls, grant fees and royalties from derived models" }
                dt { "paid out" } dd { (amount(&model.paid_out)) }
                dt { "owed" } dd { (amount(&model.owed_upstream)) " to parents, " (amount(&model.protocol_fees_owed)) " in protocol fees, " (amount(&model.unallocated)) " to the authority" }
                @if model.non_commercial_lineage { dt { "lineage" } dd { "derived under a non-commercial grant: non-commercial licences only" } }
                @if let Some(lineage_ai) = &model.lineage_ai { dt { "AI terms from its lineage" } dd { "its licences allow at most: " (lineage_ai) } }
                dt { "provenance" } dd.downloads {
                    a href=(format!("/models/{}/provenance.spdx.json", summary.address)) download { "SPDX 3.0.1 (JSON-LD)" }
                    " · "
                    a href=(format!("/models/{}/model-card.md", summary.address)) download { "Hugging Face model card" }
                    " (the model, its ancestors, their contributions and licences, as on the chain; "
                    code { "model-ledger export" } " writes the same)"
                }
            }

            h2 { "Lineage" }
            p.note { "Each edge: the parent's share of every payment of the child, and the licence the derivation was made under." }
            (lineage_svg(&page.lineage, &summary.address))
            @for (parent, hidden) in &page.lineage.more_children {
                p.note.more-children {
                    (hidden) " more models derive from "
                    (page.lineage.nodes.iter().find(|node| &node.address == parent).map_or(short(parent), |node| node.name.clone()))
                    ": " a href=(format!("/models/{parent}/children")) { "all derived models" }
                }
            }

            h2 { "Licences" }
            @if page.licences.is_empty() { p.note { "No licence published." } }
            @for licence in &page.licences {
                div.licence {
                    p {
                        strong { "Version " (licence.version) } " "
                        @if licence.retired_slot.is_some() { span.badge.retired { "retired" } }
                        " " span.mono title=(licence.address) { (short(&licence.address)) }
                    }
                    p { (licence.summary) }
                    p.ai-terms { "AI: " (licence.ai_summary) }
                    p.note { "Terms: " (licence.terms_uri) " · SHA-256 " span.mono { (licence.terms_hash) } }
                }
            }

            h2 { "Contributions" }
            p.note {
                (contributions.total) " contributions; page " (contributions.page + 1) " of " (pages) ". "
                "Earned = claimed + claimable, in tokens; 'by attribution' is the part paid because batches named it."
            }
            (contributions_table(&contributions.contributions, false, None, overlaps))
            p {
                @if contributions.page > 0 { a href=(format!("/models/{}?page={}", summary.address, contributions.page - 1)) { "← previous" } " " }
                @if contributions.page + 1 < pages { a href=(format!("/models/{}?page={}", summary.address, contributions.page + 1)) { "next →" } }
            }

            h2 { "Latest inference batches" }
            @if page.latest_batches.is_empty() { p.note { "No batch recorded." } }
            @else {
                table {
                    thead { tr { th { "grant" } th.num { "batch" } th.num { "calls" } th.num { "paid" } th { "Merkle root" } th.num { "slot" } th { "" } } }
                    tbody {
                        @for batch in &page.latest_batches {
                            tr {
                                td.mono title=(batch.grant) { (short(&batch.grant)) }
                                td.num { (batch.seq) }
                                td.num { (batch.calls) }
                                td.num { (amount(&batch.amount)) }
                                td.mono { (batch.merkle_root) }
                                td.num { (batch.slot) }
                                td { a href=(format!("/batches/{}/{}", batch.grant, batch.seq)) { "check a call" } }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub fn wallet(view: &WalletView) -> Markup {
    layout(
        "Wallet",
        html! {
            h1 { "Wallet " span.mono { (view.wallet) } }
            h2 { "Earnings" }
            @if view.totals.is_empty() { p.note { "No contribution pays this wallet." } }
            @for total in &view.totals {
                p.totals data-mint=(total.payment_mint) {
                    "Earned " strong.earned { (amount(&total.earned)) } ", claimed " strong.claimed { (amount(&total.claimed)) }
                    ", claimable " strong.claimable { (amount(&total.claimable)) } " tokens of mint " span.mono { (total.payment_mint) }
                }
            }
            @if !view.totals.is_empty() {
                section #claim data-wallet=(view.wallet) data-action=(format!("/api/actions/claim/{}", view.wallet)) {
                    p.note {
                        "Claim with the CLI, signed by this wallet: " code { "model-ledger claim --all" }
                        "; or from any wallet that opens Solana Actions, at " a href=(format!("/api/actions/claim/{}", view.wallet)) { "this page's claim action" } "."
                    }
                    button #claim-all type="button" hidden { "Claim with a browser wallet" }
                    p #claim-status role="status" {}
                }
                script type="module" src="/static/claim.js" {}
                p.note { "Claimable is what the contributions are owed, to the base unit; a claim pays each contribution's whole base units and keeps its fraction for a later claim." }
            }
            @if !view.totals_complete {
                p.note.partial { "Contributions to " (view.models_paying) " models pay this wallet; the totals add up the first " (WALLET_TOTAL_MODELS) " (by model address)." }
            }
            h2 { "Contributions" }
            @if view.contributions.is_empty() { p.note { "None." } } @else {
                @let pages = view.contribution_count.div_ceil(view.per_page).max(1);
                p.note { (view.contribution_count) " contributions; page " (view.page + 1) " of " (pages) "." }
                (contributions_table(&view.contributions, true, Some(&view.wallet), &BTreeMap::new()))
                p {
                    @if view.page > 0 { a href=(format!("/wallets/{}?page={}", view.wallet, view.page - 1)) { "← previous" } " " }
                    @if view.page + 1 < pages {
                        @let after = view.next.as_deref().map(|next| format!("&after={next}")).unwrap_or_default();
                        a href=(format!("/wallets/{}?page={}{after}", view.wallet, view.page + 1)) { "next →" }
                    }
                }
            }
            @if !view.models.is_empty() {
                h2 { "Models it holds the authority of" }
                ul { @for model in &view.models { li { (model_link(&model.address, &model.name)) } } }
            }
            @if !view.grants.is_empty() {
                h2 { "Grants it holds" }
                ul { @for (grant, model, version) in &view.grants { li { span.mono { (grant) } " on " a href=(format!("/models/{model}")) { (short(model)) } ", licence v" (version) } } }
            }
        },
    )
}

pub fn batch(
    batch: &BatchView,
    model_name: &str,
    check: Option<(&str, &proof::Outcome)>,
) -> Markup {
    layout(
        "Batch",
        html! {
            h1 { "Batch #" (batch.seq) " of " (model_link(&batch.model, model_name)) }
            dl.facts {
                dt { "grant" } dd.mono { (batch.grant) }
                dt { "recorded by" } dd { (wallet_link(&batch.recorder)) }
                dt { "calls" } dd { (batch.calls) }
                dt { "paid" } dd { (amount(&batch.amount)) " tokens" }
                dt { "Merkle root" } dd.mono { (batch.merkle_root) }
                dt { "transaction" } dd.mono { (batch.signature) " (slot " (batch.slot) ")" }
                dt { "attribution" } dd {
                    @if batch.attribution.is_empty() { "none" }
                    @for [index, weight] in &batch.attribution {
                        a href=(format!("/models/{}?page={}#contribution-{index}", batch.model, u64::from(*index) / PER_PAGE)) { "#" (index) } " × " (weight) " "
                    }
                }
            }
            h2 { "Audit its attribution" }
            p.note #audit {
                "Anyone holding this batch's call records (the host's batch file from "
                code { "meter" } ", or the receipts its gateway handed out), the calls' outputs and the attribution index the host published can recompute every call's attribution and check it against the leaf under the root above:"
            }
            pre.mono { "model-ledger --url <cluster> attribute audit --index <published index> --outputs <outputs.jsonl> \\\n    --batch batch-" (format!("{:08}", batch.seq)) ".json    # or --receipt <file> for each call" }
            p.note { "A call whose committed attribution is not the engine's, or a record that does not prove to the root the chain holds, fails the audit by name." }
            h2 { "Check a call" }
            p.note { "Paste what " code { "model-ledger prove --output json" } " prints for a call of this batch: the call record and its proof are checked against the root above." }
            form method="post" action=(format!("/batches/{}/{}/verify", batch.grant, batch.seq)) {
                textarea name="proof" { @if let Some((text, _)) = check { (text) } }
                p { button type="submit" { "Check" } }
            }
            @if let Some((_, outcome)) = check {
                @match outcome {
                    proof::Outcome::Checked(checked) => {
                        @if checked.in_batch {
                            p.ok #proof-result { "Verified: the call's leaf " span.mono { (checked.leaf) } " proves to this batch's root in " (checked.steps) " steps." }
                        } @else {
                            p.bad #proof-result { "Not in this batch: the call's leaf " span.mono { (checked.leaf) } " does not prove to root " span.mono { (checked.root) } "." }
                        }
                    }
                    proof::Outcome::Unreadable(reason) => { p.bad #proof-result { "Cannot check: " (reason) } }
                }
            }
        },
    )
}

pub fn failure(failure: &Failure) -> Markup {
    layout(
        "Not found",
        html! {
            h1 { @match failure { Failure::BadInput(_) => "Bad request", Failure::NotFound(_) => "Not found", Failure::Busy(_) => "Busy", Failure::Index(_) => "Error" } }
            p { (failure.to_string()) }
            p { a href="/" { "All models" } }
        },
    )
}
