// Package sim is a discrete-event simulator over the acd engine: Poisson arrivals at a
// constant rate or a daily profile, handle times and patience from distributions, several
// queues and agent groups with skills. It reports per-queue service figures, occupancy and
// how well each wait estimator predicted the waits callers actually had.
//
// Agents answer at once and have no wrap-up, so a call's wait is the time from arrival to
// the agent. A caller who abandons is scored on the wait they would have had: the simulator
// keeps a ghost in their place and resolves it when the queue moves past it.
package sim
