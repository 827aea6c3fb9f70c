//! Answer and query types that more than one route module shows (a type only one route module
//! uses stays beside its handlers). Built from rows and the vault; no business rules here.

pub mod lead;
