//! Releases and transfers that wait for a manager (product.md §5).

use super::text_enum::text_enum;

text_enum! {
    /// What a request asks: to `release` a lead to a pool, or to `transfer` it to someone.
    ApprovalKind {
        Release = "release",
        Transfer = "transfer",
    }
}

text_enum! {
    /// Where a request stands: `pending` until a manager approves or rejects it, the requester
    /// cancels it, or the hold it is about ends first (`obsolete`).
    ApprovalStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Cancelled = "cancelled",
        Obsolete = "obsolete",
    }
}
