//! How an ownership starts and ends (product.md §2).

super::text_enum::text_enum! {
    /// How a claim started.
    ClaimStart {
        /// The salesperson claimed a named lead (first come).
        SelfClaim = "self_claim",
        /// Handed out in turn (`next-lead` or distribution in round-robin mode).
        RoundRobin = "round_robin",
        /// Taken under capability tiers (claim, `next-lead` or distribution in capability mode).
        Capability = "capability",
        /// A manager or admin assigned it.
        ManagerAssign = "manager_assign",
        /// Transferred from another salesperson.
        Transfer = "transfer",
        /// Routed to the person when it came in.
        IntakeRoute = "intake_route",
    }
}

super::text_enum::text_enum! {
    /// How a claim ended.
    ClaimEnd {
        Released = "released",
        RecycledNoContact = "recycled_no_contact",
        RecycledNoFirstFollowUp = "recycled_no_first_follow_up",
        RecycledNoProgress = "recycled_no_progress",
        RecycledNoDeal = "recycled_no_deal",
        Transferred = "transferred",
        Converted = "converted",
        Closed = "closed",
        Reassigned = "reassigned",
    }
}

super::text_enum::text_enum! {
    /// What asked for a stored decision: a named `claim`, a `next_lead`, a manager's `assign`, or
    /// a manager's `distribute`.
    DecisionKind {
        Claim = "claim",
        NextLead = "next_lead",
        Assign = "assign",
        Distribute = "distribute",
    }
}

super::text_enum::text_enum! {
    /// What a decision came to: the lead was `assigned`, or the request `refused` (with its code).
    DecisionOutcome {
        Assigned = "assigned",
        Refused = "refused",
    }
}
