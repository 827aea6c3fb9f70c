//! What a lead's timeline records and what people are notified of.

use super::text_enum::text_enum;

text_enum! {
    /// A timeline entry: `created`, `touched` (a later submission of the same lead), `updated`
    /// (data edited), `claimed`, `claim_ended` (released, recycled, converted, closed or
    /// reassigned: see `details.reason`), `transferred`, `follow_up`, `approval_requested`,
    /// `approval_approved`, `approval_rejected`, `approval_cancelled`, `approval_obsolete`,
    /// `recycle_warning`, `closed`, `reopened` (a closed customer, by a manager).
    LeadEventKind {
        Created = "created",
        Touched = "touched",
        Updated = "updated",
        Claimed = "claimed",
        ClaimEnded = "claim_ended",
        Transferred = "transferred",
        FollowUp = "follow_up",
        ApprovalRequested = "approval_requested",
        ApprovalApproved = "approval_approved",
        ApprovalRejected = "approval_rejected",
        ApprovalCancelled = "approval_cancelled",
        ApprovalObsolete = "approval_obsolete",
        RecycleWarning = "recycle_warning",
        Closed = "closed",
        Reopened = "reopened",
    }
}

text_enum! {
    /// What a notification is about: a lead due back soon (`recycle_warning`), one taken back
    /// (`recycled`), a new submission of a lead one owns (`duplicate_touch`), a request waiting
    /// for one's decision (`approval_requested`: to the nearest manager above the requester),
    /// one's request decided (`approval_decided`), or a lead transferred to one
    /// (`lead_transferred`).
    NotificationKind {
        RecycleWarning = "recycle_warning",
        Recycled = "recycled",
        DuplicateTouch = "duplicate_touch",
        ApprovalRequested = "approval_requested",
        ApprovalDecided = "approval_decided",
        LeadTransferred = "lead_transferred",
    }
}
