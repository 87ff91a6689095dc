//! Who may propose to a model: its policy, and the wallets it allows.

use model_ledger::events::{ProposalPolicySet, ProposerAllowed, ProposerDisallowed};

use super::{key, At};
use crate::{
    db::{int, Sql},
    IndexError,
};

pub(super) fn policy_set(
    sql: &mut dyn Sql,
    at: &At,
    e: &ProposalPolicySet,
) -> Result<(), IndexError> {
    let row = sql
        .query_opt(
            "SELECT proposal_policy FROM models WHERE address = $1",
            &[key(&e.model)],
        )?
        .ok_or_else(|| at.gap(format!("model {} was never registered", e.model)))?;
    let indexed = row.text("proposal_policy")?.to_string();
    if indexed != e.previous_policy.name() {
        return Err(at.gap(format!(
            "model {}'s proposal policy was {indexed}, the chain says it was {}",
            e.model,
            e.previous_policy.name()
        )));
    }
    sql.write(
        "UPDATE models SET proposal_policy = $2 WHERE address = $1",
        &[key(&e.model), e.policy.name().into()],
    )?;
    Ok(())
}

pub(super) fn allowed(sql: &mut dyn Sql, at: &At, e: &ProposerAllowed) -> Result<(), IndexError> {
    let [_, _, signature] = at.common()?;
    sql.write(
        "INSERT INTO proposer_permits (address, model, wallet, allowed_slot, signature) VALUES ($1, $2, $3, $4, $5)",
        &[key(&e.permit), key(&e.model), key(&e.wallet), int(e.slot)?, signature],
    )?;
    Ok(())
}

pub(super) fn disallowed(
    sql: &mut dyn Sql,
    at: &At,
    e: &ProposerDisallowed,
) -> Result<(), IndexError> {
    let removed = sql.execute(
        "DELETE FROM proposer_permits WHERE address = $1 AND model = $2",
        &[key(&e.permit), key(&e.model)],
    )?;
    if removed == 0 {
        return Err(at.gap(format!("permit {} was never allowed", e.permit)));
    }
    Ok(())
}
