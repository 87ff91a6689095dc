//! A model's lineage: its ancestors and descendants as a graph a page can
//! draw, and its derived models page by page.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::{db::Sql, IndexError};

use super::{summary_from, ModelSummary, SUMMARY_COLUMNS};

#[derive(Clone, Debug, Serialize)]
pub struct LineageNode {
    pub address: String,
    pub name: String,
    /// 0 for the model asked about, −1 its parents, +1 its children, …
    pub generation: i32,
}

#[derive(Clone, Debug, Serialize)]
pub struct LineageEdge {
    pub child: String,
    pub parent: String,
    /// The parent's share of every payment of the child, in basis points.
    pub derivative_bps: u16,
    pub licence: String,
    pub licence_version: Option<u32>,
    pub grant: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Lineage {
    pub nodes: Vec<LineageNode>,
    pub edges: Vec<LineageEdge>,
    /// Models whose derived models are not all drawn, and how many are not
    /// (anyone may derive from a model: a page draws a bounded number).
    pub more_children: Vec<(String, u64)>,
}

/// Derived models drawn under one model; the rest are listed page by page.
pub const CHILDREN_DRAWN: u64 = 12;
/// Models a lineage graph draws at most, ancestors and descendants together.
pub const LINEAGE_NODES: usize = 64;

/// The ancestors and descendants of `address`, up to `depth` generations
/// each way, with the link each derivation was made under: at most
/// [`CHILDREN_DRAWN`] derived models under each model and [`LINEAGE_NODES`]
/// models in all, so the work of a page does not grow with what anyone
/// derives (the rest: [`children`]).
pub fn lineage(sql: &mut dyn Sql, address: &str, depth: i32) -> Result<Lineage, IndexError> {
    let mut nodes: BTreeMap<String, i32> = BTreeMap::from([(address.to_string(), 0)]);
    let mut edges: Vec<LineageEdge> = Vec::new();
    let mut seen_edges = BTreeSet::new();
    let mut more_children = Vec::new();
    for (direction, step) in [("child", -1), ("parent", 1)] {
        let mut frontier = vec![address.to_string()];
        for generation in 1..=depth {
            let mut next = Vec::new();
            for model in &frontier {
                if nodes.len() >= LINEAGE_NODES {
                    break;
                }
                // A model's children: the derivations naming it as parent.
                let limit = if direction == "parent" {
                    format!("LIMIT {}", CHILDREN_DRAWN + 1)
                } else {
                    String::new()
                };
                let mut rows = sql.query(
                    &format!("SELECT lineage.child, lineage.parent, lineage.derivative_bps, lineage.license, licenses.version, lineage.grant_address FROM lineage LEFT JOIN licenses ON licenses.address = lineage.license WHERE lineage.{direction} = $1 ORDER BY lineage.{direction}, lineage.child, lineage.parent_position {limit}"),
                    &[model.as_str().into()],
                )?;
                if direction == "parent" && rows.len() as u64 > CHILDREN_DRAWN {
                    rows.truncate(CHILDREN_DRAWN as usize);
                    let all = sql
                        .query_one(
                            "SELECT derived_count FROM models WHERE address = $1",
                            &[model.as_str().into()],
                        )?
                        .u64(0)?;
                    more_children.push((model.clone(), all - CHILDREN_DRAWN));
                }
                for row in rows {
                    let (child, parent) = (
                        row.text("child")?.to_string(),
                        row.text("parent")?.to_string(),
                    );
                    let other = if direction == "child" {
                        parent.clone()
                    } else {
                        child.clone()
                    };
                    if seen_edges.insert((child.clone(), parent.clone())) {
                        edges.push(LineageEdge {
                            child,
                            parent,
                            derivative_bps: row.small("derivative_bps")?,
                            licence: row.text("license")?.into(),
                            licence_version: row
                                .opt_int("version")?
                                .and_then(|v| u32::try_from(v).ok()),
                            grant: row.text("grant_address")?.into(),
                        });
                    }
                    if !nodes.contains_key(&other) && nodes.len() < LINEAGE_NODES {
                        nodes.insert(other.clone(), step * generation);
                        next.push(other);
                    }
                }
            }
            frontier = next;
        }
    }
    let mut named = Vec::with_capacity(nodes.len());
    for (node, generation) in nodes {
        let name = sql
            .query_opt(
                "SELECT name FROM models WHERE address = $1",
                &[node.as_str().into()],
            )?
            .map(|row| row.text(0).map(String::from))
            .transpose()?
            .unwrap_or_default();
        named.push(LineageNode {
            address: node,
            name,
            generation,
        });
    }
    named.sort_by(|a, b| a.generation.cmp(&b.generation).then(a.name.cmp(&b.name)));
    Ok(Lineage {
        nodes: named,
        edges,
        more_children,
    })
}

/// The models derived from `parent`, a page at a time, by address.
pub fn children(
    sql: &mut dyn Sql,
    parent: &str,
    page: u64,
    per_page: u64,
) -> Result<(u64, Vec<ModelSummary>), IndexError> {
    let total = sql
        .query_opt(
            "SELECT derived_count FROM models WHERE address = $1",
            &[parent.into()],
        )?
        .map(|row| row.u64(0))
        .transpose()?
        .unwrap_or(0);
    let per_page = per_page.clamp(1, 500);
    let rows = sql.query(
        &format!("SELECT {SUMMARY_COLUMNS} FROM models WHERE address IN (SELECT child FROM lineage WHERE parent = $1 ORDER BY parent, child LIMIT $2 OFFSET $3) ORDER BY address"),
        &[
            parent.into(),
            crate::db::int(per_page)?,
            crate::db::int(page.saturating_mul(per_page))?,
        ],
    )?;
    Ok((
        total,
        rows.iter().map(summary_from).collect::<Result<_, _>>()?,
    ))
}
