/** PutLogEvents limits, as AWS documents them. */
export const MAX_BATCH_EVENTS = 10_000
export const MAX_BATCH_BYTES = 1_048_576
export const EVENT_OVERHEAD_BYTES = 26
/** One event (message bytes + overhead) stays within the long-standing 256 KB limit. */
export const MAX_EVENT_BYTES = 262_144
export const MAX_EVENT_MESSAGE_BYTES = MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES
/** A batch may not span more than 24 hours; stay strictly under it. */
export const MAX_BATCH_SPAN_MS = 24 * 60 * 60 * 1000 - 1

const marker = (cutBytes: number) => ` …[truncated ${cutBytes} bytes]`

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes, at a character boundary, ending with a marker that says how many
 * bytes were cut. Text that fits is returned as is.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length <= maxBytes) return text
  let cut = maxBytes - Buffer.byteLength(marker(bytes.length))
  // Step back over continuation bytes (10xxxxxx) so the cut never splits a character.
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--
  return bytes.toString('utf8', 0, cut) + marker(bytes.length - cut)
}
