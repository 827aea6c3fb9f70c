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
