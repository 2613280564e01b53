// The table rows a dispatch covers, as spans: rows rowStart .. rowStart + rows of table `table`,
// stored from row `base` of the bound buffer. One span for a table of its own or one shard of a
// split table; one per table when every table is packed into one buffer (then a single dispatch
// serves all tables, and the rows between spans are alignment padding that no kernel touches).
// Counters and keys use the table's own row numbers, so the draws do not depend on the layout.
struct Span { table: u32, base: u32, rowStart: u32, rows: u32 }

@group(0) @binding(9) var<storage, read> spans: array<Span>;

fn span_count() -> u32 {
  return arrayLength(&spans);
}

// Stored rows of the bound buffer up to the end of the last span.
fn stored_rows() -> u32 {
  let s = spans[span_count() - 1u];
  return s.base + s.rows;
}

// The span holding stored row g, or span_count() for padding.
fn span_of(g: u32) -> u32 {
  let n = span_count();
  for (var k = 0u; k < n; k++) {
    let s = spans[k];
    if (g >= s.base && g - s.base < s.rows) { return k; }
  }
  return n;
}
