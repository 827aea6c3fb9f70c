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

super::text_enum::text_enum! {
    /// What an agenda item is: a planned next follow-up (`follow_up`), or the time the lead goes
    /// back to its pool unless something happens first (`recycle`).
    AgendaItemKind {
        FollowUp = "follow_up",
        Recycle = "recycle",
    }
}
