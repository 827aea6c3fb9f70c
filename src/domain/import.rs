//! The vocabulary of a file import.

use super::text_enum::text_enum;

text_enum! {
    /// Where an import stands: `queued`, `running` (chunk by chunk, resumable), `done` or
    /// `failed` (see `error`).
    ImportStatus {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Failed = "failed",
    }
}

text_enum! {
    /// How the uploaded file was encoded: `utf-8`, `utf-8-bom` or `gb18030` (GBK files).
    ImportEncoding {
        Utf8 = "utf-8",
        Utf8Bom = "utf-8-bom",
        Gb18030 = "gb18030",
    }
}
