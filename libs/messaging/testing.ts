// Test-only entry: uses jest's globals, so production code must never import it.
export { describeJobQueueContract, waitFor } from './src/testing/job-queue-contract';
export type { JobQueueContractSetup } from './src/testing/job-queue-contract';
