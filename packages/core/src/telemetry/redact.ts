import { mayHoldSecret, scrubSecrets } from '../scrub.js'

const MAX_MESSAGE_CACHE = 1024
const MAX_CACHED_MESSAGE_LENGTH = 256
/** Longest log message kept; the rest is cut before scrubbing, so a huge message costs what this costs. */
export const MAX_LOG_MESSAGE_LENGTH = 64 * 1024

/**
 * Scrubs log messages. Most messages are constant strings logged again and again, so short ones are remembered
 * with their verdict; any other message pays one cheap test before the full scrub runs.
 */
export function createMessageScrubber(): (message: string) => string {
  const seen = new Map<string, string>()
  return (message) => {
    const known = seen.get(message)
    if (known !== undefined) return known
    const scrubbed =
      message.length <= MAX_LOG_MESSAGE_LENGTH && !mayHoldSecret(message)
        ? message
        : scrubSecrets(message, MAX_LOG_MESSAGE_LENGTH)
    if (message.length <= MAX_CACHED_MESSAGE_LENGTH && seen.size < MAX_MESSAGE_CACHE)
      seen.set(message, scrubbed)
    return scrubbed
  }
}
