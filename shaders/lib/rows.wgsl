// Table rows in index buffers and sorted pairs. An empty bag slot, a padding example and a
// masked one hold INVALID_ROW (src/data/format.ts); after the sort they come last.
const INVALID_ROW: u32 = 0xffffffffu;

// Whether sorted position p starts a run of equal valid rows (its head), given the keys at p
// and at p - 1 (any key when p is 0): one head per unique row of the batch.
fn is_segment_head(p: u32, key: u32, prev: u32) -> bool {
  return key != INVALID_ROW && (p == 0u || prev != key);
}

// Table row `row` within the shard of rows rowStart .. rowStart + rows, or INVALID_ROW when it
// lies outside (rows below rowStart wrap to huge values, so one comparison tests both ends).
fn shard_row(row: u32, rowStart: u32, rows: u32) -> u32 {
  let r = row - rowStart;
  if (r >= rows) { return INVALID_ROW; }
  return r;
}
