//! The vocabulary of a follow-up.

super::text_enum::text_enum! {
    /// How the customer was contacted.
    FollowUpType {
        Call = "call",
        Visit = "visit",
        Wechat = "wechat",
        Email = "email",
        Sms = "sms",
        Meeting = "meeting",
        Other = "other",
    }
}
