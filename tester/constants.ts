/** Constants of 6.5840's raft/test_test.go, shared by the graded suites. */

/** "The tester generously allows solutions to complete elections in one second" (ms). */
export const RaftElectionTimeout = 1000;

/** 2D: the persisted Raft state (without the snapshot) must stay below this many bytes. */
export const MAXLOGSIZE = 2000;
