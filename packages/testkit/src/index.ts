export type { CheckContractOptions } from './check-contract.js'
export { describeCheckContract } from './check-contract.js'
