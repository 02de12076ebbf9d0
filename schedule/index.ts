/**
 * schedule: the one recorded schedule of a run. Every fault the tester injects and every fate
 * the network deals a message goes through it under a stable identity, so a run can be
 * replayed from its seed with an edited schedule; `lab shrink` searches for the smallest one.
 */
export { Schedule, activeSchedule, setActiveSchedule, type MessageChoices, type MessageParty } from './schedule.ts';
export type { FaultKind, FateKind, RepairKind, RecordedChoice, ScheduleEdit, ScheduleRequest, ScheduleRecord } from './types.ts';
export { searchSchedule, type SearchUnit, type Trial, type Oracle, type SearchBudget, type SearchProgress, type SearchResult } from './ddmin.ts';
export { tellChoices, secondsText, type ToldChoice } from './words.ts';
export { formatScheduleFile, parseScheduleFile, ScheduleFileError, type ScheduleFile } from './file.ts';
