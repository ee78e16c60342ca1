export { startScheduler } from './src/scheduler';
export type { Scheduler, SchedulerDeps, SchedulerCommands, SchedulerAccounts, SchedulerLogger } from './src/scheduler';
export { loadSchedulerSettings, type SchedulerSettings } from './src/settings';
