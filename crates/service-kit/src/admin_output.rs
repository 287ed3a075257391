//! What the services' operator commands (`authn-service users ...`, `session-service sessions ...`) print
//! for a person: left-aligned text tables and RFC 3339 times. One place, so that every admin command's
//! text output looks the same.

/// A Unix time as RFC 3339 (UTC), or the number itself when it is outside what `time` can represent.
pub fn timestamp(unix_seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| unix_seconds.to_string())
}

/// Left-aligned columns two spaces apart.
pub fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let lines: Vec<String> = rows
        .iter()
        .map(|row| {
            let cells: Vec<String> = row.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_and_timestamps_are_rfc3339() {
        let rows = [["a", "bb"].map(str::to_owned), ["ccc", "d"].map(str::to_owned)];
        assert_eq!(table(&rows), "a    bb\nccc  d");
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
    }
}
