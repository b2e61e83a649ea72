// Package sharefile reads, renames and removes files that other processes (other runs of
// agentcore) read, rename and remove at the same time. On Unix its functions are those of
// package os; on Windows, where an open file cannot be removed or replaced unless every handle
// to it shares delete access, reads share delete access and renames and removals wait, briefly,
// for a busy file.
package sharefile
