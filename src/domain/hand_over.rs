//! Departure hand-overs (product.md §9): everything a person holds, moved in one request.

super::text_enum::text_enum! {
    /// Where a hand-over stands: `running` (leads still being moved), `done` (nothing the person
    /// held is left unhandled), `failed` (stopped on an error; what moved stays moved).
    HandOverStatus {
        Running = "running",
        Done = "done",
        Failed = "failed",
    }
}

super::text_enum::text_enum! {
    /// What a hand-over did with one lead: `moved` (to a receiver or a pool), `skipped` (the
    /// person no longer held it when its turn came: released, recycled or closed meanwhile), or
    /// `failed` (no receiver could take it; `code` says why, and the lead stays where it was).
    HandOverOutcome {
        Moved = "moved",
        Skipped = "skipped",
        Failed = "failed",
    }
}

super::text_enum::text_enum! {
    /// What was handed over: an open `lead` (a hold with its claim) or a `customer` (a won lead
    /// its owner looks after).
    HandOverKind {
        Lead = "lead",
        Customer = "customer",
    }
}

super::text_enum::text_enum! {
    /// Why a lead was not moved: `no_longer_held` (skipped: the person released it, the sweep
    /// recycled it, or a manager moved it before its turn), `needs_receiver` (a customer, and the
    /// hand-over names only a pool), `claim_quota_exceeded`, `user_inactive`, `user_on_leave`
    /// (every receiver refused it for that reason; the code is the last receiver's), or
    /// `receiver_not_allowed` (a receiver is no longer a salesperson or manager).
    HandOverCode {
        NoLongerHeld = "no_longer_held",
        NeedsReceiver = "needs_receiver",
        ClaimQuotaExceeded = "claim_quota_exceeded",
        UserInactive = "user_inactive",
        UserOnLeave = "user_on_leave",
        ReceiverNotAllowed = "receiver_not_allowed",
    }
}

/// The receiver whose turn it is for the `n`-th lead (0-based) among `receivers`, and after
/// them the others in order: the leads are spread in turn, and a receiver who cannot take one
/// (quota, leave) passes it to the next.
pub fn turn_order(receivers: &[uuid::Uuid], n: usize) -> impl Iterator<Item = uuid::Uuid> + '_ {
    let len = receivers.len();
    (0..len).map(move |i| receivers[(n + i) % len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leads_go_round_the_receivers_and_a_refusal_passes_to_the_next() {
        let r: Vec<uuid::Uuid> = (0..3).map(|_| uuid::Uuid::now_v7()).collect();
        assert_eq!(
            turn_order(&r, 0).collect::<Vec<_>>(),
            vec![r[0], r[1], r[2]]
        );
        assert_eq!(
            turn_order(&r, 4).collect::<Vec<_>>(),
            vec![r[1], r[2], r[0]]
        );
        assert_eq!(turn_order(&[], 2).count(), 0);
    }
}
