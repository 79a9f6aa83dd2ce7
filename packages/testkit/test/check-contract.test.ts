import { type Check, errorOutcome } from '@vivr/core'
import { describeCheckContract } from '../src/contracts.js'

/** A stand-in dependency the suite can put in each state: answering, refusing with a secret, or mute. */
interface FakeDependency {
  ping(signal: AbortSignal): Promise<void>
}

const answering: FakeDependency = { ping: async () => {} }
const refusing: FakeDependency = {
  ping: async () => {
    throw new Error('connect ECONNREFUSED redis://default:s3cr3t-pass@127.0.0.1:1')
  },
}
const mute: FakeDependency = {
  ping: (signal) =>
    new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
}

function pingCheck(dependency: FakeDependency, { timeoutMs }: { timeoutMs: number }): Check {
  return {
    name: 'fake',
    timeoutMs,
    async run({ signal }) {
      try {
        await dependency.ping(signal)
      } catch (error) {
        return errorOutcome(error)
      }
    },
  }
}

describeCheckContract('a well-behaved check', pingCheck, {
  healthy: () => answering,
  failing: () => refusing,
  hanging: () => mute,
  secrets: ['s3cr3t-pass'],
})
