export { describeReadModelContract, type ReadModelUnderTest } from './src/testing/read-model-contract';
export {
  PostTimeline,
  planPosts,
  writeScenario,
  seededRandom,
  type PlannedPost,
  type PlannedStep,
  type ScenarioOptions,
  type WrittenScenario,
} from './src/testing/post-scenario';
