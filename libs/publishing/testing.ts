// Test-only entry: fixtures for the publishing pipeline; production code must never import it.
export {
  waitFor,
  openTestRuntime,
  postContent,
  createPost,
  requestPublish,
  retryPublish,
  stateOf,
  waitForStatus,
  DelayingProxy,
  startPublishingFor,
  type StartPublishingForOptions,
  type TestRuntime,
} from './src/testing/pipeline-fixture';
